#!/usr/bin/env bash
# The application wizard and the order pages as a browser uses them (curl), against a real
# server: R-APP-2 (every step, confirmation, agreement tick, done page with the receipt
# number, "apply for another product"), R-APP-3/R-APP-4 (bad fields: the message beside
# the field in ja and en, nothing saved), R-APP-6 (an ineligible CN refused with the
# reason), R-APP-7 (submission refused in the maintenance window with its end in JST, the
# pages still readable), R-CSR-2 (the CSR subject shown beside the application's), R-VAL-1
# (DCV method per domain, e-mail marked discouraged, method change on the order page),
# R-VAL-6 (upload: type and size errors, PDF/PNG accepted), R-VAL-7/R-CAL-1 (ETA shown),
# R-APP-1 (re-application before approval), R-PAY-1 (payment callback moves the order to
# vetting), CSRF (missing token: 403), double submission (one order), a reseller applying
# for a managed organization, and R-ACT-1 (another organization's order: 404).
# Issue 8 item 8: the product choice and the confirmation say that a subscription outlasts
# the validity cap (dated) and the next certificate is free. Issue 8 item 6: cancel asks for a reason (list + text) and a confirmation; item 9: the
# reseller's order list names the customer organization of each order.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=portal-web-hmac-secret

# DNS goes to a closed loopback port and fetches give up fast: the DCV job of the
# server never leaves 127.0.0.1 (the checks themselves are proven in tests/it/dcv.sh).
# Not for production: validation from the primary alone, without the remote perspectives
# of R-VAL-8 (tests/it/mpic_netns.sh).
NO_DNS=$(free_port)
if ! "$S" init --dir "$D" --demo --set server.secure_cookies=false \
  --set "dns.resolver=127.0.0.1@$NO_DNS" --set dns.timeout=1 --set dcv.connect_timeout=1 \
  --set dcv.timeout=2 --set testing.not_for_production=true \
  --set "payment.hmac_secret=$SECRET" --set server.max_upload=4096 \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=portal-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login cust-a --role customer --email a@a.example.jp --name "Customer A" --org-name "Org A"
add --login cust-b --role customer --email b@b.example.jp --name "Customer B" --org-name "Org B"
add --login resel-r --role reseller --email r@r.example.jp --name "Reseller R" --org-name "Org R"
add --login client-m --role customer --email m@m.example.jp --name "Client M" \
  --org-name "Managed M" --reseller resel-r

# A fixed time outside the maintenance window (Tuesday 2026-12-01 12:00 JST).
export SHOMEI_FAKE_NOW=2026-12-01T03:00:00Z
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
ok "server starts"

# ---- a tiny browser: one cookie jar per user, the CSRF token and wizard state from the
# last page ----
BODY=$IT_TMP/body
HDR=$IT_TMP/hdr
JAR=""
TOK=""
# field NAME: the (HTML-unescaped) value of the hidden input NAME of the last page
field() {
  python3 - "$BODY" "$1" <<'EOF'
import html, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'name="%s" value="([^"]*)"' % re.escape(sys.argv[2]), t)
print(html.unescape(m.group(1)) if m else "")
EOF
}
get() { code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -b "$JAR" -c "$JAR" "$url$1"); }
post() {
  local path=$1 args=()
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -b "$JAR" -c "$JAR" "${args[@]}" \
    "$url$path")
}
location() { tr -d '\r' <"$HDR" | sed -n 's/^[Ll]ocation: //p'; }
login() {
  JAR=$IT_TMP/jar-$1
  rm -f "$JAR"
  get /login
  TOK=$(field csrf)
  post /login "csrf=$TOK" "login_id=$1" "password=$PW"
  get /apply
  TOK=$(field csrf)
}
# step N [field=value ...]: posts wizard step N (go=next) with the current state
STATE=""
step() {
  local n=$1
  shift
  post /apply "csrf=$TOK" "state=$STATE" "step=$n" "go=next" "$@"
  local s
  s=$(field state)
  [ -n "$s" ] && STATE=$s
}
has() { grep -q -- "$1" "$BODY"; }
cur_step() { grep -o '<li class="cur"[^>]*><span class="pf-n">[0-9]' "$BODY" | tr -cd '0-9'; }

