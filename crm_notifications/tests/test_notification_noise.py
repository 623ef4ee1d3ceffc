# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Noise control (issue 12): preferences per user and rule, the reason of
each notification and muting from it, daily caps with an overflow summary,
snooze, self-resolving notifications and expiry."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users

from .common import CrmNotificationCase


class NoiseCase(CrmNotificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_rule = cls.env.ref("crm_notifications.rule_lead_assigned")
        cls.activity_rule = cls.env.ref("crm_notifications.rule_activity_assigned")
        cls.Preference = cls.env["crm.notification.preference"]
        (cls.user_b | cls.user_c).write({"email": "bob@example.com", "tz": "Europe/Brussels"})

    def assign_leads(self, user, count=1, author=None, name="Lead"):
        Lead = self.env["crm.lead"].with_user(author or self.user_a).with_context(tracking_disable=True)
        leads = Lead.create([{"name": f"{name} {i}", "user_id": user.id} for i in range(count)])
        self.flush_notifications()
        return leads

    def resolve_now(self):
        """What runs right after the commit (resolution of notifications
        whose cause went away), in a cursor of its own: here the test's."""
        self.flush_notifications()
        self.registry.enter_test_mode(self.env.cr)
        try:
            self.env.cr.postcommit.run()
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()

    def assert_refused(self, method, *args):
        try:
            with self.env.cr.savepoint():
                method(*args)
        except (AccessError, UserError):
            return
        self.fail(f"{method.__name__}{args} was not refused")

    def unread_count(self, user):
        return self.env["crm.notification"].with_user(user).get_unread_count()


@tagged("post_install", "-at_install")
class TestPreferences(NoiseCase):

    def test_default_mode_applies_without_preference(self):
        self.assign_leads(self.user_b)
        notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id)
        self.assertEqual(len(notification), 1)
        self.assertFalse(notification.is_digest)

    def test_off_produces_nothing(self):
        self.Preference.with_user(self.user_b).create({"rule_id": self.lead_rule.id, "mode": "off"})
        self.assign_leads(self.user_b)
        self.assign_leads(self.user_c)
        self.assertFalse(self.notifications_of(self.user_b, rule_id=self.lead_rule.id))
        self.assertEqual(len(self.notifications_of(self.user_c, rule_id=self.lead_rule.id)), 1)

    def test_rule_default_off_and_user_opt_in(self):
        self.lead_rule.default_mode = "off"
        self.Preference.with_user(self.user_c).create({"rule_id": self.lead_rule.id, "mode": "inapp"})
        self.assign_leads(self.user_b)
        self.assign_leads(self.user_c)
        self.assertFalse(self.notifications_of(self.user_b, rule_id=self.lead_rule.id))
        self.assertEqual(len(self.notifications_of(self.user_c, rule_id=self.lead_rule.id)), 1)

    def test_locked_rule_cannot_be_turned_off(self):
        self.lead_rule.is_locked = True
        with self.assertRaisesRegex(ValidationError, "Mode"), self.env.cr.savepoint():
            self.Preference.with_user(self.user_b).create({"rule_id": self.lead_rule.id, "mode": "off"})
        # an "off" set before the rule was locked no longer silences it
        self.lead_rule.is_locked = False
        self.Preference.with_user(self.user_b).create({"rule_id": self.lead_rule.id, "mode": "off"})
        self.lead_rule.is_locked = True
        self.assign_leads(self.user_b)
        self.assertEqual(len(self.notifications_of(self.user_b, rule_id=self.lead_rule.id)), 1)
        with self.assertRaisesRegex(ValidationError, "Default Delivery"):
            self.lead_rule.default_mode = "off"

    def test_digest_mode_marks_for_the_digest(self):
        self.Preference.with_user(self.user_b).create({"rule_id": self.lead_rule.id, "mode": "digest"})
        self.assign_leads(self.user_b)
        notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id)
        self.assertTrue(notification.is_digest)
        self.assertFalse(notification.is_read, "digest mode keeps the in-app notification")

    def test_email_mode_sends_a_copy_at_once(self):
        self.Preference.with_user(self.user_b).create({"rule_id": self.lead_rule.id, "mode": "email"})
        with self.mock_mail_gateway():
            self.assign_leads(self.user_b, name="Mail me")
        notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id)
        self.assertEqual(len(notification), 1)
        mail = self.env["mail.mail"].sudo().search([("subject", "=", notification.title)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.user_b.partner_id)
        self.assertIn("Mail me 0", mail.body_html)
        self.assertIn(notification.reason, mail.body_html)

    @users("notif_b")
    def test_own_preferences_in_the_preferences_dialog(self):
        """The preferences dialog writes the user's own record: the one2many
        is applied as the user, record rules included."""
        user = self.env.user
        user.write({"crm_notification_preference_ids": [
            Command.create({"rule_id": self.lead_rule.id, "mode": "digest"}),
        ]})
        preference = user.crm_notification_preference_ids
        self.assertEqual((preference.rule_id, preference.mode), (self.lead_rule, "digest"))
        user.write({"crm_notification_preference_ids": [Command.update(preference.id, {"mode": "off"})]})
        self.assertEqual(preference.mode, "off")
        user.write({"crm_notification_preference_ids": [Command.delete(preference.id)]})
        self.assertFalse(preference.exists())

    def test_hostile_preference_commands(self):
        """Through the user's own record, another user's preference can be
        neither changed, moved, deleted nor created."""
        theirs = self.Preference.with_user(self.user_c).create({"rule_id": self.lead_rule.id, "mode": "inapp"})
        me = self.user_b.with_user(self.user_b)
        for commands in (
            [Command.update(theirs.id, {"mode": "off"})],
            [Command.delete(theirs.id)],
            [Command.link(theirs.id)],
            [Command.set([theirs.id])],
        ):
            with self.subTest(commands=commands):
                self.assert_refused(me.write, {"crm_notification_preference_ids": commands})
        # a new line is the writer's own, whatever user it names
        me.write({"crm_notification_preference_ids": [
            Command.create({"rule_id": self.activity_rule.id, "mode": "off", "user_id": self.user_c.id})]})
        self.assertEqual(me.crm_notification_preference_ids.rule_id, self.activity_rule)
        self.assertEqual(theirs.sudo().mode, "inapp")
        self.assertEqual(self.Preference.sudo().search([("user_id", "=", self.user_c.id)]), theirs)
        mine = me.crm_notification_preference_ids
        with self.assertRaises(UserError), self.env.cr.savepoint():
            me.write({"crm_notification_preference_ids": [Command.update(mine.id, {"user_id": self.user_c.id})]})
        with self.assertRaises(AccessError):
            self.Preference.with_user(self.user_b).browse(theirs.id).mode  # noqa: B018
        # another user's record: refused as well
        self.assert_refused(self.user_c.with_user(self.user_b).write, {"crm_notification_preference_ids": [
            Command.create({"rule_id": self.activity_rule.id, "mode": "off"})]})


@tagged("post_install", "-at_install")
class TestReasonAndMute(NoiseCase):

    def test_reason_names_the_role_and_the_rule(self):
        self.assign_leads(self.user_b)
        notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id)
        self.assertEqual(notification.reason_role, "user_id")
        self.assertIn("Salesperson", notification.reason)
        self.assertIn(self.lead_rule.name, notification.reason)
        data = self.env["crm.notification"].with_user(self.user_b).systray_get_notifications()
        item = next(n for n in data["notifications"] if n["id"] == notification.id)
        self.assertEqual(item["reason"], notification.reason)
        self.assertTrue(item["can_mute"])

    def test_reason_of_a_team_note(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_notifications.note_to_team", True)
        lead = self.env["crm.lead"].create({"name": "Team lead", "team_id": self.team.id, "user_id": self.user_b.id})
        self.flush_notifications()
        lead.with_user(self.user_a).message_post(body="Psst", message_type="comment", subtype_xmlid="mail.mt_note")
        self.flush_notifications()
        note = self.notifications_of(self.user_c, event="note")
        self.assertEqual(len(note), 1)
        self.assertIn("team", note.reason)

    def test_activity_reason(self):
        partner = self.env["res.partner"].create({"name": "Reason Co"})
        partner.with_user(self.user_a).activity_schedule("mail.mail_activity_data_todo", user_id=self.user_b.id)
        self.flush_notifications()
        notification = self.notifications_of(self.user_b, rule_id=self.activity_rule.id)
        self.assertIn("activity is assigned to you", notification.reason)

    @users("notif_b")
    def test_mute_from_the_item(self):
        self.assign_leads(self.user_b)
        notification = self.env["crm.notification"].search([("rule_id", "=", self.lead_rule.id)])
        action = notification.action_mute_rule()
        self.assertEqual(action["tag"], "display_notification")
        preference = self.Preference.search([("rule_id", "=", self.lead_rule.id)])
        self.assertEqual(preference.mode, "off")
        self.assign_leads(self.user_b)
        self.assertEqual(len(self.env["crm.notification"].search([("rule_id", "=", self.lead_rule.id)])), 1)
        # undone in the preferences
        preference.unlink()
        self.assign_leads(self.user_b)
        self.assertEqual(len(self.env["crm.notification"].search([("rule_id", "=", self.lead_rule.id)])), 2)

    def test_mute_refused_on_a_locked_rule(self):
        self.lead_rule.is_locked = True
        self.assign_leads(self.user_b)
        notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id).with_user(self.user_b)
        with self.assertRaisesRegex(UserError, "locked"):
            notification.action_mute_rule()
        self.assertFalse(self.Preference.sudo().search([("user_id", "=", self.user_b.id)]))
        item = self.env["crm.notification"].with_user(self.user_b).systray_get_notifications()["notifications"][0]
        self.assertFalse(item["can_mute"])

    def test_mute_someone_elses_notification(self):
        self.assign_leads(self.user_c)
        theirs = self.notifications_of(self.user_c, rule_id=self.lead_rule.id)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_b).action_mute_rule()
        self.assertFalse(self.Preference.sudo().search([]))


