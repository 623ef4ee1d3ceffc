# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


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
    reminder_count = fields.Integer(compute="_compute_reminder_count", groups="crm_notifications.group_reminder_supervisor")

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
