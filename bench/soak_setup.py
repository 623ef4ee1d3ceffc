# The soak harness's database setup, run by bench/soak.py inside Odoo:
#
#     odoo shell -d DB --no-http < bench/soak_setup.py
#
# Deterministic names; every write is committed. Reads SOAK_* environment
# variables (set by bench/soak.py) and writes what the harness needs (ids,
# passwords, the websocket worker version) as JSON to $SOAK_SETUP_OUT.
# ruff: noqa: F821  (env is provided by odoo shell)
import json
import os
import time

from odoo.addons.bus.websocket import WebsocketConnectionHandler

N = int(os.environ["SOAK_CUSTOMERS"])
N_USERS = int(os.environ["SOAK_USERS"])
SMTP_PORT = int(os.environ["SOAK_SMTP_PORT"])
SMTP_USER = os.environ["SOAK_SMTP_USER"]
SMTP_PASS = os.environ["SOAK_SMTP_PASS"]
BASE_URL = os.environ["SOAK_BASE_URL"]
PASSWORD = os.environ["SOAK_USER_PASSWORD"]
t0 = time.time()
su = env(context={"lang": "en_US", "tz": "UTC", "tracking_disable": True, "no_reset_password": True})
cr = env.cr

ICP = su["ir.config_parameter"]
ICP.set_param("web.base.url", BASE_URL)
ICP.set_param("web.base.url.freeze", "True")
# no daily KPI mails from mass_mailing in the middle of the counts
ICP.set_param("mass_mailing.mass_mailing_reports", False)
# no quiet hours (the same time twice): the soak measures delivery, at any
# hour it runs; quiet hours would hold every e-mail until 08:00
su.company.write({"email": "company@soak.example.com", "name": "Soak Company",
                  "crm_quiet_hours_start": 0.0, "crm_quiet_hours_end": 0.0})
su.ref("base.user_admin").write({"email": "admin@soak.example.com", "password": PASSWORD})

# The local SMTP server: STARTTLS with a self-signed certificate, AUTH with
# a user name and password. Odoo passes no SSL context to smtplib's
# starttls() unless the server authenticates by certificate
# (ir_mail_server.connect: ssl_context stays None), and smtplib then uses
# ssl._create_stdlib_context(), which does not verify the certificate.
su["ir.mail_server"].search([]).write({"active": False})
server = su["ir.mail_server"].create({
    "name": "Soak SMTP (127.0.0.1, STARTTLS, AUTH)",
    "smtp_host": "127.0.0.1",
    "smtp_port": SMTP_PORT,
    "smtp_encryption": "starttls",
    "smtp_authentication": "login",
    "smtp_user": SMTP_USER,
    "smtp_pass": SMTP_PASS,
    "sequence": 1,
})
server.test_smtp_connection()  # connect, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA 354; sends nothing

# IAP is unreachable here (scripts/_offline.sql points it at 127.0.0.1:9):
# the lead enrichment cron would log an ERROR for every lead of scenario f,
# unrelated to what is measured
enrich = su.ref("crm_iap_enrich.ir_cron_lead_enrichment", raise_if_not_found=False)
if enrich:
    enrich.active = False

# Customers: distinct addresses, one group (ours) and one tag (mass_mailing's domain)
tag = su["res.partner.category"].create({"name": "Soak customers"})
partners = su["res.partner"]
for start in range(0, N, 500):
    partners |= su["res.partner"].create([{
        "name": f"Soak Customer {i:05d}",
        "email": f"soak.customer.{i:05d}@example.com",
        "lang": "en_US",
        "category_id": [(4, tag.id)],
    } for i in range(start + 1, min(N, start + 500) + 1)])
    cr.commit()
group = su["crm.customer.group"].create({"name": "Soak group", "partner_ids": [(6, 0, partners.ids)]})
assert group.partner_count == N, group.partner_count


def user(login, name, groups):
    return su["res.users"].create({
        "login": login, "name": name, "email": f"{login.replace('_', '.')}@soak.example.com",
        "password": PASSWORD, "tz": "UTC", "lang": "en_US",
        "groups_id": [(6, 0, [su.ref(g).id for g in groups])],
    })


# the sender of both systems' sends: Sales / All documents, Email Marketing user
sales = user("soak_sales", "Soak Sales", ["base.group_user", "sales_team.group_sale_salesman_all_leads",
                                          "mass_mailing.group_mass_mailing_user"])
# scenario f: users assigning leads to each other
assigners = [user(f"soak_user_{i}", f"Soak User {i}", ["base.group_user",
                                                        "sales_team.group_sale_salesman_all_leads"])
             for i in range(1, N_USERS + 1)]
cr.commit()

out = {
    "db": cr.dbname,
    "customers": N,
    "partner_ids": partners.ids,
    "emails": {p.id: p.email.lower() for p in partners},
    "group_id": group.id,
    "tag_id": tag.id,
    "partner_model_id": su["ir.model"]._get("res.partner").id,
    "mail_server_id": server.id,
    "sales": {"id": sales.id, "login": sales.login, "email": sales.email},
    "assigners": [{"id": u.id, "login": u.login, "partner_id": u.partner_id.id} for u in assigners],
    "admin_login": "admin",
    "password": PASSWORD,
    "crons": {
        "fanout": su.ref("crm_notifications.ir_cron_customer_notifications").id,
        "queue": su.ref("mail.ir_cron_mail_scheduler_action").id,
        "mass": su.ref("mass_mailing.ir_cron_mass_mailing_queue").id,
    },
    "cron_names": {
        "fanout": su.ref("crm_notifications.ir_cron_customer_notifications").with_context(lang="en_US").name,
        "queue": su.ref("mail.ir_cron_mail_scheduler_action").with_context(lang="en_US").name,
        "mass": su.ref("mass_mailing.ir_cron_mass_mailing_queue").with_context(lang="en_US").name,
    },
    "websocket_version": WebsocketConnectionHandler._VERSION,
    "seconds": round(time.time() - t0, 1),
}
with open(os.environ["SOAK_SETUP_OUT"], "w") as f:
    json.dump(out, f)
print(f"SOAK-SETUP-OK {out['seconds']}s", flush=True)
