#!/usr/bin/env python3
"""Data and checks of tests/it/mng.sh (issue 12 items 1 and 2, R-MNG-1, R-MNG-3).

  seed NOW ORG_A ORG_B ORG_M1 ORG_M2 USER_ID   prints portable SQL that inserts orders and
      certificates (no DER: the list, dashboard and CSV never read it)
  months NOW DBCSV                             prints the 12 expected month counts (Tokyo)
  csv EXPORT DBCSV NOW LANG                    compares every field of the export with the
      database rows (DBCSV: the query of mng.sh as CSV from sqlite3 -csv / psql --csv)
"""
import csv
import datetime
import io
import json
import sys

JST = datetime.timezone(datetime.timedelta(hours=9))
DAY = 86400


def q(s):
    return "NULL" if s is None else "'" + str(s).replace("'", "''") + "'"


def seed(now, org_a, org_b, org_m1, org_m2, uid):
    out = ["BEGIN;"]
    oid = [0]

    def order(org, n, state, cn, appl, contact, billing, amount, extra):
        oid[0] += 1
        rno = "R20261201-%05d" % (90000 + oid[0])
        po = extra.get("po")
        out.append(
            "INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, cn,"
            " names, root_option, applicant, contact, billing, notify_email1, server_software,"
            " po_number, amount, invoice_no, pay_method, paid_at, submitted_at, created_at,"
            " updated_at, idem_key) VALUES (%s, %s, %s, (SELECT id FROM products WHERE code = %s),"
            " %d, %d, %s, %s, 'a', %s, %s, %s, %s, 'nginx', %s, %d, %s, %s, %s, %d, %d, %d, %s);"
            % (q(rno), q(extra.get("kind", "new")), q(state), q(extra.get("product", "ov-1y")),
               org, uid, q(cn), q(json.dumps([cn, "alt." + cn])), q(json.dumps(appl, ensure_ascii=False)),
               q(json.dumps(contact, ensure_ascii=False)), q(json.dumps(billing, ensure_ascii=False)),
               q(extra.get("email", "notify@example.jp")), q(po), amount,
               q(extra.get("invoice")), q(extra.get("pay")),
               "NULL" if extra.get("paid") is None else str(extra["paid"]), now - 5 * DAY,
               now - 6 * DAY, now - 4 * DAY + oid[0], q("mng-%d" % oid[0])))
        return rno

    def cert(org, i, rno, level, state, nb, na, cn):
        serial = "%x" % (0x5EED0000 + org * 100000 + i)
        out.append(
            "INSERT INTO certificates (serial, ca_id, state, order_id, level, root, cn, names,"
            " not_before, not_after, reserved_at, issued_at, org_id, sha256, revoked_at)"
            " VALUES (%s, (SELECT MIN(id) FROM cas), %s, %s, %s, 'a', %s, %s, %d, %d, %d, %d, %d,"
            " %s, %s);"
            % (q(serial), q(state),
               "NULL" if rno is None else "(SELECT id FROM orders WHERE receipt_no = %s)" % q(rno),
               q(level), q(cn), q(json.dumps([cn, "alt." + cn])), nb, na, nb, nb, org,
               q("%064x" % (org * 1000 + i)), str(nb + 10 * DAY) if state == "revoked" else "NULL"))

    # A: 120 certificates over the next 14 months, some expired, some revoked; applicant
    # names with quotes, commas, a newline and a formula-looking one
    names = ['アルファ "商事", 株式会社\n本店', "=HYPERLINK(\"x\")", "Alpha Shop KK", "アルファ商店"]
    for i in range(120):
        na = now + (i * 3 + 1) * DAY - 20 * DAY
        state = "revoked" if i % 17 == 5 else "issued"
        level = "dv" if i % 3 == 0 else "ov"
        cn = "h%03d.alpha-shop.co.jp" % i
        appl = {"org": {"name_ja": names[i % 4], "name_en": "Alpha, Inc.", "tdb_code": "12345%04d" % i},
                "responsible": {"dept": "情報システム部", "name": "山田 太郎"}}
        contact = {"org": "アルファ", "name": "佐藤 花子", "email": "sato@alpha.example.jp", "dept": "総務"}
        billing = {"org": "アルファ経理", "dept": "経理部", "name": "鈴木 一郎",
                   "email": "billing@alpha.example.jp", "phone": "03-1234-5678"}
        rno = None
        if i % 10 != 9:  # every tenth without an order (operator issuance)
            rno = order(org_a, i, "issued", cn, appl, contact, billing, 60000 + i,
                        {"po": "PO-%d" % i, "invoice": "INV-%05d" % i, "pay": "invoice",
                         "paid": now - 5 * DAY, "product": "dv-1y" if level == "dv" else "ov-1y"})
        cert(org_a, i, rno, level, state, na - 365 * DAY, na, cn)
    # orders of A waiting for the customer
    w = {"po": None}
    order(org_a, 0, "awaiting_payment", "pay.alpha-shop.co.jp", {}, {"org": "アルファ"}, {}, 1, w)
    order(org_a, 0, "on_hold", "docs.alpha-shop.co.jp", {}, {"org": "アルファ"}, {}, 1, w)
    order(org_a, 0, "vetting", "dcv.alpha-shop.co.jp", {}, {"org": "アルファ"}, {}, 1, w)
    out.append("INSERT INTO order_domains (order_id, name, dcv_method, state) VALUES ((SELECT id FROM"
               " orders WHERE cn = 'dcv.alpha-shop.co.jp'), 'dcv.alpha-shop.co.jp', 'dns', 'pending');")
    order(org_a, 0, "vetting", "done.alpha-shop.co.jp", {}, {"org": "アルファ"}, {}, 1, w)
    out.append("INSERT INTO order_domains (order_id, name, dcv_method, state) VALUES ((SELECT id FROM"
               " orders WHERE cn = 'done.alpha-shop.co.jp'), 'done.alpha-shop.co.jp', 'dns', 'validated');")
    # B: the other organization's certificates and a waiting order
    for i in range(5):
        rno = order(org_b, i, "issued", "www%d.bobsecretshop.co.jp" % i,
                    {"org": {"name_ja": "ボブシークレット商会"}}, {}, {}, 1, {})
        cert(org_b, i, rno, "ov", "issued", now - 300 * DAY, now + (i + 1) * 20 * DAY,
             "www%d.bobsecretshop.co.jp" % i)
    order(org_b, 9, "awaiting_payment", "pay.bobsecretshop.co.jp", {}, {}, {}, 1, w)
    # the reseller's customers
    for org, n in ((org_m1, 7), (org_m2, 3)):
        for i in range(n):
            cert(org, i, None, "dv", "issued", now - 300 * DAY, now + (i + 1) * 15 * DAY,
                 "c%d.m%d.example.jp" % (i, org))
    out.append("COMMIT;")
    print("\n".join(out))


