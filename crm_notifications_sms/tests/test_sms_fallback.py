# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""SMS of customer notifications and reminders (issue 13): held through the
customer's quiet hours (Odoo's SMS queue has no scheduled date), sent once
when they end; by e-mail instead when the number is missing or the SMS
fails; the owner told in-app when neither works."""

from datetime import datetime

from freezegun import freeze_time
from markupsafe import Markup

from odoo import Command
from odoo.tests import tagged

from odoo.addons.crm_notifications.tests.common import CustomerNotificationCase
from odoo.addons.sms.tests.common import SMSCase

from .test_reminder_sms import DUE, ReminderSmsCase


class SmsCustomerCase(CustomerNotificationCase, SMSCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        belgium = cls.env.ref("base.be")
        Partner = cls.env["res.partner"]
        cls.lea = Partner.create({"name": "Lea", "mobile": "0470 11 22 33", "country_id": belgium.id,
                                  "email": "lea@example.com", "tz": "Europe/Brussels"})
        cls.mailonly = Partner.create({"name": "Mail Only", "email": "mailonly@example.com"})
        cls.neither = Partner.create({"name": "Neither"})
        cls.sms_group = cls.env["crm.customer.group"].create({
            "name": "SMS customers", "partner_ids": [Command.set((cls.lea | cls.mailonly | cls.neither).ids)]})
        cls.SMS = cls.env["sms.sms"].sudo()

    def make_sms(self, **values):
        return self.make(**dict({
            "channel": "sms", "kind": "group", "partner_id": False, "group_id": self.sms_group.id,
            "body": Markup('<p>Hi <t t-out="object.name"/>, your parcel left.</p>')}, **values))

    def sms_of(self, deliveries):
        return self.SMS.search([("uuid", "in", deliveries.mapped("sms_uuid"))])

    def owner_notifications(self, user):
        return self.env["crm.notification"].sudo().search([("user_id", "=", user.id),
                                                           ("event", "=", "delivery_failed")])


@tagged("post_install", "-at_install")
class TestCustomerSmsFallback(SmsCustomerCase):

    def test_missing_number_falls_back_to_email(self):
        """No number: the SMS is skipped, the message goes by e-mail
        (rendered, linked to the SMS delivery); no number and no address:
        the sender is told in-app, with both reasons."""
        notification = self.make_sms()
        notification.action_send()
        self.run_cron()
        self.run_cron()
        deliveries = self.deliveries(notification)
        by_key = {(d.partner_id, d.channel): d for d in deliveries}
        self.assertEqual(len(deliveries), 5, "lea by SMS; mailonly and neither on both channels")
        self.assertEqual(by_key[self.lea, "sms"].state, "queued")
        sms_skipped = by_key[self.mailonly, "sms"]
        self.assertEqual(sms_skipped.state, "skipped")
        self.assertEqual(sms_skipped.reason, "No mobile or phone number; sent by e-mail instead")
        fallback = by_key[self.mailonly, "email"]
        self.assertEqual(fallback.fallback_from_id, sms_skipped)
        self.assertEqual(fallback.state, "queued")
        self.assertEqual(fallback.mail_id.subject, "Hello Mail Only")
        self.assertIn("Hi Mail Only, your parcel left.", fallback.mail_id.body_html)
        self.assertEqual(fallback.mail_id.recipient_ids, self.mailonly)
        nobody = by_key[self.neither, "email"]
        self.assertEqual((nobody.state, nobody.reason), ("skipped", "No e-mail address"))
        [told] = self.owner_notifications(self.user_a)
        self.assertEqual((told.res_model, told.res_id), ("crm.notification.delivery", nobody.id))
        self.assertIn("Neither", told.title)
        self.assertIn("SMS: No mobile or phone number", told.body)
        self.assertIn("E-mail: No e-mail address", told.body)
        self.assertIn("reached nobody by SMS or e-mail", told.reason)
        self.assertEqual(len(self.SMS.search([("partner_id", "in", self.sms_group.partner_ids.ids)])), 1)

    def test_sms_failure_falls_back_to_email(self):
        """IAP refuses Lea's SMS: she gets the e-mail instead, once, however
        many times the failure is reported; when that e-mail fails too, the
        sender is told."""
        notification = self.make_sms(kind="individual", group_id=False, partner_id=self.lea.id)
        notification.action_send()
        sms_delivery = self.deliveries(notification)
        with self.mockSMSGateway(sim_error="credit"):
            self.sms_of(sms_delivery).send()
        self.env["crm.notification.delivery"]._update_from_sms(self.sms_of(sms_delivery))
        self.assertEqual(sms_delivery.state, "failed")
        self.assertIn("sent by e-mail instead", sms_delivery.reason)
        fallback = self.deliveries(notification).filtered(lambda d: d.channel == "email")
        self.assertEqual(len(fallback), 1)
        self.assertEqual(fallback.fallback_from_id, sms_delivery)
        self.assertEqual(fallback.mail_id.recipient_ids, self.lea)
        self.assertFalse(self.owner_notifications(self.user_a))
        # the e-mail is refused for good as well
        fallback._mails_failed("mail_email_invalid", "(550, b'5.1.1 Unknown user')")
        [told] = self.owner_notifications(self.user_a)
        self.assertIn("SMS: SMS not sent", told.body)
        self.assertIn("550", told.body)

    def test_sms_held_through_quiet_hours(self):
        """At 22:30 in Brussels Lea's SMS is claimed but held (no sms.sms)
        until 08:00 there; the cron then queues it once, however often it
        runs; the e-mail fallback of the others waits in the mail queue."""
        self.env.company.write({"crm_quiet_hours_start": 21.0, "crm_quiet_hours_end": 8.0})
        self.mailonly.tz = "Europe/Brussels"
        with freeze_time("2027-01-04 21:30:00"):
            notification = self.make_sms()
            notification.action_send()
            self.run_cron()
        held = self.deliveries(notification).filtered(lambda d: d.partner_id == self.lea and d.channel == "sms")
        self.assertEqual(held.deferred_until, datetime(2027, 1, 5, 7, 0))
        self.assertFalse(held.sms_uuid)
        self.assertFalse(self.SMS.search([("partner_id", "=", self.lea.id)]))
        fallback = self.deliveries(notification).filtered(
            lambda d: d.partner_id == self.mailonly and d.channel == "email")
        self.assertEqual(fallback.mail_id.scheduled_date, datetime(2027, 1, 5, 7, 0))
        trigger = self.env["ir.cron.trigger"].search([
            ("cron_id", "=", self.env.ref("crm_notifications.ir_cron_customer_notifications").id),
            ("call_at", "=", datetime(2027, 1, 5, 7, 0))])
        self.assertTrue(trigger, "the cron wakes up when the quiet hours end")
        with freeze_time("2027-01-05 06:59:00"):
            self.run_cron()
        self.assertFalse(self.SMS.search([("partner_id", "=", self.lea.id)]))
        with freeze_time("2027-01-05 07:00:10"):
            self.run_cron()
            self.run_cron()
        self.env.invalidate_all()
        sms = self.SMS.search([("partner_id", "=", self.lea.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn("Hi Lea, your parcel left.", sms.body)
        self.assertEqual(held.sms_uuid, sms.uuid)
        self.assertFalse(held.deferred_until)
        self.assertEqual(held.state, "queued")

    def test_held_sms_of_deactivated_notification(self):
        """Deactivated while its SMS waits: it is never sent."""
        self.env.company.write({"crm_quiet_hours_start": 21.0, "crm_quiet_hours_end": 8.0})
        with freeze_time("2027-01-04 21:30:00"):
            notification = self.make_sms(recurrency=True, rrule_type="daily")
            notification.action_send()
            self.run_cron()
            notification.action_deactivate()
        with freeze_time("2027-01-05 07:00:10"):
            self.run_cron()
        held = self.deliveries(notification).filtered(lambda d: d.partner_id == self.lea and d.channel == "sms")
        self.assertEqual(held.state, "skipped")
        self.assertFalse(self.SMS.search([("partner_id", "=", self.lea.id)]))

    def test_preview_counts_the_fallback(self):
        """The preview counts Mail Only as reached by e-mail, Neither skipped."""
        self.env.company.write({"crm_quiet_hours_start": 0.0, "crm_quiet_hours_end": 0.0})
        counts = self.make_sms()._crm_preview_recipients()
        self.assertEqual(counts["reached"], {"sms": 1, "email": 1})
        self.assertEqual(counts["skipped"]["no_address"], 1)


@tagged("post_install", "-at_install")
class TestReminderSmsFallback(ReminderSmsCase):

    def test_invalid_number_falls_back_to_email(self):
        """A receiver whose number became invalid gets the reminder by
        e-mail; one without an address either is told in-app."""
        reminder = self.make_sms(receivers="supervisors")
        self.sup_north.mobile = "not a number"
        with freeze_time(DUE):
            self.run_cron()
            self.run_cron()
        deliveries = self.deliveries(reminder)
        email = deliveries.filtered(lambda d: d.channel == "email")
        self.assertEqual(email.user_id, self.sup_north)
        self.assertEqual(email.fallback_from_id.channel, "sms")
        self.assertEqual(email.mail_id.recipient_ids, self.sup_north.partner_id)
        self.assertEqual(len(deliveries), 2)

    def test_neither_tells_the_receiver(self):
        reminder = self.make_sms(receivers="supervisors")
        self.sup_north.write({"mobile": "not a number", "email": False})
        with freeze_time(DUE):
            self.run_cron()
        told = self.env["crm.notification"].sudo().search([("user_id", "=", self.sup_north.id),
                                                           ("event", "=", "delivery_failed")])
        self.assertEqual(len(told), 1)
        self.assertIn("No e-mail address", told.body)
        self.assertIn("Renew the contract", told.title)
        self.assertEqual(self.deliveries(reminder).filtered(lambda d: d.channel == "email").state, "skipped")

    def test_email_and_sms_no_double_email(self):
        """By e-mail and SMS, a failed SMS adds no second e-mail."""
        reminder = self.make_sms(channel="email_sms", receivers="supervisors")
        self.sup_north.mobile = "not a number"
        with freeze_time(DUE):
            self.run_cron()
        self.assertEqual(len(self.deliveries(reminder).filtered(lambda d: d.channel == "email")), 1)
