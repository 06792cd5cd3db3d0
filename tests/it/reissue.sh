#!/usr/bin/env bash
# Issue 9 item 3 (R-RI-1, R-RI-2, R-RI-3, R-RI-4, R-RI-5, R-RI-6, R-RI-7, R-APP-1 reissue,
# R-VAL-3): the reissue of an issued certificate end to end, through the API and through
# the portal forms, against real peers (knot for DNS TXT and CAA, a web server for the
# web-page check, an SMTP sink), with the clock moved by SHOMEI_FAKE_NOW:
#   - 2026-12-01: a DV certificate for ri-test.co.jp; a reissue through the API with a new
#     key adds www.ri-test.co.jp (mis-issuance guard: nothing is signed while the new name's
#     DCV is pending; it is signed once the TXT record is published); openssl verifies the
#     new certificate against the chain, shows both names, the new key and the original's
#     end date; the original waits for its revocation date; bad input (revoked original,
#     per-CN limit, no consent, dates, reasons, CN or organization change, a SAN on a
#     single-name product) each gets its message naming the field and creates nothing;
#   - 2026-12-06: the original is revoked on its date (superseded);
#   - the portal: the certificate page shows the history; the reissue form, its
#     confirmation with the fee (free) and the done page; the previous CSR reused and every
#     validation reused: issued at once;
#   - a reissue adding a name whose CAA forbids this CA is never signed;
#   - a reissue that switches root A -> B (R-ISS-1): free, its chain verifies to root B.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=ri-hmac-secret
BODY=$IT_TMP/body

cat >"$IT_TMP/records" <<'REC'
ri-test.co.jp @ A 127.0.0.1
ri-test.co.jp www A 127.0.0.1
ri-test.co.jp @ CAA 0 issue "shomei.example"
caa-ri.co.jp @ A 127.0.0.1
caa-ri.co.jp @ CAA 0 issue "shomei.example"
caa-ri.co.jp www CAA 0 issue "other-ca.example"
root-ri.co.jp @ A 127.0.0.1
root-ri.co.jp @ CAA 0 issue "shomei.example"
REC
dcv_peers "jp co.jp ri-test.co.jp caa-ri.co.jp root-ri.co.jp" "$IT_TMP/records" mail

export SHOMEI_FAKE_NOW=2026-11-30T00:00:00Z
dcv_init "$D" "$SECRET" --set revocation.crl_check_seconds=1
"$S" ca chain --dir "$D" --level dv --root a >"$IT_TMP/chain.pem"
awk -v a="$IT_TMP/int.pem" -v b="$IT_TMP/root.pem" '/BEGIN/{n++} {print > (n == 1 ? a : b)}' \
  "$IT_TMP/chain.pem"
PW=ri-Horse-77-battery
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login ri-c --role customer \
  --email c@ri-test.co.jp --name "RI C" --org-name "RI Org" >/dev/null

SPID=
at() { # TIME: (re)starts the server with the clock at TIME
  [ -n "$SPID" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
  export SHOMEI_FAKE_NOW=$1
  start_server "$D" || { not_ok "server starts at $1"; it_done; }
  SPID=$IT_SERVER_PID
  url=$IT_URL
}
at 2026-12-01T03:00:00Z
KEY=$(api_key_for "$url" ri-c "$PW")
check "an API key for the customer" test -n "$KEY"

csr_json() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
norders() { sq "SELECT COUNT(*) FROM orders"; }
cert_state() { sq "SELECT state FROM certificates WHERE serial = '$1'"; }
# apply ZONE KEYFILE IDEM: a dv-1y order for ZONE (web-page check), paid and issued -> $SER
apply() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$IT_TMP/$2" \
    -out "$IT_TMP/$2.csr" -subj "/CN=$1" 2>/dev/null
  local j
  j=$(CSR="$IT_TMP/$2.csr" CN="$1" IDEM="$3" python3 -c '
import json, os
cn = os.environ["CN"]
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(), "cn": cn,
  "dcv_methods": {cn: "http"},
  "contact": {"org": "再発行試験株式会社", "dept": "情報システム部", "name": "山田 太郎", "name_kana": "やまだ たろう",
              "postal": "100-0001", "pref": "東京都", "city": "千代田区", "street": "千代田1-1",
              "phone": "03-1111-2222", "email": "ops@" + cn},
  "billing_same": True, "notify_emails": ["cert@" + cn], "idem_key": os.environ["IDEM"]},
  ensure_ascii=False))')
  api POST /api/v1/orders "$j"
  [ "$code" = 201 ] || { not_ok "apply for $1 ($code)"; cat "$BODY"; it_done; }
  OID=$(jq_ 'd["id"]')
  pay
  publish "$1"
  wait_for 30 state_is issued || { not_ok "$1 issued"; it_done; }
  SER=$(jq_ 'd.get("cert_serial", "")')
}

