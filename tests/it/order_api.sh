#!/usr/bin/env bash
# R-API-1 as a reseller's script uses it (Bearer API key, JSON): the catalog and the
# organizations it manages, apply in one call for a managed organization (R-APP-3/4: a 422
# problem+json listing EVERY field error, nothing saved; R-APP-6 ineligible), idempotent
# re-submission (one order), the order list and status with ETA (R-VAL-7, R-CAL-1), the
# payment callback POST /api/v1/payments with a wrong and a correct HMAC signature and a
# wrong amount (R-PAY-1), DCV instructions per domain and method changes incl. the
# discouraged e-mail method (R-VAL-1), document upload (R-VAL-6), cancel, and another
# organization's order answering 404 (R-ACT-1).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=order-api-hmac-secret

# DNS goes to a closed loopback port and fetches give up fast: the DCV job of the
# server never leaves 127.0.0.1 (the checks themselves are proven in tests/it/dcv.sh).
NO_DNS=$(free_port)
if ! "$S" init --dir "$D" --demo --set server.secure_cookies=false \
  --set "dns.resolver=127.0.0.1@$NO_DNS" --set dns.timeout=1 --set dcv.connect_timeout=1 \
  --set dcv.timeout=2 \
  --set "payment.hmac_secret=$SECRET" \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=orderapi-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login resel-r --role reseller --email r@r.example.jp --name "Reseller R" --org-name "Org R"
add --login client-m --role customer --email m@m.example.jp --name "Client M" \
  --org-name "Managed M" --reseller resel-r
add --login cust-b --role customer --email b@b.example.jp --name "Customer B" --org-name "Org B"
export SHOMEI_FAKE_NOW=2026-12-01T03:00:00Z
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL

