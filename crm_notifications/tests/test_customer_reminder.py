# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CustomerReminderCase


@tagged("post_install", "-at_install")
class TestReminderRecurrence(CustomerReminderCase):
    """Each repetition kind, through the model (the maths are tested in tests/test_recurrence.py)."""

    @freeze_time("2027-01-01 00:00:00")
    def test_once(self):
        reminder = self.make()
        self.assertEqual(reminder.get_next_occurrences(5), [datetime(2027, 1, 4, 8, 0)])
        self.assertEqual(reminder.next_date, datetime(2027, 1, 4, 8, 0))

    def test_once_in_the_past_goes_at_once(self):
        """A one-time reminder activated 'now' (the default) is due at once, and sent once."""
        with freeze_time("2027-01-04 08:00:05"):
            reminder = self.make(activation_date=datetime(2027, 1, 4, 8, 0))
            self.assertEqual(reminder.next_date, datetime(2027, 1, 4, 8, 0))
            self.run_cron()
            self.assertFalse(reminder.next_date)
            reminder.write({"activation_date": datetime(2027, 1, 4, 8, 0), "tz": "UTC"})
            self.assertFalse(reminder.next_date, "delivered already: not again")
        self.assertTrue(self.deliveries(reminder))

    @freeze_time("2027-01-01 00:00:00")
    def test_daily_every_two_days_count(self):
        reminder = self.make(recurrency=True, rrule_type="daily", interval=2, end_type="count", count=3)
        self.assertEqual(reminder.get_next_occurrences(5), [
            datetime(2027, 1, 4, 8, 0), datetime(2027, 1, 6, 8, 0), datetime(2027, 1, 8, 8, 0)])

    @freeze_time("2027-03-20 00:00:00")
    def test_weekly_weekdays_across_dst(self):
        """Monday and Thursday at 09:00 Brussels: 08:00 UTC, then 07:00 UTC after the DST change."""
        reminder = self.make(activation_date=datetime(2027, 3, 22, 8, 0), recurrency=True, rrule_type="weekly",
                             mon=True, thu=True)
        self.assertEqual(reminder.get_next_occurrences(4), [
            datetime(2027, 3, 22, 8, 0), datetime(2027, 3, 25, 8, 0),
            datetime(2027, 3, 29, 7, 0), datetime(2027, 4, 1, 7, 0)])

    @freeze_time("2027-01-01 00:00:00")
    def test_monthly_on_the_31st(self):
        reminder = self.make(activation_date=datetime(2027, 1, 31, 8, 0), recurrency=True, rrule_type="monthly",
                             month_by="date", day=31)
        self.assertEqual([d.date() for d in reminder.get_next_occurrences(4)], [
            date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)])

    @freeze_time("2027-01-01 00:00:00")
    def test_monthly_second_tuesday_and_last_friday(self):
        second_tuesday = self.make(recurrency=True, rrule_type="monthly", month_by="day", byday="2", weekday="TUE")
        self.assertEqual([d.date() for d in second_tuesday.get_next_occurrences(3)], [
            date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)])
        last_friday = self.make(recurrency=True, rrule_type="monthly", month_by="day", byday="-1", weekday="FRI")
        self.assertEqual([d.date() for d in last_friday.get_next_occurrences(2)],
                         [date(2027, 1, 29), date(2027, 2, 26)])

    @freeze_time("2027-01-01 00:00:00")
    def test_yearly_until(self):
        reminder = self.make(activation_date=datetime(2028, 2, 29, 8, 0), recurrency=True, rrule_type="yearly",
                             end_type="end_date", until=date(2030, 3, 1))
        self.assertEqual([d.date() for d in reminder.get_next_occurrences(5)], [
            date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28)])

    @freeze_time("2027-01-01 00:00:00")
    def test_form_preview(self):
        """The form previews the next five occurrences before saving."""
        with Form(self.Reminder) as form:
            form.name = "Second Tuesday"
            form.partner_id = self.customer_north
            form.tz = "UTC"
            form.activation_date = datetime(2027, 1, 1, 9, 0)
            form.recurrency = True
            form.rrule_type = "monthly"
            form.month_by = "day"
            form.byday = "2"
            form.weekday = "TUE"
            preview = form.next_occurrences_preview.splitlines()
            self.assertEqual(len(preview), 5)
            self.assertEqual(preview[0], "Tue 2027-01-12 09:00")


