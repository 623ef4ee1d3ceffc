# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quiet hours and local send times of customer e-mails (issue 13), through
Odoo's real mail queue to the SMTP sink, at frozen times around Brussels'
daylight-saving changes (2027-03-28 and 2027-10-31)."""

from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import email_normalize

from .common import OCCURRENCE, CustomerNotificationCase, ReminderEmailCase
from .smtp_sink import SmtpSinkMixin


class QuietHoursMixin(SmtpSinkMixin):

    def setUp(self):
        super().setUp()
        # the shipped window, in the customer's timezone
        self.env.company.write({"crm_quiet_hours_start": 21.0, "crm_quiet_hours_end": 8.0})

    def process_queue(self, at, model="crm.customer.notification"):
        """Odoo's mail cron at ``at``, limited to ``model``'s mails."""
        self.env.flush_all()
        with freeze_time(at), self.smtp_enabled():
            self.env["mail.mail"].with_context(filters=[("model", "=", model)]).process_email_queue()
        self.env.invalidate_all()

    def received_by(self, address):
        address = email_normalize(address)
        return [received.message for received in self.sink.messages
                if [email_normalize(rcpt) for rcpt in received.rcpt_tos] == [address]]

    def mail_trigger_at(self, at):
        """Whether Odoo's mail queue cron is woken up at ``at``."""
        return bool(self.env["ir.cron.trigger"].search_count([
            ("cron_id", "=", self.env.ref("mail.ir_cron_mail_scheduler_action").id), ("call_at", "=", at)]))


