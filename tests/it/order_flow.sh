#!/usr/bin/env bash
# The new-certificate path end to end through the API, against real peers: an authoritative
# DNS server (knot) for the DNS TXT check and CAA, a web server for the web-page check, an
# SMTP server for the notices.
# R-PAY-1 payment callback starts vetting; R-VAL-1 random values, DNS TXT at
# _pki-validation.<name> and the file under /.well-known/pki-validation/ validated by the
# server; R-VAL-2 a later order of the same organization reuses the validation; R-VAL-3 CAA
# checked right before signing: a CAA record naming another CA blocks issuance, which is
# logged and audited; R-ISS-5 the issuance notice reaches the notification address once;
# R-ISS-6 the per-CN limit; R-DL-1 the downloaded chain verifies with openssl; R-CSR-2 the
# subject comes from the application, not from the CSR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=flow-hmac-secret
BODY=$IT_TMP/body

cat >"$IT_TMP/records" <<'REC'
flow-test.co.jp @ A 127.0.0.1
flow-test.co.jp www A 127.0.0.1
flow-test.co.jp @ CAA 0 issue "shomei.example"
forbid-test.co.jp @ A 127.0.0.1
forbid-test.co.jp www A 127.0.0.1
forbid-test.co.jp @ CAA 0 issue "other-ca.example"
REC
dcv_peers "jp co.jp flow-test.co.jp forbid-test.co.jp" "$IT_TMP/records" mail

"$S" init --dir "$D" --demo --set server.secure_cookies=false \
  --set "payment.hmac_secret=$SECRET" --set "dns.resolver=$KNOT_ADDR" \
  --set "dns.trust_anchor_file=$KNOT_TA" --set testing.not_for_production=true \
  --set dcv.allow_loopback=true --set "dcv.http_port=$HP" --set mail.enabled=true \
  --set "mail.url=smtp://127.0.0.1:$SINK_PORT" --set mail.poll_seconds=1 \
  --set jobs.vetting_seconds=1 ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} \
  >"$IT_TMP/init.log" 2>&1 || { not_ok "init"; it_done; }
# sq SQL: one value from the data directory's database (SQLite, or PostgreSQL under tests/pg.sh)
sq() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 "$D/shomei.db" "$1"; fi
}
PW=flow-Horse-77-battery
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login flow-c --role customer \
  --email c@flow-test.co.jp --name "Flow C" --org-name "Flow Org" >/dev/null
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
KEY=$(api_key_for "$url" flow-c "$PW")
check "an API key for the customer" test -n "$KEY"

apply() { # DOMAIN IDEM -> order id in $OID (www.DOMAIN with the apex added, R-APP-5)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$IT_TMP/$2.csr" -subj "/C=US/O=Not Vetted/CN=www.$1" 2>/dev/null
  local j
  j=$(CSR="$IT_TMP/$2.csr" python3 -c '
import json, os, sys
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(), "cn": "www." + sys.argv[1],
  "dcv_methods": {"www." + sys.argv[1]: "dns", sys.argv[1]: "http"},
  "contact": {"org": "フロー試験株式会社", "dept": "情報システム部", "name": "山田 太郎", "name_kana": "やまだ たろう", "postal": "100-0001", "pref": "東京都",
              "city": "千代田区", "street": "千代田1-1", "phone": "03-1111-2222",
              "email": "ops@" + sys.argv[1]},
  "billing_same": True, "notify_emails": ["cert@" + sys.argv[1]], "idem_key": sys.argv[2]},
  ensure_ascii=False))' "$1" "$2")
  api POST /api/v1/orders "$j"
  OID=$(jq_ 'd.get("id", "")')
}
instr() { # NAME FIELD of order $OID (after api GET)
  jq_ "[x['instructions'].get('$2','') for x in d['domains'] if x['name']=='$1'][0]"
}
state_is() { api GET "/api/v1/orders/$OID"; [ "$(jq_ 'd["state"]')" = "$1" ]; }

