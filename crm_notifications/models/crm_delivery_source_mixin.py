# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

# the delivery states counted on a source, as its statistics
COUNTED_STATES = ("queued", "sent", "failed", "bounced", "uncertain", "skipped")


class CrmDeliverySourceMixin(models.AbstractModel):
    """What sends through the delivery log (customer reminders, customer
    notifications): its latest deliveries and their counts per state, as
    mass_mailing's statistics, and the action listing them."""

    _name = "crm.delivery.source.mixin"
    _description = "Source of Deliveries"

    # the cron that sends this model's due occurrences (``next_date``)
    _crm_cron_xmlid = None

    delivery_ids = fields.One2many(
        "crm.notification.delivery", compute="_compute_deliveries", string="Latest Deliveries",
        help="The latest deliveries; the Deliveries button lists them all.",
    )
    delivery_count = fields.Integer("Deliveries", compute="_compute_deliveries")
    delivery_queued_count = fields.Integer("Queued", compute="_compute_deliveries")
    delivery_sent_count = fields.Integer("Sent", compute="_compute_deliveries")
    delivery_failed_count = fields.Integer("Failed", compute="_compute_deliveries")
    delivery_bounced_count = fields.Integer("Bounced", compute="_compute_deliveries")
    delivery_uncertain_count = fields.Integer("Uncertain", compute="_compute_deliveries")
    delivery_skipped_count = fields.Integer("Skipped", compute="_compute_deliveries")
    delivery_hidden_count = fields.Integer(
        "Not Visible", compute="_compute_delivery_hidden_count",
        help="Group members the sender may not read (another company's customers...): not reached. Only "
        "administrators see who they are.",
    )

    def _compute_deliveries(self):
        self.env["crm.notification.delivery"]._compute_deliveries_of(self)

    def _compute_delivery_hidden_count(self):
        # a count, not names: counted whatever the reader may see
        counts = dict(self.env["crm.notification.delivery"].sudo()._read_group(
            [("res_model", "=", self._name), ("res_id", "in", self.ids), ("hidden_recipient", "=", True)],
            ["res_id"], ["__count"],
        )) if self.ids else {}
        for source in self:
            source.delivery_hidden_count = counts.get(source.id, 0)

    def action_view_deliveries(self):
        """The deliveries of this source; of one state with the context key
        ``delivery_state`` (the statistics buttons)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_notifications.crm_notification_delivery_action")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        state = self.env.context.get("delivery_state")
        if state in COUNTED_STATES:
            action["domain"].append(("state", "=", state))
        action["context"] = {}
        return action

    # ------------------------------------------------------------
    # Sending cron
    # ------------------------------------------------------------

    @api.model
    def _get_due_domain(self, now):
        """Hook for extensions: the records whose occurrence is due now."""
        raise NotImplementedError

    @api.model
    def _crm_cron_send(self, size):
        """Entry point of the sending cron: send up to ``size`` (the
        model's unit: chunks of recipients, reminders) of the due
        occurrences, one worker at a time (the others skip), then report
        what remains: Odoo's cron runner commits after each call and calls
        again while ``remaining`` is reported, so a worker killed mid-send
        loses one call's work at most."""
        def send():
            now = fields.Datetime.now()
            domain = self._get_due_domain(now)
            done = self._crm_send_due(now, domain, size)
            self.env["ir.cron"]._notify_progress(done=done, remaining=self.search_count(domain))
        self.env["crm.notification.delivery"]._run_sender(self._name, send)
        return True

    @api.model
    def _crm_send_due(self, now, domain, size):
        """Send up to ``size`` of the occurrences due at ``now`` (records
        matching ``domain``); return how many were sent."""
        raise NotImplementedError

    @api.model
    def _delivery_state_fields(self):
        return {state: f"delivery_{state}_count" for state in COUNTED_STATES}

    def _trigger_cron(self):
        """Wake the sending cron up at the earliest ``next_date`` of these
        records (Odoo's ``ir.cron`` triggers): sends go out on time, the cron's
        own interval is only a safety net."""
        dates = [date for date in self.mapped("next_date") if date]
        cron = self.env.ref(self._crm_cron_xmlid, raise_if_not_found=False)
        if dates and cron:
            cron.sudo()._trigger(at=min(dates))
