# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

PREFERENCES_FIELD = "crm_notification_preference_ids"


def _is_preference_command(command):
    """Whether ``command`` is shaped as the commands applied below are read:
    (0, _, values), (1, id, values), (2|3|4, id, ...). A hostile client's
    other shapes would end in a raw IndexError or a database error."""
    if not isinstance(command, (list, tuple)) or not command:
        return False
    code = command[0]
    if code == 0:
        return len(command) == 3 and isinstance(command[2], dict)
    if code not in (1, 2, 3, 4) or len(command) < 2:
        return False
    if isinstance(command[1], bool) or not isinstance(command[1], int):
        return False
    return code != 1 or (len(command) == 3 and isinstance(command[2], dict))


class ResUsers(models.Model):
    _inherit = "res.users"

    crm_notification_preference_ids = fields.One2many(
        "crm.notification.preference", "user_id", string="Notifications per Rule",
        help="How you hear of each notification rule; rules not listed use their default.",
    )
    crm_digest_hour = fields.Integer(
        "Daily Digest At", default=8,
        help="Hour of the day (0 to 23, in your timezone) of your daily digest of unread notifications.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + [PREFERENCES_FIELD, "crm_digest_hour"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + [PREFERENCES_FIELD, "crm_digest_hour"]

    @api.constrains("crm_digest_hour")
    def _check_crm_digest_hour(self):
        for user in self:
            if not 0 <= user.crm_digest_hour <= 23:
                raise ValidationError(_("Daily Digest At: an hour from 0 to 23."))

    def write(self, vals):
        # A user edits their preferences in their own preferences dialog,
        # where Odoo writes "safe" fields as superuser. The preferences are
        # applied here instead, as the current user: record rules keep each
        # one on their own (a command naming another user's preference id is
        # refused), whoever writes.
        if PREFERENCES_FIELD in vals and not self.env.su:
            vals = dict(vals)
            commands = vals.pop(PREFERENCES_FIELD)
            for user in self:
                user._crm_apply_preference_commands(commands)
            if not vals:
                return True
        return super().write(vals)

    def _crm_apply_preference_commands(self, commands):
        self.ensure_one()
        Preference = self.env["crm.notification.preference"]
        commands = commands or ()
        if not isinstance(commands, (list, tuple)) or not all(map(_is_preference_command, commands)):
            raise UserError(_("Notifications per Rule: invalid change."))
        for command in commands:
            code = command[0]
            if code == 0:
                values = dict(command[2] or {}, user_id=self.id)
                Preference.create(values)
            elif code == 1:
                values = dict(command[2] or {})
                if values.get("user_id", self.id) != self.id:
                    raise UserError(_("Notifications per Rule: a preference cannot be moved to another user."))
                self._crm_own_preference(Preference, command[1]).write(values)
            elif code in (2, 3):
                self._crm_own_preference(Preference, command[1]).unlink()
            elif code == 4:
                self._crm_own_preference(Preference, command[1])
            else:
                raise UserError(_("Notifications per Rule: invalid change."))

    def _crm_own_preference(self, Preference, preference_id):
        """The preference ``preference_id`` of this user, read as the current
        user (record rules apply): another user's is refused."""
        preference = Preference.browse(preference_id).exists()
        if not preference or preference.user_id != self:
            raise UserError(_("Notifications per Rule: this preference is not one of %(user)s's.", user=self.name))
        return preference

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