@tagged("post_install", "-at_install")
class TestCustomerQuietHours(QuietHoursMixin, CustomerNotificationCase):

    def send_individual_at(self, at, partner):
        with freeze_time(at):
            notification = self.make(partner_id=partner.id)
            notification.action_send()
        self.env.flush_all()
        return notification, self.deliveries(notification)

    def test_deferred_to_the_end_of_the_window_march_dst(self):
        """22:30 in Brussels on the night the clocks go forward: the mail
        waits in the queue until 08:00 there, 06:00 UTC (summer time), not
        07:00; it is sent once, then never again."""
        self.ana.tz = "Europe/Brussels"
        _notification, delivery = self.send_individual_at("2027-03-27 21:30:00", self.ana)
        self.assertEqual(delivery.state, "queued")
        self.assertEqual(delivery.mail_id.scheduled_date, datetime(2027, 3, 28, 6, 0))
        self.assertIn("2027-03-28 06:00:00 UTC", delivery.reason)
        self.assertTrue(self.mail_trigger_at(datetime(2027, 3, 28, 6, 0)), "the queue wakes up at the end")
        self.process_queue("2027-03-27 21:31:00")
        self.process_queue("2027-03-28 05:59:00")
        self.assertFalse(self.sink.messages, "nothing inside the quiet hours")
        self.process_queue("2027-03-28 06:00:30")
        self.assertEqual(len(self.received_by(self.ana.email)), 1)
        self.assertEqual(delivery.state, "sent")
        self.process_queue("2027-03-28 07:00:00")
        self.assertEqual(len(self.sink.messages), 1, "never sent twice")

    def test_deferred_october_dst(self):
        """22:30 in Brussels the night the clocks go back: 08:00 there is
        07:00 UTC (winter time)."""
        self.ana.tz = "Europe/Brussels"
        _notification, delivery = self.send_individual_at("2027-10-30 20:30:00", self.ana)
        self.assertEqual(delivery.mail_id.scheduled_date, datetime(2027, 10, 31, 7, 0))
        self.process_queue("2027-10-31 06:30:00")
        self.assertFalse(self.sink.messages)
        self.process_queue("2027-10-31 07:00:01")
        self.assertEqual(len(self.received_by(self.ana.email)), 1)

    def test_outside_the_window_at_once(self):
        """13:00 in Brussels: no wait."""
        self.ana.tz = "Europe/Brussels"
        _notification, delivery = self.send_individual_at("2027-01-04 12:00:00", self.ana)
        self.assertFalse(delivery.mail_id.scheduled_date)
        self.assertFalse(delivery.reason)
        self.process_queue("2027-01-04 12:00:10")
        self.assertEqual(len(self.received_by(self.ana.email)), 1)

    def test_customer_timezone_not_sender(self):
        """The customer's clock decides, not the sender's: 23:00 in Brussels
        is 14:00 in Los Angeles, where the customer is."""
        self.user_a.tz = "Europe/Brussels"
        self.ana.tz = "America/Los_Angeles"
        _notification, delivery = self.send_individual_at("2027-01-04 22:00:00", self.ana)
        self.assertFalse(delivery.mail_id.scheduled_date)

    def test_no_timezone_company(self):
        """A customer without a timezone: the company's (its address's)."""
        self.ana.tz = False
        self.env.company.partner_id.tz = "Asia/Tokyo"
        # 13:00 UTC is 22:00 in Tokyo: until 08:00 there, 23:00 UTC
        _notification, delivery = self.send_individual_at("2027-01-04 13:00:00", self.ana)
        self.assertEqual(delivery.mail_id.scheduled_date, datetime(2027, 1, 4, 23, 0))

    def test_no_quiet_hours(self):
        """Same start and end: no quiet hours."""
        self.env.company.write({"crm_quiet_hours_start": 0.0, "crm_quiet_hours_end": 0.0})
        self.ana.tz = "Europe/Brussels"
        _notification, delivery = self.send_individual_at("2027-01-04 23:00:00", self.ana)
        self.assertFalse(delivery.mail_id.scheduled_date)

    def test_settings(self):
        """The window is a company setting (float_time), checked."""
        self.env["res.config.settings"].create({"crm_quiet_hours_start": 22.5, "crm_quiet_hours_end": 7.0}).execute()
        self.assertEqual((self.env.company.crm_quiet_hours_start, self.env.company.crm_quiet_hours_end), (22.5, 7.0))
        with self.assertRaisesRegex(ValidationError, "Quiet hours"):
            self.env.company.crm_quiet_hours_end = 24.0

    def test_group_deferred_exactly_once(self):
        """A group sent at 23:00 in Brussels: each reachable member's mail
        waits for 08:00 in their own timezone; two cron runs claim once;
        each member receives one message."""
        self.ana.tz = "Europe/Brussels"
        self.jean.tz = "America/New_York"  # 17:00 there: at once
        with freeze_time("2027-01-04 22:00:00"):
            notification = self.make(kind="group", partner_id=False, group_id=self.group.id)
            notification.action_send()
            self.run_cron()
            self.run_cron()
        self.env.flush_all()
        mails = {d.partner_id: d.mail_id for d in self.deliveries(notification, state="queued")}
        self.assertEqual(set(mails), {self.ana, self.jean})
        self.assertEqual(mails[self.ana].scheduled_date, datetime(2027, 1, 5, 7, 0))
        self.assertFalse(mails[self.jean].scheduled_date)
        self.process_queue("2027-01-04 22:01:00")
        self.assertEqual(len(self.received_by(self.jean.email)), 1)
        self.assertFalse(self.received_by(self.ana.email))
        self.process_queue("2027-01-05 07:00:30")
        self.process_queue("2027-01-05 08:00:00")
        self.assertEqual(len(self.received_by(self.ana.email)), 1)
        self.assertEqual(len(self.sink.messages), 2)
        self.assertEqual(len(self.deliveries(notification)), 5, "one row per member")

    def test_deactivate_cancels_waiting(self):
        """Deactivating a recurring notification takes its waiting mails out
        of the queue: nothing leaves after the deactivation."""
        self.ana.tz = "Europe/Brussels"
        with freeze_time("2027-01-04 22:00:00"):
            notification = self.make(recurrency=True, rrule_type="daily")
            notification.action_send()
            delivery = self.deliveries(notification)
            self.assertTrue(delivery.mail_id.scheduled_date)
            notification.action_deactivate()
        self.assertEqual(delivery.state, "skipped")
        self.process_queue("2027-01-05 08:00:00")
        self.assertFalse(self.sink.messages)


