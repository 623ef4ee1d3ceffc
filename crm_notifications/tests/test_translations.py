# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The addon in French, as a French-speaking user meets it: the bell, a
reminder e-mail and a new customer notification's default texts, from the
shipped ``i18n/fr.po`` (loaded as Odoo loads a language for a module)."""

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CustomerReminderCase


@tagged("post_install", "-at_install")
class TestTranslations(CustomerReminderCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        # what installing French does for this module: its fr.po into the database
        cls.env["ir.module.module"]._load_module_terms(["crm_notifications"], ["fr_FR"], overwrite=True)
        (cls.user_a | cls.user_c | cls.sup_north).write({"lang": "fr_FR"})

    def test_bell(self):
        """A lead assigned to a French user: the notification's title from a
        default rule, as the bell's RPC returns it, and the bell's own texts."""
        self.env["crm.lead"].with_user(self.user_b).create({"name": "Bonjour", "user_id": self.user_c.id})
        self.flush_notifications()
        notification = self.notifications_of(self.user_c)
        self.assertEqual(notification.title, "Assigné à vous : Bonjour")

        Notification = self.env["crm.notification"].with_user(self.user_c).with_context(lang="fr_FR")
        data = Notification.systray_get_notifications()
        self.assertEqual(data["unread_count"], 1)
        self.assertEqual(data["notifications"][0]["title"], "Assigné à vous : Bonjour")
        events = dict(Notification.fields_get(["event"])["event"]["selection"])
        self.assertEqual(events[data["notifications"][0]["event"]], "Assigné à vous")

        # the dropdown's texts, as the web client loads them for a French user
        translations, _lang = self.env["ir.http"].get_translations_for_webclient(["crm_notifications"], "fr_FR")
        messages = {m["id"]: m["string"] for m in translations["crm_notifications"]["messages"]}
        self.assertEqual(messages.get("Mark all as read"), "Tout marquer comme lu")
        self.assertEqual(messages.get("View all"), "Tout voir")
        self.assertEqual(messages.get("No notifications yet"), "Aucune notification pour le moment")
        self.assertEqual(messages.get("%s unread notifications"), "%s notifications non lues")

    def test_reminder_email(self):
        """An e-mail reminder: the French supervisor reads it in French, the
        others in English."""
        with freeze_time("2027-01-01 00:00:00"):
            reminder = self.make(channel="email", receivers="all", message="Appeler Jana")
        with freeze_time("2027-01-04 08:01:00"):
            self.run_cron_job("crm_notifications.ir_cron_customer_reminders")
        self.env.flush_all()
        mails = {delivery.user_id: delivery.mail_id for delivery in self.deliveries(reminder)}
        french = mails[self.sup_north]
        self.assertEqual(french.subject, "Rappel : Renew the contract (Nordic Wood)")
        self.assertIn("<p>Client : Nordic Wood</p>", str(french.body_html))
        self.assertIn("<p>Appeler Jana</p>", str(french.body_html))
        for admin in self.admins:
            self.assertEqual(mails[admin].subject, "Reminder: Renew the contract (Nordic Wood)")
            self.assertIn("<p>Customer: Nordic Wood</p>", str(mails[admin].body_html))

    def test_customer_notification_defaults(self):
        """A new customer notification, as the form shows it to a French
        salesperson: its defaults' labels, its fields and placeholders."""
        CN = self.env["crm.customer.notification"].with_user(self.user_a).with_context(lang="fr_FR")
        defaults = CN.default_get(["kind", "timing", "state", "rrule_type"])
        fields = CN.fields_get(["name", "kind", "timing", "state", "rrule_type", "user_id", "body"])
        labels = {fname: dict(fields[fname]["selection"])[value] for fname, value in defaults.items()}
        self.assertEqual(labels, {
            "kind": "Individuelle", "timing": "Maintenant", "state": "Brouillon", "rrule_type": "Hebdomadaire",
        })
        self.assertEqual(fields["name"]["string"], "Titre")
        self.assertEqual(fields["user_id"]["string"], "Expéditeur")
        self.assertEqual(fields["name"]["help"], "Le sujet de l'e-mail. Les champs dynamiques comme "
                                                 "{{ object.name }} sont rendus pour chaque client.")
        self.assertEqual(self.env["ir.model"].with_context(lang="fr_FR")._get("crm.customer.notification").name,
                         "Notification client")
        arch = CN.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("par ex. Votre commande est en route", arch)
        self.assertIn("Cher client, ...", arch)
        self.assertIn("Envoyer", arch)
