# Activity-alert scan benchmark of crm_notifications, run inside Odoo by
# bench/run_activity_scan:
#
#     odoo shell -d DB --no-http < bench/bench_activity_scan.py
#
# mail.activity is bulk-loaded by SQL to 10,000, then 100,000, then 1,000,000
# rows, of which exactly 1,000 are due for an alert (500 reminders, 500
# escalations) at every size; the rest are not due: future deadlines (alerts
# pending but far away), past activities whose alerts went out, archived ones.
# At each size: the cron's scan (_crm_alerts_due for both kinds, what one
# cron call scans) timed over BENCH_REPS repetitions, rolled back after each;
# EXPLAIN (ANALYZE, BUFFERS) of both scans; one full cron run sending the
# 1,000 due alerts (claims, mails, in-app), committed after each call as
# Odoo's cron runner does, then undone so that the next size has the same
# due set. Knobs: BENCH_SIZES (default "10000,100000,1000000"), BENCH_REPS.
#
# BENCH_LADDER=1 (issue 13): the company counts alert hours in working hours
# (a Monday-Friday 08:00-12:00 / 13:00-17:00 schedule, UTC) and escalates on
# a ladder of three levels (24, 48 and 72 working hours after the deadline);
# the due escalations are 14 to 43 days late (every level due: 1,500 level
# sends), the future ones 14 days ahead or more (out of the reminder's 24
# working hours), and 500 more activities are half-way up the ladder (level
# 1 sent, level 2 not due): read by the escalation scan, never returned.
#
# BENCH_LADDER=1 (issue 13): the company counts alert hours in working hours
# (a Monday-Friday 08:00-12:00 / 13:00-17:00 schedule, UTC) and escalates on
# a ladder of three levels (24, 48 and 72 working hours after the deadline);
# the due escalations are 14 to 43 days late (every level due: 1,500 level
# sends), the future ones 14 days ahead or more (out of the reminder's 24
# working hours), and 500 more activities are half-way up the ladder (level
# 1 sent, level 2 not due): read by the escalation scan, never returned.
# ruff: noqa: F821  (env is provided by odoo shell)
import datetime
import os
import statistics
import sys
import time

from odoo import Command, fields
from odoo.sql_db import db_connect
from odoo.tools import SQL

from odoo.addons.crm_notifications.models import mail_activity as ma

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000,1000000").split(",")]
REPS = int(os.environ.get("BENCH_REPS", "200"))
N_DUE_REMINDER = 500
N_DUE_ESCALATION = 500
N_DUE = N_DUE_REMINDER + N_DUE_ESCALATION
N_USERS = 10
N_LEADS = 50
LADDER = os.environ.get("BENCH_LADDER") == "1"
N_MID_LADDER = 500 if LADDER else 0

T0 = time.perf_counter()
LOAD_AT_START = os.getloadavg()
cr = env.cr
su = env(context={"lang": "en_US", "tz": "UTC", "tracking_disable": True, "no_reset_password": True,
                  "mail_create_nosubscribe": True, "mail_create_nolog": True})


def log(msg):
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


def count(table, where="TRUE"):
    cr.execute(f"SELECT count(*) FROM {table} WHERE {where}")  # fixed table names
    return cr.fetchone()[0]


def max_id(table):
    cr.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # fixed table names
    return cr.fetchone()[0]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def vacuum(*tables):
    cr.commit()
    with db_connect(cr.dbname).cursor() as vcr:
        vcr._cnx.autocommit = True
        for table in tables:
            for _attempt in range(5):  # see bench_notifications.py: async commit
                vcr.execute(SQL("VACUUM (FREEZE, ANALYZE) %s", SQL.identifier(table)))
                vcr.execute("SELECT relallvisible, relpages FROM pg_class WHERE relname = %s", [table])
                visible, pages = vcr.fetchone()
                if visible >= pages:
                    break


assert env.registry.ready

# ---------------------------------------------------------------------------
# Setup (deterministic, committed)
# ---------------------------------------------------------------------------
log(f"setup: {N_USERS} assignees, an escalation recipient, {N_LEADS} leads, mail settings")
su["ir.config_parameter"].set_param("mail.mail.force.send.limit", "0")  # nothing sent, queue not run
g_user = su.ref("base.group_user")
Users = su["res.users"]
assignees = Users.create([
    {"name": f"Bench Assignee {i:02d}", "login": f"bench_assignee_{i:02d}", "tz": "UTC",
     "email": f"bench.assignee.{i:02d}@example.com", "groups_id": [Command.set([g_user.id])]}
    for i in range(N_USERS)
])
manager = Users.create({"name": "Bench Escalation Manager", "login": "bench_manager", "tz": "UTC",
                        "email": "bench.manager@example.com", "groups_id": [Command.set([g_user.id])]})
