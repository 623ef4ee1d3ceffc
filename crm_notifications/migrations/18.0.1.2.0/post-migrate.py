# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.2.0: the single escalation becomes the first level of each
company's escalation ladder.

Its hours and recipients were the company's ``crm_activity_late_hours`` and
the ``res_company_crm_activity_escalation_user_rel`` table; both are now the
first level (the company fields compute from it), and Odoo leaves the old
column and table in place, which is where they are read from. The assignee's
manager was always told: the level says so too. Activities already escalated
for their deadline stay so (``crm_escalation_done_for``): a level added later
does not reach them.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def _column_exists(cr, table, column):
    cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
               [table, column])
    return bool(cr.fetchone())


def _table_exists(cr, table):
    cr.execute("SELECT 1 FROM information_schema.tables WHERE table_name = %s", [table])
    return bool(cr.fetchone())


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    hours = {}
    if _column_exists(cr, "res_company", "crm_activity_late_hours"):
        cr.execute("SELECT id, crm_activity_late_hours FROM res_company")
        hours = dict(cr.fetchall())
    users = {}
    if _table_exists(cr, "res_company_crm_activity_escalation_user_rel"):
        cr.execute("SELECT company_id, array_agg(user_id ORDER BY user_id) "
                   "FROM res_company_crm_activity_escalation_user_rel GROUP BY company_id")
        users = dict(cr.fetchall())
    companies = env["res.company"].with_context(active_test=False).search([])
    values = [
        {
            "company_id": company.id,
            "hours": hours.get(company.id) or 24,
            "user_ids": [(6, 0, env["res.users"].browse(users.get(company.id, [])).exists().ids)],
            "notify_manager": True,
        }
        for company in companies if not company.crm_activity_escalation_level_ids
    ]
    env["crm.activity.escalation.level"].create(values)
    _logger.info("crm_notifications: the escalation of %s companies became their first level", len(values))
