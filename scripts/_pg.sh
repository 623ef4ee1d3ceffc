# shellcheck shell=bash
# Throwaway PostgreSQL cluster for the run and test commands: initdb into a
# temporary folder, listen on a Unix socket only, stop and remove it on exit.
# Sourced by scripts/run and scripts/test; sets PGHOST, PGPORT, PGUSER.

pg_bin() {
    local name=$1
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && [ -x "$found/$name" ] && { echo "$found/$name"; return; }
    echo "error: PostgreSQL's $name is not installed" >&2
    return 1
}

pg_start() {
    local initdb pg_ctl
    initdb=$(pg_bin initdb) || return 1
    pg_ctl=$(pg_bin pg_ctl) || return 1
    PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/crm_notifications_pg.XXXXXX")
    local as=()
    # PostgreSQL refuses to run as root: hand the cluster to an unprivileged user.
    if [ "$(id -u)" = 0 ]; then
        local pg_user=postgres
        id "$pg_user" >/dev/null 2>&1 || pg_user=nobody
        chown "$pg_user" "$PG_TMP"
        chmod 755 "$PG_TMP"
        as=(runuser -u "$pg_user" --)
    fi
    "${as[@]}" "$initdb" -D "$PG_TMP/data" -U odoo --auth=trust -E UTF8 --locale=C >"$PG_TMP/initdb.log" 2>&1 \
        || { cat "$PG_TMP/initdb.log" >&2; return 1; }
    export PGHOST=$PG_TMP PGPORT=5432 PGUSER=odoo
    "${as[@]}" "$pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
        -o "-k $PG_TMP -c listen_addresses='' -p $PGPORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || { cat "$PG_TMP/server.log" >&2; return 1; }
    PG_AS=("${as[@]}")
    PG_CTL=$pg_ctl
    trap pg_stop EXIT
}

pg_stop() {
    [ -n "${PG_TMP:-}" ] || return 0
    "${PG_AS[@]}" "$PG_CTL" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
    PG_TMP=
}

# The Odoo 18 launcher: $ODOO_BIN, else `odoo` on PATH.
find_odoo() {
    if [ -n "${ODOO_BIN:-}" ] && [ -x "${ODOO_BIN}" ]; then echo "$ODOO_BIN"; return; fi
    command -v odoo 2>/dev/null || command -v odoo-bin 2>/dev/null || return 1
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