@tagged("post_install", "-at_install")
class TestReminderBadInput(CustomerReminderCase):
    """Bad input: a clear error naming the field, nothing saved."""

    def assert_refused(self, field_label, **values):
        count = self.Reminder.search_count([])
        with self.assertRaisesRegex(ValidationError, field_label), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.make(**values)
        self.assertEqual(self.Reminder.search_count([]), count)

    def test_bad_recurrences(self):
        self.assert_refused("(?i)Repeat every", recurrency=True, rrule_type="daily", interval=0)
        self.assert_refused("(?i)Repeat every", recurrency=True, rrule_type="daily", interval=-2)
        self.assert_refused("End date", recurrency=True, rrule_type="daily", end_type="end_date",
                            until=date(2026, 12, 1))
        self.assert_refused("Weekdays", recurrency=True, rrule_type="weekly")
        self.assert_refused("Repetitions", recurrency=True, rrule_type="daily", end_type="count", count=0)

    def test_email_without_address(self):
        self.sup_north.partner_id.email = False
        self.assert_refused("Delivery: e-mail", channel="email", receivers="supervisors")

    def test_nobody_to_receive(self):
        self.assert_refused("Receivers", partner_id=self.env["res.partner"].create({"name": "No area"}).id,
                            receivers="supervisors")

    def test_edit_refused_keeps_record(self):
        reminder = self.make(recurrency=True, rrule_type="daily")
        with self.assertRaisesRegex(ValidationError, "(?i)Repeat every"):
            with self.env.cr.savepoint():
                reminder.interval = 0
        self.assertEqual(reminder.interval, 1)


@tagged("post_install", "-at_install")
class TestReminderDelivery(CustomerReminderCase):

    def test_inapp_to_all_receivers(self):
        """In-app, 'all': the reminder administrators and the area's supervisors, not other areas'."""
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(recurrency=True, rrule_type="daily")
        with freeze_time("2027-01-04 08:00:30"):
            self.run_cron()
        expected = self.admins | self.sup_north
        notifications = self.Notification.search([("res_model", "=", "crm.customer.reminder"),
                                                  ("res_id", "=", reminder.id)])
        self.assertEqual(notifications.user_id, expected)
        self.assertEqual(set(notifications.mapped("event")), {"reminder"})
        self.assertEqual(notifications[0].title, "Reminder: Renew the contract (Nordic Wood)")
        deliveries = self.deliveries(reminder)
        self.assertEqual(len(deliveries), len(expected))
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertEqual(deliveries.notification_id, notifications)
        self.assertEqual(reminder.next_date, datetime(2027, 1, 5, 8, 0))

    def test_receiver_choices(self):
        with freeze_time("2027-01-01 00:00:00"):
            admins_only = self.make(receivers="admins")
            supervisors = self.make(receivers="supervisors", partner_id=self.customer_south.id)
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron()
        self.assertEqual(self.deliveries(admins_only).user_id, self.admins)
        self.assertEqual(self.deliveries(supervisors).user_id, self.sup_south)

    def test_every_supervisor_of_the_area(self):
        other = new_test_user(self.env, "sup_north2", groups="crm_notifications.group_reminder_supervisor")
        self.north.reminder_supervisor_ids = [Command.link(other.id)]
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(receivers="supervisors")
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron()
        self.assertEqual(self.deliveries(reminder).user_id, self.sup_north | other)

    def test_email(self):
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(channel="email", receivers="supervisors", message="Call Jana about the renewal")
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron()
        delivery = self.deliveries(reminder)
        self.assertEqual(delivery.channel, "email")
        mail = delivery.mail_id
        self.assertEqual(mail.recipient_ids, self.sup_north.partner_id)
        self.assertEqual(mail.subject, "Reminder: Renew the contract (Nordic Wood)")
        self.assertIn("Call Jana about the renewal", mail.body_html)
        self.assertEqual(mail.state, "outgoing")

    def test_each_occurrence_once(self):
        """Running the cron again sends nothing more; the next occurrence goes when due."""
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(recurrency=True, rrule_type="daily", receivers="supervisors")
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron()
            self.run_cron()
        self.assertEqual(len(self.deliveries(reminder)), 1)
        with freeze_time("2027-01-05 08:01:00"):
            self.run_cron()
        self.assertEqual(self.deliveries(reminder).mapped("occurrence_date"),
                         [datetime(2027, 1, 5, 8, 0), datetime(2027, 1, 4, 8, 0)])

    def test_crash_and_rerun(self):
        """The cron raises after k sends (in-app done, e-mail raising): the
        batch rolls back; the re-run delivers every occurrence once."""
        with freeze_time("2027-01-01 00:00:00"):
            reminders = self.make(channel="inapp") | self.make(channel="email") | self.make(
                channel="inapp", partner_id=self.customer_south.id)
        Reminder = type(self.Reminder)
        with freeze_time("2027-01-04 08:01:00"):
            # first batch (one reminder) commits: simulated by a plain call
            self.run_cron(batch_size=1)
            self.assertEqual(len(reminders.filtered("next_date")), 2)
            with patch.object(Reminder, "_deliver_email", side_effect=RuntimeError("SMTP queue down")):
                with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                    self.run_cron(batch_size=50)  # directly: the cron runner would wrap the crash
            self.env.invalidate_all()
            self.run_cron()
            self.run_cron()
        for reminder in reminders:
            receivers = reminder._get_receivers()
            deliveries = self.deliveries(reminder)
            self.assertEqual(len(deliveries), len(receivers), reminder.channel)
            self.assertEqual(deliveries.user_id, receivers)
        notifications = self.Notification.search([("res_model", "=", "crm.customer.reminder")])
        self.assertEqual(len(notifications), len(self.deliveries(reminders).filtered(lambda d: d.channel == "inapp")))
        mails = self.env["mail.mail"].search([("model", "=", "crm.customer.reminder")])
        self.assertEqual(len(mails), len(self.deliveries(reminders).filtered(lambda d: d.channel == "email")))

    def test_delete_and_archive_stop_sends(self):
        with freeze_time("2027-01-01 00:00:00"):
            deleted = self.make(recurrency=True, rrule_type="daily")
            archived = self.make(recurrency=True, rrule_type="daily")
        deleted.unlink()
        archived.active = False
        self.assertFalse(archived.next_date)
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron()
        self.assertFalse(self.env["crm.notification.delivery"].search([("res_model", "=", "crm.customer.reminder")]))

    def test_edit_reschedules_from_now(self):
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(recurrency=True, rrule_type="daily")
        with freeze_time("2027-01-10 12:00:00"):
            reminder.write({"rrule_type": "weekly", "mon": True})
            self.assertEqual(reminder.next_date, datetime(2027, 1, 11, 8, 0))


