#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# A light parallel ACME client for bench/acme.sh (issue 10 item 9): K workers, each with
# its own account (EAB) and keep-alive HTTPS connection, run N single-name orders in all
# (newOrder, authorization, http-01 challenge, poll, finalize, poll, certificate) and check
# every certificate: a PEM chain (application/pem-certificate-chain) of leaf and issuing
# CA whose leaf names exactly the ordered name, signed by the CA that follows it, with the
# CSR's key. The http-01 answers are files written to WEBROOT, which the bench's HTTP
# server on [dcv] http_port serves. Built on tests/it/acme_lib.py (JWS, EAB, CSR, key
# authorization). Each worker makes one untimed warm-up order first.
# Workers are processes (--mode process, the default: Python's GIL would serialise the
# clients' own work) or threads (--mode thread).
# The timed window (after the warm-up orders, until the last certificate) is measured
# here: its wall-clock time, the CPU ticks of PID (utime+stime from /proc/PID/stat), the
# machine's busy ticks (/proc/stat) and the workers' own CPU (the window's orders only). Prints one line:
#   orders=N failed=F ms=T server_ticks=S machine_ticks=M client_ticks=C
# and writes OUT_DIR/sample-W.pem (worker W's last chain) for `openssl verify`.
# Exit 1 when an order or a check failed (each failure said on stderr).
# Usage: acme_flood.py BASE CA_FILE EAB_FILE WEBROOT OUT_DIR N PID [--mode M]
#   EAB_FILE: one "KID HMAC_KEY" line per worker (K = its lines); names are
#   f<random>.<--domain, default bench.acme-test.co.jp>.
import argparse
import multiprocessing
import os
import secrets
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "it"))
import acme_lib  # noqa: E402
from acme_lib import Client, csr_der, key_auth  # noqa: E402

CHAIN_TYPE = "application/pem-certificate-chain"


class OrderFailed(Exception):
    pass


def expect(cond, what, res=None):
    if not cond:
        detail = "" if res is None else " (got %s %s)" % (res[0], res[2] if isinstance(
            res[2], dict) else type(res[2]).__name__)
        raise OrderFailed(what + detail)


def poll(cl, url, doc, res, pending, deadline):
    """POST-as-GET url while its status is one of pending (Retry-After, at most 1 s)."""
    while doc.get("status") in pending:
        expect(time.monotonic() < deadline, "still %s at the deadline" % doc.get("status"))
        time.sleep(min(1.0, max(0.05, float(res[1].get("retry-after", "0.1") or 0.1))))
        res = cl.post(url, None)
        expect(res[0] == 200 and isinstance(res[2], dict), "poll " + url, res)
        doc = res[2]
    return doc


def signed_by(cert, issuer):
    """1 when issuer's key verifies cert's signature (ECDSA or RSA PKCS#1 v1.5)."""
    pub = issuer.public_key()
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
    except Exception:
        return 0
    return cert.issuer == issuer.subject


