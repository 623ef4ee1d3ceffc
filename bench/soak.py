"""Soak harness of crm_notifications: run by bench/soak (see bench/README.md).

Runs Odoo as production does (prefork: HTTP workers, cron workers, the
gevent worker of the websocket), a real SMTP server (STARTTLS, AUTH) that
writes every message it accepts to disk, and measures, for group customer
notifications of crm_notifications and for Odoo's own mass_mailing sending
the same customers, whether each customer receives the message exactly once
when faults are injected: a killed fan-out worker, a killed mail-queue
worker, a second process on the same send, an SMTP outage, users assigning
leads to each other (with the live counter's latency over the websocket).

Everything counted comes from what was measured: the SMTP server's spool,
the database (delivery log, mailing traces, mail queue), Odoo's log.
"""

import datetime
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from soak_client import PSQL, RPC, BusSocket, OdooLog, RPCError, pid_alive, websocket_probe  # noqa: E402
from soak_smtp import Spool  # noqa: E402


def env_int(name, default):
    return int(os.environ.get(name) or default)


CUSTOMERS = env_int("SOAK_CUSTOMERS", 3000)
REPEAT = env_int("SOAK_REPEAT", 3)
SCENARIOS = [s.strip() for s in (os.environ.get("SOAK_SCENARIOS") or "a,b,c,d,e,f").split(",") if s.strip()]
SYSTEMS = [s.strip() for s in (os.environ.get("SOAK_SYSTEMS") or "ours,mass").split(",") if s.strip()]
DRAIN_TIMEOUT = env_int("SOAK_DRAIN_TIMEOUT", 600)
OUTAGE = env_int("SOAK_OUTAGE", 20)
F_SECONDS = env_int("SOAK_F_SECONDS", 75)
F_USERS = env_int("SOAK_F_USERS", 4)
# a cron that has work but is neither running, nor triggered, nor due is
# woken after this many seconds (see "kicks" in the README)
GRACE = env_int("SOAK_GRACE", 20)
# a cron whose trigger or next call is within this many seconds is left alone
SOON = env_int("SOAK_SOON", 300)
# wall-clock budget of one scenario, from its send to the end of its drain
BUDGET = env_int("SOAK_SCENARIO_BUDGET", 900)
FAULT_WAIT = 300  # longest wait for the moment of a fault (a job start, messages arriving)
PUSH_TIMEOUT = 10
SMTP_USER, SMTP_PASS = "soak-smtp", "soak-smtp-secret"
USER_PASSWORD = "soak-password-1"
SYSTEM_LABEL = {"ours": "crm_notifications", "mass": "mass_mailing"}
FAULTS = {
    "a": "none (baseline)",
    "b": "SIGKILL of the fan-out cron worker",
    "c": "SIGKILL of the mail-queue cron worker while sending",
    "d": "second process (odoo shell) on the same send",
    "e": f"SMTP server down {OUTAGE} s while sending",
    "f": f"{F_USERS} users assigning leads for {F_SECONDS} s (websocket)",
}
T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------
PROCS = []