@tagged("post_install", "-at_install")
class TestCaps(NoiseCase):

    def test_overflow_summary_past_the_cap(self):
        self.lead_rule.cap_per_day = 3
        with freeze_time("2026-11-30 09:00:00"):
            leads = self.assign_leads(self.user_b, count=10)
            notifications = self.notifications_of(self.user_b, rule_id=self.lead_rule.id)
            self.assertEqual(len(notifications.filtered(lambda n: n.event == "assigned")), 3)
            summary = notifications.filtered(lambda n: n.event == "overflow")
            self.assertEqual(len(summary), 1)
            self.assertEqual(summary.overflow_count, 7)
            self.assertIn("7 more", summary.title)
            self.assertEqual(self.unread_count(self.user_b), 4, "the summary counts once")
            # more later that day: the same summary grows, and is unread again
            summary.with_user(self.user_b).action_mark_read()
            more = self.assign_leads(self.user_b, count=5)
            summary.invalidate_recordset()
            self.assertEqual(summary.overflow_count, 12)
            self.assertIn("12 more", summary.title)
            self.assertFalse(summary.is_read)
            self.assertEqual(len(self.notifications_of(self.user_b, rule_id=self.lead_rule.id)), 4)
            action = summary.with_user(self.user_b).action_open_record()
            self.assertEqual(action["res_model"], "crm.lead")
            opened = self.env["crm.lead"].search(action["domain"])
            self.assertEqual(opened, (leads | more) - leads[:3])
        # the next day (in Brussels), the cap starts over
        with freeze_time("2026-11-30 23:30:00"):
            self.assign_leads(self.user_b, count=2)
        self.assertEqual(len(self.notifications_of(self.user_b, rule_id=self.lead_rule.id, event="assigned")), 5)

    def test_cap_counts_per_user(self):
        self.lead_rule.cap_per_day = 1
        self.assign_leads(self.user_b, count=2)
        self.assign_leads(self.user_c, count=1)
        self.assertEqual(len(self.notifications_of(self.user_c, rule_id=self.lead_rule.id)), 1)
        self.assertEqual(self.notifications_of(self.user_c, rule_id=self.lead_rule.id).event, "assigned")

    def test_cap_bounds(self):
        for bad in (-1, 10**9):
            with self.subTest(cap=bad), self.assertRaisesRegex(ValidationError, "Daily Cap"):
                with self.env.cr.savepoint():
                    self.lead_rule.cap_per_day = bad


