// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {Component, useState} from "@odoo/owl";

import {Dropdown} from "@web/core/dropdown/dropdown";
import {useDropdownState} from "@web/core/dropdown/dropdown_hooks";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";

import {NOTIFICATION_MODEL} from "@crm_notifications/services/notification_service";

const MY_NOTIFICATIONS_MENU = "crm_notifications.crm_notification_menu_my";

/**
 * Systray bell of the notification center: a view over the
 * ``crm_notification_center`` service, which holds the unread counter (kept
 * up to date over the bus) and the list. Only the selection is the bell's.
 */
export class NotificationMenu extends Component {
    static components = {Dropdown};
    static props = {};
    static template = "crm_notifications.NotificationMenu";

    setup() {
        this.center = useService("crm_notification_center");
        this.action = useService("action");
        this.menu = useService("menu");
        this.notification = useService("notification");
        /** phone-sized screens: a full-width dropdown, as Odoo's systray menus */
        this.ui = useState(useService("ui"));
        this.dropdown = useDropdownState({
            onClose: () => {
                this.center.closeList();
                this.clearSelection();
            },
        });
        /** the server's data, from the service */
        this.centerState = useState(this.center.state);
        this.state = useState({
            selected: {},
            busy: false,
            // the notification whose actions (snooze, mute) are shown, if any
            actionsOpenId: null,
        });
    }

    // ------------------------------------------------------------------
    // Getters
    // ------------------------------------------------------------------

    get counter() {
        return this.centerState.counter;
    }

    get notifications() {
        return this.centerState.notifications;
    }

    get selectedIds() {
        return this.notifications
            .filter((notification) => this.state.selected[notification.id])
            .map((notification) => notification.id);
    }

    get hasSelection() {
        return this.selectedIds.length > 0;
    }

    /** As Odoo's systray menus (mail's useDiscussSystray): full width on a phone. */
    get menuClass() {
        return `o_crm_notification_dropdown p-0 ${
            this.ui.isSmall
                ? "o_crm_notification_dropdown_small o-mail-systrayFullscreenDropdownMenu start-0 w-100 mh-100 d-flex flex-column mt-0 border-0 shadow-lg"
                : ""
        }`;
    }

    get counterTitle() {
        return _t("%s unread notifications", this.counter);
    }

    /** Unread, read or resolved (its cause went away: not counted, not bold). */
    itemClass(notification) {
        if (notification.is_resolved) {
            return "o_crm_notification_resolved";
        }
        return notification.is_read ? "o_crm_notification_read" : "o_crm_notification_unread";
    }

    /** A resolved one has nothing left to snooze; a locked rule cannot be muted. */
    canSnooze(notification) {
        return !notification.is_resolved;
    }

    hasActions(notification) {
        return this.canSnooze(notification) || notification.can_mute;
    }

    // ------------------------------------------------------------------
    // Handlers
    // ------------------------------------------------------------------

    onBeforeOpen() {
        this.clearSelection();
        this.state.actionsOpenId = null;
        return this.center.openList();
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
        // the checkbox and the item's own actions do not open the record
        if (ev.target.closest(".o_crm_notification_select_wrapper, .o_crm_notification_no_open")) {
            return;
        }
        this.dropdown.close();
        const action = await this.center.openRecord(notification.id);
        await this.action.doAction(action);
        await this.center.refreshCounter();
    }

    async onClickMarkRead() {
        const ids = this.selectedIds;
        if (!ids.length || this.state.busy) {
            return;
        }
        await this.withBusy(() => this.center.markRead(ids));
        this.clearSelection();
        await this.reloadNotificationView();
    }

    async onClickMarkAllRead() {
        if (this.state.busy) {
            return;
        }
        await this.withBusy(() => this.center.markAllRead());
        this.clearSelection();
        await this.reloadNotificationView();
    }

    onToggleActions(notification) {
        this.state.actionsOpenId = this.state.actionsOpenId === notification.id ? null : notification.id;
    }

    /**
     * @param {Object} notification
     * @param {"hour"|"tomorrow"} preset one of the server's ``snooze_presets``
     */
    async onClickSnooze(notification, preset) {
        if (this.state.busy) {
            return;
        }
        this.state.actionsOpenId = null;
        delete this.state.selected[notification.id];
        await this.withBusy(() => this.center.snooze(notification.id, preset));
        await this.reloadNotificationView();
    }

    async onClickMute(notification) {
        if (this.state.busy) {
            return;
        }
        this.state.actionsOpenId = null;
        // the server says what it did (a display_notification)
        const action = await this.withBusy(() => this.center.muteRule(notification.id));
        if (action) {
            await this.action.doAction(action);
        }
    }

    /**
     * Answer an escalation from the bell; the item stays, its buttons follow
     * the server's answer.
     *
     * @param {Object} notification
     * @param {"acknowledge"|"take_over"} answer
     */
    async onClickAnswer(notification, answer) {
        if (this.state.busy) {
            return;
        }
        await this.withBusy(() => this.center.answerEscalation(notification.id, answer));
        this.notification.add(
            answer === "acknowledge"
                ? _t("Escalation acknowledged: no further escalation of this activity.")
                : _t("The activity is now assigned to you."),
            {type: "success"}
        );
        await this.reloadNotificationView();
    }

    /**
     * The notifications open behind the bell (a list, a kanban, a form) show
     * what was just marked read: reloaded as Odoo's "soft_reload" does,
     * keeping their search and their page.
     */
    async reloadNotificationView() {
        const controller = this.action.currentController;
        if (controller?.action?.res_model === NOTIFICATION_MODEL) {
            await this.action.doAction("soft_reload");
        }
    }

    /**
     * "View all" opens the list in the Notifications app (its menu and its
     * navbar), as its menu item does, not inside the app the user is in.
     */
    async onClickViewAll() {
        this.dropdown.close();
        const menu = this.menu.getAll().find((m) => m.xmlid === MY_NOTIFICATIONS_MENU);
        if (menu) {
            await this.menu.selectMenu(menu);
        } else {
            await this.action.doAction("crm_notifications.crm_notification_action_my", {
                clearBreadcrumbs: true,
            });
        }
    }

    async withBusy(callback) {
        this.state.busy = true;
        try {
            return await callback();
        } finally {
            this.state.busy = false;
        }
    }
}

export const notificationMenuItem = {Component: NotificationMenu};

registry.category("systray").add("crm_notifications.notification_menu", notificationMenuItem, {sequence: 22});
