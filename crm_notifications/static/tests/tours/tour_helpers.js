// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
/** Selectors and checks of the bell shared by the tours. */

export const BELL = ".o_menu_systray .o_crm_notification_systray";
export const BELL_WITHOUT_COUNTER = `${BELL}:not(:has(.o_crm_notification_counter))`;
export const DROPDOWN = ".o_crm_notification_dropdown";

/** The bell's counter showing exactly ``count``. */
export function counterIs(count) {
    return `${BELL} .o_crm_notification_counter:contains(/^${count}$/)`;
}

/**
 * The bell's item holding ``text``; ``state``: a class selector to add
 * (".o_crm_notification_unread"...).
 */
export function item(text, state = "") {
    return `${DROPDOWN} .o_crm_notification_item${state}:contains("${text}")`;
}

/** Throw unless every element of ``selector`` is within the window's width. */
export function assertOnScreen(selector) {
    const elements = document.querySelectorAll(selector);
    if (!elements.length) {
        throw new Error(`Nothing matches ${selector}`);
    }
    for (const element of elements) {
        const {left, right, width} = element.getBoundingClientRect();
        if (left < 0 || right > window.innerWidth + 0.5 || width <= 0) {
            throw new Error(
                `${selector} is off-screen: left ${left}, right ${right}, window ${window.innerWidth}`
            );
        }
    }
}