@tagged("post_install", "-at_install")
class TestSnooze(NoiseCase):

    def test_snooze_and_come_back(self):
        with freeze_time("2026-11-30 09:00:00"):
            self.assign_leads(self.user_b)
            notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id).with_user(self.user_b)
            self.assertEqual(self.unread_count(self.user_b), 1)
            presets = self.env["crm.notification"].with_user(self.user_b)._snooze_presets()
            # Brussels is UTC+1 in winter: tomorrow 08:00 there is 07:00 UTC
            self.assertEqual(presets["tomorrow"], "2026-12-01 07:00:00")
            self.assertEqual(presets["hour"], "2026-11-30 10:00:00")
            notification.action_snooze(presets["hour"])
            self.assertEqual(self.unread_count(self.user_b), 0)
            listed = self.env["crm.notification"].with_user(self.user_b).systray_get_notifications()
            self.assertNotIn(notification.id, [n["id"] for n in listed["notifications"]])
            self.flush_notifications()
            self.assertEqual(self.bus_counts(self.user_b)[-1], 0)
            trigger = self.env["ir.cron.trigger"].sudo().search(
                [("cron_id", "=", self.env.ref("crm_notifications.ir_cron_notification_unsnooze").id)])
            self.assertIn(datetime(2026, 11, 30, 10), trigger.mapped("call_at"))
        with freeze_time("2026-11-30 10:00:01"):
            self.run_cron_job("crm_notifications.ir_cron_notification_unsnooze")
            self.flush_notifications()
            self.assertEqual(self.unread_count(self.user_b), 1)
            self.assertEqual(self.bus_counts(self.user_b)[-1], 1)
            notification.invalidate_recordset()
            self.assertFalse(notification.snoozed_until)

    def test_snooze_bounds(self):
        self.assign_leads(self.user_b)
        notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id).with_user(self.user_b)
        now = fields.Datetime.now()
        for bad in (now - timedelta(minutes=1), now + timedelta(days=400), "not a date", 12, None):
            with self.subTest(until=bad), self.assertRaisesRegex(ValidationError, "Snoozed Until"):
                with self.env.cr.savepoint():
                    notification.action_snooze(bad)
        with self.assertRaisesRegex(ValidationError, "Snoozed Until"), self.env.cr.savepoint():
            notification.write({"snoozed_until": now + timedelta(days=400)})

    def test_snooze_someone_elses(self):
        self.assign_leads(self.user_c)
        theirs = self.notifications_of(self.user_c, rule_id=self.lead_rule.id)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_b).action_snooze(fields.Datetime.now() + timedelta(hours=1))
        self.assertFalse(theirs.snoozed_until)


