# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import Command
from odoo.tests import tagged

from odoo.addons.crm_notifications.tests.common import GlueRuleCase


@tagged("post_install", "-at_install")
class TestHelpdeskRules(GlueRuleCase):
    """Tickets of OCA helpdesk_mgmt: the responsible is notified of the
    assignment and of messages; internal notes reach the ticket's team when
    the setting is on."""

    glue = "crm_notifications_helpdesk"
    app_groups = "helpdesk_mgmt.group_helpdesk_user"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.helpdesk_team = cls.env["helpdesk.ticket.team"].create({
            "name": "Support", "user_ids": [Command.set((cls.user_a | cls.user_b | cls.user_c).ids)],
        })

    def _ticket(self, **values):
        return self.env["helpdesk.ticket"].with_user(self.user_a).create(dict({
            "name": "Printer on fire", "description": "<p>Smoke</p>", "team_id": self.helpdesk_team.id,
        }, **values))

    def test_rules_of_glue(self):
        assigned = self.env.ref("crm_notifications_helpdesk.rule_ticket_assigned")
        message = self.env.ref("crm_notifications_helpdesk.rule_ticket_message")
        self.assertEqual((assigned.model, assigned.field_id.name, assigned.trigger),
                         ("helpdesk.ticket", "user_id", "assign"))
        self.assertEqual((message.model, message.trigger, message.team_users_path),
                         ("helpdesk.ticket", "message", "team_id.user_ids"))
        self.assertEqual(self.glue_rules(), assigned | message)

    def test_install_adopts_older_rules(self):
        self.assert_install_adopts("rule_ticket_message", {"team_users_path": False, "name": "Ticket chatter"})
        self.assertEqual(len(self.glue_rules()), 2)

    def test_uninstall_removes_rules(self):
        self.assert_uninstall_removes_rules()

    def test_ticket_assigned(self):
        """The responsible set by another user is notified once; reassigning notifies the new one."""
        ticket = self._ticket(user_id=self.user_b.id)
        self.flush_notifications()
        notification = self.notifications_of(self.user_b)
        self.assertEqual(len(notification), 1)
        self.assertEqual((notification.res_model, notification.res_id), ("helpdesk.ticket", ticket.id))
        self.assertEqual(notification.title, f"Ticket assigned to you: {ticket.display_name}")
        ticket.write({"user_id": self.user_c.id})
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 1)
        self.assertEqual(len(self.notifications_of(self.user_c)), 1)

    def test_ticket_self_assigned(self):
        self._ticket(user_id=self.user_a.id)
        self.flush_notifications()
        self.assertFalse(self.Notification.search([("res_model", "=", "helpdesk.ticket")]))

    def test_ticket_messages_and_team_notes(self):
        ticket = self._ticket(user_id=self.user_b.id)
        self.flush_notifications()
        self.Notification.search([]).unlink()
        ticket.with_user(self.user_a).message_post(body=Markup("<p>Customer answered</p>"),
                                                   message_type="comment", subtype_xmlid="mail.mt_comment")
        ticket.with_user(self.user_a).message_post(body="Internal", message_type="comment",
                                                   subtype_xmlid="mail.mt_note")
        self.flush_notifications()
        self.assertEqual(sorted(self.notifications_of(self.user_b).mapped("event")), ["message", "note"])
        self.assertFalse(self.notifications_of(self.user_c))

        self.env["res.config.settings"].create({"crm_notification_note_to_team": True}).execute()
        ticket.with_user(self.user_a).message_post(body="Team, look", message_type="comment",
                                                   subtype_xmlid="mail.mt_note")
        self.flush_notifications()
        self.assertEqual(self.notifications_of(self.user_c).mapped("body"), ["Team, look"])
        self.assertEqual(len(self.notifications_of(self.user_b)), 3)
        self.assertFalse(self.notifications_of(self.user_a))
