# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_notifications.tests.common import CustomerReminderCase
from odoo.addons.sms.tests.common import SMSCase

DUE = "2027-01-04 08:01:00"


class ReminderSmsCase(CustomerReminderCase, SMSCase):
    """Receivers with numbers, customers in Belgium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.belgium = cls.env.ref("base.be")
        cls.customer_north.country_id = cls.belgium
        cls.customer_south.country_id = cls.belgium
        cls.sup_north.mobile = "0470 12 34 56"
        cls.sup_south.write({"mobile": False, "phone": "+32 2 555 12 12"})
        for index, admin in enumerate(cls.admins):
            admin.write({"mobile": f"+32 475 00 00 {index:02d}", "email": admin.email or f"admin{index}@example.com"})
        cls.SMS = cls.env["sms.sms"].sudo()

    def make_sms(self, **values):
        with freeze_time("2027-01-01 00:00:00"):
            return self.make(**dict({"channel": "sms", "receivers": "supervisors",
                                     "message": "Call Jana about the renewal"}, **values))

    def sms_of(self, deliveries):
        return self.SMS.search([("uuid", "in", deliveries.mapped("sms_uuid"))])


@tagged("post_install", "-at_install")
class TestReminderSms(ReminderSmsCase):
    """Reminders by SMS: numbers normalised with the customer's country,
    ``sms.sms`` queued and linked to the delivery log, IAP failures reported."""

    def test_sms_channel(self):
        """One queued sms.sms per receiver, E.164 with the customer's country."""
        reminder = self.make_sms()
        with freeze_time(DUE):
            self.run_cron()
        delivery = self.deliveries(reminder)
        self.assertRecordValues(delivery, [{"channel": "sms", "state": "queued", "user_id": self.sup_north.id}])
        sms = self.sms_of(delivery)
        self.assertEqual(len(sms), 1)
        self.assertRecordValues(sms, [{"number": "+32470123456", "partner_id": self.sup_north.partner_id.id,
                                       "state": "outgoing"}])
        self.assertEqual(sms.body, "Renew the contract (Nordic Wood): Call Jana about the renewal")

    def test_phone_when_no_mobile_and_company_country(self):
        """The phone is used without mobile; a customer without country
        falls back on the company's country."""
        self.customer_south.country_id = False
        self.env.company.country_id = self.belgium
        self.sup_south.phone = "02 555 12 12"
        reminder = self.make_sms(partner_id=self.customer_south.id)
        with freeze_time(DUE):
            self.run_cron()
        self.assertEqual(self.sms_of(self.deliveries(reminder)).number, "+3225551212")

    def test_email_sms(self):
        """E-mail and SMS: two deliveries per receiver, one mail and one SMS."""
        reminder = self.make_sms(channel="email_sms", receivers="all")
        with freeze_time(DUE):
            self.run_cron()
        deliveries = self.deliveries(reminder)
        receivers = reminder._get_receivers()
        self.assertEqual(len(receivers), len(self.admins) + 1)
        self.assertEqual(len(deliveries), 2 * len(receivers))
        for user in receivers:
            mine = deliveries.filtered(lambda d, user=user: d.user_id == user)
            self.assertEqual(sorted(mine.mapped("channel")), ["email", "sms"])
            email = mine.filtered(lambda d: d.channel == "email")
            self.assertEqual(email.mail_id.recipient_ids, user.partner_id)
            sms = self.sms_of(mine.filtered(lambda d: d.channel == "sms"))
            self.assertEqual(sms.partner_id, user.partner_id)
            self.assertEqual(sms.number, reminder._sms_number(user))
        self.assertEqual(set(deliveries.mapped("state")), {"queued"})

    def test_missing_number_refused(self):
        self.sup_north.write({"mobile": False, "phone": False})
        count = self.Reminder.search_count([])
        with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
            self.make_sms()
        message = str(caught.exception.args[0])
        self.assertTrue(message.startswith("Delivery: SMS"), message)
        self.assertIn("Nora North", message)
        self.assertEqual(self.Reminder.search_count([]), count)

    def test_invalid_number_refused(self):
        """An invalid number is refused at creation and when switching an
        existing reminder to SMS; nothing is saved."""
        self.sup_north.mobile = "12"
        with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
            self.make_sms(name="Never saved")
        self.assertTrue(str(caught.exception.args[0]).startswith("Delivery: SMS"))
        self.assertIn("Nora North", str(caught.exception.args[0]))
        self.assertFalse(self.Reminder.search([("name", "=", "Never saved")]))
        reminder = self.make_sms(channel="inapp")
        with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
            reminder.channel = "email_sms"
            reminder.flush_recordset()
        self.assertIn("Nora North", str(caught.exception.args[0]))
        reminder.invalidate_recordset()
        self.assertEqual(reminder.channel, "inapp")

    def test_number_invalid_after_save(self):
        """The receiver's number became invalid: their delivery fails with a
        reason (and the reminder goes by e-mail instead, see
        test_sms_fallback.py), the others get their SMS, the cron goes on."""
        reminder = self.make_sms(receivers="all")
        self.sup_north.mobile = "not a number"
        with freeze_time(DUE):
            self.run_cron()
        deliveries = self.deliveries(reminder).filtered(lambda d: d.channel == "sms")
        failed = deliveries.filtered(lambda d: d.state == "failed")
        self.assertEqual(failed.user_id, self.sup_north)
        self.assertIn("Nora North has no valid mobile or phone number", failed.reason)
        self.assertFalse(failed.sms_uuid)
        sent = deliveries - failed
        self.assertEqual(sent.user_id, self.admins)
        self.assertEqual(len(self.sms_of(sent)), len(self.admins))
        self.assertEqual(reminder.next_date, False)

    def test_send_through_iap(self):
        """The queue's send reaches IAP (Odoo's SMS gateway mock): the delivery
        turns from queued to sent."""
        reminder = self.make_sms()
        with freeze_time(DUE):
            self.run_cron()
        delivery = self.deliveries(reminder)
        with self.mockSMSGateway():
            self.SMS.search([("uuid", "=", delivery.sms_uuid)]).send()
        self.assertSMSIapSent(["+32470123456"], content="Call Jana about the renewal")
        self.assertEqual(self.sms_of(delivery).state, "pending")
        self.assertRecordValues(delivery, [{"state": "sent", "reason": False}])

    def test_queue_cron(self):
        """Odoo's SMS queue (its cron's code) sends them."""
        reminder = self.make_sms(receivers="all")
        with freeze_time(DUE):
            self.run_cron()
        deliveries = self.deliveries(reminder)
        with self.mockSMSGateway():
            self.SMS._process_queue()
        self.assertSMSIapSent(self.sms_of(deliveries).mapped("number"))
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})

    def test_iap_failure(self):
        """IAP refuses: the delivery becomes failed with the failure type;
        another reminder's sent SMS stays sent; a successful resend puts the
        delivery back to sent."""
        failing = self.make_sms()
        fine = self.make_sms(partner_id=self.customer_south.id)
        with freeze_time(DUE):
            self.run_cron()
        failing_delivery, fine_delivery = self.deliveries(failing), self.deliveries(fine)
        with self.mockSMSGateway():
            self.sms_of(fine_delivery).send()
        with self.mockSMSGateway(sim_error="credit"):
            self.sms_of(failing_delivery).send()
        self.assertEqual(self.sms_of(failing_delivery).failure_type, "sms_credit")
        # the receiver gets the reminder by e-mail instead (test_sms_fallback.py)
        self.assertRecordValues(failing_delivery, [{
            "state": "failed",
            "reason": "SMS not sent: Insufficient Credit (sms_credit); sent by e-mail instead"}])
        self.assertRecordValues(fine_delivery, [{"state": "sent", "reason": False}])
        with self.mockSMSGateway():
            self.sms_of(failing_delivery).resend_failed()
        self.assertRecordValues(failing_delivery, [{"state": "sent", "reason": False}])

    def test_iap_wrong_number_format(self):
        reminder = self.make_sms()
        with freeze_time(DUE):
            self.run_cron()
        delivery = self.deliveries(reminder)
        with self.mockSMSGateway(sim_error="wrong_number_format"):
            self.SMS._process_queue()
        self.assertEqual(delivery.state, "failed")
        self.assertIn("sms_number_format", delivery.reason)

    def test_cron_twice(self):
        """Running the cron twice queues one SMS."""
        reminder = self.make_sms()
        with freeze_time(DUE):
            self.run_cron()
            self.run_cron()
        deliveries = self.deliveries(reminder)
        self.assertEqual(len(deliveries), 1)
        self.assertEqual(self.SMS.search_count([("partner_id", "=", self.sup_north.partner_id.id)]), 1)
        self.assertEqual(deliveries.occurrence_date, datetime(2027, 1, 4, 8, 0))


@tagged("post_install", "-at_install")
class TestReminderSmsReports(HttpCase, ReminderSmsCase):
    """Delivery reports IAP posts to /sms/status later."""

    def test_not_delivered_report(self):
        failing = self.make_sms()
        fine = self.make_sms(partner_id=self.customer_south.id)
        with freeze_time(DUE):
            self.run_cron()
        failing_delivery, fine_delivery = self.deliveries(failing), self.deliveries(fine)
        with self.mockSMSGateway():
            self.SMS._process_queue()
        self.assertEqual(set((failing_delivery | fine_delivery).mapped("state")), {"sent"})
        self.make_jsonrpc_request("/sms/status", {"message_statuses": [
            {"sms_status": "delivered", "uuids": [fine_delivery.sms_uuid]},
            {"sms_status": "not_delivered", "uuids": [failing_delivery.sms_uuid]},
        ]})
        (failing_delivery | fine_delivery).invalidate_recordset()
        self.assertRecordValues(failing_delivery, [{"state": "failed"}])
        self.assertIn("not_delivered", failing_delivery.reason)
        self.assertRecordValues(fine_delivery, [{"state": "sent", "reason": False}])
