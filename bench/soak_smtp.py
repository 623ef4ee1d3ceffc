"""The soak harness's SMTP server, and the reader of what it received.

Run as a process of its own by bench/soak.py (stopped with SIGKILL for an
outage, started again on the same port):

    python3 bench/soak_smtp.py --port 8490 --spool DIR --cert C --key K --user U --password P

It is aiosmtpd (installed by bench/soak into its cache folder) with
STARTTLS required before AUTH and AUTH (PLAIN, LOGIN) required before MAIL,
checking the user name and password. Each accepted message is written to
the spool as one file, ``<seq // 1000>/<seq>.eml``: the envelope (sender, recipients, the
authenticated user, TLS) as ``X-Soak-*`` header lines, then the message as
received. The file is in place (written to a temporary name, then renamed)
before the ``250`` reply: a message in the spool is one the server
acknowledged, and one the server acknowledged is in the spool.

``Spool`` (used by bench/soak.py) reads the spool incrementally.
"""

import argparse
import asyncio
import json
import os
import re
import ssl
import sys
import time

SEQ_RE = re.compile(r"^(\d{8})\.eml$")


# ---------------------------------------------------------------------------
# Reading the spool (no aiosmtpd needed)
# ---------------------------------------------------------------------------
def _parse_headers(raw):
    """The header block of ``raw`` (bytes) as {lowercase name: [values]},
    continuation lines unfolded."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    headers = {}
    name = None
    for line in head.decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and name:
            headers[name][-1] += " " + line.strip()
            continue
        if ":" not in line:
            continue
        name, value = line.split(":", 1)
        name = name.strip().lower()
        headers.setdefault(name, []).append(value.strip())
    return headers


def _decode_subject(value):
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


class Spool:
    """What the server received, read file by file (only new files at each
    ``refresh``)."""

    def __init__(self, path):
        self.path = path
        self.messages = []  # dicts: seq, received, rcpt, message_id, subject, auth, tls
        self._seen = set()
        self._shard = ""

    def refresh(self):
        """Read the files that appeared since the last call; returns all
        the messages. Files are sharded by thousands (``00012/00012345.eml``):
        only the newest shards are listed again."""
        try:
            shards = sorted(d for d in os.listdir(self.path) if d.isdigit())
        except FileNotFoundError:
            return self.messages
        for shard in shards:
            if shard < self._shard:
                continue
            self._shard = shard
            folder = os.path.join(self.path, shard)
            new = sorted(n for n in os.listdir(folder) if SEQ_RE.match(n) and n not in self._seen)
            for name in new:
                with open(os.path.join(folder, name), "rb") as f:
                    raw = f.read(65536)
                self.messages.append(self._parse(int(name[:8]), raw))
                self._seen.add(name)
        return self.messages

    @staticmethod
    def _parse(seq, raw):
        h = _parse_headers(raw)

        def first(key):
            return (h.get(key) or [""])[0]

        return {
            "seq": seq,
            "received": float(first("x-soak-received") or 0),
            "rcpt": [r.strip().lower() for r in first("x-soak-rcpt-to").split(",") if r.strip()],
            "mail_from": first("x-soak-mail-from"),
            "auth": first("x-soak-auth"),
            "tls": first("x-soak-tls") == "yes",
            "message_id": first("message-id"),
            "subject": _decode_subject(first("subject")),
        }

    def count(self):
        """Number of messages received so far."""
        return len(self.refresh())


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------
def shard_of(seq):
    return f"{seq // 1000:05d}"


def _next_seq(spool):
    shards = sorted(d for d in os.listdir(spool) if d.isdigit())
    if not shards:
        return 1
    seqs = [int(m.group(1)) for m in map(SEQ_RE.match, os.listdir(os.path.join(spool, shards[-1]))) if m]
    return max(seqs, default=int(shards[-1]) * 1000) + 1


class Handler:
    def __init__(self, spool, log):
        self.spool = spool
        self.seq = _next_seq(spool)
        self.log = log

    async def handle_DATA(self, server, session, envelope):
        seq, self.seq = self.seq, self.seq + 1
        auth = session.auth_data.login.decode() if session.authenticated and session.auth_data else ""
        head = (
            f"X-Soak-Seq: {seq}\r\n"
            f"X-Soak-Received: {time.time():.6f}\r\n"
            f"X-Soak-Mail-From: {envelope.mail_from}\r\n"
            f"X-Soak-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
            f"X-Soak-Auth: {auth}\r\n"
            f"X-Soak-TLS: {'yes' if session.ssl else 'no'}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        folder = os.path.join(self.spool, shard_of(seq))
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{seq:08d}.tmp")
        with open(tmp, "wb") as f:
            f.write(head + content)
        # in place before the 250: received == acknowledged
        os.replace(tmp, os.path.join(folder, f"{seq:08d}.eml"))
        return "250 Message accepted for delivery"


def serve(args):
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    os.makedirs(args.spool, exist_ok=True)
    log = open(args.log, "a", buffering=1) if args.log else sys.stderr
    stats = {"sessions": 0, "auth_ok": 0, "auth_failed": 0}
    if args.stats and os.path.exists(args.stats):  # counters survive a restart (outage)
        with open(args.stats) as f:
            stats.update(json.load(f))

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == args.user
            and auth_data.password.decode() == args.password
        )
        stats["auth_ok" if ok else "auth_failed"] += 1
        if not ok:
            log.write(f"{time.time():.3f} AUTH {mechanism} refused for {auth_data!r}\n")
        # handled=False: aiosmtpd answers 535 to a refused AUTH (its default
        # answers nothing and leaves the client waiting)
        return AuthResult(success=ok, handled=ok, auth_data=auth_data if ok else None)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    handler = Handler(args.spool, log)

    def factory():
        stats["sessions"] += 1
        return SMTP(
            handler, hostname="soak.localhost", tls_context=context, require_starttls=True,
            auth_required=True, auth_require_tls=True, authenticator=authenticator,
            data_size_limit=10 * 2**20,
        )

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, host="127.0.0.1", port=args.port, reuse_address=True)
        log.write(f"{time.time():.3f} listening on 127.0.0.1:{args.port}, next seq {handler.seq}\n")
        print("SMTP-READY", flush=True)
        parent = os.getppid()
        while os.getppid() == parent:  # the harness is gone: so is its server
            await asyncio.sleep(5)
            if args.stats:
                with open(args.stats + ".tmp", "w") as f:
                    json.dump(stats, f)
                os.replace(args.stats + ".tmp", args.stats)
        server.close()

    asyncio.run(main())


def make_certificate(cert, key):
    """A self-signed certificate for 127.0.0.1 (openssl CLI)."""
    import subprocess

    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spool", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--log")
    parser.add_argument("--stats", help="JSON file of session/AUTH counters, rewritten every 5 s")
    parsed = parser.parse_args()
    if not (os.path.exists(parsed.cert) and os.path.exists(parsed.key)):
        make_certificate(parsed.cert, parsed.key)
    serve(parsed)
