# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time
from markupsafe import Markup

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CustomerNotificationCase


@tagged("post_install", "-at_install")
class TestCustomerNotification(CustomerNotificationCase):

    def test_individual_now(self):
        """Sent on validate, rendered for the customer, logged (queued, then
        sent once the mail queue got the SMTP server's answer), then view-only."""
        notification = self.make()
        notification.action_send()
        self.assertEqual(notification.state, "sent")
        delivery = self.deliveries(notification)
        self.assertEqual((delivery.partner_id, delivery.state), (self.ana, "queued"))
        mail = delivery.mail_id
        self.assertEqual(mail.subject, "Hello Ana Lopes")
        self.assertIn("Dear Ana Lopes, your order shipped.", mail.body_html)
        self.assertEqual(mail.recipient_ids, self.ana)
        with self.assertRaisesRegex(UserError, "was sent: duplicate it"):
            notification.name = "Changed"
        notification.with_context(lang="en_US").read(["name", "body", "state"])
        message_id = mail.message_id
        self.env["mail.mail"].process_email_queue()
        self.assertEqual((delivery.state, delivery.message_id), ("sent", message_id))

    def test_individual_in_customer_language(self):
        notification = self.make(partner_id=self.jean.id)
        notification.with_context(lang="fr_FR").write({
            "name": "Bonjour {{ object.name }}",
            "body": Markup('<p>Cher <t t-out="object.name"/>, votre commande est partie.</p>'),
        })
        notification.action_send()
        mail = self.deliveries(notification).mail_id
        self.assertEqual(mail.subject, "Bonjour Jean Dupont")
        self.assertIn("votre commande est partie", mail.body_html)

    def test_individual_scheduled(self):
        with freeze_time("2027-01-01 10:00:00"):
            notification = self.make(timing="scheduled", scheduled_date=datetime(2027, 1, 2, 9, 0))
            notification.action_send()
            self.assertEqual(notification.state, "scheduled")
            self.run_cron()
            self.assertFalse(self.deliveries(notification))
        with freeze_time("2027-01-02 09:00:10"):
            self.run_cron()
        self.assertEqual(notification.state, "sent")
        self.assertEqual(self.deliveries(notification).occurrence_date, datetime(2027, 1, 2, 9, 0))

    def test_group_now_skips_unreachable(self):
        """A group fans out to reachable members; the others are logged skipped with the reason."""
        notification = self.make(kind="group", partner_id=False, group_id=self.group.id)
        notification.action_send()
        self.run_cron()
        self.assertEqual(notification.state, "sent")
        sent = self.deliveries(notification, state="queued")
        self.assertEqual(sent.partner_id, self.ana | self.jean)
        skipped = {d.partner_id: d.reason for d in self.deliveries(notification, state="skipped")}
        self.assertEqual(skipped, {
            self.no_mail: "No e-mail address",
            self.bad_mail: "Invalid e-mail address: not-an-address",
            self.opted_out: "Opted out (e-mail blacklist)",
        })
        self.assertEqual(len(sent.mail_id), 2)

    def test_group_archived_member(self):
        """An archived member is logged skipped, and the send goes on past it."""
        self.ana.active = False
        notification = self.make(kind="group", partner_id=False, group_id=self.group.id)
        notification.action_send()
        self.run_cron()
        self.assertEqual(self.deliveries(notification, partner_id=self.ana.id).reason, "Archived contact")
        self.assertEqual(self.deliveries(notification, state="queued").partner_id, self.jean)
        self.assertEqual(len(self.deliveries(notification)), 5)

    def test_group_scheduled(self):
        with freeze_time("2027-01-01 10:00:00"):
            notification = self.make(kind="group", partner_id=False, group_id=self.group.id,
                                     timing="scheduled", scheduled_date=datetime(2027, 1, 5, 8, 0))
            notification.action_send()
        with freeze_time("2027-01-05 08:00:30"):
            self.run_cron()
        self.assertEqual(len(self.deliveries(notification)), 5)
        self.assertEqual(notification.state, "sent")

    def _recurring(self, rrule_type, start, until, ticks):
        with freeze_time(start):
            notification = self.make(timing="scheduled", scheduled_date=start, recurrency=True,
                                     rrule_type=rrule_type, until=until, tz="UTC")
            notification.action_send()
            self.assertEqual(notification.state, "active")
        for tick in ticks:
            with freeze_time(tick):
                self.run_cron()
        return notification

    def test_recurring_daily(self):
        notification = self._recurring("daily", datetime(2027, 1, 1, 9, 0), date(2027, 1, 3), [
            "2027-01-01 09:00:01", "2027-01-02 09:00:01", "2027-01-03 09:00:01", "2027-01-04 09:00:01"])
        self.assertEqual(sorted(self.deliveries(notification).mapped("occurrence_date")), [
            datetime(2027, 1, 1, 9, 0), datetime(2027, 1, 2, 9, 0), datetime(2027, 1, 3, 9, 0)])
        self.assertEqual(notification.state, "sent")
        self.assertFalse(notification.next_date)

    def test_recurring_weekly(self):
        notification = self._recurring("weekly", datetime(2027, 1, 4, 9, 0), date(2027, 1, 20), [
            "2027-01-04 09:01:00", "2027-01-11 09:01:00", "2027-01-18 09:01:00", "2027-01-25 09:01:00"])
        self.assertEqual(sorted(d.date() for d in self.deliveries(notification).mapped("occurrence_date")), [
            date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)])

    def test_recurring_monthly(self):
        notification = self._recurring("monthly", datetime(2027, 1, 31, 9, 0), date(2027, 4, 15), [
            "2027-01-31 09:01:00", "2027-02-28 09:01:00", "2027-03-31 09:01:00", "2027-04-30 09:01:00"])
        self.assertEqual(sorted(d.date() for d in self.deliveries(notification).mapped("occurrence_date")), [
            date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)])

    def test_deactivate(self):
        notification = self._recurring("daily", datetime(2027, 1, 1, 9, 0), False, ["2027-01-01 09:00:01"])
        notification.action_deactivate()
        self.assertEqual(notification.state, "deactivated")
        with freeze_time("2027-01-05 09:00:01"):
            self.run_cron()
        self.assertEqual(len(self.deliveries(notification)), 1)

    def test_bad_input(self):
        """Past schedule, end before start, empty group, nobody reachable: clear errors, nothing sent."""
        with freeze_time("2027-01-10 10:00:00"):
            past = self.make(timing="scheduled", scheduled_date=datetime(2027, 1, 1, 9, 0))
            with self.assertRaisesRegex(ValidationError, "Send On: the date is in the past"):
                past.action_send()
            self.assertEqual(past.state, "draft")
            with self.assertRaisesRegex(ValidationError, "Until"):
                self.make(timing="scheduled", scheduled_date=datetime(2027, 2, 1, 9, 0), recurrency=True,
                          rrule_type="daily", until=date(2027, 1, 20))
        empty = self.make(kind="group", partner_id=False,
                          group_id=self.env["crm.customer.group"].create({"name": "Empty"}).id)
        with self.assertRaisesRegex(ValidationError, "has no member"):
            empty.action_send()
        unreachable = self.make(kind="group", partner_id=False, group_id=self.env["crm.customer.group"].create({
            "name": "Unreachable", "partner_ids": [Command.set((self.no_mail | self.opted_out).ids)]}).id)
        with self.assertRaisesRegex(ValidationError, "Channel: no recipient"):
            unreachable.action_send()
        self.assertFalse(self.deliveries(past | empty | unreachable))

    def test_required_fields_form(self):
        """Required fields are enforced in the view and by the model."""
        form = Form(self.CN)
        form.name = "Offer"
        form.body = Markup("<p>Hi</p>")
        form.kind = "group"
        with self.assertRaises(AssertionError):
            form.save()  # group_id is required in the view
        form.group_id = self.group
        form.timing = "scheduled"
        with self.assertRaises(AssertionError):
            form.save()  # scheduled_date too
        form.scheduled_date = datetime(2030, 1, 1, 9, 0)
        notification = form.save()
        self.assertEqual(notification.state, "draft")
        with self.assertRaisesRegex(ValidationError, "Customer Group"):
            self.CN.create({"name": "x", "body": "<p>x</p>", "kind": "group"})
        with self.assertRaisesRegex(ValidationError, "Customer:"):
            self.CN.create({"name": "x", "body": "<p>x</p>", "kind": "individual"})


