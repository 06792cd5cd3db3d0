#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A real SMTP server for integration tests (aiosmtpd): accepts every message and writes
it to a directory. Shared test infrastructure; listens on 127.0.0.1 only.

Flags:
  --dir DIR            where messages go (created if missing); required. Each message is
                       written as DIR/NNNNNN.eml (the raw bytes as received, CRLF line ends)
                       plus DIR/NNNNNN.json: {"mail_from", "rcpt_tos", "tls", "auth_user",
                       "peer"}. Both appear atomically (written to a temporary name, renamed;
                       the .json first, then the .eml), so waiting for *.eml is safe.
  --port PORT          TCP port on 127.0.0.1; 0 (default) picks a free one.
  --cert FILE --key FILE
                       offer STARTTLS with this certificate and key (PEM).
  --require-starttls   refuse everything but EHLO/STARTTLS/QUIT until TLS is up.
  --user NAME --password PASS
                       require AUTH (PLAIN or LOGIN) with these credentials; AUTH is
                       offered only after STARTTLS when --cert is given, else in clear text.
  --reject ADDR        answer 550 to RCPT TO:<ADDR> (repeatable), for permanent failures.
  --ready-file FILE    also write the ready line to FILE.
  --hold-file FILE     while FILE exists, every RCPT TO waits (up to 60 s) before its
                       answer, and FILE.waiting is written while one waits: a test can
                       kill a client in the middle of a delivery that then never arrives.

On start it prints one line to stdout and flushes it:
  READY port=PORT pid=PID
Stop it with SIGTERM or SIGINT (tests do this by PID). Exit status 0 on a clean stop.
Needs python3-aiosmtpd (Debian); run it with an interpreter that has it (/usr/bin/python3).
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, reject, hold=None):
        self.dir = directory
        self.reject = {a.lower() for a in reject}
        self.hold = hold
        self.lock = threading.Lock()
        self.seq = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        if self.hold and os.path.exists(self.hold):
            with open(self.hold + ".waiting", "w") as f:
                f.write(address + "\n")
            for _ in range(600):
                if not os.path.exists(self.hold):
                    break
                await asyncio.sleep(0.1)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.seq += 1
            n = self.seq
        base = os.path.join(self.dir, "%06d" % n)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": session.ssl is not None,
            "auth_user": session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None,
            "peer": list(session.peer) if session.peer else None,
        }
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        for suffix, payload in ((".json", json.dumps(meta).encode()), (".eml", data)):
            tmp = base + suffix + ".tmp"
            with open(tmp, "wb") as f:
                f.write(payload)
            os.rename(tmp, base + suffix)
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser(description="SMTP sink for tests")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--reject", action="append", default=[])
    ap.add_argument("--ready-file")
    ap.add_argument("--hold-file")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    port = a.port
    if port == 0:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()

    kw = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = a.require_starttls
    if a.user is not None:
        user, pw = a.user.encode(), (a.password or "").encode()

        def authenticator(server, session, envelope, mechanism, data):
            ok = (
                isinstance(data, LoginPassword)
                and data.login == user
                and data.password == pw
            )
            return AuthResult(success=ok, auth_data=data if ok else None)

        kw["authenticator"] = authenticator
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(a.cert)

    ctl = Controller(Sink(a.dir, a.reject, a.hold_file), hostname="127.0.0.1", port=port, **kw)
    ctl.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    line = "READY port=%d pid=%d" % (port, os.getpid())
    print(line, flush=True)
    if a.ready_file:
        with open(a.ready_file + ".tmp", "w") as f:
            f.write(line + "\n")
        os.rename(a.ready_file + ".tmp", a.ready_file)
    while not stop.wait(0.2):
        pass
    ctl.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
