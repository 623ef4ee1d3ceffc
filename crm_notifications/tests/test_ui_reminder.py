# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Browser tour: a reminder supervisor creates a monthly "second Tuesday"
reminder from the customer's form and sees the next five occurrences before
saving (static/tests/tours/customer_reminder_tour.js).

The browser runs on the real clock (freeze_time does not reach it): the tour
activates the reminder on January 1st of next year and checks the preview
against the second Tuesdays it computes itself; this test then checks the
saved rule and its next occurrences from the server's side.
"""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

# Must match crm_notifications/static/tests/tours/customer_reminder_tour.js
SUPERVISOR = "crm_reminder_tour_sup"
CUSTOMER_NAME = "Tour: Hoppe Bikes"
REMINDER_NAME = "Tour: monthly review"


@tagged("post_install", "-at_install")
class TestReminderUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Contact Creation is in Odoo's default user groups: without it the
        # customer's form, hence its Reminders tab, is read-only.
        cls.supervisor = new_test_user(
            cls.env, login=SUPERVISOR, password=SUPERVISOR, name="Tour Supervisor", tz="Europe/Brussels",
            groups="base.group_user,base.group_partner_manager,crm_notifications.group_reminder_supervisor",
        )
        cls.area = cls.env["crm.team"].create({
            "name": "Tour area", "reminder_supervisor_ids": [Command.set(cls.supervisor.ids)],
        })
        cls.customer = cls.env["res.partner"].create({
            "name": CUSTOMER_NAME, "is_company": True, "crm_area_id": cls.area.id,
        })
        cls.Reminder = cls.env["crm.customer.reminder"]

    def test_reminder_second_tuesday(self):
        self.assertFalse(self.Reminder.search([("partner_id", "=", self.customer.id)]))

        self.start_tour(f"/odoo/contacts/{self.customer.id}", "crm_notifications_reminder_second_tuesday",
                        login=SUPERVISOR)

        self.env.invalidate_all()
        reminder = self.Reminder.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(reminder), 1, "the tour saved one reminder on the customer")
        self.assertRecordValues(reminder, [{
            "name": REMINDER_NAME,
            "area_id": self.area.id,
            "tz": "Europe/Brussels",
            "recurrency": True,
            "rrule_type": "monthly",
            "interval": 1,
            "month_by": "day",
            "byday": "2",
            "weekday": "TUE",
            "end_type": "forever",
            "create_uid": self.supervisor.id,
        }])
        self.assertEqual(reminder.activation_date.month, 1)
        self.assertTrue(reminder.next_date)

        # in the reminder's timezone, as the preview shows them ("Tue 2031-01-14 09:00")
        occurrences = [reminder._format_local(date) for date in reminder.get_next_occurrences(5)]
        self.assertEqual(len(occurrences), 5)
        for occurrence in occurrences:
            weekday, day = occurrence.split()[:2]
            self.assertEqual(weekday, "Tue", occurrence)
            self.assertTrue(8 <= int(day[-2:]) <= 14, f"{occurrence} is not a second Tuesday")
        self.assertEqual(reminder.next_occurrences_preview.splitlines(), occurrences)
        # the first occurrence is the second Tuesday of January, the month of the activation
        self.assertEqual(occurrences[0].split()[1][:7], reminder.activation_date.strftime("%Y-%m"))
