# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A step of a company's escalation ladder: who is told, and how many hours
after its deadline, of an activity still open (``mail.activity`` sends them,
see ``_crm_alerts_send``).

Levels fire in the order of their hours, each once per activity and
deadline; answering an escalation (``crm.notification.action_acknowledge``
or ``action_take_over``) stops the levels that remain.
"""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import schedule

# the ladder of a new company, and of "Reset to defaults": the escalation the
# addon shipped before it had levels
DEFAULT_LEVEL = {"hours": 24, "notify_manager": True}


class CrmActivityEscalationLevel(models.Model):
    _name = "crm.activity.escalation.level"
    _description = "Activity Escalation Level"
    # the ladder's own order: by hours after the deadline
    _order = "company_id, hours, id"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade",
        default=lambda self: self.env.company,
    )
    # the rank of the level in its company's ladder (1 is the first to fire):
    # levels fire by their hours, so this is computed, never typed
    sequence = fields.Integer("Level", compute="_compute_sequence", store=True)
    hours = fields.Integer(
        "Hours After Deadline", required=True, default=24,
        help="The level fires this many hours after the activity is due (the end of its due date in the "
        "assignee's timezone); in working hours when the company counts alert hours in working hours.",
    )
    user_ids = fields.Many2many(
        "res.users", "crm_activity_escalation_level_user_rel", "level_id", "user_id", string="Recipients",
        domain=[("share", "=", False)],
    )
    notify_manager = fields.Boolean(
        "Assignee's Manager", default=True,
        help="Also the manager of the assignee's employee, when the Employees app is installed.",
    )

    @api.depends("hours", "company_id.crm_activity_escalation_level_ids.hours")
    def _compute_sequence(self):
        # The levels edited in a form (the settings' list) are new records
        # standing for saved ones (their _origin) or unsaved ones: each is
        # ranked among its company's saved levels, which it replaces.
        for company in self.company_id._origin:
            mine = self.filtered(lambda level, company=company: level.company_id._origin == company)
            origins = set(mine._origin.ids)
            others = company.crm_activity_escalation_level_ids.filtered(
                lambda level, origins=origins: level.id not in origins)
            ladder = sorted([*others, *mine], key=lambda level: (level.hours, level._origin.id or 10**9))
            for rank, level in enumerate(ladder, start=1):
                if level in mine:
                    level.sequence = rank
        for level in self.filtered(lambda level: not level.company_id):
            level.sequence = 1

    @api.constrains("hours")
    def _check_hours(self):
        for level in self:
            if not schedule.valid_hours(level.hours):
                raise ValidationError(_(
                    "Escalation: hours after the deadline must be between 1 and %(max)s.", max=schedule.MAX_HOURS
                ))

    @api.depends("sequence", "hours")
    def _compute_display_name(self):
        for level in self:
            level.display_name = _("Level %(level)s (%(hours)s h)", level=level.sequence, hours=level.hours)
