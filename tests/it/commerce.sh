#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 12 items 3-5 over HTTP: R-PRD-2 price agreements set by an admin (bad and absurd
# prices refused naming the field, nothing changed; customers get 404), the issuer's
# registration number checked; R-QUO-1 a quote PDF from the quote page without an order
# (pdftotext: 御見積書, 御中, the recipient, quote number, registration number, the
# agreement's amounts with 10 % tax rounded down; pdftoppm renders it), 0 or too many SANs
# refused; R-CRT-1 the cart: items, completion per item, ordering refused until every item
# is complete, renewable count, the whole cart quoted as one PDF; R-PAY-1 the invoice PDF of
# an order with the qualified-invoice fields, payment by the demo card simulator through
# the signed callback (declined: nothing changes), CSRF on the forms.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=commerce-secret
if ! "$S" init --dir "$D" --demo --set server.secure_cookies=false \
  --set testing.not_for_production=true --set "payment.hmac_secret=$SECRET" \
  --set "portal.maintenance=none" \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=Shop-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login boss --role admin --email boss@ca.example --name "管理 太郎"
add --login kaisha --role customer --email c@kaisha.example --name "顧客" --org-name "顧客株式会社"
add --login other --role customer --email o@other.example --name "他社" --org-name "他社株式会社"
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
OUT=${COMMERCE_OUT:-$(dirname "$SHOMEI_BIN")/test-logs/commerce}
mkdir -p "$OUT"

BODY=$IT_TMP/body
HDR=$IT_TMP/hdr
login() { web_login "$@"; }
AS=boss
get() { web_get "$@"; }
token() { web_token; }
post() { web_post "$@"; }
has() { grep -qF -- "$1" "$BODY"; }
err() { grep -q "data-field=\"$1\">" "$BODY"; }
pdftext() { pdftotext -layout "$BODY" - 2>/dev/null | tr -s ' '; }
ctype() { grep -i '^content-type:' "$HDR" | tr -d '\r' | sed 's/^[^:]*: *//'; }
login boss
login kaisha
login other

# ---- R-PRD-2: the admin's price page ----
AS=kaisha
get /admin/prices
check_eq "R-ACT-1 a customer GET /admin/prices: 404" 404 "$code"
AS=boss
get /admin/prices
check_eq "GET /admin/prices as admin" 200 "$code"
check "  lists the list price per product and term (ov-multi-1y 120,000)" \
  grep -q 'ov-multi-1y.*120,000' "$BODY"
check "  states the tax rule (per document and rate, rounded down)" has "1円未満を切り捨て"
ORG=$(grep -o '<option value="[0-9]*">顧客株式会社' "$BODY" | sed 's/[^0-9]//g')
MULTI=$(grep -o '<option value="[0-9]*">ov-multi-1y<' "$BODY" | sed 's/[^0-9]//g; s/1$//')
MULTI=$(grep -o '<option value="[0-9]*">ov-multi-1y' "$BODY" | sed 's/<option value="//; s/".*//')
check "  the customer's organization and the product are offered ($ORG, $MULTI)" \
  test -n "$ORG" -a -n "$MULTI"
audit_before=$("$S" audit verify --dir "$D" 2>&1 | grep -o '[0-9]* records' | head -1)
post /admin/prices "org_id=$ORG" "product_id=$MULTI" price=-5 extra_san_price=10000
check_eq "a negative price: 422" 422 "$code"
check "  with the message beside the price field" err price
check "  in Japanese" has "0〜999,999,999円"
post /admin/prices "org_id=$ORG" "product_id=$MULTI" price=99999999999 extra_san_price=10000
check_eq "an absurd price: 422" 422 "$code"
check "  names the price field" err price
post /admin/prices "org_id=$ORG" "product_id=$MULTI" price=100000 extra_san_price=x
check "a non-number extra-name price names its field" err extra_san_price
post /admin/prices "org_id=" "product_id=$MULTI" price=100000
check "no organization names org_id" err org_id
get /admin/prices
check "  nothing was saved" has 'id="no-agreements"'
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$IT_TMP/jar-boss" \
  --data-urlencode "org_id=$ORG" --data-urlencode "product_id=$MULTI" \
  --data-urlencode price=1 "$url/admin/prices")
