# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Per-user in-app notifications.

Notifications are produced on the hot path of every assignment (every write
of a lead goes through ``base.write``), so generation is split in two:

* the hooks (``base.create``/``base.write``, ``mail.activity.action_notify``,
  ``mail.thread._message_post_after_hook``) only *queue* light tuples in the
  transaction's pre-commit data;
* one pre-commit callback turns the whole transaction's queue into rows with a
  fixed number of queries, whatever the number of records: one to drop
  archived and portal users, one per (rule, language) to render titles, one
  ``INSERT ... SELECT FROM unnest()`` and one grouped count for the bus.

Queuing per transaction is also what makes "one notification per user per
event" hold: an assignment written twice inside one ``create`` (Odoo's own
duplicate "You have been assigned" bug) or matched by two rules ends up as a
single key in the queue.
"""

import datetime
import json
import logging
import textwrap
from collections import defaultdict
from typing import NamedTuple

import pytz

from odoo import SUPERUSER_ID, Command, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, html2plaintext

from ..tools.sql import insert_unnest
from ..tools.timezone import get_timezone, local_to_utc, utc_to_local

_logger = logging.getLogger(__name__)


class QueuedEvent(NamedTuple):
    """A notification to write at the end of the transaction (``_queue``):
    ``user_id`` hears of ``event`` on the source record the rule matched (an
    activity for activity rules)."""

    rule_id: int
    event: str
    source_model: str
    source_id: int
    user_id: int
    message_id: int = 0  # message events only
    body: str | None = None  # message events only; else the target's
    author_id: int = 0  # set by _queue: the current user, 0 for the system
    role: str = ""  # why the user: the rule's user field, or ROLE_TEAM


class Recipient(NamedTuple):
    """What generation needs of a recipient (``_read_recipients``)."""

    lang: str
    tz: str
    modes: dict  # {rule id: the user's mode}


class Target(NamedTuple):
    """Where a notification about a record leads, and what it says by
    default (``_crm_notification_targets``)."""

    res_model: str
    res_id: int
    res_name: str
    body: str | None = None


PENDING_KEY = "crm_notifications.pending"
RESOLVE_KEY = "crm_notifications.resolve"
COUNT_KEY = "crm_notifications.count_user_ids"
BUS_TYPE = "crm.notification/updated"
# fields a recipient may change on their own notifications
USER_WRITABLE_FIELDS = {"is_read", "snoozed_until"}
# reason_role of a team member told of a note (message rules' team path)
ROLE_TEAM = "__team__"
# how far a notification may be snoozed
MAX_SNOOZE = datetime.timedelta(days=366)
# "until tomorrow" in the bell: this local time of the next day
SNOOZE_TOMORROW_AT = datetime.time(8)
# read notifications older than this many days are removed (settings)
DEFAULT_EXPIRY_DAYS = 90
EXPIRY_BATCH_SIZE = 1000
# SQL of "still counts as unread": not read, not resolved (the partial index's
# predicate, and the ORM's own SQL for is_read = False / is_resolved = False)
UNREAD_DOMAIN = [("is_read", "=", False), ("is_resolved", "=", False)]
UNREAD_SQL = "(is_read IS NULL OR is_read = FALSE) AND (is_resolved IS NULL OR is_resolved = FALSE)"
BODY_PREVIEW_LENGTH = 300
# the bell lists the latest ones; the list view pages through the rest
MAX_SYSTRAY_LIMIT = 100


class CrmNotification(models.Model):
    _name = "crm.notification"
    _description = "User Notification"
    _order = "date desc, id desc"
    _rec_name = "title"

    # recipient: the composite index of init() serves both the unread count
    # and the dropdown's "latest first" listing, so no single-column index
    user_id = fields.Many2one(
        "res.users",
        string="Recipient",
        required=True,
        ondelete="cascade",
    )
    # the record the notification is about (where a click leads)
    res_model = fields.Char("Related Document Model", required=True)
    res_model_id = fields.Many2one(
        "ir.model",
        string="Document Type",
        ondelete="cascade",
        index=True,
    )
    # what the views show as "Type": a label, not a link to ir.model (which
    # salespeople may not open); read as superuser, model names are not secret
    res_model_name = fields.Char("Type", related="res_model_id.name")
    res_id = fields.Many2oneReference(
        "Related Document ID", model_field="res_model", required=True
    )
    # stored at creation, like mail.message's record_name: listing the bell
    # never reads the related documents, which may be of any model
    res_name = fields.Char("Related Document")
    # what happened
    event = fields.Selection(
        [
            ("assigned", "Assigned to you"),
            ("created", "Created for you"),
            ("message", "Message posted"),
            ("note", "Internal note posted"),
            ("reminder", "Customer reminder"),
            ("activity_reminder", "Activity reminder"),
            ("activity_late", "Late activity"),
            ("delivery_failed", "Delivery failed"),
            ("overflow", "More of the same"),
        ],
        required=True,
        default="assigned",
    )
    title = fields.Char(required=True)
    body = fields.Text()
    rule_id = fields.Many2one(
        "crm.notification.rule", ondelete="set null", index="btree_not_null"
    )
    message_id = fields.Many2one(
        "mail.message", ondelete="set null", index="btree_not_null"
    )
    # empty author: the system (a cron, an automated action, OdooBot)
    author_id = fields.Many2one("res.users", ondelete="set null")
    author_name = fields.Char(compute="_compute_author_name")
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    is_read = fields.Boolean("Read", default=False)
    read_date = fields.Datetime(readonly=True)
    # the cause: the record the rule matched (an activity for activity rules,
    # the document itself otherwise) and the user's role on it (the rule's
    # user field, or ROLE_TEAM); reason says it in the reader's language
    source_model = fields.Char("Cause Model", readonly=True)
    source_id = fields.Many2oneReference("Cause ID", model_field="source_model", readonly=True)
    reason_role = fields.Char("Role", readonly=True)
    reason = fields.Char("Why", compute="_compute_reason")
    rule_is_locked = fields.Boolean(related="rule_id.is_locked", string="Rule Locked")
    # the cause went away before it was read (activity done, record
    # reassigned or deleted): shown as such, out of the unread count
    is_resolved = fields.Boolean("Resolved", readonly=True)
    resolved_date = fields.Datetime(readonly=True)
    # out of the bell and of the unread count until then (UTC)
    snoozed_until = fields.Datetime()
    # made in "digest" mode: listed in the user's next daily digest
    is_digest = fields.Boolean("In Digest", readonly=True)
    # an overflow summary (event "overflow"): how many past the rule's daily
    # cap, and which records (ids of res_model) they were about
    overflow_count = fields.Integer("More", readonly=True)
    overflow_res_ids = fields.Json("Overflow Records", readonly=True)

    def init(self):
        # unread counter: a partial index keeps the count proportional to the
        # user's unread notifications, not to the table (1M rows in bench/).
        # Its predicate is the ORM's own SQL for ('is_read', '=', False), so
        # the "Unread" filter and mark-all-read use it too.
        # (resolved ones leave it: they are out of the count)
        self.env.cr.execute("DROP INDEX IF EXISTS crm_notification_user_unread_idx")
        tools.create_index(
            self.env.cr,
            "crm_notification_user_pending_idx",
            self._table,
            ["user_id"],
            where=UNREAD_SQL,
        )
        # resolving an unread notification when its cause goes away: looked
        # up by cause among the unread ones only
        tools.create_index(
            self.env.cr,
            "crm_notification_source_pending_idx",
            self._table,
            ["source_id", "source_model"],
            where=f"source_id IS NOT NULL AND {UNREAD_SQL}",
        )
        # snoozed ones coming back (few at any time)
        tools.create_index(
            self.env.cr,
            "crm_notification_snoozed_idx",
            self._table,
            ["snoozed_until"],
            where="snoozed_until IS NOT NULL",
        )
        tools.create_index(
            self.env.cr,
            "crm_notification_user_date_idx",
            self._table,
            ["user_id", "date DESC", "id DESC"],
        )

    @api.depends("author_id")
    def _compute_author_name(self):
        for notification in self:
            notification.author_name = notification.author_id.name or _("System")

    @api.depends("rule_id", "reason_role", "source_model", "event", "overflow_count")
    @api.depends_context("lang")
    def _compute_reason(self):
        IrModel = self.env["ir.model"].sudo()
        for notification in self:
            rule = notification.rule_id.sudo()
            role, model = notification.reason_role, notification.source_model
            field = self.env[model]._fields.get(role) if model in self.env and role else None
            if notification.event == "overflow":
                reason = _("More notifications of the rule %(rule)s today than its daily cap (%(cap)s).",
                           rule=rule.name, cap=rule.cap_per_day)
            elif role == ROLE_TEAM:
                reason = _("You are a member of its team — rule %(rule)s", rule=rule.name)
            elif field is not None and rule:
                if model == "mail.activity" and role == "user_id":
                    reason = _("The activity is assigned to you — rule %(rule)s", rule=rule.name)
                else:
                    values = {
                        "role": field._description_string(self.env),
                        "document": IrModel._get(model).name,
                        "rule": rule.name,
                    }
                    if field.type == "many2many":
                        reason = _("You are among the %(role)s of this %(document)s — rule %(rule)s", **values)
                    else:
                        reason = _("You are the %(role)s of this %(document)s — rule %(rule)s", **values)
            elif notification.event == "reminder":
                reason = _("You receive the reminders of this customer (administrator or supervisor of its area)")
            elif notification.event == "activity_reminder":
                reason = _("The activity is assigned to you")
            elif notification.event == "activity_late":
                reason = _("You are told of late activities (escalation recipient or manager of the assignee)")
            elif notification.event == "delivery_failed" and role == "crm_owner":
                reason = _("You sent this message, or were to receive it: it reached nobody by SMS or e-mail")
            elif notification.event == "delivery_failed":
                reason = _("You administer the settings of this company")
            else:
                reason = rule.name or ""
            notification.reason = reason

    @api.constrains("snoozed_until")
    def _check_snoozed_until(self):
        limit = fields.Datetime.now() + MAX_SNOOZE
        for notification in self:
            if notification.snoozed_until and notification.snoozed_until > limit:
                raise ValidationError(_("Snoozed Until: at most a year ahead."))

    # ------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------

    def write(self, vals):
        # Record rules keep users on their own notifications; this keeps
        # everybody, administrators included, on the read flag: nobody
        # rewrites the title or the recipient of a notification.
        if not self.env.su and set(vals) - USER_WRITABLE_FIELDS:
            raise AccessError(_("You can only mark your notifications as read or unread."))
        if "is_read" in vals:
            vals = dict(vals, read_date=fields.Datetime.now() if vals["is_read"] else False)
        users = self.user_id
        res = super().write(vals)
        if {"is_read", "user_id", "snoozed_until"} & set(vals):
            self._schedule_unread_count(users | self.user_id)
        if vals.get("snoozed_until"):
            # back in the bell at that time: the cron runs then
            self.env.ref("crm_notifications.ir_cron_notification_unsnooze").sudo()._trigger(
                fields.Datetime.to_datetime(vals["snoozed_until"]))
        return res

    def unlink(self):
        users = self.user_id
        res = super().unlink()
        self._schedule_unread_count(users)
        return res

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_mark_read(self):
        """Mark these notifications as read (the recipient's own, per record rules)."""
        self.filtered(lambda n: not n.is_read).write({"is_read": True})
        return True

    def action_mark_unread(self):
        self.filtered("is_read").write({"is_read": False})
        return True

    @api.model
    def action_mark_all_read(self):
        """Mark every unread notification of the current user as read."""
        self.search([("user_id", "=", self.env.uid), ("is_read", "=", False)]).action_mark_read()
        return True

    def action_snooze(self, until):
        """Take these notifications out of the bell and the unread count
        until ``until`` (UTC datetime or string), when they come back unread.

        :param until: in the future, at most a year ahead
        """
        try:
            until = fields.Datetime.to_datetime(until)
        except (TypeError, ValueError):
            until = None
        if not isinstance(until, datetime.datetime) or until <= fields.Datetime.now():
            raise ValidationError(_("Snoozed Until: choose a date and time in the future."))
        self.write({"snoozed_until": until, "is_read": False})
        return True

    def action_snooze_preset(self, preset="hour"):
        """Snooze until one of ``_snooze_presets()`` ("hour", "tomorrow"):
        for the views' buttons, which cannot compute a date."""
        presets = self._snooze_presets()
        if not isinstance(preset, str) or preset not in presets:
            raise ValidationError(_("Snoozed Until: unknown choice %(preset)s.", preset=preset))
        return self.action_snooze(presets[preset])

    @api.model
    def _snooze_presets(self):
        """What the bell offers: in an hour, and tomorrow at 08:00 in the
        user's timezone, as UTC strings."""
        now = fields.Datetime.now()
        tz = get_timezone(self.env.user.tz, fallback=pytz.utc)
        tomorrow = utc_to_local(now, tz).date() + datetime.timedelta(days=1)
        return {
            "hour": fields.Datetime.to_string(now + datetime.timedelta(hours=1)),
            "tomorrow": fields.Datetime.to_string(
                local_to_utc(datetime.datetime.combine(tomorrow, SNOOZE_TOMORROW_AT), tz)),
        }

    def action_mute_rule(self):
        """Turn off, for the current user, the rules these notifications come
        from (their preference becomes ``off``); undone in the preferences.
        Refused on a locked rule."""
        rules = self.rule_id
        if not rules:
            raise UserError(_("Rule: this notification does not come from a rule that can be muted."))
        locked = rules.filtered("is_locked")
        if locked:
            raise UserError(_("Rule: '%(rules)s' is locked by your administrator and cannot be muted.",
                              rules=", ".join(locked.mapped("name"))))
        Preference = self.env["crm.notification.preference"]
        for rule in rules:
            Preference._set_mode(rule, "off")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": _("You will no longer be notified by the rule %(rules)s. "
                             "Undo in your preferences.", rules=", ".join(rules.mapped("name"))),
            },
        }

    def action_open_record(self):
        """Mark as read and return the action opening the related document
        (the list of the records for an overflow summary)."""
        if len(self) != 1:
            raise UserError(_("Notification: open one notification at a time."))
        self.action_mark_read()
        if self.event == "overflow":
            return {
                "type": "ir.actions.act_window",
                "name": self.title,
                "res_model": self.res_model,
                "domain": [("id", "in", self.overflow_res_ids or [])],
                "views": [[False, "list"], [False, "form"]],
                "target": "current",
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [[False, "form"]],
            "target": "current",
        }

    # ------------------------------------------------------------
    # Systray
    # ------------------------------------------------------------

    @api.model
    @api.readonly
    def get_unread_count(self):
        self.check_access("read")
        return self._read_unread_counts(self.env.user.ids).get(self.env.uid, 0)

    @api.model
    @api.readonly
    def systray_get_notifications(self, limit=20):
        """Data for the bell's dropdown: the latest notifications of the
        current user, read or not, and the unread counter.

        :param int limit: how many, from 1 to 100
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_SYSTRAY_LIMIT:
            raise ValidationError(_("Limit: the number of notifications must be between 1 and %(max)s.",
                                    max=MAX_SYSTRAY_LIMIT))
        notifications = self.search([
            ("user_id", "=", self.env.uid),
            "|", ("snoozed_until", "=", False), ("snoozed_until", "<=", fields.Datetime.now()),
        ], limit=limit)
        return {
            "unread_count": self.get_unread_count(),
            "snooze_presets": self._snooze_presets(),
            "notifications": [notification._systray_values() for notification in notifications],
        }

    def _systray_values(self):
        """What the bell shows of one notification (extended per topic, as
        the escalation answers do)."""
        self.ensure_one()
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body or "",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "res_name": self.res_name or "",
            # model names are not secret; ir.model is admin-only
            "model_name": self.res_model_id.sudo().name or "",
            "event": self.event,
            "author_name": self.author_name,
            "date": fields.Datetime.to_string(self.date),
            "is_read": self.is_read,
            "is_resolved": self.is_resolved,
            "reason": self.reason or "",
            "can_mute": bool(self.rule_id) and not self.rule_is_locked,
        }

    # ------------------------------------------------------------
    # Unread counter, pushed over the bus
    # ------------------------------------------------------------

    def _read_unread_counts(self, user_ids):
        if not user_ids:
            return {}
        self.flush_model(["user_id", "is_read", "is_resolved", "snoozed_until"])
        self.env.cr.execute(
            SQL(
                """SELECT user_id, COUNT(*) FROM crm_notification
                    WHERE user_id = ANY(%s) AND %s
                      AND (snoozed_until IS NULL OR snoozed_until <= %s)
                 GROUP BY user_id""",
                list(user_ids), SQL(UNREAD_SQL), fields.Datetime.now(),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _schedule_unread_count(self, users):
        """Push the users' unread counter once, at the end of the transaction,
        however many notifications changed for them in between."""
        if not users:
            return
        precommit = self.env.cr.precommit
        if COUNT_KEY not in precommit.data:
            precommit.data[COUNT_KEY] = set()
            precommit.add(self._send_unread_counts)
        precommit.data[COUNT_KEY].update(users.ids)

    def _send_unread_counts(self):
        user_ids = self.env.cr.precommit.data.pop(COUNT_KEY, set())
        counts = self._read_unread_counts(user_ids)
        for user in self.env["res.users"].sudo().browse(sorted(user_ids)):
            user._bus_send(BUS_TYPE, {"unread_count": counts.get(user.id, 0)})

    # ------------------------------------------------------------
    # Generation
    # ------------------------------------------------------------

    @api.model
    def _queue(self, entries):
        """Queue notifications for the end of the transaction.

        :param entries: iterable of ``QueuedEvent``. The author is the
            current user, or the system when running as superuser; nobody
            hears of their own doing.
        """
        author_id = 0 if self.env.uid == SUPERUSER_ID else self.env.uid
        entries = [
            entry._replace(author_id=author_id)
            for entry in entries if entry.user_id and entry.user_id != self.env.uid
        ]
        if not entries:
            return
        precommit = self.env.cr.precommit
        if PENDING_KEY not in precommit.data:
            precommit.data[PENDING_KEY] = []
            precommit.add(self.sudo()._flush_queue)
        precommit.data[PENDING_KEY].extend(entries)

    @api.model
    def _queue_resolve(self, causes):
        """Resolve the unread notifications of these ``causes``, tuples
        (source model, source id, user id or 0 for every user), whose cause
        went away before they were read.

        Done right after the commit, in a cursor of its own (like the bus's
        notifications): the reassignments and deletions of Odoo's own
        operations (an activity marked done, a lead reassigned) thus cost
        them no query. A crash between the two leaves them unread; the
        daily maintenance (``_cron_expire``) resolves those whose cause was
        deleted."""
        if not causes:
            return
        postcommit = self.env.cr.postcommit
        if RESOLVE_KEY not in postcommit.data:
            postcommit.data[RESOLVE_KEY] = []
            registry = self.env.registry

            @postcommit.add
            def resolve():
                pending = postcommit.data.pop(RESOLVE_KEY, [])
                try:
                    with registry.cursor() as cr:
                        api.Environment(cr, SUPERUSER_ID, {})["crm.notification"]._resolve(pending)
                except Exception:
                    _logger.exception("Notifications: resolving %s notification causes failed", len(pending))
        postcommit.data[RESOLVE_KEY].extend(causes)

    def _flush_queue(self):
        entries = self.env.cr.precommit.data.pop(PENDING_KEY, [])
        notifications, user_ids = self._create_from_entries(entries)
        if notifications:
            # the recipients are known: no need to read the new rows back
            self._schedule_unread_count(self.env["res.users"].browse(user_ids))
            self._crm_notifications_created(notifications)

    def _resolve(self, causes):
        """Mark resolved, in one statement, the unread notifications of the
        ``causes``, tuples (source model, source id, user id or 0 for all)."""
        self.flush_model()
        causes = sorted(set(causes))
        self.env.cr.execute(SQL(
            """UPDATE crm_notification AS n
                  SET is_resolved = TRUE, resolved_date = %(now)s, snoozed_until = NULL
                 FROM unnest(%(models)s::varchar[], %(ids)s::int4[], %(users)s::int4[]) AS c(model, id, user_id)
                WHERE n.source_id = c.id AND n.source_model = c.model
                  AND n.source_id IS NOT NULL AND %(unread)s
                  AND (c.user_id = 0 OR n.user_id = c.user_id)
            RETURNING n.user_id""",
            now=fields.Datetime.now(), models=[c[0] for c in causes], ids=[c[1] for c in causes],
            users=[c[2] for c in causes], unread=SQL(UNREAD_SQL.replace("is_", "n.is_")),
        ))
        user_ids = {row[0] for row in self.env.cr.fetchall()}
        if user_ids:
            self.invalidate_model(["is_resolved", "resolved_date", "snoozed_until"])
            self._schedule_unread_count(self.env["res.users"].browse(user_ids))
        self._crm_causes_resolved(causes)

    def _crm_causes_resolved(self, causes):
        """These causes went away (see ``_resolve``): the alerts of done or
        deleted activities still queued are cancelled."""
        activity_ids = {res_id for model, res_id, user_id in causes if model == "mail.activity" and not user_id}
        if activity_ids:
            self.env["mail.activity"]._crm_alerts_cancel_queued(activity_ids)

    def _create_from_entries(self, entries):
        """Turn queued entries into notifications, deduplicated per
        (user, source record, event, message): the first rule by sequence
        wins; then each user's preference for the rule applies (off: none;
        e-mail: a copy at once; digest: marked for the daily digest), and the
        rule's daily cap (past it: one overflow summary per user, rule and
        document type).

        :return: (the notifications, the ids of their recipients)
        """
        if not entries:
            return self.browse(), set()
        Rule = self.env["crm.notification.rule"]
        # documents the sources point to, and whether they still exist
        sources = defaultdict(set)
        for entry in entries:
            sources[entry.source_model].add(entry.source_id)
        targets = {}
        for model, ids in sources.items():
            records = self.env[model].browse(ids).exists()
            for source_id, target in records._crm_notification_targets().items():
                targets[model, source_id] = target
        # from the rules' cache: no read of the rules on the hot path
        specs = {spec.id: spec for specs in Rule._get_rules_by_model().values() for spec in specs}
        recipients = self._read_recipients({entry.user_id for entry in entries}, {entry.rule_id for entry in entries})
        entries.sort(key=lambda e: (specs[e.rule_id].sequence, e.rule_id) if e.rule_id in specs else (0, 0))

        seen = set()
        rows = []
        for entry in entries:
            target = targets.get((entry.source_model, entry.source_id))
            recipient = recipients.get(entry.user_id)
            if not target or not recipient or entry.user_id == entry.author_id:
                continue
            # the source (not the target) identifies the event: an activity
            # assigned on a lead and the lead's own assignment are two events;
            # "created for you" and "assigned to you" are one for the user
            kind = "assigned" if entry.event == "created" else entry.event
            key = (entry.user_id, entry.source_model, entry.source_id, kind, entry.message_id)
            if key in seen:
                continue
            seen.add(key)
            spec = specs.get(entry.rule_id)
            mode = recipient.modes.get(entry.rule_id) or (spec.default_mode if spec else "inapp")
            if mode == "off" and spec and spec.locked:
                mode = spec.default_mode if spec.default_mode != "off" else "inapp"
            if mode == "off":
                continue
            rows.append({
                "rule_id": entry.rule_id,
                "event": entry.event,
                "source": (entry.source_model, entry.source_id),
                "user_id": entry.user_id,
                "lang": recipient.lang,
                "message_id": entry.message_id or None,
                "body": entry.body if entry.body is not None else target.body,
                "author_id": entry.author_id or None,
                "res_model": target.res_model,
                "res_id": target.res_id,
                "res_name": target.res_name,
                "reason_role": entry.role or None,
                "mode": mode,
            })
        rows = self._apply_caps(rows, specs, recipients)
        if not rows:
            return self.browse(), set()
        titles = Rule.browse(specs)._render_titles(rows)
        notifications = self._insert_rows(rows, titles)
        emailed = [notification.id for notification, row in zip(notifications, rows, strict=True)
                   if row["mode"] == "email"]
        if emailed:
            self.browse(emailed)._send_email_copies()
        return notifications, {row["user_id"] for row in rows}

    @api.model
    def _read_recipients(self, user_ids, rule_ids):
        """The active internal users among ``user_ids``, as {user id:
        ``Recipient``}: language, timezone and preferences for ``rule_ids``,
        in one query."""
        self.env["res.users"].flush_model(["active", "share", "partner_id"])
        self.env["res.partner"].flush_model(["lang", "tz"])
        self.env["crm.notification.preference"].flush_model(["user_id", "rule_id", "mode"])
        self.env.cr.execute(SQL(
            """SELECT u.id, p.lang, p.tz,
                      ARRAY(SELECT ARRAY[pr.rule_id::text, pr.mode] FROM crm_notification_preference AS pr
                             WHERE pr.user_id = u.id AND pr.rule_id = ANY(%(rule_ids)s))
                 FROM res_users AS u JOIN res_partner AS p ON p.id = u.partner_id
                WHERE u.id = ANY(%(user_ids)s) AND u.active AND NOT u.share""",
            user_ids=list(user_ids), rule_ids=[rule_id for rule_id in rule_ids if rule_id],
        ))
        return {
            user_id: Recipient(lang or "en_US", tz or "UTC", {int(rule): mode for rule, mode in prefs or ()})
            for user_id, lang, tz, prefs in self.env.cr.fetchall()
        }

    def _apply_caps(self, rows, specs, recipients):
        """Rows within their rule's daily cap for their user; the others are
        folded into one overflow summary per (user, rule, document type):
        the summary of the day is updated when it exists, else added to the
        rows. One query, only when a capped rule is involved."""
        capped = [row for row in rows if row["rule_id"] in specs and specs[row["rule_id"]].cap_per_day]
        if not capped:
            return rows
        now = fields.Datetime.now()
        user_ids = sorted({row["user_id"] for row in capped})
        since = {user_id: self._start_of_day(now, recipients[user_id].tz) for user_id in user_ids}
        self.flush_model(["user_id", "rule_id", "date", "event", "res_model"])
        self.env.cr.execute(SQL(
            """SELECT n.user_id, n.rule_id,
                      COUNT(*) FILTER (WHERE n.event <> 'overflow'),
                      ARRAY_AGG(ARRAY[n.id::text, n.res_model, n.overflow_count::text])
                          FILTER (WHERE n.event = 'overflow')
                 FROM crm_notification AS n
                 JOIN unnest(%(users)s::int4[], %(since)s::timestamp[]) AS d(user_id, since)
                   ON n.user_id = d.user_id AND n.date >= d.since
                WHERE n.rule_id = ANY(%(rules)s)
             GROUP BY n.user_id, n.rule_id""",
            users=user_ids, since=[since[user_id] for user_id in user_ids],
            rules=sorted({row["rule_id"] for row in capped}),
        ))
        counts, summaries = {}, {}
        for user_id, rule_id, count, overflows in self.env.cr.fetchall():
            counts[user_id, rule_id] = count
            for summary_id, res_model, overflow_count in overflows or ():
                summaries[user_id, rule_id, res_model] = (int(summary_id), int(overflow_count or 0))
        kept, extra = [], defaultdict(list)
        for row in rows:
            spec = specs.get(row["rule_id"])
            if not spec or not spec.cap_per_day:
                kept.append(row)
                continue
            key = (row["user_id"], row["rule_id"])
            counts[key] = counts.get(key, 0) + 1
            if counts[key] <= spec.cap_per_day:
                kept.append(row)
            else:
                extra[row["user_id"], row["rule_id"], row["res_model"]].append(row)
        rules = self.env["crm.notification.rule"].sudo()
        updates = []
        for (user_id, rule_id, res_model), overflow in extra.items():
            res_ids = list(dict.fromkeys(row["res_id"] for row in overflow))
            first = overflow[0]
            summary = summaries.get((user_id, rule_id, res_model))
            if summary:
                total = summary[1] + len(overflow)
                updates.append((summary[0], total, self._overflow_title(rules.browse(rule_id), total, first["lang"]),
                                json.dumps(res_ids)))
                continue
            kept.append(dict(
                first, event="overflow", message_id=None, body=None, author_id=None, reason_role=None,
                source=(res_model, first["res_id"]), overflow_count=len(overflow), overflow_res_ids=res_ids,
                title=self._overflow_title(rules.browse(rule_id), len(overflow), first["lang"]),
                mode="inapp",
            ))
        if updates:
            # the day's summaries grow and are unread again: one statement
            self.env.cr.execute(SQL(
                """UPDATE crm_notification AS n
                      SET overflow_count = u.total, title = u.title, date = %(now)s, is_read = FALSE,
                          read_date = NULL, overflow_res_ids = COALESCE(n.overflow_res_ids, '[]'::jsonb) || u.res_ids
                     FROM unnest(%(ids)s::int4[], %(totals)s::int4[], %(titles)s::varchar[], %(res_ids)s::jsonb[])
                          AS u(id, total, title, res_ids)
                    WHERE n.id = u.id""",
                now=now, ids=[u[0] for u in updates], totals=[u[1] for u in updates],
                titles=[u[2] for u in updates], res_ids=[u[3] for u in updates],
            ))
            self.invalidate_model(["overflow_count", "title", "date", "is_read", "read_date", "overflow_res_ids"])
            self._schedule_unread_count(self.env["res.users"].browse({key[0] for key in extra}))
        return kept

    @api.model
    def _overflow_title(self, rule, count, lang):
        rule = rule.with_context(lang=lang)
        return rule.env._("And %(count)s more today: %(rule)s", count=count, rule=rule.name)

    @api.model
    def _start_of_day(self, now, tz_name):
        """The UTC instant the day of ``now`` (UTC) began in ``tz_name``
        (UTC's day for an unknown timezone: a cap still applies)."""
        tz = get_timezone(tz_name, fallback=pytz.utc)
        return local_to_utc(datetime.datetime.combine(utc_to_local(now, tz).date(), datetime.time.min), tz)

    def _insert_rows(self, rows, titles):
        """Insert all rows in one statement (``tools.sql.insert_unnest``):
        notifications are an append-only log written on the hot path of every
        assignment, 10,000 leads imported at once being one statement here.

        Rows without ``source`` (reminders, alerts) are caused by their
        ``res_model``/``res_id``."""
        now = fields.Datetime.now()
        model_ids = {
            model: self.env["ir.model"]._get_id(model) for model in {row["res_model"] for row in rows}
        }
        sources = [row.get("source") or (row["res_model"], row["res_id"]) for row in rows]
        columns = {
            "user_id": ("int4", [row["user_id"] for row in rows]),
            "res_model": ("varchar", [row["res_model"] for row in rows]),
            "res_model_id": ("int4", [model_ids[row["res_model"]] for row in rows]),
            "res_id": ("int4", [row["res_id"] for row in rows]),
            "res_name": ("varchar", [row["res_name"] for row in rows]),
            "event": ("varchar", [row["event"] for row in rows]),
            "title": ("varchar", titles),
            "body": ("text", [row["body"] for row in rows]),
            "rule_id": ("int4", [row["rule_id"] or None for row in rows]),
            "message_id": ("int4", [row["message_id"] for row in rows]),
            "author_id": ("int4", [row["author_id"] for row in rows]),
            "date": ("timestamp", [now] * len(rows)),
            "is_read": ("bool", [False] * len(rows)),
            "source_model": ("varchar", [source[0] for source in sources]),
            "source_id": ("int4", [source[1] for source in sources]),
            "reason_role": ("varchar", [row.get("reason_role") for row in rows]),
            "is_digest": ("bool", [row.get("mode") == "digest" for row in rows]),
            "overflow_count": ("int4", [row.get("overflow_count") or None for row in rows]),
            "overflow_res_ids": ("jsonb", [
                json.dumps(row["overflow_res_ids"]) if row.get("overflow_res_ids") else None for row in rows
            ]),
        }
        return self.browse(insert_unnest(self.env, self._table, columns))

    def _send_email_copies(self):
        """Rule notifications in "e-mail" mode: a copy to the recipient at
        once, through Odoo's mail queue, in the recipient's language."""
        mails = []
        for notification in self.sudo():
            user = notification.user_id
            if not user.email:
                continue
            lang = user.lang or "en_US"
            env = self.with_context(lang=lang).env
            values = {
                "notification": notification.with_context(lang=lang),
                "url": f"{self.get_base_url()}/odoo/{notification.res_model}/{notification.res_id}",
            }
            body = env["ir.qweb"]._render("crm_notifications.mail_body_notification", values, minimal_qcontext=True)
            body = env["mail.render.mixin"]._render_encapsulate(
                "crm_notifications.mail_notification_light", body, add_context={
                    "message": env["mail.message"].sudo().new({"body": body, "record_name": notification.res_name}),
                    "model_description": notification.res_model_id.with_context(lang=lang).name,
                    "company": user.company_id,
                    "lang": lang,
                })
            mails.append({
                "subject": notification.title,
                "body_html": body,
                "recipient_ids": [Command.link(user.partner_id.id)],
                "email_from": (notification.author_id.email_formatted or user.company_id.email_formatted
                               or self.env["ir.mail_server"]._get_default_from_address()),
                "auto_delete": True,
            })
        if mails:
            self.env["mail.mail"].sudo().create(mails)
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()

    # ------------------------------------------------------------
    # Crons: snoozed ones coming back, expiry
    # ------------------------------------------------------------

    @api.model
    def _cron_unsnooze(self):
        """Snoozed notifications whose time has come are back in the bell,
        unread, with their users' counters pushed live."""
        self.flush_model(["snoozed_until"])
        self.env.cr.execute(SQL(
            """UPDATE crm_notification SET snoozed_until = NULL
                WHERE snoozed_until IS NOT NULL AND snoozed_until <= %s
            RETURNING user_id""", fields.Datetime.now(),
        ))
        user_ids = {row[0] for row in self.env.cr.fetchall()}
        self.invalidate_model(["snoozed_until"])
        self._schedule_unread_count(self.env["res.users"].browse(user_ids))
        # the next one to come back
        self.env.cr.execute("SELECT MIN(snoozed_until) FROM crm_notification WHERE snoozed_until IS NOT NULL")
        next_at = self.env.cr.fetchone()[0]
        if next_at:
            self.env.ref("crm_notifications.ir_cron_notification_unsnooze").sudo()._trigger(next_at)

    @api.model
    def _resolve_orphans(self):
        """Resolve the unread notifications whose cause was deleted (or
        archived, for activities) without being resolved at the time (a
        crash right after the commit, a deletion in SQL)."""
        self.flush_model()
        self.env.cr.execute(SQL(
            "SELECT DISTINCT source_model FROM crm_notification WHERE source_id IS NOT NULL AND %s", SQL(UNREAD_SQL)))
        for (model,) in self.env.cr.fetchall():
            Model = self.env.get(model)
            if Model is None or not Model._auto or Model._abstract:
                continue
            gone = SQL("NOT EXISTS (SELECT 1 FROM %s AS s WHERE s.id = n.source_id%s)", SQL.identifier(Model._table),
                       SQL(" AND s.active") if Model._active_name == "active" else SQL())
            self.env.cr.execute(SQL(
                """SELECT n.source_id FROM crm_notification AS n
                    WHERE n.source_model = %s AND n.source_id IS NOT NULL AND %s AND %s""",
                model, SQL(UNREAD_SQL.replace("is_", "n.is_")), gone,
            ))
            orphans = {row[0] for row in self.env.cr.fetchall()}
            if orphans:
                self._resolve([(model, res_id, 0) for res_id in orphans])

    @api.model
    def _expiry_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param("crm_notifications.expiry_days")
        try:
            return max(int(value), 1) if value else DEFAULT_EXPIRY_DAYS
        except ValueError:
            return DEFAULT_EXPIRY_DAYS

    @api.model
    def _cron_expire(self, batch_size=EXPIRY_BATCH_SIZE):
        """Remove read (or resolved) notifications older than the expiry age,
        one batch per call: Odoo's cron runner commits and calls again while
        ``remaining`` is reported."""
        limit = fields.Datetime.now() - datetime.timedelta(days=self._expiry_days())
        self.flush_model()
        # ids grow with time: the oldest first, by the primary key
        self.env.cr.execute(SQL(
            """SELECT id FROM crm_notification
                WHERE date < %s AND (is_read OR is_resolved)
             ORDER BY id LIMIT %s""", limit, batch_size + 1,
        ))
        ids = [row[0] for row in self.env.cr.fetchall()]
        batch = self.browse(ids[:batch_size])
        batch.unlink()
        if not batch:
            self._resolve_orphans()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=int(len(ids) > batch_size))
        return True

    def _crm_notifications_created(self, notifications):
        """Hook for extensions: called once per transaction with all the
        notifications just generated (e.g. to forward them elsewhere)."""

    # ------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------

    @api.model
    def _message_preview(self, html):
        return textwrap.shorten(html2plaintext(html or ""), BODY_PREVIEW_LENGTH, placeholder="…")

    # ------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------

    @api.model
    def _demo_generate(self):
        admin = self.env.ref("base.user_admin")
        demo = self.env.ref("base.user_demo", raise_if_not_found=False)
        if not demo:
            return
        # modules install with the registry not ready, when detection sleeps;
        # sudo keeps the author's uid, so the author is the demo user
        ctx = {"crm_notification_force": True, "mail_notrack": True, "mail_create_nolog": True}
        for author, recipient in ((demo, admin), (admin, demo)):
            env = self.with_user(author).with_context(**ctx).sudo().env
            name = recipient.name
            lead = env["crm.lead"].create({
                "name": _("Demo: 50 office chairs for %s", name), "type": "opportunity",
            })
            lead.activity_schedule(
                "mail.mail_activity_data_call", user_id=recipient.id, summary=_("Call back about the chairs")
            )
            lead.user_id = recipient
            project = env["project.project"].create({"name": _("Demo: onboarding (%s)", name)})
            project.user_id = recipient
            env["project.task"].create({
                "name": _("Demo: prepare the kick-off"), "project_id": project.id,
                "user_ids": [Command.set(recipient.ids)],
            })
            env["res.partner"].create({"name": _("Demo: Lumen Industries (%s)", name), "is_company": True,
                                       "user_id": recipient.id})
            env["res.partner"].create({"name": _("Demo: Ana Lopes (%s)", name), "user_id": recipient.id})
            env["utm.campaign"].create({"title": _("Demo: spring offers (%s)", name), "user_id": recipient.id})
            env["calendar.event"].create({
                "name": _("Demo: pipeline review (%s)", name),
                "start": fields.Datetime.now(), "stop": fields.Datetime.now(),
                "partner_ids": [Command.set((author | recipient).partner_id.ids)],
            })
            lead.message_post(body=_("The customer asked for a second quote."), message_type="comment",
                              subtype_xmlid="mail.mt_note")
