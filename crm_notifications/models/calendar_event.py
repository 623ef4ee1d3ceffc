# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # When Odoo is told not to invite the attendees (recurrences it splits or
    # updates, callers that invite otherwise), the in-app invitation keeps
    # quiet too.
    _crm_notification_quiet_keys = ("no_mail_to_attendees",)
