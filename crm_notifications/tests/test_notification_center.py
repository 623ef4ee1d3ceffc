# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged, users

from ..models.crm_notification import UNREAD_DOMAIN
from .common import CrmNotificationCase, normalize_sql


@tagged("post_install", "-at_install")
class TestNotificationCenter(CrmNotificationCase):
    """What the bell and the list do, as the recipient."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Lead = cls.env["crm.lead"].with_user(cls.user_a)
        cls.leads = Lead.create([{"name": f"Lead {i}", "user_id": cls.user_b.id} for i in range(3)])
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    def test_counter_pushed_over_bus(self):
        """Generation pushes B's unread counter, computed by the server, once per transaction."""
        self.env["crm.lead"].with_user(self.user_a).create([
            {"name": "Bus 1", "user_id": self.user_b.id},
            {"name": "Bus 2", "user_id": self.user_b.id},
        ])
        self.flush_notifications()
        self.assertEqual(self.bus_counts(self.user_b)[-1:], [5])
        self.assertEqual(len(self.bus_counts(self.user_b)), 2)  # setup's push, then this one

    @users("notif_b")
    def test_unread_count_and_systray(self):
        Notification = self.env["crm.notification"]
        self.assertEqual(Notification.get_unread_count(), 3)
        data = Notification.systray_get_notifications(limit=2)
        self.assertEqual(data["unread_count"], 3)
        self.assertEqual(len(data["notifications"]), 2)
        item = data["notifications"][0]
        self.assertEqual(item["res_model"], "crm.lead")
        self.assertEqual(item["model_name"], "Lead/Opportunity")
        self.assertEqual(item["author_name"], "Alice Author")
        self.assertFalse(item["is_read"])

    @users("notif_b")
    def test_mark_read(self):
        """Mark several as read; read date is set; the counter is pushed."""
        notifications = self.env["crm.notification"].search([], order="id")
        notifications[:2].action_mark_read()
        self.assertEqual(notifications.mapped("is_read"), [True, True, False])
        self.assertTrue(notifications[0].read_date)
        self.assertEqual(self.env["crm.notification"].get_unread_count(), 1)
        self.flush_notifications()
        self.assertEqual(self.bus_counts(self.user_b)[-1], 1)
        notifications[0].action_mark_unread()
        self.assertFalse(notifications[0].read_date)
        self.assertEqual(self.env["crm.notification"].get_unread_count(), 2)

    def test_unread_searches_match_the_partial_index(self):
        """The ORM's unread domain (not read, not resolved) is the partial
        index's own predicate, so PostgreSQL may serve the unread counter,
        the "Unread" filter and mark-all-read from it. Whether it does is
        statistics, and measured on 1M rows by bench/run, not asserted here."""
        self.env.cr.execute(
            """SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i
                 JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'crm_notification_user_pending_idx'""")
        predicate = self.env.cr.fetchone()[0]
        query = self.env["crm.notification"]._search(UNREAD_DOMAIN)
        self.assertEqual(normalize_sql(query.where_clause.code), normalize_sql(predicate))

    @users("notif_b")
    def test_mark_all_read(self):
        self.env["crm.notification"].action_mark_all_read()
        self.assertEqual(self.env["crm.notification"].get_unread_count(), 0)
        self.assertEqual(self.notifications_of(self.user_c).mapped("is_read"), [])
        self.flush_notifications()
        self.assertEqual(self.bus_counts(self.user_b)[-1], 0)

    @users("notif_b")
    def test_open_record(self):
        """Opening a notification marks it read and leads to its document."""
        notification = self.env["crm.notification"].search([], limit=1)
        action = notification.action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), ("crm.lead", notification.res_id))
        self.assertTrue(notification.is_read)

    def test_markup_is_text(self):
        """A document named like HTML is stored and served as plain text."""
        name = "<img src=x onerror=alert(1)>"
        self.env["crm.lead"].with_user(self.user_a).create({"name": name, "user_id": self.user_c.id})
        self.flush_notifications()
        notification = self.notifications_of(self.user_c)
        self.assertEqual(notification.res_name, name)
        self.assertEqual(notification.title, f"Assigned to you: {name}")
        item = notification.with_user(self.user_c).systray_get_notifications()["notifications"][0]
        self.assertEqual(item["title"], f"Assigned to you: {name}")
        self.assertIsInstance(item["title"], str)
        self.assertNotEqual(type(item["title"]).__name__, "Markup")

    def test_deleted_document(self):
        """A document deleted in the transaction that assigned it notifies nobody."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Gone", "user_id": self.user_c.id})
        lead.sudo().unlink()
        self.flush_notifications()
        self.assertFalse(self.notifications_of(self.user_c))

    def test_title_in_recipient_language(self):
        """Titles are rendered in the recipient's language."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.user_c.lang = "fr_FR"
        rule = self.env.ref("crm_notifications.rule_lead_assigned")
        rule.with_context(lang="fr_FR").message_template = "Assignée à vous : {{ object.name }}"
        self.env["crm.lead"].with_user(self.user_a).create([
            {"name": "Bonjour", "user_id": self.user_c.id},
            {"name": "Hello", "user_id": self.user_b.id},
        ])
        self.flush_notifications()
        self.assertEqual(self.notifications_of(self.user_c).title, "Assignée à vous : Bonjour")
        self.assertEqual(self.notifications_of(self.user_b, res_name="Hello").title, "Assigned to you: Hello")


@tagged("post_install", "-at_install")
class TestDemoData(CrmNotificationCase):

    def test_demo_notifications(self):
        """With demo data, both demo users have notifications of each kind."""
        demo = self.env.ref("base.user_demo", raise_if_not_found=False)
        Module = self.env["ir.module.module"]
        if not demo or not Module.search([("name", "=", "crm_notifications"), ("demo", "=", True)]):
            self.skipTest("no demo data on this database")
        admin = self.env.ref("base.user_admin")
        expected_rules = {
            "rule_activity_assigned", "rule_lead_assigned", "rule_project_assigned", "rule_task_assigned",
            "rule_company_salesperson", "rule_contact_salesperson", "rule_campaign_assigned",
            "rule_meeting_attendee", "rule_lead_message",
        }
        for user in (admin, demo):
            rules = self.notifications_of(user).rule_id.get_external_id().values()
            self.assertEqual({xmlid.split(".")[1] for xmlid in rules}, expected_rules, user.name)
