#!/usr/bin/python3
# A small scripted ACME client (RFC 8555) for tests/it/acme_account.sh: JWS signing (with
# tests/it/acme_lib.py: ES256, ES384, RS256, EdDSA, HS256 for EAB) and the protocol
# checks of issue 10 items 1-2 (R-ACME-1). Prints TAP lines; exit 1 when one failed.
# Usage: acme_client.py BASE_URL CA_FILE EAB_KID EAB_HMAC_KEY [SECOND_SERVER]
# SECOND_SERVER: another server of the same database (same base_url), for the nonces.
# acme_client.py lifecycle BASE_URL CA_FILE EAB_KID EAB_HMAC_KEY SPEC_JSON: the checks of
# tests/it/acme_revoke_ari.sh (issue 10 items 2, 3 and 6: revokeCert, deactivated
# accounts, keyChange conflicts, ARI); SPEC_JSON names the certificates and keys to use.
# acme_client.py register BASE_URL CA_FILE EAB_KID EAB_HMAC_KEY: registers a new account
# with these credentials; prints the status, the problem type or the account URL; exit 0
# on 201 (issue 10 item 4: credentials made on the account page).
# acme_client.py challenge BASE_URL CA_FILE EAB_KID EAB_HMAC_KEY NAME: registers, orders NAME
# and answers its http-01 challenge; prints one JSON line with the answer's status,
# content type, Retry-After, problem type and detail and the authorization's status after it
# (tests/it/mpic_http.sh, issue 11 item 2).
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acme_lib  # noqa: E402
from acme_lib import Key, b64, jws, new_account, nonce, report, request  # noqa: E402

MODE = sys.argv[1] if sys.argv[1] in ("lifecycle", "register", "challenge") else "account"
ARGS = sys.argv[2:] if MODE != "account" else sys.argv[1:]
BASE, CAFILE, KID, HMAC_KEY = ARGS[0:4]
SECOND = ARGS[4] if len(ARGS) > 4 and MODE == "account" else None
# ACME_CONNECT=http://HOST:PORT sends every request there, whatever host the URLs name (a
# server behind a reverse proxy, or one whose base_url is not its own port; CA_FILE "-").
CONNECT = os.environ.get("ACME_CONNECT")
# the directory's URLs, for the helpers below
DIRECTORY = acme_lib.setup(BASE, CAFILE, timeout=30, connect=CONNECT, raw=False) or {}
NEW_ACCOUNT = acme_lib.new_account_url()
KC = DIRECTORY.get("keyChange", BASE + "/acme/key-change")


def eab(key, url, kid=KID, mac_key=HMAC_KEY, payload_key=None):
    return acme_lib.eab(key, url, kid, mac_key, payload_key)


def problem(res, status, typ, name):
    acme_lib.problem(res, status, typ, name, ctype=True, replay_nonce=True)


def post_kid(key, url, kid, payload, sign=None):
    return acme_lib.post(key, kid, url, payload, sign=sign)


def key_change(old, new, account, inner_extra=None, old_jwk=None):
    hd = {"alg": new.alg, "jwk": new.jwk(), "url": KC}
    hd.update(inner_extra or {})
    inner = json.loads(jws(new, hd, {"account": account, "oldKey": old_jwk or old.jwk()}))
    return post_kid(old, KC, account, inner)


