#!/usr/bin/env bash
# Issue 9 items 1, 2 and 7 (R-REN-1, R-REN-2, R-REN-3, R-REN-4, R-REN-6, R-NOT-1, R-SCL-1,
# R-APP-1 renewal, R-MNG-5):
# subscriptions past the validity cap, continued issuance and the renewal reminders, end to
# end through the API with two `shomei serve` processes on one database and a clock moved
# forward between their restarts (SHOMEI_FAKE_NOW), against real peers (knot for DNS TXT and
# CAA, a web server for the web-page check, an SMTP sink for the notices):
#   - a 1-year DV order issued on 2026-12-01 opens a subscription to 2027-11-30 with a
#     200-day certificate (the cap of the day); the next certificate is refused before its
#     window and a renewal before the renewal window, each with a message naming the date;
#   - 2027-06-01: the reminder of the certificate's end is mailed once by the two servers;
#     the next certificate (継続発行) is free, its DCV redone (the 100-day reuse period of
#     2027 has passed), capped at 100 days; openssl shows its dates;
#   - 2027-09-05: the third certificate reuses the validation and is issued at once, its
#     notAfter cut to the subscription end (openssl);
#   - the reminders at 90/60/45/30/15 days arrive once each across restarts of both
#     servers; a renewal that changes the organization is refused pointing to a new
#     application (also through POST /api/v1/orders with renewal_of); one is opened;
#   - R-MNG-5: the notification addresses are changed through the API (a bad address is
#     refused naming the field), audited once, and the later reminders go to the new one;
#   - past the end without a completed renewal the subscription is cancelled with one notice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=sub-hmac-secret
BODY=$IT_TMP/body

cat >"$IT_TMP/records" <<'REC'
sub-test.co.jp @ A 127.0.0.1
sub-test.co.jp www A 127.0.0.1
sub-test.co.jp @ CAA 0 issue "shomei.example"
REC
dcv_peers "jp co.jp sub-test.co.jp" "$IT_TMP/records" mail

# the CA and the accounts are made the day before the first fake date (the CA's notBefore
# must precede every certificate's)
export SHOMEI_FAKE_NOW=2026-11-30T00:00:00Z
dcv_init "$D" "$SECRET" --set jobs.subscription_seconds=1
PW=sub-Horse-77-battery
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login sub-c --role customer \
  --email c@sub-test.co.jp --name "Sub C" --org-name "Sub Org" >/dev/null

PIDS_NOW=()
# at TIME: (re)starts the two servers on the one database with the clock at TIME
at() {
  local p
  for p in "${PIDS_NOW[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS_NOW=()
  export SHOMEI_FAKE_NOW=$1
  start_server "$D" || { not_ok "server A starts at $1"; it_done; }
  PIDS_NOW+=("$IT_SERVER_PID")
  url=$IT_URL
  start_server "$D" || { not_ok "server B starts at $1"; it_done; }
  PIDS_NOW+=("$IT_SERVER_PID")
  URL_B=$IT_URL
}
at 2026-12-01T03:00:00Z
KEY=$(api_key_for "$url" sub-c "$PW")
check "an API key for the customer" test -n "$KEY"

end_of() { openssl x509 -in "$1" -noout -enddate | sed 's/notAfter=//'; }
epoch() { date -u -d "$1" +%s; }

# ---- 2026-12-01: a 1-year DV order opens a subscription ----
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$IT_TMP/k1.pem" \
  -out "$IT_TMP/c1.csr" -subj "/CN=www.sub-test.co.jp" 2>/dev/null
J=$(CSR="$IT_TMP/c1.csr" python3 -c '
import json, os
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(), "cn": "www.sub-test.co.jp",
  "dcv_methods": {"www.sub-test.co.jp": "dns", "sub-test.co.jp": "http"},
  "contact": {"org": "サブ試験株式会社", "dept": "情報システム部", "name": "山田 太郎", "name_kana": "やまだ たろう",
              "postal": "100-0001", "pref": "東京都", "city": "千代田区", "street": "千代田1-1",
              "phone": "03-1111-2222", "email": "ops@sub-test.co.jp"},
  "billing_same": True, "notify_emails": ["cert@sub-test.co.jp"], "idem_key": "sub-1"},
  ensure_ascii=False))')
