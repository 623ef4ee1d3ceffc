# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Browser tours of the systray bell.

The live tour needs the bus, which Odoo switches off in tests: websockets are
refused (``WebsocketConnectionHandler.websocket_allowed``) and the test cursor
drops post-commit hooks, among them the ``NOTIFY imbus`` that wakes the
websockets up. Both are patched here, for this class only: websockets are
allowed (as in bus' own ``WebsocketCase``) and every commit of a request's test
cursor wakes the websockets listening on the channels it sent to, which then
read the ``bus.bus`` rows of the shared test transaction as in production.
"""

from unittest.mock import patch

from odoo.sql_db import TestCursor
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.bus.models.bus import dispatch, hashable
from odoo.addons.bus.websocket import WebsocketConnectionHandler

GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads"
USER_A = "crm_notif_tour_a"
USER_B = "crm_notif_tour_b"
LIVE_LEAD_NAME = "Tour: 12 standing desks"
XSS_NAME = "<img src=x onerror=alert(1)>"
MONITORS_NAME = "Tour: 3 monitors"
CHAIRS_NAME = "Tour: 5 chairs"


def _wake_websockets(channels):
    """What the ``imbus`` listener does on a NOTIFY (see ``ImDispatch.loop``)."""
    websockets = set()
    for channel in channels:
        websockets.update(dispatch._channels_to_ws.get(hashable(channel), ()))
    for websocket in websockets:
        websocket.trigger_notification_dispatching()


@tagged("post_install", "-at_install")
class TestNotificationBellUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(
            patch.object(WebsocketConnectionHandler, "websocket_allowed", return_value=True)
        )
        original_commit = TestCursor.commit

        def commit(cursor):
            cursor.flush()  # pre-commit hooks queue the bus channels
            channels = list(cursor.postcommit.data.get("bus.bus.channels") or ())
            original_commit(cursor)  # drops the post-commit hooks
            if channels:
                _wake_websockets(channels)

        cls.startClassPatcher(patch.object(TestCursor, "commit", commit))

        cls.user_a = new_test_user(
            cls.env, login=USER_A, password=USER_A, groups=GROUPS, name="Tour User A"
        )
        cls.user_b = new_test_user(
            cls.env, login=USER_B, password=USER_B, groups=GROUPS, name="Tour User B"
        )
        cls.Notification = cls.env["crm.notification"].sudo()

    def _notifications_of(self, user):
        self.env.invalidate_all()
        return self.Notification.search([("user_id", "=", user.id)])

    def test_bell_live(self):
        lead = self.env["crm.lead"].with_user(self.user_a).create({
            "name": LIVE_LEAD_NAME,
            "type": "opportunity",
            "user_id": False,
        })
        self.env.cr.precommit.run()
        self.assertFalse(lead.user_id)
        self.assertFalse(self._notifications_of(self.user_b))
        self.assertEqual(self.env["crm.notification"].with_user(self.user_b).get_unread_count(), 0)

        self.start_tour("/odoo", "crm_notifications_bell_live", login=USER_B)

        self.env.invalidate_all()
        self.assertEqual(lead.user_id, self.user_b, "the tour assigns the lead to B as A")
        notification = self._notifications_of(self.user_b)
        self.assertEqual(len(notification), 1)
        self.assertRecordValues(notification, [{
            "res_model": "crm.lead",
            "res_id": lead.id,
            "author_id": self.user_a.id,
            "is_read": True,
        }])
        self.assertTrue(notification.read_date)
        self.assertEqual(self.env["crm.notification"].with_user(self.user_b).get_unread_count(), 0)

    def test_bell_mark_read(self):
        # three assignments by A, through the real detection
        self.env["crm.lead"].with_user(self.user_a).create([
            {"name": name, "type": "opportunity", "user_id": self.user_b.id}
            for name in (MONITORS_NAME, CHAIRS_NAME, XSS_NAME)
        ])
        self.env.cr.precommit.run()
        notifications = self._notifications_of(self.user_b)
        self.assertEqual(sorted(notifications.mapped("res_name")), sorted([MONITORS_NAME, CHAIRS_NAME, XSS_NAME]))
        self.assertFalse(any(notifications.mapped("is_read")))

        self.start_tour("/odoo", "crm_notifications_bell_mark_read", login=USER_B)

        notifications = self._notifications_of(self.user_b)
        self.assertEqual(len(notifications), 3)
        self.assertTrue(all(notifications.mapped("is_read")))
        self.assertEqual(self.env["crm.notification"].with_user(self.user_b).get_unread_count(), 0)
