# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Delivery log: one row per recipient, channel and occurrence.

Customer reminders, customer notifications and activity alerts all send
through this log, and the log is what guarantees that nothing is sent twice.
A sender *claims* its deliveries first (``_claim``) and sends only to the rows
actually claimed. The claim is an ``INSERT ... ON CONFLICT DO NOTHING`` on the
unique key below, and the sends themselves are rows queued in the same
database transaction (``mail.mail``, ``crm.notification``, ``sms.sms``), so:

* a cron killed before its commit rolls back the claims and the queued sends
  together: the re-run claims and sends them again, once;
* a cron killed after its commit finds its claims on the re-run: nothing is
  sent twice;
* two workers claiming the same delivery at once: the second INSERT waits on
  the unique index until the first transaction ends, then inserts nothing (or
  inserts, if the first one rolled back).

Past the claim, a delivery follows what really happened to its send:
``queued`` (an e-mail or SMS waiting in Odoo's queue) → ``sent`` (accepted by
the SMTP server or IAP; in-app notifications are sent at once) → ``failed``
(refused for good, with the reason) or ``bounced`` (Odoo's bounce handling).
An e-mail whose sending worker died between the SMTP server's answer and the
commit is ``uncertain``: it may or may not have left, so it is neither sent
again nor called sent (see ``mail_mail.py``). ``skipped`` deliveries were
decided against (no address, opted out).
"""

import logging
import re
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.tools import SQL, email_normalize, html_sanitize, plaintext2html

from ..tools.sql import insert_unnest, update_unnest

_logger = logging.getLogger(__name__)

CHANNELS = [("inapp", "In-app"), ("email", "E-mail"), ("sms", "SMS")]
STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("bounced", "Bounced"),
    ("uncertain", "Uncertain"),
    ("skipped", "Skipped"),
]
# Transient SMTP failures (server down, 4xx) are tried again after these
# delays, then the delivery fails: about 1 h 15 min in all.
RETRY_DELAYS = (
    timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=5),
    timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40),
)
# Column order matters for the index behind the constraint: with the
# recipient last, "the highest recipient already done for this occurrence"
# (how a group send resumes) is one index probe.
# SMTP reply codes in Odoo's failure reasons: "(451, b'4.3.0 Try later')",
# "{'a@example.com': (550, b'5.1.1 Unknown user')}"
SMTP_CODE = re.compile(r"\((\d{3}),")
LATEST_DELIVERIES = 200
# first key of the addon's advisory locks (the second one hashes the sender)
ADVISORY_LOCK_NAMESPACE = 0x6372
UNIQUE_KEY = ("res_model", "res_id", "occurrence_date", "channel", "partner_id")
# sources whose deliveries their readers may read (record rules): the
# relational field that mirrors res_model/res_id for each
SOURCE_FIELDS = {
    "crm.customer.notification": "customer_notification_id",
    "crm.customer.reminder": "reminder_id",
}


class CrmNotificationDelivery(models.Model):
    _name = "crm.notification.delivery"
    _description = "Notification Delivery"
    _order = "date desc, id desc"
    _rec_name = "res_name"

    # what caused the send: a reminder, a customer notification, an activity
    res_model = fields.Char("Related Document Model", required=True)
    res_id = fields.Many2oneReference("Related Document ID", model_field="res_model", required=True)
    # stored at creation: the log stays readable once the source is gone
    res_name = fields.Char("Related Document")
    # the partner identifies the recipient for users too, so that a user and
    # their own contact can never receive the same occurrence twice
    partner_id = fields.Many2one(
        "res.partner", string="Recipient", required=True, ondelete="cascade", index=True
    )
    user_id = fields.Many2one("res.users", string="Recipient User", ondelete="set null")
    channel = fields.Selection(CHANNELS, required=True)
    # UTC, the occurrence being delivered (not the time of the send)
    occurrence_date = fields.Datetime("Occurrence", required=True)
    state = fields.Selection(STATES, required=True, default="queued", index=True)
    reason = fields.Char()
    # sends of the e-mail whose outcome is known: transient failures are
    # retried with backoff; crm.notification.send.attempt tells an attempt
    # that never got its outcome recorded
    attempt_count = fields.Integer("Attempts", readonly=True)
    # a group member the sender may not read, skipped: the row exists (the
    # send resumes after it) but only administrators see it, and its name
    hidden_recipient = fields.Boolean(readonly=True)
    # the e-mail's Message-Id once sent, for bounces (the mail may be deleted)
    message_id = fields.Char("Message-Id", index="btree_not_null", groups="base.group_system")
    # what the record rules look at: the company the send was made for, and
    # the source as a real relation (rules cannot follow res_model/res_id)
    company_id = fields.Many2one("res.company", index="btree_not_null")
    customer_notification_id = fields.Many2one(
        "crm.customer.notification", ondelete="set null", index="btree_not_null",
    )
    reminder_id = fields.Many2one(
        "crm.customer.reminder", string="Customer Reminder", ondelete="set null", index="btree_not_null",
    )
    # The sends themselves: another user's in-app notification, the rendered
    # mail, and the SMS uuid that Odoo's public /sms/status route accepts are
    # only for administrators. Mails and notifications are garbage-collected
    # (auto_delete, the user's own deletions): the partial indexes keep their
    # set-null cheap.
    mail_id = fields.Many2one(
        "mail.mail", string="E-mail", ondelete="set null", index="btree_not_null", groups="base.group_system"
    )
    notification_id = fields.Many2one(
        "crm.notification", string="In-app Notification", ondelete="set null", index="btree_not_null",
        groups="base.group_system",
    )
    # sms is not a dependency: the SMS glue links its rows by uuid
    sms_uuid = fields.Char("SMS UUID", groups="base.group_system")
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    # A claim whose send waits (SMS in the customer's quiet hours, or for
    # their local time): claimed now, so that it is sent once; queued by the
    # source's cron when this time comes (_crm_send_deferred). E-mails wait
    # in Odoo's mail queue instead (mail.mail.scheduled_date).
    deferred_until = fields.Datetime("Held Until", readonly=True, index="btree_not_null")
    # the e-mail sent because this SMS could not be (no number, failed)
    fallback_from_id = fields.Many2one(
        "crm.notification.delivery", string="Fallback Of", readonly=True, ondelete="set null",
        index="btree_not_null",
    )
    # what the recipient got, as logged on the customer's chatter (customer
    # notifications): whoever reads the delivery reads its content
    sent_subject = fields.Char("Subject", compute="_compute_sent_content")
    sent_body = fields.Html("Content", compute="_compute_sent_content", sanitize=False)

    # A second send of the same occurrence to the same recipient on the same
    # channel must be impossible, even when a cron is killed mid-batch and run
    # again or two workers run at once: only the database can promise that,
    # and _claim's ON CONFLICT relies on this very index.
    _sql_constraints = [
        (
            "delivery_unique",
            "UNIQUE(res_model, res_id, occurrence_date, channel, partner_id)",
            "This occurrence was already delivered to this recipient on this channel.",
        ),
    ]

    def _compute_sent_content(self):
        """What the recipient got, for whoever reads the delivery: a customer
        notification's note on the customer's chatter; a reminder's e-mail
        (kept) or in-app notification, while they exist."""
        messages = self.env["mail.message"].sudo().search([("crm_delivery_id", "in", self.ids)]).grouped(
            "crm_delivery_id") if self.ids else {}
        for delivery in self:
            message = messages.get(delivery, self.env["mail.message"])[:1]
            subject, body = message.subject, message.body
            source = delivery.sudo()
            if not message and source.reminder_id:
                if source.mail_id:
                    subject, body = source.mail_id.subject, html_sanitize(source.mail_id.body_html)
                elif source.notification_id:
                    subject, body = source.notification_id.title, plaintext2html(source.notification_id.body or "")
            delivery.sent_subject = subject
            delivery.sent_body = body

    # ------------------------------------------------------------
    # Claiming
    # ------------------------------------------------------------

    @api.model
    def _claim(self, values_list):
        """Insert the deliveries that are not logged yet, in one statement.

        :param values_list: list of dicts with the keys ``res_model``,
            ``res_id``, ``partner_id``, ``channel``, ``occurrence_date``
            (UTC, naive datetime or string) and optionally ``state``
            (by default ``'sent'`` in-app, ``'queued'`` by e-mail and SMS,
            see ``_initial_state``), ``reason``, ``res_name`` (the source's
            display name when missing), ``user_id``, ``mail_id``,
            ``notification_id``, ``sms_uuid``, ``company_id`` (the source's
            ``company_id`` when missing), ``fallback_from_id``.
        :return: the deliveries actually inserted; the values whose
            (res_model, res_id, partner_id, channel, occurrence_date) is
            already logged, by an earlier run, by a concurrent worker or
            earlier in the same list, are left out.

        The caller queues the sends of the returned deliveries only, inside
        the same transaction; the queues report their outcome later
        (``_mails_sent``, ``_mails_failed``, the SMS glue).

        The ORM's ``create`` cannot do this: it would raise on the first
        duplicate and abort the whole batch, and costs one INSERT per 100 rows.
        """
        if not values_list:
            return self.browse()
        for values in values_list:
            if values["channel"] not in dict(CHANNELS):
                raise ValueError(f"Unknown delivery channel {values['channel']!r}")
            if values.get("state", "queued") not in dict(STATES):
                raise ValueError(f"Unknown delivery state {values['state']!r}")
        res_names, companies = self._source_names(values_list)
        columns = {
            "res_model": ("varchar", [v["res_model"] for v in values_list]),
            "res_id": ("int4", [v["res_id"] for v in values_list]),
            "res_name": ("varchar", res_names),
            "partner_id": ("int4", [v["partner_id"] for v in values_list]),
            "user_id": ("int4", [v.get("user_id") or None for v in values_list]),
            "channel": ("varchar", [v["channel"] for v in values_list]),
            "occurrence_date": (
                "timestamp",
                [fields.Datetime.to_datetime(v["occurrence_date"]) for v in values_list],
            ),
            "state": ("varchar", [v.get("state") or self._initial_state(v["channel"]) for v in values_list]),
            "reason": ("varchar", [v.get("reason") or None for v in values_list]),
            "mail_id": ("int4", [v.get("mail_id") or None for v in values_list]),
            "notification_id": ("int4", [v.get("notification_id") or None for v in values_list]),
            "sms_uuid": ("varchar", [v.get("sms_uuid") or None for v in values_list]),
            "company_id": ("int4", companies),
            "hidden_recipient": ("bool", [bool(v.get("hidden_recipient")) for v in values_list]),
            "fallback_from_id": ("int4", [v.get("fallback_from_id") or None for v in values_list]),
            "date": ("timestamp", [fields.Datetime.now()] * len(values_list)),
        }
        for model, fname in SOURCE_FIELDS.items():
            columns[fname] = ("int4", [v["res_id"] if v["res_model"] == model else None for v in values_list])
        # rows created through the ORM earlier in the transaction must be in
        # the table for the conflict check to see them
        self.flush_model()
        return self.browse(insert_unnest(self.env, self._table, columns, conflict_key=UNIQUE_KEY))

    @api.model
    def _run_sender(self, sender, send):
        """Run ``send()``, one batch of a sending cron, as the only worker
        sending for ``sender`` (see ``_try_sender_lock``). Rows changed by
        another process since this transaction's snapshot (PostgreSQL's
        repeatable read refuses to claim or lock them) end the batch quietly:
        the cron runner calls again, on a fresh snapshot."""
        if not self._try_sender_lock(sender):
            return
        try:
            with self.env.cr.savepoint():
                send()
        except psycopg2.errors.SerializationFailure:
            _logger.info("%s: rows changed by another worker meanwhile, resuming on the next call", sender)
            # "some done, some remaining" makes the runner call again at once
            self.env["ir.cron"]._notify_progress(done=1, remaining=1)

    @api.model
    def _try_sender_lock(self, sender):
        """Whether this transaction may send for ``sender`` (a cron's name):
        one worker at a time. Another one (a second cron worker, a manual
        run) gets False at once and leaves the work to the holder, instead of
        claiming the same rows and failing on them. Released at commit."""
        self.env.cr.execute(SQL(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", ADVISORY_LOCK_NAMESPACE,
            f"crm_notifications.{sender}",
        ))
        locked = self.env.cr.fetchone()[0]
        if not locked:
            _logger.info("%s: another worker is sending, leaving it the work", sender)
        return locked

    @api.model
    def _initial_state(self, channel):
        """In-app notifications are delivered by their very insertion; the
        other channels wait in Odoo's queues."""
        return "sent" if channel == "inapp" else "queued"

    @api.model
    def _log_skipped(self, values_list):
        """Log deliveries that were decided against (no e-mail address, opted
        out...), each with its ``reason``. Claimed like sends, so an
        occurrence skipped for a recipient on a channel is never sent there
        later by a re-run, and logging it twice is harmless.

        :return: the deliveries actually inserted.
        """
        return self._claim([dict(values, state="skipped") for values in values_list])

    @api.model
    def _compute_deliveries_of(self, sources, limit=LATEST_DELIVERIES):
        """Fill ``delivery_ids`` (the latest ``limit`` ones), ``delivery_count``
        and the counts per state of ``sources`` (crm.delivery.source.mixin),
        in one grouped query: a group send logs a row per member, which a
        form must not load whole."""
        counts = {}
        if sources.ids:
            for res_id, state, count in self._read_group(
                [("res_model", "=", sources._name), ("res_id", "in", sources.ids)], ["res_id", "state"], ["__count"]
            ):
                counts.setdefault(res_id, {})[state] = count
        state_fields = sources._delivery_state_fields()
        for source in sources:
            source_counts = counts.get(source.id, {})
            source.delivery_count = sum(source_counts.values())
            for state, fname in state_fields.items():
                source[fname] = source_counts.get(state, 0)
            source.delivery_ids = self.search(
                [("res_model", "=", sources._name), ("res_id", "=", source.id)], limit=limit
            ) if source.id and source.delivery_count else self.browse()

    def _link_sends(self, fname, send_ids):
        """Link each delivery to its send (``mail_id`` or ``notification_id``),
        ``send_ids`` in the order of ``self``, in one statement."""
        if fname not in ("mail_id", "notification_id"):
            raise ValueError(f"Not a send link: {fname!r}")
        update_unnest(self, fname, "int", send_ids)

    def _crm_set_res_names(self, names):
        """Name each delivery after what its recipient got (the rendered
        subject), ``names`` in the order of ``self``, in one statement."""
        update_unnest(self, "res_name", "varchar", names)

    def _source_names(self, values_list):
        """Display names and companies of the sources, read once per model
        for the values that do not bring their own.

        :return: (names, company ids), lists in the order of ``values_list``
        """
        missing = {}
        for values in values_list:
            if not values.get("res_name") or "company_id" not in values:
                missing.setdefault(values["res_model"], set()).add(values["res_id"])
        names, companies = {}, {}
        for model, ids in missing.items():
            # the log names its sources whoever sends: crons run as any user
            records = self.env[model].sudo().browse(ids).exists()
            has_company = "company_id" in records._fields
            for record in records:
                names[model, record.id] = record.display_name
                if has_company:
                    companies[model, record.id] = record.company_id.id
        return [
            values.get("res_name") or names.get((values["res_model"], values["res_id"])) or None
            for values in values_list
        ], [
            values["company_id"] if "company_id" in values
            else companies.get((values["res_model"], values["res_id"])) or None
            for values in values_list
        ]

    # ------------------------------------------------------------
    # Outcome of the queued e-mails (reported by mail.mail)
    # ------------------------------------------------------------

    @api.model
    def _of_mails(self, mails):
        return self.sudo().search([("mail_id", "in", mails.ids)]) if mails else self.sudo().browse()

    def _mails_sent(self):
        """The SMTP server accepted the mails of these deliveries."""
        for delivery in self.sudo():
            mail = delivery.mail_id
            delivery.write({
                "state": "sent", "reason": False, "attempt_count": delivery.attempt_count + 1,
                "message_id": mail.message_id,
            })

    def _mails_failed(self, failure_type, failure_reason):
        """The mails of these deliveries were not accepted. Transient
        failures (server unreachable, 4xx) go back to the queue after a
        growing delay; permanent ones (5xx, invalid address) and the last
        attempt fail the delivery with the reason."""
        now = fields.Datetime.now()
        failed = self.browse()
        for delivery in self.sudo():
            mail = delivery.mail_id
            reason = failure_reason or mail.failure_reason or failure_type or _("Unknown error")
            attempt = delivery.attempt_count + 1
            if self._is_transient(failure_type, reason) and attempt <= len(RETRY_DELAYS):
                retry_at = now + RETRY_DELAYS[attempt - 1]
                mail.write({"state": "outgoing", "scheduled_date": retry_at})
                delivery.write({
                    "state": "queued", "attempt_count": attempt,
                    "reason": _("Attempt %(attempt)s failed, retrying at %(at)s UTC: %(reason)s",
                                attempt=attempt, at=fields.Datetime.to_string(retry_at), reason=reason),
                })
                self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger(at=retry_at)
            else:
                delivery.write({"state": "failed", "attempt_count": attempt, "reason": reason})
                failed |= delivery
        if failed:
            failed._notify_failed()

    @api.model
    def _is_transient(self, failure_type, reason):
        """Worth another try: the server could not be reached, or every SMTP
        reply code in the reason is a 4xx."""
        if failure_type == "mail_smtp":
            return True
        codes = SMTP_CODE.findall(reason or "")
        return bool(codes) and all(code.startswith("4") for code in codes)

    def _mails_uncertain(self):
        """The worker sending these mails died between handing them to the
        SMTP server and recording the answer: they may have left. Neither
        sent again (a duplicate at the customer) nor called sent."""
        for delivery in self.sudo():
            delivery.mail_id.write({
                "state": "exception", "failure_type": "unknown",
                "failure_reason": _("Uncertain: the sending process stopped while the mail server was answering; "
                                    "not sent again, to avoid a duplicate."),
            })
            delivery.write({
                "state": "uncertain", "attempt_count": delivery.attempt_count + 1,
                "reason": _("The sending process stopped while the mail server was answering: the e-mail may or "
                            "may not have been delivered, and is not sent again."),
            })
            _logger.warning("Delivery %s: e-mail %s uncertain (worker stopped during the SMTP exchange)",
                            delivery.id, delivery.mail_id.id)
        self._notify_failed()

    @api.model
    def _mark_bounced(self, message_ids, bounced_email, reason):
        """Odoo's bounce handling found a bounce of these Message-Ids for
        ``bounced_email``: the deliveries of those mails to that address
        bounced (as Odoo marks a notification bounced only for the partner
        whose address bounced)."""
        address = email_normalize(bounced_email or "")
        if not message_ids or not address:
            return
        deliveries = self.sudo().search([("message_id", "in", list(message_ids))]).filtered(
            lambda delivery: email_normalize(delivery.partner_id.email or "") == address)
        deliveries.write({"state": "bounced", "reason": reason})
        deliveries._notify_failed()

    def _notify_failed(self):
        """Hook: deliveries that did not reach their recipient (failed,
        bounced, uncertain). Activity alerts tell the administrators."""
        for model, deliveries in self.grouped("res_model").items():
            source = self.env[model]
            if hasattr(source, "_crm_deliveries_failed"):
                source._crm_deliveries_failed(deliveries)
