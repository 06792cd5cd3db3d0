#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The client of bench/nodes.sh: places and pays N orders through the order API, spread
# over the node URLs given (round robin), with THREADS threads; prints the order ids.
# Usage: nodes_load.py KEY SECRET CSR_DIR N THREADS URL [URL...]
import hashlib, hmac, json, sys, threading, urllib.request

key, secret, csr_dir, n, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
urls = sys.argv[6:]
ids, lock = [], threading.Lock()


def call(url, path, body, headers):
    req = urllib.request.Request(url + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def one(i):
    url = urls[i % len(urls)]
    body = json.dumps({"product": "dv-1y", "csr": open("%s/%d.csr" % (csr_dir, i)).read(),
        "cn": "www.bench-test.co.jp",
        "dcv_methods": {"www.bench-test.co.jp": "dns", "bench-test.co.jp": "http"},
        "contact": {"org": "性能試験株式会社", "dept": "情報システム部", "name": "山田 太郎",
                    "name_kana": "やまだ たろう", "postal": "100-0001", "pref": "東京都",
                    "city": "千代田区", "street": "千代田1-1", "phone": "03-1111-2222",
                    "email": "ops@bench-test.co.jp"},
        "billing_same": True, "notify_emails": ["cert@bench-test.co.jp"],
        "idem_key": "bench-%d" % i}, ensure_ascii=False).encode()
    o = call(url, "/api/v1/orders", body, {"Authorization": "Bearer " + key,
                                           "Content-Type": "application/json"})
    p = json.dumps({"invoice_no": o["invoice_no"], "amount": o["amount"]}).encode()
    s = hmac.new(secret.encode(), p, hashlib.sha256).hexdigest()
    call(urls[(i + 1) % len(urls)], "/api/v1/payments", p,
         {"X-Shomei-Signature": "sha256=" + s, "Content-Type": "application/json"})
    with lock:
        ids.append(o["id"])


def worker(k):
    for i in range(k, n, threads):
        one(i)


ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(" ".join(str(i) for i in sorted(ids)))
