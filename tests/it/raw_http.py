#!/usr/bin/env python3
"""Sends one raw request (issue 8 item 17) to 127.0.0.1:PORT (over TLS when a third
argument "tls" is given; the certificate is not checked) and prints
"STATUS close|keep eof|open N": the first status, whether the answer said Connection:
close, whether the server closed the connection within 3 s, and how many answers came
(a smuggled second request would make 2)."""
import socket
import ssl
import sys
import time

CASES = {
    "dup_cl": b"POST /api/v1/csr/check HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Content-Length: 44\r\n\r\nhelloGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    "te_gzip": b"POST /api/v1/csr/check HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n"
               b"\r\n5\r\nhello\r\n0\r\n\r\n",
    "te_cl": b"POST /api/v1/csr/check HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bare_cr": b"GET /healthz HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n",
    "bare_cr_line": b"GET /healthz HTTP/1.1\rHost: x\r\n\r\n",
    "no_host": b"GET /healthz HTTP/1.1\r\n\r\n",
    "nul": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "ok": b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
}

port, case = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=3)
if len(sys.argv) > 3 and sys.argv[3] == "tls":
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
s.sendall(CASES[case])
out, eof, end = b"", False, time.monotonic() + 3
while time.monotonic() < end:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    if not b:
        eof = True
        break
    out += b
s.close()
heads = [l for l in out.split(b"\r\n") if l.startswith(b"HTTP/1.")]
status = heads[0].split()[1].decode() if heads else "none"
close = b"\r\nconnection: close" in out.lower()
print(status, "close" if close else "keep", "eof" if eof else "open", len(heads))