check_eq "a form without the CSRF token is refused" 403 "$code"
post /admin/prices "org_id=$ORG" "product_id=$MULTI" price=100,000 extra_san_price=10000 \
  reissue_fee=
check_eq "the agreement is saved: 303" 303 "$code"
get /admin/prices
check "  and listed" grep -q 'data-product="ov-multi-1y".*100,000' "$BODY"
post /admin/prices/issuer "name=株式会社ショウメイ認証局" "address=東京都千代田区丸の内一丁目1番1号" \
  phone=03-0000-0000 registration_no=T7000000000001 bank=x quote_valid_days=30 payment_days=30
check_eq "a registration number with a wrong check digit: 422" 422 "$code"
check "  names registration_no" err registration_no
get /admin/prices
check "  the issuer is unchanged" has 'value="T8000000000001"'
get "/admin/prices?lang=en"
post "/admin/prices/issuer?lang=en" "name=Shomei" address=Tokyo phone= registration_no=T8000000000001 \
  bank=Bank quote_valid_days=0 payment_days=30
check "the issuer's bad field in English" has "Quote validity must be 1 to 365 days."
get "/admin/prices?lang=ja"

# ---- R-QUO-1: a quote without an order ----
AS=kaisha
get /quote
check_eq "GET /quote as a customer" 200 "$code"
check "  offers the products" has 'value="ov-multi-1y"'
post /quote product=ov-multi-1y sans=0 domain=www.example.jp
check_eq "a quote with 0 SANs: 422" 422 "$code"
check "  names the SAN field" err sans
check "  in Japanese" has "ドメイン数は1以上"
post /quote product=ov-multi-1y sans=101 domain=www.example.jp
check_eq "a quote with too many SANs (101 > 100): 422" 422 "$code"
check "  names the SAN field" err sans
post /quote product=ov-1y sans=2
check "a single-name product with 2 names names sans" err sans
post /quote product=nope sans=1
check "an unknown product names product" err product
post /quote product=ov-multi-1y sans=abc
check "a non-number names sans" err sans
post /quote product=ov-multi-1y sans=8 domain=www.example.jp "recipient=取引先株式会社"
check_eq "the quote PDF: 200" 200 "$code"
check_eq "  as application/pdf" application/pdf "$(ctype)"
cp "$BODY" "$OUT/quote.pdf"
T=$(pdftext)
for s in "御 見 積 書" "取引先株式会社 御中" "見積番号 Q-" "登録番号 T8000000000001" \
  "株式会社ショウメイ認証局" "OV マルチドメイン証明書 1年（www.example.jp）" "追加ドメイン（SAN）" \
  "¥130,000" "消費税（10%） ¥13,000" "合計（税込） ¥143,000" "¥143,000-（税込）" "有効期限"; do
  check "  pdftotext shows '$s'" grep -qF -- "$s" <<<"$T"
done
check "  the fonts are embedded Noto Sans CJK" sh -c "pdffonts '$OUT/quote.pdf' | grep -q 'NotoSansCJKjp.*yes yes yes'"
rm -f "$OUT"/quote-*.png
pdftoppm -png -r 60 "$OUT/quote.pdf" "$OUT/quote" 2>/dev/null
check "  pdftoppm renders it to PNG" test -s "$OUT/quote-1.png"
AS=other
get /quote
post /quote product=ov-multi-1y sans=8
T=$(pdftext)
check "another customer without an agreement pays the list price (120,000 + 3 × 12,000)" \
  grep -qF "合計（税込） ¥171,600" <<<"$T"
check "  its quote number follows" grep -q "見積番号 Q-[0-9]*-00002" <<<"$T"
check "  addressed to its own organization by default" grep -qF "他社株式会社 御中" <<<"$T"