@tagged("post_install", "-at_install")
class TestReminderSecurity(CustomerReminderCase):

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_supervisor_areas(self):
        """A supervisor sees and edits the reminders of their areas only."""
        north = self.make()
        south = self.make(partner_id=self.customer_south.id)
        as_north = self.Reminder.with_user(self.sup_north)
        self.assertEqual(as_north.search([("id", "in", (north | south).ids)]), north)
        with self.assertRaises(AccessError):
            south.with_user(self.sup_north).read(["name"])
        with self.assertRaises(AccessError):
            south.with_user(self.sup_north).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            south.with_user(self.sup_north).unlink()
        with self.assertRaises(AccessError):
            as_north.create({"name": "Not mine", "partner_id": self.customer_south.id,
                             "activation_date": datetime(2027, 1, 4, 8, 0)})
        mine = as_north.create({"name": "Mine", "partner_id": self.customer_north.id,
                                "activation_date": datetime(2027, 1, 4, 8, 0)})
        mine.write({"name": "Still mine"})
        mine.unlink()
        north.with_user(self.sup_north).unlink()

    def test_admin_all(self):
        south = self.make(partner_id=self.customer_south.id)
        south.with_user(self.rem_admin).write({"name": "Edited by admin"})
        self.assertEqual(south.name, "Edited by admin")

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_types(self):
        """Supervisors create types, only administrators delete them."""
        Type = self.env["crm.customer.reminder.type"]
        new_type = Type.with_user(self.sup_north).create({"name": "Seasonal call"})
        with self.assertRaises(AccessError):
            new_type.with_user(self.sup_north).unlink()
        new_type.with_user(self.rem_admin).unlink()
        self.assertFalse(new_type.exists())

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_plain_user_no_access(self):
        with self.assertRaises(AccessError):
            self.Reminder.with_user(self.user_b).search([])