# ---- 2026-12-01: the original, then a reissue through the API ----
apply ri-test.co.jp k1.pem ri-1
S1=$SER
check "the original certificate is issued" test -n "$S1"
pem_of "$S1" "$IT_TMP/s1.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$IT_TMP/k2.pem" \
  -out "$IT_TMP/k2.csr" -subj "/CN=ri-test.co.jp" 2>/dev/null
N0=$(norders)
api POST "/api/v1/certificates/$S1/reissue" "{\"reason\":\"key_lost\",\"revoke_date\":\"2026-12-06\",
  \"consent\":true,\"csr\":$(csr_json "$IT_TMP/k2.csr"),\"names\":[\"ri-test.co.jp\",\"www.ri-test.co.jp\"],
  \"dcv_method\":\"dns\",\"idem_key\":\"api-1\",\"dry_run\":true}"
check_eq "R-RI-6 a dry run shows the plan: free, www added, revoked on the date asked" \
  "200 0 ['www.ri-test.co.jp'] 2026-12-06 superseded" \
  "$code $(jq_ 'd["fee"]') $(jq_ 'd["added"]') $(jq_ 'd["revoke_date"]') $(jq_ 'd["revocation_reason"]')"
check_eq "  and creates nothing" "$N0" "$(norders)"
api POST "/api/v1/certificates/$S1/reissue" "{\"reason\":\"key_lost\",\"revoke_date\":\"2026-12-06\",
  \"consent\":true,\"csr\":$(csr_json "$IT_TMP/k2.csr"),\"names\":[\"ri-test.co.jp\",\"www.ri-test.co.jp\"],
  \"dcv_method\":\"dns\",\"idem_key\":\"api-1\"}"
check_eq "R-APP-1 R-RI-1 the reissue opens an order of kind reissue, free, being vetted" \
  "201 reissue 0 vetting" "$code $(jq_ 'd["kind"]') $(jq_ 'd["amount"]') $(jq_ 'd["state"]')"
OID=$(jq_ 'd["id"]')
check_eq "R-RI-2 the original waits for its date" revocation_scheduled "$(cert_state "$S1")"
check_eq "  with the reason superseded (key mismatch, deleted, damaged)" 4 \
  "$(sq "SELECT revocation_reason FROM certificates WHERE serial = '$S1'")"
wait_for 20 nmail_is '再発行申請を受け付けました' 1
check "R-NOT-1 the customer is mailed the reissue" nmail_is '再発行申請を受け付けました' 1
# the mis-issuance guard: the new name is not validated, nothing is signed
sleep 4
api GET "/api/v1/orders/$OID"
check_eq "R-RI-5 R-VAL-3 the apex's validation is reused, the new name waits for DCV" \
  "['validated', 'pending']" "$(jq_ '[x["state"] for x in d["domains"]]')"
check_eq "  and nothing is signed meanwhile" "vetting 0" \
  "$(jq_ 'd["state"]') $(sq "SELECT COUNT(*) FROM certificates WHERE order_id = $OID")"
