# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict
from typing import NamedTuple

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval

from .crm_notification_preference import MODES

# a cap above this is no cap: the overflow summary lists the records by id
MAX_CAP_PER_DAY = 100_000


class RuleSpec(NamedTuple):
    """What the hot path needs of an active rule, cached per model (see
    ``_get_model_rules``): hashable, and read without touching the rule's
    record, so no query on the create/write of any model."""

    id: int
    trigger: str  # "assign", "create" or "message"
    field: str  # the user field
    comodel: str  # "res.users" or "res.partner"
    team_path: str  # dotted path to the team's users ("" for none)
    keep_odoo_email: bool
    domain: str  # the "Apply On" domain as written ("" for none)
    hooked: bool  # assignment detected by a host hook (mail.activity.action_notify)
    sequence: int = 10  # the first rule by sequence writes a notification
    default_mode: str = "inapp"  # where a user has no preference
    locked: bool = False  # users cannot turn it off
    cap_per_day: int = 0  # notifications per user and day before the overflow summary (0: none)

    def filter(self, records):
        """The records matching the rule's "Apply On" domain, in memory."""
        return records.filtered_domain(safe_eval(self.domain)) if self.domain else records


class CrmNotificationRule(models.Model):
    """When to notify whom: an admin-editable rule per model and user field.

    Rules are read on every create/write of every model (``base`` override),
    so they are served from an ormcache that each change of a rule clears.
    """

    _name = "crm.notification.rule"
    _description = "Notification Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(
        default=10, help="When several rules match one event, the first one writes the notification.")
    model_id = fields.Many2one(
        "ir.model",
        required=True,
        ondelete="cascade",
        domain=[("transient", "=", False), ("model", "not like", "crm.notification")],
    )
    model = fields.Char(related="model_id.model", store=True, index=True, string="Model Name")
    trigger = fields.Selection(
        [
            ("assign", "A user is assigned"),
            ("create", "A record is created for a user"),
            ("message", "A message or note is posted"),
        ],
        required=True,
        default="assign",
        help="A user is assigned: when the user field gets a new user, at creation or later.\n"
        "A record is created for a user: only at creation.\n"
        "A message or note is posted: the users of the field are notified of messages posted on the record.",
    )
    field_id = fields.Many2one(
        "ir.model.fields",
        string="User Field",
        required=True,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('many2one', 'many2many')),"
        " ('relation', 'in', ('res.users', 'res.partner'))]",
        help="The many2one or many2many field to users (or to contacts, whose users are notified) "
        "holding who is assigned or related.",
    )
    team_users_path = fields.Char(
        "Team Members",
        help="For message rules: dotted path from the record to the users of its team "
        "(e.g. team_id.member_ids). When the setting 'Internal notes notify the whole team' is on, "
        "internal notes also notify these users.",
    )
    filter_domain = fields.Char(
        "Apply On",
        help="Only records matching this domain notify (evaluated on the record after the change).",
    )
    message_template = fields.Char(
        "Title",
        required=True,
        translate=True,
        help="Title of the notification; placeholders such as {{ object.name }} are rendered on the record.",
    )
    keep_odoo_email = fields.Boolean(
        "Keep Odoo's assignment e-mail",
        default=True,
        help="Odoo sends its own 'You have been assigned' message for activities, tasks and "
        "tracked responsible fields. Untick to let this in-app notification replace it.",
    )
    default_mode = fields.Selection(
        MODES,
        string="Default Delivery",
        required=True,
        default="inapp",
        help="How users hear of this rule unless they chose otherwise in their preferences: "
        "off, in-app, in-app and an e-mail at once, or in-app and the daily digest.",
    )
    is_locked = fields.Boolean(
        "Locked",
        help="Users cannot turn this rule off in their preferences nor mute it from a notification.",
    )
    cap_per_day = fields.Integer(
        "Daily Cap",
        default=0,
        help="At most this many notifications of this rule per user and day (in the user's timezone); "
        "past it, a single summary says how many more there were and opens them. 0: no cap.",
    )
    preference_ids = fields.One2many("crm.notification.preference", "rule_id", string="User Preferences")
    notification_count = fields.Integer(compute="_compute_notification_count")

    @api.depends("model_id")
    def _compute_notification_count(self):
        counts = dict(
            self.env["crm.notification"]._read_group(
                [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.notification_count = counts.get(rule, 0)

    @api.constrains("model_id", "field_id", "team_users_path", "filter_domain")
    def _check_fields(self):
        for rule in self:
            if rule.field_id.model_id != rule.model_id:
                raise ValidationError(
                    _("User Field: %(field)s is not a field of %(model)s.",
                      field=rule.field_id.name, model=rule.model_id.name)
                )
            if rule.team_users_path:
                if not self._path_leads_to_users(self.env[rule.model], rule.team_users_path):
                    raise ValidationError(
                        _("Team Members: '%(path)s' does not lead from %(model)s to users.",
                          path=rule.team_users_path, model=rule.model_id.name)
                    )
            if rule.filter_domain:
                try:
                    self.env[rule.model].search_count(safe_eval(rule.filter_domain), limit=1)
                except Exception as exc:
                    raise ValidationError(_("Apply On: invalid domain (%s).", exc)) from exc

    @api.constrains("cap_per_day", "default_mode", "is_locked")
    def _check_cap_and_mode(self):
        for rule in self:
            if not 0 <= rule.cap_per_day <= MAX_CAP_PER_DAY:
                raise ValidationError(_("Daily Cap: between 0 (no cap) and %(max)s notifications per user and day.",
                                        max=MAX_CAP_PER_DAY))
            if rule.is_locked and rule.default_mode == "off":
                raise ValidationError(_("Default Delivery: a locked rule cannot be off by default."))

    @api.onchange("model_id")
    def _onchange_model_id(self):
        if self.field_id.model_id != self.model_id:
            self.field_id = False

    # ------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()
        return rules

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_notifications(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_notifications.crm_notification_action_all")
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {}
        return action

    @api.model
    def _adopt_legacy_rules(self, module, names):
        """Give the glue addon ``module`` the rules that crm_notifications
        18.0.1.0.0 created for that optional app under its own xmlids
        (``crm_notifications.<name>``, by its former ``action_setup_default_rules``).

        Called by the glue's ``post_init_hook``: the older rule, maybe edited
        by an administrator, is kept and takes the xmlid ``<module>.<name>``;
        the copy just loaded from the glue's data is deleted. Installing the
        glue thus leaves one rule, as the administrator left it (re-homing the
        xmlid before the data loads would not do: a module being installed
        rewrites its existing records, noupdate or not)."""
        IrModelData = self.env["ir.model.data"].sudo()
        for name in names:
            legacy = IrModelData.search([
                ("module", "=", "crm_notifications"), ("name", "=", name), ("model", "=", self._name),
            ])
            if not legacy:
                continue
            kept = self.sudo().browse(legacy.res_id).exists()
            if not kept:  # a dangling xmlid: the glue's own rule stays
                legacy.unlink()
                continue
            loaded = IrModelData.search([("module", "=", module), ("name", "=", name), ("model", "=", self._name)])
            duplicate = self.sudo().browse(loaded.res_id).exists() - kept
            loaded.unlink()
            duplicate.unlink()
            legacy.write({"module": module, "noupdate": True})
        # xmlids are looked up in SQL (env.ref): write them now
        IrModelData.flush_model()
        return True

    # ------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------

    @api.model
    def _get_model_rules(self, model_name):
        """Active rules of a model, as a tuple of ``RuleSpec``.

        ``base.create``/``base.write`` call this for every model: served
        from ``_get_rules_by_model``, one cache for all models."""
        return self._get_rules_by_model().get(model_name, ())

    @api.model
    @tools.ormcache()
    def _get_rules_by_model(self):
        """All active rules, as {model name: tuple of ``RuleSpec``}, sorted
        by sequence. One cache entry, refilled after each cache clear with two
        queries whatever the number of models written next (a cache per model
        cost a query for each model the first time it was written)."""
        result = defaultdict(list)
        # active_test forced: the cache is shared by every caller, whatever
        # its context (an active_test=False caller must not cache archived rules)
        rules = self.sudo().with_context(active_test=True).search([("active", "=", True)], order="sequence, id")
        for rule in rules:
            Model = self.env.get(rule.model)
            field = Model._fields.get(rule.field_id.name) if Model is not None else None
            if field is None:
                continue
            host_fields = getattr(Model, "_crm_notification_host_fields", ())
            result[rule.model].append(RuleSpec(
                id=rule.id,
                trigger=rule.trigger,
                field=field.name,
                comodel=field.comodel_name,
                team_path=rule.team_users_path or "",
                keep_odoo_email=rule.keep_odoo_email,
                domain=rule.filter_domain or "",
                hooked=rule.trigger == "assign" and field.name in host_fields,
                sequence=rule.sequence,
                default_mode=rule.default_mode,
                locked=rule.is_locked,
                cap_per_day=rule.cap_per_day,
            ))
        return {model: tuple(specs) for model, specs in result.items()}

    @api.model
    def _path_leads_to_users(self, Model, path):
        try:
            return Model.mapped(path)._name == "res.users"
        except (KeyError, AttributeError, ValueError):
            return False

    def _render_titles(self, rows):
        """Render each row's title with its rule's template in the recipient's
        language: one rendering call per (rule, model, language)."""
        titles = [row.get("title") or "" for row in rows]
        groups = defaultdict(list)
        for index, row in enumerate(rows):
            if not titles[index]:
                groups[row["rule_id"], row["source"][0], row["lang"]].append(index)
        renderer = self.env["mail.render.mixin"].sudo()
        for (rule_id, model, lang), indexes in groups.items():
            template = self.browse(rule_id).with_context(lang=lang).message_template
            res_ids = list({rows[i]["source"][1] for i in indexes})
            rendered = renderer.with_context(lang=lang)._render_template(
                template, model, res_ids, engine="inline_template", options={"post_process": False}
            )
            for index in indexes:
                titles[index] = rendered.get(rows[index]["source"][1]) or rows[index]["res_name"] or ""
        return titles

    def _users_of(self, records, fname, comodel):
        """Internal users held by ``fname`` on each record, as {record id: set of user ids}.
        Contacts (calendar attendees) are mapped to their users."""
        result = {}
        for record in records:
            value = record[fname]
            if comodel == "res.partner":
                value = value.sudo().user_ids
            result[record.id] = set(value.ids)
        return result

