# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from uuid import uuid4

from odoo import _, fields, models
from odoo.tools import SQL, html2plaintext, plaintext2html


class CrmCustomerNotification(models.Model):
    _inherit = "crm.customer.notification"

    channel = fields.Selection(selection_add=[("sms", "SMS")], ondelete={"sms": "set default"})

    def _flush_recipients(self):
        res = super()._flush_recipients()
        self.env["res.partner"].flush_model(["phone_sanitized"])
        return res

    def _reachable_condition(self):
        if self.channel != "sms":
            return super()._reachable_condition()
        # phone_sanitized is the customer's number in E.164, normalised by
        # phone_validation with the customer's country as default region
        return SQL(
            """p.phone_sanitized IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM phone_blacklist b WHERE b.number = p.phone_sanitized AND b.active)"""
        )

    def _crm_preview_categories(self):
        categories = super()._crm_preview_categories()
        if self.channel == "sms":
            categories["channel"] = SQL(
                """CASE WHEN NOT p.active THEN 'archived'
                        WHEN p.phone_sanitized IS NULL THEN 'no_address'
                        WHEN EXISTS (SELECT 1 FROM phone_blacklist b WHERE b.number = p.phone_sanitized AND b.active)
                        THEN 'blacklisted'
                        ELSE 'ok' END""")
        return categories

    def _split_reachable(self, partners, channel=None):
        if (channel or self.channel) != "sms":
            return super()._split_reachable(partners, channel=channel)
        reasons = {}
        blacklisted = set(self.env["phone.blacklist"].sudo().search([
            ("number", "in", [p.phone_sanitized for p in partners if p.phone_sanitized]),
        ]).mapped("number"))
        for partner in partners:
            if not partner.active:
                reasons[partner.id] = _("Archived contact")
            elif not (partner.mobile or partner.phone):
                reasons[partner.id] = _("No mobile or phone number")
            elif not partner.phone_sanitized:
                reasons[partner.id] = _("Invalid phone number: %s", partner.mobile or partner.phone)
            elif partner.phone_sanitized in blacklisted:
                reasons[partner.id] = _("Opted out (phone blacklist)")
        return partners.filtered(lambda p: p.id not in reasons), reasons

    def _crm_fallback_candidates(self, skipped):
        """By SMS, the customers without a usable number get an e-mail
        instead (not the archived, the opted out, nor those hidden from the
        sender)."""
        if self.channel != "sms":
            return super()._crm_fallback_candidates(skipped)
        return skipped.filtered(lambda delivery: not delivery.hidden_recipient and delivery.partner_id.active
                                and not delivery.partner_id.phone_sanitized)

    def _deliver_channel(self, deliveries):
        if self.channel != "sms":
            return super()._deliver_channel(deliveries)
        return self._deliver_sms(deliveries)

    def _deliver_sms(self, deliveries):
        """One ``sms.sms`` per claimed delivery, the body rendered for each
        customer in their language (with the sender's rights) and sent as text
        by Odoo's SMS queue. Those that may not go out now (the customer's
        quiet hours or local time) are held and queued by the cron later:
        Odoo's SMS queue has no scheduled date."""
        deliveries = self._crm_hold(deliveries)
        if not deliveries:
            return
        partners = deliveries.partner_id
        texts = {pid: html2plaintext(body) for pid, body in self._crm_render("body", partners.ids).items()}
        uuids = [uuid4().hex for _delivery in deliveries]
        self.env["sms.sms"].sudo().create([{
            "number": delivery.partner_id.phone_sanitized,
            "body": texts[delivery.partner_id.id],
            "partner_id": delivery.partner_id.id,
            "uuid": uuid,
            "state": "outgoing",
        } for delivery, uuid in zip(deliveries, uuids, strict=True)])
        deliveries._link_sms(uuids)
        # the customer's chatter shows the text as sent
        self._crm_log_on_customers(deliveries, {pid: plaintext2html(text) for pid, text in texts.items()})
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
