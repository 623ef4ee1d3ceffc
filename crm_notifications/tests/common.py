# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import re

from odoo.tests import TransactionCase, new_test_user


def normalize_sql(text):
    """SQL conditions compared as PostgreSQL prints them back: without quotes,
    table aliases, parentheses, blanks and case."""
    text = re.sub(r'"?\b[a-z_]+"?\.(?="?[a-z_])', "", text.lower())
    return re.sub(r'[\s"()]', "", text)


SALES_GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads,project.group_project_user"


class CrmNotificationCase(TransactionCase):
    """Users A (the author), B and C (recipients), a portal user, a sales
    team with B and C; no demo data needed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
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