@tagged("post_install", "-at_install")
class TestSelfResolving(NoiseCase):

    def test_reassigned_lead_resolves_the_old_assignees_notification(self):
        lead = self.assign_leads(self.user_b)
        self.assertEqual(self.unread_count(self.user_b), 1)
        lead.with_user(self.user_a).user_id = self.user_c
        self.resolve_now()
        old = self.notifications_of(self.user_b, rule_id=self.lead_rule.id)
        self.assertTrue(old.is_resolved)
        self.assertFalse(old.is_read, "resolved is not read")
        self.assertEqual(self.unread_count(self.user_b), 0)
        self.assertEqual(self.bus_counts(self.user_b)[-1], 0)
        new = self.notifications_of(self.user_c, rule_id=self.lead_rule.id)
        self.assertFalse(new.is_resolved)
        self.assertEqual(self.unread_count(self.user_c), 1)

    def test_deleted_lead_resolves(self):
        lead = self.assign_leads(self.user_b)
        lead.sudo().unlink()
        self.resolve_now()
        self.assertTrue(self.notifications_of(self.user_b, rule_id=self.lead_rule.id).is_resolved)
        self.assertEqual(self.unread_count(self.user_b), 0)

    def test_read_notifications_stay_as_they_are(self):
        lead = self.assign_leads(self.user_b)
        notification = self.notifications_of(self.user_b, rule_id=self.lead_rule.id)
        notification.with_user(self.user_b).action_mark_read()
        lead.sudo().unlink()
        self.resolve_now()
        self.assertFalse(notification.is_resolved)

    def test_activity_done_resolves_and_cancels_its_queued_alert(self):
        partner = self.env["res.partner"].create({"name": "Done Co"})
        activity = partner.with_user(self.user_a).activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.user_b.id, date_deadline=fields.Date.today())
        self.flush_notifications()
        assigned = self.notifications_of(self.user_b, rule_id=self.activity_rule.id)
        self.assertEqual(len(assigned), 1)
        # its reminder went out in-app and waits in the mail queue by e-mail
        self.env.company.crm_activity_reminder_hours = 48
        self.env["mail.activity"].sudo()._crm_alerts_send_batch(100)
        reminder = self.notifications_of(self.user_b, event="activity_reminder")
        self.assertEqual(len(reminder), 1)
        Delivery = self.env["crm.notification.delivery"].sudo()
        queued = Delivery.search([("res_model", "=", "mail.activity"), ("res_id", "=", activity.id),
                                  ("channel", "=", "email")])
        self.assertEqual(queued.mail_id.state, "outgoing")
        activity.with_user(self.user_b).action_feedback(feedback="Done")
        self.resolve_now()
        self.assertTrue(assigned.is_resolved)
        self.assertTrue(reminder.is_resolved)
        self.assertEqual(self.unread_count(self.user_b), 0)
        self.assertEqual(queued.state, "skipped")
        self.assertEqual(queued.mail_id.state, "cancel")

    def test_activity_reassigned(self):
        partner = self.env["res.partner"].create({"name": "Moved Co"})
        activity = partner.with_user(self.user_a).activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.user_b.id)
        self.flush_notifications()
        activity.with_user(self.user_a).user_id = self.user_c
        self.resolve_now()
        self.assertTrue(self.notifications_of(self.user_b, rule_id=self.activity_rule.id).is_resolved)
        self.assertFalse(self.notifications_of(self.user_c, rule_id=self.activity_rule.id).is_resolved)

    def test_orphans_resolved_by_the_daily_maintenance(self):
        """A resolution lost (a crash right after the commit, a deletion in
        SQL) is caught up by the expiry cron."""
        lead = self.assign_leads(self.user_b)
        self.env.cr.postcommit.clear()
        self.env.cr.execute("DELETE FROM crm_lead WHERE id = %s", [lead.id])
        self.env.invalidate_all()
        self.run_cron_job("crm_notifications.ir_cron_notification_expire")
        self.flush_notifications()
        self.assertTrue(self.notifications_of(self.user_b, rule_id=self.lead_rule.id).is_resolved)

    def test_resolution_costs_odoo_no_query(self):
        """Resolving is done after the commit: marking an activity done costs
        the transaction no query more than when it has no notification."""
        partner = self.env["res.partner"].create({"name": "Count Co"})
        activities = self.env["mail.activity"]
        for _i in range(3):
            activities |= partner.with_user(self.user_a).activity_schedule(
                "mail.mail_activity_data_todo", user_id=self.user_b.id)
        self.flush_notifications()
        Notification = self.env["crm.notification"].sudo()
        Notification.search([("source_model", "=", "mail.activity"), ("source_id", "=", activities[2].id)]).unlink()
        activities[0].action_feedback(feedback="Warm-up")

        def queries(activity):
            self.flush_notifications()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            activity.action_feedback(feedback="Done")
            self.flush_notifications()
            return self.env.cr.sql_log_count - start

        self.assertEqual(queries(activities[1]), queries(activities[2]))
        pending = Notification.search([("source_model", "=", "mail.activity"), ("source_id", "=", activities[1].id)])
        self.assertFalse(pending.is_resolved, "resolved after the commit, not in the transaction")
        self.resolve_now()
        self.assertTrue(pending.is_resolved)


