# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import Command, fields
from odoo.tests import Form, tagged

from .common import CrmNotificationCase


@tagged("post_install", "-at_install")
class TestDefaultRules(CrmNotificationCase):
    """Each default rule notifies the user another user assigns, once."""

    def test_activity_assigned(self):
        """An activity planned for B by A notifies B, and leads to the document."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Chairs for Azure"})
        lead.with_user(self.user_a).activity_schedule(
            "mail.mail_activity_data_call", user_id=self.user_b.id, summary="Call about chairs"
        )
        self.flush_notifications()
        notification = self.notifications_of(self.user_b)
        self.assertEqual(len(notification), 1)
        self.assertEqual(notification.event, "assigned")
        self.assertEqual((notification.res_model, notification.res_id), ("crm.lead", lead.id))
        self.assertEqual(notification.title, "New activity for you: Chairs for Azure")
        self.assertIn("Call about chairs", notification.body)
        self.assertEqual(notification.rule_id, self.env.ref("crm_notifications.rule_activity_assigned"))
        self.assertEqual(notification.author_id, self.user_a)

    def test_activity_self_assigned(self):
        """Planning an activity for oneself notifies nobody."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Own lead"})
        lead.with_user(self.user_a).activity_schedule("mail.mail_activity_data_call", user_id=self.user_a.id)
        self.flush_notifications()
        self.assertFalse(self.Notification.search([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)]))

    def test_activity_reassigned(self):
        """Moving an activity from B to C notifies C only."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Moving lead"})
        activity = lead.with_user(self.user_a).activity_schedule(
            "mail.mail_activity_data_call", user_id=self.user_b.id
        )
        activity.with_user(self.user_a).write({"user_id": self.user_c.id})
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 1)
        self.assertEqual(len(self.notifications_of(self.user_c)), 1)

    def test_lead_assigned(self):
        """A lead created for B, then given to C: each is notified once."""
        Lead = self.env["crm.lead"].with_user(self.user_a)
        lead = Lead.create({"name": "Ten desks", "user_id": self.user_b.id})
        self.flush_notifications()
        notification = self.notifications_of(self.user_b)
        self.assertEqual(len(notification), 1)
        self.assertEqual(notification.title, "Assigned to you: Ten desks")
        self.assertEqual(notification.res_name, "Ten desks")
        self.assertEqual(notification.author_name, "Alice Author")
        self.assertFalse(notification.is_read)

        lead.write({"user_id": self.user_c.id})
        lead.write({"name": "Ten desks (updated)"})  # not an assignment
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 1)
        self.assertEqual(len(self.notifications_of(self.user_c)), 1)

    def test_lead_assigned_form(self):
        """Assigning from the form view (onchanges included) notifies once."""
        with Form(self.env["crm.lead"].with_user(self.user_a)) as form:
            form.name = "Form lead"
            form.user_id = self.user_b
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 1)

    def test_lead_self_assigned(self):
        """A lead created by A for A (the default salesperson) notifies nobody."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Mine"})
        self.assertEqual(lead.user_id, self.user_a)
        self.flush_notifications()
        self.assertFalse(self.Notification.search([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)]))

    def test_lead_assigned_by_system(self):
        """The system (superuser: crons, automated actions) assigning notifies, as 'System'."""
        lead = self.env["crm.lead"].sudo().create({"name": "Auto-assigned", "user_id": self.user_b.id})
        # sudo keeps the test's uid: run as the superuser itself, like a cron
        self.env["crm.lead"].with_user(self.env.ref("base.user_root")).browse(lead.id).user_id = self.user_c
        self.flush_notifications()
        notification = self.notifications_of(self.user_c)
        self.assertEqual(len(notification), 1)
        self.assertFalse(notification.author_id)
        self.assertEqual(notification.author_name, "System")

    def test_archived_and_portal_users(self):
        """Archived and portal users are never notified."""
        self.user_c.active = False
        Lead = self.env["crm.lead"].with_user(self.user_a)
        Lead.create([
            {"name": "For archived", "user_id": self.user_c.id},
            {"name": "For portal", "user_id": self.user_portal.id},
        ])
        self.flush_notifications()
        self.assertFalse(self.notifications_of(self.user_c))
        self.assertFalse(self.notifications_of(self.user_portal))

    def test_project_assigned(self):
        project = self.env["project.project"].with_user(self.user_a).create({"name": "Rollout"})
        self.assertEqual(project.user_id, self.user_a)  # default manager: self, no notification
        project.user_id = self.user_b
        self.flush_notifications()
        notification = self.notifications_of(self.user_b)
        self.assertEqual(notification.title, "You now manage the project Rollout")
        self.assertEqual(len(self.Notification.search([("res_model", "=", "project.project"),
                                                       ("res_id", "=", project.id)])), 1)

    def test_task_assigned(self):
        """Task assignees (many2many) are notified when added, not when kept."""
        project = self.env["project.project"].with_user(self.user_a).create({"name": "Tasks"})
        task = self.env["project.task"].with_user(self.user_a).create({
            "name": "Write specs", "project_id": project.id,
            "user_ids": [Command.set((self.user_a | self.user_b).ids)],
        })
        task.write({"user_ids": [Command.link(self.user_c.id)]})
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 1)
        self.assertEqual(len(self.notifications_of(self.user_c)), 1)
        self.assertFalse(self.notifications_of(self.user_a))
        self.assertEqual(self.notifications_of(self.user_c).title, "Task assigned to you: Write specs")

    def test_company_and_contact_salesperson(self):
        """Companies and contacts each have their rule (filtered on is_company)."""
        Partner = self.env["res.partner"].with_user(self.user_a)
        company = Partner.create({"name": "Lumen Ltd", "is_company": True, "user_id": self.user_b.id})
        contact = Partner.create({"name": "Ana Lopes", "user_id": self.user_b.id})
        self.flush_notifications()
        notifications = self.notifications_of(self.user_b)
        self.assertEqual(len(notifications), 2)
        by_partner = {n.res_id: n for n in notifications}
        self.assertEqual(by_partner[company.id].rule_id, self.env.ref("crm_notifications.rule_company_salesperson"))
        self.assertEqual(by_partner[company.id].title, "You are the salesperson of the company Lumen Ltd")
        self.assertEqual(by_partner[contact.id].rule_id, self.env.ref("crm_notifications.rule_contact_salesperson"))

    def test_campaign_assigned(self):
        campaign = self.env["utm.campaign"].create({"title": "Spring offers", "user_id": self.user_a.id})
        campaign.with_user(self.user_a).sudo().user_id = self.user_b
        self.flush_notifications()
        self.assertEqual(self.notifications_of(self.user_b).title, "Campaign assigned to you: Spring offers")

    def test_meeting_attendees_quiet_when_odoo_does_not_invite(self):
        """Under Odoo's no_mail_to_attendees (recurrences it splits, callers
        that invite otherwise) attendees get no in-app invitation either."""
        event = self.env["calendar.event"].with_user(self.user_a).with_context(no_mail_to_attendees=True).create({
            "name": "Quiet review", "start": "2027-01-04 09:00:00", "stop": "2027-01-04 10:00:00",
            "partner_ids": [Command.set((self.user_a | self.user_b).partner_id.ids)],
        })
        event.with_context(no_mail_to_attendees=True).write({"partner_ids": [Command.link(self.user_c.partner_id.id)]})
        self.flush_notifications()
        self.assertFalse(self.Notification.search([("res_model", "=", "calendar.event"), ("res_id", "=", event.id)]))

    def test_meeting_attendees(self):
        """Meeting attendees who are users are notified, the organizer is not."""
        partner_only = self.env["res.partner"].create({"name": "External attendee"})
        now = fields.Datetime.now()
        event = self.env["calendar.event"].with_user(self.user_a).create({
            "name": "Pipeline review", "start": now, "stop": now,
            "partner_ids": [Command.set((self.user_a.partner_id | self.user_b.partner_id | partner_only).ids)],
        })
        self.flush_notifications()
        self.assertEqual(self.notifications_of(self.user_b).title, "You are invited to Pipeline review")
        self.assertFalse(self.notifications_of(self.user_a))
        event.write({"partner_ids": [Command.link(self.user_c.partner_id.id)]})
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 1)
        self.assertEqual(len(self.notifications_of(self.user_c)), 1)

    def test_message_on_lead(self):
        """A message posted on a lead notifies its salesperson, not its author."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({
            "name": "Quote", "user_id": self.user_b.id, "team_id": self.team.id,
        })
        self.flush_notifications()
        self.notifications_of(self.user_b).unlink()
        lead.with_user(self.user_a).message_post(body=Markup("<p>Customer <b>called</b></p>"), message_type="comment",
                                                 subtype_xmlid="mail.mt_comment")
        self.flush_notifications()
        notification = self.notifications_of(self.user_b)
        self.assertEqual(notification.event, "message")
        self.assertEqual(notification.title, "New message on Quote")
        self.assertEqual(notification.body, "Customer *called*")
        self.assertTrue(notification.message_id)
        self.assertFalse(self.notifications_of(self.user_a))
        self.assertFalse(self.notifications_of(self.user_c))

    def test_note_to_team_setting(self):
        """Internal notes reach the whole team only when the setting is on."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({
            "name": "Team lead", "user_id": self.user_b.id, "team_id": self.team.id,
        })
        self.flush_notifications()
        self.Notification.search([]).unlink()
        lead.with_user(self.user_a).message_post(body="Off: salesperson only", message_type="comment",
                                                 subtype_xmlid="mail.mt_note")
        self.flush_notifications()
        self.assertEqual(self.notifications_of(self.user_b).event, "note")
        self.assertFalse(self.notifications_of(self.user_c))

        self.env["res.config.settings"].create({"crm_notification_note_to_team": True}).execute()
        lead.with_user(self.user_a).message_post(body="On: the team", message_type="comment",
                                                 subtype_xmlid="mail.mt_note")
        # a public message is not an internal note: the team is not added
        lead.with_user(self.user_a).message_post(body="Public", message_type="comment",
                                                 subtype_xmlid="mail.mt_comment")
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 3)
        self.assertEqual(self.notifications_of(self.user_c).mapped("body"), ["On: the team"])

    def test_message_on_task(self):
        project = self.env["project.project"].with_user(self.user_a).create({"name": "Msg"})
        task = self.env["project.task"].with_user(self.user_a).create({
            "name": "Answer", "project_id": project.id, "user_ids": [Command.set(self.user_b.ids)],
        })
        task.with_user(self.user_a).message_post(body="Please check", message_type="comment",
                                                 subtype_xmlid="mail.mt_comment")
        self.flush_notifications()
        self.assertEqual(sorted(self.notifications_of(self.user_b).mapped("event")), ["assigned", "message"])

    def test_tracking_message_does_not_notify(self):
        """Only comments and notes posted by someone notify; Odoo's own
        tracking and notification messages do not."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Tracked", "user_id": self.user_b.id})
        lead.with_user(self.user_a).message_post(body="Automatic", message_type="notification")
        self.flush_notifications()
        self.assertEqual(self.notifications_of(self.user_b).mapped("event"), ["assigned"])


@tagged("post_install", "-at_install")
class TestRuleBehaviour(CrmNotificationCase):
    """Rules as admins edit them: one notification per user per event,
    inactive rules, domains, Odoo's own e-mail kept or not."""

    def test_one_notification_when_two_rules_match(self):
        """Two rules on the same lead field: B gets one notification, from the first rule."""
        first = self.env.ref("crm_notifications.rule_lead_assigned")
        second = first.copy({"name": "Second lead rule", "sequence": first.sequence + 5,
                             "message_template": "Second: {{ object.name }}"})
        self.env["crm.lead"].with_user(self.user_a).create({"name": "Both rules", "user_id": self.user_b.id})
        self.flush_notifications()
        notification = self.notifications_of(self.user_b)
        self.assertEqual(len(notification), 1)
        self.assertEqual(notification.rule_id, first)
        # the other order: the second rule now comes first
        second.sequence = first.sequence - 5
        self.env["crm.lead"].with_user(self.user_a).create({"name": "Swapped", "user_id": self.user_c.id})
        self.flush_notifications()
        self.assertEqual(self.notifications_of(self.user_c).title, "Second: Swapped")

    def test_one_notification_per_event_in_one_transaction(self):
        """Assigned, unassigned and reassigned within one transaction (as
        Odoo's own create does when it writes the assignment twice): one
        notification per user."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Ping-pong", "user_id": self.user_b.id})
        lead.user_id = self.user_c
        lead.user_id = self.user_b
        lead.write({"user_id": self.user_b.id})
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 1)
        self.assertEqual(len(self.notifications_of(self.user_c)), 1)

    def test_one_notification_per_user_through_several_roles(self):
        """B is salesperson and team member; the note reaches B once."""
        self.env["ir.config_parameter"].sudo().set_param("crm_notifications.note_to_team", True)
        lead = self.env["crm.lead"].with_user(self.user_a).create({
            "name": "Roles", "user_id": self.user_b.id, "team_id": self.team.id,
        })
        lead.with_user(self.user_a).message_post(body="Note", message_type="comment", subtype_xmlid="mail.mt_note")
        self.flush_notifications()
        self.assertEqual(sorted(self.notifications_of(self.user_b).mapped("event")), ["assigned", "note"])
        self.assertEqual(self.notifications_of(self.user_c).mapped("event"), ["note"])

    def test_inactive_rule(self):
        self.env.ref("crm_notifications.rule_lead_assigned").active = False
        self.env["crm.lead"].with_user(self.user_a).create({"name": "Silent", "user_id": self.user_b.id})
        self.flush_notifications()
        self.assertFalse(self.notifications_of(self.user_b))

    def test_inactive_rule_cached_from_active_test_false(self):
        """The rules cache is shared: a first caller with active_test=False
        must not make archived rules fire for everyone."""
        self.env.ref("crm_notifications.rule_lead_assigned").active = False  # clears the cache
        self.env["crm.lead"].with_user(self.user_a).with_context(active_test=False).create(
            {"name": "Archived context", "user_id": self.user_c.id})
        self.env["crm.lead"].with_user(self.user_a).create({"name": "Silent", "user_id": self.user_b.id})
        self.flush_notifications()
        self.assertFalse(self.notifications_of(self.user_b) | self.notifications_of(self.user_c))

    def test_custom_rule_and_domain(self):
        """An admin's rule on another field with a domain: only matching records notify."""
        rule = self.env["crm.notification.rule"].create({
            "name": "Won opportunities",
            "model_id": self.env["ir.model"]._get_id("crm.lead"),
            "field_id": self.env["ir.model.fields"]._get("crm.lead", "user_id").id,
            "trigger": "create",
            "filter_domain": "[('expected_revenue', '>=', 1000)]",
            "message_template": "Big one: {{ object.name }}",
            "sequence": 1,
        })
        Lead = self.env["crm.lead"].with_user(self.user_a)
        Lead.create([
            {"name": "Small", "user_id": self.user_b.id, "expected_revenue": 10},
            {"name": "Big", "user_id": self.user_b.id, "expected_revenue": 5000},
        ])
        self.flush_notifications()
        notifications = self.notifications_of(self.user_b)
        self.assertEqual(sorted(notifications.mapped("title")), ["Assigned to you: Small", "Big one: Big"])
        self.assertEqual(notifications.filtered(lambda n: n.title.startswith("Big")).event, "created")
        self.assertEqual(rule.notification_count, 1)

    def test_rule_constraints(self):
        """A user field of another model or a team path not leading to users is refused."""
        from odoo.exceptions import ValidationError
        Rule = self.env["crm.notification.rule"]
        values = {
            "name": "Bad", "model_id": self.env["ir.model"]._get_id("crm.lead"),
            "message_template": "x", "trigger": "message",
        }
        with self.assertRaisesRegex(ValidationError, "User Field"):
            Rule.create(dict(values, field_id=self.env["ir.model.fields"]._get("project.task", "user_ids").id))
        with self.assertRaisesRegex(ValidationError, "Team Members"):
            Rule.create(dict(values, field_id=self.env["ir.model.fields"]._get("crm.lead", "user_id").id,
                             team_users_path="partner_id"))
        with self.assertRaisesRegex(ValidationError, "Apply On"):
            Rule.create(dict(values, field_id=self.env["ir.model.fields"]._get("crm.lead", "user_id").id,
                             filter_domain="[('no_such_field', '=', 1)]"))

    def _assignment_mails(self, partner):
        return self.env["mail.message"].sudo().search_count([
            ("message_type", "=", "user_notification"), ("partner_ids", "in", partner.ids),
        ])

    def test_keep_odoo_email(self):
        """Per rule, Odoo's own 'You have been assigned' message goes or not."""
        lead = self.env["crm.lead"].with_user(self.user_a).create({"name": "Mail kept"})
        lead.with_user(self.user_a).activity_schedule("mail.mail_activity_data_call", user_id=self.user_b.id)
        self.assertEqual(self._assignment_mails(self.user_b.partner_id), 1)

        self.env.ref("crm_notifications.rule_activity_assigned").keep_odoo_email = False
        lead.with_user(self.user_a).activity_schedule("mail.mail_activity_data_todo", user_id=self.user_b.id)
        self.assertEqual(self._assignment_mails(self.user_b.partner_id), 1)
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 2)

    def test_keep_odoo_email_lead_and_task(self):
        """Same for the tracked salesperson of a lead and for task assignees."""
        self.env.ref("crm_notifications.rule_lead_assigned").keep_odoo_email = False
        self.env.ref("crm_notifications.rule_task_assigned").keep_odoo_email = False
        self.env["crm.lead"].with_user(self.user_a).create({"name": "No mail", "user_id": self.user_b.id})
        project = self.env["project.project"].with_user(self.user_a).create({"name": "P"})
        self.env["project.task"].with_user(self.user_a).create({
            "name": "No mail task", "project_id": project.id, "user_ids": [Command.set(self.user_b.ids)],
        })
        self.assertEqual(self._assignment_mails(self.user_b.partner_id), 0)
        self.flush_notifications()
        self.assertEqual(len(self.notifications_of(self.user_b)), 2)

        self.env.ref("crm_notifications.rule_lead_assigned").keep_odoo_email = True
        self.env["crm.lead"].with_user(self.user_a).create({"name": "Mail again", "user_id": self.user_b.id})
        self.assertEqual(self._assignment_mails(self.user_b.partner_id), 1)