publish ri-test.co.jp
wait_for 30 state_is issued
check_eq "R-RI-5 once www's TXT record is published the reissue is signed" issued "$(jq_ 'd["state"]')"
S2=$(jq_ 'd.get("cert_serial", "")')
pem_of "$S2" "$IT_TMP/s2.pem"
check "openssl verifies the reissued certificate against the chain" \
  openssl verify -attime "$(date -u -d "$SHOMEI_FAKE_NOW" +%s)" -CAfile "$IT_TMP/root.pem" -untrusted "$IT_TMP/int.pem" "$IT_TMP/s2.pem"
check "R-RI-3 openssl: it names both names" \
  sh -c "openssl x509 -in '$IT_TMP/s2.pem' -noout -ext subjectAltName | grep -q 'DNS:www.ri-test.co.jp' &&
         openssl x509 -in '$IT_TMP/s2.pem' -noout -ext subjectAltName | grep -q 'DNS:ri-test.co.jp'"
check_eq "R-RI-3 openssl: it ends with the original" \
  "$(openssl x509 -in "$IT_TMP/s1.pem" -noout -enddate)" "$(openssl x509 -in "$IT_TMP/s2.pem" -noout -enddate)"
check_eq "  and carries the new key" "$(openssl req -in "$IT_TMP/k2.csr" -noout -pubkey)" \
  "$(openssl x509 -in "$IT_TMP/s2.pem" -noout -pubkey)"
api GET "/api/v1/certificates/$S2/subscription"
check_eq "R-RI-7 the reissue belongs to the original's subscription" "first reissue" \
  "$(jq_ '" ".join(x["reason_code"] for x in d["certs"])')"

# ---- bad input: a clear message naming the field, nothing created ----
N0=$(norders)
ri() { api POST "/api/v1/certificates/$1/reissue" "$2"; }
ri "$S1" '{"reason":"replacement","revoke_date":"2026-12-10","consent":true}'
check_eq "R-RI-4 the original, scheduled for revocation, cannot be reissued again: 409" \
  "409 reissue.state" "$code $(jq_ 'd.get("field")')"
ri "$S2" '{"reason":"replacement","revoke_date":"2026-12-10","consent":true}'
check_eq "R-RI-4 the per-CN limit (the original still valid and its reissue): 422" \
  "422 reissue.cn_limit" "$code $(jq_ 'd.get("field")')"
check "  saying the limit is reached" grep -q '上限の枚数' "$BODY"
ri "$S2" '{"reason":"replacement","revoke_date":"2026-12-10","consent":false}'
check_eq "R-RI-4 without consent: 422 naming consent" "422 consent" "$code $(jq_ 'd.get("field")')"
check "  saying consent is needed" grep -q '同意が必要' "$BODY"
ri "$S2" '{"reason":"replacement","revoke_date":"2026-11-30","consent":true}'
check_eq "R-RI-2 a date in the past: 422 naming revoke_date" "422 revoke_date" "$code $(jq_ 'd.get("field")')"
ri "$S2" '{"reason":"replacement","revoke_date":"2027-01-31","consent":true}'
check_eq "R-RI-2 61 days ahead: 422 naming revoke_date" "422 revoke_date" "$code $(jq_ 'd.get("field")')"
ri "$S2" '{"reason":"boredom","revoke_date":"2026-12-10","consent":true}'
check_eq "R-RI-1 a reason not in the list: 422 naming reason" "422 reason" "$code $(jq_ 'd.get("field")')"
ri "$S2" '{"reason":"replacement","revoke_date":"2026-12-10","consent":true,"cn":"shop.ri-test.co.jp"}'
check_eq "R-RI-3 another CN: 422, a new application" "422 reissue.forbidden" "$code $(jq_ 'd.get("field")')"
check "  pointing to a new application" grep -q '新規のお申し込み' "$BODY"
ri "$S2" '{"reason":"replacement","revoke_date":"2026-12-10","consent":true,"org_name":"別会社株式会社"}'
check_eq "R-RI-3 another organization: 422, a new application" "422 reissue.forbidden" \
  "$code $(jq_ 'd.get("field")')"
