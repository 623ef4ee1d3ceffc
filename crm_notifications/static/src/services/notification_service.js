// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {reactive} from "@odoo/owl";

import {deserializeDateTime} from "@web/core/l10n/dates";
import {ConnectionLostError} from "@web/core/network/rpc";
import {registry} from "@web/core/registry";
import {Mutex} from "@web/core/utils/concurrency";
import {debounce} from "@web/core/utils/timing";

export const NOTIFICATION_MODEL = "crm.notification";
/** Sent by crm.notification._send_unread_counts: {"unread_count": N} */
export const NOTIFICATION_BUS_TYPE = "crm.notification/updated";
export const NOTIFICATION_LIST_LIMIT = 20;
/**
 * The counter is read again this long after the last bus notification of a
 * burst (ms): a count computed inside a transaction that committed while
 * another changed the same user's notifications (a resolution after the
 * commit, two assignments at once) may be one off, and the bus keeps the
 * order of the sends, not of what each transaction saw.
 */
export const COUNTER_SETTLE_DELAY = 1500;
/** snooze times older than this are read again before use ("in an hour" moves) */
const SNOOZE_PRESETS_MAX_AGE = 60 * 1000;

/**
 * The current user's notification center, as the bell shows it.
 *
 * The unread counter is the server's: fetched at start, then replaced by the
 * value pushed over the bus (``crm.notification/updated``), and fetched again
 * when the websocket reconnects (notifications may have been missed while it
 * was down). Nothing is counted in the browser and nothing polls.
 *
 * Ordering: the bus numbers its notifications (``bus.bus`` ids, increasing in
 * the order the server sent them, the same in every tab). A bus value is
 * applied only when its id is above the last one applied: a duplicate or a
 * late, older notification changes nothing. A fetched value is applied only
 * when no bus notification was applied while it was on its way: the bus then
 * holds a value at least as recent, and its own notification would have come
 * last anyway. A pushed value may still be one off: each transaction counts
 * before it commits, and two that change one user's notifications at once
 * each miss the other's change. So the counter is read again once the bus has
 * been quiet for ``COUNTER_SETTLE_DELAY`` (one read per burst, not per push);
 * bench/soak found such a count in one user of four.
 *
 * The list of notifications is loaded lazily, while someone shows it
 * (``openList`` / ``closeList``), and reloaded on every bus update meanwhile.
 */
export class NotificationCenter {
    /**
     * @param {import("@web/env").OdooEnv} env
     * @param {{bus_service: any, orm: any}} services
     */
    constructor(env, {bus_service, orm}) {
        this.env = env;
        this.busService = bus_service;
        this.orm = orm;
        this.state = reactive({
            counter: 0,
            notifications: [],
            /** the server's snooze times {hour, tomorrow} (UTC strings) */
            snoozePresets: {},
            // whether the list is shown (and kept up to date)
            listOpen: false,
        });
        /** when the snooze times were read (browser clock, ms) */
        this.snoozePresetsDate = 0;
        /** id of the last bus notification applied (0: none yet) */
        this.lastBusId = 0;
        /** list loads, one at a time */
        this.listMutex = new Mutex();
        /** the list load waiting for its turn, if any */
        this.nextListLoad = null;
        /** the counter read once the bus is quiet again (COUNTER_SETTLE_DELAY) */
        this.settleCounter = debounce(() => this.refreshCounter(), COUNTER_SETTLE_DELAY);
    }

    setup() {
        this.busService.subscribe(NOTIFICATION_BUS_TYPE, (payload, {id} = {}) =>
            this.onBusNotification(payload, id)
        );
        this.busService.addEventListener("reconnect", () => this.resync());
        this.busService.start();
        // not awaited: the web client does not wait for the bell
        this.refreshCounter();
    }

    // ------------------------------------------------------------------
    // Bus
    // ------------------------------------------------------------------

    /**
     * @param {{unread_count?: number}} payload
     * @param {number} id the bus notification's id
     */
    onBusNotification(payload, id) {
        if (Number.isInteger(id)) {
            if (id <= this.lastBusId) {
                return; // a duplicate, or older than what is shown
            }
            this.lastBusId = id;
        }
        if (payload && "unread_count" in payload) {
            this.setCounter(payload.unread_count);
        }
        if (this.state.listOpen) {
            this.loadNotifications();
        } else {
            // the list's load reads the counter too
            this.settleCounter();
        }
    }

    /** After a reconnection: what was missed meanwhile. */
    resync() {
        return this.state.listOpen ? this.loadNotifications() : this.refreshCounter();
    }

    // ------------------------------------------------------------------
    // Server data
    // ------------------------------------------------------------------

    setCounter(value) {
        this.state.counter = Math.max(0, parseInt(value, 10) || 0);
    }

