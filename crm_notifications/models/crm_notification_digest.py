# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Daily digest (issue 12): users in "digest" mode get one e-mail a day, at
their ``crm_digest_hour`` in their timezone, listing their notifications
still unread since the previous digest.

A notification made in "digest" mode (``is_digest``) is *pending* while it
is unread, not resolved and in no digest yet (``digest_delivery_id``); the
partial index of ``init()`` holds only those, so the cron's scan reads the
pending ones, not the table. The cron (``_cron_send_digests``), as the only
worker sending digests (``_run_sender``), finds the users whose digest is
due (``tools/digest.py``: the digest instant of the day has come, and no
digest was sent on that local day yet) and, per batch of users, in one
transaction: claims one delivery per user and digest instant in the
delivery log (res.users, the user, the instant, e-mail, their partner),
queues the claimed mails, and writes the delivery on the notifications it
lists. A crash before the commit rolls all of it back; a re-run after it
finds the claims, and the notifications out of the scan: exactly one digest
per user and day.
"""

import logging
from collections import defaultdict

from odoo import Command, api, fields, models, tools
from odoo.tools import SQL, email_normalize, format_date

from ..tools import digest
from .crm_notification import UNREAD_SQL

_logger = logging.getLogger(__name__)

DIGEST_BATCH_SIZE = 200
DEFAULT_DIGEST_HOUR = 8
# still to be listed in a digest: the partial index's predicate
PENDING_DIGEST_SQL = f"is_digest AND digest_delivery_id IS NULL AND {UNREAD_SQL}"
# the same, on the alias n
PENDING_DIGEST_SQL_N = "n.is_digest AND n.digest_delivery_id IS NULL AND " + UNREAD_SQL.replace("is_", "n.is_")
DIGEST_SENDER = "notification_digest"


class CrmNotification(models.Model):
    _inherit = "crm.notification"

    # the digest that listed it: "since the previous digest" is "in none yet"
    digest_delivery_id = fields.Many2one(
        "crm.notification.delivery", string="Sent in Digest", readonly=True, copy=False, ondelete="set null",
        index="btree_not_null",
    )

    def init(self):
        res = super().init()
        # the cron's scan: pending digest notifications by user and date;
        # read, resolved and digested ones leave it
        tools.create_index(
            self.env.cr,
            "crm_notification_digest_pending_idx",
            self._table,
            ["user_id", "date"],
            where=PENDING_DIGEST_SQL,
        )
        return res

    # ------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------

    @api.model
    def _cron_send_digests(self, batch_size=DIGEST_BATCH_SIZE):
        """Send the due digests of up to ``batch_size`` users; Odoo's cron
        runner commits after the call and calls again at once while
        ``remaining`` is reported."""
        self.env["crm.notification.delivery"]._run_sender(
            DIGEST_SENDER, lambda: self._digest_send_batch(batch_size))
        return True

    @api.model
    def _digest_send_batch(self, batch_size):
        now = fields.Datetime.now()
        candidates = self._digest_candidates(now)
        due = sorted(
            (candidate["instant"], user_id) for user_id, candidate in candidates.items() if candidate["instant"]
        )
        batch = due[:batch_size]
        if batch:
            self._digest_send({user_id: instant for instant, user_id in batch})
            for instant, user_id in batch:
                candidates[user_id]["last"] = instant
        # wake up at the next digest of whoever has something pending
        upcoming = [
            digest.upcoming_digest(now, candidate["hour"], candidate["tz"], candidate["last"])
            for candidate in candidates.values()
        ]
        if upcoming:
            self._digest_trigger(min(upcoming))
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=len(due) - len(batch))

    @api.model
    def _digest_candidates(self, now):
        """The users with pending digest notifications, in one query (the
        partial index of pending ones, then each user's latest digest in the
        delivery log), as {user id: {hour, tz, last, instant}}: ``instant``
        is the digest instant due at ``now`` when one is and lists at least
        one notification (created before it), else None."""
        self.flush_model(["user_id", "date", "is_digest", "digest_delivery_id", "is_read", "is_resolved",
                          "snoozed_until"])
        self.env["res.users"].flush_model(["active", "share", "partner_id", "crm_digest_hour"])
        self.env["res.partner"].flush_model(["tz"])
        self.env["crm.notification.delivery"].flush_model(["res_model", "res_id", "channel", "occurrence_date"])
        self.env.cr.execute(SQL(
            """SELECT n.user_id, MIN(n.date), u.crm_digest_hour, p.tz,
                      (SELECT MAX(d.occurrence_date) FROM crm_notification_delivery AS d
                        WHERE d.res_model = 'res.users' AND d.res_id = n.user_id AND d.channel = 'email')
                 FROM crm_notification AS n
                 JOIN res_users AS u ON u.id = n.user_id
                 JOIN res_partner AS p ON p.id = u.partner_id
                WHERE %(pending)s AND (n.snoozed_until IS NULL OR n.snoozed_until <= %(now)s)
                  AND u.active AND NOT u.share
             GROUP BY n.user_id, u.crm_digest_hour, p.tz""",
            pending=SQL(PENDING_DIGEST_SQL_N),
            now=now,
        ))
        candidates = {}
        for user_id, oldest, hour, tz, last in self.env.cr.fetchall():
            hour = hour if digest.valid_hour(hour) else DEFAULT_DIGEST_HOUR
            instant = digest.pending_digest(now, hour, tz, last)
            candidates[user_id] = {
                "hour": hour, "tz": tz, "last": last,
                # nothing to list created before the instant: nothing sent
                "instant": instant if instant and oldest < instant else None,
            }
        return candidates

    @api.model
    def _digest_send(self, instants):
        """Claim, queue and record the digests of the users ``instants``
        ({user id: digest instant}), a fixed number of queries whatever
        their number."""
        user_ids = sorted(instants)
        self.env.cr.execute(SQL(
            """SELECT n.id FROM crm_notification AS n
                 JOIN unnest(%(users)s::int4[], %(instants)s::timestamp[]) AS b(user_id, instant)
                   ON n.user_id = b.user_id
                WHERE %(pending)s AND n.date < b.instant
                  AND (n.snoozed_until IS NULL OR n.snoozed_until <= %(now)s)
             ORDER BY n.user_id, n.date, n.id""",
            users=user_ids, instants=[instants[user_id] for user_id in user_ids],
            pending=SQL(PENDING_DIGEST_SQL_N),
            now=fields.Datetime.now(),
        ))
        listed = defaultdict(list)
        notifications = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        for notification in notifications:
            listed[notification.user_id.id].append(notification.id)
        users = self.env["res.users"].sudo().browse(listed)
        claims, skipped = [], []
        for user in users:
            lang = user.lang or "en_US"
            values = {
                "res_model": "res.users", "res_id": user.id,
                "res_name": self._digest_name(user, instants[user.id], lang),
                "partner_id": user.partner_id.id, "user_id": user.id, "channel": "email",
                "occurrence_date": instants[user.id], "company_id": user.company_id.id,
            }
            if email_normalize(user.email or ""):
                claims.append(values)
            else:
                skipped.append(dict(values, reason=self.with_context(lang=lang).env._("No e-mail address")))
        Delivery = self.env["crm.notification.delivery"].sudo()
        # a user without an address: the day's digest is decided (skipped,
        # logged once) and its notifications are out of the next ones
        decided = Delivery._log_skipped(skipped) | Delivery._claim(claims)
        emailed = decided.filtered(lambda delivery: delivery.state != "skipped")
        if emailed:
            mails = self.env["mail.mail"].sudo().create([
                # one prefetch for the whole batch, not a read per user
                self._digest_mail_values(delivery, notifications.browse(listed[delivery.user_id.id]).with_prefetch(
                    notifications._prefetch_ids))
                for delivery in emailed
            ])
            emailed._link_sends("mail_id", mails.ids)
        # the listed notifications leave the scan with their delivery
        marks = [(notification_id, delivery.id) for delivery in decided
                 for notification_id in listed[delivery.user_id.id]]
        if marks:
            self.env.cr.execute(SQL(
                """UPDATE crm_notification AS n SET digest_delivery_id = m.delivery_id
                     FROM unnest(%s::int4[], %s::int4[]) AS m(id, delivery_id)
                    WHERE n.id = m.id""",
                [mark[0] for mark in marks], [mark[1] for mark in marks],
            ))
            self.invalidate_model(["digest_delivery_id"])
        _logger.info("Daily digest: %s users due, %s e-mails queued, %s skipped, %s notifications listed",
                     len(instants), len(emailed), len(decided) - len(emailed), len(marks))

    @api.model
    def _digest_trigger(self, at):
        """Wake the digest cron up at ``at`` (UTC), once: each run names the
        next digest instant, which the hourly runs would add again."""
        cron = self.env.ref("crm_notifications.ir_cron_notification_digest", raise_if_not_found=False)
        if not cron:
            return
        self.env["ir.cron.trigger"].flush_model(["cron_id", "call_at"])
        self.env.cr.execute(SQL(
            "SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s AND call_at = %s LIMIT 1", cron.id, at,
        ))
        if not self.env.cr.fetchone():
            cron.sudo()._trigger(at=at)

    # ------------------------------------------------------------
    # The e-mail
    # ------------------------------------------------------------

    @api.model
    def _digest_name(self, user, instant, lang):
        """What the digest is called (the delivery log's name, the e-mail's
        header): the user's local day, in their language."""
        env = self.with_context(lang=lang).env
        day = format_date(env, digest.local_day(instant, user.tz), lang_code=lang)
        return env._("Daily digest of %(day)s", day=day)

    def _digest_mail_values(self, delivery, notifications):
        """The ``mail.mail`` values of the digest ``delivery`` listing
        ``notifications``, in the recipient's language: the view
        ``mail_body_notification_digest`` in the addon's light layout."""
        user = delivery.user_id
        lang = user.lang or "en_US"
        env = self.with_context(lang=lang).env
        notifications = notifications.with_env(env).sudo()
        count = len(notifications)
        name = self._digest_name(user, delivery.occurrence_date, lang)
        if count == 1:
            subject = env._("%(name)s: 1 unread notification", name=name)
        else:
            subject = env._("%(name)s: %(count)s unread notifications", name=name, count=count)
        base_url = self.get_base_url()
        values = {
            "user": user.with_env(env),
            "notifications": notifications,
            "count": count,
            "hour": f"{user.crm_digest_hour:02d}:00",
            "urls": {n.id: f"{base_url}/odoo/{n.res_model}/{n.res_id}" for n in notifications},
            "preferences_url": f"{base_url}/odoo/action-crm_notifications.crm_notification_preference_action",
        }
        body = env["ir.qweb"]._render("crm_notifications.mail_body_notification_digest", values,
                                      minimal_qcontext=True)
        body = env["mail.render.mixin"]._render_encapsulate(
            "crm_notifications.mail_notification_light", body, add_context={
                # the layout reads its header from a message, as in Odoo's
                # notifications: a new one, never saved
                "message": env["mail.message"].sudo().new({"body": body, "record_name": name}),
                "model_description": env._("Notifications"),
                "company": user.company_id,
                "lang": lang,
            })
        email_from = user.company_id.email_formatted or self.env["ir.mail_server"].sudo()._get_default_from_address()
        return {
            "subject": subject,
            "body_html": body,
            "recipient_ids": [Command.link(user.partner_id.id)],
            "email_from": email_from,
            # given: Odoo would look the reply-to up per mail (an alias
            # search each), a query per user of the batch
            "reply_to": email_from,
            # The mail's document is its delivery, not the user: its message
            # (and Message-Id) is read by the recipient and administrators
            # only; mail_mail.py reports the outcome to the delivery.
            "model": delivery._name,
            "res_id": delivery.id,
            "auto_delete": False,
        }
