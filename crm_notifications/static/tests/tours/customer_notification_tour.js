// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {registry} from "@web/core/registry";

// Must match crm_notifications/tests/test_ui_customer_notification.py
const CUSTOMER_1 = "Tour Customer Ana";
const CUSTOMER_2 = "Tour Customer Jean";
const CUSTOMER_PREFIX = "Tour Customer";
const GROUP_NAME = "Tour: autumn customers";
const TITLE = "Tour: autumn offer";
const BODY = "Our autumn offer is out.";
const OTHER_TITLE = "Tour: other scheduled notification";

// The browser runs on the real clock: schedule on January 15th of next year.
const YEAR = new Date().getFullYear() + 1;

const FORM = ".o_form_view";

function field(name, inner = "input") {
    return `${FORM} .o_field_widget[name=${name}] ${inner}`;
}

function menu(xmlid) {
    return `.o_main_navbar [data-menu-xmlid="crm_notifications.${xmlid}"]`;
}

registry.category("web_tour.tours").add("crm_notifications_customer_notification_group", {
    steps: () => [
        // -- Notifications > Customer Groups > New
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open the Notifications app",
            trigger: '.o_app[data-menu-xmlid="crm_notifications.crm_notifications_menu_root"]',
            run: "click",
        },
        {
            content: "Notifications > Customer Groups",
            trigger: menu("crm_customer_group_menu"),
            run: "click",
        },
        {
            content: "The customer groups list is open: New",
            trigger: ".o_list_view .o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Name the group",
            trigger: field("name"),
            run: `edit ${GROUP_NAME}`,
        },
        {
            content: "Add customers",
            trigger: `${FORM} .o_field_widget[name=partner_ids] .o_field_x2many_list_row_add a`,
            run: "click",
        },
        {
            content: "Search the tour's customers in the dialog",
            trigger: ".modal .o_searchview_input",
            run: `edit ${CUSTOMER_PREFIX}`,
        },
        {
            content: "Validate the search",
            trigger: ".modal .o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Only the tour's customers are listed: tick the first",
            trigger: `.modal .o_list_view:not(:has(.o_data_row:not(:contains("${CUSTOMER_PREFIX}")))) .o_data_row:contains("${CUSTOMER_1}") .o_list_record_selector input`,
            run: "check",
        },
        {
            content: "Tick the second",
            trigger: `.modal .o_data_row:contains("${CUSTOMER_2}") .o_list_record_selector input`,
            run: "check",
        },
        {
            content: "Select them",
            trigger: ".modal .o_select_button",
            run: "click",
        },
        {
            content: "Both customers are members, with their e-mails",
            trigger: `body:not(:has(.modal)) ${FORM} .o_field_widget[name=partner_ids] .o_data_row:contains("${CUSTOMER_2}"):contains("jean.tour@example.com")`,
        },
        {
            content: "The first one too",
            trigger: `${FORM} .o_field_widget[name=partner_ids] .o_data_row:contains("${CUSTOMER_1}"):contains("ana.tour@example.com")`,
        },
        {
            content: "Save the group",
            trigger: `${FORM} .o_form_button_save`,
            run: "click",
        },
        {
            content: "The group is saved with two members",
            trigger: `${FORM} .o_form_renderer.o_form_saved .o_field_widget[name=partner_count]:contains(2)`,
        },
        // -- Notifications > Customer Notifications > New
        {
            content: "Notifications > Customer Notifications",
            trigger: menu("crm_customer_notification_menu"),
            run: "click",
        },
        {
            content: "The customer notifications list is open: New",
            trigger: `.o_list_view .o_data_row:contains("${OTHER_TITLE}")`,
            run: "click .o_list_view .o_control_panel_main_buttons .o_list_button_add",
        },
        {
            content: "Title",
            trigger: field("name"),
            run: `edit ${TITLE}`,
        },
        {
            content: "Kind: Group",
            trigger: field("kind", "input[data-value=group]"),
            run: "click",
        },
        {
            content: "Choose the group",
            trigger: field("group_id"),
            run: `edit ${GROUP_NAME}`,
        },
        {
            content: "Pick it in the autocomplete",
            trigger: `${FORM} .o_field_widget[name=group_id] .o-autocomplete--dropdown-item a:contains("${GROUP_NAME}")`,
            run: "click",
        },
        {
            content: "Timing: Scheduled",
            trigger: field("timing", "input[data-value=scheduled]"),
            run: "click",
        },
        {
            content: "Send on January 15th of next year, 09:00",
            trigger: field("scheduled_date"),
            run: `edit 01/15/${YEAR} 09:00:00`,
        },
        {
            content: "Write the message",
            trigger: `${FORM} .o_field_widget[name=body] .odoo-editor-editable p`,
            run: `editor ${BODY}`,
        },
        {
            content: "Save",
            trigger: `${FORM} .o_form_button_save`,
            run: "click",
        },
        {
            content: "Saved as a draft",
            trigger: `${FORM} .o_form_renderer.o_form_saved .o_statusbar_status .o_arrow_button_current:contains(Draft)`,
        },
        {
            content: "Send",
            trigger: `${FORM} .o_statusbar_buttons button[name=action_send]:contains(Send)`,
            run: "click",
        },
        {
            content: "Confirm the send",
            trigger: '.modal:contains("Send (or schedule) this notification") .modal-footer .btn-primary',
            run: "click",
        },
        {
            content: "The notification is scheduled",
            trigger: `${FORM} .o_statusbar_status .o_arrow_button_current:contains(Scheduled)`,
        },
        {
            content: "Its next send is the chosen date",
            trigger: `${FORM} .o_field_widget[name=next_date]:contains(01/15/${YEAR})`,
        },
        // -- back to the list, find it, deactivate it
        {
            content: "Back to the list",
            trigger: ".o_control_panel .breadcrumb-item a:contains(Customer Notifications)",
            run: "click",
        },
        {
            content: "Type the title in the search bar",
            trigger: ".o_list_view .o_searchview_input",
            run: `edit ${TITLE}`,
        },
        {
            content: "Select the search result (search the title)",
            trigger: `.o_searchview_autocomplete .o_menu_item:first-child:contains("${TITLE}")`,
            run: "click",
        },
        {
            content: "The list shows only that notification",
            trigger: `.o_searchview .o_facet_values:contains("${TITLE}")`,
        },
        {
            content: "... one row, scheduled",
            trigger: `.o_list_view:not(:has(.o_data_row:contains("${OTHER_TITLE}"))) .o_data_row:contains("${TITLE}") .o_data_cell[name=state]:contains(Scheduled)`,
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row");
                if (rows.length !== 1) {
                    throw new Error(`Expected one row after the search, got ${rows.length}`);
                }
            },
        },
        {
            content: "Click the row's Deactivate button",
            trigger: `.o_list_view .o_data_row:contains("${TITLE}") button[name=action_deactivate]`,
            run: "click",
        },
        {
            content: "Confirm",
            trigger: '.modal:contains("Stop all future sends") .modal-footer .btn-primary',
            run: "click",
        },
        {
            content: "The notification is deactivated, without a Deactivate button any more",
            trigger: `body:not(:has(.modal)) .o_list_view .o_data_row:contains("${TITLE}"):not(:has(button[name=action_deactivate])) .o_data_cell[name=state]:contains(Deactivated)`,
        },
    ],
});
