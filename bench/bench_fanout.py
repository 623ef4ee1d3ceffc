# Fan-out benchmark of crm_notifications, run inside Odoo by bench/run_fanout:
#
#     odoo shell -d DB --no-http < bench/bench_fanout.py
#
# A group customer notification (crm.customer.notification, kind "group",
# sent now) fanned out into the mail queue by its cron (_cron_send_due, one
# real COMMIT after each call, as Odoo's cron runner does), beside Odoo's own
# mass_mailing (mailing.mailing on res.partner, put in queue then its cron
# _process_mass_mailing_queue, which commits after each batch of mail.batch_size)
# for the same contacts, with the same body and its one placeholder.
# Nothing is sent: mails stay "outgoing" (mail.mail.force.send.limit = 0,
# the mail queue is never run). Knobs: BENCH_SIZES (default "10000,100000"),
# BENCH_WARMUP (default 500), BENCH_CHUNKS (default: the cron's own value).
# ruff: noqa: F821  (env is provided by odoo shell)
import ctypes
import gc
import os
import sys
import time
import tracemalloc

from odoo.sql_db import db_connect
from odoo.tools import SQL

from odoo.addons.crm_notifications.models import crm_customer_notification as ccn

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",")]
WARMUP = int(os.environ.get("BENCH_WARMUP", "500"))
CHUNKS = int(os.environ.get("BENCH_CHUNKS", str(ccn.CRON_CHUNKS)))
N_PARTNERS = max(SIZES)
# tracemalloc slows this ORM-heavy code down about 5x: the times come from an
# untraced run, the tracemalloc peak from a second, traced run of the same
# send, for the sizes up to BENCH_TRACE_MAX (100,000 traced takes ~30 min)
TRACE_MAX = int(os.environ.get("BENCH_TRACE_MAX", "10000"))
BODY = '<p>Dear <t t-out="object.name"/>,</p><p>Our new catalogue is out.</p>'
SUBJECT = "Bench news"

T0 = time.perf_counter()
LOAD_AT_START = os.getloadavg()
cr = env.cr
su = env(context={"lang": "en_US", "tz": "UTC", "tracking_disable": True})


def log(msg):
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


def count(table, where="TRUE"):
    cr.execute(f"SELECT count(*) FROM {table} WHERE {where}")  # fixed table names
    return cr.fetchone()[0]


