# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmNotificationCase

OCCURRENCE = datetime(2025, 3, 10, 8, 30)


class SimulatedCrash(Exception):
    pass


@tagged("post_install", "-at_install")
class TestNotificationDelivery(CrmNotificationCase):
    """The delivery log never lets the same occurrence reach the same
    recipient twice on the same channel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Delivery = cls.env["crm.notification.delivery"]
        cls.customer = cls.env["res.partner"].create({"name": "Dora Customer", "email": "dora@example.com"})
        cls.lead = cls.env["crm.lead"].create({"name": "Delivery lead", "partner_id": cls.customer.id})

    def values(self, **overrides):
        values = {
            "res_model": "crm.lead",
            "res_id": self.lead.id,
            "partner_id": self.customer.id,
            "channel": "email",
            "occurrence_date": OCCURRENCE,
        }
        values.update(overrides)
        return values

    def deliveries(self, **filters):
        domain = [("res_model", "=", "crm.lead"), ("res_id", "=", self.lead.id)]
        domain += [(key, "=", value) for key, value in filters.items()]
        return self.Delivery.search(domain)

    def test_claim_inserts_and_returns_rows(self):
        claimed = self.Delivery._claim([
            self.values(),
            self.values(partner_id=self.user_b.partner_id.id, user_id=self.user_b.id, channel="inapp"),
        ])
        self.assertEqual(len(claimed), 2)
        self.assertEqual(claimed, self.deliveries())
        email = claimed.filtered(lambda d: d.channel == "email")
        self.assertRecordValues(email, [{
            "res_model": "crm.lead",
            "res_id": self.lead.id,
            "res_name": "Delivery lead",
            "partner_id": self.customer.id,
            "user_id": False,
            "occurrence_date": OCCURRENCE,
            "state": "queued",
            "reason": False,
        }])
        self.assertTrue(email.date)
        self.assertEqual(claimed.filtered(lambda d: d.channel == "inapp").user_id, self.user_b)

    def test_claim_twice_returns_nothing(self):
        self.assertEqual(len(self.Delivery._claim([self.values()])), 1)
        self.assertFalse(self.Delivery._claim([self.values()]))
        # a string occurrence is the same occurrence
        self.assertFalse(self.Delivery._claim([self.values(occurrence_date="2025-03-10 08:30:00")]))
        self.assertEqual(len(self.deliveries()), 1)

    def test_duplicates_inside_one_batch(self):
        claimed = self.Delivery._claim([self.values(), self.values(state="failed", reason="second")])
        self.assertEqual(len(claimed), 1)
        self.assertEqual(claimed.state, "queued")

    def test_mixed_batch_returns_only_new_rows(self):
        first = self.Delivery._claim([self.values()])
        other = self.env["res.partner"].create({"name": "Otto Other"})
        claimed = self.Delivery._claim([self.values(), self.values(partner_id=other.id)])
        self.assertEqual(claimed.partner_id, other)
        self.assertEqual(self.deliveries(), first | claimed)

    def test_other_channel_or_occurrence_is_a_new_row(self):
        self.Delivery._claim([self.values()])
        claimed = self.Delivery._claim([
            self.values(channel="sms"),
            self.values(channel="inapp"),
            self.values(occurrence_date=OCCURRENCE + timedelta(days=1)),
            self.values(occurrence_date=OCCURRENCE + timedelta(seconds=1)),
        ])
        self.assertEqual(len(claimed), 4)
        self.assertEqual(len(self.deliveries()), 5)

    def test_other_source_is_a_new_row(self):
        self.Delivery._claim([self.values()])
        other_lead = self.env["crm.lead"].create({"name": "Other lead"})
        self.assertEqual(len(self.Delivery._claim([self.values(res_id=other_lead.id)])), 1)
        self.assertEqual(len(self.Delivery._claim([self.values(res_model="res.partner", res_id=self.lead.id)])), 1)

    def test_unique_constraint_holds_for_orm_create(self):
        self.Delivery._claim([self.values()])
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.Delivery.create(self.values(state="failed"))
            self.env.flush_all()
        self.assertEqual(len(self.deliveries()), 1)

    def test_claim_sees_orm_created_rows(self):
        self.Delivery.create(self.values())
        self.assertFalse(self.Delivery._claim([self.values()]))
        self.assertEqual(len(self.deliveries()), 1)

    def test_log_skipped(self):
        skipped = self.Delivery._log_skipped([self.values(reason="No e-mail address")])
        self.assertRecordValues(skipped, [{"state": "skipped", "reason": "No e-mail address"}])
        # a skipped occurrence is never sent later on that channel, and is logged once
        self.assertFalse(self.Delivery._claim([self.values()]))
        self.assertFalse(self.Delivery._log_skipped([self.values(reason="again")]))
        self.assertEqual(self.deliveries().reason, "No e-mail address")

    def test_caller_marks_failed_sends(self):
        claimed = self.Delivery._claim([self.values()])
        claimed.write({"state": "failed", "reason": "Mail server unreachable"})
        self.assertRecordValues(self.deliveries(), [{"state": "failed", "reason": "Mail server unreachable"}])

    def test_links_to_sends(self):
        mail = self.env["mail.mail"].create({"subject": "Reminder", "email_to": "dora@example.com"})
        claimed = self.Delivery._claim([self.values(mail_id=mail.id, res_name="Given name")])
        self.assertEqual(claimed.mail_id, mail)
        self.assertEqual(claimed.res_name, "Given name")
        mail.unlink()
        self.assertFalse(claimed.mail_id)
        self.assertTrue(claimed.exists())

    def test_recipient_deleted_cascades(self):
        other = self.env["res.partner"].create({"name": "Gone Soon"})
        claimed = self.Delivery._claim([self.values(partner_id=other.id)])
        other.unlink()
        self.assertFalse(claimed.exists())

    def test_unknown_channel_or_state_is_refused(self):
        with self.assertRaises(ValueError):
            self.Delivery._claim([self.values(channel="fax")])
        with self.assertRaises(ValueError):
            self.Delivery._claim([self.values(state="done")])
        self.assertFalse(self.deliveries())

    def test_access(self):
        """Read-only for everybody: a delivery is read by its recipient (here
        B), written by nobody."""
        claimed = self.Delivery._claim([self.values(user_id=self.user_b.id)])
        self.assertEqual(claimed.with_user(self.user_b).state, "queued")
        with self.assertRaises(AccessError):
            claimed.with_user(self.user_c).state  # noqa: B018 - reading is what is refused
        with self.assertRaises(AccessError):
            self.Delivery.with_user(self.user_b).create(self.values(channel="sms"))
        with self.assertRaises(AccessError):
            claimed.with_user(self.user_b).write({"state": "failed"})

    def test_crash_before_commit_rolls_back_claim_and_send(self):
        """A cron killed between the claim and the commit leaves neither the
        claim nor the queued send: the re-run sends, once."""
        with self.assertRaises(SimulatedCrash), self.env.cr.savepoint():
            claimed = self.Delivery._claim([self.values()])
            mail = self.env["mail.mail"].create({"subject": "Crash reminder", "email_to": "dora@example.com"})
            claimed.mail_id = mail
            self.env.flush_all()
            raise SimulatedCrash()
        self.assertFalse(self.deliveries())
        self.assertFalse(self.env["mail.mail"].search([("subject", "=", "Crash reminder")]))
        self.assertEqual(len(self.Delivery._claim([self.values()])), 1)
        self.assertFalse(self.Delivery._claim([self.values()]))

    def test_claiming_1000_rows_is_one_query(self):
        values_list = [
            self.values(occurrence_date=OCCURRENCE + timedelta(hours=i), res_name="Delivery lead",
                        company_id=self.env.company.id)
            for i in range(1000)
        ]
        with self.assertQueryCount(1):
            claimed = self.Delivery._claim(values_list)
        self.assertEqual(len(claimed), 1000)
        with self.assertQueryCount(1):
            self.assertFalse(self.Delivery._claim(values_list))
