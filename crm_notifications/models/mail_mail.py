# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The e-mails of the delivery log, through Odoo's mail queue, exactly once
at the recipient.

Odoo's queue is at least once: a worker killed between the SMTP server's
"250" and its commit (``limit_time_real`` does it routinely) leaves the mail
``outgoing``, and the next run sends it again. For the mails of the delivery
log, ``ir.mail_server.send_email`` first commits, on a cursor of its own, an
attempt (``crm.notification.send.attempt``: the mail and the attempt's number);
the outcome, committed by the queue, raises the delivery's ``attempt_count``
to that number. A mail still waiting whose last attempt is above its count
got no outcome: it is *uncertain*, may have left, so it is not sent again,
and its delivery says so. A failure the worker lived to see is an outcome:
the server refused the message or never got all of it
(``tools.smtp.may_have_been_accepted``), the attempt is forgotten and the
mail retried; only a connection lost while waiting for the server's reply
to the whole message stays uncertain.

The outcome goes to the delivery log: sent, retried later when the failure
is transient (server unreachable, 4xx), failed with the reason otherwise.
"""

import contextvars
import logging
import threading
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import MissingError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# another queue run this long after one that starts with our mails waiting
WATCH_DELAY = timedelta(minutes=2)
# {Message-Id: mail id} of the delivery log's mails that _send is sending
# right now, for ir.mail_server.send_email. A context variable of the
# process, not a key of Odoo's context: a client sets the latter at will.
SENDING = contextvars.ContextVar("crm_notifications_sending", default=None)


class MailMail(models.Model):
    _inherit = "mail.mail"

    # models whose mails are logged in crm.notification.delivery (the mail's
    # model/res_id is the source of the delivery)
    _crm_delivery_source_models = ("crm.customer.reminder", "crm.customer.notification", "crm.notification.delivery")

    def _crm_ours(self):
        # every mail of Odoo passes here, a queue batch at a time: reading
        # model costs nothing more, the queue fetches the whole row anyway.
        # Another process may have sent and deleted some of them since the
        # batch was read (auto_delete; bench/soak saw it with assignment
        # mails sent at commit): those are Odoo's to skip, not read here.
        # Checked only then: exists() costs a query per batch on every send.
        try:
            return self.filtered(lambda mail: mail.model in self._crm_delivery_source_models)
        except MissingError:
            return self.exists().filtered(lambda mail: mail.model in self._crm_delivery_source_models)

    @api.model
    def process_email_queue(self, ids=None, batch_size=1000):
        self._crm_settle_interrupted_sends()
        self._crm_watch_queue()
        return super().process_email_queue(ids=ids, batch_size=batch_size)

    @api.model
    def _crm_watch_queue(self):
        """While mails of the delivery log wait, ask for another queue run
        a little later. A worker killed mid-run (limit_time_real) leaves the
        queue's cron due and another worker takes it over; but three kills in
        a row make Odoo count the job failed and put it off to its next slot,
        an hour away: the trigger set here still wakes it up."""
        self.flush_model(["state", "scheduled_date"])
        # mails waiting for a later time (a customer's quiet hours) have their
        # own trigger at that time: no need to poll for them
        self.env.cr.execute(SQL(
            """SELECT 1 FROM mail_mail mail JOIN mail_message message ON message.id = mail.mail_message_id
                WHERE mail.state = 'outgoing' AND message.model IN %s
                  AND (mail.scheduled_date IS NULL OR mail.scheduled_date <= %s) LIMIT 1""",
            tuple(self._crm_delivery_source_models), fields.Datetime.now(),
        ))
        if self.env.cr.fetchone():
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger(
                at=fields.Datetime.now() + WATCH_DELAY)

    @api.model
    def _crm_settle_interrupted_sends(self):
        """Mails handed to an SMTP server by a worker that died before
        recording the answer: their delivery is uncertain. A mail whose row
        is locked is being sent right now by a live worker: not settled.
        Attempts whose outcome is known are cleaned up on the way."""
        Delivery = self.env["crm.notification.delivery"].sudo()
        Delivery.flush_model(["attempt_count", "state", "mail_id"])
        self.flush_model(["state"])
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    """SELECT d.id FROM crm_notification_send_attempt a
                         JOIN crm_notification_delivery d ON d.mail_id = a.mail_id
                         JOIN mail_mail m ON m.id = a.mail_id
                        WHERE a.attempt > COALESCE(d.attempt_count, 0) AND d.state = 'queued'
                          AND m.state IN ('outgoing', 'exception')
                          FOR UPDATE OF m SKIP LOCKED"""), log_exceptions=False)
                ids = [row[0] for row in self.env.cr.fetchall()]
                self.env.cr.execute(SQL(
                    """DELETE FROM crm_notification_send_attempt a
                        WHERE NOT EXISTS (
                              SELECT 1 FROM crm_notification_delivery d
                               WHERE d.mail_id = a.mail_id AND a.attempt > COALESCE(d.attempt_count, 0))"""),
                    log_exceptions=False)
        except psycopg2.errors.SerializationFailure:
            # another worker settled or sent them since this transaction began
            return
        if ids:
            Delivery.browse(ids)._mails_uncertain()

    def _send(self, auto_commit=False, raise_exception=False, smtp_session=None, alias_domain_id=False,
              mail_server=False, post_send_callback=None):
        ours = self._crm_ours()
        # ir.mail_server.send_email records the attempt of these mails
        token = SENDING.set({mail.message_id: mail.id for mail in ours} if ours else None)
        try:
            return super()._send(
                auto_commit=auto_commit, raise_exception=raise_exception, smtp_session=smtp_session,
                alias_domain_id=alias_domain_id, mail_server=mail_server, post_send_callback=post_send_callback,
            )
        finally:
            SENDING.reset(token)

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        ours = self._crm_ours()
        if ours:
            Delivery = self.env["crm.notification.delivery"]
            sent = ours.filtered(lambda mail: mail.state == "sent")
            Delivery._of_mails(sent)._mails_sent()
            Delivery._of_mails(ours - sent)._mails_failed(failure_type, failure_reason)
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason,
                                                 failure_type=failure_type)

    @api.model_create_multi
    def create(self, vals_list):
        mails = super().create(vals_list)
        # Odoo wakes its queue up for scheduled mails only: the delivery
        # log's would wait for the hourly run
        if any(vals.get("model") in self._crm_delivery_source_models for vals in vals_list):
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return mails

    @api.model
    def _crm_record_attempt(self, mail_id):
        """Commit, before the SMTP exchange, that ``mail_id`` is being sent
        (``_crm_execute_apart``)."""
        query = SQL(
            """INSERT INTO crm_notification_send_attempt (mail_id, attempt, date)
               SELECT mail_id, COALESCE(attempt_count, 0) + 1, now() AT TIME ZONE 'UTC'
                 FROM crm_notification_delivery WHERE mail_id = %s
               ON CONFLICT (mail_id) DO UPDATE SET attempt = EXCLUDED.attempt, date = EXCLUDED.date""",
            mail_id)
        self.env["crm.notification.delivery"].flush_model(["attempt_count", "mail_id"])
        self._crm_execute_apart(query)

    @api.model
    def _crm_forget_attempt(self, mail_id):
        """The attempt recorded for ``mail_id`` ended without the message
        reaching the server: not an uncertain send (committed apart too)."""
        self._crm_execute_apart(SQL("DELETE FROM crm_notification_send_attempt WHERE mail_id = %s", mail_id))

    def _crm_connection_lost(self, error):
        """The connection to the server was lost before it had this mail:
        a transient failure of the delivery (retried after a delay, failed
        after the last retry), as Odoo records when it cannot connect."""
        reason = str(error) or error.__class__.__name__
        self.write({"state": "exception", "failure_type": "mail_smtp", "failure_reason": reason})
        self.env["crm.notification.delivery"]._of_mails(self)._mails_failed("mail_smtp", reason)

    @api.model
    def _crm_execute_apart(self, query):
        """Run ``query`` on a cursor of its own, committed at once: the
        queue's transaction commits only after the server answered. In tests
        nothing may be committed: same cursor."""
        if getattr(threading.current_thread(), "testing", False):
            self.env.cr.execute(query)
            return
        with self.env.registry.cursor() as cr:
            # never wait long on a lock: the mail waits for the next run instead
            cr.execute("SET LOCAL lock_timeout = '5s'")
            cr.execute(query)
