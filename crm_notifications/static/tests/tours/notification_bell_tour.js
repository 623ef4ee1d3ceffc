// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {user} from "@web/core/user";
import {registry} from "@web/core/registry";
import {session} from "@web/session";

import {
    BELL,
    BELL_WITHOUT_COUNTER,
    DROPDOWN,
    counterIs,
    item,
} from "@crm_notifications/../tests/tours/tour_helpers";

// Must match crm_notifications/tests/test_ui.py
const LIVE_LEAD_NAME = "Tour: 12 standing desks";
const USER_A_LOGIN = "crm_notif_tour_a";
const USER_A_PASSWORD = "crm_notif_tour_a";
const XSS_NAME = "<img src=x onerror=alert(1)>";
const MONITORS_NAME = "Tour: 3 monitors";
const CHAIRS_NAME = "Tour: 5 chairs";

/**
 * Odoo's external JSON-RPC API (/jsonrpc), called without the tour user's
 * session cookie: what another user's script or client would do.
 */
async function externalJsonRpc(service, method, args) {
    const response = await fetch("/jsonrpc", {
        method: "POST",
        credentials: "omit",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({
            jsonrpc: "2.0",
            method: "call",
            id: Math.floor(Math.random() * 1e9),
            params: {service, method, args},
        }),
    });
    if (!response.ok) {
        throw new Error(`/jsonrpc ${service}.${method}: HTTP ${response.status}`);
    }
    const data = await response.json();
    if (data.error) {
        throw new Error(
            `/jsonrpc ${service}.${method} failed: ${JSON.stringify(data.error.data || data.error)}`
        );
    }
    return data.result;
}

registry.category("web_tour.tours").add("crm_notifications_bell_live", {
    url: "/odoo",
    steps: () => [
        {
            content: "The bell is there, without counter: no unread notification",
            trigger: BELL_WITHOUT_COUNTER,
        },
        {
            content: "User A assigns the lead to the tour user, from outside this session",
            trigger: BELL_WITHOUT_COUNTER,
            async run() {
                const db = session.db;
                const uidA = await externalJsonRpc("common", "login", [db, USER_A_LOGIN, USER_A_PASSWORD]);
                if (!uidA) {
                    throw new Error(`Could not log in as ${USER_A_LOGIN}`);
                }
                const leadIds = await externalJsonRpc("object", "execute_kw", [
                    db,
                    uidA,
                    USER_A_PASSWORD,
                    "crm.lead",
                    "search",
                    [[["name", "=", LIVE_LEAD_NAME]]],
                ]);
                if (leadIds.length !== 1) {
                    throw new Error(`Expected one lead "${LIVE_LEAD_NAME}", got ${leadIds}`);
                }
                await externalJsonRpc("object", "execute_kw", [
                    db,
                    uidA,
                    USER_A_PASSWORD,
                    "crm.lead",
                    "write",
                    [leadIds, {user_id: user.userId}],
                ]);
            },
        },
        {
            content: "The counter goes to 1 live, over the bus (no reload)",
            trigger: counterIs(1),
            timeout: 20000,
        },
        {
            content: "Open the notifications",
            trigger: BELL,
            run: "click",
        },
        {
            content: "Click the unread notification about the lead",
            trigger: `${item(LIVE_LEAD_NAME, ".o_crm_notification_unread")} .o_crm_notification_title`,
            run: "click",
        },
        {
            content: "The lead's form is open",
            trigger: `.o_form_view .o_field_widget[name=name] textarea:value("${LIVE_LEAD_NAME}")`,
        },
        {
            content: "The dropdown closed and the counter is gone",
            trigger: `body:not(:has(${DROPDOWN})) ${BELL_WITHOUT_COUNTER}`,
        },
    ],
});

registry.category("web_tour.tours").add("crm_notifications_bell_mark_read", {
    url: "/odoo",
    steps: () => [
        {
            content: "Three unread notifications",
            trigger: counterIs(3),
        },
        {
            content: "Open the notifications",
            trigger: BELL,
            run: "click",
        },
        {
            content: "The three notifications are listed, unread",
            trigger: `${DROPDOWN} .o_crm_notification_item.o_crm_notification_unread:eq(2)`,
        },
        {
            content: "A record name with HTML is shown as text, never as HTML",
            trigger: `${DROPDOWN} .o_crm_notification_item:contains("onerror")`,
            run() {
                const dropdown = document.querySelector(DROPDOWN);
                const texts = [...dropdown.querySelectorAll(".o_crm_notification_item")].map(
                    (el) => el.textContent
                );
                if (!texts.some((text) => text.includes(XSS_NAME))) {
                    throw new Error(`"${XSS_NAME}" is not shown as text: ${texts.join(" | ")}`);
                }
                if (dropdown.querySelector('img[src="x"]') || document.querySelector('img[src="x"]')) {
                    throw new Error("A record name was rendered as HTML");
                }
            },
        },
        {
            content: "Nothing selected: 'Mark as read' is disabled",
            trigger: `${DROPDOWN} .o_crm_notification_mark_read:disabled`,
        },
        {
            content: "Select the monitors",
            trigger: `${item(MONITORS_NAME)} input.o_crm_notification_select`,
            run: "check",
        },
        {
            content: "Select the chairs",
            trigger: `${item(CHAIRS_NAME)} input.o_crm_notification_select`,
            run: "check",
        },
        {
            content: "Selecting did not open a record: the dropdown is still open",
            trigger: `${item(CHAIRS_NAME)} input.o_crm_notification_select:checked`,
        },
        {
            content: "Mark the selection as read",
            trigger: `${DROPDOWN} .o_crm_notification_mark_read:enabled`,
            run: "click",
        },
        {
            content: "One unread notification left",
            trigger: counterIs(1),
        },
        {
            content: "The monitors are shown as read",
            trigger: item(MONITORS_NAME, ".o_crm_notification_read"),
        },
        {
            content: "The chairs are shown as read",
            trigger: item(CHAIRS_NAME, ".o_crm_notification_read"),
        },
        {
            content: "The third one is still unread",
            trigger: `${DROPDOWN} .o_crm_notification_item.o_crm_notification_unread:contains("onerror")`,
        },
        {
            content: "Mark all as read",
            trigger: `${DROPDOWN} .o_crm_notification_mark_all_read`,
            run: "click",
        },
        {
            content: "The counter is gone",
            trigger: BELL_WITHOUT_COUNTER,
        },
        {
            content: "All three are shown as read",
            trigger: `${DROPDOWN}:not(:has(.o_crm_notification_unread)) .o_crm_notification_item.o_crm_notification_read:eq(2)`,
        },
        {
            content: "Close the dropdown",
            trigger: BELL,
            run: "click",
        },
        {
            content: "The dropdown is closed",
            trigger: `body:not(:has(${DROPDOWN})) ${BELL}`,
        },
    ],
});
