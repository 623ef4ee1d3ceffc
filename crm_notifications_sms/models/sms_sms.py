# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """After IAP answered, report failures on the delivery log (rows
        linked by ``sms_uuid``). Sent and failed SMS are only flagged
        ``to_delete`` by ``_send``, so they are still readable here."""
        res = super()._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception)
        self.env["crm.notification.delivery"]._update_from_sms(self.sudo().exists())
        return res

    def _update_sms_state_and_trackers(self, new_state, failure_type=None):
        """Manual state changes (*Set to error*...) reach the log too."""
        res = super()._update_sms_state_and_trackers(new_state, failure_type=failure_type)
        if new_state == "error":
            self.env["crm.notification.delivery"]._update_from_sms(self.sudo())
        return res