    /**
     * Apply a counter read by an RPC sent when ``busIdAtRequest`` was the last
     * bus notification applied.
     */
    setFetchedCounter(value, busIdAtRequest) {
        if (this.lastBusId === busIdAtRequest) {
            this.setCounter(value);
        }
    }

    async refreshCounter() {
        const busIdAtRequest = this.lastBusId;
        let count;
        try {
            count = await this.orm.silent.call(NOTIFICATION_MODEL, "get_unread_count", []);
        } catch (error) {
            // offline: fetched again on "reconnect"
            if (error instanceof ConnectionLostError) {
                return;
            }
            throw error;
        }
        this.setFetchedCounter(count, busIdAtRequest);
    }

    /**
     * Load the list (and the counter). Loads run one after the other, so the
     * last one sent is the last one applied; a call made while a load waits
     * for its turn shares it. Resolved once a load sent after the call is
     * applied.
     */
    loadNotifications() {
        if (!this.nextListLoad) {
            this.nextListLoad = this.listMutex.exec(() => {
                this.nextListLoad = null;
                return this.fetchNotifications();
            });
        }
        return this.nextListLoad;
    }

    async fetchNotifications() {
        const busIdAtRequest = this.lastBusId;
        const result = await this.orm.call(NOTIFICATION_MODEL, "systray_get_notifications", [], {
            limit: NOTIFICATION_LIST_LIMIT,
        });
        this.state.notifications = result.notifications.map((notification) =>
            this.formatNotification(notification)
        );
        // "tomorrow 08:00" in the user's timezone: computed by the server
        this.state.snoozePresets = result.snooze_presets || {};
        this.snoozePresetsDate = Date.now();
        this.setFetchedCounter(result.unread_count, busIdAtRequest);
    }

    formatNotification(notification) {
        let relativeDate = "";
        if (notification.date) {
            const date = deserializeDateTime(notification.date);
            relativeDate = date.isValid ? date.toRelative() : "";
        }
        return {...notification, relativeDate};
    }

    // ------------------------------------------------------------------
    // Actions
    // ------------------------------------------------------------------

    /** The list is shown: load it, and keep it up to date until closed. */
    openList() {
        this.state.listOpen = true;
        return this.loadNotifications();
    }

    closeList() {
        this.state.listOpen = false;
    }

    /** @param {number[]} ids */
    async markRead(ids) {
        if (!ids.length) {
            return;
        }
        await this.orm.call(NOTIFICATION_MODEL, "action_mark_read", [ids]);
        await this.afterChange();
    }

    async markAllRead() {
        await this.orm.call(NOTIFICATION_MODEL, "action_mark_all_read", []);
        await this.afterChange();
    }

    /**
     * Mark a notification read; returns the action opening its document.
     *
     * @param {number} id
     */
    openRecord(id) {
        return this.orm.call(NOTIFICATION_MODEL, "action_open_record", [[id]]);
    }

    /**
     * Take a notification out of the bell and the counter until one of the
     * server's snooze times (``snooze_presets``: "hour", "tomorrow").
     *
     * @param {number} id
     * @param {string} preset
     */
    async snooze(id, preset) {
        if (Date.now() - this.snoozePresetsDate > SNOOZE_PRESETS_MAX_AGE) {
            await this.loadNotifications();
        }
        const until = this.state.snoozePresets[preset];
        if (!until) {
            throw new Error(`Unknown snooze preset: ${preset}`);
        }
        await this.orm.call(NOTIFICATION_MODEL, "action_snooze", [[id], until]);
        await this.afterChange();
    }

    /**
     * Turn off, for the current user, the rule a notification comes from;
     * returns the server's action (a ``display_notification``).
     *
     * @param {number} id
     */
    async muteRule(id) {
        const action = await this.orm.call(NOTIFICATION_MODEL, "action_mute_rule", [[id]]);
        await this.afterChange();
        return action;
    }

    /**
     * Answer an escalation of a late activity: "acknowledge" (no further
     * level of it) or "take_over" (the activity becomes the user's).
     *
     * @param {number} id
     * @param {"acknowledge"|"take_over"} answer
     */
    async answerEscalation(id, answer) {
        const method = {acknowledge: "action_acknowledge", take_over: "action_take_over"}[answer];
        if (!method) {
            throw new Error(`Unknown answer: ${answer}`);
        }
        await this.orm.call(NOTIFICATION_MODEL, method, [[id]]);
        await this.afterChange();
    }

    /** After a change: what the server says (its bus notification may come later). */
    afterChange() {
        return this.state.listOpen ? this.loadNotifications() : this.refreshCounter();
    }
}

export const notificationCenterService = {
    dependencies: ["bus_service", "orm"],
    start(env, services) {
        const center = new NotificationCenter(env, services);
        center.setup();
        return center;
    },
};

registry.category("services").add("crm_notification_center", notificationCenterService);
