# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

MODES = [
    ("off", "Off"),
    ("inapp", "In-app"),
    ("email", "In-app and e-mail"),
    ("digest", "In-app and daily digest"),
]


class CrmNotificationPreference(models.Model):
    """How a user hears of one rule: off, in-app, in-app plus an e-mail at
    once, or in-app plus the daily digest. Where a user has none, the rule's
    ``default_mode`` applies. Users hold their own (record rules);
    administrators see and set everybody's."""

    _name = "crm.notification.preference"
    _description = "Notification Preference"
    _order = "user_id, rule_id"
    _rec_name = "rule_id"

    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    rule_id = fields.Many2one("crm.notification.rule", required=True, ondelete="cascade", index=True)
    mode = fields.Selection(MODES, required=True, default="inapp")
    rule_default_mode = fields.Selection(related="rule_id.default_mode", string="Rule Default")
    rule_is_locked = fields.Boolean(related="rule_id.is_locked", string="Locked")
    rule_model_name = fields.Char(related="rule_id.model_id.name", string="Applies To")

    _sql_constraints = [
        ("user_rule_unique", "UNIQUE(user_id, rule_id)", "Rule: a user has one preference per rule."),
    ]

    @api.constrains("mode", "rule_id")
    def _check_locked(self):
        for preference in self:
            if preference.mode == "off" and preference.rule_id.sudo().is_locked:
                raise ValidationError(_(
                    "Mode: the rule '%(rule)s' is locked by your administrator, it cannot be turned off.",
                    rule=preference.rule_id.sudo().name,
                ))

    # ------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------

    def write(self, vals):
        res = super().write(vals)
        if "user_id" in vals:
            # Odoo checks record rules on the records before a write, not
            # after: without this, a user would move their own "off" onto a
            # colleague and silence them. Administrators pass their rule.
            self.check_access("write")
        return res

    @api.model
    def _set_mode(self, rule, mode, user=None):
        """Set ``user``'s (the current user's by default) mode for ``rule``,
        creating the preference or updating it, as the current user (record
        rules apply)."""
        user = user or self.env.user
        preference = self.search([("user_id", "=", user.id), ("rule_id", "=", rule.id)], limit=1)
        if preference:
            preference.mode = mode
        else:
            preference = self.create({"user_id": user.id, "rule_id": rule.id, "mode": mode})
        return preference
