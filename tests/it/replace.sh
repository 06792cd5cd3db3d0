#!/usr/bin/env bash
# Issue 9 (R-REN-3, R-REN-2, R-APP-1, R-RI-7): a new application that replaces a
# subscription (API `replaces`, what /apply?replace=SERIAL submits), issued end to end,
# against real peers (knot for DNS TXT and CAA, a web server for the web-page check), with
# the clock moved by SHOMEI_FAKE_NOW:
#   - 2026-12-01: a dv-1y certificate S1 opens a subscription to 2027-12-01;
#   - 2027-03-01: a new application replacing it (no renewal window needed), paid and
#     issued: S2 in a new subscription carrying the days left of the old one within the
#     policy maximum (200 days before 2027-03-15); the old subscription is closed
#     (renewed) and S1 is neither revoked nor scheduled: a replacement revokes nothing,
#     S1 stays valid to its own end (openssl shows both certificates valid);
#   - the certificate pages of S2 and of S1 show the history with both certificates;
#   - a second replacement of the closed subscription is refused, naming why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=rp-hmac-secret
BODY=$IT_TMP/body

cat >"$IT_TMP/records" <<'REC'
rp-test.co.jp @ A 127.0.0.1
rp-test.co.jp www A 127.0.0.1
rp-test.co.jp @ CAA 0 issue "shomei.example"
REC
dcv_peers "jp co.jp rp-test.co.jp" "$IT_TMP/records" mail

export SHOMEI_FAKE_NOW=2026-11-30T00:00:00Z
dcv_init "$D" "$SECRET"
PW=rp-Horse-77-battery
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login rp-c --role customer \
  --email c@rp-test.co.jp --name "RP C" --org-name "RP Org" >/dev/null
"$S" ca chain --dir "$D" --level dv --root a >"$IT_TMP/chain.pem"

