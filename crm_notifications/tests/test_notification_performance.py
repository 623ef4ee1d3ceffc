# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo.tests import new_test_user, tagged

from .common import SALES_GROUPS, CrmNotificationCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestNotificationQueries(CrmNotificationCase):
    """Generation costs a fixed number of queries per transaction, whatever
    the number of records (measured against the same creation with the rules
    off; bench/ prints the timings)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recipients = cls.env["res.users"].concat(*(
            new_test_user(cls.env, f"notif_perf_{i}", groups=SALES_GROUPS) for i in range(10)
        ))
        cls.rules = cls.env["crm.notification.rule"].search([])

    def _queries_to_create_leads(self, count):
        # tracking off: Odoo's own per-lead chatter work is not what is measured
        Lead = self.env["crm.lead"].with_user(self.user_a).with_context(tracking_disable=True)
        values = [
            {"name": f"Perf {count} {i}", "user_id": self.recipients[i % 10].id, "type": "opportunity"}
            for i in range(count)
        ]
        self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        Lead.create(values)
        self.env.flush_all()
        self.env.cr.precommit.run()
        return self.env.cr.sql_log_count - start

    def _queries_added_by_generation(self, count):
        self.rules.active = False
        self._queries_to_create_leads(count)  # warm the caches the rule change cleared
        off = self._queries_to_create_leads(count)
        self.rules.active = True
        self._queries_to_create_leads(count)
        on = self._queries_to_create_leads(count)
        return on - off

    def test_generation_queries_do_not_grow(self):
        """1,000 leads for 10 users cost the same generation queries as 10 leads."""
        before = self.Notification.search_count([])
        added_10 = self._queries_added_by_generation(10)
        added_1000 = self._queries_added_by_generation(1000)
        _logger.info("queries added by generation: %d for 10 leads, %d for 1,000 leads", added_10, added_1000)
        # 2 x 10 + 2 x 1000 leads were created with the rules on
        self.assertEqual(self.Notification.search_count([]) - before, 2020)
        self.assertLessEqual(added_10, 12, "generation should cost a handful of queries")
        self.assertLessEqual(
            added_1000 - added_10, 2,
            f"generation added {added_10} queries for 10 leads but {added_1000} for 1,000",
        )

    def test_preferences_and_caps_cost_no_query_per_record(self):
        """With preferences (off, digest), a daily cap and reasons in place,
        generation still costs a fixed number of queries: at most one more
        than without them (the cap's count), none per record."""
        Preference = self.env["crm.notification.preference"]
        rule = self.env.ref("crm_notifications.rule_lead_assigned")
        plain_10 = self._queries_added_by_generation(10)
        for i, user in enumerate(self.recipients):
            Preference.create({"user_id": user.id, "rule_id": rule.id, "mode": ("off", "digest", "inapp")[i % 3]})
        rule.cap_per_day = 50
        added_10 = self._queries_added_by_generation(10)
        added_1000 = self._queries_added_by_generation(1000)
        _logger.info("queries added by generation with preferences and caps: %d for 10 leads (%d without), "
                     "%d for 1,000 leads", added_10, plain_10, added_1000)
        self.assertLessEqual(added_10, plain_10 + 1)
        self.assertLessEqual(added_1000 - added_10, 2)
        summaries = self.Notification.search([("event", "=", "overflow")])
        self.assertEqual(len(summaries), 6, "the users not off got a summary past their cap")
