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

import textwrap
from collections import defaultdict
from typing import NamedTuple

from odoo import SUPERUSER_ID, Command, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, html2plaintext

from ..tools.sql import insert_unnest


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


class Target(NamedTuple):
    """Where a notification about a record leads, and what it says by
    default (``_crm_notification_targets``)."""

    res_model: str
    res_id: int
    res_name: str
    body: str | None = None


PENDING_KEY = "crm_notifications.pending"
COUNT_KEY = "crm_notifications.count_user_ids"
BUS_TYPE = "crm.notification/updated"
# fields a recipient may change on their own notifications
USER_WRITABLE_FIELDS = {"is_read"}
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

    def init(self):
        # unread counter: a partial index keeps the count proportional to the
        # user's unread notifications, not to the table (1M rows in bench/).
        # Its predicate is the ORM's own SQL for ('is_read', '=', False), so
        # the "Unread" filter and mark-all-read use it too.
        tools.create_index(
            self.env.cr,
            "crm_notification_user_unread_idx",
            self._table,
            ["user_id"],
            where="is_read IS NULL OR is_read = FALSE",
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
        if "is_read" in vals or "user_id" in vals:
            self._schedule_unread_count(users | self.user_id)
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

    def action_open_record(self):
        """Mark as read and return the action opening the related document."""
        if len(self) != 1:
            raise UserError(_("Notification: open one notification at a time."))
        self.action_mark_read()
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
        notifications = self.search([("user_id", "=", self.env.uid)], limit=limit)
        return {
            "unread_count": self.get_unread_count(),
            "notifications": [
                {
                    "id": n.id,
                    "title": n.title,
                    "body": n.body or "",
                    "res_model": n.res_model,
                    "res_id": n.res_id,
                    "res_name": n.res_name or "",
                    # model names are not secret; ir.model is admin-only
                    "model_name": n.res_model_id.sudo().name or "",
                    "event": n.event,
                    "author_name": n.author_name,
                    "date": fields.Datetime.to_string(n.date),
                    "is_read": n.is_read,
                }
                for n in notifications
            ],
        }

    # ------------------------------------------------------------
    # Unread counter, pushed over the bus
    # ------------------------------------------------------------

    def _read_unread_counts(self, user_ids):
        if not user_ids:
            return {}
        self.flush_model(["user_id", "is_read"])
        self.env.cr.execute(
            SQL(
                """SELECT user_id, COUNT(*) FROM crm_notification
                    WHERE user_id = ANY(%s) AND (is_read IS NULL OR is_read = FALSE)
                 GROUP BY user_id""",
                list(user_ids),
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

    def _flush_queue(self):
        entries = self.env.cr.precommit.data.pop(PENDING_KEY, [])
        notifications, user_ids = self._create_from_entries(entries)
        if notifications:
            # the recipients are known: no need to read the new rows back
            self._schedule_unread_count(self.env["res.users"].browse(user_ids))
            self._crm_notifications_created(notifications)

    def _create_from_entries(self, entries):
        """Turn queued entries into notifications, deduplicated per
        (user, source record, event, message): the first rule by sequence wins.

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
        users = self.env["res.users"].search(
            [("id", "in", list({entry.user_id for entry in entries})), ("share", "=", False)]
        )
        user_langs = {user.id: user.lang or "en_US" for user in users}
        # from the rules' cache: no read of the rules on the hot path
        rule_order = {
            spec.id: (spec.sequence, spec.id)
            for specs in Rule._get_rules_by_model().values() for spec in specs
        }
        entries.sort(key=lambda e: rule_order.get(e.rule_id, (0, 0)))

        seen = set()
        rows = []
        for entry in entries:
            target = targets.get((entry.source_model, entry.source_id))
            if not target or entry.user_id not in user_langs or entry.user_id == entry.author_id:
                continue
            # the source (not the target) identifies the event: an activity
            # assigned on a lead and the lead's own assignment are two events;
            # "created for you" and "assigned to you" are one for the user
            kind = "assigned" if entry.event == "created" else entry.event
            key = (entry.user_id, entry.source_model, entry.source_id, kind, entry.message_id)
            if key in seen:
                continue
            seen.add(key)
            rows.append({
                "rule_id": entry.rule_id,
                "event": entry.event,
                "source": (entry.source_model, entry.source_id),
                "user_id": entry.user_id,
                "lang": user_langs[entry.user_id],
                "message_id": entry.message_id or None,
                "body": entry.body if entry.body is not None else target.body,
                "author_id": entry.author_id or None,
                "res_model": target.res_model,
                "res_id": target.res_id,
                "res_name": target.res_name,
            })
        if not rows:
            return self.browse(), set()
        titles = Rule.browse(rule_order)._render_titles(rows)
        return self._insert_rows(rows, titles), {row["user_id"] for row in rows}

    def _insert_rows(self, rows, titles):
        """Insert all rows in one statement (``tools.sql.insert_unnest``):
        notifications are an append-only log written on the hot path of every
        assignment, 10,000 leads imported at once being one statement here."""
        now = fields.Datetime.now()
        model_ids = {
            model: self.env["ir.model"]._get_id(model) for model in {row["res_model"] for row in rows}
        }
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
        }
        return self.browse(insert_unnest(self.env, self._table, columns))

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
