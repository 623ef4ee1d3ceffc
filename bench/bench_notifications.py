# Benchmarks of crm_notifications, run inside Odoo by bench/run:
#
#     odoo shell -d DB --no-http < bench/bench_notifications.py
#
# `env` is the shell's environment (superuser, real cursor); every measured
# transaction is really committed (bench database). Sizes can be lowered for a
# quick try with BENCH_LEADS, BENCH_CHATTER_LEADS, BENCH_BATCH, BENCH_LOAD_ROWS,
# BENCH_LOAD_USERS, BENCH_REPS (bench/run passes them through).
# ruff: noqa: F821  (env is provided by odoo shell)
import gc
import os
import statistics
import sys
import time
import tracemalloc

from odoo import Command
from odoo.release import version as odoo_version
from odoo.sql_db import db_connect
from odoo.tools import SQL

N_LEADS = int(os.environ.get("BENCH_LEADS", "10000"))
N_CHATTER = int(os.environ.get("BENCH_CHATTER_LEADS", "2000"))
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "200"))
LOAD_ROWS = int(os.environ.get("BENCH_LOAD_ROWS", "1000000"))
LOAD_USERS = int(os.environ.get("BENCH_LOAD_USERS", "1000"))
REPS = int(os.environ.get("BENCH_REPS", "500"))
N_SALES = 10
MSG_RECIPIENTS = 10  # mail.notification rows per bulk-loaded mail.message

T0 = time.perf_counter()
LOAD_AT_START = os.getloadavg()
cr = env.cr
results = {}


def log(msg):
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


def count(table, where="TRUE"):
    cr.execute(f"SELECT count(*) FROM {table} WHERE {where}")  # fixed table names
    return cr.fetchone()[0]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


assert env.registry.ready, "the registry must be ready: Odoo's assignment e-mail sleeps otherwise"

# ---------------------------------------------------------------------------
# Setup (deterministic names, committed)
# ---------------------------------------------------------------------------
log("setup: users, rules, mail settings")
su = env(context={"lang": "en_US", "tracking_disable": True, "no_reset_password": True})
Users = su["res.users"]
g_user = su.ref("base.group_user")
g_salesman = su.ref("sales_team.group_sale_salesman")
g_all_leads = su.ref("sales_team.group_sale_salesman_all_leads")

author = Users.create({
    "name": "Bench Author A",
    "login": "bench_author",
    "email": "bench.author@example.com",
    "groups_id": [Command.set([g_user.id, g_all_leads.id])],
})
sales = Users.create([
    {
        "name": f"Bench Salesperson {i:02d}",
        "login": f"bench_sales_{i:02d}",
        "email": f"bench.sales.{i:02d}@example.com",
        "groups_id": [Command.set([g_user.id, g_salesman.id])],
    }
    for i in range(1, N_SALES + 1)
])
# salespeople belong to the default sales team, as in a real database
team = su.ref("sales_team.team_sales_department")
su["crm.team.member"].create([{"crm_team_id": team.id, "user_id": user.id} for user in sales])
# Outgoing e-mails of Odoo's assignment notifications are queued in mail.mail
# (the mail cron sends them) instead of being sent to an SMTP server after each
# commit: the bench measures their rendering and storing, not the network.
su["ir.config_parameter"].set_param("mail.mail.force.send.limit", "0")
Rule = su["crm.notification.rule"].with_context(active_test=False)
rules = Rule.search([("active", "=", True)])
lead_rule = su.ref("crm_notifications.rule_lead_assigned")
cr.commit()
log(f"  author A id={author.id}, {len(sales)} salespeople, {len(rules)} active rules")


Preference = su["crm.notification.preference"]


def set_rules(on, keep_email=True, noise=False):
    """ON: the default rules active; OFF: all deactivated (clears the ormcache).
    noise: the noise controls in place on the lead rule (each salesperson's
    preference, digest for half of them, and a daily cap the run stays under,
    so that its count is made on every transaction)."""
    rules.write({"active": on})
    if lead_rule.keep_odoo_email != keep_email:
        lead_rule.keep_odoo_email = keep_email
    Preference.search([]).unlink()
    if noise:
        Preference.create([
            {"user_id": user.id, "rule_id": lead_rule.id, "mode": ("digest", "inapp")[i % 2]}
            for i, user in enumerate(sales)
        ])
    lead_rule.cap_per_day = 1_000_000 // N_SALES if noise else 0
    cr.commit()


