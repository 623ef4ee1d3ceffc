# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Issue 13, activities: the escalation ladder, alert hours counted in the
company's working hours (DST changes of Europe/Brussels, public holidays),
acknowledging and taking over an escalation; through the cron as Odoo runs
it, and the mail queue to a real SMTP server."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import ActivityAlertCase, AlertSmtpMixin

LEAD_GROUPS = "base.group_user,sales_team.group_sale_salesman"
MANAGER_GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads,sales_team.group_sale_manager"


class EscalationCase(ActivityAlertCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # an office in Brussels: Monday to Friday, 08:00-12:00 and 13:00-17:00
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Brussels office", "tz": "Europe/Brussels",
            "attendance_ids": [
                Command.create({"name": f"Day {day} {period}", "dayofweek": str(day), "hour_from": start,
                                "hour_to": end, "day_period": period})
                for day in range(5) for start, end, period in ((8, 12, "morning"), (13, 17, "afternoon"))
            ],
        })
        cls.company.resource_calendar_id = cls.calendar

    def ladder(self, *levels, working_hours=False):
        """The company's ladder: (hours, users[, notify_manager]) per level."""
        self.company.write({
            "crm_activity_working_hours": working_hours,
            "crm_activity_escalation_level_ids": [Command.clear()] + [
                Command.create({"hours": level[0], "user_ids": [Command.set(level[1].ids)],
                                "notify_manager": level[2] if len(level) > 2 else False})
                for level in levels
            ],
        })
        return self.company.crm_activity_escalation_level_ids

    def escalations(self, activity, user=None):
        domain = [("res_model", "=", "mail.activity"), ("res_id", "=", activity.id), ("channel", "=", "inapp"),
                  ("occurrence_date", ">", activity.crm_deadline_utc)]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.Delivery.search(domain, order="id")

    def late_notification(self, user, activity):
        return self.env["crm.notification"].sudo().search([
            ("user_id", "=", user.id), ("event", "=", "activity_late"),
            ("source_model", "=", "mail.activity"), ("source_id", "=", activity.id)], order="id")


