# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_notification_note_to_team = fields.Boolean(
        "Internal notes notify the whole team",
        config_parameter="crm_notifications.note_to_team",
        help="When on, an internal note posted on a lead, task or ticket also notifies the members "
        "of its team (see 'Team Members' on the message rules), not only the users assigned to it.",
    )
