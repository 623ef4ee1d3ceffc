# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Customer notifications by e-mail through Odoo's real mail queue to a real
SMTP server (``smtp_sink.SmtpSink`` on 127.0.0.1): an individual send, in the
customer's language; a group send, one message per reachable member; a
recipient refused by the server."""


from markupsafe import Markup

from odoo.tests import tagged
from odoo.tools import email_normalize

from .common import CustomerNotificationCase
from .smtp_sink import SmtpSinkMixin


@tagged("post_install", "-at_install")
class TestCustomerNotificationSmtp(SmtpSinkMixin, CustomerNotificationCase):

    sink_sender = "notifications@example.com"

    def process_queue(self):
        """Odoo's mail cron, limited to customer notification mails; it does
        not commit in tests and never raises."""
        self.env.flush_all()
        with self.smtp_enabled():
            self.env["mail.mail"].with_context(
                filters=[("model", "=", "crm.customer.notification")]).process_email_queue()
        self.env.invalidate_all()

    def received_by(self, partner):
        address = email_normalize(partner.email)
        return [received.message for received in self.sink.messages
                if [email_normalize(rcpt) for rcpt in received.rcpt_tos] == [address]]

    def assert_received_once(self, partner, subject, text):
        """One message to ``partner`` only, with the rendered subject and body."""
        received = self.received_by(partner)
        self.assertEqual(len(received), 1, partner.name)
        message = received[0]
        self.assertEqual([email_normalize(a.addr_spec) for a in message["To"].addresses],
                         [email_normalize(partner.email)])
        self.assertEqual(message["Subject"], subject)
        body = message.get_body(("html",)).get_content()
        self.assertIn(text, body)
        self.assertNotIn("object.name", body)
        return message

    # ------------------------------------------------------------------

    def test_individual_now(self):
        notification = self.make()
        notification.action_send()
        self.assertEqual(notification.state, "sent")
        delivery = self.deliveries(notification)
        self.assertEqual(delivery.mail_id.state, "outgoing")
        self.assertFalse(self.sink.messages, "sending only queues the mail")
        self.process_queue()
        self.assertEqual(len(self.sink.messages), 1)
        message = self.assert_received_once(self.ana, "Hello Ana Lopes", "Dear Ana Lopes, your order shipped.")
        self.assertEqual(email_normalize(message["From"].addresses[0].addr_spec), email_normalize(self.user_a.email))
        self.assertEqual(delivery.state, "sent")
        self.assertFalse(delivery.reason)
        # auto_delete: the sent mail is gone, the log stays
        self.assertFalse(delivery.mail_id.exists())
        # the queue again: nothing more
        self.process_queue()
        self.assertEqual(len(self.sink.messages), 1)

    def test_individual_in_customer_language(self):
        """A fr_FR customer gets the French translation of the title and body."""
        notification = self.make(partner_id=self.jean.id)
        notification.with_context(lang="fr_FR").write({
            "name": "Bonjour {{ object.name }}",
            "body": Markup('<p>Cher <t t-out="object.name"/>, votre commande est partie.</p>'),
        })
        self.assertEqual(notification.with_context(lang="en_US").name, "Hello {{ object.name }}")
        notification.action_send()
        self.process_queue()
        self.assertEqual(len(self.sink.messages), 1)
        message = self.assert_received_once(self.jean, "Bonjour Jean Dupont",
                                            "Cher Jean Dupont, votre commande est partie.")
        self.assertNotIn("your order shipped", message.get_body(("html",)).get_content())

    def test_group_send(self):
        """One message per reachable member, each in their language; the
        others are logged skipped with the reason, nothing sent to them."""
        notification = self.make(kind="group", partner_id=False, group_id=self.group.id)
        notification.with_context(lang="fr_FR").write({"name": "Bonjour {{ object.name }}"})
        notification.action_send()
        self.assertFalse(self.deliveries(notification), "a group is fanned out by the cron")
        self.run_cron()
        self.assertEqual(notification.state, "sent")
        self.process_queue()
        self.assertEqual(len(self.sink.messages), 2)
        self.assert_received_once(self.ana, "Hello Ana Lopes", "Dear Ana Lopes, your order shipped.")
        self.assert_received_once(self.jean, "Bonjour Jean Dupont", "Dear Jean Dupont, your order shipped.")
        sent = self.deliveries(notification, state="sent")
        self.assertEqual(sent.partner_id, self.ana | self.jean)
        skipped = {d.partner_id: d.reason for d in self.deliveries(notification, state="skipped")}
        self.assertEqual(skipped, {
            self.no_mail: "No e-mail address",
            self.bad_mail: "Invalid e-mail address: not-an-address",
            self.opted_out: "Opted out (e-mail blacklist)",
        })
        self.assertFalse(self.received_by(self.opted_out))
        # the cron again: the occurrence is complete, nothing goes out twice
        self.run_cron()
        self.process_queue()
        self.assertEqual(len(self.sink.messages), 2)
        self.assertEqual(len(self.deliveries(notification)), 5)

    def test_recipient_refused(self):
        """The server answers 550 to one member: that delivery is failed with
        the server's reason, the other one is sent, nothing raises."""
        notification = self.make(kind="group", partner_id=False, group_id=self.group.id)
        notification.action_send()
        self.run_cron()
        self.env.flush_all()
        refused = self.deliveries(notification, partner_id=self.jean.id)
        self.sink.refuse(self.jean.email, "Mailbox unavailable")
        with self.assertLogs("odoo.addons.mail.models.mail_mail", "ERROR") as logs:
            self.process_queue()
        self.assertEqual(len(logs.records), 1, logs.output)
        self.assertIn("failed sending mail (id: %s)" % refused.mail_id.id, logs.output[0])
        self.assertEqual(len(self.sink.messages), 1)
        self.assert_received_once(self.ana, "Hello Ana Lopes", "Dear Ana Lopes, your order shipped.")
        self.assertFalse(self.received_by(self.jean))
        self.assertEqual(refused.state, "failed")
        self.assertIn("550", refused.reason)
        self.assertIn("Mailbox unavailable", refused.reason)
        self.assertEqual(refused.mail_id.state, "exception")
        self.assertEqual(self.deliveries(notification, partner_id=self.ana.id).state, "sent")
        self.assertEqual(notification.state, "sent")