@tagged("post_install", "-at_install")
class TestEscalationLadder(EscalationCase):

    def test_first_level_is_the_former_escalation(self):
        """The company's escalation hours and recipients of earlier versions
        are its first level; the settings page edits the ladder."""
        level = self.company.crm_activity_escalation_level_ids
        self.assertEqual(len(level), 1)
        self.assertEqual((level.hours, level.user_ids, level.sequence), (24, self.boss | self.chief, 1))
        self.company.crm_activity_late_hours = 36
        self.assertEqual(level.hours, 36)
        settings = self.env["res.config.settings"].create({
            "crm_activity_working_hours": True,
            "crm_activity_escalation_level_ids": [Command.create({"hours": 72, "user_ids": [Command.set(
                self.owner.ids)]})],
        })
        settings.execute()
        self.assertTrue(self.company.crm_activity_working_hours)
        ladder = self.company.crm_activity_escalation_level_ids
        self.assertEqual(ladder.mapped("hours"), [36, 72])
        self.assertEqual(ladder.mapped("sequence"), [1, 2])
        self.assertEqual(ladder[1].display_name, "Level 2 (72 h)")
        # reset: one level, 24 hours, to the assignee's manager; clock hours
        settings.action_crm_activity_reset_defaults()
        ladder = self.company.crm_activity_escalation_level_ids
        self.assertEqual([(lv.hours, lv.notify_manager, lv.user_ids.ids) for lv in ladder], [(24, True, [])])
        self.assertFalse(self.company.crm_activity_working_hours)

    def test_levels_ranked_in_the_settings_form(self):
        """The settings page lists the levels with their rank (the form's
        records are new ones standing for the saved levels: they showed
        "Level 0"); a new line is ranked among the saved ones by its hours,
        the others are ranked again when saved."""
        with Form(self.env["res.config.settings"]) as settings:
            self.assertEqual(settings.crm_activity_escalation_level_ids.edit(0).sequence, 1)
            with settings.crm_activity_escalation_level_ids.new() as line:
                line.hours = 12
                self.assertEqual(line.sequence, 1)
        settings.save().execute()
        ladder = self.company.crm_activity_escalation_level_ids.sorted("sequence")
        self.assertEqual([(level.sequence, level.hours) for level in ladder], [(1, 12), (2, 24)])

    def test_new_company_gets_the_default_ladder(self):
        company = self.env["res.company"].create({"name": "Ladder Branch"})
        self.assertEqual(company.crm_activity_escalation_level_ids.mapped("hours"), [24])
        self.assertTrue(company.crm_activity_escalation_level_ids.notify_manager)

    def test_levels_in_order_each_once(self):
        """Level 1 at 24 h to Bea, level 2 at 48 h to Carl: each once, in
        order, whatever the number of cron runs; then the ladder is done."""
        self.ladder((24, self.boss), (48, self.chief))
        activity = self.make()
        self.run_cron("2027-01-05 23:59:00")
        self.assertFalse(self.escalations(activity))
        self.run_cron("2027-01-06 00:00:00")
        self.run_cron("2027-01-06 00:00:00")
        first = self.escalations(activity)
        self.assertEqual(first.user_id, self.boss)
        self.assertEqual(set(first.mapped("occurrence_date")), {datetime(2027, 1, 5, 23, 59, 59)})
        self.assertEqual((activity.crm_escalation_hours_done, activity.crm_escalation_done_for), (24, False))
        self.run_cron("2027-01-06 23:59:00")
        self.assertEqual(self.escalations(activity), first)
        self.run_cron("2027-01-07 00:00:00")
        self.run_cron("2027-01-07 00:15:00")
        second = self.escalations(activity) - first
        self.assertEqual(second.user_id, self.chief)
        self.assertEqual(set(second.mapped("occurrence_date")), {datetime(2027, 1, 6, 23, 59, 59)})
        self.assertIn("level 2", self.late_notification(self.chief, activity).title)
        self.assertEqual(len(self.deliveries(activity, "email").filtered(lambda d: d.user_id != self.assignee)), 2)
        # the ladder is done for this deadline: out of the pending index
        self.assertEqual(activity.crm_escalation_done_for, activity.crm_deadline_utc)
        self.run_cron("2027-02-01 00:00:00")
        self.assertEqual(len(self.escalations(activity)), 2)

    def test_cron_down_sends_every_level_due_once(self):
        """The cron was down past both levels: both go at the next run, each
        with its own instant; a second worker that saw the activity before
        the first one committed (the marks undone) claims nothing twice."""
        self.ladder((24, self.boss), (48, self.chief | self.boss))
        activity = self.make(deadline=date(2027, 1, 1))
        self.run_cron("2027-01-05 00:00:00")
        escalations = self.escalations(activity)
        self.assertEqual(sorted((d.user_id.login, str(d.occurrence_date)) for d in escalations), [
            ("alert_boss", "2027-01-02 23:59:59"), ("alert_boss", "2027-01-03 23:59:59"),
            ("alert_chief", "2027-01-03 23:59:59")])
        self.env.cr.execute("""UPDATE mail_activity SET crm_escalation_done_for = NULL,
                               crm_escalation_level_for = NULL WHERE id = %s""", [activity.id])
        self.run_cron("2027-01-05 00:00:30")
        self.assertEqual(self.escalations(activity), escalations)
        self.assertEqual(len(self.late_notification(self.boss, activity)), 2)

    def test_moving_the_deadline_rearms_the_ladder(self):
        self.ladder((24, self.boss), (48, self.chief))
        activity = self.make()
        self.run_cron("2027-01-06 00:00:00")
        self.assertEqual(len(self.escalations(activity)), 1)
        activity.date_deadline = date(2027, 1, 10)
        self.run_cron("2027-01-07 00:00:00")  # level 2 of the old deadline: gone
        self.assertEqual(len(self.escalations(activity)), 0, "only escalations after the new deadline")
        self.run_cron("2027-01-12 00:00:00")
        self.assertEqual(self.escalations(activity).user_id, self.boss)
        self.run_cron("2027-01-13 00:00:00")
        self.assertEqual(self.escalations(activity).user_id, self.boss | self.chief)

    def test_done_activity_stops_the_ladder(self):
        self.ladder((24, self.boss), (48, self.chief))
        activity = self.make()
        activity_id = activity.id
        self.run_cron("2027-01-06 00:00:00")
        activity.action_feedback("Called")
        self.run_cron("2027-01-08 00:00:00")
        deliveries = self.Delivery.search([("res_model", "=", "mail.activity"), ("res_id", "=", activity_id),
                                           ("user_id", "=", self.chief.id)])
        self.assertFalse(deliveries)

    def test_notify_manager(self):
        """A level with the assignee's manager: through hr's employee
        hierarchy when hr is installed (scripts/test installs it); without
        it, nobody more."""
        self.ladder((24, self.boss, True))
        if "employee_id" not in self.env["res.users"]._fields:
            activity = self.make()
            self.run_cron("2027-01-06 00:00:00")
            self.assertEqual(self.escalations(activity).user_id, self.boss)
            return
        Employee = self.env["hr.employee"].sudo()
        lead = Employee.create({"name": "Carl Chief", "user_id": self.chief.id})
        Employee.create({"name": "Asha Assignee", "user_id": self.assignee.id, "parent_id": lead.id})
        activity = self.make()
        self.run_cron("2027-01-06 00:00:00")
        self.assertEqual(self.escalations(activity).user_id, self.boss | self.chief)
        # a level without the manager does not reach Carl
        self.company.crm_activity_escalation_level_ids.notify_manager = False
        other = self.make()
        self.run_cron("2027-01-06 00:15:00")
        self.assertEqual(self.escalations(other).user_id, self.boss)


