# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the tests of crm_notifications and of its glue addons share: users,
customers, reminders, notifications, activities and the RPC attacker's
fixtures, on Odoo's ``MailCase`` (mail gateway and bus helpers); crons run
as Odoo's runner runs them (``run_cron_job``)."""

import contextlib
import importlib
import json
import logging
import re
import time
import xmlrpc.client
from datetime import date, datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from markupsafe import Markup

from odoo import Command, fields, modules
from odoo.tests import HttpCase, TransactionCase, get_db_name, new_test_user
from odoo.tools import config, convert_file, email_normalize

from odoo.addons.mail.tests.common import MailCase

from .smtp_sink import SmtpSink, SmtpSinkMixin


def normalize_sql(text):
    """SQL conditions compared as PostgreSQL prints them back: without quotes,
    table aliases, parentheses, blanks and case."""
    text = re.sub(r'"?\b[a-z_]+"?\.(?="?[a-z_])', "", text.lower())
    return re.sub(r'[\s"()]', "", text)


SALES_GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads,project.group_project_user"


def no_quiet_hours(env):
    """Customer e-mails and SMS go out whatever the hour (the companies'
    quiet hours from 00:00 to 00:00): the tests of other behaviours must not
    depend on the time they run at; the quiet hours' own tests set them."""
    env["res.company"].sudo().search([]).write({"crm_quiet_hours_start": 0.0, "crm_quiet_hours_end": 0.0})


class CrmTestMixin(MailCase):
    """Odoo's mail test helpers (``mock_mail_gateway``, ``assertMailMail``,
    ``mock_bus``, ``assertBus``) and the addon's."""

    def run_cron_job(self, xmlid, max_calls=50):
        """Run the scheduled action ``xmlid`` as Odoo's cron runner does: as
        its user, through its server action, called again while it reports
        work remaining (``ir.cron._notify_progress``)."""
        cron = self.env.ref(xmlid)
        Progress = self.env["ir.cron.progress"].sudo()
        for _call in range(max_calls):
            cron.method_direct_trigger()
            progress = Progress.search([("cron_id", "=", cron.id)], order="id desc", limit=1)
            if not progress.remaining:
                return
        raise AssertionError(f"{xmlid} still reports work after {max_calls} calls")


class CrmNotificationCase(TransactionCase, CrmTestMixin):
    """Users A (the author), B and C (recipients), a portal user, a sales
    team with B and C; no demo data needed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        no_quiet_hours(cls.env)
        cls.user_a = new_test_user(cls.env, "notif_a", groups=SALES_GROUPS + ",project.group_project_manager",
                                   name="Alice Author")
        cls.user_b = new_test_user(cls.env, "notif_b", groups=SALES_GROUPS, name="Bob Recipient")
        cls.user_c = new_test_user(cls.env, "notif_c", groups=SALES_GROUPS, name="Carol Recipient")
        cls.user_portal = new_test_user(cls.env, "notif_portal", groups="base.group_portal", name="Paula Portal")
        cls.team = cls.env["crm.team"].create({
            "name": "Notification team",
            "member_ids": [(6, 0, (cls.user_b | cls.user_c).ids)],
        })
        cls.Notification = cls.env["crm.notification"].sudo()

    def flush_notifications(self):
        """Notifications are written at the end of the transaction (pre-commit),
        which tests never reach: run the pre-commit hooks now."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def notifications_of(self, user, **filters):
        domain = [("user_id", "=", user.id)] + [(key, "=", value) for key, value in filters.items()]
        return self.Notification.search(domain)

    def bus_counts(self, user):
        """Unread counters pushed to ``user`` over the bus, oldest first."""
        counts = []
        for bus in self.env["bus.bus"].sudo().search([], order="id"):
            message = json.loads(bus.message)
            channel = json.loads(bus.channel)
            if message["type"] == "crm.notification/updated" and channel[1:] == ["res.partner", user.partner_id.id]:
                counts.append(message["payload"]["unread_count"])
            elif message["type"] == "crm.notification/updated" and channel[1:] == ["res.users", user.id]:
                counts.append(message["payload"]["unread_count"])
        return counts




