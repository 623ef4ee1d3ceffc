# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tours of noise control in the bell (static/tests/tours/notification_noise_tour.js),
on a desktop and at 390 px: a notification says why, a resolved one is shown
as such and left out of the counter, "Snooze 1 hour" takes one out of the bell
and the counter, "Mute this rule" stops the rule's next notifications.

The item actions answer with the new list and counter (the bell reloads its
list): these tours do not need the bus, like those of test_ui_phone.py.
"""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .test_ui_phone import phone_viewport

GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads"
USER_A = "crm_notif_noise_a"
USER_B = "crm_notif_noise_b"
USER_C = "crm_notif_noise_c"
# Must match static/tests/tours/notification_noise_tour.js
SNOOZED_NAME = "Noise tour: 6 monitor arms"
MUTED_NAME = "Noise tour: 2 whiteboards"
RESOLVED_NAME = "Noise tour: 9 desk lamps"
AFTER_MUTE_NAME = "Noise tour: 4 filing cabinets"


class _NoiseTourCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_a = new_test_user(cls.env, login=USER_A, password=USER_A, groups=GROUPS, name="Noise User A")
        cls.user_b = new_test_user(cls.env, login=USER_B, password=USER_B, groups=GROUPS, name="Noise User B")
        cls.user_c = new_test_user(cls.env, login=USER_C, password=USER_C, groups=GROUPS, name="Noise User C")
        cls.lead_rule = cls.env.ref("crm_notifications.rule_lead_assigned")
        # the tour mutes it: it must be mutable, whatever the database says
        cls.lead_rule.write({"is_locked": False, "default_mode": "inapp", "cap_per_day": 0})
        cls.Notification = cls.env["crm.notification"].sudo()

    def setUp(self):
        super().setUp()
        # A assigns B three leads, through the real detection; then gives the
        # lamps to C: B's notification about them resolves (after the commit,
        # run here as the noise tests do)
        Lead = self.env["crm.lead"].with_user(self.user_a)
        leads = Lead.create([
            {"name": name, "type": "opportunity", "user_id": self.user_b.id}
            for name in (SNOOZED_NAME, MUTED_NAME, RESOLVED_NAME)
        ])
        self.env.cr.precommit.run()
        leads[2].user_id = self.user_c
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.cr.postcommit.run()
        self.env.invalidate_all()
        self.notifications = self._notifications_of(self.user_b)
        self.assertEqual(sorted(self.notifications.mapped("res_name")),
                         sorted([SNOOZED_NAME, MUTED_NAME, RESOLVED_NAME]))
        self.assertEqual(self.notifications.filtered("is_resolved").mapped("res_name"), [RESOLVED_NAME])
        self.assertEqual(self._unread_count(), 2)
        # what the bell shows as the reason
        self.assertEqual(
            set(self.notifications.with_user(self.user_b).mapped("reason")),
            {"You are the Salesperson of this Lead/Opportunity — rule Lead / opportunity assigned"},
        )

    def _notifications_of(self, user, **domain):
        self.env.invalidate_all()
        return self.Notification.search(
            [("user_id", "=", user.id)] + [(key, "=", value) for key, value in domain.items()])

    def _unread_count(self):
        return self.env["crm.notification"].with_user(self.user_b).get_unread_count()

    def _assert_snoozed_and_muted(self, tour_start):
        """After the tour: the monitor arms snoozed for an hour, out of the
        count; the rule off for B, for B only."""
        snoozed = self.notifications.filtered(lambda n: n.res_name == SNOOZED_NAME)
        muted = self.notifications.filtered(lambda n: n.res_name == MUTED_NAME)
        self.env.invalidate_all()
        self.assertFalse(snoozed.is_read)
        self.assertTrue(snoozed.snoozed_until, "Snooze 1 hour wrote nothing")
        self.assertGreaterEqual(snoozed.snoozed_until, tour_start + timedelta(minutes=59))
        self.assertLessEqual(snoozed.snoozed_until, fields.Datetime.now() + timedelta(minutes=61))
        self.assertFalse(muted.snoozed_until)
        self.assertFalse(muted.is_read, "muting does not mark read")
        self.assertEqual(self._unread_count(), 1, "the whiteboards only: snoozed and resolved are not counted")

        preference = self.env["crm.notification.preference"].sudo().search([("user_id", "=", self.user_b.id)])
        self.assertRecordValues(preference, [{"rule_id": self.lead_rule.id, "mode": "off"}])
        # the rule's next assignments: none for B, C still notified
        self.env["crm.lead"].with_user(self.user_a).create([
            {"name": AFTER_MUTE_NAME, "type": "opportunity", "user_id": user.id}
            for user in (self.user_b, self.user_c)
        ])
        self.env.cr.precommit.run()
        self.assertFalse(self._notifications_of(self.user_b, res_name=AFTER_MUTE_NAME))
        self.assertEqual(len(self._notifications_of(self.user_c, res_name=AFTER_MUTE_NAME)), 1)
        self.assertEqual(self._unread_count(), 1)


@tagged("post_install", "-at_install")
class TestNotificationNoiseUi(_NoiseTourCase):
    def test_noise_bell(self):
        tour_start = fields.Datetime.now()
        self.start_tour("/odoo", "crm_notifications_noise", login=USER_B)
        self._assert_snoozed_and_muted(tour_start)


@tagged("post_install", "-at_install")
class TestNotificationNoisePhoneUi(_NoiseTourCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_noise_bell_phone(self):
        tour_start = fields.Datetime.now()
        with phone_viewport(self):
            self.start_tour("/odoo", "crm_notifications_noise_phone", login=USER_B)
        self._assert_snoozed_and_muted(tour_start)


@tagged("post_install", "-at_install")
class TestNotificationNoiseViews(_NoiseTourCase):
    """The buttons of the notification views (which cannot compute a date)."""

    def test_snooze_preset_buttons(self):
        snoozed = self.notifications.filtered(lambda n: n.res_name == SNOOZED_NAME).with_user(self.user_b)
        presets = snoozed._snooze_presets()
        snoozed.action_snooze_preset("tomorrow")
        self.assertEqual(snoozed.snoozed_until, fields.Datetime.to_datetime(presets["tomorrow"]))
        # without argument (the list's header button): in an hour
        snoozed.action_snooze_preset()
        self.assertAlmostEqual(snoozed.snoozed_until, fields.Datetime.to_datetime(presets["hour"]),
                               delta=timedelta(minutes=1))
        self.assertEqual(self._unread_count(), 1)
        for bad in ("week", ["hour"], None):
            with self.assertRaisesRegex(ValidationError, "Snoozed Until"), self.env.cr.savepoint():
                snoozed.action_snooze_preset(bad)
