# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .res_company import ACTIVITY_ALERT_DEFAULTS

# settings field -> ir.mail_server field, for the server set up from here
SMTP_FIELDS = {
    "crm_activity_smtp_host": "smtp_host",
    "crm_activity_smtp_port": "smtp_port",
    "crm_activity_smtp_encryption": "smtp_encryption",
    "crm_activity_smtp_user": "smtp_user",
}
SMTP_PASS_FIELD = "crm_activity_smtp_pass"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_notification_note_to_team = fields.Boolean(
        "Internal notes notify the whole team",
        config_parameter="crm_notifications.note_to_team",
        help="When on, an internal note posted on a lead, task or ticket also notifies the members "
        "of its team (see 'Team Members' on the message rules), not only the users assigned to it.",
    )
    crm_notification_expiry_days = fields.Integer(
        "Keep read notifications (days)",
        config_parameter="crm_notifications.expiry_days",
        default=90,
        help="Read and resolved notifications older than this are removed every night.",
    )

    @api.constrains("crm_notification_expiry_days")
    def _check_crm_notification_expiry_days(self):
        for settings in self:
            if not 1 <= settings.crm_notification_expiry_days <= 36500:
                raise ValidationError(_("Keep read notifications (days): between 1 and 36500 days."))

    # -- customer messages: quiet hours, per company -----------------------------
    crm_quiet_hours_start = fields.Float(related="company_id.crm_quiet_hours_start", readonly=False)
    crm_quiet_hours_end = fields.Float(related="company_id.crm_quiet_hours_end", readonly=False)

    # -- activity alerts, stored per company ------------------------------------
    crm_activity_mail_server_id = fields.Many2one(
        related="company_id.crm_activity_mail_server_id", readonly=False
    )
    crm_activity_reminder_hours = fields.Integer(
        related="company_id.crm_activity_reminder_hours", readonly=False
    )
    crm_activity_reminder_sender = fields.Selection(
        related="company_id.crm_activity_reminder_sender", readonly=False
    )
    crm_activity_late_hours = fields.Integer(related="company_id.crm_activity_late_hours", readonly=False)
    crm_activity_late_sender = fields.Selection(related="company_id.crm_activity_late_sender", readonly=False)
    crm_activity_late_email = fields.Char(related="company_id.crm_activity_late_email", readonly=False)
    crm_activity_escalation_user_ids = fields.Many2many(
        related="company_id.crm_activity_escalation_user_ids", readonly=False
    )
    crm_activity_working_hours = fields.Boolean(related="company_id.crm_activity_working_hours", readonly=False)
    # the company's working schedule, as in the Employees app's settings
    crm_activity_calendar_id = fields.Many2one(related="company_id.resource_calendar_id", readonly=False)
    # written to the company with its other alert fields (create below)
    crm_activity_escalation_level_ids = fields.One2many(
        related="company_id.crm_activity_escalation_level_ids", readonly=False
    )
    # The chosen server, edited (or created) from here. Not stored: applied to
    # the ir.mail_server when the settings are saved. The password is
    # write-only: it always reads empty, a typed one replaces the saved one.
    crm_activity_smtp_host = fields.Char(
        "SMTP Server", compute="_compute_crm_activity_smtp", readonly=False, groups="base.group_system"
    )
    crm_activity_smtp_port = fields.Integer(
        "SMTP Port", compute="_compute_crm_activity_smtp", readonly=False, groups="base.group_system"
    )
    crm_activity_smtp_encryption = fields.Selection(
        [("none", "None"), ("starttls", "TLS (STARTTLS)"), ("ssl", "SSL/TLS")], string="SMTP Security",
        compute="_compute_crm_activity_smtp", readonly=False, groups="base.group_system",
    )
    crm_activity_smtp_user = fields.Char(
        "SMTP Username", compute="_compute_crm_activity_smtp", readonly=False, groups="base.group_system"
    )
    crm_activity_smtp_pass = fields.Char(
        "SMTP Password", compute="_compute_crm_activity_smtp", readonly=False, groups="base.group_system",
        help="Never shown once saved: type a new password to replace it, leave empty to keep it.",
    )

    @api.depends("crm_activity_mail_server_id")
    def _compute_crm_activity_smtp(self):
        for settings in self:
            server = settings.crm_activity_mail_server_id.sudo()
            settings.crm_activity_smtp_host = server.smtp_host or False
            settings.crm_activity_smtp_port = server.smtp_port or 25
            settings.crm_activity_smtp_encryption = server.smtp_encryption or "none"
            settings.crm_activity_smtp_user = server.smtp_user or False
            # never the saved password
            settings.crm_activity_smtp_pass = False

    @api.model_create_multi
    def create(self, vals_list):
        # the server fields are not stored: take them out before the ORM drops
        # them, and apply them once the company's fields are written
        smtp_vals_list = [
            {fname: vals.pop(fname) for fname in (*SMTP_FIELDS, SMTP_PASS_FIELD) if fname in vals}
            for vals in vals_list
        ]
        # the company's alert fields in one write, not one per related field:
        # its constraints see the sender and its address together
        company_vals_list = [
            {fname: vals.pop(fname) for fname in ACTIVITY_ALERT_DEFAULTS if fname in vals}
            for vals in vals_list
        ]
        records = super().create(vals_list)
        for settings, company_vals, smtp_vals in zip(records, company_vals_list, smtp_vals_list, strict=True):
            if company_vals:
                settings.company_id.write(company_vals)
            if smtp_vals:
                settings._crm_activity_apply_smtp(smtp_vals)
        return records

    def _crm_activity_apply_smtp(self, smtp_vals):
        """Create or update the company's activity alerts mail server from the
        typed values; the password only when a new one was typed."""
        self.ensure_one()
        if not self.env.user.has_group("base.group_system"):
            return
        server = self.company_id.crm_activity_mail_server_id.sudo()
        values = {}
        for fname, server_fname in SMTP_FIELDS.items():
            if fname in smtp_vals and (not server or smtp_vals[fname] != (server[server_fname] or False)):
                values[server_fname] = smtp_vals[fname]
        if smtp_vals.get(SMTP_PASS_FIELD):
            if not smtp_vals[SMTP_PASS_FIELD].isascii():
                # smtplib sends AUTH in ASCII: anything else fails every send,
                # and Odoo would store the error, password included
                raise ValidationError(_("SMTP Password: only ASCII characters can be sent to a mail server."))
            values["smtp_pass"] = smtp_vals[SMTP_PASS_FIELD]
        if server:
            if values:
                server.write(values)
        elif values.get("smtp_host"):
            values.setdefault("name", _("Activity alerts (%s)", values["smtp_host"]))
            # set up here for the alerts: not the default of Odoo's other mail
            values["crm_alerts_only"] = True
            server = server.create(values)
            self.company_id.crm_activity_mail_server_id = server
        self.invalidate_recordset()

    def action_crm_activity_reset_defaults(self):
        """Restore the shipped activity alert settings of the company."""
        self.ensure_one()
        self.company_id._crm_activity_reset_defaults()
        return {"type": "ir.actions.client", "tag": "reload"}