@tagged("post_install", "-at_install")
class TestWorkingHours(EscalationCase):

    def setUp(self):
        super().setUp()
        self.assignee.tz = "Europe/Brussels"

    def test_clock_hours_when_off(self):
        """Off (the default): 8 hours are 8 hours of the clock, as before;
        an activity due on Friday evening is escalated on Saturday."""
        self.ladder((8, self.boss))
        activity = self.make(deadline=date(2027, 1, 8))  # a Friday
        self.assertEqual(activity.crm_deadline_utc, datetime(2027, 1, 8, 22, 59, 59))
        self.run_cron("2027-01-09 06:59:00")
        self.assertFalse(self.escalations(activity))
        self.run_cron("2027-01-09 07:00:00")
        self.assertEqual(set(self.escalations(activity).mapped("occurrence_date")),
                         {datetime(2027, 1, 9, 6, 59, 59)})

    def test_friday_evening_escalates_monday_evening(self):
        """8 working hours after Friday 23:59:59 in Brussels (UTC+1): Monday
        17:00 local, 16:00 UTC; nothing on Saturday."""
        self.ladder((8, self.boss), working_hours=True)
        activity = self.make(deadline=date(2027, 1, 8))
        for at in ("2027-01-09 09:00:00", "2027-01-10 23:00:00", "2027-01-11 15:59:00"):
            self.run_cron(at)
            self.assertFalse(self.escalations(activity), at)
        self.run_cron("2027-01-11 16:00:00")
        escalation = self.escalations(activity)
        self.assertEqual(escalation.user_id, self.boss)
        self.assertEqual(escalation.occurrence_date, datetime(2027, 1, 11, 16, 0))

    def test_reminder_in_working_hours(self):
        """A reminder 8 working hours before Monday's end: when Monday's
        working day begins (08:00 local, 07:00 UTC), not on Friday."""
        self.company.crm_activity_reminder_hours = 8
        self.ladder((8, self.boss), working_hours=True)
        activity = self.make(deadline=date(2027, 1, 11))  # a Monday
        for at in ("2027-01-08 15:00:00", "2027-01-10 20:00:00", "2027-01-11 07:00:00"):
            self.run_cron(at)
            self.assertFalse(self.deliveries(activity), at)
        self.run_cron("2027-01-11 07:15:00")
        reminder = self.deliveries(activity, "inapp")
        self.assertEqual(reminder.user_id, self.assignee)
        self.assertEqual(reminder.occurrence_date, datetime(2027, 1, 11, 7, 0))

    def test_dst_march(self):
        """Due Friday 26 March 2027 (UTC+1); Brussels moves to UTC+2 on
        Sunday: 8 working hours end on Monday at 17:00 local, 15:00 UTC."""
        self.ladder((8, self.boss), working_hours=True)
        activity = self.make(deadline=date(2027, 3, 26))
        self.assertEqual(activity.crm_deadline_utc, datetime(2027, 3, 26, 22, 59, 59))
        self.run_cron("2027-03-29 14:59:00")
        self.assertFalse(self.escalations(activity))
        self.run_cron("2027-03-29 15:00:00")
        self.assertEqual(self.escalations(activity).occurrence_date, datetime(2027, 3, 29, 15, 0))

    def test_dst_october(self):
        """Due Friday 29 October 2027 (UTC+2); back to UTC+1 on Sunday: 8
        working hours end on Monday at 17:00 local, 16:00 UTC."""
        self.ladder((8, self.boss), working_hours=True)
        activity = self.make(deadline=date(2027, 10, 29))
        self.assertEqual(activity.crm_deadline_utc, datetime(2027, 10, 29, 21, 59, 59))
        self.run_cron("2027-11-01 15:59:00")
        self.assertFalse(self.escalations(activity))
        self.run_cron("2027-11-01 16:00:00")
        self.assertEqual(self.escalations(activity).occurrence_date, datetime(2027, 11, 1, 16, 0))

    def test_public_holiday(self):
        """All Saints' Day (Monday 1 November 2027) is a public holiday of
        the schedule: the escalation waits for Tuesday's working day, and
        the next level counts on from there."""
        self.env["resource.calendar.leaves"].create({
            "name": "All Saints' Day", "calendar_id": self.calendar.id, "resource_id": False,
            "date_from": datetime(2027, 10, 31, 23, 0), "date_to": datetime(2027, 11, 1, 22, 59, 59),
        })
        self.ladder((8, self.boss), (16, self.chief), working_hours=True)
        activity = self.make(deadline=date(2027, 10, 29))
        self.run_cron("2027-11-01 16:00:00")
        self.run_cron("2027-11-02 15:59:00")
        self.assertFalse(self.escalations(activity))
        self.run_cron("2027-11-02 16:00:00")
        self.assertEqual(self.escalations(activity).occurrence_date, datetime(2027, 11, 2, 16, 0))
        self.run_cron("2027-11-03 15:59:00")
        self.assertEqual(len(self.escalations(activity)), 1)
        self.run_cron("2027-11-03 16:00:00")
        self.assertEqual(self.escalations(activity, self.chief).occurrence_date, datetime(2027, 11, 3, 16, 0))

    def test_scan_queries_do_not_grow(self):
        """With working hours and three levels, the scan costs the same
        number of queries whatever the number of activities not due."""
        self.ladder((8, self.boss), (16, self.chief), (40, self.owner), working_hours=True)
        now = datetime(2027, 1, 11, 16, 0)

        def scan():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            with freeze_time(now):
                self.Activity._crm_alerts_due("escalation", now)
            return self.env.cr.sql_log_count - before

        self.make(deadline=date(2027, 1, 8))
        scan()
        small = scan()
        self.Activity.create([{
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.partner.id,
            "activity_type_id": self.todo.id, "date_deadline": date(2027, 1, 1 + i % 28),
            "user_id": self.assignee.id,
        } for i in range(200)])
        self.assertEqual(scan(), small)