def cert_id(cert):
    """RFC 9773 4.1: base64url(AKI keyIdentifier) "." base64url(serial's DER octets)."""
    from cryptography import x509
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    n = cert.serial_number
    return b64(aki.key_identifier) + "." + b64(n.to_bytes((n.bit_length() + 8) // 8, "big"))


def lifecycle_checks():
    """Issue 10 items 2, 3 and 6 (R-ACME-1): revokeCert, deactivated accounts, ARI."""
    import calendar
    import time
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    spec = json.load(open(ARGS[4]))
    certs, keys = {}, {}
    for name, c in spec["certs"].items():
        certs[name] = x509.load_pem_x509_certificate(open(c["pem"], "rb").read())
        if c.get("key"):
            keys[name] = Key("ES256", serialization.load_pem_private_key(
                open(c["key"], "rb").read(), None))
    ri = DIRECTORY.get("renewalInfo")
    RC = DIRECTORY.get("revokeCert")

    def window(name, cid=None):
        st, h, d = request("GET", ri + "/" + (cid or cert_id(certs[name])))
        w = (d or {}).get("suggestedWindow", {})
        parse = lambda t: calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ")) if t else 0
        return st, h, parse(w.get("start")), parse(w.get("end"))

    def default_window(name):
        c = certs[name]
        nb = int(c.not_valid_before_utc.timestamp()) if hasattr(c, "not_valid_before_utc") \
            else int(c.not_valid_before.replace(tzinfo=__import__("datetime").timezone.utc).timestamp())
        na = int(c.not_valid_after_utc.timestamp()) if hasattr(c, "not_valid_after_utc") \
            else int(c.not_valid_after.replace(tzinfo=__import__("datetime").timezone.utc).timestamp())
        v = na - nb
        return nb + v * 2 // 3, nb + v * 5 // 6

    if spec["phase"] == "after":
        st, h, start, end = window("a3")
        report(st == 200 and start == spec["drill_at"] and end == start + 3600,
               "issue 10 item 6: after ari-drill the window of a drilled certificate starts at "
               "the drill (%s %s, drill %s)" % (st, start, spec["drill_at"]))
        st, h, start, end = window("b1")
        report(st == 200 and (start, end) == default_window("b1"),
               "issue 10 item 6: a certificate of another organization keeps its window")
        return

    def account(kid, key, mac):
        k = Key("ES256")
        st, h, d = new_account(k, {"termsOfServiceAgreed": True,
                                   "externalAccountBinding": eab(k, NEW_ACCOUNT, kid, mac)})
        report(st == 201, "an account with the EAB credentials of %s" % kid)
        return k, h.get("location", "")

    ka, acct_a = account(KID, None, HMAC_KEY)
    kb, acct_b = account(spec["kid_b"], None, spec["key_b"])
    kd, acct_d = account(KID, None, HMAC_KEY)

    def der(name):
        return b64(certs[name].public_bytes(serialization.Encoding.DER))

    def revoke_kid(key, acct, name, reason=None, raw=None):
        pl = {"certificate": raw or der(name)}
        if reason is not None:
            pl["reason"] = reason
        return post_kid(key, RC, acct, pl)

    def revoke_jwk(key, name, reason=None):
        pl = {"certificate": der(name)}
        if reason is not None:
            pl["reason"] = reason
        hd = {"alg": key.alg, "jwk": key.jwk(), "nonce": nonce(), "url": RC}
        return request("POST", RC, jws(key, hd, pl))

    # item 2: revokeCert (RFC 8555 7.6); the refusals first, each changing nothing
    report(RC == BASE + "/acme/revoke-cert", "the directory names revokeCert")
    problem(revoke_kid(kb, acct_b, "a1"), 403, "unauthorized",
            "issue 10 item 2: revokeCert of another organization's certificate")
    problem(revoke_kid(ka, acct_a, "a1", 9), 400, "badRevocationReason",
            "issue 10 item 2: privilegeWithdrawn is not the subscriber's")
    problem(revoke_kid(ka, acct_a, "a1", 2), 400, "badRevocationReason",
            "issue 10 item 2: cACompromise")
    problem(revoke_kid(ka, acct_a, "a1", "superseded"), 400, "badRevocationReason",
            "issue 10 item 2: a reason that is no integer")
    problem(revoke_kid(ka, acct_a, "a1", 1), 400, "badRevocationReason",
            "issue 10 item 2: keyCompromise signed with the account key")
    problem(revoke_jwk(Key("ES256"), "a1"), 403, "unauthorized",
            "issue 10 item 2: a jwk that is not the certificate's key")
    problem(revoke_kid(ka, acct_a, "a1", raw=b64(b"not a certificate")), 400, "malformed",
            "issue 10 item 2: a certificate that is no DER")
    problem(revoke_kid(ka, acct_a, "x", raw=der("foreign")), 400, "malformed",
            "issue 10 item 2: a certificate of another CA")
    # then the revocations
    st, h, d = revoke_kid(ka, acct_a, "a1", 4)
    report(st == 200 and "replay-nonce" in h,
           "issue 10 item 2: revokeCert by the account key of the owning organization: 200")
    problem(revoke_kid(ka, acct_a, "a1"), 400, "alreadyRevoked",
            "issue 10 item 2: the same certificate again")
    st, h, d = revoke_jwk(keys["a2"], "a2", 1)
    report(st == 200, "issue 10 item 2: revokeCert signed with the certificate's key, "
           "keyCompromise: 200 (%s %s)" % (st, d))
    problem(revoke_jwk(keys["a2"], "a2"), 400, "alreadyRevoked",
            "issue 10 item 2: by the certificate's key again")

    # item 3: a deactivated account is refused everywhere
    st, h, d = post_kid(kd, acct_d, acct_d, {"status": "deactivated"})
    report(st == 200 and d["status"] == "deactivated", "issue 10 item 3: account deactivated")
    problem(revoke_kid(kd, acct_d, "a3"), 403, "unauthorized",
            "issue 10 item 3: revokeCert by a deactivated account")
    problem(key_change(kd, Key("ES256"), acct_d), 403, "unauthorized",
            "issue 10 item 3: keyChange of a deactivated account")
    problem(post_kid(kd, acct_d, acct_d, {"status": "deactivated"}), 403, "unauthorized",
            "issue 10 item 3: the deactivated account's URL")
    res = key_change(ka, kd, acct_a)
    problem(res, 409, "malformed", "issue 10 item 3: keyChange to the deactivated account's key")
    report(res[1].get("location") == acct_d, "issue 10 item 3: Location names that account")

    # item 6: ARI (RFC 9773)
    report(ri == BASE + "/acme/renewal-info", "issue 10 item 6: the directory names renewalInfo")
    st, h, start, end = window("a3")
    report(st == 200 and (start, end) == default_window("a3") and h.get("retry-after") == "21600",
           "issue 10 item 6: renewalInfo: the window in the last third of the validity, "
           "Retry-After (%s %s %s)" % (st, (start, end), default_window("a3")))
    now = int(time.time())
    for name, why in (("a4", "a revocation scheduled"), ("a1", "revoked")):
        st, h, start, end = window(name)
        report(st == 200 and abs(start - now) < 600 and end > start,
               "issue 10 item 6: %s: the window is now (%s)" % (why, start - now))
    aki, ser = cert_id(certs["a3"]).split(".")
    for cid, status, typ, what in (
            ("nodot", 400, "malformed", "a certID without a dot"),
            ("!!." + ser, 400, "malformed", "a certID that is not base64url"),
            (aki + ".", 400, "malformed", "a certID without serial"),
            (aki + "." + b64(b"\x7f" * 15), 404, None, "an unknown serial"),
            (b64(b"\x01" * 20) + "." + ser, 404, None, "a known serial with another AKI")):
        st, h, d = request("GET", ri + "/" + cid)
        ok = st == status and h.get("content-type", "").startswith("application/problem+json") \
            and (typ is None or (d or {}).get("type") == "urn:ietf:params:acme:error:" + typ)
        report(ok, "issue 10 item 6: %s -> %s (got %s %s)" % (what, status, st, (d or {}).get("type")))


def account_checks():
    """Issue 10 items 1-2: directory, nonces, accounts, keyChange."""
    st, h, d = request("GET", BASE + "/acme/directory")
    d0 = d
    report(st == 200 and d and d.get("newAccount") == BASE + "/acme/new-account"
           and d.get("newNonce") == BASE + "/acme/new-nonce"
           and d["meta"]["externalAccountRequired"] is True, "directory over HTTPS names newNonce, "
           "newAccount and externalAccountRequired")

    st, h, _ = request("POST", BASE + "/acme/no-such-resource", "{}")
    report(st == 404 and h.get("content-type", "").startswith("application/problem+json"),
           "a resource not there yet: 404 as a problem document, not a page")
    st, h, _ = request("HEAD", d["newNonce"])
    report(st == 200 and len(h.get("replay-nonce", "")) == 22 and h.get("cache-control") == "no-store"
           and 'rel="index"' in h.get("link", ""), "HEAD new-nonce: 200, Replay-Nonce, no-store, Link")
    st, h2, _ = request("GET", d["newNonce"])
    report(st == 204 and h2.get("replay-nonce") not in (None, h.get("replay-nonce")),
           "GET new-nonce: 204 with another nonce")

    keys = {}

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


    new_key = Key("ES256")
    problem(key_change(es, new_key, acct, {"nonce": nonce()}), 400, "malformed",
            "keyChange: an inner JWS with a nonce")
    problem(key_change(es, new_key, acct, old_jwk=other.jwk()), 403, "unauthorized",
            "keyChange: oldKey not the account's")
    res = key_change(es, keys["ES384"], acct)
    problem(res, 409, "malformed", "issue 10 item 3: keyChange to another account's key: 409")
    report(res[1].get("location") == locations["ES384"],
           "issue 10 item 3: the 409 names that account in Location (RFC 8555 7.3.5)")
    st, h, d = key_change(es, new_key, acct)
    report(st == 200 and d["status"] == "valid", "keyChange: 200")
    problem(post_kid(es, acct, acct, None), 400, "malformed", "the old key no longer signs")
    st, h, d = post_kid(new_key, acct, acct, None)
    report(st == 200 and d["status"] == "valid", "the new key signs for the account")
    print(json.dumps(locations), file=sys.stderr)


if MODE == "register":
    k = Key("ES256")
    st, h, d = new_account(k, {"termsOfServiceAgreed": True,
                               "externalAccountBinding": eab(k, NEW_ACCOUNT)})
    print(st, (d or {}).get("type", "") if st != 201 else h.get("location", ""))
    sys.exit(0 if st == 201 else 1)
elif MODE == "challenge":
    k = Key("ES256")
    st, h, d = new_account(k, {"termsOfServiceAgreed": True,
                               "externalAccountBinding": eab(k, NEW_ACCOUNT)})
    acct = h.get("location", "")
    st, h, o = post_kid(k, DIRECTORY["newOrder"], acct,
                        {"identifiers": [{"type": "dns", "value": ARGS[4]}]})
    authz = (o or {}).get("authorizations", [""])[0]
    st, h, a = post_kid(k, authz, acct, None)
    ch = [c for c in (a or {}).get("challenges", []) if c["type"] == "http-01"]
    st, h, p = post_kid(k, ch[0]["url"], acct, {}) if ch else (0, {}, {})
    out = {"status": st, "content_type": h.get("content-type", ""),
           "retry_after": h.get("retry-after", ""), "type": (p or {}).get("type", ""),
           "detail": (p or {}).get("detail", "")}
    st, h, a = post_kid(k, authz, acct, None)
    out["authz"] = (a or {}).get("status", "")
    print(json.dumps(out, ensure_ascii=False))
    sys.exit(0)
elif MODE == "lifecycle":
    lifecycle_checks()
else:
    account_checks()
sys.exit(acme_lib.FAILED)
