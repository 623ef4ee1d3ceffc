# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a customer received, on the customer's chatter, readable by whoever
may read its delivery only.

A customer notification logs on each customer's chatter the note of what
was sent (``crm.customer.notification._crm_log_on_customers``), linked to its
delivery. Odoo lets everybody who reads a contact read its chatter; the
content of a send is only for who may read its delivery (the delivery log's
record rules: the sender, "all documents" salespeople, administrators; see
the README, "Access policy"). So a note linked to a delivery is, on top of
mail.message's own rules, readable, searchable and writable only by who may
read that delivery.
"""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL


class MailMessage(models.Model):
    _inherit = "mail.message"

    crm_delivery_id = fields.Many2one(
        "crm.notification.delivery", string="Delivery", index="btree_not_null", ondelete="cascade",
        readonly=True, help="The delivery whose content this note shows: readable by who may read the delivery.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("crm_delivery_id") for vals in vals_list):
            raise AccessError(_("Delivery: only the sending of a customer notification links a note to it."))
        return super().create(vals_list)

    def write(self, vals):
        if "crm_delivery_id" in vals and not self.env.su:
            raise AccessError(_("Delivery: only the sending of a customer notification links a note to it."))
        return super().write(vals)

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        query = super()._search(domain, offset=offset, limit=limit, order=order)
        if self.env.is_superuser() or self._crm_domain_excludes_partners(domain):
            return query
        # mail's _search hands back its checked result (a Query of ids) to
        # users: filtered here by id, one indexed query on that page only.
        # A domain on crm_delivery_id would make PostgreSQL read every
        # delivery the user may read for each chatter shown.
        messages = self.browse(query.get_result_ids())
        forbidden = messages._crm_forbidden_by_delivery()
        return (messages - forbidden)._as_query(bool(order)) if forbidden else query

    @api.model
    def _crm_domain_excludes_partners(self, domain):
        """Whether ``domain`` only matches messages of other models than
        res.partner, where no note of what was sent is (the chatter of a
        lead, a task...): a top-level ``model`` condition naming other
        models, in a domain without OR or NOT. Their search costs nothing
        more."""
        if any(isinstance(term, str) for term in domain or ()):
            return False
        for term in domain or ():
            if isinstance(term, (list, tuple)) and len(term) == 3 and term[0] == "model":
                if term[1] == "=" and term[2] != "res.partner":
                    return True
                if term[1] == "in" and isinstance(term[2], (list, tuple)) and "res.partner" not in term[2]:
                    return True
        return False

    def _get_forbidden_access(self, operation):
        forbidden = super()._get_forbidden_access(operation)
        if self.env.is_superuser():
            return forbidden
        return forbidden | (self - forbidden)._crm_forbidden_by_delivery()

    def _crm_forbidden_by_delivery(self):
        """The messages of ``self`` linked to a delivery the current user
        may not read.

        The link is taken from the ORM's cache where it is (a message just
        posted, or already read, costs no query: mail's own performance
        tests count them), else read for the others in one query on that
        column only: a full read (prefetch) could recompute and write
        fields, which read-only requests must not."""
        ids = [mid for mid in self.ids if isinstance(mid, int)]
        if not ids:
            return self.browse()
        field = self._fields["crm_delivery_id"]
        cache = self.env.cache
        links, missing = {}, []
        for message in self.browse(ids):
            if cache.contains(message, field):
                links[message.id] = cache.get(message, field)
            else:
                missing.append(message.id)
        if missing:
            self.flush_model(["crm_delivery_id"])
            links.update(self.env.execute_query(SQL(
                "SELECT id, crm_delivery_id FROM mail_message WHERE id = ANY(%s)", missing)))
        linked = {mid: delivery_id for mid, delivery_id in links.items() if delivery_id}
        if not linked:
            return self.browse()
        Delivery = self.env["crm.notification.delivery"]
        readable = set(
            Delivery.browse(set(linked.values()))._filtered_access("read").ids
        ) if Delivery.has_access("read") else set()
        return self.browse(mid for mid, delivery_id in linked.items() if delivery_id not in readable)
