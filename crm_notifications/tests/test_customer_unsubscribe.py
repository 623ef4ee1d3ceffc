# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One-click unsubscription of group sends (RFC 8058): the headers and the
footer link on the message the SMTP sink received, the POST made over HTTP
(valid, repeated, forged, another partner's token), later sends skipping the
address."""

import re
from urllib.parse import parse_qs, urlsplit

from odoo.tests import HttpCase, tagged
from odoo.tools import email_normalize

from .common import CustomerNotificationCase, no_quiet_hours
from .smtp_sink import SmtpSinkMixin

PATH = "/crm_notifications/unsubscribe"


@tagged("post_install", "-at_install")
class TestUnsubscribeHeaders(SmtpSinkMixin, CustomerNotificationCase):

    def process_queue(self):
        self.env.flush_all()
        with self.smtp_enabled():
            self.env["mail.mail"].with_context(
                filters=[("model", "=", "crm.customer.notification")]).process_email_queue()
        self.env.invalidate_all()

    def message_to(self, partner):
        return [r.message for r in self.sink.messages if email_normalize(r.rcpt_tos[0]) == partner.email_normalized]

    def test_group_send_headers_and_footer(self):
        """Each member's message carries List-Unsubscribe with their own
        signed link, List-Unsubscribe-Post, and the link in the footer."""
        notification = self.make(kind="group", partner_id=False, group_id=self.group.id)
        notification.action_send()
        self.run_cron()
        self.process_queue()
        CN = self.env["crm.customer.notification"]
        for partner in (self.ana, self.jean):
            [message] = self.message_to(partner)
            self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
            header = message["List-Unsubscribe"]
            self.assertTrue(header.startswith("<") and header.endswith(">"), header)
            url = header[1:-1]
            self.assertTrue(url.startswith("http"), url)
            parts = urlsplit(url)
            self.assertEqual(parts.path, PATH)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            self.assertEqual(query["partner_id"], str(partner.id))
            self.assertEqual(query["email"], partner.email_normalized)
            self.assertEqual(query["token"], CN._crm_unsubscribe_token(partner.id, partner.email))
            body = message.get_body(("html",)).get_content()
            self.assertIn(PATH, body)
        self.assertIn("Unsubscribe from these messages", self.message_to(self.ana)[0].get_body(("html",)).get_content())

    def test_individual_send_has_none(self):
        """An individual message (an order shipped) is not a list."""
        self.make().action_send()
        self.process_queue()
        [message] = self.message_to(self.ana)
        self.assertIsNone(message["List-Unsubscribe"])
        self.assertNotIn(PATH, message.get_body(("html",)).get_content())


@tagged("post_install", "-at_install")
class TestUnsubscribeHttp(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        no_quiet_hours(cls.env)
        Partner = cls.env["res.partner"]
        cls.ana = Partner.create({"name": "Ana Lopes", "email": "Ana Lopes <ana@example.com>"})
        cls.bob = Partner.create({"name": "Bob", "email": "bob@example.com"})
        cls.CN = cls.env["crm.customer.notification"]

    def link(self, partner_id, email, token=None):
        token = token or self.CN._crm_unsubscribe_token(partner_id, email)
        return {"partner_id": str(partner_id), "email": email_normalize(email), "token": token}

    def post(self, params, one_click=True):
        self.env.flush_all()
        data = dict(params, **({"List-Unsubscribe": "One-Click"} if one_click else {}))
        # as a mailbox provider: no session, no CSRF token
        response = self.url_open(PATH, data=data, timeout=30, allow_redirects=False)
        self.env.invalidate_all()
        return response

    def blacklisted(self, email):
        return self.env["mail.blacklist"].with_context(active_test=False).search([("email", "=", email)])

    def test_one_click_post(self):
        """RFC 8058: a POST of List-Unsubscribe=One-Click to the link
        blacklists the address; repeated, it changes nothing more."""
        response = self.post(self.link(self.ana.id, self.ana.email))
        self.assertEqual(response.status_code, 200)
        record = self.blacklisted("ana@example.com")
        self.assertTrue(record.active)
        notes = record.message_ids.filtered(lambda m: "one-click" in str(m.body))
        self.assertEqual(len(notes), 1)
        response = self.post(self.link(self.ana.id, self.ana.email))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.blacklisted("ana@example.com"), record)
        self.assertEqual(len(record.message_ids.filtered(lambda m: "one-click" in str(m.body))), 1, "no second note")

    def test_get_asks_first(self):
        """The footer link's GET shows a button posting the same link; it
        unsubscribes nothing by itself (link scanners open links)."""
        params = self.link(self.ana.id, self.ana.email)
        response = self.url_open(PATH + "?" + "&".join(f"{k}={v}" for k, v in params.items()))
        self.assertEqual(response.status_code, 200)
        self.assertIn('method="post"', response.text)
        self.assertIn(params["token"], response.text)
        self.assertFalse(self.blacklisted("ana@example.com"))
        # its button: the form's fields, without the one-click marker
        self.assertEqual(self.post(params, one_click=False).status_code, 200)
        self.assertTrue(self.blacklisted("ana@example.com").active)

    def test_forged_tokens(self):
        """A forged token, another partner's token, another address under a
        valid token, an unknown partner: the same 403, nothing changes."""
        ana, bob = self.ana, self.bob
        bob_token = self.CN._crm_unsubscribe_token(bob.id, bob.email)
        attempts = {
            "forged": self.link(ana.id, ana.email, token="0" * 64),
            "empty": self.link(ana.id, ana.email, token=" "),
            "bob's token for ana": self.link(ana.id, ana.email, token=bob_token),
            "bob's token, ana's address": self.link(bob.id, ana.email, token=bob_token),
            "ana's token, bob's id": self.link(bob.id, ana.email,
                                               token=self.CN._crm_unsubscribe_token(ana.id, ana.email)),
            "unknown partner": self.link(999999999, "ghost@example.com", token="0" * 64),
            "not a number": {"partner_id": "1 OR 1=1", "email": "ana@example.com", "token": "x"},
        }
        pages = set()
        for label, params in attempts.items():
            response = self.post(params)
            self.assertEqual(response.status_code, 403, label)
            # the same page but for the per-request CSRF token of Odoo's layout
            pages.add(re.sub(r'csrf_token: "[^"]*"', "", response.text))
        self.assertEqual(len(pages), 1, "every refusal reads the same")
        self.assertFalse(self.blacklisted("ana@example.com"))
        self.assertFalse(self.blacklisted("ghost@example.com"))
        self.assertFalse(self.blacklisted("bob@example.com"))

    def test_later_sends_skip(self):
        """After unsubscribing, the next group send skips the address with
        the blacklist's reason; the others still get it."""
        self.post(self.link(self.ana.id, self.ana.email))
        group = self.env["crm.customer.group"].create({
            "name": "News", "partner_ids": [(6, 0, (self.ana | self.bob).ids)]})
        notification = self.CN.create({"name": "News", "body": "<p>News</p>", "kind": "group",
                                       "group_id": group.id})
        notification.action_send()
        self.env["crm.customer.notification"]._cron_send_due(chunks=5)
        deliveries = self.env["crm.notification.delivery"].search([("customer_notification_id", "=", notification.id)])
        self.assertEqual({d.partner_id: (d.state, d.reason) for d in deliveries}, {
            self.ana: ("skipped", "Opted out (e-mail blacklist)"),
            self.bob: ("queued", False),
        })
