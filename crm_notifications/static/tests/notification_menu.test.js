// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {click, contains, start, startServer} from "@mail/../tests/mail_test_helpers";
import {describe, expect, test} from "@odoo/hoot";
import {queryAllTexts, waitUntil} from "@odoo/hoot-dom";
import {advanceTime, animationFrame, Deferred} from "@odoo/hoot-mock";
import {getService, onRpc, serverState} from "@web/../tests/web_test_helpers";

import {COUNTER_SETTLE_DELAY, NOTIFICATION_BUS_TYPE} from "@crm_notifications/services/notification_service";
import {defineCrmNotificationsModels} from "./crm_notifications_test_helpers";

describe.current.tags("desktop");
defineCrmNotificationsModels();

const BELL = ".o_menu_systray .o_crm_notification_systray";
const COUNTER = `${BELL} .o_crm_notification_counter`;
const DROPDOWN = ".o_crm_notification_dropdown";
const ITEM = `${DROPDOWN} .o_crm_notification_item`;

/** Three unread and one read notification for the current user, one for someone else. */
async function setup() {
    const pyEnv = await startServer();
    const otherUserId = pyEnv["res.users"].create({name: "Someone else"});
    const base = {res_model: "res.partner", res_id: serverState.partnerId, author_name: "Alice"};
    pyEnv["crm.notification"].create(
        [
            {...base, title: "Monitors", res_name: "3 monitors", date: "2024-05-01 10:00:00"},
            {...base, title: "Chairs", res_name: "5 chairs", date: "2024-05-02 10:00:00"},
            {...base, title: "Desks", res_name: "12 desks", date: "2024-05-03 10:00:00"},
            {...base, title: "Old one", res_name: "Lamp", date: "2024-04-01 10:00:00", is_read: true},
        ].map((values) => ({...values, user_id: serverState.userId}))
    );
    pyEnv["crm.notification"].create({...base, title: "Not mine", user_id: otherUserId});
    return pyEnv;
}

/**
 * Deliver bus notifications as the websocket worker does, with the ids given
 * (a duplicate, a late one...), and wait until every subscriber has them.
 */
async function deliver(pyEnv, notifications) {
    const received = [];
    const onNotification = (payload, {id}) => received.push(id);
    const busService = getService("bus_service");
    busService.subscribe(NOTIFICATION_BUS_TYPE, onNotification);
    pyEnv["bus.bus"].wsWorker.broadcast(
        "notification",
        notifications.map(({id, count}) => ({
            id,
            message: {type: NOTIFICATION_BUS_TYPE, payload: {unread_count: count}},
        }))
    );
    const ids = notifications.map(({id}) => id);
    await waitUntil(() => received.length === ids.length);
    busService.unsubscribe(NOTIFICATION_BUS_TYPE, onNotification);
    expect(received).toEqual(ids);
    await animationFrame();
}

test("the counter is the server's", async () => {
    await setup();
    await start();
    await contains(COUNTER, {text: "3"});
    expect(COUNTER).toHaveAttribute("title", "3 unread notifications");
});

test("no counter without unread notification", async () => {
    const pyEnv = await setup();
    const ids = pyEnv["crm.notification"].search([["user_id", "=", serverState.userId]]);
    pyEnv["crm.notification"].write(ids, {is_read: true});
    await start();
    await contains(BELL);
    await contains(COUNTER, {count: 0});
});

test("a bus notification raises the counter live", async () => {
    const pyEnv = await setup();
    await start();
    await contains(COUNTER, {text: "3"});
    pyEnv["crm.notification"].create({title: "New", user_id: serverState.userId});
    pyEnv["crm.notification"]._send_unread_count();
    await contains(COUNTER, {text: "4"});
});

test("a duplicate or older bus notification does not change the counter", async () => {
    const pyEnv = await setup();
    await start();
    await contains(COUNTER, {text: "3"});
    const lastId = pyEnv["bus.bus"].lastBusNotificationId;
    await deliver(pyEnv, [{id: lastId + 2, count: 7}]);
    expect(COUNTER).toHaveText("7");
    // the same notification again, then one sent before it
    await deliver(pyEnv, [
        {id: lastId + 2, count: 99},
        {id: lastId + 1, count: 1},
    ]);
    expect(COUNTER).toHaveText("7");
    // the next one applies
    await deliver(pyEnv, [{id: lastId + 3, count: 2}]);
    expect(COUNTER).toHaveText("2");
});

