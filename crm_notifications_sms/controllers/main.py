# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.http import request, route

from odoo.addons.sms.controllers.main import SmsController


class CrmNotificationsSmsController(SmsController):

    @route()
    def update_sms_status(self, message_statuses):
        """Delivery reports IAP sends later (not delivered, expired...) mark
        the matching deliveries failed."""
        res = super().update_sms_status(message_statuses)
        request.env["crm.notification.delivery"].sudo()._update_from_sms_reports(message_statuses)
        return res
