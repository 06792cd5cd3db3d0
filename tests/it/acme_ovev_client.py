#!/usr/bin/python3
# The scripted ACME client of tests/it/acme_ovev.sh (issue 10 item 4, R-VAL-4, R-VAL-1/2,
# R-VAL-3; RFC 8555 7.1.4, 7.6): OV and EV certificates by the profiles "ov" and "ev" for an
# organization vetted inside the identity reuse period, the subject from its vetted record
# and never from the CSR; an unvetted or stale organization refused with unauthorized; DV
# for an unvetted organization; authorizations reused within the dated reuse period and not
# after; stale evidence and a CAA refusal never signed; revocation by an account holding
# authorizations for every name of a certificate of another organization. Prints TAP lines;
# exit 1 when one failed.
# Usage: acme_ovev_client.py BASE CA_FILE KID_A HMAC_A KID_U HMAC_U WEB_DIR SQL_CMD OUT_DIR
import os
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acme_lib  # noqa: E402
from acme_lib import Key, b64, csr_der, key_auth, problem, report  # noqa: E402

BASE, CAFILE, KID_A, HMAC_A, KID_U, HMAC_U, WEB, SQL, OUT = sys.argv[1:10]
Z = "ovev-test.co.jp"


def sql(stmt):
    return subprocess.run([SQL, stmt], capture_output=True, text=True).stdout.strip()


DIR = acme_lib.setup(BASE, CAFILE)


class Acct:
    def __init__(self, eab_kid, eab_key):
        self.key = Key()
        self.kid = acme_lib.register(self.key, eab_kid, eab_key)

    def post(self, url, payload):
        return acme_lib.post(self.key, self.kid, url, payload)

    def order(self, names, profile=None):
        p = {"identifiers": [{"type": "dns", "value": n} for n in names]}
        if profile:
            p["profile"] = profile
        st, h, o = self.post(DIR["newOrder"], p)
        return st, h.get("location"), o

    def authzs(self, o):
        return [self.post(u, None)[2] for u in o["authorizations"]]

    def http01(self, a):
        c = [c for c in a["challenges"] if c["type"] == "http-01"][0]
        d = os.path.join(WEB, ".well-known/acme-challenge")
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, c["token"]), "w").write(key_auth(c["token"], self.key))
        return self.post(c["url"], {})[2]

    def validate(self, o):
        return all(a["status"] == "valid" or self.http01(a)["status"] == "valid"
                   for a in self.authzs(o))

    def finalize(self, loc, names, subject=None):
        return self.post(loc + "/finalize", {"csr": csr_der(names, subject=subject)})

    def cert(self, o):
        st, h, pem = self.post(o["certificate"], None)
        return pem


def attr(cert, oid):
    v = cert.subject.get_attributes_for_oid(oid)
    return v[0].value if v else None


def leaf(pem):
    return x509.load_pem_x509_certificate(pem)


def save(name, pem):
    open(os.path.join(OUT, name + ".pem"), "wb").write(pem)


EVIL = [(NameOID.ORGANIZATION_NAME, "Evil Corp"), (NameOID.COUNTRY_NAME, "US"),
        (NameOID.LOCALITY_NAME, "Nowhere")]
A = Acct(KID_A, HMAC_A)  # organization A: OV and EV vetted
U = Acct(KID_U, HMAC_U)  # organization U: never vetted
report(A.kid is not None and U.kid is not None, "accounts of a vetted and an unvetted organization")
report(sorted(DIR["meta"]["profiles"]) == ["classic", "ev", "ov", "shortlived"],
       "issue 10 item 4 directory meta.profiles: classic, shortlived, ov, ev")

# ---- OV/EV refused for an organization without vetting; DV works for it ----
problem(U.post(DIR["newOrder"], {"identifiers": [{"type": "dns", "value": "dv." + Z}],
                                 "profile": "ov"}),
    403, "unauthorized", "R-VAL-4 OV for an organization never vetted", "vetting.none")