# ---- a DV order validated by DNS TXT and the web page, then issued ----
apply flow-test.co.jp flow-1
check_eq "R-APP-1 apply: 201" 201 "$code"
pay
check_eq "R-PAY-1 payment callback accepted" 200 "$code"
api GET "/api/v1/orders/$OID"
check_eq "R-PAY-1 the paid order is being vetted" vetting "$(jq_ 'd["state"]')"
REC=$(instr www.flow-test.co.jp dns_record)
VAL=$(instr www.flow-test.co.jp value)
URL=$(instr flow-test.co.jp url)
FILEVAL=$(instr flow-test.co.jp value)
check_eq "R-VAL-1 the TXT record to create" "_pki-validation.www.flow-test.co.jp" "$REC"
check "R-VAL-1 a random value of 32 base64url characters" grep -qE '^[A-Za-z0-9_-]{32}$' <<<"$VAL"
check "R-VAL-1 the web-page URL" grep -q "^http://flow-test.co.jp.*/.well-known/pki-validation/shomei-[0-9a-f]\{16\}\.txt$" <<<"$URL"
api POST "/api/v1/orders/$OID/dcv" '{"action":"check"}'
check_eq "R-VAL-1 check now before the records exist: still vetting" vetting "$(jq_ 'd["state"]')"
check "R-VAL-1 the failure is told per domain" test -n "$(instr www.flow-test.co.jp reason)$(jq_ '[x.get("reason","") for x in d["domains"]]')"
knot_set_txt flow-test.co.jp _pki-validation.www "$VAL" || not_ok "TXT record published"
printf '%s\n' "$FILEVAL" >"$WEB/.well-known/pki-validation/${URL##*/}"
api POST "/api/v1/orders/$OID/dcv" '{"action":"check"}'
wait_for 20 state_is issued
check_eq "R-VAL-1 R-ISS-5 validated by DNS and web page, the DV order is issued" issued \
  "$(jq_ 'd["state"]')"
SERIAL=$(jq_ 'd.get("cert_serial", "")')
check "the order names its certificate" test -n "$SERIAL"
check_eq "R-VAL-1 both domains validated" "['validated', 'validated']" \
  "$(jq_ '[x["state"] for x in d["domains"]]')"

api GET "/api/v1/certificates?q=$SERIAL"
check_eq "R-MNG-1 the certificate list finds it (with its organization's fields)" \
  "200 1 www.flow-test.co.jp フロー試験株式会社 情報システム部" \
  "$code $(jq_ 'len(d["items"])') $(jq_ 'd["items"][0]["cn"]') $(jq_ 'd["items"][0]["organization_ja"]') $(jq_ 'd["items"][0]["department"]')"

# ---- downloads verify (R-DL-1), subject from the application (R-CSR-2) ----
"$S" ca chain --dir "$D" --level dv --root a | awk -v a="$IT_TMP/int.pem" \
  -v b="$IT_TMP/root.pem" '/BEGIN/{n++} {print > (n == 1 ? a : b)}'
code=$(curl -s -o "$IT_TMP/full.pem" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
  "$url/api/v1/certificates/$SERIAL/download/fullchain")
check_eq "R-DL-1 full chain download" 200 "$code"
check "R-DL-1 the full chain verifies with openssl" openssl verify -x509_strict \
  -purpose sslserver -CAfile "$IT_TMP/root.pem" -untrusted "$IT_TMP/full.pem" "$IT_TMP/full.pem"
check_eq "R-CSR-2 subject from the application only" "subject=CN = www.flow-test.co.jp" \
  "$(openssl x509 -in "$IT_TMP/full.pem" -noout -subject)"
check "R-ISS-2 SAN has both names" bash -c "openssl x509 -in '$IT_TMP/full.pem' -noout \
  -ext subjectAltName | grep -q 'DNS:www.flow-test.co.jp, DNS:flow-test.co.jp'"
# R-ISS-2, issue 8 items 2 and 3: the CPS URI and the AIA caIssuers URL of the certificate
# point at this server (base_url follows serve --port) and answer
CPS=$(openssl x509 -in "$IT_TMP/full.pem" -noout -ext certificatePolicies | sed -n 's/.*CPS: *//p')
AIA=$(openssl x509 -in "$IT_TMP/full.pem" -noout -ext authorityInfoAccess |
  sed -n 's/.*CA Issuers - URI:*//p')
check "R-ISS-2 the CPS URI is on the served port: $CPS" grep -q "^$url/repository/cps$" <<<"$CPS"
check_eq "  and answers 200" 200 "$(curl -s -o "$IT_TMP/cps.html" -w '%{http_code}' "$CPS")"
check "  with the CPS of the demo CA" grep -q 'id="document" data-name="cps"' "$IT_TMP/cps.html"
check "the AIA caIssuers URL is on the served port: $AIA" grep -q "^$url/repository/" <<<"$AIA"
check_eq "  and answers 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$AIA")"

