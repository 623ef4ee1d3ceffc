# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Notifications",
    "summary": "Notification center with a live systray bell, customer reminders, "
    "customer notifications and activity alerts",
    "version": "18.0.1.2.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "crm_notifications developers",
    # no "website": the project has no public address yet (README.md, Credits)
    "maintainers": [],
    "development_status": "Beta",
    "depends": [
        "base_setup",
        "mail",
        # working schedules and public holidays of the activity alerts (project
        # depends on it already)
        "resource",
        "crm",
        "project",
        "contacts",
        "utm",
    ],
    # python-dateutil is not listed: Odoo itself imports it (odoo/models.py),
    # so it is always there. Listed as "dateutil" (the import name), Odoo 18
    # warns at every install; as "python-dateutil" (the PyPI name), Odoo 18
    # refuses to install the addon unless the `packaging` library is installed,
    # which Odoo's requirements do not bring (both tried on a scratch database).
    "external_dependencies": {
        "python": ["phonenumbers"],
    },
    "data": [
        "security/crm_notifications_groups.xml",
        "security/crm_notifications_security.xml",
        "security/ir.model.access.csv",
        "security/crm_activity_escalation_security.xml",
        "data/crm_notifications_cron.xml",
        "data/crm_notification_digest_data.xml",
        "data/crm_notification_rule_data.xml",
        "data/crm_customer_reminder_data.xml",
        "data/crm_activity_alert_data.xml",
        "data/mail_templates.xml",
        "views/crm_notification_views.xml",
        "views/crm_activity_escalation_views.xml",
        "views/crm_notification_rule_views.xml",
        "views/crm_notification_preference_views.xml",
        "views/res_users_views.xml",
        "views/crm_notification_delivery_views.xml",
        "views/crm_customer_reminder_views.xml",
        "views/crm_customer_notification_views.xml",
        "views/crm_customer_group_views.xml",
        "views/res_partner_views.xml",
        "views/crm_team_views.xml",
        "views/res_config_settings_views.xml",
        "views/unsubscribe_templates.xml",
        "views/ir_mail_server_views.xml",
        "views/crm_notifications_menus.xml",
    ],
    "demo": [
        "demo/crm_notification_demo.xml",
        "demo/crm_customer_reminder_demo.xml",
        "demo/crm_customer_group_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_notifications/static/src/services/**/*",
            "crm_notifications/static/src/components/**/*",
            "crm_notifications/static/src/views/**/*",
        ],
        "web.assets_tests": [
            "crm_notifications/static/tests/tours/**/*",
        ],
        "web.assets_unit_tests": [
            "crm_notifications/static/tests/**/*",
            ("remove", "crm_notifications/static/tests/tours/**/*"),
        ],
    },
    "application": True,
    "installable": True,
}
