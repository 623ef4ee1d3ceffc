# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools.quiet_hours import defer_past_quiet_hours
from ..tools.sql import update_unnest
from ..tools.timezone import get_timezone

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
    # when the cron must wake up for a record (its occurrence is due)
    _crm_wake_field = "next_date"
    # held deliveries (deferred_until) queued per cron call
    _crm_deferred_batch = 500

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
            # held claims whose time has come first: they were due earlier
            held = self._crm_send_deferred(now)
            domain = self._get_due_domain(now)
            done = self._crm_send_due(now, domain, size)
            remaining = self.search_count(domain) + self._crm_deferred_count(now)
            self.env["ir.cron"]._notify_progress(done=done + held, remaining=remaining)
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
        dates = [date for date in self.mapped(self._crm_wake_field) if date]
        cron = self.env.ref(self._crm_cron_xmlid, raise_if_not_found=False)
        if dates and cron:
            cron.sudo()._trigger(at=min(dates))

    # ------------------------------------------------------------
    # When a message may reach its recipient: quiet hours, local time
    # ------------------------------------------------------------

    def _crm_recipient_tz(self, partner):
        """The timezone of ``partner``'s wall clock: theirs, else the
        company's (its partner's), else the source's own (``tz``)."""
        self.ensure_one()
        partner = partner.sudo()
        return (partner.tz or self.sudo().company_id.partner_id.tz
                or (self.tz if "tz" in self._fields else None) or "UTC")

    def _crm_local_instant(self, delivery, tz):
        """Hook: the instant (naive UTC) ``delivery`` is meant for, the
        recipient's timezone being ``tz``; None: as soon as possible."""
        return None

    def _crm_send_times(self, deliveries, now=None):
        """{delivery id: instant (naive UTC)} of ``deliveries`` (of records
        of this model) that may not go out at ``now``: meant for a later
        local time, or due in the recipient's quiet hours (deferred to their
        end, see ``tools/quiet_hours.py``). The others are left out."""
        now = now or fields.Datetime.now()
        sources = self.browse(deliveries.mapped("res_id")).sudo()
        by_id = {source.id: source for source in sources}
        times = {}
        for delivery in deliveries:
            source = by_id[delivery.res_id]
            tz = get_timezone(source._crm_recipient_tz(delivery.partner_id), fallback=get_timezone(None))
            when = max(now, source._crm_local_instant(delivery, tz) or now)
            start, end = source.company_id._crm_quiet_hours()
            when = defer_past_quiet_hours(when, tz, start, end)
            if when > now:
                times[delivery.id] = when
        return times

    def _crm_hold(self, deliveries, now=None):
        """Hold the claimed ``deliveries`` that may not go out now (see
        ``_crm_send_times``) until their time, for channels without a
        queue that waits (SMS); return the others, to send now. The claim
        stays: exactly once, and the cron queues the held ones later."""
        times = self._crm_send_times(deliveries, now)
        if not times:
            return deliveries
        held = deliveries.filtered(lambda delivery: delivery.id in times)
        update_unnest(held, "deferred_until", "timestamp", [times[delivery.id] for delivery in held])
        update_unnest(held, "reason", "varchar", [
            _("Held until %(at)s UTC: the recipient's quiet hours or local time",
              at=fields.Datetime.to_string(times[delivery.id])) for delivery in held])
        cron = self.env.ref(self._crm_cron_xmlid, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=min(times.values()))
        return deliveries - held

    def _crm_deferred_domain(self, now):
        return [("res_model", "=", self._name), ("deferred_until", "!=", False), ("deferred_until", "<=", now),
                ("state", "=", "queued")]

    @api.model
    def _crm_deferred_count(self, now):
        return self.env["crm.notification.delivery"].sudo().search_count(self._crm_deferred_domain(now))

    @api.model
    def _crm_send_deferred(self, now):
        """Queue the sends of held deliveries whose time has come (a batch):
        released in one UPDATE ... RETURNING (rows another worker holds are
        skipped), queued in the same transaction, so each goes once. A held
        delivery of a source stopped since (deactivated, archived) is
        skipped instead. Returns how many were released."""
        Delivery = self.env["crm.notification.delivery"].sudo()
        Delivery.flush_model()
        self.env.cr.execute(SQL(
            """UPDATE crm_notification_delivery SET deferred_until = NULL, reason = NULL
                WHERE id IN (SELECT id FROM crm_notification_delivery
                              WHERE res_model = %(model)s AND deferred_until <= %(now)s AND state = 'queued'
                           ORDER BY deferred_until, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
            RETURNING id""",
            model=self._name, now=now, limit=self._crm_deferred_batch,
        ))
        released = Delivery.browse([row[0] for row in self.env.cr.fetchall()])
        Delivery.invalidate_model(["deferred_until", "reason"])
        if not released:
            return 0
        sources = self.browse(released.mapped("res_id")).sudo().exists()
        live = sources._crm_still_sending()
        stopped = released.filtered(lambda delivery: delivery.res_id not in live.ids)
        stopped.write({"state": "skipped", "reason": _("Stopped before its time came (deactivated or archived)")})
        for (res_id, channel), deliveries in (released - stopped).grouped(
                lambda delivery: (delivery.res_id, delivery.channel)).items():
            self.browse(res_id).sudo()._crm_deliver_now(channel, deliveries)
        return len(released)

    def _crm_still_sending(self):
        """Hook: the records of ``self`` whose held deliveries still go out."""
        return self

    def _crm_deliver_now(self, channel, deliveries):
        """Hook: queue the sends of the claimed ``deliveries`` of this record
        on ``channel`` (held ones whose time has come, fallback e-mails)."""
        raise NotImplementedError

    # ------------------------------------------------------------
    # Fallback: SMS > e-mail > the owner, in-app
    # ------------------------------------------------------------

    def _crm_email_unreachable(self, partners):
        """Hook: {partner id: why not} of ``partners`` that cannot get this
        record's e-mail."""
        raise NotImplementedError

    def _crm_owner(self, delivery):
        """Hook: the user told in-app when ``delivery`` reached its recipient
        by no channel."""
        raise NotImplementedError

    @api.model
    def _crm_fallback_to_email(self, sms_deliveries):
        """The recipients of ``sms_deliveries`` (skipped for want of a
        number, or failed) get the message by e-mail instead: claimed in the
        delivery log on the e-mail channel for the same occurrence, so that
        it goes once, and not at all to a recipient who got the e-mail anyway
        (a reminder by e-mail and SMS). Recipients unreachable by e-mail too
        are logged skipped, and the owner is told in-app, with the reasons."""
        Delivery = self.env["crm.notification.delivery"].sudo()
        sources = {source.id: source for source in self.browse(sms_deliveries.mapped("res_id")).sudo().exists()}
        to_claim, to_skip = [], []
        for res_id, deliveries in sms_deliveries.grouped("res_id").items():
            source = sources.get(res_id)
            if not source:
                continue
            unreachable = source._crm_email_unreachable(deliveries.partner_id)
            for delivery in deliveries:
                values = {
                    "res_model": self._name, "res_id": res_id, "res_name": delivery.res_name,
                    "partner_id": delivery.partner_id.id, "user_id": delivery.user_id.id,
                    "channel": "email", "occurrence_date": delivery.occurrence_date,
                    "company_id": delivery.company_id.id, "fallback_from_id": delivery.id,
                }
                why = unreachable.get(delivery.partner_id.id)
                (to_skip if why else to_claim).append(dict(values, reason=why) if why else values)
        claimed = Delivery._claim(to_claim)
        skipped = Delivery._log_skipped(to_skip)
        for fallback in claimed:
            fallback.fallback_from_id.reason = _("%(reason)s; sent by e-mail instead",
                                                 reason=fallback.fallback_from_id.reason or _("SMS not sent"))
        for res_id, deliveries in claimed.grouped("res_id").items():
            sources[res_id]._crm_deliver_now("email", deliveries)
        self._crm_notify_unreached(skipped)

    @api.model
    def _crm_deliveries_failed(self, deliveries):
        """Deliveries that did not reach their recipient (reported by the
        mail queue, the SMS glue): a failed SMS falls back to e-mail; a
        fallback e-mail that failed too tells the owner."""
        self._crm_fallback_to_email(deliveries.filtered(lambda delivery: delivery.channel == "sms"))
        self._crm_notify_unreached(deliveries.filtered(
            lambda delivery: delivery.channel == "email" and delivery.fallback_from_id))

    @api.model
    def _crm_notify_unreached(self, deliveries):
        """Tell the owners in-app that ``deliveries`` (e-mails in place of an
        SMS, skipped or failed) reached their recipients by no channel, with
        the reasons: one notification per owner and record, opening the
        delivery (or, for several recipients, the record)."""
        if not deliveries:
            return
        Notification = self.env["crm.notification"].sudo()
        groups = {}
        for delivery in deliveries:
            source = self.browse(delivery.res_id).sudo()
            if not source.exists():
                continue
            owner = source._crm_owner(delivery)
            if owner and owner.active and not owner.share:
                groups.setdefault((owner, source), []).append(delivery)
        rows, titles = [], []
        for (owner, source), items in groups.items():
            env = self.with_context(lang=owner.lang or "en_US").env
            lines = [env._("%(recipient)s: SMS: %(sms)s. E-mail: %(email)s", recipient=item.partner_id.name,
                           sms=item.fallback_from_id.reason or "", email=item.reason or "") for item in items[:20]]
            if len(items) > 20:
                lines.append(env._("... and %(count)s more", count=len(items) - 20))
            target = items[0] if len(items) == 1 else source
            rows.append({
                "user_id": owner.id, "res_model": target._name, "res_id": target.id,
                "res_name": items[0].res_name if len(items) == 1 else source.display_name,
                "event": "delivery_failed", "rule_id": None, "message_id": None, "author_id": None,
                "body": "\n".join(lines), "reason_role": "crm_owner",
            })
            titles.append(env._("Not delivered by SMS nor by e-mail to %(recipient)s: %(name)s",
                                recipient=items[0].partner_id.name, name=items[0].res_name)
                          if len(items) == 1 else
                          env._("Not delivered by SMS nor by e-mail to %(count)s recipients: %(name)s",
                                count=len(items), name=source.display_name))
        if rows:
            Notification._insert_rows(rows, titles)
            Notification._schedule_unread_count(self.env["res.users"].browse({row["user_id"] for row in rows}))