api POST /api/v1/orders "$J"
check_eq "apply for dv-1y" 201 "$code"
OID=$(jq_ 'd["id"]')
pay
check_eq "paid" 200 "$code"
publish sub-test.co.jp
wait_for 30 state_is issued
check_eq "R-REN-6 the first certificate is issued" issued "$(jq_ 'd["state"]')"
S1=$(jq_ 'd.get("cert_serial", "")')
api GET "/api/v1/certificates/$S1/subscription"
check_eq "R-REN-6 the certificate belongs to a subscription of one year" \
  "200 active 2026-12-01T03:00:00Z 2027-12-01T02:59:59Z" \
  "$code $(jq_ 'd["state"]') $(jq_ 'd["starts_at"]') $(jq_ 'd["ends_at"]')"
SUB_END=$(epoch 2027-12-01T02:59:59Z)
pem_of "$S1" "$IT_TMP/s1.pem"
NA1=$(epoch "$(end_of "$IT_TMP/s1.pem")")
NB1=$(epoch "$(openssl x509 -in "$IT_TMP/s1.pem" -noout -startdate | sed 's/notBefore=//')")
check_eq "R-REN-6 openssl: the first certificate lasts the 200 days of the cap of 2026" \
  $((200 * 86400)) $((NA1 - NB1 + 1))
check "  and ends inside the subscription" test "$NA1" -lt "$SUB_END"
code=$(curl -s -o "$IT_TMP/page.html" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
  "$url/certificates/$S1")
api POST "/api/v1/certificates/$S1/continue" '{}'
check_eq "the next certificate before its window: 422 with the date it opens" "422 2027-05-20" \
  "$code $(jq_ 'd.get("field")')"
check "  saying so (30 days before the certificate ends)" grep -q '有効期限の30日前から' "$BODY"
api POST "/api/v1/certificates/$S1/renew" '{}'
check_eq "R-REN-2 a renewal before the window: 422 with the date it opens" "422 2027-10-02" \
  "$code $(jq_ 'd.get("field")')"
check "  60 days before the end" grep -q '契約終了日の60日前から' "$BODY"
check_eq "nothing was created" 1 "$(sq "SELECT COUNT(*) FROM orders")"

# ---- 2027-06-01: the reminder, then the next certificate with DCV redone ----
at 2027-06-01T03:00:00Z
wait_for 30 nmail_is '次の証明書を発行できます' 1
sleep 3
check_eq "R-REN-6 R-SCL-1 two servers mail the reminder of the certificate's end once" 1 \
  "$(nmail '次の証明書を発行できます')"
openssl req -new -key "$IT_TMP/k1.pem" -subj "/CN=other.sub-test.co.jp" -out "$IT_TMP/bad.csr" \
  2>/dev/null
api POST "/api/v1/certificates/$S1/continue" \
  "$(python3 -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$IT_TMP/bad.csr")"
check_eq "a new CSR with another CN: 422 naming csr" "422 csr" "$code $(jq_ 'd.get("field")')"
api POST "/api/v1/certificates/$S1/continue" '{}'
check_eq "R-REN-6 the next certificate (継続発行) opens an order" "201 new" \
  "$code $(jq_ 'd["kind"]')"
OID=$(jq_ 'd["id"]')
check_eq "  free of charge, being vetted" "0 vetting" "$(jq_ 'd["amount"]') $(jq_ 'd["state"]')"
api POST "/api/v1/certificates/$S1/continue" '{}'
check_eq "  asking again gives the same order" "$OID" "$(jq_ 'd["id"]')"
api GET "/api/v1/orders/$OID"
check_eq "R-VAL-2 the validation of 2026-12-01 is past the 100-day reuse period: redone" \
  "['pending', 'pending']" "$(jq_ '[x["state"] for x in d["domains"]]')"
check_eq "  no invoice, no payment notice" "0" \
  "$(sq "SELECT COUNT(*) FROM invoices WHERE order_id = $OID")"