def max_id(table):
    cr.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # fixed table names
    return cr.fetchone()[0]


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_rss_peak():
    """Give freed heap back to the OS (glibc malloc_trim), then reset VmHWM
    (the RSS high-water mark) to the current RSS (Linux >= 4.0)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def mib(value):
    return "n/a" if value is None else f"{value / 2**20:.1f}"


def ratio(a, b):
    return "n/a" if a is None or not b else f"{a / b:.2f}"


def vacuum(*tables):
    cr.commit()
    with db_connect(cr.dbname).cursor() as vcr:
        vcr._cnx.autocommit = True
        for table in tables:
            vcr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))


assert env.registry.ready

# ---------------------------------------------------------------------------
# Setup: no SMTP, customers, groups, tags (deterministic, committed)
# ---------------------------------------------------------------------------
log("setup: mail settings (nothing is sent), company e-mail")
ICP = su["ir.config_parameter"]
# mass_mailing's composer sends at once ("force_send") when it has at most
# this many recipients: 0 = never, mails stay outgoing in the queue
ICP.set_param("mail.mail.force.send.limit", "0")
ICP.set_param("mass_mailing.mass_mailing_reports", False)
su.company.email = "news@bench.example.com"
su.user.email = "admin@bench.example.com"
mail_batch = int(ICP.get_param("mail.batch_size") or 0) or su["mail.compose.message"]._batch_size
cr.commit()

log(f"setup: {N_PARTNERS:,} customers by SQL (INSERT ... SELECT generate_series)")
t0 = time.perf_counter()
lang = "en_US"
# email_normalized is a stored computed field: for these plain lowercase
# addresses Odoo's email_normalize() is lower(email), computed here in SQL
# (checked below against email_normalize on a sample)
cr.execute(SQL(
    """INSERT INTO res_partner
            (name, complete_name, email, email_normalized, ref, lang, active, type, is_company,
             color, create_uid, create_date, write_uid, write_date)
       SELECT 'Bench Customer ' || lpad(g::text, 6, '0'), 'Bench Customer ' || lpad(g::text, 6, '0'),
              'Bench.Customer.' || lpad(g::text, 6, '0') || '@example.com',
              lower('Bench.Customer.' || lpad(g::text, 6, '0') || '@example.com'),
              'BENCH' || lpad(g::text, 6, '0'), %(lang)s, TRUE, 'contact', FALSE,
              0, %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
         FROM generate_series(1, %(n)s) g ORDER BY g
    RETURNING id""",
    lang=lang, uid=env.uid, n=N_PARTNERS,
))
partner_ids = sorted(row[0] for row in cr.fetchall())
cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids])
cr.commit()
from odoo.tools import email_normalize  # noqa: E402

sample = su["res.partner"].browse(partner_ids[:: max(1, N_PARTNERS // 50)])
assert all(p.email_normalized == email_normalize(p.email) for p in sample), "email_normalized mismatch"
log(f"  done in {time.perf_counter() - t0:.1f}s (ids {partner_ids[0]}..{partner_ids[-1]})")

# one group and one tag per size (+ the warm-up): the first N customers
Group = su["crm.customer.group"]
Tag = su["res.partner.category"]
groups, tags = {}, {}
for size in [WARMUP, *SIZES]:
    groups[size] = Group.create({"name": f"Bench group {size}"})
    tags[size] = Tag.create({"name": f"Bench tag {size}"})
    members = partner_ids[:size]
    cr.execute(SQL(
        "INSERT INTO crm_customer_group_partner_rel (group_id, partner_id) SELECT %s, unnest(%s::int[])",
        groups[size].id, members,
    ))
    cr.execute(SQL(
        "INSERT INTO res_partner_res_partner_category_rel (category_id, partner_id) SELECT %s, unnest(%s::int[])",
        tags[size].id, members,
    ))
    su.invalidate_all()
    assert groups[size].partner_count == size
cr.commit()
vacuum("res_partner", "crm_customer_group_partner_rel", "res_partner_res_partner_category_rel")
log(f"  groups and tags of {', '.join(f'{s:,}' for s in [WARMUP, *SIZES])} customers; VACUUM ANALYZE done")

partner_model = su["ir.model"]._get("res.partner")


# ---------------------------------------------------------------------------
# The two systems
# ---------------------------------------------------------------------------
def run_ours(size, tag):
    """Group notification sent now: action_send(), then the cron's
    _cron_send_due(chunks) until nothing is due, COMMIT after each call."""
    Notification = su["crm.customer.notification"]
    notification = Notification.create({
        "name": f"{SUBJECT} {tag}", "body": BODY, "kind": "group", "group_id": groups[size].id,
        "timing": "now",
    })
    cr.commit()
    calls = 0
    notification.action_send()
    cr.commit()
    due = Notification._get_due_domain
    while True:
        Notification._cron_send_due(chunks=CHUNKS)
        cr.commit()  # as ir.cron does after each call
        su.invalidate_all()
        calls += 1
        if not Notification.search_count(due(time_now())):
            break
    notification.invalidate_recordset()
    assert notification.state == "sent", notification.state
    return {"calls": calls, "record": notification}


def time_now():
    from odoo import fields
    return fields.Datetime.now()


def run_odoo(size, tag):
    """mailing.mailing on res.partner (domain: the size's tag), put in
    queue, then its cron _process_mass_mailing_queue (which renders and
    creates the mails in batches, committing after each batch)."""
    Mailing = su["mailing.mailing"]
    mailing = Mailing.create({
        "subject": f"{SUBJECT} {tag}",
        "mailing_model_id": partner_model.id,
        "mailing_domain": repr([("category_id", "in", [tags[size].id])]),
        "body_arch": BODY,
        "body_html": BODY,
        "email_from": su.company.email_formatted,
        "keep_archives": False,
    })
    cr.commit()
    mailing.action_put_in_queue()
    cr.commit()
    calls = 0
    while True:
        Mailing._process_mass_mailing_queue()
        cr.commit()
        su.invalidate_all()
        calls += 1
        if mailing.state == "done" or calls > 5:
            break
    assert mailing.state == "done", mailing.state
    return {"calls": calls, "record": mailing}


SYSTEMS = {
    "ours": ("crm_notifications fan-out", run_ours),
    "odoo": ("Odoo mass_mailing", run_odoo),
}


def measure(system, size, tag, trace=True):
    label, func = SYSTEMS[system]
    mail0, msg0 = max_id("mail_mail"), max_id("mail_message")
    deliveries0, traces0 = count("crm_notification_delivery"), count("mailing_trace")
    su.invalidate_all()
    gc.collect()
    rss_reset = reset_rss_peak()
    rss0 = status_kib("VmRSS")
    if trace:
        tracemalloc.start()
        mem0 = tracemalloc.get_traced_memory()[0]
    q0 = cr.sql_log_count
    c0 = time.process_time()
    t0 = time.perf_counter()
    info = func(size, tag)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    queries = cr.sql_log_count - q0
    peak = (tracemalloc.get_traced_memory()[1] - mem0) if trace else None
    if trace:
        tracemalloc.stop()
    rss_peak = status_kib("VmHWM") if rss_reset else None
    rss_end = status_kib("VmRSS")
    mails = count("mail_mail", f"id > {int(mail0)} AND state = 'outgoing'")
    all_mails = count("mail_mail", f"id > {int(mail0)}")
    result = {
        "system": system, "label": label, "size": size, "wall": wall, "cpu": cpu, "queries": queries,
        "peak": peak, "rss_peak": (rss_peak - rss0) / 1024 if rss_peak else None,
        "rss_end": (rss_end - rss0) / 1024, "mails": mails, "all_mails": all_mails,
        "deliveries": count("crm_notification_delivery") - deliveries0,
        "traces": count("mailing_trace") - traces0, "calls": info["calls"],
    }
    # the mails must be the same: one per contact, the placeholder rendered
    cr.execute(SQL(
        """SELECT m.body_html, p.name FROM mail_mail m
             JOIN mail_mail_res_partner_rel r ON r.mail_mail_id = m.id
             JOIN res_partner p ON p.id = r.res_partner_id
            WHERE m.id > %s ORDER BY m.id LIMIT 1""", mail0))
    row = cr.fetchone()
    if row is None:  # mass_mailing addresses the mail by email_to, no recipient_ids
        cr.execute(SQL("SELECT body_html, email_to FROM mail_mail WHERE id > %s ORDER BY id LIMIT 1", mail0))
        row = cr.fetchone()
    result["sample"] = row
    # clean: the mails (and their mail.message), traces, so that sizes and
    # systems do not interfere
    cr.execute(SQL("SELECT mail_message_id FROM mail_mail WHERE id > %s", mail0))
    message_ids = [r[0] for r in cr.fetchall()]
    cr.execute("DELETE FROM mailing_trace")
    cr.execute(SQL("DELETE FROM mail_mail WHERE id > %s", mail0))
    cr.execute(SQL("DELETE FROM mail_message WHERE id = ANY(%s) OR id > %s AND model = 'mailing.mailing'",
                   message_ids, msg0))
    cr.execute("DELETE FROM crm_notification_delivery")
    cr.commit()
    su.invalidate_all()
    vacuum("mail_mail", "mail_message", "mail_mail_res_partner_rel", "mailing_trace", "crm_notification_delivery")
    return result


# ---------------------------------------------------------------------------
# Warm-up (QWeb compilation, caches), then the sizes
# ---------------------------------------------------------------------------
log(f"warm-up: both systems on {WARMUP} customers (not reported)")
for system in SYSTEMS:
    r = measure(system, WARMUP, "warm-up", trace=False)
    log(f"  {system}: {r['wall']:.1f}s, {r['mails']} mails")

results = []
for size in SIZES:
    for system in SYSTEMS:
        log(f"{SYSTEMS[system][0]}: {size:,} customers ...")
        r = measure(system, size, f"{size}", trace=False)
        if size <= TRACE_MAX:
            log("  traced run (tracemalloc) of the same send ...")
            rt = measure(system, size, f"{size} traced", trace=True)
            r["peak"], r["wall_traced"] = rt["peak"], rt["wall"]
        results.append(r)
        log(f"  {r['wall']:.1f}s wall, {r['cpu']:.1f}s CPU, peak {mib(r['peak'])} MiB (tracemalloc), "
            f"RSS peak +{r['rss_peak'] or 0:.1f} MiB, {r['queries']:,} queries, {r['mails']:,} mails outgoing "
            f"({r['all_mails']:,} created), {r['deliveries']:,} deliveries, {r['traces']:,} traces, "
            f"{r['calls']} cron call(s)")
        assert r["mails"] == size, f"{system}: {r['mails']} mails for {size} customers"
        log(f"  first mail: {str(r['sample'][0])[:90]!r} -> {r['sample'][1]}")


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------
def hr(ch="-"):
    print(ch * 118)


print()
hr("=")
print("Fan-out of one message to a customer group into the mail queue (mail.mail, outgoing, nothing sent)")
print(f"  ours: crm.customer.notification (group, now): action_send() then _cron_send_due(chunks={CHUNKS}) "
      f"x chunk size {ccn.CrmCustomerNotification._chunk_size}, COMMIT after each call")
print(f"  Odoo: mailing.mailing on res.partner (domain: a tag on the same customers): action_put_in_queue() then "
      f"_process_mass_mailing_queue()\n        (mail.compose.message mass_mail, batches of {mail_batch}, "
      f"COMMIT after each batch)")
print(f"  same body for both: {BODY}")
hr()
print(f"{'size':>8}  {'system':<26}{'wall':>8}{'CPU':>8}{'peak':>9}{'RSS':>9}{'queries':>10}{'q/mail':>8}"
      f"{'ms/mail':>9}{'mails':>9}{'deliv.':>9}{'calls':>7}")
print(f"{'':>8}  {'':<26}{'s':>8}{'s':>8}{'MiB':>9}{'MiB':>9}{'':>10}{'':>8}{'':>9}{'':>9}{'':>9}{'':>7}")
hr()
for r in results:
    rss = f"{r['rss_peak']:.1f}" if r["rss_peak"] is not None else "n/a"
    print(f"{r['size']:>8,}  {r['label']:<26}{r['wall']:>8.1f}{r['cpu']:>8.1f}{mib(r['peak']):>9}{rss:>9}"
          f"{r['queries']:>10,}{r['queries'] / r['mails']:>8.2f}{1000 * r['wall'] / r['mails']:>9.2f}"
          f"{r['mails']:>9,}{r['deliveries']:>9,}{r['calls']:>7}")
hr()
by = {(r["system"], r["size"]): r for r in results}
for size in SIZES:
    o, m = by["ours", size], by["odoo", size]
    print(f"  {size:>7,}: ours/Odoo wall x{o['wall'] / m['wall']:.2f}, CPU x{o['cpu'] / m['cpu']:.2f}, "
          f"peak memory x{ratio(o['peak'], m['peak'])}, queries x{o['queries'] / m['queries']:.2f}")
if len(SIZES) > 1:
    a, b = SIZES[0], SIZES[-1]
    for system in SYSTEMS:
        print(f"  {SYSTEMS[system][0]}: {b:,} vs {a:,} customers: wall x{by[system, b]['wall'] / by[system, a]['wall']:.1f}, "
              f"peak memory x{ratio(by[system, b]['peak'], by[system, a]['peak'])}")
print(f"  wall, CPU, queries, RSS: untraced run. peak = tracemalloc peak of Python allocations during the whole send,\n"
      f"  from a second run of the same send with tracing on (sizes <= {TRACE_MAX:,}; n/a above: BENCH_TRACE_MAX=100000\n"
      f"  to trace them, ~5x slower). RSS = the process's RSS high-water mark during the send minus its RSS before\n"
      f"  (malloc_trim, /proc/self/clear_refs, VmHWM): memory the process had to take from the OS for this send;\n"
      f"  freed memory kept by Python's allocator from earlier runs is reused without showing here.")
hr("=")
print(f"total bench time {time.perf_counter() - T0:.0f}s; machine load average (1, 5, 15 min) at start "
      f"{'/'.join(f'{x:.1f}' for x in LOAD_AT_START)}, at end {'/'.join(f'{x:.1f}' for x in os.getloadavg())} "
      f"({os.cpu_count()} CPUs)")
print("BENCH-OK")
sys.stdout.flush()