class CustomerNotificationCase(CrmNotificationCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        Partner = cls.env["res.partner"]
        cls.ana = Partner.create({"name": "Ana Lopes", "email": "ana@example.com"})
        cls.jean = Partner.create({"name": "Jean Dupont", "email": "jean@example.com", "lang": "fr_FR"})
        cls.no_mail = Partner.create({"name": "No Mail"})
        cls.bad_mail = Partner.create({"name": "Bad Mail", "email": "not-an-address"})
        cls.opted_out = Partner.create({"name": "Opted Out", "email": "out@example.com"})
        cls.env["mail.blacklist"].sudo()._add("out@example.com")
        cls.group = cls.env["crm.customer.group"].create({
            "name": "Premium",
            "partner_ids": [Command.set((cls.ana | cls.jean | cls.no_mail | cls.bad_mail | cls.opted_out).ids)],
        })
        cls.CN = cls.env["crm.customer.notification"].with_user(cls.user_a)

    def make(self, **values):
        return self.CN.create(dict({
            "name": "Hello {{ object.name }}",
            "body": Markup('<p>Dear <t t-out="object.name"/>, your order shipped.</p>'),
            "kind": "individual", "partner_id": self.ana.id,
        }, **values))

    def deliveries(self, notification, **filters):
        domain = [("res_model", "=", "crm.customer.notification"), ("res_id", "in", notification.ids)]
        return self.env["crm.notification.delivery"].search(domain + [(k, "=", v) for k, v in filters.items()])

    def run_cron(self, chunks=None):
        """The sending cron as Odoo runs it; ``chunks``: one direct call
        sending that many chunks (the cron sends one per call)."""
        if chunks is None:
            self.run_cron_job("crm_notifications.ir_cron_customer_notifications")
        else:
            self.env["crm.customer.notification"]._cron_send_due(chunks=chunks)


class CustomerReminderCase(CrmNotificationCase):
    """A reminder administrator, supervisors of two areas (North, South),
    one customer in each area."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # with demo data, its reminders would be due in the frozen future too
        cls.env["crm.customer.reminder"].search([]).action_archive()
        cls.rem_admin = new_test_user(cls.env, "rem_admin", name="Rita Admin",
                                      groups="crm_notifications.group_reminder_admin")
        cls.sup_north = new_test_user(cls.env, "sup_north", name="Nora North",
                                      groups="crm_notifications.group_reminder_supervisor")
        cls.sup_south = new_test_user(cls.env, "sup_south", name="Sam South",
                                      groups="crm_notifications.group_reminder_supervisor")
        Team = cls.env["crm.team"]
        cls.north = Team.create({"name": "North", "reminder_supervisor_ids": [Command.set(cls.sup_north.ids)]})
        cls.south = Team.create({"name": "South", "reminder_supervisor_ids": [Command.set(cls.sup_south.ids)]})
        cls.customer_north = cls.env["res.partner"].create({"name": "Nordic Wood", "is_company": True,
                                                            "crm_area_id": cls.north.id})
        cls.customer_south = cls.env["res.partner"].create({"name": "Southern Sun", "is_company": True,
                                                            "crm_area_id": cls.south.id})
        cls.admins = cls.env.ref("crm_notifications.group_reminder_admin").users.filtered("active")
        cls.Reminder = cls.env["crm.customer.reminder"]

    def make(self, **values):
        return self.Reminder.create(dict({
            "name": "Renew the contract", "partner_id": self.customer_north.id,
            "activation_date": datetime(2027, 1, 4, 8, 0), "tz": "Europe/Brussels",
        }, **values))

    def run_cron(self, batch_size=None):
        """The reminders' cron as Odoo runs it; ``batch_size``: one direct
        call with batches of that size."""
        if batch_size is None:
            self.run_cron_job("crm_notifications.ir_cron_customer_reminders")
        else:
            self.Reminder._cron_send_due_reminders(batch_size=batch_size)
        self.env.flush_all()

    def deliveries(self, reminder):
        return self.env["crm.notification.delivery"].search([
            ("res_model", "=", "crm.customer.reminder"), ("res_id", "in", reminder.ids),
        ])


OCCURRENCE = datetime(2027, 1, 4, 8, 0)
SUBJECT = "Reminder: Renew the contract (Nordic Wood)"

class ReminderEmailCase(SmtpSinkMixin, CustomerReminderCase):
    """E-mail reminders due, and Odoo's mail queue to the sink."""

    sink_sender = "reminders@example.com"

    def make_due(self, **values):
        """An e-mail reminder to everyone ('all'), daily, sent by the reminder
        cron at its first occurrence; returns it with its queued mails."""
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(channel="email", receivers="all", recurrency=True, rrule_type="daily", **values)
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron_job("crm_notifications.ir_cron_customer_reminders")
        self.env.flush_all()
        deliveries = self.deliveries(reminder)
        receivers = self.admins | self.sup_north
        self.assertEqual(deliveries.user_id, receivers)
        self.assertEqual(len(deliveries), len(receivers))
        self.assertEqual(len(deliveries.mail_id), len(receivers))
        self.assertEqual(set(deliveries.mail_id.mapped("state")), {"outgoing"})
        return reminder, deliveries

    def process_queue(self):
        """Odoo's mail cron (``mail.ir_cron_mail_scheduler_action``), limited
        to reminder mails; it does not commit in tests and never raises."""
        with self.smtp_enabled():
            self.env["mail.mail"].with_context(
                filters=[("model", "=", "crm.customer.reminder")]).process_email_queue()
        self.env.invalidate_all()

    def received_by(self, address):
        address = email_normalize(address)
        return [received for received in self.sink.messages
                if [email_normalize(rcpt) for rcpt in received.rcpt_tos] == [address]]

    def assert_received_once(self, deliveries):
        """One message per delivery, to that receiver only, nothing else."""
        self.assertEqual(len(self.sink.messages), len(deliveries))
        for delivery in deliveries:
            received = self.received_by(delivery.user_id.email)
            self.assertEqual(len(received), 1, delivery.user_id.name)
            message = received[0].message
            self.assertEqual([email_normalize(a.addr_spec) for a in message["To"].addresses],
                             [email_normalize(delivery.user_id.email)])
            self.assertEqual(message["Subject"], SUBJECT)
            self.assertIn("Call Jana about the renewal", message.get_body(("html",)).get_content())


DEADLINE = date(2027, 1, 4)
# the end of the deadline day for a UTC assignee
DUE = datetime(2027, 1, 4, 23, 59, 59)
# a 1x1 PNG: a company logo other than Odoo's default
PIXEL = b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


class ActivityAlertCase(TransactionCase, CrmTestMixin):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, mail_notrack=True,
                                       tracking_disable=True))
        cls.company = cls.env.company
        cls.assignee = new_test_user(cls.env, "alert_assignee", groups="base.group_user", name="Asha Assignee",
                                     email="asha@example.com", tz="UTC")
        cls.owner = new_test_user(cls.env, "alert_owner", groups="base.group_user", name="Omar Owner",
                                  email="omar@example.com", tz="UTC")
        cls.boss = new_test_user(cls.env, "alert_boss", groups="base.group_user", name="Bea Boss",
                                 email="bea@example.com", tz="UTC")
        cls.chief = new_test_user(cls.env, "alert_chief", groups="base.group_user", name="Carl Chief",
                                  email="carl@example.com", tz="UTC")
        cls.server = cls.env["ir.mail_server"].create({
            "name": "Alerts server", "smtp_host": "127.0.0.1", "smtp_port": 2525, "smtp_encryption": "none",
            "from_filter": "alerts@example.com", "sequence": 50,
        })
        # the shipped ladder (one level), whatever the database's company has
        cls.company.crm_activity_escalation_level_ids = [Command.clear()]
        cls.company.write({
            "crm_activity_mail_server_id": cls.server.id,
            "crm_activity_reminder_hours": 24, "crm_activity_reminder_sender": "system",
            "crm_activity_late_hours": 24, "crm_activity_late_sender": "system",
            "crm_activity_escalation_user_ids": [Command.set((cls.boss | cls.chief).ids)],
        })
        cls.partner = cls.env["res.partner"].create({"name": "Nordic Wood"})
        cls.Activity = cls.env["mail.activity"]
        cls.Delivery = cls.env["crm.notification.delivery"].sudo()
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        # the database's other activities (demo data) are not this test's
        cls.env.flush_all()
        cls.env.cr.execute("""UPDATE mail_activity SET crm_reminder_done_for = crm_deadline_utc,
                                                        crm_escalation_done_for = crm_deadline_utc""")
        cls.env.invalidate_all()

    def make(self, deadline=DEADLINE, user=None, owner=None, **values):
        # sudo keeps the uid: the owner is the creator
        env = self.env(user=owner) if owner else self.env
        return env["mail.activity"].sudo().create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.partner.id,
            "activity_type_id": self.todo.id, "summary": "Call back", "date_deadline": deadline,
            "user_id": (user or self.assignee).id, **values,
        })

    def run_cron(self, at, **kwargs):
        """The alerts' cron at ``at``, as Odoo runs it; with ``kwargs``, one
        direct call with those arguments."""
        with freeze_time(at):
            if kwargs:
                self.Activity._cron_send_activity_alerts(**kwargs)
            else:
                self.run_cron_job("crm_notifications.ir_cron_activity_alerts")
        self.env.flush_all()
        self.env.invalidate_all()

    def deliveries(self, activity, channel=None):
        domain = [("res_model", "=", "mail.activity"), ("res_id", "=", activity.id)]
        if channel:
            domain.append(("channel", "=", channel))
        return self.Delivery.search(domain, order="id")

    def mails(self, activity):
        return self.deliveries(activity).mail_id

    def notifications(self, user, event):
        return self.env["crm.notification"].sudo().search([("user_id", "=", user.id), ("event", "=", event)])



