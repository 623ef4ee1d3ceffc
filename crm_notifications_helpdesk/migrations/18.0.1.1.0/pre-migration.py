# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.0.0 had crm_notifications create the ticket rules under its own
xmlids; they are now this addon's XML data. Before that data loads (noupdate:
existing records are left alone on an update), the xmlids move to this addon,
so the rules are kept as the administrator left them and not created twice."""

LEGACY_RULES = ("rule_ticket_assigned", "rule_ticket_message")


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_model_data data
           SET module = 'crm_notifications_helpdesk', noupdate = TRUE
         WHERE data.module = 'crm_notifications'
           AND data.model = 'crm.notification.rule'
           AND data.name IN %s
           AND NOT EXISTS (SELECT 1 FROM ir_model_data other
                            WHERE other.module = 'crm_notifications_helpdesk' AND other.name = data.name)
        """,
        [LEGACY_RULES],
    )
