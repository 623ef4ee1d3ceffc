# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The guards of the access policy, through the ORM as each user (the same
attacks through the RPC layer are in test_security_rpc.py, and the policy's
table in test_access_matrix.py)."""

from markupsafe import Markup

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CustomerNotificationCase, CustomerReminderCase

SECRET_EXPRESSION = "object.env['ir.config_parameter'].sudo().get_param('database.secret')"
ESCALATION_EXPRESSION = (
    "object.env.ref('base.group_system').sudo().write({'users': [(4, object.env.uid)]})"
)


class SenderCase(CustomerNotificationCase):
    """Own-documents and all-documents salesmen, neither of them a Mail
    Template Editor (Odoo 18 restricts template rendering by default), and a
    template editor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = "base.group_user,sales_team.group_sale_salesman"
        cls.own = new_test_user(cls.env, "sec_own", groups=groups, name="Olga Own", email="olga@example.com")
        cls.all_docs = new_test_user(
            cls.env, "sec_all", groups=groups + ",sales_team.group_sale_salesman_all_leads",
            name="Alan All", email="alan@example.com",
        )
        cls.editor = new_test_user(
            cls.env, "sec_editor", groups=groups + ",mail.group_mail_template_editor",
            name="Edith Editor", email="edith@example.com",
        )
        cls.secret = cls.env["ir.config_parameter"].sudo().get_param("database.secret")
        cls.system = cls.env.ref("base.group_system")

    def make_as(self, user, **values):
        return self.env["crm.customer.notification"].with_user(user).create(dict({
            "name": "Hello {{ object.name }}",
            "body": Markup('<p>Dear <t t-out="object.name"/>, your order shipped.</p>'),
            "kind": "individual", "partner_id": self.ana.id,
        }, **values))

    def assert_nothing_leaked(self):
        mails = self.env["mail.mail"].sudo().search([])
        for mail in mails:
            self.assertNotIn(self.secret, mail.subject or "")
            self.assertNotIn(self.secret, mail.body_html or "")
        self.assertNotIn(self.own, self.system.users)
        self.assertNotIn(self.all_docs, self.system.users)


@tagged("post_install", "-at_install")
class TestTemplateGuard(SenderCase):

    def test_plain_placeholders_allowed(self):
        """What Odoo allows anybody in mail.template: the field paths of
        mail_allowed_qweb_expressions()."""
        self.ana.user_id = self.all_docs
        notification = self.make_as(self.own, name="Hello {{ object.name }}, {{ object.user_id.name }} here",
                                    body=Markup('<p>Dear <t t-out="object.name"/>, '
                                                '<t t-out="object.user_id.name"/> here.</p>'))
        notification.action_send()
        self.assertEqual(notification.state, "sent")
        mail = self.deliveries(notification).mail_id
        self.assertEqual(mail.subject, "Hello Ana Lopes, Alan All here")
        self.assertIn("Dear Ana Lopes, Alan All here.", mail.body_html)

    @mute_logger("odoo.addons.mail.models.mail_render_mixin")
    def test_code_refused_at_save_naming_the_field(self):
        payloads = {
            "name": [
                "{{ %s }}" % SECRET_EXPRESSION,
                "{{ %s }}" % ESCALATION_EXPRESSION,
                "{{ object.env.user.name }}",
                "{{ object.name.upper() }}",
            ],
            "body": [
                Markup('<p><t t-out="%s"/></p>' % SECRET_EXPRESSION),
                Markup('<p><t t-esc="object.env.user.name"/></p>'),
                Markup('<p t-att-title="object.env.user.login">x</p>'),
                Markup('<t t-set="x" t-value="object.env.uid"/>'),
                Markup('<t t-call="web.layout"/>'),
            ],
        }
        labels = {"name": "Title", "body": "Body"}
        notification = self.make_as(self.own)
        for fname, values in payloads.items():
            for value in values:
                with self.subTest(field=fname, value=value):
                    with self.assertRaisesRegex(AccessError, labels[fname]):
                        self.make_as(self.own, **{fname: value})
                    with self.assertRaisesRegex(AccessError, labels[fname]), self.env.cr.savepoint():
                        notification.write({fname: value})
                    with self.assertRaisesRegex(AccessError, labels[fname]), self.env.cr.savepoint():
                        notification.with_context(lang="fr_FR").write({fname: value})
                    if fname == "name":
                        with self.assertRaisesRegex(AccessError, labels[fname]), self.env.cr.savepoint():
                            notification.update_field_translations(fname, {"fr_FR": value})
        self.assertEqual(notification.name, "Hello {{ object.name }}")
        self.assertEqual(notification.with_context(lang="fr_FR").name, "Hello {{ object.name }}")

    def test_editor_code_runs_with_the_senders_rights(self):
        """A template editor may write code; the cron (superuser) renders it
        as the sender, never as the superuser."""
        notification = self.make_as(
            self.editor, kind="group", group_id=self.group.id,
            name="{{ object.env.user.name }} / {{ 'superuser' if object.env.su else 'not superuser' }}",
        )
        notification.action_send()
        self.run_cron()
        subjects = set(self.deliveries(notification, state="queued").mail_id.mapped("subject"))
        self.assertEqual(subjects, {"Edith Editor / not superuser"})

    @mute_logger("odoo.addons.mail.models.mail_render_mixin")
    def test_code_saved_by_someone_else_fails_not_runs(self):
        """Code that reached the database without the save-time check (an
        import as superuser, an editor's draft) is not rendered for a sender
        outside Mail Template Editor: sending is refused, and a send already
        under way fails its deliveries with the reason."""
        draft = self.make_as(self.editor, name="{{ %s }}" % SECRET_EXPRESSION)
        with self.assertRaisesRegex(AccessError, "Title"):
            draft.with_user(self.all_docs).action_send()
        self.assertEqual(draft.state, "draft")

        notification = self.make_as(self.own, kind="group", group_id=self.group.id)
        notification.action_send()
        notification.sudo().write({"body": Markup('<p><t t-out="%s"/></p>' % ESCALATION_EXPRESSION)})
        self.run_cron()
        deliveries = self.deliveries(notification, state="failed")
        self.assertEqual(deliveries.partner_id, self.ana | self.jean)
        self.assertIn("Mail Template Editor", deliveries[0].reason)
        self.assertEqual(notification.state, "sent")
        self.assert_nothing_leaked()


