# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Activity alerts: reminders before the deadline, escalations after it,
exactly once, through the delivery log; settings; a real SMTP server down
then back.

The scan (``mail.activity._crm_alerts_due``), for reminders::

    SELECT a.id FROM mail_activity AS a
      LEFT JOIN res_users AS u ON u.id = a.user_id
           JOIN unnest(company_ids, hours) AS conf(company_id, hours)
             ON conf.company_id = COALESCE(u.company_id, <current company>)
     WHERE a.active AND (a.crm_reminder_done_for IS NULL OR a.crm_reminder_done_for <> a.crm_deadline_utc)
       AND a.crm_deadline_utc <= now + <largest hours>
       AND a.crm_deadline_utc - conf.hours * interval '1 hour' <= now
     ORDER BY a.crm_deadline_utc, a.id LIMIT 100
       FOR NO KEY UPDATE OF a SKIP LOCKED

and its plan (``test_scan_uses_the_pending_index``; 10,000 not-due
activities)::

    Limit
      -> LockRows
        -> Sort (Sort Key: a.crm_deadline_utc, a.id)
          -> Hash Join (Hash Cond: (COALESCE(u.company_id, 1) = conf.company_id))
            -> Nested Loop Left Join
              -> Index Scan using mail_activity_crm_reminder_done_for_pending_idx on mail_activity a
                   Index Cond: (crm_deadline_utc <= '...')
              -> Index Scan using res_users_pkey on res_users u
            -> Hash -> Function Scan on unnest conf
