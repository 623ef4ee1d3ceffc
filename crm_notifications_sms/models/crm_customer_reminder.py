# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from uuid import uuid4

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmCustomerReminder(models.Model):
    _inherit = "crm.customer.reminder"

    channel = fields.Selection(
        selection_add=[("sms", "SMS"), ("email_sms", "E-mail and SMS")],
        ondelete={"sms": "set default", "email_sms": "set default"},
    )

    @api.constrains("channel", "receivers", "partner_id")
    def _check_receivers_reachable(self):
        res = super()._check_receivers_reachable()
        for reminder in self.filtered(lambda r: r.channel in ("sms", "email_sms")):
            unreachable = reminder._get_receivers().filtered(
                lambda user, reminder=reminder: not reminder._sms_number(user))
            if unreachable:
                raise ValidationError(_(
                    "Delivery: SMS needs a valid mobile or phone number for every receiver (international, or "
                    "national of %(country)s); %(users)s: none or invalid.",
                    country=reminder._sms_country().name or _("no country"),
                    users=", ".join(unreachable.mapped("name")),
                ))
        return res

    # ------------------------------------------------------------
    # Numbers
    # ------------------------------------------------------------

    def _sms_country(self):
        """Default region of the receivers' numbers: the customer's country,
        else the company's."""
        self.ensure_one()
        partner = self.sudo().partner_id
        return partner.country_id or (partner.company_id or self.env.company).country_id

    def _sms_number(self, recipient):
        """E.164 number of ``recipient`` (a user or a partner): the first of
        its mobile and phone that phone_validation normalises, else False."""
        self.ensure_one()
        recipient = recipient.sudo()
        country = self._sms_country()
        for number in (recipient.mobile, recipient.phone):
            if number:
                formatted = self.env["res.partner"]._phone_format(
                    number=number, country=country, force_format="E164", raise_exception=False,
                )
                if formatted:
                    return formatted
        return False

    # ------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------

    def _delivery_channels(self):
        self.ensure_one()
        return {"sms": ["sms"], "email_sms": ["email", "sms"]}.get(self.channel) or super()._delivery_channels()

    def _deliver_channel(self, channel, deliveries):
        if channel == "sms":
            return self._deliver_sms(deliveries)
        return super()._deliver_channel(channel, deliveries)

    def _deliver_sms(self, deliveries):
        """Queue one ``sms.sms`` per claimed delivery (Odoo's SMS queue sends
        them); a receiver whose number became invalid since the reminder was
        saved gets the reminder by e-mail instead (or its failed delivery
        tells them in-app), and the others their SMS. Those in the
        receiver's quiet hours are held and queued by the cron later."""
        deliveries = self._crm_hold(deliveries)
        reminders = self.browse(deliveries.mapped("res_id"))
        values_list, linked, uuids, failed = [], [], [], []
        for delivery in deliveries:
            reminder = reminders.browse(delivery.res_id)
            recipient = delivery.user_id or delivery.partner_id
            number = reminder._sms_number(recipient)
            if not number:
                failed.append((delivery, _(
                    "SMS not sent: %(recipient)s has no valid mobile or phone number.",
                    recipient=recipient.name,
                )))
                continue
            uuid = uuid4().hex
            values_list.append({
                "number": number,
                "body": _("%(name)s (%(customer)s): %(text)s", name=reminder.name,
                          customer=reminder.partner_id.display_name, text=reminder._reminder_text()),
                "partner_id": delivery.partner_id.id,
                "uuid": uuid,
                "state": "outgoing",
            })
            linked.append(delivery.id)
            uuids.append(uuid)
        if values_list:
            self.env["sms.sms"].sudo().create(values_list)
            deliveries.browse(linked)._link_sms(uuids)
            cron = self.env.ref("sms.ir_cron_sms_scheduler_action", raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()
        for delivery, reason in failed:
            delivery.write({"state": "failed", "reason": reason})
        if failed:
            self._crm_fallback_to_email(deliveries.browse([delivery.id for delivery, _reason in failed]))