test("a pushed count one off is corrected once the bus is quiet", async () => {
    // two transactions changed the user's notifications at once: the last
    // push says 4, the server holds 3 (the three unread of setup)
    const pyEnv = await setup();
    onRpc("crm.notification", "get_unread_count", () => {
        expect.step("get_unread_count");
    });
    await start();
    await contains(COUNTER, {text: "3"});
    expect.verifySteps(["get_unread_count"]);
    const lastId = pyEnv["bus.bus"].lastBusNotificationId;
    await deliver(pyEnv, [{id: lastId + 1, count: 5}]);
    await deliver(pyEnv, [{id: lastId + 2, count: 4}]);
    expect(COUNTER).toHaveText("4");
    // one read per burst, once the bus has been quiet for the delay
    await advanceTime(COUNTER_SETTLE_DELAY - 100);
    expect.verifySteps([]);
    await advanceTime(200);
    await contains(COUNTER, {text: "3"});
    expect.verifySteps(["get_unread_count"]);
});

test("an answer older than a bus notification does not overwrite it", async () => {
    const pyEnv = await setup();
    await start();
    await contains(COUNTER, {text: "3"});
    // the list is read at once, its answer is delivered when the test says so
    const answers = [];
    onRpc("crm.notification", "systray_get_notifications", async ({parent}) => {
        const result = parent();
        const answer = new Deferred();
        answers.push(answer);
        await answer;
        return result;
    });
    await click(BELL); // read: 3 unread, 4 notifications
    await waitUntil(() => answers.length === 1);
    // meanwhile a new notification is pushed: the list is read again
    pyEnv["crm.notification"].create({
        title: "Newest",
        date: "2024-06-01 10:00:00",
        user_id: serverState.userId,
    });
    pyEnv["crm.notification"]._send_unread_count();
    await contains(COUNTER, {text: "4"});
    // the first answer arrives: its list is shown, its counter (3) is not
    answers[0].resolve();
    await contains(ITEM, {count: 4});
    expect(COUNTER).toHaveText("4");
    // then the second one
    await waitUntil(() => answers.length === 2);
    answers[1].resolve();
    await contains(ITEM, {count: 5});
    expect(COUNTER).toHaveText("4");
    expect(queryAllTexts(`${ITEM} .o_crm_notification_title`)).toEqual([
        "Newest",
        "Desks",
        "Chairs",
        "Monitors",
        "Old one",
    ]);
});

test("opening the bell lists the notifications", async () => {
    await setup();
    await start();
    await contains(COUNTER, {text: "3"});
    await click(BELL);
    await contains(ITEM, {count: 4});
    expect(queryAllTexts(`${ITEM} .o_crm_notification_title`)).toEqual([
        "Desks",
        "Chairs",
        "Monitors",
        "Old one",
    ]);
    await contains(`${ITEM}.o_crm_notification_unread`, {count: 3});
    await contains(`${ITEM}.o_crm_notification_read`, {text: "Old one"});
    await contains(`${ITEM}:contains("Not mine")`, {count: 0});
    await contains(`${DROPDOWN} .o_crm_notification_mark_read:disabled`);
});

test("marking as read lowers the counter", async () => {
    await setup();
    await start();
    await contains(COUNTER, {text: "3"});
    await click(BELL);
    await contains(ITEM, {count: 4});
    await click(`${ITEM}:contains("Chairs") input.o_crm_notification_select`);
    await click(`${ITEM}:contains("Monitors") input.o_crm_notification_select`);
    await click(`${DROPDOWN} .o_crm_notification_mark_read:enabled`);
    await contains(COUNTER, {text: "1"});
    await contains(`${ITEM}.o_crm_notification_read`, {count: 3});
    await contains(`${ITEM}.o_crm_notification_unread`, {text: "Desks"});
    await contains(`${ITEM} input.o_crm_notification_select:checked`, {count: 0});
    await click(`${DROPDOWN} .o_crm_notification_mark_all_read`);
    await contains(COUNTER, {count: 0});
    await contains(`${ITEM}.o_crm_notification_unread`, {count: 0});
});