@tagged("post_install", "-at_install")
class TestSender(SenderCase):

    def test_the_sender_is_who_sends(self):
        """An all-documents salesman sends another user's draft: it goes out
        under their own name and address."""
        notification = self.make_as(self.own)
        self.assertEqual(notification.user_id, self.own)
        notification.with_user(self.all_docs).action_send()
        self.assertEqual(notification.user_id, self.all_docs)
        mail = self.deliveries(notification).mail_id
        self.assertEqual(mail.email_from, self.all_docs.email_formatted)

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_own_documents_salesman_stays_on_their_own(self):
        theirs = self.make_as(self.all_docs)
        Notification = self.env["crm.customer.notification"].with_user(self.own)
        self.assertFalse(Notification.search([("id", "=", theirs.id)]))
        for action in ("action_send", "action_deactivate"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(theirs.with_user(self.own), action)()
        with self.assertRaises(AccessError):
            theirs.with_user(self.own).write({"name": "Mine now"})
        self.assertEqual(theirs.state, "draft")

    def test_customers_the_sender_may_not_read_are_skipped(self):
        """A group may hold another company's customers: a sender of the
        first company does not reach them."""
        company_2 = self.env["res.company"].create({"name": "Other Company"})
        foreign = self.env["res.partner"].create({
            "name": "Foreign Customer", "email": "foreign@example.com", "company_id": company_2.id,
        })
        self.group.partner_ids = [Command.link(foreign.id)]
        notification = self.make_as(self.all_docs, kind="group", group_id=self.group.id)
        notification.action_send()
        self.run_cron()
        skipped = self.deliveries(notification, partner_id=foreign.id)
        self.assertEqual((skipped.state, skipped.reason), ("skipped", "Not visible to the sender (access rights)"))
        self.assertEqual(self.deliveries(notification, state="queued").partner_id, self.ana | self.jean)
        # the sender sees how many, not who
        as_sender = notification.with_user(self.all_docs)
        self.assertEqual(as_sender.delivery_hidden_count, 1)
        visible = self.env["crm.notification.delivery"].with_user(self.all_docs).search(
            [("res_model", "=", notification._name), ("res_id", "=", notification.id)])
        self.assertNotIn(skipped, visible)
        self.assertIn(self.deliveries(notification, partner_id=self.ana.id), visible)

    def test_state_dates_and_sender_only_through_the_actions(self):
        notification = self.make_as(self.all_docs)
        for values in ({"state": "sent"}, {"next_date": "2030-01-01 00:00:00"},
                       {"start_date": "2030-01-01 00:00:00"}, {"user_id": self.own.id}):
            with self.subTest(values=values):
                with self.assertRaisesRegex(UserError, "set by the Send and Deactivate actions only"):
                    notification.write(values)
                with self.assertRaisesRegex(UserError, "set by the Send and Deactivate actions only"):
                    self.make_as(self.all_docs, **values)
        self.assertEqual((notification.state, notification.user_id), ("draft", self.all_docs))

    def test_what_was_sent_or_is_under_way_is_not_rewritten(self):
        sent = self.make_as(self.all_docs)
        sent.action_send()
        with self.assertRaisesRegex(UserError, "was sent: duplicate it"):
            sent.write({"name": "Rewritten"})
        copy = sent.copy()
        self.assertEqual((copy.state, copy.user_id), ("draft", self.all_docs))

        scheduled = self.make_as(self.all_docs, kind="group", group_id=self.group.id, timing="scheduled",
                                 scheduled_date="2099-01-01 09:00:00")
        scheduled.action_send()
        with self.assertRaisesRegex(UserError, "deactivate it to edit it"):
            scheduled.write({"body": Markup("<p>Changed</p>")})
        scheduled.action_deactivate()
        scheduled.write({"body": Markup("<p>Changed</p>")})
        self.assertEqual(scheduled.state, "deactivated")


@tagged("post_install", "-at_install")
class TestAreaGuard(CustomerReminderCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact_editor = new_test_user(cls.env, "sec_contacts", name="Carl Contacts",
                                           groups="base.group_user,base.group_partner_manager")
        cls.sales_manager = new_test_user(cls.env, "sec_manager", name="Mona Manager",
                                          groups="base.group_user,sales_team.group_sale_manager")
        # supervisors who may edit contacts at all (Contact Creation)
        partner_manager = cls.env.ref("base.group_partner_manager")
        (cls.sup_north | cls.sup_south | cls.rem_admin).groups_id = [Command.link(partner_manager.id)]

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_moving_a_customer_needs_both_areas(self):
        for user in (self.sup_north, self.contact_editor):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "Area"):
                self.customer_south.with_user(user).write({"crm_area_id": self.north.id})
        self.assertEqual(self.customer_south.crm_area_id, self.south)
        # a supervisor of both areas, and an administrator, may
        self.north.reminder_supervisor_ids = [Command.link(self.sup_south.id)]
        self.customer_south.with_user(self.sup_south).write({"crm_area_id": self.north.id})
        self.customer_south.with_user(self.rem_admin).write({"crm_area_id": self.south.id})
        self.assertEqual(self.customer_south.crm_area_id, self.south)

    def test_a_customer_without_area_but_with_reminders_stays_with_the_administrators(self):
        customer = self.env["res.partner"].create({"name": "No Area Yet"})
        self.make(partner_id=customer.id)
        with self.assertRaisesRegex(AccessError, "Area"):
            customer.with_user(self.sup_north).write({"crm_area_id": self.north.id})
        fresh = self.env["res.partner"].create({"name": "Fresh Customer"})
        fresh.with_user(self.sup_north).write({"crm_area_id": self.north.id})
        self.assertEqual(fresh.crm_area_id, self.north)

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_only_reminder_administrators_name_supervisors(self):
        with self.assertRaises(AccessError):
            self.north.with_user(self.sales_manager).write(
                {"reminder_supervisor_ids": [Command.link(self.sales_manager.id)]})
        self.assertEqual(self.north.reminder_supervisor_ids, self.sup_north)

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_reminders_stay_in_the_supervisors_areas(self):
        Reminder = self.Reminder.with_user(self.sup_north)
        with self.assertRaisesRegex(AccessError, "Customer"):
            Reminder.create({"name": "Theirs", "partner_id": self.customer_south.id,
                             "activation_date": "2027-01-04 08:00:00", "tz": "UTC"})
        reminder = Reminder.create({"name": "Mine", "partner_id": self.customer_north.id,
                                    "activation_date": "2027-01-04 08:00:00", "tz": "UTC"})
        with self.assertRaisesRegex(AccessError, "Customer"):
            reminder.write({"partner_id": self.customer_south.id})
        self.assertEqual(reminder.partner_id, self.customer_north)

    def test_the_customer_field_offers_the_areas_customers(self):
        Partner = self.env["res.partner"].with_user(self.sup_north)
        domain = self.Reminder._fields["partner_id"].domain
        offered = Partner.search(domain + [("id", "in", (self.customer_north | self.customer_south).ids)])
        self.assertEqual(offered, self.customer_north)
        offered = Partner.with_user(self.rem_admin).search(
            domain + [("id", "in", (self.customer_north | self.customer_south).ids)])
        self.assertEqual(offered, self.customer_north | self.customer_south)
        self.assertEqual(
            Partner.search([("crm_reminder_manageable", "=", False),
                            ("id", "in", (self.customer_north | self.customer_south).ids)]),
            self.customer_south,
        )

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_only_reminder_administrators_archive_types(self):
        Type = self.env["crm.customer.reminder.type"]
        theirs = Type.with_user(self.rem_admin).create({"name": "Shared type"})
        mine = Type.with_user(self.sup_north).create({"name": "Sup type"})
        mine.with_user(self.sup_north).write({"name": "Sup type, fixed"})
        for record in (theirs, mine):
            with self.subTest(type=record.name), self.assertRaises(AccessError):
                record.with_user(self.sup_north).write({"active": False})
        with self.assertRaises(AccessError):
            theirs.with_user(self.sup_north).write({"name": "Renamed"})
        theirs.with_user(self.rem_admin).write({"active": False})
        self.assertFalse(theirs.active)
        self.assertTrue(mine.active)


@tagged("post_install", "-at_install")
class TestInputValidation(CustomerReminderCase):
    """A value the web client would never send gets an error naming the
    field, and nothing is written."""

    def test_reminder_values(self):
        reminder = self.make()
        cases = [
            ("Repeat Every", {"recurrency": True, "rrule_type": "yearly", "interval": 10**6}),
            ("Repeat Every", {"interval": 10**12}),
            ("Repetitions", {"count": 10**12}),
            ("Activation", {"activation_date": "not a date"}),
            ("Activation", {"activation_date": "9999-01-01 00:00:00"}),
            ("By day", {"month_by": "day", "byday": "5"}),
            ("Delivery", {"channel": "fax"}),
            ("Name", {"name": "x" * 10_000_000}),
            ("Repeat Every", {"interval": "7; DROP TABLE res_users"}),
        ]
        count = self.Reminder.search_count([])
        for label, values in cases:
            with self.subTest(values=str(values)[:60]):
                with self.assertRaisesRegex(ValidationError, "^%s: " % label):
                    self.make(**values)
                with self.assertRaisesRegex(ValidationError, "^%s: " % label):
                    reminder.write(values)
        self.assertEqual(self.Reminder.search_count([]), count)
        self.assertEqual((reminder.name, reminder.interval, reminder.recurrency), ("Renew the contract", 1, False))

    def test_preview_is_bounded(self):
        reminder = self.make(recurrency=True, rrule_type="daily")
        self.assertEqual(len(reminder.get_next_occurrences(100)), 100)
        for count in (0, -1, 101, 200_000, "5", True):
            with self.subTest(count=count), self.assertRaisesRegex(ValidationError, "^Count: "):
                reminder.get_next_occurrences(count)

    def test_bell_limit(self):
        Notification = self.env["crm.notification"].with_user(self.sup_north)
        self.assertEqual(Notification.systray_get_notifications(limit=100)["unread_count"], 0)
        for limit in (-1, 0, 101, 10**9, "x", None):
            with self.subTest(limit=limit), self.assertRaisesRegex(ValidationError, "^Limit: "):
                Notification.systray_get_notifications(limit=limit)

    def test_customer_notification_title_is_a_subject(self):
        customer = self.env["res.partner"].create({"name": "Subject Test", "email": "subject@example.com"})
        Notification = self.env["crm.customer.notification"]
        with self.assertRaisesRegex(ValidationError, "^Title: at most 250 characters"):
            Notification.create({"name": "x" * 251, "body": "<p>Hi</p>", "partner_id": customer.id})
        self.assertFalse(Notification.search([("partner_id", "=", customer.id)]))
