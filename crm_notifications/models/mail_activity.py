# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, fields, models
from odoo.tools.misc import get_lang


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # Odoo already detects activity assignment in create/write and calls
    # action_notify() (never for self-assignment nor quick updates): rules on
    # user_id are served from there, not from base.write.
    _crm_notification_host_fields = ("user_id",)

    def action_notify(self):
        if not self or not self._crm_notification_enabled():
            return super().action_notify()
        Rule = self.env["crm.notification.rule"]
        rules = [
            rule for rule in Rule._get_model_rules(self._name)
            if rule[1] == "assign" and rule[2] == "user_id"
        ]
        entries = []
        silenced = self.browse()
        for rule_id, _trigger, _fname, _comodel, _team, keep_email, has_domain, _hooked in rules:
            activities = Rule.browse(rule_id)._filter_records(self) if has_domain else self
            entries += [
                (rule_id, "assigned", self._name, activity.id, activity.user_id.id, False, None)
                for activity in activities
            ]
            if not keep_email:
                silenced |= activities
        self.env["crm.notification"]._queue(entries)
        return super(MailActivity, self - silenced).action_notify()

    def _crm_notification_targets(self):
        date_format = get_lang(self.env).date_format
        result = {}
        for activity in self:
            summary = activity.summary or activity.activity_type_id.name or ""
            deadline = fields.Date.to_date(activity.date_deadline)
            body = _("%(summary)s, due %(deadline)s", summary=summary,
                     deadline=deadline.strftime(date_format) if deadline else "")
            result[activity.id] = (activity.res_model, activity.res_id, activity.res_name, body)
        return result