class AlertSmtpMixin:
    """For ``ActivityAlertCase`` classes: the alerts' mail server is a real
    SMTP server (``SmtpSink``, STARTTLS and AUTH), fed by Odoo's mail queue."""

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink(user="robot@example.com", password="s3cret").start()
        self.addCleanup(self.sink.stop)
        self.server.write({**self.sink.mail_server_values(), "sequence": 1})

    @contextlib.contextmanager
    def smtp_enabled(self):
        """Odoo sends no e-mail in tests: let it, to the sink only."""
        with patch.object(modules.module, "current_test", False), \
                patch.dict(config.options, {"smtp_server": ""}), \
                patch("odoo.addons.base.models.ir_mail_server.SMTP_TIMEOUT", 5):
            yield

    def process_queue(self):
        with self.smtp_enabled():
            self.env["mail.mail"].with_context(
                filters=[("model", "=", "crm.notification.delivery")]).process_email_queue()
        self.env.invalidate_all()

    def received_by(self, user):
        return [received for received in self.sink.messages
                if [email_normalize(rcpt) for rcpt in received.rcpt_tos] == [email_normalize(user.email)]]

_logger = logging.getLogger(__name__)

SLOW_CALL = 1.0
MARKER_KEY = "crm_notifications.attack_ran"
SMTP_SECRET = "smtp-S3cr3t-9d1c0e"