# ---- the issuance notice (R-ISS-5, R-NOT-1) ----
has_issued_mail() {
  grep -l "cert@flow-test.co.jp" "$IT_TMP"/sink/*.json 2>/dev/null | while read -r j; do
    python3 - "${j%.json}.eml" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m["subject"])
PY
  done | grep -c '証明書発行のお知らせ' | grep -qx 1
}
wait_for 20 has_issued_mail
check "R-ISS-5 R-NOT-1 one issuance notice reached the notification address" has_issued_mail
body=$(python3 - "$IT_TMP/sink" <<'PY'
import email, email.policy, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if "証明書発行" in m["subject"]:
        print(m.get_body().get_content())
PY
)
check "R-ISS-5 the notice gives CN, serial and validity" \
  bash -c "grep -q 'www.flow-test.co.jp' <<<\"\$1\" && grep -q \"$SERIAL\" <<<\"\$1\" && grep -q '有効期間' <<<\"\$1\"" _ "$body"

# ---- reuse of the validation by the same organization (R-VAL-2) ----
apply flow-test.co.jp flow-2
pay
wait_for 20 state_is issued
check_eq "R-VAL-2 a second order of the organization reuses the validation and issues" issued \
  "$(jq_ 'd["state"]')"
# issue 8 item 20: a reuse keeps the original method (web page for the apex, DNS for www)
check_eq "R-VAL-2 its domains are reused and keep the original methods" \
  "[('www.flow-test.co.jp', 'dns', True), ('flow-test.co.jp', 'http', True)]" \
  "$(jq_ '[(x["name"], x["method"], x["reused"]) for x in d["domains"]]')"
check_eq "R-VAL-2 each reused row names the original validation, not another reuse" 0 \
  "$(sq "SELECT COUNT(*) FROM order_domains d WHERE d.order_id = $OID AND (d.reused_from IS NULL
        OR (SELECT o.reused_from FROM order_domains o WHERE o.id = d.reused_from) IS NOT NULL)")"
CERT2=$(sq "SELECT cert_id FROM orders WHERE id = $OID")
# issue 8 item 24 (BR 5.4.1): every CAA check that allowed the certificate is kept with it
check_eq "BR 5.4.1 a CAA check per name is recorded with the certificate it allowed" 2 \
  "$(sq "SELECT COUNT(DISTINCT name) FROM caa_checks WHERE cert_id = $CERT2 AND ok = 1
        AND dnssec IS NOT NULL AND checked_at > 0 AND evidence LIKE '%\"steps\"%'")"

# ---- the per-CN limit (R-ISS-6: two valid certificates per CN and organization) ----
apply flow-test.co.jp flow-3
pay
sleep 3
api GET "/api/v1/orders/$OID"
check "R-ISS-6 a third certificate for the CN is not issued" test "$(jq_ 'd["state"]')" != issued
check "R-ISS-6 the refusal is audited" test \
  "$(sq "SELECT COUNT(*) FROM audit_log WHERE action = 'order.cn_limit'")" -gt 0

# ---- CAA forbids us (R-VAL-3) ----
apply forbid-test.co.jp caa-1
pay
api GET "/api/v1/orders/$OID"
knot_set_txt forbid-test.co.jp _pki-validation.www "$(instr www.forbid-test.co.jp value)" ||
  not_ok "TXT record published"
U2=$(instr forbid-test.co.jp url)
printf '%s\n' "$(instr forbid-test.co.jp value)" >"$WEB/.well-known/pki-validation/${U2##*/}"
api POST "/api/v1/orders/$OID/dcv" '{"action":"check"}'
blocked() { [ "$(sq "SELECT COUNT(*) FROM audit_log WHERE action = 'order.caa_blocked'")" -gt 0 ]; }
wait_for 20 blocked
check "R-VAL-3 a CAA record naming another CA blocks issuance (audited)" blocked
api GET "/api/v1/orders/$OID"
check "R-VAL-3 the order is not issued" test "$(jq_ 'd["state"]')" != issued
check "R-VAL-3 the blocked issuance is logged" grep -q 'issuance blocked' "$IT_TMP"/server-*.log
check "BR 5.4.1 the blocking CAA check is recorded without a certificate (issue 8 item 24)" \
  test "$(sq "SELECT COUNT(*) FROM caa_checks WHERE order_id = $OID AND ok = 0
        AND reason = 'caa.forbidden' AND cert_id IS NULL")" -gt 0