# ---- a CSR made by openssl ----
openssl ecparam -name prime256v1 -genkey -noout -out "$IT_TMP/key.pem" 2>/dev/null
openssl req -new -key "$IT_TMP/key.pem" -subj "/CN=www.portal-test.co.jp/O=Other Name Inc./C=JP" \
  -out "$IT_TMP/req.pem" 2>/dev/null
CSR=$(cat "$IT_TMP/req.pem")

OV_APPLICANT=(cn=www.portal-test.co.jp subject_l=Chiyoda-ku subject_st=Tokyo
  "org.name_ja=株式会社ポータル試験" "org.name_en=Portal Test Co., Ltd."
  "org.entity_type=株式会社" org.category=private org.reg_no=010001123456
  "org.rep_name=山田 一郎" org.postal=100-0001 "org.pref=東京都" "org.city=千代田区"
  "org.street=千代田1-1" "org.building=なし" org.phone=03-1234-5678 "resp.name=山田 太郎"
  "resp.name_kana=やまだ たろう" "resp.dept=情報システム部" "resp.title=部長"
  resp.phone=03-1234-5679)
BILLING=("contact.org=株式会社ポータル試験" "contact.dept=総務部" "contact.name=佐藤 花子"
  "contact.name_kana=さとう はなこ" contact.postal=100-0001 "contact.pref=東京都"
  "contact.city=千代田区" "contact.street=千代田1-1" contact.phone=03-1234-5670
  contact.email=sato@portal-test.co.jp billing_same=1 notify_email1=cert@portal-test.co.jp
  po_number=PO-4711)

# ---- customer A walks the wizard (R-APP-2) ----
login cust-a
check_eq "the wizard opens (step 1: products from the catalog)" 200 "$code"
check "step 1 lists the demo catalog" has 'value="ov-1y"'
check "issue 8 item 9: prices with thousands separators in the wizard" \
  grep -Eq '[0-9],[0-9]{3} 円' "$BODY"
check "  never unformatted" bash -c "! grep -Eq '[0-9]{4,} 円' \"$BODY\""
STATE=$(field state)
check "an idempotency key is made when the wizard opens" grep -q idem_key <<<"$STATE"
step 1
check_eq "step 1 without a product: 422" 422 "$code"
check "  the product error is shown beside the choice" has 'data-field="product"'
step 1 product=ov-1y
check_eq "step 1 -> step 2 (term)" "200 2" "$code $(cur_step)"
check "  step 2 offers the root options" has 'name="root"'
check "issue 8 item 8: the term choice says a 12-month subscription outlasts the 200-day cap" \
  grep -q 'data-term-note="ov-1y">[^<]*12 か月[^<]*2026-03-15 以降[^<]*最長 200 日[^<]*追加料金なし' "$BODY"
check "  and when the cap tightens next" grep -q 'data-term-note="ov-1y">[^<]*2027-03-15 以降は最長 100 日' "$BODY"
check "  prices formatted there too" bash -c "! grep -Eq '[0-9]{4,} 円' \"$BODY\""
step 2 product=ov-1y root=a
check_eq "step 2 -> step 3 (applicant)" "200 3" "$code $(cur_step)"
check "  step 3 has the organization fields" has 'name="org.reg_no"'

# bad fields: every message beside its field, in ja and in en (R-APP-4)
BAD=("${OV_APPLICANT[@]}" org.postal=1234 "resp.name_kana=YAMADA" org.reg_no=12345)
step 3 "${BAD[@]}"
check_eq "bad applicant fields: 422, still step 3" "422 3" "$code $(cur_step)"
check "  postal code message beside org.postal (ja)" \
  grep -q 'data-field="org.postal">郵便番号は NNN-NNNN' "$BODY"
check "  kana message beside resp.name_kana (ja)" \
  grep -q 'data-field="resp.name_kana">ふりがなは' "$BODY"
check "  registration number message beside org.reg_no" \
  grep -q 'data-field="org.reg_no">会社法人等番号' "$BODY"
