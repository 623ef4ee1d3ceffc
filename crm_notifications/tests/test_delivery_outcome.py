# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What really happened to each e-mail, on its delivery: queued, sent,
retried, failed, bounced, uncertain; one sender at a time; the activity
alerts' own mail server. Through Odoo's real mail queue and the SMTP sink
(STARTTLS and AUTH); the crash of a worker mid-send is what bench/soak does
for real, here its trace in the database is laid down by hand."""

from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ReminderEmailCase


@tagged("post_install", "-at_install")
class TestDeliveryOutcome(ReminderEmailCase):

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_transient_refusal_is_retried(self):
        """A 451 (greylisting, a full queue) is retried; a 550 fails at once."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        greylisted = deliveries.filtered(lambda d: d.user_id == self.sup_north)
        self.sink.refuse(self.sup_north.email, "Greylisted, try again later", code=451)
        with freeze_time("2027-01-04 08:02:00"):
            self.process_queue()
        self.assertEqual(greylisted.state, "queued")
        self.assertIn("451", greylisted.reason)
        self.assertEqual(greylisted.mail_id.state, "outgoing")
        self.assertEqual(set((deliveries - greylisted).mapped("state")), {"sent"})

        self.sink.accept(self.sup_north.email)
        with freeze_time("2027-01-04 08:03:00"):
            self.process_queue()
        self.assertEqual((greylisted.state, greylisted.attempt_count), ("sent", 2))
        self.assertEqual(len(self.received_by(self.sup_north.email)), 1)

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_retries_end_in_failure(self):
        """Down for good: after the last retry (about 1 h 15 min) the delivery
        fails with the reason; nothing was received, nothing is lost."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        self.sink.stop()
        moment = datetime(2027, 1, 4, 8, 2)
        for _attempt in range(10):
            with freeze_time(moment):
                self.process_queue()
            moment = max(deliveries.mail_id.mapped("scheduled_date") or [moment]) + (moment - moment).__class__(
                seconds=1)
        self.assertEqual(set(deliveries.mapped("state")), {"failed"})
        self.assertEqual(set(deliveries.mapped("attempt_count")), {8})
        self.assertEqual(set(deliveries.mail_id.mapped("state")), {"exception"})
        self.assertIn("Connection refused", deliveries[0].reason)
        self.assertFalse(self.sink.messages)

    def test_queued_mails_wake_the_queue_up(self):
        """Odoo wakes its mail queue up for scheduled mails only: the
        reminder cron's mails ask for a queue run at once."""
        cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", cron.id)])
        self.make_due(message="Call Jana about the renewal")
        self.assertTrue(Trigger.search([("cron_id", "=", cron.id)]) - before)

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_queue_watched_while_mails_wait(self):
        """A queue run that starts with mails of the log waiting asks for
        another run two minutes later: three kills in a row of the queue's
        worker (Odoo then puts the job off by an hour) do not strand them."""
        self.make_due(message="Call Jana about the renewal")
        cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        Trigger = self.env["ir.cron.trigger"]
        self.sink.stop()
        with freeze_time("2027-01-04 08:10:00"):
            self.process_queue()
        self.assertTrue(Trigger.search([("cron_id", "=", cron.id), ("call_at", "=", datetime(2027, 1, 4, 8, 12))]))
        self.sink.start()
        with freeze_time("2027-01-04 08:20:00"):
            self.process_queue()  # everything leaves
        with freeze_time("2027-01-04 08:30:00"):
            self.process_queue()  # nothing left to watch
        self.assertFalse(Trigger.search([("cron_id", "=", cron.id), ("call_at", "=", datetime(2027, 1, 4, 8, 32))]))

    def test_interrupted_send_is_uncertain_not_repeated(self):
        """A worker killed between the SMTP server's answer and its commit
        leaves the attempt recorded (committed apart) and the mail outgoing:
        the next queue run neither sends it again nor calls it sent."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        interrupted = deliveries.filtered(lambda d: d.user_id == self.sup_north)
        self.env["mail.mail"]._crm_record_attempt(interrupted.mail_id.id)
        attempt = self.env["crm.notification.send.attempt"].search([("mail_id", "=", interrupted.mail_id.id)])
        self.assertEqual((attempt.attempt, interrupted.attempt_count), (1, 0))
        with mute_logger("odoo.addons.crm_notifications.models.crm_notification_delivery"):
            self.process_queue()
        self.assertEqual(interrupted.state, "uncertain")
        self.assertIn("may or may not have been delivered", interrupted.reason)
        self.assertEqual(interrupted.mail_id.state, "exception")
        self.assertFalse(self.received_by(self.sup_north.email))
        others = deliveries - interrupted
        self.assertEqual(set(others.mapped("state")), {"sent"})
        # their attempts got their outcome: the next run forgets them
        Attempt = self.env["crm.notification.send.attempt"]
        self.assertEqual(len(Attempt.search([("mail_id", "in", others.mail_id.ids)])), len(others))
        self.env["mail.mail"]._crm_settle_interrupted_sends()
        self.assertFalse(Attempt.search([("mail_id", "in", others.mail_id.ids)]))
        # an administrator who checked with the customer may still retry it
        interrupted.mail_id.action_retry()
        self.process_queue()
        self.assertEqual(len(self.received_by(self.sup_north.email)), 1)
        self.assertEqual(interrupted.state, "sent")

    def test_connection_lost_before_the_message_is_retried(self):
        """The server hangs up at RCPT TO (it crashed, a proxy cut the line):
        Odoo stops its batch and records nothing on the mail; it never got
        there, so it is retried after a delay, not called uncertain."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        cut = deliveries.filtered(lambda d: d.user_id == self.sup_north)
        self.sink.hang_up(self.sup_north.email, at="rcpt")
        with freeze_time("2027-01-04 08:02:00"), mute_logger("odoo.addons.mail.models.mail_mail"):
            self.process_queue()
        self.assertEqual((cut.state, cut.attempt_count), ("queued", 1))
        self.assertIn("Connection unexpectedly closed", cut.reason)
        self.assertEqual(cut.mail_id.state, "outgoing")
        self.assertEqual(cut.mail_id.scheduled_date, datetime(2027, 1, 4, 8, 2, 30))
        self.assertFalse(self.env["crm.notification.send.attempt"].search([("mail_id", "=", cut.mail_id.id)]))
        self.assertFalse(self.received_by(self.sup_north.email))

        self.sink.accept(self.sup_north.email)
        with freeze_time("2027-01-04 08:03:00"):
            self.process_queue()  # the rest of the batch, and the retry
        self.assert_received_once(deliveries)
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertEqual(cut.attempt_count, 2)

    def test_connection_lost_waiting_for_the_answer_is_uncertain(self):
        """The server took the whole message in and hung up before
        answering: it may be on its way (here it is). Uncertain, not sent
        again."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        cut = deliveries.filtered(lambda d: d.user_id == self.sup_north)
        self.sink.hang_up(self.sup_north.email, at="data")
        with mute_logger("odoo.addons.mail.models.mail_mail"):
            self.process_queue()
        self.sink.accept(self.sup_north.email)
        with mute_logger("odoo.addons.crm_notifications.models.crm_notification_delivery"):
            self.process_queue()
            self.process_queue()
        self.assertEqual(cut.state, "uncertain")
        self.assertEqual(cut.mail_id.state, "exception")
        self.assertEqual(set((deliveries - cut).mapped("state")), {"sent"})
        self.assert_received_once(deliveries)

    def test_mails_deleted_meanwhile_are_not_read(self):
        """Another process sent and deleted a mail of the batch (auto_delete)
        after the queue read it: the addon's filter does not fail the batch
        on it."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        mails = deliveries.mail_id
        gone = mails[0]
        self.env.cr.execute("DELETE FROM mail_mail WHERE id = %s", [gone.id])
        self.env.invalidate_all()
        self.assertEqual(mails._crm_ours(), mails - gone)

    def test_bounce(self):
        """Odoo's bounce handling finds the delivery by its Message-Id, even
        once the mail itself is gone."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        self.process_queue()
        bounced = deliveries.filtered(lambda d: d.user_id == self.sup_north)
        message_id = bounced.message_id
        self.assertTrue(message_id)
        bounced.mail_id.unlink()
        self.env["mail.thread"]._routing_handle_bounce(None, {
            "bounced_email": self.sup_north.email, "bounced_partner": self.sup_north.partner_id,
            "bounced_msg_ids": [message_id], "bounced_message": self.env["mail.message"],
            "email_from": "mailer-daemon@example.com", "to": "bounce@example.com", "message_id": "<dsn@example>",
        })
        self.assertEqual(bounced.state, "bounced")
        self.assertIn(self.sup_north.email, bounced.reason)
        self.assertEqual(set((deliveries - bounced).mapped("state")), {"sent"})

    def test_counts_per_state(self):
        reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        self.sink.refuse(self.sup_north.email, "No such user")
        with mute_logger("odoo.addons.mail.models.mail_mail"):
            self.process_queue()
        reminder.invalidate_recordset()
        self.assertEqual(
            (reminder.delivery_count, reminder.delivery_sent_count, reminder.delivery_failed_count,
             reminder.delivery_queued_count), (len(deliveries), len(deliveries) - 1, 1, 0))
        action = reminder.with_context(delivery_state="failed").action_view_deliveries()
        self.assertEqual(self.env["crm.notification.delivery"].search(action["domain"]).user_id, self.sup_north)


@tagged("post_install", "-at_install")
class TestOneSenderAtATime(ReminderEmailCase):

    def test_second_worker_skips(self):
        """While another connection holds the sender's lock (a cron worker
        sending), the cron run here sends nothing and fails nothing."""
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(channel="email", receivers="all", recurrency=True, rrule_type="daily")
        self.env.flush_all()
        with self.env.registry.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                          [0x6372, "crm_notifications.crm.customer.reminder"])
            with freeze_time("2027-01-04 08:01:00"):
                self.Reminder._cron_send_due_reminders()
            self.assertFalse(self.deliveries(reminder))
            other.rollback()
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron_job("crm_notifications.ir_cron_customer_reminders")
        self.assertEqual(len(self.deliveries(reminder)), len(self.admins | self.sup_north))


@tagged("post_install", "-at_install")
class TestAlertsMailServer(ReminderEmailCase):

    def test_alerts_server_is_not_the_default_of_other_mail(self):
        """A server set up in the activity alert settings carries the alerts
        only: Odoo never falls back on it for other mail, even alone."""
        self.env["res.config.settings"].create({
            "crm_activity_smtp_host": "smtp.alerts.example.com", "crm_activity_smtp_port": 587,
            "crm_activity_smtp_user": "alerts", "crm_activity_smtp_pass": "secret",
        }).execute()
        alerts_server = self.env.company.crm_activity_mail_server_id
        self.assertTrue(alerts_server.crm_alerts_only)
        Server = self.env["ir.mail_server"]
        server, _from = Server._find_mail_server("someone@example.com", alerts_server)
        self.assertFalse(server)
        both = alerts_server | self.mail_server
        self.assertEqual(Server._find_mail_server("someone@example.com", both)[0], self.mail_server)
        # an existing server chosen for the alerts stays shared
        alerts_server.crm_alerts_only = False
        self.assertEqual(Server._find_mail_server("someone@example.com", alerts_server)[0], alerts_server)

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_failed_alert_mail_reaches_the_administrators(self):
        assignee = self.sup_north
        admin = self.env["res.users"].create({
            "name": "Ada Admin", "login": "ada_outcome", "email": "ada@example.com",
            "groups_id": [Command.set([self.env.ref("base.group_system").id])],
        })
        self.env.company.crm_activity_mail_server_id = self.mail_server
        activity = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.customer_north.id,
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id, "summary": "Call back",
            "date_deadline": "2027-01-05", "user_id": assignee.id,
        })
        # due at the end of the 5th: reminded 24 hours before
        with freeze_time("2027-01-05 12:00:00"):
            self.run_cron_job("crm_notifications.ir_cron_activity_alerts")
        self.env.flush_all()
        delivery = self.env["crm.notification.delivery"].search(
            [("res_model", "=", "mail.activity"), ("res_id", "=", activity.id), ("channel", "=", "email")])
        self.assertEqual(delivery.state, "queued")
        self.sink.refuse(assignee.email, "Mailbox does not exist")
        with self.smtp_enabled():
            self.env["mail.mail"].with_context(
                filters=[("model", "=", "crm.notification.delivery")]).process_email_queue()
        self.env.flush_all()
        self.assertEqual(delivery.state, "failed")
        self.env.cr.precommit.run()
        told = self.env["crm.notification"].search([("user_id", "=", admin.id), ("event", "=", "delivery_failed")])
        self.assertEqual(len(told), 1)
        self.assertEqual((told.res_model, told.res_id), ("crm.notification.delivery", delivery.id))
        self.assertIn(assignee.name, told.title)
        self.assertIn("Mailbox does not exist", told.body)
