# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Notifications - SMS",
    "summary": "Deliver customer reminders by SMS through Odoo's SMS queue",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "crm_notifications developers",
    # no "website": the project has no public address yet (README.md, Credits)
    "maintainers": [],
    "development_status": "Beta",
    # sms is not a dependency of crm_notifications: this glue installs by
    # itself next to it, like Odoo's own crm_sms.
    "depends": ["crm_notifications", "sms"],
    "auto_install": True,
    "installable": True,
}