company = su.company
company.write({"crm_activity_escalation_user_ids": [Command.set(manager.ids)],
               "crm_activity_reminder_hours": 24, "crm_activity_late_hours": 24})
if LADDER:
    calendar = su["resource.calendar"].create({
        "name": "Bench office (UTC)", "tz": "UTC",
        "attendance_ids": [Command.create({"name": f"{day} {start}", "dayofweek": str(day), "hour_from": start,
                                           "hour_to": end, "day_period": period})
                           for day in range(5) for start, end, period in ((8, 12, "morning"), (13, 17, "afternoon"))],
    })
    company.write({
        "resource_calendar_id": calendar.id, "crm_activity_working_hours": True,
        "crm_activity_escalation_level_ids": [Command.clear()] + [
            Command.create({"hours": hours, "user_ids": [Command.set(manager.ids)], "notify_manager": True})
            for hours in (24, 48, 72)],
    })
leads = su["crm.lead"].create([{"name": f"Bench lead {i:03d}", "user_id": assignees[i % N_USERS].id}
                               for i in range(N_LEADS)])
cr.commit()
lead_model_id = su["ir.model"]._get_id("crm.lead")
todo = su.ref("mail.mail_activity_data_todo")
# all assignees are on UTC: an activity is due at date_deadline 23:59:59 UTC
# (schedule.deadline_utc), computed below in SQL for the bulk load
now = fields.Datetime.now()
today = now.date()
assert now < datetime.datetime.combine(today, datetime.time(23, 59, 0)), "run again in a minute (midnight UTC)"
log(f"  now (UTC) {now}; assignees {assignees[0].id}..{assignees[-1].id}, manager {manager.id}")


def insert(first, last, kind):
    """Insert activities g = first..last of ``kind``:

    - "due_reminder": due today (23:59:59 UTC, within the 24 hours of the
      reminder), no alert sent yet;
    - "due_escalation": due 2 to 31 days ago, reminded, not escalated yet;
    - "rest", by g mod 10: 0-4 due 2 to 365 days ahead (both alerts
      pending, not due yet); 5-8 due 3 to 730 days ago, both alerts sent for
      their deadline; 9 the same dates, archived (done).
    """
    d = SQL("(%s::date + g.off)", today)
    level_for, hours_done = SQL("NULL::timestamp"), SQL("NULL::int")
    if kind == "mid_ladder":
        # level 1 sent for this deadline, level 2 not due yet
        offset = SQL("%s", MID_LADDER_OFFSET)
        active = SQL("TRUE")
        reminder, escalation = SQL("(%s + time '23:59:59')", d), SQL("NULL::timestamp")
        level_for, hours_done = SQL("(%s + time '23:59:59')", d), SQL("24")
    elif kind == "due_reminder":
        offset = SQL("0")
        active = SQL("TRUE")
        reminder = escalation = SQL("NULL::timestamp")
    elif kind == "due_escalation":
        offset = SQL("-(14 + mod(g, 30))") if LADDER else SQL("-(2 + mod(g, 30))")
        active = SQL("TRUE")
        reminder, escalation = SQL("(%s + time '23:59:59')", d), SQL("NULL::timestamp")
    else:
        offset = SQL("CASE WHEN mod(g, 10) < 5 THEN %s + mod(g * 7, 364) ELSE -(3 + mod(g * 13, 728)) END",
                     14 if LADDER else 2)
        active = SQL("mod(g, 10) <> 9")
        reminder = escalation = SQL(
            "CASE WHEN mod(g, 10) BETWEEN 5 AND 8 THEN %s + time '23:59:59' END", d)
    cr.execute(SQL(
        """INSERT INTO mail_activity
                (res_model_id, res_model, res_id, res_name, activity_type_id, user_id, summary,
                 date_deadline, crm_deadline_utc, active, crm_reminder_done_for, crm_escalation_done_for,
                 crm_escalation_level_for, crm_escalation_hours_done, automated, create_uid, create_date, write_uid, write_date)
           SELECT %(model_id)s, 'crm.lead', (%(leads)s::int[])[1 + mod(g.g, %(n_leads)s)],
                  'Bench lead ' || mod(g.g, %(n_leads)s), %(type)s,
                  (%(users)s::int[])[1 + mod(g.g, %(n_users)s)], %(kind)s || ' ' || g.g,
                  %(d)s, %(d)s + time '23:59:59', %(active)s, %(reminder)s, %(escalation)s,
                  %(level_for)s, %(hours_done)s, FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
             FROM (SELECT g, %(offset)s AS off FROM generate_series(%(first)s, %(last)s) g) g
            ORDER BY g.g""",
        model_id=lead_model_id, leads=leads.ids, n_leads=N_LEADS, type=todo.id, users=assignees.ids,
        n_users=N_USERS, kind=kind, d=d, active=active, reminder=reminder, escalation=escalation,
        uid=env.uid, now=now, offset=offset, first=first, last=last, level_for=level_for, hours_done=hours_done,
    ))


