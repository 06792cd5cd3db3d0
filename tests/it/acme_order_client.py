#!/usr/bin/python3
# A scripted ACME client for tests/it/acme_order.sh (issue 10 items 2, 3, 5, 7; R-ACME-1,
# RFC 8555 7.4, 7.5, 8.3, 8.4): orders, authorizations, http-01 and dns-01 challenges
# checked by the server at once, authorization deactivation, finalize and the certificate
# with its alternate chain to root B, CAA accounturi (RFC 8657), and the problem document
# of each bad request. Prints TAP lines; exit 1 when one failed.
# Usage: acme_order_client.py BASE CA_FILE EAB_KID EAB_HMAC WEB_DIR ZONE_FILE KNOT_PID
#        KNOT_PORT BLOCKED_KEY OUT_DIR
import os
import signal
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acme_lib  # noqa: E402
from acme_lib import (ERR, Key, b64, csr_der, ident, key_auth, post,  # noqa: E402
                      report)

(BASE, CAFILE, KID, HMAC_KEY, WEB, ZONE_FILE, KNOT_PID, KNOT_PORT, BLOCKED,
 OUT) = sys.argv[1:11]
DIR = acme_lib.setup(BASE, CAFILE, join_headers=True)


def new_account(key):
    return acme_lib.register(key, KID, HMAC_KEY, "mailto:acme@acme-test.co.jp")


def problem(res, status, typ, name):
    acme_lib.problem(res, status, typ, name, ctype=True)


def set_txt(owner, values):
    """_acme-challenge TXT records in the knot zone (as knot.sh's knot_set_txt)."""
    lines = open(ZONE_FILE).read().splitlines()
    out = []
    for ln in lines:
        f = ln.split()
        if len(f) > 1 and f[0] == owner and f[1] == "TXT":
            continue
        if len(f) > 5 and f[1] == "SOA":
            f[5] = str(int(f[5]) + 1)
            ln = " ".join(f)
        out.append(ln)
    out += ['%s TXT "%s"' % (owner, v) for v in values]
    open(ZONE_FILE, "w").write("\n".join(out) + "\n")
    os.kill(int(KNOT_PID), signal.SIGHUP)
    zone = os.path.basename(ZONE_FILE)[:-len(".zone")]
    for _ in range(50):
        r = subprocess.run(["kdig", "@127.0.0.1", "-p", KNOT_PORT, "+short",
                            owner + "." + zone, "TXT"], capture_output=True, text=True)
        if all(v in r.stdout for v in values):
            return
        time.sleep(0.1)


def dns_digest(token, key):
    h = hashes.Hash(hashes.SHA256())
    h.update(key_auth(token, key).encode())
    return b64(h.finalize())


acct = Key()
kid = new_account(acct)
report(kid is not None and kid.startswith(BASE + "/acme/acct/"), "an account with EAB")
report("newOrder" in DIR and DIR["newOrder"] == BASE + "/acme/new-order", "directory: newOrder")
report(sorted(DIR["meta"].get("profiles", {})) == ["classic", "ev", "ov", "shortlived"],
       "issue 10 item 5 directory meta.profiles: classic and shortlived (and ov, ev)")

# --- bad newOrder requests: each its problem type, no order made (checked by the caller) ---
problem(post(acct, kid, DIR["newOrder"], {"identifiers": ident("bad_name.acme-test.co.jp")}),
        400, "rejectedIdentifier", "R-CSR-4 a name with an underscore")
problem(post(acct, kid, DIR["newOrder"], {"identifiers": ident("co.jp")}),
        400, "rejectedIdentifier", "R-CSR-4 a public suffix")
problem(post(acct, kid, DIR["newOrder"], {"identifiers": ident("a.acme-test.co.jp",
                                                                "*.*.acme-test.co.jp")}),
        400, "rejectedIdentifier", "R-CSR-4 a bad wildcard among good names")
problem(post(acct, kid, DIR["newOrder"], {"identifiers": [{"type": "ip", "value": "1.2.3.4"}]}),
        400, "unsupportedIdentifier", "an ip identifier")
problem(post(acct, kid, DIR["newOrder"], {"identifiers": []}), 400, "malformed",
        "no identifiers")
problem(post(acct, kid, DIR["newOrder"], {"identifiers": ident("a.acme-test.co.jp"),
                                          "profile": "forever"}),
        400, "invalidProfile", "an unknown profile")
problem(post(acct, kid, DIR["newOrder"], {"identifiers": ident("a.acme-test.co.jp"),
                                          "notAfter": "2030-01-01T00:00:00Z"}),
        400, "malformed", "notAfter")
problem(post(acct, kid + "0", DIR["newOrder"], {"identifiers": ident("a.acme-test.co.jp")}),
        400, "accountDoesNotExist", "an unknown account's kid")

# --- order 1: a name by http-01, a wildcard by dns-01 ---
replaces = b64(b"\x01\x02\x03") + "." + b64(b"\x04\x05")
st, h, o = post(acct, kid, DIR["newOrder"], {
    "identifiers": ident("a.acme-test.co.jp", "*.acme-test.co.jp"), "profile": "classic",
    "replaces": replaces})