# ---- R-CRT-1: the cart ----
AS=kaisha
get /cart
check_eq "GET /cart" 200 "$code"
check "  empty" has 'id="cart-empty"'
check "  shows the renewable count" grep -q 'id="cart-renewable"' "$BODY"
post /cart/items product=ov-multi-1y sans=0
check_eq "adding an item with 0 SANs: 422" 422 "$code"
check "  names sans" err sans
get /cart
check "  nothing was added" has 'id="cart-empty"'
post /cart/items product=ov-1y sans=1 domain=a.example.jp
check_eq "an item is added: 303" 303 "$code"
get /cart
post /cart/items product=ov-multi-1y sans=6 domain=b.example.jp
get /cart
check_eq "  two items, none complete" 2 "$(grep -c 'data-complete="0"' "$BODY")"
check "  the count of registered items" grep -q '0 / 2' "$BODY"
post /cart/checkout
check_eq "ordering an incomplete cart: 409" 409 "$code"
check "  with the reason beside the cart" err cart
post /cart/quote "recipient=カート宛株式会社"
check_eq "the whole cart as one quote PDF" application/pdf "$(ctype)"
cp "$BODY" "$OUT/cart-quote.pdf"
T=$(pdftext)
check "  both items are on it" test "$(grep -cE 'a\.example\.jp|b\.example\.jp' <<<"$T")" = 2
check "  60,000 + 100,000 + 10,000 = 170,000; tax 17,000; total 187,000" \
  grep -qF "合計（税込） ¥187,000" <<<"$T"
check "  addressed with 御中" grep -qF "カート宛株式会社 御中" <<<"$T"
pdftoppm -png -r 60 "$OUT/cart-quote.pdf" "$OUT/cart-quote" 2>/dev/null

