# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The SMTP server of the e-mail tests (``smtp_sink.SmtpSink``, aiosmtpd),
through Odoo's own ``ir.mail_server``: what the e-mail tests take for granted
(STARTTLS and AUTH really used, refused otherwise) and the sink's modes."""

import email
import email.policy
import email.utils
import os
import shutil
import smtplib
import ssl
import tempfile
from email.message import EmailMessage

from odoo.tests import TransactionCase, tagged

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from .smtp_sink import SmtpSink, SmtpSinkMixin, certificate_pem


@tagged("post_install", "-at_install")
class TestSmtpSink(SmtpSinkMixin, TransactionCase):

    def send(self, to="someone@example.com", message_id=None):
        """One message through ``ir.mail_server.send_email`` on
        ``self.mail_server``; returns its Message-Id."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sink_sender, to, "Sink check"
        message["Message-Id"] = message_id or email.utils.make_msgid(domain="smtp-sink.example.com")
        message.set_content("Hello")
        with self.smtp_enabled():
            return self.env["ir.mail_server"].send_email(message, mail_server_id=self.mail_server.id)

    def test_starttls_and_auth(self):
        """The mixin's server logs in over STARTTLS: the sink records TLS and
        the login; a wrong password, or no STARTTLS, is refused; PLAIN and
        LOGIN both work."""
        self.assertEqual((self.mail_server.smtp_encryption, self.mail_server.smtp_user),
                         ("starttls", self.sink_user))
        message_id = self.send()
        [received] = self.sink.messages
        self.assertEqual(received.message_id, message_id)
        self.assertIn(received.tls, ("TLSv1.2", "TLSv1.3"))
        # PLAIN: smtplib's first choice among what the server offers
        self.assertEqual((received.login, received.mechanism), (self.sink_user, "PLAIN"))

        # ir.mail_server.connect() lets smtplib's errors through as they are
        self.mail_server.smtp_pass = "wrong"
        with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
            self.send()
        self.assertEqual(caught.exception.smtp_code, 535)
        # smtplib tries every mechanism the server offers before giving up
        self.assertEqual(self.sink.auth_failures, [(self.sink_user, "PLAIN"), (self.sink_user, "LOGIN")])
        self.mail_server.write({"smtp_pass": self.sink_password, "smtp_encryption": "none"})
        with self.assertRaisesRegex(smtplib.SMTPNotSupportedError, "AUTH"):
            self.send()  # AUTH is offered only after STARTTLS
        self.mail_server.write({"smtp_user": False, "smtp_pass": False})
        with self.assertRaisesRegex(MailDeliveryException, "530"):
            self.send()  # MAIL FROM before STARTTLS
        self.assertEqual(len(self.sink.messages), 1)

        with SmtpSink(user=self.sink_user, password=self.sink_password, auth_mechanisms=["LOGIN"]) as login_only:
            self.mail_server.write(login_only.mail_server_values())
            self.send()
        self.assertEqual([(bool(r.tls), r.login, r.mechanism) for r in login_only.messages],
                         [(True, self.sink_user, "LOGIN")])
        self.assertFalse(self.sink.errors or login_only.errors)

    def test_self_signed_certificate(self):
        """The certificate is self-signed: a verifying client refuses it,
        one that trusts it logs in; Odoo checks no certificate at all."""
        with smtplib.SMTP(self.sink.host, self.sink.port, timeout=5) as client, \
                self.assertRaises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())
        with smtplib.SMTP(self.sink.host, self.sink.port, timeout=5) as client:
            client.starttls(context=ssl.create_default_context(cadata=certificate_pem().decode()))
            self.assertEqual(client.login(self.sink_user, self.sink_password)[0], 235)
        self.send()
        self.assertEqual(len(self.sink.messages), 1)

    def test_refusals_duplicates_and_folder(self):
        """4xx and 5xx refusals, then accepted again; duplicates counted per
        Message-Id and recipient; one file per message in a folder."""
        self.sink.folder = folder = tempfile.mkdtemp(prefix="smtp_sink_test_")
        self.addCleanup(shutil.rmtree, folder, True)
        self.sink.refuse("later@example.com", "Greylisted, try again later", code=451)
        self.sink.refuse("never@example.com", code=550)
        with self.assertRaisesRegex(MailDeliveryException, "451.*Greylisted"):
            self.send("later@example.com")
        with self.assertRaisesRegex(MailDeliveryException, "550.*User unknown"):
            self.send("never@example.com")
        self.assertFalse(self.sink.messages)
        self.sink.accept("later@example.com")
        first = self.send("later@example.com")
        second = self.send("other@example.com")
        self.assertEqual(self.sink.message_ids(), {first: 1, second: 1})
        self.assertFalse(self.sink.duplicates())
        self.send("later@example.com", message_id=first)  # the same mail again
        self.assertEqual(self.sink.message_ids()[first], 2)
        self.assertEqual(self.sink.duplicates(), {(first, "later@example.com"): 2})

        self.assertEqual(sorted(os.listdir(folder)), ["00000001.eml", "00000002.eml", "00000003.eml"])
        with open(os.path.join(folder, "00000003.eml"), "rb") as file:
            saved = email.message_from_binary_file(file, policy=email.policy.default)
        self.assertEqual(saved["Message-Id"], first)
        self.assertEqual(saved["X-RcptTo"], "later@example.com")
        self.assertEqual(saved["X-Sink-Auth"], f"{self.sink_user} (PLAIN)")
        self.assertEqual(saved.get_content().strip(), "Hello")
