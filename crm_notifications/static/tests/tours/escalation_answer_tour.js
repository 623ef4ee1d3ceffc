// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {registry} from "@web/core/registry";

import {BELL, item} from "@crm_notifications/../tests/tours/tour_helpers";

// Must match crm_notifications/tests/test_ui_escalation.py
const ACKNOWLEDGED = "Escalation tour: call the carrier";
const TAKEN_OVER = "Escalation tour: send the quote";

/** Acknowledge one escalation and take the other over, from the bell. */
function answerSteps() {
    return [
        {
            content: "Open the notifications",
            trigger: BELL,
            run: "click",
        },
        {
            content: "An escalation offers both answers",
            trigger: `${item(ACKNOWLEDGED)} .o_crm_notification_answers:has(.o_crm_notification_take_over)`,
        },
        {
            content: "Acknowledge it",
            trigger: `${item(ACKNOWLEDGED)} .o_crm_notification_acknowledge`,
            run: "click",
        },
        {
            content: "The server confirms",
            trigger: '.o_notification:contains("Escalation acknowledged")',
        },
        {
            content: "The bell stays open; the acknowledged one can still be taken over",
            trigger: `${item(ACKNOWLEDGED)}:not(:has(.o_crm_notification_acknowledge)) .o_crm_notification_take_over`,
        },
        {
            content: "Take the other activity over",
            trigger: `${item(TAKEN_OVER)} .o_crm_notification_take_over`,
            run: "click",
        },
        {
            content: "The activity is now mine",
            trigger: '.o_notification:contains("The activity is now assigned to you")',
        },
        {
            content: "No answer left to give on it",
            trigger: `${item(TAKEN_OVER)}:not(:has(.o_crm_notification_answers))`,
        },
    ];
}

registry.category("web_tour.tours").add("crm_notifications_escalation_answer", {
    steps: answerSteps,
});
