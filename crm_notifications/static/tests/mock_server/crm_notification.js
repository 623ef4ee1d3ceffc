// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {fields, getKwArgs, models} from "@web/../tests/web_test_helpers";

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

    get_unread_count() {
        return this.search_count([
            ["user_id", "=", this.env.uid],
            ["is_read", "=", false],
        ]);
    }

    systray_get_notifications() {
        const {limit = 20} = getKwArgs(arguments, "limit");
        // the model's _order: date desc, id desc
        const records = this.search_read([["user_id", "=", this.env.uid]])
            .sort((a, b) => (b.date || "").localeCompare(a.date || "") || b.id - a.id)
            .slice(0, limit);
        return {
            unread_count: this.get_unread_count(),
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
