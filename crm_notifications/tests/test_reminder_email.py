# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""E-mail reminders through Odoo's real mail queue to a real SMTP server
(``smtp_sink.SmtpSink`` on 127.0.0.1): sent, refused by the server, server
down then back."""

from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import OCCURRENCE, CustomerReminderCase, ReminderEmailCase


@tagged("post_install", "-at_install")
class TestReminderEmailSmtp(ReminderEmailCase):

    def test_sent_to_every_receiver(self):
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        self.assertFalse(self.sink.messages, "the cron only queues")
        self.process_queue()
        self.assert_received_once(deliveries)
        self.assertEqual(set(deliveries.mail_id.mapped("state")), {"sent"})
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertFalse(any(deliveries.mapped("reason")))

    def test_recipient_refused(self):
        """The server answers 550 to one receiver: that delivery is failed
        with the server's reason, the others are sent, nothing raises."""
        _reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        refused = deliveries.filtered(lambda d: d.user_id == self.sup_north)
        self.sink.refuse(self.sup_north.email, "Mailbox unavailable")
        # the queue logs the refused mail; anything it caught would log too
        with self.assertLogs("odoo.addons.mail.models.mail_mail", "ERROR") as logs:
            self.process_queue()
        self.assertEqual(len(logs.records), 1, logs.output)
        self.assertIn("failed sending mail (id: %s)" % refused.mail_id.id, logs.output[0])
        self.assert_received_once(deliveries - refused)
        self.assertEqual(refused.state, "failed")
        self.assertIn("Mailbox unavailable", refused.reason)
        self.assertIn("550", refused.reason)
        self.assertEqual(refused.mail_id.state, "exception")
        self.assertEqual(set((deliveries - refused).mapped("state")), {"sent"})
        self.assertEqual(set((deliveries - refused).mail_id.mapped("state")), {"sent"})

    def test_server_down_then_back(self):
        """Server down: a transient failure. The mails go back to the queue
        for later (30 s, then longer), the deliveries stay queued with the
        reason; back up, the queue sends each one once, by itself."""
        reminder, deliveries = self.make_due(message="Call Jana about the renewal")
        mails = deliveries.mail_id
        self.sink.stop()
        with freeze_time("2027-01-04 08:02:00"):
            self.process_queue()
        self.assertFalse(self.sink.messages)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertEqual(set(mails.mapped("scheduled_date")), {datetime(2027, 1, 4, 8, 2, 30)})
        self.assertEqual(set(deliveries.mapped("state")), {"queued"})
        self.assertEqual(set(deliveries.mapped("attempt_count")), {1})
        for delivery in deliveries:
            self.assertIn("Attempt 1 failed, retrying at 2027-01-04 08:02:30 UTC", delivery.reason)
            self.assertIn("Connection refused", delivery.reason)
        self.assertEqual(self.deliveries(reminder), deliveries, "no delivery lost")
        self.assertEqual(deliveries.mail_id, mails)
        # the retry is due at 08:02:30: the queue's cron is woken up for it
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref("mail.ir_cron_mail_scheduler_action").id)], order="id desc", limit=1)
        self.assertEqual(trigger.call_at, datetime(2027, 1, 4, 8, 2, 30))

        self.sink.start()
        with freeze_time("2027-01-04 08:02:10"):
            self.process_queue()  # not due yet
        self.assertFalse(self.sink.messages)
        with freeze_time("2027-01-04 08:02:31"):
            self.process_queue()
        self.assert_received_once(deliveries)
        self.assertEqual(set(mails.mapped("state")), {"sent"})
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertEqual(set(deliveries.mapped("attempt_count")), {2})

        # the same occurrence claimed again (a second worker, a re-run after
        # a crash): the delivery log sends nothing twice
        reminder.next_date = OCCURRENCE
        with freeze_time("2027-01-04 08:05:00"):
            self.run_cron_job("crm_notifications.ir_cron_customer_reminders")
        self.env.flush_all()
        self.assertEqual(self.deliveries(reminder), deliveries)
        self.assertEqual(self.env["mail.mail"].search([("model", "=", "crm.customer.reminder")]), mails)
        self.process_queue()
        self.assert_received_once(deliveries)


