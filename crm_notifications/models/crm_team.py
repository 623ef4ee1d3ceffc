# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class CrmTeam(models.Model):
    """Sales teams double as customer areas for reminders: each customer
    belongs to one (``res.partner.crm_area_id``) and the team's reminder
    supervisors act on, and receive, the reminders of its customers."""

    _inherit = "crm.team"

    reminder_supervisor_ids = fields.Many2many(
        "res.users",
        "crm_team_reminder_supervisor_rel",
        "team_id",
        "user_id",
        string="Reminder Supervisors",
        copy=False,
        domain=lambda self: [("groups_id", "in", self.env.ref("crm_notifications.group_reminder_supervisor").id)],
        help="Supervisors who see, edit and receive the reminders of this area's customers.",
        # naming supervisors grants reading reminders: reminder administrators only
        groups="crm_notifications.group_reminder_admin",
    )

    @api.model_create_multi
    def create(self, vals_list):
        teams = super().create(vals_list)
        # the field's groups guard reading and writing it, not creating a
        # team with it (in the values or the context's defaults): naming
        # supervisors grants reading reminders
        if not self.env.su and teams.sudo().reminder_supervisor_ids and not self.env.user._crm_is_reminder_admin():
            raise AccessError(_("Reminder Supervisors: only reminder administrators name them."))
        return teams