# ---------------------------------------------------------------------------
# Figure 1: create and assign leads
# ---------------------------------------------------------------------------
VARIANTS = [
    # key, label, tracking (Odoo chatter), rules on, keep Odoo's e-mail, size
    ("a", "bare ORM (tracking_disable), rules OFF", False, False, True, N_LEADS),
    ("b", "bare ORM (tracking_disable), rules ON", False, True, True, N_LEADS),
    ("c", "default ctx (chatter+assign mail), rules OFF", True, False, True, N_CHATTER),
    ("d", "default ctx, rules ON (keep Odoo's e-mail)", True, True, True, N_CHATTER),
    ("e", "default ctx, rules ON, in-app replaces e-mail", True, True, False, N_CHATTER),
    ("f", "bare ORM, rules ON, preferences + daily cap", False, True, True, N_LEADS),
]
NOISE_VARIANTS = {"f"}


def author_env(tracking):
    context = {"lang": "en_US", "tz": "UTC"}
    if not tracking:
        context["tracking_disable"] = True
    return env(user=author.id, context=context)


def lead_vals(key, start, size):
    return [
        {
            "name": f"Bench lead {key}-{i:05d}",
            "email_from": f"contact.{key}.{i:05d}@example.com",
            "user_id": sales[i % N_SALES].id,
        }
        for i in range(start, start + size)
    ]


def snapshot():
    return {
        "crm_notification": count("crm_notification"),
        "mail_message": count("mail_message"),
        "mail_mail": count("mail_mail"),
        "bus_bus": count("bus_bus"),
    }


def new_result(n=0, **kw):
    return {"n": n, "create": 0.0, "commit": 0.0, "time": 0.0, "cpu": 0.0, "queries": 0, "q_commit": 0,
            "batch_ms": [], "crm_notification": 0, "mail_message": 0, "mail_mail": 0, "bus_bus": 0,
            **kw}


def measure(result, batches):
    """Run the batches (callables doing the ORM work), each followed by a real
    COMMIT; add time, queries and created rows to ``result``."""
    before = snapshot()
    gc.collect()
    for work in batches:
        q0 = cr.sql_log_count
        c0 = time.process_time()
        t0 = time.perf_counter()
        size = work()
        t1 = time.perf_counter()
        q1 = cr.sql_log_count
        cr.commit()  # flush + pre-commit (notifications, bus) + COMMIT + post-commit
        t2 = time.perf_counter()
        result["cpu"] += time.process_time() - c0
        result["n"] += size
        result["create"] += t1 - t0
        result["commit"] += t2 - t1
        result["time"] += t2 - t0
        result["queries"] += cr.sql_log_count - q0
        result["q_commit"] += cr.sql_log_count - q1
        result["batch_ms"].append(1000 * (t2 - t0) / size)
        env.invalidate_all()
    after = snapshot()
    for k in after:
        result[k] += after[k] - before[k]


def creator(Lead, key, start, size):
    def work():
        Lead.create(lead_vals(key, start, size))
        return size
    return work


# One batch per round: round r runs batch r of every variant that has one, in
# ABBA order (a..e, then e..a), each after switching the rules and a warm-up.
# Drift (growing tables, other load on the machine) thus hits all variants
# alike, and a and b (likewise c, d, e) are compared batch against batch.
lead_ids = {}
warm_ids = {}
for key, label, *_rest in VARIANTS:
    results[key] = new_result(label=label)
