#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Take the README's screenshots of a running Odoo with the addons and demo
data, in headless Chromium (Debian's ``chromium``), through the DevTools
protocol (``websocket-client``, which the tours need anyway).

    python3 scripts/screenshots.py --url http://127.0.0.1:8069 --db DB \\
        [--login admin --password admin] [--only name,...] [--out DIR] [--page NAME=PATH]

Each shot is a page (an Odoo URL), a window size and optional clicks to
make before the capture (CSS selectors, e.g. to open the bell). The pages
are in ``SHOTS`` below; ``--out`` defaults to the addon's
``static/description`` (desktop) and ``docs/screenshots`` (phone).
"""

import argparse
import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = ROOT / "crm_notifications" / "static" / "description"
PHONE = ROOT / "docs" / "screenshots"

# name, path (after the base URL), (width, height), clicks before the shot
# (a CSS selector, or "row:<text>": the first list row or card holding that
# text), folder
SHOTS = [
    ("settings", "/odoo/action-crm_notifications.crm_notifications_config_settings_action", (1280, 900), [], DESKTOP),
    ("rule_form", "/odoo/action-crm_notifications.crm_notification_rule_action", (1280, 900),
     ["row:Lead / opportunity assigned"], DESKTOP),
    ("bell_dropdown", "/odoo/action-crm_notifications.crm_notification_action_my", (1280, 800),
     ["button.o_crm_notification_systray"], DESKTOP),
    ("notification_list", "/odoo/action-crm_notifications.crm_notification_action_my", (1280, 800), [], DESKTOP),
    ("reminder_list", "/odoo/action-crm_notifications.crm_customer_reminder_action", (1280, 800), [], DESKTOP),
    ("reminder_form", "/odoo/action-crm_notifications.crm_customer_reminder_action", (1280, 900),
     ["row:Renew"], DESKTOP),
    ("customer_notification_list", "/odoo/action-crm_notifications.crm_customer_notification_action",
     (1280, 800), [], DESKTOP),
    ("customer_notification_form", "/odoo/action-crm_notifications.crm_customer_notification_action",
     (1280, 900), ["row:Spring"], DESKTOP),
    ("activity_alerts_settings", "/odoo/action-crm_notifications.crm_notifications_config_settings_action",
     (1280, 1650), [], DESKTOP),
    ("bell_phone", "/odoo/action-crm_notifications.crm_notification_action_my", (390, 844),
     ["button.o_crm_notification_systray"], PHONE),
    ("reminders_phone", "/odoo/action-crm_notifications.crm_customer_reminder_action", (390, 844), [], PHONE),
    # issue 13: answering escalations in the bell, who would be reached, the
    # delivery log of quiet hours and the SMS fallback
    ("escalation_bell", "/odoo/action-crm_notifications.crm_notification_action_my", (1280, 800),
     ["button.o_crm_notification_systray"], DESKTOP),
    ("escalation_bell_phone", "/odoo/action-crm_notifications.crm_notification_action_my", (390, 844),
     ["button.o_crm_notification_systray"], PHONE),
    ("preview_recipients", "/odoo/action-crm_notifications.crm_customer_notification_action", (1280, 900),
     ["row:Spring collection", "button[name=action_preview_recipients]"], DESKTOP),
    ("delivery_log_customers", "/odoo/action-crm_notifications.crm_notification_delivery_action", (1280, 700),
     [], DESKTOP),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self):
        binary = shutil.which("chromium") or shutil.which("google-chrome")
        if not binary:
            raise SystemExit("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="crm_notifications_shots.")
        self.port = free_port()
        self.process = subprocess.Popen([
            binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", "--remote-allow-origins=*", f"--remote-debugging-port={self.port}",
            f"--user-data-dir={self.profile}",
            "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _attempt in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list") as response:
                    targets = [t for t in json.load(response) if t["type"] == "page"]
                if targets:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.2)
        raise TimeoutError(expression)

    def goto(self, url, size):
        width, height = size
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=width < 600)
        self.call("Page.navigate", url=url)
        time.sleep(0.5)
        self.wait_for("document.readyState === 'complete'")

    def shot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--only", default="", help="comma-separated shot names")
    parser.add_argument("--out", help="one folder for every shot")
    parser.add_argument("--page", action="append", default=[], metavar="NAME=PATH",
                        help="also a page outside the web client (e.g. a public page whose URL holds a "
                             "token of this database), at 1280x700, in the desktop folder")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    browser = Browser()
    try:
        browser.goto(f"{args.url}/web/login?db={args.db}", (1280, 800))
        browser.evaluate(f"""
            document.querySelector('input[name=login]').value = {json.dumps(args.login)};
            document.querySelector('input[name=password]').value = {json.dumps(args.password)};
            document.querySelector('form.oe_login_form').submit();""")
        time.sleep(1)
        browser.wait_for("document.readyState === 'complete' && !location.pathname.startsWith('/web/login')")
        pages = [tuple(page.split("=", 1)) for page in args.page]
        for name, path, size, clicks, folder in SHOTS + [(n, p, (1280, 700), [], DESKTOP) for n, p in pages]:
            if only and name not in only and (name, path) not in pages:
                continue
            browser.goto(args.url + path, size)
            if path.startswith("/odoo"):
                browser.wait_for("!!document.querySelector('.o_action_manager .o_action') && "
                                 "!document.querySelector('.o_loading_indicator')")
            time.sleep(1.5)
            for selector in clicks:
                if selector.startswith("row:"):
                    browser.evaluate(f"""[...document.querySelectorAll('.o_data_row .o_data_cell, .o_kanban_record')]
                        .find((el) => el.innerText.includes({json.dumps(selector[4:])})).click()""")
                else:
                    browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
                time.sleep(2)
            target = Path(args.out) if args.out else folder
            target.mkdir(parents=True, exist_ok=True)
            browser.shot(target / f"{name}.png")
            print(f"{name}: {target / (name + '.png')}")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
