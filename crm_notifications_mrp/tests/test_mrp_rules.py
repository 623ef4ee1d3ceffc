# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.crm_notifications.tests.common import GlueRuleCase


@tagged("post_install", "-at_install")
class TestMrpRule(GlueRuleCase):
    """The responsible of a manufacturing order is notified."""

    glue = "crm_notifications_mrp"
    app_groups = "mrp.group_mrp_user"

    def test_rule_installed(self):
        rule = self.env.ref("crm_notifications_mrp.rule_workorder_production")
        self.assertEqual((rule.model, rule.field_id.name, rule.trigger), ("mrp.production", "user_id", "assign"))
        self.assertEqual(self.glue_rules(), rule)

    def test_responsible_notified_once(self):
        product = self.env["product.product"].create({"name": "Oak table", "type": "consu"})
        production = self.env["mrp.production"].with_user(self.user_a).create({
            "product_id": product.id, "product_qty": 2, "user_id": self.user_b.id,
        })
        self.flush_notifications()
        notification = self.notifications_on(production)
        self.assertEqual(notification.user_id, self.user_b)
        self.assertEqual(notification.rule_id, self.env.ref("crm_notifications_mrp.rule_workorder_production"))
        self.assertEqual(notification.title, f"Manufacturing order assigned to you: {production.name}")
        # the author assigning itself notifies nobody
        production.with_user(self.user_a).write({"user_id": self.user_a.id})
        self.flush_notifications()
        self.assertEqual(self.notifications_on(production), notification)

    def test_install_adopts_older_rule(self):
        self.assert_install_adopts("rule_workorder_production", {"name": "MO for you", "active": False})

    def test_uninstall_removes_rule(self):
        self.assert_uninstall_removes_rules()
