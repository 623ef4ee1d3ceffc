# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who would be reached: ``action_preview_recipients()`` before sending,
counted in batch, as the previewing user may see the customers."""

from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CustomerNotificationCase, SecurityRpcCase


@tagged("post_install", "-at_install")
class TestCustomerPreview(CustomerNotificationCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.archived = Partner.create({"name": "Gone", "email": "gone@example.com", "active": False})
        cls.company2 = cls.env["res.company"].create({"name": "Elsewhere"})
        cls.other_co = Partner.create({"name": "Otto", "email": "otto@example.com", "company_id": cls.company2.id})
        cls.group.partner_ids = [Command.link(cls.archived.id), Command.link(cls.other_co.id)]
        # own documents only: sees and sends their own notifications
        cls.sal = new_test_user(cls.env, "prev_sal", groups="base.group_user,sales_team.group_sale_salesman",
                                email="sal@example.com")
        cls.sal2 = new_test_user(cls.env, "prev_sal2", groups="base.group_user,sales_team.group_sale_salesman",
                                 email="sal2@example.com")

    def group_notification(self, user=None, **values):
        return self.env["crm.customer.notification"].with_user(user or self.user_a).create(dict({
            "name": "News", "body": "<p>News</p>", "kind": "group", "group_id": self.group.id,
        }, **values))

    def test_counts_per_reason(self):
        """Ana and Jean reached by e-mail; the others skipped, each for its
        reason; another company's customer is not visible to the sender."""
        self.env.company.write({"crm_quiet_hours_start": 0.0, "crm_quiet_hours_end": 0.0})
        counts = self.group_notification()._crm_preview_recipients()
        self.assertEqual(counts, {
            "total": 7,
            "reached": {"email": 2},
            "deferred": 0,
            "skipped": {"no_address": 2, "blacklisted": 1, "archived": 1, "not_visible": 1},
        })

    def test_quiet_hours_deferral(self):
        """Sent at 23:00 UTC: Ana (Brussels, midnight) is deferred, Jean
        (New York, 18:00) is not."""
        self.env.company.write({"crm_quiet_hours_start": 21.0, "crm_quiet_hours_end": 8.0})
        self.ana.tz = "Europe/Brussels"
        self.jean.tz = "America/New_York"
        notification = self.group_notification(timing="scheduled", scheduled_date=datetime(2027, 1, 4, 23, 0))
        counts = notification._crm_preview_recipients()
        self.assertEqual(counts["reached"], {"email": 2})
        self.assertEqual(counts["deferred"], 1)

    def test_action(self):
        """The button's answer: a sticky notification listing the counts."""
        action = self.group_notification().action_preview_recipients()
        self.assertEqual(action["tag"], "display_notification")
        message = action["params"]["message"]
        self.assertIn("7 customers in all", message)
        self.assertIn("Reached by E-mail: 2", message)
        self.assertIn("Skipped, Blacklisted: 1", message)

    def test_batch(self):
        """The same number of queries for 7 members and for 207."""
        self.env.company.write({"crm_quiet_hours_start": 21.0, "crm_quiet_hours_end": 8.0})
        notification = self.group_notification()
        queries_small = self._count_preview(notification)
        partners = self.env["res.partner"].create([
            {"name": f"Member {index}", "email": f"m{index}@example.com", "tz": tz}
            for index, tz in enumerate(["Europe/Brussels", "Asia/Tokyo", False, "America/Lima"] * 50)])
        self.group.partner_ids = [Command.link(partner.id) for partner in partners]
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(self._count_preview(notification), queries_small)
        self.assertEqual(notification._crm_preview_recipients()["total"], 207)

    def _count_preview(self, notification):
        """Queries of a preview, caches warm (the second of two runs)."""
        notification._crm_preview_recipients()
        before = self.cr.sql_log_count
        notification._crm_preview_recipients()
        return self.cr.sql_log_count - before

    def test_salesman_cannot_preview_others(self):
        """An own-documents salesman previews their own notification, not a
        colleague's (record rules), and sees only the counts of customers
        they may read."""
        own = self.group_notification(user=self.sal)
        counts = own.with_user(self.sal)._crm_preview_recipients()
        self.assertEqual(counts["total"], 7)
        other = self.group_notification(user=self.sal2)
        with self.assertRaises(AccessError):
            other.with_user(self.sal).action_preview_recipients()


@tagged("post_install", "-at_install")
class TestCustomerMessagesRpc(SecurityRpcCase):
    """Issue 13's entry points through the web client's RPC, as attackers."""

    def test_preview_through_rpc(self):
        """A salesman previews their own draft, not a colleague's."""
        self.login(self.sal)
        result = self.ok(self.call("crm.customer.notification", "action_preview_recipients", [self.draft_sal.id]))
        self.assertEqual(result["tag"], "display_notification")
        self.assert_refused(self.call("crm.customer.notification", "action_preview_recipients",
                                      [self.draft_sal2.id]))

    def test_private_helpers_not_callable(self):
        """Tokens are not minted nor addresses blacklisted through RPC."""
        self.login(self.sal)
        _result, error = self.call("crm.customer.notification", "_crm_unsubscribe_token", self.ana.id,
                                   self.ana.email)
        self.assertIsNotNone(error)
        _result, error = self.call("mail.blacklist", "_crm_unsubscribe", "jean@example.com", self.jean.id)
        self.assertIsNotNone(error)
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "jean@example.com")]))

    def test_send_dates_not_written_by_clients(self):
        """The fan-out date moves with Send only: a salesman cannot make a
        scheduled notification go early."""
        self.login(self.sal)
        self.assert_named_error(self.call("crm.customer.notification", "write", [self.draft_sal.id],
                                          {"fanout_date": "2020-01-01 00:00:00"}), "Fan-out Start")