test("the counter is fetched again when the websocket reconnects", async () => {
    const pyEnv = await setup();
    await start();
    await contains(COUNTER, {text: "3"});
    // changed while the websocket was down: no bus notification came
    const ids = pyEnv["crm.notification"].search([["title", "in", ["Desks", "Chairs"]]]);
    pyEnv["crm.notification"].write(ids, {is_read: true});
    await animationFrame();
    expect(COUNTER).toHaveText("3");
    pyEnv["bus.bus"].wsWorker.broadcast("reconnect");
    await contains(COUNTER, {text: "1"});
});

test("a long title has its full text in a tooltip, a message its snippet", async () => {
    const pyEnv = await setup();
    const title = `New message on ${"a very long opportunity name ".repeat(6).trim()}`;
    const snippet = "Can you <b>call</b> me back about the 50 chairs? The customer asked for a second quote.";
    pyEnv["crm.notification"].create({
        title,
        body: snippet,
        event: "message",
        res_model: "res.partner",
        res_id: serverState.partnerId,
        res_name: "50 chairs",
        author_name: "Alice",
        date: "2024-06-01 10:00:00",
        user_id: serverState.userId,
    });
    await start();
    await click(BELL);
    await contains(ITEM, {count: 5});
    const item = `${ITEM}:contains("50 chairs")`;
    expect(`${item} .o_crm_notification_title`).toHaveAttribute("title", title);
    expect(`${item} .o_crm_notification_title`).toHaveText(title);
    // the snippet is text: the message's markup is shown, never rendered
    expect(`${item} .o_crm_notification_body`).toHaveText(snippet);
    expect(`${item} .o_crm_notification_body`).toHaveAttribute("title", snippet);
    expect(`${item} .o_crm_notification_body b`).toHaveCount(0);
    // notifications without a body have no snippet
    await contains(`${ITEM}:contains("Desks") .o_crm_notification_body`, {count: 0});
});

// ----------------------------------------------------------------------
// Noise control (issue 12): why, resolved, snooze, mute
// ----------------------------------------------------------------------

const REASON = "You are the Salesperson of this Lead/Opportunity — rule Lead assigned";

/** The setup's notifications, plus where they come from and one resolved. */
async function setupNoise() {
    const pyEnv = await setup();
    const ids = pyEnv["crm.notification"].search([["user_id", "=", serverState.userId]]);
    pyEnv["crm.notification"].write(ids, {reason: REASON, rule_name: "Lead assigned"});
    const [desks] = pyEnv["crm.notification"].search([["title", "=", "Desks"]]);
    pyEnv["crm.notification"].write([desks], {rule_name: "Locked rule", rule_is_locked: true});
    pyEnv["crm.notification"].create({
        title: "Gone",
        res_model: "res.partner",
        res_id: serverState.partnerId,
        res_name: "Reassigned lead",
        author_name: "Alice",
        date: "2024-05-04 10:00:00",
        reason: REASON,
        rule_name: "Lead assigned",
        is_resolved: true,
        user_id: serverState.userId,
    });
    return pyEnv;
}

test("an item says why; a resolved one is shown as such and not counted", async () => {
    const pyEnv = await setupNoise();
    const monitorsIds = pyEnv["crm.notification"].search([["title", "=", "Monitors"]]);
    pyEnv["crm.notification"].write(monitorsIds, {reason: false});
    await start();
    // "Gone" is unread but resolved: not in the counter
    await contains(COUNTER, {text: "3"});
    await click(BELL);
    await contains(ITEM, {count: 5});
    const chairs = `${ITEM}:contains("Chairs")`;
    expect(`${chairs} .o_crm_notification_reason`).toHaveText(REASON);
    expect(`${chairs} .o_crm_notification_reason`).toHaveAttribute("title", REASON);
    const gone = `${ITEM}:contains("Gone")`;
    expect(gone).toHaveClass("o_crm_notification_resolved");
    expect(gone).not.toHaveClass("o_crm_notification_unread");
    expect(`${gone} .o_crm_notification_resolved_badge`).toHaveText("Resolved");
    expect(`${gone} .o_crm_notification_marker`).toHaveCount(0);
    await contains(`${ITEM}.o_crm_notification_unread`, {count: 3});
    // a resolved one can still be muted, not snoozed
    await click(`${gone} .o_crm_notification_actions_toggle`);
    await contains(`${gone} .o_crm_notification_mute`);
    await contains(`${gone} .o_crm_notification_snooze_hour`, {count: 0});
    // without a reason, no line
    await contains(`${ITEM}:contains("Monitors") .o_crm_notification_reason`, {count: 0});
});