def tokyo_months(now):
    t = datetime.datetime.fromtimestamp(now, JST)
    y, m = t.year, t.month
    bounds = [now]
    for _ in range(12):
        m += 1
        if m > 12:
            y, m = y + 1, 1
        bounds.append(int(datetime.datetime(y, m, 1, tzinfo=JST).timestamp()))
    return bounds


def db_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def months(now, dbcsv):
    b = tokyo_months(now)
    counts = [0] * 12
    for r in db_rows(dbcsv):
        if r["state"] not in ("issued", "revocation_scheduled"):
            continue
        na = int(r["not_after"])
        for i in range(12):
            if b[i] <= na < b[i + 1]:
                counts[i] += 1
    print(" ".join(str(c) for c in counts))


def jst(v):
    if v in ("", None) or int(v) <= 0:
        return ""
    return datetime.datetime.fromtimestamp(int(v), JST).strftime("%Y-%m-%dT%H:%M:%S+09:00")


def cell(s):
    s = s or ""
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t") else s


def expected(r, now, lang):
    a = json.loads(r["applicant"]) if r["applicant"] else {}
    c = json.loads(r["contact"]) if r["contact"] else {}
    b = json.loads(r["billing"]) if r["billing"] else {}
    org = a.get("org", {}) if isinstance(a.get("org"), dict) else {}
    resp = a.get("responsible", {})
    ja, en = org.get("name_ja", ""), org.get("name_en", "")
    if not ja and not en:
        ja = c.get("org", "")
    dept = resp.get("dept", "") or c.get("dept", "")
    na = int(r["not_after"])
    status = "revoked" if r["state"] == "revoked" else ("expired" if na < now else "valid")
    has_order = r["receipt_no"] != ""
    return [r["serial"], r["cn"], " ".join(json.loads(r["names"])), status, r["level"], r["root"],
            jst(r["not_before"]), jst(r["not_after"]),
            jst(r["revoked_at"]) if r["state"] == "revoked" else "", r["sha256"],
            r["receipt_no"], r["kind"], r["code"], r["name_en"] if lang == "en" else r["name_ja"],
            cell(ja), cell(en), dept, resp.get("name", ""), org.get("tdb_code", ""),
            c.get("org", ""), c.get("name", ""), c.get("email", ""), r["notify_email1"],
            r["server_software"], jst(r["created_at"]), jst(r["submitted_at"]), r["po_number"],
            r["amount"] if has_order else "", r["invoice_no"], r["pay_method"], jst(r["paid_at"]),
            b.get("org", ""), b.get("dept", ""), b.get("name", ""), b.get("email", ""),
            b.get("phone", "")]


def check_csv(export, dbcsv, now, lang, want_serials=None):
    raw = open(export, "rb").read()
    if not raw.startswith(b"\xef\xbb\xbf"):
        print("no UTF-8 byte order mark")
        return 1
    text = raw[3:].decode("utf-8")
    # RFC 4180: every record ends in CRLF (a bare LF only inside quotes)
    if not text.endswith("\r\n"):
        print("the last record does not end in CRLF")
        return 1
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    if len(header) != 36:
        print("header has %d columns" % len(header))
        return 1
    db = {r["serial"]: r for r in db_rows(dbcsv)}
    if want_serials is not None:
        db = {s: db[s] for s in want_serials}
    got = {}
    for row in body:
        if len(row) != 36:
            print("a row has %d fields: %r" % (len(row), row))
            return 1
        got[row[0]] = row
    if set(got) != set(db) or len(body) != len(db):
        print("rows differ: %d in export, %d expected; extra %s missing %s" % (
            len(body), len(db), sorted(set(got) - set(db))[:5], sorted(set(db) - set(got))[:5]))
        return 1
    bad = 0
    for s, r in db.items():
        exp = expected(r, now, lang)
        for i, (g, e) in enumerate(zip(got[s], exp)):
            if g != e:
                bad += 1
                if bad < 10:
                    print("serial %s column %d (%s): got %r want %r" % (s, i, header[i], g, e))
    print("%d rows, %d fields compared, %d differ" % (len(db), len(db) * 36, bad))
    return 1 if bad else 0


def main():
    cmd = sys.argv[1]
    if cmd == "seed":
        seed(*[int(x) for x in sys.argv[2:8]])
    elif cmd == "months":
        months(int(sys.argv[2]), sys.argv[3])
    elif cmd == "csv":
        want = sys.argv[6].split(",") if len(sys.argv) > 6 else None
        sys.exit(check_csv(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], want))


if __name__ == "__main__":
    main()