loc = h.get("location", "")
report(st == 201 and loc.startswith(BASE + "/acme/order/") and o["status"] == "pending"
       and len(o["authorizations"]) == 2 and o["finalize"] == loc + "/finalize"
       and o["profile"] == "classic" and o.get("replaces") == replaces
       and o["identifiers"][1] == {"type": "dns", "value": "*.acme-test.co.jp"},
       "newOrder: 201, Location, pending, two authorizations, profile and replaces kept")
authz = {}
for u in o["authorizations"]:
    st, h, a = post(acct, kid, u, None)
    authz[a["identifier"]["value"] + ("*" if a.get("wildcard") else "")] = (u, a)
u1, a1 = authz["a.acme-test.co.jp"]
uw, aw = authz["acme-test.co.jp*"]
report(sorted(c["type"] for c in a1["challenges"]) == ["dns-01", "http-01", "tls-alpn-01"]
       and a1["status"] == "pending",
       "authorization of a name: http-01, dns-01 and tls-alpn-01 offered")
report([c["type"] for c in aw["challenges"]] == ["dns-01"] and aw["wildcard"] is True,
       "authorization of a wildcard: dns-01 only (BR 3.2.2.4.19, 3.2.2.4.20)")
problem(post(acct, kid, loc + "/finalize", {"csr": csr_der(["a.acme-test.co.jp"])}),
        403, "orderNotReady", "finalize before the authorizations are valid")
problem(post(acct, kid, uw.replace("/authz/", "/chall/") + "/http-01", {}), 404, "malformed",
        "http-01 of a wildcard is no challenge")

other = Key()
okid = new_account(other)
problem(post(other, okid, loc, None), 403, "unauthorized", "another account's order")
problem(post(other, okid, u1, None), 403, "unauthorized", "another account's authorization")

# http-01: the file the validator fetches from [dcv] http_port
c = [c for c in a1["challenges"] if c["type"] == "http-01"][0]
os.makedirs(os.path.join(WEB, ".well-known/acme-challenge"), exist_ok=True)
open(os.path.join(WEB, ".well-known/acme-challenge", c["token"]), "w").write(
    key_auth(c["token"], acct) + "\n")
st, h, ch = post(acct, kid, c["url"], {})
report(st == 200 and ch["status"] == "valid" and "validated" in ch
       and 'rel="up"' in h.get("link", ""),
       "http-01 answered: validated at once, valid, Link up to the authorization")
st, h, a = post(acct, kid, u1, None)
report(a["status"] == "valid", "the authorization is valid")

# dns-01 of the wildcard at _acme-challenge.acme-test.co.jp
c = aw["challenges"][0]
set_txt("_acme-challenge", [dns_digest(c["token"], acct)])
st, h, ch = post(acct, kid, c["url"], {})
report(st == 200 and ch["status"] == "valid", "dns-01 answered: valid")
st, h, o = post(acct, kid, loc, None)
report(o["status"] == "ready", "every authorization valid: the order is ready")

problem(post(acct, kid, loc + "/finalize", {"csr": csr_der(["a.acme-test.co.jp"])}), 400,
        "badCSR", "finalize: a CSR without a name of the order")
problem(post(acct, kid, loc + "/finalize",
             {"csr": csr_der(["a.acme-test.co.jp", "*.acme-test.co.jp", "x.acme-test.co.jp"])}),
        400, "badCSR", "finalize: a CSR with a name not in the order")
blocked = serialization.load_pem_private_key(open(BLOCKED, "rb").read(), None)
problem(post(acct, kid, loc + "/finalize",
             {"csr": csr_der(["a.acme-test.co.jp", "*.acme-test.co.jp"], blocked)}),
        400, "badCSR", "finalize: a CSR with a compromised key")
problem(post(acct, kid, loc + "/finalize", {"csr": "not base64!"}), 400, "malformed",
        "finalize: csr not base64url")
st, h, o = post(acct, kid, loc, None)
report(o["status"] == "ready", "the refused finalizes changed nothing: still ready")

st, h, o = post(acct, kid, loc + "/finalize",
                {"csr": csr_der(["*.acme-test.co.jp", "a.acme-test.co.jp"])})
for _ in range(20):
    if o.get("status") != "processing":
        break
    report("retry-after" in h, "processing: Retry-After")
    time.sleep(int(h.get("retry-after", "1")))
    st, h, o = post(acct, kid, loc, None)
report(st == 200 and o["status"] == "valid" and o.get("certificate", "").startswith(
    BASE + "/acme/cert/"), "finalize issues inside the request: valid with a certificate URL")
st, h, pem = post(acct, kid, o["certificate"], None)
report(st == 200 and h.get("content-type") == "application/pem-certificate-chain"
       and pem.count(b"BEGIN CERTIFICATE") == 2,
       "certificate (POST-as-GET): the PEM chain, leaf and issuing CA")
