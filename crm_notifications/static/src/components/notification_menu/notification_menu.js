// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {Component, onWillDestroy, useState} from "@odoo/owl";

import {Dropdown} from "@web/core/dropdown/dropdown";
import {useDropdownState} from "@web/core/dropdown/dropdown_hooks";
import {deserializeDateTime} from "@web/core/l10n/dates";
import {_t} from "@web/core/l10n/translation";
import {ConnectionLostError} from "@web/core/network/rpc";
import {registry} from "@web/core/registry";
import {useBus, useService} from "@web/core/utils/hooks";

const MODEL = "crm.notification";
const BUS_TYPE = "crm.notification/updated";
const LIST_LIMIT = 20;

/**
 * Systray bell of the notification center.
 *
 * The unread counter is the server's: fetched once at start, then replaced by
 * the value pushed over the bus (``crm.notification/updated``), and fetched
 * again when the websocket reconnects (notifications may have been missed
 * while it was down). Nothing is counted in the browser and nothing polls.
 *
 * The list is only loaded while the dropdown is open.
 */
export class NotificationMenu extends Component {
    static components = {Dropdown};
    static props = {};
    static template = "crm_notifications.NotificationMenu";

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.busService = this.env.services.bus_service;
        this.dropdown = useDropdownState({
            onClose: () => this.clearSelection(),
        });
        this.state = useState({
            counter: 0,
            notifications: [],
            selected: {},
            busy: false,
        });
        // Every counter update bumps this; a fetched value is only applied
        // when nothing newer (typically a bus message) arrived meanwhile.
        this.counterVersion = 0;
        this.listVersion = 0;

        this.onBusUpdate = this.onBusUpdate.bind(this);
        this.busService.subscribe(BUS_TYPE, this.onBusUpdate);
        onWillDestroy(() => this.busService.unsubscribe(BUS_TYPE, this.onBusUpdate));
        useBus(this.busService, "reconnect", () => this.refreshCounter());
        this.busService.start();

        // not awaited: the web client does not wait for the bell
        this.refreshCounter();
    }

    // ------------------------------------------------------------------
    // Getters
    // ------------------------------------------------------------------

    get selectedIds() {
        return this.state.notifications
            .filter((notification) => this.state.selected[notification.id])
            .map((notification) => notification.id);
    }

    get hasSelection() {
        return this.selectedIds.length > 0;
    }

    get counterTitle() {
        return _t("%s unread notifications", this.state.counter);
    }

    // ------------------------------------------------------------------
    // Server data
    // ------------------------------------------------------------------

    setCounter(value) {
        this.counterVersion++;
        this.state.counter = Math.max(0, parseInt(value, 10) || 0);
    }

    async refreshCounter() {
        const version = ++this.counterVersion;
        let count;
        try {
            count = await this.orm.silent.call(MODEL, "get_unread_count", []);
        } catch (error) {
            // offline: the bus refetches on "reconnect"
            if (error instanceof ConnectionLostError) {
                return;
            }
            throw error;
        }
        if (version === this.counterVersion) {
            this.setCounter(count);
        }
    }

    async loadNotifications() {
        const listVersion = ++this.listVersion;
        const counterVersion = ++this.counterVersion;
        const result = await this.orm.call(MODEL, "systray_get_notifications", [], {
            limit: LIST_LIMIT,
        });
        if (listVersion !== this.listVersion) {
            return;
        }
        this.state.notifications = result.notifications.map((notification) =>
            this.formatNotification(notification)
        );
        const ids = new Set(this.state.notifications.map((notification) => notification.id));
        for (const id of Object.keys(this.state.selected)) {
            if (!ids.has(parseInt(id, 10))) {
                delete this.state.selected[id];
            }
        }
        if (counterVersion === this.counterVersion) {
            this.setCounter(result.unread_count);
        }
    }

    formatNotification(notification) {
        let relativeDate = "";
        if (notification.date) {
            const date = deserializeDateTime(notification.date);
            relativeDate = date.isValid ? date.toRelative() : "";
        }
        return {...notification, relativeDate};
    }

    onBusUpdate(payload) {
        if (payload && "unread_count" in payload) {
            this.setCounter(payload.unread_count);
        }
        if (this.dropdown.isOpen) {
            this.loadNotifications();
        }
    }

    // ------------------------------------------------------------------
    // Handlers
    // ------------------------------------------------------------------

    onBeforeOpen() {
        this.clearSelection();
        return this.loadNotifications();
    }

    clearSelection() {
        for (const id of Object.keys(this.state.selected)) {
            delete this.state.selected[id];
        }
    }

    onToggleSelect(notification, ev) {
        if (ev.target.checked) {
            this.state.selected[notification.id] = true;
        } else {
            delete this.state.selected[notification.id];
        }
    }

    async onClickNotification(notification, ev) {
        if (ev.target.closest(".o_crm_notification_select_wrapper")) {
            return;
        }
        this.dropdown.close();
        const action = await this.orm.call(MODEL, "action_open_record", [[notification.id]]);
        await this.action.doAction(action);
        await this.refreshCounter();
    }

    async onClickMarkRead() {
        const ids = this.selectedIds;
        if (!ids.length || this.state.busy) {
            return;
        }
        await this.withBusy(() => this.orm.call(MODEL, "action_mark_read", [ids]));
        this.clearSelection();
        await this.afterChange();
    }

    async onClickMarkAllRead() {
        if (this.state.busy) {
            return;
        }
        await this.withBusy(() => this.orm.call(MODEL, "action_mark_all_read", []));
        this.clearSelection();
        await this.afterChange();
    }

    onClickViewAll() {
        this.dropdown.close();
        this.action.doAction("crm_notifications.crm_notification_action_my", {
            clearBreadcrumbs: true,
        });
    }

    async withBusy(callback) {
        this.state.busy = true;
        try {
            return await callback();
        } finally {
            this.state.busy = false;
        }
    }

    /** After a change made from the dropdown: reload what the server says. */
    async afterChange() {
        if (this.dropdown.isOpen) {
            await this.loadNotifications();
        } else {
            await this.refreshCounter();
        }
    }
}

export const notificationMenuItem = {Component: NotificationMenu};

registry.category("systray").add("crm_notifications.notification_menu", notificationMenuItem, {sequence: 22});
