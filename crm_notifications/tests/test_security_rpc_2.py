# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Second pass of attacks through the RPC layer: the delivery states
(queued, sent, failed, bounced, uncertain), the send attempts committed
apart, the bounce hook, the per-state counts, the alerts-only mail server,
the senders' advisory lock, and the areas fixed after the first pass.

Same roles and fixture as ``test_security_rpc`` (``SecurityRpcCase``): the
lowest role that could try, through ``/web/dataset/call_kw`` and XML-RPC,
with what a hostile client may send. The crons and the mail queue run for
real, as the superuser, and the tests look in the database afterwards.
"""

import json
import logging
import uuid

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SecurityRpcCase

_logger = logging.getLogger(__name__)

ATTEMPTS_CONTEXT_KEY = "crm_attempt_mail_ids"
XSS = '<img src="/crm-xss-probe.png" onerror="window.__crmXss = 1">'


def forged_bounce(original_message_id, bounced_email):
    """A delivery status notification as a mail server sends it back: what
    Odoo's bounce detection needs is a multipart/report (or a
    MAILER-DAEMON sender) quoting the original Message-Id."""
    dsn_id = f"<dsn-{uuid.uuid4().hex}@mx.example.com>"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        "To: bounce@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-Id: {dsn_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\r\n'
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "Your message could not be delivered.\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {bounced_email}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n"
        f"Message-Id: {original_message_id}\r\n"
        "Subject: whatever\r\n"
        "\r\n"
        "x\r\n"
        "--BOUNDARY--\r\n"
    )


@tagged("post_install", "-at_install")
class TestSecurityRpc2(SecurityRpcCase):
    """Delivery states, send attempts, bounces, counts, the alerts' mail
    server and the sending lock, attacked as the roles of the README."""

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def process_queue(self):
        """Odoo's mail queue cron, as it runs (superuser; in tests the SMTP
        exchange itself is skipped by Odoo and counts as accepted)."""
        self.env.flush_all()
        self.env["mail.mail"].process_email_queue()
        self.env.flush_all()
        self.env.invalidate_all()

    def attempts_of(self, mail):
        return self.env["crm.notification.send.attempt"].sudo().search([("mail_id", "=", mail.id)])

    def lead_of(self, user, company=None):
        """A lead of ``user``'s, created by them through RPC: something they
        may post on."""
        self.login(user)
        values = {"name": f"Lead of {user.login}", "user_id": user.id}
        if company:
            values["company_id"] = company.id
        return self.ok(self.call("crm.lead", "create", values))

    def sent_alert(self, assignee, summary="Call back", target=None):
        """An activity of ``assignee`` on ``target`` (a contact everybody
        reads) due today: its reminder e-mail goes out through the real cron
        and mail queue. Returns (activity, e-mail delivery)."""
        target = target or self.ana
        # due today in the assignee's timezone, reminded up to 48 hours
        # before: due now whatever the hour of the run (24 hours would miss
        # it in the hour before midnight of a timezone behind the admin's)
        assignee.company_id.sudo().crm_activity_reminder_hours = 48
        activity = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id(target._name), "res_id": target.id,
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id, "summary": summary,
            "date_deadline": fields.Date.context_today(assignee), "user_id": assignee.id,
        })
        self.env.flush_all()
        self.env["mail.activity"]._cron_send_activity_alerts()
        delivery = self.env["crm.notification.delivery"].search(
            [("res_model", "=", "mail.activity"), ("res_id", "=", activity.id), ("channel", "=", "email")])
        self.assertEqual(len(delivery), 1, "fixture: the activity's reminder e-mail is claimed")
        self.process_queue()
        self.assertEqual(delivery.state, "sent", f"fixture: the reminder e-mail left ({delivery.reason})")
        return activity, delivery

    # ------------------------------------------------------------
    # 1. Send attempts and the 'uncertain' state
    # ------------------------------------------------------------

    @mute_logger("odoo.addons.crm_notifications.models.crm_notification_delivery")
    def test_send_attempt_not_forged_through_the_context(self):
        """``ir.mail_server.send_email`` records an attempt for the mail id
        it finds under the context key ``crm_attempt_mail_ids``, keyed by the
        Message-Id of the message being sent. A client sets any context key:
        an own-documents salesman posts a message on his own lead, choosing
        its Message-Id (``message_id``, a field message_post accepts) and
        sending it at once (``send_after_commit=False``), with that key
        pointing his Message-Id at another salesman's queued customer e-mail
        (mail ids are sequential). In production the same context reaches
        the send after commit. The next queue run must not take that e-mail
        for one whose sender died mid-send ('uncertain': withheld for good,
        the administrators told): it must leave. Same from the second
        company's user by XML-RPC, at the first company's e-mail."""
        victims = {self.sal: self.d_sal2, self.c2: self.d_sal}
        self.assertEqual(self.d_c2.state, "queued", "fixture")
        for attacker, victim in victims.items():
            mail = victim.sudo().mail_id
            self.assertEqual((victim.state, mail.state), ("queued", "outgoing"), "fixture")
            lead_id = self.lead_of(attacker, company=attacker.company_id)
            forged_id = f"<attack-{uuid.uuid4().hex}@example.com>"
            kwargs = {
                "body": "Hello", "message_type": "comment", "subtype_xmlid": "mail.mt_comment",
                "partner_ids": [self.ana.id], "message_id": forged_id, "send_after_commit": False,
                "context": {ATTEMPTS_CONTEXT_KEY: {forged_id: mail.id}},
            }
            if attacker == self.sal:
                self.ok(self.call("crm.lead", "message_post", [lead_id], **kwargs))
            else:
                _result, fault = self.xmlrpc(attacker, "crm.lead", "message_post", [lead_id], **kwargs)
                self.assertIsNone(fault, f"the attacker's own post fails: {fault}")
        self.process_queue()
        # control: an e-mail nobody aimed at leaves as usual in this run
        self.assertEqual(self.d_c2.state, "sent", "fixture: the queue sends")
        for attacker, victim in victims.items():
            with self.subTest(attacker=attacker.login):
                mail = victim.sudo().mail_id  # customer e-mails are deleted once sent
                self.assertEqual(
                    (victim.state, mail.state or "sent"), ("sent", "sent"),
                    f"{attacker.login}'s post made the queue settle e-mail {mail.id} of delivery {victim.id} "
                    f"({victim.res_name!r}, another sender's) as {victim.state!r} instead of sending it: "
                    f"{victim.reason}")

    # ------------------------------------------------------------
    # 2. Bounces
    # ------------------------------------------------------------

    @mute_logger("odoo.http", "odoo.addons.mail.models.mail_thread")
    def test_alert_bounce_not_forged_by_a_colleague(self):
        """Odoo takes for a bounce any e-mail from MAILER-DAEMON (or a
        multipart/report) quoting a Message-Id it sent, whoever delivers it:
        its mail gateway (``mail.thread.message_process``) is open to any
        logged-in user through RPC, as the catch-all address is to anybody.
        So a bounce is as secret as the Message-Id, which the delivery log
        shows administrators only. An own-documents salesman, not the
        recipient, reads the Message-Id of a colleague's activity reminder
        e-mail where he may read it (the messages of the activities of a
        contact he may edit: ``mail.message``, ``model = mail.activity``),
        and feeds the gateway a bounce of it naming the colleague's address.
        The delivery must stay 'sent', and the administrators must not be
        told that it bounced."""
        _activity, delivery = self.sent_alert(self.sal)
        self.login(self.sal2)
        rows, error = self.call("mail.message", "search_read", [("model", "=", "mail.activity")], ["message_id"])
        message_ids = [row["message_id"] for row in rows or [] if row.get("message_id")]
        for message_id in message_ids:
            self.call("mail.thread", "message_process", False, forged_bounce(message_id, self.sal.email))
        self.env.invalidate_all()
        self.assertEqual(
            delivery.state, "sent",
            f"{self.sal2.login} read {len(message_ids)} alert Message-Id(s) ({error and error['message'][:80]}) "
            f"and his forged bounce made {self.sal.login}'s reminder e-mail {delivery.state!r}: {delivery.reason}")
        self.env.cr.precommit.run()
        told = self.env["crm.notification"].search([
            ("event", "=", "delivery_failed"), ("res_model", "=", delivery._name), ("res_id", "=", delivery.id)])
        self.assertFalse(told, f"the administrators were told: {told.mapped('title')}")

    # ------------------------------------------------------------
    # 3. Areas: supervisors named by reminder administrators only
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_area_supervisors_not_named_through_context_defaults(self):
        """Naming the supervisors of an area grants reading its reminders:
        reminder administrators only, at creation as later. A sales manager
        (who creates sales teams) passes them as a default of the context
        instead of a value: ``default_reminder_supervisor_ids``, JSON-RPC
        and XML-RPC. Refused, or the new area has no supervisor."""
        self.login(self.mgr)
        payloads = {
            "json": lambda: self.call("crm.team", "create", {"name": "Area by default (json)"}, context={
                "default_reminder_supervisor_ids": [Command.set(self.mgr.ids)]}),
            "xmlrpc": lambda: self.xmlrpc(self.mgr, "crm.team", "create", {"name": "Area by default (xmlrpc)"},
                                          context={"default_reminder_supervisor_ids": [[4, self.mgr.id]]}),
        }
        for label, attack in payloads.items():
            with self.subTest(path=label):
                result, _error = attack()
                team = self.env["crm.team"].browse(result if isinstance(result, int) else [])
                self.assertFalse(team.sudo().reminder_supervisor_ids,
                                 f"a sales manager named {team.sudo().reminder_supervisor_ids.mapped('login')} "
                                 f"reminder supervisors of the new area {team.name!r} ({label})")

    @mute_logger("odoo.http")
    def test_contact_merge_in_every_order(self):
        """The merge wizard, re-attacked by area A's supervisor (a contact
        editor) in the orders the first pass did not try: area B's customer
        kept and A's merged into it (A's reminder would leave for B), no
        contact chosen to keep (the wizard picks one), and a contact without
        area whose reminder only administrators read merged into A's
        customer (it would come into A). Each refused; every reminder stays
        on its customer."""
        lone = self.env["res.partner"].create({"name": "Lone customer"})
        rem_lone = self.env["crm.customer.reminder"].create({
            "name": "Renewal lone", "partner_id": lone.id, "message": "Administrators only", "receivers": "admins"})
        before = {rem: rem.partner_id for rem in (self.rem_a, self.rem_b, rem_lone)}
        attempts = {
            "B kept": ((self.cust_a | self.cust_b), self.cust_b),
            "wizard's choice": ((self.cust_b | self.cust_a), None),
            "no area into A": ((self.cust_a2 | lone), self.cust_a2),
        }
        self.login(self.sup_a)
        for label, (partners, kept) in attempts.items():
            with self.subTest(order=label):
                values = {"partner_ids": [Command.set(partners.ids)], "state": "selection"}
                if kept:
                    values["dst_partner_id"] = kept.id
                wizard, error = self.call("base.partner.merge.automatic.wizard", "create", values)
                if not error:
                    _result, error = self.call("base.partner.merge.automatic.wizard", "action_merge", [wizard])
                moved = {rem.name: rem.sudo().partner_id.name for rem, partner in before.items()
                         if rem.sudo().partner_id != partner}
                self.assertFalse(moved, f"merging ({label}) moved reminders: {moved}")
        self.login(self.sup_a)
        readable = self.ok(self.call("crm.customer.reminder", "search", [("active", "in", [True, False])]))
        self.assertNotIn(rem_lone.id, readable)

    # ------------------------------------------------------------
    # 4. Send attempts, the alerts' mail server, the senders' lock
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_send_attempts_closed_to_every_role(self):
        """``crm.notification.send.attempt`` is what makes a queued e-mail
        'uncertain' (never sent again): nobody creates, edits or deletes
        one, administrators only read them. Every role by JSON-RPC, the
        administrator by XML-RPC too."""
        mail = self.d_sal2.sudo().mail_id
        self.env["mail.mail"]._crm_record_attempt(self.d_sal.sudo().mail_id.id)
        attempt = self.attempts_of(self.d_sal.sudo().mail_id)
        self.assertTrue(attempt, "fixture")
        A = "crm.notification.send.attempt"
        forged = {"mail_id": mail.id, "attempt": 1, "date": fields.Datetime.to_string(fields.Datetime.now())}
        for user in self.attackers | self.admin:
            with self.subTest(user=user.login):
                self.login(user)
                if user != self.admin:
                    self.assert_refused(self.call(A, "search_read", [], ["mail_id"]))
                    self.assert_refused(self.call(A, "read", attempt.ids, ["mail_id"]))
                self.assert_refused(self.call(A, "create", forged))
                self.assert_refused(self.call(A, "write", attempt.ids, {"mail_id": mail.id}))
                self.assert_refused(self.call(A, "unlink", attempt.ids))
        _result, fault = self.xmlrpc(self.admin, A, "create", forged)
        self.assertIsNotNone(fault, "XML-RPC: the administrator created a send attempt")
        self.assertFalse(self.attempts_of(mail), "a send attempt was forged")
        self.assertEqual(attempt.exists().mail_id, self.d_sal.sudo().mail_id.id, "the send attempt was changed")

    @mute_logger("odoo.http")
    def test_alerts_mail_server_kept_from_users(self):
        """The activity alerts' mail server (``crm_alerts_only``, the
        company's alerts server, its SMTP settings) as a sales manager, an
        all-documents salesman, a reminder administrator of the second
        company and a plain employee: flag the shared server alerts-only
        (Odoo's other mail would lose it), create a flagged one, point the
        company's alerts at a server, set it up from the settings. All
        refused; nothing changed."""
        alerts = self.env["ir.mail_server"].create({"name": "Alerts", "smtp_host": "alerts.invalid",
                                                    "crm_alerts_only": True})
        for user in (self.mgr, self.salall, self.c2, self.employee):
            with self.subTest(user=user.login):
                self.login(user)
                self.assert_refused(self.call("ir.mail_server", "write", self.smtp.ids, {"crm_alerts_only": True}))
                self.assert_refused(self.call("ir.mail_server", "write", alerts.ids, {"crm_alerts_only": False}))
                self.assert_refused(self.call("ir.mail_server", "create", {
                    "name": "Mine", "smtp_host": "evil.example.com", "crm_alerts_only": True}))
                self.assert_refused(self.call("res.company", "write", user.company_id.ids, {
                    "crm_activity_mail_server_id": self.smtp.id}))
                self.assert_refused(self.call("res.config.settings", "create", {
                    "crm_activity_smtp_host": "evil.example.com", "crm_activity_smtp_user": "me",
                    "crm_activity_smtp_pass": "x"}))
        self.assertEqual((self.smtp.crm_alerts_only, alerts.crm_alerts_only), (False, True))
        self.assertFalse(self.env["ir.mail_server"].search([("smtp_host", "=", "evil.example.com")]))
        self.assertFalse((self.company | self.company2).crm_activity_mail_server_id)

    @mute_logger("odoo.http")
    def test_senders_lock_out_of_reach(self):
        """One worker sends at a time (a transaction-level advisory lock per
        sending cron): whoever could take it, or run the sending crons on
        demand, would stall or race them. The lock's methods, the cron
        methods, the crons' manual run and an aggregate named after
        PostgreSQL's advisory functions, as an employee, a salesman and a
        supervisor: refused, and no advisory lock is left held by their
        requests."""
        crons = [self.env.ref(f"crm_notifications.{xmlid}").id
                 for xmlid in ("ir_cron_customer_notifications", "ir_cron_customer_reminders")]
        calls = {
            "lock": ("crm.notification.delivery", "_try_sender_lock", ["crm.customer.reminder"]),
            "run": ("crm.notification.delivery", "_run_sender", ["crm.customer.reminder", False]),
            "notifications cron": ("crm.customer.notification", "_cron_send_due", []),
            "reminders cron": ("crm.customer.reminder", "_cron_send_due_reminders", []),
            "alerts cron": ("mail.activity", "_cron_send_activity_alerts", []),
            "manual run": ("ir.cron", "method_direct_trigger", [crons]),
            "aggregate": ("crm.notification.delivery", "read_group",
                          [[], ["id:pg_advisory_lock"], ["state"]]),
            "aggregate xact": ("crm.notification.delivery", "read_group",
                               [[], ["id:pg_try_advisory_xact_lock"], ["state"]]),
        }
        held = self.advisory_locks()
        for user in (self.employee, self.sal, self.sup_b):
            self.login(user)
            for label, (model, method, args) in calls.items():
                with self.subTest(user=user.login, call=label):
                    _result, error = self.call(model, method, *args)
                    self.assertIsNotNone(error, f"{user.login} called {model}.{method}")
        # the requests ran in this test's transaction: a lock they took is still held
        self.assertEqual(self.advisory_locks(), held, "an RPC call took a sender's lock")

    def advisory_locks(self):
        self.env.cr.execute("SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                            "AND pid = pg_backend_pid()", [0x6372])
        return {row[0] for row in self.env.cr.fetchall()}

    # ------------------------------------------------------------
    # 5. Counts per state and the deliveries' action
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_counts_and_action_show_no_more_than_the_rows(self):
        """The per-state counts of a notification or reminder and the
        action listing its deliveries, read by each role on every source
        they may read: a count never covers rows the reader may not list
        (another salesman's, another area's, another company's, hidden
        group members'), the hidden ones are a number only, and a crafted
        ``delivery_state`` or context widens nothing."""
        # a group send with a member the sender may not read, and one row per state
        shared = self.env["crm.customer.group"].create({
            "name": "Shared", "company_id": False, "partner_ids": [Command.set((self.ana | self.other_co).ids)]})
        self.login(self.salall)
        group_send = self.ok(self.call("crm.customer.notification", "create", self.safe_values(
            name="Group send", kind="group", partner_id=False, group_id=shared.id)))
        self.ok(self.call("crm.customer.notification", "action_send", [group_send]))
        self.run_crons()
        hidden = self.env["crm.notification.delivery"].search(
            [("customer_notification_id", "=", group_send), ("hidden_recipient", "=", True)])
        self.assertEqual(hidden.partner_id, self.other_co, "fixture: the other company's member is hidden")
        for state, delivery in zip(("failed", "bounced", "uncertain"), self.d_rem_a | self.d_rem_b, strict=False):
            delivery.write({"state": state, "reason": f"{state} for the test"})
        state_fields = self.env["crm.customer.reminder"]._delivery_state_fields()
        count_fields = ["delivery_count", *state_fields.values()]
        hostile_contexts = (
            {"delivery_state": "hidden"}, {"delivery_state": "sent') OR (1=1"},
            {"delivery_state": ["sent", "failed"]}, {"delivery_state": {"state": "sent"}},
            {"delivery_state": "failed", "active_test": False, "default_hidden_recipient": True,
             "search_default_filter_failed": 1},
        )
        D = "crm.notification.delivery"
        for user in (self.sal, self.sal2, self.salall, self.sup_a, self.sup_b, self.mgr, self.c2):
            self.login(user)
            for model in ("crm.customer.notification", "crm.customer.reminder"):
                rows, error = self.call(model, "search_read", [], [*count_fields, "delivery_hidden_count"])
                for row in rows or []:
                    with self.subTest(user=user.login, model=model, id=row["id"]):
                        base = [("res_model", "=", model), ("res_id", "=", row["id"])]
                        listed = self.ok(self.call(D, "search_read", base, ["state", "hidden_recipient"]))
                        self.assertFalse([r for r in listed if r["hidden_recipient"]],
                                         "hidden group members' rows are listed")
                        self.assertEqual(row["delivery_count"], len(listed), "the count covers unlisted rows")
                        for state, fname in state_fields.items():
                            self.assertEqual(row[fname], len([r for r in listed if r["state"] == state]),
                                             f"{fname} covers unlisted rows")
                        for context in hostile_contexts:
                            action = self.ok(self.call(model, "action_view_deliveries", [row["id"]],
                                                       context=context))
                            self.assertEqual(action["context"], {}, f"the action carries {action['context']}")
                            state = context["delivery_state"]
                            valid = isinstance(state, str) and state in state_fields
                            expected = base + ([("state", "=", state)] if valid else [])
                            self.assertEqual([tuple(term) for term in action["domain"]], expected)
        self.login(self.salall)
        row = self.ok(self.call("crm.customer.notification", "read", [group_send],
                                ["delivery_hidden_count", "delivery_ids"]))[0]
        self.assertEqual(row["delivery_hidden_count"], 1)
        self.assertNotIn(hidden.id, row["delivery_ids"], "the latest deliveries list a hidden member's row")
        web = self.ok(self.call("crm.customer.notification", "web_read", [group_send], {
            "delivery_ids": {"fields": {"partner_id": {"fields": {"display_name": {}}}, "reason": {}}}}))
        self.assertNotIn(self.other_co.name, json.dumps(web), "the hidden member is named")
        # a source the user may not read: the action lists nothing of it
        self.login(self.sal)
        action, error = self.call("crm.customer.notification", "action_view_deliveries", self.cn_c2.ids)
        if not error:
            self.assertFalse(self.ok(self.call(D, "search", action["domain"])),
                             "the action lists another company's deliveries")

    # ------------------------------------------------------------
    # 6. Input: what the checks reveal, translations of shared names
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_record_checks_reveal_no_more_than_odoo(self):
        """The input checks answer "record N does not exist" for an id that
        is none, before the access checks: an oracle of which ids exist? No
        more than Odoo's own: its crm.lead answers the same ids with a
        MissingError and another company's contact with its multi-company
        error. For each hostile id, an own-documents salesman gets from the
        addon no name and no existence Odoo's own lead form does not give
        him."""
        self.login(self.sal)
        lead_id = self.lead_of(self.sal)
        other_name = self.other_co.name
        for partner_id in (self.other_co.id, 10**8, 2**31 - 1):
            with self.subTest(partner_id=partner_id):
                ours = self.call("crm.customer.notification", "write", self.draft_sal.ids, {"partner_id": partner_id})
                odoos = self.call("crm.lead", "write", [lead_id], {"partner_id": partner_id})
                self.assertIsNotNone(ours[1], "accepted")
                self.assertIsNotNone(odoos[1], "fixture: Odoo refuses")
                if other_name in ours[1]["message"]:
                    self.assertIn(other_name, odoos[1]["message"], "the addon names a record Odoo does not")
        self.assertEqual(self.draft_sal.partner_id, self.ana)

    @mute_logger("odoo.http")
    def test_translations_of_shared_names(self):
        """``update_field_translations`` writes apart from ``write``: the
        name of a reminder type shared by every area (created by an
        administrator, or by another supervisor) as area B's supervisor,
        the name of a message rule as a salesman, hostile values on his own
        type. Refused by the same rules as ``write``; length and type
        checked; nothing stored."""
        type_a = self.env["crm.customer.reminder.type"].with_user(self.sup_a).create({"name": "Type of A"})
        self.login(self.sup_b)
        for reminder_type in (self.type_shared, type_a.sudo()):
            with self.subTest(type=reminder_type.name):
                self.assert_refused(self.call("crm.customer.reminder.type", "update_field_translations",
                                              reminder_type.ids, "name", {"fr_FR": "Piraté"}))
                self.assertFalse(reminder_type.with_context(lang="fr_FR").name == "Piraté")
        own = self.ok(self.call("crm.customer.reminder.type", "create", {"name": "Type of B"}))
        for value in ("x" * 101, ["list"], {"en_US": "nested"}, 12):
            with self.subTest(value=str(value)[:20]):
                result, error = self.call("crm.customer.reminder.type", "update_field_translations", [own], "name",
                                          {"fr_FR": value})
                self.assertIsNotNone(error, f"{value!r} accepted")
                self.assertNotIn(error["name"], ("builtins.TypeError", "builtins.AttributeError",
                                                 "psycopg2.errors.DataException"), error["message"][:200])
        self.env["crm.customer.reminder.type"].invalidate_model()
        self.assertEqual(self.env["crm.customer.reminder.type"].browse(own).with_context(lang="fr_FR").name,
                         "Type of B")
        rule = self.env["crm.notification.rule"].search([], limit=1)
        self.login(self.sal)
        self.assert_refused(self.call("crm.notification.rule", "update_field_translations", rule.ids, "name",
                                      {"fr_FR": "Piraté"}))

    # ------------------------------------------------------------
    # 7. Markup in what the administrators are shown
    # ------------------------------------------------------------

    @mute_logger("odoo.addons.crm_notifications.models.crm_notification_delivery")
    def test_failed_alert_markup_not_run_in_the_administrators_browser(self):
        """A failed alert e-mail is told to the administrators in their bell;
        its title quotes the activity's summary (any user writes one) and
        its body the mail server's reply (a server echoes what it was given),
        the delivery's name and reason keep them. An employee's summary and
        a server reply carrying an event handler, opened by an administrator
        in the bell, the notification, the delivery log and the delivery:
        shown as text, never run."""
        activity, delivery = self.sent_alert(self.sal, summary=f"Call back {XSS}")
        delivery._mails_failed(False, f"(550, b'5.1.1 <{self.sal.email}>: unknown {XSS}')")
        self.env.cr.precommit.run()
        told = self.env["crm.notification"].search([("user_id", "=", self.admin.id),
                                                     ("event", "=", "delivery_failed")])
        self.assertEqual(len(told), 1, "fixture: the administrator is told")
        self.assertIn("onerror", told.title + told.body)
        code = """
            const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
            const until = async (selector) => {
                const deadline = Date.now() + 15000;
                while (!document.querySelector(selector) && Date.now() < deadline) {
                    await wait(100);
                }
                await wait(500);
                return document.querySelector(selector);
            };
            const shown = (where) => {
                if (window.__crmXss) {
                    throw new Error(`XSS: the markup ran in ${where}`);
                }
                if (!document.body.innerText.includes("onerror")) {
                    throw new Error(`the markup is not shown as text in ${where}`);
                }
            };
            (async () => {
                try {
                    if (!(await until(".o_list_view .o_data_row"))) {
                        throw new Error("the delivery log did not open");
                    }
                    const action = odoo.__WOWL_DEBUG__.root.env.services.action;
                    shown("the delivery log");
                    document.querySelector(".o_crm_notification_systray").click();
                    if (!(await until(".o_crm_notification_item"))) {
                        throw new Error("the bell did not open");
                    }
                    shown("the bell");
                    await action.doAction({type: "ir.actions.act_window", res_model: "crm.notification.delivery",
                                           res_id: DELIVERY, views: [[false, "form"]]});
                    await until(".o_form_view .o_field_widget[name=reason]");
                    shown("the delivery");
                    await action.doAction({type: "ir.actions.act_window", res_model: "crm.notification",
                                           res_id: NOTIFICATION, views: [[false, "form"]]});
                    await until(".o_form_view .o_field_widget[name=body]");
                    shown("the notification");
                    console.log("test successful");
                } catch (error) {
                    console.error(error.message);
                }
            })();
        """.replace("DELIVERY", str(delivery.id)).replace("NOTIFICATION", str(told.id))
        self.browser_js("/odoo/action-crm_notifications.crm_notification_delivery_action", code,
                        login=self.admin.login, timeout=90)