alt = o["certificate"] + "/b"
report('<%s>;rel="alternate"' % alt in h.get("link", ""), "Link rel=alternate to the chain to root B")
open(os.path.join(OUT, "order1.pem"), "wb").write(pem)
st, h, pem_b = post(acct, kid, alt, None)
report(st == 200 and pem_b.count(b"BEGIN CERTIFICATE") == 2 and pem_b != pem
       and pem_b.split(b"-----END CERTIFICATE-----")[0] == pem.split(b"-----END CERTIFICATE-----")[0],
       "the alternate: the same leaf, another issuing certificate (the cross-certificate)")
open(os.path.join(OUT, "order1-b.pem"), "wb").write(pem_b)
problem(post(acct, kid, loc + "/finalize",
             {"csr": csr_der(["a.acme-test.co.jp", "*.acme-test.co.jp"])}),
        403, "orderNotReady", "finalize again after valid")

# --- order 2: a wrong http-01 answer makes the authorization and the order invalid ---
st, h, o2 = post(acct, kid, DIR["newOrder"], {"identifiers": ident("b.acme-test.co.jp")})
o2url = h.get("location")
st, h, a = post(acct, kid, o2["authorizations"][0], None)
c = [c for c in a["challenges"] if c["type"] == "http-01"][0]
open(os.path.join(WEB, ".well-known/acme-challenge", c["token"]), "w").write("wrong\n")
st, h, ch = post(acct, kid, c["url"], {})
report(ch["status"] == "invalid" and ch["error"]["type"] == ERR + "incorrectResponse",
       "a wrong http-01 answer: invalid with incorrectResponse")
st, h, o2 = post(acct, kid, o2url, None)
report(o2["status"] == "invalid", "the order of an invalid authorization is invalid")

# --- order 3: authorization deactivation (RFC 8555 7.5.2) ---
st, h, o3 = post(acct, kid, DIR["newOrder"], {"identifiers": ident("c.acme-test.co.jp")})
o3url = h.get("location")
problem(post(acct, kid, o3["authorizations"][0], {"status": "valid"}), 400, "malformed",
        "an authorization can only become deactivated")
st, h, a = post(acct, kid, o3["authorizations"][0], {"status": "deactivated"})
report(st == 200 and a["status"] == "deactivated", "authorization deactivated")
st, h, o3 = post(acct, kid, o3url, None)
report(o3["status"] == "invalid", "its order is invalid")

# --- order 4: CAA with accounturi of another account (RFC 8657) refuses at finalize ---
st, h, o4 = post(acct, kid, DIR["newOrder"], {"identifiers": ident("caa-acme-test.co.jp")})
o4url = h.get("location")
st, h, a = post(acct, kid, o4["authorizations"][0], None)
c = [c for c in a["challenges"] if c["type"] == "http-01"][0]
open(os.path.join(WEB, ".well-known/acme-challenge", c["token"]), "w").write(
    key_auth(c["token"], acct))
st, h, ch = post(acct, kid, c["url"], {})
report(ch["status"] == "valid", "caa-acme-test.co.jp validated")
problem(post(acct, kid, o4url + "/finalize", {"csr": csr_der(["caa-acme-test.co.jp"])}), 403,
        "caa", "R-VAL-3 CAA accounturi of another account refuses issuance")
st, h, o4 = post(acct, kid, o4url, None)
report(o4["status"] == "invalid" and o4["error"]["type"] == ERR + "caa",
       "the order is invalid with the caa error")

# --- order 5: profile shortlived (issue 10 item 5) ---
st, h, o5 = post(acct, kid, DIR["newOrder"], {"identifiers": ident("s.acme-test.co.jp"),
                                              "profile": "shortlived"})
o5url = h.get("location")
report(o5["profile"] == "shortlived", "an order with profile shortlived")
st, h, a = post(acct, kid, o5["authorizations"][0], None)
c = [c for c in a["challenges"] if c["type"] == "http-01"][0]
open(os.path.join(WEB, ".well-known/acme-challenge", c["token"]), "w").write(
    key_auth(c["token"], acct))
post(acct, kid, c["url"], {})
st, h, o5 = post(acct, kid, o5url + "/finalize", {"csr": csr_der(["s.acme-test.co.jp"])})
report(st == 200 and o5["status"] == "valid", "the shortlived order is issued")
st, h, pem = post(acct, kid, o5["certificate"], None)
open(os.path.join(OUT, "short.pem"), "wb").write(pem)
leaf = x509.load_pem_x509_certificate(pem)
life = leaf.not_valid_after - leaf.not_valid_before
exts = [e.oid.dotted_string for e in leaf.extensions]
aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
report(life.total_seconds() <= 7 * 86400, "shortlived: valid at most 7 days (%s)" % life)
report("2.5.29.31" not in exts, "shortlived: no CRL distribution point")
report(all(d.access_method.dotted_string != "1.3.6.1.5.5.7.48.1" for d in aia),
       "shortlived: no OCSP URL in the AIA")

# --- the other account deactivated: refused ---
post(other, okid, okid, {"status": "deactivated"})
problem(post(other, okid, DIR["newOrder"], {"identifiers": ident("d.acme-test.co.jp")}), 403,
        "unauthorized", "a deactivated account's newOrder")

print("# account " + kid)
sys.exit(acme_lib.FAILED)
