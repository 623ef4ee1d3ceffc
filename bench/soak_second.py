# Scenario d of the soak harness: a second process on the same send, run by
# bench/soak.py while Odoo's cron worker fans the send out:
#
#     odoo shell -d DB --no-http < bench/soak_second.py
#
# Once its registry is loaded it prints SOAK-SECOND-READY and waits for the
# file $SOAK_GO; then it calls the cron's entry point as a cron worker would,
# env['crm.customer.notification']._cron_send_due(), and commits, again while
# the notification $SOAK_NOTIFICATION_ID is due (at most $SOAK_SECOND_CALLS
# calls). Whatever happens is written as JSON to $SOAK_SECOND_OUT: calls,
# exceptions (text), durations.
# ruff: noqa: F821  (env is provided by odoo shell)
import json
import os
import time
import traceback

GO = os.environ["SOAK_GO"]
OUT = os.environ["SOAK_SECOND_OUT"]
NOTIFICATION_ID = int(os.environ["SOAK_NOTIFICATION_ID"])
MAX_CALLS = int(os.environ.get("SOAK_SECOND_CALLS", "20"))

print("SOAK-SECOND-READY", flush=True)
deadline = time.time() + 300
while not os.path.exists(GO) and time.time() < deadline:
    time.sleep(0.05)

result = {"started": time.time(), "calls": [], "go": os.path.exists(GO)}
Notification = env["crm.customer.notification"]
for _i in range(MAX_CALLS if result["go"] else 0):
    call = {"start": time.time()}
    try:
        Notification._cron_send_due()
        env.cr.commit()
        call["result"] = "committed"
    except Exception as error:
        env.cr.rollback()
        call["result"] = "exception"
        call["error"] = f"{type(error).__name__}: {error}".strip()[:500]
        call["traceback"] = traceback.format_exc()[-2000:]
    call["end"] = time.time()
    result["calls"].append(call)
    env.invalidate_all()
    env.cr.execute("SELECT state, next_date FROM crm_customer_notification WHERE id = %s", [NOTIFICATION_ID])
    state, next_date = env.cr.fetchone()
    env.cr.rollback()
    if state not in ("scheduled", "active"):
        break
    time.sleep(0.5)
result["end"] = time.time()
with open(OUT, "w") as f:
    json.dump(result, f)
print("SOAK-SECOND-DONE", flush=True)
