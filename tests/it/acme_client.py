#!/usr/bin/python3
# A small scripted ACME client (RFC 8555) for tests/it/acme_account.sh: JWS signing with
# the cryptography module (ES256, ES384, RS256, EdDSA, HS256 for EAB) and the protocol
# checks of issue 10 items 1-2 (R-ACME-1). Prints TAP lines; exit 1 when one failed.
# Usage: acme_client.py BASE_URL CA_FILE EAB_KID EAB_HMAC_KEY [SECOND_SERVER]
# SECOND_SERVER: another server of the same database (same base_url), for the nonces.
import base64
import http.client
import json
import ssl
import sys
import urllib.parse

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

BASE, CAFILE, KID, HMAC_KEY = sys.argv[1:5]
SECOND = sys.argv[5] if len(sys.argv) > 5 else None
CTX = ssl.create_default_context(cafile=CAFILE)
FAILED = 0


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def report(ok, name):
    global FAILED
    print(("ok" if ok else "not ok") + " - " + name, flush=True)
    if not ok:
        FAILED = 1


def request(method, url, body=None, ctype="application/jose+json", server=None):
    u = urllib.parse.urlsplit(server + urllib.parse.urlsplit(url).path if server else url)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=CTX, timeout=30)
    headers = {"Content-Type": ctype} if body is not None else {}
    c.request(method, u.path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    try:
        doc = json.loads(data) if data else None
    except ValueError:
        doc = None
    return r.status, hdrs, doc


class Key:
    def __init__(self, kind):
        self.kind = kind
        if kind == "ES256":
            self.k = ec.generate_private_key(ec.SECP256R1())
        elif kind == "ES384":
            self.k = ec.generate_private_key(ec.SECP384R1())
        elif kind == "RS256":
            self.k = rsa.generate_private_key(65537, 2048)
        elif kind == "RS1024":
            self.k = rsa.generate_private_key(65537, 1024)
        else:
            self.k = ed25519.Ed25519PrivateKey.generate()
        self.alg = "RS256" if kind == "RS1024" else kind

    def jwk(self):
        pub = self.k.public_key()
        if self.kind.startswith("ES"):
            n = pub.public_numbers()
            size = 32 if self.kind == "ES256" else 48
            return {"kty": "EC", "crv": "P-256" if size == 32 else "P-384",
                    "x": b64(n.x.to_bytes(size, "big")), "y": b64(n.y.to_bytes(size, "big"))}
        if self.kind.startswith("RS"):
            n = pub.public_numbers()
            return {"kty": "RSA", "e": b64(n.e.to_bytes(3, "big")),
                    "n": b64(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"))}
        from cryptography.hazmat.primitives import serialization
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}

    def sign(self, data):
        if self.kind.startswith("ES"):
            size = 32 if self.kind == "ES256" else 48
            h = hashes.SHA256() if size == 32 else hashes.SHA384()
            r, s = decode_dss_signature(self.k.sign(data, ec.ECDSA(h)))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        if self.kind.startswith("RS"):
            return self.k.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.k.sign(data)


def jws(key, header, payload, sign=None):
    prot = b64(json.dumps(header).encode())
    pl = "" if payload is None else b64(json.dumps(payload).encode())
    sig = (sign or key.sign)((prot + "." + pl).encode())
    return json.dumps({"protected": prot, "payload": pl, "signature": b64(sig)})


def eab(key, url, kid=KID, mac_key=HMAC_KEY, payload_key=None):
    prot = b64(json.dumps({"alg": "HS256", "kid": kid, "url": url}).encode())
    pl = b64(json.dumps((payload_key or key).jwk()).encode())
    h = hmac.HMAC(unb64(mac_key), hashes.SHA256())
    h.update((prot + "." + pl).encode())
    return {"protected": prot, "payload": pl, "signature": b64(h.finalize())}


st, h, d = request("GET", BASE + "/acme/directory")
d0 = d
report(st == 200 and d and d.get("newAccount") == BASE + "/acme/new-account"
       and d.get("newNonce") == BASE + "/acme/new-nonce"
       and d["meta"]["externalAccountRequired"] is True, "directory over HTTPS names newNonce, "
       "newAccount and externalAccountRequired")
NEW_ACCOUNT = d["newAccount"]

st, h, _ = request("POST", BASE + "/acme/no-such-resource", "{}")
report(st == 404 and h.get("content-type", "").startswith("application/problem+json"),
       "a resource not there yet: 404 as a problem document, not a page")
st, h, _ = request("HEAD", d["newNonce"])
report(st == 200 and len(h.get("replay-nonce", "")) == 22 and h.get("cache-control") == "no-store"
       and 'rel="index"' in h.get("link", ""), "HEAD new-nonce: 200, Replay-Nonce, no-store, Link")
st, h2, _ = request("GET", d["newNonce"])
report(st == 204 and h2.get("replay-nonce") not in (None, h.get("replay-nonce")),
       "GET new-nonce: 204 with another nonce")


def nonce():
    return request("HEAD", BASE + "/acme/new-nonce")[1]["replay-nonce"]


def new_account(key, payload, header=None, sign=None, ctype="application/jose+json", raw=None):
    hd = {"alg": key.alg, "jwk": key.jwk(), "nonce": nonce(), "url": NEW_ACCOUNT}
    hd.update(header or {})
    hd = {k: v for k, v in hd.items() if v is not None}
    body = raw if raw is not None else jws(key, hd, payload, sign)
    return request("POST", NEW_ACCOUNT, body, ctype)


def problem(res, status, typ, name):
    st, h, d = res
    got = (d or {}).get("type")
    ok = st == status and got == "urn:ietf:params:acme:error:" + typ and "replay-nonce" in h \
        and h.get("content-type", "").startswith("application/problem+json")
    report(ok, name + " -> " + typ + ("" if ok else " (got %s %s)" % (st, got)))


# requests signed with the account's kid (RFC 8555 6.2): the account URL
keys = {}


def post_kid(key, url, kid, payload, sign=None):
    hd = {"alg": key.alg, "kid": kid, "nonce": nonce(), "url": url}
    return request("POST", url, jws(key, hd, payload, sign))


# accounts with EAB for each key type
locations = {}
for kind in ("ES256", "ES384", "RS256", "EdDSA"):
    k = Key(kind)
    st, h, d = new_account(k, {"termsOfServiceAgreed": True, "contact": ["mailto:ops@example.jp"],
                               "externalAccountBinding": eab(k, NEW_ACCOUNT)})
    loc = h.get("location", "")
    report(st == 201 and loc.startswith(BASE + "/acme/acct/") and d["status"] == "valid"
           and d["contact"] == ["mailto:ops@example.jp"] and "replay-nonce" in h,
           "newAccount with EAB, %s key: 201 and the account URL" % kind)
    st2, h2, _ = new_account(k, {"externalAccountBinding": eab(k, NEW_ACCOUNT)})
    report(st2 == 200 and h2.get("location") == loc, "%s key again: 200, the same account" % kind)
    st3, h3, _ = new_account(k, {"onlyReturnExisting": True})
    report(st3 == 200 and h3.get("location") == loc, "%s key, onlyReturnExisting: found" % kind)
    locations[kind] = loc
    keys[kind] = k

es, ed = keys["ES256"], keys["EdDSA"]
acct, acct_ed = locations["ES256"], locations["EdDSA"]
st, h, d = post_kid(es, acct, acct, None)
report(st == 200 and d["status"] == "valid" and "replay-nonce" in h,
       "POST-as-GET of the account with its kid: 200, valid")
st, h, d = post_kid(es, acct, acct, {"contact": ["mailto:new@example.jp"]})
report(st == 200 and d["contact"] == ["mailto:new@example.jp"], "contact updated")

# refusals, each with its problem type, none creating an account
k = Key("ES256")
other = Key("ES256")
good = {"termsOfServiceAgreed": True}
problem(new_account(k, good), 400, "externalAccountRequired", "no EAB")
bad_mac = b64(b"\x00" * 32)
problem(new_account(k, {"externalAccountBinding": eab(k, NEW_ACCOUNT, mac_key=bad_mac)}), 403,
        "unauthorized", "EAB with a wrong MAC")
problem(new_account(k, {"externalAccountBinding": eab(k, NEW_ACCOUNT, kid="nosuchkid")}), 403,
        "unauthorized", "EAB with an unknown key id")
problem(new_account(k, {"externalAccountBinding": eab(k, NEW_ACCOUNT, payload_key=other)}), 400,
        "malformed", "EAB over another key")
problem(new_account(k, {"externalAccountBinding": eab(k, BASE + "/acme/elsewhere")}), 400,
        "malformed", "EAB with another url")
problem(new_account(k, {"onlyReturnExisting": True}), 400, "accountDoesNotExist",
        "onlyReturnExisting for an unknown key")
problem(new_account(k, {"contact": ["tel:+81312345678"],
                        "externalAccountBinding": eab(k, NEW_ACCOUNT)}), 400, "invalidContact",
        "a contact that is not mailto:")
# the same nonce twice
n = nonce()
body = jws(k, {"alg": "ES256", "jwk": k.jwk(), "nonce": n, "url": NEW_ACCOUNT},
           {"onlyReturnExisting": True})
request("POST", NEW_ACCOUNT, body)
problem(request("POST", NEW_ACCOUNT, body), 400, "badNonce", "a nonce used twice")
if SECOND:
    # a nonce of the second server is good at the first, once; then at neither
    n = request("HEAD", BASE + "/acme/new-nonce", server=SECOND)[1]["replay-nonce"]
    body = jws(es, {"alg": "ES256", "kid": acct, "nonce": n, "url": acct}, None)
    st, h, d = request("POST", acct, body)
    report(st == 200, "a nonce of the other server is good here")
    problem(request("POST", acct, body, server=SECOND), 400, "badNonce",
            "the same nonce again at the server that issued it")
    n = nonce()
    body = jws(es, {"alg": "ES256", "kid": acct, "nonce": n, "url": acct}, None)
    st, h, d = request("POST", acct, body, server=SECOND)
    report(st == 200, "a nonce of this server is good at the other")
    problem(request("POST", acct, body), 400, "badNonce", "and not again here")
problem(new_account(k, good, {"nonce": "AAAAAAAAAAAAAAAAAAAAAA"}), 400, "badNonce",
        "a nonce never issued")
problem(new_account(k, good, {"nonce": None}), 400, "badNonce", "no nonce")
problem(new_account(k, good, {"url": BASE + "/acme/new-order"}), 403, "unauthorized",
        "url header of another resource")
problem(new_account(k, good, {"kid": BASE + "/acme/acct/1"}), 400, "malformed", "kid and jwk")
problem(new_account(k, good, {"alg": "ES384"}), 400, "badSignatureAlgorithm",
        "alg of another key")
res = new_account(k, good, {"alg": "none"})
problem(res, 400, "badSignatureAlgorithm", "alg none")
report(sorted((res[2] or {}).get("algorithms", [])) == ["ES256", "ES384", "EdDSA", "RS256"],
       "badSignatureAlgorithm lists the algorithms accepted (RFC 8555 6.2)")
problem(new_account(k, good, {"alg": "HS256"}), 400, "badSignatureAlgorithm", "alg HS256")
problem(new_account(k, good, sign=lambda data: other.sign(data)), 400, "malformed",
        "a signature of another key")
problem(new_account(k, good, ctype="application/json"), 400, "malformed",
        "Content-Type application/json")
problem(new_account(Key("RS1024"), good), 400, "badPublicKey", "RSA 1024 key")
problem(new_account(k, good, raw=json.dumps({"protected": "x" * 70000, "payload": "",
                                             "signature": "AA"})), 400, "malformed",
        "body larger than 64 KiB")
problem(new_account(k, good, raw="not json"), 400, "malformed", "not a JWS")
problem(post_kid(es, acct_ed, acct, None), 403, "unauthorized", "kid of another account")
problem(post_kid(ed, acct, acct_ed, None), 403, "unauthorized",
        "another account's kid and key on this account's URL")
problem(post_kid(es, acct, acct_ed, None), 400, "badSignatureAlgorithm",
        "another account's kid (an Ed25519 key) signed with ES256")
problem(post_kid(es, acct, acct, None, sign=lambda data: other.sign(data)), 400, "malformed",
        "kid signed with a key not the account's")
problem(post_kid(es, BASE + "/acme/acct/99999", BASE + "/acme/acct/99999", None), 400,
        "accountDoesNotExist", "kid of no account")
problem(post_kid(es, acct, acct, {"status": "revoked"}), 400, "malformed",
        "status other than deactivated")
st, h, d = post_kid(ed, acct_ed, acct_ed, {"status": "deactivated"})
report(st == 200 and d["status"] == "deactivated", "account deactivated (RFC 8555 7.3.6)")
problem(post_kid(ed, acct_ed, acct_ed, None), 403, "unauthorized",
        "a deactivated account's request")
problem(new_account(ed, {"externalAccountBinding": eab(ed, NEW_ACCOUNT)}), 403, "unauthorized",
        "newAccount with a deactivated account's key")
st, h, d = new_account(k, {"onlyReturnExisting": True})
report(st == 400, "after the refusals the key still has no account")

# keyChange (RFC 8555 7.3.5): the ES256 account rolls over to a new key
KC = d0["keyChange"]


def key_change(old, new, account, inner_extra=None, old_jwk=None):
    hd = {"alg": new.alg, "jwk": new.jwk(), "url": KC}
    hd.update(inner_extra or {})
    inner = json.loads(jws(new, hd, {"account": account, "oldKey": old_jwk or old.jwk()}))
    return post_kid(old, KC, account, inner)


new_key = Key("ES256")
problem(key_change(es, new_key, acct, {"nonce": nonce()}), 400, "malformed",
        "keyChange: an inner JWS with a nonce")
problem(key_change(es, new_key, acct, old_jwk=other.jwk()), 403, "unauthorized",
        "keyChange: oldKey not the account's")
problem(key_change(es, keys["ES384"], acct), 400, "malformed",
        "keyChange: the new key is another account's")
st, h, d = key_change(es, new_key, acct)
report(st == 200 and d["status"] == "valid", "keyChange: 200")
problem(post_kid(es, acct, acct, None), 400, "malformed", "the old key no longer signs")
st, h, d = post_kid(new_key, acct, acct, None)
report(st == 200 and d["status"] == "valid", "the new key signs for the account")
print(json.dumps(locations), file=sys.stderr)
sys.exit(FAILED)
