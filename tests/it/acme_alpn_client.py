#!/usr/bin/python3
# A scripted ACME client for tests/it/acme_alpn.sh (issue 10 items 3 and 4; R-ACME-1,
# RFC 8737, RFC 8555 6.7): tls-alpn-01 answered by a small TLS server on 127.0.0.1 that
# presents an acme-tls/1 certificate (python3 ssl with ALPN), the perspective agent asked
# the same (shomei perspective probe, kind acme-tls-alpn-01), then the rate limits: new
# orders per account and certificates per registered domain. Prints TAP lines; exit 1 when
# one failed.
# Usage: acme_alpn_client.py BASE CA_FILE EAB_KID EAB_HMAC ALPN_PORT OUT_DIR SHOMEI
#        PRIMARY_DIR AGENT_URL PORT2
# PORT2: a second `shomei serve` on the same database (same base_url): the rate limits are
# counted from the database, so requests spread over both servers share them.
import datetime
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acme_lib  # noqa: E402
from acme_lib import ERR, Key, csr_der, ident, key_auth, post, problem, report  # noqa: E402

(BASE, CAFILE, KID, HMAC_KEY, ALPN_PORT, OUT, SHOMEI, PRIMARY, AGENT, PORT2) = sys.argv[1:11]
PORT2 = int(PORT2)
ALPN_PORT = int(ALPN_PORT)
ACME_ID = ObjectIdentifier("1.3.6.1.5.5.7.1.31")
DIR = acme_lib.setup(BASE, CAFILE)


def new_account(key):
    return acme_lib.register(key, KID, HMAC_KEY, "mailto:acme@alpn-test.co.jp")


# ---- the acme-tls/1 server (RFC 8737 3) ----

