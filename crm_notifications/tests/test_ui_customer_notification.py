# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Browser tour: a salesman creates a customer group through the menus, a
group notification scheduled in the future for it, sends it (Scheduled), finds
it again from the list's search bar and deactivates it from its row
(static/tests/tours/customer_notification_tour.js).

The browser runs on the real clock: the tour schedules on January 15th of next
year, so that nothing is ever due while it runs.
"""

from datetime import datetime, timedelta

from freezegun import freeze_time
from markupsafe import Markup

from odoo.tests import HttpCase, new_test_user, tagged

# Must match crm_notifications/static/tests/tours/customer_notification_tour.js
SALESMAN = "crm_cust_notif_tour_salesman"
CUSTOMER_1 = "Tour Customer Ana"
CUSTOMER_2 = "Tour Customer Jean"
GROUP_NAME = "Tour: autumn customers"
TITLE = "Tour: autumn offer"
BODY = "Our autumn offer is out."
OTHER_TITLE = "Tour: other scheduled notification"


@tagged("post_install", "-at_install")
class TestCustomerNotificationUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login=SALESMAN, password=SALESMAN, name="Tour Salesman", tz="UTC",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        Partner = cls.env["res.partner"]
        cls.ana = Partner.create({"name": CUSTOMER_1, "email": "ana.tour@example.com"})
        cls.jean = Partner.create({"name": CUSTOMER_2, "email": "jean.tour@example.com"})
        # another customer and a scheduled notification that the search must hide
        cls.other_customer = Partner.create({"name": "Other Customer", "email": "other@example.com"})
        cls.other = cls.env["crm.customer.notification"].with_user(cls.salesman).create({
            "name": OTHER_TITLE,
            "body": Markup("<p>Another message</p>"),
            "kind": "individual",
            "partner_id": cls.other_customer.id,
            "timing": "scheduled",
            "scheduled_date": datetime(datetime.now().year + 2, 3, 1, 9, 0),
        })
        cls.other.action_send()
        cls.Notification = cls.env["crm.customer.notification"]
        cls.Delivery = cls.env["crm.notification.delivery"]

    def test_group_notification_scheduled_then_deactivated(self):
        self.assertEqual(self.other.state, "scheduled")
        self.assertFalse(self.env["crm.customer.group"].search([("name", "=", GROUP_NAME)]))

        self.start_tour("/odoo", "crm_notifications_customer_notification_group", login=SALESMAN)

        self.env.invalidate_all()
        group = self.env["crm.customer.group"].search([("name", "=", GROUP_NAME)])
        self.assertEqual(len(group), 1, "the tour saved one group")
        self.assertEqual(group.partner_ids, self.ana | self.jean)
        self.assertEqual(group.create_uid, self.salesman)
        self.assertEqual(self.ana.customer_group_ids, group)

        notification = self.Notification.search([("name", "=", TITLE)])
        self.assertEqual(len(notification), 1, "the tour saved one notification")
        self.assertRecordValues(notification, [{
            "kind": "group",
            "group_id": group.id,
            "partner_id": False,
            "channel": "email",
            "timing": "scheduled",
            "recurrency": False,
            "state": "deactivated",
            "next_date": False,
            "create_uid": self.salesman.id,
        }])
        self.assertIn(BODY, notification.body)
        # sent: a start date was set; scheduled in January of next year (UTC user)
        self.assertEqual(notification.scheduled_date, datetime(datetime.now().year + 1, 1, 15, 9, 0))
        self.assertEqual(notification.start_date, notification.scheduled_date)
        self.assertFalse(self.Delivery.search([
            ("res_model", "=", "crm.customer.notification"), ("res_id", "=", notification.id)]))
        # the other notification was only hidden by the search, not touched
        self.assertEqual(self.other.state, "scheduled")
        self.assertTrue(self.other.next_date)

        # deactivated means nothing goes out, even when the date comes
        with freeze_time(notification.scheduled_date + timedelta(minutes=1)):
            self.env.ref("crm_notifications.ir_cron_customer_notifications").method_direct_trigger()
        self.assertFalse(self.Delivery.search([
            ("res_model", "=", "crm.customer.notification"), ("res_id", "=", notification.id)]))