# -- payloads: each would escalate, leave a trace or leak a secret if run ----
SECRET = "object.env['ir.config_parameter'].sudo().get_param('database.secret')"
SMTP = "object.env['ir.mail_server'].sudo().search([]).mapped('smtp_pass')"
OTHERS = "object.env['res.users'].sudo().search([]).mapped('login')"
MARKER = f"object.env['ir.config_parameter'].sudo().set_param('{MARKER_KEY}', 'yes')"
# UID: the attacker's id, filled in by the tests (payload())
ESCALATE_WRITE = "object.env.user.sudo().write({'groups_id': [(4, object.env.ref('base.group_system').id)]})"
ESCALATE_GROUP = "object.env.ref('base.group_system').sudo().write({'users': [(4, UID)]})"
ESCALATE_USER = "user.sudo().write({'groups_id': [(4, user.env.ref('base.group_system').id)]})"

TITLE_PAYLOADS = (
    "{{ %s }}" % SECRET,
    "{{ %s }}" % SMTP,
    "{{ %s }}" % OTHERS,
    "{{ %s }}" % MARKER,
    "{{ %s }}" % ESCALATE_WRITE,
    "{{ %s }}" % ESCALATE_GROUP,
    "{{ %s }}" % ESCALATE_USER,
    # a plain placeholder first, code second
    "Hello {{ object.name }} {{ %s }}" % SECRET,
    "{{ object.name ||| x }}{{ %s }}" % ESCALATE_GROUP,
    "{{ ctx }}",
    "{{ object.name.__class__ }}",
)
BODY_PAYLOADS = (
    '<p><t t-out="%s"/></p>' % ESCALATE_GROUP,
    '<p><t t-out="%s"/></p>' % SECRET,
    '<p><t t-esc="%s"/></p>' % SMTP,
    '<p><t t-raw="%s"/></p>' % OTHERS,
    '<p><span t-att-title="%s">x</span></p>' % SECRET,
    '<p><span t-attf-title="{{ %s }}">x</span></p>' % SECRET,
    '<p><span t-att="{\'title\': %s}">x</span></p>' % SECRET,
    '<p><t t-set="x" t-value="%s"/></p>' % ESCALATE_WRITE,
    '<p><t t-set="x">%s</t></p>' % MARKER,
    '<p><t t-if="%s">x</t></p>' % MARKER,
    '<p><t t-foreach="%s" t-as="x"><t t-out="x"/></t></p>' % OTHERS,
    '<p><t t-call="mail.mail_notification_light"/></p>',
    '<p><t t-call="web.layout"/></p>',
    '<p><span t-field="object.name"/></p>',
    '<p><t t-out="object.name"><t t-out="%s"/></t></p>' % SECRET,
    '<p><t t-out="object.name" t-options="{\'widget\': %s}"/></p>' % MARKER,
    '<p><t t-out="object.name" t-options-widget="%s"/></p>' % MARKER,
    '<p><t t-cache="%s">x</t></p>' % MARKER,
    '<p><t t-out="object.user_id.sudo().write({})"/></p>',
)


