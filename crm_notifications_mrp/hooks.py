# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).


def post_init_hook(env):
    """The rule that crm_notifications 18.0.1.0.0 created for Manufacturing
    (crm_notifications.rule_workorder_production) becomes this addon's, as the
    administrator left it, instead of a second one."""
    env["crm.notification.rule"]._adopt_legacy_rules("crm_notifications_mrp", ["rule_workorder_production"])
