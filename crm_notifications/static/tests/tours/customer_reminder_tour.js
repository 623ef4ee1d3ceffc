// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {registry} from "@web/core/registry";

// Must match crm_notifications/tests/test_ui_reminder.py
const CUSTOMER_NAME = "Tour: Hoppe Bikes";
const REMINDER_NAME = "Tour: monthly review";

const PREVIEW = ".modal .o_form_view .o_field_widget[name=next_occurrences_preview]";
const REMINDERS = ".o_form_view .o_field_widget[name=reminder_ids]";

// The browser runs on the real clock: activate on January 1st of next year,
// so that the preview starts at the activation and is known in advance.
const YEAR = new Date().getFullYear() + 1;

function pad(number) {
    return String(number).padStart(2, "0");
}

/** "Tue YYYY-MM-DD" of the second Tuesday of the first five months of YEAR. */
function expectedSecondTuesdays() {
    const days = [];
    for (let month = 0; month < 5; month++) {
        const firstWeekday = new Date(YEAR, month, 1).getDay(); // 0 = Sunday, 2 = Tuesday
        const firstTuesday = 1 + ((2 - firstWeekday + 7) % 7);
        days.push(`Tue ${YEAR}-${pad(month + 1)}-${pad(firstTuesday + 7)}`);
    }
    return days;
}

function field(name, inner = "input") {
    return `.modal .o_form_view .o_field_widget[name=${name}] ${inner}`;
}

registry.category("web_tour.tours").add("crm_notifications_reminder_second_tuesday", {
    steps: () => {
        const expected = expectedSecondTuesdays();
        return [
            {
                content: "The customer's form is open",
                trigger: `.o_form_view .o_field_widget[name=name] input:value("${CUSTOMER_NAME}")`,
            },
            {
                content: "The Reminders smart button counts no reminder yet",
                trigger: ".o_form_view .oe_stat_button[name=action_view_reminders]:contains(0)",
            },
            {
                content: "Open the Reminders tab",
                trigger: ".o_form_view .o_notebook .nav-link[name=crm_reminders]",
                run: "click",
            },
            {
                content: "The customer's area is shown",
                trigger: ".o_form_view .o_field_widget[name=crm_area_id] input:value('Tour area')",
            },
            {
                content: "Add a reminder",
                trigger: `${REMINDERS} .o_field_x2many_list_row_add a`,
                run: "click",
            },
            {
                content: "Name the reminder",
                trigger: field("name"),
                run: `edit ${REMINDER_NAME}`,
            },
            {
                content: "Activation on January 1st of next year, 09:00",
                trigger: field("activation_date"),
                run: `edit 01/01/${YEAR} 09:00:00`,
            },
            {
                content: "Make it recurrent",
                trigger: field("recurrency", "input[type=checkbox]"),
                run: "check",
            },
            {
                content: "Repeat every 1...",
                trigger: field("interval"),
                run: "edit 1",
            },
            {
                content: "... Months",
                trigger: field("rrule_type", "select"),
                run: 'select "monthly"',
            },
            {
                content: "Day of month: by weekday ('Day of month' option)",
                trigger: field("month_by", "select"),
                run: 'select "day"',
            },
            {
                content: "Second...",
                trigger: field("byday", "select"),
                run: 'select "2"',
            },
            {
                content: "... Tuesday",
                trigger: field("weekday", "select"),
                run: 'select "TUE"',
            },
            {
                content: "Before saving, the preview starts on the second Tuesday of January",
                trigger: `${PREVIEW}:contains("${expected[0]}")`,
                run() {
                    const lines = document
                        .querySelector(PREVIEW)
                        .textContent.split("\n")
                        .map((line) => line.trim())
                        .filter(Boolean);
                    if (lines.length !== 5) {
                        throw new Error(
                            `Expected five occurrences, got ${lines.length}: ${lines.join(" | ")}`
                        );
                    }
                    const time = lines[0].slice(-5);
                    lines.forEach((line, index) => {
                        if (!/ \d\d:\d\d$/.test(line) || line !== `${expected[index]} ${time}`) {
                            throw new Error(
                                `Occurrence ${index + 1} is "${line}", expected "${expected[index]} ${time}"`
                            );
                        }
                    });
                },
            },
            {
                content: "The preview is still there: save and close the reminder",
                trigger: `${PREVIEW}:contains("${expected[4]}")`,
                run: "click .modal .o_form_button_save",
            },
            {
                content: "The dialog is closed and the reminder is listed",
                trigger: `body:not(:has(.modal)) ${REMINDERS} .o_data_row:contains("${REMINDER_NAME}")`,
            },
            {
                content: "Save the customer",
                trigger: ".o_form_view .o_form_button_save",
                run: "click",
            },
            {
                content: "Saved",
                trigger: ".o_form_view .o_form_renderer.o_form_saved",
            },
            {
                content: "The reminder is among the customer's reminders, with its next occurrence",
                trigger: `${REMINDERS} .o_data_row:contains("${REMINDER_NAME}") .o_data_cell[name=next_date]:contains("${YEAR}")`,
            },
            {
                content: "The smart button counts it",
                trigger: ".o_form_view .oe_stat_button[name=action_view_reminders]:contains(1)",
            },
        ];
    },
});