publish sub-test.co.jp
wait_for 30 state_is issued
check_eq "R-REN-6 the next certificate is issued" issued "$(jq_ 'd["state"]')"
S2=$(jq_ 'd.get("cert_serial", "")')
pem_of "$S2" "$IT_TMP/s2.pem"
NA2=$(epoch "$(end_of "$IT_TMP/s2.pem")")
NB2=$(epoch "$(openssl x509 -in "$IT_TMP/s2.pem" -noout -startdate | sed 's/notBefore=//')")
check_eq "R-REN-6 openssl: capped at the 100 days of 2027" $((100 * 86400)) $((NA2 - NB2 + 1))
check "  inside the subscription" test "$NA2" -le "$SUB_END"
check_eq "  the same key (the previous CSR)" \
  "$(openssl x509 -in "$IT_TMP/s1.pem" -noout -pubkey)" "$(openssl x509 -in "$IT_TMP/s2.pem" -noout -pubkey)"
api GET "/api/v1/certificates/$S2/subscription"
check_eq "R-REN-6 the subscription lists both certificates" "first continued" \
  "$(jq_ '" ".join(x["reason_code"] for x in d["certs"])')"

# ---- 2027-09-05: the third certificate reuses the validation and stops at the end ----
at 2027-09-05T03:00:00Z
JAR=$IT_TMP/jar
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/login.html" "$url/login"
TOK=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf=$TOK" \
  --data-urlencode "login_id=sub-c" --data-urlencode "password=$PW" "$url/login"
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/page.html" "$url/certificates/$S2"
check "R-REN-6 the certificate page shows the subscription" grep -q 'id="subscription"' "$IT_TMP/page.html"
check "  with its two certificates" test "$(grep -o 'data-serial="[0-9a-f]*"' "$IT_TMP/page.html" | sort -u | wc -l)" = 2
check "  the end date" grep -q 'id="sub-ends">2027-12-01<' "$IT_TMP/page.html"
check "  and the form for the next certificate (in its window now)" grep -q 'id="continue-form"' "$IT_TMP/page.html"
check "  and when renewal opens" grep -q '2027-10-02' "$IT_TMP/page.html"
# issue 9: a continued order is shown with 申請種別 継続, not 新規 (stored as kind new)
check "  the continued certificate's kind is 継続" grep -q '申請種別</th><td>継続<' "$IT_TMP/page.html"
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/order.html" "$url/orders/$OID"
check "issue 9: the continued order's page says 申請種別 継続" \
  grep -q '申請種別</th><td>継続<' "$IT_TMP/order.html"
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/first.html" "$url/certificates/$S1"
check "  the first certificate's stays 新規" grep -q '申請種別</th><td>新規<' "$IT_TMP/first.html"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$IT_TMP/k3.pem" \
  -out "$IT_TMP/c3.csr" -subj "/CN=www.sub-test.co.jp" 2>/dev/null
api POST "/api/v1/certificates/$S2/continue" \
  "$(python3 -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$IT_TMP/c3.csr")"
check_eq "R-REN-6 with a new CSR of the same CN" 201 "$code"
OID=$(jq_ 'd["id"]')
wait_for 30 state_is issued
check_eq "R-VAL-2 the validation of 2027-06-01 is reused: issued at once" issued \
  "$(jq_ 'd["state"]')"
S3=$(jq_ 'd.get("cert_serial", "")')
pem_of "$S3" "$IT_TMP/s3.pem"
check_eq "R-REN-6 openssl: the last certificate ends with the subscription" \
  "Dec  1 02:59:59 2027 GMT" "$(end_of "$IT_TMP/s3.pem")"
check_eq "  with the new key" "$(openssl pkey -in "$IT_TMP/k3.pem" -pubout)" \
  "$(openssl x509 -in "$IT_TMP/s3.pem" -noout -pubkey)"
api POST "/api/v1/certificates/$S3/continue" '{}'
check_eq "nothing after the last certificate: 422" "422 continue.last" \
  "$code $(jq_ 'd.get("field")')"
api POST "/api/v1/certificates/$S1/continue" '{}'
check_eq "not from an older certificate: 422" "422 continue.superseded" \
  "$code $(jq_ 'd.get("field")')"