@tagged("post_install", "-at_install")
class TestEscalationAnswers(EscalationCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, "esc_manager", groups=MANAGER_GROUPS, name="Mia Manager",
                                    email="mia@example.com", tz="Europe/Brussels")
        # a salesman who sees his own leads only: may not write the activity
        cls.attacker = new_test_user(cls.env, "esc_attacker", groups=LEAD_GROUPS, name="Mallory",
                                     email="mallory@example.com", tz="UTC")
        cls.lead = cls.env["crm.lead"].create({"name": "Big deal", "user_id": cls.assignee.id})

    def make_lead_activity(self):
        return self.make(res_model_id=self.env["ir.model"]._get_id("crm.lead"), res_id=self.lead.id)

    def test_acknowledge_stops_the_ladder(self):
        self.ladder((24, self.manager | self.attacker), (48, self.chief))
        activity = self.make_lead_activity()
        self.run_cron("2027-01-06 00:00:00")
        mine = self.late_notification(self.manager, activity)
        self.assertEqual(len(mine), 1)
        mine.with_user(self.manager).action_acknowledge()
        self.assertEqual((mine.escalation_answer, mine.is_read), ("acknowledged", True))
        told = self.notifications(self.assignee, "activity_acknowledged")
        self.assertEqual(len(told), 1)
        self.assertEqual(told.title, "Mia Manager acknowledged the escalation of Call back")
        self.assertEqual(told.author_id, self.manager)
        self.assertEqual((told.res_model, told.res_id), ("crm.lead", self.lead.id))
        self.run_cron("2027-01-08 00:00:00")
        self.assertFalse(self.escalations(activity, self.chief), "no level after an acknowledgement")
        # again: nothing more
        mine.with_user(self.manager).action_acknowledge()
        self.assertEqual(len(self.notifications(self.assignee, "activity_acknowledged")), 1)

    def test_acknowledge_only_own_escalations(self):
        """Somebody else's escalation cannot be acknowledged: not by another
        recipient (record rules), not by an administrator who reads it."""
        self.ladder((24, self.manager | self.attacker), (48, self.chief))
        activity = self.make_lead_activity()
        self.run_cron("2027-01-06 00:00:00")
        theirs = self.late_notification(self.manager, activity)
        with self.assertRaises(AccessError):
            theirs.with_user(self.attacker).action_acknowledge()
        with self.assertRaises(AccessError):
            theirs.with_user(self.attacker).action_take_over()
        admin = new_test_user(self.env, "esc_admin", groups="base.group_user,base.group_system")
        with self.assertRaisesRegex(AccessError, "sent to someone else"):
            theirs.with_user(admin).action_acknowledge()
        self.assertFalse(theirs.escalation_answer)
        self.run_cron("2027-01-08 00:00:00")
        self.assertTrue(self.escalations(activity, self.chief), "the ladder goes on")

    def test_take_over(self):
        """Mia takes the activity over: assigned to her (a user in another
        timezone: the deadline moves, nothing re-arms), Mallory's escalation
        resolved, Asha told, no further level."""
        self.ladder((24, self.manager | self.attacker), (48, self.chief))
        activity = self.make_lead_activity()
        self.run_cron("2027-01-06 00:00:00")
        mine = self.late_notification(self.manager, activity)
        theirs = self.late_notification(self.attacker, activity)
        with freeze_time("2027-01-06 09:00:00"):
            mine.with_user(self.manager).action_take_over()
        self.env.invalidate_all()
        self.assertEqual(activity.user_id, self.manager)
        self.assertEqual((mine.escalation_answer, mine.is_read, mine.is_resolved), ("taken_over", True, False))
        self.assertTrue(theirs.is_resolved)
        told = self.notifications(self.assignee, "activity_taken_over")
        self.assertEqual(told.title, "Mia Manager took over Call back")
        deliveries = self.deliveries(activity)
        for at in ("2027-01-06 09:15:00", "2027-01-08 00:00:00", "2027-01-09 00:00:00"):
            self.run_cron(at)
        self.assertEqual(self.deliveries(activity), deliveries)

    def test_take_over_refused_without_write_access(self):
        """Mallory (his own leads only) may not write the activity: he
        cannot take it over from his own escalation, nothing changes."""
        self.ladder((24, self.manager | self.attacker))
        activity = self.make_lead_activity()
        self.run_cron("2027-01-06 00:00:00")
        his = self.late_notification(self.attacker, activity)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            his.with_user(self.attacker).action_take_over()
        self.env.invalidate_all()
        self.assertEqual(activity.user_id, self.assignee)
        self.assertFalse(his.escalation_answer)
        self.assertFalse(self.late_notification(self.manager, activity).is_resolved)

    def test_answers_refused_on_other_notifications(self):
        self.ladder((24, self.manager))
        activity = self.make_lead_activity()
        self.run_cron("2027-01-04 00:00:00")  # the reminder
        reminder = self.notifications(self.assignee, "activity_reminder")
        with self.assertRaisesRegex(Exception, "not an escalation"):
            reminder.with_user(self.assignee).action_acknowledge()
        self.run_cron("2027-01-06 00:00:00")
        mine = self.late_notification(self.manager, activity)
        activity.action_feedback("Done")
        with self.assertRaisesRegex(Exception, "already done or deleted"):
            mine.with_user(self.manager).action_take_over()


