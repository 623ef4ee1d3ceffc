# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize

from ..tools import schedule
from ..tools.quiet_hours import float_to_time
from .crm_activity_escalation_level import DEFAULT_LEVEL

# the values shipped with the addon, restored by "Reset to defaults"
ACTIVITY_ALERT_DEFAULTS = {
    "crm_activity_mail_server_id": False,
    "crm_activity_reminder_hours": 24,
    "crm_activity_reminder_sender": "system",
    "crm_activity_late_sender": "system",
    "crm_activity_late_email": False,
    "crm_activity_working_hours": False,
    # one level, 24 hours after the deadline, to the assignee's manager
    "crm_activity_escalation_level_ids": [Command.clear(), Command.create(DEFAULT_LEVEL)],
}


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_activity_mail_server_id = fields.Many2one(
        "ir.mail_server", string="Activity Alerts Mail Server", ondelete="set null",
        help="Outgoing mail server of activity reminders and escalations; empty: Odoo's default.",
    )
    crm_activity_reminder_hours = fields.Integer(
        "Reminder Hours Before Deadline", default=24,
        help="The assignee is reminded this many hours before the activity is due. An activity is "
        "due at the end of its due date (23:59:59) in the assignee's timezone (UTC without one).",
    )
    crm_activity_reminder_sender = fields.Selection(
        [("system", "System address"), ("owner", "Activity owner")], string="Reminder Sender",
        default="system", required=True,
        help="System address: the mail server's own from address. Activity owner: the address of the "
        "user who scheduled the activity (its creator).",
    )
    # -- activity alerts: working hours and the escalation ladder ---------------
    crm_activity_working_hours = fields.Boolean(
        "Alert Hours in Working Hours",
        help="Count the reminder's hours before and the escalation levels' hours after the deadline in the "
        "company's working hours (its working schedule and public holidays): an activity due on Friday "
        "evening is not escalated on Saturday. Off: hours of the clock.",
    )
    crm_activity_escalation_level_ids = fields.One2many(
        "crm.activity.escalation.level", "company_id", string="Escalation Levels",
        help="An activity still open after a level's hours is escalated to its recipients, level by level.",
    )
    # the single escalation of earlier versions, now the first level: kept
    # for integrators and RPC clients that set it
    crm_activity_late_hours = fields.Integer(
        "Escalation Hours After Deadline", compute="_compute_crm_activity_first_level",
        inverse="_inverse_crm_activity_first_level",
        help="The hours of the first escalation level: an activity still open this many hours after it is "
        "due (the end of its due date in the assignee's timezone) is escalated.",
    )
    crm_activity_late_sender = fields.Selection(
        [("system", "System address"), ("email", "Chosen address")], string="Escalation Sender",
        default="system", required=True,
    )
    crm_activity_late_email = fields.Char("Escalation Sender Address")
    crm_activity_escalation_user_ids = fields.Many2many(
        "res.users", string="Escalation Recipients", domain=[("share", "=", False)],
        compute="_compute_crm_activity_first_level", inverse="_inverse_crm_activity_first_level",
        help="The recipients of the first escalation level.",
    )

    # -- customer messages: the customer's quiet hours ----------------------------
    crm_quiet_hours_start = fields.Float(
        "Quiet Hours From", default=21.0,
        help="E-mails and SMS of customer notifications and reminders due from this time of the "
        "recipient's day are deferred to the end of the quiet hours, in the recipient's timezone (the "
        "company's without one). Same start and end: no quiet hours.",
    )
    crm_quiet_hours_end = fields.Float("Quiet Hours Until", default=8.0)

    @api.constrains("crm_quiet_hours_start", "crm_quiet_hours_end")
    def _check_crm_quiet_hours(self):
        for company in self:
            for hours in (company.crm_quiet_hours_start, company.crm_quiet_hours_end):
                try:
                    float_to_time(hours)
                except ValueError as error:
                    raise ValidationError(_("Quiet hours: a time of day from 00:00 to 23:59.")) from error

    def _crm_quiet_hours(self):
        """(start, end) of the company's quiet hours, float hours."""
        self.ensure_one()
        return self.crm_quiet_hours_start, self.crm_quiet_hours_end

    @api.constrains("crm_activity_reminder_hours")
    def _check_crm_activity_hours(self):
        # the levels' hours: crm.activity.escalation.level._check_hours
        for company in self:
            if not schedule.valid_hours(company.crm_activity_reminder_hours):
                raise ValidationError(_(
                    "Reminder: hours before the deadline must be between 1 and %(max)s.", max=schedule.MAX_HOURS
                ))

    @api.depends("crm_activity_escalation_level_ids.hours", "crm_activity_escalation_level_ids.user_ids")
    def _compute_crm_activity_first_level(self):
        for company in self:
            first = company.sudo().crm_activity_escalation_level_ids[:1]
            company.crm_activity_late_hours = first.hours
            company.crm_activity_escalation_user_ids = first.user_ids

    def _inverse_crm_activity_first_level(self):
        for company in self:
            values = {"hours": company.crm_activity_late_hours,
                      "user_ids": [Command.set(company.crm_activity_escalation_user_ids.ids)]}
            first = company.crm_activity_escalation_level_ids[:1]
            if first:
                first.write(values)
            else:
                # recipients set on a company without levels: the default hours
                values["hours"] = values["hours"] or DEFAULT_LEVEL["hours"]
                company.crm_activity_escalation_level_ids = [Command.create(dict(DEFAULT_LEVEL, **values))]

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._crm_escalation_levels_ensure()
        return companies

    @api.model
    def _crm_escalation_levels_install(self):
        """At install: every company gets the default escalation ladder."""
        self.with_context(active_test=False).search([])._crm_escalation_levels_ensure()

    def _crm_escalation_levels_ensure(self):
        """Companies without an escalation ladder get the default one."""
        missing = self.filtered(lambda company: not company.sudo().crm_activity_escalation_level_ids)
        self.env["crm.activity.escalation.level"].sudo().create([
            dict(DEFAULT_LEVEL, company_id=company.id) for company in missing
        ])

    @api.constrains("crm_activity_late_sender", "crm_activity_late_email")
    def _check_crm_activity_late_email(self):
        for company in self:
            if company.crm_activity_late_sender != "email":
                continue
            if not company.crm_activity_late_email:
                raise ValidationError(_("Escalation: enter the sender's e-mail address."))
            if not email_normalize(company.crm_activity_late_email):
                raise ValidationError(_(
                    "Escalation: '%(email)s' is not a valid e-mail address.", email=company.crm_activity_late_email
                ))

    def _crm_activity_reset_defaults(self):
        self.write(ACTIVITY_ALERT_DEFAULTS)
