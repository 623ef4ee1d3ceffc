# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmNotificationSendAttempt(models.Model):
    """An e-mail of the delivery log being handed to the SMTP server.

    Written (and committed) on a cursor of its own just before the SMTP
    exchange, by ``mail.mail._crm_record_attempt``; never written by the
    queue's own transaction, whose snapshot predates it (PostgreSQL's
    repeatable read would refuse that update, or not see the row). The outcome
    is what the queue's transaction records on the delivery: its
    ``attempt_count`` reaching ``attempt``. An attempt above the delivery's
    count on a mail still waiting means the worker died during the exchange.
    """

    _name = "crm.notification.send.attempt"
    _description = "E-mail Send Attempt"
    _log_access = False

    mail_id = fields.Integer("E-mail", required=True, index=True)
    attempt = fields.Integer(required=True)
    date = fields.Datetime(required=True)

    _sql_constraints = [
        ("mail_unique", "UNIQUE(mail_id)", "One pending attempt per e-mail."),
    ]
