#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Loopback web server for the web-page validation tests (R-VAL-1, BR 3.2.2.4.18).

Usage: http_fixture.py PORT ROOT [OTHER_PORT]
Serves GET /.well-known/pki-validation/NAME; NAME picks the case:
  redirect-X     301 to the same directory's X          (allowed redirect)
  temp-X         302 to X, perm-X 308 to X, tmp7-X 307 to X
  loop-N         302 to loop-(N+1), for ever            (redirect loop)
  see-other-X    303 to X                               (status not allowed by BR)
  badport-X      301 to X on http://127.0.0.1:OTHER_PORT (not an authorized port)
  ftp-X          302 to ftp://HOST/X                    (scheme not allowed)
  private-X      301 to http://bad.plain.test:PORT/...X (a name with a private address)
  slow.txt       headers, then one byte a second for 60 s (exceeds the timeout)
  huge.txt       1 MiB body (exceeds the size limit)
  anything else  the file ROOT/NAME, or 404
Prints "ready" when listening on 127.0.0.1:PORT. Stops on SIGTERM.
"""
import http.server
import os
import signal
import socketserver
import sys
import time

PORT = int(sys.argv[1])
ROOT = sys.argv[2]
OTHER = int(sys.argv[3]) if len(sys.argv) > 3 else PORT + 1
PREFIX = "/.well-known/pki-validation/"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fixture: " + (fmt % args) + "\n")

    def redirect(self, status, location):
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def body(self, status, data, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        host = self.headers.get("Host", "127.0.0.1:%d" % PORT).split(":")[0]
        if not self.path.startswith(PREFIX):
            return self.body(404, b"not found\n")
        name = self.path[len(PREFIX):]
        for prefix, status in (("redirect-", 301), ("temp-", 302), ("perm-", 308),
                               ("tmp7-", 307), ("see-other-", 303)):
            if name.startswith(prefix):
                return self.redirect(status, PREFIX + name[len(prefix):])
        if name.startswith("loop-"):
            n = int(name[5:] or "0") if name[5:].isdigit() else 0
            return self.redirect(302, PREFIX + "loop-%d" % (n + 1))
        if name.startswith("badport-"):
            return self.redirect(301, "http://127.0.0.1:%d%s%s" % (OTHER, PREFIX, name[8:]))
        if name.startswith("ftp-"):
            return self.redirect(302, "ftp://%s%s%s" % (host, PREFIX, name[4:]))
        if name.startswith("private-"):
            return self.redirect(301, "http://bad.plain.test:%d%s%s" % (PORT, PREFIX, name[8:]))
        if name == "slow.txt":
            self.send_response(200)
            self.send_header("Content-Length", "60")
            self.end_headers()
            for _ in range(60):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(1)
            return
        if name == "huge.txt":
            return self.body(200, b"a" * (1 << 20))
        path = os.path.join(ROOT, os.path.basename(name))
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return self.body(200, f.read())
        return self.body(404, b"not found\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = Server(("127.0.0.1", PORT), Handler)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
