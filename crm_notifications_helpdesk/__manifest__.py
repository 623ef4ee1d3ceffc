# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Notifications - Helpdesk",
    "summary": "Notify ticket responsibles and teams in the notification center",
    "version": "18.0.1.1.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "crm_notifications developers",
    # no "website": the project has no public address yet (README.md, Credits)
    "maintainers": [],
    "development_status": "Beta",
    # helpdesk.ticket is not in Community: this glue installs by itself next to
    # OCA helpdesk_mgmt, so crm_notifications stays installable without it.
    "depends": ["crm_notifications", "helpdesk_mgmt"],
    "data": [
        "data/crm_notification_rule_data.xml",
    ],
    "post_init_hook": "post_init_hook",
    "auto_install": True,
    "installable": True,
}
