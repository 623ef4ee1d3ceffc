# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The daily digest (issue 12): one e-mail a day at each user's digest hour
in their timezone, listing their digest-mode notifications still unread
since the previous digest; through Odoo's real mail queue to a real SMTP
server (``smtp_sink``), exactly once across re-runs and crashes."""

from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import sql_db
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import email_normalize, mute_logger

from ..models.crm_notification_delivery import ADVISORY_LOCK_NAMESPACE
from ..models.crm_notification_digest import DIGEST_SENDER
from .common import SALES_GROUPS, CrmNotificationCase
from .smtp_sink import SmtpSinkMixin

CRON = "crm_notifications.ir_cron_notification_digest"
# Monday 2027-01-04: 08:00 is 07:00 UTC in Brussels, 13:00 UTC in New York
BRUSSELS_8 = datetime(2027, 1, 4, 7, 0)
NEW_YORK_8 = datetime(2027, 1, 4, 13, 0)


class DigestCase(SmtpSinkMixin, CrmNotificationCase):
    """Bob (Brussels) and Nina (New York) hear of their leads in "digest"
    mode; Alice (``user_a``) assigns the leads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_notrack=True))
        cls.rule = cls.env.ref("crm_notifications.rule_lead_assigned")
        cls.bob = cls.digest_user("digest_bob", "Bob Brussels", "Europe/Brussels")
        cls.nina = cls.digest_user("digest_nina", "Nina New York", "America/New_York")
        cls.Delivery = cls.env["crm.notification.delivery"].sudo()
        # the database's own digest notifications (if any) are not this test's
        cls.env.flush_all()
        cls.env.cr.execute("UPDATE crm_notification SET is_read = TRUE WHERE is_digest")
        cls.env.invalidate_all()

    @classmethod
    def digest_user(cls, login, name, tz, email=True, **values):
        user = new_test_user(cls.env, login, groups=SALES_GROUPS, name=name, tz=tz,
                             email=f"{login}@example.com" if email else False, **values)
        cls.env["crm.notification.preference"].create({"user_id": user.id, "rule_id": cls.rule.id, "mode": "digest"})
        return user

    def assign(self, user, name, at):
        """A lead ``name`` assigned to ``user`` by Alice at ``at`` (UTC):
        its notification, dated ``at``."""
        with freeze_time(at):
            lead = self.env["crm.lead"].with_user(self.user_a).create({"name": name, "user_id": user.id})
            self.flush_notifications()
        notification = self.Notification.search([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id),
                                                 ("user_id", "=", user.id)])
        self.assertTrue(notification.is_digest)
        return lead, notification

    def run_digest(self, at):
        """The digest cron as Odoo's runner runs it, at ``at`` (UTC)."""
        with freeze_time(at):
            self.run_cron_job(CRON)
        self.env.invalidate_all()

    def process_queue(self, at=None):
        """Odoo's mail queue, for the digests only (the leads' own
        assignment mails are not this test's), to the sink."""
        with freeze_time(at or datetime(2027, 1, 4, 23, 0)), self.smtp_enabled():
            self.env["mail.mail"].with_context(
                filters=[("model", "=", "crm.notification.delivery")]).process_email_queue()
        self.env.invalidate_all()

    def digests(self, user):
        return self.Delivery.search([("res_model", "=", "res.users"), ("res_id", "=", user.id)], order="id")

    def received_by(self, user):
        address = email_normalize(user.email)
        return [received for received in self.sink.messages
                if [email_normalize(rcpt) for rcpt in received.rcpt_tos] == [address]]

    def html(self, received):
        return received.message.get_body(("html",)).get_content()


