#!/usr/bin/python3
# The ACME part of tests/it/multinode.sh (R-SCL-1, issue 13 item 2; RFC 8555 6.5, 7.4):
# an ACME client on the nginx front of three `shomei serve` nodes on one PostgreSQL.
# First, with every node up, each request sent to a node's own port: a nonce one node
# gave is taken by each other node, and a request whose nonce was used once is refused
# with badNonce by every node, the one that took it included. Then ORDERS orders by
# http-01 through the front (round robin): all of them placed and their authorizations
# validated, the first two finalized, then READY_FILE is written and the orders polled
# until KILLED_FILE appears (a node was killed with SIGKILL meanwhile; the file holds its
# number); the rest are finalized by the nodes left, the first of them twice at once: by a
# live node whose answer is lost and, resent with a fresh nonce, through the front. A
# request that gets no answer or a 502/503/504 is sent again with a fresh nonce (counted);
# an order must end valid with one certificate URL. The chains go to OUT_DIR/acmeN.pem for
# openssl verify. Prints TAP lines; exit 1 when one failed.
# Usage: multinode_acme.py BASE CA_FILE EAB_KID EAB_HMAC WEB_DIR NODE_URLS OUT_DIR ZONE
#        ORDERS READY_FILE KILLED_FILE   (NODE_URLS: http://127.0.0.1:P1,http://...)
import http.client
import os
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acme_lib  # noqa: E402
from acme_lib import ERR, Key, csr_der, ident, jws, key_auth, report  # noqa: E402

(BASE, CAFILE, EAB_KID, EAB_HMAC, WEB, NODES, OUT, ZONE, ORDERS, READY,
 KILLED) = sys.argv[1:12]
NODES = NODES.split(",")
ORDERS = int(ORDERS)
DIR = acme_lib.setup(BASE, CAFILE, timeout=30)
RETRIES = 0   # requests sent again after no answer or a 502/503/504
BAD_NONCE = 0  # badNonce answers under load (nonces are shared: expected none)
FAULTS = (OSError, http.client.HTTPException, KeyError)

acct = Key()
kid = acme_lib.register(acct, EAB_KID, EAB_HMAC, "mailto:acme@" + ZONE)
report(kid is not None and kid.startswith(BASE + "/acme/acct/"),
       "an ACME account with EAB through the front")
if kid is None:
    sys.exit(1)


def signed(url, payload, nonce):
    return jws(acct, {"alg": acct.alg, "kid": kid, "nonce": nonce, "url": url}, payload)


# ---- nonces across nodes, each request to one node's own port ----
taken = 0
replays = []
for i, a in enumerate(NODES):
    for j, b in enumerate(NODES):
        if i == j:
            continue
        n = acme_lib.request("HEAD", DIR["newNonce"], server=a)[1].get("replay-nonce", "")
        body = signed(kid, {}, n)
        st, h, d = acme_lib.request("POST", kid, body, server=b)
        if st == 200 and isinstance(d, dict) and d.get("status") == "valid":
            taken += 1
        else:
            print("# nonce of node %d at node %d: %s %s" % (i + 1, j + 1, st, d))
        replays.append(body)
pairs = len(NODES) * (len(NODES) - 1)
report(taken == pairs, "a nonce from one node is taken by another (%d of %d pairs)"
       % (taken, pairs))
refused = 0
for k, body in enumerate(replays[:len(NODES)]):
    for b in NODES:  # the node that took it and the others
        st, h, d = acme_lib.request("POST", kid, body, server=b)
        if st == 400 and isinstance(d, dict) and d.get("type") == ERR + "badNonce" \
                and "replay-nonce" in h:
            refused += 1
        else:
            print("# replay %d at %s: %s %s" % (k, b, st, d))
report(refused == len(NODES) * len(NODES),
       "a nonce used once is refused (badNonce) by every node, the one that took it too "
       "(%d of %d)" % (refused, len(NODES) * len(NODES)))
st, h, d = acme_lib.request("POST", kid, replays[-1])
report(st == 400 and isinstance(d, dict) and d.get("type") == ERR + "badNonce",
       "the replay through the front: badNonce")


# ---- orders through the front ----
def post(url, payload):
    """POST through the front; no answer or a 502/503/504: again with a fresh nonce."""
    global RETRIES, BAD_NONCE
    res = (0, {}, None)
    for _ in range(10):
        try:
            res = acme_lib.request("POST", url, signed(url, payload, acme_lib.nonce()))
        except FAULTS as ex:
            print("# %s: %s, sent again" % (url, ex.__class__.__name__))
            res = (0, {}, None)
        st, d = res[0], res[2]
        if st == 400 and isinstance(d, dict) and d.get("type") == ERR + "badNonce":
            BAD_NONCE += 1
        elif st not in (0, 502, 503, 504):
            return res
        RETRIES += 1
        time.sleep(0.5)
    return res