class Proc:
    """A child in a session of its own: stopping it stops its whole process
    group (Odoo's master and its workers), by its id."""

    def __init__(self, name, cmd, stdout, stdin=None, env=None):
        self.name = name
        self.popen = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.STDOUT, stdin=stdin, env=env,
                                      start_new_session=True)
        self.pid = self.popen.pid
        PROCS.append(self)

    def alive(self):
        return self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout=20):
        if self.alive():
            self.kill(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill(signal.SIGKILL)  # leftovers of the group (workers)
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass
        if self in PROCS:
            PROCS.remove(self)


def stop_all():
    for proc in reversed(list(PROCS)):
        proc.stop(timeout=10)


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def pick_ports(count):
    wanted = [int(p) for p in (os.environ.get("SOAK_PORTS") or "").split(",") if p]
    if wanted:
        return wanted[:count]
    free = [p for p in range(8490, 8500) if port_free(p)] + [p for p in range(8480, 8490) if port_free(p)]
    if len(free) < count:
        raise SystemExit(f"not enough free ports in 8480-8499 (free: {free})")
    return free[:count]


def wait_until(predicate, timeout, interval=0.2, tick=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        if tick:
            tick()
        time.sleep(interval)
    return None


# ---------------------------------------------------------------------------
# The harness
# ---------------------------------------------------------------------------
class Harness:
    def __init__(self, args):
        self.args = args
        self.run_dir = args["run_dir"]
        self.db = "crm_notifications_soak"
        self.ports = dict(zip(("smtp", "http", "gevent"), pick_ports(3), strict=True))
        self.base_url = f"http://127.0.0.1:{self.ports['http']}"
        self.ws_url = f"ws://127.0.0.1:{self.ports['gevent']}/websocket"
        self.psql = PSQL(args["psql"], self.db)
        self.spool_dir = os.path.join(self.run_dir, "spool")
        self.spool = Spool(self.spool_dir)
        self.odoo_log_path = os.path.join(self.run_dir, "odoo.log")
        self.odoo_log = OdooLog(self.odoo_log_path)
        self.smtp = None
        self.odoo = None
        self.results = []
        self.baseline_job_seconds = {}
        self.common = [
            f"--db_host={os.environ['PGHOST']}", f"--db_port={os.environ['PGPORT']}", "--db_user=odoo",
            f"--data-dir={args['data_dir']}",
        ]
        if os.environ.get("ODOO_ADDONS_PATH"):
            self.common.append(f"--addons-path={os.environ['ODOO_ADDONS_PATH']}")

    # -- SMTP -----------------------------------------------------------
    def smtp_start(self):
        cmd = [sys.executable, os.path.join(HERE, "soak_smtp.py"), "--port", str(self.ports["smtp"]),
               "--spool", self.spool_dir, "--cert", os.path.join(self.run_dir, "smtp-cert.pem"),
               "--key", os.path.join(self.run_dir, "smtp-key.pem"), "--user", SMTP_USER,
               "--password", SMTP_PASS, "--log", os.path.join(self.run_dir, "smtp.log"),
               "--stats", os.path.join(self.run_dir, "smtp-stats.json")]
        out = open(os.path.join(self.run_dir, "smtp.out"), "ab")
        self.smtp = Proc("smtp", cmd, stdout=out)
        ok = wait_until(lambda: not port_free(self.ports["smtp"]) or not self.smtp.alive(), 30)
        if not ok or not self.smtp.alive():
            raise RuntimeError("the SMTP server did not start: " + open(os.path.join(self.run_dir, "smtp.out")).read()[-2000:])

    def smtp_stop(self):
        self.smtp.kill(signal.SIGKILL)
        self.smtp.stop(timeout=5)
        wait_until(lambda: port_free(self.ports["smtp"]), 10)

    def smtp_stats(self):
        try:
            with open(os.path.join(self.run_dir, "smtp-stats.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    # -- Odoo -----------------------------------------------------------
    def odoo_cmd(self, *extra, command=None):
        return [self.args["odoo_bin"], *([command] if command else []), *self.common, *extra]

    def install(self):
        path = os.path.join(self.run_dir, "install.log")
        with open(path, "wb") as out:
            proc = Proc("install", self.odoo_cmd(
                "-d", self.db, "-i", "crm_notifications,mass_mailing", "--without-demo=all",
                "--stop-after-init", "--log-level=warn", "--log-handler=odoo.tools.translate:ERROR"), stdout=out)
            rc = proc.popen.wait(1200)
            PROCS.remove(proc)
        text = open(path, errors="replace").read()
        if rc or " ERROR " in text or " CRITICAL " in text:
            raise RuntimeError(f"install failed (rc {rc}):\n{text[-4000:]}")
        self.psql.run(open(os.path.join(self.args["repo"], "scripts", "_offline.sql")).read())

    def shell(self, script, env_extra, name, wait=True):
        env = dict(os.environ, **env_extra)
        path = os.path.join(self.run_dir, f"{name}.log")
        out = open(path, "ab")
        proc = Proc(name, self.odoo_cmd("-d", self.db, "--no-http", "--log-level=info",
                                        f"--logfile={path}.odoo", command="shell"),
                    stdout=out, stdin=open(script, "rb"), env=env)
        if wait:
            rc = proc.popen.wait(1200)
            PROCS.remove(proc)
            return rc, path
        return proc, path

    def setup(self):
        out = os.path.join(self.run_dir, "setup.json")
        rc, path = self.shell(os.path.join(HERE, "soak_setup.py"), {
            "SOAK_CUSTOMERS": str(CUSTOMERS), "SOAK_USERS": str(F_USERS),
            "SOAK_SMTP_PORT": str(self.ports["smtp"]), "SOAK_SMTP_USER": SMTP_USER,
            "SOAK_SMTP_PASS": SMTP_PASS, "SOAK_BASE_URL": self.base_url,
            "SOAK_USER_PASSWORD": USER_PASSWORD, "SOAK_SETUP_OUT": out,
        }, "setup")
        text = open(path, errors="replace").read()
        if rc or "SOAK-SETUP-OK" not in text:
            odoo_log = open(path + ".odoo", errors="replace").read() if os.path.exists(path + ".odoo") else ""
            raise RuntimeError(f"setup failed (rc {rc}):\n{text[-3000:]}\n{odoo_log[-3000:]}")
        with open(out) as f:
            self.cfg = json.load(f)
        self.cfg["emails"] = {int(k): v for k, v in self.cfg["emails"].items()}
        self.partner_of = {email: pid for pid, email in self.cfg["emails"].items()}

    def odoo_start(self):
        self.odoo_args = [
            "-d", self.db, f"--db-filter=^{self.db}$",
            "--workers", "2", "--max-cron-threads", "2",
            "--http-interface", "127.0.0.1", "--http-port", str(self.ports["http"]),
            "--gevent-port", str(self.ports["gevent"]),
            # Odoo's defaults, stated
            "--limit-time-real", "120", "--limit-time-cpu", "60",
            f"--logfile={self.odoo_log_path}", "--log-level=info",
        ]
        out = open(os.path.join(self.run_dir, "odoo.out"), "ab")
        self.odoo = Proc("odoo", self.odoo_cmd(*self.odoo_args), stdout=out)

        def up():
            try:
                with urllib.request.urlopen(self.base_url + "/web/login", timeout=5) as r:
                    return r.status == 200
            except Exception:
                return False

        if not wait_until(up, 180, interval=1):
            raise RuntimeError("Odoo did not answer on /web/login within 180 s; log tail:\n"
                               + open(self.odoo_log_path, errors="replace").read()[-3000:])

    def gevent_state(self, rpc):
        """(served, detail): the websocket opens and subscribes, and the log
        has no DistributionNotFound (the gevent worker dying at start)."""
        self.odoo_log.poll()
        dist = [r for r in self.odoo_log.records
                if "DistributionNotFound" in r["message"] or any("DistributionNotFound" in x for x in r["extra"])]
        ok, detail = websocket_probe(self.ws_url, rpc, self.cfg["websocket_version"])
        if dist:
            return False, f"DistributionNotFound x{len(dist)} in the log; websocket: {detail}"
        return ok, detail

    # -- crons ----------------------------------------------------------
    def cron_waiting(self, role):
        """Whether Odoo will run this cron by itself soon: a trigger or its
        nextcall within SOON seconds, or a worker running it."""
        cron_id = self.cfg["crons"][role]
        soon = f"now() at time zone 'UTC' + interval '{SOON} seconds'"
        row = self.psql.rows(
            f"SELECT active, nextcall <= {soon}, "
            f"(SELECT count(*) FROM ir_cron_trigger WHERE cron_id = {cron_id} AND call_at <= {soon}) "
            f"FROM ir_cron WHERE id = {cron_id}")[0]
        active, due, triggers = row[0] == "t", row[1] == "t", int(row[2])
        running = self.odoo_log.job_running(self.cfg["cron_names"][role])
        return active and (due or triggers > 0 or running is not None)

    def kick(self, role):
        """What Odoo's hourly run of the cron would do, now: a trigger at now
        and the NOTIFY the cron workers listen to."""
        cron_id = self.cfg["crons"][role]
        self.psql.run(
            "INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid, write_date) "
            f"VALUES ({cron_id}, now() at time zone 'UTC', 1, now() at time zone 'UTC', 1, now() at time zone 'UTC')")
        # the cron workers LISTEN on a connection to the "postgres" database
        # (ir_cron._notifydb): a NOTIFY is only seen in its own database
        PSQL(self.psql.bin, "postgres").run(f"SELECT pg_notify('cron_trigger', '{self.db}')")

    # -- a send's status --------------------------------------------------
    def status(self, ctx):
        if ctx["system"] == "ours":
            row = self.psql.rows(
                "SELECT n.state, COALESCE(n.next_date <= now() at time zone 'UTC', false), "
                "(SELECT count(*) FROM mail_mail m JOIN mail_message mm ON mm.id = m.mail_message_id "
                " WHERE mm.model = 'crm.customer.notification' AND mm.res_id = n.id AND m.state = 'outgoing') "
                f"FROM crm_customer_notification n WHERE n.id = {ctx['record_id']}")[0]
            state, due, outgoing = row[0], row[1] == "t", int(row[2])
            fanning = state in ("scheduled", "active")
            return {"state": state, "fanout_pending": fanning, "fanout_due": fanning and due,
                    "outgoing": outgoing, "done": not fanning and outgoing == 0}
        row = self.psql.rows(
            "SELECT m.state, (SELECT count(*) FROM mail_mail x WHERE x.mailing_id = m.id AND x.state = 'outgoing') "
            f"FROM mailing_mailing m WHERE m.id = {ctx['record_id']}")[0]
        state, outgoing = row[0], int(row[1])
        fanning = state in ("in_queue", "sending")
        return {"state": state, "fanout_pending": fanning, "fanout_due": fanning, "outgoing": outgoing,
                "done": state == "done" and outgoing == 0}

    def tick(self, ctx):
        """Called in every wait: wakes a cron that has work and would not run
        by itself before its next scheduled slot (hourly/daily), after GRACE
        seconds, and counts it."""
        now = time.time()
        if now - ctx.get("last_tick", 0) < 2:
            return
        ctx["last_tick"] = now
        st = self.status(ctx)
        fan_role = "fanout" if ctx["system"] == "ours" else "mass"
        for role, needed in ((fan_role, st["fanout_due"]), ("queue", st["outgoing"] > 0)):
            if not needed or self.cron_waiting(role):
                ctx["stalled"][role] = None
                continue
            if ctx["stalled"].get(role) is None:
                ctx["stalled"][role] = now
            elif now - ctx["stalled"][role] >= GRACE:
                self.kick(role)
                ctx["kicks"][role] += 1
                ctx["kick_log"].append({"role": role, "at": round(now - ctx["t_send"], 1),
                                        "state": st["state"], "outgoing": st["outgoing"]})
                log(f"  kick: {self.cfg['cron_names'][role]!r} had work ({st}) and nothing scheduled "
                    f"for {GRACE} s: trigger added")
                ctx["stalled"][role] = None

    def received_for(self, ctx):
        return [m for m in self.spool.refresh()[ctx["spool_mark"]:] if ctx["tag"] in m["subject"]]

    def quiesce(self):
        """Before a scenario: no outgoing mail left by the previous one and no
        fan-out running (bounded)."""
        ctx = self.new_ctx("quiesce", "ours", None)

        def quiet():
            outgoing = int(self.psql.value("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'"))
            running = any(self.odoo_log.job_running(self.cfg["cron_names"][r]) for r in ("fanout", "mass", "queue"))
            if outgoing and not self.cron_waiting("queue"):
                if ctx["stalled"].get("queue") is None:
                    ctx["stalled"]["queue"] = time.time()
                elif time.time() - ctx["stalled"]["queue"] > GRACE:
                    self.kick("queue")
                    ctx["stalled"]["queue"] = None
            return not outgoing and not running

        if not wait_until(quiet, 120, interval=2):
            log("  warning: the previous scenario left outgoing mails or a running job after 120 s")

    def new_ctx(self, sid, system, key):
        return {"sid": sid, "system": system, "key": key, "tag": f"[soak {sid}]", "kicks": Counter(),
                "kick_log": [], "stalled": {}, "t_send": time.time(), "record_id": None, "spool_mark": 0}

    # -- the scenarios ----------------------------------------------------
    def run_all(self):
        self.sales = RPC(self.base_url, self.db, self.cfg["sales"]["login"], USER_PASSWORD)
        # the master spawns the gevent worker after the HTTP ones: give it a minute to listen
        wait_until(lambda: not port_free(self.ports["gevent"]), 60, interval=0.5)
        served, detail = self.gevent_state(self.sales)
        self.gevent_start = (served, detail)
        if served:
            log(f"gevent worker serves the websocket ({detail})")
        else:
            log("!" * 100)
            log(f"!!! THE GEVENT (WEBSOCKET) WORKER DOES NOT SERVE: {detail}")
            log("!!! the live counter cannot work in prefork mode; see README (setuptools>=78,<81 in the venv)")
            log("!" * 100)
        plan = []
        for key in SCENARIOS:
            for rep in range(1, (REPEAT if key in ("b", "c") else 1) + 1):
                for system in SYSTEMS:
                    if system == "mass" and key in ("d", "f"):
                        continue
                    plan.append((key, rep if key in ("b", "c") and REPEAT > 1 else 0, system))
        for number, (key, rep, system) in enumerate(plan, 1):
            sid = f"{system}-{key}{rep or ''}"
            log(f"== scenario {number}/{len(plan)}: {sid}: {SYSTEM_LABEL[system]}, fault: {FAULTS[key]}")
            try:
                result = self.run_one(key, rep, system, sid)
            except Exception as error:
                log(f"  harness error: {error}\n{traceback.format_exc()}")
                result = {"id": sid, "system": system, "key": key, "harness_error": f"{type(error).__name__}: {error}",
                          "traceback": traceback.format_exc()}
            self.results.append(result)
            self.save_raw(result)
            log("  " + summary_line(result))

    def run_one(self, key, rep, system, sid):
        self.quiesce()
        ctx = self.new_ctx(sid, system, key)
        mark = self.odoo_log.mark()
        ctx["spool_mark"] = len(self.spool.refresh())
        smtp0 = self.smtp_stats()
        result = {"id": sid, "system": system, "key": key, "rep": rep, "fault": FAULTS[key],
                  "customers": CUSTOMERS, "started_at": datetime.datetime.now().isoformat(timespec="seconds")}
        fan_name = self.cfg["cron_names"]["fanout" if system == "ours" else "mass"]
        queue_name = self.cfg["cron_names"]["queue"]
        body = f'<p>Dear <t t-out="object.name"/>,</p><p>Soak scenario {sid}.</p>'
        second = assign = None
        if system == "ours":
            ctx["record_id"] = self.sales.call("crm.customer.notification", "create", {
                "name": f"{ctx['tag']} News for {{{{ object.name }}}}", "body": body, "kind": "group",
                "group_id": self.cfg["group_id"], "timing": "now", "channel": "email"})
        else:
            ctx["record_id"] = self.sales.call("mailing.mailing", "create", {
                "subject": f"{ctx['tag']} Soak news", "body_arch": body, "body_html": body,
                "mailing_model_id": self.cfg["partner_model_id"], "mailing_type": "mail",
                "mailing_domain": repr([("category_id", "in", [self.cfg["tag_id"]])]), "keep_archives": False})
        result["record_id"] = ctx["record_id"]
        if key == "d":
            second = self.start_second(ctx)
        if key == "f":
            assign = Assigners(self)
        # -- send, as the sales user, over JSON-RPC
        t_send = ctx["t_send"] = time.time()
        if system == "ours":
            self.sales.call("crm.customer.notification", "action_send", [ctx["record_id"]])
        else:
            self.sales.call("mailing.mailing", "action_launch", [ctx["record_id"]])
        result["send_rpc_s"] = round(time.time() - t_send, 2)
        fault = {"injected": key == "a", "detail": "", "t_end": time.time()}
        tick = lambda: self.tick(ctx)  # noqa: E731
        if key == "b":
            fault = self.kill_job(ctx, mark, fan_name, after=self.kill_delay(system), tick=tick)
        elif key == "c":
            fault = self.kill_when_sending(ctx, mark, queue_name, tick)
        elif key == "d":
            fault = self.go_second(ctx, mark, fan_name, second, tick)
        elif key == "e":
            fault = self.outage(ctx, tick)
        elif key == "f":
            fault = assign.run(ctx, tick)
        result["fault_injected"] = fault["injected"]
        result["fault_detail"] = fault["detail"]
        # -- drain
        drain_timeout = max(30, min(DRAIN_TIMEOUT, t_send + BUDGET - time.time()))
        drained = wait_until(lambda: self.status(ctx)["done"], drain_timeout, interval=2, tick=tick)
        t_end = time.time()
        st = self.status(ctx)
        result["drained"] = bool(drained)
        result["final_status"] = st
        result["drain_after_fault_s"] = round(t_end - fault["t_end"], 1) if drained else None
        result["drain_timeout_s"] = round(drain_timeout)
        result["total_s"] = round(t_end - t_send, 1)
        result["kicks"] = dict(ctx["kicks"])
        result["kick_log"] = ctx["kick_log"]
        if second:
            result["second_process"] = self.finish_second(second)
        if assign:
            result.update(assign.finish())
        time.sleep(2)  # let the last records reach the log and the spool
        result.update(self.count(ctx))
        result.update(self.errors(mark, second))
        result["fanout_job_runs_s"] = self.odoo_log.job_durations(mark, fan_name)
        result["queue_job_runs_s"] = self.odoo_log.job_durations(mark, queue_name)
        if key == "a" and result["fanout_job_runs_s"]:
            self.baseline_job_seconds[system] = result["fanout_job_runs_s"][0]
        smtp1 = self.smtp_stats()
        result["smtp_sessions"] = smtp1.get("sessions", 0) - smtp0.get("sessions", 0)
        result["smtp_auth_ok"] = smtp1.get("auth_ok", 0) - smtp0.get("auth_ok", 0)
        result["smtp_auth_failed"] = smtp1.get("auth_failed", 0) - smtp0.get("auth_failed", 0)
        served, detail = self.gevent_state(self.sales)
        result["gevent_served"], result["gevent_detail"] = served, detail
        return result

    # -- faults -----------------------------------------------------------
    def kill_delay(self, system):
        if os.environ.get("SOAK_KILL_DELAY"):
            return float(os.environ["SOAK_KILL_DELAY"])
        base = self.baseline_job_seconds.get(system)
        # "a few seconds into the fan-out": a quarter of the baseline's run
        # (runs vary by 2-3x on a shared machine; later ones are faster, caches warm)
        return max(0.3, min(10.0, 0.25 * base)) if base else (1.0 if system == "ours" else 2.0)

    def kill_job(self, ctx, mark, job_name, after, tick):
        started = wait_until(lambda: self.odoo_log.job_started_since(mark, job_name), FAULT_WAIT, tick=tick)
        if not started:
            return {"injected": False, "detail": f"{job_name!r} never started", "t_end": time.time()}
        pid, seen = started
        time.sleep(max(0.0, seen + after - time.time()))
        if self.odoo_log.job_finished_since(mark, job_name, pid) or not pid_alive(pid):
            durations = self.odoo_log.job_durations(mark, job_name)
            return {"injected": False, "t_end": time.time(),
                    "detail": f"the run was over before the kill ({after:.1f} s after its start; runs {durations})"}
        os.kill(pid, signal.SIGKILL)
        log(f"  SIGKILL worker {pid} running {job_name!r}, {time.time() - seen:.1f} s into its run")
        return {"injected": True, "t_end": time.time(), "pid": pid,
                "detail": f"worker {pid} killed {time.time() - seen:.1f} s into {job_name!r}"}

    def kill_when_sending(self, ctx, mark, job_name, tick):
        threshold = max(20, CUSTOMERS // 5)

        def sending():
            if len(self.received_for(ctx)) < threshold:
                return None
            return self.odoo_log.job_running(job_name)

        pid = wait_until(sending, FAULT_WAIT, interval=0.1, tick=tick)
        if not pid:
            return {"injected": False, "t_end": time.time(),
                    "detail": f"no worker was running {job_name!r} once {threshold} messages had arrived"}
        received = len(self.received_for(ctx))
        os.kill(pid, signal.SIGKILL)
        log(f"  SIGKILL worker {pid} running {job_name!r} after {received} messages received")
        return {"injected": True, "t_end": time.time(), "pid": pid,
                "detail": f"worker {pid} killed while sending, after {received} received"}

    def outage(self, ctx, tick):
        threshold = max(20, CUSTOMERS // 3)
        if not wait_until(lambda: len(self.received_for(ctx)) >= threshold, FAULT_WAIT, interval=0.2, tick=tick):
            return {"injected": False, "t_end": time.time(), "detail": f"{threshold} messages never arrived"}
        received = len(self.received_for(ctx))
        self.smtp_stop()
        t_down = time.time()
        log(f"  SMTP server stopped after {received} messages received (connections refused for {OUTAGE} s)")
        while time.time() < t_down + OUTAGE:
            time.sleep(0.5)
        self.smtp_start()
        log("  SMTP server restarted on the same port")
        return {"injected": True, "t_end": time.time(),
                "detail": f"down {time.time() - t_down:.0f} s after {received} received"}

    def start_second(self, ctx):
        go = os.path.join(self.run_dir, f"go-{ctx['sid']}")
        out = os.path.join(self.run_dir, f"second-{ctx['sid']}.json")
        proc, path = self.shell(os.path.join(HERE, "soak_second.py"), {
            "SOAK_GO": go, "SOAK_SECOND_OUT": out, "SOAK_NOTIFICATION_ID": str(ctx["record_id"]),
        }, f"second-{ctx['sid']}", wait=False)
        ready = wait_until(lambda: "SOAK-SECOND-READY" in open(path, errors="replace").read()
                           or not proc.alive(), 300, interval=0.5)
        if not ready or not proc.alive():
            raise RuntimeError("the second process did not start: " + open(path, errors="replace").read()[-2000:])
        return {"proc": proc, "path": path, "go": go, "out": out}

    def go_second(self, ctx, mark, job_name, second, tick):
        started = wait_until(lambda: self.odoo_log.job_started_since(mark, job_name), FAULT_WAIT, tick=tick)
        if not started:
            open(second["go"], "w").close()
            return {"injected": False, "t_end": time.time(), "detail": f"{job_name!r} never started"}
        time.sleep(max(0.0, started[1] + 0.3 - time.time()))
        running = not self.odoo_log.job_finished_since(mark, job_name, started[0])
        open(second["go"], "w").close()
        log(f"  second process released {time.time() - started[1]:.1f} s after worker {started[0]} "
            f"started the fan-out (still running: {running})")
        wait_until(lambda: not second["proc"].alive(), 300, interval=0.5, tick=tick)
        return {"injected": running, "t_end": time.time(),
                "detail": f"odoo shell _cron_send_due() alongside worker {started[0]}"
                          + ("" if running else " (the worker had already finished)")}

    def finish_second(self, second):
        proc = second["proc"]
        if proc.alive():
            proc.stop(timeout=5)
        else:
            PROCS.remove(proc)
        try:
            with open(second["out"]) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {"error": "no result", "output": open(second["path"], errors="replace").read()[-2000:]}
        calls = data.get("calls", [])
        return {"calls": len(calls), "committed": sum(c["result"] == "committed" for c in calls),
                "exceptions": [c.get("error") for c in calls if c["result"] == "exception"],
                "seconds": round(data.get("end", 0) - data.get("started", 0), 1)}

    # -- counting ---------------------------------------------------------
    def count(self, ctx):
        customers = set(self.cfg["partner_ids"])
        messages = self.received_for(ctx)
        # the rest of what the server got meanwhile (e.g. Odoo's "you have
        # been assigned" mails of scenario f): duplicates there count too
        others = [m for m in self.spool.refresh()[ctx["spool_mark"]:] if ctx["tag"] not in m["subject"]]
        other_ids = Counter(m["message_id"] for m in others)
        per_partner = Counter()
        other_rcpts = Counter()
        pairs = Counter()
        for m in messages:
            for rcpt in m["rcpt"]:
                pid = self.partner_of.get(rcpt)
                if pid:
                    per_partner[pid] += 1
                else:
                    other_rcpts[rcpt] += 1
                pairs[rcpt, m["subject"]] += 1
        ids = Counter(m["message_id"] for m in messages)
        rid = ctx["record_id"]
        if ctx["system"] == "ours":
            rows = self.psql.rows(
                "SELECT partner_id, state, count(*) FROM crm_notification_delivery "
                f"WHERE res_model = 'crm.customer.notification' AND res_id = {rid} GROUP BY partner_id, state")
            mails = self.psql.rows(
                "SELECT m.state, count(*) FROM mail_mail m JOIN mail_message mm ON mm.id = m.mail_message_id "
                f"WHERE mm.model = 'crm.customer.notification' AND mm.res_id = {rid} GROUP BY m.state")
            # a customer without the message is explained by a delivery the
            # system knows did not (or may not) arrive: failed, bounced,
            # skipped, uncertain, any other new state; not by one it
            # believes sent, or still queued once the send is drained
            explaining = lambda state: state not in ("sent", "queued")  # noqa: E731
            log_name = "deliveries"
        else:
            rows = self.psql.rows(
                f"SELECT res_id, trace_status, count(*) FROM mailing_trace WHERE mass_mailing_id = {rid} "
                "AND model = 'res.partner' GROUP BY res_id, trace_status")
            mails = self.psql.rows(f"SELECT state, count(*) FROM mail_mail WHERE mailing_id = {rid} GROUP BY state")
            explaining = lambda state: state in ("error", "bounce", "cancel")  # noqa: E731
            log_name = "traces"
        by_state = Counter()
        states = defaultdict(list)
        for partner_id, state, n in rows:
            by_state[state] += int(n)
            states[int(partner_id)].extend([state] * int(n))
        lost = [p for p in customers if not per_partner[p] and not any(explaining(s) for s in states.get(p, []))]
        unexplained_logged = [p for p in lost if states.get(p)]
        received_not_sent = [p for p in customers if per_partner[p] and states.get(p)
                             and all(explaining(s) for s in states[p]) and "uncertain" not in states[p]]
        # each state against what the server got: e.g. "uncertain" (the worker
        # died between the server's answer and the commit) may or may not
        # have arrived; "failed" should not have
        outcome = defaultdict(Counter)
        for p, plist in states.items():
            for state in set(plist):
                outcome[state]["received" if per_partner[p] else "not received"] += 1
        return {
            "log_name": log_name,
            "log_by_state": dict(by_state),
            "log_rows_more_than_one": sum(1 for s in states.values() if len(s) > 1),
            "mail_mail_left": {state: int(n) for state, n in mails},
            "received_messages": len(messages),
            "received_distinct_customers": len([p for p in per_partner if per_partner[p]]),
            "received_other_rcpts": dict(other_rcpts),
            "received_without_tls_or_auth": sum(1 for m in messages if not m["tls"] or m["auth"] != SMTP_USER),
            "duplicates_message_id": sum(n - 1 for n in ids.values() if n > 1),
            "duplicates_rcpt_subject": sum(n - 1 for n in pairs.values() if n > 1),
            "customers_received_twice_or_more": sum(1 for n in per_partner.values() if n > 1),
            "duplicate_examples": [{"message_id": mid, "copies": n} for mid, n in ids.most_common(5) if n > 1],
            "lost": len(lost),
            "lost_never_logged": len(lost) - len(unexplained_logged),
            "lost_logged_as_sent": len(unexplained_logged),
            "lost_examples": sorted(lost)[:10],
            "received_though_logged_failed": len(received_not_sent),
            "log_state_vs_server": {state: dict(c) for state, c in outcome.items()},
            "other_messages": len(others),
            "other_duplicates_message_id": sum(n - 1 for n in other_ids.values() if n > 1),
        }

    def errors(self, mark, second):
        records = self.odoo_log.records_since(mark)
        extra = []
        if second and os.path.exists(second["path"] + ".odoo"):
            shell_log = OdooLog(second["path"] + ".odoo")
            shell_log.poll()
            extra = shell_log.records
        errors = [r for r in records + extra if r["level"] in ("ERROR", "CRITICAL")]

        def frames(r):
            return [line for line in r["extra"] if line.lstrip().startswith('File "')]

        def addon(r):
            # logged by the addon, or raised by its code (the innermost frame
            # of the traceback): Odoo's own ERROR about an exception of
            # smtplib or psycopg2 that merely passed through an override of
            # the addon is Odoo's, counted in errors_through_addon
            innermost = (frames(r) or [""])[-1]
            return r["logger"].startswith("odoo.addons.crm_notifications") or "/crm_notifications" in innermost

        def through(r):
            return any("/crm_notifications" in line for line in frames(r))

        samples, seen = [], set()
        for r in errors:
            last = next((x.strip() for x in reversed(r["extra"]) if x.strip()), "")
            where = next((x.strip() for x in reversed(r["extra"]) if "/crm_notifications" in x), "")
            text = f"{r['logger']}: {r['message'][:300]}" + (f" | {last[:300]}" if last else "") + (
                f" | via {where[where.find('crm_notifications'):][:160]}" if where else "")
            key = (r["logger"], r["message"][:80], last[:80])
            if key not in seen:
                seen.add(key)
                samples.append({"count": 0, "text": text, "pid": r["pid"]})
            next(s for s in samples if s["text"] == text)["count"] += 1
        return {
            "errors": len(errors),
            "errors_addon": sum(1 for r in errors if addon(r)),
            "errors_through_addon": sum(1 for r in errors if through(r) and not addon(r)),
            "errors_second_process": sum(1 for r in extra if r["level"] in ("ERROR", "CRITICAL")),
            "error_samples": samples[:12],
            "odoo_worker_timeouts": sum(1 for r in records if " timeout after " in r["message"]
                                        and r["message"].startswith(("WorkerCron", "WorkerHTTP"))),
            "odoo_cpu_limits": sum(1 for r in records if "CPU time limit" in r["message"]),
            "warnings_addon": sum(1 for r in records if r["level"] == "WARNING"
                                  and r["logger"].startswith("odoo.addons.crm_notifications")),
        }

    def save_raw(self, result):
        folder = os.path.join(self.args["repo"], "bench", "soak_raw")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{result['id']}.json"), "w") as f:
            json.dump(result, f, indent=1, sort_keys=True, default=str)


# ---------------------------------------------------------------------------
# Scenario f: users assigning leads to each other, live counters
# ---------------------------------------------------------------------------
class Assigners:
    """F_USERS users in a ring: user i assigns leads to user i+1 only (so
    every change of user i+1's counter during the run comes from user i),
    alternately creating a lead assigned to them and writing user_id on a
    lead of their own; each user is connected to the websocket."""

    def __init__(self, harness):
        self.h = harness
        users = harness.cfg["assigners"]
        self.users = users
        self.rpcs = [RPC(harness.base_url, harness.db, u["login"], USER_PASSWORD) for u in users]
        self.sockets = []
        self.socket_errors = []
        for rpc in self.rpcs:
            try:
                self.sockets.append(BusSocket(harness.ws_url, rpc, harness.cfg["websocket_version"],
                                              types=("crm.notification/updated",)))
            except Exception as error:
                self.sockets.append(None)
                self.socket_errors.append(f"{type(error).__name__}: {error}"[:300])
        self.ops = []
        self.rpc_errors = []

    def _loop(self, i, stop_at):
        rpc = self.rpcs[i]
        me = self.users[i]["id"]
        target_index = (i + 1) % len(self.users)
        target = self.users[target_index]["id"]
        sock = self.sockets[target_index]
        k = 0
        while time.time() < stop_at:
            index = len(sock.messages) if sock else 0
            t0 = time.time()
            try:
                if k % 2 == 0:
                    rpc.call("crm.lead", "create", {"name": f"Soak lead {i}-{k}", "user_id": target,
                                                    "type": "opportunity"})
                    op = "create"
                else:
                    mine = rpc.call("crm.lead", "search", [("user_id", "=", me)], limit=1, order="id")
                    if not mine:
                        mine = [rpc.call("crm.lead", "create", {"name": f"Soak lead {i}-{k}", "user_id": False,
                                                                "type": "opportunity"})]
                    t0 = time.time()
                    rpc.call("crm.lead", "write", mine, {"user_id": target})
                    op = "write"
            except (RPCError, OSError) as error:
                self.rpc_errors.append(f"{type(error).__name__}: {error}"[:300])
                time.sleep(0.5)
                k += 1
                continue
            t1 = time.time()
            message = sock.wait_for(index, PUSH_TIMEOUT) if sock else None
            self.ops.append({"user": i, "to": target_index, "op": op, "rpc_ms": round(1000 * (t1 - t0), 1),
                             "latency_ms": round(1000 * (message[0] - t1), 1) if message else None})
            k += 1
            time.sleep(0.1)

    def run(self, ctx, tick):
        stop_at = time.time() + F_SECONDS
        threads = [threading.Thread(target=self._loop, args=(i, stop_at), daemon=True)
                   for i in range(len(self.users))]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            tick()
            time.sleep(0.5)
        return {"injected": bool(self.ops), "t_end": time.time(),
                "detail": f"{len(self.ops)} assignments by {len(self.users)} users in {F_SECONDS} s"}

    def finish(self):
        time.sleep(3)
        counters = []
        for i, user in enumerate(self.users):
            sock = self.sockets[i]
            pushed = sock.messages[-1][3].get("unread_count") if sock and sock.messages else None
            # unread as the bell counts them: not read, not resolved (issue
            # 12: a lead taken away resolves its notification), not snoozed
            db = int(self.h.psql.value(
                f"SELECT count(*) FROM crm_notification WHERE user_id = {user['id']} "
                "AND (is_read IS NULL OR is_read = FALSE) AND (is_resolved IS NULL OR is_resolved = FALSE) "
                "AND (snoozed_until IS NULL OR snoozed_until <= now() AT TIME ZONE 'UTC')"))
            try:
                rpc_count = self.rpcs[i].call("crm.notification", "get_unread_count")
            except (RPCError, OSError) as error:
                rpc_count = f"{type(error).__name__}: {error}"[:200]
            counters.append({"user": user["login"], "pushed_last": pushed, "db": db, "rpc": rpc_count,
                             "socket_alive": bool(sock and sock.alive), "socket_error": sock.error if sock else None})
        for sock in self.sockets:
            if sock:
                sock.close()
        latencies = sorted(op["latency_ms"] for op in self.ops if op["latency_ms"] is not None)
        rpc_ms = sorted(op["rpc_ms"] for op in self.ops)
        return {
            "assignments": len(self.ops),
            "assignments_by_op": dict(Counter(op["op"] for op in self.ops)),
            "push_missing": sum(1 for op in self.ops if op["latency_ms"] is None),
            "latency_ms": {"n": len(latencies), "p50": pct(latencies, 50), "p95": pct(latencies, 95),
                           "max": latencies[-1] if latencies else None, "min": latencies[0] if latencies else None},
            "assign_rpc_ms": {"p50": pct(rpc_ms, 50), "p95": pct(rpc_ms, 95), "max": rpc_ms[-1] if rpc_ms else None},
            "counters": counters,
            "counters_ok": sum(1 for c in counters if c["pushed_last"] == c["db"] == c["rpc"]),
            "rpc_errors": self.rpc_errors[:10],
            "rpc_error_count": len(self.rpc_errors),
            "socket_errors": self.socket_errors,
        }


def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return round(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo), 1)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
COLUMNS = [
    ("scenario", 9), ("system", 17), ("fault", 9), ("log per state", 26), ("recv msgs", 9), ("recv rcpts", 10),
    ("dup MsgId", 9), ("dup rcpt+subj", 13), ("lost", 5), ("drain s", 8), ("kicks f/q", 9), ("Odoo kills", 10),
    ("ERROR all/addon", 15), ("latency p50/p95/max ms", 22), ("counters", 8), ("gevent", 6),
]


def fmt_states(result):
    states = result.get("log_by_state") or {}
    text = " ".join(f"{k} {v}" for k, v in sorted(states.items(), key=lambda kv: -kv[1]))
    return (text or "none")


def row_cells(r):
    if r.get("harness_error"):
        return [r["id"], SYSTEM_LABEL.get(r["system"], r["system"]), "-", "HARNESS ERROR: " + r["harness_error"][:120]]
    kicks = r.get("kicks", {})
    fan = kicks.get("fanout", 0) + kicks.get("mass", 0)
    lat = r.get("latency_ms")
    latency = "-" if not lat else (f"{lat['p50']}/{lat['p95']}/{lat['max']}" if lat["n"] else "no push")
    counters = "-" if "counters" not in r else f"{r['counters_ok']}/{len(r['counters'])}"
    fault = "-" if r["key"] == "a" else ("yes" if r.get("fault_injected") else "MISSED")
    drain = f"{r['drain_after_fault_s']}" if r.get("drained") else f"STUCK>{r.get('drain_timeout_s')}"
    return [
        r["id"], SYSTEM_LABEL[r["system"]], fault, fmt_states(r), str(r["received_messages"]),
        str(r["received_distinct_customers"]), str(r["duplicates_message_id"]), str(r["duplicates_rcpt_subject"]),
        str(r["lost"]), drain, f"{fan}/{kicks.get('queue', 0)}", str(r["odoo_worker_timeouts"]),
        f"{r['errors']}/{r['errors_addon']}", latency, counters, "yes" if r.get("gevent_served") else "NO",
    ]


def summary_line(r):
    return " | ".join(row_cells(r))


def text_table(results):
    cells = [row_cells(r) for r in results]
    widths = [max([w, len(name)] + [len(c[i]) for c in cells if i < len(c)]) for i, (name, w) in enumerate(COLUMNS)]
    lines = ["  ".join(name.ljust(widths[i]) for i, (name, _w) in enumerate(COLUMNS))]
    lines.append("-" * len(lines[0]))
    for c in cells:
        lines.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(c)))
    return "\n".join(lines)


def md_table(results):
    lines = ["| " + " | ".join(name for name, _w in COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for r in results:
        c = row_cells(r)
        c += [""] * (len(COLUMNS) - len(c))
        lines.append("| " + " | ".join(v.replace("|", "/") for v in c) + " |")
    return "\n".join(lines)


def side_by_side(results):
    """Per fault: the runs of each system summed (duplicates, lost, not sent)
    and their median drain time."""
    lines = ["| fault | system | runs | faults injected | duplicates (rcpt+subj) | lost | log rows not sent "
             "(received) | median drain s | Odoo kills | ERROR all/addon |", "|" + "---|" * 10]
    for key in SCENARIOS:
        for system in SYSTEMS:
            rows = [r for r in results if r.get("key") == key and r.get("system") == system
                    and not r.get("harness_error")]
            if not rows:
                continue
            not_sent = Counter()
            received = Counter()
            for r in rows:
                for state, c in (r.get("log_state_vs_server") or {}).items():
                    if state not in ("sent", "pending", "skipped"):
                        not_sent[state] += sum(c.values())
                        received[state] += c.get("received", 0)
            drains = [r["drain_after_fault_s"] for r in rows if r.get("drained")]
            lines.append(
                f"| {key}: {FAULTS[key]} | {SYSTEM_LABEL[system]} | {len(rows)} | "
                f"{sum(1 for r in rows if r.get('fault_injected')) if key != 'a' else '-'} | "
                f"{sum(r['duplicates_rcpt_subject'] for r in rows)} | {sum(r['lost'] for r in rows)} | "
                f"{', '.join(f'{k} {v} ({received[k]})' for k, v in not_sent.items()) or '0'} | "
                f"{statistics.median(drains) if drains else 'stuck'}"
                f"{'' if len(drains) == len(rows) else f' ({len(rows) - len(drains)} stuck)'} | "
                f"{sum(r['odoo_worker_timeouts'] for r in rows)} | "
                f"{sum(r['errors'] for r in rows)}/{sum(r['errors_addon'] for r in rows)} |")
    return "\n".join(lines)


def findings(results):  # noqa: C901 - one flat list of checks, in the order of the table
    """Lines flagging what looks like a bug, from the figures."""
    out = []
    for r in results:
        if r.get("harness_error"):
            out.append(f"- **{r['id']}**: the harness could not run it: `{r['harness_error'][:300]}`")
            continue
        what = []
        if r["duplicates_message_id"] or r["duplicates_rcpt_subject"]:
            what.append(f"{r['duplicates_rcpt_subject']} duplicate(s) at the server "
                        f"({r['duplicates_message_id']} by Message-Id, {r['customers_received_twice_or_more']} "
                        f"customer(s) got it twice or more; e.g. {r['duplicate_examples'][:2]})")
        if r.get("other_duplicates_message_id"):
            what.append(f"{r['other_duplicates_message_id']} duplicate(s) by Message-Id among the "
                        f"{r['other_messages']} other messages the server got meanwhile")
        if r["lost"]:
            what.append(f"{r['lost']} lost ({r['lost_never_logged']} never logged, {r['lost_logged_as_sent']} "
                        f"logged sent but never received; e.g. partner ids {r['lost_examples'][:5]})")
        if not r.get("drained"):
            what.append(f"not drained within {r.get('drain_timeout_s')} s: {r.get('final_status')}")
        bad_states = {k: v for k, v in (r.get("log_by_state") or {}).items()
                      if k not in ("sent", "pending", "skipped")}
        if bad_states:
            versus = {k: v for k, v in (r.get("log_state_vs_server") or {}).items() if k in bad_states}
            what.append(f"{r['log_name']} not sent: {bad_states}, against the server: {versus}; "
                        f"mail.mail left: {r.get('mail_mail_left')}")
        if r.get("received_though_logged_failed"):
            what.append(f"{r['received_though_logged_failed']} customer(s) received the message although the log "
                        "says it failed")
        kicks = r.get("kicks") or {}
        if kicks:
            what.append(f"crons woken by the harness (nothing in Odoo would have run them before their next "
                        f"slot): {kicks}")
        if r.get("odoo_worker_timeouts"):
            what.append(f"Odoo killed {r['odoo_worker_timeouts']} worker(s) for exceeding --limit-time-real")
        if r["errors"]:
            texts = "; ".join(f"{s['count']}x `{s['text'][:260]}`" for s in r["error_samples"][:4])
            what.append(f"{r['errors']} ERROR line(s) ({r['errors_addon']} raised by crm_notifications, "
                        f"{r.get('errors_through_addon', 0)} by Odoo through one of its overrides): {texts}")
        if "counters" in r and r["counters_ok"] != len(r["counters"]):
            what.append(f"unread counters differ: {r['counters']}")
        if r.get("push_missing"):
            what.append(f"{r['push_missing']} assignment(s) with no bus message within {PUSH_TIMEOUT} s")
        if r.get("second_process", {}).get("exceptions"):
            what.append(f"second process exceptions: {r['second_process']['exceptions'][:3]}")
        if not r.get("gevent_served"):
            what.append(f"gevent worker not serving: {r.get('gevent_detail')}")
        if r["key"] != "a" and not r.get("fault_injected"):
            what.append(f"fault not injected: {r.get('fault_detail')}")
        if what:
            out.append(f"- **{r['id']}** ({SYSTEM_LABEL[r['system']]}, {r['fault']}): " + "; ".join(what))
    return out


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{platform.node()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), " \
           f"Python {platform.python_version()}"


def write_report(h, started, load_start):
    results = h.results
    table = text_table(results)
    print()
    print("=" * 120)
    print(f"Soak: {CUSTOMERS:,} customers per send; crm_notifications group notification vs Odoo mass_mailing")
    print("=" * 120)
    print(table)
    print("-" * 120)
    print(side_by_side(results))
    print("-" * 120)
    lines = findings(results)
    print("Suspected bugs and notable figures:" if lines else "Nothing suspicious in the figures.")
    for line in lines:
        print("  " + line)
    load_end = os.getloadavg()
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "commit": h.args["commit"],
        "addons_from": h.args["addons_from"],
        "command": h.args["command"],
        "odoo": h.args.get("odoo_version", ""),
        "odoo_command": "odoo " + " ".join(h.odoo_args) if getattr(h, "odoo_args", None) else "",
        "ports": h.ports,
        "customers": CUSTOMERS,
        "duration_s": round(time.time() - started),
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in load_end],
        "gevent_at_start": getattr(h, "gevent_start", None),
        "knobs": {k: v for k, v in os.environ.items() if k.startswith("SOAK_")},
    }
    with open(os.path.join(h.args["repo"], "bench", "soak_raw", "_run.json"), "w") as f:
        json.dump(meta, f, indent=1, default=str)
    md = [
        "# Soak: exactly-once delivery under faults (bench/soak)",
        "",
        "Generated by `bench/soak` from what it measured; do not edit by hand. What each column means: "
        "`bench/README.md`, section *Soak*. Raw figures per scenario: `bench/soak_raw/<scenario>.json`.",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}; load average {meta['load_start']} at start, {meta['load_end']} at end",
        f"- commit: {meta['commit']} (addons: {meta['addons_from']})",
        f"- Odoo: {meta['odoo']}",
        f"- command: `{meta['command']}`" + (f" with {meta['knobs']}" if meta["knobs"] else ""),
        f"- Odoo ran as: `{meta['odoo_command']}`",
        f"- {CUSTOMERS:,} customers per send; {meta['duration_s']} s in all",
        f"- gevent worker at start: {'serves the websocket' if meta['gevent_at_start'] and meta['gevent_at_start'][0] else 'NOT SERVING'}"
        f" ({meta['gevent_at_start'][1] if meta['gevent_at_start'] else ''})",
        "",
        md_table(results),
        "",
        "## Side by side, per fault",
        "",
        side_by_side(results),
        "",
        "## Suspected bugs and notable figures (computed from the rows)",
        "",
        *(lines or ["Nothing suspicious in the figures."]),
        "",
        "## Per scenario",
        "",
    ]
    for r in results:
        if r.get("harness_error"):
            continue
        md.append(f"- **{r['id']}**: fault: {r['fault']} — {r.get('fault_detail') or 'none'}; "
                  f"{r['log_name']} {r['log_by_state']}; mail.mail left {r['mail_mail_left']}; "
                  f"server: {r['received_messages']} messages to {r['received_distinct_customers']} customers, "
                  f"{r['smtp_sessions']} SMTP sessions ({r['smtp_auth_ok']} AUTH ok, {r['smtp_auth_failed']} refused), "
                  f"{r['received_without_tls_or_auth']} without TLS+AUTH, {r['other_messages']} other messages "
                  f"({r['other_duplicates_message_id']} duplicated); send to drained {r['total_s']} s; "
                  f"fan-out runs {r['fanout_job_runs_s']} s; queue runs {len(r['queue_job_runs_s'])}"
                  + (f"; second process {r['second_process']}" if r.get("second_process") else "")
                  + (f"; {r['assignments']} assignments {r['assignments_by_op']}, push latency {r['latency_ms']}, "
                     f"assign RPC {r['assign_rpc_ms']} ms, counters {r['counters']}" if "assignments" in r else ""))
    with open(os.path.join(h.args["repo"], "bench", "SOAK.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"\nwritten: bench/SOAK.md, bench/soak_raw/*.json ({len(results)} scenarios, {meta['duration_s']} s)")


# ---------------------------------------------------------------------------
def main():
    args = json.loads(sys.argv[1])
    started = time.time()
    load_start = os.getloadavg()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    h = Harness(args)
    try:
        log(f"ports: {h.ports}; run dir {h.run_dir}")
        log("starting the SMTP server (STARTTLS with a self-signed certificate, AUTH PLAIN/LOGIN)")
        h.smtp_start()
        log("installing crm_notifications and mass_mailing without demo data")
        h.install()
        log(f"setup: {CUSTOMERS:,} customers in one group, users, the mail server (odoo shell)")
        h.setup()
        log(f"  done in {h.cfg['seconds']} s")
        log("starting Odoo in prefork mode: " + " ".join(["odoo", "--workers", "2", "--max-cron-threads", "2",
                                                          "--gevent-port", str(h.ports["gevent"])]))
        h.odoo_start()
        h.run_all()
    except KeyboardInterrupt as error:
        log(f"interrupted ({error})")
    finally:
        # a second signal (e.g. timeout(1) signals its whole process group,
        # then bench/soak's trap signals again) must not cut the cleanup short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_all()
    if h.results:
        write_report(h, started, load_start)
        if any(r.get("harness_error") for r in h.results):
            return 2
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