@tagged("post_install", "-at_install")
class TestCustomerNotificationFanOut(CustomerNotificationCase):

    def test_interrupted_group_send(self):
        """A group send of 1,000 interrupted after 300: the re-run delivers
        the 1,000, each once."""
        partners = self.env["res.partner"].create([
            {"name": f"Customer {i}", "email": f"customer{i}@example.com"} for i in range(1000)
        ])
        group = self.env["crm.customer.group"].create({"name": "Thousand", "partner_ids": [Command.set(partners.ids)]})
        notification = self.make(kind="group", partner_id=False, group_id=group.id)
        notification.action_send()
        Notification = type(self.env["crm.customer.notification"])
        original = Notification._deliver_email
        sent = []

        def crash_after_300(records, deliveries):
            if sum(sent) + len(deliveries) > 300:
                raise RuntimeError("worker killed")
            sent.append(len(deliveries))
            return original(records, deliveries)

        with patch.object(Notification, "_chunk_size", 100), \
                patch.object(Notification, "_deliver_email", crash_after_300):
            # three chunks of 100 commit (one cron call each), the fourth dies
            for _i in range(3):
                self.run_cron(chunks=1)
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                self.run_cron(chunks=1)
        self.env.invalidate_all()
        self.assertEqual(len(self.deliveries(notification)), 300)
        self.run_cron(chunks=100)
        deliveries = self.deliveries(notification)
        self.assertEqual(len(deliveries), 1000)
        self.assertEqual(deliveries.partner_id, partners)
        self.assertEqual(len(deliveries.mail_id), 1000)
        self.assertEqual(self.env["mail.mail"].search_count([("model", "=", "crm.customer.notification"),
                                                             ("res_id", "=", notification.id)]), 1000)
        self.assertEqual(notification.state, "sent")