test("the item's actions open below it, without opening its record", async () => {
    await setupNoise();
    onRpc("crm.notification", "action_open_record", () => {
        expect.step("action_open_record");
    });
    await start();
    await click(BELL);
    await contains(ITEM, {count: 5});
    await contains(`${DROPDOWN} .o_crm_notification_item_actions`, {count: 0});
    const chairs = `${ITEM}:contains("Chairs")`;
    await click(`${chairs} .o_crm_notification_actions_toggle`);
    await contains(`${chairs} .o_crm_notification_item_actions`);
    expect(`${chairs} .o_crm_notification_actions_toggle`).toHaveAttribute("aria-expanded", "true");
    expect(queryAllTexts(`${chairs} .o_crm_notification_item_actions button`)).toEqual([
        "Snooze 1 hour",
        "Snooze until tomorrow 08:00",
        "Mute this rule",
    ]);
    // one item's actions at a time
    await click(`${ITEM}:contains("Monitors") .o_crm_notification_actions_toggle`);
    await contains(`${DROPDOWN} .o_crm_notification_item_actions`, {count: 1});
    await contains(`${ITEM}:contains("Monitors") .o_crm_notification_item_actions`);
    // and closed again
    await click(`${ITEM}:contains("Monitors") .o_crm_notification_actions_toggle`);
    await contains(`${DROPDOWN} .o_crm_notification_item_actions`, {count: 0});
    await contains(DROPDOWN);
    expect.verifySteps([]);
});

test("Snooze 1 hour takes the item out of the bell and the counter", async () => {
    const pyEnv = await setupNoise();
    const [chairsId] = pyEnv["crm.notification"].search([["title", "=", "Chairs"]]);
    let presets;
    onRpc("crm.notification", "systray_get_notifications", ({parent}) => {
        const result = parent();
        presets = result.snooze_presets;
        return result;
    });
    onRpc("crm.notification", "action_snooze", ({args}) => {
        expect.step(`action_snooze ${JSON.stringify(args)}`);
    });
    await start();
    await contains(COUNTER, {text: "3"});
    await click(BELL);
    const chairs = `${ITEM}:contains("Chairs")`;
    await click(`${chairs} .o_crm_notification_actions_toggle`);
    await click(`${chairs} .o_crm_notification_snooze_hour`);
    await contains(chairs, {count: 0});
    await contains(COUNTER, {text: "2"});
    await contains(ITEM, {count: 4});
    expect.verifySteps([`action_snooze ${JSON.stringify([[chairsId], presets.hour])}`]);
    const [chairsRecord] = pyEnv["crm.notification"].read([chairsId]);
    expect(chairsRecord.snoozed_until).toBe(presets.hour);
    // the dropdown stays open, its list refreshed
    await contains(`${DROPDOWN} .o_crm_notification_item_actions`, {count: 0});
});

test("Snooze until tomorrow uses the server's time, a read one comes back unread", async () => {
    const pyEnv = await setupNoise();
    const [oldId] = pyEnv["crm.notification"].search([["title", "=", "Old one"]]);
    let presets;
    onRpc("crm.notification", "systray_get_notifications", ({parent}) => {
        const result = parent();
        presets = result.snooze_presets;
        return result;
    });
    onRpc("crm.notification", "action_snooze", ({args}) => {
        expect.step(`action_snooze ${JSON.stringify(args)}`);
    });
    await start();
    await click(BELL);
    const old = `${ITEM}:contains("Old one")`;
    await click(`${old} .o_crm_notification_actions_toggle`);
    await click(`${old} .o_crm_notification_snooze_tomorrow`);
    await contains(old, {count: 0});
    expect.verifySteps([`action_snooze ${JSON.stringify([[oldId], presets.tomorrow])}`]);
    expect(presets.tomorrow).toMatch(/ 08:00:00$/);
    const [record] = pyEnv["crm.notification"].read([oldId]);
    expect(record.snoozed_until).toBe(presets.tomorrow);
    expect(record.is_read).toBe(false);
    // out of the count until then
    expect(COUNTER).toHaveText("3");
});