curl -s -o "$IT_TMP/page.html" -H "Authorization: Bearer $KEY" "$url/certificates/$S3"
wait_for 30 nmail_is '契約更新のご案内' 1

# ---- R-MNG-5: the notification addresses change as their own audited operation ----
O3=$OID
api POST "/api/v1/orders/$O3/notify_emails" '{"notify_emails": ["renew@sub-test.co.jp", "bad@"]}'
check_eq "R-MNG-5 a malformed notification address: 422 naming the field" "422 通知メールアドレス2" \
  "$code $(jq_ 'd.get("field")')"
check_eq "  nothing changed" "cert@sub-test.co.jp" \
  "$(sq "SELECT notify_email1 FROM orders WHERE id = $O3")"
api POST "/api/v1/orders/$O3/notify_emails" '{"notify_emails": []}'
check_eq "R-MNG-5 no address at all: 422" 422 "$code"
api POST "/api/v1/orders/$O3/notify_emails" '{"notify_emails": ["renew@sub-test.co.jp"]}'
check_eq "R-MNG-5 the addresses are changed" "200 ['renew@sub-test.co.jp'] True" \
  "$code $(jq_ 'd["notify_emails"]') $(jq_ 'd["changed"]')"
check_eq "  on every order of the subscription" "renew@sub-test.co.jp" \
  "$(sq "SELECT DISTINCT notify_email1 FROM orders" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check_eq "  audited once" 1 \
  "$(sq "SELECT COUNT(*) FROM audit_log WHERE action = 'order.notify_changed'")"
# rcpt: the envelope recipients of the mails whose subject contains $1, one per line
rcpts() {
  python3 - "$IT_TMP/sink" "$1" <<'PY'
import email, email.policy, glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if sys.argv[2] in m["subject"]:
        for r in json.load(open(f[:-4] + ".json"))["rcpt_tos"]:
            print(r)
PY
}

# ---- the reminders, once each, across restarts of both servers ----
n=1
for t in 2027-10-03T03:00:00Z 2027-10-03T04:00:00Z 2027-10-18T03:00:00Z 2027-11-02T03:00:00Z \
  2027-11-17T03:00:00Z; do
  at "$t"
  case $t in 2027-10-03T04*) ;; *) n=$((n + 1)) ;; esac
  wait_for 30 nmail_is '契約更新のご案内' "$n"
  sleep 2
  check_eq "R-REN-1 R-SCL-1 at $t: $n reminders in all, none twice" "$n" \
    "$(nmail '契約更新のご案内')"
done
check_eq "R-REN-1 one reminder per threshold, each mailed" "15 30 45 60 90" \
  "$(sq "SELECT notice_key FROM subscription_notices WHERE kind = 'renewal' AND mailed = 1 ORDER BY CAST(notice_key AS INTEGER)" | tr '\n' ' ' | sed 's/ $//')"
RB=$(python3 - "$IT_TMP/sink" <<'PY'
import email, email.policy, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if "契約更新" in m["subject"]:
        print(m.get_body().get_content())
PY
)
check "R-NOT-1 the reminder names the end date" grep -q '契約終了日: 2027-12-01' <<<"$RB"
check_eq "R-MNG-5 R-REN-1 the reminders after the change go to the new address only" \
  "1 4" "$(rcpts '契約更新' | grep -c '^cert@') $(rcpts '契約更新' | grep -c '^renew@')"

# ---- renewal: forbidden changes, then one prefilled renewal ----
api POST "/api/v1/certificates/$S3/renew" '{"org": {"name_ja": "別の株式会社"}}'
check_eq "R-REN-3 a renewal changing the organization name: 422 naming it" "422 組織名（日本語）" \
  "$code $(jq_ 'd.get("field")')"
check "  the message points to a new application" grep -q '新規申請' "$BODY"
api POST "/api/v1/certificates/$S3/renew" '{"cn": "other.sub-test.co.jp"}'
check_eq "R-REN-3 changing the CN: 422 naming it" "422 コモンネーム" "$code $(jq_ 'd.get("field")')"
# the order API: a renewal application with renewal_of, prefilled by the caller
openssl req -new -key "$IT_TMP/k3.pem" -subj "/CN=other.sub-test.co.jp" -out "$IT_TMP/other.csr" \
  2>/dev/null
