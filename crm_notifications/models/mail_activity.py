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

Escalations climb the company's ladder (``crm.activity.escalation.level``):
``crm_escalation_hours_done`` is the hours of the last level sent for the
deadline ``crm_escalation_level_for``; ``crm_escalation_done_for`` is set
once no level remains or someone answered. With the company's working hours
on, "N hours" are N hours of its working schedule (public holidays out):
the scan compares each deadline with the instant N working hours from now,
computed once per company and level by ``resource.calendar.plan_hours``, so
the index range and the exact test are the same comparison.
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
ALERT_FIELDS = frozenset({"crm_deadline_utc", "crm_reminder_done_for", "crm_escalation_done_for",
                          "crm_escalation_level_for", "crm_escalation_hours_done"})


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
    # the ladder's progress: the hours of the last level sent for the deadline
    # crm_escalation_level_for (another deadline: no level sent yet)
    crm_escalation_level_for = fields.Datetime("Escalation Levels Sent For", readonly=True, copy=False)
    crm_escalation_hours_done = fields.Integer("Escalation Level Sent (Hours)", readonly=True, copy=False)

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
        if "active" in vals and not vals["active"] and self._crm_notification_enabled():
            # done (kept as archived): its notifications resolve
            self.env["crm.notification"]._queue_resolve([(self._name, res_id, 0) for res_id in self.ids])
        return res

    def _crm_notification_causes_gone(self):
        # the alerts' notifications are caused by the activity too, with or
        # without an activity rule
        if not self._crm_notification_enabled():
            return []
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
        self.env.cr.execute(SQL(
            """UPDATE mail_activity AS a SET crm_reminder_done_for = a.crm_deadline_utc
                 FROM res_company AS c
                WHERE c.id = %(company)s AND a.active
                  AND a.crm_deadline_utc - c.crm_activity_reminder_hours * interval '1 hour' <= %(now)s""",
            company=self.env.company.id, now=now,
        ))
        # already late by the first level: no escalation at all
        self.env.cr.execute(SQL(
            """UPDATE mail_activity AS a SET crm_escalation_done_for = a.crm_deadline_utc
                 FROM (SELECT MIN(hours) AS hours FROM crm_activity_escalation_level
                        WHERE company_id = %(company)s) AS l
                WHERE a.active AND a.crm_deadline_utc + l.hours * interval '1 hour' <= %(now)s""",
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
            bounds = self._crm_alert_bounds(kind, now)
            activities = self._crm_alerts_due(kind, now, limit=batch_size, bounds=bounds)
            if activities:
                activities._crm_alerts_send(kind, now, bounds=bounds)
            done += len(activities)
            if len(activities) == batch_size:
                # more may be due: the runner calls again. Counting them
                # exactly would cost a scan the partial index cannot bound.
                remaining += 1
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    # -- when: wall-clock or working hours ---------------------------------------

    @api.model
    def _crm_alert_shift(self, company, instant, hours):
        """``instant`` (naive UTC) moved by ``hours`` (negative: back), in
        the company's working hours when it counts alert hours so (Odoo's
        ``resource.calendar.plan_hours``, public holidays included), else on
        the clock. A schedule without working time within Odoo's search
        window (about four years) falls back to the clock: an alert late is
        better than none."""
        if company.crm_activity_working_hours and company.resource_calendar_id:
            # sudo: the calendar's leaves are read whatever the cron's companies
            planned = company.resource_calendar_id.sudo().plan_hours(hours, instant, compute_leaves=True)
            if planned:
                # plan_hours works in float hours: whole seconds keep the
                # instants (delivery keys) stable from one run to the next
                return planned.replace(microsecond=0) + datetime.timedelta(
                    seconds=round(planned.microsecond / 1e6))
            _logger.warning("Activity alerts: %s has no working time within reach of %s, clock hours used",
                            company.resource_calendar_id.display_name, instant)
        return instant + datetime.timedelta(hours=hours)

    @api.model
    def _crm_alert_bounds(self, kind, now):
        """The latest deadline due for the alert ``kind`` at ``now``, per
        company (and per escalation level): a list of (company id, hours,
        bound).

        Reminder: a deadline is due once it is at most the reminder's hours
        ahead (``now`` + hours). Escalation level: once it is at least the
        level's hours behind (``now`` - hours). In working hours both are
        ``plan_hours`` from ``now``, which gives the same answer as planning
        from each deadline (the working time between the two is what is
        compared) at the cost of one call per company and level.
        """
        companies = self.env["res.company"].sudo().search([])
        if kind == "reminder":
            return [
                (company.id, company.crm_activity_reminder_hours,
                 self._crm_alert_shift(company, now, company.crm_activity_reminder_hours))
                for company in companies
            ]
        return [
            (company.id, level.hours, self._crm_alert_shift(company, now, -level.hours))
            for company in companies for level in company.crm_activity_escalation_level_ids
        ]

    # -- the scan --------------------------------------------------------------

    @api.model
    def _crm_alerts_query(self, kind, now, bounds=None):
        """The due activities of an alert ``kind``, as (FROM, WHERE) SQL.

        The bounds are per company (the assignee's, else the current one)
        and, for escalations, per level (``_crm_alert_bounds``): the range
        on ``crm_deadline_utc`` up to the latest of them keeps the scan on
        the partial index of pending alerts; each activity is then compared
        with its company's bound. An escalation is due when a level above
        the last one sent for the current deadline is.
        """
        done_for = ALERT_KINDS[kind].done_field
        if bounds is None:
            bounds = self._crm_alert_bounds(kind, now)
        company_ids, hours, instants = ([row[i] for row in bounds] for i in range(3))
        pending = SQL("a.active AND (a.%(done_for)s IS NULL OR a.%(done_for)s <> a.crm_deadline_utc)",
                      done_for=SQL.identifier(done_for))
        from_ = SQL("mail_activity AS a LEFT JOIN res_users AS u ON u.id = a.user_id")
        if not bounds:
            # no company has an escalation level: nothing is ever due
            return from_, SQL("%s AND FALSE", pending)
        conf = SQL("unnest(%s::int[], %s::int[], %s::timestamp[]) AS conf(company_id, hours, bound)",
                   company_ids, hours, instants)
        company = SQL("conf.company_id = COALESCE(u.company_id, %s)", self.env.company.id)
        if kind == "reminder":
            from_ = SQL("%s JOIN %s ON %s", from_, conf, company)
            due = SQL("a.crm_deadline_utc <= conf.bound")
        else:
            due = SQL(
                """EXISTS (SELECT 1 FROM %(conf)s
                            WHERE %(company)s AND a.crm_deadline_utc <= conf.bound
                              AND conf.hours > CASE WHEN a.crm_escalation_level_for = a.crm_deadline_utc
                                                    THEN COALESCE(a.crm_escalation_hours_done, 0) ELSE 0 END)""",
                conf=conf, company=company,
            )
        where = SQL("%(pending)s AND a.crm_deadline_utc <= %(bound)s AND %(due)s",
                    pending=pending, bound=max(instants), due=due)
        return from_, where

    @api.model
    def _crm_alerts_due(self, kind, now, limit=CRON_BATCH_SIZE, bounds=None):
        """A batch of activities due for the alert ``kind``, locked for this
        worker: rows another worker is sending are skipped, not waited for."""
        self.flush_model(["active", "crm_deadline_utc", "crm_reminder_done_for", "crm_escalation_done_for",
                          "crm_escalation_level_for", "crm_escalation_hours_done", "user_id"])
        from_, where = self._crm_alerts_query(kind, now, bounds=bounds)
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

    # -- the sends -------------------------------------------------------------

    def _crm_alerts_send(self, kind, now, bounds=None):
        """Claim and queue the alert ``kind`` of these (due, locked)
        activities, then mark it done for their current deadline.

        A reminder found after the deadline (the activity was created late,
        or the cron was down) is not sent: its escalation follows. Of the
        ladder, every level due and not sent yet goes, in order, each with
        its own instant in the delivery log: a level is sent once per
        activity and deadline whatever runs the cron twice.
        """
        if bounds is None:
            bounds = self._crm_alert_bounds(kind, now)
        bound_of = {(company_id, hours): bound for company_id, hours, bound in bounds}
        Delivery = self.env["crm.notification.delivery"].sudo()
        claims, skipped = [], []
        levels_of = {}  # (activity id, occurrence) -> level, for the texts
        progress = {}  # activity id -> (hours done, ladder finished); reminders: True
        shifts = {}  # one plan per company, deadline and hours in a batch
        for activity in self.sudo():
            deadline = activity.crm_deadline_utc
            if kind == "reminder" and deadline < now:
                progress[activity.id] = True
                continue
            company = activity._crm_alert_company()
            if kind == "reminder":
                hours = company.crm_activity_reminder_hours
                if deadline > bound_of.get((company.id, hours), deadline):
                    continue
                steps = [(None, -hours)]
                progress[activity.id] = True
            else:
                done = activity.crm_escalation_hours_done if activity.crm_escalation_level_for == deadline else 0
                ladder = company.crm_activity_escalation_level_ids
                due = ladder.filtered(lambda level, c=company, d=deadline, h=done: level.hours > (h or 0) and (
                    (c.id, level.hours) in bound_of and d <= bound_of[c.id, level.hours]))
                if not due:
                    continue
                steps = [(level, level.hours) for level in due]
                reached = max(due.mapped("hours"))
                progress[activity.id] = (reached, all(level.hours <= reached for level in ladder))
            for level, hours in steps:
                key = (company.id, deadline, hours)
                if key not in shifts:
                    shifts[key] = self._crm_alert_shift(company, deadline, hours)
                occurrence = shifts[key]
                levels_of[activity.id, occurrence] = level
                for user in activity._crm_alert_recipients(kind, company, level=level):
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
        by_channel = claimed.grouped("channel")
        # in-app first: an escalation e-mail links to its recipient's notification
        notifications = self._crm_alert_deliver_inapp(kind, by_channel.get("inapp", Delivery), levels_of)
        self._crm_alert_deliver_email(kind, by_channel.get("email", Delivery), levels_of, notifications)
        self._crm_alerts_mark(kind, progress)
        _logger.info("Activity alerts: %s %s(s) processed, %s sends claimed", len(self), kind, len(claimed))

    def _crm_alerts_mark(self, kind, progress):
        """Mark the alert ``kind`` of these activities done for their current
        deadline (what takes them out of the scan's index); of the ladder,
        the levels sent (``progress``: activity id -> (hours of the last
        level sent, whether none remains); reminders: the ids as keys)."""
        ids = list(progress)
        if kind == "reminder":
            self.env.cr.execute(SQL(
                "UPDATE mail_activity SET crm_reminder_done_for = crm_deadline_utc WHERE id = ANY(%s)", ids))
            self.invalidate_recordset(["crm_reminder_done_for"])
            return
        self.env.cr.execute(SQL(
            """UPDATE mail_activity AS a
                  SET crm_escalation_level_for = a.crm_deadline_utc, crm_escalation_hours_done = p.hours,
                      crm_escalation_done_for = CASE WHEN p.finished THEN a.crm_deadline_utc
                                                     ELSE a.crm_escalation_done_for END
                 FROM unnest(%s::int[], %s::int[], %s::bool[]) AS p(id, hours, finished)
                WHERE a.id = p.id""",
            ids, [progress[i][0] for i in ids], [progress[i][1] for i in ids],
        ))
        self.invalidate_recordset(["crm_escalation_level_for", "crm_escalation_hours_done", "crm_escalation_done_for"])

    def _crm_escalation_stop(self, reminder=False):
        """No further escalation level (and, with ``reminder``, no reminder)
        for these activities' current deadline: an escalation was answered
        (``crm.notification.action_acknowledge`` / ``action_take_over``).
        Moving the deadline re-arms them, as always."""
        self.flush_recordset(["crm_deadline_utc"])
        self.env.cr.execute(SQL(
            "UPDATE mail_activity SET crm_escalation_done_for = crm_deadline_utc%s WHERE id = ANY(%s)",
            SQL(", crm_reminder_done_for = crm_deadline_utc") if reminder else SQL(), self.ids,
        ))
        self.invalidate_recordset(["crm_escalation_done_for", "crm_reminder_done_for"])

    def _crm_alert_company(self):
        self.ensure_one()
        return self.user_id.company_id or self.env.company

    def _crm_alert_recipients(self, kind, company, level=None):
        """Reminder: the assignee. Escalation: the recipients of the
        ``level`` (the company's first level by default) and, when the level
        says so, the assignee's manager when one is known (with the ``hr``
        app: the manager of the assignee's employee). Active internal users,
        each once."""
        self.ensure_one()
        if kind == "reminder":
            users = self.user_id
        else:
            level = level or company.crm_activity_escalation_level_ids[:1]
            users = level.user_ids
            if level.notify_manager and "employee_id" in self.user_id._fields:
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

    def _crm_alert_texts(self, kind, lang, level=None, notification=None):
        """(subject, plain text, values of the e-mail body's view) in
        ``lang``; the bell shows the subject and the text too. Escalations
        past the first ``level`` say which level; the e-mail of an
        escalation links to its recipient's ``notification``, where they
        acknowledge it or take the activity over."""
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
        elif level and level.sequence > 1:
            subject = env._("Late activity, level %(level)s: %(summary)s (%(assignee)s)", level=level.sequence,
                            summary=summary, assignee=assignee)
            text = env._("%(summary)s on %(document)s, assigned to %(assignee)s, was due %(deadline)s and is "
                         "still not done.", summary=summary, document=document, assignee=assignee,
                         deadline=deadline)
        else:
            subject = env._("Late activity: %(summary)s (%(assignee)s)", summary=summary, assignee=assignee)
            text = env._("%(summary)s on %(document)s, assigned to %(assignee)s, was due %(deadline)s and is "
                         "not done.", summary=summary, document=document, assignee=assignee, deadline=deadline)
        base_url = self.get_base_url()
        values = {
            "activity": activity, "kind": kind, "text": text, "summary": summary, "document": document,
            "assignee": assignee, "deadline": deadline,
            "url": f"{base_url}/mail/view?model={self.res_model}&res_id={self.res_id}",
            # opened logged in: the notification's form, with Acknowledge and
            # Take over (a link does not change anything by itself)
            "escalation_url": notification and (
                f"{base_url}/odoo/action-crm_notifications.crm_notification_action_my/{notification}"),
        }
        return subject, text, values

    def _crm_alert_email(self, kind, lang, company, level=None, notification=None):
        """(subject, body_html) of the alert ``kind`` e-mail in ``lang``: the
        view ``mail_body_activity_alert`` in Odoo's light layout."""
        self.ensure_one()
        subject, _text, values = self._crm_alert_texts(kind, lang, level=level, notification=notification)
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

    def _crm_alert_deliver_inapp(self, kind, deliveries, levels_of=None):
        """The in-app notifications of these deliveries; returns their ids by
        (activity id, occurrence, user id)."""
        Notification = self.env["crm.notification"].sudo()
        if not deliveries:
            return {}
        levels_of = levels_of or {}
        event = ALERT_KINDS[kind].event
        rows, titles = [], []
        for delivery in deliveries:
            activity = self.browse(delivery.res_id).sudo()
            level = levels_of.get((delivery.res_id, delivery.occurrence_date))
            subject, text, _values = activity._crm_alert_texts(kind, delivery.user_id.lang or "en_US", level=level)
            rows.append({
                "user_id": delivery.user_id.id, "res_model": activity.res_model, "res_id": activity.res_id,
                "res_name": activity.res_name, "event": event, "rule_id": None, "message_id": None,
                "author_id": None, "body": text, "source": (self._name, activity.id),
            })
            titles.append(subject)
        notifications = Notification._insert_rows(rows, titles)
        Notification._schedule_unread_count(deliveries.user_id)
        deliveries._link_sends("notification_id", notifications.ids)
        return {
            (delivery.res_id, delivery.occurrence_date, delivery.user_id.id): notification_id
            for delivery, notification_id in zip(deliveries, notifications.ids, strict=True)
        }

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

    def _crm_alert_deliver_email(self, kind, deliveries, levels_of=None, notifications=None):
        if not deliveries:
            return
        levels_of, notifications = levels_of or {}, notifications or {}
        activities = self.browse(deliveries.mapped("res_id")).sudo()
        by_id = {activity.id: activity for activity in activities}
        # rendered once per activity, level and language (a reminder's
        # recipient is alone); an escalation's carries the link to its
        # recipient's notification
        rendered = {}
        values_list = []
        for delivery in deliveries:
            activity = by_id[delivery.res_id]
            company = activity._crm_alert_company()
            lang = delivery.partner_id.lang or "en_US"
            level = levels_of.get((delivery.res_id, delivery.occurrence_date))
            notification = notifications.get((delivery.res_id, delivery.occurrence_date, delivery.user_id.id))
            key = (activity.id, delivery.occurrence_date, lang, notification)
            if key not in rendered:
                rendered[key] = activity._crm_alert_email(kind, lang, company, level=level,
                                                          notification=notification)
            subject, body = rendered[key]
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