S3=$STATE
post "/apply?lang=en" "csrf=$TOK" "state=$STATE" step=3 go=next "${BAD[@]}"
check "  the same errors in English" grep -q 'data-field="org.postal">[^<]*NNN-NNNN' "$BODY"
check "  English page" has 'lang="en"'
STATE=$S3

# ineligible: an internal name as CN is refused with the reason (R-APP-6)
step 3 "${OV_APPLICANT[@]}" cn=intranet.local
check_eq "internal CN refused: 422" 422 "$code"
check "  the reason is shown beside the CN" grep -q 'data-field="cn">コモンネームがインターネット上' "$BODY"
check "  and the refusal banner" has 'この内容ではお申し込みいただけません'
STATE=$S3
# issue 8 item 9: a full-width CN gets the full-width message, not the intranet one
step 3 "${OV_APPLICANT[@]}" "cn=ｗｗｗ．ｐｏｒｔａｌ－ｔｅｓｔ．ｃｏ．ｊｐ"
check_eq "full-width CN refused: 422" 422 "$code"
check "  with the full-width message beside the CN" grep -q 'data-field="cn">ドメイン名に全角文字' "$BODY"
check "  not the intranet message" bash -c "! grep -q 'data-field=\"cn\">コモンネームがインターネット上' \"$BODY\""
STATE=$S3

step 3 "${OV_APPLICANT[@]}"
check_eq "step 3 -> step 4 (billing)" "200 4" "$code $(cur_step)"
step 4 "${BILLING[@]}" contact.email=not-an-address
check_eq "bad contact e-mail: 422, still step 4" "422 4" "$code $(cur_step)"
check "  e-mail message beside contact.email" \
  grep -q 'data-field="contact.email">メールアドレスの形式' "$BODY"
step 4 "${BILLING[@]}"
check_eq "step 4 -> step 5 (CSR)" "200 5" "$code $(cur_step)"
step 5 "csr=-----BEGIN CERTIFICATE REQUEST-----
bm90IGEgY3Ny
-----END CERTIFICATE REQUEST-----"
check_eq "a broken CSR: 422, still step 5" "422 5" "$code $(cur_step)"
check "  the CSR problem is shown beside the CSR" has 'data-field="csr"'
# a DER file uploaded instead of pasted text (R-CSR-1) is taken too
openssl req -in "$IT_TMP/req.pem" -outform DER -out "$IT_TMP/req.der" 2>/dev/null
S5=$STATE
code=$(curl -s -o "$BODY" -w '%{http_code}' -b "$JAR" -c "$JAR" -F "csrf=$TOK" -F "state=$STATE" \
  -F step=5 -F go=next -F csr= -F "csr_file=@$IT_TMP/req.der" "$url/apply")
check_eq "a DER CSR file upload: step 5 -> step 6" "200 6" "$code $(cur_step)"
STATE=$S5
step 5 "csr=$CSR"
check_eq "step 5 -> step 6 (DCV per domain)" "200 6" "$code $(cur_step)"
check "R-CSR-2: the CSR subject is shown beside the application's" \
  grep -q 'Other Name Inc.</td><td>Portal Test Co., Ltd.' "$BODY"
check "R-VAL-1: one method choice per domain (www and the apex added, R-APP-5)" \
  test "$(grep -c 'name="dcv:' "$BODY")" = 2
check "R-VAL-1: e-mail offered as discouraged with the 2028-03-15 note" has '2028年3月15日'
check "issue 8 item 4: the e-mail choices are the constructed addresses at each ADN of the name" \
  bash -c 'grep -q "value=\"email:admin@www.portal-test.co.jp\"" "$1" &&
    grep -q "value=\"email:admin@portal-test.co.jp\"" "$1" &&
    grep -q "admin@www.portal-test.co.jp</option>" "$1" && ! grep -q "@co.jp\"" "$1"' _ "$BODY"
S6=$STATE
step 6 "dcv:www.portal-test.co.jp=email:hostmaster@portal-test.co.jp" "dcv:portal-test.co.jp=dns"
check_eq "an address at the parent ADN: step 6 -> step 7" "200 7" "$code $(cur_step)"
check "  the confirmation shows exactly that address (issue 8 item 4)" \
  has 'hostmaster@portal-test.co.jp</td>'
