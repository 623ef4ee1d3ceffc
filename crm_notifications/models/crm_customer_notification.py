# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Messages to customers: one customer or a group, now or at a set time,
once or on a cycle.

A send is an *occurrence* (``next_date``, UTC). Its recipients are processed
in chunks by the cron, each chunk claiming its deliveries in the delivery log
before queuing its messages, and the cron runner commits after each chunk:
a group of 100,000 customers never has more than one chunk of rendered bodies
in memory, and a send interrupted after any chunk resumes where it stopped
(the members still to do are those without a delivery for the occurrence).
"""

import logging
from datetime import timedelta
from urllib.parse import urlencode

import psycopg2
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, email_normalize, hmac, html_sanitize
from odoo.tools.mail import generate_tracking_message_id
from odoo.tools.misc import format_datetime

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import recurrence as rec
from ..tools.quiet_hours import at_local_time, defer_past_quiet_hours
from ..tools.sql import insert_unnest, update_unnest
from ..tools.timezone import get_timezone, utc_to_local

_logger = logging.getLogger(__name__)


class TemplateRenderError(Exception):
    """A title or body that could not be rendered for the sender."""


CHUNK_SIZE = 500
# chunks per cron call: the runner commits after each call
CRON_CHUNKS = 1
# the title is the e-mail subject; the body an e-mail (mail clients clip
# far below this)
TITLE_MAX_LENGTH = 250
BODY_MAX_LENGTH = 500_000
# written by the actions (Send, Deactivate) and the cron only, never by a client
ACTION_FIELDS = frozenset({"state", "start_date", "next_date", "user_id", "fanout_date"})
# what a send is made of: frozen while the notification is sent or under way
CONTENT_FIELDS = frozenset({
    "name", "body", "kind", "partner_id", "group_id", "channel", "timing", "scheduled_date",
    "recurrency", "rrule_type", "until", "tz", "company_id", "local_send_time",
})
EDITABLE_STATES = ("draft", "deactivated")
# rendered for each customer by mail.render.mixin: code for template editors only
TEMPLATE_FIELDS = ("name", "body")
# next sends previewed on a recurring notification's form
PREVIEW_COUNT = 5
# the furthest ahead of UTC a wall clock runs (Kiribati, UTC+14): a send at
# each customer's local time starts this long before the time on the
# notification's own clock (see fanout_date)
MAX_UTC_OFFSET = timedelta(hours=14)


class CrmCustomerNotification(models.Model):
    _name = "crm.customer.notification"
    _description = "Customer Notification"
    _inherit = ["mail.thread", "mail.render.mixin", "crm.validated.mixin", "crm.delivery.source.mixin"]
    _order = "id desc"
    _check_company_auto = True
    # recipients handled per chunk: bounds memory and the work a crash redoes
    _chunk_size = CHUNK_SIZE
    _crm_max_lengths = {"name": TITLE_MAX_LENGTH, "body": BODY_MAX_LENGTH}
    _crm_cron_xmlid = "crm_notifications.ir_cron_customer_notifications"
    _crm_wake_field = "fanout_date"
    # Rendering stays restricted (mail.render.mixin's default): the title and
    # body are rendered as the sender (user_id), so a sender outside Mail
    # Template Editor gets plain field placeholders only, even from the cron,
    # which runs as the superuser. Saving code is refused to them as well
    # (_check_access_right_dynamic_template, at create, write and translation).

    # -- what (rendered with Odoo's mail rendering, in each customer's language)
    name = fields.Char(
        "Title", required=True, translate=True, tracking=True, render_engine="inline_template",
        help="The e-mail subject. Placeholders such as {{ object.name }} are rendered for each customer.",
    )
    body = fields.Html(
        required=True, translate=True, render_engine="qweb", sanitize="email_outgoing",
        help="Placeholders such as <t t-out=\"object.name\"/> are rendered for each customer, in their language.",
    )
    render_model = fields.Char(compute="_compute_render_model")
    channel = fields.Selection([("email", "E-mail")], required=True, default="email", tracking=True)
    # -- to whom
    kind = fields.Selection(
        [("individual", "Individual"), ("group", "Group")], required=True, default="individual", tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", tracking=True, index="btree_not_null", check_company=True,
    )
    group_id = fields.Many2one(
        "crm.customer.group", string="Customer Group", tracking=True, index="btree_not_null", check_company=True,
    )
    recipient_name = fields.Char("Recipient", compute="_compute_recipient_name")
    # -- when
    timing = fields.Selection(
        [("now", "Now"), ("scheduled", "Scheduled")], required=True, default="now", tracking=True,
    )
    scheduled_date = fields.Datetime("Send On", tracking=True)
    recurrency = fields.Boolean("Recurring", tracking=True)
    rrule_type = fields.Selection(
        [("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")], string="Repeat", default="weekly",
    )
    until = fields.Date(help="Last day (included) a recurring notification is sent; empty: until deactivated.")
    tz = fields.Selection(
        _tz_get, string="Timezone", default=lambda self: self.env.user.tz or "UTC",
        help="Recurring sends keep their local time in this timezone.",
    )
    local_send_time = fields.Boolean(
        "At Each Customer's Local Time", tracking=True,
        help="Each customer gets the message when their own clock shows the time of the send in the "
        "notification's timezone (customers without a timezone: the company's). Quiet hours still apply.",
    )
    # -- by whom
    user_id = fields.Many2one(
        "res.users", string="Sender", required=True, index=True, copy=False, tracking=True,
        default=lambda self: self.env.user, readonly=True,
        help="Who sends: whoever pressed Send. The messages go out from their address and are rendered with "
        "their access rights.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    # -- state
    state = fields.Selection(
        # in the order of a life: one-off Draft > Scheduled > Sent, recurring
        # Draft > Active > Sent (its last occurrence sent); the form's
        # status bar shows the steps of its kind only
        [("draft", "Draft"), ("scheduled", "Scheduled"), ("active", "Active"), ("sent", "Sent"),
         ("deactivated", "Deactivated")],
        required=True, default="draft", readonly=True, copy=False, tracking=True,
    )
    start_date = fields.Datetime(readonly=True, copy=False, help="First occurrence (UTC).")
    next_date = fields.Datetime("Next Send", readonly=True, copy=False, index=True)
    # when the cron starts the fan-out of the next send: at next_date, or,
    # sent at each customer's local time, as soon as the first clock on
    # Earth (UTC+14) shows its local time; each customer's message then
    # waits for their own (mail.mail.scheduled_date, held SMS claims)
    fanout_date = fields.Datetime(
        "Fan-out Start", compute="_compute_fanout_date", store=True, index=True, copy=False,
        help="When the sending of the next occurrence starts (UTC).",
    )
    # the form's dates are in the reader's timezone; a recurring send keeps
    # its local time in the notification's: both shown, labelled
    scheduled_local = fields.Char("Send On, local time", compute="_compute_local_times")
    next_date_local = fields.Char("Next Send, local time", compute="_compute_local_times")
    tz_label = fields.Char("Times In", compute="_compute_local_times")
    next_sends_preview = fields.Text(
        "Next sends", compute="_compute_next_sends_preview",
        help="The next sends of a recurring notification, in its timezone.",
    )

    def _compute_render_model(self):
        self.render_model = "res.partner"

    def _render_lang(self, res_ids, engine="inline_template"):
        # Recipients are customers: each gets their own language, read
        # directly (a "{{ object.lang }}" template would be a placeholder
        # only template editors may write).
        return {partner.id: partner.lang for partner in self.env["res.partner"].browse(res_ids)}

    @api.depends("name", "kind", "partner_id", "user_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        """What the customer reads: an individual notification's title
        rendered for its customer (as the sender renders it); a group's title
        is a template for many customers, marked as such."""
        for notification in self:
            name = notification.name or ""
            if "{{" not in name:
                notification.display_name = name
            elif notification.kind == "individual" and notification.partner_id._origin and notification.user_id:
                partner = notification.partner_id._origin
                try:
                    notification.display_name = notification._crm_render("name", partner.ids)[partner.id]
                except TemplateRenderError:
                    notification.display_name = _("Template: %s", name)
            else:
                notification.display_name = _("Template: %s", name)

    @api.depends("next_date", "local_send_time", "tz")
    def _compute_fanout_date(self):
        for notification in self:
            date = notification.next_date
            if date and notification.local_send_time:
                local = utc_to_local(date, get_timezone(notification.tz, fallback=get_timezone(None)))
                date = min(date, local - MAX_UTC_OFFSET)
            notification.fanout_date = date

    @api.depends("scheduled_date", "next_date", "tz")
    @api.depends_context("lang")
    def _compute_local_times(self):
        for notification in self:
            notification.tz_label = _("Times in %s", notification.tz or "UTC")
            notification.scheduled_local = notification._format_local(notification.scheduled_date)
            notification.next_date_local = notification._format_local(notification.next_date)

    @api.depends("recurrency", "rrule_type", "until", "tz", "timing", "scheduled_date", "start_date", "next_date",
                 "state")
    @api.depends_context("lang")
    def _compute_next_sends_preview(self):
        now = fields.Datetime.now()
        for notification in self:
            if not notification.recurrency or not notification.rrule_type:
                notification.next_sends_preview = False
                continue
            if notification.state in ("scheduled", "active", "sent"):
                # under way: from the next send on, as the cron goes
                start, first = notification.start_date, notification.next_date
            else:
                # as Send would schedule it now
                start = notification.scheduled_date if notification.timing == "scheduled" else now
                first = start
            dates = []
            if start and first:
                try:
                    dates = rec.next_occurrences(
                        notification._crm_recurrence(start), start, notification.tz or "UTC", PREVIEW_COUNT,
                        after=first - timedelta(microseconds=1))
                except rec.RecurrenceError as error:
                    # a form being filled in (an end before the start...)
                    notification.next_sends_preview = str(error)
                    continue
            notification.next_sends_preview = "\n".join(
                notification._format_local(date, with_tz=False) for date in dates) or _("No send left.")

    def _format_local(self, utc_datetime, with_tz=True):
        """``utc_datetime`` in the notification's timezone and the reader's
        language, the timezone named unless ``with_tz`` is False."""
        if not utc_datetime:
            return False
        tz = self.tz or "UTC"
        local = format_datetime(self.env, utc_datetime, tz=tz, dt_format="EEE yyyy-MM-dd HH:mm")
        return f"{local} ({tz})" if with_tz else local

    @api.depends("kind", "partner_id", "group_id")
    def _compute_recipient_name(self):
        for notification in self:
            target = notification.partner_id if notification.kind == "individual" else notification.group_id
            notification.recipient_name = target.display_name or ""

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("kind", "partner_id", "group_id", "timing", "scheduled_date", "recurrency", "until",
                    "local_send_time")
    def _check_required(self):
        for notification in self:
            if notification.kind == "individual" and not notification.partner_id:
                raise ValidationError(_("Customer: an individual notification needs a customer."))
            if notification.kind == "group" and not notification.group_id:
                raise ValidationError(_("Customer Group: a group notification needs a group."))
            if notification.timing == "scheduled" and not notification.scheduled_date:
                raise ValidationError(_("Send On: a scheduled notification needs a date."))
            if notification.local_send_time and notification.timing != "scheduled" and not notification.recurrency:
                raise ValidationError(_(
                    "At Each Customer's Local Time: for a scheduled or recurring notification only."))
            if notification.recurrency and notification.until:
                start = notification.scheduled_date if notification.timing == "scheduled" else (
                    notification.start_date or fields.Datetime.now())
                if notification.until < start.date():
                    raise ValidationError(_("Until: the end date is before the first send."))

    # ------------------------------------------------------------
    # Template rights (mail.render.mixin)
    # ------------------------------------------------------------

    def _crm_unsafe_template_fields(self):
        """The rendered fields of ``self`` (in the context's language) that
        hold more than plain field placeholders."""
        unsafe = []
        for fname in TEMPLATE_FIELDS:
            field = self._fields[fname]
            for notification in self.sudo():
                value = notification[fname]
                try:
                    if field.render_engine == "qweb":
                        found = self._has_unsafe_expression_template_qweb(value, notification.render_model)
                    else:
                        found = self._has_unsafe_expression_template_inline_template(
                            value, notification.render_model)
                except Exception as error:
                    raise ValidationError(_(
                        "%(field)s: the template cannot be read (%(error)s).",
                        field=field._description_string(self.env), error=error,
                    )) from error
                if found:
                    unsafe.append(field)
                    break
        return unsafe

    def _has_unsafe_expression(self):
        # the mixin would look at every field of the model; only these render
        return bool(self._crm_unsafe_template_fields())

    def _check_access_right_dynamic_template(self):
        """As mail.template: outside Mail Template Editor, a template may hold
        plain field placeholders only; the error names the field."""
        if self.env.su or self.env.user.has_group("mail.group_mail_template_editor"):
            return
        unsafe = self._crm_unsafe_template_fields()
        if unsafe:
            raise AccessError(_(
                "%(fields)s: only members of the %(group)s group may use expressions other than plain "
                "field placeholders such as {{ object.name }}.",
                fields=", ".join(field._description_string(self.env) for field in unsafe),
                group=self.env.ref("mail.group_mail_template_editor").sudo().name,
            ))

    def _crm_check_templates_all_languages(self):
        """The template rights of the current user, on every installed
        language's version of the title and body."""
        for code, _name in self.env["res.lang"].get_installed():
            self.with_context(lang=code)._check_access_right_dynamic_template()

    # ------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._crm_check_action_fields(vals)
        model = self
        if not self.env.su:
            # nor through the context's defaults (default_state...)
            forbidden = {f"default_{fname}" for fname in ACTION_FIELDS}
            model = self.with_env(self.env(context={
                key: value for key, value in self.env.context.items() if key not in forbidden
            }))
        notifications = super(CrmCustomerNotification, model).create(vals_list)
        notifications._check_access_right_dynamic_template()
        return notifications

    def write(self, vals):
        self._crm_check_action_fields(vals)
        if not self.env.su and CONTENT_FIELDS.intersection(vals):
            self._crm_check_editable()
        res = super().write(vals)
        if set(TEMPLATE_FIELDS).intersection(vals):
            self._check_access_right_dynamic_template()
        return res

    def _update_field_translations(self, fname, translations, digest=None, source_lang=None):
        if not self.env.su and fname in CONTENT_FIELDS:
            self._crm_check_editable()
        res = super()._update_field_translations(fname, translations, digest=digest, source_lang=source_lang)
        if fname in TEMPLATE_FIELDS:
            for lang in translations:
                self.with_context(lang=lang)._check_access_right_dynamic_template()
        return res

    def _crm_check_action_fields(self, vals):
        """State, dates and sender move through the actions only."""
        touched = ACTION_FIELDS.intersection(vals)
        if touched and not self.env.su:
            raise UserError(_(
                "%(fields)s: set by the Send and Deactivate actions only.",
                fields=", ".join(sorted(self._fields[fname]._description_string(self.env) for fname in touched)),
            ))

    def _crm_check_editable(self):
        """What was sent, or is being sent, stays as it was: a running
        notification is deactivated first, a sent one duplicated."""
        for notification in self:
            if notification.state == "sent":
                raise UserError(_("'%s' was sent: duplicate it to send another version.", notification.name))
            if notification.state not in EDITABLE_STATES:
                raise UserError(_("'%s' is under way: deactivate it to edit it.", notification.name))

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_send(self):
        """Validate, then send now or schedule (and repeat when recurring),
        as the current user: they become the sender."""
        # own vs all documents, companies: who may edit it may send it
        self.check_access("write")
        now = fields.Datetime.now()
        for notification in self:
            if notification.state not in EDITABLE_STATES:
                raise UserError(_("'%s' was sent or scheduled already.", notification.name))
            if notification.timing == "scheduled" and notification.scheduled_date < now - timedelta(minutes=1):
                raise ValidationError(_("Send On: the date is in the past."))
            notification._crm_check_sendable()
            notification._check_recipients()
            start = notification.scheduled_date if notification.timing == "scheduled" else now
            # a group "now" is queued for the cron, which sends it in chunks
            notification.sudo().write({
                "user_id": self.env.uid,
                "start_date": start,
                "next_date": start,
                "state": "active" if notification.recurrency else "scheduled",
            })
        immediate = self.filtered(lambda n: n.timing == "now" and n.kind == "individual")
        for notification in immediate.sudo():
            notification._send_chunk(now)
        (self - immediate).sudo()._trigger_cron()
        return True

    def action_deactivate(self):
        """Stop all future sends (a group send under way stops after its
        current chunk). Only what is scheduled or under way: a sent
        notification stays the record of what was sent."""
        self.check_access("write")
        for notification in self:
            if notification.state not in ("scheduled", "active"):
                raise UserError(_("'%s' is not scheduled: there is nothing to deactivate.", notification.name))
        self.sudo().write({"state": "deactivated", "next_date": False})
        self._crm_cancel_waiting()
        return True

    def _crm_cancel_waiting(self):
        """Deactivating stops what still waits for its time (quiet hours,
        local time): e-mails scheduled later leave the mail queue, and held
        SMS claims are skipped by the cron when released."""
        now = fields.Datetime.now()
        waiting = self.env["crm.notification.delivery"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "in", self.ids), ("state", "=", "queued"),
            ("mail_id.state", "=", "outgoing"), ("mail_id.scheduled_date", ">", now),
        ])
        waiting.mail_id.write({"state": "cancel"})
        waiting.write({"state": "skipped", "reason": _("Deactivated before its time came")})


    def action_preview_recipients(self):
        """Who would be reached, before sending: a notification with the
        customers reached per channel and those skipped per reason, as the
        current user sees them (they would become the sender)."""
        self.ensure_one()
        self.check_access("read")
        counts = self._crm_preview_recipients()
        channels = dict(self._fields["channel"]._description_selection(self.env))
        lines = [_("%(count)s customers in all", count=counts["total"])]
        lines += [_("Reached by %(channel)s: %(count)s", channel=channels.get(channel, channel), count=count)
                  for channel, count in counts["reached"].items()]
        if counts["deferred"]:
            lines.append(_("Of them, deferred to the end of their quiet hours: %(count)s", count=counts["deferred"]))
        labels = {
            "no_address": _("No address"), "blacklisted": _("Blacklisted"), "archived": _("Archived"),
            "not_visible": _("Not visible to you"),
        }
        lines += [_("Skipped, %(reason)s: %(count)s", reason=labels[reason], count=count)
                  for reason, count in counts["skipped"].items() if count]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Who would be reached"),
                "message": "\n".join(lines),
                "type": "info",
                "sticky": True,
                # one line each (static/src/views/customer_notification.scss)
                "className": "o_crm_preview_recipients",
            },
        }

    def _crm_preview_recipients(self):
        """{'total', 'reached': {channel: count}, 'deferred', 'skipped':
        {reason: count}} of the next send, in two grouped queries whatever
        the group's size: reachability per customer is decided in SQL
        (``_crm_preview_categories``), quiet hours per timezone."""
        self.ensure_one()
        self._flush_recipients()
        self.env["res.partner"].flush_model(["tz"])
        self.env["mail.blacklist"].flush_model()
        cr = self.env.cr
        cr.execute(SQL("SELECT count(*) FROM (%s) r", self._recipient_query()))
        total = cr.fetchone()[0]
        # what the current user may read of them (record rules, in SQL)
        visible = self.env["res.partner"].with_context(active_test=False)._search(
            [("id", "in", [self.partner_id.id])] if self.kind == "individual"
            else [("customer_group_ids", "in", self.group_id.ids)])
        categories = self._crm_preview_categories()
        cr.execute(SQL(
            """SELECT %(categories)s, p.tz, count(*) FROM res_partner p
                WHERE p.id IN %(visible)s GROUP BY 1, 2, 3""",
            categories=SQL(", ").join(categories.values()), visible=visible.subselect(),
        ))
        reached, skipped = {}, dict.fromkeys(("no_address", "blacklisted", "archived", "not_visible"), 0)
        deferred = 0
        seen = 0
        when = self._crm_preview_instant()
        for email_category, channel_category, tz, count in cr.fetchall():
            seen += count
            if channel_category == "ok":
                channel = self.channel
            elif channel_category == "no_address" and email_category == "ok" and self.channel != "email":
                channel = "email"  # the fallback
            else:
                skipped[channel_category] += count
                continue
            reached[channel] = reached.get(channel, 0) + count
            if self._crm_preview_deferred(when, tz):
                deferred += count
        skipped["not_visible"] = total - seen
        return {"total": total, "reached": reached, "deferred": deferred, "skipped": skipped}

    def _crm_preview_categories(self):
        """SQL expressions on ``p`` (res_partner): the e-mail's and the
        channel's category of each customer: ok, no_address, blacklisted,
        archived. Extended per channel."""
        email = SQL(
            """CASE WHEN NOT p.active THEN 'archived'
                    WHEN p.email_normalized IS NULL THEN 'no_address'
                    WHEN EXISTS (SELECT 1 FROM mail_blacklist b WHERE b.email = p.email_normalized AND b.active)
                    THEN 'blacklisted'
                    ELSE 'ok' END""")
        return {"email": email, "channel": email}

    def _crm_preview_instant(self):
        if self.next_date:
            return self.next_date
        return self.scheduled_date if self.timing == "scheduled" and self.scheduled_date else fields.Datetime.now()

    def _crm_preview_deferred(self, when, partner_tz):
        """Whether a customer of timezone ``partner_tz`` would get the send
        of ``when`` after the end of their quiet hours."""
        tz_name = partner_tz or self.company_id.partner_id.tz or self.tz or "UTC"
        tz = get_timezone(tz_name, fallback=get_timezone(None))
        if self.local_send_time:
            when = at_local_time(when, self.tz or self.user_id.tz or "UTC", tz)
        start, end = self.company_id._crm_quiet_hours()
        return defer_past_quiet_hours(when, tz, start, end) > when

    # ------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------

    def _crm_check_sendable(self):
        """What the current user, about to become the sender, must be allowed:
        the templates in every language, and reading the recipients."""
        self.ensure_one()
        self._crm_check_templates_all_languages()
        for fname in ("partner_id", "group_id"):
            try:
                self[fname].check_access("read")
            except AccessError as error:
                raise UserError(_(
                    "%(field)s: you may not read '%(name)s'.",
                    field=self._fields[fname]._description_string(self.env), name=self[fname].sudo().display_name,
                )) from error

    def _check_recipients(self):
        self.ensure_one()
        if self.kind == "group" and not self.group_id.partner_count:
            raise ValidationError(_("Customer Group: the group '%s' has no member.", self.group_id.name))
        if not self._reachable_count():
            raise ValidationError(_(
                "Channel: no recipient of '%(name)s' can be reached by %(channel)s "
                "(no valid address, or opted out).",
                name=self.name, channel=dict(self._fields["channel"]._description_selection(self.env))[self.channel],
            ))

    def _recipient_query(self):
        """SQL selecting the ids of this notification's recipients."""
        if self.kind == "individual":
            return SQL("SELECT %s AS id", self.partner_id.id)
        return SQL("SELECT partner_id AS id FROM crm_customer_group_partner_rel WHERE group_id = %s", self.group_id.id)

    def _reachable_count(self):
        """Whether anybody is reachable, decided in SQL: a group may hold
        100,000 customers, not to be loaded to answer this."""
        self._flush_recipients()
        self.env.cr.execute(SQL(
            """SELECT 1 FROM (%(recipients)s) r JOIN res_partner p ON p.id = r.id AND p.active
                WHERE %(reachable)s LIMIT 1""",
            recipients=self._recipient_query(), reachable=self._reachable_condition(),
        ))
        return len(self.env.cr.fetchall())

    def _reachable_condition(self):
        """SQL condition on the recipient ``p`` (res_partner) for being
        reachable on the channel: a normalized address, not opted out in
        Odoo's mail blacklist. Extended per channel."""
        return SQL(
            """p.email_normalized IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM mail_blacklist b WHERE b.email = p.email_normalized AND b.active)"""
        )

    def _pending_partner_ids(self, occurrence):
        """The next chunk of recipients without a delivery for ``occurrence``
        on the channel, in id order: what a (re-)run still has to do.

        Chunks go in id order and every recipient of a chunk gets a delivery
        row (sent, or skipped with its reason, archived contacts included), so
        a chunk resumes after the highest recipient logged for the occurrence:
        one probe of the delivery log's unique index, then a range of the
        group's (group_id, partner_id) key. The fan-out stays linear in the
        group's size. A recipient met twice (two workers on one send) is
        claimed once: the claim's unique key decides.
        """
        self._flush_recipients()
        self.env.cr.execute(SQL(
            """SELECT COALESCE(MAX(partner_id), 0) FROM crm_notification_delivery
                WHERE res_model = %(model)s AND res_id = %(res_id)s
                  AND occurrence_date = %(occurrence)s AND channel = %(channel)s""",
            model=self._name, res_id=self.id, occurrence=occurrence, channel=self.channel,
        ))
        last_done = self.env.cr.fetchone()[0]
        self.env.cr.execute(SQL(
            "SELECT r.id FROM (%(recipients)s) r WHERE r.id > %(last_done)s ORDER BY r.id LIMIT %(limit)s",
            recipients=self._recipient_query(), last_done=last_done, limit=self._chunk_size,
        ))
        return [row[0] for row in self.env.cr.fetchall()]

    def _flush_recipients(self):
        self.env["res.partner"].flush_model(["active", "email_normalized"])
        self.env["crm.customer.group"].flush_model(["partner_ids"])
        self.env["crm.notification.delivery"].flush_model()

    def _split_reachable(self, partners, channel=None):
        """(reachable partners, {partner id: why not}) on ``channel`` (by
        default the notification's)."""
        self.ensure_one()
        reasons = {}
        # Odoo's own opt-out list, on the normalized addresses it maintains
        blacklisted = set(self.env["mail.blacklist"].sudo().search([
            ("email", "in", [p.email_normalized for p in partners if p.email_normalized]),
        ]).mapped("email"))
        for partner in partners:
            if not partner.active:
                reasons[partner.id] = _("Archived contact")
            elif not partner.email:
                reasons[partner.id] = _("No e-mail address")
            elif not partner.email_normalized:
                reasons[partner.id] = _("Invalid e-mail address: %s", partner.email)
            elif partner.email_normalized in blacklisted:
                reasons[partner.id] = _("Opted out (e-mail blacklist)")
        return partners.filtered(lambda p: p.id not in reasons), reasons

    def _send_chunk(self, now):
        """Deliver the current occurrence to the next chunk of recipients;
        returns True when the occurrence is complete. Runs as the superuser
        (the cron, or Send after its checks); what reads customers or renders
        runs as the sender."""
        self.ensure_one()
        occurrence = self.next_date
        partners = self.env["res.partner"].browse(self._pending_partner_ids(occurrence))
        if partners:
            # a group may hold customers the sender may not read (another
            # company's, a contact hidden by a rule): they are not reached
            visible = partners.browse(partners.with_user(self.user_id)._filtered_access("read").ids)
            reachable, reasons = self._split_reachable(visible)
            Delivery = self.env["crm.notification.delivery"].sudo()
            # the rendered subject for an individual send, "Template: ..." for a
            # group's; e-mails are named after their rendered subject once sent
            base = {"res_model": self._name, "res_id": self.id, "res_name": self.display_name,
                    "channel": self.channel, "occurrence_date": occurrence, "company_id": self.company_id.id}
            skipped = Delivery._log_skipped(
                [dict(base, partner_id=pid, reason=reason) for pid, reason in reasons.items()]
                + [dict(base, partner_id=pid, reason=_("Not visible to the sender (access rights)"),
                        hidden_recipient=True) for pid in (partners - visible).ids]
            )
            fallbacks = self._crm_fallback_candidates(skipped)
            if fallbacks:
                self._crm_fallback_to_email(fallbacks)
            claimed = Delivery._claim([dict(base, partner_id=partner.id) for partner in reachable])
            if claimed:
                self._deliver(claimed)
            if len(partners) == self._chunk_size:
                return False
        self._advance(now)
        return True

    def _deliver(self, deliveries):
        """Queue the sends of the claimed ``deliveries`` on the channel. A
        template that cannot be rendered for the sender (code written by
        someone else, rights lost since, a broken expression) fails these
        deliveries with the reason instead of stopping the send for good."""
        try:
            with self.env.cr.savepoint():
                self._deliver_channel(deliveries)
        except TemplateRenderError as error:
            _logger.warning("Customer notification %s: not rendered for sender %s: %s",
                            self.id, self.user_id.id, error)
            deliveries.write({"state": "failed", "reason": str(error)[:500]})

    def _deliver_channel(self, deliveries):
        """Hook for channels: queue one message per delivery."""
        if self.channel != "email":
            raise UserError(_("Channel: %s is not available.", self.channel))
        self._deliver_email(deliveries)

    def _crm_render(self, fname, partner_ids):
        """Render ``fname`` for each customer in their language, with the
        sender's rights: the cron runs as the superuser, the template's code
        never does."""
        # The options are given per call, never as the field's render_options:
        # mail.render.mixin writes into the options dict it is given when it
        # refuses code, which would poison a field-level dict for the process.
        try:
            return self.with_user(self.user_id)._render_field(
                fname, partner_ids, compute_lang=True,
                options={"post_process": True} if fname == "body" else None,
            )
        except psycopg2.Error:
            raise
        except Exception as error:
            reason = error.args[0] if error.args and isinstance(error.args[0], str) else repr(error)
            raise TemplateRenderError(reason) from error

    def _crm_email_from(self):
        return (self.user_id.email_formatted or self.company_id.email_formatted
                or self.env["ir.mail_server"]._get_default_from_address())

    def _deliver_email(self, deliveries):
        """One ``mail.mail`` per claimed delivery. A mail that may not go out
        now (the customer's quiet hours, their local time) waits in Odoo's
        mail queue until its ``scheduled_date``. Group sends carry RFC 8058
        one-click unsubscription (headers and a footer link)."""
        partner_ids = deliveries.partner_id.ids
        subjects = self._crm_render("name", partner_ids)
        bodies = self._crm_render("body", partner_ids)
        email_from = self._crm_email_from()
        send_times = self._crm_send_times(deliveries)
        values_list = []
        for delivery in deliveries:
            partner = delivery.partner_id
            values = {
                "subject": subjects[partner.id],
                "body_html": bodies[partner.id],
                "recipient_ids": [(4, partner.id)],
                "email_from": email_from,
                "model": self._name,
                "res_id": self.id,
                "auto_delete": True,
                "scheduled_date": send_times.get(delivery.id, False),
            }
            if self.kind == "group":
                url = self._crm_unsubscribe_url(partner)
                values["headers"] = repr({
                    "List-Unsubscribe": f"<{url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                })
                values["body_html"] = self._crm_unsubscribe_footer(values["body_html"], url, partner)
            values_list.append(values)
        mails = self.env["mail.mail"].sudo().create(values_list)
        deliveries._link_sends("mail_id", mails.ids)
        self._crm_log_on_customers(deliveries, bodies, subjects)
        if send_times:
            held = deliveries.filtered(lambda delivery: delivery.id in send_times)
            update_unnest(held, "reason", "varchar", [
                _("Waits in the mail queue until %(at)s UTC: the customer's quiet hours or local time",
                  at=fields.Datetime.to_string(send_times[delivery.id])) for delivery in held])
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger(at=min(send_times.values()))

    # ------------------------------------------------------------
    # One-click unsubscription (RFC 8058)
    # ------------------------------------------------------------

    @api.model
    def _crm_unsubscribe_token(self, partner_id, email):
        """Signed (partner, normalized address): Odoo's ``tools.hmac`` on the
        database secret, scoped to this use."""
        return hmac(self.env(su=True), "crm_notifications-unsubscribe", (int(partner_id), email_normalize(email)))

    def _crm_unsubscribe_url(self, partner):
        email = partner.email_normalized
        query = urlencode({
            "partner_id": partner.id, "email": email, "token": self._crm_unsubscribe_token(partner.id, email),
        })
        return f"{self.get_base_url()}/crm_notifications/unsubscribe?{query}"

    def _crm_unsubscribe_footer(self, body, url, partner):
        """``body`` with a footer link to unsubscribe, in the customer's
        language."""
        text = self.with_context(lang=partner.lang or "en_US").env._("Unsubscribe from these messages")
        footer = Markup(
            '<p style="font-size: 12px; color: #888888; margin-top: 24px;"><a href="%(url)s" '
            'style="color: #888888;">%(text)s</a></p>') % {"url": url, "text": text}
        return Markup(body or "") + footer

    def _crm_log_on_customers(self, deliveries, bodies, subjects=None):
        """What each customer of ``deliveries`` received, on the customer's
        chatter: a note (``mail.mt_note``, internal, by the sender) with the
        rendered subject and body, the channel, and a link to the delivery,
        whose state follows the send (queued, sent, failed, bounced...). A
        note as Odoo logs what it sent without notifying anybody
        (``_message_log_batch``, the SMS composer's log), not an
        ``email_outgoing`` message: Odoo's chatter hides those, and the
        e-mail's own message stays on this notification, where the delivery
        log recognises its mails (``mail.mail._crm_ours``). The note is linked
        to its delivery (``crm_delivery_id``): only who may read the delivery
        reads it (``mail.message`` access, see mail_message.py).

        One INSERT for the chunk (``_message_log_batch`` creates through the
        ORM, 100 rows per INSERT, and would sanitize again what the render
        already produced from a sanitized template): the rendered bodies are
        sanitized here, once, as mail.message's body field would.
        """
        if not deliveries:
            return
        channel = dict(self._fields["channel"]._description_selection(self.env))[self.channel]
        author = self.user_id.partner_id
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        message_id = generate_tracking_message_id("crm-customer-notification")
        now = fields.Datetime.now()
        rows = {name: [] for name in (
            "model", "res_id", "subject", "body", "message_type", "subtype_id", "is_internal", "author_id",
            "email_from", "date", "message_id", "crm_delivery_id")}
        # Odoo's chatter does not show a note's subject: the header says it
        header = Markup(
            '<p class="o_crm_sent_header"><b>%(channel)s</b> · '
            '<a href="/odoo/crm.customer.notification/%(source_id)s" data-oe-model="crm.customer.notification" '
            'data-oe-id="%(source_id)s">%(source)s</a> · '
            '<a href="/odoo/crm.notification.delivery/%(delivery)s" data-oe-model="crm.notification.delivery" '
            'data-oe-id="%(delivery)s">%(status)s</a></p>'
        )
        subject_line = Markup("<p><b>%(label)s</b> %(subject)s</p>")
        for delivery in deliveries:
            partner_id = delivery.partner_id.id
            subject = subjects[partner_id] if subjects else None
            body = header % {
                "channel": channel, "source_id": self.id, "source": _("Customer notification"),
                "delivery": delivery.id, "status": _("Delivery status"),
            }
            if subject:
                # escaped: a rendered title is text
                body += subject_line % {"label": _("Subject:"), "subject": str(subject)}
            values = {
                "model": "res.partner", "res_id": partner_id, "subject": subject,
                "body": str(body + html_sanitize(bodies[partner_id], sanitize_style=True)),
                "message_type": "notification", "subtype_id": subtype_id, "is_internal": True,
                "author_id": author.id, "email_from": author.email_formatted or None, "date": now,
                "message_id": message_id, "crm_delivery_id": delivery.id,
            }
            for name, value in values.items():
                rows[name].append(value)
        types = {"res_id": "int4", "subtype_id": "int4", "author_id": "int4", "crm_delivery_id": "int4",
                 "is_internal": "bool", "date": "timestamp", "body": "text"}
        insert_unnest(self.env, "mail_message", {
            name: (types.get(name, "varchar"), values) for name, values in rows.items()})
        if subjects:
            # the delivery log names what the customer got, not the template
            deliveries._crm_set_res_names([subjects[delivery.partner_id.id] for delivery in deliveries])
        deliveries.partner_id.invalidate_recordset(["message_ids"])

    # ------------------------------------------------------------
    # Local time, held sends, fallback (crm.delivery.source.mixin hooks)
    # ------------------------------------------------------------

    def _crm_local_instant(self, delivery, tz):
        """Sent at each customer's local time: when their clock shows what
        the notification's clock showed at the occurrence."""
        if not self.local_send_time:
            return None
        return at_local_time(delivery.occurrence_date, self.tz or self.user_id.tz or "UTC", tz)

    def _crm_still_sending(self):
        return self.filtered(lambda notification: notification.state != "deactivated")

    def _crm_deliver_now(self, channel, deliveries):
        if channel == self.channel:
            return self._deliver(deliveries)
        if channel != "email":
            raise UserError(_("Channel: %s is not available.", channel))
        # the e-mail of a customer the SMS did not reach, render errors
        # failing these deliveries as _deliver does
        try:
            with self.env.cr.savepoint():
                self._deliver_email(deliveries)
        except TemplateRenderError as error:
            deliveries.write({"state": "failed", "reason": str(error)[:500]})
        return None

    def _crm_email_unreachable(self, partners):
        return self._split_reachable(partners, channel="email")[1]

    def _crm_owner(self, delivery):
        return self.user_id

    def _crm_fallback_candidates(self, skipped):
        """Hook for channels: the ``skipped`` deliveries to try again by
        e-mail (the SMS glue: customers without a usable number)."""
        return skipped.browse()

    def _advance(self, now):
        """Move past the occurrence just completed."""
        self.ensure_one()
        if not self.recurrency:
            self.sudo().write({"next_date": False, "state": "sent"})
            return
        dates = rec.next_occurrences(self._crm_recurrence(self.start_date), self.start_date, self.tz or "UTC", 1,
                                     after=max(now, self.next_date))
        self.sudo().write({"next_date": dates[0] if dates else False, "state": "active" if dates else "sent"})

    def _crm_recurrence(self, start):
        """The repetition of sends starting at ``start`` (UTC): weekly on its
        weekday, monthly on its date, at its local time."""
        local_start = utc_to_local(start, get_timezone(self.tz))
        return rec.Recurrence(
            recurrency=True, rrule_type=self.rrule_type, interval=1,
            end_type="end_date" if self.until else "forever", until=self.until or None,
            **({rec.WEEKDAY_FIELDS[local_start.weekday()]: True} if self.rrule_type == "weekly" else {}),
            **({"month_by": "date", "day": local_start.day} if self.rrule_type == "monthly" else {}),
        )

    @api.model
    def _get_due_domain(self, now):
        """Hook for extensions: the notifications the cron sends now."""
        return [("state", "in", ("scheduled", "active")), ("fanout_date", "!=", False), ("fanout_date", "<=", now)]

    @api.model
    def _cron_send_due(self, chunks=CRON_CHUNKS):
        """Send up to ``chunks`` chunks of recipients (one by default); see
        ``crm.delivery.source.mixin._crm_cron_send``."""
        return self._crm_cron_send(chunks)

    @api.model
    def _crm_send_due(self, now, domain, chunks):
        done = 0
        for notification in self.search(domain, order="next_date, id"):
            while done < chunks:
                done += 1
                complete = notification._send_chunk(now)
                # one chunk of rendered bodies and mails in memory at a time
                self.env.invalidate_all()
                if complete:
                    break
            if done >= chunks:
                break
        return done
