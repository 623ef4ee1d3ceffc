# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class ProjectTask(models.Model):
    _inherit = "project.task"

    @api.model
    def _task_message_auto_subscribe_notify(self, users_per_task):
        # Tasks send their own assignment e-mail for user_ids (not the generic
        # mail.thread one): drop it where a rule replaces it with in-app.
        tasks = self.browse([task.id for task in users_per_task])
        silenced = tasks._crm_notification_silenced("user_ids")
        return super()._task_message_auto_subscribe_notify(
            {task: users for task, users in users_per_task.items() if task not in silenced}
        )