ri "$S2" '{"reason":"replacement","revoke_date":"2026-12-10","consent":true,"names":["ri-test.co.jp","shop.ri-test.co.jp"]}'
check_eq "R-RI-3 a SAN on a single-name product: 422 naming names" "422 names" "$code $(jq_ 'd.get("field")')"
ri "$S2" '{"reason":7,"consent":"yes"}'
check_eq "fields of the wrong type: 422" "422 body" "$code $(jq_ 'd.get("field")')"
check_eq "nothing was created by any of them" "$N0" "$(norders)"

# ---- 2026-12-06 (Japan): the original is revoked on its date ----
at 2026-12-05T15:30:00Z
s1_revoked() { [ "$(cert_state "$S1")" = revoked ]; }
wait_for 30 s1_revoked
check_eq "R-RI-2 the original is revoked on its date" revoked "$(cert_state "$S1")"
check "  at the date asked (2026-12-06 00:00 Japan time or later)" \
  test "$(sq "SELECT revoked_at FROM certificates WHERE serial = '$S1'")" -ge "$(date -u -d 2026-12-05T15:00:00Z +%s)"

# ---- the portal: history, form, confirmation, done ----
JAR=$IT_TMP/jar
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/login.html" "$url/login"
TOK=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf=$TOK" \
  --data-urlencode "login_id=ri-c" --data-urlencode "password=$PW" "$url/login"
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/page.html" "$url/certificates/$S2"
check "R-RI-7 R-MNG-2 the certificate page shows the history" grep -q 'id="ri-history"' "$IT_TMP/page.html"
check "  with the original revoked (superseded)" \
  grep -q "data-serial=\"$S1\" data-state=\"revoked\"" "$IT_TMP/page.html"