"""

from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DUE, PIXEL, ActivityAlertCase, AlertSmtpMixin, normalize_sql


@tagged("post_install", "-at_install")
class TestActivityAlerts(ActivityAlertCase):

    def test_deadline_field(self):
        activity = self.make()
        self.assertEqual(activity.crm_deadline_utc, DUE)
        activity.date_deadline = date(2027, 1, 5)
        self.assertEqual(activity.crm_deadline_utc, datetime(2027, 1, 5, 23, 59, 59))
        # the assignee's timezone, also when it changes
        self.assignee.tz = "Europe/Brussels"
        self.assertEqual(activity.crm_deadline_utc, datetime(2027, 1, 5, 22, 59, 59))
        self.assertIn("end of its due date (23:59:59) in the assignee's timezone",
                      self.Activity._fields["crm_deadline_utc"].help)

    def test_reminder_once(self):
        activity = self.make()
        self.run_cron("2027-01-03 23:59:00")  # 24 h before the deadline, less a minute
        self.assertFalse(self.deliveries(activity))
        self.run_cron("2027-01-04 00:00:00")
        deliveries = self.deliveries(activity)
        self.assertEqual(sorted(deliveries.mapped("channel")), ["email", "inapp"])
        self.assertEqual(deliveries.user_id, self.assignee)
        self.assertEqual(set(deliveries.mapped("occurrence_date")), {datetime(2027, 1, 3, 23, 59, 59)})
        mail = self.mails(activity)
        self.assertEqual(len(mail), 1)
        self.assertEqual(deliveries.mail_id, mail)
        self.assertEqual(mail.recipient_ids, self.assignee.partner_id)
        self.assertEqual(mail.mail_server_id, self.server)
        self.assertEqual(mail.email_from, "alerts@example.com")
        self.assertEqual(mail.state, "outgoing")
        self.assertIn("Call back", mail.subject)
        self.assertIn("/mail/view?model=res.partner&amp;res_id=%s" % self.partner.id, str(mail.body_html))
        notification = self.notifications(self.assignee, "activity_reminder")
        self.assertEqual(len(notification), 1)
        self.assertEqual(deliveries.notification_id, notification)
        self.assertEqual((notification.res_model, notification.res_id), ("res.partner", self.partner.id))
        self.assertEqual(activity.crm_reminder_done_for, DUE)
        # the cron runs again, and again later: nothing more
        self.run_cron("2027-01-04 00:15:00")
        self.run_cron("2027-01-04 12:00:00")
        self.assertEqual(self.deliveries(activity), deliveries)
        self.assertEqual(self.mails(activity), mail)
        self.assertFalse(self.notifications(self.boss, "activity_late"))

    def test_email_layout(self):
        """The body is the alert's view in Odoo's light layout: the
        document's header, the company's logo and footer; no unfollow link
        (the recipient follows nothing here)."""
        self.company.write({"logo": PIXEL, "phone": "+32 2 555 01 01"})
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")
        body = str(self.mails(activity).body_html)
        self.assertIn("Call back on Nordic Wood is due 01/04/2027.", body)
        self.assertIn('<a href="%s/mail/view?model=res.partner&amp;res_id=%s">Open Nordic Wood</a>'
                      % (activity.get_base_url(), self.partner.id), body)
        self.assertIn("Your Contact", body)
        self.assertIn("/logo.png?company=%s" % self.company.id, body)
        self.assertIn("<b>%s</b>" % self.company.name, body)
        self.assertIn("+32 2 555 01 01", body)
        self.assertNotIn("/mail/unfollow", body)

    def test_email_escapes_user_text(self):
        """What users write (the summary, the document's name) arrives as
        text in the subject and the body, never as markup."""
        self.partner.name = "Nordic <b>Wood</b>"
        activity = self.make(summary='<script>alert("x")</script>')
        self.run_cron("2027-01-04 00:00:00")
        mail = self.mails(activity)
        self.assertEqual(mail.subject, 'Activity due 01/04/2027: <script>alert("x")</script>')
        body = str(mail.body_html)
        self.assertNotIn("<script>", body)
        self.assertNotIn("<b>Wood", body)
        self.assertIn("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; on Nordic &lt;b&gt;Wood&lt;/b&gt; is due",
                      body)
        self.assertIn("Open Nordic &lt;b&gt;Wood&lt;/b&gt;</a>", body)

    def test_email_view_inherited(self):
        """An integrator changes the mail by inheriting its view."""
        self.env["ir.ui.view"].create({
            "name": "Alert mail: the deadline in bold", "type": "qweb",
            "inherit_id": self.env.ref("crm_notifications.mail_body_activity_alert").id,
            "arch": """
                <xpath expr="//p[1]" position="after">
                    <p t-if="kind == 'escalation'">Late since <b t-out="deadline"/>, ask <t t-out="assignee"/></p>
                </xpath>""",
        })
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")
        self.assertNotIn("Late since", str(self.mails(activity).body_html))
        self.run_cron("2027-01-06 00:00:00")
        for mail in self.deliveries(activity, "email").filtered(lambda d: d.user_id != self.assignee).mail_id:
            self.assertIn("Late since <b>01/04/2027</b>, ask Asha Assignee", str(mail.body_html))

    def test_email_in_recipient_language(self):
        """Each recipient reads the mail in their language, the view's
        translation included; one rendering per language."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env.ref("crm_notifications.mail_body_activity_alert").update_field_translations(
            "arch_db", {"fr_FR": {"Open": "Ouvrir"}})
        self.boss.lang = "fr_FR"
        activity = self.make(deadline=date(2027, 1, 1))
        Qweb = type(self.env["ir.qweb"])
        with patch.object(Qweb, "_render", side_effect=Qweb._render, autospec=True) as render:
            self.run_cron("2027-01-03 00:00:00")
        alert_renders = [call for call in render.call_args_list
                         if call.args[1] == "crm_notifications.mail_body_activity_alert"]
        self.assertEqual(sorted(call.args[0].env.lang for call in alert_renders), ["en_US", "fr_FR"])
        mails = {delivery.user_id: delivery.mail_id for delivery in self.deliveries(activity, "email")}
        self.assertIn("Ouvrir Nordic Wood", str(mails[self.boss].body_html))
        self.assertIn('lang="fr_FR"', str(mails[self.boss].body_html))
        self.assertIn("Open Nordic Wood", str(mails[self.chief].body_html))
        self.assertNotIn("Ouvrir", str(mails[self.chief].body_html))

    def test_reminder_owner_sender(self):
        self.company.crm_activity_reminder_sender = "owner"
        activity = self.make(owner=self.owner)
        self.assertEqual(activity.create_uid, self.owner)
        self.run_cron("2027-01-04 08:00:00")
        self.assertEqual(self.mails(activity).email_from, self.owner.email_formatted)
        # the system sender without a from filter: the server's username
        self.company.crm_activity_reminder_sender = "system"
        self.server.write({"from_filter": False, "smtp_user": "robot@example.com"})
        other = self.make(owner=self.owner)
        self.run_cron("2027-01-04 08:15:00")
        self.assertEqual(self.mails(other).email_from, "robot@example.com")

    def test_escalation_once_to_default_persons(self):
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")  # the reminder
        reminders = self.deliveries(activity)
        self.run_cron("2027-01-05 23:59:00")  # 24 h after the deadline, less a minute
        self.assertEqual(self.deliveries(activity), reminders)
        self.run_cron("2027-01-06 00:00:00")
        escalations = self.deliveries(activity) - reminders
        self.assertEqual(escalations.user_id, self.boss | self.chief)
        self.assertEqual(len(escalations), 4)
        self.assertEqual(set(escalations.mapped("occurrence_date")), {datetime(2027, 1, 5, 23, 59, 59)})
        mails = escalations.mail_id
        self.assertEqual(mails.recipient_ids, (self.boss | self.chief).partner_id)
        self.assertEqual(set(mails.mapped("email_from")), {"alerts@example.com"})
        self.assertIn("Late activity", mails[0].subject)
        self.assertIn("Asha Assignee", mails[0].subject)
        self.assertEqual(len(self.notifications(self.boss, "activity_late")), 1)
        self.assertEqual(len(self.notifications(self.chief, "activity_late")), 1)
        self.assertFalse(self.notifications(self.assignee, "activity_late"))
        self.run_cron("2027-01-06 00:15:00")
        self.run_cron("2027-02-01 00:00:00")
        self.assertEqual(self.deliveries(activity), reminders | escalations)

    def test_escalation_sender_address_and_assignee_among_persons(self):
        """A chosen sender address; the assignee is one of the default
        persons: reminded once and escalated once, never twice per alert."""
        self.company.write({
            "crm_activity_late_sender": "email", "crm_activity_late_email": "Escalations <late@example.com>",
            "crm_activity_escalation_user_ids": [Command.set((self.boss | self.assignee).ids)],
        })
        activity = self.make(deadline=date(2027, 1, 1))
        self.run_cron("2027-01-03 00:00:00")
        deliveries = self.deliveries(activity)
        # created after its reminder was due and after the deadline: only the escalation
        self.assertEqual(deliveries.user_id, self.boss | self.assignee)
        self.assertEqual(len(deliveries), 4)
        self.assertEqual(set(deliveries.mail_id.mapped("email_from")), {"Escalations <late@example.com>"})
        self.assertEqual(len(self.notifications(self.assignee, "activity_late")), 1)
        self.assertFalse(self.notifications(self.assignee, "activity_reminder"))

    def test_assignee_timezone(self):
        kiwi = new_test_user(self.env, "alert_kiwi", groups="base.group_user", email="kiwi@example.com",
                             tz="Pacific/Auckland")
        angeleno = new_test_user(self.env, "alert_la", groups="base.group_user", email="la@example.com",
                                 tz="America/Los_Angeles")
        in_auckland = self.make(user=kiwi)
        in_la = self.make(user=angeleno)
        self.assertEqual(in_auckland.crm_deadline_utc, datetime(2027, 1, 4, 10, 59, 59))  # UTC+13
        self.assertEqual(in_la.crm_deadline_utc, datetime(2027, 1, 5, 7, 59, 59))  # UTC-8
        self.company.crm_activity_reminder_hours = 1
        self.run_cron("2027-01-04 10:00:00")
        self.assertTrue(self.deliveries(in_auckland))
        self.assertFalse(self.deliveries(in_la))
        self.run_cron("2027-01-05 06:59:00")
        self.assertFalse(self.deliveries(in_la))
        self.run_cron("2027-01-05 07:00:00")
        self.assertTrue(self.deliveries(in_la))

    def test_done_and_deleted_activities(self):
        done = self.make()
        kept = self.make(activity_type_id=self.todo.copy({"name": "Kept", "keep_done": True}).id)
        deleted = self.make()
        done.action_feedback("Called")
        kept.action_feedback("Called")
        self.assertFalse(kept.active)
        deleted.unlink()
        self.run_cron("2027-01-04 00:00:00")
        self.run_cron("2027-01-06 00:00:00")
        self.assertFalse(self.Delivery.search([("res_model", "=", "mail.activity"),
                                               ("res_id", "in", (done | kept | deleted).ids)]))
        self.assertFalse(self.notifications(self.assignee, "activity_reminder"))
        self.assertFalse(self.notifications(self.boss, "activity_late"))

    def test_moving_the_deadline_rearms(self):
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")
        self.run_cron("2027-01-06 00:00:00")
        first = self.deliveries(activity)
        self.assertEqual(len(first), 6)  # reminder: 2, escalation: 2 persons x 2 channels
        activity.date_deadline = date(2027, 1, 10)
        self.run_cron("2027-01-06 00:15:00")
        self.assertEqual(self.deliveries(activity), first)
        self.run_cron("2027-01-10 00:00:00")
        reminders = self.deliveries(activity) - first
        self.assertEqual(len(reminders), 2)
        self.assertEqual(set(reminders.mapped("occurrence_date")), {datetime(2027, 1, 9, 23, 59, 59)})
        self.run_cron("2027-01-12 00:00:00")
        self.assertEqual(len(self.deliveries(activity)), 12)
        self.assertEqual(len(self.notifications(self.assignee, "activity_reminder")), 2)
        self.assertEqual(len(self.notifications(self.boss, "activity_late")), 2)
        self.run_cron("2027-01-13 00:00:00")
        self.assertEqual(len(self.deliveries(activity)), 12)

    def test_no_address_is_skipped(self):
        self.assignee.email = False
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")
        email = self.deliveries(activity, "email")
        self.assertEqual(email.state, "skipped")
        self.assertFalse(self.mails(activity))
        self.assertEqual(self.deliveries(activity, "inapp").state, "sent")

    def test_crash_then_rerun(self):
        """The cron dies after queuing some sends: everything of the batch is
        rolled back with it, the re-run sends each alert once."""
        activities = [self.make() for _i in range(5)]
        Delivery = type(self.Delivery)
        original = Delivery._link_sends
        calls = []

        def link_then_crash(deliveries, fname, send_ids):
            original(deliveries, fname, send_ids)
            calls.append(fname)
            if len(calls) == 2:
                raise RuntimeError("killed")

        with self.assertRaises(RuntimeError), patch.object(Delivery, "_link_sends", link_then_crash), \
                self.env.cr.savepoint():
            # called directly: the cron runner would wrap the crash in its own error
            self.run_cron("2027-01-04 00:00:00", batch_size=100)
        self.env.invalidate_all()
        for activity in activities:
            self.assertFalse(self.deliveries(activity))
            self.assertFalse(self.mails(activity))
            self.assertFalse(activity.crm_reminder_done_for)
        # re-run in small batches, as the cron runner does while some remain
        for minute in range(4):
            self.run_cron(f"2027-01-04 00:0{minute}:00", batch_size=2)
        for activity in activities:
            self.assertEqual(len(self.deliveries(activity)), 2)
            self.assertEqual(len(self.mails(activity)), 1)
        self.assertEqual(len(self.notifications(self.assignee, "activity_reminder")), 5)

    def test_second_worker_claims_nothing_twice(self):
        """A second worker that scanned the activity before the first one
        committed (simulated: the mark undone) sends nothing more: the
        delivery log's claim is the last word."""
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")
        deliveries = self.deliveries(activity)
        self.env.cr.execute("UPDATE mail_activity SET crm_reminder_done_for = NULL WHERE id = %s", [activity.id])
        self.run_cron("2027-01-04 00:00:30")
        self.assertEqual(self.deliveries(activity), deliveries)
        self.assertEqual(len(self.mails(activity)), 1)
        self.assertEqual(len(self.notifications(self.assignee, "activity_reminder")), 1)

    def queries(self, function, *args, **kwargs):
        before = self.env.cr.sql_log_count
        result = function(*args, **kwargs)
        return self.env.cr.sql_log_count - before, result

    def test_scan_does_not_grow_with_not_due_activities(self):
        """The same queries, whatever the number of activities not due (in
        the future, or done): one scan per alert kind, the sends of the due
        ones. Rows read: see test_scan_uses_the_pending_index."""
        def measure():
            due = self.make()
            self.env.flush_all()
            self.env.invalidate_all()
            now = datetime(2027, 1, 4)
            with freeze_time(now):
                scan, found = self.queries(self.Activity._crm_alerts_due, "reminder", now)
                self.assertEqual(found, due)
                # the assignment notification of make() is generated at
                # pre-commit, which the cron's savepoint would run: not ours
                self.env.cr.precommit.run()
                self.env.invalidate_all()
                cron, _result = self.queries(self.Activity._cron_send_activity_alerts)
            self.env.flush_all()
            self.assertEqual(len(self.deliveries(due)), 2)
            return scan, cron

        measure()  # the first run fills caches (xmlids, ormcaches) the next ones read
        small = measure()
        self.Activity.create([{
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.partner.id,
            "activity_type_id": self.todo.id, "date_deadline": date(2027, 2, 1 + i % 20),
            "user_id": self.assignee.id, "active": i % 3 != 0,
        } for i in range(300)])
        large = measure()
        self.assertEqual(small, large)

    def test_scan_matches_the_pending_index(self):
        """The scan's conditions are those of the partial index of pending
        alerts, on its leading column: PostgreSQL may serve the scan from an
        index that holds only pending alerts. Which plan it picks depends on
        statistics and is measured by bench/run_activity_scan, not here."""
        due = self.make()
        self.env.flush_all()
        now = datetime(2027, 1, 4)
        for kind in ("reminder", "escalation"):
            index = "mail_activity_crm_%s_done_for_pending_idx" % kind
            self.env.cr.execute(
                """SELECT pg_get_expr(i.indpred, i.indrelid), pg_get_indexdef(i.indexrelid, 1, false)
                     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s""", [index])
            predicate, first_column = self.env.cr.fetchone()
            self.assertEqual(first_column, "crm_deadline_utc")
            _from, where = self.Activity._crm_alerts_query(kind, now)
            scan = normalize_sql(where.code)
            self.assertIn(normalize_sql(predicate), scan)
            self.assertIn("crm_deadline_utc<=%s", scan)
        with freeze_time(now):
            self.assertEqual(self.Activity._crm_alerts_due("reminder", now), due)


