# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Reminders set on customers, recurring like calendar events, delivered to
the reminder administrators and the supervisors of the customer's area.

The recurrence maths live in ``tools/recurrence.py`` (plain Python, dateutil);
this model keeps the fields (named as ``calendar.recurrence``'s), validates,
and delivers due occurrences from a cron through the delivery log, which makes
every (occurrence, recipient, channel) go out once.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, LazyTranslate
from odoo.tools.misc import format_datetime, get_lang

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import recurrence as rec

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

RECURRENCE_FIELDS = (
    "recurrency", "rrule_type", "interval", "month_by", "day", "byday", "weekday",
    "end_type", "count", "until", *rec.WEEKDAY_FIELDS,
)
SCHEDULE_FIELDS = (*RECURRENCE_FIELDS, "activation_date", "tz")
PREVIEW_COUNT = 5
# get_next_occurrences() is public: a preview, not a way to make the server
# compute thousands of dates
MAX_PREVIEW_COUNT = 100
CRON_BATCH_SIZE = 50

# RecurrenceError.field -> what the user reads (the pure module speaks English)
RECURRENCE_ERRORS = {
    "interval": _lt("Repeat every: the interval must be between 1 and 999."),
    "count": _lt("Repetitions: the number of repetitions must be between 1 and 9999."),
    "until": _lt("End date: it must be set, and on or after the activation date."),
    "mon": _lt("Weekdays: a weekly reminder needs at least one weekday."),
    "day": _lt("Day of month: it must be between 1 and 31."),
    "byday": _lt("Day of month: choose first, second, third, fourth or last."),
    "weekday": _lt("Weekday: choose the weekday of the month."),
    "rrule_type": _lt("Repeat: choose daily, weekly, monthly or yearly."),
    "month_by": _lt("Day of month: choose a date or a weekday."),
    "end_type": _lt("Until: choose a number of repetitions, an end date or forever."),
    "tz": _lt("Timezone: unknown timezone."),
    "activation_date": _lt("Activation: the activation date is required."),
}


class CrmCustomerReminder(models.Model):
    _name = "crm.customer.reminder"
    _description = "Customer Reminder"
    _inherit = ["mail.thread", "crm.validated.mixin", "crm.delivery.source.mixin"]
    _order = "next_date, id"
    _check_company_auto = True
    _crm_int_bounds = {
        "interval": (1, rec.MAX_INTERVAL), "count": (1, rec.MAX_COUNT), "day": (1, 31),
    }
    # the message is an SMS too: a few texts, not a document
    _crm_max_lengths = {"name": 250, "description": 10_000, "message": 10_000}
    _crm_cron_xmlid = "crm_notifications.ir_cron_customer_reminders"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True, tracking=True,
        check_company=True, domain=[("crm_reminder_manageable", "=", True)],
    )
    area_id = fields.Many2one(related="partner_id.crm_area_id", store=True, string="Area")
    type_id = fields.Many2one("crm.customer.reminder.type", ondelete="restrict", tracking=True)
    description = fields.Text(help="For the team: why this reminder exists.")
    message = fields.Text(help="What the receivers read when the reminder goes out.")

    # -- when ---------------------------------------------------------------
    activation_date = fields.Datetime(
        "Activation", required=True, default=fields.Datetime.now, tracking=True,
        help="Date and time of the first occurrence. Later occurrences keep its wall-clock time in the "
        "reminder's timezone, in which the preview is shown.",
    )
    tz = fields.Selection(
        _tz_get, string="Timezone", required=True,
        default=lambda self: self.env.context.get("tz") or self.env.user.tz or "UTC",
        help="Occurrences keep their wall-clock time in this timezone, across daylight-saving changes.",
    )
    # -- repetition: the field names of calendar.recurrence -------------------
    recurrency = fields.Boolean("Recurrent", tracking=True)
    rrule_type = fields.Selection(rec.RRULE_TYPES, string="Repeat", default="weekly")
    interval = fields.Integer("Repeat Every", default=1)
    mon = fields.Boolean()
    tue = fields.Boolean()
    wed = fields.Boolean()
    thu = fields.Boolean()
    fri = fields.Boolean()
    sat = fields.Boolean()
    sun = fields.Boolean()
    month_by = fields.Selection([("date", "On date"), ("day", "On weekday")], string="Monthly", default="date")
    day = fields.Integer(
        "Date of month", default=1,
        help="In months shorter than this date (e.g. the 31st), the reminder falls on the last day of "
        "the month. A yearly reminder activated on February 29th falls on February 28th in common years.",
    )
    byday = fields.Selection(rec.BYDAY, string="By day", default="1")
    weekday = fields.Selection(rec.WEEKDAYS, default="MON")
    end_type = fields.Selection(rec.END_TYPES, string="Recurrence Termination", default="forever")
    count = fields.Integer("Repetitions", default=1)
    until = fields.Date("End Date", help="Last day (included) an occurrence may fall on.")

    # -- how and to whom -------------------------------------------------------
    channel = fields.Selection(
        [("inapp", "In-app"), ("email", "E-mail")], string="Delivery", required=True, default="inapp",
        tracking=True,
    )
    receivers = fields.Selection(
        [("all", "Administrators and supervisors"), ("admins", "Administrators"),
         ("supervisors", "Supervisors of the customer's area")],
        required=True, default="all", tracking=True,
    )

    # -- state -----------------------------------------------------------------
    next_date = fields.Datetime(
        "Next Occurrence", readonly=True, copy=False, index=True,
        help="Next occurrence to send (UTC). Empty once the repetition has ended.",
    )
    next_occurrences_preview = fields.Text("Next occurrences", compute="_compute_next_occurrences_preview")
    # the form's dates are in the reader's timezone, the occurrences keep
    # their local time in the reminder's: both shown, labelled
    activation_local = fields.Char("Activation, local time", compute="_compute_local_times")
    next_date_local = fields.Char("Next Occurrence, local time", compute="_compute_local_times")
    tz_label = fields.Char("Times In", compute="_compute_local_times")

    # ------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------

    @api.depends(*SCHEDULE_FIELDS)
    @api.depends_context("tz", "lang")
    def _compute_next_occurrences_preview(self):
        for reminder in self:
            try:
                dates = reminder.get_next_occurrences(PREVIEW_COUNT)
            except ValidationError as error:
                reminder.next_occurrences_preview = str(error.args[0])
                continue
            reminder.next_occurrences_preview = "\n".join(
                reminder._format_local(date) for date in dates
            ) or _("No occurrence left.")

    @api.depends("activation_date", "next_date", "tz")
    @api.depends_context("lang")
    def _compute_local_times(self):
        for reminder in self:
            tz = reminder.tz or "UTC"
            reminder.tz_label = _("Times in %s", tz)
            reminder.activation_local = reminder.activation_date and (
                f"{reminder._format_local(reminder.activation_date)} ({tz})")
            reminder.next_date_local = reminder.next_date and f"{reminder._format_local(reminder.next_date)} ({tz})"

    @api.constrains(*SCHEDULE_FIELDS)
    def _check_recurrence(self):
        for reminder in self:
            reminder._recurrence_validate()

    @api.constrains("channel", "receivers", "partner_id")
    def _check_receivers_reachable(self):
        for reminder in self:
            receivers = reminder._get_receivers()
            if not receivers:
                raise ValidationError(_(
                    "Receivers: nobody receives the reminder '%(name)s' (no reminder administrator, or no "
                    "supervisor for the area of %(customer)s).",
                    name=reminder.name, customer=reminder.partner_id.display_name,
                ))
            if reminder.channel in ("email", "email_sms"):
                missing = receivers.filtered(lambda user: not user.email)
                if missing:
                    raise ValidationError(_(
                        "Delivery: e-mail needs an address for every receiver; %(users)s has none.",
                        users=", ".join(missing.mapped("name")),
                    ))

    # ------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._crm_check_customers_manageable([vals.get("partner_id") for vals in vals_list])
        reminders = super().create(vals_list)
        reminders._reschedule()
        return reminders

    def write(self, vals):
        if "partner_id" in vals:
            self._crm_check_customers_manageable([vals["partner_id"]])
        res = super().write(vals)
        # editing the rule reschedules from now; archiving stops at once
        if set(vals) & {*SCHEDULE_FIELDS, "active"}:
            self._reschedule()
        return res

    @api.model
    def _crm_check_customers_manageable(self, partner_ids):
        """A supervisor sets reminders on the customers of their areas only:
        not at creation, not by moving a reminder to another customer (record
        rules check a reminder before a move, not after). Checked before
        anything is written."""
        if self.env.su:
            return
        # what is not a customer at all is for the input checks to name
        partners = self.env["res.partner"].browse(
            {pid for pid in partner_ids if isinstance(pid, int) and 0 < pid < 2**31}).exists()
        partners._crm_check_reminders_manageable(_(
            "Customer: you may set reminders only on the customers of the areas you supervise; "
            "%(customers)s is not one of them."))

    # ------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------

    def get_next_occurrences(self, count):
        """Next ``count`` occurrences from now (or from the activation when
        it is in the future), as naive UTC datetimes; ``count`` from 1 to 100."""
        if len(self) != 1:
            raise UserError(_("Reminder: the next occurrences are computed for one reminder at a time."))
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PREVIEW_COUNT:
            raise ValidationError(_("Count: the number of occurrences must be between 1 and %(max)s.",
                                    max=MAX_PREVIEW_COUNT))
        if not self.activation_date:
            return []
        now = fields.Datetime.now()
        after = now - timedelta(microseconds=1)
        try:
            return rec.next_occurrences(self._recurrence(), self.activation_date, self.tz or "UTC", count,
                                        after=after)
        except rec.RecurrenceError as error:
            raise ValidationError(self._recurrence_error_message(error)) from error


    # ------------------------------------------------------------
    # Scheduling and delivery
    # ------------------------------------------------------------

    def _reschedule(self):
        """Next occurrence from now for each reminder, and a cron wake-up at
        the earliest one.

        A one-time reminder whose activation is already past (typically
        "now", the default) goes out at once, unless it was delivered already;
        the past occurrences of a recurrent one are not sent.
        """
        Delivery = self.env["crm.notification.delivery"].sudo()
        for reminder in self:
            if not reminder.active:
                reminder.next_date = False
                continue
            dates = reminder.get_next_occurrences(1)
            if not dates and not reminder.recurrency and not Delivery.search_count([
                ("res_model", "=", self._name), ("res_id", "=", reminder.id),
                ("occurrence_date", "=", reminder.activation_date),
            ], limit=1):
                dates = [reminder.activation_date]
            reminder.next_date = dates[0] if dates else False
        self._trigger_cron()

    @api.model
    def _get_due_domain(self, now):
        """Hook for extensions: the reminders the cron sends now."""
        return [("active", "=", True), ("next_date", "!=", False), ("next_date", "<=", now)]

    @api.model
    def _cron_send_due_reminders(self, batch_size=CRON_BATCH_SIZE):
        """Send one batch of due reminders; see
        ``crm.delivery.source.mixin._crm_cron_send``."""
        return self._crm_cron_send(batch_size)

    @api.model
    def _crm_send_due(self, now, domain, batch_size):
        reminders = self._lock_for_sending(self.search(domain, limit=batch_size))
        if reminders:
            reminders._send_due_occurrences(now)
        return len(reminders)

    def _lock_for_sending(self, reminders):
        """The reminders of the batch no other worker is sending right now."""
        if not reminders:
            return reminders
        self.env.cr.execute(SQL(
            "SELECT id FROM crm_customer_reminder WHERE id = ANY(%s) FOR NO KEY UPDATE SKIP LOCKED",
            reminders.ids,
        ))
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _send_due_occurrences(self, now):
        """Deliver each reminder's due occurrence (``next_date``) to its
        receivers, then move ``next_date`` past ``now``.

        Occurrences missed while the cron was down are not sent one by one:
        the latest due one goes, the others are skipped over.
        """
        Delivery = self.env["crm.notification.delivery"].sudo()
        claims = []
        for reminder in self:
            occurrence = reminder.next_date
            for user in reminder._get_receivers():
                for channel in reminder._delivery_channels():
                    claims.append({
                        "res_model": self._name, "res_id": reminder.id, "res_name": reminder.display_name,
                        "partner_id": user.partner_id.id, "user_id": user.id,
                        "channel": channel, "occurrence_date": occurrence,
                    })
        claimed = Delivery._claim(claims)
        for channel, deliveries in claimed.grouped("channel").items():
            self._deliver_channel(channel, deliveries)
        for reminder in self:
            after = max(now, reminder.next_date)
            dates = rec.next_occurrences(reminder._recurrence(), reminder.activation_date, reminder.tz or "UTC",
                                         1, after=after)
            reminder.next_date = dates[0] if dates else False
        self._trigger_cron()

    def _delivery_channels(self):
        """Hook for channels: the delivery log channels of the reminder's
        *Delivery* (the SMS glue adds its own)."""
        self.ensure_one()
        return {"inapp": ["inapp"], "email": ["email"]}.get(self.channel, [])

    def _deliver_channel(self, channel, deliveries):
        """Hook for channels: queue the sends of the claimed ``deliveries``
        of these reminders on ``channel``."""
        if channel == "inapp":
            return self._deliver_inapp(deliveries)
        if channel == "email":
            return self._deliver_email(deliveries)
        raise ValueError(f"Unknown reminder channel {channel!r}")

    def _deliver_inapp(self, deliveries):
        Notification = self.env["crm.notification"].sudo()
        reminders = self.browse(deliveries.mapped("res_id"))
        rows = []
        for delivery in deliveries:
            reminder = reminders.browse(delivery.res_id)
            rows.append({
                "user_id": delivery.user_id.id, "res_model": self._name, "res_id": reminder.id,
                "res_name": reminder.display_name, "event": "reminder", "rule_id": None, "message_id": None,
                "author_id": None, "body": reminder._reminder_text(),
            })
        titles = [
            _("Reminder: %(name)s (%(customer)s)", name=reminders.browse(row["res_id"]).name,
              customer=reminders.browse(row["res_id"]).partner_id.display_name)
            for row in rows
        ]
        notifications = Notification._insert_rows(rows, titles)
        Notification._schedule_unread_count(deliveries.user_id)
        deliveries._link_sends("notification_id", notifications.ids)

    def _deliver_email(self, deliveries):
        """One ``mail.mail`` per delivery; those due in the receiver's quiet
        hours wait in Odoo's mail queue until their end (``scheduled_date``)."""
        send_times = self._crm_send_times(deliveries)
        reminders = self.browse(deliveries.mapped("res_id"))
        by_id = {reminder.id: reminder for reminder in reminders}
        # rendered once per reminder and language: its receivers read the same mail
        rendered = {}
        values_list = []
        for delivery in deliveries:
            reminder = by_id[delivery.res_id]
            lang = delivery.partner_id.lang or get_lang(self.env).code
            if (reminder.id, lang) not in rendered:
                rendered[reminder.id, lang] = reminder._reminder_email(lang)
            subject, body = rendered[reminder.id, lang]
            values_list.append({
                "subject": subject,
                "body_html": body,
                "recipient_ids": [(4, delivery.partner_id.id)],
                "email_from": reminder._reminder_email_from(),
                "model": self._name,
                "res_id": reminder.id,
                "auto_delete": False,
                "scheduled_date": send_times.get(delivery.id, False),
            })
        mails = self.env["mail.mail"].sudo().create(values_list)
        deliveries._link_sends("mail_id", mails.ids)
        if send_times:
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger(at=min(send_times.values()))

    # -- crm.delivery.source.mixin hooks: held sends and fallback ---------------

    def _crm_still_sending(self):
        return self.filtered("active")

    def _crm_deliver_now(self, channel, deliveries):
        return self._deliver_channel(channel, deliveries)

    def _crm_email_unreachable(self, partners):
        return {partner.id: _("No e-mail address") for partner in partners.sudo() if not partner.email_normalized}

    def _crm_owner(self, delivery):
        # receivers are internal users: the bell reaches them when nothing
        # else did, with the reminder's name and why
        return delivery.user_id

    def _reminder_text(self):
        self.ensure_one()
        return self.message or self.description or self.name

    def _reminder_email(self, lang):
        """(subject, body_html) of the reminder e-mail in ``lang``: the view
        ``mail_body_customer_reminder`` in Odoo's light layout."""
        self.ensure_one()
        reminder = self.with_context(lang=lang)
        env = reminder.env
        customer = reminder.partner_id.display_name
        subject = env._("Reminder: %(name)s (%(customer)s)", name=reminder.name, customer=customer)
        body = env["ir.qweb"]._render("crm_notifications.mail_body_customer_reminder", {"reminder": reminder},
                                      minimal_qcontext=True)
        layout_values = {
            # the layout reads its header from a message, as in Odoo's
            # notifications: a new one, never saved
            "message": env["mail.message"].sudo().new({"body": body, "record_name": reminder.display_name}),
            "model_description": env["ir.model"]._get(self._name).display_name,
            "company": reminder.sudo().company_id,
            "lang": lang,
        }
        body = env["mail.render.mixin"]._render_encapsulate(
            "crm_notifications.mail_notification_light", body, add_context=layout_values)
        return subject, body

    def _reminder_email_from(self):
        company = self.partner_id.company_id or self.env.company
        return company.email_formatted or self.env["ir.mail_server"]._get_default_from_address()

    # ------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------

    def _get_receivers(self):
        """Internal users who receive this reminder: the reminder
        administrators and/or every supervisor of the customer's area, among
        the users of the reminder's company (another company's administrator
        reads nothing of this one's customers)."""
        self.ensure_one()
        users = self.env["res.users"]
        if self.receivers in ("all", "admins"):
            users |= self.env.ref("crm_notifications.group_reminder_admin").sudo().users
        if self.receivers in ("all", "supervisors"):
            supervisors = self.sudo().partner_id.crm_area_id.reminder_supervisor_ids
            users |= supervisors.filtered(lambda u: u.has_group("crm_notifications.group_reminder_supervisor"))
        company = self.sudo().company_id
        return users.filtered(lambda u: u.active and not u.share and company in u.company_ids)

    def _recurrence(self):
        self.ensure_one()
        return rec.Recurrence(
            recurrency=self.recurrency, rrule_type=self.rrule_type, interval=self.interval,
            mon=self.mon, tue=self.tue, wed=self.wed, thu=self.thu, fri=self.fri, sat=self.sat, sun=self.sun,
            month_by=self.month_by, day=self.day, byday=self.byday, weekday=self.weekday,
            end_type=self.end_type, count=self.count, until=self.until or None,
        )

    def _recurrence_validate(self):
        self.ensure_one()
        try:
            rec.occurrences(self._recurrence(), self.activation_date, self.tz or "UTC", limit=1)
        except rec.RecurrenceError as error:
            raise ValidationError(self._recurrence_error_message(error)) from error

    def _recurrence_error_message(self, error):
        message = RECURRENCE_ERRORS.get(error.field)
        return str(message) if message else _("Repetition: %s", error)

    def _format_local(self, utc_datetime):
        # in the reminder's timezone and the reader's language
        return format_datetime(self.env, utc_datetime, tz=self.tz or "UTC", dt_format="EEE yyyy-MM-dd HH:mm")