problem(U.post(DIR["newOrder"], {"identifiers": [{"type": "dns", "value": "dv." + Z}],
                                 "profile": "ev"}),
        403, "unauthorized", "R-VAL-4 EV for an organization never vetted", "398")
st, loc, o = U.order(["dv." + Z])
report(st == 201 and U.validate(o), "DV order of the unvetted organization validated (http-01)")
st, h, o = U.finalize(loc, ["dv." + Z], EVIL)
report(st == 200 and o["status"] == "valid", "DV for the unvetted organization is issued")
c = leaf(U.cert(o))
report(attr(c, NameOID.ORGANIZATION_NAME) is None and attr(c, NameOID.COUNTRY_NAME) is None,
       "the DV certificate carries no O or C (the CSR's O= and C= ignored)")

# ---- OV: the subject from the vetted record, never from the CSR ----
st, loc, o = A.order(["www." + Z], "ov")
report(st == 201 and o["profile"] == "ov", "issue 10 item 4 an OV order of the vetted organization")
report(A.validate(o), "its authorization validated (http-01)")
st, loc2, o2 = A.order(["late." + Z], "ov")  # finalized after the vetting went stale
report(st == 201 and A.validate(o2), "a second OV order, ready")
st, h, o = A.finalize(loc, ["www." + Z], EVIL)
report(st == 200 and o["status"] == "valid", "the OV order is issued inside finalize")
pem = A.cert(o)
save("ov", pem)
c = leaf(pem)
report(attr(c, NameOID.ORGANIZATION_NAME) == "Shomei OVEV K.K."
       and attr(c, NameOID.LOCALITY_NAME) == "Chiyoda-ku"
       and attr(c, NameOID.STATE_OR_PROVINCE_NAME) == "Tokyo"
       and attr(c, NameOID.COUNTRY_NAME) == "JP",
       "R-VAL-4 the OV subject (O, L, ST, C) is the vetted record's, not the CSR's: %s"
       % c.subject.rfc4514_string())
report("Evil" not in c.subject.rfc4514_string(), "the CSR's O=Evil Corp is nowhere")

# ---- EV ----
problem(A.post(DIR["newOrder"], {"identifiers": [{"type": "dns", "value": "*." + Z}],
                                 "profile": "ev"}),
        400, "rejectedIdentifier", "EV names no wildcard")
st, loc, o = A.order(["ev." + Z], "ev")
report(st == 201 and A.validate(o), "an EV order, validated" + ("" if st == 201 else " (%s)" % o))
st, h, o = A.finalize(loc, ["ev." + Z], EVIL)
report(st == 200 and o["status"] == "valid", "the EV order is issued")
pem = A.cert(o)
save("ev", pem)
c = leaf(pem)
report(attr(c, NameOID.ORGANIZATION_NAME) == "Shomei OVEV K.K."
       and attr(c, NameOID.BUSINESS_CATEGORY) == "Private Organization"
       and attr(c, NameOID.SERIAL_NUMBER) == "0100-01-123456"
       and attr(c, NameOID.JURISDICTION_COUNTRY_NAME) == "JP",
       "the EV subject and EV fields are the vetted record's: %s" % c.subject.rfc4514_string())

# ---- R-VAL-1/2, RFC 8555 7.1.4: authorizations reused inside the reuse period ----
st, loc, o = A.order(["www." + Z])
az = A.authzs(o)
report(st == 201 and o["status"] == "ready" and az[0]["status"] == "valid",
       "a new order for a name validated recently: authorization valid at once, order ready")
st, h, o = A.finalize(loc, ["www." + Z])
report(st == 200 and o["status"] == "valid", "issued from the reused authorization")
n0 = sql("SELECT COUNT(*) FROM acme_authzs WHERE name = 'www.%s' AND status = 'valid'" % Z)
# past the reuse period: the evidence is stale, a new challenge is needed
sql("UPDATE acme_authzs SET validated_at = validated_at - 400 * 86400 WHERE name = 'www.%s'" % Z)
st, loc, o = A.order(["www." + Z])
report(st == 201 and o["status"] == "pending" and A.authzs(o)[0]["status"] == "pending",
       "R-VAL-2 past the reuse period: the authorization is pending again (was %s valid)" % n0)
