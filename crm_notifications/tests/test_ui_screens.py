# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The addon's screens as users meet them (static/tests/tours/screens_tour.js):
the lists a user opens on a phone are cards there; on a desktop, the rules
tell apart what they apply on and pick their team members' path, a customer
notification's status bar lists the steps of its kind, the SMTP port reads as
a port. The customer groups' empty-state help and demo group are checked here.
"""

from datetime import datetime

from markupsafe import Markup

from odoo.tests import HttpCase, tagged

from .test_ui_phone import phone_viewport

# Must match crm_notifications/static/tests/tours/screens_tour.js
REMINDER_NAME = "Tour: renew the maintenance contract of the Antwerp showroom"
NOTIFICATION_NAME = "Tour: the spring collection is in the showrooms"
DELIVERY_NAME = "Tour: delivered to Ana"
GROUP_NAME = "Tour: furniture retailers"


class _ScreensCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Partner = env["res.partner"]
        cls.ana = Partner.create({"name": "Tour Ana", "email": "ana.screens@example.com"})
        cls.jean = Partner.create({"name": "Tour Jean", "email": "jean.screens@example.com"})
        env["crm.customer.group"].create({"name": GROUP_NAME, "partner_ids": [(6, 0, (cls.ana | cls.jean).ids)]})
        env["crm.customer.reminder"].create({
            "name": REMINDER_NAME, "partner_id": cls.ana.id, "message": "Call about the renewal.",
            "activation_date": datetime(datetime.now().year + 1, 1, 4, 8, 0), "tz": "Europe/Brussels",
        })
        notification = env["crm.customer.notification"].create({
            "name": NOTIFICATION_NAME, "body": Markup("<p>Come and see it.</p>"),
            "kind": "individual", "partner_id": cls.ana.id,
            "timing": "scheduled", "scheduled_date": datetime(datetime.now().year + 1, 3, 1, 9, 0),
        })
        notification.action_send()
        env["crm.notification.delivery"].sudo().create({
            "res_model": "crm.customer.notification", "res_id": notification.id, "res_name": DELIVERY_NAME,
            "partner_id": cls.ana.id, "channel": "email", "occurrence_date": datetime(2026, 1, 1, 9, 0),
            "state": "sent",
        })
        server = env["ir.mail_server"].create({"name": "Alerts", "smtp_host": "smtp.example.com", "smtp_port": 2601})
        env.company.crm_activity_mail_server_id = server


@tagged("post_install", "-at_install")
class TestScreensPhoneUi(_ScreensCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_screens_phone(self):
        with phone_viewport(self):
            self.start_tour("/odoo", "crm_notifications_screens_phone", login="admin")


@tagged("post_install", "-at_install")
class TestScreensDesktopUi(_ScreensCase):
    def test_screens_desktop(self):
        self.start_tour(
            "/odoo/action-crm_notifications.crm_notification_rule_action",
            "crm_notifications_screens_desktop",
            login="admin",
        )

    def test_customer_groups_help_and_demo(self):
        action = self.env.ref("crm_notifications.crm_customer_group_action")
        self.assertIn("o_view_nocontent_smiling_face", action.help)
        demo_group = self.env.ref("crm_notifications.demo_customer_group_furniture", raise_if_not_found=False)
        if self.env.ref("base.module_crm_notifications").demo:
            self.assertTrue(demo_group)
            self.assertEqual(demo_group.partner_count, 4)
