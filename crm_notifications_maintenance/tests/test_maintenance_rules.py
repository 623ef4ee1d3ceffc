# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.crm_notifications.tests.common import GlueRuleCase


@tagged("post_install", "-at_install")
class TestMaintenanceRule(GlueRuleCase):
    """The technician of a maintenance request (a work order) is notified."""

    glue = "crm_notifications_maintenance"
    app_groups = "maintenance.group_equipment_manager"

    def test_rule_installed(self):
        rule = self.env.ref("crm_notifications_maintenance.rule_workorder_maintenance")
        self.assertEqual((rule.model, rule.field_id.name, rule.trigger), ("maintenance.request", "user_id", "assign"))
        self.assertEqual(self.glue_rules(), rule)

    def test_technician_notified_once(self):
        request = self.env["maintenance.request"].with_user(self.user_a).create({
            "name": "Replace the belt", "user_id": self.user_b.id,
        })
        self.flush_notifications()
        notification = self.notifications_on(request)
        self.assertEqual(notification.user_id, self.user_b)
        self.assertEqual(notification.rule_id, self.env.ref("crm_notifications_maintenance.rule_workorder_maintenance"))
        self.assertEqual(notification.title, "Work order assigned to you: Replace the belt")

    def test_install_adopts_older_rule(self):
        self.assert_install_adopts("rule_workorder_maintenance", {
            "sequence": 3, "filter_domain": "[('priority', '=', '3')]",
        })

    def test_uninstall_removes_rule(self):
        self.assert_uninstall_removes_rules()