def check_chain(pem, name, key):
    """The chain's leaf names exactly name, has key's public key, and each certificate is
    signed by the next one."""
    end = b"-----END CERTIFICATE-----"
    certs = [x509.load_pem_x509_certificate(p + end) for p in pem.split(end) if b"BEGIN" in p]
    expect(len(certs) >= 2, "the chain has leaf and issuing CA (%d certificates)" % len(certs))
    leaf = certs[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    expect(san.get_values_for_type(x509.DNSName) == [name],
           "leaf names %s, ordered %s" % (san.get_values_for_type(x509.DNSName), name))
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    expect(leaf.public_key().public_bytes(serialization.Encoding.DER, spki) ==
           key.public_key().public_bytes(serialization.Encoding.DER, spki),
           "the leaf has the CSR's key")
    for c, issuer in zip(certs, certs[1:]):
        expect(signed_by(c, issuer), "%s signed by the next certificate" % c.subject.rfc4514_string())


def one_order(cl, name, webroot, timeout):
    """One order for name, start to certificate; returns the checked PEM chain."""
    deadline = time.monotonic() + timeout
    d = acme_lib.DIR
    res = cl.post(d["newOrder"], {"identifiers": [{"type": "dns", "value": name}]})
    expect(res[0] == 201 and isinstance(res[2], dict) and "location" in res[1], "newOrder", res)
    url, order = res[1]["location"], res[2]
    expect(len(order.get("authorizations", [])) == 1, "one authorization", res)
    az_url = order["authorizations"][0]
    res = cl.post(az_url, None)
    expect(res[0] == 200 and isinstance(res[2], dict), "authorization", res)
    if res[2].get("status") != "valid":
        ch = [c for c in res[2].get("challenges", []) if c.get("type") == "http-01"]
        expect(len(ch) == 1, "an http-01 challenge", res)
        token = ch[0]["token"]
        path = os.path.join(webroot, ".well-known", "acme-challenge", token)
        with open(path + ".tmp", "w") as f:
            f.write(key_auth(token, cl.key))
        os.replace(path + ".tmp", path)
        try:
            res = cl.post(ch[0]["url"], {})
            expect(res[0] == 200 and isinstance(res[2], dict), "challenge", res)
            if res[2].get("status") != "valid":
                res = cl.post(az_url, None)
                az = poll(cl, az_url, res[2], res, ("pending",), deadline)
                expect(az.get("status") == "valid", "authorization valid (%s)" % az)
        finally:
            os.unlink(path)
    key = ec.generate_private_key(ec.SECP256R1())
    res = cl.post(order["finalize"], {"csr": csr_der([name], key)})
    expect(res[0] == 200 and isinstance(res[2], dict), "finalize", res)
    order = poll(cl, url, res[2], res, ("ready", "processing"), deadline)
    expect(order.get("status") == "valid" and "certificate" in order,
           "order valid (%s)" % order)
    res = cl.post(order["certificate"], None)
    expect(res[0] == 200 and res[1].get("content-type") == CHAIN_TYPE and
           isinstance(res[2], bytes), "certificate download", res)
    check_chain(res[2], name, key)
    return res[2]


def worker(w, kid, hmac_key, jobs, args, results, start):
    """Registers its account and makes one warm-up order, waits for start, then takes
    orders from jobs (a shared counter) until none are left; results[w] = (ok, failed,
    its CPU seconds meanwhile)."""
    cl = Client()
    ok = failed = 0
    pem = None
    try:
        if cl.register(kid, hmac_key) is None:
            raise OrderFailed("worker %d: newAccount refused" % w)
        pem = one_order(cl, "w%s.%s" % (secrets.token_hex(5), args.domain), args.webroot,
                        args.timeout)
    except Exception as exc:  # the worker is out (the run fails); the others take its share
        print("acme_flood: worker %d set-up: %s" % (w, exc), file=sys.stderr, flush=True)
        start.wait()
        results[w] = (0, -1, 0.0)
        return
    start.wait()
    cpu0 = time.thread_time()
    while True:
        with jobs.get_lock():
            if jobs.value <= 0:
                break
            jobs.value -= 1
        name = "f%s.%s" % (secrets.token_hex(5), args.domain)
        try:
            pem = one_order(cl, name, args.webroot, args.timeout)
            ok += 1
        except Exception as exc:
            failed += 1
            print("acme_flood: worker %d %s: %s" % (w, name, exc), file=sys.stderr, flush=True)
    cl.close()
    if pem is not None:
        with open(os.path.join(args.out, "sample-%d.pem" % w), "wb") as f:
            f.write(pem)
    results[w] = (ok, failed, time.thread_time() - cpu0)


def proc_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime stime (fields 14 and 15)


def machine_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq


def main():
    ap = argparse.ArgumentParser()
    for a in ("base", "cafile", "eab_file", "webroot", "out"):
        ap.add_argument(a)
    ap.add_argument("n", type=int)
    ap.add_argument("pid", type=int)
    ap.add_argument("--mode", choices=("process", "thread"), default="process")
    ap.add_argument("--domain", default="bench.acme-test.co.jp")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    creds = [ln.split() for ln in open(args.eab_file) if ln.strip()]
    os.makedirs(os.path.join(args.webroot, ".well-known", "acme-challenge"), exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    k = len(creds)
    # the directory once, before the workers start: each worker then holds one connection
    # only ([server] per_ip_connections, default 16, counts them all: K stays below it)
    acme_lib.setup(args.base, args.cafile, timeout=args.timeout)
    if args.mode == "process":
        mp = multiprocessing.get_context("fork")
        jobs, results = mp.Value("i", args.n), mp.Manager().dict()
        start = mp.Barrier(k + 1)
        run = [mp.Process(target=worker, args=(w, c[0], c[1], jobs, args, results, start))
               for w, c in enumerate(creds)]
    else:
        jobs, results = multiprocessing.Value("i", args.n), {}
        start = threading.Barrier(k + 1)
        run = [threading.Thread(target=worker, args=(w, c[0], c[1], jobs, args, results, start))
               for w, c in enumerate(creds)]
    for r in run:
        r.start()
    start.wait()  # every account made, every warm-up order done
    t0, s0, m0 = time.monotonic(), proc_ticks(args.pid), machine_ticks()
    for r in run:
        r.join()
    t1, s1, m1 = time.monotonic(), proc_ticks(args.pid), machine_ticks()
    res = [results.get(w, (0, -1, 0.0)) for w in range(k)]
    client = round(sum(r[2] for r in res) * os.sysconf("SC_CLK_TCK"))
    ok = sum(r[0] for r in res)
    failed = args.n - ok
    print("orders=%d failed=%d ms=%d server_ticks=%d machine_ticks=%d client_ticks=%d" %
          (ok, failed, round((t1 - t0) * 1000), s1 - s0, m1 - m0, client), flush=True)
    sys.exit(1 if failed or any(r[1] for r in res) else 0)


if __name__ == "__main__":
    main()
