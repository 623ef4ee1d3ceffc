# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, fields, models
from odoo.exceptions import AccessError


class CrmCustomerReminderType(models.Model):
    """Kinds of reminders ("Contract renewal", "Seasonal call"...):
    supervisors add types and edit the ones they added; only reminder
    administrators archive or delete them (ACLs, record rules, ``write``)."""

    _name = "crm.customer.reminder.type"
    _inherit = ["crm.validated.mixin"]
    _description = "Customer Reminder Type"
    _order = "sequence, name, id"
    _crm_max_lengths = {"name": 100}

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()

    _sql_constraints = [
        # types are picked by name in forms and imports: two alike confuse both
        ("name_uniq", "UNIQUE(name)", "A reminder type with this name already exists."),
    ]

    def write(self, vals):
        # types are shared by every area: archiving one hides it from all
        user = self.env.user
        if "active" in vals and not self.env.su and not (
            user.has_group("crm_notifications.group_reminder_admin") or user.has_group("base.group_system")
        ):
            raise AccessError(_("Active: only reminder administrators archive or restore reminder types."))
        return super().write(vals)
