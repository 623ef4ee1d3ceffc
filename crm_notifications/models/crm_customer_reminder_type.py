# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmCustomerReminderType(models.Model):
    """Kinds of reminders ("Contract renewal", "Seasonal call"...):
    supervisors may add types, only administrators delete them (ACLs)."""

    _name = "crm.customer.reminder.type"
    _description = "Customer Reminder Type"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()

    _sql_constraints = [
        # types are picked by name in forms and imports: two alike confuse both
        ("name_uniq", "UNIQUE(name)", "A reminder type with this name already exists."),
    ]
