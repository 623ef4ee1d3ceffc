# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Activity alerts: a reminder to the assignee before an activity is due, an
escalation to the company's escalation recipients (and the assignee's manager)
once it is late.

Due means ``crm_deadline_utc``: the end of the due date in the assignee's
timezone (``tools/schedule.py``). The cron scans, in one indexed query per
kind, the activities whose alert is due and not yet sent for their current
deadline (``crm_reminder_done_for`` / ``crm_escalation_done_for`` differ from
``crm_deadline_utc``): the partial indexes of ``init()`` hold only those
pending alerts, so a scan reads the due ones, not every activity. Sends are
claimed in the delivery log (one row per activity, alert instant, recipient,
channel) in the same transaction as the queued ``mail.mail`` and
``crm.notification`` rows and the ``*_done_for`` marks: exactly once across a
crash and with two workers.
"""

import datetime
import logging
from typing import NamedTuple

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.tools import SQL, email_normalize, format_date
from odoo.tools.misc import get_lang

from ..tools import schedule
from .crm_notification import QueuedEvent, Target

_logger = logging.getLogger(__name__)

CRON_BATCH_SIZE = 100


class AlertKind(NamedTuple):
    """An activity alert: its settings on the company, its mark on the
    activity, its in-app event."""

    hours_field: str  # res.company: hours before / after the deadline
    done_field: str  # mail.activity: the deadline it was sent for
    event: str  # crm.notification event
    sender_field: str  # res.company: who the e-mail is from


ALERT_KINDS = {
    "reminder": AlertKind("crm_activity_reminder_hours", "crm_reminder_done_for", "activity_reminder",
                          "crm_activity_reminder_sender"),
    "escalation": AlertKind("crm_activity_late_hours", "crm_escalation_done_for", "activity_late",
                            "crm_activity_late_sender"),
}


# computed or written by the alert cron only
ALERT_FIELDS = frozenset({"crm_deadline_utc", "crm_reminder_done_for", "crm_escalation_done_for"})


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # Odoo already detects activity assignment in create/write and calls
    # action_notify() (never for self-assignment nor quick updates): rules on
    # user_id are served from there, not from base.write.
    _crm_notification_host_fields = ("user_id",)

    crm_deadline_utc = fields.Datetime(
        "Due At", compute="_compute_crm_deadline_utc", store=True, copy=False,
        help="When the activity is due: the end of its due date (23:59:59) in the assignee's timezone "
        "(UTC when the assignee has none). Reminders go out the configured hours before, escalations "
        "the configured hours after.",
    )
    # the deadline each alert was last sent (or skipped) for: moving the
    # deadline makes them differ again, which re-arms the alerts
    crm_reminder_done_for = fields.Datetime("Reminder Sent For", readonly=True, copy=False)
    crm_escalation_done_for = fields.Datetime("Escalation Sent For", readonly=True, copy=False)

    def init(self):
        res = super().init()
        # one partial index per alert, holding only the active activities whose
        # alert is pending for their current deadline: sent ones leave it, so a
        # scan up to "now + N hours" reads the due ones only
        for done_for in ("crm_reminder_done_for", "crm_escalation_done_for"):
            tools.create_index(
                self.env.cr,
                f"mail_activity_{done_for}_pending_idx",
                self._table,
                ["crm_deadline_utc", "id"],
                where=f"active AND ({done_for} IS NULL OR {done_for} <> crm_deadline_utc)",
            )
        return res

    @api.depends("date_deadline", "user_tz")
    def _compute_crm_deadline_utc(self):
        for activity in self:
            activity.crm_deadline_utc = (
                schedule.deadline_utc(activity.date_deadline, activity.user_tz) if activity.date_deadline else False
            )

    # ------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        model = self
        if not self.env.su:
            for vals in vals_list:
                self._crm_check_alert_fields(vals)
            forbidden = {f"default_{fname}" for fname in ALERT_FIELDS}
            if forbidden.intersection(self.env.context):
                model = self.with_env(self.env(context={
                    key: value for key, value in self.env.context.items() if key not in forbidden
                }))
        return super(MailActivity, model).create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._crm_check_alert_fields(vals)
        res = super().write(vals)
        if "active" in vals and not vals["active"]:
            # done (kept as archived): its notifications resolve
            self.env["crm.notification"]._queue_resolve([(self._name, res_id, 0) for res_id in self.ids])
        return res

    def _crm_notification_causes_gone(self):
        # the alerts' notifications are caused by the activity too, with or
        # without an activity rule
        return [(self._name, res_id, 0) for res_id in self.ids]

    @api.model
    def _crm_alerts_cancel_queued(self, activity_ids):
        """The alert e-mails of these (done, deleted) activities still in the
        mail queue are cancelled, their deliveries skipped. Mails the queue
        is sending at this moment (locked) go out."""
        Delivery = self.env["crm.notification.delivery"].sudo()
        deliveries = Delivery.search([
            ("res_model", "=", self._name), ("res_id", "in", list(activity_ids)),
            ("channel", "=", "email"), ("state", "=", "queued"), ("mail_id", "!=", False),
        ])
        if not deliveries:
            return
        self.env["mail.mail"].flush_model(["state"])
        self.env.cr.execute(SQL(
            """SELECT id FROM mail_mail WHERE id = ANY(%s) AND state = 'outgoing'
                 FOR NO KEY UPDATE SKIP LOCKED""", deliveries.mail_id.ids,
        ))
        mails = self.env["mail.mail"].sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if not mails:
            return
        mails.write({"state": "cancel"})
        deliveries.filtered(lambda delivery: delivery.mail_id in mails).write({
            "state": "skipped",
            "reason": _("The activity was done or deleted before its alert went out."),
        })

    @api.model
    def _crm_check_alert_fields(self, vals):
        """When an activity is due and whether its alerts went out are the
        alert cron's: an assignee who wrote them would silence the
        escalation of their own late activity."""
        touched = ALERT_FIELDS.intersection(vals)
        if touched:
            raise AccessError(_(
                "%(fields)s: set by the activity alerts only.",
                fields=", ".join(sorted(self._fields[fname]._description_string(self.env) for fname in touched)),
            ))

    def action_notify(self):
        if not self or not self._crm_notification_enabled():
            return super().action_notify()
        Rule = self.env["crm.notification.rule"]
        rules = [
            rule for rule in Rule._get_model_rules(self._name)
            if rule.trigger == "assign" and rule.field == "user_id"
        ]
        entries = []
        silenced = self.browse()
        for rule in rules:
            activities = rule.filter(self)
            entries += [
                QueuedEvent(rule.id, "assigned", self._name, activity.id, activity.user_id.id, role=rule.field)
                for activity in activities
            ]
            if not rule.keep_odoo_email:
                silenced |= activities
        self.env["crm.notification"]._queue(entries)
        return super(MailActivity, self - silenced).action_notify()

    def _crm_notification_targets(self):
        date_format = get_lang(self.env).date_format
        result = {}
        for activity in self:
            summary = activity.summary or activity.activity_type_id.name or ""
            deadline = fields.Date.to_date(activity.date_deadline)
            body = _("%(summary)s, due %(deadline)s", summary=summary,
                     deadline=deadline.strftime(date_format) if deadline else "")
            result[activity.id] = Target(activity.res_model, activity.res_id, activity.res_name, body)
        return result

    # ------------------------------------------------------------
    # Activity alerts
    # ------------------------------------------------------------

    @api.model
    def _crm_alerts_mark_existing(self):
        """At install: the alerts of activities already past them are not sent
        (no flood of reminders and escalations about old activities)."""
        self.env.flush_all()
        now = fields.Datetime.now()
        for kind, (hours_field, done_for, _event, _sender) in ALERT_KINDS.items():
            sql_sign = SQL("-") if kind == "reminder" else SQL("+")
            self.env.cr.execute(SQL(
                """UPDATE mail_activity AS a SET %(done_for)s = a.crm_deadline_utc
                     FROM res_company AS c
                    WHERE c.id = %(company)s AND a.active
                      AND a.crm_deadline_utc %(sign)s c.%(hours)s * interval '1 hour' <= %(now)s""",
                done_for=SQL.identifier(done_for), sign=sql_sign, hours=SQL.identifier(hours_field),
                company=self.env.company.id, now=now,
            ))
        self.invalidate_model(["crm_reminder_done_for", "crm_escalation_done_for"])

    @api.model
    def _cron_send_activity_alerts(self, batch_size=CRON_BATCH_SIZE):
        """Send one batch of due reminders and one of due escalations; Odoo's
        cron runner commits after the call and calls again at once while
        ``remaining`` is reported."""
        self.env["crm.notification.delivery"]._run_sender(
            "activity_alerts", lambda: self._crm_alerts_send_batch(batch_size))
        return True

    @api.model
    def _crm_alerts_send_batch(self, batch_size):
        now = fields.Datetime.now()
        done = remaining = 0
        for kind in ALERT_KINDS:
            activities = self._crm_alerts_due(kind, now, limit=batch_size)
            if activities:
                activities._crm_alerts_send(kind, now)
            done += len(activities)
            if len(activities) == batch_size:
                # more may be due: the runner calls again. Counting them
                # exactly would cost a scan the partial index cannot bound.
                remaining += 1
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _crm_alerts_query(self, kind, now):
        """The due activities of an alert ``kind``, as (FROM, WHERE) SQL.

        The hours are per company (the assignee's, else the current one):
        each activity is joined to its company's hours, and the range on
        ``crm_deadline_utc`` bounded by the widest company setting keeps the
        scan on the partial index of pending alerts.
        """
        hours_field, done_for = ALERT_KINDS[kind].hours_field, ALERT_KINDS[kind].done_field
        companies = self.env["res.company"].sudo().search([])
        hours = [company[hours_field] for company in companies]
        if kind == "reminder":
            bound = now + datetime.timedelta(hours=max(hours))
            due = SQL("a.crm_deadline_utc - conf.hours * interval '1 hour' <= %s", now)
        else:
            bound = now - datetime.timedelta(hours=min(hours))
            due = SQL("a.crm_deadline_utc + conf.hours * interval '1 hour' <= %s", now)
        from_ = SQL(
            """mail_activity AS a
          LEFT JOIN res_users AS u ON u.id = a.user_id
               JOIN unnest(%(company_ids)s::int[], %(hours)s::int[]) AS conf(company_id, hours)
                 ON conf.company_id = COALESCE(u.company_id, %(default_company)s)""",
            company_ids=companies.ids, hours=hours, default_company=self.env.company.id,
        )
        where = SQL(
            """a.active AND (a.%(done_for)s IS NULL OR a.%(done_for)s <> a.crm_deadline_utc)
           AND a.crm_deadline_utc <= %(bound)s AND %(due)s""",
            done_for=SQL.identifier(done_for), bound=bound, due=due,
        )
        return from_, where

    @api.model
    def _crm_alerts_due(self, kind, now, limit=CRON_BATCH_SIZE):
        """A batch of activities due for the alert ``kind``, locked for this
        worker: rows another worker is sending are skipped, not waited for."""
        self.flush_model(["active", "crm_deadline_utc", "crm_reminder_done_for", "crm_escalation_done_for",
                          "user_id"])
        from_, where = self._crm_alerts_query(kind, now)
        self.env.cr.execute(SQL(
            """SELECT a.id FROM %(from_)s WHERE %(where)s
             ORDER BY a.crm_deadline_utc, a.id
                LIMIT %(limit)s
                  FOR NO KEY UPDATE OF a SKIP LOCKED""",
            from_=from_, where=where, limit=limit,
        ))
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _crm_alerts_due_count(self, kind, now):
        """Exact number of due alerts of ``kind`` (for monitoring and
        bench/; the cron does not count)."""
        from_, where = self._crm_alerts_query(kind, now)
        self.env.cr.execute(SQL("SELECT COUNT(*) FROM %s WHERE %s", from_, where))
        return self.env.cr.fetchone()[0]

    def _crm_alerts_send(self, kind, now):
        """Claim and queue the alert ``kind`` of these (due, locked)
        activities, then mark it done for their current deadline.

        A reminder found after the deadline (the activity was created late,
        or the cron was down) is not sent: its escalation follows.
        """
        hours_field, done_for = ALERT_KINDS[kind].hours_field, ALERT_KINDS[kind].done_field
        Delivery = self.env["crm.notification.delivery"].sudo()
        claims, skipped = [], []
        for activity in self.sudo():
            deadline = activity.crm_deadline_utc
            if kind == "reminder" and deadline < now:
                continue
            company = activity._crm_alert_company()
            if kind == "reminder":
                occurrence = schedule.reminder_at(deadline, company[hours_field])
            else:
                occurrence = schedule.escalation_at(deadline, company[hours_field])
            for user in activity._crm_alert_recipients(kind, company):
                values = {
                    "res_model": self._name, "res_id": activity.id, "res_name": activity._crm_alert_name(),
                    "partner_id": user.partner_id.id, "user_id": user.id, "occurrence_date": occurrence,
                    "company_id": company.id,
                }
                claims.append(dict(values, channel="inapp"))
                if email_normalize(user.email or ""):
                    claims.append(dict(values, channel="email"))
                else:
                    skipped.append(dict(values, channel="email", reason=_("No e-mail address")))
        Delivery._log_skipped(skipped)
        claimed = Delivery._claim(claims)
        for channel, deliveries in claimed.grouped("channel").items():
            if channel == "inapp":
                self._crm_alert_deliver_inapp(kind, deliveries)
            else:
                self._crm_alert_deliver_email(kind, deliveries)
        # the mark is what takes the activity out of the scan's index
        self.env.cr.execute(SQL(
            "UPDATE mail_activity SET %(done_for)s = crm_deadline_utc WHERE id = ANY(%(ids)s)",
            done_for=SQL.identifier(done_for), ids=self.ids,
        ))
        self.invalidate_recordset([done_for])
        _logger.info("Activity alerts: %s %s(s) processed, %s sends claimed", len(self), kind, len(claimed))

    def _crm_alert_company(self):
        self.ensure_one()
        return self.user_id.company_id or self.env.company

    def _crm_alert_recipients(self, kind, company):
        """Reminder: the assignee. Escalation: the company's escalation
        recipients and the assignee's manager when one is known (with the
        ``hr`` app: the manager of the assignee's employee). Active internal
        users, each once."""
        self.ensure_one()
        if kind == "reminder":
            users = self.user_id
        else:
            users = company.crm_activity_escalation_user_ids
            if "employee_id" in self.user_id._fields:
                users |= self.user_id.employee_id.parent_id.user_id
        return users.filtered(lambda user: user.active and not user.share and user.partner_id)

    def _crm_alert_name(self):
        self.ensure_one()
        summary = self.summary or self.activity_type_id.name or _("Activity")
        return f"{summary} ({self.res_name})" if self.res_name else summary

    def _crm_alert_email_from(self, kind, company):
        self.ensure_one()
        sender = company[ALERT_KINDS[kind].sender_field]
        if kind == "reminder" and sender == "owner" and email_normalize(self.create_uid.email or ""):
            return self.create_uid.email_formatted
        if kind == "escalation" and sender == "email" and company.crm_activity_late_email:
            return company.crm_activity_late_email
        return self._crm_alert_system_from(company)

    @api.model
    def _crm_alert_system_from(self, company):
        """The chosen server's own address: its from filter when it is an
        address, else its username when it is one, else Odoo's default from."""
        server = company.crm_activity_mail_server_id.sudo()
        for candidate in [*(server.from_filter or "").split(","), server.smtp_user or ""]:
            if "@" in candidate and email_normalize(candidate.strip()):
                return candidate.strip()
        return (
            self.env["ir.mail_server"].sudo().with_company(company)._get_default_from_address()
            or company.email_formatted
        )

    def _crm_alert_texts(self, kind, lang):
        """(subject, plain text, values of the e-mail body's view) in
        ``lang``; the bell shows the subject and the text too."""
        self.ensure_one()
        activity = self.with_context(lang=lang)
        env = activity.env
        summary = self.summary or self.activity_type_id.with_context(lang=lang).name or env._("Activity")
        deadline = format_date(env, self.date_deadline, lang_code=lang)
        document = self.res_name or ""
        assignee = self.user_id.name or ""
        if kind == "reminder":
            subject = env._("Activity due %(deadline)s: %(summary)s", deadline=deadline, summary=summary)
            text = env._("%(summary)s on %(document)s is due %(deadline)s.", summary=summary, document=document,
                         deadline=deadline)
        else:
            subject = env._("Late activity: %(summary)s (%(assignee)s)", summary=summary, assignee=assignee)
            text = env._("%(summary)s on %(document)s, assigned to %(assignee)s, was due %(deadline)s and is "
                         "not done.", summary=summary, document=document, assignee=assignee, deadline=deadline)
        values = {
            "activity": activity, "kind": kind, "text": text, "summary": summary, "document": document,
            "assignee": assignee, "deadline": deadline,
            "url": f"{self.get_base_url()}/mail/view?model={self.res_model}&res_id={self.res_id}",
        }
        return subject, text, values

    def _crm_alert_email(self, kind, lang, company):
        """(subject, body_html) of the alert ``kind`` e-mail in ``lang``: the
        view ``mail_body_activity_alert`` in Odoo's light layout."""
        self.ensure_one()
        subject, _text, values = self._crm_alert_texts(kind, lang)
        env = self.with_context(lang=lang).env
        body = env["ir.qweb"]._render("crm_notifications.mail_body_activity_alert", values, minimal_qcontext=True)
        model_description = env["ir.model"]._get(self.res_model).display_name
        layout_values = {
            # the layout reads its header from a message, as in Odoo's
            # notifications: a new one, never saved
            "message": env["mail.message"].sudo().new({"body": body, "record_name": self.res_name}),
            "model_description": model_description,
            "company": company,
            "lang": lang,
        }
        body = env["mail.render.mixin"]._render_encapsulate(
            "crm_notifications.mail_notification_light", body, add_context=layout_values)
        return subject, body

    def _crm_alert_deliver_inapp(self, kind, deliveries):
        Notification = self.env["crm.notification"].sudo()
        event = ALERT_KINDS[kind].event
        rows, titles = [], []
        for delivery in deliveries:
            activity = self.browse(delivery.res_id).sudo()
            subject, text, _values = activity._crm_alert_texts(kind, delivery.user_id.lang or "en_US")
            rows.append({
                "user_id": delivery.user_id.id, "res_model": activity.res_model, "res_id": activity.res_id,
                "res_name": activity.res_name, "event": event, "rule_id": None, "message_id": None,
                "author_id": None, "body": text, "source": (self._name, activity.id),
            })
            titles.append(subject)
        notifications = Notification._insert_rows(rows, titles)
        Notification._schedule_unread_count(deliveries.user_id)
        deliveries._link_sends("notification_id", notifications.ids)

    @api.model
    def _crm_deliveries_failed(self, deliveries):
        """Alert e-mails that did not reach their recipient (failed, bounced,
        uncertain): the settings administrators of the company are told in
        their bell, which opens the delivery and its reason."""
        deliveries = deliveries.filtered(lambda delivery: delivery.channel == "email")
        if not deliveries:
            return
        admins = self.env.ref("base.group_system").sudo().users.filtered(lambda user: user.active and not user.share)
        Notification = self.env["crm.notification"].sudo()
        rows, titles = [], []
        for delivery in deliveries:
            for admin in admins.filtered(lambda user, d=delivery: not d.company_id or d.company_id in user.company_ids):
                env = self.with_context(lang=admin.lang or "en_US").env
                state = dict(delivery._fields["state"]._description_selection(env))[delivery.state]
                rows.append({
                    "user_id": admin.id, "res_model": delivery._name, "res_id": delivery.id,
                    "res_name": delivery.res_name, "event": "delivery_failed", "rule_id": None, "message_id": None,
                    "author_id": None, "body": delivery.reason,
                })
                titles.append(env._("Activity alert e-mail %(state)s: %(recipient)s, %(name)s", state=state.lower(),
                                    recipient=delivery.partner_id.name, name=delivery.res_name))
        if rows:
            Notification._insert_rows(rows, titles)
            Notification._schedule_unread_count(admins)

    def _crm_alert_deliver_email(self, kind, deliveries):
        activities = self.browse(deliveries.mapped("res_id")).sudo()
        by_id = {activity.id: activity for activity in activities}
        # rendered once per activity and language: an escalation's recipients
        # read the same mail
        rendered = {}
        values_list = []
        for delivery in deliveries:
            activity = by_id[delivery.res_id]
            company = activity._crm_alert_company()
            lang = delivery.partner_id.lang or "en_US"
            if (activity.id, lang) not in rendered:
                rendered[activity.id, lang] = activity._crm_alert_email(kind, lang, company)
            subject, body = rendered[activity.id, lang]
            values_list.append({
                "subject": subject,
                "body_html": body,
                "recipient_ids": [(4, delivery.partner_id.id)],
                "email_from": activity._crm_alert_email_from(kind, company),
                "mail_server_id": company.crm_activity_mail_server_id.id,
                # The mail's document is its delivery, not the activity: its
                # message (and Message-Id, which a bounce quotes) is then read
                # by the recipient and administrators only, not by whoever
                # may read the activity. mail_mail.py reports the outcome.
                "model": delivery._name,
                "res_id": delivery.id,
                "auto_delete": False,
            })
        mails = self.env["mail.mail"].sudo().create(values_list)
        deliveries._link_sends("mail_id", mails.ids)
