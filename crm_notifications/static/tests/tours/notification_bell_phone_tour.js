// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {registry} from "@web/core/registry";

import {
    BELL,
    BELL_WITHOUT_COUNTER,
    DROPDOWN,
    assertOnScreen,
    counterIs,
    item,
} from "@crm_notifications/../tests/tours/tour_helpers";

// Must match crm_notifications/tests/test_ui_phone.py
const LONG_LEAD_NAME = "Tour: 40 height-adjustable standing desks with cable trays for the Antwerp office";
const MESSAGE_LEAD_NAME = "Tour: 8 meeting chairs";
const MESSAGE_SNIPPET = "Can you call the customer back about the delivery date?";

const LONG_ITEM = item(LONG_LEAD_NAME);
const MESSAGE_ITEM = item(MESSAGE_LEAD_NAME);

const checkTitleTooltip = {
    content: "A long title is cut: its full text is in the tooltip",
    trigger: `${LONG_ITEM} .o_crm_notification_title[title*="Antwerp office"]`,
};

registry.category("web_tour.tours").add("crm_notifications_bell_phone", {
    url: "/odoo",
    steps: () => [
        {
            content: "Two unread notifications",
            trigger: counterIs(2),
        },
        {
            content: "Open the notifications",
            trigger: BELL,
            run: "click",
        },
        {
            content: "The dropdown, its header, items and buttons are on the screen",
            trigger: `${LONG_ITEM}`,
            run() {
                if (window.innerWidth > 400) {
                    throw new Error(`Not a phone-sized window: ${window.innerWidth} px`);
                }
                assertOnScreen(DROPDOWN);
                assertOnScreen(`${DROPDOWN} .o_crm_notification_header`);
                assertOnScreen(`${DROPDOWN} .o_crm_notification_mark_all_read`);
                assertOnScreen(`${DROPDOWN} .o_crm_notification_item`);
                assertOnScreen(`${DROPDOWN} input.o_crm_notification_select`);
                assertOnScreen(`${DROPDOWN} .o_crm_notification_mark_read`);
                assertOnScreen(`${DROPDOWN} .o_crm_notification_view_all`);
            },
        },
        checkTitleTooltip,
        {
            content: "The message notification shows the message",
            trigger: `${MESSAGE_ITEM} .o_crm_notification_body:contains("${MESSAGE_SNIPPET}")`,
        },
        {
            content: "Select the long one",
            trigger: `${LONG_ITEM} input.o_crm_notification_select`,
            run: "check",
        },
        {
            content: "Mark it as read",
            trigger: `${DROPDOWN} .o_crm_notification_mark_read:enabled`,
            run: "click",
        },
        {
            content: "The counter drops to 1",
            trigger: counterIs(1),
        },
        {
            content: "The long one is shown as read",
            trigger: `${LONG_ITEM}.o_crm_notification_read`,
        },
        {
            content: "View all",
            trigger: `${DROPDOWN} .o_crm_notification_view_all`,
            run: "click",
        },
        {
            content: "On a phone, the notifications open as cards, one unread",
            trigger: `.o_crm_notification_kanban .o_kanban_record:contains("${MESSAGE_LEAD_NAME}") .badge:contains("New")`,
            run() {
                assertOnScreen(".o_crm_notification_kanban .o_kanban_record:not(.o_kanban_ghost)");
            },
        },
        {
            content: "Open the notifications again",
            trigger: BELL,
            run: "click",
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
            content: "Close the dropdown",
            trigger: BELL,
            run: "click",
        },
        {
            content: "The cards behind the bell were reloaded: none is unread any more",
            trigger: `body:not(:has(${DROPDOWN})) .o_crm_notification_kanban:not(:has(.badge:contains("New"))) .o_kanban_record:contains("${MESSAGE_LEAD_NAME}")`,
        },
    ],
});

registry.category("web_tour.tours").add("crm_notifications_bell_view_all", {
    url: "/odoo/discuss",
    steps: () => [
        {
            content: "In Discuss, two unread notifications",
            trigger: `.o_main_navbar:has(.o_menu_brand:contains("Discuss")) ${counterIs(2)}`,
        },
        {
            content: "Open the notifications",
            trigger: BELL,
            run: "click",
        },
        checkTitleTooltip,
        {
            content: "View all",
            trigger: `${DROPDOWN} .o_crm_notification_view_all`,
            run: "click",
        },
        {
            content: "The list opens in the Notifications app, not inside Discuss",
            trigger: `.o_main_navbar .o_menu_brand:contains("Notifications")`,
        },
        {
            content: "Two unread rows in the list",
            trigger: `.o_list_view .o_data_row.fw-bold:contains("${MESSAGE_LEAD_NAME}")`,
        },
        {
            content: "Open the notifications again",
            trigger: BELL,
            run: "click",
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
            content: "The list behind the bell was reloaded: no unread row left",
            trigger: `.o_list_view:not(:has(.o_data_row.fw-bold)) .o_data_row:contains("${MESSAGE_LEAD_NAME}")`,
        },
    ],
});
