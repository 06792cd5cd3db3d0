#!/usr/bin/env python3
"""A bounded slow-client attack (issue 8 item 10): opens up to --conns connections from
--source to 127.0.0.1:--port, each sending a request head one header line every
--interval seconds and never finishing it, for --duration seconds at most. Prints one
line of JSON: how many connections were opened, refused at once, and closed by the server
before the end, and the longest time a closed one was held open. Loopback only."""
import argparse
import json
import selectors
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--source", default="127.0.0.1")
ap.add_argument("--conns", type=int, default=1000)
ap.add_argument("--interval", type=float, default=2.0)
ap.add_argument("--duration", type=float, default=15.0)
ap.add_argument("--ready-file", default="")
a = ap.parse_args()
assert a.source.startswith("127.") and 0 < a.conns <= 2000 and 0 < a.duration <= 120

sel = selectors.DefaultSelector()
opened = refused = closed = 0
held = []
start = time.monotonic()
socks = {}
for i in range(a.conns):
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.bind((a.source, 0))
        s.connect(("127.0.0.1", a.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    except OSError:
        refused += 1
        s.close()
        continue
    s.setblocking(False)
    socks[s] = time.monotonic()
    sel.register(s, selectors.EVENT_READ)
    opened += 1
if a.ready_file:
    open(a.ready_file, "w").write("ready\n")
line = 0
next_send = time.monotonic() + a.interval
while socks and time.monotonic() - start < a.duration:
    for key, _ in sel.select(timeout=0.2):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data or data:  # any answer or EOF ends this connection's attack
            held.append(time.monotonic() - socks.pop(s))
            sel.unregister(s)
            s.close()
            closed += 1
    if time.monotonic() >= next_send:
        line += 1
        for s in list(socks):
            try:
                s.send(b"X-Slow-%d: a\r\n" % line)
            except OSError:
                pass
        next_send += a.interval
for s in socks:
    s.close()
print(json.dumps({"opened": opened, "refused": refused, "closed_by_server": closed,
                  "still_open": len(socks), "max_held_s": round(max(held, default=0), 1)}))
