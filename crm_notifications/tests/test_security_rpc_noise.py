# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Attacks on noise control through the RPC layer: the preferences per user
and rule (their model, the one2many of ``res.users`` written from the
preferences dialog, the rules' own one2many), locked rules, muting and
snoozing notifications, the fields of a notification a recipient may not
write, the daily digest hour, the overflow summary's list of records, and
the rules' new fields.

Same roles and fixture as ``test_security_rpc`` (``SecurityRpcCase``): the
lowest role that could try, through ``/web/dataset/call_kw`` and XML-RPC,
with what a hostile client may send. Every test reads the database as the
superuser afterwards: a refused call must have written nothing.
"""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SecurityRpcCase

P = "crm.notification.preference"
N = "crm.notification"
# what Odoo answers a write on someone else's record, or on one's own that
# record rules no longer allow afterwards
NO_WRITE = "doesn't have 'write' access"
NO_READ = "doesn't have 'read' access"
# crm.notification.write: recipients only change these
ONLY_READ_FLAG = "You can only mark your notifications as read or unread."
INVALID_CHANGE = "Notifications per Rule: invalid change."
# a sane snooze
IN_A_MONTH = fields.Datetime.to_string(fields.Datetime.now() + timedelta(days=30))


@tagged("post_install", "-at_install")
class TestSecurityRpcNoise(SecurityRpcCase):
    """Preferences, locked rules, mute, snooze, the digest hour and the
    overflow summary, attacked by a portal user, own-documents salesmen, a
    plain internal user and the second company's user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.lead_rule = env.ref("crm_notifications.rule_lead_assigned")
        cls.activity_rule = env.ref("crm_notifications.rule_activity_assigned")
        cls.campaign_rule = env.ref("crm_notifications.rule_campaign_assigned")
        # nobody's preference: a new one for it clashes with no other
        cls.project_rule = env.ref("crm_notifications.rule_project_assigned")
        # administrators lock the task rule: nobody turns it off
        cls.locked_rule = env.ref("crm_notifications.rule_task_assigned")
        cls.locked_rule.write({"is_locked": True, "default_mode": "inapp"})
        (cls.lead_rule | cls.activity_rule | cls.campaign_rule | cls.project_rule).write({
            "is_locked": False, "default_mode": "inapp", "cap_per_day": 0})
        Preference = env[P]
        Preference.search([("user_id", "in", (cls.attackers | cls.admin).ids)]).unlink()
        # the victims' own choices
        cls.pref_sal2 = Preference.create({"user_id": cls.sal2.id, "rule_id": cls.lead_rule.id, "mode": "email"})
        cls.pref_sal2_off = Preference.create({"user_id": cls.sal2.id, "rule_id": cls.campaign_rule.id,
                                               "mode": "off"})
        cls.pref_sal = Preference.create({"user_id": cls.sal.id, "rule_id": cls.activity_rule.id, "mode": "digest"})
        # the victims' notifications, of an unlocked and of the locked rule
        cls.lead_sal = env["crm.lead"].create({"name": "Sal's secret deal", "user_id": cls.sal.id})
        cls.lead_sal2 = env["crm.lead"].create({"name": "Sal2's secret deal", "user_id": cls.sal2.id})
        env.flush_all()
        env.cr.precommit.run()
        Notification = env[N]
        Notification.search([("user_id", "in", (cls.attackers | cls.admin).ids)]).unlink()

        def notification(user, rule, lead, title):
            return Notification.create({
                "user_id": user.id, "rule_id": rule.id, "res_model": "crm.lead", "res_id": lead.id,
                "res_model_id": env["ir.model"]._get_id("crm.lead"), "res_name": lead.name,
                "title": title, "event": "assigned", "source_model": "crm.lead", "source_id": lead.id,
                "reason_role": "user_id",
            })

        cls.note_sal = notification(cls.sal, cls.lead_rule, cls.lead_sal, "Assigned to you: Sal's secret deal")
        cls.note_sal_locked = notification(cls.sal, cls.locked_rule, cls.lead_sal, "Locked for Sal")
        cls.note_sal2 = notification(cls.sal2, cls.lead_rule, cls.lead_sal2, "Assigned to you: Sal2's secret deal")
        cls.note_c2 = notification(cls.c2, cls.lead_rule, cls.lead_sal2, "For the second company's user")
        env.flush_all()
        env.cr.precommit.run()

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def preferences(self):
        """Every preference as (id, user, rule, mode), read as the superuser."""
        self.env.invalidate_all()
        return sorted((p.id, p.user_id.login, p.rule_id.id, p.mode) for p in self.env[P].sudo().search([]))

    def notification_state(self, notifications):
        """What a refused write must leave as it was, read as the superuser."""
        self.env.invalidate_all()
        names = ["user_id", "rule_id", "title", "body", "res_model", "res_id", "event", "is_read", "read_date",
                 "is_resolved", "snoozed_until", "reason_role", "overflow_res_ids", "overflow_count",
                 "is_digest", "date", "source_model", "source_id"]
        return notifications.sudo().read(names)

    def rule_state(self, rules):
        self.env.invalidate_all()
        return rules.sudo().read(["default_mode", "is_locked", "cap_per_day", "active", "name", "preference_ids"])

    def refused_naming(self, outcome, exception, label, msg=None):
        """Refused with exactly ``exception``, whose message names ``label``
        as the addon's and Odoo's checks do ("Label: ...")."""
        self.assert_refused(outcome, exception, msg=msg)
        self.assert_named_error(outcome, label, msg)

    def refused_with(self, outcome, exception, text, msg=None):
        error = self.assert_refused(outcome, exception, msg=msg)
        self.assertIn(text, error["message"], msg)

    def fault_says(self, outcome, text, msg=None):
        """An XML-RPC ``outcome`` refused with ``text`` in the fault."""
        result, fault = outcome
        self.assertIsNotNone(fault, f"{msg}: not refused by XML-RPC, answered {str(result)[:300]!r}")
        self.assertIn(text, fault, msg)

    def users_write(self, user_ids, commands, **values):
        return self.call("res.users", "write", user_ids, dict(values, crm_notification_preference_ids=commands))

    # ------------------------------------------------------------
    # 1. Other users' preferences, on the model itself
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_others_preferences_not_read_written_created_or_removed(self):
        """An own-documents salesman and a plain internal user on another
        salesman's preferences: read, write (mode, user, rule), unlink, copy
        (to themselves), create one for him (directly, through a context
        default, through import), by JSON-RPC and XML-RPC; searches and
        groupings find none of his. All refused; nothing changed."""
        before = self.preferences()
        theirs = self.pref_sal2.ids
        for attacker in (self.sal, self.employee):
            self.login(attacker)
            for label, outcome in {
                "read": self.call(P, "read", theirs, ["mode", "rule_id"]),
                "write mode": self.call(P, "write", theirs, {"mode": "off"}),
                "take it": self.call(P, "write", theirs, {"user_id": attacker.id}),
                "write rule": self.call(P, "write", theirs, {"rule_id": self.activity_rule.id}),
                "unlink": self.call(P, "unlink", theirs),
                "copy": self.call(P, "copy", theirs, {"user_id": attacker.id, "rule_id": self.locked_rule.id}),
            }.items():
                with self.subTest(attacker=attacker.login, attempt=label):
                    self.assert_refused(outcome)
            for label, values, context in (
                ("create", {"user_id": self.sal2.id, "rule_id": self.activity_rule.id, "mode": "off"}, {}),
                ("context default", {"rule_id": self.activity_rule.id, "mode": "off"},
                 {"default_user_id": self.sal2.id}),
            ):
                with self.subTest(attacker=attacker.login, attempt=label):
                    self.refused_with(self.call(P, "create", values, context=context), "AccessError",
                                      "doesn't have 'create' access")
            imported = self.ok(self.call(P, "load", ["user_id/.id", "rule_id/.id", "mode"],
                                         [[str(self.sal2.id), str(self.activity_rule.id), "off"]]))
            self.assertFalse(imported["ids"], "import created a preference for someone else")
            self.assertEqual([m["type"] for m in imported["messages"]], ["error"])
            self.assertFalse(self.ok(self.call(P, "search", [("user_id", "=", self.sal2.id)])))
            self.assertEqual(self.ok(self.call(P, "search_count", [("mode", "=", "off")])), 0)
            groups = self.ok(self.call(P, "read_group", [], ["user_id"], ["user_id"]))
            self.assertFalse([g for g in groups if g["user_id"] and g["user_id"][0] == self.sal2.id])
            for method, args in (("write", [theirs, {"mode": "off"}]), ("unlink", [theirs]),
                                 ("create", [{"user_id": self.sal2.id, "rule_id": self.activity_rule.id,
                                              "mode": "off"}])):
                with self.subTest(attacker=attacker.login, xmlrpc=method):
                    self.fault_says(self.xmlrpc(attacker, P, method, *args), "doesn't have", method)
        self.assertEqual(self.preferences(), before)

    @mute_logger("odoo.http")
    def test_own_preference_not_moved_onto_a_colleague(self):
        """The hole this file found: record rules are checked before a write,
        not after, so a salesman wrote ``user_id`` on his own "off"
        preference and it became his colleague's: the colleague no longer
        heard of leads assigned to him. Moving it (alone, with a mode, by
        XML-RPC, in a batch with his own) is refused now; his colleague is
        still notified. Administrators still move anybody's."""
        self.login(self.sal)
        mine = self.ok(self.call(P, "create", {"rule_id": self.lead_rule.id, "mode": "off"}))
        other = self.ok(self.call(P, "create", {"rule_id": self.locked_rule.id, "mode": "digest"}))
        # the colleague has no preference for the lead rule: no unique clash hides the move
        victim = self.salall
        for label, outcome in {
            "alone": self.call(P, "write", [mine], {"user_id": victim.id}),
            "with a mode": self.call(P, "write", [mine], {"user_id": victim.id, "mode": "off"}),
            "in a batch": self.call(P, "write", [mine, other], {"user_id": victim.id}),
        }.items():
            with self.subTest(attempt=label):
                self.refused_with(outcome, "AccessError", NO_WRITE)
        self.fault_says(self.xmlrpc(self.sal, P, "write", [mine], {"user_id": victim.id}), NO_WRITE)
        self.assertEqual(self.env[P].browse([mine, other]).mapped("user_id"), self.sal)
        self.assertFalse(self.env[P].search([("user_id", "=", victim.id)]))
        # the colleague is still told of his leads
        self.env["crm.lead"].create({"name": "For the colleague", "user_id": victim.id})
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertTrue(self.env[N].search([("user_id", "=", victim.id), ("rule_id", "=", self.lead_rule.id)]))
        # his own mode is still his to change, and an administrator moves it
        self.ok(self.call(P, "write", [mine], {"mode": "inapp", "user_id": self.sal.id}))
        self.login(self.admin)
        self.ok(self.call(P, "write", [mine], {"user_id": victim.id}))
        self.assertEqual(self.env[P].browse(mine).user_id, victim)

    # ------------------------------------------------------------
    # 2. Through res.users (the preferences dialog)
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_preference_commands_on_my_user(self):
        """``res.users.write`` on one's own record (what Odoo writes as
        superuser for self-writeable fields) with every command aimed at a
        colleague's preference: update, delete, unlink, link, set, clear,
        update moving one's own to him; and malformed commands. By
        ``write``, ``web_save`` and XML-RPC. Each refused as written below,
        nothing changed. A new line names its writer, whatever user it says."""
        before = self.preferences()
        theirs, mine = self.pref_sal2.id, self.pref_sal.id
        self.login(self.sal)
        refusals = {
            "update theirs": ([Command.update(theirs, {"mode": "off"})], "AccessError", NO_READ),
            "update theirs as mine": ([Command.update(theirs, {"user_id": self.sal.id})], "AccessError", NO_READ),
            "delete theirs": ([Command.delete(theirs)], "AccessError", NO_READ),
            "unlink theirs": ([Command.unlink(theirs)], "AccessError", NO_READ),
            "link theirs": ([Command.link(theirs)], "AccessError", NO_READ),
            "set theirs": ([Command.set([theirs])], "UserError", INVALID_CHANGE),
            "set mine": ([Command.set([mine])], "UserError", INVALID_CHANGE),
            "clear": ([Command.clear()], "UserError", INVALID_CHANGE),
            "move mine": ([Command.update(mine, {"user_id": self.sal2.id})], "UserError",
                          "a preference cannot be moved to another user"),
            "move mine, id as text": ([Command.update(mine, {"user_id": str(self.sal.id)})], "UserError",
                                      "a preference cannot be moved to another user"),
            "unknown id": ([Command.link(2**31 - 1)], "UserError", "is not one of"),
            # malformed: a named refusal, never a raw Python or database error
            "not a list": (5, "UserError", INVALID_CHANGE),
            "a string": ("garbage", "UserError", INVALID_CHANGE),
            "no values": ([[1, mine]], "UserError", INVALID_CHANGE),
            "code alone": ([[0]], "UserError", INVALID_CHANGE),
            "values not a dict": ([[0, 0, "x"]], "UserError", INVALID_CHANGE),
            "id as text": ([[1, "x", {"mode": "off"}]], "UserError", INVALID_CHANGE),
            "id as bool": ([[2, True]], "UserError", INVALID_CHANGE),
            "unknown code": ([[7, mine, {}]], "UserError", INVALID_CHANGE),
            "valid then hostile": ([Command.create({"rule_id": self.locked_rule.id, "mode": "email"}),
                                    Command.delete(theirs)], "AccessError", NO_READ),
        }
        for label, (commands, exception, text) in refusals.items():
            with self.subTest(attempt=label):
                self.refused_with(self.users_write(self.sal.ids, commands), exception, text, label)
        self.refused_with(self.call("res.users", "web_save", self.sal.ids, {
            "crm_notification_preference_ids": [Command.update(theirs, {"mode": "off"})]},
            specification={"crm_notification_preference_ids": {"fields": {"mode": {}}}}), "AccessError", NO_READ)
        self.fault_says(self.xmlrpc(self.sal, "res.users", "write", self.sal.ids, {
            "crm_notification_preference_ids": [[2, theirs, 0]]}), NO_READ)
        # a self-writeable field with one that is not: the preferences are
        # applied first, and must go with the refusal
        self.refused_with(self.users_write(self.sal.ids, [Command.create({"rule_id": self.lead_rule.id,
                                                                          "mode": "off"})], login="hijack"),
                          "AccessError", "You are not allowed to modify 'User'")
        self.assertEqual(self.preferences(), before)
        self.assertEqual(self.sal.login, "rpc_sal")
        # a new line is the writer's, whatever user_id it names
        result = self.ok(self.call("res.users", "web_save", self.sal.ids, {"crm_notification_preference_ids": [
            Command.create({"rule_id": self.lead_rule.id, "mode": "off", "user_id": self.sal2.id})]},
            specification={"crm_notification_preference_ids": {"fields": {"user_id": {}, "rule_id": {}}}}))
        created = [line for line in result[0]["crm_notification_preference_ids"]
                   if line["rule_id"] == self.lead_rule.id]
        self.assertEqual([line["user_id"] for line in created], [self.sal.id])
        self.assertEqual(self.env[P].search([("user_id", "=", self.sal2.id)]), self.pref_sal2 | self.pref_sal2_off)
        self.assertEqual(self.pref_sal2.mode, "email")

    @mute_logger("odoo.http")
    def test_preference_commands_on_a_colleagues_user(self):
        """``res.users.write`` on a colleague's record (or on his and one's
        own at once) with a new line, an update, a delete: refused as the
        current user (record rules), by an own-documents salesman, a plain
        internal user and the second company's user; nothing written."""
        before = self.preferences()
        for attacker in (self.sal, self.employee, self.c2):
            self.login(attacker)
            for label, (user_ids, commands) in {
                "create": (self.sal2.ids, [Command.create({"rule_id": self.project_rule.id, "mode": "off"})]),
                # his own line first, then the colleague's: all undone
                "create, both": ([attacker.id, self.sal2.id],
                                 [Command.create({"rule_id": self.project_rule.id, "mode": "off"})]),
                "update": (self.sal2.ids, [Command.update(self.pref_sal2.id, {"mode": "off"})]),
                "delete": (self.sal2.ids, [Command.delete(self.pref_sal2.id)]),
            }.items():
                with self.subTest(attacker=attacker.login, attempt=label):
                    self.assert_refused(self.users_write(user_ids, commands))
            with self.subTest(attacker=attacker.login, xmlrpc="create"):
                # XML-RPC marshals no enum: the commands as plain lists
                self.fault_says(self.xmlrpc(attacker, "res.users", "write", self.sal2.ids, {
                    "crm_notification_preference_ids": [[0, 0, {"rule_id": self.project_rule.id, "mode": "off"}]]}),
                    "doesn't have 'create' access")
        self.assertEqual(self.preferences(), before)

    @mute_logger("odoo.http")
    def test_others_preferences_not_revealed_through_relations(self):
        """A colleague's choices (he turned the campaign rule off) through the
        one2many of his user and of the rule, and through searches on them:
        the salesman finds only his own."""
        self.login(self.sal)
        self.assertEqual(self.ok(self.call("res.users", "read", self.sal2.ids, ["crm_notification_preference_ids"])),
                         [{"id": self.sal2.id, "crm_notification_preference_ids": []}])
        rules = self.ok(self.call("crm.notification.rule", "read", (self.lead_rule | self.activity_rule).ids,
                                  ["preference_ids"]))
        self.assertEqual({r["id"]: r["preference_ids"] for r in rules},
                         {self.lead_rule.id: [], self.activity_rule.id: self.pref_sal.ids})
        for model, domain in (
            ("crm.notification.rule", [("preference_ids.user_id", "=", self.sal2.id)]),
            ("crm.notification.rule", [("preference_ids.mode", "=", "off")]),
            ("res.users", [("crm_notification_preference_ids.mode", "=", "off")]),
            ("res.users", [("crm_notification_preference_ids.rule_id", "=", self.campaign_rule.id)]),
            (N, [("rule_id.preference_ids.user_id", "=", self.sal2.id)]),
        ):
            with self.subTest(model=model, domain=domain):
                self.assertEqual(self.ok(self.call(model, "search", domain)), [])

    # ------------------------------------------------------------
    # 3. Locked rules stay on
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_locked_rule_not_turned_off_by_any_way(self):
        """A plain internal user and an own-documents salesman turn the locked
        rule off: creating an "off" preference, setting theirs to off,
        moving an "off" one onto the locked rule, through ``res.users``
        (new line, update), by XML-RPC, by muting it from a notification
        (alone, or with one of an unlocked rule: nothing of it half-done),
        and by writing the rule's lock through the preference's related
        fields. Each refused naming the field; the rule still locked."""
        self.login(self.employee)
        before = self.preferences()
        for label, outcome in {
            "create off": self.call(P, "create", {"rule_id": self.locked_rule.id, "mode": "off",
                                                  "user_id": self.employee.id}),
            "users: new line": self.users_write(self.employee.ids, [Command.create({
                "rule_id": self.locked_rule.id, "mode": "off"})]),
        }.items():
            with self.subTest(attempt=label):
                self.refused_naming(outcome, "ValidationError", "Mode", label)
        self.fault_says(self.xmlrpc(self.employee, P, "create", {"rule_id": self.locked_rule.id, "mode": "off"}),
                        "Mode: the rule")
        self.assertEqual(self.preferences(), before)
        on_locked = self.ok(self.call(P, "create", {"rule_id": self.locked_rule.id, "mode": "digest"}))
        off_unlocked = self.ok(self.call(P, "create", {"rule_id": self.lead_rule.id, "mode": "off"}))
        rule_before = self.rule_state(self.locked_rule)
        before = self.preferences()
        for label, outcome in {
            "set mine off": self.call(P, "write", [on_locked], {"mode": "off"}),
            "move an off onto it": self.call(P, "write", [off_unlocked], {"rule_id": self.locked_rule.id}),
            "users: update": self.users_write(self.employee.ids, [Command.update(on_locked, {"mode": "off"})]),
            "users: rule of an off": self.users_write(self.employee.ids, [Command.update(off_unlocked, {
                "rule_id": self.locked_rule.id})]),
        }.items():
            with self.subTest(attempt=label):
                self.refused_naming(outcome, "ValidationError", "Mode", label)
        self.fault_says(self.xmlrpc(self.employee, P, "write", [on_locked], {"mode": "off"}), "Mode: the rule")
        # the related fields show the rule's settings; writing them changes no rule
        for values in ({"rule_is_locked": False}, {"rule_default_mode": "off"},
                       {"rule_is_locked": False, "mode": "off"}):
            with self.subTest(related=values):
                outcome = self.call(P, "write", [on_locked], values)
                if "mode" in values:
                    self.refused_naming(outcome, "ValidationError", "Mode")
        self.assertEqual(self.rule_state(self.locked_rule), rule_before)
        self.assertEqual(self.preferences(), before)

        self.login(self.sal)
        before = self.preferences()
        for label, ids in {"locked": self.note_sal_locked.ids,
                           "unlocked and locked": (self.note_sal | self.note_sal_locked).ids}.items():
            with self.subTest(mute=label):
                self.refused_naming(self.call(N, "action_mute_rule", ids), "UserError", "Rule")
        self.fault_says(self.xmlrpc(self.sal, N, "action_mute_rule", self.note_sal_locked.ids), "is locked")
        self.assertEqual(self.preferences(), before, "the unlocked rule was muted on the way")
        self.assertEqual(self.rule_state(self.locked_rule), rule_before)
        # muting an unlocked rule still works: the refusals above are the lock's
        self.ok(self.call(N, "action_mute_rule", self.note_sal.ids))
        self.assertEqual(self.env[P].search([("user_id", "=", self.sal.id), ("rule_id", "=", self.lead_rule.id)])
                         .mode, "off")

    @mute_logger("odoo.http")
    def test_rule_settings_closed_to_non_administrators(self):
        """Default delivery, lock and daily cap of a rule, and its
        preferences' one2many (to give a colleague an "off"), written by an
        own-documents salesman, a plain user, a sales manager, a reminder
        supervisor and the second company's reminder administrator; rules
        created or deleted. All refused; the rules as they were."""
        rules = self.locked_rule | self.lead_rule
        rules_before = self.rule_state(rules)
        prefs_before = self.preferences()
        for attacker in (self.sal, self.employee, self.mgr, self.sup_a, self.c2):
            self.login(attacker)
            for label, outcome in {
                "unlock": self.call("crm.notification.rule", "write", self.locked_rule.ids, {"is_locked": False}),
                "default off": self.call("crm.notification.rule", "write", self.lead_rule.ids,
                                         {"default_mode": "off"}),
                "cap": self.call("crm.notification.rule", "write", self.lead_rule.ids, {"cap_per_day": 1}),
                "colleague's off": self.call("crm.notification.rule", "write", self.lead_rule.ids, {
                    "preference_ids": [Command.create({"user_id": self.sal2.id, "mode": "off"})]}),
                "copy": self.call("crm.notification.rule", "copy", self.lead_rule.ids, {"default_mode": "off"}),
                "unlink": self.call("crm.notification.rule", "unlink", self.locked_rule.ids),
            }.items():
                with self.subTest(attacker=attacker.login, attempt=label):
                    self.assert_refused(outcome)
            with self.subTest(attacker=attacker.login, xmlrpc="unlock"):
                self.fault_says(self.xmlrpc(attacker, "crm.notification.rule", "write", self.locked_rule.ids,
                                            {"is_locked": False}), "not allowed to modify")
        self.assertEqual(self.rule_state(rules), rules_before)
        self.assertEqual(self.preferences(), prefs_before)

    # ------------------------------------------------------------
    # 4. Notifications: others', fields, snooze values
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_others_notifications_not_muted_snoozed_or_opened(self):
        """Another salesman, a plain user and the second company's user on a
        salesman's notification: mute its rule, snooze it (action and
        write), mark it, open it, delete it, by JSON-RPC and XML-RPC. All
        refused; the notification as it was, nobody's preference changed
        (muting would have turned off the attacker's own, at best)."""
        target = self.note_sal.ids
        before, prefs_before = self.notification_state(self.note_sal), self.preferences()
        for attacker in (self.sal2, self.employee, self.c2):
            self.login(attacker)
            for label, outcome in {
                "mute": self.call(N, "action_mute_rule", target),
                "snooze": self.call(N, "action_snooze", target, IN_A_MONTH),
                "write snooze": self.call(N, "write", target, {"snoozed_until": IN_A_MONTH}),
                "mark read": self.call(N, "action_mark_read", target),
                "write read": self.call(N, "write", target, {"is_read": True}),
                "open": self.call(N, "action_open_record", target),
                "unlink": self.call(N, "unlink", target),
                "read": self.call(N, "read", target, ["title", "overflow_res_ids"]),
            }.items():
                with self.subTest(attacker=attacker.login, attempt=label):
                    self.assert_refused(outcome)
            for method, args in (("action_snooze", [target, IN_A_MONTH]), ("action_mute_rule", [target])):
                with self.subTest(attacker=attacker.login, xmlrpc=method):
                    self.fault_says(self.xmlrpc(attacker, N, method, *args), "doesn't have '")
            self.assertNotIn(self.note_sal.id, self.ok(self.call(N, "search", [])))
            listed = self.ok(self.call(N, "systray_get_notifications", 100))["notifications"]
            self.assertNotIn("Sal's secret deal", str(listed))
        self.assertEqual(self.notification_state(self.note_sal), before)
        self.assertEqual(self.preferences(), prefs_before)

    @mute_logger("odoo.http")
    def test_own_notification_fields_beyond_read_and_snooze(self):
        """A recipient writes the other fields of his own notification, alone
        or hidden behind the read flag: resolved, the overflow's records,
        the role, the title, the recipient, the rule, the event, the record
        it opens; creates or copies one. All refused; nothing written."""
        target = self.note_sal.ids
        before = self.notification_state(self.note_sal)
        forged = {
            "is_resolved": True, "resolved_date": "2020-01-01 00:00:00", "overflow_res_ids": [self.lead_sal2.id],
            "overflow_count": 99, "reason_role": "user_id", "title": "Forged", "body": "Forged",
            "user_id": self.sal2.id, "rule_id": self.locked_rule.id, "event": "overflow",
            "res_id": self.lead_sal2.id, "res_model": "res.users", "res_name": "Forged", "is_digest": True,
            "date": "2020-01-01 00:00:00", "read_date": "2020-01-01 00:00:00", "source_id": self.lead_sal2.id,
        }
        self.login(self.sal)
        for fname, value in forged.items():
            with self.subTest(field=fname):
                self.refused_with(self.call(N, "write", target, {fname: value}), "AccessError", ONLY_READ_FLAG)
                self.refused_with(self.call(N, "write", target, {"is_read": True, fname: value}), "AccessError",
                                  ONLY_READ_FLAG)
        self.fault_says(self.xmlrpc(self.sal, N, "write", target, {"is_resolved": True}), ONLY_READ_FLAG)
        self.refused_with(self.call(N, "copy", target, {"user_id": self.sal2.id}), "AccessError",
                          "not allowed to create")
        self.refused_with(self.call(N, "create", {"user_id": self.sal.id, "res_model": "crm.lead",
                                                  "res_id": self.lead_sal.id, "title": "Forged"}),
                          "AccessError", "not allowed to create")
        self.assertEqual(self.notification_state(self.note_sal), before)

    @mute_logger("odoo.http")
    def test_snooze_values_bounded(self):
        """Snoozing one's own notification past a year, into the past, or
        with garbage (text, numbers, lists, a timezone, nothing), by the
        action and by writing the field. The action names the field for
        each; a write of a value that is no date is refused by Odoo's own
        conversion (a raw ValueError/TypeError, as for any date field),
        past the year by the field's constraint. Nothing written; a sane
        snooze still works."""
        target = self.note_sal.ids
        before = self.notification_state(self.note_sal)
        self.login(self.sal)
        far = fields.Datetime.to_string(fields.Datetime.now() + timedelta(days=367))
        for value in ("9999-12-31 23:59:59", far, "2000-01-01 00:00:00", "0001-01-01", "garbage", "",
                      -3600, 10**12, [2030, 1, 1], {"year": 2030}, "2030-01-01T00:00:00+05:00",
                      "-0001-01-01 00:00:00", None, True):
            with self.subTest(action=value):
                self.refused_naming(self.call(N, "action_snooze", target, value), "ValidationError",
                                    "Snoozed Until")
        for value in ("9999-12-31 23:59:59", far):
            with self.subTest(write=value):
                self.refused_naming(self.call(N, "write", target, {"snoozed_until": value}), "ValidationError",
                                    "Snoozed Until")
        for value, exception in (("garbage", "builtins.ValueError"), ("-0001-01-01 00:00:00", "builtins.ValueError"),
                                 (12345, "builtins.TypeError")):
            with self.subTest(write=value):
                _result, error = self.call(N, "write", target, {"snoozed_until": value})
                self.assertEqual(error and error["name"], exception)
        self.fault_says(self.xmlrpc(self.sal, N, "action_snooze", target, "9999-12-31 23:59:59"),
                        "Snoozed Until: at most a year ahead")
        self.assertEqual(self.notification_state(self.note_sal), before)
        # control: a month ahead is taken, and leaves the counter
        count = self.ok(self.call(N, "get_unread_count"))
        self.ok(self.call(N, "action_snooze", target, IN_A_MONTH))
        self.assertEqual(self.note_sal.snoozed_until, fields.Datetime.to_datetime(IN_A_MONTH))
        self.assertEqual(self.ok(self.call(N, "get_unread_count")), count - 1)

    # ------------------------------------------------------------
    # 5. The overflow summary's records
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_overflow_summary_opens_only_what_the_user_reads(self):
        """Past the lead rule's daily cap, an own-documents salesman gets a
        summary listing the leads by id; one of them is then given to
        another salesman. Opening the summary (its action), then listing,
        reading and naming what it points at, as he: only the lead still
        his; the other's name appears nowhere. Another salesman cannot open
        his summary at all."""
        # sal already heard of one lead today (note_sal): two within the cap
        self.lead_rule.cap_per_day = 2
        leads = self.env["crm.lead"].create([{"name": f"Capped deal {i}", "user_id": self.sal.id}
                                             for i in range(3)])
        self.env.flush_all()
        self.env.cr.precommit.run()
        summary = self.env[N].search([("user_id", "=", self.sal.id), ("event", "=", "overflow")])
        self.assertEqual(len(summary), 1, "fixture: one summary")
        self.assertEqual(sorted(summary.overflow_res_ids), sorted(leads[1:].ids), "fixture: the leads past the cap")
        # the one the summary does not open by default goes to another salesman
        visible = leads.browse(summary.res_id)
        hidden = leads[1:] - visible
        hidden.user_id = self.sal2
        self.env.flush_all()
        self.env.cr.precommit.run()

        self.login(self.sal)
        action = self.ok(self.call(N, "action_open_record", summary.ids))
        self.assertEqual((action["type"], action["res_model"]), ("ir.actions.act_window", "crm.lead"))
        self.assertNotIn(hidden.name, str(action))
        listed = self.ok(self.call("crm.lead", "web_search_read", action["domain"],
                                   {"display_name": {}, "partner_id": {"fields": {"display_name": {}}}}))
        self.assertEqual([r["id"] for r in listed["records"]], visible.ids)
        self.assertNotIn(hidden.name, str(listed))
        self.assertEqual(self.ok(self.call("crm.lead", "search_count", action["domain"])), 1)
        self.assertNotIn(hidden.name, str(self.ok(self.call("crm.lead", "name_search", "Capped deal"))))
        groups = self.ok(self.call("crm.lead", "read_group", action["domain"], ["name"], ["name"]))
        self.assertNotIn(hidden.name, str(groups))
        self.refused_with(self.call("crm.lead", "read", hidden.ids, ["name"]), "AccessError", NO_READ)
        self.refused_with(self.call("crm.lead", "web_read", hidden.ids, {"display_name": {}}), "AccessError",
                          NO_READ)
        # the summary itself says no more than the rule and the count
        item = next(n for n in self.ok(self.call(N, "systray_get_notifications", 20))["notifications"]
                    if n["id"] == summary.id)
        self.assertNotIn(hidden.name, str(item))
        self.login(self.sal2)
        self.refused_with(self.call(N, "action_open_record", summary.ids), "AccessError", NO_READ)
        self.assertFalse(self.ok(self.call(N, "search_read", [("event", "=", "overflow")], ["overflow_res_ids"])))

    # ------------------------------------------------------------
    # 6. The digest hour
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_digest_hour_bounded_and_personal(self):
        """One's own digest hour out of range, huge, negative, garbage (JSON
        and XML-RPC, a portal user too); a colleague's (an own-documents
        salesman, a plain user, the second company's user). Out-of-range
        values named by the field; garbage refused by Odoo's conversion;
        another user's refused; every hour as it was."""
        users = self.sal | self.sal2 | self.portal | self.employee
        before = {u.login: u.crm_digest_hour for u in users}
        self.login(self.sal)
        for value in (24, -1, 10**12, -(10**12)):
            with self.subTest(own=value):
                self.refused_naming(self.call("res.users", "write", self.sal.ids, {"crm_digest_hour": value}),
                                    "ValidationError", "Daily Digest At")
        _result, error = self.call("res.users", "write", self.sal.ids, {"crm_digest_hour": "eight"})
        self.assertEqual(error and error["name"], "builtins.ValueError")
        self.fault_says(self.xmlrpc(self.sal, "res.users", "write", self.sal.ids, {"crm_digest_hour": 99}),
                        "Daily Digest At")
        for attacker in (self.sal, self.employee, self.c2):
            self.login(attacker)
            with self.subTest(colleague_of=attacker.login):
                self.assert_refused(self.call("res.users", "write", self.sal2.ids, {"crm_digest_hour": 3}))
                self.fault_says(self.xmlrpc(attacker, "res.users", "write", self.sal2.ids,
                                            {"crm_digest_hour": 3}), "not allowed to modify")
        self.login(self.portal)
        self.refused_naming(self.call("res.users", "write", self.portal.ids, {"crm_digest_hour": 25}),
                            "ValidationError", "Daily Digest At")
        self.assert_refused(self.call("res.users", "write", self.employee.ids, {"crm_digest_hour": 3}))
        self.env.invalidate_all()
        self.assertEqual({u.login: u.crm_digest_hour for u in users}, before)

    # ------------------------------------------------------------
    # 7. Portal and the second company
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_portal_user_refused_the_noise_api(self):
        """A portal user on preferences (his own included: internal users
        only), through the model and his own ``res.users`` record (each
        command), and on the new notification methods. All AccessError;
        nothing created, nobody's notification changed."""
        prefs_before = self.preferences()
        notes_before = self.notification_state(self.note_sal)
        self.login(self.portal)
        mine = self.pref_sal.id
        calls = [
            (P, "search_read", [[]]),
            (P, "read", [[mine], ["mode"]]),
            (P, "create", [{"rule_id": self.lead_rule.id, "mode": "off"}]),
            (P, "create", [{"rule_id": self.lead_rule.id, "mode": "off", "user_id": self.sal.id}]),
            (P, "write", [[mine], {"mode": "off"}]),
            (P, "unlink", [[mine]]),
            ("res.users", "write", [self.portal.ids, {"crm_notification_preference_ids": [
                Command.create({"rule_id": self.lead_rule.id, "mode": "off"})]}]),
            ("res.users", "write", [self.portal.ids, {"crm_notification_preference_ids": [
                Command.update(mine, {"mode": "off"})]}]),
            ("res.users", "write", [self.portal.ids, {"crm_notification_preference_ids": [Command.delete(mine)]}]),
            ("res.users", "write", [self.portal.ids, {"crm_notification_preference_ids": [Command.link(mine)]}]),
            ("res.users", "write", [self.sal.ids, {"crm_notification_preference_ids": [Command.delete(mine)]}]),
            ("crm.notification.rule", "write", [self.locked_rule.ids, {"is_locked": False}]),
            ("crm.notification.rule", "read", [self.lead_rule.ids, ["preference_ids", "cap_per_day"]]),
            (N, "action_mute_rule", [self.note_sal.ids]),
            (N, "action_snooze", [self.note_sal.ids, IN_A_MONTH]),
            (N, "write", [self.note_sal.ids, {"snoozed_until": IN_A_MONTH}]),
            (N, "action_open_record", [self.note_sal.ids]),
            (N, "systray_get_notifications", [20]),
            (N, "get_unread_count", []),
        ]
        for model, method, args in calls:
            with self.subTest(call=f"{model}.{method}", args=str(args)[:80]):
                self.assert_refused(self.call(model, method, *args), msg=f"{model}.{method}")
        self.fault_says(self.xmlrpc(self.portal, P, "create", {"rule_id": self.lead_rule.id, "mode": "off"}),
                        "not allowed to create")
        self.assertEqual(self.preferences(), prefs_before)
        self.assertEqual(self.notification_state(self.note_sal), notes_before)

    @mute_logger("odoo.http")
    def test_second_company_user_kept_to_his_own(self):
        """The second company's user on the first company's preferences and
        notifications, plainly and by asking for the first company in the
        context: refused; his searches find none of theirs. His own
        preference and notification stay his to set (control)."""
        prefs_before = self.preferences()
        notes_before = self.notification_state(self.note_sal | self.note_sal2)
        self.login(self.c2)
        for label, outcome in {
            "read pref": self.call(P, "read", self.pref_sal2.ids, ["mode"]),
            "write pref": self.call(P, "write", self.pref_sal2.ids, {"mode": "off"}),
            "unlink pref": self.call(P, "unlink", self.pref_sal.ids),
            "create pref": self.call(P, "create", {"user_id": self.sal.id, "rule_id": self.lead_rule.id,
                                                   "mode": "off"}),
            "users write": self.users_write(self.sal.ids, [Command.create({"rule_id": self.lead_rule.id,
                                                                           "mode": "off"})]),
            "mute": self.call(N, "action_mute_rule", self.note_sal.ids),
            "snooze": self.call(N, "action_snooze", self.note_sal2.ids, IN_A_MONTH),
            "context": self.call(P, "search_read", [], ["mode"],
                                 context={"allowed_company_ids": (self.company | self.company2).ids}),
        }.items():
            with self.subTest(attempt=label):
                self.assert_refused(outcome)
        self.assertEqual(self.ok(self.call(P, "search", [])), [])
        self.assertEqual(self.ok(self.call(N, "search", [])), self.note_c2.ids)
        self.assertEqual(self.preferences(), prefs_before)
        self.assertEqual(self.notification_state(self.note_sal | self.note_sal2), notes_before)
        # control: his own
        own = self.ok(self.users_write(self.c2.ids, [Command.create({"rule_id": self.lead_rule.id, "mode": "off"})]))
        self.assertTrue(own)
        self.assertEqual(self.env[P].search([("user_id", "=", self.c2.id)]).mode, "off")
        self.ok(self.call(N, "action_snooze", self.note_c2.ids, IN_A_MONTH))
        self.assertTrue(self.note_c2.snoozed_until)