@tagged("post_install", "-at_install")
class TestActivityAlertSettings(ActivityAlertCase):

    def settings(self, **values):
        return self.env["res.config.settings"].create(values)

    def test_hours_validation(self):
        for field, label in (("crm_activity_reminder_hours", "Reminder: hours before the deadline"),
                             ("crm_activity_late_hours", "Escalation: hours after the deadline")):
            for hours in (0, -5, 8785):
                with self.assertRaisesRegex(ValidationError, label + " must be between 1 and 8784"):
                    with self.env.cr.savepoint():
                        self.settings(**{field: hours}).execute()
            self.settings(**{field: 8784}).execute()
            self.assertEqual(self.company[field], 8784)
            self.settings(**{field: 1}).execute()
            self.assertEqual(self.company[field], 1)

    def test_late_email_validation(self):
        with self.assertRaisesRegex(ValidationError, "enter the sender's e-mail address"), self.env.cr.savepoint():
            self.settings(crm_activity_late_sender="email", crm_activity_late_email=False)
        with self.assertRaisesRegex(ValidationError, "not a valid e-mail address"), self.env.cr.savepoint():
            self.settings(crm_activity_late_sender="email", crm_activity_late_email="nobody")
        self.settings(crm_activity_late_sender="email", crm_activity_late_email="late@example.com").execute()
        self.assertEqual(self.company.crm_activity_late_email, "late@example.com")

    def test_settings_form_and_reset(self):
        with Form(self.env["res.config.settings"]) as form:
            form.crm_activity_reminder_hours = 2
            form.crm_activity_reminder_sender = "owner"
            # the escalation's hours are its first level's (the ladder's list)
            with form.crm_activity_escalation_level_ids.edit(0) as level:
                level.hours = 48
        settings = form.save()
        settings.execute()
        self.assertEqual(self.company.crm_activity_reminder_hours, 2)
        self.assertEqual(self.company.crm_activity_reminder_sender, "owner")
        self.assertEqual(self.company.crm_activity_late_hours, 48)
        action = self.settings().action_crm_activity_reset_defaults()
        self.assertEqual(action, {"type": "ir.actions.client", "tag": "reload"})
        self.assertEqual(self.company.crm_activity_reminder_hours, 24)
        self.assertEqual(self.company.crm_activity_reminder_sender, "system")
        self.assertEqual(self.company.crm_activity_late_hours, 24)
        self.assertEqual(self.company.crm_activity_late_sender, "system")
        self.assertFalse(self.company.crm_activity_escalation_user_ids)
        self.assertFalse(self.company.crm_activity_mail_server_id)
        self.assertTrue(self.server.exists(), "the server itself is kept")

    def test_password_is_write_only(self):
        self.company.crm_activity_mail_server_id = False
        settings = self.settings(
            crm_activity_smtp_host="smtp.example.com", crm_activity_smtp_port=587,
            crm_activity_smtp_encryption="starttls", crm_activity_smtp_user="robot@example.com",
            crm_activity_smtp_pass="s3cret",
        )
        settings.execute()
        server = self.company.crm_activity_mail_server_id
        self.assertTrue(server)
        self.assertEqual((server.smtp_host, server.smtp_port, server.smtp_encryption, server.smtp_user),
                         ("smtp.example.com", 587, "starttls", "robot@example.com"))
        self.assertEqual(server.smtp_pass, "s3cret")
        # what the browser reads: never the password
        fresh = self.env["res.config.settings"].create({})
        read = fresh.read(["crm_activity_smtp_pass", "crm_activity_smtp_host", "crm_activity_mail_server_id"])[0]
        self.assertFalse(read["crm_activity_smtp_pass"])
        self.assertEqual(read["crm_activity_smtp_host"], "smtp.example.com")
        self.assertNotIn("s3cret", str(fresh.web_read({"crm_activity_smtp_pass": {}, "crm_activity_smtp_user": {}})))
        defaults = self.env["res.config.settings"].default_get(["crm_activity_smtp_pass"])
        self.assertFalse(defaults.get("crm_activity_smtp_pass"))
        self.assertNotIn("s3cret", str(self.env["res.config.settings"].onchange({}, [], {
            "crm_activity_smtp_pass": {}, "crm_activity_mail_server_id": {}})))
        # saving without typing one keeps it; typing one replaces it
        self.settings(crm_activity_smtp_pass=False, crm_activity_smtp_port=465).execute()
        self.assertEqual((server.smtp_pass, server.smtp_port), ("s3cret", 465))
        self.settings(crm_activity_smtp_pass="n3w").execute()
        self.assertEqual(server.smtp_pass, "n3w")
        # only system administrators see the server fields
        fields = self.env["res.config.settings"].with_user(self.assignee).fields_get()
        self.assertNotIn("crm_activity_smtp_pass", fields)