STATE=$S6
step 6 "dcv:www.portal-test.co.jp=dns" "dcv:portal-test.co.jp=carrier-pigeon"
check_eq "an unknown DCV method: 422, still step 6" "422 6" "$code $(cur_step)"
step 6 "dcv:www.portal-test.co.jp=dns" "dcv:portal-test.co.jp=http"
check_eq "step 6 -> step 7 (confirmation)" "200 7" "$code $(cur_step)"
check "the confirmation page shows the organization" has '株式会社ポータル試験'
check "the confirmation page shows the PO number" has 'PO-4711'
check "the confirmation page shows the DCV choice per domain" has 'ウェブページ'
check "the confirmation page shows the amount" grep -q '[0-9] 円' "$BODY"
check "issue 8 item 8: the confirmation page says the certificate is capped, next one free" \
  grep -q 'id="term-note">[^<]*最長 200 日[^<]*追加料金なし' "$BODY"
FINAL=$STATE
step 7
check_eq "no agreement tick: 422" 422 "$code"
check "  the agreement message beside the tick" has 'data-field="agree"'
check_eq "  nothing was saved" 0 "$(curl -s -b "$JAR" "$url/orders" | grep -c 'data-id=')"

code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" --data-urlencode "state=$FINAL" \
  --data-urlencode step=7 --data-urlencode go=submit --data-urlencode agree=1 "$url/apply")
check_eq "CSRF token missing: 403" 403 "$code"

STATE=$FINAL
post /apply "csrf=$TOK" "state=$STATE" step=7 go=submit agree=1
check_eq "submission: 303" 303 "$code"
DONE=$(location)
check "  to the done page" grep -q '^/apply/done/[0-9]*$' <<<"$DONE"
OID=${DONE##*/}
post /apply "csrf=$TOK" "state=$STATE" step=7 go=submit agree=1
check_eq "double submission returns the same order" "303 $DONE" "$code $(location)"
get "$DONE"
check_eq "the done page" 200 "$code"
RECEIPT=$(grep -o 'id="receipt-no">R[0-9]*-[0-9]*' "$BODY" | sed 's/.*>//')
check "  shows the receipt number" grep -q '^R20261201-[0-9]\{5\}$' <<<"$RECEIPT"
check "  offers to apply for another product" has 'id="apply-another"'
get /orders
check_eq "the order list has exactly one order" 1 "$(grep -c 'data-id=' "$BODY")"
check "  with receipt number, state and CN" has "$RECEIPT"
check "  state awaiting payment" has '入金待ち'
get "/orders/$OID"
check_eq "the order page" 200 "$code"
check "  shows the state" has 'data-state="awaiting_payment"'
check "  shows the applicant data" has '山田 太郎'
check "  offers re-application before approval" has 'id="reapply"'
check "issue 7 item 1: the web-page method chosen for the apex was set with the order" \
  /usr/bin/python3 -c 'import re, sys
b = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"data-domain=\"portal-test\.co\.jp\"(.*?)(data-domain=|$)", b, re.S)
sys.exit(0 if m and re.search(r"<option value=\"http\" selected>", m.group(1)) else 1)' "$BODY"
INVOICE=$(grep -o 'BILL-[0-9]*-[0-9]*' "$BODY" | head -1)
check "  shows the invoice number" test -n "$INVOICE"

# ---- a multi-domain application with many names: one DCV method for all ----
get /apply
STATE=$(field state)
step 1 product=ov-multi-1y
step 2 product=ov-multi-1y root=b
SANS=$(for i in $(seq -w 1 45); do echo "host$i.portal-test.co.jp"; done)
step 3 "${OV_APPLICANT[@]}" "sans=$SANS"
check_eq "45 extra names accepted by the multi-domain product" "200 4" "$code $(cur_step)"
step 4 "${BILLING[@]}"
step 5 "csr=$CSR"
check_eq "  DCV step reached" "200 6" "$code $(cur_step)"
check "  47 names: no select per domain, one method for all" \
  test "$(grep -c 'name="dcv:' "$BODY")" = 0 -a "$(grep -c 'name="dcv_all"' "$BODY")" = 1
