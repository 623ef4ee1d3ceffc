# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        # The mail queue sends after the reminder cron committed its
        # deliveries as sent: an SMTP refusal is reported back here.
        if failure_type:
            deliveries = self.env["crm.notification.delivery"].sudo().search([("mail_id", "in", self.ids)])
            deliveries.write({"state": "failed", "reason": failure_reason or failure_type})
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason,
                                                 failure_type=failure_type)
