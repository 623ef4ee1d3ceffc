# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A small real SMTP server for tests, standard library only.

``smtpd`` is gone from Python 3.12 and ``aiosmtpd`` is optional, so this is a
minimal responder on ``socketserver``: EHLO/HELO, MAIL FROM, RCPT TO, DATA
(dot-stuffing), RSET, NOOP, QUIT; no TLS, no AUTH. Enough for ``smtplib``,
the client Odoo's ``ir.mail_server`` uses::

    with SmtpSink() as sink:                 # listening on 127.0.0.1:sink.port
        sink.refuse("bob@example.com")       # 550 on RCPT TO for this address
        ...send...
        sink.stop()                          # down: connections are refused
        sink.start()                         # up again, on the same port
    sink.messages                            # [Received(mail_from, rcpt_tos, message)]
"""

import contextlib
import email
import email.policy
import re
import socketserver
import threading
from collections import namedtuple
from unittest.mock import patch

from odoo import modules
from odoo.tools import config

Received = namedtuple("Received", "mail_from rcpt_tos message")
ADDRESS = re.compile(rb"^(?:MAIL FROM|RCPT TO):\s*<?([^<>\s]*)>?", re.IGNORECASE)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # restart on the same port right after stop()
    daemon_threads = True


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30  # a client that hangs does not keep the thread forever

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        sink = self.server.sink
        self.reply("220 smtp-sink ESMTP ready")
        mail_from, rcpt_tos = None, []
        while line := self.rfile.readline():
            command = line.rstrip(b"\r\n")
            verb = command[:4].upper()
            if verb == b"EHLO":
                self.reply("250-smtp-sink\r\n250-8BITMIME\r\n250 SMTPUTF8")
            elif verb == b"HELO":
                self.reply("250 smtp-sink")
            elif verb == b"MAIL" and ADDRESS.match(command):
                mail_from, rcpt_tos = ADDRESS.match(command).group(1).decode(), []
                self.reply("250 2.1.0 OK")
            elif verb == b"RCPT" and ADDRESS.match(command):
                address = ADDRESS.match(command).group(1).decode()
                if mail_from is None:
                    self.reply("503 5.5.1 MAIL first")
                elif address.lower() in sink.refused:
                    self.reply(f"550 5.1.1 <{address}>: {sink.refused[address.lower()]}")
                else:
                    rcpt_tos.append(address)
                    self.reply("250 2.1.5 OK")
            elif verb == b"DATA":
                if not rcpt_tos:
                    self.reply("503 5.5.1 RCPT first")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self.read_data()
                if data is None:
                    return
                with sink.lock:
                    sink.messages.append(Received(
                        mail_from, rcpt_tos, email.message_from_bytes(data, policy=email.policy.default)))
                mail_from, rcpt_tos = None, []
                self.reply("250 2.0.0 OK queued")
            elif verb == b"RSET":
                mail_from, rcpt_tos = None, []
                self.reply("250 2.0.0 OK")
            elif verb == b"NOOP":
                self.reply("250 2.0.0 OK")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not implemented")

    def read_data(self):
        """Lines up to the lone ".", dot-unstuffed; None if the client left."""
        lines = []
        while line := self.rfile.readline():
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b".") else line)
        return None


class SmtpSink:
    """SMTP server on 127.0.0.1 in a thread; keeps its port across stop/start."""

    def __init__(self, host="127.0.0.1", port=0):
        self.host, self.port = host, port
        self.messages = []  # Received tuples, in arrival order
        self.refused = {}  # lower-cased address -> text of the 550 reply
        self.lock = threading.Lock()
        self._server = self._thread = None

    def refuse(self, address, reason="Recipient address rejected: User unknown"):
        self.refused[address.lower()] = reason

    def start(self):
        self._server = _Server((self.host, self.port), _Handler)
        self._server.sink = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"smtp-sink-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening: new connections are refused until start()."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class SmtpSinkMixin:
    """For test cases: a sink started for each test, an ``ir.mail_server`` on
    it (``self.mail_server``), a fixed company sender (``sink_sender``), and
    ``smtp_enabled()`` to let Odoo really send during a block."""

    sink_sender = "notifications@example.com"

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink().start()
        self.addCleanup(self.sink.stop)
        self.mail_server = self.env["ir.mail_server"].create({
            "name": "SMTP sink", "sequence": 1, "smtp_host": "127.0.0.1", "smtp_port": self.sink.port,
            "smtp_encryption": "none", "smtp_authentication": "login", "smtp_user": False, "smtp_pass": False,
        })
        # a deterministic sender whatever the database (with or without demo)
        self.env.company.email = self.sink_sender

    @contextlib.contextmanager
    def smtp_enabled(self):
        """Let Odoo really connect and send (as base's test_ir_mail_server_smtpd
        does), to the sink only, failing fast."""
        with patch.object(modules.module, "current_test", False), \
                patch.dict(config.options, {"smtp_server": ""}), \
                patch("odoo.addons.base.models.ir_mail_server.SMTP_TIMEOUT", 5):
            yield