@tagged("post_install", "-at_install")
class TestExpiry(NoiseCase):

    def test_expiry_removes_old_read_ones_in_batches(self):
        with freeze_time("2026-06-01 09:00:00"):
            self.assign_leads(self.user_b, count=5)
            self.assign_leads(self.user_c, count=2)
            self.notifications_of(self.user_b).with_user(self.user_b).action_mark_read()
        with freeze_time("2026-11-30 09:00:00"):
            fresh = self.assign_leads(self.user_b, count=1)
            self.notifications_of(self.user_b).with_user(self.user_b).action_mark_read()
            self.env["crm.notification"]._cron_expire(batch_size=2)
            self.assertEqual(len(self.notifications_of(self.user_b)), 4, "one batch at a time")
            self.run_cron_job("crm_notifications.ir_cron_notification_expire")
        left = self.notifications_of(self.user_b)
        self.assertEqual(len(left), 1, "the recent read one stays")
        self.assertEqual(left.res_id, fresh.id)
        self.assertEqual(len(self.notifications_of(self.user_c)), 2, "unread ones stay")

    def test_expiry_age_setting(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_notifications.expiry_days", "10")
        with freeze_time("2026-11-15 09:00:00"):
            self.assign_leads(self.user_b)
            self.notifications_of(self.user_b).with_user(self.user_b).action_mark_read()
        with freeze_time("2026-11-30 09:00:00"):
            self.run_cron_job("crm_notifications.ir_cron_notification_expire")
        self.assertFalse(self.notifications_of(self.user_b))
        settings = self.env["res.config.settings"].create({})
        with self.assertRaisesRegex(ValidationError, "Keep read notifications"):
            settings.crm_notification_expiry_days = 0
