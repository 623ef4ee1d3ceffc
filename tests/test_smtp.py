# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests of ``crm_notifications/tools/smtp.py``, without Odoo: Python's own
``smtplib`` against a peer on a real socket that answers a script and hangs
up where told, so each failure is the one smtplib really raises."""

import smtplib
import socket
import threading
from email.message import EmailMessage

import crm_notifications_smtp as smtp
import pytest

GREETING = b"220 peer ready\r\n"
REPLIES = {
    b"EHLO": b"250 peer\r\n",
    b"MAIL": b"250 ok\r\n",
    b"RCPT": b"250 ok\r\n",
    b"DATA": b"354 go ahead\r\n",
}


class ScriptedPeer:
    """Answers like a server until the command named ``hang_up_at`` (or,
    for ``"."``, the end of the message), where it closes the connection
    without answering; ``reply_at`` replaces the answer to one command."""

    def __init__(self, hang_up_at=None, reply_at=None):
        self.hang_up_at = hang_up_at
        self.reply_at = reply_at or {}
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connection, _address = self.listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(GREETING)
            in_data = False
            for line in lines:
                if in_data:
                    if line != b".\r\n":
                        continue
                    in_data, command = False, b"."
                else:
                    command = line.split()[0].upper() if line.strip() else b""
                if command == self.hang_up_at:
                    return
                if command == b"QUIT":
                    connection.sendall(b"221 bye\r\n")
                    return
                reply = self.reply_at.get(command) or REPLIES.get(command, b"250 ok\r\n")
                connection.sendall(reply)
                in_data = command == b"DATA" and reply.startswith(b"354")

    def close(self):
        self.listener.close()
        self.thread.join(5)


def send(peer):
    """What sending one message to ``peer`` raises (None when accepted)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "Hello"
    message.set_content("Hello\n.\nwith a line that is a dot")
    try:
        with smtplib.SMTP("127.0.0.1", peer.port, timeout=5) as client:
            client.send_message(message)
    except Exception as error:  # the failure is what the test looks at
        return error
    finally:
        peer.close()
    return None


class WrappedError(Exception):
    """As Odoo's MailDeliveryException: raised while handling the SMTP one."""


@pytest.mark.parametrize("command", [b"EHLO", b"MAIL", b"RCPT", b"DATA"])
def test_connection_lost_before_the_message_went_out_is_a_refusal(command):
    error = send(ScriptedPeer(hang_up_at=command))
    assert isinstance(error, smtplib.SMTPServerDisconnected)
    assert not smtp.may_have_been_accepted(error)


def test_connection_lost_waiting_for_the_final_reply_is_unknown():
    error = send(ScriptedPeer(hang_up_at=b"."))
    assert isinstance(error, smtplib.SMTPServerDisconnected)
    assert smtp.may_have_been_accepted(error)


def test_wrapped_errors_are_looked_through():
    for hang_up_at, unknown in ((b".", True), (b"RCPT", False)):
        error = send(ScriptedPeer(hang_up_at=hang_up_at))
        try:
            try:
                raise error
            except smtplib.SMTPException:
                raise WrappedError("Mail Delivery Failed") from None
        except WrappedError as wrapped:
            # "from None" hides the cause from tracebacks, not from __context__
            assert smtp.may_have_been_accepted(wrapped) is unknown


@pytest.mark.parametrize(("command", "reply"), [
    (b"RCPT", b"550 5.1.1 no such user\r\n"),
    (b"RCPT", b"451 4.7.1 greylisted\r\n"),
    (b"DATA", b"554 5.5.1 no valid recipients\r\n"),
    (b".", b"451 4.3.0 try again later\r\n"),
    (b".", b"552 5.3.4 message too big\r\n"),
])
def test_an_answer_is_a_refusal(command, reply):
    error = send(ScriptedPeer(reply_at={command: reply}))
    assert isinstance(error, smtplib.SMTPException)
    assert not smtp.may_have_been_accepted(error)


def test_accepted():
    assert send(ScriptedPeer()) is None


def test_no_smtp_in_sight():
    assert not smtp.may_have_been_accepted(ValueError("nothing to do with SMTP"))
    assert not smtp.may_have_been_accepted(None)
