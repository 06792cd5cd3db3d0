# The parts the scripted ACME clients of tests/it/ share (RFC 8555): base64url, TAP lines,
# HTTPS requests, account keys (ES256, ES384, RS256, EdDSA), JWS and EAB (HS256) signing,
# nonces, newAccount, POST with a kid, problem documents, CSRs and key authorizations.
# A client calls setup() once, then uses the functions below; FAILED is 1 once a check
# failed (sys.exit(acme_lib.FAILED) at the end).
import base64
import http.client
import json
import ssl
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

ERR = "urn:ietf:params:acme:error:"
FAILED = 0
BASE = None
CTX = None
DIR = {}
# setup()'s choices
_connect = None
_timeout = 60
_join = False
_raw = True


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def report(ok, name):
    global FAILED
    print(("ok" if ok else "not ok") + " - " + name, flush=True)
    if not ok:
        FAILED = 1


def setup(base, cafile, timeout=60, connect=None, join_headers=False, raw=True):
    """Base URL and CA file ("-": none) of the server; fetches the directory into DIR.
    connect: http(s)://HOST:PORT every request goes to, whatever host the URLs name.
    join_headers: repeated response headers joined with ", " (else the last one wins).
    raw: a body that is no JSON (a PEM chain) returned as bytes (else None)."""
    global BASE, CTX, DIR, _connect, _timeout, _join, _raw
    BASE = base
    CTX = ssl.create_default_context(cafile=cafile) if cafile != "-" else None
    _connect, _timeout, _join, _raw = connect, timeout, join_headers, raw
    DIR = request("GET", BASE + "/acme/directory")[2]
    return DIR


def request(method, url, body=None, ctype="application/jose+json", server=None, port=None):
    """One request: (status, headers with lower-case names, JSON document or body)."""
    server = server or _connect
    u = urllib.parse.urlsplit(server + urllib.parse.urlsplit(url).path if server else url)
    if u.scheme == "http":
        c = http.client.HTTPConnection(u.hostname, port or u.port, timeout=_timeout)
    else:
        c = http.client.HTTPSConnection(u.hostname, port or u.port, context=CTX,
                                        timeout=_timeout)
    headers = {"Content-Type": ctype} if body is not None else {}
    c.request(method, u.path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    hdrs = {}
    for k, v in r.getheaders():
        k = k.lower()
        hdrs[k] = hdrs[k] + ", " + v if _join and k in hdrs else v
    c.close()
    if not _raw:
        try:
            return r.status, hdrs, json.loads(data) if data else None
        except ValueError:
            return r.status, hdrs, None
    try:
        doc = json.loads(data) if data and b"BEGIN" not in data[:20] else data
    except ValueError:
        doc = data
    return r.status, hdrs, doc


class Key:
    """An account key: ES256, ES384, RS256, RS1024 (signs RS256) or EdDSA (Ed25519)."""

    def __init__(self, kind="ES256", private=None):
        self.kind = kind
        if private is not None:
            self.k = private
        elif kind == "ES256":
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
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}

    def thumbprint(self):
        """RFC 7638 JWK thumbprint (SHA-256)."""
        j = json.dumps(self.jwk(), sort_keys=True, separators=(",", ":")).encode()
        h = hashes.Hash(hashes.SHA256())
        h.update(j)
        return b64(h.finalize())

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
    """A flattened JWS; payload None: the empty payload of a POST-as-GET."""
    prot = b64(json.dumps(header).encode())
    pl = "" if payload is None else b64(json.dumps(payload).encode())
    sig = (sign or key.sign)((prot + "." + pl).encode())
    return json.dumps({"protected": prot, "payload": pl, "signature": b64(sig)})


def eab(key, url, kid, mac_key, payload_key=None):
    """The externalAccountBinding (RFC 8555 7.3.4): key's JWK MACed with HS256."""
    prot = b64(json.dumps({"alg": "HS256", "kid": kid, "url": url}).encode())
    pl = b64(json.dumps((payload_key or key).jwk()).encode())
    h = hmac.HMAC(unb64(mac_key), hashes.SHA256())
    h.update((prot + "." + pl).encode())
    return {"protected": prot, "payload": pl, "signature": b64(h.finalize())}


def new_account_url():
    return (DIR or {}).get("newAccount", BASE + "/acme/new-account")


def nonce():
    return request("HEAD", (DIR or {}).get("newNonce", BASE + "/acme/new-nonce"))[1]["replay-nonce"]


