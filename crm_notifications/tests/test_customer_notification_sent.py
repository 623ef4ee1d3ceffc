# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What users see of what was sent: the customer's chatter, the rendered
subject instead of the template, as each role meets it."""

from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.sql_db import Cursor
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import CustomerNotificationCase, CustomerReminderCase, SecurityRpcCase


@tagged("post_install", "-at_install")
class TestCustomerNotificationSent(CustomerNotificationCase):

    def notes(self, partner):
        return self.env["mail.message"].search([
            ("model", "=", "res.partner"), ("res_id", "=", partner.id), ("crm_delivery_id", "!=", False)])

    def test_individual_on_customer_chatter(self):
        """The customer's chatter shows the note of what they got, by the
        sender, linked to its delivery; the delivery shows the content."""
        notification = self.make()
        self.assertEqual(notification.display_name, "Hello Ana Lopes")
        notification.action_send()
        delivery = self.deliveries(notification)
        note = self.notes(self.ana)
        self.assertEqual(len(note), 1)
        self.assertEqual(note.crm_delivery_id, delivery)
        self.assertEqual(note.subject, "Hello Ana Lopes")
        self.assertIn("Dear Ana Lopes, your order shipped.", note.body)
        self.assertIn(f'data-oe-model="crm.notification.delivery" data-oe-id="{delivery.id}"', note.body)
        self.assertIn("E-mail", note.body)
        # the chatter shows no subject: the note says it
        self.assertIn("<b>Subject:</b> Hello Ana Lopes", note.body)
        self.assertIn(f'data-oe-model="crm.customer.notification" data-oe-id="{notification.id}"', note.body)
        self.assertEqual(note.author_id, self.user_a.partner_id)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual((note.message_type, note.is_internal), ("notification", True))
        self.assertIn(note, self.ana.message_ids)
        # the delivery log names what was sent, and shows it to its readers
        self.assertEqual(delivery.res_name, "Hello Ana Lopes")
        delivery = delivery.with_user(self.user_a)
        self.assertEqual(delivery.sent_subject, "Hello Ana Lopes")
        self.assertIn("Dear Ana Lopes", delivery.sent_body)
        # the e-mail itself stays the notification's (the delivery log's mails)
        self.assertEqual((delivery.sudo().mail_id.model, delivery.sudo().mail_id.res_id),
                         ("crm.customer.notification", notification.id))
        # the state is the delivery's, which follows the mail
        self.env["mail.mail"].process_email_queue()
        self.assertEqual(delivery.state, "sent")

    def test_group_on_each_customer_chatter_in_one_insert(self):
        """Each reached member gets their rendered note, the skipped none;
        the chunk's notes are one INSERT."""
        notification = self.make(kind="group", partner_id=False, group_id=self.group.id)
        self.assertEqual(notification.display_name, "Template: Hello {{ object.name }}")
        notification.action_send()
        inserts = []
        execute = Cursor.execute

        def spy(cr, query, *args, **kwargs):
            if "INSERT INTO \"mail_message\"" in str(query) and "crm_delivery_id" in str(query):
                inserts.append(query)
            return execute(cr, query, *args, **kwargs)

        with patch.object(Cursor, "execute", spy):
            self.run_cron()
        self.assertEqual(len(inserts), 1, "the chunk's notes in one INSERT")
        self.assertEqual(self.notes(self.ana).subject, "Hello Ana Lopes")
        self.assertEqual(self.notes(self.jean).subject, "Hello Jean Dupont")
        for partner in (self.no_mail, self.bad_mail, self.opted_out):
            self.assertFalse(self.notes(partner))
        names = {d.partner_id: d.res_name for d in self.deliveries(notification)}
        self.assertEqual(names[self.ana], "Hello Ana Lopes")
        self.assertEqual(names[self.no_mail], "Template: Hello {{ object.name }}")

    def test_other_chatters_searched_as_before(self):
        """The delivery check only runs on searches that may find a
        customer's note: a lead's chatter is searched as without the addon."""
        Message = self.env["mail.message"].with_user(self.user_b)
        self.assertTrue(Message._crm_domain_excludes_partners([("model", "=", "crm.lead"), ("res_id", "=", 1)]))
        self.assertTrue(Message._crm_domain_excludes_partners([("res_id", "=", 1), ("model", "in", ["crm.lead"])]))
        self.assertFalse(Message._crm_domain_excludes_partners([("model", "=", "res.partner"), ("res_id", "=", 1)]))
        self.assertFalse(Message._crm_domain_excludes_partners(
            ["|", ("model", "=", "crm.lead"), ("model", "=", "res.partner")]))
        self.assertFalse(Message._crm_domain_excludes_partners([("needaction", "=", True)]))
        self.assertFalse(Message._crm_domain_excludes_partners([]))
        lead = self.env["crm.lead"].create({"name": "Chatter", "user_id": self.user_b.id})
        lead.message_post(body="Hello", message_type="comment")
        MailMessage = type(self.env["mail.message"])
        original = MailMessage._crm_forbidden_by_delivery
        checked = []

        def check(messages):
            checked.append(messages._ids)
            return original(messages)

        with patch.object(MailMessage, "_crm_forbidden_by_delivery", check):
            self.assertTrue(Message.search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)]))
            self.assertFalse(checked, "a lead's chatter: no delivery check")
            Message.search([("model", "=", "res.partner"), ("res_id", "=", self.ana.id)])
            self.assertTrue(checked, "a customer's chatter: the delivery check runs")

    def test_display_name_in_form_and_list(self):
        """The breadcrumb and the list show the rendered title of an
        individual notification, a marked template for a group's."""
        with Form(self.CN) as form:
            form.name = "Your order is on its way, {{ object.name }}"
            form.body = "<p>Soon</p>"
            form.partner_id = self.ana
        notification = form.record
        self.assertEqual(notification.display_name, "Your order is on its way, Ana Lopes")
        self.assertEqual(notification.with_user(self.user_a).read(["display_name"])[0]["display_name"],
                         "Your order is on its way, Ana Lopes")
        plain = self.make(name="Plain title")
        self.assertEqual(plain.display_name, "Plain title")
        arch = self.env["crm.customer.notification"].get_view(view_type="list")["arch"]
        self.assertIn('name="display_name"', arch)