def scan_sql(kind):
    from_, where = su["mail.activity"]._crm_alerts_query(kind, now)
    return SQL(
        """SELECT a.id FROM %(from_)s WHERE %(where)s
         ORDER BY a.crm_deadline_utc, a.id LIMIT %(limit)s FOR NO KEY UPDATE OF a SKIP LOCKED""",
        from_=from_, where=where, limit=ma.CRON_BATCH_SIZE,
    )


def due_counts():
    Activity = su["mail.activity"]
    return {kind: Activity._crm_alerts_due_count(kind, fields.Datetime.now()) for kind in ma.ALERT_KINDS}


log(f"setup: the {N_DUE:,} due activities ({N_DUE_REMINDER} reminders, {N_DUE_ESCALATION} escalations)")
insert(0, N_DUE_REMINDER - 1, "due_reminder")
insert(N_DUE_REMINDER, N_DUE - 1, "due_escalation")
if LADDER:
    # a deadline between "48 working hours ago" and "24 working hours ago"
    Activity = su["mail.activity"]
    bound1, bound2 = (Activity._crm_alert_shift(company, now, -hours) for hours in (24, 48))
    MID_LADDER_OFFSET = next(off for off in range(-1, -30, -1) if bound2 < datetime.datetime.combine(
        today + datetime.timedelta(days=off), datetime.time(23, 59, 59)) <= bound1)
    log(f"  {N_MID_LADDER} half-way up the ladder, due {today + datetime.timedelta(days=MID_LADDER_OFFSET)}")
    insert(N_DUE, N_DUE + N_MID_LADDER - 1, "mid_ladder")
cr.execute("SELECT id, crm_reminder_done_for, crm_escalation_done_for, crm_escalation_level_for, "
           "crm_escalation_hours_done FROM mail_activity "
           "WHERE summary LIKE 'due\\_%%' OR summary LIKE 'mid\\_%%' ORDER BY id")