# an application saved as a draft (through the API) completes an item
KEY=$(api_key_for "$url" kaisha "$PW")
api() { # METHOD PATH [JSON] -> $code, body in $BODY
  if [ $# -ge 3 ]; then
    code=$(curl -s -o "$BODY" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $KEY" \
      -H 'Content-Type: application/json' --data-binary "$3" "$url$2")
  else
    code=$(curl -s -o "$BODY" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $KEY" "$url$2")
  fi
}
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
  "$BODY" "$1"; }
openssl ecparam -name prime256v1 -genkey -noout -out "$IT_TMP/key.pem" 2>/dev/null
openssl req -new -key "$IT_TMP/key.pem" -subj "/CN=a.example.jp" -out "$IT_TMP/req.pem" 2>/dev/null
app() { # PRODUCT IDEM DRAFT(True/False)
  CSR_FILE=$IT_TMP/req.pem ORG=$ORG python3 - "$1" "$2" "$3" <<'PY'
import json, os, sys
d = {
  "product": sys.argv[1], "org_id": int(os.environ["ORG"]), "csr": open(os.environ["CSR_FILE"]).read(),
  "cn": "a.example.jp", "subject_l": "Chiyoda-ku", "subject_st": "Tokyo",
  "org": {"name_ja": "顧客株式会社", "name_en": "Kokyaku K.K.", "entity_type": "株式会社",
          "category": "private", "reg_no": "010401123456", "rep_name": "鈴木 一郎",
          "postal": "100-0001", "pref": "東京都", "city": "千代田区", "street": "千代田1-1",
          "building": "なし", "phone": "03-2222-3333"},
  "resp": {"name": "鈴木 次郎", "name_kana": "すずき じろう", "dept": "情報システム部",
           "title": "課長", "phone": "03-2222-3334"},
  "contact": {"org": "顧客株式会社", "name": "高橋 三郎", "name_kana": "たかはし さぶろう",
              "postal": "100-0001", "pref": "東京都", "city": "千代田区", "street": "千代田1-1",
              "phone": "03-2222-3335", "email": "ops@kaisha.example"},
  "billing_same": True, "notify_emails": ["cert@kaisha.example"],
  "idem_key": sys.argv[2], "draft": sys.argv[3] == "True"}
print(json.dumps(d, ensure_ascii=False))
PY
}
api POST /api/v1/orders "$(app ov-1y cart-draft-1 True)"
check_eq "a draft application through the API" "201 draft" "$code $(jq_ 'd["state"]')"
DRAFT=$(jq_ 'd["id"]')
get /cart
ITEM1=$(grep -o 'data-id="[0-9]*" data-complete="0"><td>OV 証明書 1年' "$BODY" | head -1 |
  sed 's/data-id="//; s/".*//')
check "  the cart offers the draft for the ov-1y item ($ITEM1)" has "value=\"$DRAFT\""
post "/cart/items/$ITEM1/attach" order_id=99999
check_eq "  attaching an order that does not exist: 404" 404 "$code"
get /cart
post "/cart/items/$ITEM1/attach" "order_id=$DRAFT"
check_eq "  attaching the draft: 303" 303 "$code"
get /cart
check "  that item is registered now" grep -q 'data-complete="1"' "$BODY"
check "  one of two registered" grep -q '1 / 2' "$BODY"
post /cart/checkout
check_eq "  still not orderable with one incomplete item" 409 "$code"
api GET "/api/v1/orders/$DRAFT"
check_eq "  and the draft was not submitted" draft "$(jq_ 'd["state"]')"
get /cart
ITEM2=$(grep -o 'data-id="[0-9]*" data-complete="0"' "$BODY" | head -1 | sed 's/data-id="//; s/".*//')
post "/cart/items/$ITEM2/remove"
check_eq "removing the other item" 303 "$code"
get /cart
post /cart/checkout
check_eq "every item complete: the cart is ordered" 303 "$code"
api GET "/api/v1/orders/$DRAFT"
check_eq "  the draft was submitted (awaiting payment)" awaiting_payment "$(jq_ 'd["state"]')"
get /cart
check "  the cart is empty again" has 'id="cart-empty"'
AS=other
get /cart
post "/cart/items/$ITEM1/remove"
check_eq "R-ACT-1 another user's cart item: 404" 404 "$code"
post "/cart/items/$ITEM1/attach"
check_eq "R-ACT-1 completing another user's cart item: 404 (before reading the form)" 404 "$code"

# ---- R-PAY-1: invoice PDF and payment ----
AS=kaisha
get "/orders/$DRAFT"
check "the order page links its invoice and payment page" has "href=\"/orders/$DRAFT/pay\""
get "/orders/$DRAFT/pay"
check_eq "the payment page of the order" 200 "$code"
check "  shows the bank transfer details" has 'id="pay-bank"'
check "  the total with tax (60,000 + 6,000)" grep -q 'id="pay-total">66,000' "$BODY"
get "/orders/$DRAFT/invoice.pdf"
check_eq "the invoice PDF" application/pdf "$(ctype)"
cp "$BODY" "$OUT/invoice.pdf"
T=$(pdftext)
for s in "請 求 書" "顧客株式会社 御中" "請求書番号 BILL-" "登録番号 T8000000000001" \
  "10%対象（税抜） ¥60,000" "消費税（10%） ¥6,000" "合計（税込） ¥66,000" "お振込先" "お支払期限"; do
  check "  pdftotext shows '$s'" grep -qF -- "$s" <<<"$T"
done
pdftoppm -png -r 60 "$OUT/invoice.pdf" "$OUT/invoice" 2>/dev/null
AS=other
get "/orders/$DRAFT/invoice.pdf"
check_eq "R-ACT-1 another customer's invoice: 404" 404 "$code"
get "/paysim/$DRAFT"
check_eq "  and its simulator page: 404" 404 "$code"
AS=kaisha
get "/paysim/$DRAFT"
check_eq "the demo payment simulator page" 200 "$code"
check "  is marked as a demo" has "デモ用決済シミュレーター"
post "/paysim/$DRAFT" result=decline
check_eq "a declined card: 402" 402 "$code"
api GET "/api/v1/orders/$DRAFT"
check_eq "  the order still awaits payment" awaiting_payment "$(jq_ 'd["state"]')"
get "/paysim/$DRAFT"
post "/paysim/$DRAFT" result=approve
check_eq "paying on the simulator returns to the portal: 303" 303 "$code"
check "  to the payment page" grep -qi "^location: /orders/$DRAFT/pay?paid=1" "$HDR"
api GET "/api/v1/orders/$DRAFT"
check_eq "  the signed callback confirmed it: vetting" vetting "$(jq_ 'd["state"]')"
get "/orders/$DRAFT/invoice.pdf"
check "  the invoice says it is paid" grep -qF "入金確認済み" <<<"$(pdftext)"
get "/paysim/$DRAFT"
post "/paysim/$DRAFT" result=approve
check_eq "paying twice: 409, nothing changes" 409 "$code"
# ---- R-CRT-1: an item completed through the wizard (/apply?cart=ID saves a draft) ----
AS=kaisha
get /cart
post /cart/items product=ov-1y sans=1 domain=www.wizard-cart.co.jp
get /cart
W_ITEM=$(grep -o 'data-id="[0-9]*" data-complete="0"' "$BODY" | head -1 | sed 's/data-id="//; s/".*//')
check "the cart links the item to the wizard" has "/apply?product=ov-1y&amp;cart=$W_ITEM"
field() {
  python3 - "$BODY" "$1" <<'PY'
import html, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'name="%s" value="([^"]*)"' % re.escape(sys.argv[2]), t)
print(html.unescape(m.group(1)) if m else "")
PY
}
get "/apply?product=ov-1y&cart=$W_ITEM"
WTOK=$(field csrf)
STATE=$(field state)
check "  the wizard carries the cart item" grep -q "\"cart_item\":\"$W_ITEM\"" <<<"$STATE"
wstep() {
  local n=$1 args
  args=(--data-urlencode "csrf=$WTOK" --data-urlencode "state=$STATE"
    --data-urlencode "step=$n" --data-urlencode go=next)
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -c "$IT_TMP/jar-$AS" \
    -b "$IT_TMP/jar-$AS" "${args[@]}" "$url/apply")
  local st
  st=$(field state)
  [ -n "$st" ] && STATE=$st
}
openssl req -new -key "$IT_TMP/key.pem" -subj "/CN=www.wizard-cart.co.jp" -out "$IT_TMP/w.pem" 2>/dev/null
wstep 1 product=ov-1y
wstep 2 product=ov-1y root=a
wstep 3 cn=www.wizard-cart.co.jp subject_l=Chiyoda-ku subject_st=Tokyo "org.name_ja=顧客株式会社" \
  "org.name_en=Kokyaku K.K." "org.entity_type=株式会社" org.category=private \
  org.reg_no=010401123456 "org.rep_name=鈴木 一郎" org.postal=100-0001 "org.pref=東京都" \
  "org.city=千代田区" "org.street=千代田1-1" "org.building=なし" org.phone=03-2222-3333 \
  "resp.name=鈴木 次郎" "resp.name_kana=すずき じろう" "resp.dept=情報システム部" "resp.title=課長" \
  resp.phone=03-2222-3334
