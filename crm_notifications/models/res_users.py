# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _crm_is_reminder_admin(self):
        """Whether the user manages every reminder and every area: a reminder
        administrator, or a settings administrator."""
        self.ensure_one()
        return self.has_group("crm_notifications.group_reminder_admin") or self.has_group("base.group_system")

    def _crm_supervised_areas(self):
        """The areas (sales teams) the user is a reminder supervisor of."""
        self.ensure_one()
        return self.env["crm.team"].sudo().with_context(active_test=False).search(
            [("reminder_supervisor_ids", "in", self.ids)]
        )
