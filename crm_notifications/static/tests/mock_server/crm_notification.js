// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {fields, getKwArgs, models} from "@web/../tests/web_test_helpers";

// Odoo's luxon is a global
const {DateTime} = window.luxon;

/** The server's datetime strings (UTC), which compare as strings. */
function toServerString(dateTime) {
    return dateTime.toUTC().toFormat("yyyy-MM-dd HH:mm:ss");
}

/**
 * crm.notification as the bell sees it: the RPCs of
 * crm_notifications/models/crm_notification.py (Systray section), and the
 * unread counter pushed over the bus after a change, as
 * ``_send_unread_counts`` does.
 */
export class CrmNotification extends models.Model {
    _name = "crm.notification";

    title = fields.Char();
    body = fields.Text();
    res_model = fields.Char();
    res_id = fields.Integer();
    res_name = fields.Char();
    model_name = fields.Char();
    event = fields.Char();
    author_name = fields.Char();
    date = fields.Datetime();
    is_read = fields.Boolean({default: false});
    user_id = fields.Many2one({relation: "res.users"});
    // noise control (issue 12)
    reason = fields.Char();
    is_resolved = fields.Boolean({default: false});
    snoozed_until = fields.Datetime();
    rule_name = fields.Char();
    rule_is_locked = fields.Boolean({default: false});
    // escalation answers (issue 13): "acknowledged", "taken_over" or false
    escalation_answer = fields.Char();

    /** Not snoozed, or snoozed until a time that has come. */
    _notSnoozedDomain() {
        return ["|", ["snoozed_until", "=", false], ["snoozed_until", "<=", toServerString(DateTime.now())]];
    }

    get_unread_count() {
        return this.search_count([
            ["user_id", "=", this.env.uid],
            ["is_read", "=", false],
            ["is_resolved", "=", false],
            ...this._notSnoozedDomain(),
        ]);
    }

    /** As the server: in an hour, and tomorrow at 08:00 (here in UTC). */
    _snooze_presets() {
        const now = DateTime.now();
        return {
            hour: toServerString(now.plus({hours: 1})),
            tomorrow: toServerString(now.toUTC().plus({days: 1}).set({hour: 8, minute: 0, second: 0})),
        };
    }

    systray_get_notifications() {
        const {limit = 20} = getKwArgs(arguments, "limit");
        // the model's _order: date desc, id desc
        const records = this.search_read([["user_id", "=", this.env.uid], ...this._notSnoozedDomain()])
            .sort((a, b) => (b.date || "").localeCompare(a.date || "") || b.id - a.id)
            .slice(0, limit);
        return {
            unread_count: this.get_unread_count(),
            snooze_presets: this._snooze_presets(),
            notifications: records.map((record) => ({
                id: record.id,
                title: record.title,
                body: record.body || "",
                res_model: record.res_model,
                res_id: record.res_id,
                res_name: record.res_name || "",
                model_name: record.model_name || "",
                event: record.event,
                author_name: record.author_name,
                date: record.date,
                is_read: record.is_read,
                is_resolved: record.is_resolved,
                reason: record.reason || "",
                can_mute: Boolean(record.rule_name) && !record.rule_is_locked,
                can_acknowledge: this._isWaitingEscalation(record) && !record.escalation_answer,
                can_take_over: this._isWaitingEscalation(record) && record.escalation_answer !== "taken_over",
            })),
        };
    }

    action_mark_read(ids) {
        const unread = this.browse(ids).filter((record) => !record.is_read);
        if (unread.length) {
            this.write(
                unread.map((record) => record.id),
                {is_read: true}
            );
            this._send_unread_count();
        }
        return true;
    }

    action_mark_all_read() {
        const ids = this.search([
            ["user_id", "=", this.env.uid],
            ["is_read", "=", false],
        ]);
        return this.action_mark_read(ids);
    }

    action_snooze(ids, until) {
        if (!until || until <= toServerString(DateTime.now())) {
            throw new Error("Snoozed Until: choose a date and time in the future.");
        }
        this.write(ids, {snoozed_until: until, is_read: false});
        this._send_unread_count();
        return true;
    }

    /** The user's preference for the rule becomes "off" (no preference model here). */
    action_mute_rule(ids) {
        const rules = [...new Set(this.browse(ids).map((record) => record.rule_name))];
        if (!rules.length || rules.includes(false) || this.browse(ids).some((r) => r.rule_is_locked)) {
            throw new Error("Rule: this notification does not come from a rule that can be muted.");
        }
        return {
            type: "ir.actions.client",
            tag: "display_notification",
            params: {
                type: "info",
                message: `You will no longer be notified by the rule ${rules.join(", ")}. Undo in your preferences.`,
            },
        };
    }

    _isWaitingEscalation(record) {
        return record.event === "activity_late" && !record.is_resolved;
    }

    /** As crm_notification_escalation.py, without the activity: the answer is recorded, the item read. */
    _answer(ids, answer) {
        if (this.browse(ids).some((record) => !this._isWaitingEscalation(record))) {
            throw new Error("Not an escalation of a late activity.");
        }
        this.write(ids, {escalation_answer: answer, is_read: true});
        this._send_unread_count();
        return true;
    }

    action_acknowledge(ids) {
        return this._answer(ids, "acknowledged");
    }

    action_take_over(ids) {
        return this._answer(ids, "taken_over");
    }

    action_open_record(ids) {
        this.action_mark_read(ids);
        const [record] = this.browse(ids);
        return {
            type: "ir.actions.act_window",
            res_model: record.res_model,
            res_id: record.res_id,
            views: [[false, "form"]],
            target: "current",
        };
    }

    /** The server's push, to the current user. */
    _send_unread_count() {
        const [partner] = this.env["res.partner"].read(this.env.user.partner_id);
        this.env["bus.bus"]._sendone(partner, "crm.notification/updated", {
            unread_count: this.get_unread_count(),
        });
    }
}
