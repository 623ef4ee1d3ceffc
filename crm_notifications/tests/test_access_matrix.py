# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The README's access policy, checked cell by cell through the RPC layer.

README.md ("## Access policy") holds the policy as a table between
``<!-- access-matrix:start -->`` and ``<!-- access-matrix:end -->``. This test
reads that table when it runs (a missing README or table fails, never skips),
logs in as one user per role and calls ``/web/dataset/call_kw`` as the web
client does, on fixture records of every kind the table speaks of: the user's
own, another user's, their area's, another area's, another company's. Each
(model, role, operation, record kind) is a subtest, so a failure names the
cell. The expected outcome of a cell is derived from the records' data (who
they are addressed to, who sends them, which area their customer is in), not
from their labels, and every refusal must be an ``AccessError`` that left the
database as it was.
"""

import logging
import os
from contextlib import contextmanager
from datetime import datetime

from markupsafe import Markup

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

_logger = logging.getLogger(__name__)

README_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
MATRIX_START = "<!-- access-matrix:start -->"
MATRIX_END = "<!-- access-matrix:end -->"
HEADER = ["model", "role", "read", "create", "write", "delete", "send"]
OPERATIONS = HEADER[2:]
REFUSED = "—"
# what each column may say (the README explains the words just above the table)
VOCABULARY = {
    "read": {"all", "own", "area", "to me", "own sends", "all sends", "all reminders"},
    "create": {"yes", "area"},
    "write": {"all", "own", "area"},
    "delete": {"all", "own", "area"},
    "send": {"all", "own"},
}
MODELS = (
    "crm.notification",
    "crm.notification.rule",
    "crm.customer.notification",
    "crm.customer.group",
    "crm.customer.reminder",
    "crm.customer.reminder.type",
    "crm.notification.delivery",
)
# the roles of the README, as groups (users of the main company only)
ROLES = {
    "portal": "base.group_portal",
    "employee": "base.group_user",
    "salesman": "base.group_user,sales_team.group_sale_salesman",
    "salesman_all": "base.group_user,sales_team.group_sale_salesman,sales_team.group_sale_salesman_all_leads",
    "sales_manager": "base.group_user,sales_team.group_sale_salesman,sales_team.group_sale_salesman_all_leads,"
    "sales_team.group_sale_manager",
    "supervisor": "base.group_user,crm_notifications.group_reminder_supervisor",
    "reminder_admin": "base.group_user,crm_notifications.group_reminder_admin",
    "admin": "base.group_user,base.group_system",
}
ACCESS_ERROR = "odoo.exceptions.AccessError"
# a harmless field per model for "write" (notifications: the read flag only)
WRITE_VALUES = {
    "crm.notification": ("is_read", True),
    "crm.notification.rule": ("sequence", 977),
    "crm.customer.notification": ("name", "Matrix: rewritten"),
    "crm.customer.group": ("description", "Matrix: rewritten"),
    "crm.customer.reminder": ("description", "Matrix: rewritten"),
    "crm.customer.reminder.type": ("color", 7),
    "crm.notification.delivery": ("reason", "Matrix: rewritten"),
}
# far enough not to be due while the test runs
FUTURE = datetime(datetime.now().year + 5, 1, 6, 9, 0)
OCCURRENCE = datetime(2030, 1, 1, 9, 0)
# loggers that report every refusal (warnings and below are dropped while the
# matrix runs; errors, i.e. unexpected crashes, still show and fail the test)
REFUSAL_LOGGERS = ("odoo.http", "odoo.models", "odoo.addons.base.models.ir_rule",
                   "odoo.addons.base.models.ir_model")


def _split_row(line):
    if not (line.startswith("|") and line.endswith("|")):
        raise AssertionError(f"README access matrix: not a table row: {line!r}")
    return [cell.strip() for cell in line[1:-1].split("|")]


def _parse_cell(operation, cell, where):
    if cell == REFUSED:
        return frozenset()
    tokens = frozenset(token.strip() for token in cell.split(","))
    unknown = tokens - VOCABULARY[operation]
    if not cell or unknown:
        raise AssertionError(
            f"README access matrix, {where}, {operation}: {cell!r} is not in the vocabulary "
            f"({REFUSED!r} or {', '.join(sorted(VOCABULARY[operation]))})"
        )
    return tokens


def read_access_matrix(path=README_PATH):
    """The README's access matrix as ``{(model, role): {operation: tokens}}``,
    an empty set of tokens meaning refused. Raises on anything malformed: the
    test must never pass on a table it could not read."""
    with open(path, encoding="utf-8") as readme:
        text = readme.read()
    start, end = text.find(MATRIX_START), text.find(MATRIX_END)
    if start < 0 or end < start:
        raise AssertionError(f"{path}: no table between {MATRIX_START} and {MATRIX_END}")
    lines = [line.strip() for line in text[start + len(MATRIX_START):end].splitlines() if line.strip()]
    if len(lines) < 3 or _split_row(lines[0]) != HEADER:
        raise AssertionError(f"README access matrix: the header must be | {' | '.join(HEADER)} |")
    matrix = {}
    for line in lines[2:]:
        cells = _split_row(line)
        if len(cells) != len(HEADER):
            raise AssertionError(f"README access matrix: {len(cells)} cells in {line!r}")
        model, roles = cells[0], [role.strip() for role in cells[1].split(",")]
        for role in roles:
            if (model, role) in matrix:
                raise AssertionError(f"README access matrix: {model} / {role} is listed twice")
            matrix[model, role] = {
                operation: _parse_cell(operation, cell, f"{model} / {role}")
                for operation, cell in zip(OPERATIONS, cells[2:], strict=True)
            }
    return matrix


class _DropRefusals(logging.Filter):
    def filter(self, record):
        return record.levelno > logging.WARNING


@tagged("post_install", "-at_install")
class TestAccessMatrix(HttpCase):
    """One user per role of the README; fixtures of every kind for each model."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # read first: a missing or malformed table fails the whole class
        cls.matrix = read_access_matrix()
        cls.env = cls.env(context=dict(
            cls.env.context, no_reset_password=True, tracking_disable=True, mail_create_nolog=True,
            mail_notrack=True,
        ))
        env = cls.env
        cls.company = env.ref("base.main_company")
        cls.company_2 = env["res.company"].create({"name": "Company 2"})

        def user(login, groups):
            return new_test_user(
                env, login=login, password=login, groups=groups, name=f"Matrix {login}", tz="UTC",
                company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
                context=dict(no_reset_password=True),
            )

        cls.users = {role: user(f"matrix_{role}", groups) for role, groups in ROLES.items()}
        # owns, receives and sends the "other" records; in none of the roles
        cls.other_user = user("matrix_other", "base.group_user,sales_team.group_sale_salesman")

        # areas: A supervised by the supervisor, B by nobody
        Team = env["crm.team"]
        cls.area_a = Team.create({
            "name": "Matrix area A", "company_id": cls.company.id,
            "reminder_supervisor_ids": [Command.link(cls.users["supervisor"].id)],
        })
        cls.area_b = Team.create({"name": "Matrix area B", "company_id": cls.company.id})
        Partner = env["res.partner"]
        cls.customer_a = Partner.create({
            "name": "Matrix customer A", "email": "matrix.customer.a@example.com", "crm_area_id": cls.area_a.id,
        })
        cls.customer_b = Partner.create({
            "name": "Matrix customer B", "email": "matrix.customer.b@example.com", "crm_area_id": cls.area_b.id,
        })
        cls.lead = env["crm.lead"].create({"name": "Matrix lead", "user_id": False, "company_id": cls.company.id})

        # fixtures[model] = [(owner role or None, label, record, operations)]:
        # owner role: the record belongs to that role's user ("own" for them);
        # operations: which per-record checks besides read use it
        ops = ("write", "delete", "send")
        fixtures = {model: [] for model in MODELS}

        Notification = env["crm.notification"]

        def notification(recipient, title):
            return Notification.create({
                "user_id": recipient.id, "res_model": "crm.lead", "res_id": cls.lead.id, "title": title,
                "event": "assigned",
            })

        for role, role_user in cls.users.items():
            fixtures["crm.notification"].append((role, "own", notification(role_user, f"Matrix: to {role}"), ops))
        fixtures["crm.notification"].append(
            (None, "another user's", notification(cls.other_user, "Matrix: to another user"), ops))

        for xmlid in ("crm_notifications.rule_lead_assigned", "crm_notifications.rule_task_assigned"):
            fixtures["crm.notification.rule"].append((None, f"default rule {xmlid.split('.')[1]}", env.ref(xmlid), ops))

        CustomerNotification = env["crm.customer.notification"]

        def customer_notification(name, sender, company, scheduled=False):
            # user_id (the sender) is refused to clients: set here as superuser
            vals = {
                "name": name, "body": Markup("<p>Matrix</p>"), "kind": "individual",
                "partner_id": cls.customer_a.id, "company_id": company.id, "user_id": sender.id,
            }
            if scheduled:
                vals.update(timing="scheduled", scheduled_date=FUTURE, state="scheduled", start_date=FUTURE,
                            next_date=FUTURE)
            return CustomerNotification.create(vals)

        cls.own_customer_notifications = {}
        for role, role_user in cls.users.items():
            own = customer_notification(f"Matrix: sent by {role}", role_user, cls.company)
            cls.own_customer_notifications[role] = own
            fixtures["crm.customer.notification"] += [
                (role, "own", own, ops),
                (role, "own scheduled", customer_notification(
                    f"Matrix: scheduled by {role}", role_user, cls.company, scheduled=True), ("deactivate",)),
            ]
        cls.other_customer_notification = customer_notification("Matrix: sent by another", cls.other_user,
                                                                cls.company)
        cls.company_2_customer_notification = customer_notification("Matrix: company 2", cls.other_user,
                                                                    cls.company_2)
        fixtures["crm.customer.notification"] += [
            (None, "another sender's", cls.other_customer_notification, ops),
            (None, "another sender's scheduled", customer_notification(
                "Matrix: scheduled by another", cls.other_user, cls.company, scheduled=True), ("deactivate",)),
            (None, "company 2", cls.company_2_customer_notification, ops),
            (None, "company 2 scheduled", customer_notification(
                "Matrix: company 2 scheduled", cls.other_user, cls.company_2, scheduled=True), ("deactivate",)),
        ]

        Group = env["crm.customer.group"]
        for label, company in (("company 1", cls.company), ("shared (no company)", False),
                               ("company 2", cls.company_2)):
            group = Group.create({
                "name": f"Matrix group: {label}", "company_id": company and company.id,
                "partner_ids": [Command.link(cls.customer_a.id)],
            })
            fixtures["crm.customer.group"].append((None, label, group, ops))
        # with_user().sudo() keeps the uid: create_uid is that user
        for role, role_user in cls.users.items():
            fixtures["crm.customer.group"].append((role, "own", Group.with_user(role_user).sudo().create({
                "name": f"Matrix group of {role}", "company_id": cls.company.id,
            }), ops))

        Reminder = env["crm.customer.reminder"]

        def reminder(name, customer, company):
            return Reminder.create({
                "name": name, "partner_id": customer.id, "activation_date": FUTURE, "tz": "UTC",
                "channel": "inapp", "receivers": "all", "company_id": company.id,
            })

        cls.reminder_area_a = reminder("Matrix reminder: area A", cls.customer_a, cls.company)
        cls.reminder_area_b = reminder("Matrix reminder: area B", cls.customer_b, cls.company)
        # on a customer of area A: only the company keeps it from the supervisor
        # reminders reach the users of their company: company 2 needs its own administrator
        new_test_user(env, "matrix_company_2_admin", groups="base.group_user,crm_notifications.group_reminder_admin",
                      company_id=cls.company_2.id, company_ids=[Command.set(cls.company_2.ids)])
        cls.reminder_company_2 = reminder("Matrix reminder: company 2", cls.customer_a, cls.company_2)
        fixtures["crm.customer.reminder"] += [
            (None, "customer of area A", cls.reminder_area_a, ops),
            (None, "customer of area B", cls.reminder_area_b, ops),
            (None, "company 2, customer of area A", cls.reminder_company_2, ops),
        ]

        Type = env["crm.customer.reminder.type"]
        # with_user().sudo() keeps the uid: create_uid is that user
        for role, role_user in cls.users.items():
            fixtures["crm.customer.reminder.type"].append(
                (role, "own", Type.with_user(role_user).sudo().create({"name": f"Matrix type of {role}"}), ops))
        fixtures["crm.customer.reminder.type"].append(
            (None, "another user's", Type.with_user(cls.other_user).sudo().create({"name": "Matrix type: other"}),
             ops))

        Delivery = env["crm.notification.delivery"]

        def delivery(**values):
            claimed = Delivery._claim([dict({"channel": "inapp", "occurrence_date": OCCURRENCE}, **values)])
            assert len(claimed) == 1, values
            return claimed

        cn_model, reminder_model = "crm.customer.notification", "crm.customer.reminder"
        for role, role_user in cls.users.items():
            fixtures["crm.notification.delivery"] += [
                (role, "to me", delivery(
                    res_model="crm.lead", res_id=cls.lead.id, partner_id=role_user.partner_id.id,
                    user_id=role_user.id, company_id=cls.company.id), ops),
                (role, "own send", delivery(
                    res_model=cn_model, res_id=cls.own_customer_notifications[role].id,
                    partner_id=cls.customer_a.id, channel="email"), ops),
                # addressed to the user, but made for the other company
                (role, "company 2, to me", delivery(
                    res_model="crm.lead", res_id=cls.lead.id, partner_id=role_user.partner_id.id,
                    user_id=role_user.id, company_id=cls.company_2.id, channel="email"), ops),
            ]
        other = {"partner_id": cls.other_user.partner_id.id, "user_id": cls.other_user.id}
        fixtures["crm.notification.delivery"] += [
            (None, "another sender's send", delivery(
                res_model=cn_model, res_id=cls.other_customer_notification.id, partner_id=cls.customer_a.id,
                channel="email"), ops),
            (None, "reminder of area A", delivery(res_model=reminder_model, res_id=cls.reminder_area_a.id, **other),
             ops),
            (None, "reminder of area B", delivery(res_model=reminder_model, res_id=cls.reminder_area_b.id, **other),
             ops),
            (None, "company 2 send", delivery(
                res_model=cn_model, res_id=cls.company_2_customer_notification.id, partner_id=cls.customer_a.id,
                channel="email"), ops),
            (None, "company 2 reminder", delivery(
                res_model=reminder_model, res_id=cls.reminder_company_2.id, **other), ops),
        ]
        cls.fixtures = fixtures
        env.flush_all()

    # ------------------------------------------------------------
    # Expectations
    # ------------------------------------------------------------

    def _label(self, fixture, role):
        owner, label = fixture[0], fixture[1]
        return label if owner in (None, role) else f"{owner}'s {label}"

    def _kinds(self, record, user):
        """The words of the README's vocabulary that ``record`` is, for ``user``."""
        record = record.sudo()
        kinds = set()
        model = record._name
        if model in ("crm.notification", "crm.customer.notification") and record.user_id == user:
            kinds.add("own")
        if model in ("crm.customer.reminder.type", "crm.customer.group") and record.create_uid == user:
            kinds.add("own")
        if model == "crm.customer.reminder" and user in record.partner_id.crm_area_id.reminder_supervisor_ids:
            kinds.add("area")
        if model == "crm.notification.delivery":
            if record.user_id == user:
                kinds.add("to me")
            if record.customer_notification_id:
                kinds.add("all sends")
                if record.customer_notification_id.user_id == user:
                    kinds.add("own sends")
            if record.reminder_id:
                kinds.add("all reminders")
                if user in record.reminder_id.partner_id.crm_area_id.reminder_supervisor_ids:
                    kinds.add("area")
        return kinds

    def _in_user_companies(self, record, user):
        record = record.sudo()
        return "company_id" not in record._fields or not record.company_id or record.company_id in user.company_ids

    def _allowed(self, record, user, tokens):
        """Whether the cell ``tokens`` allows ``user`` on ``record``: never
        another company's, then every record (``all``) or those of its kinds."""
        if not tokens or not self._in_user_companies(record, user):
            return False
        return "all" in tokens or bool(self._kinds(record, user) & tokens)

    # ------------------------------------------------------------
    # RPC
    # ------------------------------------------------------------

    def _call(self, model, method, args, kwargs=None, context=None):
        """Call ``model.method`` as the logged-in user, as the web client does.

        :return: (None, result) or (error class name, None)
        """
        params = {
            "model": model, "method": method, "args": args,
            "kwargs": dict(kwargs or {}, context=dict(self.rpc_context, **(context or {}))),
        }
        try:
            return None, self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", params)
        except JsonRpcException as error:
            return str(error), None

    def _login(self, role):
        user = self.users[role]
        self.authenticate(user.login, user.login)
        self.rpc_context = {"lang": "en_US", "tz": "UTC", "uid": user.id,
                            "allowed_company_ids": self.company.ids}
        return user

    @contextmanager
    def _rolled_back(self):
        """Whatever the calls inside write is undone: each check starts from
        the fixtures."""
        self.env.flush_all()
        savepoint = self.env.cr.savepoint(flush=False)
        try:
            yield
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all(flush=False)
            # rules cache their model's rules: a rule created or deleted
            # inside must not survive in the cache
            self.registry.clear_cache()

    @contextmanager
    def _quiet_refusals(self):
        drop = _DropRefusals()
        loggers = [logging.getLogger(name) for name in REFUSAL_LOGGERS]
        for logger in loggers:
            logger.addFilter(drop)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeFilter(drop)

    def _cell(self, **names):
        """A subtest named after the cell it checks, counted for the log."""
        self.checks += 1
        return self.subTest(**names)

    def _assert_refused(self, error, what):
        self.assertEqual(error, ACCESS_ERROR, f"{what}: expected {ACCESS_ERROR}, got {error or 'success'}")

    def _assert_allowed(self, error, what):
        self.assertIsNone(error, f"{what}: expected success, got {error}")

    # ------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------

    def _check_read(self, model, role, user, tokens):
        fixtures = self.fixtures[model]
        labels = {fixture[2].id: self._label(fixture, role) for fixture in fixtures}
        expected = {fixture[2].id for fixture in fixtures if self._allowed(fixture[2], user, tokens)}
        with self._cell(model=model, role=role, operation="read", kind="search_read"):
            error, result = self._call(model, "search_read", [], {
                "domain": [("id", "in", list(labels))], "fields": ["display_name"],
            })
            # refused by the ACL: an error; by record rules only: nothing found
            if not self.env["ir.model.access"].with_user(user).check(model, "read", raise_exception=False):
                if expected:
                    self.fail(f"{role} has no read access to {model} at all; the cell allows %s"
                              % sorted(labels[i] for i in expected))
                self._assert_refused(error, "search_read")
            else:
                self._assert_allowed(error, "search_read")
                found = {row["id"] for row in result}
                if found != expected:
                    self.fail("search_read: returned and not allowed: %s; allowed and not returned: %s" % (
                        sorted(labels[i] for i in found - expected) or "none",
                        sorted(labels[i] for i in expected - found) or "none",
                    ))
        for fixture in fixtures:
            record = fixture[2]
            with self._cell(model=model, role=role, operation="read", kind=self._label(fixture, role)):
                error, result = self._call(model, "read", [record.ids, ["display_name"]])
                if record.id in expected:
                    self._assert_allowed(error, "read")
                    self.assertEqual([row["id"] for row in result], record.ids)
                else:
                    self._assert_refused(error, "read by id")
        if "company_id" in self.env[model]._fields:
            # a client may claim another company: Odoo refuses the context
            with self._cell(model=model, role=role, operation="read",
                              kind="company 2 claimed in allowed_company_ids"):
                error, result = self._call(
                    model, "search_read", [],
                    {"domain": [("id", "in", list(labels))], "fields": ["display_name"]},
                    context={"allowed_company_ids": (self.company | self.company_2).ids},
                )
                if not error:
                    leaked = {row["id"] for row in result} - expected
                    self.assertFalse(leaked, "returned: %s" % sorted(labels[i] for i in leaked))
                else:
                    self._assert_refused(error, "search_read with company 2")

    def _create_cases(self, model, role):
        """(kind, values, the record the values are about) to create per model."""
        marker = f"Matrix: created by {role}"
        if model == "crm.notification":
            return [("new", {"user_id": self.users[role].id, "res_model": "crm.lead", "res_id": self.lead.id,
                             "title": marker, "event": "assigned"}, None)]
        if model == "crm.notification.rule":
            return [("new", {
                "name": marker, "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "field_id": self.env["ir.model.fields"]._get("crm.lead", "user_id").id,
                "trigger": "assign", "message_template": "Matrix {{ object.name }}",
            }, None)]
        if model == "crm.customer.notification":
            return [("new", {"name": marker, "body": "<p>Matrix</p>", "kind": "individual",
                             "partner_id": self.customer_a.id}, None)]
        if model == "crm.customer.group":
            return [("new", {"name": marker}, None)]
        if model == "crm.customer.reminder":
            return [
                (f"customer of area {area}", {
                    "name": f"{marker} (area {area})", "partner_id": customer.id,
                    "activation_date": fields.Datetime.to_string(FUTURE), "tz": "UTC", "channel": "inapp",
                    "receivers": "all",
                }, customer)
                for area, customer in (("A", self.customer_a), ("B", self.customer_b))
            ]
        if model == "crm.customer.reminder.type":
            return [("new", {"name": marker}, None)]
        if model == "crm.notification.delivery":
            return [("new", {
                "res_model": "crm.lead", "res_id": self.lead.id, "partner_id": self.users[role].partner_id.id,
                "channel": "inapp", "occurrence_date": "2030-06-01 09:00:00", "reason": marker,
            }, None)]
        raise AssertionError(f"no creation values for {model}")

    def _created(self, model, vals):
        fname = {"crm.notification": "title", "crm.notification.delivery": "reason"}.get(model, "name")
        return self.env[model].sudo().with_context(active_test=False).search([(fname, "=", vals[fname])])

    def _check_create(self, model, role, user, tokens):
        for kind, vals, customer in self._create_cases(model, role):
            # "area": on a customer of an area the user supervises
            allowed = "yes" in tokens or (
                "area" in tokens and customer is not None
                and user in customer.sudo().crm_area_id.reminder_supervisor_ids
            )
            with self._cell(model=model, role=role, operation="create", kind=kind), self._rolled_back():
                error, result = self._call(model, "create", [vals])
                created = self._created(model, vals)
                if allowed:
                    self._assert_allowed(error, "create")
                    self.assertEqual(created.ids, [result])
                    if "company_id" in created._fields:
                        self.assertEqual(created.company_id, self.company)
                else:
                    self._assert_refused(error, "create")
                    self.assertFalse(created, "create was refused but a record was written")

    def _targets(self, model, role, operation):
        return [fixture for fixture in self.fixtures[model]
                if fixture[0] in (None, role) and operation in fixture[3]]

    def _check_write(self, model, role, user, tokens):
        fname, value = WRITE_VALUES[model]
        for fixture in self._targets(model, role, "write"):
            record = fixture[2].sudo()
            allowed = self._allowed(record, user, tokens)
            with self._cell(model=model, role=role, operation="write", kind=self._label(fixture, role)), \
                    self._rolled_back():
                before = record[fname]
                self.assertNotEqual(before, value)
                error, _result = self._call(model, "write", [record.ids, {fname: value}])
                self.env.invalidate_all()
                if allowed:
                    self._assert_allowed(error, "write")
                    self.assertEqual(record[fname], value)
                else:
                    self._assert_refused(error, "write")
                    self.assertEqual(record[fname], before, "write was refused but the value changed")
        if model == "crm.customer.reminder":
            self._check_reminder_moves(role, user, tokens)

    def _check_reminder_moves(self, role, user, tokens):
        """Moving a reminder to another customer is writing it: a supervisor
        may not move one of their area out of it (the record rules alone look
        at the reminder before the write), nor one of another area in."""
        customers = {self.customer_a: self.customer_b, self.customer_b: self.customer_a}
        for fixture in self._targets("crm.customer.reminder", role, "write"):
            record = fixture[2].sudo()
            before, target = record.partner_id, customers[record.partner_id]
            area = "A" if target == self.customer_a else "B"
            allowed = self._allowed(record, user, tokens) and (
                "all" in tokens or user in target.crm_area_id.reminder_supervisor_ids)
            kind = f"{self._label(fixture, role)}, moved to a customer of area {area}"
            with self._cell(model="crm.customer.reminder", role=role, operation="write", kind=kind), \
                    self._rolled_back():
                error, _result = self._call("crm.customer.reminder", "write", [record.ids, {"partner_id": target.id}])
                self.env.invalidate_all()
                if allowed:
                    self._assert_allowed(error, "write")
                    self.assertEqual(record.partner_id, target)
                else:
                    self._assert_refused(error, "write")
                    self.assertEqual(record.partner_id, before, "write was refused but the customer changed")

    def _check_delete(self, model, role, user, tokens):
        for fixture in self._targets(model, role, "delete"):
            record = fixture[2].sudo()
            allowed = self._allowed(record, user, tokens)
            with self._cell(model=model, role=role, operation="delete", kind=self._label(fixture, role)), \
                    self._rolled_back():
                error, _result = self._call(model, "unlink", [record.ids])
                self.env.invalidate_all()
                if allowed:
                    self._assert_allowed(error, "unlink")
                    self.assertFalse(record.exists())
                else:
                    self._assert_refused(error, "unlink")
                    self.assertTrue(record.exists(), "unlink was refused but the record is gone")

    def _check_send(self, model, role, user, tokens):
        if model != "crm.customer.notification":
            with self._cell(model=model, role=role, operation="send", kind="not a customer notification"):
                self.assertFalse(tokens, f"send applies to customer notifications only: {model} must say {REFUSED}")
            return
        for operation, method, state_before, state_after in (
            ("send", "action_send", "draft", "sent"),
            ("deactivate", "action_deactivate", "scheduled", "deactivated"),
        ):
            for fixture in self._targets(model, role, operation):
                record = fixture[2].sudo()
                allowed = self._allowed(record, user, tokens)
                sender = record.user_id
                with self._cell(model=model, role=role, operation=operation, kind=self._label(fixture, role)), \
                        self._rolled_back():
                    self.assertEqual(record.state, state_before)
                    error, _result = self._call(model, method, [record.ids])
                    self.env.invalidate_all()
                    if allowed:
                        self._assert_allowed(error, method)
                        self.assertEqual(record.state, state_after)
                        if method == "action_send":
                            # whoever presses Send is the sender
                            self.assertEqual(record.user_id, user)
                    else:
                        self._assert_refused(error, method)
                        self.assertEqual(record.state, state_before, f"{method} was refused but the state changed")
                        self.assertEqual(record.user_id, sender)

    def _check_role(self, role):
        user = self._login(role)
        self.checks = 0
        with self._quiet_refusals():
            for model in MODELS:
                cells = self.matrix.get((model, role))
                if cells is None:
                    with self._cell(model=model, role=role):
                        self.fail(f"the README's access matrix has no row for {model} / {role}")
                    continue
                self._check_read(model, role, user, cells["read"])
                self._check_create(model, role, user, cells["create"])
                self._check_write(model, role, user, cells["write"])
                self._check_delete(model, role, user, cells["delete"])
                self._check_send(model, role, user, cells["send"])
        _logger.info("access matrix, %s: %d checks", role, self.checks)

    # ------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------

    def test_matrix_covers_every_model_and_role(self):
        """The table has one row per (model, role), for the addon's models
        and the README's roles, and nothing else."""
        expected = {(model, role) for model in MODELS for role in ROLES}
        self.assertEqual(set(self.matrix) - expected, set(), "rows for unknown models or roles")
        self.assertEqual(expected - set(self.matrix), set(), "missing rows")

    def test_role_portal(self):
        self._check_role("portal")

    def test_role_employee(self):
        self._check_role("employee")

    def test_role_salesman(self):
        self._check_role("salesman")

    def test_role_salesman_all(self):
        self._check_role("salesman_all")

    def test_role_sales_manager(self):
        self._check_role("sales_manager")

    def test_role_supervisor(self):
        self._check_role("supervisor")

    def test_role_reminder_admin(self):
        self._check_role("reminder_admin")

    def test_role_admin(self):
        self._check_role("admin")
