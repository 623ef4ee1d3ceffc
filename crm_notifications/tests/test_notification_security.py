# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmNotificationCase


@tagged("post_install", "-at_install")
class TestNotificationSecurity(CrmNotificationCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.lead"].with_user(cls.user_b).create({"name": "For A", "user_id": cls.user_a.id})
        cls.env["crm.lead"].with_user(cls.user_a).create({"name": "For B", "user_id": cls.user_b.id})
        cls.env.flush_all()
        cls.env.cr.precommit.run()
        cls.notification_a = cls.env["crm.notification"].sudo().search([("user_id", "=", cls.user_a.id)])
        cls.notification_b = cls.env["crm.notification"].sudo().search([("user_id", "=", cls.user_b.id)])

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_cannot_touch_others_notifications(self):
        """B can neither read, write nor delete A's notification."""
        self.assertEqual(len(self.notification_a), 1)
        as_b = self.notification_a.with_user(self.user_b)
        as_user_b = self.env["crm.notification"].with_user(self.user_b)
        self.assertFalse(as_user_b.search([("id", "=", self.notification_a.id)]))
        with self.assertRaises(AccessError):
            as_b.read(["title"])
        with self.assertRaises(AccessError):
            as_b.write({"is_read": True})
        with self.assertRaises(AccessError):
            as_b.action_mark_read()
        with self.assertRaises(AccessError):
            as_b.unlink()
        with self.assertRaises(AccessError):
            as_b.action_open_record()
        self.assertFalse(self.notification_a.is_read)
        self.assertTrue(self.notification_a.exists())

    def test_mark_all_read_touches_own_only(self):
        self.env["crm.notification"].with_user(self.user_b).action_mark_all_read()
        self.assertTrue(self.notification_b.is_read)
        self.assertFalse(self.notification_a.is_read)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_cannot_forge_or_rewrite(self):
        """Users cannot create notifications, nor change more than the read flag of theirs."""
        Notification = self.env["crm.notification"].with_user(self.user_b)
        with self.assertRaises(AccessError):
            Notification.create({"user_id": self.user_a.id, "res_model": "crm.lead", "res_id": 1,
                                 "title": "Forged"})
        with self.assertRaises(AccessError):
            self.notification_b.with_user(self.user_b).write({"title": "Changed"})
        with self.assertRaises(AccessError):
            self.notification_b.with_user(self.user_b).write({"user_id": self.user_a.id})
        self.notification_b.with_user(self.user_b).write({"is_read": True})
        self.assertTrue(self.notification_b.is_read)

    def test_own_delete(self):
        self.notification_b.with_user(self.user_b).unlink()
        self.assertFalse(self.notification_b.exists())

    def test_admin_sees_all(self):
        admin = self.env.ref("base.user_admin")
        visible = self.env["crm.notification"].with_user(admin).search([])
        self.assertIn(self.notification_a, visible)
        self.assertIn(self.notification_b, visible)

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_admin_cannot_forge_or_rewrite(self):
        """Administrators audit (read, mark, delete) but forge nothing."""
        admin = self.env.ref("base.user_admin")
        with self.assertRaises(AccessError):
            self.env["crm.notification"].with_user(admin).create({
                "user_id": self.user_a.id, "res_model": "crm.lead", "res_id": 1, "title": "Forged by admin"})
        for values in ({"title": "Rewritten"}, {"user_id": admin.id}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                self.notification_a.with_user(admin).write(values)
        self.notification_a.with_user(admin).write({"is_read": True})
        self.assertEqual((self.notification_a.title, self.notification_a.user_id, self.notification_a.is_read),
                         (self.notification_a.title, self.user_a, True))

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_rules_admin_only(self):
        rule = self.env.ref("crm_notifications.rule_lead_assigned")
        with self.assertRaises(AccessError):
            rule.with_user(self.user_b).write({"active": False})
        self.assertTrue(rule.with_user(self.user_b).name)  # readable
