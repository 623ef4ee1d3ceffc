# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_area_id = fields.Many2one(
        "crm.team", string="Area", index="btree_not_null", tracking=True,
        help="The customer's area (a sales team): its reminder supervisors handle its reminders.",
    )
    customer_group_ids = fields.Many2many(
        "crm.customer.group", "crm_customer_group_partner_rel", "partner_id", "group_id", string="Customer Groups",
    )
    reminder_ids = fields.One2many("crm.customer.reminder", "partner_id", string="Reminders")
    crm_reminder_manageable = fields.Boolean(
        "Reminders Manageable", compute="_compute_crm_reminder_manageable",
        search="_search_crm_reminder_manageable",
        help="Whether you may set reminders on this customer: reminder administrators may on all, "
        "supervisors on the customers of their areas.",
    )
    reminder_count = fields.Integer(
        compute="_compute_reminder_count", groups="crm_notifications.group_reminder_supervisor")

    @api.depends("crm_area_id")
    @api.depends_context("uid")
    def _compute_crm_reminder_manageable(self):
        user = self.env.user
        if user._crm_is_reminder_admin():
            self.crm_reminder_manageable = True
            return
        areas = user._crm_supervised_areas()
        for partner in self:
            partner.crm_reminder_manageable = bool(partner.sudo().crm_area_id & areas)

    def _search_crm_reminder_manageable(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Reminders Manageable: only = and != with True or False can be searched."))
        user = self.env.user
        if user._crm_is_reminder_admin():
            domain = expression.TRUE_DOMAIN
        else:
            domain = [("crm_area_id", "in", user._crm_supervised_areas().ids)]
        return domain if (operator == "=") == value else ["!", *expression.normalize_domain(domain)]

    def _crm_check_reminders_manageable(self, message):
        """Raise ``message`` (translated, with a ``%(customers)s``
        placeholder) naming the contacts of ``self`` the current user may not
        set reminders on, if any."""
        refused = self - self.filtered("crm_reminder_manageable")
        if refused:
            raise AccessError(message % {"customers": ", ".join(refused.sudo().mapped("display_name"))})

    # ------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------

    def write(self, vals):
        if "crm_area_id" in vals and not self.env.su:
            self._crm_check_area_change(vals["crm_area_id"])
        return super().write(vals)

    def _crm_check_area_change(self, new_area_id):
        """The area decides who reads a customer's reminders: only who may
        manage both the old and the new area moves a customer. A customer
        without area but with reminders (only administrators see those) is
        given an area by an administrator."""
        user = self.env.user
        if user._crm_is_reminder_admin():
            return
        areas = user._crm_supervised_areas()
        new_area = self.env["crm.team"].sudo().browse(new_area_id or [])
        for partner in self.sudo():
            old_area = partner.crm_area_id
            if old_area == new_area:
                continue
            allowed = (not new_area or new_area in areas) and (
                old_area in areas if old_area else not partner.with_context(active_test=False).reminder_ids
            )
            if not allowed:
                raise AccessError(_(
                    "Area: you may not move %(customer)s from %(old)s to %(new)s; only reminder administrators, "
                    "or the supervisors of both areas, may.",
                    customer=partner.display_name, old=old_area.display_name or _("no area"),
                    new=new_area.display_name or _("no area"),
                ))

    def _compute_reminder_count(self):
        counts = dict(self.env["crm.customer.reminder"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
        ))
        for partner in self:
            partner.reminder_count = counts.get(partner, 0)

    crm_delivery_count = fields.Integer(compute="_compute_crm_delivery_count", groups="base.group_user")

    def _compute_crm_delivery_count(self):
        counts = dict(self.env["crm.notification.delivery"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
        ))
        for partner in self:
            partner.crm_delivery_count = counts.get(partner, 0)

    def action_view_crm_deliveries(self):
        """What this customer (or user) was sent: reminders, notifications, alerts."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_notifications.crm_notification_delivery_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_reminders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_notifications.crm_customer_reminder_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
