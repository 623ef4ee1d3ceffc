# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import smtplib

from odoo import fields, models

from ..tools.smtp import may_have_been_accepted
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
        if not mail_id:
            return super().send_email(message, *args, **kwargs)
        Mail = self.env["mail.mail"]
        Mail._crm_record_attempt(mail_id)
        try:
            return super().send_email(message, *args, **kwargs)
        except Exception as error:
            # the server refused it or never got all of it: the failure is
            # the outcome, not an uncertain send
            if not may_have_been_accepted(error):
                Mail._crm_forget_attempt(mail_id)
                if isinstance(error, smtplib.SMTPServerDisconnected):
                    # Odoo lets this one through, recording nothing on the
                    # mail: retried later, as when the server is unreachable
                    Mail.browse(mail_id)._crm_connection_lost(error)
            raise