wstep 4 "contact.org=顧客株式会社" "contact.name=高橋 三郎" "contact.name_kana=たかはし さぶろう" \
  contact.postal=100-0001 "contact.pref=東京都" "contact.city=千代田区" "contact.street=千代田1-1" \
  contact.phone=03-2222-3335 contact.email=ops@kaisha.example billing_same=1 \
  notify_email1=cert@kaisha.example
wstep 5 "csr=$(cat "$IT_TMP/w.pem")"
wstep 6 "dcv:www.wizard-cart.co.jp=dns" "dcv:wizard-cart.co.jp=dns"
check_eq "  the wizard reaches its confirmation" 200 "$code"
code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -c "$IT_TMP/jar-$AS" -b "$IT_TMP/jar-$AS" \
  --data-urlencode "csrf=$WTOK" --data-urlencode "state=$STATE" --data-urlencode step=7 \
  --data-urlencode go=submit --data-urlencode agree=1 "$url/apply")
check_eq "  submitting it returns to the cart" "303 /cart" "$code $(tr -d '\r' <"$HDR" | sed -n 's/^[Ll]ocation: //p')"
get /cart
check "  the item is registered (a draft)" grep -q "data-id=\"$W_ITEM\" data-complete=\"1\"" "$BODY"
check "  shown as 下書き" sh -c "grep -A2 'data-id=\"$W_ITEM\"' '$BODY' | grep -q 下書き"
"$S" audit verify --dir "$D" >/dev/null 2>&1
check_eq "the audit chain stays intact" 0 "$?"
it_done