def payload(template, user):
    """``template`` aimed at ``user`` (the escalation adds them to Settings)."""
    return template.replace("UID", str(user.id))


class SecurityRpcCase(HttpCase):
    """Users of every role (their password known, for XML-RPC), two areas
    with a reminder each, customer notifications of two salesmen and of a
    second company, all sent once so that the delivery log holds every kind
    of row; RPC and evidence helpers. No test here: the SMS glue reuses it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, tracking_disable=True))
        env = cls.env
        env["res.lang"]._activate_lang("fr_FR")
        cls.company = env.company
        cls.company2 = env["res.company"].create({"name": "Second Company"})
        no_quiet_hours(env)
        cls.secret = env["ir.config_parameter"].sudo().get_param("database.secret")
        cls.smtp = env["ir.mail_server"].sudo().create({
            "name": "Attack target", "smtp_host": "smtp.invalid", "smtp_user": "u", "smtp_pass": SMTP_SECRET,
        })
        cls.system = env.ref("base.group_system")

        def user(login, groups, **values):
            return new_test_user(env, login, groups=groups, email=f"{login}@example.com", name=login.title(),
                                 password=cls.password(login), **values)

        sales = "base.group_user,sales_team.group_sale_salesman"
        cls.portal = user("rpc_portal", "base.group_portal")
        cls.employee = user("rpc_employee", "base.group_user")
        cls.sal = user("rpc_sal", sales)
        cls.sal2 = user("rpc_sal2", sales)
        cls.salall = user("rpc_salall", sales + ",sales_team.group_sale_salesman_all_leads")
        cls.mgr = user("rpc_mgr", sales + ",sales_team.group_sale_manager,crm_notifications.group_reminder_supervisor")
        # a contact editor supervising area A
        cls.sup_a = user("rpc_sup_a", "base.group_user,base.group_partner_manager,"
                                      "crm_notifications.group_reminder_supervisor")
        cls.sup_b = user("rpc_sup_b", "base.group_user,crm_notifications.group_reminder_supervisor")
        cls.admin = user("rpc_admin", "base.group_user,base.group_system")
        cls.c2 = user("rpc_c2", sales + ",sales_team.group_sale_manager,crm_notifications.group_reminder_admin",
                      company_id=cls.company2.id, company_ids=[Command.set(cls.company2.ids)])
        cls.attackers = cls.portal | cls.employee | cls.sal | cls.sal2 | cls.salall | cls.mgr | cls.sup_a | \
            cls.sup_b | cls.c2

        Partner = env["res.partner"]
        cls.ana = Partner.create({"name": "Ana Lopes", "email": "ana@example.com"})
        cls.jean = Partner.create({"name": "Jean Dupont", "email": "jean@example.com", "lang": "fr_FR"})
        cls.other_co = Partner.create({"name": "Otto Other", "email": "otto@example.com",
                                       "company_id": cls.company2.id})
        cls.group = env["crm.customer.group"].create({
            "name": "Premium", "partner_ids": [Command.set((cls.ana | cls.jean).ids)],
        })
        cls.group_c2 = env["crm.customer.group"].create({
            "name": "Second company's", "company_id": cls.company2.id,
            "partner_ids": [Command.set(cls.other_co.ids)],
        })

        # areas
        cls.team_a = env["crm.team"].create({"name": "Area A", "reminder_supervisor_ids": [Command.set(cls.sup_a.ids)]})
        cls.team_b = env["crm.team"].create({"name": "Area B", "reminder_supervisor_ids": [Command.set(cls.sup_b.ids)]})
        cls.cust_a = Partner.create({"name": "Customer A", "crm_area_id": cls.team_a.id})
        cls.cust_a2 = Partner.create({"name": "Customer A2", "crm_area_id": cls.team_a.id})
        cls.cust_b = Partner.create({"name": "Customer B", "crm_area_id": cls.team_b.id})
        Reminder = env["crm.customer.reminder"]
        cls.rem_a = Reminder.create({"name": "Renewal A", "partner_id": cls.cust_a.id, "message": "Area A only"})
        cls.rem_b = Reminder.create({"name": "Renewal B", "partner_id": cls.cust_b.id,
                                     "message": "Confidential to area B"})
        cls.type_shared = env["crm.customer.reminder.type"].create({"name": "Shared type"})

        # customer notifications: each salesman's own, a sent one, another company's
        CN = env["crm.customer.notification"]
        cls.draft_sal = CN.with_user(cls.sal).create(cls.safe_values(name="Sal's draft {{ object.name }}"))
        cls.draft_sal2 = CN.with_user(cls.sal2).create(cls.safe_values(name="Sal2's draft"))
        cls.sent_sal2 = CN.with_user(cls.sal2).create(cls.safe_values(name="Sal2's sent {{ object.name }}"))
        cls.sent_sal2.with_user(cls.sal2).action_send()
        cls.sent_sal = CN.with_user(cls.sal).create(cls.safe_values(name="Sal's sent"))
        cls.sent_sal.with_user(cls.sal).action_send()
        cls.cn_c2 = CN.with_user(cls.c2).with_company(cls.company2).create(cls.safe_values(
            name="Second company's news", partner_id=cls.other_co.id, company_id=cls.company2.id))
        cls.cn_c2.with_user(cls.c2).with_company(cls.company2).action_send()
        # the tests look at them as the superuser
        for name in ("draft_sal", "draft_sal2", "sent_sal2", "sent_sal", "cn_c2"):
            setattr(cls, name, getattr(cls, name).with_env(env))
        # reminders go out (in-app, to the administrators and the area's supervisors)
        Reminder._cron_send_due_reminders()

        Delivery = env["crm.notification.delivery"]
        cls.d_sal = Delivery.search([("customer_notification_id", "=", cls.sent_sal.id)])
        cls.d_sal2 = Delivery.search([("customer_notification_id", "=", cls.sent_sal2.id)])
        cls.d_c2 = Delivery.search([("customer_notification_id", "=", cls.cn_c2.id)])
        cls.d_rem_a = Delivery.search([("reminder_id", "=", cls.rem_a.id)])
        cls.d_rem_b = Delivery.search([("reminder_id", "=", cls.rem_b.id)])
        cls.d_to_sup_b = cls.d_rem_b.filtered(lambda d: d.user_id == cls.sup_b)
        assert cls.d_sal.mail_id and cls.d_sal2.mail_id and cls.d_c2.mail_id and cls.d_to_sup_b.notification_id, \
            "fixture: every kind of send is logged"
        cls.timings = []

    @staticmethod
    def password(login):
        return f"{login}-Pw-8f3a"

    @classmethod
    def safe_values(cls, **values):
        return dict({
            "name": "Hello {{ object.name }}",
            "body": '<p>Dear <t t-out="object.name"/>, your order shipped.</p>',
            "kind": "individual",
            "partner_id": cls.ana.id,
        }, **values)

    @classmethod
    def tearDownClass(cls):
        for label, elapsed in cls.timings:
            _logger.info("slow RPC: %s took %.2f s", label, elapsed)
        super().tearDownClass()

    # ------------------------------------------------------------
    # RPC helpers
    # ------------------------------------------------------------

    def login(self, user):
        self.authenticate(user.login, self.password(user.login))

    def call(self, model, method, *args, **kwargs):
        """``/web/dataset/call_kw`` as the logged-in user, as the web client
        calls it. Returns ``(result, None)`` or ``(None, error data)``.

        ``make_jsonrpc_request`` keeps only the exception's class: the tests
        need its message too (does it name the field?), hence the same
        request made here on ``url_open``.
        """
        self.env.flush_all()
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs,
        }}
        start = time.monotonic()
        response = self.url_open(f"/web/dataset/call_kw/{model}/{method}", data=json.dumps(payload),
                                 headers={"Content-Type": "application/json"}, timeout=120)
        elapsed = time.monotonic() - start
        if elapsed > SLOW_CALL:
            self.timings.append((f"{self._testMethodName}: {model}.{method}", elapsed))
        response.raise_for_status()
        body = response.json()
        self.env.invalidate_all()
        if "error" in body:
            return None, body["error"]["data"]
        return body["result"], None

    def xmlrpc(self, user, model, method, *args, **kwargs):
        """XML-RPC ``execute_kw`` as ``user``: ``(result, None)`` or ``(None, fault text)``."""
        self.env.flush_all()
        try:
            result = self.xmlrpc_object.execute_kw(get_db_name(), user.id, self.password(user.login), model,
                                                   method, list(args), kwargs)
        except xmlrpc.client.Fault as fault:
            self.env.invalidate_all()
            # a wrong password would make every attack look refused
            self.assertNotEqual(fault.faultString.strip(), "Access Denied", "XML-RPC login failed")
            return None, fault.faultString
        self.env.invalidate_all()
        return result, None

    def assert_refused(self, outcome, exception="AccessError", names=None, msg=None):
        """``outcome`` of ``call`` is an Odoo ``exception`` whose message
        holds each of ``names`` (the fields' labels)."""
        result, error = outcome
        self.assertIsNotNone(error, msg or f"not refused, answered {str(result)[:300]!r}")
        self.assertEqual(error["name"], f"odoo.exceptions.{exception}",
                         f"{msg or ''} expected {exception}, got {error['name']}: {error['message'][:300]}")
        for name in names or ():
            self.assertIn(name, error["message"], msg)
        return error

    def assert_named_error(self, outcome, label, msg=None):
        """A clear ValidationError/UserError/AccessError naming ``label``,
        never a raw Python or database error."""
        result, error = outcome
        self.assertIsNotNone(error, f"{msg}: accepted, answered {str(result)[:200]!r}")
        self.assertIn(error["name"], ("odoo.exceptions.ValidationError", "odoo.exceptions.UserError",
                                      "odoo.exceptions.AccessError"),
                      f"{msg}: raw error {error['name']}: {error['message'][:300]}")
        # "Customer: ..." (the addon's checks) or "Field: Customer (partner_id)" (Odoo's), not
        # "Customer Reminder (crm.customer.reminder)" of a generic access error
        self.assertRegex(error["message"], rf"(^|\W){re.escape(label)}(:| \()",
                         f"{msg}: the error does not name {label!r}: {error['message'][:300]}")

    def ok(self, outcome, msg=None):
        result, error = outcome
        self.assertIsNone(error, f"{msg or ''} {error and error['name']}: {error and error['message'][:400]}")
        return result

    # ------------------------------------------------------------
    # Evidence helpers
    # ------------------------------------------------------------

    def run_crons(self):
        """The customer notification and reminder crons, as Odoo runs them (superuser)."""
        self.env.flush_all()
        self.env.ref("crm_notifications.ir_cron_customer_notifications").method_direct_trigger()
        self.env.ref("crm_notifications.ir_cron_customer_reminders").method_direct_trigger()
        self.env.invalidate_all()

    def sent_texts(self):
        """Everything a send or a render may have written somewhere."""
        texts = []
        for mail in self.env["mail.mail"].sudo().search([]):
            texts += [mail.subject or "", mail.body_html or "", mail.email_from or ""]
        # the mails' own messages, and the notes of what customers got on their chatter
        for message in self.env["mail.message"].sudo().search([
                "|", ("model", "=", "crm.customer.notification"), ("crm_delivery_id", "!=", False)]):
            texts += [message.subject or "", str(message.body or "")]
        for notification in self.env["crm.notification"].sudo().search([]):
            texts += [notification.title or "", notification.body or ""]
        texts += [d.reason or "" for d in self.env["crm.notification.delivery"].sudo().search([])]
        if "sms.sms" in self.env:
            texts += [sms.body or "" for sms in self.env["sms.sms"].sudo().search([])]
        return texts

    def assert_nothing_ran(self):
        """No attacker became a settings administrator, no marker was set,
        no secret reached a mail, message, notification, log or SMS."""
        self.env.invalidate_all()
        escalated = self.attackers & self.system.sudo().users
        self.assertFalse(escalated, f"template code ran: {escalated.mapped('login')} became administrators")
        self.assertFalse(self.env["ir.config_parameter"].sudo().get_param(MARKER_KEY),
                         "template code ran: the marker parameter was set")
        logins = [login for login in self.env["res.users"].sudo().with_context(active_test=False)
                  .search([]).mapped("login") if login.startswith("rpc_")]
        for text in self.sent_texts():
            self.assertNotIn(self.secret, text, "database.secret leaked")
            self.assertNotIn(SMTP_SECRET, text, "the SMTP password leaked")
            for login in logins:
                self.assertNotIn(f"'{login}'", text, "other users' logins leaked")

    def notifications_named(self, name):
        return self.env["crm.customer.notification"].sudo().search([("name", "=", name)])

    def due_now(self, notifications):
        """Move the next send of ``notifications`` to now, as time passing
        would (the tests cannot wait until a scheduled date)."""
        notifications.sudo().write({"next_date": fields.Datetime.now() - timedelta(minutes=1)})


class GlueRuleCase(CrmNotificationCase):
    """Users A, B and C of ``CrmNotificationCase``, also users of the app."""

    glue = None  # the glue addon, e.g. "crm_notifications_mrp"
    app_groups = ""  # comma-separated xmlids of the groups giving access to the app
    data_file = "data/crm_notification_rule_data.xml"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = [cls.env.ref(xmlid).id for xmlid in cls.app_groups.split(",") if xmlid]
        (cls.user_a | cls.user_b | cls.user_c).write({"groups_id": [Command.link(group) for group in groups]})
        cls.Rule = cls.env["crm.notification.rule"]

    def glue_rules(self):
        """The rules whose xmlid belongs to the glue addon."""
        data = self.env["ir.model.data"].search([("module", "=", self.glue), ("model", "=", "crm.notification.rule")])
        return self.Rule.browse(data.mapped("res_id")).exists()

    def notifications_on(self, record):
        return self.Notification.search([("res_model", "=", record._name), ("res_id", "=", record.id)])

    def assert_uninstall_removes_rules(self):
        """Uninstalling the glue (its data's part, what removes records)
        deletes its rules."""
        rules = self.glue_rules()
        models = rules.mapped("model")
        self.assertTrue(rules)
        self.env["ir.model.data"]._module_data_uninstall([self.glue])
        self.assertFalse(rules.exists())
        self.assertFalse(self.Rule.with_context(active_test=False).search([("model", "in", models)]))

    def assert_install_adopts(self, xmlid, edits):
        """A database where crm_notifications 18.0.1.0.0 created the rule
        ``xmlid`` for this app under its own xmlid (crm_notifications.<xmlid>)
        and an administrator then edited it: installing the glue (its data in
        install mode, then its post_init_hook) keeps that one rule, edits
        included, under the glue's xmlid."""
        IrModelData = self.env["ir.model.data"]
        shipped = self.env.ref(f"{self.glue}.{xmlid}")
        values = dict(shipped.copy_data()[0], **edits)
        # the database before the glue: none of its rules, the older one edited
        self.env["ir.model.data"]._module_data_uninstall([self.glue])
        legacy = self.Rule.create(values)
        IrModelData.create({
            "module": "crm_notifications", "name": xmlid, "model": "crm.notification.rule",
            "res_id": legacy.id, "noupdate": True,
        })
        # installing the glue
        convert_file(self.env, self.glue, self.data_file, {}, mode="init", kind="data")
        importlib.import_module(f"odoo.addons.{self.glue}").post_init_hook(self.env)

        same = self.Rule.with_context(active_test=False).search([
            ("model", "=", legacy.model), ("field_id", "=", legacy.field_id.id),
            ("trigger", "=", legacy.trigger),
        ])
        self.assertEqual(same, legacy, "one rule, the older one")
        self.assertEqual(self.env.ref(f"{self.glue}.{xmlid}"), legacy)
        self.assertFalse(self.env.ref(f"crm_notifications.{xmlid}", raise_if_not_found=False))
        data = IrModelData.search([("module", "=", self.glue), ("name", "=", xmlid)])
        self.assertTrue(data.noupdate, "the rule stays the administrator's on updates")
        for fname, value in edits.items():
            self.assertEqual(legacy[fname], value)
        # uninstalling the glue now removes it, like a rule it created
        self.assertIn(legacy, self.glue_rules())
        return legacy
