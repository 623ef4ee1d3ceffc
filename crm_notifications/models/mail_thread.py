# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models

from .crm_notification import ROLE_TEAM, QueuedEvent


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        # a bounce of a delivery log e-mail marks its delivery bounced (the
        # mail itself may be deleted by then: the log keeps its Message-Id)
        res = super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_msg_ids"):
            bounced_email = message_dict.get("bounced_email")
            self.env["crm.notification.delivery"]._mark_bounced(
                message_dict["bounced_msg_ids"], bounced_email, _("Bounced: %s", bounced_email),
            )
        return res

    def _message_post_after_hook(self, message, msg_values):
        res = super()._message_post_after_hook(message, msg_values)
        if msg_values.get("message_type") == "comment" and self._crm_notification_enabled():
            self._crm_notification_message_posted(message)
        return res

    def _crm_notification_message_posted(self, message):
        """Queue notifications of a message or note posted on this record
        to the users its message rules relate to it."""
        Rule = self.env["crm.notification.rule"]
        rules = [rule for rule in Rule._get_model_rules(self._name) if rule.trigger == "message"]
        if not rules:
            return
        internal = message.subtype_id.internal or message.is_internal
        to_team = internal and self.env["ir.config_parameter"].sudo().get_param(
            "crm_notifications.note_to_team"
        )
        event = "note" if internal else "message"
        body = self.env["crm.notification"]._message_preview(message.body)
        authors = set(message.author_id.user_ids.ids)
        entries = []
        for rule in rules:
            records = rule.filter(self)
            users_by_record = Rule._users_of(records, rule.field, rule.comodel)
            for record in records:
                user_ids = users_by_record[record.id]
                team_ids = set()
                if to_team and rule.team_path:
                    team_ids = set(record.sudo().mapped(rule.team_path).ids) - user_ids
                entries += [
                    QueuedEvent(rule.id, event, self._name, record.id, user_id, message.id, body,
                                role=rule.field if user_id in user_ids else ROLE_TEAM)
                    for user_id in (user_ids | team_ids) - authors
                ]
        self.env["crm.notification"]._queue(entries)

    def _message_auto_subscribe_notify(self, partner_ids, template):
        # Odoo's "You have been assigned" e-mail for tracked user_id fields:
        # dropped for the records of a rule that replaces it with in-app.
        silenced = self._crm_notification_silenced("user_id")
        return super(MailThread, self - silenced)._message_auto_subscribe_notify(partner_ids, template)

    def _crm_notification_silenced(self, fname):
        """Records whose assignment through ``fname`` is notified in-app by a
        rule that does not keep Odoo's own assignment e-mail."""
        if not self or not self._crm_notification_enabled():
            return self.browse()
        Rule = self.env["crm.notification.rule"]
        silenced = self.browse()
        for rule in Rule._get_model_rules(self._name):
            if rule.trigger == "assign" and rule.field == fname and not rule.keep_odoo_email:
                silenced |= rule.filter(self)
        return silenced