due_state = cr.fetchall()
cr.commit()
loaded = N_DUE + N_MID_LADDER
results = []
for size in SIZES:
    # ---- grow the table
    log(f"size {size:,}: bulk-loading {size - loaded:,} not-due activities by SQL")
    t0 = time.perf_counter()
    if size > loaded:
        insert(loaded, size - 1, "rest")
    loaded = size
    cr.commit()
    vacuum("mail_activity")
    total = count("mail_activity")
    log(f"  loaded in {time.perf_counter() - t0:.1f}s, VACUUM (FREEZE, ANALYZE) done; {total:,} activities, "
        f"{count('mail_activity', 'NOT active'):,} archived; pending-alert index sizes: " + ", ".join(
            f"{kind} {count('mail_activity', f'active AND ({done} IS NULL OR {done} <> crm_deadline_utc)'):,}"
            for kind, (_h, done, *_r) in ma.ALERT_KINDS.items()))
    counts = due_counts()
    assert counts == {"reminder": N_DUE_REMINDER, "escalation": N_DUE_ESCALATION}, counts
    r = {"size": total, "due": sum(counts.values())}

    # ---- the scan alone: what one cron call scans (both kinds)
    Activity = su["mail.activity"]
    for _warm in range(10):
        Activity._crm_alerts_due("reminder", now)
        Activity._crm_alerts_due("escalation", now)
        cr.rollback()
    times = {"reminder": [], "escalation": [], "both": []}
    q0 = cr.sql_log_count
    for _rep in range(REPS):
        t0 = time.perf_counter()
        got_r = Activity._crm_alerts_due("reminder", now)
        t1 = time.perf_counter()
        got_e = Activity._crm_alerts_due("escalation", now)
        t2 = time.perf_counter()
        cr.rollback()  # releases the row locks: the due set stays the same
        times["reminder"].append(1000 * (t1 - t0))
        times["escalation"].append(1000 * (t2 - t1))
        times["both"].append(1000 * (t2 - t0))
        assert len(got_r) == len(got_e) == ma.CRON_BATCH_SIZE
    r["queries"] = (cr.sql_log_count - q0) / REPS
    for key, values in times.items():
        r[f"{key}_median"] = statistics.median(values)
        r[f"{key}_p95"] = pct(values, 95)
    log(f"  scan x{REPS}: reminder median {r['reminder_median']:.3f} ms, escalation median "
        f"{r['escalation_median']:.3f} ms, both median {r['both_median']:.3f} / p95 {r['both_p95']:.3f} ms")
    # due count (the cron runs it when a batch is full)
    t0 = time.perf_counter()
    due_counts()
    r["count_ms"] = 1000 * (time.perf_counter() - t0)
    cr.rollback()

    # ---- EXPLAIN (ANALYZE, BUFFERS) of both scans
    r["plans"], r["buffers"] = {}, {}
    for kind in ma.ALERT_KINDS:
        cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", scan_sql(kind)))
        plan = [row[0] for row in cr.fetchall()]
        cr.rollback()
        r["plans"][kind] = plan
        buffers = next((line.split("Buffers:")[1].strip() for line in plan if "Buffers:" in line), "")
        r["buffers"][kind] = buffers
        hit = sum(int(part.split("=")[1]) for part in buffers.replace("shared ", "").split()
                  if part.startswith(("hit=", "read=")))
        r[f"{kind}_pages"] = hit

    # the due count, which the cron runs after a full batch
    for kind in ma.ALERT_KINDS:
        from_, where = su["mail.activity"]._crm_alerts_query(kind, now)
        cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM %s WHERE %s", from_, where))
        r["plans"][f"{kind} due count"] = [row[0] for row in cr.fetchall()]
        cr.rollback()

    # ---- one full cron run for the 1,000 due alerts, committed per call
    mail0, notif0, msg0 = max_id("mail_mail"), max_id("crm_notification"), max_id("mail_message")
    deliveries0 = count("crm_notification_delivery")
    calls, q0 = 0, cr.sql_log_count
    t0 = time.perf_counter()
    c0 = time.process_time()
    while True:
        Activity._cron_send_activity_alerts()
        cr.commit()  # as ir.cron does after each call
        su.invalidate_all()
        calls += 1
        if not any(due_counts().values()) or calls > 50:
            break
    r["full_s"] = time.perf_counter() - t0
    r["full_cpu"] = time.process_time() - c0
    r["full_queries"] = cr.sql_log_count - q0
    r["calls"] = calls
    r["mails"] = count("mail_mail", f"id > {int(mail0)}")
    r["inapp"] = count("crm_notification", f"id > {int(notif0)}")
    r["deliveries"] = count("crm_notification_delivery") - deliveries0
    log(f"  full cron run: {r['full_s']:.2f}s ({r['full_cpu']:.2f}s CPU), {calls} calls, {r['full_queries']:,} "
        f"queries; {r['mails']:,} mails, {r['inapp']:,} in-app notifications, {r['deliveries']:,} deliveries")
    assert not any(due_counts().values())
    results.append(r)

    # ---- undo the run: the next size has the same 1,000 due
    cr.execute(SQL("SELECT mail_message_id FROM mail_mail WHERE id > %s", mail0))
    message_ids = [row[0] for row in cr.fetchall()]
    cr.execute("DELETE FROM crm_notification_delivery WHERE res_model = 'mail.activity'")
    cr.execute(SQL("DELETE FROM mail_mail WHERE id > %s", mail0))
    cr.execute(SQL("DELETE FROM mail_message WHERE id = ANY(%s)", message_ids))
    cr.execute(SQL("DELETE FROM crm_notification WHERE id > %s", notif0))
    cr.execute("DELETE FROM bus_bus")
    cr.execute(SQL(
        """UPDATE mail_activity a SET crm_reminder_done_for = s.r, crm_escalation_done_for = s.e,
                  crm_escalation_level_for = s.l, crm_escalation_hours_done = s.h
             FROM unnest(%s::int[], %s::timestamp[], %s::timestamp[], %s::timestamp[], %s::int[])
                  AS s(id, r, e, l, h) WHERE a.id = s.id""",
        *([row[i] for row in due_state] for i in range(5)),
    ))
    cr.commit()
    su.invalidate_all()
    vacuum("crm_notification_delivery", "mail_mail", "mail_message", "crm_notification")

# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


def hr(ch="-"):
    print(ch * 118)


base = results[0]
print()
hr("=")
print(f"Activity alerts: scan with {N_DUE:,} due ({N_DUE_REMINDER} reminders, {N_DUE_ESCALATION} escalations) "
      f"among growing numbers of activities")
print("  not due: 50% due 2-365 days ahead (alerts pending), 40% past with both alerts sent, 10% archived."
      if not LADDER else
      f"  LADDER: working hours on, 3 escalation levels (24/48/72 working h; {N_DUE_ESCALATION} activities x 3 "
      f"levels due), {N_MID_LADDER} half-way up the ladder;\n  not due: 50% due 14-377 days ahead, 40% past with "
      "both alerts sent, 10% archived.")
print(f"  scan = mail.activity._crm_alerts_due('reminder') + _crm_alerts_due('escalation') (limit "
      f"{ma.CRON_BATCH_SIZE} each, what one cron call scans),\n  {REPS} repetitions, ROLLBACK after each; "
      f"full run = _cron_send_activity_alerts() until nothing is due, COMMIT after each call.")
hr()
print(f"{'activities':>11}{'due':>6}{'scan ms':>9}{'scan ms':>9}{'x vs':>7}{'remind':>8}{'escal.':>8}"
      f"{'pages':>7}{'pages':>7}{'count':>7}{'full':>7}{'x vs':>6}{'calls':>6}{'mails':>7}{'in-app':>7}"
      f"{'deliv.':>7}")
print(f"{'':>11}{'':>6}{'median':>9}{'p95':>9}{'10k':>7}{'median':>8}{'median':>8}"
      f"{'remind':>7}{'escal.':>7}{'ms':>7}{'run s':>7}{'10k':>6}{'':>6}{'':>7}{'':>7}{'':>7}")
hr()
for r in results:
    print(f"{r['size']:>11,}{r['due']:>6,}{r['both_median']:>9.3f}{r['both_p95']:>9.3f}"
          f"{r['both_median'] / base['both_median']:>7.2f}{r['reminder_median']:>8.3f}{r['escalation_median']:>8.3f}"
          f"{r['reminder_pages']:>7}{r['escalation_pages']:>7}{r['count_ms']:>7.2f}{r['full_s']:>7.2f}"
          f"{r['full_s'] / base['full_s']:>6.2f}{r['calls']:>6}{r['mails']:>7,}{r['inapp']:>7,}{r['deliveries']:>7,}")
hr()
last = results[-1]
print(f"  {last['size'] / base['size']:.0f}x the activities: scan x{last['both_median'] / base['both_median']:.2f} "
      f"(median), full run x{last['full_s'] / base['full_s']:.2f}; pages = shared buffers (hit + read) of the scan "
      f"(EXPLAIN BUFFERS); {base['queries']:.0f} queries per scan pair.")
print("  count ms = _crm_alerts_due_count for both kinds (an exact count of the due ones, which the cron no longer runs).")
hr()
for r in results:
    for kind in r["plans"]:
        print(f"  EXPLAIN (ANALYZE, BUFFERS) {kind}{'' if 'count' in kind else ' scan'}, {r['size']:,} activities:")
        for line in r["plans"][kind]:
            print("    " + line)
hr("=")
print(f"total bench time {time.perf_counter() - T0:.0f}s; machine load average (1, 5, 15 min) at start "
      f"{'/'.join(f'{x:.1f}' for x in LOAD_AT_START)}, at end {'/'.join(f'{x:.1f}' for x in os.getloadavg())} "
      f"({os.cpu_count()} CPUs)")
print("BENCH-OK")
sys.stdout.flush()
