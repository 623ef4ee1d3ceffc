# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Answering an escalation: its recipient acknowledges it (no further level
of the ladder for that activity, the assignee is told who answered) or takes
the activity over (assigned to them, the other escalations of it resolved).

Both act on the current user's own escalations only (``activity_late``
notifications whose cause is an activity), whoever else may read them, and
the reassignment is written as the user: only who may write the activity
takes it over.
"""

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

ANSWER_EVENTS = {"acknowledged": "activity_acknowledged", "taken_over": "activity_taken_over"}


class CrmNotification(models.Model):
    # one file per topic, as mail splits mail.thread (the digest: crm_notification_digest.py)
    _inherit = "crm.notification"  # pylint: disable=consider-merging-classes-inherited

    event = fields.Selection(
        selection_add=[
            ("activity_acknowledged", "Escalation acknowledged"),
            ("activity_taken_over", "Activity taken over"),
        ],
        ondelete={"activity_acknowledged": "cascade", "activity_taken_over": "cascade"},
    )
    escalation_answer = fields.Selection(
        [("acknowledged", "Acknowledged"), ("taken_over", "Taken over")], string="Answer", readonly=True,
        copy=False, help="How you answered this escalation.",
    )

    def _compute_reason(self):
        res = super()._compute_reason()
        for notification in self:
            if notification.event == "activity_acknowledged":
                notification.reason = _("The late activity is assigned to you")
            elif notification.event == "activity_taken_over":
                notification.reason = _("The late activity was assigned to you")
        return res

    def _systray_values(self):
        values = super()._systray_values()
        # the bell offers the answers as the form does: acknowledge while
        # unanswered, take over until taken over
        waiting = (self.event == "activity_late" and self.source_model == "mail.activity"
                   and not self.is_resolved)
        values["can_acknowledge"] = waiting and not self.escalation_answer
        values["can_take_over"] = waiting and self.escalation_answer != "taken_over"
        return values

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_acknowledge(self):
        """Acknowledge these escalations: no further level of the ladder for
        their activities (until their deadline moves), and their assignees
        are told who acknowledged."""
        activities = self._crm_escalation_activities()
        todo = self.filtered(lambda notification: not notification.escalation_answer)
        activities._crm_escalation_stop()
        todo.sudo().write({"escalation_answer": "acknowledged", "is_read": True})
        todo._crm_escalation_tell_assignees("acknowledged")
        return True

    def action_take_over(self):
        """Assign the activity of this escalation to the current user, when
        they may write it (checked as them), and resolve the other
        escalations of it."""
        if len(self) != 1:
            raise UserError(_("Escalation: take over one activity at a time."))
        activity = self._crm_escalation_activities()
        # as the user, never as superuser: the ids come from the client
        activity = activity.with_env(self.env)
        activity.check_access("write")
        previous = activity.sudo().user_id
        if previous != self.env.user:
            activity.write({"user_id": self.env.uid})
        activity.sudo()._crm_escalation_stop(reminder=True)
        Notification = self.sudo()
        others = Notification.search([
            ("source_model", "=", "mail.activity"), ("source_id", "=", activity.id),
            ("event", "=", "activity_late"), ("id", "!=", self.id), ("is_resolved", "=", False),
        ])
        others.write({"is_resolved": True, "resolved_date": fields.Datetime.now(), "snoozed_until": False})
        Notification._schedule_unread_count(others.user_id)
        self.sudo().write({"escalation_answer": "taken_over", "is_read": True})
        self._crm_escalation_tell_assignees("taken_over", assignees={self.id: previous})
        return True

    # ------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------

    def _crm_escalation_activities(self):
        """The open activities these escalations are about, as superuser,
        once checked that each is the current user's own escalation."""
        if not self:
            raise UserError(_("Escalation: choose the escalation to answer."))
        # record rules first: a notification the user may not read at all
        self.check_access("read")
        for notification in self:
            if notification.event != "activity_late" or notification.source_model != "mail.activity":
                raise UserError(_("%(title)s: not an escalation of a late activity.", title=notification.title))
            # administrators read everybody's notifications: answering is for
            # whom the escalation was sent to
            if notification.user_id != self.env.user:
                raise AccessError(_("%(title)s: this escalation was sent to someone else.",
                                    title=notification.title))
        activities = self.env["mail.activity"].sudo().browse(self.mapped("source_id")).exists()
        if len(activities) != len(set(self.mapped("source_id"))) or not all(activities.mapped("active")):
            raise UserError(_("Escalation: the activity is already done or deleted."))
        return activities

    def _crm_escalation_tell_assignees(self, answer, assignees=None):
        """An in-app notification to each activity's assignee (``assignees``:
        notification id -> the user to tell instead) saying who answered; the
        one who answered is not told of their own answer."""
        assignees = assignees or {}
        rows, titles = [], []
        notifications = self.sudo()
        # one browse: the activities are read together
        activities = self.env["mail.activity"].sudo().browse(notifications.mapped("source_id"))
        activity_of = dict(zip(notifications.ids, activities, strict=True))
        for notification in notifications:
            activity = activity_of[notification.id]
            user = assignees.get(notification.id) or activity.user_id
            if not user or user == self.env.user or not user.active or user.share:
                continue
            env = self.with_context(lang=user.lang or "en_US").env
            summary = activity.summary or activity.activity_type_id.with_env(env).name or env._("Activity")
            values = {"user": self.env.user.name, "summary": summary, "document": activity.res_name or ""}
            if answer == "acknowledged":
                titles.append(env._("%(user)s acknowledged the escalation of %(summary)s", **values))
                body = env._("%(user)s acknowledged the escalation of your late activity %(summary)s on "
                             "%(document)s: no further escalation will be sent for it.", **values)
            else:
                titles.append(env._("%(user)s took over %(summary)s", **values))
                body = env._("%(user)s took over your late activity %(summary)s on %(document)s: it is now "
                             "assigned to them.", **values)
            rows.append({
                "user_id": user.id, "res_model": activity.res_model, "res_id": activity.res_id,
                "res_name": activity.res_name, "event": ANSWER_EVENTS[answer], "rule_id": None,
                "message_id": None, "author_id": self.env.uid, "body": body,
                # resolved with the other news of the activity once it is done
                "source": ("mail.activity", activity.id),
            })
        if rows:
            Notification = self.env["crm.notification"].sudo()
            Notification._insert_rows(rows, titles)
            Notification._schedule_unread_count(self.env["res.users"].browse({row["user_id"] for row in rows}))
