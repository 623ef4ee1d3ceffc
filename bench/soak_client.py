"""What the soak harness uses to talk to Odoo and to watch it: a JSON-RPC
client (as the web client calls /web/dataset/call_kw), a websocket client
subscribed to the bus as the web client does, a reader of Odoo's log that
knows which worker runs which cron job, and a psql helper. Plain Python
plus ``websocket-client`` (installed by bench/soak into its cache folder).
"""

import http.cookiejar
import itertools
import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request


# ---------------------------------------------------------------------------
# JSON-RPC
# ---------------------------------------------------------------------------
class RPCError(Exception):
    pass


class RPC:
    """One user's session on Odoo's HTTP port."""

    _ids = itertools.count(1)

    def __init__(self, base_url, db, login, password, timeout=300):
        self.base_url = base_url
        self.db = db
        self.login = login
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.uid = self.post("/web/session/authenticate", {"db": db, "login": login, "password": password})["uid"]

    @property
    def session_id(self):
        return next((c.value for c in self.jar if c.name == "session_id"), None)

    def post(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": next(self._ids), "params": params}).encode()
        request = urllib.request.Request(self.base_url + path, data=body,
                                         headers={"Content-Type": "application/json"})
        with self.opener.open(request, timeout=self.timeout) as response:
            reply = json.loads(response.read())
        if reply.get("error"):
            data = reply["error"].get("data") or {}
            raise RPCError(f"{data.get('name', '')}: {data.get('message') or reply['error'].get('message')}")
        return reply.get("result")  # Odoo leaves out a None result

    def call(self, model, method, *args, **kwargs):
        return self.post(f"/web/dataset/call_kw/{model}/{method}",
                         {"model": model, "method": method, "args": list(args), "kwargs": kwargs})


# ---------------------------------------------------------------------------
# Websocket (the bus), as the web client's websocket worker uses it
# ---------------------------------------------------------------------------
class BusSocket:
    """A websocket on the gevent port, authenticated by the session cookie of
    ``rpc``, subscribed like the web client (``subscribe`` with the client's
    channels, none here: the server adds the user's partner channel, groups
    and broadcast). A thread records every bus message with its arrival time
    (``time.time()``)."""

    def __init__(self, ws_url, rpc, version, types=None, timeout=10):
        import websocket  # websocket-client

        self.messages = []  # (arrival time, bus id, type, payload)
        self.cond = threading.Condition()
        self.types = types
        self.error = None
        origin = ws_url.replace("ws://", "http://").split("/websocket")[0]
        self.ws = websocket.create_connection(
            f"{ws_url}?version={version}", timeout=timeout, origin=origin,
            cookie=f"session_id={rpc.session_id}",
        )
        self.ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}}))
        self.ws.settimeout(1)
        self.alive = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        import websocket

        while self.alive:
            try:
                data = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception as error:
                if self.alive:
                    self.error = f"{type(error).__name__}: {error}"
                self.alive = False
                break
            if not data:
                continue
            now = time.time()
            try:
                notifications = json.loads(data)
            except ValueError:
                continue
            with self.cond:
                for notification in notifications if isinstance(notifications, list) else []:
                    message = notification.get("message") or {}
                    if self.types is None or message.get("type") in self.types:
                        self.messages.append((now, notification.get("id"), message.get("type"),
                                              message.get("payload")))
                self.cond.notify_all()

    def wait_for(self, index, timeout):
        """The message number ``index`` (0-based, in arrival order), waited
        for at most ``timeout`` seconds; None if it did not come."""
        deadline = time.time() + timeout
        with self.cond:
            while len(self.messages) <= index:
                left = deadline - time.time()
                if left <= 0 or not self.alive:
                    return None
                self.cond.wait(left)
            return self.messages[index]

    def close(self):
        self.alive = False
        try:
            self.ws.close()
        except Exception:
            pass
        self.thread.join(timeout=3)


