// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {registry} from "@web/core/registry";

import {assertOnScreen} from "@crm_notifications/../tests/tours/tour_helpers";

// Must match crm_notifications/tests/test_ui_screens.py
const REMINDER_NAME = "Tour: renew the maintenance contract of the Antwerp showroom";
const NOTIFICATION_NAME = "Tour: the spring collection is in the showrooms";
const DELIVERY_NAME = "Tour: delivered to Ana";
const GROUP_NAME = "Tour: furniture retailers";

const FORM = ".o_form_view";

function kanbanCard(name) {
    return `.o_kanban_view .o_kanban_record:not(.o_kanban_ghost):contains("${name}")`;
}

/** Open an action of the addon; on a phone its kanban view shows the card. */
function openAsCards(action, name) {
    return [
        {
            content: `Open ${action}`,
            trigger: "body",
            run() {
                window.location.href = `/odoo/action-crm_notifications.${action}`;
            },
        },
        {
            content: `${action}: cards on a phone, the whole card on screen`,
            trigger: kanbanCard(name),
            run() {
                if (window.innerWidth > 400) {
                    throw new Error(`Not a phone-sized window: ${window.innerWidth} px`);
                }
                assertOnScreen(".o_kanban_view .o_kanban_record:not(.o_kanban_ghost)");
            },
        },
    ];
}

registry.category("web_tour.tours").add("crm_notifications_screens_phone", {
    url: "/odoo",
    steps: () => [
        ...openAsCards("crm_customer_reminder_action", REMINDER_NAME),
        ...openAsCards("crm_customer_notification_action", NOTIFICATION_NAME),
        ...openAsCards("crm_notification_delivery_action", DELIVERY_NAME),
        {
            content: "A card opens its form",
            trigger: kanbanCard(DELIVERY_NAME),
            run: "click",
        },
        {
            content: "The delivery's form",
            trigger: `${FORM} .o_field_widget[name=res_name]:contains("${DELIVERY_NAME}")`,
        },
    ],
});

/** A step checking the status bar shows ``steps``, in this order, and nothing else. */
function statusbarIs(steps) {
    const expected = steps.join(" › ");
    return {
        content: `Status bar: ${expected}`,
        trigger: `${FORM} .o_statusbar_status:has(.o_arrow_button:contains("${steps[1]}"))`,
        run() {
            // the bar's steps, right to left in the DOM (their folded "..." left out)
            const shown = [
                ...document.querySelectorAll(
                    `${FORM} .o_statusbar_status .o_arrow_button:not(.dropdown-toggle)`
                ),
            ]
                .map((button) => button.textContent.trim())
                .reverse()
                .join(" › ");
            if (shown !== expected) {
                throw new Error(`Status bar: "${shown}" instead of "${expected}"`);
            }
        },
    };
}

registry.category("web_tour.tours").add("crm_notifications_screens_desktop", {
    url: "/odoo/action-crm_notifications.crm_notification_rule_action",
    steps: () => [
        {
            content: "Rules: the two salesperson rules of contacts differ by what they apply on",
            trigger: `.o_data_row:contains("Company: salesperson") .o_data_cell[name=filter_domain]:contains("is_company")`,
        },
        {
            content: "Open the rule of messages on leads",
            trigger: `.o_data_row:contains("Message on a lead") .o_data_cell[name=name]`,
            run: "click",
        },
        {
            content: "Its team members: a field path picker on the rule's model, not raw text",
            trigger: `${FORM} .o_field_widget[name=team_users_path] .o_model_field_selector:contains("Sales Team")`,
        },
        {
            content: "The title's placeholder is an example for any model",
            trigger: `${FORM} .o_field_widget[name=message_template] input[placeholder*="object.display_name"]`,
        },
        // -- customer groups: the demo-like group, and the empty state help
        {
            content: "Open the customer groups",
            trigger: "body",
            run() {
                window.location.href = "/odoo/action-crm_notifications.crm_customer_group_action";
            },
        },
        {
            content: "The group is listed with its members",
            trigger: `.o_data_row:contains("${GROUP_NAME}") .o_data_cell[name=partner_count]:contains("2")`,
        },
        // -- a customer notification's status bar, per kind
        {
            content: "A new customer notification",
            trigger: "body",
            run() {
                window.location.href = "/odoo/action-crm_notifications.crm_customer_notification_action/new";
            },
        },
        statusbarIs(["Draft", "Scheduled", "Sent"]),
        {
            content: "Make it recurring",
            trigger: `${FORM} .o_field_widget[name=recurrency] input`,
            run: "click",
        },
        statusbarIs(["Draft", "Active", "Sent"]),
        {
            content: "Discard",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        // -- settings: the SMTP port reads as a port
        {
            content: "Open the settings",
            trigger: "body",
            run() {
                window.location.href =
                    "/odoo/action-crm_notifications.crm_notifications_config_settings_action";
            },
        },
        {
            content: "The SMTP port of activity alerts has no thousands separator",
            trigger: ".o_field_widget[name=crm_activity_smtp_port] input:value(2601)",
        },
    ],
});