@tagged("post_install", "-at_install")
class TestActivityAlertSmtp(AlertSmtpMixin, ActivityAlertCase):

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_server_down_then_back(self):
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")
        self.run_cron("2027-01-06 00:00:00")
        deliveries = self.deliveries(activity, "email")
        self.assertEqual(deliveries.user_id, self.assignee | self.boss | self.chief)
        mails = deliveries.mail_id
        self.assertEqual(len(mails), 3)
        self.sink.stop()
        with freeze_time("2027-01-06 00:01:00"):
            self.process_queue()
        self.assertFalse(self.sink.messages)
        # a transient failure: back to the queue for later, nothing lost
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertEqual(set(deliveries.mapped("state")), {"queued"})
        self.assertEqual(self.deliveries(activity, "email"), deliveries, "nothing lost")

        self.sink.start()
        with freeze_time("2027-01-06 00:02:00"):
            self.process_queue()
        self.assertEqual(len(self.sink.messages), 3)
        for user in self.assignee | self.boss | self.chief:
            self.assertEqual(len(self.received_by(user)), 1, user.name)
        self.assertEqual(set(mails.mapped("state")), {"sent"})
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        subjects = sorted(received.message["Subject"] for received in self.sink.messages)
        self.assertTrue(subjects[0].startswith("Activity due"), subjects)

        # the alert cron again, even with the marks undone: nothing twice
        self.env.cr.execute("UPDATE mail_activity SET crm_reminder_done_for = NULL, "
                            "crm_escalation_done_for = NULL WHERE id = %s", [activity.id])
        self.run_cron("2027-01-06 00:15:00")
        self.process_queue()
        self.assertEqual(self.deliveries(activity, "email"), deliveries)
        self.assertEqual(len(self.sink.messages), 3)

    def test_activity_done_after_queuing(self):
        """Marked done once its reminder is queued: the queued e-mail still
        leaves once (nothing breaks on the deleted source), nothing follows."""
        self.company.crm_activity_escalation_user_ids = False
        activity = self.make()
        self.run_cron("2027-01-04 00:00:00")
        deliveries = self.deliveries(activity, "email")
        activity_id = activity.id
        activity.action_feedback("Called")
        self.assertFalse(activity.exists())
        self.process_queue()
        self.assertEqual(len(self.received_by(self.assignee)), 1)
        self.assertEqual(deliveries.state, "sent")
        self.run_cron("2027-01-06 00:00:00")
        self.assertEqual(self.Delivery.search([("res_model", "=", "mail.activity"), ("res_id", "=", activity_id)]),
                         self.deliveries(self.Activity.browse(activity_id)))
        self.assertEqual(len(self.Delivery.search([("res_model", "=", "mail.activity"),
                                                   ("res_id", "=", activity_id)])), 2)
