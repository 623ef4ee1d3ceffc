# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize

from ..tools import schedule
from ..tools.quiet_hours import float_to_time

# the values shipped with the addon, restored by "Reset to defaults"
ACTIVITY_ALERT_DEFAULTS = {
    "crm_activity_mail_server_id": False,
    "crm_activity_reminder_hours": 24,
    "crm_activity_reminder_sender": "system",
    "crm_activity_late_hours": 24,
    "crm_activity_late_sender": "system",
    "crm_activity_late_email": False,
    "crm_activity_escalation_user_ids": [(5, 0, 0)],
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
    crm_activity_late_hours = fields.Integer(
        "Escalation Hours After Deadline", default=24,
        help="An activity still open this many hours after it is due (the end of its due date in the "
        "assignee's timezone) is escalated.",
    )
    crm_activity_late_sender = fields.Selection(
        [("system", "System address"), ("email", "Chosen address")], string="Escalation Sender",
        default="system", required=True,
    )
    crm_activity_late_email = fields.Char("Escalation Sender Address")
    crm_activity_escalation_user_ids = fields.Many2many(
        "res.users", "res_company_crm_activity_escalation_user_rel", "company_id", "user_id",
        string="Escalation Recipients", domain=[("share", "=", False)],
        help="Who receives escalations of late activities, besides the assignee's manager when one is known.",
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

    @api.constrains("crm_activity_reminder_hours", "crm_activity_late_hours")
    def _check_crm_activity_hours(self):
        for company in self:
            if not schedule.valid_hours(company.crm_activity_reminder_hours):
                raise ValidationError(_(
                    "Reminder: hours before the deadline must be between 1 and %(max)s.", max=schedule.MAX_HOURS
                ))
            if not schedule.valid_hours(company.crm_activity_late_hours):
                raise ValidationError(_(
                    "Escalation: hours after the deadline must be between 1 and %(max)s.", max=schedule.MAX_HOURS
                ))

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
