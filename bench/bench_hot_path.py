# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
# ruff: noqa: F821 - run by `odoo shell` (bench/run_hot_path), which defines env
"""The cost of the addon's ``base`` create/write override on the hot path,
run by ``bench/run_hot_path`` in two databases: one with crm_notifications,
one with only its dependencies (what a model without rules would cost if the
addon patched only the models that have rules, at registry setup, as
base_automation does). Prints one JSON line.

Per single-record call, median of ROUNDS rounds of N calls (flushed, so the
SQL is in the figure): wall and CPU microseconds, queries.
- ``category_create``/``category_write``: res.partner.category, a model no
  rule is about;
- ``lead_write_other``: crm.lead, a model with rules, writing a field no rule
  watches (``description``);
- ``rules_lookup_us`` (addon only): the override's own work on such a call,
  ``_crm_notification_rules``, timed alone;
- ``rule_change_ms``: what a change of a rule costs each worker. Here, a
  cleared ormcache and the next lookup; patching models at registry setup
  (base_automation) needs the registry rebuilt in every worker instead:
  ``registry_rebuild_ms`` times one rebuild (``Registry.new``).
"""

import json
import os
import statistics
import time
import timeit

N = int(os.environ.get("BENCH_HOT_N", "2000"))
ROUNDS = int(os.environ.get("BENCH_HOT_ROUNDS", "5"))
has_addon = "crm.notification.rule" in env.registry


def measure(work):
    """work(i) once per i in range(N): per-call wall µs, CPU µs, queries."""
    cr = env.cr
    queries = cr.sql_log_count
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(N):
        work(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall_us": wall / N * 1e6, "cpu_us": cpu / N * 1e6, "queries": (cr.sql_log_count - queries) / N}


def rounds(make_work):
    results = []
    for r in range(ROUNDS):
        savepoint = env.cr.savepoint()
        with savepoint:
            results.append(measure(make_work(r)))
            savepoint.rollback()
        env.invalidate_all()
    return {key: statistics.median(result[key] for result in results) for key in results[0]}


Category = env["res.partner.category"]
Lead = env["crm.lead"]


def category_create(r):
    def work(i):
        Category.create({"name": f"bench {r} {i}"})
        env.flush_all()
    return work


categories = Category.create([{"name": f"bench base {i}"} for i in range(N)])
leads = Lead.create([{"name": f"bench lead {i}", "type": "opportunity"} for i in range(N)])
env.cr.commit()


def category_write(r):
    def work(i):
        categories[i].write({"name": f"renamed {r} {i}"})
        env.flush_all()
    return work


def lead_write_other(r):
    def work(i):
        leads[i].write({"description": f"<p>note {r} {i}</p>"})
        env.flush_all()
    return work


# warm-up: caches (ormcache of the rules, prefetch, plans)
measure(category_create(-1))
env.cr.rollback()
result = {
    "addon": has_addon,
    "n": N,
    "rounds": ROUNDS,
    "category_create": rounds(category_create),
    "category_write": rounds(category_write),
    "lead_write_other": rounds(lead_write_other),
}
if has_addon:
    record = categories[:1]
    lead = leads[:1]
    number = 200_000
    result["rules_lookup_us"] = {
        "category": min(timeit.repeat(
            lambda: record._crm_notification_rules(("assign",), {"name": "x"}), number=number, repeat=5))
        / number * 1e6,
        "lead_other_field": min(timeit.repeat(
            lambda: lead._crm_notification_rules(("assign",), {"description": "x"}), number=number, repeat=5))
        / number * 1e6,
    }
    Rule = env["crm.notification.rule"]

    def change_rule():
        Rule.env.registry.clear_cache()
        record._crm_notification_rules(("assign",), {"name": "x"})

    result["rule_change_ms"] = min(timeit.repeat(change_rule, number=1, repeat=20)) * 1e3
categories.unlink()
leads.unlink()
env.cr.commit()
from odoo.modules.registry import Registry  # noqa: E402 - the shell's env is set up above

rebuilds = []
for _ in range(3):
    started = time.perf_counter()
    Registry.new(env.cr.dbname)
    rebuilds.append((time.perf_counter() - started) * 1e3)
result["registry_rebuild_ms"] = min(rebuilds)
print("HOT-PATH-JSON " + json.dumps(result))