@tagged("post_install", "-at_install")
class TestEscalationSmtp(AlertSmtpMixin, EscalationCase):
    """The ladder's e-mails through Odoo's mail queue to a real SMTP server."""

    def test_levels_by_email_exactly_once(self):
        """Two levels in working hours, the cron and the queue each run
        twice: each recipient receives each level once, the e-mail linking
        to their own escalation (acknowledge, take over)."""
        self.company.crm_activity_escalation_level_ids.unlink()
        self.ladder((8, self.boss), (16, self.chief), working_hours=True)
        self.assignee.tz = "Europe/Brussels"
        activity = self.make(deadline=date(2027, 1, 8))
        for at in ("2027-01-11 16:00:00", "2027-01-11 16:00:30", "2027-01-12 16:00:00", "2027-01-12 16:15:00"):
            self.run_cron(at)
            self.process_queue()
        self.process_queue()
        boss_mails, chief_mails = self.received_by(self.boss), self.received_by(self.chief)
        self.assertEqual((len(boss_mails), len(chief_mails)), (1, 1))
        self.assertEqual(boss_mails[0].message["Subject"], "Late activity: Call back (Asha Assignee)")
        self.assertEqual(chief_mails[0].message["Subject"], "Late activity, level 2: Call back (Asha Assignee)")
        for user, received in ((self.boss, boss_mails[0]), (self.chief, chief_mails[0])):
            notification = self.late_notification(user, activity)
            body = received.message.get_body(("html",)).get_content()
            self.assertIn("/odoo/action-crm_notifications.crm_notification_action_my/%s" % notification.id, body)
            self.assertIn("Acknowledge or take over", body)
        self.assertEqual(set(self.deliveries(activity, "email").mapped("state")), {"sent"})