@tagged("post_install", "-at_install")
class TestSecuritySentRpc(SecurityRpcCase):
    """Through RPC, as each role: the chatter note of a send is read by who
    may read its delivery only."""

    def note_of(self, deliveries):
        return self.env["mail.message"].sudo().search([("crm_delivery_id", "in", deliveries.ids)])

    def chatter_ids(self, user, partner):
        """The message ids the customer's chatter shows ``user`` (Odoo's
        chatter route)."""
        self.login(user)
        self.env.flush_all()
        result = self.make_jsonrpc_request("/mail/thread/messages", {
            "thread_model": "res.partner", "thread_id": partner.id, "limit": 100})
        return set(result["messages"])

    def test_chatter_note_follows_delivery_access(self):
        note_sal, note_sal2 = self.note_of(self.d_sal), self.note_of(self.d_sal2)
        self.assertEqual((len(note_sal), len(note_sal2)), (1, 1))
        self.assertEqual((note_sal.model, note_sal.res_id), ("res.partner", self.ana.id))
        # "own documents" salesman: their send, not their colleague's
        self.assertIn(note_sal.id, self.chatter_ids(self.sal, self.ana))
        self.assertNotIn(note_sal2.id, self.chatter_ids(self.sal, self.ana))
        self.login(self.sal)
        self.assert_refused(self.call("mail.message", "read", note_sal2.ids, ["body"]))
        found = self.ok(self.call("mail.message", "search_read", [("res_id", "=", self.ana.id),
                                                                 ("model", "=", "res.partner")], ["id"]))
        self.assertNotIn(note_sal2.id, [row["id"] for row in found])
        self.assert_refused(self.call("crm.notification.delivery", "read", self.d_sal2.ids, ["sent_body"]))
        self.ok(self.call("crm.notification.delivery", "read", self.d_sal.ids, ["sent_body"]))
        # "all documents": both; a plain employee: neither
        self.assertLessEqual({note_sal.id, note_sal2.id}, self.chatter_ids(self.salall, self.ana))
        self.assertFalse({note_sal.id, note_sal2.id} & self.chatter_ids(self.employee, self.ana))
        self.login(self.employee)
        self.assert_refused(self.call("mail.message", "read", note_sal.ids, ["body"]))
        # nor by XML-RPC
        _result, fault = self.xmlrpc(self.sal, "mail.message", "read", note_sal2.ids, ["body"])
        self.assertIn("security restrictions", fault or "")
        # and nobody links a note of their own to a delivery
        self.login(self.sal)
        self.assert_refused(self.call("mail.message", "create", {
            "model": "res.partner", "res_id": self.ana.id, "body": "Fake", "crm_delivery_id": self.d_sal.id}),
            names=["Delivery"])
        self.login(self.salall)
        self.assert_refused(self.call("mail.message", "write", note_sal.ids, {"crm_delivery_id": self.d_sal2.id}),
                            names=["Delivery"])

    def test_notification_type_is_a_label(self):
        """A notification's "Type" is the model's name, read by its
        recipient, not a link to ir.model."""
        notification = self.d_to_sup_b.notification_id
        self.login(self.sup_b)
        rows = self.ok(self.call("crm.notification", "read", notification.ids, ["res_model_name"]))
        self.assertEqual(rows[0]["res_model_name"], "Customer Reminder")
        views = self.ok(self.call("crm.notification", "get_views", [[False, "list"], [False, "form"]]))
        for view in views["views"].values():
            self.assertNotIn('name="res_model_id"', view["arch"])
            self.assertIn('name="res_model_name"', view["arch"])

    def test_reminder_customer_domain(self):
        """The reminder's customer field offers a supervisor the customers
        of their areas only, an administrator all."""
        # as the web client gets it, and evaluates it
        domain = safe_eval(self.env["crm.customer.reminder"].fields_get(["partner_id"])["partner_id"]["domain"],
                           {"company_id": self.company.id})
        self.assertIn(("crm_reminder_manageable", "=", True), domain)
        self.login(self.sup_a)
        found = self.ok(self.call("res.partner", "name_search", "Customer", domain, "ilike", 100))
        self.assertEqual({row[0] for row in found}, {self.cust_a.id, self.cust_a2.id})
        admin = self.env.ref("base.user_admin")
        found = self.env["res.partner"].with_user(admin).name_search("Customer", domain, limit=100)
        self.assertLessEqual({self.cust_a.id, self.cust_a2.id, self.cust_b.id}, {row[0] for row in found})