def new_account(key, payload, header=None, sign=None, ctype="application/jose+json", raw=None):
    """newAccount signed with key's JWK; header entries added or (None) taken out."""
    url = new_account_url()
    hd = {"alg": key.alg, "jwk": key.jwk(), "nonce": nonce(), "url": url}
    hd.update(header or {})
    hd = {k: v for k, v in hd.items() if v is not None}
    body = raw if raw is not None else jws(key, hd, payload, sign)
    return request("POST", url, body, ctype)


def register(key, eab_kid, eab_key, contact=None):
    """A new account with EAB credentials; its URL (None when refused)."""
    p = {"termsOfServiceAgreed": True}
    if contact:
        p["contact"] = [contact]
    p["externalAccountBinding"] = eab(key, new_account_url(), eab_kid, eab_key)
    return new_account(key, p)[1].get("location")


def post(key, kid, url, payload, port=None, sign=None):
    """POST signed with the account's kid; payload None is a POST-as-GET."""
    hd = {"alg": key.alg, "kid": kid, "nonce": nonce(), "url": url}
    return request("POST", url, jws(key, hd, payload, sign), port=port)


def problem(res, status, typ, name, detail=None, ctype=False, replay_nonce=False):
    """Reports whether res is a problem document of that status and type (and detail in
    it; a problem+json Content-Type; a Replay-Nonce); returns the document."""
    st, h, d = res
    doc = d if isinstance(d, dict) else {}
    got = doc.get("type")
    ok = st == status and got == ERR + typ and (detail is None or detail in json.dumps(d)) \
        and (not ctype or h.get("content-type", "").startswith("application/problem+json")) \
        and (not replay_nonce or "replay-nonce" in h)
    report(ok, name + " -> " + typ + ("" if ok else " (got %s %s %s)" % (st, got, d)))
    return doc


def ident(*names):
    return [{"type": "dns", "value": n} for n in names]


def csr_der(names, key=None, subject=None):
    """A CSR (base64url DER) for names, CN the first; subject: more (oid, value) pairs."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, names[0])]
    for oid, v in (subject or []):
        attrs.append(x509.NameAttribute(oid, v))
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    return b64(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def key_auth(token, key):
    """RFC 8555 8.1 key authorization."""
    return token + "." + key.thumbprint()


class Client:
    """One account's keep-alive HTTPS connection to the server (setup() called first): each
    POST takes the Replay-Nonce of the previous answer (a fresh one after badNonce), so an
    order costs no newNonce round trip. For a client that runs many orders (bench/)."""

    def __init__(self, key=None):
        self.key = key or Key()
        self.kid = None
        self.conn = None
        self.nonce = None

    def _connection(self):
        if self.conn is None:
            u = urllib.parse.urlsplit(_connect or BASE)
            if u.scheme == "http":
                self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=_timeout)
            else:
                self.conn = http.client.HTTPSConnection(u.hostname, u.port, context=CTX,
                                                        timeout=_timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, url, body=None, ctype="application/jose+json"):
        """As request(), on this client's connection (opened again once when the server
        closed it); keeps the answer's Replay-Nonce."""
        path = urllib.parse.urlsplit(url).path
        headers = {"Content-Type": ctype} if body is not None else {}
        for attempt in (0, 1):
            c = self._connection()
            try:
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt:
                    raise
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if r.will_close:
            self.close()
        self.nonce = hdrs.get("replay-nonce", self.nonce)
        try:
            doc = json.loads(data) if data and b"BEGIN" not in data[:20] else data
        except ValueError:
            doc = data
        return r.status, hdrs, doc

    def _nonce(self):
        if self.nonce is None:
            self.request("HEAD", (DIR or {}).get("newNonce", BASE + "/acme/new-nonce"))
        n, self.nonce = self.nonce, None
        return n

    def _signed(self, url, payload, header):
        for attempt in (0, 1):
            hd = dict(header, nonce=self._nonce(), url=url)
            res = self.request("POST", url, jws(self.key, hd, payload))
            bad = isinstance(res[2], dict) and res[2].get("type") == ERR + "badNonce"
            if not bad:
                return res
        return res

    def register(self, eab_kid, eab_key, contact=None):
        """A new account with EAB credentials: its URL (None when refused)."""
        p = {"termsOfServiceAgreed": True}
        if contact:
            p["contact"] = [contact]
        url = new_account_url()
        p["externalAccountBinding"] = eab(self.key, url, eab_kid, eab_key)
        res = self._signed(url, p, {"alg": self.key.alg, "jwk": self.key.jwk()})
        self.kid = res[1].get("location")
        return self.kid

    def post(self, url, payload):
        """POST signed with the account's kid; payload None is a POST-as-GET."""
        return self._signed(url, payload, {"alg": self.key.alg, "kid": self.kid})
