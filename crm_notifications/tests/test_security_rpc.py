# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Attacks on the access policy through the real RPC layer.

Each test logs in as the lowest role that could try (portal user, own
documents salesman, all documents salesman, sales manager, reminder
supervisor of another area, a user of a second company) and calls
``/web/dataset/call_kw`` as the web client does, some calls going through
XML-RPC as scripts do, with what a hostile client may send. Nothing is
mocked: the crons run for real, as the superuser, and the tests look in the
database afterwards (mail queue, SMS queue, groups, parameters) for what an
attack would have left.

Every refusal must come as an Odoo error that names what was refused (the
field's label), never as a raw database error, and must leave the database
as it was. Calls slower than a second are logged (``slow RPC``).
"""

import json
import logging
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import recurrence
from .common import BODY_PAYLOADS, TITLE_PAYLOADS, SecurityRpcCase, payload

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestSecurityRpc(SecurityRpcCase):
    """The attacks of the security review, as the roles of the README's
    access policy, through JSON-RPC (call_kw) and XML-RPC."""

    # ------------------------------------------------------------
    # 1. Template injection
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_template_code_refused_at_create_every_kind(self):
        """A salesman (not a Mail Template Editor) creates customer
        notifications of every kind holding code in the title or body: each
        create is refused naming the field, nothing is created, and the cron
        run afterwards executes nothing and leaks nothing."""
        kinds = (
            {"kind": "individual"},
            {"kind": "group", "partner_id": False, "group_id": self.group.id},
            {"timing": "scheduled", "scheduled_date": fields.Datetime.to_string(datetime.now() + timedelta(hours=2))},
            {"kind": "group", "partner_id": False, "group_id": self.group.id, "recurrency": True,
             "rrule_type": "daily"},
        )
        before = self.env["crm.customer.notification"].sudo().search_count([])
        self.login(self.sal)
        for index, title in enumerate(TITLE_PAYLOADS):
            title = payload(title, self.sal)
            values = self.safe_values(name=title, **kinds[index % len(kinds)])
            with self.subTest(field="name", payload=title):
                self.assert_refused(self.call("crm.customer.notification", "create", values), names=["Title"])
        for index, body in enumerate(BODY_PAYLOADS):
            body = payload(body, self.sal)
            values = self.safe_values(body=body, **kinds[index % len(kinds)])
            with self.subTest(field="body", payload=body):
                self.assert_refused(self.call("crm.customer.notification", "create", values), names=["Body"])
        # the same through XML-RPC, in one batch with a harmless record first
        batch = [self.safe_values(name="Harmless"), self.safe_values(name=TITLE_PAYLOADS[0])]
        result, fault = self.xmlrpc(self.sal, "crm.customer.notification", "create", batch)
        self.assertIsNotNone(fault, f"XML-RPC batch create accepted: {result}")
        self.assertIn("Title", fault)
        self.assertEqual(self.env["crm.customer.notification"].sudo().search_count([]), before,
                         "a refused create left records behind")
        # what the salesman may send goes out; the cron runs; nothing ran
        self.ok(self.call("crm.customer.notification", "action_send", self.draft_sal.ids))
        self.run_crons()
        self.assert_nothing_ran()

    @mute_logger("odoo.http")
    def test_template_code_refused_on_write_translation_and_copy(self):
        """Code slipped into an existing draft: by write, write in French
        (context lang), update_field_translations, XML-RPC, copy with a
        default. All refused naming the field; the stored title and body
        unchanged in every language; sending and the cron run nothing."""
        notification = self.env["crm.customer.notification"].with_user(self.sal).create(
            self.safe_values(name="Mine {{ object.name }}"))
        original = {lang: notification.with_context(lang=lang).read(["name", "body"])[0]
                    for lang in ("en_US", "fr_FR")}
        title = payload(TITLE_PAYLOADS[5], self.sal)
        body = payload(BODY_PAYLOADS[0], self.sal)
        self.login(self.sal)
        CN = "crm.customer.notification"
        attempts = {
            "write title": self.call(CN, "write", notification.ids, {"name": title}),
            "write body": self.call(CN, "write", notification.ids, {"body": body}),
            "write title fr": self.call(CN, "write", notification.ids, {"name": title},
                                        context={"lang": "fr_FR"}),
            "write body fr": self.call(CN, "write", notification.ids, {"body": body}, context={"lang": "fr_FR"}),
            "translation title": self.call(CN, "update_field_translations", notification.ids, "name",
                                           {"fr_FR": title}),
            "translation body": self.call(CN, "update_field_translations", notification.ids, "body",
                                          {"fr_FR": body}),
            "translation en_US": self.call(CN, "update_field_translations", notification.ids, "body",
                                           {"en_US": body, "fr_FR": "<p>Bonjour</p>"}),
            "copy title": self.call(CN, "copy", notification.ids, {"name": title}),
            "copy body": self.call(CN, "copy", notification.ids, {"body": body}),
        }
        for label, outcome in attempts.items():
            with self.subTest(attempt=label):
                self.assert_refused(outcome, names=["Body" if "body" in label or "en_US" in label else "Title"])
        result, fault = self.xmlrpc(self.sal, CN, "write", notification.ids, {"body": body})
        self.assertIsNotNone(fault, f"XML-RPC write accepted: {result}")
        self.assertIn("Body:", fault)
        self.assertIn("Body", fault)
        for lang, values in original.items():
            self.assertEqual(notification.with_context(lang=lang).read(["name", "body"])[0], values,
                             f"a refused change was written ({lang})")
        self.assertEqual(self.env[CN].sudo().search_count([("user_id", "=", self.sal.id),
                                                          ("name", "=like", "Mine%")]), 1, "a refused copy exists")
        self.ok(self.call(CN, "action_send", notification.ids))
        self.run_crons()
        self.assert_nothing_ran()

    @mute_logger("odoo.http")
    def test_admin_code_template_sent_by_a_salesman(self):
        """A template editor (the administrator) writes code, in French only;
        an all-documents salesman, who may not write it, sends it, duplicates
        it, or takes over a sent one the administrator wrote (deactivate,
        send): every path refused naming the field, the code never runs as
        the salesman nor as the superuser."""
        admin_cn = self.env["crm.customer.notification"].with_user(self.admin)
        code_title = payload(TITLE_PAYLOADS[5], self.salall)
        code_body = payload(BODY_PAYLOADS[0], self.salall)
        draft = admin_cn.create(self.safe_values(name="Admin's draft", kind="group", partner_id=False,
                                                 group_id=self.group.id))
        draft.with_context(lang="fr_FR").write({"name": code_title, "body": code_body})
        scheduled = admin_cn.create(self.safe_values(
            name="Admin's scheduled", body=code_body, timing="scheduled",
            scheduled_date=fields.Datetime.now() + timedelta(days=2)))
        scheduled.with_context(lang="fr_FR").write({"body": code_body})
        scheduled.action_send()  # the administrator's: it runs as theirs
        self.login(self.salall)
        CN = "crm.customer.notification"
        self.assert_refused(self.call(CN, "action_send", draft.ids), names=["Title"], msg="send the admin's draft")
        self.assert_refused(self.call(CN, "copy", draft.ids), names=["Title"], msg="duplicate the admin's draft")
        self.assertEqual((draft.state, draft.user_id), ("draft", self.admin))
        # the administrator's code as sender: the salesman may stop it, not send it as himself
        self.ok(self.call(CN, "action_deactivate", scheduled.ids))
        self.assert_refused(self.call(CN, "action_send", scheduled.ids), names=["Body"],
                            msg="take over the admin's deactivated notification")
        self.assertEqual((scheduled.state, scheduled.user_id), ("deactivated", self.admin))
        self.run_crons()
        self.assert_nothing_ran()

    @mute_logger("odoo.http")
    def test_translated_body_is_sanitized(self):
        """The body is an Html field sanitized on create and write; a
        salesman stores its French version with update_field_translations,
        which writes the language's text in SQL. Script, event handler and
        javascript: link must be stripped there too: the form shows the body
        as HTML (html_viewer's t-out of the markup) to whoever opens it in
        French (all-documents salesmen, managers, administrators), and the
        French customers get it by e-mail."""
        hostile = ('<p>Bonjour <t t-out="object.name"/></p><img src="x" onerror="alert(document.cookie)">'
                   '<script>alert(1)</script><a href="javascript:alert(2)">lien</a>')
        self.login(self.sal)
        notification_id = self.ok(self.call("crm.customer.notification", "create", self.safe_values(
            name="Newsletter", partner_id=self.jean.id)))
        self.call("crm.customer.notification", "update_field_translations", [notification_id], "body",
                  {"fr_FR": hostile})
        self.login(self.salall)
        body = self.ok(self.call("crm.customer.notification", "read", [notification_id], ["body"],
                                 context={"lang": "fr_FR"}))[0]["body"]
        for dangerous in ("onerror", "<script", "javascript:"):
            self.assertNotIn(dangerous, body, f"the French body is stored unsanitized: {body}")
        self.login(self.sal)
        self.call("crm.customer.notification", "action_send", [notification_id])
        for mail in self.env["crm.notification.delivery"].sudo().search(
                [("customer_notification_id", "=", notification_id)]).mail_id:
            for dangerous in ("onerror", "<script", "javascript:"):
                self.assertNotIn(dangerous, mail.body_html, "the French customer's e-mail carries it")

    def test_translated_body_script_does_not_run_in_the_form(self):
        """The same French body, opened in the web client by an
        all-documents salesman whose language is French: the script the
        own-documents salesman stored must not run in his browser (it would
        run as him, or as an administrator, with their session)."""
        self.salall.lang = "fr_FR"
        self.login(self.sal)
        notification_id = self.ok(self.call("crm.customer.notification", "create", self.safe_values(
            name="Newsletter", partner_id=self.jean.id)))
        self.call("crm.customer.notification", "update_field_translations", [notification_id], "body",
                  {"fr_FR": '<p>Bonjour</p><img src="/crm-xss-probe.png" onerror="window.__crmXss = 1">'})
        self.ok(self.call("crm.customer.notification", "action_send", [notification_id]))
        code = """
            const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
            (async () => {
                const deadline = Date.now() + 20000;
                while (!document.querySelector(".o_form_view .o_field_html") && Date.now() < deadline) {
                    await wait(200);
                }
                await wait(2000);
                if (!document.querySelector(".o_form_view .o_field_html")) {
                    console.error("the notification's form did not open");
                } else if (window.__crmXss) {
                    console.error("XSS: the French body's event handler ran in the all-documents salesman's form");
                } else {
                    console.log("test successful");
                }
            })();
        """
        url = f"/odoo/action-crm_notifications.crm_customer_notification_action/{notification_id}"
        # The first page in French makes Odoo load the French translations of
        # every installed module (5 s here, more under load): done once by
        # this request, not within the browser's 20 s navigation timeout
        # (it ran out once; Chromium's idle connection then timed out too).
        self.login(self.salall)
        self.url_open(url, timeout=120).raise_for_status()
        self.browser_js(url, code, login=self.salall.login, timeout=60)

    @mute_logger("odoo.http")
    def test_plain_placeholders_still_render(self):
        """The guard is not a blanket refusal: plain placeholders save and
        render for the customer, in their language (a test that would pass
        for a guard refusing everything is worth nothing)."""
        self.login(self.sal)
        notification_id = self.ok(self.call("crm.customer.notification", "create", self.safe_values(
            name="Hi {{ object.name }}", partner_id=self.jean.id)))
        self.ok(self.call("crm.customer.notification", "update_field_translations", [notification_id], "name",
                          {"fr_FR": "Salut {{ object.name }}"}))
        self.ok(self.call("crm.customer.notification", "action_send", [notification_id]))
        mail = self.env["crm.notification.delivery"].sudo().search(
            [("customer_notification_id", "=", notification_id)]).mail_id
        self.assertEqual(mail.subject, "Salut Jean Dupont")
        self.assertIn("Dear Jean Dupont", mail.body_html)
        self.assertEqual(mail.email_from, self.sal.email_formatted)

    # ------------------------------------------------------------
    # 2. Delivery log
    # ------------------------------------------------------------

    SEND_LINKS = ("mail_id", "notification_id", "sms_uuid")

    def visible_deliveries(self, user):
        self.login(user)
        rows = self.ok(self.call("crm.notification.delivery", "search_read", []), f"{user.login} lists the log")
        for row in rows:
            for fname in self.SEND_LINKS:
                self.assertNotIn(fname, row, f"{user.login} reads {fname} of delivery {row['id']}")
        return set(row["id"] for row in rows)

    @mute_logger("odoo.http", "odoo.models")
    def test_delivery_log_rows_by_role(self):
        """Each role lists the log and gets the rows of the policy only: the
        sends they made or received, their area's reminders, their company's;
        the send links never."""
        foreign = {
            self.employee: self.d_sal | self.d_sal2 | self.d_c2 | self.d_rem_a | self.d_rem_b,
            self.sal: self.d_sal2 | self.d_c2 | self.d_rem_a | self.d_rem_b,
            self.salall: self.d_c2 | self.d_rem_a | self.d_rem_b,
            self.sup_a: self.d_sal | self.d_sal2 | self.d_c2 | self.d_rem_b,
            self.sup_b: self.d_sal | self.d_sal2 | self.d_c2 | self.d_rem_a,
            self.c2: self.d_sal | self.d_sal2 | self.d_rem_a | self.d_rem_b,
        }
        own = {self.sal: self.d_sal, self.salall: self.d_sal | self.d_sal2, self.sup_b: self.d_rem_b,
               self.sup_a: self.d_rem_a, self.c2: self.d_c2}
        for user, forbidden in foreign.items():
            with self.subTest(user=user.login):
                visible = self.visible_deliveries(user)
                self.assertFalse(visible & set(forbidden.ids), f"{user.login} reads deliveries not theirs")
                if user in own:
                    self.assertTrue(set(own[user].ids) <= visible, f"{user.login} misses their own deliveries")
        self.login(self.portal)
        self.assert_refused(self.call("crm.notification.delivery", "search_read", []))

    @mute_logger("odoo.http", "odoo.models")
    def test_delivery_send_links_never_reach_users(self):
        """The send links (the rendered e-mail, another user's in-app
        notification, the SMS uuid the public /sms/status route accepts)
        through every read path: read, search_read, web_read, search domains
        and order, read_group, search_count, export_data (with the export
        right), and XML-RPC. A supervisor reading the deliveries of their own
        reminders included."""
        exporter = self.env.ref("base.group_allow_export")
        (self.sal | self.sup_b).write({"groups_id": [Command.link(exporter.id)]})
        D = "crm.notification.delivery"
        for user, delivery in ((self.sal, self.d_sal), (self.sup_b, self.d_to_sup_b)):
            self.login(user)
            ids = delivery.ids
            attempts = {
                "read": lambda ids=ids: self.call(
                    D, "read", ids, ["res_name", "mail_id", "notification_id", "sms_uuid"]),
                "search_read": lambda: self.call(D, "search_read", [], ["mail_id"]),
                "web_read": lambda ids=ids: self.call(D, "web_read", ids, {"mail_id": {"fields": {"subject": {}}}}),
                "web_search_read": lambda: self.call(D, "web_search_read", [], {
                    "notification_id": {"fields": {"display_name": {}}}}),
                "domain": lambda: self.call(D, "search", [("sms_uuid", "!=", False)]),
                "domain path": lambda: self.call(D, "search", [("mail_id.subject", "ilike", "Sal")]),
                "domain notif": lambda: self.call(D, "search", [("notification_id.title", "ilike", "Reminder")]),
                "order": lambda: self.call(D, "search", [], order="sms_uuid"),
                "read_group": lambda: self.call(D, "read_group", [], ["mail_id"], ["mail_id"]),
                "read_group agg": lambda: self.call(D, "read_group", [], ["sms_uuid:count_distinct"],
                                                    ["partner_id"]),
                "web_read_group": lambda: self.call(D, "web_read_group", [], ["__count"], ["notification_id"]),
                "search_count": lambda: self.call(D, "search_count", [("mail_id", "!=", False)]),
                "export mail": lambda ids=ids: self.call(D, "export_data", ids, ["res_name", "mail_id/subject"]),
                "export sms": lambda ids=ids: self.call(D, "export_data", ids, ["sms_uuid"]),
                "export notif": lambda ids=ids: self.call(D, "export_data", ids, ["notification_id/title"]),
            }
            for label, attempt in attempts.items():
                with self.subTest(user=user.login, path=label):
                    result, error = attempt()
                    leaked = json.dumps(result) if result is not None else ""
                    mail = delivery.sudo().mail_id
                    if mail:
                        self.assertNotIn(mail.subject, leaked)
                    self.assertIsNotNone(error, f"{label}: answered {leaked[:300]}")
                    self.assertEqual(error["name"], "odoo.exceptions.AccessError", error["message"][:300])
            for fname in self.SEND_LINKS:
                result, fault = self.xmlrpc(user, D, "read", delivery.ids, [fname])
                self.assertIsNotNone(fault, f"XML-RPC read of {fname} answered {result}")
                self.assertIn(fname, fault)

    @mute_logger("odoo.http", "odoo.models")
    def test_delivery_log_through_partners_and_names(self):
        """The partner's delivery counter and button, name_search and
        read_group on the log: another salesman, another area's supervisor
        and another company's user see no more than the rows of the policy."""
        D = "crm.notification.delivery"
        for user, foreign in ((self.sal2, self.d_sal), (self.sup_a, self.d_rem_b), (self.c2, self.d_sal)):
            partner = foreign.partner_id[:1]
            with self.subTest(user=user.login):
                self.login(user)
                rows = self.ok(self.call("res.partner", "read", partner.ids, ["crm_delivery_count"]))
                visible = set(self.env[D].with_user(user).search([("partner_id", "=", partner.id)]).ids)
                self.assertEqual(rows[0]["crm_delivery_count"], len(visible), "the counter counts hidden rows")
                action = self.ok(self.call("res.partner", "action_view_crm_deliveries", partner.ids))
                listed = self.ok(self.call(D, "search", action["domain"]))
                self.assertFalse(set(listed) & set(foreign.ids))
                names = self.ok(self.call(D, "name_search", foreign[:1].res_name or ""))
                self.assertFalse({row[0] for row in names} & set(foreign.ids), "name_search lists hidden rows")
                groups = self.ok(self.call(D, "read_group", [], ["res_name"], ["res_name"]))
                self.assertNotIn(foreign[:1].res_name, [g["res_name"] for g in groups])
                self.assert_refused(self.call(D, "read", foreign.ids, ["res_name"]))
        self.login(self.portal)
        self.assert_refused(self.call("res.partner", "read", self.ana.ids, ["crm_delivery_count"]))

    # ------------------------------------------------------------
    # 3. Areas
    # ------------------------------------------------------------

    def readable_reminders(self, user):
        self.login(user)
        return set(self.ok(self.call("crm.customer.reminder", "search", [("active", "in", [True, False])])))

    @mute_logger("odoo.http")
    def test_area_of_a_customer_not_moved_into_my_area(self):
        """A supervisor of area A who may edit contacts moves area B's
        customer into A (write, XML-RPC, one2many command from a parent,
        import): refused naming the area; the customer stays in B and its
        reminder stays unreadable to A's supervisor."""
        self.login(self.sup_a)
        attempts = {
            "write": self.call("res.partner", "write", self.cust_b.ids, {"crm_area_id": self.team_a.id}),
            "child command": self.call("res.partner", "write", self.cust_a.ids, {
                "child_ids": [Command.update(self.cust_b.id, {"crm_area_id": self.team_a.id})]}),
            "to no area": self.call("res.partner", "write", self.cust_b.ids, {"crm_area_id": False}),
            "import": self.call("res.partner", "load", [".id", "crm_area_id/.id"],
                                [[str(self.cust_b.id), str(self.team_a.id)]]),
        }
        for label, outcome in attempts.items():
            with self.subTest(path=label):
                result, error = outcome
                if label == "import":
                    # load() reports errors in its answer
                    self.assertTrue(error or result["messages"], f"import moved the customer: {result}")
                else:
                    self.assert_refused(outcome, names=["Area"])
        _result, fault = self.xmlrpc(self.sup_a, "res.partner", "write", self.cust_b.ids,
                                     {"crm_area_id": self.team_a.id})
        self.assertIn("Area:", fault or "")
        self.assertEqual(self.cust_b.crm_area_id, self.team_b)
        self.assertNotIn(self.rem_b.id, self.readable_reminders(self.sup_a))

    @mute_logger("odoo.http")
    def test_sales_manager_does_not_name_himself_supervisor(self):
        """A sales manager, in the supervisor group but of no area, names
        himself reminder supervisor: of area B by write and XML-RPC, of a new
        area by its values at creation. Refused (the field is for reminder
        administrators only); B's reminders stay unreadable to him."""
        self.login(self.mgr)
        self.assert_refused(self.call("crm.team", "write", self.team_b.ids,
                                      {"reminder_supervisor_ids": [Command.link(self.mgr.id)]}))
        self.assert_refused(self.call("crm.team", "create", {
            "name": "Mine", "reminder_supervisor_ids": [Command.link(self.mgr.id)]}))
        _result, fault = self.xmlrpc(self.mgr, "crm.team", "write", self.team_b.ids,
                                     {"reminder_supervisor_ids": [(4, self.mgr.id)]})
        self.assertIn("reminder_supervisor_ids", fault or "")
        self.assertNotIn(self.mgr, self.team_b.reminder_supervisor_ids)
        self.assertFalse(self.readable_reminders(self.mgr))

    @mute_logger("odoo.http")
    def test_reminder_not_moved_nor_created_onto_another_area(self):
        """Area A's supervisor moves his reminder onto area B's customer or
        creates one there, with the id as the web client sends it and in
        every other shape a client may send (string, list, dict, float),
        or through the customer's reminders (one2many command). Refused
        with an error naming the customer field; nothing written."""
        before = self.env["crm.customer.reminder"].sudo().search_count([])
        self.login(self.sup_a)
        R = "crm.customer.reminder"
        self.assert_refused(self.call(R, "write", self.rem_a.ids, {"partner_id": self.cust_b.id}),
                            names=["Customer:"])
        self.assert_refused(self.call(R, "create", {"name": "Planted", "partner_id": self.cust_b.id}),
                            names=["Customer:"])
        _result, fault = self.xmlrpc(self.sup_a, R, "write", self.rem_a.ids, {"partner_id": self.cust_b.id})
        self.assertIn("Customer:", fault or "")
        # in the other shapes a client may send, it is refused one way or another
        for value in (str(self.cust_b.id), [self.cust_b.id], {"id": self.cust_b.id}, float(self.cust_b.id)):
            with self.subTest(value=repr(value)):
                self.assertIsNotNone(self.call(R, "write", self.rem_a.ids, {"partner_id": value})[1])
                self.assertIsNotNone(self.call(R, "create", {"name": "Planted", "partner_id": value})[1])
        self.assert_refused(self.call("res.partner", "write", self.cust_b.ids, {
            "reminder_ids": [Command.link(self.rem_a.id)]}))
        self.assert_refused(self.call("res.partner", "write", self.cust_b.ids, {
            "reminder_ids": [Command.create({"name": "Planted"})]}))
        self.assertEqual(self.rem_a.partner_id, self.cust_a)
        self.assertEqual(self.env[R].sudo().search_count([]), before)
        # another area's reminder: not read, changed, previewed nor deleted
        self.assert_refused(self.call(R, "read", self.rem_b.ids, ["message"]))
        self.assert_refused(self.call(R, "write", self.rem_b.ids, {"message": "Defaced"}))
        self.assert_refused(self.call(R, "get_next_occurrences", self.rem_b.ids, 5))
        self.assert_refused(self.call(R, "unlink", self.rem_b.ids))
        self.assertEqual(self.rem_b.message, "Confidential to area B")
        self.assertEqual(self.readable_reminders(self.sup_a), {self.rem_a.id})

    @mute_logger("odoo.http")
    def test_contact_merge_does_not_carry_reminders_into_my_area(self):
        """Odoo's contact merge (base.partner.merge.automatic.wizard, open to
        contact editors) repoints every foreign key of the merged contacts in
        SQL: area A's supervisor merges area B's customer (no e-mail, so the
        wizard's same-address check passes) into one of his own customers,
        and B's reminders would become his. Refused, or B's reminders stay
        in B."""
        self.login(self.sup_a)
        wizard, error = self.call("base.partner.merge.automatic.wizard", "create", {
            "partner_ids": [Command.set((self.cust_a2 | self.cust_b).ids)],
            "dst_partner_id": self.cust_a2.id, "state": "selection",
        })
        if not error:
            self.call("base.partner.merge.automatic.wizard", "action_merge", [wizard])
        self.assertTrue(self.rem_b.exists())
        self.assertEqual(self.rem_b.sudo().partner_id.crm_area_id, self.team_b,
                         f"the merge moved area B's reminder to {self.rem_b.sudo().partner_id.display_name}")
        self.assertNotIn(self.rem_b.id, self.readable_reminders(self.sup_a),
                         "area A's supervisor reads area B's reminder after a merge")

    @mute_logger("odoo.http")
    def test_supervisor_does_not_archive_shared_types(self):
        """Reminder types are shared: a supervisor archives, renames or
        deletes one he did not create (write, action_archive, toggle_active,
        unlink, translation): refused; the type unchanged."""
        self.login(self.sup_b)
        T = "crm.customer.reminder.type"
        self.assert_refused(self.call(T, "write", self.type_shared.ids, {"active": False}), names=["Active"])
        self.assert_refused(self.call(T, "action_archive", self.type_shared.ids))
        self.assert_refused(self.call(T, "toggle_active", self.type_shared.ids))
        self.assert_refused(self.call(T, "write", self.type_shared.ids, {"name": "Mine now"}))
        self.assert_refused(self.call(T, "update_field_translations", self.type_shared.ids, "name",
                                      {"fr_FR": "À moi"}))
        self.assert_refused(self.call(T, "unlink", self.type_shared.ids))
        self.assertEqual((self.type_shared.active, self.type_shared.name), (True, "Shared type"))

    # ------------------------------------------------------------
    # 4. Customer notifications: others', another company's, sender
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_own_documents_salesman_keeps_off_others_notifications(self):
        """An own-documents salesman on another salesman's draft: read,
        write, send, deactivate, unlink, copy, translate, name_search,
        read_group. All refused; the draft unchanged, still theirs."""
        self.login(self.sal)
        CN = "crm.customer.notification"
        target = self.draft_sal2.ids
        for label, outcome in {
            "read": self.call(CN, "read", target, ["name", "body"]),
            "write": self.call(CN, "write", target, {"name": "Hijacked"}),
            "send": self.call(CN, "action_send", target),
            "deactivate": self.call(CN, "action_deactivate", self.sent_sal2.ids),
            "unlink": self.call(CN, "unlink", target),
            "copy": self.call(CN, "copy", target),
            "translate": self.call(CN, "update_field_translations", target, "name", {"fr_FR": "Volé"}),
            "deliveries": self.call(CN, "action_view_deliveries", self.sent_sal2.ids),
        }.items():
            with self.subTest(attempt=label):
                if label == "deliveries" and outcome[1] is None:
                    # an action is no data; what it lists must still be hidden
                    rows = self.ok(self.call("crm.notification.delivery", "search", outcome[0]["domain"]))
                    self.assertFalse(rows)
                    continue
                self.assert_refused(outcome)
        names = self.ok(self.call(CN, "name_search", "Sal2"))
        self.assertFalse(names)
        groups = self.ok(self.call(CN, "read_group", [], ["name"], ["name"]))
        self.assertNotIn("Sal2's draft", [g["name"] for g in groups])
        self.assertEqual((self.draft_sal2.name, self.draft_sal2.state, self.draft_sal2.user_id),
                         ("Sal2's draft", "draft", self.sal2))
        self.assertEqual(self.sent_sal2.state, "sent")

    @mute_logger("odoo.http")
    def test_second_company_kept_apart(self):
        """An all-documents salesman of the first company on the second
        company's notification (read, write, send, copy, and by asking for
        that company in the context), and creating notifications that point
        at the second company's customer or group or company; the second
        company's user the other way round. All refused, nothing created."""
        CN = "crm.customer.notification"
        before = self.env[CN].sudo().search_count([])
        self.login(self.salall)
        for label, outcome in {
            "read": self.call(CN, "read", self.cn_c2.ids, ["name"]),
            "write": self.call(CN, "write", self.cn_c2.ids, {"name": "x"}),
            "send": self.call(CN, "action_send", self.cn_c2.ids),
            "copy": self.call(CN, "copy", self.cn_c2.ids),
            "context": self.call(CN, "read", self.cn_c2.ids, ["name"],
                                 context={"allowed_company_ids": self.company2.ids}),
        }.items():
            with self.subTest(attempt=label):
                self.assert_refused(outcome)
        self.assertNotIn(self.cn_c2.id, self.ok(self.call(CN, "search", [])))
        for label, values in {
            "partner": self.safe_values(partner_id=self.other_co.id),
            "group": self.safe_values(kind="group", partner_id=False, group_id=self.group_c2.id),
            "company": self.safe_values(company_id=self.company2.id, partner_id=self.jean.id),
        }.items():
            with self.subTest(create=label):
                _result, error = self.call(CN, "create", values)
                self.assertIsNotNone(error, f"created pointing at the second company's {label}")
                self.assertIn(error["name"], ("odoo.exceptions.AccessError", "odoo.exceptions.UserError",
                                              "odoo.exceptions.ValidationError"), error["message"][:300])
        self.login(self.c2)
        self.assert_refused(self.call(CN, "read", self.draft_sal.ids, ["name"]))
        self.assert_refused(self.call(CN, "action_send", self.draft_sal.ids))
        self.assert_refused(self.call("crm.customer.reminder", "read", self.rem_a.ids, ["message"]))
        self.assertEqual(self.env[CN].sudo().search_count([]), before)
        self.assertEqual(self.draft_sal.state, "draft")

    @mute_logger("odoo.http")
    def test_state_dates_sender_not_written_by_clients(self):
        """State, dates and sender through write, create and copy's default,
        by JSON-RPC and XML-RPC: refused naming the field, nothing changed."""
        CN = "crm.customer.notification"
        forged = {"state": "sent", "next_date": "2020-01-01 00:00:00", "start_date": "2020-01-01 00:00:00",
                  "user_id": self.admin.id}
        self.login(self.salall)
        before = self.env[CN].sudo().search_count([])
        for fname, value in forged.items():
            label = self.env[CN]._fields[fname]._description_string(self.env)
            with self.subTest(field=fname):
                self.assert_refused(self.call(CN, "write", self.draft_sal.ids, {fname: value}), "UserError",
                                    names=[label])
                self.assert_refused(self.call(CN, "write", self.sent_sal.ids, {fname: "draft" if fname == "state"
                                                                                else value}), "UserError")
                self.assert_refused(self.call(CN, "create", self.safe_values(**{fname: value})), "UserError",
                                    names=[label])
                self.assert_refused(self.call(CN, "copy", self.draft_sal.ids, {fname: value}), "UserError",
                                    names=[label])
                _result, fault = self.xmlrpc(self.salall, CN, "write", self.draft_sal.ids, {fname: value})
                self.assertIn(label, fault or "")
        self.assertEqual(self.env[CN].sudo().search_count([]), before)
        self.assertEqual((self.draft_sal.state, self.draft_sal.user_id, self.draft_sal.next_date),
                         ("draft", self.sal, False))
        self.assertEqual(self.sent_sal.state, "sent")

    @mute_logger("odoo.http")
    def test_context_defaults_do_not_forge_state_dates_or_sender(self):
        """The same fields through the context's ``default_*`` keys, which
        the ORM applies to any field missing from the values: an
        all-documents salesman creates (or duplicates) a notification
        "scheduled" in the past "by" the administrator, without pressing
        Send. The cron would then send it from the administrator's address.
        Refused, or the defaults ignored: a draft of the salesman's own."""
        CN = "crm.customer.notification"
        forged = {"default_user_id": self.admin.id, "default_state": "scheduled",
                  "default_next_date": "2020-01-01 00:00:00", "default_start_date": "2020-01-01 00:00:00"}
        self.login(self.salall)
        created, error = self.call(CN, "create", self.safe_values(name="Forged by context"), context=forged)
        copied, copy_error = self.call(CN, "copy", self.draft_sal.ids, {"name": "Forged copy"}, context=forged)
        self.run_crons()
        for label, record_id, err in (("create", created, error), ("copy", copied and copied[0], copy_error)):
            with self.subTest(path=label):
                if err:
                    self.assertEqual(err["name"], "odoo.exceptions.UserError", err["message"][:300])
                    continue
                record = self.env[CN].sudo().browse(record_id)
                self.assertEqual(
                    (record.state, record.user_id.login, record.next_date, record.start_date),
                    ("draft", self.salall.login, False, False),
                    f"{label}: the context forged state, sender and dates",
                )
        forged_mails = self.env["mail.mail"].sudo().search([("subject", "=like", "Forged%")])
        self.assertFalse(forged_mails.filtered(lambda m: self.admin.email in (m.email_from or "")),
                         "the cron sent the forged notification from the administrator's address")

    @mute_logger("odoo.http")
    def test_sending_someone_elses_draft_makes_me_the_sender(self):
        """An all-documents salesman sends another salesman's draft: the
        sender becomes him (his address, his rights), never the author."""
        self.login(self.salall)
        self.ok(self.call("crm.customer.notification", "action_send", self.draft_sal.ids))
        self.assertEqual(self.draft_sal.user_id, self.salall)
        mail = self.env["crm.notification.delivery"].sudo().search(
            [("customer_notification_id", "=", self.draft_sal.id)]).mail_id
        self.assertEqual(mail.email_from, self.salall.email_formatted)
        self.assertNotIn(self.sal.email, mail.email_from)

    @mute_logger("odoo.http")
    def test_sent_notification_not_reopened(self):
        """A sent notification is not reopened: not by write (state, title,
        translation), not by Deactivate then edit and send again, which
        would send another text under the same record. The record stays
        'sent', unchanged, with one send."""
        CN = "crm.customer.notification"
        self.login(self.sal)
        target = self.sent_sal.ids
        self.assert_refused(self.call(CN, "write", target, {"state": "draft"}), "UserError")
        self.assert_refused(self.call(CN, "write", target, {"name": "Rewritten"}), "UserError")
        self.assert_refused(self.call(CN, "update_field_translations", target, "name", {"fr_FR": "Réécrit"}),
                            "UserError")
        self.call(CN, "action_deactivate", target)
        self.call(CN, "write", target, {"name": "Second text"})
        self.call(CN, "action_send", target)
        self.assertEqual((self.sent_sal.state, self.sent_sal.name), ("sent", "Sal's sent"),
                         "a sent notification was reopened through Deactivate")
        self.assertEqual(len(self.env["crm.notification.delivery"].sudo().search(
            [("customer_notification_id", "=", self.sent_sal.id)])), 1, "it was sent a second time")

    @mute_logger("odoo.http")
    def test_scheduled_notification_not_edited(self):
        """A scheduled notification's content (title, body, customer, date,
        channel, translation) is frozen until deactivated."""
        CN = "crm.customer.notification"
        scheduled = self.env[CN].with_user(self.sal).create(self.safe_values(
            name="Later", timing="scheduled", scheduled_date=fields.Datetime.now() + timedelta(days=1)))
        scheduled.with_user(self.sal).action_send()
        self.login(self.sal)
        for values in ({"name": "Changed"}, {"body": "<p>Changed</p>"}, {"partner_id": self.jean.id},
                       {"scheduled_date": "2099-01-01 00:00:00"}, {"kind": "group", "group_id": self.group.id},
                       {"company_id": self.company.id}):
            with self.subTest(values=values):
                self.assert_refused(self.call(CN, "write", scheduled.ids, values), "UserError")
        self.assert_refused(self.call(CN, "update_field_translations", scheduled.ids, "body",
                                      {"fr_FR": "<p>Changé</p>"}), "UserError")
        self.assertEqual((scheduled.state, scheduled.name, scheduled.partner_id), ("scheduled", "Later", self.ana))

    # ------------------------------------------------------------
    # 5. Hostile input
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_hostile_values_named_and_nothing_written(self):
        """Values the web client never sends, on every model of the addons a
        low role may write: each answered with an error naming the field
        (never a raw database or Python error) and nothing created."""
        CN, R, G = "crm.customer.notification", "crm.customer.reminder", "crm.customer.group"
        big = 10**12
        notification_cases = {
            "Customer": [{"partner_id": [self.ana.id]}, {"partner_id": {"id": self.ana.id}},
                         {"partner_id": big}, {"partner_id": 999_999_999}],
            "Customer Group": [{"kind": "group", "partner_id": False, "group_id": big}],
            "Company": [{"company_id": big}],
            "Kind": [{"kind": "everyone"}],
            "Channel": [{"channel": "fax"}],
            "Timezone": [{"tz": "Mars/Phobos"}],
            "Send On": [{"timing": "scheduled", "scheduled_date": "not a date"},
                        {"timing": "scheduled", "scheduled_date": "99999-01-01 00:00:00"}],
            "Until": [{"recurrency": True, "until": "2024-02-30"}],
            "Repeat": [{"recurrency": True, "rrule_type": "hourly"}],
            "Title": [{"name": ["a"]}, {"name": "x" * (10 * 1024 * 1024)}],
            "Body": [{"body": 12}],
            "Recurring": [{"recurrency": "yes"}],
        }
        reminder_cases = {
            "Customer": [{"partner_id": [self.cust_a.id]}, {"partner_id": {"id": self.cust_a.id}},
                         {"partner_id": str(self.cust_b.id)}, {"partner_id": float(self.cust_b.id)},
                         {"partner_id": big}],
            "Type": [{"type_id": big}],
            "Repeat Every": [{"recurrency": True, "interval": big}, {"recurrency": True, "interval": 10**6}],
            "Repetitions": [{"recurrency": True, "end_type": "count", "count": big}],
            "By day": [{"recurrency": True, "rrule_type": "monthly", "month_by": "day", "byday": "5"}],
            "Activation": [{"activation_date": "tomorrow"}, {"activation_date": 42}],
            "Receivers": [{"receivers": "everyone"}],
            "Name": [{"name": "x" * (10 * 1024 * 1024)}],
        }
        group_cases = {
            "Customers": [{"partner_ids": [Command.set([big])]}, {"partner_ids": "all"}],
            "Name": [{"name": "g" * 300}],
        }
        counts = {model: self.env[model].sudo().search_count([]) for model in (CN, R, G)}
        self.login(self.salall)
        for label, cases in notification_cases.items():
            for extra in cases:
                with self.subTest(model=CN, value=str(extra)[:80]):
                    self.assert_named_error(self.call(CN, "create", self.safe_values(**extra)), label,
                                            f"{CN} {str(extra)[:80]}")
                    self.assert_named_error(self.call(CN, "write", self.draft_sal.ids, extra), label,
                                            f"{CN} write {str(extra)[:80]}")
        for label, cases in group_cases.items():
            for extra in cases:
                with self.subTest(model=G, value=str(extra)[:80]):
                    self.assert_named_error(self.call(G, "create", dict({"name": "G"}, **extra)), label,
                                            f"{G} {str(extra)[:80]}")
        self.login(self.sup_a)
        for label, cases in reminder_cases.items():
            for extra in cases:
                with self.subTest(model=R, value=str(extra)[:80]):
                    self.assert_named_error(
                        self.call(R, "create", dict({"name": "R", "partner_id": self.cust_a.id}, **extra)), label,
                        f"{R} {str(extra)[:80]}")
        for model, count in counts.items():
            self.assertEqual(self.env[model].sudo().search_count([]), count, f"{model}: a refused create wrote")
        self.assertEqual(self.draft_sal.read(["name", "partner_id", "state"])[0]["name"],
                         "Sal's draft {{ object.name }}")

    @mute_logger("odoo.http")
    def test_translations_respect_the_limits(self):
        """update_field_translations writes a language's text in SQL, past
        create and write: the title's 250 characters, the body's 500,000 and
        a reminder type's 100 must hold there too (a 10 MB subject in
        French otherwise), with an error naming the field."""
        self.login(self.sal)
        CN = "crm.customer.notification"
        outcomes = {
            "title fr": self.call(CN, "update_field_translations", self.draft_sal.ids, "name",
                                  {"fr_FR": "x" * 300_000}),
            "body fr": self.call(CN, "update_field_translations", self.draft_sal.ids, "body",
                                 {"fr_FR": "<p>" + "x" * 600_000 + "</p>"}),
        }
        own_type = self.env["crm.customer.reminder.type"].with_user(self.sup_b).create({"name": "Sup B's type"})
        self.login(self.sup_b)
        outcomes["type fr"] = self.call("crm.customer.reminder.type", "update_field_translations", own_type.ids,
                                        "name", {"fr_FR": "t" * 200_000})
        outcomes["type en"] = self.call("crm.customer.reminder.type", "update_field_translations", own_type.ids,
                                        "name", {"en_US": "t" * 200_000})
        labels = {"title fr": "Title", "body fr": "Body", "type fr": "Name", "type en": "Name"}
        for key, outcome in outcomes.items():
            with self.subTest(attempt=key):
                self.assert_named_error(outcome, labels[key], key)
        self.assertLessEqual(len(self.draft_sal.with_context(lang="fr_FR").name), 250)
        self.assertLessEqual(len(own_type.with_context(lang="fr_FR").name), 100)

    @mute_logger("odoo.http")
    def test_public_methods_check_their_arguments(self):
        """The addons' own public methods with hostile arguments: the bell's
        systray_get_notifications and the reminder preview
        get_next_occurrences (bad counts, several or no records)."""
        self.login(self.sal)
        for limit in (-1, 0, 10**9, "x", None, 2.5, True, [5]):
            with self.subTest(limit=limit):
                self.assert_named_error(self.call("crm.notification", "systray_get_notifications", limit),
                                        "Limit", f"limit={limit!r}")
        self.assert_named_error(self.call("crm.notification", "systray_get_notifications", limit=-1), "Limit")
        self.login(self.sup_a)
        R = "crm.customer.reminder"
        for count in (0, -1, 101, 200_000, 10**12, "5", None, 2.5):
            with self.subTest(count=count):
                self.assert_named_error(self.call(R, "get_next_occurrences", self.rem_a.ids, count), "Count",
                                        f"count={count!r}")
        other = self.env[R].create({"name": "Another", "partner_id": self.cust_a2.id})
        for ids in ((self.rem_a | other).ids, []):
            with self.subTest(ids=ids):
                _result, error = self.call(R, "get_next_occurrences", ids, 5)
                self.assertIsNotNone(error)
                self.assertIn(error["name"], ("odoo.exceptions.ValidationError", "odoo.exceptions.UserError"),
                              f"get_next_occurrences on {len(ids)} records: {error['name']}: {error['message']}")

    @mute_logger("odoo.http")
    def test_reminder_recurrence_from_1970_stays_cheap(self):
        """A supervisor activates a daily reminder on 1970-01-01 (inside the
        accepted range): saving it, previewing it and computing its next
        occurrences must not walk every day since 1970 (about 20,000
        occurrences, each converted from local time): the preview is
        recomputed on every change of the form, the next date by the cron
        for every reminder it sends. Counted, not timed: the occurrences
        converted from local time by the recurrence engine during the calls
        (bench/ times the engine)."""
        self.login(self.sup_a)
        R = "crm.customer.reminder"
        values = {"name": "Since 1970", "partner_id": self.cust_a.id, "recurrency": True, "rrule_type": "weekly",
                  **dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), True),
                  "end_type": "forever", "activation_date": "1970-01-01 08:00:00", "tz": "Europe/Brussels"}
        converted = {}
        with patch.object(recurrence, "local_to_utc", wraps=recurrence.local_to_utc) as local_to_utc:
            reminder_id = self.ok(self.call(R, "create", values))
            converted["create"] = local_to_utc.call_count
            self.ok(self.call(R, "read", [reminder_id], ["next_occurrences_preview"]))
            converted["preview"] = local_to_utc.call_count - sum(converted.values())
            self.ok(self.call(R, "get_next_occurrences", [reminder_id], 100))
            converted["next 100"] = local_to_utc.call_count - sum(converted.values())
            self.ok(self.call(R, "onchange", [], dict(values, interval=2), ["interval"],
                              dict.fromkeys([*values, "next_occurrences_preview"], {})))
            converted["onchange"] = local_to_utc.call_count - sum(converted.values())
        _logger.info("reminder since 1970, occurrences converted: %s", converted)
        # from near "now": a few occurrences per call (the 100 asked for
        # included), not the 20,000 since 1970
        self.assertLess(sum(converted.values()), 1000, f"occurrences walked per call: {converted}")

    @mute_logger("odoo.http")
    def test_assignee_does_not_silence_the_escalation(self):
        """Activity alerts escalate a late activity to the escalation
        recipients. Their bookkeeping fields are readonly in the form only:
        the assignee writes them by RPC (the deadline the escalation was
        'sent for', the computed UTC deadline) and the escalation of their
        late activity never leaves. Refused; the escalation still due."""
        lead = self.env["crm.lead"].create({"name": "Late lead", "user_id": self.sal.id})
        activity = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"), "res_id": lead.id,
            "user_id": self.sal.id, "summary": "Call back", "date_deadline": "2020-01-01",
        })
        deadline = activity.crm_deadline_utc
        self.login(self.sal)
        self.call("mail.activity", "write", activity.ids, {
            "crm_escalation_done_for": fields.Datetime.to_string(deadline),
            "crm_reminder_done_for": fields.Datetime.to_string(deadline)})
        self.call("mail.activity", "write", activity.ids, {"crm_deadline_utc": "2999-01-01 00:00:00"})
        self.assertEqual((activity.crm_escalation_done_for, activity.crm_deadline_utc), (False, deadline),
                         "the assignee rewrote the escalation bookkeeping of their late activity")

    @mute_logger("odoo.http")
    def test_second_company_reminder_admin_receives_nothing_of_the_first(self):
        """A reminder administrator of the second company only: the first
        company's reminders are invisible to him (multi-company rule), and so
        must be what they say when they go out. His bell (in-app
        notifications, which have no company rule: they are his) must not
        bring him the first company's reminders, their customers and their
        messages."""
        self.login(self.c2)
        self.assert_refused(self.call("crm.customer.reminder", "read", self.rem_a.ids, ["message"]))
        bell = self.ok(self.call("crm.notification", "systray_get_notifications", 100))
        listed = json.dumps(bell)
        for text in ("Renewal A", "Renewal B", "Customer A", "Customer B", "Area A only", "Confidential to area B"):
            self.assertNotIn(text, listed, f"the second company's user receives the first's reminders: {text}")
        rows = self.ok(self.call("crm.notification", "search_read", [], ["title", "body"]))
        self.assertFalse([row for row in rows if "Renewal" in (row["title"] or "")])

    # ------------------------------------------------------------
    # 6. Portal
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_portal_user_is_refused_everything(self):
        """A portal user calls every model and public method of the addons:
        each refused (AccessError), none answers data."""
        self.login(self.portal)
        calls = [
            ("crm.notification", "search_read", [[]]),
            ("crm.notification", "systray_get_notifications", [5]),
            ("crm.notification", "get_unread_count", []),
            ("crm.notification", "action_mark_all_read", []),
            ("crm.notification.rule", "search_read", [[]]),
            ("crm.notification.delivery", "search_read", [[]]),
            ("crm.notification.delivery", "read", [self.d_sal.ids, ["res_name"]]),
            ("crm.customer.notification", "search_read", [[]]),
            ("crm.customer.notification", "create", [self.safe_values()]),
            ("crm.customer.notification", "action_send", [self.draft_sal.ids]),
            ("crm.customer.notification", "action_deactivate", [self.sent_sal.ids]),
            ("crm.customer.group", "search_read", [[]]),
            ("crm.customer.group", "create", [{"name": "Portal's"}]),
            ("crm.customer.reminder", "search_read", [[]]),
            ("crm.customer.reminder", "get_next_occurrences", [self.rem_a.ids, 5]),
            ("crm.customer.reminder", "create", [{"name": "P", "partner_id": self.portal.partner_id.id}]),
            ("crm.customer.reminder.type", "search_read", [[]]),
            ("res.partner", "read", [self.ana.ids, ["crm_delivery_count"]]),
            ("res.partner", "write", [self.portal.partner_id.ids, {"crm_area_id": self.team_a.id}]),
            ("crm.team", "write", [self.team_a.ids, {"reminder_supervisor_ids": [(4, self.portal.id)]}]),
        ]
        for model, method, args in calls:
            with self.subTest(call=f"{model}.{method}"):
                self.assert_refused(self.call(model, method, *args), msg=f"{model}.{method}")
        self.assertFalse(self.portal.partner_id.crm_area_id)