check_eq "R-VAL-3 no certificate exists for the forbidden name" 0 \
  "$(sq "SELECT COUNT(*) FROM certificates WHERE cn = 'www.forbid-test.co.jp' AND state = 'issued'")"

# ---- the revocation notice (R-NOT-1 "revocation done") ----
SERIAL2=$(sq "SELECT serial FROM certificates WHERE id = $CERT2")
# (on failure the command's own message goes into the check's name, so that a run whose
# logs are gone still says why)
if out=$("$S" revoke --dir "$D" --serial "$SERIAL2" --reason superseded 2>&1); then
  ok "R-REV-3 the operator revokes the second certificate"
else
  not_ok "R-REV-3 the operator revokes the second certificate ($(tr '\n' ' ' <<<"$out" | cut -c1-300))"
fi
revoked_mail() { # the body of the one revocation notice to the notification address
  python3 - "$IT_TMP/sink" <<'PY'
import email, email.policy, glob, json, sys
n, body = 0, ""
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if "証明書失効のお知らせ" in m["subject"] and "cert@flow-test.co.jp" in str(m["to"]):
        n, body = n + 1, m.get_body().get_content()
if n != 1:
    sys.exit(1)
print(body)
PY
}
wait_for 20 revoked_mail
body=$(revoked_mail)
check "R-NOT-1 one revocation notice names the serial, the reason and the time" \
  bash -c 'grep -q "$2" <<<"$1" && grep -q "失効理由: superseded" <<<"$1" && grep -q "JST" <<<"$1"' \
  _ "$body" "$SERIAL2"

# ---- evidence too old at signing (issue 8 item 21, R-VAL-2) ----
# The CAA-blocked order waits approved with its domains validated now. The same data
# directory served 244 days later: the job's retry checks the evidence before signing,
# finds it past the reuse period and sends the order back to validation.
check_eq "the blocked order waits approved" approved "$(sq "SELECT state FROM orders WHERE id = $OID")"
OLD_VALUES=$(sq "SELECT random_value FROM order_domains WHERE order_id = $OID ORDER BY name")
kill "$IT_SERVER_PID" 2>/dev/null
wait "$IT_SERVER_PID" 2>/dev/null
SHOMEI_FAKE_NOW=$(($(date +%s) + 244 * 86400)) start_server "$D" ||
  { not_ok "server starts 244 days later"; it_done; }
back() { [ "$(sq "SELECT state FROM orders WHERE id = $OID")" = vetting ]; }
wait_for 20 back
check "R-VAL-2 244 days later the order is back in vetting, not issued" back
# The vetting sweep may already have re-checked the pending names (the old TXT record and
# file no longer match) and written that attempt into each row; the reason for the return
# stays in the audit record.
NEW_VALUES=$(sq "SELECT random_value FROM order_domains WHERE order_id = $OID
                 AND state = 'pending' AND random_value IS NOT NULL ORDER BY name")
check_eq "  its domains are pending again" 2 "$(printf '%s\n' "$NEW_VALUES" | grep -c .)"
check_eq "  each with a new value" 0 \
  "$(printf '%s\n' "$OLD_VALUES" | grep -c -x -F -f <(printf '%s\n' "$NEW_VALUES"))"
stale_names() { # the names the order's order.revalidate records give as dcv.stale
  sq "SELECT a.detail FROM audit_log a, orders o WHERE a.action = 'order.revalidate'
      AND o.id = $OID AND a.object = 'order:' || o.receipt_no" | python3 -c '
import json, sys
print(" ".join(sorted(d["name"] for l in sys.stdin if l.strip()
                      for d in json.loads(l).get("domains", []) if d["why"] == "dcv.stale")))'
}
check_eq "  the return is audited (order.revalidate) naming both domains as dcv.stale" \
  "forbid-test.co.jp www.forbid-test.co.jp" "$(stale_names)"
check_eq "  still no certificate for the name" 0 \
  "$(sq "SELECT COUNT(*) FROM certificates WHERE cn = 'www.forbid-test.co.jp' AND state = 'issued'")"
"$S" audit verify --dir "$D" >/dev/null 2>&1
check_eq "R-OPS-1 the audit chain verifies after the whole path" 0 $?
it_done