renewal_body() { # CSR CN: the first application as a renewal of $S3
  CSR="$1" CN="$2" SER="$S3" python3 -c '
import json, os, sys
d = json.loads(sys.stdin.read())
d.update({"csr": open(os.environ["CSR"]).read(), "cn": os.environ["CN"], "kind": "renewal",
          "renewal_of": os.environ["SER"], "idem_key": "sub-renew-" + os.environ["CN"]})
d["dcv_methods"] = {os.environ["CN"]: "dns"}
print(json.dumps(d, ensure_ascii=False))' <<<"$J"
}
api POST /api/v1/orders "$(renewal_body "$IT_TMP/other.csr" other.sub-test.co.jp)"
check_eq "R-REN-3 R-APP-1 POST /api/v1/orders renewal_of with another CN: 422 naming it" \
  "422 コモンネーム" "$code $(jq_ 'd.get("field")')"
check "  pointing to a new application" grep -q '新規申請' "$BODY"
check_eq "  nothing was created" 3 "$(sq "SELECT COUNT(*) FROM orders")"
api POST /api/v1/orders "$(renewal_body "$IT_TMP/c3.csr" www.sub-test.co.jp)"
check_eq "R-REN-2 R-APP-1 POST /api/v1/orders renewal_of: a renewal order" "201 renewal" \
  "$code $(jq_ 'd["kind"]')"
API_RID=$(jq_ 'd["id"]')
check_eq "  of the certificate it renews" "$(sq "SELECT id FROM certificates WHERE serial = '$S3'")" \
  "$(sq "SELECT predecessor_cert_id FROM orders WHERE id = $API_RID")"
api POST "/api/v1/certificates/$S3/renew" '{}'
check_eq "R-REN-2 R-APP-1 the renewal order, prefilled" "201 renewal awaiting_payment" \
  "$code $(jq_ 'd["kind"]') $(jq_ 'd["state"]')"
RID=$(jq_ 'd["id"]')
check_eq "R-REN-5 the renewal under way is the one asked for through the order API" "$API_RID" "$RID"
check_eq "  for the same CN and notification address" "www.sub-test.co.jp cert@sub-test.co.jp" \
  "$(sq "SELECT cn || ' ' || notify_email1 FROM orders WHERE id = $RID")"
check_eq "  at the list price (R-PRD-3)" "$(sq "SELECT list_price FROM products WHERE code = 'dv-1y'")" \
  "$(sq "SELECT amount FROM orders WHERE id = $RID")"
RNO=$(sq "SELECT receipt_no FROM orders WHERE id = $RID")
JAR=$IT_TMP/jar2
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/login.html" "$url/login"
TOK=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf=$TOK" \
  --data-urlencode "login_id=sub-c" --data-urlencode "password=$PW" "$url/login"
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/page.html" "$url/certificates/$S3"
check "R-REN-5 the certificate page shows the renewal in progress" \
  grep -q 'id="sub-renewal-pending">更新の手続き中です' "$IT_TMP/page.html"
check "  with a link to its order" \
  grep -q "<a href=\"/orders/$RID\" id=\"renewal-order-link\">$RNO</a>" "$IT_TMP/page.html"

# ---- past the end without a completed renewal: cancelled, one notice ----
at 2027-12-01T04:00:00Z
wait_for 30 nmail_is '自動解約' 1
sleep 2
check_eq "R-REN-4 R-SCL-1 the subscription is cancelled with one notice" "1 cancelled" \
  "$(nmail '自動解約') $(sq "SELECT state FROM subscriptions ORDER BY id LIMIT 1")"
check_eq "R-REN-1 and no reminder twice in the whole run" "" \
  "$(subjects | grep '契約更新\|自動解約' | sort | uniq -d)"
check_eq "R-REN-6 one reminder for each certificate that ended inside the subscription" 2 \
  "$(nmail '次の証明書を発行できます')"
for p in "${PIDS_NOW[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
it_done
