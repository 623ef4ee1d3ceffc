# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Input checked field by field, before anything is written.

Through RPC a client may send what the web client never would: a selection
value that does not exist, a date that is not one, an integer beyond
PostgreSQL's ``int4``, a 10 MB title. The ORM and PostgreSQL refuse some of
these with raw errors (``ValueError``, ``integer out of range``) and accept
the others. Models inheriting this mixin answer each with a
``ValidationError`` whose message starts with the field's label, raised
before the ORM writes, so nothing is half-written.
"""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

INT4_RANGE = (-(2**31), 2**31 - 1)
# no record of the addon needs a date outside this range, and recurrences
# computed from further away cost time for nothing
DATE_RANGE = (fields.Date.to_date("1970-01-01"), fields.Date.to_date("2999-12-31"))
SHOWN_VALUE_LENGTH = 40


class CrmValidatedMixin(models.AbstractModel):
    _name = "crm.validated.mixin"
    _description = "Input checked field by field"

    # field name -> (min, max): integers outside raise; others get int4's
    _crm_int_bounds = {}
    # field name -> max length of a text field (characters)
    _crm_max_lengths = {}

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._crm_check_input(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._crm_check_input(vals)
        return super().write(vals)

    def _update_field_translations(self, fname, translations, digest=None, source_lang=None):
        # Translations are written apart from write(): the same checks, and
        # HTML sanitized as the field sanitizes what write() stores (Odoo
        # writes other languages' values as given).
        field = self._fields[fname]
        checked = {}
        for lang, value in translations.items():
            if isinstance(value, dict):  # terms of an HTML field: {source term: translated term}
                checked[lang] = {term: self._crm_checked_translation(field, new) for term, new in value.items()}
            else:
                checked[lang] = self._crm_checked_translation(field, value)
        return super()._update_field_translations(fname, checked, digest=digest, source_lang=source_lang)

    def _crm_checked_translation(self, field, value):
        if value is False or value is None:
            return value
        self._crm_check_input({field.name: value})
        if field.type == "html" and field.sanitize:
            return field.convert_to_cache(value, self)
        return value

    @api.model
    def _crm_check_input(self, vals):
        """Raise a ValidationError naming the first field of ``vals`` whose
        value is not acceptable."""
        for fname, value in vals.items():
            field = self._fields.get(fname)
            if field is None:
                raise ValidationError(_("%(field)s: no such field.", field=self._crm_shown(fname)))
            if value is False or value is None:
                continue
            checker = getattr(self, f"_crm_check_{field.type}", None)
            if checker:
                checker(field, value)

    def _crm_check_boolean(self, field, value):
        if value not in (True, False, 0, 1):
            raise self._crm_invalid(field, _("%(value)s is not true or false.", value=self._crm_shown(value)))

    def _crm_record_id(self, field, value):
        """A record id as the ORM takes it: an integer in PostgreSQL's range
        (not a list, a dict, a string)."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT4_RANGE[1]:
            raise self._crm_invalid(field, _("%(value)s is not a record id.", value=self._crm_shown(value)))
        return value

    def _crm_check_many2one(self, field, value):
        if isinstance(value, models.BaseModel) and value._name == field.comodel_name and len(value) <= 1:
            value = value.id
            if not value:
                return
        record_id = self._crm_record_id(field, value)
        if not self.env[field.comodel_name].browse(record_id).exists():
            raise self._crm_invalid(field, _("record %(id)s does not exist.", id=record_id))

    def _crm_check_many2many(self, field, value):
        """Odoo's commands only: (4, id), (3, id), (5,), (6, 0, ids), Command
        tuples, or a plain list of ids."""
        if not isinstance(value, (list, tuple)):
            raise self._crm_invalid(field, _("%(value)s is not a list of commands.", value=self._crm_shown(value)))
        ids = []
        for command in value:
            if isinstance(command, int) and not isinstance(command, bool):
                ids.append(command)
            elif (isinstance(command, (list, tuple)) and command and command[0] in (3, 4)
                    and len(command) >= 2):
                ids.append(command[1])
            elif isinstance(command, (list, tuple)) and command and command[0] == 5:
                continue
            elif (isinstance(command, (list, tuple)) and len(command) == 3 and command[0] in (0, 1)
                    and isinstance(command[2], dict)):
                continue  # a record created or updated on the way: the comodel checks its values
            elif isinstance(command, (list, tuple)) and len(command) >= 2 and command[0] == 2:
                ids.append(command[1])
            elif (isinstance(command, (list, tuple)) and len(command) == 3 and command[0] == 6
                    and isinstance(command[2], (list, tuple))):
                ids.extend(command[2])
            else:
                raise self._crm_invalid(field, _("%(value)s is not a command.", value=self._crm_shown(command)))
        ids = [self._crm_record_id(field, record_id) for record_id in ids]
        missing = set(ids) - set(self.env[field.comodel_name].browse(ids).exists().ids)
        if missing:
            raise self._crm_invalid(field, _("record %(id)s does not exist.", id=min(missing)))

    _crm_check_one2many = None

    def _crm_invalid(self, field, problem):
        return ValidationError(_("%(field)s: %(problem)s", field=field._description_string(self.env),
                                 problem=problem))

    def _crm_check_selection(self, field, value):
        allowed = [key for key, _label in field._description_selection(self.env)]
        if value not in allowed:
            raise self._crm_invalid(field, _("%(value)s is not one of the choices.", value=self._crm_shown(value)))

    def _crm_check_integer(self, field, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._crm_invalid(field, _("%(value)s is not a whole number.", value=self._crm_shown(value)))
        low, high = self._crm_int_bounds.get(field.name, INT4_RANGE)
        if not low <= value <= high:
            raise self._crm_invalid(field, _("it must be between %(low)s and %(high)s.", low=low, high=high))

    def _crm_check_datetime(self, field, value):
        try:
            day = fields.Datetime.to_datetime(value).date()
        except (ValueError, TypeError):
            day = None
        self._crm_check_day(field, value, day)

    def _crm_check_date(self, field, value):
        try:
            day = fields.Date.to_date(value)
        except (ValueError, TypeError):
            day = None
        self._crm_check_day(field, value, day)

    def _crm_check_day(self, field, value, day):
        if day is None:
            raise self._crm_invalid(field, _("%(value)s is not a valid date.", value=self._crm_shown(value)))
        if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
            raise self._crm_invalid(field, _("the date must be between %(low)s and %(high)s.",
                                             low=DATE_RANGE[0], high=DATE_RANGE[1]))

    def _crm_check_char(self, field, value):
        if not isinstance(value, str):
            raise self._crm_invalid(field, _("%(value)s is not a text.", value=self._crm_shown(value)))
        limit = self._crm_max_lengths.get(field.name)
        if limit and len(value) > limit:
            raise self._crm_invalid(field, _("at most %(limit)s characters, not %(length)s.",
                                             limit=limit, length=len(value)))

    _crm_check_text = _crm_check_char
    _crm_check_html = _crm_check_char

    @api.model
    def _crm_shown(self, value):
        """``value`` as quoted in a message: short, whatever was sent."""
        text = repr(value)
        return text if len(text) <= SHOWN_VALUE_LENGTH else text[:SHOWN_VALUE_LENGTH] + "…"
