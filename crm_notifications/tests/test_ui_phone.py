# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tours of the bell on a phone-sized screen and of "View all" on a desktop
(static/tests/tours/notification_bell_phone_tour.js).

Marking read answers with the new counter (the bell reloads its list): these
tours do not need the bus, unlike the live tour of test_ui.py.
"""

from contextlib import contextmanager
from unittest.mock import patch

from markupsafe import Markup

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads"
USER_A = "crm_notif_phone_a"
USER_B = "crm_notif_phone_b"
LONG_LEAD_NAME = "Tour: 40 height-adjustable standing desks with cable trays for the Antwerp office"
MESSAGE_LEAD_NAME = "Tour: 8 meeting chairs"
MESSAGE_SNIPPET = "Can you call the customer back about the delivery date?"


@contextmanager
def phone_viewport(case):
    """The tours of ``case`` run at its ``browser_size``: headless Chromium
    makes no window narrower than 500 px, so the page's viewport is set to
    the phone's size, as Chromium's device toolbar does."""
    width, height = (int(size) for size in case.browser_size.replace("x", ",").split(","))
    navigate_to = ChromeBrowser.navigate_to

    def navigate_as_phone(browser, url, wait_stop=False):
        browser._websocket_request("Emulation.setDeviceMetricsOverride", params={
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": True,
        })
        return navigate_to(browser, url, wait_stop=wait_stop)

    with patch.object(ChromeBrowser, "navigate_to", navigate_as_phone):
        yield


class _BellTourCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_a = new_test_user(cls.env, login=USER_A, password=USER_A, groups=GROUPS, name="Phone User A")
        cls.user_b = new_test_user(cls.env, login=USER_B, password=USER_B, groups=GROUPS, name="Phone User B")

    def setUp(self):
        super().setUp()
        # B's two notifications, through the real detection: A assigns B a
        # lead with a long name, and posts a message on the lead B created
        self.env["crm.lead"].with_user(self.user_a).create({
            "name": LONG_LEAD_NAME, "type": "opportunity", "user_id": self.user_b.id,
        })
        lead = self.env["crm.lead"].with_user(self.user_b).create({
            "name": MESSAGE_LEAD_NAME, "type": "opportunity", "user_id": self.user_b.id,
        })
        self.env.cr.precommit.run()
        lead.with_user(self.user_a).message_post(
            body=Markup("<p>%s</p>") % MESSAGE_SNIPPET, message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        self.env.cr.precommit.run()
        self.notifications = self.env["crm.notification"].sudo().search([("user_id", "=", self.user_b.id)])
        self.assertEqual(
            sorted(self.notifications.mapped("event")), ["assigned", "message"], self.notifications.mapped("title"),
        )
        self.assertEqual(self.notifications.filtered(lambda n: n.event == "message").body, MESSAGE_SNIPPET)

    def _assert_all_read(self):
        self.env.invalidate_all()
        self.assertTrue(all(self.notifications.mapped("is_read")))
        self.assertEqual(self.env["crm.notification"].with_user(self.user_b).get_unread_count(), 0)


@tagged("post_install", "-at_install")
class TestNotificationBellPhoneUi(_BellTourCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_bell_phone(self):
        with phone_viewport(self):
            self.start_tour("/odoo", "crm_notifications_bell_phone", login=USER_B)
        self._assert_all_read()


@tagged("post_install", "-at_install")
class TestNotificationBellViewAllUi(_BellTourCase):
    def test_bell_view_all(self):
        self.start_tour("/odoo/discuss", "crm_notifications_bell_view_all", login=USER_B)
        self._assert_all_read()