n_rounds = max(-(-size // BATCH) for *_rest, size in VARIANTS)
for rnd in range(n_rounds):
    line = []
    for key, _label, tracking, on, keep_email, size in (VARIANTS if rnd % 2 == 0 else VARIANTS[::-1]):
        first = rnd * BATCH
        if first >= size:
            continue
        set_rules(on, keep_email, noise=key in NOISE_VARIANTS)
        Lead = author_env(tracking)["crm.lead"]
        # warm-up after each switch: caches (the rules' ormcache, QWeb, ...) refilled
        warm_ids.setdefault(key, []).extend(Lead.create(lead_vals(f"{key}w{rnd}", 0, WARMUP)).ids)
        cr.commit()
        env.invalidate_all()
        size = min(BATCH, size - first)
        n0 = count("crm_lead")
        measure(results[key], [creator(Lead, key, first, size)])
        assert count("crm_lead") - n0 == size
        line.append(f"{key} {results[key]['batch_ms'][-1]:.2f}")
    log(f"1 round {rnd + 1}/{n_rounds}: ms/lead " + ", ".join(sorted(line)))
for key, label, *_rest in VARIANTS:
    cr.execute("SELECT id FROM crm_lead WHERE name LIKE %s ORDER BY id", [f"Bench lead {key}-%"])
    lead_ids[key] = [row[0] for row in cr.fetchall()]
    r = results[key]
    log(f"1{key} {label}: {r['n']} leads, {r['time']:.2f}s, {r['queries']} queries, "
        f"{r['crm_notification']} notifications, {r['mail_message']} mail.message, {r['mail_mail']} mail.mail")


# Reassigning: the same leads written to another salesperson (base.write path)
def reassigner(Lead, ids, user):
    def work():
        Lead.browse(ids).write({"user_id": user.id})
        return len(ids)
    return work


results["ra"] = new_result()
results["rb"] = new_result()
n_rounds = -(-len(lead_ids["a"]) // BATCH)
for rnd in range(n_rounds):
    line = []
    for key, src, on in ((("ra", "a", False), ("rb", "b", True)) if rnd % 2 == 0
                         else (("rb", "b", True), ("ra", "a", False))):
        set_rules(on)
        Lead = author_env(False)["crm.lead"]
        Lead.browse(warm_ids[src][:WARMUP]).write({"user_id": sales[rnd % N_SALES].id})  # warm-up
        cr.commit()
        env.invalidate_all()
        chunk = lead_ids[src][rnd * BATCH:(rnd + 1) * BATCH]
        # the leads of a batch were spread over the 10 salespeople: all go to one
        measure(results[key], [reassigner(Lead, chunk, sales[(rnd + 1) % N_SALES])])
        line.append(f"{key} {results[key]['batch_ms'][-1]:.2f}")
    log(f"1' round {rnd + 1}/{n_rounds}: ms/lead " + ", ".join(sorted(line)))
for key in ("ra", "rb"):
    r = results[key]
    log(f"1{key} reassign: {r['n']} leads, {r['time']:.2f}s, {r['queries']} queries, "
        f"{r['crm_notification']} notifications")

# ---------------------------------------------------------------------------
# Figure 3: peak Python memory of one transaction creating N_LEADS leads
# ---------------------------------------------------------------------------
def deep_size(obj, seen=None):
    """Bytes held by a list of tuples of scalars, each object counted once."""
    seen = set() if seen is None else seen
    if id(obj) in seen or obj is None or obj is True or obj is False:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, (list, tuple)):
        size += sum(deep_size(item, seen) for item in obj)
    return size


for key, on in (("mem_off", False), ("mem_on", True)):
    set_rules(on)
    aenv = author_env(False)
    Lead = aenv["crm.lead"]
    Lead.create(lead_vals(f"{key}w", 0, WARMUP))
    cr.commit()
    aenv.invalidate_all()
    log(f"3 {key}: one transaction of {N_LEADS} leads, rules {'ON' if on else 'OFF'}")
    t0 = time.perf_counter()
    for start in range(0, N_LEADS, BATCH):
        Lead.create(lead_vals(key, start, min(BATCH, N_LEADS - start)))
    aenv.flush_all()  # the leads' own pending writes, alike ON and OFF
    t_create = time.perf_counter() - t0
    pending = cr.precommit.data.get("crm_notifications.pending", [])
    queued = len(pending)
    queue_bytes = deep_size(pending)
    del pending
    before_n = count("crm_notification")
    gc.collect()
    # tracing starts here: the peak is what the commit (pre-commit generation
    # of all the transaction's notifications, then COMMIT) allocates on top
    tracemalloc.start()
    base_mem = tracemalloc.get_traced_memory()[0]
    q0 = cr.sql_log_count
    t0 = time.perf_counter()
    cr.commit()
    t_commit = time.perf_counter() - t0
    peak_commit = tracemalloc.get_traced_memory()[1] - base_mem
    tracemalloc.stop()
    aenv.invalidate_all()
    results[key] = {
        "peak_commit": peak_commit, "queued": queued, "queue_bytes": queue_bytes,
        "create": t_create, "commit": t_commit, "q_commit": cr.sql_log_count - q0,
        "notifications": count("crm_notification") - before_n,
    }
    log(f"  creates {t_create:.1f}s; commit {t_commit:.2f}s (traced), {results[key]['q_commit']} queries, "
        f"peak +{peak_commit / 2**20:.1f} MiB; {queued} queued entries ({queue_bytes / 2**20:.1f} MiB)")
set_rules(True)

# ---------------------------------------------------------------------------
# Figure 2: counters with 1,000,000 rows
# ---------------------------------------------------------------------------
log(f"2: creating {LOAD_USERS} users for the bulk load")
t0 = time.perf_counter()
load_users = Users.with_context(mail_create_nosubscribe=True, mail_create_nolog=True).create([
    {
        "name": f"Bench Load User {i:04d}",
        "login": f"bench_load_{i:04d}",
        "email": f"bench.load.{i:04d}@example.com",
        "groups_id": [Command.set([g_user.id])],
    }
    for i in range(LOAD_USERS)
])
cr.commit()
target = load_users[0]
log(f"  {LOAD_USERS} users in {time.perf_counter() - t0:.1f}s; target user {target.login} id={target.id}")

per_user = LOAD_ROWS // LOAD_USERS
all_lead_ids = sorted(id_ for ids in lead_ids.values() for id_ in ids)
user_ids = load_users.ids
partner_ids = load_users.partner_id.ids
assert len(partner_ids) == LOAD_USERS
lead_model_id = su["ir.model"]._get_id("crm.lead")
comment = su.ref("mail.mt_comment")
# Row g (0 .. LOAD_ROWS-1) goes to user g % LOAD_USERS; k = g / LOAD_USERS is
# its rank in that user's history (0 = oldest). Realistic mix: the newest 10%
# are unread, and one older row in 37 was left unread, i.e. 125 unread of
# 1,000 per user (12.5%), the rest read; dates span a year, newest last.
UNREAD = SQL("((g / %(n)s) >= %(k_new)s OR mod(g / %(n)s, 37) = 0)",
             n=LOAD_USERS, k_new=per_user - per_user // 10)
DATE = SQL("(now() at time zone 'UTC') - make_interval(secs => (%s - g) * 31.0)", LOAD_ROWS)
log(f"2: bulk-loading {LOAD_ROWS:,} crm.notification rows ({per_user} per user)")
t0 = time.perf_counter()
cr.execute(SQL(
    """INSERT INTO crm_notification
            (user_id, res_model, res_model_id, res_id, res_name, event, title, body, rule_id,
             author_id, date, is_read, read_date, create_uid, create_date, write_uid, write_date)
       SELECT (%(users)s::int[])[1 + mod(g, %(n)s)], 'crm.lead', %(model_id)s,
              (%(leads)s::int[])[1 + mod(g, %(n_leads)s)], 'Bench lead ' || g, 'assigned',
              'Assigned to you: Bench lead ' || g, NULL, %(rule)s, %(author)s,
              d, NOT %(unread)s, CASE WHEN %(unread)s THEN NULL ELSE d + interval '1 hour' END,
              %(author)s, d, %(author)s, d
         FROM generate_series(0, %(last)s) g, LATERAL (SELECT %(date)s AS d) dd""",
    users=user_ids, n=LOAD_USERS, model_id=lead_model_id, leads=all_lead_ids,
    n_leads=len(all_lead_ids), rule=lead_rule.id, author=author.id, unread=UNREAD,
    date=DATE, last=LOAD_ROWS - 1,
))
cr.commit()
log(f"  done in {time.perf_counter() - t0:.1f}s")

n_messages = LOAD_ROWS // MSG_RECIPIENTS
log(f"2: bulk-loading {n_messages:,} mail.message and {LOAD_ROWS:,} mail.notification rows")
t0 = time.perf_counter()
cr.execute(SQL(
    """INSERT INTO mail_message
            (model, res_id, record_name, message_type, subtype_id, is_internal, body, subject,
             author_id, email_from, date, create_uid, create_date, write_uid, write_date)
       SELECT 'crm.lead', (%(leads)s::int[])[1 + mod(m, %(n_leads)s)], 'Bench lead ' || m, 'comment',
              %(subtype)s, FALSE, '<p>Bench message ' || m || '</p>', NULL,
              %(author_partner)s, 'bench.author@example.com', d, %(author)s, d, %(author)s, d
         FROM generate_series(0, %(last)s) m,
              LATERAL (SELECT (now() at time zone 'UTC') - make_interval(secs => (%(rows)s - m * %(k)s) * 31.0) AS d) dd
        ORDER BY m
    RETURNING id""",
    leads=all_lead_ids, n_leads=len(all_lead_ids), subtype=comment.id,
    author_partner=author.partner_id.id, author=author.id, last=n_messages - 1,
    rows=LOAD_ROWS, k=MSG_RECIPIENTS,
))
message_ids = sorted(row[0] for row in cr.fetchall())
# notification g: message g / 10 (so each message has 10 distinct recipients),
# partner g % LOAD_USERS, same read/unread mix as above
cr.execute(SQL(
    """INSERT INTO mail_notification
            (mail_message_id, res_partner_id, author_id, notification_type, notification_status,
             is_read, read_date)
       SELECT (%(messages)s::int[])[1 + g / %(k)s], (%(partners)s::int[])[1 + mod(g, %(n)s)],
              %(author_partner)s, 'inbox', 'sent', NOT %(unread)s,
              CASE WHEN %(unread)s THEN NULL ELSE %(date)s + interval '1 hour' END
         FROM generate_series(0, %(last)s) g""",
    messages=message_ids, k=MSG_RECIPIENTS, partners=partner_ids, n=LOAD_USERS,
    author_partner=author.partner_id.id, unread=UNREAD, date=DATE, last=LOAD_ROWS - 1,
))
cr.commit()
cr.commit()
log(f"  done in {time.perf_counter() - t0:.1f}s; VACUUM (FREEZE, ANALYZE)")
# VACUUM (outside a transaction: own connection in autocommit) as autovacuum
# would have done by the time anyone reads the bell: statistics for the
# planner and a visibility map, so that the plans do not depend on whether
# autovacuum happened to pass during the bench. FREEZE: on PostgreSQL 15 a
# plain VACUUM left part of the pages not all-visible here.
with db_connect(cr.dbname).cursor() as vcr:
    vcr._cnx.autocommit = True
    for table in ("crm_notification", "mail_message", "mail_notification"):
        # right after an asynchronous commit (the cluster runs with
        # synchronous_commit=off), VACUUM may not mark the new pages
        # all-visible yet: retry a few times
        for _attempt in range(10):
            vcr.execute(SQL("VACUUM (FREEZE, ANALYZE) %s", SQL.identifier(table)))
            vcr.execute("SELECT relallvisible, relpages FROM pg_class WHERE relname = %s", [table])
            visible, pages = vcr.fetchone()
            if visible >= pages:
                break
            time.sleep(0.5)
        log(f"  {table}: {visible}/{pages} pages all-visible after VACUUM")
    vcr._cnx.autocommit = False

load = {
    "crm_rows": count("crm_notification"),
    "crm_unread": count("crm_notification", "is_read IS NOT TRUE"),
    "crm_target": count("crm_notification", f"user_id = {target.id}"),
    "crm_target_unread": count("crm_notification", f"user_id = {target.id} AND is_read IS NOT TRUE"),
    "mail_rows": count("mail_notification"),
    "mail_messages": count("mail_message"),
    "mail_unread": count("mail_notification", "is_read IS NOT TRUE"),
    "mail_target": count("mail_notification", f"res_partner_id = {target.partner_id.id}"),
    "mail_target_unread": count(
        "mail_notification", f"res_partner_id = {target.partner_id.id} AND is_read IS NOT TRUE"),
}
results["load"] = load
log(f"  crm_notification: {load['crm_rows']:,} rows ({load['crm_unread']:,} unread), target "
    f"{load['crm_target']} ({load['crm_target_unread']} unread); mail_notification: "
    f"{load['mail_rows']:,} rows, target {load['mail_target']} ({load['mail_target_unread']} unread)")

tenv = env(user=target.id, context={"lang": "en_US", "tz": "UTC"})
Notification = tenv["crm.notification"]
partner = tenv.user.partner_id
assert Notification.get_unread_count() == load["crm_target_unread"]
assert partner._get_needaction_count() == load["mail_target_unread"]
systray = Notification.systray_get_notifications(limit=20)
assert systray["unread_count"] == load["crm_target_unread"] and len(systray["notifications"]) == 20


def odoo_inbox():
    from odoo.addons.mail.tools.discuss import Store
    res = tenv["mail.message"]._message_fetch([("needaction", "=", True)], limit=20)
    messages = res.pop("messages")
    return Store(messages, for_current_user=True, add_followers=True).get_result()


def timed(fn, reps=REPS, fresh=False):
    times = []
    queries = 0
    fn()  # warm
    for _i in range(reps):
        if fresh:
            tenv.invalidate_all()
        q0 = cr.sql_log_count
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        queries = cr.sql_log_count - q0
    return {"median": statistics.median(times), "p95": pct(times, 95), "min": min(times),
            "queries": queries, "reps": reps}


log(f"2: timing the counters ({REPS} repetitions each)")
results["t_unread"] = timed(Notification.get_unread_count)
results["t_needaction"] = timed(partner._get_needaction_count)
results["t_systray"] = timed(lambda: Notification.systray_get_notifications(limit=20), fresh=True)
results["t_unread_search"] = timed(
    lambda: Notification.search([("user_id", "=", target.id), ("is_read", "=", False)]).ids, fresh=True)
try:
    results["t_inbox"] = timed(odoo_inbox, reps=max(REPS // 5, 20), fresh=True)
except Exception as exc:
    results["t_inbox"] = None
    log(f"  Odoo inbox listing not measured: {exc!r}")
cr.rollback()


def explain(query):
    cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) %s", query))
    return [row[0] for row in cr.fetchall()]


# the query of crm.notification._read_unread_counts, as written there (its
# predicate is the partial index's)
plan_crm = explain(SQL(
    """SELECT user_id, COUNT(*) FROM crm_notification
        WHERE user_id = ANY(%s) AND (is_read IS NULL OR is_read = FALSE)
     GROUP BY user_id""", [target.id]))
plan_mail = explain(SQL(
    """SELECT count(*) as needaction_count
         FROM mail_notification R
        WHERE R.res_partner_id = %s AND (R.is_read = false OR R.is_read IS NULL)""", partner.id))
query = Notification._search([("user_id", "=", target.id), ("is_read", "=", False)])
plan_unread_search = explain(query.select())
plan_list = explain(SQL(
    """SELECT id FROM crm_notification WHERE user_id = %s
     ORDER BY date DESC, id DESC LIMIT 20""", target.id))
cr.rollback()

# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
W = 110


def hr(char="-"):
    print(char * W)


def ratio(x, y):
    return f"{x / y:.2f}x" if y else "-"


def per_lead(key, what="time"):
    return results[key][what] / results[key]["n"]


def med(key):
    return statistics.median(results[key]["batch_ms"])


def fig1_row(tag, label, r):
    print(f"{tag:<4}{label:<46}{r['n']:>7,}{r['time']:>8.2f}{1000 * r['time'] / r['n']:>8.2f}"
          f"{statistics.median(r['batch_ms']):>8.2f}{1000 * r['cpu'] / r['n']:>8.2f}{r['queries']:>8,}"
          f"{r['queries'] / r['n']:>7.2f}{r['crm_notification']:>8,}")


def fig1_ratio(label, x, y):
    print(f"  {label:<30}: wall {ratio(per_lead(x), per_lead(y))}, median batch {ratio(med(x), med(y))}, "
          f"Odoo CPU {ratio(per_lead(x, 'cpu'), per_lead(y, 'cpu'))}, queries "
          f"{ratio(per_lead(x, 'queries'), per_lead(y, 'queries'))}; "
          f"{1000 * (per_lead(x) - per_lead(y)):+.2f} ms/lead wall")


print()
hr("=")
print(f"crm_notifications benchmark - Odoo {odoo_version}, PostgreSQL {cr._cnx.server_version}, "
      f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')}")
hr("=")
print(f"1. Create leads with user_id set (round-robin over {N_SALES} salespeople) as user A, in batches of "
      f"{BATCH:,}:\n   one create() of {BATCH:,} vals + one real COMMIT per batch; variants interleaved in "
      f"rounds of one batch\n   per variant (ABBA order), {WARMUP} warm-up leads after each switch of the rules (not counted).")
if N_CHATTER != N_LEADS:
    print(f"   NOTE: variants c, d, e (Odoo's chatter and assignment e-mail, ~10x slower) use {N_CHATTER:,} "
          f"leads, not {N_LEADS:,}:\n   compare per-lead figures (ms/lead, q/lead).")
print("   wall = create() + commit (flush, pre-commit: notification INSERT, bus; COMMIT; post-commit);")
print("   median batch = median over batches of wall ms/lead; CPU = CPU time of the Odoo process only")
print("   (no PostgreSQL, less sensitive to other load on the machine).")
print("   Odoo's assignment e-mails are queued in mail.mail (mail.mail.force.send.limit=0), not sent by SMTP.")
hr()
print(f"{'':4}{'variant':<46}{'leads':>7}{'wall':>8}{'wall':>8}{'median':>8}{'CPU':>8}{'queries':>8}"
      f"{'q/lead':>7}{'notifs':>8}")
print(f"{'':4}{'':<46}{'':>7}{'s':>8}{'ms/lead':>8}{'batch':>8}{'ms/lead':>8}{'':>8}{'':>7}{'created':>8}")
hr()
for key, label, *_rest in VARIANTS:
    fig1_row(key + ")", label, results[key])
hr()
fig1_ratio("b/a ON/OFF, bare ORM", "b", "a")
fig1_ratio("f/a ON+noise controls/OFF", "f", "a")
fig1_ratio("f/b noise controls / plain ON", "f", "b")
fig1_ratio("d/c ON/OFF, Odoo chatter", "d", "c")
fig1_ratio("e/c in-app instead of e-mail", "e", "c")
fig1_ratio("c/a Odoo chatter vs bare ORM", "c", "a")
print("  of which commit: " + ", ".join(
    f"{k}) {results[k]['commit']:.2f}s/{results[k]['q_commit']:,}q" for k in ("a", "b", "c", "d", "e")))
print("  bus.bus rows (unread counters pushed): " + ", ".join(
    f"{k}) {results[k]['bus_bus']:,}" for k in ("a", "b", "c", "d", "e")))
print("  Odoo's own rows: " + "; ".join(
    f"{k}) {results[k]['mail_message']:,} mail.message, {results[k]['mail_mail']:,} mail.mail"
    for k in ("c", "d", "e")))
hr()
print(f"1'. Reassign the leads of a) and b): write user_id on batches of {BATCH:,} (bare ORM), one COMMIT each")
fig1_row("ra)", "reassign, rules OFF (leads of a)", results["ra"])
fig1_row("rb)", "reassign, rules ON (leads of b)", results["rb"])
fig1_ratio("rb/ra ON/OFF, reassign", "rb", "ra")
hr("=")
load = results["load"]
print(f"2. Unread counters. Bulk-loaded by SQL: {LOAD_ROWS:,} crm.notification rows over {LOAD_USERS:,} users "
      f"(table: {load['crm_rows']:,} rows,\n   {load['crm_unread']:,} unread, with those of figures 1 and 3); "
      f"{LOAD_ROWS:,} mail.notification rows on {LOAD_ROWS // MSG_RECIPIENTS:,} mail.message\n"
      f"   (table: {load['mail_rows']:,} rows, {load['mail_unread']:,} unread). VACUUM (FREEZE, ANALYZE) after the load.\n"
      f"   Target user: {load['crm_target']:,} crm.notification ({load['crm_target_unread']} unread), "
      f"{load['mail_target']:,} mail.notification ({load['mail_target_unread']} unread). Called as that user.")
hr()
print(f"  {'call (as the target user)':<66}{'median':>9}{'p95':>9}{'min':>9}{'queries':>9}")
print(f"  {'':<66}{'ms':>9}{'ms':>9}{'ms':>9}{'/call':>9}")
hr()
rows = [
    ("crm.notification.get_unread_count()", "t_unread"),
    ("Odoo: res.partner._get_needaction_count() (inbox counter)", "t_needaction"),
    ("crm.notification.systray_get_notifications(limit=20) *", "t_systray"),
    ("crm.notification.search(user_id=me, is_read=False) (mark-all-read) *", "t_unread_search"),
    ("Odoo: inbox list _message_fetch(needaction, limit=20) + Store *", "t_inbox"),
]
for label, key in rows:
    r = results.get(key)
    if not r:
        print(f"  {label:<66}{'n/a':>9}")
        continue
    print(f"  {label:<66}{r['median']:>9.3f}{r['p95']:>9.3f}{r['min']:>9.3f}{r['queries']:>9}")
print(f"  ({REPS} calls each, {results['t_inbox']['reps'] if results.get('t_inbox') else '-'} for the inbox list;"
      f" * = ORM cache emptied before each call, as in a new request)")
print(f"  ratio unread count ours/Odoo's: median "
      f"{ratio(results['t_unread']['median'], results['t_needaction']['median'])}")
hr()
for title, plan in (("crm.notification unread count (_read_unread_counts)", plan_crm),
                    ("Odoo's needaction count (_get_needaction_count)", plan_mail),
                    ("systray list (search user_id, order date desc, id desc, limit 20)", plan_list),
                    ("mark all read's ORM search (user_id = me, is_read = False)", plan_unread_search)):
    print(f"  EXPLAIN (ANALYZE, BUFFERS) {title}:")
    for line in plan:
        print("    " + line)
hr("=")
print(f"3. Python memory of generating the notifications of ONE transaction creating {N_LEADS:,} leads")
print(f"   (bare ORM, {N_LEADS // BATCH} creates of {BATCH:,}, then one COMMIT; tracemalloc traces the COMMIT only)")
hr()
for key, on in (("mem_off", "OFF"), ("mem_on", "ON")):
    r = results[key]
    print(f"  rules {on:<3}: {r['queued']:>6,} entries queued during the creates ({r['queue_bytes'] / 2**20:5.2f} MiB); "
          f"COMMIT peak +{r['peak_commit'] / 2**20:5.1f} MiB, {r['q_commit']:>3} queries, "
          f"{r['notifications']:,} notifications")
on, off = results["mem_on"], results["mem_off"]
print(f"  => generating {on['notifications']:,} notifications at commit (one INSERT) peaks at "
      f"+{(on['peak_commit'] - off['peak_commit']) / 2**20:.1f} MiB over OFF "
      f"(~{(on['peak_commit'] - off['peak_commit']) / max(on['notifications'], 1) / 1024:.1f} KiB per notification),"
      f"\n     plus the queue held from the assignments to the commit (~{on['queue_bytes'] / max(on['queued'], 1):.0f} bytes per entry).")
hr("=")
print(f"total bench time {time.perf_counter() - T0:.0f}s; machine load average (1, 5, 15 min) at start "
      f"{'/'.join(f'{x:.1f}' for x in LOAD_AT_START)}, at end {'/'.join(f'{x:.1f}' for x in os.getloadavg())} "
      f"({os.cpu_count()} CPUs)")
print("BENCH-OK")
sys.stdout.flush()