test("Mute this rule: only where the rule may be muted; the server's message is shown", async () => {
    const pyEnv = await setupNoise();
    const [chairsId] = pyEnv["crm.notification"].search([["title", "=", "Chairs"]]);
    onRpc("crm.notification", "action_mute_rule", ({args}) => {
        expect.step(`action_mute_rule ${JSON.stringify(args)}`);
    });
    await start();
    await click(BELL);
    // a locked rule: snooze only
    const desks = `${ITEM}:contains("Desks")`;
    await click(`${desks} .o_crm_notification_actions_toggle`);
    await contains(`${desks} .o_crm_notification_snooze_hour`);
    await contains(`${desks} .o_crm_notification_mute`, {count: 0});
    const chairs = `${ITEM}:contains("Chairs")`;
    await click(`${chairs} .o_crm_notification_actions_toggle`);
    await click(`${chairs} .o_crm_notification_mute`);
    await contains(".o_notification", {
        text: "You will no longer be notified by the rule Lead assigned. Undo in your preferences.",
    });
    expect.verifySteps([`action_mute_rule ${JSON.stringify([[chairsId]])}`]);
    // the notification itself stays, unread; the bell stays open
    await contains(`${ITEM}.o_crm_notification_unread:contains("Chairs")`);
    await contains(`${DROPDOWN} .o_crm_notification_item_actions`, {count: 0});
    expect(COUNTER).toHaveText("3");
});

test("a notification without a rule that may be muted, resolved: no actions at all", async () => {
    const pyEnv = await setup();
    const ids = pyEnv["crm.notification"].search([["user_id", "=", serverState.userId]]);
    pyEnv["crm.notification"].write(ids, {is_resolved: true});
    await start();
    await contains(BELL);
    await contains(COUNTER, {count: 0});
    await click(BELL);
    await contains(`${ITEM}.o_crm_notification_resolved`, {count: 4});
    await contains(`${DROPDOWN} .o_crm_notification_actions_toggle`, {count: 0});
});

test("an escalation is answered from the bell, without opening its record", async () => {
    const pyEnv = await setup();
    const [chairsId] = pyEnv["crm.notification"].search([["title", "=", "Chairs"]]);
    const [desksId] = pyEnv["crm.notification"].search([["title", "=", "Desks"]]);
    pyEnv["crm.notification"].write([chairsId, desksId], {event: "activity_late"});
    onRpc("crm.notification", "action_open_record", () => expect.step("action_open_record"));
    onRpc("crm.notification", "action_acknowledge", ({args}) => expect.step(`acknowledge ${args[0]}`));
    onRpc("crm.notification", "action_take_over", ({args}) => expect.step(`take over ${args[0]}`));
    await start();
    await contains(COUNTER, {text: "3"});
    await click(BELL);
    const chairs = `${ITEM}:contains("Chairs")`;
    const desks = `${ITEM}:contains("Desks")`;
    // only the escalations offer the answers
    await contains(`${DROPDOWN} .o_crm_notification_answers`, {count: 2});
    expect(queryAllTexts(`${chairs} .o_crm_notification_answers button`)).toEqual([
        "Acknowledge",
        "Take over",
    ]);
    await click(`${chairs} .o_crm_notification_acknowledge`);
    await contains(".o_notification", {
        text: "Escalation acknowledged: no further escalation of this activity.",
    });
    // acknowledged and read; it can still be taken over
    await contains(`${chairs}.o_crm_notification_read .o_crm_notification_take_over`);
    await contains(`${chairs} .o_crm_notification_acknowledge`, {count: 0});
    await contains(COUNTER, {text: "2"});
    await click(`${desks} .o_crm_notification_take_over`);
    await contains(".o_notification", {text: "The activity is now assigned to you."});
    await contains(`${desks} .o_crm_notification_answers`, {count: 0});
    await contains(COUNTER, {text: "1"});
    // the dropdown stays open
    await contains(DROPDOWN);
    expect.verifySteps([`acknowledge ${chairsId}`, `take over ${desksId}`]);
});