def websocket_probe(ws_url, rpc, version, timeout=10):
    """Whether the gevent worker serves: a websocket opens (101) and stays up
    after the subscribe. Returns (ok, detail)."""
    try:
        sock = BusSocket(ws_url, rpc, version, types=(), timeout=timeout)
    except Exception as error:
        return False, f"{type(error).__name__}: {error}"[:300]
    time.sleep(1.0)
    ok, detail = sock.alive, sock.error or "connected, subscribed"
    sock.close()
    return ok, detail


# ---------------------------------------------------------------------------
# Odoo's log
# ---------------------------------------------------------------------------
LINE_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) (\d+) (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) ([\w.]+): (.*)$")
JOB_RE = re.compile(r"^Job (['\"])(.+?)\1 \((\d+)\) (.*)$")


class OdooLog:
    """Reads Odoo's log file as it grows. Keeps every record (header line and
    its continuation lines, e.g. a traceback) and, per cron job name, the
    workers that started it and whether they finished."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.records = []  # dicts: time, pid, level, db, logger, message, extra (list of lines)
        self.job_events = []  # (seen at, pid, job name, event text)

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        now = time.time()
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip()  # Odoo ends its lines with a space
            match = LINE_RE.match(line)
            if not match:
                if self.records:
                    self.records[-1]["extra"].append(line)
                continue
            stamp, pid, level, db, logger, message = match.groups()
            self.records.append({"index": len(self.records), "seen": now, "stamp": stamp, "pid": int(pid),
                                 "level": level, "db": db, "logger": logger, "message": message, "extra": []})
            job = JOB_RE.match(message)
            if job and logger == "odoo.addons.base.models.ir_cron":
                self.job_events.append((now, int(pid), job.group(2), job.group(4)))

    def mark(self):
        self.poll()
        return len(self.records), len(self.job_events)

    def job_started_since(self, mark, job_name):
        """(pid, seen time) of the first start of ``job_name`` after ``mark``."""
        self.poll()
        for seen, pid, name, event in self.job_events[mark[1]:]:
            if name == job_name and event == "starting":
                return pid, seen
        return None

    def job_finished_since(self, mark, job_name, pid):
        """Whether worker ``pid`` logged the end of a run of ``job_name``
        (done or failed) after ``mark``."""
        self.poll()
        return any(
            p == pid and name == job_name and (event.startswith("done in") or "failed" in event)
            for _seen, p, name, event in self.job_events[mark[1]:]
        )

    def job_running(self, job_name):
        """The pid of a live worker whose last event for ``job_name`` is a
        start (it is in the middle of a run), else None."""
        self.poll()
        last = {}
        for _seen, pid, name, event in self.job_events:
            if name == job_name:
                last[pid] = event
        for pid, event in last.items():
            if event == "starting" and pid_alive(pid):
                return pid
        return None

    def job_durations(self, mark, job_name):
        """Durations (s) of the runs of ``job_name`` after ``mark``, from the
        'done in' lines."""
        self.poll()
        out = []
        for _seen, _pid, name, event in self.job_events[mark[1]:]:
            if name == job_name and event.startswith("done in"):
                out.append(float(event.split()[2].rstrip("s")))
        return out

    def records_since(self, mark):
        self.poll()
        return self.records[mark[0]:]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is dead too
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------
class PSQL:
    """psql on the throwaway cluster's Unix socket (PGHOST/PGPORT/PGUSER)."""

    def __init__(self, psql_bin, db):
        self.bin = psql_bin
        self.db = db

    def rows(self, sql):
        done = subprocess.run(
            [self.bin, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", self.db, "-c", sql],
            capture_output=True, text=True, timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"psql: {done.stderr.strip()[:500]} (in: {sql[:300]})")
        return [line.split("\t") for line in done.stdout.splitlines() if line != ""]

    def value(self, sql):
        rows = self.rows(sql)
        return rows[0][0] if rows else None

    def run(self, sql):
        done = subprocess.run([self.bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.db, "-c", sql],
                              capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"psql: {done.stderr.strip()[:500]} (in: {sql[:300]})")