def alpn_cert(names, key_auth, critical=True, digest=None):
    """A self-signed certificate for the TLS-ALPN challenge, in a temporary file pair."""
    k = ec.generate_private_key(ec.SECP256R1())
    d = digest if digest is not None else hashlib.sha256(key_auth.encode()).digest()
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
         .add_extension(x509.UnrecognizedExtension(ACME_ID, b"\x04" + bytes([len(d)]) + d),
                        critical))
    c = b.sign(k, hashes.SHA256())
    cf, kf = os.path.join(OUT, "alpn.crt"), os.path.join(OUT, "alpn.key")
    open(cf, "wb").write(c.public_bytes(serialization.Encoding.PEM))
    open(kf, "wb").write(k.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    return cf, kf


class AlpnServer:
    """Answers TLS handshakes on 127.0.0.1:ALPN_PORT with one certificate; with alpn False
    it negotiates no ALPN protocol at all."""

    def __init__(self, cert, key, alpn=True):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        if alpn:
            self.ctx.set_alpn_protocols(["acme-tls/1"])
        self.sni = []
        self.ctx.sni_callback = lambda s, name, c: self.sni.append(name)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", ALPN_PORT))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            c.settimeout(5)
            try:
                s = self.ctx.wrap_socket(c, server_side=True)
                s.close()
            except (ssl.SSLError, OSError):
                c.close()

    def close(self):
        self.stop = True
        self.t.join(5)
        self.sock.close()


def probe(name, value):
    """The perspective agent's own tls-alpn-01 check: its answer (JSON) or {}."""
    r = subprocess.run([SHOMEI, "perspective", "probe", "--dir", PRIMARY, "--url", AGENT,
                        "--kind", "acme-tls-alpn-01", "--name", name, "--value", value],
                       capture_output=True, text=True, timeout=30)
    for ln in r.stdout.splitlines():
        if ln.startswith("answer: "):
            try:
                return json.loads(ln[len("answer: "):])
            except ValueError:
                return {}
    return {}


acct = Key()
kid = new_account(acct)
report(kid is not None, "an account with EAB")


def order_one(name):
    st, h, o = post(acct, kid, DIR["newOrder"], {"identifiers": ident(name)})
    loc = h.get("location")
    st, h, a = post(acct, kid, o["authorizations"][0], None)
    c = [c for c in a["challenges"] if c["type"] == "tls-alpn-01"]
    return loc, o, a, (c[0] if c else None)


# --- the challenge is offered, not for a wildcard ---
vloc, o, a, vc = order_one("v.alpn-test.co.jp")
report(vc is not None and vc["status"] == "pending"
       and vc["token"] == a["challenges"][0]["token"],
       "RFC 8737 tls-alpn-01 offered for a name")
st, h, ow = post(acct, kid, DIR["newOrder"], {"identifiers": ident("*.w.alpn-test.co.jp")})
st, h, aw = post(acct, kid, ow["authorizations"][0], None)
report([x["type"] for x in aw["challenges"]] == ["dns-01"],
       "BR 3.2.2.4.20 no tls-alpn-01 for a wildcard")
problem(post(acct, kid, ow["authorizations"][0].replace("/authz/", "/chall/") + "/tls-alpn-01",
             {}), 404, "malformed", "tls-alpn-01 of a wildcard is no challenge")

# --- each wrong answer: invalid with its problem, no certificate ---
BAD = [
    ("d.alpn-test.co.jp", "wrong digest", dict(digest=hashlib.sha256(b"other").digest()),
     True, "incorrectResponse", "dcv.tls.mismatch"),
    ("n.alpn-test.co.jp", "acmeIdentifier not critical", dict(critical=False), True,
     "incorrectResponse", "dcv.tls.not_critical"),
    ("x.alpn-test.co.jp", "a second SAN", dict(extra=True), True, "incorrectResponse",
     "dcv.tls.san"),
    ("p.alpn-test.co.jp", "no ALPN negotiated", {}, False, "tls", "dcv.tls.alpn"),
]
for name, what, opts, alpn, typ, reason in BAD:
    loc, o, a, c = order_one(name)
    names = [name, "extra.alpn-test.co.jp"] if opts.pop("extra", False) else [name]
    srv = AlpnServer(*alpn_cert(names, key_auth(c["token"], acct), **opts), alpn=alpn)
    st, h, ch = post(acct, kid, c["url"], {})
    srv.close()
    err = ch.get("error", {}) if isinstance(ch, dict) else {}
    report(ch.get("status") == "invalid" and err.get("type") == ERR + typ
           and err.get("detail", "").startswith(reason),
           "RFC 8737 %s: invalid, %s, detail %s (%s)" % (what, typ, reason, err))
    st, h, o = post(acct, kid, loc, None)
    report(o.get("status") == "invalid" and "certificate" not in o,
           "%s: the order is invalid, no certificate" % what)
# nothing listens: connection
loc, o, a, c = order_one("q.alpn-test.co.jp")
st, h, ch = post(acct, kid, c["url"], {})
report(ch.get("status") == "invalid" and ch.get("error", {}).get("type") == ERR + "connection",
       "RFC 8737 nothing on the port: invalid, connection (%s)" % ch.get("error"))
st, h, o = post(acct, kid, loc, None)
report(o.get("status") == "invalid", "nothing on the port: the order is invalid")

# --- valid (after the refusals: certs_per_domain is 1): the perspective agent agrees, the
# primary validates, the order is issued ---
ka = key_auth(vc["token"], acct)
srv = AlpnServer(*alpn_cert(["v.alpn-test.co.jp"], ka))
ans = probe("v.alpn-test.co.jp", ka)
report(ans.get("ok") is True and ans.get("kind") == "acme-tls-alpn-01"
       and ans.get("evidence", {}).get("method") == "tls-alpn-01",
       "R-VAL-8 the perspective agent performs acme-tls-alpn-01 itself: agrees (%s)"
       % ans.get("reason"))
ans = probe("v.alpn-test.co.jp", ka + "x")
report(ans.get("ok") is False and ans.get("reason") == "dcv.tls.mismatch",
       "R-VAL-8 the agent on another key authorization: dcv.tls.mismatch")
st, h, ch = post(acct, kid, vc["url"], {})
report(st == 200 and ch.get("status") == "valid" and "validated" in ch,
       "tls-alpn-01 answered: valid at once (%s)" % ch.get("error"))
report("v.alpn-test.co.jp" in srv.sni, "the validator sent SNI = the name")
srv.close()
st, h, o = post(acct, kid, vloc, None)
report(o.get("status") == "ready", "the order is ready")
st, h, o = post(acct, kid, vloc + "/finalize", {"csr": csr_der(["v.alpn-test.co.jp"])})
report(st == 200 and o.get("status") == "valid" and "certificate" in o,
       "finalize: the certificate is issued")
if "certificate" in o:
    st, h, pem = post(acct, kid, o["certificate"], None)
    open(os.path.join(OUT, "alpn-valid.pem"), "wb").write(pem)

# --- rate limits (RFC 8555 6.7): [acme] certs_per_domain = 1, orders_per_account = 10 ---
# alpn-test.co.jp has its one certificate: a new order naming it is refused, by any account
d = problem(post(acct, kid, DIR["newOrder"], {"identifiers": ident("r.alpn-test.co.jp")}), 429,
            "rateLimited", "issue 10 item 4 certificates per registered domain")
st, h, _ = post(acct, kid, DIR["newOrder"], {"identifiers": ident("r.alpn-test.co.jp")})
report(int(h.get("retry-after", "0")) > 3000, "rateLimited with Retry-After (%s)"
       % h.get("retry-after"))
report("certs_per_domain" in d.get("detail", "") and "alpn-test.co.jp" in d.get("detail", ""),
       "the detail names the limit and the domain (%s)" % d.get("detail"))
b = Key()
bkid = new_account(b)
problem(post(b, bkid, DIR["newOrder"], {"identifiers": ident("*.alpn-test.co.jp")}), 429,
        "rateLimited", "the domain's limit holds for another account (a wildcard under it)")
# orders per account: b makes ten under another registered domain, half of them on the
# second server; the eleventh is refused by either
made = 0
for i in range(10):
    st, h, _ = post(b, bkid, DIR["newOrder"], {"identifiers": ident("o%d.other-test.co.jp" % i)},
                    PORT2 if i % 2 else None)
    made += st == 201
report(made == 10, "ten orders of the account on two servers, under the limit (%d)" % made)
problem(post(b, bkid, DIR["newOrder"], {"identifiers": ident("o99.other-test.co.jp")}, PORT2),
        429, "rateLimited", "issue 10 item 4 the limit counted from the database: the second "
        "server refuses the eleventh too")
st, h, d = post(b, bkid, DIR["newOrder"], {"identifiers": ident("o99.other-test.co.jp")})
report(st == 429 and d.get("type") == ERR + "rateLimited"
       and "orders_per_account" in d.get("detail", "") and int(h.get("retry-after", "0")) > 0,
       "issue 10 item 4 the eleventh order of the account: rateLimited orders_per_account, "
       "Retry-After %s (%s)" % (h.get("retry-after"), d.get("detail")))
c3 = Key()
ckid = new_account(c3)
st, h, _ = post(c3, ckid, DIR["newOrder"], {"identifiers": ident("o99.other-test.co.jp")})
report(st == 201, "another account is unaffected by that account's limit")
print("# account " + kid)
sys.exit(acme_lib.FAILED)
