# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    # models whose mails are logged in crm.notification.delivery (the mail's
    # model/res_id is the source of the delivery)
    _crm_delivery_source_models = ("crm.customer.reminder", "crm.customer.notification", "mail.activity")

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        # The mail queue sends after the cron committed its deliveries as
        # sent: an SMTP failure is reported back here, and a failed mail
        # retried later (exception -> outgoing -> sent) sets its deliveries
        # back to sent. Every mail of Odoo passes here: only ours cost a query.
        ours = self.filtered(lambda mail: mail.model in self._crm_delivery_source_models)
        if ours:
            deliveries = self.env["crm.notification.delivery"].sudo().search([("mail_id", "in", ours.ids)])
            if failure_type:
                # send() reports a connection failure without a reason: it
                # wrote it on the mail just before
                for mail in ours:
                    deliveries.filtered(lambda d, mail=mail: d.mail_id == mail).write({
                        "state": "failed", "reason": failure_reason or mail.failure_reason or failure_type,
                    })
            else:
                deliveries.filtered(lambda d: d.state == "failed" and d.mail_id.state == "sent").write({
                    "state": "sent", "reason": False,
                })
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason,
                                                 failure_type=failure_type)