@tagged("post_install", "-at_install")
class TestCustomerLocalTime(QuietHoursMixin, CustomerNotificationCase):
    """Sent at each customer's local time: 09:00 in Brussels is 09:00 in
    New York and in Tokyo too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ana.tz = "Europe/Brussels"
        cls.jean.tz = "America/New_York"
        cls.kenji = cls.env["res.partner"].create({"name": "Kenji", "email": "kenji@example.com",
                                                   "tz": "Asia/Tokyo"})
        cls.nobody_tz = cls.env["res.partner"].create({"name": "No Zone", "email": "nozone@example.com"})
        cls.world = cls.env["crm.customer.group"].create({
            "name": "World", "partner_ids": [Command.set((cls.ana | cls.jean | cls.kenji | cls.nobody_tz).ids)]})

    def test_local_time_fan_out(self):
        """The fan-out starts when the first clock on Earth shows 09:00 (UTC+14),
        each mail waits for its customer's 09:00; the customer without a
        timezone gets the company's; the cron run twice claims once."""
        self.env.company.partner_id.tz = "Europe/Lisbon"
        with freeze_time("2027-01-01 00:00:00"):
            notification = self.make(kind="group", partner_id=False, group_id=self.world.id, timing="scheduled",
                                     scheduled_date=datetime(2027, 1, 4, 8, 0), tz="Europe/Brussels",
                                     local_send_time=True)
            notification.action_send()
        # 09:00 Brussels on the 4th: 19:00 UTC on the 3rd is 09:00 at UTC+14
        self.assertEqual(notification.fanout_date, datetime(2027, 1, 3, 19, 0))
        with freeze_time("2027-01-03 18:59:00"):
            self.run_cron()
        self.assertFalse(self.deliveries(notification), "not yet")
        with freeze_time("2027-01-03 19:00:00"):
            self.run_cron()
            self.run_cron()
        self.env.flush_all()
        mails = {d.partner_id: d.mail_id for d in self.deliveries(notification)}
        self.assertEqual({partner.name: mail.scheduled_date for partner, mail in mails.items()}, {
            "Ana Lopes": datetime(2027, 1, 4, 8, 0),
            "Jean Dupont": datetime(2027, 1, 4, 14, 0),
            "Kenji": datetime(2027, 1, 4, 0, 0),
            "No Zone": datetime(2027, 1, 4, 9, 0),
        })
        self.assertEqual(notification.state, "sent")
        self.process_queue("2027-01-04 00:00:30")
        self.assertEqual([email_normalize(r.rcpt_tos[0]) for r in self.sink.messages], ["kenji@example.com"])
        for at in ("2027-01-04 08:00:30", "2027-01-04 09:00:30", "2027-01-04 14:00:30", "2027-01-05 00:00:00"):
            self.process_queue(at)
        self.assertEqual(sorted(email_normalize(r.rcpt_tos[0]) for r in self.sink.messages),
                         ["ana@example.com", "jean@example.com", "kenji@example.com", "nozone@example.com"])

    def test_local_time_then_quiet_hours(self):
        """A local time inside the quiet hours (22:00) is deferred to their end."""
        with freeze_time("2027-01-01 00:00:00"):
            notification = self.make(partner_id=self.ana.id, timing="scheduled",
                                     scheduled_date=datetime(2027, 1, 4, 21, 0), tz="Europe/Brussels",
                                     local_send_time=True)
            notification.action_send()
        with freeze_time("2027-01-04 21:00:00"):
            self.run_cron()
        self.assertEqual(self.deliveries(notification).mail_id.scheduled_date, datetime(2027, 1, 5, 7, 0))

    def test_local_time_needs_a_schedule(self):
        with self.assertRaisesRegex(ValidationError, "Local Time"):
            self.make(local_send_time=True)


@tagged("post_install", "-at_install")
class TestReminderQuietHours(QuietHoursMixin, ReminderEmailCase):

    def test_receiver_quiet_hours(self):
        """A reminder due at 09:01 in Brussels reaches a receiver in Los
        Angeles (00:01 there) at 08:00 their time; the others at once."""
        self.sup_north.tz = "America/Los_Angeles"
        for admin in self.admins:
            admin.tz = "Europe/Brussels"
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        late = deliveries.filtered(lambda d: d.user_id == self.sup_north)
        self.assertEqual(late.mail_id.scheduled_date, datetime(2027, 1, 4, 16, 0))
        self.assertFalse(any((deliveries - late).mail_id.mapped("scheduled_date")))
        self.process_queue("2027-01-04 08:02:00", model="crm.customer.reminder")
        self.assertFalse(self.received_by(self.sup_north.email))
        self.assertEqual(len(self.sink.messages), len(deliveries) - 1)
        self.process_queue("2027-01-04 16:00:30", model="crm.customer.reminder")
        self.assertEqual(len(self.received_by(self.sup_north.email)), 1)
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertEqual(OCCURRENCE, late.occurrence_date)