# stale evidence at finalize: a ready order whose validation aged past the period
st, loc, o = A.order(["stale." + Z])
report(A.validate(o), "an order for stale." + Z + ", ready")
sql("UPDATE acme_authzs SET validated_at = validated_at - 400 * 86400 WHERE name = 'stale.%s'" % Z)
problem(A.finalize(loc, ["stale." + Z]), 403, "unauthorized",
        "R-VAL-2 stale evidence at finalize: no certificate", "acme.stale")
st, h, o = A.post(loc, None)
report(o["status"] == "invalid" and "certificate" not in o, "that order is invalid, no certificate")
# a CAA refusal: also when the authorization is reused
st, loc, o = A.order(["caa" + "-" + Z])
report(A.validate(o), "caa-" + Z + " validated")
problem(A.finalize(loc, ["caa-" + Z]), 403, "caa", "R-VAL-3 CAA refuses the first order")
st, loc, o = A.order(["caa-" + Z])
report(o["status"] == "ready", "the second order for the CAA name reuses the authorization")
problem(A.finalize(loc, ["caa-" + Z]), 403, "caa", "R-VAL-3 CAA refuses past a reused authorization")
# a name not validated: never ready, finalize refused
st, loc, o = A.order(["never." + Z])
problem(A.finalize(loc, ["never." + Z]), 403, "orderNotReady", "a name not validated: no certificate")

# ---- RFC 8555 7.6: revocation by an account that validated every name ----
st, loc, o = A.order(["shared." + Z])
report(A.validate(o), "organization A validates shared." + Z)
st, h, o = A.finalize(loc, ["shared." + Z])
shared = leaf(A.cert(o))
st, loc, o = U.order(["shared." + Z])
report(U.validate(o), "organization U's account validates shared." + Z + " too")
ov = x509.load_pem_x509_certificate(open(os.path.join(OUT, "ov.pem"), "rb").read())
der = lambda c: b64(c.public_bytes(serialization.Encoding.DER))
problem(U.post(DIR["revokeCert"], {"certificate": der(ov)}), 403, "unauthorized",
        "RFC 8555 7.6 an account lacking a name of the certificate is refused")
st, h, d = U.post(DIR["revokeCert"], {"certificate": der(shared)})
report(st == 200, "RFC 8555 7.6 an account holding authorizations for every name revokes (%s)" % st)
open(os.path.join(OUT, "shared.serial"), "w").write("%x" % shared.serial_number)
open(os.path.join(OUT, "ov.serial"), "w").write("%x" % ov.serial_number)

# ---- the vetting goes stale (R-VAL-4, 398 days): OV and EV refused, DV still works ----
sql("UPDATE vetting_checks SET at = at - 400 * 86400")
problem(A.post(DIR["newOrder"], {"identifiers": [{"type": "dns", "value": "www." + Z}],
                                 "profile": "ov"}),
        403, "unauthorized", "R-VAL-4 OV refused once the vetting is older than 398 days",
        "vetting.stale")
problem(A.post(DIR["newOrder"], {"identifiers": [{"type": "dns", "value": "ev." + Z}],
                                 "profile": "ev"}),
        403, "unauthorized", "R-VAL-4 EV refused likewise", "vetting.stale")
problem(A.finalize(loc2, ["late." + Z]), 403, "unauthorized",
        "R-VAL-4 an OV order made before finalized after: refused, no certificate")
st, h, o = A.post(loc2, None)
report(o["status"] == "ready" and "certificate" not in o, "that order has no certificate")
st, loc, o = A.order(["ev." + Z])
st, h, o = A.finalize(loc, ["ev." + Z])
report(st == 200 and o["status"] == "valid", "DV for the organization still works (reused authorization)")
sys.exit(acme_lib.FAILED)
