# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.crm_notifications.tests.common import GlueRuleCase


@tagged("post_install", "-at_install")
class TestRepairRule(GlueRuleCase):
    """The responsible of a repair order is notified."""

    glue = "crm_notifications_repair"
    app_groups = "stock.group_stock_user"

    def test_rule_installed(self):
        rule = self.env.ref("crm_notifications_repair.rule_workorder_repair")
        self.assertEqual((rule.model, rule.field_id.name, rule.trigger), ("repair.order", "user_id", "assign"))
        self.assertEqual(self.glue_rules(), rule)

    def test_responsible_notified_once(self):
        repair = self.env["repair.order"].with_user(self.user_a).create({"user_id": self.user_b.id})
        self.flush_notifications()
        notification = self.notifications_on(repair)
        self.assertEqual(notification.user_id, self.user_b)
        self.assertEqual(notification.rule_id, self.env.ref("crm_notifications_repair.rule_workorder_repair"))
        self.assertEqual(notification.title, f"Repair order assigned to you: {repair.name}")
        # reassigned: the new responsible is notified, once
        repair.with_user(self.user_a).write({"user_id": self.user_c.id})
        self.flush_notifications()
        self.assertEqual(len(self.notifications_on(repair)), 2)
        self.assertEqual(len(self.notifications_of(self.user_c)), 1)

    def test_install_adopts_older_rule(self):
        self.assert_install_adopts("rule_workorder_repair", {"message_template": "Repair {{ object.name }}"})

    def test_uninstall_removes_rule(self):
        self.assert_uninstall_removes_rules()
