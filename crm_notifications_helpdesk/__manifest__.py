# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Notifications - Helpdesk",
    "summary": "Notify ticket responsibles and teams in the notification center",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "crm_notifications developers",
    "website": "https://example.invalid/crm_notifications",
    # helpdesk.ticket is not in Community: this glue installs by itself next to
    # OCA helpdesk_mgmt, so crm_notifications stays installable without it.
    "depends": ["crm_notifications", "helpdesk_mgmt"],
    "data": [
        "data/crm_notification_rule_data.xml",
    ],
    "auto_install": True,
    "installable": True,
}
