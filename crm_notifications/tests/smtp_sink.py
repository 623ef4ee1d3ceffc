# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A real SMTP server for tests: aiosmtpd in a thread, with STARTTLS and AUTH.

Given a user and a password, it is a submission server as Odoo meets them:
STARTTLS (a self-signed certificate made at test time) before anything but
EHLO/NOOP/QUIT, then AUTH PLAIN or LOGIN with those credentials before MAIL
FROM. Without them, it takes mail from anyone, with or without STARTTLS::

    with SmtpSink(user="robot@example.com", password="s3cret") as sink:
        server.write(sink.mail_server_values())   # starttls, the login, on sink.port
        sink.refuse("bob@example.com")            # 550 on RCPT TO for this address
        sink.refuse("ann@example.com", code=451)  # 4xx: a transient refusal
        sink.accept("ann@example.com")            # taken again
        ...send...
        sink.stop()                               # down: connections are refused
        sink.start()                              # up again, on the same port
    sink.messages      # [Received(mail_from, rcpt_tos, message, data, tls, login, mechanism)]
    sink.message_ids() # Counter: Message-Id -> messages received
    sink.duplicates()  # {(Message-Id, recipient): n} for what one recipient got n > 1 times

With ``folder`` (argument or attribute), each message is also written there,
one file per message (``00000001.eml`` is ``messages[0]``), in place before
the ``250``: aiosmtpd's envelope headers (``X-Peer``, ``X-MailFrom``,
``X-RcptTo``) and ``X-Sink-TLS``/``X-Sink-Auth``, then the message as received.