@tagged("post_install", "-at_install")
class TestCustomerNotificationTimes(CustomerNotificationCase):
    """A recurring notification previews its next sends in its timezone,
    and its dates say in which timezone they are."""

    @freeze_time("2027-03-10 12:00:00")
    def test_next_sends_preview(self):
        with Form(self.CN) as form:
            form.name = "Weekly news"
            form.body = "<p>News</p>"
            form.partner_id = self.ana
            form.timing = "scheduled"
            form.scheduled_date = datetime(2027, 3, 15, 8, 0)
            form.recurrency = True
            form.rrule_type = "weekly"
            form.tz = "Europe/Brussels"
            # 09:00 in Brussels, across the change to summer time (March 28th)
            self.assertEqual(form.next_sends_preview.splitlines(), [
                "Mon 2027-03-15 09:00", "Mon 2027-03-22 09:00", "Mon 2027-03-29 09:00",
                "Mon 2027-04-05 09:00", "Mon 2027-04-12 09:00"])
            self.assertEqual(form.tz_label, "Times in Europe/Brussels")
            self.assertEqual(form.scheduled_local, "Mon 2027-03-15 09:00 (Europe/Brussels)")
        notification = form.record
        notification.action_send()
        self.assertEqual(notification.next_date_local, "Mon 2027-03-15 09:00 (Europe/Brussels)")
        with freeze_time("2027-03-22 08:00:30"):
            self.run_cron()
        # sent on the 15th and the 22nd: the preview goes on from the next one
        self.assertEqual(notification.next_date, datetime(2027, 3, 29, 7, 0))
        self.assertEqual(notification.next_sends_preview.splitlines()[0], "Mon 2027-03-29 09:00")
        self.assertEqual(notification.next_date_local, "Mon 2027-03-29 09:00 (Europe/Brussels)")
        notification.action_deactivate()
        self.assertFalse(notification.next_date_local)
        once = self.make()
        self.assertFalse(once.next_sends_preview)


@tagged("post_install", "-at_install")
class TestReminderTimes(CustomerReminderCase):

    def test_dates_labelled_with_timezone(self):
        """The reminder's activation and next occurrence are shown in its
        timezone too, and the preview says which one it is in."""
        with freeze_time("2027-01-01 10:00:00"):
            reminder = self.make(recurrency=True, rrule_type="weekly", mon=True)
        self.assertEqual(reminder.activation_local, "Mon 2027-01-04 09:00 (Europe/Brussels)")
        self.assertEqual(reminder.next_date_local, "Mon 2027-01-04 09:00 (Europe/Brussels)")
        self.assertEqual(reminder.tz_label, "Times in Europe/Brussels")
        arch = self.Reminder.get_view(view_type="form")["arch"]
        for fname in ("activation_local", "next_date_local", "tz_label"):
            self.assertIn(f'name="{fname}"', arch)

    def test_supervisor_offered_own_customers(self):
        """Creating a reminder, a supervisor of North is offered North's
        customers only (the customer field's domain)."""
        Reminder = self.Reminder.with_user(self.sup_north)
        domain = safe_eval(Reminder.fields_get(["partner_id"])["partner_id"]["domain"],
                           {"company_id": self.env.company.id})
        offered = self.env["res.partner"].with_user(self.sup_north).search(domain)
        self.assertIn(self.customer_north, offered)
        self.assertNotIn(self.customer_south, offered)
        self.assertFalse(offered.filtered(lambda p: p.sudo().crm_area_id != self.north))
        offered = self.env["res.partner"].with_user(self.rem_admin).search(domain)
        self.assertLessEqual(self.customer_north | self.customer_south, offered)

    def test_reminder_sent_content_on_delivery(self):
        """What a reminder's receivers got is reachable from its deliveries,
        by whoever may read them (the area's supervisor)."""
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(channel="inapp", message="Call Jana about the renewal")
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron()
        delivery = self.deliveries(reminder).filtered(lambda d: d.user_id == self.sup_north)
        delivery = delivery.with_user(self.sup_north)
        self.assertEqual(delivery.sent_subject, "Reminder: Renew the contract (Nordic Wood)")
        self.assertIn("Call Jana about the renewal", delivery.sent_body)
        self.assertFalse(self.deliveries(reminder).with_user(self.sup_south)._filtered_access("read"))
