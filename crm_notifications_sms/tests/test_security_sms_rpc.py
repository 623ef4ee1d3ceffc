# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The template and delivery-log attacks of test_security_rpc.py on the SMS
channel: the glue renders the body for each customer as the e-mail does, and
logs the SMS uuid that Odoo's public /sms/status route accepts."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.crm_notifications.tests.common import (
    BODY_PAYLOADS,
    TITLE_PAYLOADS,
    SecurityRpcCase,
    payload,
)


@tagged("post_install", "-at_install")
class TestSecuritySmsRpc(SecurityRpcCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        belgium = cls.env.ref("base.be")
        Partner = cls.env["res.partner"]
        cls.lea = Partner.create({"name": "Lea", "mobile": "0470 11 22 33", "country_id": belgium.id})
        cls.tom = Partner.create({"name": "Tom", "phone": "+33 6 12 34 56 78", "lang": "fr_FR"})
        cls.sms_group = cls.env["crm.customer.group"].create({
            "name": "SMS customers", "partner_ids": [Command.set((cls.lea | cls.tom).ids)],
        })

    def sms_values(self, **values):
        return self.safe_values(**dict({
            "channel": "sms", "partner_id": self.lea.id,
            "body": '<p>Hi <t t-out="object.name"/>, your parcel left.</p>',
        }, **values))

    @mute_logger("odoo.http")
    def test_sms_template_code_refused_and_nothing_runs(self):
        """A salesman puts code in an SMS notification's body (and title), for
        one customer or a group, now, scheduled or recurring, by create,
        write, French write and translation: refused naming the field,
        nothing created. The SMS he may send goes out rendered; the cron
        runs; no code ran, no secret reached an SMS."""
        CN = "crm.customer.notification"
        kinds = (
            {},
            {"kind": "group", "partner_id": False, "group_id": self.sms_group.id},
            {"timing": "scheduled", "scheduled_date": fields.Datetime.to_string(
                fields.Datetime.now() + timedelta(hours=2))},
            {"kind": "group", "partner_id": False, "group_id": self.sms_group.id, "recurrency": True,
             "rrule_type": "weekly"},
        )
        before = self.env[CN].sudo().search_count([])
        self.login(self.sal)
        for index, body in enumerate(BODY_PAYLOADS):
            body = payload(body, self.sal)
            with self.subTest(body=body):
                self.assert_refused(self.call(CN, "create", self.sms_values(body=body, **kinds[index % 4])),
                                    names=["Body"])
        for title in TITLE_PAYLOADS[:3]:
            with self.subTest(title=title):
                self.assert_refused(self.call(CN, "create", self.sms_values(name=title)), names=["Title"])
        self.assertEqual(self.env[CN].sudo().search_count([]), before)

        notification_id = self.ok(self.call(CN, "create", self.sms_values(
            kind="group", partner_id=False, group_id=self.sms_group.id)))
        code = payload(BODY_PAYLOADS[0], self.sal)
        self.assert_refused(self.call(CN, "write", [notification_id], {"body": code}), names=["Body"])
        self.assert_refused(self.call(CN, "write", [notification_id], {"body": code}, context={"lang": "fr_FR"}),
                            names=["Body"])
        self.assert_refused(self.call(CN, "update_field_translations", [notification_id], "body",
                                      {"fr_FR": code}), names=["Body"])
        self.ok(self.call(CN, "action_send", [notification_id]))
        self.run_crons()
        sms = self.env["sms.sms"].sudo().search([("partner_id", "in", (self.lea | self.tom).ids)])
        self.assertEqual(len(sms), 2, "the SMS the salesman may send did not go out")
        self.assertIn("Hi Lea, your parcel left.", sms.filtered(lambda s: s.partner_id == self.lea).body)
        self.assert_nothing_ran()

    @mute_logger("odoo.http")
    def test_sms_admin_code_template_not_sent_by_a_salesman(self):
        """The administrator's SMS notification holding code (he may write
        it): an all-documents salesman sends it or duplicates it. Refused;
        the cron sends nothing of it."""
        CN = "crm.customer.notification"
        code = payload(BODY_PAYLOADS[1], self.salall)
        draft = self.env[CN].with_user(self.admin).create(self.sms_values(
            name="Admin's SMS", kind="group", partner_id=False, group_id=self.sms_group.id))
        draft.with_user(self.admin).with_context(lang="fr_FR").write({"body": code})
        self.login(self.salall)
        self.assert_refused(self.call(CN, "action_send", draft.ids), names=["Body"])
        self.assert_refused(self.call(CN, "copy", draft.ids), names=["Body"])
        self.run_crons()
        self.assertEqual(draft.with_env(self.env).state, "draft")
        self.assertFalse(self.env["sms.sms"].sudo().search([("partner_id", "=", self.tom.id)]))
        self.assert_nothing_ran()

    @mute_logger("odoo.http", "odoo.models")
    def test_sms_uuid_stays_with_the_administrators(self):
        """After his own SMS send, the salesman looks for its uuid (which
        /sms/status accepts without login): on the delivery (read, domain,
        export), and in Odoo's SMS queue and trackers. Refused everywhere."""
        CN = "crm.customer.notification"
        notification = self.env[CN].with_user(self.sal).create(self.sms_values())
        notification.with_user(self.sal).action_send()
        delivery = self.env["crm.notification.delivery"].sudo().search(
            [("customer_notification_id", "=", notification.id)])
        self.assertTrue(delivery.sms_uuid, "fixture: the SMS is logged with its uuid")
        self.sal.write({"groups_id": [Command.link(self.env.ref("base.group_allow_export").id)]})
        self.login(self.sal)
        D = "crm.notification.delivery"
        rows = self.ok(self.call(D, "search_read", [("id", "=", delivery.id)]))
        self.assertEqual(len(rows), 1, "his own delivery is listed")
        self.assertNotIn("sms_uuid", rows[0])
        for label, outcome in {
            "read": self.call(D, "read", delivery.ids, ["sms_uuid"]),
            "domain": self.call(D, "search", [("sms_uuid", "=like", delivery.sms_uuid[:4] + "%")]),
            "export": self.call(D, "export_data", delivery.ids, ["sms_uuid"]),
            "sms queue": self.call("sms.sms", "search_read", [], ["uuid"]),
            "sms tracker": self.call("sms.tracker", "search_read", [], ["sms_uuid"]),
        }.items():
            with self.subTest(path=label):
                result, error = outcome
                self.assertNotIn(delivery.sms_uuid, str(result))
                self.assertIsNotNone(error, f"{label}: answered {str(result)[:200]}")
                self.assertEqual(error["name"], "odoo.exceptions.AccessError", error["message"][:200])
        _result, fault = self.xmlrpc(self.sal, D, "read", delivery.ids, ["sms_uuid"])
        self.assertIn("sms_uuid", fault or "")