check "  and why the reissue was issued" grep -q '再発行: 鍵の不一致、削除、破損' "$IT_TMP/page.html"
check "  and a link to the reissue form" grep -q 'id="reissue-link"' "$IT_TMP/page.html"
code=$(curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/form.html" -w '%{http_code}' "$url/certificates/$S2/reissue")
check_eq "the reissue form" 200 "$code"
check "  with the reasons of the list" grep -q '証明書の入れ替え' "$IT_TMP/form.html"
TOK=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/form.html" | head -1 | sed 's/.*value="//; s/"$//')
post() { # PATH ARGS... -> $code, page in $IT_TMP/post.html
  local p=$1
  shift
  code=$(curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/post.html" -w '%{http_code}' \
    --data-urlencode "csrf=$TOK" "$@" "$url$p")
}
FORM=(--data-urlencode "reason=replacement" --data-urlencode "revoke_date=2026-12-16"
  --data-urlencode "csr_mode=reuse" --data-urlencode $'names=ri-test.co.jp\nwww.ri-test.co.jp'
  --data-urlencode "root=a" --data-urlencode "dcv_method=dns" --data-urlencode "idem=portal-1")
post "/certificates/$S2/reissue/confirm" "${FORM[@]}"
check_eq "R-RI-4 without the consent box the form comes back: 422" 422 "$code"
check "  saying consent is needed" grep -q '同意が必要' "$IT_TMP/post.html"
post "/certificates/$S2/reissue/confirm" "${FORM[@]}" --data-urlencode "consent=1"
check_eq "R-RI-6 the confirmation page" 200 "$code"
check "  shows the fee: free" grep -q '<td id="ri-c-fee">無料' "$IT_TMP/post.html"
check "  and the revocation date of the original" grep -q '2026-12-16' "$IT_TMP/post.html"
check "R-RI-4 the root shown by its label as on the certificate page, not its letter" \
  grep -q '<td id="ri-c-root">ルートA' "$IT_TMP/post.html"
N0=$(norders)
check_eq "  and creates nothing yet" "$N0" "$(norders)"
code=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{http_code} %{redirect_url}' \
  --data-urlencode "csrf=$TOK" "${FORM[@]}" --data-urlencode "consent=1" "$url/certificates/$S2/reissue")
check "the reissue is submitted: 303 to the done page" test "${code%% *}" = 303 -a -n "$(echo "$code" | grep -o 'reissue/done')"
code=$(curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/done.html" -w '%{http_code}' "${code#* }")
check_eq "the done page" 200 "$code"
check "  with the receipt number" grep -q 'id="ri-receipt">R2026' "$IT_TMP/done.html"
OID=$(sq "SELECT id FROM orders WHERE kind = 'reissue' AND idem_key = 'portal-1'")
check "  one order" test -n "$OID"
wait_for 30 state_is issued
check_eq "R-RI-5 every validation reused: the reissue is issued at once" issued "$(jq_ 'd["state"]')"
S3=$(jq_ 'd.get("cert_serial", "")')
pem_of "$S3" "$IT_TMP/s3.pem"
check "openssl verifies it" openssl verify -attime "$(date -u -d "$SHOMEI_FAKE_NOW" +%s)" -CAfile "$IT_TMP/root.pem" -untrusted "$IT_TMP/int.pem" "$IT_TMP/s3.pem"
check_eq "R-RI-3 the previous CSR: the same key as before" \
  "$(openssl x509 -in "$IT_TMP/s2.pem" -noout -pubkey)" "$(openssl x509 -in "$IT_TMP/s3.pem" -noout -pubkey)"
check_eq "  and the same end" "$(openssl x509 -in "$IT_TMP/s1.pem" -noout -enddate)" \
  "$(openssl x509 -in "$IT_TMP/s3.pem" -noout -enddate)"
check_eq "R-RI-2 the reissued one waits for 2026-12-16" revocation_scheduled "$(cert_state "$S2")"

# ---- a reissue past a CAA refusal is never signed ----
apply caa-ri.co.jp k3.pem caa-1
C1=$SER
check "a certificate for caa-ri.co.jp" test -n "$C1"
api POST "/api/v1/certificates/$C1/reissue" '{"reason":"other","revoke_date":"2026-12-20","consent":true,
  "names":["caa-ri.co.jp","www.caa-ri.co.jp"]}'
check_eq "a reissue adding www.caa-ri.co.jp" 201 "$code"
OID=$(jq_ 'd["id"]')
publish caa-ri.co.jp
refused_caa() { [ -n "$(sq "SELECT issue_refusal FROM orders WHERE id = $OID AND issue_refusal LIKE 'caa%'")" ]; }
wait_for 30 refused_caa
check_eq "R-VAL-3 CAA of www.caa-ri.co.jp forbids this CA: the reissue is refused" \
  "caa.forbidden" "$(sq "SELECT issue_refusal FROM orders WHERE id = $OID")"
check_eq "  the order stays approved, waiting" approved "$(sq "SELECT state FROM orders WHERE id = $OID")"
check_eq "  and never signed" 0 "$(sq "SELECT COUNT(*) FROM certificates WHERE order_id = $OID")"
RNO=$(sq "SELECT receipt_no FROM orders WHERE id = $OID")
curl -s -c "$JAR" -b "$JAR" -o "$IT_TMP/page.html" "$url/certificates/$C1"
check "R-RI-7 the history lists the waiting reissue as 再発行手続き中" \
  grep -q 'data-serial="" data-state="pending">.*再発行手続き中' "$IT_TMP/page.html"
check "  with a link to its order" \
  grep -q "<a href=\"/orders/$OID\" class=\"ri-pending-order\">$RNO</a>" "$IT_TMP/page.html"

# ---- R-ISS-1: the customer switches root as a free reissue: the new certificate's chain
# leads to root B, checked by openssl against root B alone ----
apply root-ri.co.jp k4.pem root-1
R1=$SER
check_eq "R-ISS-1 an original on root A" "a" "$(sq "SELECT root_option FROM orders WHERE id = $OID")"
RI_ROOT='{"reason":"replacement","revoke_date":"2026-12-20","consent":true,"root":"b"'
api POST "/api/v1/certificates/$R1/reissue" "$RI_ROOT,\"dry_run\":true}"
check_eq "R-ISS-1 R-RI-6 switching to root B: free" "200 0 b" \
  "$code $(jq_ 'd["fee"]') $(jq_ 'd["root"]')"
api POST "/api/v1/certificates/$R1/reissue" "$RI_ROOT,\"idem_key\":\"root-b\"}"
check_eq "R-ISS-1 the reissue to root B: 201" 201 "$code"
OID=$(jq_ 'd["id"]')
wait_for 30 state_is issued
R2=$(jq_ 'd.get("cert_serial", "")')
check "R-ISS-1 issued at once (every validation reused)" test -n "$R2"
check_eq "R-ISS-1 the reissue's order is on root B" "b" "$(sq "SELECT root_option FROM orders WHERE id = $OID")"
"$S" ca chain --dir "$D" --level dv --root b >"$IT_TMP/chain-b.pem"
awk -v a="$IT_TMP/int-b.pem" -v b="$IT_TMP/root-b.pem" '/BEGIN/{n++} {print > (n == 1 ? a : b)}' \
  "$IT_TMP/chain-b.pem"
curl -s -o "$IT_TMP/r2-full.pem" -H "Authorization: Bearer $KEY" \
  "$url/api/v1/certificates/$R2/download/fullchain"
pem_of "$R2" "$IT_TMP/r2.pem"
VT=$(date -u -d "$SHOMEI_FAKE_NOW" +%s)
check "R-ISS-1 the downloaded full chain verifies against root B alone" \
  openssl verify -attime "$VT" -CAfile "$IT_TMP/root-b.pem" -untrusted "$IT_TMP/r2-full.pem" "$IT_TMP/r2.pem"
check "R-ISS-1 ... and not against root A alone" bash -c "! openssl verify -attime $VT \
  -CAfile '$IT_TMP/root.pem' -untrusted '$IT_TMP/r2-full.pem' '$IT_TMP/r2.pem' >/dev/null 2>&1"
check "R-ISS-1 roots A and B are different certificates" bash -c \
  "! cmp -s '$IT_TMP/root.pem' '$IT_TMP/root-b.pem'"
check_eq "R-ISS-1 R-RI-2 the original on root A waits for its revocation date" \
  revocation_scheduled "$(cert_state "$R1")"

# ---- R-APP-7: no reissue inside the maintenance window (4th Wednesday 20:00 JST), as no
# other submission; outside it the same request is accepted ----
at 2026-12-23T12:00:00Z
N0=$(norders)
RI_MAINT='{"reason":"other","revoke_date":"2026-12-30","consent":true,"idem_key":"in-maint"}'
api POST "/api/v1/certificates/$S3/reissue" "$RI_MAINT"
check_eq "R-RI-1 R-APP-7 a reissue in the maintenance window: 503" 503 "$code"
check "  saying when it ends" grep -q '2026-12-24' "$BODY"
check_eq "  and nothing is created" "$N0" "$(norders)"
at 2026-12-24T00:00:00Z
# S2 was due for revocation on 2026-12-16: until the revocation job of this start has
# revoked it, it still counts among the CN's valid certificates (R-RI-4's limit of 2), and
# the request would be refused for that, not for the window
s2_revoked() { [ "$(cert_state "$S2")" = revoked ]; }
wait_for 30 s2_revoked
api POST "/api/v1/certificates/$S3/reissue" "$RI_MAINT"
check_eq "R-RI-1 the same request after the window: 201" 201 "$code"

[ "$IT_FAILED" = 0 ] || grep -h 'level=error\|level=warn' "$IT_TMP"/server-*.log | head -20 | sed 's/^/# /'
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
it_done
