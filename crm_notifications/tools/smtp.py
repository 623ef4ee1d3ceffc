# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What an SMTP client's failure says about the message (plain Python)."""

import smtplib


def may_have_been_accepted(error):
    """Whether the server may have taken the message although sending it
    raised ``error`` (or an exception it wraps, as Odoo's
    ``MailDeliveryException`` does).

    A message is accepted by the server's reply to the final ``.`` of DATA
    (RFC 5321, 4.1.1.4). Failing before that point (connecting, MAIL FROM,
    RCPT TO, DATA refused, the body cut off) or on a reply received (4xx,
    5xx) is a refusal: the message did not arrive and may be sent again.
    Only losing the connection or timing out after the whole message went
    out, waiting for that reply, leaves it unknown (RFC 1047)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if not isinstance(error, smtplib.SMTPResponseException):
            traceback = error.__traceback__
            while traceback is not None:
                frame = traceback.tb_frame
                # smtplib.SMTP.data binds ``q`` (the quoted body) once the
                # server said 354, and sends it next: the innermost failure
                # happened while sending it or waiting for the reply
                if frame.f_code is smtplib.SMTP.data.__code__ and "q" in frame.f_locals:
                    return traceback.tb_next is not None and _after_body_sent(traceback)
                traceback = traceback.tb_next
        error = error.__cause__ or error.__context__
    return False


def _after_body_sent(traceback):
    """In ``SMTP.data``: did the failure come from the reply's read (after
    ``self.send(q)`` returned), not from sending the body?"""
    return traceback.tb_next.tb_frame.f_code.co_name == "getreply"