BODY=$IT_TMP/body
# apikey LOGIN: logs in through the pages and makes an API key
apikey() {
  local jar=$IT_TMP/jar-$1 tok
  curl -s -c "$jar" -b "$jar" -o "$BODY" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
  # forms of a session carry the session's token (not the login page's)
  tok=$(curl -s -c "$jar" -b "$jar" "$url/account/keys" | grep -o 'name="csrf" value="[^"]*"' |
    head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o "$BODY" --data-urlencode "csrf=$tok" \
    --data-urlencode "label=script" "$url/account/keys"
  sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p' "$BODY"
}
KEY=$(apikey resel-r)
KEY_B=$(apikey cust-b)
check "API keys made" test -n "$KEY" -a -n "$KEY_B"
# api METHOD PATH [JSON]: as the reseller; code in $code, body in $BODY
api() {
  local k=${AS_KEY:-$KEY}
  if [ $# -ge 3 ]; then
    code=$(curl -s -o "$BODY" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $k" \
      -H 'Content-Type: application/json' --data-binary "$3" "$url$2")
  else
    code=$(curl -s -o "$BODY" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $k" "$url$2")
  fi
}
# dom NAME EXPR: EXPR over the domain NAME of the last order answer (x is the domain)
dom() { jq_ "[$2 for x in d[\"domains\"] if x[\"name\"]==\"$1\"][0]"; }
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
  "$BODY" "$1"; }

# ---- issue 8 item 2: the documents the wizard and certificates link to are served ----
for doc in subscriber-agreement privacy cps; do
  code=$(curl -s -o "$BODY" -w '%{http_code}' "$url/repository/$doc")
  check "GET /repository/$doc: 200, the Japanese default naming the demo CA ($code)" \
    grep -q 'デモ' "$BODY"
  code=$(curl -s -o "$BODY" -w '%{http_code}' "$url/repository/$doc?lang=en")
  check "  in English with ?lang=en ($code)" grep -q 'demonstration' "$BODY"
done
mkdir -p "$D/documents"
printf 'Our privacy policy\n\nWe keep <nothing>.\n' >"$D/documents/privacy.en.txt"
curl -s -o "$BODY" "$url/repository/privacy?lang=en"
check "the operator's text file in the data directory replaces the default, escaped" \
  grep -q '<h1>Our privacy policy</h1>' "$BODY"
check "  (its text escaped)" grep -qF 'We keep &lt;nothing&gt;.' "$BODY"
curl -s -o "$BODY" "$url/repository/privacy"
check "  the other language keeps its default" grep -q 'デモ' "$BODY"
check_eq "an unknown document name stays 404" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$url/repository/terms")"

api GET /api/v1/products
check_eq "GET /api/v1/products" 200 "$code"
check "  the catalog has ov-1y" \
  test "$(jq_ '[p["code"] for p in d["products"]].count("ov-1y")')" = 1
api GET /api/v1/organizations
M_ORG=$(jq_ '[o["id"] for o in d["organizations"] if o["name_ja"]=="Managed M"][0]')
check "the reseller's managed organization is listed" test -n "$M_ORG"

openssl ecparam -name prime256v1 -genkey -noout -out "$IT_TMP/key.pem" 2>/dev/null
openssl req -new -key "$IT_TMP/key.pem" -subj "/CN=www.api-test.co.jp" -out "$IT_TMP/req.pem" \
  2>/dev/null
# app EXTRA_PYTHON: the application JSON with a change applied (python statement on d)
app() {
  CSR_FILE=$IT_TMP/req.pem ORG=$M_ORG python3 - "$1" <<'EOF'
import json, os, sys
d = {
  "product": "ov-1y", "org_id": int(os.environ["ORG"]), "csr": open(os.environ["CSR_FILE"]).read(),
  "cn": "www.api-test.co.jp", "subject_l": "Minato-ku", "subject_st": "Tokyo",
  "org": {"name_ja": "株式会社API試験", "name_en": "API Test K.K.", "entity_type": "株式会社",
          "category": "private", "reg_no": "010401123456", "rep_name": "鈴木 一郎",
          "postal": "105-0011", "pref": "東京都", "city": "港区", "street": "芝公園1-1",
          "building": "なし", "phone": "03-2222-3333"},
  "resp": {"name": "鈴木 次郎", "name_kana": "すずき じろう", "dept": "情報システム部",
           "title": "課長", "phone": "03-2222-3334"},
  "contact": {"org": "株式会社API試験", "name": "高橋 三郎", "name_kana": "たかはし さぶろう",
              "postal": "105-0011", "pref": "東京都", "city": "港区", "street": "芝公園1-1",
              "phone": "03-2222-3335", "email": "ops@api-test.co.jp"},
  "billing_same": True, "notify_emails": ["cert@api-test.co.jp"],
  "dcv_methods": {"api-test.co.jp": "http"}, "idem_key": "script-run-1"}
exec(sys.argv[1])
print(json.dumps(d, ensure_ascii=False))
EOF
}

# ---- every field error at once, nothing saved ----
api POST /api/v1/orders "$(app 'd["org"]["postal"]="1"; d["resp"]["name_kana"]="SUZUKI"
d["contact"]["email"]="x"; d["idem_key"]="bad-1"')"
check_eq "bad application: 422" 422 "$code"
check "  as problem+json" grep -q '"status":422' "$BODY"
FIELDS=$(jq_ '" ".join(sorted(e["field"] for e in d["errors"]))')
check_eq "  listing every field error" "contact.email org.postal resp.name_kana" "$FIELDS"
check "  with messages in the key's language (ja)" grep -q '郵便番号' "$BODY"
code=$(curl -s -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
  -H 'Accept-Language: en' -H 'Content-Type: application/json' \
  --data-binary "$(app 'd["org"]["postal"]="1"; d["idem_key"]="bad-2"')" \
  "$url/api/v1/orders?lang=en")
check "  and in English with ?lang=en" grep -q 'NNN-NNNN' "$BODY"
api POST /api/v1/orders "$(app 'd["cn"]="server.local"; d["idem_key"]="bad-3"')"
check_eq "ineligible CN: 422" 422 "$code"
check "  names the CN" test "$(jq_ '[e["field"] for e in d["errors"]]')" = "['cn']"
api POST /api/v1/orders "$(app 'd["product"]="no-such-product"')"
check_eq "unknown product: 422" 422 "$code"
api POST /api/v1/orders "$(app 'd["org_id"]=999999')"
check_eq "an organization outside the scope: 422" 422 "$code"
api POST /api/v1/orders '{"product":'
check_eq "broken JSON: 400" 400 "$code"
# issue 8 item 18 (R-APP-3, R-API-1): nothing is cut or ignored silently
api POST /api/v1/orders "$(app 'd["notify_emails"]=["a@api-test.co.jp","b@api-test.co.jp",
  "c@api-test.co.jp","d@api-test.co.jp"]; d["idem_key"]="four-mails"')"
check_eq "R-APP-3 four notification addresses: 422" 422 "$code"
check "  naming notify_emails" test "$(jq_ '[e["field"] for e in d["errors"]]')" = "['notify_emails']"
api POST /api/v1/orders "$(app 'd["kind"]="upgrade"; d["idem_key"]="bad-kind"')"
check_eq "an invalid kind: 422" 422 "$code"
check "  naming kind" test "$(jq_ '[e["field"] for e in d["errors"]]')" = "['kind']"
api POST /api/v1/orders "$(app 'd["kind"]=7; d["org"]["postal"]="1"; d["idem_key"]="bad-kind-2"')"
check_eq "a kind that is not a string, with another error: 422 listing both" \
  "422 kind org.postal" "$code $(jq_ '" ".join(sorted(e["field"] for e in d["errors"]))')"
# issue 7 item 1: the DCV methods are set in the transaction that creates the order, so a
# method the name cannot have refuses the whole application (it was logged and dropped)
api POST /api/v1/orders "$(app 'd["dcv_methods"]={"api-test.co.jp": "carrier-pigeon"}; d["idem_key"]="bad-dcv-1"')"
check_eq "issue 7 item 1 an unknown DCV method: 422" 422 "$code"
check_eq "  naming dcv_methods.NAME" "['dcv_methods.api-test.co.jp']" \
  "$(jq_ '[e["field"] for e in d["errors"]]')"
api POST /api/v1/orders "$(app 'd["dcv_methods"]={"other.example": "dns"}; d["idem_key"]="bad-dcv-2"')"
check_eq "issue 7 item 1 a DCV method for a name not applied for: 422" \
  "422 ['dcv_methods.other.example']" "$code $(jq_ '[e["field"] for e in d["errors"]]')"
api GET "/api/v1/orders?state=no-such-state"
check_eq "an unknown state filter: 400" 400 "$code"
check "  as problem+json naming state" grep -q '"state"' "$BODY"
api GET /api/v1/orders
check_eq "nothing was saved" 0 "$(jq_ 'len(d["orders"])')"

# ---- apply, idempotently ----
api POST /api/v1/orders "$(app '')"
check_eq "apply: 201" 201 "$code"
OID=$(jq_ 'd["id"]')
RECEIPT=$(jq_ 'd["receipt_no"]')
INVOICE=$(jq_ 'd["invoice_no"]')
AMOUNT=$(jq_ 'd["amount"]')
check "  receipt number" grep -q '"receipt_no":"R20261201-[0-9]\{5\}"' "$BODY"
check "  invoice number BILL-YYYYMM-NNNNN" grep -q '^BILL-202612-[0-9]\{5\}$' <<<"$INVOICE"
check_eq "  for the managed organization" "$M_ORG" "$(jq_ 'd["org_id"]')"
check_eq "  waiting for payment" awaiting_payment "$(jq_ 'd["state"]')"
check_eq "  names: www and the apex (R-APP-5)" "['www.api-test.co.jp', 'api-test.co.jp']" \
  "$(jq_ 'd["names"]')"
api POST /api/v1/orders "$(app '')"
check_eq "the same idem_key again: 200 with the same order" "200 $OID" "$code $(jq_ 'd["id"]')"
api GET /api/v1/orders
check_eq "one order listed" 1 "$(jq_ 'len(d["orders"])')"
api GET "/api/v1/orders?state=awaiting_payment"
check_eq "the state filter finds it" "200 1" "$code $(jq_ 'len(d["orders"])')"
api GET "/api/v1/orders?state=issued"
check_eq "  and not under another state" "200 0" "$code $(jq_ 'len(d["orders"])')"
api GET "/api/v1/orders/$OID"
check_eq "GET /api/v1/orders/:id" 200 "$code"
check "  R-VAL-7: with the expected completion date" grep -q '"eta":"2026-12-[0-9][0-9]"' "$BODY"

# ---- payment callback (R-PAY-1) ----
pay() { # pay BODY SIGNATURE
  code=$(curl -s -o "$BODY" -w '%{http_code}' -H "X-Shomei-Signature: $2" \
    -H 'Content-Type: application/json' --data-binary "$1" "$url/api/v1/payments")
}
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= //'; }
P="{\"invoice_no\":\"$INVOICE\",\"amount\":$AMOUNT}"
pay "$P" "sha256=$(sig "$P" | tr 0-9a-f a-j0-9 | head -c 64)"
check_eq "payment callback with a wrong signature: 401" 401 "$code"
pay "$P" ""
check_eq "payment callback without a signature: 401" 401 "$code"
pay "$P" "$(sig "$P")"
check_eq "R-PAY-1 the right HMAC without its sha256= prefix: 401 (issue 8 item 18)" 401 "$code"
api GET "/api/v1/orders/$OID"
check_eq "  the order still waits for payment" awaiting_payment "$(jq_ 'd["state"]')"
PW2="{\"invoice_no\":\"$INVOICE\",\"amount\":1}"
pay "$PW2" "sha256=$(sig "$PW2")"
check_eq "payment callback with a wrong amount: 422" 422 "$code"
pay "$P" "sha256=$(sig "$P")"
check_eq "payment callback with the correct signature: 200" 200 "$code"
check_eq "  the order is in vetting" vetting "$(jq_ 'd["state"]')"
pay "$P" "sha256=$(sig "$P")"
check_eq "a repeated callback changes nothing: 200" "200 vetting" "$code $(jq_ 'd["state"]')"

# ---- DCV instructions per domain (R-VAL-1) ----
api GET "/api/v1/orders/$OID"
check_eq "  state vetting" vetting "$(jq_ 'd["state"]')"
check "www: DNS TXT record name" \
  test "$(dom www.api-test.co.jp 'x["instructions"].get("dns_record","")')" != ""
check "apex: the web-page URL (method chosen at application)" \
  grep -q /.well-known/pki-validation/ <<<"$(dom api-test.co.jp 'x["instructions"].get("url")')"
check "random values of 32 characters" \
  test "$(jq_ 'len(d["domains"][0]["instructions"]["value"])')" = 32
api POST "/api/v1/orders/$OID/dcv" \
  '{"action":"set_method","name":"www.api-test.co.jp","method":"email:admin"}'
check_eq "method change to e-mail (still allowed in 2026): 200" 200 "$code"
check_eq "  the e-mail instructions name the constructed address at the name itself" \
  admin@www.api-test.co.jp "$(dom www.api-test.co.jp 'x["instructions"].get("email","")')"
api POST "/api/v1/orders/$OID/dcv" \
  '{"action":"set_method","name":"www.api-test.co.jp","method":"email:admin@example.co.jp"}'
check_eq "an address at another domain than the name's is refused: 422 (issue 8 item 4)" 422 \
  "$code"
api POST "/api/v1/orders/$OID/dcv" \
  '{"action":"set_method","name":"www.api-test.co.jp","method":"email:hostmaster@api-test.co.jp"}'
check_eq "the constructed address at the parent ADN may be chosen: 200" 200 "$code"
check_eq "  the instructions name exactly that address (issue 8 item 4)" \
  hostmaster@api-test.co.jp "$(dom www.api-test.co.jp 'x["instructions"].get("email","")')"
# the mailed link: a GET (as a mail scanner's prefetch) validates nothing, the POST of its
# confirmation page does (sqlite3 reads the link from the outbox; PostgreSQL runs skip it)
if [ -z "${SHOMEI_TEST_PG_URL:-}" ]; then
  LINK=$(sqlite3 -batch "$D/shomei.db" "SELECT vars FROM outbox WHERE tmpl = 'dcv_email'
    ORDER BY id DESC LIMIT 1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
  LPATH=/dcv/confirm/${LINK##*/dcv/confirm/}
  check "the DCV mail carries a /dcv/confirm/ link" test "$LPATH" != /dcv/confirm/
  check "  under the port served (base_url not set follows serve --port; issue 8 item 3)" \
    grep -q "^$url/dcv/confirm/" <<<"$LINK"
  JAR=$IT_TMP/jar-mail
  code=$(curl -s -c "$JAR" -b "$JAR" -o "$BODY" -w '%{http_code}' "$url$LPATH")
  check_eq "  GET of the link: the confirmation page" 200 "$code"
  LTO=$(sqlite3 -batch "$D/shomei.db" "SELECT to_addr FROM outbox WHERE tmpl = 'dcv_email'
    ORDER BY id DESC LIMIT 1")
  check_eq "  the link went to the address shown (issue 8 item 4)" hostmaster@api-test.co.jp "$LTO"
  check "  the page names the domain (issue 8 item 7)" \
    grep -q 'data-dcvc="domain">www.api-test.co.jp<' "$BODY"
  check "  the page names the organization" grep -q 'data-dcvc="org">Managed M<' "$BODY"
  check "  the page names the receipt number" grep -q "data-dcvc=\"receipt_no\">$RECEIPT<" "$BODY"
  check "  the page names the date requested" \
    grep -q 'data-dcvc="requested">20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "$BODY"
  LTOK=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  api GET "/api/v1/orders/$OID"
  check_eq "  the GET validated nothing" pending \
    "$(dom www.api-test.co.jp 'x["state"]')"
  code=$(curl -s -c "$JAR" -b "$JAR" -o "$BODY" -w '%{http_code}' --data-urlencode "csrf=$LTOK" \
    "$url$LPATH")
  check "  POST of the confirmation: validated ($code)" grep -q 'data-validated="true"' "$BODY"
  api GET "/api/v1/orders/$OID"
  check_eq "  the domain is validated" validated \
    "$(dom www.api-test.co.jp 'x["state"]')"
fi
api POST "/api/v1/orders/$OID/dcv" \
  '{"action":"set_method","name":"api-test.co.jp","method":"whois"}'
check_eq "WHOIS-based method refused: 422" 422 "$code"
api POST "/api/v1/orders/$OID/dcv" '{"action":"dance"}'
check_eq "unknown action: 422" 422 "$code"

# ---- documents (R-VAL-6) ----
printf '%%PDF-1.4\n%%test\n' >"$IT_TMP/doc.pdf"
code=$(curl -s -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/pdf' --data-binary "@$IT_TMP/doc.pdf" \
  "$url/api/v1/orders/$OID/documents?kind=other&file_name=doc.pdf")
check_eq "PDF upload: 201" "201 application/pdf" "$code $(jq_ 'd["type"]')"
code=$(curl -s -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: text/plain' --data-binary 'hello' \
  "$url/api/v1/orders/$OID/documents?kind=other&file_name=a.txt")
check_eq "text upload refused: 415 (unsupported media type, issue 7)" 415 "$code"

# ---- isolation (R-ACT-1) and authentication ----
AS_KEY=$KEY_B api GET "/api/v1/orders/$OID"
check_eq "another organization's order: 404" 404 "$code"
check "  without its data" bash -c "! grep -q api-test '$BODY'"
AS_KEY=$KEY_B api POST "/api/v1/orders/$OID/cancel" '{}'
check_eq "cancelling another organization's order: 404" 404 "$code"
AS_KEY=$KEY_B api GET /api/v1/orders
check_eq "its list is empty" 0 "$(jq_ 'len(d["orders"])')"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/orders")
check_eq "no API key: 401" 401 "$code"

# ---- cancel ----
api POST /api/v1/orders "$(app 'd["idem_key"]="script-run-2"')"
O2=$(jq_ 'd["id"]')
api POST "/api/v1/orders/$O2/cancel" '{"reason":"duplicate"}'
check_eq "cancel: 200 cancelled" "200 cancelled" "$code $(jq_ 'd["state"]')"
api POST "/api/v1/orders/$O2/cancel" '{}'
check_eq "cancel again: 409" 409 "$code"

# ---- R-APP-7: in the maintenance window (2026-11-25 21:00 JST) submissions answer 503 ----
kill "$IT_SERVER_PID"
for _ in $(seq 1 100); do kill -0 "$IT_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
export SHOMEI_FAKE_NOW=2026-11-25T12:00:00Z
start_server "$D" || { not_ok "second server starts"; it_done; }
url=$IT_URL
api POST /api/v1/orders "$(app 'd["idem_key"]="in-maintenance"')"
check_eq "apply in the maintenance window: 503" 503 "$code"
check "  the detail names the window's end in JST" grep -q '2026-11-26 08:00 JST' "$BODY"
api GET "/api/v1/orders/$OID"
check_eq "  reading keeps working" 200 "$code"
api POST /api/v1/orders "$(app 'd["idem_key"]="in-maintenance-draft"; d["draft"]=True')"
check_eq "  a draft may still be saved" "201 draft" "$code $(jq_ 'd["state"]')"
check "no sanitizer reports from the servers" \
  bash -c "! cat '$IT_TMP'/server-*.log | grep -q -e 'runtime error' -e Sanitizer"
it_done