@tagged("post_install", "-at_install")
class TestNotificationDigest(DigestCase):

    def test_one_email_at_eight_local(self):
        """Each user's digest goes out at 08:00 in their own timezone, once,
        through the queue to the SMTP server; the log holds it."""
        self.assign(self.bob, "Bob's lead", datetime(2027, 1, 3, 15, 0))
        self.assign(self.nina, "Nina's lead", datetime(2027, 1, 3, 15, 0))
        self.run_digest(datetime(2027, 1, 4, 6, 59))
        self.assertFalse(self.digests(self.bob) | self.digests(self.nina))
        self.run_digest(BRUSSELS_8)
        bob_digest = self.digests(self.bob)
        self.assertRecordValues(bob_digest, [{
            "res_model": "res.users", "res_id": self.bob.id, "user_id": self.bob.id,
            "partner_id": self.bob.partner_id.id, "channel": "email", "occurrence_date": BRUSSELS_8,
            "state": "queued", "res_name": "Daily digest of 01/04/2027", "company_id": self.bob.company_id.id,
        }])
        self.assertEqual(bob_digest.mail_id.recipient_ids, self.bob.partner_id)
        self.assertFalse(self.digests(self.nina), "08:00 in Brussels is 02:00 in New York")
        self.process_queue(BRUSSELS_8)
        self.assertEqual(len(self.sink.messages), 1)
        self.assertEqual(len(self.received_by(self.bob)), 1)
        self.assertEqual(bob_digest.state, "sent")

        self.run_digest(datetime(2027, 1, 4, 12, 59))
        self.assertFalse(self.digests(self.nina))
        self.run_digest(NEW_YORK_8)
        self.assertEqual(self.digests(self.nina).occurrence_date, NEW_YORK_8)
        self.process_queue(NEW_YORK_8)
        self.assertEqual(len(self.received_by(self.nina)), 1)
        self.assertEqual(len(self.received_by(self.bob)), 1)
        self.assertEqual(len(self.sink.messages), 2)
        self.assertEqual(self.digests(self.bob), bob_digest)

    def test_content(self):
        """Subject, then each notification: its title linking to its
        document, the document, the reason; user text escaped; the light
        layout without unfollow link."""
        lead_1, first = self.assign(self.bob, "Chairs for <b>Lumen</b>", datetime(2027, 1, 3, 9, 0))
        lead_2, _second = self.assign(self.bob, "Desks", datetime(2027, 1, 3, 10, 0))
        self.run_digest(BRUSSELS_8)
        self.process_queue(BRUSSELS_8)
        [received] = self.received_by(self.bob)
        self.assertEqual(received.message["Subject"], "Daily digest of 01/04/2027: 2 unread notifications")
        body = self.html(received)
        base = self.env["crm.notification"].get_base_url()
        self.assertIn("Hello Bob Brussels,", body)
        self.assertIn("Still unread since your last digest:", body)
        self.assertIn(f'<a href="{base}/odoo/crm.lead/{lead_1.id}"><strong>Assigned to you: Chairs for '
                      "&lt;b&gt;Lumen&lt;/b&gt;</strong></a>", body)
        self.assertIn(f'<a href="{base}/odoo/crm.lead/{lead_2.id}"><strong>Assigned to you: Desks</strong></a>',
                      body)
        self.assertNotIn("<b>Lumen", body)
        self.assertIn(f"{first.res_model_name}: Desks", body)
        self.assertIn(first.reason, body)
        self.assertLess(body.index("Chairs"), body.index("Desks"), "oldest first")
        self.assertRegex(body, r"every day at this hour of your timezone:</span>\s*08:00")
        self.assertIn("Your Notifications", body)
        self.assertNotIn("/mail/unfollow", body)
        # one notification: the singular
        self.assign(self.bob, "Tables", datetime(2027, 1, 4, 9, 0))
        self.run_digest(datetime(2027, 1, 5, 7, 0))
        self.process_queue(datetime(2027, 1, 5, 7, 0))
        single = self.received_by(self.bob)[1]
        self.assertEqual(single.message["Subject"], "Daily digest of 01/05/2027: 1 unread notification")

    def test_in_recipient_language(self):
        """The digest is rendered in the recipient's language, its view's
        translation included."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env.ref("crm_notifications.mail_body_notification_digest").update_field_translations("arch_db", {
            "fr_FR": {"Still unread since your last digest:": "Toujours non lues depuis votre dernier résumé :"}})
        self.bob.lang = "fr_FR"
        self.assign(self.bob, "Chaises", datetime(2027, 1, 3, 9, 0))
        self.assign(self.nina, "Chairs", datetime(2027, 1, 3, 9, 0))
        self.run_digest(NEW_YORK_8)
        bob_mail, nina_mail = self.digests(self.bob).mail_id, self.digests(self.nina).mail_id
        self.assertIn("Toujours non lues depuis votre dernier résumé :", str(bob_mail.body_html))
        self.assertIn('lang="fr_FR"', str(bob_mail.body_html))
        self.assertIn("04/01/2027", bob_mail.subject, "the date in French")
        self.assertIn("Still unread since your last digest:", str(nina_mail.body_html))

    def test_nothing_when_nothing(self):
        """No notification waiting (none at all, or all read): no e-mail,
        no delivery."""
        self.run_digest(BRUSSELS_8)
        self.assertFalse(self.digests(self.bob))
        _lead, notification = self.assign(self.bob, "Read at once", datetime(2027, 1, 4, 9, 0))
        notification.with_user(self.bob).action_mark_read()
        self.run_digest(datetime(2027, 1, 5, 7, 0))
        self.assertFalse(self.digests(self.bob))
        self.process_queue()
        self.assertFalse(self.sink.messages)

    def test_inapp_and_email_modes_are_not_in_digests(self):
        self.env["crm.notification.preference"].search([("user_id", "=", self.bob.id)]).mode = "inapp"
        self.env["crm.lead"].with_user(self.user_a).create({"name": "In-app only", "user_id": self.bob.id})
        self.flush_notifications()
        self.run_digest(datetime(2027, 1, 5, 7, 0))
        self.assertFalse(self.digests(self.bob))

    def test_read_resolved_snoozed_left_out(self):
        """Only the notifications still unread make the digest: read,
        resolved and snoozed ones are left out; a snoozed one back before
        the next digest is in that one."""
        _lead, kept = self.assign(self.bob, "Kept lead", datetime(2027, 1, 3, 9, 0))
        _lead, read = self.assign(self.bob, "Read", datetime(2027, 1, 3, 9, 0))
        resolved_lead, resolved = self.assign(self.bob, "Resolved", datetime(2027, 1, 3, 9, 0))
        _lead, snoozed = self.assign(self.bob, "Snoozed", datetime(2027, 1, 3, 9, 0))
        read.with_user(self.bob).action_mark_read()
        self.Notification._resolve([("crm.lead", resolved_lead.id, 0)])
        with freeze_time("2027-01-03 12:00:00"):
            snoozed.with_user(self.bob).action_snooze(datetime(2027, 1, 4, 12, 0))
        self.run_digest(BRUSSELS_8)
        digest = self.digests(self.bob)
        self.assertEqual(kept.digest_delivery_id, digest)
        self.assertFalse((read | resolved | snoozed).digest_delivery_id)
        body = str(digest.mail_id.body_html)
        self.assertIn("Kept lead", body)
        for title in ("Assigned to you: Read<", "Resolved", "Snoozed"):
            self.assertNotIn(title, body)
        # the snoozed one comes back at noon: in the next morning's digest
        with freeze_time("2027-01-04 12:00:00"):
            self.Notification._cron_unsnooze()
        self.run_digest(datetime(2027, 1, 5, 7, 0))
        following = self.digests(self.bob) - digest
        self.assertEqual(snoozed.digest_delivery_id, following)
        self.assertIn("Snoozed", str(following.mail_id.body_html))
        self.assertNotIn("Kept lead", str(following.mail_id.body_html))

    def test_next_day_only_the_new_ones(self):
        """The next day's digest lists what came since the previous one, not
        what that one listed (even unread); a notification made after the
        digest's time, before a late cron run, waits for the next one."""
        _lead, monday = self.assign(self.bob, "Monday lead", datetime(2027, 1, 3, 9, 0))
        _lead, late = self.assign(self.bob, "After eight", datetime(2027, 1, 4, 7, 30))
        self.run_digest(datetime(2027, 1, 4, 7, 45))  # the cron runs late
        first = self.digests(self.bob)
        self.assertEqual(first.occurrence_date, BRUSSELS_8)
        self.assertEqual(monday.digest_delivery_id, first)
        self.assertFalse(late.digest_delivery_id)
        _lead, tuesday = self.assign(self.bob, "Tuesday lead", datetime(2027, 1, 4, 15, 0))
        self.run_digest(datetime(2027, 1, 5, 7, 0))
        second = self.digests(self.bob) - first
        self.assertEqual(second.occurrence_date, datetime(2027, 1, 5, 7, 0))
        self.assertEqual((late | tuesday).digest_delivery_id, second)
        self.assertFalse(monday.is_read, "a digest does not mark anything read")
        self.process_queue(datetime(2027, 1, 5, 7, 0))
        received = self.received_by(self.bob)
        self.assertEqual(len(received), 2)
        self.assertIn("Monday lead", self.html(received[0]))
        self.assertNotIn("After eight", self.html(received[0]))
        self.assertIn("After eight", self.html(received[1]))
        self.assertIn("Tuesday lead", self.html(received[1]))
        self.assertNotIn("Monday lead", self.html(received[1]))

    def test_exactly_once_with_two_runs(self):
        """The cron runs twice, then again later the same day (and the
        digest's own marks are lost in between): one delivery, one e-mail."""
        _lead, notification = self.assign(self.bob, "Once", datetime(2027, 1, 3, 9, 0))
        self.run_digest(BRUSSELS_8)
        self.run_digest(BRUSSELS_8)
        self.run_digest(datetime(2027, 1, 4, 7, 5))
        digest = self.digests(self.bob)
        self.assertEqual(len(digest), 1)
        self.assertEqual(len(digest.mail_id), 1)
        # a second worker that read before the first one committed
        # (simulated: the marks undone) sends nothing on that day
        self.env.cr.execute("UPDATE crm_notification SET digest_delivery_id = NULL WHERE id = %s", [notification.id])
        self.env.invalidate_all()
        self.run_digest(datetime(2027, 1, 4, 9, 0))
        self.assertEqual(self.digests(self.bob), digest)
        self.process_queue()
        self.process_queue()
        self.assertEqual(len(self.sink.messages), 1)
        self.assertFalse(self.sink.duplicates())

    def test_second_worker_leaves_the_work(self):
        """While a worker sends digests (it holds the sender's advisory lock),
        a second one sends nothing; once the first is done, the work is
        there for the next run."""
        self.assign(self.bob, "Busy", datetime(2027, 1, 3, 9, 0))
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                          [ADVISORY_LOCK_NAMESPACE, f"crm_notifications.{DIGEST_SENDER}"])
            with mute_logger("odoo.addons.crm_notifications.models.crm_notification_delivery"):
                self.run_digest(BRUSSELS_8)
            self.assertFalse(self.digests(self.bob))
        finally:
            other.rollback()
            other.close()
        self.run_digest(datetime(2027, 1, 4, 7, 1))
        self.assertEqual(len(self.digests(self.bob)), 1)
        self.assertEqual(self.digests(self.bob).occurrence_date, BRUSSELS_8)

    def test_hour_moved_after_the_digest(self):
        """A user who moves their hour after the day's digest gets the next
        one on the next day at the new hour, not a second one today."""
        self.assign(self.bob, "First", datetime(2027, 1, 3, 9, 0))
        self.run_digest(BRUSSELS_8)
        self.bob.crm_digest_hour = 17
        self.assign(self.bob, "Second", datetime(2027, 1, 4, 9, 0))
        self.run_digest(datetime(2027, 1, 4, 16, 0))
        self.assertEqual(len(self.digests(self.bob)), 1)
        self.run_digest(datetime(2027, 1, 5, 16, 0))
        self.assertEqual(self.digests(self.bob).mapped("occurrence_date"),
                         [BRUSSELS_8, datetime(2027, 1, 5, 16, 0)])

    def test_digest_hour_17(self):
        self.bob.crm_digest_hour = 17
        self.assign(self.bob, "Evening", datetime(2027, 1, 4, 9, 0))
        self.run_digest(BRUSSELS_8)
        self.run_digest(datetime(2027, 1, 4, 15, 59))
        self.assertFalse(self.digests(self.bob))
        self.run_digest(datetime(2027, 1, 4, 16, 0))  # 17:00 in Brussels
        self.assertEqual(self.digests(self.bob).occurrence_date, datetime(2027, 1, 4, 16, 0))
        self.process_queue()
        [received] = self.received_by(self.bob)
        self.assertRegex(self.html(received), r"your timezone:</span>\s*17:00")

    def test_user_without_email_skipped(self):
        """No address: the day's digest is logged skipped with the reason,
        once; its notifications are not listed again the next day."""
        paul = self.digest_user("digest_paul", "Paul No Mail", "Europe/Brussels", email=False)
        _lead, notification = self.assign(paul, "Unseen", datetime(2027, 1, 3, 9, 0))
        self.run_digest(BRUSSELS_8)
        skipped = self.digests(paul)
        self.assertRecordValues(skipped, [{"state": "skipped", "reason": "No e-mail address",
                                           "occurrence_date": BRUSSELS_8, "user_id": paul.id}])
        self.assertFalse(skipped.mail_id)
        self.assertEqual(notification.digest_delivery_id, skipped)
        self.run_digest(datetime(2027, 1, 4, 9, 0))
        self.run_digest(datetime(2027, 1, 5, 7, 0))
        self.assertEqual(self.digests(paul), skipped)
        self.process_queue()
        self.assertFalse(self.sink.messages)

    def test_archived_and_portal_users_get_nothing(self):
        _lead, _notification = self.assign(self.bob, "Archived", datetime(2027, 1, 3, 9, 0))
        self.bob.active = False
        self.run_digest(BRUSSELS_8)
        self.assertFalse(self.digests(self.bob))

    def test_crash_mid_batch_then_rerun(self):
        """The cron dies after queuing some digests of its batch: the whole
        batch is rolled back (claims, mails, marks), the re-run sends each
        user's digest once."""
        users = self.bob | self.nina | self.digest_user("digest_ida", "Ida", "Europe/Brussels")
        for user in users:
            self.assign(user, f"Lead of {user.name}", datetime(2027, 1, 3, 9, 0))
        Delivery = type(self.Delivery)
        original = Delivery._link_sends

        def link_then_crash(deliveries, fname, send_ids):
            original(deliveries, fname, send_ids)
            raise RuntimeError("killed")

        with self.assertRaises(RuntimeError), patch.object(Delivery, "_link_sends", link_then_crash), \
                freeze_time(NEW_YORK_8), self.env.cr.savepoint():
            # called directly: the cron runner would wrap the crash in its own error
            self.Notification._cron_send_digests()
        self.env.invalidate_all()
        for user in users:
            self.assertFalse(self.digests(user))
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "crm.notification.delivery")]))
        self.assertFalse(self.Notification.search([("user_id", "in", users.ids), ("digest_delivery_id", "!=", False)]))
        # re-run a user at a time, as the runner does while some remain
        with freeze_time(NEW_YORK_8):
            for _call in range(3):
                self.Notification._cron_send_digests(batch_size=1)
            self.run_cron_job(CRON)
        for user in users:
            self.assertEqual(len(self.digests(user)), 1)
        self.process_queue()
        for user in users:
            self.assertEqual(len(self.received_by(user)), 1, user.name)
        self.assertEqual(len(self.sink.messages), 3)

    def test_cron_woken_at_the_next_digest(self):
        """After a run, the cron is triggered at the next digest of whoever
        has notifications waiting, once."""
        self.assign(self.bob, "For Brussels", datetime(2027, 1, 3, 9, 0))
        self.assign(self.nina, "For New York", datetime(2027, 1, 3, 9, 0))
        cron = self.env.ref(CRON)
        Trigger = self.env["ir.cron.trigger"].sudo()
        self.run_digest(BRUSSELS_8)
        self.run_digest(datetime(2027, 1, 4, 8, 0))
        self.assertEqual(Trigger.search([("cron_id", "=", cron.id), ("call_at", "=", NEW_YORK_8)]).call_at,
                         NEW_YORK_8)

    def test_access(self):
        """Each user reads their own digest's delivery, nobody else's."""
        _lead, notification = self.assign(self.bob, "Private", datetime(2027, 1, 3, 9, 0))
        self.run_digest(BRUSSELS_8)
        digest = self.digests(self.bob)
        self.assertEqual(digest.with_user(self.bob).state, "queued")
        self.assertEqual(notification.with_user(self.bob).digest_delivery_id, digest)
        with self.assertRaises(AccessError):
            digest.with_user(self.nina).state  # noqa: B018 - reading is what is refused
        self.assertFalse(self.env["crm.notification.delivery"].with_user(self.nina).search(
            [("res_model", "=", "res.users")]))
        message = digest.mail_id.mail_message_id
        self.env.invalidate_all()
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            message.with_user(self.nina).read(["body"])
        self.assertTrue(message.with_user(self.bob).read(["body"]))

    def test_queries_do_not_grow_with_users(self):
        """A batch costs the same queries for 2 users as for 6."""
        def measure(count, at):
            users = self.env["res.users"]
            for i in range(count):
                user = self.digest_user(f"digest_q{at.day}_{i}", f"Q{i}", "Europe/Brussels")
                self.assign(user, f"Lead {i}", at.replace(hour=0))
                self.assign(user, f"Other lead {i}", at.replace(hour=1))
                users |= user
            self.env.flush_all()
            self.env.invalidate_all()
            with freeze_time(at):
                before = self.env.cr.sql_log_count
                self.Notification._cron_send_digests()
                queries = self.env.cr.sql_log_count - before
            self.assertEqual(len(self.Delivery.search([("res_model", "=", "res.users"),
                                                       ("res_id", "in", users.ids)])), count)
            return queries

        measure(2, datetime(2027, 1, 4, 7, 0))  # caches (views, translations, xmlids)
        small = measure(2, datetime(2027, 1, 5, 7, 0))
        large = measure(6, datetime(2027, 1, 6, 7, 0))
        self.assertEqual(small, large)


@tagged("post_install", "-at_install")
class TestNotificationDigestPreferences(DigestCase):

    def test_hour_in_own_preferences(self):
        """Users set their own digest hour (0 to 23)."""
        self.bob.with_user(self.bob).write({"crm_digest_hour": 17})
        self.assertEqual(self.bob.crm_digest_hour, 17)
        self.assertEqual(self.env["res.users"].new({}).crm_digest_hour, 8)
        self.assertTrue(self.env.ref(CRON).active)
        self.assertEqual(self.env.ref(CRON).interval_type, "hours")
