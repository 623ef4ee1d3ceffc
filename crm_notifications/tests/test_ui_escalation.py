# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Answering escalations from the bell (static/tests/tours/escalation_answer_tour.js),
on a desktop and at 390 px: a late activity escalated by the alerts' cron to
Mia, who acknowledges one escalation and takes the other activity over; the
assignee is told each time."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .test_ui_phone import phone_viewport

# Must match static/tests/tours/escalation_answer_tour.js
ACKNOWLEDGED = "Escalation tour: call the carrier"
TAKEN_OVER = "Escalation tour: send the quote"
GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads"
MANAGER = "crm_notif_esc_tour_mia"


class _EscalationTourCase(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, mail_notrack=True))
        cls.assignee = new_test_user(cls.env, "crm_notif_esc_tour_asha", groups=GROUPS, name="Asha Assignee")
        cls.manager = new_test_user(cls.env, MANAGER, password=MANAGER, groups=GROUPS, name="Mia Manager",
                                    email="mia@example.com")
        cls.env.company.write({
            "crm_activity_working_hours": False,
            "crm_activity_escalation_level_ids": [Command.clear(), Command.create({
                "hours": 24, "user_ids": [Command.set(cls.manager.ids)]})],
        })
        # the database's other activities (demo data) are not this test's
        cls.env.flush_all()
        cls.env.cr.execute("""UPDATE mail_activity SET crm_reminder_done_for = crm_deadline_utc,
                                                        crm_escalation_done_for = crm_deadline_utc""")
        cls.env.invalidate_all()
        partner = cls.env["res.partner"].create({"name": "Nordic Wood"})
        # one create each: Odoo 18's mail.activity.create subscribes the
        # assignee once per activity, twice to the same record in one batch
        cls.activities = cls.env["mail.activity"]
        for summary in (ACKNOWLEDGED, TAKEN_OVER):
            cls.activities |= cls.env["mail.activity"].create({
                "res_model_id": cls.env["ir.model"]._get_id("res.partner"), "res_id": partner.id,
                "activity_type_id": cls.env.ref("mail.mail_activity_data_todo").id, "summary": summary,
                "date_deadline": fields.Date.today() - timedelta(days=3), "user_id": cls.assignee.id,
            })

    def setUp(self):
        super().setUp()
        self.env["mail.activity"]._cron_send_activity_alerts()
        self.env.flush_all()
        self.escalations = self.env["crm.notification"].sudo().search([
            ("user_id", "=", self.manager.id), ("event", "=", "activity_late")])
        self.assertEqual(len(self.escalations), 2, "fixture: Mia has both escalations")
        # the bell's payload offers both answers
        values = self.env["crm.notification"].with_user(self.manager).systray_get_notifications()
        answers = {(v["can_acknowledge"], v["can_take_over"]) for v in values["notifications"]
                   if v["id"] in self.escalations.ids}
        self.assertEqual(answers, {(True, True)})

    def assert_answered(self):
        self.env.invalidate_all()
        acknowledged, taken_over = self.activities
        by_summary = {n.source_id: n for n in self.escalations}
        self.assertEqual(by_summary[acknowledged.id].escalation_answer, "acknowledged")
        self.assertEqual(by_summary[taken_over.id].escalation_answer, "taken_over")
        self.assertEqual(acknowledged.user_id, self.assignee)
        self.assertEqual(taken_over.user_id, self.manager)
        told = self.env["crm.notification"].sudo().search([
            ("user_id", "=", self.assignee.id), ("event", "in", ("activity_acknowledged", "activity_taken_over"))])
        self.assertEqual(sorted(told.mapped("event")), ["activity_acknowledged", "activity_taken_over"])
        values = self.env["crm.notification"].with_user(self.manager).systray_get_notifications()
        answers = {v["id"]: (v["can_acknowledge"], v["can_take_over"]) for v in values["notifications"]
                   if v["id"] in self.escalations.ids}
        self.assertEqual(answers, {by_summary[acknowledged.id].id: (False, True),
                                   by_summary[taken_over.id].id: (False, False)})


@tagged("post_install", "-at_install")
class TestEscalationAnswerUi(_EscalationTourCase):
    def test_answer_from_the_bell(self):
        self.start_tour("/odoo", "crm_notifications_escalation_answer", login=MANAGER)
        self.assert_answered()


@tagged("post_install", "-at_install")
class TestEscalationAnswerPhoneUi(_EscalationTourCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_answer_from_the_bell_phone(self):
        with phone_viewport(self):
            self.start_tour("/odoo", "crm_notifications_escalation_answer", login=MANAGER)
        self.assert_answered()