SPID=
at() { # TIME: (re)starts the server with the clock at TIME
  [ -n "$SPID" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
  export SHOMEI_FAKE_NOW=$1
  start_server "$D" || { not_ok "server starts at $1"; it_done; }
  SPID=$IT_SERVER_PID
  url=$IT_URL
}
epoch() { date -u -d "$1" +%s; }
# body IDEM [REPLACES]: a dv-1y application for www.rp-test.co.jp with the CSR c1.csr
body() {
  CSR="$IT_TMP/c1.csr" IDEM="$1" REP="${2:-}" python3 -c '
import json, os
d = {"product": "dv-1y", "csr": open(os.environ["CSR"]).read(), "cn": "www.rp-test.co.jp",
  "dcv_methods": {"www.rp-test.co.jp": "dns", "rp-test.co.jp": "http"},
  "contact": {"org": "置換試験株式会社", "dept": "情報システム部", "name": "山田 太郎", "name_kana": "やまだ たろう",
              "postal": "100-0001", "pref": "東京都", "city": "千代田区", "street": "千代田1-1",
              "phone": "03-1111-2222", "email": "ops@rp-test.co.jp"},
  "billing_same": True, "notify_emails": ["cert@rp-test.co.jp"], "idem_key": os.environ["IDEM"]}
if os.environ["REP"]:
    d["replaces"] = os.environ["REP"]
print(json.dumps(d, ensure_ascii=False))'
}
# issue_order: pays order $OID (the answer in $BODY), publishes its DCV and waits for it
issue_order() {
  pay
  check_eq "  paid" 200 "$code"
  publish rp-test.co.jp
  wait_for 30 state_is issued
}

# ---- 2026-12-01: the first certificate ----
at 2026-12-01T03:00:00Z
KEY=$(api_key_for "$url" rp-c "$PW")
check "an API key for the customer" test -n "$KEY"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$IT_TMP/k1.pem" \
  -out "$IT_TMP/c1.csr" -subj "/CN=www.rp-test.co.jp" 2>/dev/null
api POST /api/v1/orders "$(body rp-1)"
check_eq "apply for dv-1y" 201 "$code"
OID=$(jq_ 'd["id"]')
issue_order
check_eq "the first certificate is issued" issued "$(jq_ 'd["state"]')"
S1=$(jq_ 'd.get("cert_serial", "")')
api GET "/api/v1/certificates/$S1/subscription"
check_eq "  in a subscription of one year" "200 active 2027-12-01T02:59:59Z" \
  "$code $(jq_ 'd["state"]') $(jq_ 'd["ends_at"]')"

# ---- 2027-03-01: a new application replacing the subscription ----
at 2027-03-01T03:00:00Z
api POST /api/v1/orders "$(body rp-2 "$S1")"
check_eq "R-REN-3 R-APP-1 POST /api/v1/orders with replaces: a new application" "201 new" \
  "$code $(jq_ 'd["kind"]')"
OID2=$(jq_ 'd["id"]')
OID=$OID2
check_eq "  of the certificate it replaces" \
  "$(sq "SELECT id FROM certificates WHERE serial = '$S1'")" \
  "$(sq "SELECT predecessor_cert_id FROM orders WHERE id = $OID2")"
check_eq "  recorded on the old subscription, audited" "$OID2 1" \
  "$(sq "SELECT renewal_order_id FROM subscriptions ORDER BY id LIMIT 1") $(sq "SELECT COUNT(*) FROM audit_log WHERE action = 'subscription.replacement_applied'")"
api GET "/api/v1/orders/$OID2"
issue_order
check_eq "R-REN-3 the replacing application is issued" issued "$(jq_ 'd["state"]')"
S2=$(jq_ 'd.get("cert_serial", "")')
check "  as a new certificate" test -n "$S2" -a "$S2" != "$S1"
api GET "/api/v1/certificates/$S2/subscription"
NEW_END=$(($(epoch 2028-03-01T02:59:59Z) + 200 * 86400)) # a year from the issuance, + 200 days
check_eq "R-REN-2 R-REN-3 its subscription carries the days left, within the 200-day maximum" \
  "200 active 200 $(date -u -d "@$NEW_END" +%Y-%m-%dT%H:%M:%SZ)" \
  "$code $(jq_ 'd["state"]') $(jq_ 'd["carried_days"]') $(jq_ 'd["ends_at"]')"
check_eq "R-REN-3 the old subscription is closed" "renewed" \
  "$(sq "SELECT state FROM subscriptions ORDER BY id LIMIT 1")"
check_eq "  the replaced certificate is neither revoked nor scheduled (a replacement revokes nothing)" \
  "issued 0" \
  "$(sq "SELECT state FROM certificates WHERE serial = '$S1'") $(sq "SELECT COUNT(*) FROM jobs WHERE kind = 'cert.revoke' AND key = '$S1'")"
pem_of "$S1" "$IT_TMP/s1.pem"
pem_of "$S2" "$IT_TMP/s2.pem"
for s in s1 s2; do
  check "  openssl verifies $s against the chain" openssl verify -attime "$(epoch 2027-03-01T04:00:00Z)" \
    -partial_chain -CAfile "$IT_TMP/chain.pem" "$IT_TMP/$s.pem"
done

# ---- the history on the certificate pages ----
JAR=$IT_TMP/jar
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/login.html" "$url/login"
TOK=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf=$TOK" \
  --data-urlencode "login_id=rp-c" --data-urlencode "password=$PW" "$url/login"
for s in "$S2" "$S1"; do
  curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/page.html" "$url/certificates/$s"
  rows=$(sed -n '/id="ri-history"/,/<\/table>/p' "$IT_TMP/page.html" |
    grep -o 'data-serial="[0-9a-f]*"' | tr '\n' ' ')
  check_eq "R-RI-7 the history on the page of $s shows both certificates, oldest first" \
    "data-serial=\"$S1\" data-serial=\"$S2\" " "$rows"
done

# ---- the closed subscription cannot be replaced again ----
N=$(sq "SELECT COUNT(*) FROM orders")
api POST /api/v1/orders "$(body rp-3 "$S1")"
check_eq "a second replacement of the closed subscription: 422 naming why" "422" "$code"
check_eq "  nothing was created" "$N" "$(sq "SELECT COUNT(*) FROM orders")"
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
it_done
