# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL


class CrmCustomerGroup(models.Model):
    """A named set of customers that customer notifications address at once."""

    _name = "crm.customer.group"
    _inherit = ["crm.validated.mixin"]
    _description = "Customer Group"
    _order = "name, id"
    _crm_max_lengths = {"name": 250, "description": 10_000}

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    description = fields.Text()
    # empty: shared by all companies
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)
    partner_ids = fields.Many2many(
        "res.partner", "crm_customer_group_partner_rel", "group_id", "partner_id", string="Customers",
    )
    partner_count = fields.Integer("Members", compute="_compute_partner_count")

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        # counted in SQL: a group may hold 100,000 customers, not to be loaded
        # as records to count them
        self.env.cr.execute(SQL(
            "SELECT group_id, COUNT(*) FROM crm_customer_group_partner_rel WHERE group_id = ANY(%s) GROUP BY group_id",
            [id_ for id_ in self.ids if id_],
        ))
        counts = dict(self.env.cr.fetchall())
        for group in self:
            group.partner_count = counts.get(group.id, 0) if group.id else len(group.partner_ids)
