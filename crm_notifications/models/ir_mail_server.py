# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .mail_mail import SENDING


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    crm_alerts_only = fields.Boolean(
        "Activity Alerts Only",
        help="Used only by the mails that name it (the activity alerts of the companies that chose it), never "
        "picked by Odoo for other mail, even when it is the only server.",
    )

    def _find_mail_server(self, email_from, mail_servers=None):
        # a server dedicated to activity alerts is never the default of
        # unrelated mail (Odoo picks any server when only one exists)
        if mail_servers is None:
            mail_servers = self.sudo().search([], order="sequence")
        return super()._find_mail_server(email_from, mail_servers.filtered(lambda server: not server.crm_alerts_only))

    def send_email(self, message, *args, **kwargs):
        attempts = SENDING.get()
        mail_id = attempts and attempts.get(message["Message-Id"])
        if mail_id:
            self.env["mail.mail"]._crm_record_attempt(mail_id)
        return super().send_email(message, *args, **kwargs)