step 6 dcv_all=http
check_eq "  one method for all: confirmation" "200 7" "$code $(cur_step)"
check "  every name uses the web-page method" \
  test "$(grep -o '<td>ウェブページ（ファイル設置）</td>' "$BODY" | wc -l)" = 47
check "  the chosen root option (B) is shown" grep -q 'ルートB' "$BODY"

# ---- re-application (R-APP-1) ----
get "/orders/$OID/edit"
check_eq "the re-application page" 200 "$code"
check "  is filled from the order" has 'value="www.portal-test.co.jp"'
EDIT=()
while IFS= read -r kv; do EDIT+=("$kv"); done < <(python3 - "$BODY" <<'EOF'
import html, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
inp = r'<input type="(?:text|hidden)" (?:id="[^"]*" )?name="([^"]*)" value="([^"]*)"'
for m in re.finditer(inp, t):
    if m.group(1) != "csrf":
        print("%s=%s" % (m.group(1), html.unescape(m.group(2))))
for m in re.finditer(r'<select id="[^"]*" name="([^"]*)"[^>]*>(.*?)</select>', t, re.S):
    s = re.search(r'<option value="([^"]*)" selected>', m.group(2))
    if s:
        print("%s=%s" % (m.group(1), html.unescape(s.group(1))))
for m in re.finditer(r'<input type="checkbox" id="[^"]*" name="([^"]*)" value="1" checked', t):
    print("%s=1" % m.group(1))
EOF
)
# (a repeated field counts once, first wins: the changed values go first)
post "/orders/$OID/edit" "csrf=$TOK" org.postal=99 "remarks=edited" "csr=$CSR" "${EDIT[@]}"
check_eq "re-application with a bad postal code: 422" 422 "$code"
check "  message beside the field" grep -q 'data-field="org.postal">郵便番号' "$BODY"
post "/orders/$OID/edit" "csrf=$TOK" "remarks=edited remark" "csr=$CSR" "${EDIT[@]}"
check_eq "re-application: 303 back to the order" "303 /orders/$OID?ok=reapplied" "$code $(location)"
get "/orders/$OID"
check "  the order shows the new remark" has 'edited remark'

# ---- uploads (R-VAL-6) ----
printf 'just text' >"$IT_TMP/doc.txt"
printf '\x89PNG\r\n\x1a\n0000IHDR' >"$IT_TMP/doc.png"
head -c 5000 /dev/zero | tr '\0' 'a' | { printf '%%PDF-1.4\n'; cat; } >"$IT_TMP/big.pdf"
up() {
  code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -b "$JAR" -F "csrf=$TOK" -F kind=other \
    -F "file=@$1" "$url/orders/$OID/documents")
}
up "$IT_TMP/doc.txt"
check_eq "upload of a text file refused: 415 (unsupported media type, issue 7)" 415 "$code"
check "  with the type message" grep -q 'data-field="file">アップロードできるのは PDF' "$BODY"
up "$IT_TMP/big.pdf"
check_eq "upload over the size limit refused: 413" 413 "$code"
check "  with the size message" grep -q 'data-field="file">ファイルが大きすぎます' "$BODY"
up "$IT_TMP/doc.png"
check_eq "PNG upload accepted" "303 /orders/$OID?ok=uploaded" "$code $(location)"
get "/orders/$OID"
check "  the document is listed" has 'doc.png'

