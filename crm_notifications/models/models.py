# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from .crm_notification import QueuedEvent, Target


class Base(models.AbstractModel):
    """Assignment detection for the notification rules, on every model.

    Rules are admin-defined on any model and any user field, so the detection
    sits where every create and write passes. Its cost when no rule applies is
    an ormcache lookup and a set test on the written field names. Host hooks
    are used where Odoo already detects an assignment (see
    ``mail.activity.action_notify``): such fields are listed in the model's
    ``_crm_notification_host_fields`` and skipped here.
    """

    _inherit = "base"

    # context keys under which a model's own notifications are silenced, and
    # its rules with them (e.g. calendar.event's no_mail_to_attendees)
    _crm_notification_quiet_keys = ()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        rules = records._crm_notification_rules(("assign", "create"))
        if rules:
            records._crm_notification_detect(rules, previous=None)
        return records

    def write(self, vals):
        # every rule on a written user field: a user taken off a record no
        # longer needs its unread notifications (resolved); new users of
        # "assign" rules are notified (those of hooked fields by their host)
        rules = self._crm_notification_rules(("assign", "create", "message"), vals, hooked=True)
        if not rules:
            return super().write(vals)
        Rule = self.env["crm.notification.rule"]
        # users held before the write: a user already there is not re-notified
        previous = {}
        for rule in rules:
            if (rule.field, rule.comodel) not in previous:
                previous[rule.field, rule.comodel] = Rule._users_of(self, rule.field, rule.comodel)
        res = super().write(vals)
        detected = tuple(rule for rule in rules if rule.trigger == "assign" and not rule.hooked)
        if detected:
            self._crm_notification_detect(detected, {rule.field: previous[rule.field, rule.comodel]
                                                     for rule in detected})
        causes = []
        for (fname, comodel), before in previous.items():
            after = Rule._users_of(self, fname, comodel)
            causes += [
                (self._name, res_id, user_id)
                for res_id, user_ids in before.items() for user_id in user_ids - after.get(res_id, set())
            ]
        self.env["crm.notification"]._queue_resolve(causes)
        return res

    def unlink(self):
        # a deleted record resolves the unread notifications it caused
        causes = self._crm_notification_causes_gone()
        res = super().unlink()
        self.env["crm.notification"]._queue_resolve(causes)
        return res

    # ------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------

    def _crm_notification_enabled(self):
        # Like Odoo's own assignment e-mail, nothing is generated while modules
        # install (the registry is not ready): demo and imported data would
        # flood the bell. crm_notification_force lifts that for demo data.
        context = self.env.context
        return (
            (self.env.registry.ready or context.get("crm_notification_force"))
            and not context.get("crm_notification_skip")
            and not any(context.get(key) for key in self._crm_notification_quiet_keys)
            and "crm.notification.rule" in self.env.registry
        )

    def _crm_notification_rules(self, triggers, vals=None, hooked=False):
        """Active rules of this model with one of ``triggers`` whose user
        field is in ``vals`` (when given), as ``RuleSpec`` of ``_get_model_rules``;
        rules detected by a host hook only when ``hooked``."""
        if not self or not self._crm_notification_enabled():
            return ()
        rules = self.env["crm.notification.rule"]._get_model_rules(self._name)
        return tuple(
            rule for rule in rules
            if rule.trigger in triggers and (hooked or not rule.hooked) and (vals is None or rule.field in vals)
        )

    def _crm_notification_causes_gone(self):
        """What deleting these records resolves: the unread notifications
        they caused, for every user, when their model has rules (else
        nothing, at the cost of a cache lookup)."""
        # not while modules install or uninstall (the addon's tables may be
        # gone already): _crm_notification_enabled
        if not self or not self._crm_notification_enabled():
            return []
        if self._name not in self.env["crm.notification.rule"]._get_rules_by_model():
            return []
        return [(self._name, res_id, 0) for res_id in self.ids]

    def _crm_notification_detect(self, rules, previous):
        """Queue a notification for every user newly held by a rule's field."""
        Rule = self.env["crm.notification.rule"]
        entries = []
        for rule in rules:
            before = previous.get(rule.field, {}) if previous is not None else {}
            event = "created" if rule.trigger == "create" else "assigned"
            for res_id, user_ids in Rule._users_of(rule.filter(self), rule.field, rule.comodel).items():
                for user_id in user_ids - before.get(res_id, set()):
                    entries.append(QueuedEvent(rule.id, event, self._name, res_id, user_id, role=rule.field))
        self.env["crm.notification"]._queue(entries)

    def _crm_notification_targets(self):
        """Hook for extensions: where a notification about these records
        leads, as {record id: ``Target``}. An activity, for instance, leads
        to the document it is planned on."""
        return {record.id: Target(self._name, record.id, record.display_name) for record in self}
