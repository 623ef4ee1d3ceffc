# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models


class MailBlacklist(models.Model):
    _inherit = "mail.blacklist"

    @api.model
    def _crm_unsubscribe(self, email, partner_id):
        """Opt ``email`` out of e-mails, from the one-click link of a
        customer notification (controllers/main.py, token already checked).
        Already opted out: nothing changes, no second note."""
        existing = self.with_context(active_test=False).search([("email", "=", email)], limit=1)
        if existing.active:
            return existing
        return self._add(email, message=_(
            "Unsubscribed with the one-click link of a customer notification (contact #%(partner)s).",
            partner=partner_id))