@tagged("post_install", "-at_install")
class TestReminderEmailContent(CustomerReminderCase):
    """The mail a reminder's receivers read: its view in Odoo's layout."""

    def send(self, **values):
        """An e-mail reminder to everyone ('all'), sent by the cron; its mails
        by receiver."""
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(channel="email", receivers="all", **values)
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron_job("crm_notifications.ir_cron_customer_reminders")
        self.env.flush_all()
        return {delivery.user_id: delivery.mail_id for delivery in self.deliveries(reminder)}

    def test_layout(self):
        mail = self.send(message="Call Jana about the renewal\nand the invoice")[self.sup_north]
        self.assertEqual((mail.model, mail.subject),
                         ("crm.customer.reminder", "Reminder: Renew the contract (Nordic Wood)"))
        body = str(mail.body_html)
        self.assertIn("<p><strong>Renew the contract</strong></p>", body)
        self.assertIn("<p>Customer: Nordic Wood</p>", body)
        self.assertIn("<p>Call Jana about the renewal<br>\nand the invoice</p>", body)
        # Odoo's light layout: the header and the company's footer
        self.assertIn("Your Customer Reminder", body)
        self.assertIn("<b>%s</b>" % self.env.company.name, body)
        self.assertNotIn("/mail/unfollow", body)

    def test_description_when_no_message(self):
        mail = self.send(description="For the team")[self.sup_north]
        self.assertIn("<p>For the team</p>", str(mail.body_html))

    def test_user_text_escaped(self):
        mails = self.send(name="Renew <i>now</i>", message='<script>alert("x")</script>\n<b>bold</b>')
        mail = mails[self.sup_north]
        self.assertEqual(mail.subject, "Reminder: Renew <i>now</i> (Nordic Wood)")
        body = str(mail.body_html)
        self.assertNotIn("<script>", body)
        self.assertNotIn("<i>now", body)
        self.assertIn("<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;<br>\n&lt;b&gt;bold&lt;/b&gt;</p>", body)
        self.assertIn("<strong>Renew &lt;i&gt;now&lt;/i&gt;</strong>", body)

    def test_view_inherited(self):
        """An integrator changes the mail by inheriting its view."""
        self.env["ir.ui.view"].create({
            "name": "Reminder mail: the customer's area", "type": "qweb",
            "inherit_id": self.env.ref("crm_notifications.mail_body_customer_reminder").id,
            "arch": """
                <xpath expr="//p[2]" position="after">
                    <p>Area: <t t-out="reminder.area_id.name"/></p>
                </xpath>""",
        })
        mail = self.send(message="Call Jana")[self.sup_north]
        body = str(mail.body_html)
        self.assertLess(body.index("<p>Customer: Nordic Wood</p>"), body.index("<p>Area: North</p>"))
        self.assertLess(body.index("<p>Area: North</p>"), body.index("<p>Call Jana</p>"))

    def test_receiver_language(self):
        """Each receiver reads the mail in their language, the view's
        translation included; one rendering per language."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env.ref("crm_notifications.mail_body_customer_reminder").update_field_translations(
            "arch_db", {"fr_FR": {"Customer:": "Client :"}})
        self.sup_north.lang = "fr_FR"
        Qweb = type(self.env["ir.qweb"])
        with patch.object(Qweb, "_render", side_effect=Qweb._render, autospec=True) as render:
            mails = self.send(message="Call Jana")
        langs = [call.args[0].env.lang for call in render.call_args_list
                 if call.args[1] == "crm_notifications.mail_body_customer_reminder"]
        self.assertEqual(sorted(langs), ["en_US", "fr_FR"])
        self.assertGreater(len(self.admins), 1, "several receivers in English, one rendering")
        self.assertIn("<p>Client : Nordic Wood</p>", str(mails[self.sup_north].body_html))
        self.assertIn('lang="fr_FR"', str(mails[self.sup_north].body_html))
        for admin in self.admins:
            self.assertIn("<p>Customer: Nordic Wood</p>", str(mails[admin].body_html))
