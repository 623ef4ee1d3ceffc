# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Base of the glue addons' tests (crm_notifications_mrp, ..._repair,
..._maintenance, ..._helpdesk): the default rules a glue addon ships for an
optional app, as XML data."""
import importlib

from odoo import Command
from odoo.tools import convert_file

from .common import CrmNotificationCase


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
