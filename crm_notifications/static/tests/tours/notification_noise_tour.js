// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {registry} from "@web/core/registry";

import {
    BELL,
    DROPDOWN,
    assertOnScreen,
    counterIs,
    item,
} from "@crm_notifications/../tests/tours/tour_helpers";

// Must match crm_notifications/tests/test_ui_noise.py
const SNOOZED_NAME = "Noise tour: 6 monitor arms";
const MUTED_NAME = "Noise tour: 2 whiteboards";
const RESOLVED_NAME = "Noise tour: 9 desk lamps";
const RULE_NAME = "Lead / opportunity assigned";
const ROLE = "Salesperson";

/**
 * Why, resolved, snooze and mute in the bell; ``phone``: at 390 px, where
 * the reason is shown whole and the actions must fit on the screen.
 */
function noiseSteps(phone) {
    return [
        {
            content: "Two unread notifications: the resolved one is not counted",
            trigger: counterIs(2),
        },
        {
            content: "Open the notifications",
            trigger: BELL,
            run: "click",
        },
        {
            content: "Each notification says why: the role and the rule",
            trigger: `${item(MUTED_NAME)} .o_crm_notification_reason:contains("${ROLE}"):contains("${RULE_NAME}")`,
            run() {
                if (phone) {
                    if (window.innerWidth > 400) {
                        throw new Error(`Not a phone-sized window: ${window.innerWidth} px`);
                    }
                    // no tooltip on a phone: the whole reason is on the screen
                    const reason = document.querySelector(
                        `.o_crm_notification_item[data-id] .o_crm_notification_reason`
                    );
                    if (reason.scrollWidth > reason.clientWidth + 1) {
                        throw new Error("The reason is cut on a phone");
                    }
                    assertOnScreen(`${DROPDOWN} .o_crm_notification_reason`);
                    assertOnScreen(`${DROPDOWN} .o_crm_notification_actions_toggle`);
                }
            },
        },
        {
            content: "The notification whose lead went to someone else is shown resolved",
            trigger: `${item(RESOLVED_NAME)}.o_crm_notification_resolved .o_crm_notification_resolved_badge:contains("Resolved")`,
        },
        {
            content: "Open the actions of the monitor arms",
            trigger: `${item(SNOOZED_NAME)} .o_crm_notification_actions_toggle`,
            run: "click",
        },
        {
            content: "Its actions: snooze for an hour, until tomorrow, mute the rule",
            trigger: `${item(SNOOZED_NAME)} .o_crm_notification_item_actions:has(.o_crm_notification_snooze_tomorrow):has(.o_crm_notification_mute)`,
            run() {
                if (phone) {
                    assertOnScreen(`${DROPDOWN} .o_crm_notification_item_actions button`);
                }
            },
        },
        {
            content: "Snooze it for an hour",
            trigger: `${item(SNOOZED_NAME)} .o_crm_notification_snooze_hour`,
            run: "click",
        },
        {
            content: "It left the bell",
            trigger: `${DROPDOWN}:not(:has(.o_crm_notification_item:contains("${SNOOZED_NAME}"))) .o_crm_notification_item:contains("${MUTED_NAME}")`,
        },
        {
            content: "and the counter",
            trigger: counterIs(1),
        },
        {
            content: "Open the actions of the whiteboards",
            trigger: `${item(MUTED_NAME)} .o_crm_notification_actions_toggle`,
            run: "click",
        },
        {
            content: "Mute the rule",
            trigger: `${item(MUTED_NAME)} .o_crm_notification_mute`,
            run: "click",
        },
        {
            content: "The server says what it did, and where to undo it",
            trigger: `.o_notification:contains("You will no longer be notified by the rule ${RULE_NAME}"):contains("preferences")`,
        },
        {
            content: "The whiteboards' notification itself stays, unread",
            trigger: `${item(MUTED_NAME)}.o_crm_notification_unread`,
        },
        {
            content: "The counter is unchanged",
            trigger: counterIs(1),
        },
    ];
}

registry.category("web_tour.tours").add("crm_notifications_noise", {
    url: "/odoo",
    steps: () => noiseSteps(false),
});

registry.category("web_tour.tours").add("crm_notifications_noise_phone", {
    url: "/odoo",
    steps: () => noiseSteps(true),
});