Odoo needs no setting for the self-signed certificate: ``ir.mail_server``
passes ``smtplib`` an SSL context only for client-certificate
authentication, and ``smtplib.SMTP.starttls()`` then uses
``ssl._create_stdlib_context()``, which verifies nothing. Odoo 18 trusts any
SMTP server certificate (``test_smtp_sink.py`` shows that a verifying client
refuses this one, and Odoo does not).
"""

import collections
import contextlib
import datetime
import email
import email.policy
import functools
import hmac
import ipaddress
import logging
import os
import socket
import ssl
import sys
import tempfile
import threading
import weakref
from collections import namedtuple
from unittest.mock import patch

from odoo import modules
from odoo.tools import config

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError as error:  # the e-mail tests fail (not skip) with this message
    Controller = None
    AIOSMTPD_MISSING = (
        f"aiosmtpd is not importable by Odoo's interpreter ({sys.executable}: {error}). The e-mail tests need "
        "it: scripts/test installs it into its cache folder and puts that on PYTHONPATH; by hand, "
        "`pip install --target DIR aiosmtpd` and PYTHONPATH=DIR (see README.md, The two commands)."
    )
else:
    AIOSMTPD_MISSING = None

# aiosmtpd logs every connection at INFO on "mail.log", and a deprecation
# warning on every AUTH (its own Session.login_data); its errors still show
logging.getLogger("mail.log").setLevel(logging.ERROR)

MECHANISMS = ("PLAIN", "LOGIN")  # what aiosmtpd implements, what smtplib.login() tries


class Received(namedtuple("Received", "mail_from rcpt_tos message data tls login mechanism")):
    """A message the server accepted: the envelope, the parsed message
    (``email.policy.default``), its bytes as received, the TLS version of
    the session (None without STARTTLS), the AUTH login and mechanism
    (None without AUTH)."""

    __slots__ = ()

    @property
    def message_id(self):
        return str(self.message["Message-Id"] or "").strip()


@functools.cache
def _certificate():
    """A self-signed certificate for 127.0.0.1 and localhost, once per
    process: (PEM certificate, PEM key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp-sink.localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (certificate.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def _tls_context():
    """The server side of STARTTLS, on the self-signed certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # load_cert_chain reads files only; the context keeps what it loaded
    with tempfile.TemporaryDirectory(prefix="smtp_sink_") as folder:
        paths = [os.path.join(folder, name) for name in ("cert.pem", "key.pem")]
        for path, pem in zip(paths, _certificate(), strict=True):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as file:
                file.write(pem)
        context.load_cert_chain(*paths)
    return context


def certificate_pem():
    """The sink's certificate (PEM), for a client that wants to trust it."""
    return _certificate()[0]


class _Handler:
    """aiosmtpd's hooks, on the sink's state."""

    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.hang_ups.get(address.lower()) == "rcpt":
            server.transport.abort()
            return "421 4.3.0 gone"  # written to a closed connection: never read
        refusal = self.sink.refused.get(address.lower())
        if refusal:
            code, reason = refusal
            return f"{code} {'5.1.1' if code >= 500 else '4.2.0'} <{address}>: {reason}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.sink._receive(session, envelope)
        if any(self.sink.hang_ups.get(rcpt.lower()) == "data" for rcpt in envelope.rcpt_tos):
            server.transport.abort()
        return "250 2.0.0 OK queued"

    async def handle_exception(self, error):
        # kept for the test to look at, instead of aiosmtpd's ERROR log
        self.sink.errors.append(error)
        return f"451 4.3.0 Error: ({error.__class__.__name__}) {error}"


class _Controller(Controller or object):  # object: without aiosmtpd, SmtpSink() fails first
    """aiosmtpd's threaded controller, listening on a socket bound
    beforehand (port 0 finds a free port without a race; the same port is
    bound again after a stop), and closing the open connections on stop."""

    def __init__(self, handler, sock, **kwargs):
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._sock = sock
        self._connections = weakref.WeakSet()

    def factory(self):
        smtp = super().factory()
        self._connections.add(smtp)
        return smtp

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock)

    def _drop_connections(self):
        for smtp in list(self._connections):
            if smtp.transport is not None:
                smtp.transport.abort()

    def stop(self, no_assert=False):
        # as a crashed server: clients connected now lose their connection
        # (and from Python 3.12 on, the server would wait for them)
        self.loop.call_soon_threadsafe(self._drop_connections)
        return super().stop(no_assert=no_assert)


class SmtpSink:
    """aiosmtpd on 127.0.0.1 in a thread; keeps its port across stop/start.

    ``user``/``password``: STARTTLS and AUTH (``auth_mechanisms``, PLAIN and
    LOGIN by default) required before MAIL FROM. ``require_tls`` (default:
    with a user) refuses every command but EHLO/NOOP/QUIT before STARTTLS."""

    def __init__(self, host="127.0.0.1", port=0, *, user=None, password=None, require_tls=None,
                 auth_mechanisms=MECHANISMS, folder=None):
        if AIOSMTPD_MISSING:
            raise AssertionError(AIOSMTPD_MISSING)
        unknown = set(auth_mechanisms) - set(MECHANISMS)
        if unknown or not auth_mechanisms:
            raise ValueError(f"auth_mechanisms: one or more of {MECHANISMS}, not {auth_mechanisms}")
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.require_tls = bool(user) if require_tls is None else require_tls
        self.auth_mechanisms = tuple(auth_mechanisms)
        self.folder = folder
        self.messages = []  # Received tuples, in arrival order
        self.refused = {}  # lower-cased address -> (code, reason) of the RCPT TO reply
        self.hang_ups = {}  # lower-cased address -> "rcpt" or "data" (see hang_up)
        self.auth_failures = []  # (login, mechanism) of every refused AUTH
        self.errors = []  # exceptions raised in sessions (none expected)
        self.lock = threading.Lock()
        self._controller = None

    # ---- behaviour ----

    def refuse(self, address, reason="Recipient address rejected: User unknown", code=550):
        """Answer RCPT TO for ``address`` with ``code`` (550: permanent;
        4xx, e.g. 450 or 451: transient) and ``reason``."""
        if not 400 <= code < 600:
            raise ValueError(f"a refusal is a 4xx or 5xx code, not {code}")
        self.refused[address.lower()] = (code, reason)

    def hang_up(self, address, at):
        """Close the connection without a word on a message to ``address``:
        at its ``"rcpt"`` (the message never arrives) or right after taking
        the whole message in, before answering its ``"data"`` (the message
        arrived; the client cannot know)."""
        if at not in ("rcpt", "data"):
            raise ValueError(f"at: 'rcpt' or 'data', not {at!r}")
        self.hang_ups[address.lower()] = at

    def accept(self, address):
        """Take mail for ``address`` again, answering every command."""
        self.refused.pop(address.lower(), None)
        self.hang_ups.pop(address.lower(), None)

    def mail_server_values(self):
        """The ``ir.mail_server`` fields that reach this sink as configured."""
        return {
            "smtp_host": self.host, "smtp_port": self.port, "smtp_authentication": "login",
            "smtp_encryption": "starttls" if self.require_tls or self.user else "none",
            "smtp_user": self.user or False, "smtp_pass": self.password or False,
        }

    # ---- what was received ----

    def message_ids(self):
        """Counter: Message-Id -> number of messages received with it."""
        with self.lock:
            return collections.Counter(received.message_id for received in self.messages)

    def duplicates(self):
        """{(Message-Id, lower-cased recipient): n} for every recipient who
        got the same message more than once. (Odoo sends one mail to several
        partners as several messages with the same Message-Id: those are
        not duplicates.)"""
        with self.lock:
            counts = collections.Counter(
                (received.message_id, rcpt.lower()) for received in self.messages for rcpt in received.rcpt_tos)
        return {key: count for key, count in counts.items() if count > 1}

    # ---- server ----

    def start(self):
        if self._controller:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the same port right after stop()
            sock.bind((self.host, self.port))
            self.port = sock.getsockname()[1]
            controller = _Controller(
                _Handler(self), sock, server_hostname="smtp-sink.localhost", ready_timeout=10, timeout=30,
                tls_context=_tls_context(), require_starttls=self.require_tls,
                auth_required=bool(self.user), auth_require_tls=True, authenticator=self._authenticate,
                auth_exclude_mechanism=[m for m in MECHANISMS if m not in self.auth_mechanisms],
            )
            controller.start()
        except BaseException:
            sock.close()
            raise
        self._controller = controller
        return self

    def stop(self):
        """Stop listening, drop the connections: new connections are refused
        until start()."""
        if self._controller:
            controller, self._controller = self._controller, None
            controller.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ---- aiosmtpd callbacks (in the server's thread) ----

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        # PLAIN and LOGIN (aiosmtpd's own) both give a LoginPassword of bytes
        login = auth_data.login.decode("utf-8", "replace")
        success = bool(
            self.user
            # compare_digest: the habit for secrets, even a test's
            and hmac.compare_digest(auth_data.login, self.user.encode())
            and hmac.compare_digest(auth_data.password, (self.password or "").encode())
        )
        if not success:
            self.auth_failures.append((login, mechanism))
            # handled=False: aiosmtpd answers 535 (its default, True, answers nothing)
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=(login, mechanism))

    def _receive(self, session, envelope):
        data = envelope.original_content
        login, mechanism = session.auth_data if session.authenticated else (None, None)
        ssl_object = (session.ssl or {}).get("ssl_object")
        received = Received(envelope.mail_from, list(envelope.rcpt_tos),
                            email.message_from_bytes(data, policy=email.policy.default), data,
                            ssl_object.version() if ssl_object else None, login, mechanism)
        with self.lock:
            self.messages.append(received)
            if self.folder:
                self._write(len(self.messages), session, received)

    def _write(self, number, session, received):
        os.makedirs(self.folder, exist_ok=True)
        head = "".join(f"{name}: {value}\r\n" for name, value in (
            ("X-Peer", session.peer[0]),
            ("X-MailFrom", received.mail_from),
            ("X-RcptTo", ", ".join(received.rcpt_tos)),
            ("X-Sink-TLS", received.tls or "none"),
            ("X-Sink-Auth", f"{received.login} ({received.mechanism})" if received.login else "none"),
        ))
        path = os.path.join(self.folder, f"{number:08d}.eml")
        with open(path + ".tmp", "wb") as file:
            file.write(head.encode("utf-8", "surrogateescape") + received.data)
        os.replace(path + ".tmp", path)  # a file in the folder is a message the server took whole


class SmtpSinkMixin:
    """For test cases: a sink started for each test, requiring STARTTLS and
    AUTH (``sink_user``/``sink_password``), an ``ir.mail_server`` on it
    logging in over STARTTLS (``self.mail_server``), a fixed company sender
    (``sink_sender``), and ``smtp_enabled()`` to let Odoo really send during
    a block."""

    sink_sender = "notifications@example.com"
    sink_user = "odoo@smtp-sink.example.com"
    # smtplib sends AUTH credentials as ASCII only (UnicodeEncodeError otherwise)
    sink_password = "s1nk Pa55:w0rd"

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink(user=self.sink_user, password=self.sink_password).start()
        self.addCleanup(self.sink.stop)
        self.mail_server = self.env["ir.mail_server"].create({
            "name": "SMTP sink", "sequence": 1, **self.sink.mail_server_values()})
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
