# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        """Merging contacts moves their reminders onto the one kept (in SQL):
        like moving a reminder to another customer, only who manages every
        contact of the merge may do it."""
        Partner = self.env["res.partner"]
        partners = Partner.browse(partner_ids).exists()
        reminders = self.env["crm.customer.reminder"].sudo().with_context(active_test=False).search(
            [("partner_id", "in", partners.ids)])
        if reminders and not self.env.su and not self.env.user._crm_is_reminder_admin():
            partners._crm_check_reminders_manageable(_(
                "Area: merging these contacts would move reminders of %(customers)s, which you do not "
                "manage; ask a reminder administrator."))
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        # the merge repointed them in SQL: their stored area follows
        reminders = reminders.exists()
        if reminders:
            reminders.invalidate_recordset(["partner_id"])
            self.env.add_to_compute(reminders._fields["area_id"], reminders)
            reminders.flush_recordset(["area_id"])
        return res