# ---- payment callback, then DCV instructions and ETA on the page (R-PAY-1, R-VAL-1/7) ----
AMOUNT=$(curl -s -b "$JAR" "$url/orders/$OID" | grep -o '[0-9,]* 円' | head -1 | tr -cd '0-9')
PAY="{\"invoice_no\":\"$INVOICE\",\"amount\":$AMOUNT}"
SIG=$(printf '%s' "$PAY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= //')
code=$(curl -s -o "$BODY" -w '%{http_code}' -H "X-Shomei-Signature: sha256=$SIG" \
  -H 'Content-Type: application/json' --data-binary "$PAY" "$url/api/v1/payments")
check_eq "payment callback accepted" 200 "$code"
get "/orders/$OID"
check "the order is in vetting" has 'data-state="vetting"'
check "R-VAL-7: the expected completion date is shown" grep -q 'id="eta">2026-12-[0-9][0-9]' "$BODY"
check "R-VAL-1: DNS instructions for www (TXT record name)" has '_pki-validation'
check "R-VAL-1: web-page instructions for the apex" has '/.well-known/pki-validation/'
check "a check-now button" has 'id="check-now"'
post "/orders/$OID/dcv" "csrf=$TOK" action=method name=portal-test.co.jp method=dns
check_eq "method change: 303" "303 /orders/$OID?ok=method" "$code $(location)"
post "/orders/$OID/dcv" "csrf=$TOK" action=method name=portal-test.co.jp method=smoke-signal
check_eq "unknown method refused: 422" 422 "$code"
post "/orders/$OID/dcv" "csrf=$TOK" action=check
check_eq "check now: 303" "303 /orders/$OID?ok=checked" "$code $(location)"
get "/orders/$OID?ok=checked"
check "issue 8 item 9: a check that validated nothing is not shown as a success (warning)" \
  has 'class="banner banner-warn" role="status" id="flash"'
get "/orders/$OID?ok=method"
check "  a done action keeps the success banner" has 'class="banner banner-ok" role="status" id="flash"'

# ---- R-ACT-1: customer B sees none of it ----
login cust-b
for p in "/orders/$OID" "/apply/done/$OID" "/orders/$OID/edit"; do
  get "$p"
  check_eq "B: GET $p is 404" 404 "$code"
  check "  and shows none of A's data" bash -c "! grep -q -e portal-test -e '$RECEIPT' '$BODY'"
done
post "/orders/$OID/cancel" "csrf=$TOK" reason=mine
check_eq "B: cancelling A's order is 404" 404 "$code"
get /orders
check "B's order list does not show A's order" bash -c "! grep -q '$RECEIPT' '$BODY'"

# ---- the e-mail DCV link: a confirmation page on GET, validation only on POST ----
# (a known token's page, which names the request, is in it/order_api; issue 8 item 7)
code=$(curl -s -o "$BODY" -w '%{http_code}' "$url/dcv/confirm/NoSuchTokenAtAll123")
check_eq "GET /dcv/confirm/UNKNOWN: 404 with a message, no request to approve" "404 0" \
  "$code $(grep -c 'data-dcvc=' "$BODY")"
code=$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$url/dcv/confirm/NoSuchTokenAtAll123")
check_eq "POST without CSRF: 403" 403 "$code"
JAR=$IT_TMP/jar-anon
get /login
post /dcv/confirm/NoSuchTokenAtAll123 "csrf=$(field csrf)"
check_eq "POST with an unknown token: 404" 404 "$code"

# ---- a reseller applies for a managed organization (DV) ----
login resel-r
check "the reseller chooses the applying organization" has 'name="org_id"'
M_ORG=$(python3 - "$BODY" <<'EOF'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<option value="(\d+)"[^>]*>Managed M<', t)
print(m.group(1) if m else "")
EOF
)
check "  the managed organization is offered" test -n "$M_ORG"
STATE=$(field state)
step 1 product=dv-1y org_id=999999
check_eq "an organization outside the reseller's scope: 422" 422 "$code"
check "  message beside the choice" has 'data-field="org_id"'
step 1 product=dv-1y "org_id=$M_ORG"
step 2 product=dv-1y root=a
step 3 cn=www.portal-test.co.jp
check_eq "DV step 3 -> 4" "200 4" "$code $(cur_step)"
step 4 "contact.name=代理 店子" "contact.name_kana=だいり みせこ" contact.postal=150-0001 \
  "contact.pref=東京都" "contact.city=渋谷区" "contact.street=神宮前1-1" \
  contact.phone=03-5555-0000 contact.email=ops@reseller.example.jp billing_same=1 \
  notify_email1=ops@reseller.example.jp
step 5 "csr=$CSR"
step 6 "dcv:www.portal-test.co.jp=dns" "dcv:portal-test.co.jp=dns"
check "the confirmation shows the managed organization" has 'Managed M'
post /apply "csrf=$TOK" "state=$STATE" step=7 go=submit agree=1
check_eq "the reseller's application: 303" 303 "$code"
ROID=$(location)
ROID=${ROID##*/}
login client-m
get "/orders/$ROID"
check_eq "the managed organization's customer sees the order" 200 "$code"
login cust-a
get "/orders/$ROID"
check_eq "customer A does not (404)" 404 "$code"
login resel-r
get /orders
check "issue 8 item 9: the reseller's order list has a customer column" \
  has '<th data-col="customer">'
check "  naming the managed organization of the order" \
  grep -q "data-id=\"$ROID\".*<td data-col=\"customer\">Managed M</td>" "$BODY"
login cust-a
get /orders
check "  a customer's own list has none" bash -c "! grep -q data-col=.customer \"$BODY\""

# ---- cancel asks for a reason and a confirmation (issue 8 item 6) ----
login client-m
get "/orders/$ROID"
check "issue 8 item 6: the cancel form has a reason list" has 'name="reason_code"'
check "  and a confirmation tick" has 'id="cancel-confirm"'
post "/orders/$ROID/cancel" "csrf=$TOK" "version=$(field version)"
check_eq "issue 8 item 6: cancel without a reason: 422" 422 "$code"
check "  asks for the reason" has '取り消しの理由を選んでください'
post "/orders/$ROID/cancel" "csrf=$TOK" "version=$(field version)" reason_code=other
check_eq "  \"other\" without a text: 422" 422 "$code"
check "  asks for the text" has '理由を入力してください'
post "/orders/$ROID/cancel" "csrf=$TOK" "version=$(field version)" reason_code=not_needed
check_eq "  without the confirmation tick: 422" 422 "$code"
check "  asks for the confirmation" has '確認のチェックを入れてください'
post "/orders/$ROID/cancel" "csrf=$TOK" "version=$(field version)" reason_code=bogus confirm=1
check_eq "  an unknown reason: 422" 422 "$code"
get "/orders/$ROID"
check "  none of them cancelled the order" has 'data-state="awaiting_payment"'
post "/orders/$ROID/cancel" "csrf=$TOK" "version=$(field version)" reason_code=other \
  "reason=社内の手続きが変わったため" confirm=1
check_eq "issue 8 item 6: reason + confirmation: 303" 303 "$code"
get "/orders/$ROID"
check "  the order is cancelled" has 'data-state="cancelled"'
check "  with the reason kept" has 'その他：社内の手続きが変わったため'

# ---- R-APP-7: the maintenance window (4th Wednesday, 2026-11-25 21:00 JST) ----
login cust-a
get "/orders/$OID"
MAINT_STATE=$(FINAL=$FINAL python3 - <<'EOF'
import json, os
s = json.loads(os.environ["FINAL"])
s["idem_key"] = "maintenance-try-1"
print(json.dumps(s, ensure_ascii=False))
EOF
)
kill "$IT_SERVER_PID"
for _ in $(seq 1 100); do kill -0 "$IT_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
export SHOMEI_FAKE_NOW=2026-11-25T12:00:00Z
start_server "$D" || { not_ok "second server starts"; it_done; }
url=$IT_URL
login cust-a
check "the wizard warns about the window" has 'data-maintenance="true"'
post /apply "csrf=$TOK" "state=$MAINT_STATE" step=7 go=submit agree=1
check_eq "submission in the maintenance window refused: 503" 503 "$code"
check "  the message names the window's end in JST" has '2026-11-26 08:00 JST'
get "/orders/$OID"
check_eq "  reading an order still works" 200 "$code"
get /orders
check_eq "  and no order was added" 1 "$(grep -c 'data-id=' "$BODY")"
check "no sanitizer reports from the servers" \
  bash -c "! cat '$IT_TMP'/server-*.log | grep -q -e 'runtime error' -e Sanitizer"
it_done
