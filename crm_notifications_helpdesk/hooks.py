# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

# the ticket rules that crm_notifications 18.0.1.0.0 created under its own
# xmlids (crm_notifications.rule_ticket_*) when this addon was installed
LEGACY_RULES = ["rule_ticket_assigned", "rule_ticket_message"]


def post_init_hook(env):
    """Installed on a database that has the ticket rules of crm_notifications
    18.0.1.0.0: they become this addon's, as the administrator left them,
    instead of a second pair (an update from 18.0.1.0.0 goes through
    migrations/18.0.1.1.0 instead)."""
    env["crm.notification.rule"]._adopt_legacy_rules("crm_notifications_helpdesk", LEGACY_RULES)
