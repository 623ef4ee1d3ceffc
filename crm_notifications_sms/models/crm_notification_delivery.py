# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, models

from odoo.addons.crm_notifications.tools.sql import update_unnest


class CrmNotificationDelivery(models.Model):
    _inherit = "crm.notification.delivery"

    def _link_sms(self, uuids):
        """Link each delivery to its ``sms.sms`` by UUID, ``uuids`` in the
        order of ``self``, in one statement (the SMS counterpart of
        ``_link_sends``: ``sms_uuid`` is a varchar, not a many2one)."""
        update_unnest(self, "sms_uuid", "varchar", uuids)

    def _update_from_sms(self, sms_records):
        """Report the outcome of sent ``sms.sms`` on their deliveries: SMS in
        error mark their deliveries failed with the failure type as reason;
        SMS accepted by IAP (queued until then, or resent after a failure)
        mark them sent."""
        sms_records = sms_records.filtered("uuid")
        if not sms_records:
            return
        deliveries = self.sudo().search([
            ("channel", "=", "sms"), ("sms_uuid", "in", sms_records.mapped("uuid")),
        ])
        if not deliveries:
            return
        by_uuid = {sms.uuid: sms for sms in sms_records}
        newly_failed = self.browse()
        labels = dict(sms_records._fields["failure_type"]._description_selection(self.env))
        sent_states = set(self.env["sms.sms"].IAP_TO_SMS_STATE_SUCCESS.values())
        for delivery in deliveries:
            sms = by_uuid[delivery.sms_uuid]
            if sms.state == "error":
                failure = sms.failure_type or "unknown"
                reason = _("SMS not sent: %(failure)s (%(code)s)",
                           failure=labels.get(failure, failure), code=failure)
                # the same failure reported again keeps what the fallback added
                if delivery.state != "failed" or not (delivery.reason or "").startswith(reason):
                    if delivery.state != "failed":
                        newly_failed |= delivery
                    delivery.write({"state": "failed", "reason": reason})
            elif sms.state in sent_states and delivery.state in ("queued", "failed"):
                delivery.write({"state": "sent", "reason": False})
        # the SMS that failed now fall back to e-mail (crm.delivery.source.mixin)
        newly_failed._notify_failed()

    def _update_from_sms_reports(self, message_statuses):
        """Delivery reports received from IAP (``/sms/status``): the SMS that
        could not be delivered mark their deliveries failed.

        :param message_statuses: ``[{'sms_status': status, 'uuids': [...]}]``
        """
        success = self.env["sms.sms"].IAP_TO_SMS_STATE_SUCCESS
        labels = dict(self.env["mail.notification"]._fields["failure_type"]._description_selection(self.env))
        for status in message_statuses:
            iap_status = status["sms_status"]
            if iap_status in success:
                continue
            deliveries = self.sudo().search([("channel", "=", "sms"), ("sms_uuid", "in", status["uuids"])])
            newly_failed = deliveries.filtered(lambda delivery: delivery.state != "failed")
            if deliveries:
                failure = f"sms_{iap_status}"
                deliveries.write({
                    "state": "failed",
                    "reason": _("SMS not delivered: %(failure)s (%(code)s)",
                                failure=labels.get(failure, iap_status), code=iap_status),
                })
                newly_failed._notify_failed()
