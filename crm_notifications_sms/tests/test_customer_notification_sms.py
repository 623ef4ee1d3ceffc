# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import Command
from odoo.tests import tagged

from odoo.addons.crm_notifications.tests.common import CustomerNotificationCase
from odoo.addons.sms.tests.common import SMSCase


@tagged("post_install", "-at_install")
class TestCustomerNotificationSms(CustomerNotificationCase, SMSCase):
    """Customer notifications by SMS: the customer's own number in E.164
    (phone_validation, with the customer's country), opt-outs of Odoo's phone
    blacklist skipped, the IAP call intercepted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        belgium = cls.env.ref("base.be")
        Partner = cls.env["res.partner"]
        cls.sms_ok = Partner.create({"name": "Lea", "mobile": "0470 11 22 33", "country_id": belgium.id})
        cls.sms_phone = Partner.create({"name": "Tom", "phone": "+33 6 12 34 56 78"})
        cls.sms_none = Partner.create({"name": "Nobody"})
        cls.sms_bad = Partner.create({"name": "Bad", "mobile": "12", "country_id": belgium.id})
        cls.sms_out = Partner.create({"name": "Out", "mobile": "+32 470 99 88 77"})
        cls.env["phone.blacklist"].sudo().add("+32470998877")
        cls.sms_group = cls.env["crm.customer.group"].create({
            "name": "SMS customers",
            "partner_ids": [Command.set((cls.sms_ok | cls.sms_phone | cls.sms_none | cls.sms_bad | cls.sms_out).ids)],
        })

    def test_group_sms(self):
        notification = self.make(channel="sms", kind="group", partner_id=False, group_id=self.sms_group.id,
                                 body=Markup('<p>Hi <t t-out="object.name"/>, your parcel left.</p>'))
        notification.action_send()
        self.run_cron()
        sent = self.deliveries(notification, state="queued")
        self.assertEqual(sent.partner_id, self.sms_ok | self.sms_phone)
        sms = self.env["sms.sms"].sudo().search([("uuid", "in", sent.mapped("sms_uuid"))])
        self.assertEqual(sorted(sms.mapped("number")), ["+32470112233", "+33612345678"])
        self.assertIn("Hi Lea, your parcel left.", sms.filtered(lambda s: s.partner_id == self.sms_ok).body)
        skipped = {d.partner_id: d.reason for d in self.deliveries(notification, state="skipped")}
        self.assertEqual(skipped, {
            self.sms_none: "No mobile or phone number",
            self.sms_bad: "Invalid phone number: 12",
            self.sms_out: "Opted out (phone blacklist)",
        })
        # what each reached customer got is on their chatter, linked to its delivery
        note = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", self.sms_ok.id),
                                                ("crm_delivery_id", "!=", False)])
        self.assertEqual(note.crm_delivery_id, sent.filtered(lambda d: d.partner_id == self.sms_ok))
        self.assertIn("SMS", note.body)
        self.assertIn("Hi Lea, your parcel left.", note.body)
        self.assertFalse(self.env["mail.message"].search([("model", "=", "res.partner"),
                                                          ("res_id", "=", self.sms_none.id),
                                                          ("crm_delivery_id", "!=", False)]))
        with self.mockSMSGateway():
            sms.send()
        self.assertEqual(set(sms.exists().mapped("state")) - {"sent", "pending"}, set())
        self.assertEqual(set(self.deliveries(notification, state="sent").partner_id.ids), set(sent.partner_id.ids))

    def test_nobody_reachable_by_sms(self):
        from odoo.exceptions import ValidationError
        group = self.env["crm.customer.group"].create({
            "name": "No phones", "partner_ids": [Command.set((self.sms_none | self.sms_out).ids)]})
        notification = self.make(channel="sms", kind="group", partner_id=False, group_id=group.id)
        with self.assertRaisesRegex(ValidationError, "Channel: no recipient"):
            notification.action_send()