def validate(o):
    """The http-01 answer of each pending authorization of o; True when all are valid."""
    good = True
    for u in o["authorizations"]:
        st, h, a = post(u, None)
        if st != 200:
            return False
        if a["status"] == "valid":
            continue
        c = [c for c in a["challenges"] if c["type"] == "http-01"][0]
        d = os.path.join(WEB, ".well-known/acme-challenge")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, c["token"]), "w") as f:
            f.write(key_auth(c["token"], acct))
        st, h, ch = post(c["url"], {})
        good = good and st == 200 and ch.get("status") == "valid"
    return good


def settle(loc):
    """Polls the order while it is processing (bounded); its last state."""
    o = {}
    for _ in range(60):
        st, h, o = post(loc, None)
        if st != 200 or o.get("status") != "processing":
            break
        time.sleep(min(int(h.get("retry-after", "1")), 2))
    return o if isinstance(o, dict) else {}


def lost_answer(url, payload, node):
    """A request to node whose answer the client never reads (the connection closed)."""
    u = urllib.parse.urlsplit(node)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("POST", urllib.parse.urlsplit(url).path, body=signed(url, payload, acme_lib.nonce()),
              headers={"Content-Type": "application/jose+json"})
    c.close()


def finalize(k, lost=None):
    """Finalizes order k; lost: first a finalize to that node whose answer is lost, then
    the client's resend through the front with a fresh nonce (200, or orderNotReady once
    the first one took the order)."""
    name, loc, o = placed[k]
    csr = {"csr": csr_der([name])}
    if lost:
        lost_answer(loc + "/finalize", csr, lost)
    st, h, r = post(loc + "/finalize", csr)
    if lost:
        report(st == 200 or (st == 403 and r.get("type") == ERR + "orderNotReady"),
               "a finalize sent again after its answer was lost: 200 or orderNotReady "
               "(got %s %s)" % (st, r.get("type") if isinstance(r, dict) else r))
    elif st != 200:
        print("# finalize of %s: %s %s" % (name, st, r))
    o = settle(loc)
    ok = o.get("status") == "valid" and o.get("certificate", "").startswith(BASE + "/acme/cert/")
    report(ok, "ACME order %d (%s) valid with a certificate URL" % (k + 1, name))
    if not ok:
        print("# order %s: %s" % (loc, o))
        return
    st, h, pem = post(o["certificate"], None)
    good = st == 200 and isinstance(pem, bytes) and pem.count(b"BEGIN CERTIFICATE") == 2
    report(good, "ACME order %d: the certificate chain (leaf, issuing CA)" % (k + 1))
    if good:
        with open(os.path.join(OUT, "acme%d.pem" % (k + 1)), "wb") as f:
            f.write(pem)
    st, h, again = post(loc, None)
    report(st == 200 and again.get("certificate") == o["certificate"],
           "ACME order %d: read again, the same one certificate" % (k + 1))


placed = []
for k in range(ORDERS):
    name = "acme%d.%s" % (k + 1, ZONE)
    st, h, o = post(DIR["newOrder"], {"identifiers": ident(name)})
    loc = h.get("location", "")
    if st != 201 or not loc:
        report(False, "newOrder %s (got %s %s)" % (name, st, o))
        continue
    placed.append((name, loc, o))
report(len(placed) == ORDERS, "%d ACME orders placed through the front" % ORDERS)
valid = sum(1 for _, _, o in placed if validate(o))
report(valid == len(placed), "http-01 validated for every order (%d)" % valid)
FIRST = min(2, len(placed))
for k in range(FIRST):
    finalize(k)
open(READY, "w").close()
print("# %d ACME orders finalized, waiting for the kill" % FIRST, flush=True)
polls = 0
end = time.time() + 120
while time.time() < end:  # bounded; the orders read meanwhile, on every node
    if os.path.exists(KILLED):
        break
    post(placed[polls % len(placed)][1], None)
    polls += 1
    time.sleep(0.25)
report(os.path.exists(KILLED), "the node was killed while ACME orders were open (%d reads "
       "of them meanwhile)" % polls)
dead = int(open(KILLED).read().strip() or "0") if os.path.exists(KILLED) else 0
alive = [u for i, u in enumerate(NODES) if i + 1 != dead]
for k in range(FIRST, len(placed)):
    finalize(k, alive[0] if k == FIRST else None)
report(BAD_NONCE == 0, "no badNonce under load: every node takes every node's nonces (%d)"
       % BAD_NONCE)
print("# ACME requests sent again after no answer or a 502: %d" % RETRIES)
sys.exit(acme_lib.FAILED)
