#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-PRD-1 the admins' product pages over HTTP (issue 8 item 9: the list in words, one
# name for products in menu and page): the demo catalog is listed; a product is
# created with every field (code, names ja/en, level, term, multi-domain with included and
# maximum names, wildcard, IP names, list price, price per extra name, reissue-fee rule,
# review target in business days, root options, active, reissue vetting R-RI-5) and edited; bad values get a
# message beside each field (ja and en) and save nothing; a duplicate code is refused;
# the catalog API shows the new product; officers and customers get 404 (R-ACT-1); the
# audit log holds product.create / product.update and stays intact.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
if ! "$S" init --dir "$D" --demo --set server.secure_cookies=false \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=Prod-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login boss --role admin --email boss@ca.example --name "管理 太郎"
add --login vetter --role officer --email v@ca.example --name "審査 一郎"
add --login kaisha --role customer --email c@kaisha.example --name "顧客" --org-name "顧客株式会社"
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL

BODY=$IT_TMP/body
HDR=$IT_TMP/hdr
login() { web_login "$@"; }
AS=boss
get() { web_get "$@"; }
token() { web_token; }
post() { web_post "$@"; }
has() { grep -qF -- "$1" "$BODY"; }
err() { grep -q "data-field=\"$1\">" "$BODY"; }
count() { curl -s -b "$IT_TMP/jar-boss" "$url/admin/products" | grep -c 'class="product'; }
login boss
login vetter
login kaisha

# ---- who may see the pages (R-ACT-1) ----
for who in vetter kaisha; do
  AS=$who
  for p in /admin/products /admin/products/new /admin/products/1; do
    get "$p"
    check_eq "R-ACT-1 $who GET $p: 404" 404 "$code"
  done
  get /account
  post /admin/products code=x
  check_eq "R-ACT-1 $who POST /admin/products: 404" 404 "$code"
  post /admin/products/1 code=x
  check_eq "R-ACT-1 $who POST /admin/products/:id: 404" 404 "$code"
done

# ---- the list ----
AS=boss
get /admin/products
check_eq "R-PRD-1 product list answers 200" 200 "$code"
for c in dv-1y ov-1y ov-multi-1y ev-1y ov-wildcard-1y; do
  check "R-PRD-1 demo product $c listed" has "data-code=\"$c\""
done
check "R-PRD-1 the multi-domain product shows included / most names" has "5 / 100"
N0=$(count)

# ---- bad input: a message beside every field, nothing saved ----
get /admin/products/new
check_eq "new product form answers 200" 200 "$code"
post /admin/products code="Bad Code" name_ja="" name_en="$(printf 'x%.0s' $(seq 1 130))" \
  level=xv term_months=0 sans_included=7 sans_max=3 list_price=-5 extra_san_price=abc \
  reissue_mode=after reissue_days=x reissue_yen=1000 review_days_min=5 review_days_max=2 \
  reissue_vetting=some
check_eq "R-PRD-1 invalid product: 422" 422 "$code"
check "R-RI-5 reissue vetting other than none/full: message beside the field" \
  err reissue_vetting
check "code: message beside the field" err code
check "name_ja: required" grep -q 'data-field="name_ja">入力してください' "$BODY"
check "name_en: too long" err name_en
check "level: message" grep -q 'data-field="level">認証レベル' "$BODY"
check "term: 1..120 months" grep -q 'data-field="term_months">契約期間は 1〜120' "$BODY"
check "sans: included above the most" err sans_included
check "list price: digits only" err list_price
check "extra name price: digits only" err extra_san_price
check "reissue days: message" err reissue_days
check "review target: longest below shortest" err review_days_max
check "root options: at least one" err root_options
check "entered values are kept" has 'value="Bad Code"'
check_eq "R-PRD-1 nothing saved on error" "$N0" "$(count)"
get "/admin/products/new?lang=en"
post "/admin/products?lang=en" code=ok-code name_ja=名前 name_en=Name level=ov term_months=12 \
  sans_included=1 sans_max=5 list_price=100 extra_san_price=0 reissue_mode=free \
  review_days_min=1 review_days_max=5 root_a=1
check_eq "single-name product with 5 names: 422" 422 "$code"
check "message in English beside the field" \
  grep -q 'data-field="sans_max">A product that is not multi-domain takes exactly 1 name.' "$BODY"

# ---- create with every field ----
get /admin/products/new
post /admin/products code=ov-multi-2y name_ja="OV マルチドメイン 2年" \
  name_en="OV multi-domain 2 years" level=ov term_months=24 multi_domain=1 wildcard=1 \
  allow_ip=1 sans_included=3 sans_max=50 list_price=180000 extra_san_price=12000 \
  reissue_mode=after reissue_days=30 reissue_yen=5000 review_days_min=2 review_days_max=6 \
  root_a=1 root_b=1 active=1 reissue_vetting=full
check_eq "R-PRD-1 product created: 303" 303 "$code"
loc=$(tr -d '\r' <"$HDR" | sed -n 's/^Location: //Ip')
check "redirects to the product's page" grep -Eq '^/admin/products/[0-9]+\?saved=1$' <<<"$loc"
check_eq "one product more" $((N0 + 1)) "$(count)"
get "$loc"
check "saved banner" has 'id="saved"'
check "code kept" has 'value="ov-multi-2y"'
check "Japanese name kept" has 'value="OV マルチドメイン 2年"'
check "term kept" has 'value="24"'
check "included names kept" has 'value="3"'
check "most names kept" has 'value="50"'
check "price kept" has 'value="180000"'
check "extra name price kept" has 'value="12000"'
check "reissue rule: after 30 days" grep -q 'name="reissue_mode" value="after" checked' "$BODY"
check "reissue fee kept" has 'value="5000"'
check "R-RI-5 reissue vetting full kept" \
  grep -q 'name="reissue_vetting" value="full" checked' "$BODY"
check "review target kept" has 'value="6"'
check "multi-domain ticked" grep -q 'name="multi_domain" value="1" checked' "$BODY"
check "wildcard ticked" grep -q 'name="wildcard" value="1" checked' "$BODY"
check "root B ticked" grep -q 'name="root_b" value="1" checked' "$BODY"
PID=${loc#/admin/products/}
PID=${PID%%\?*}
# issue 8 item 9: the list shows the rules in words, not stored values
get /admin/products
row=$(grep -o '<tr class="product[^"]*" data-code="ov-multi-2y">.*</tr>' "$BODY")
check "issue 8 item 9: the reissue rule in words" \
  grep -q 'data-fee="after:30:5000">発行から 30 日までは無料、以降 5,000 円</td>' <<<"$row"
check "  the term with its unit" grep -q '<td>24 か月</td>' <<<"$row"
check "  the root options as names" grep -q '<td>A, B</td>' <<<"$row"
check "  a free rule reads 無料" grep -q 'data-fee="free">無料</td>' "$BODY"
check "  no raw rule text is shown" bash -c '! grep -q ">after:[0-9]*:[0-9]*<\|>free<" "$1"' _ "$BODY"
check "  headers never wrap one character per line" grep -q '#products thead th { white-space: normal; word-break: keep-all' \
  <(curl -s "$url/static/officer.css")
check "issue 8 item 9: the menu says 製品 like the page" grep -q '>製品</a>' "$BODY"

# duplicate code
get /admin/products/new
post /admin/products code=ov-1y name_ja=重複 name_en=Dup level=ov term_months=12 sans_included=1 \
  sans_max=1 list_price=1 extra_san_price=0 reissue_mode=free review_days_min=1 \
  review_days_max=5 root_a=1 active=1
check_eq "R-PRD-1 duplicate code: 422" 422 "$code"
check "duplicate code: message beside the code" \
  grep -q 'data-field="code">この製品コードは既に使われています' "$BODY"

# ---- edit: every field can change, bad input changes nothing ----
get "/admin/products/$PID"
post "/admin/products/$PID" code=ov-multi-2y name_ja="OV マルチ 2年（改）" name_en="OV multi 2y" \
  level=ev term_months=24 multi_domain=1 sans_included=3 sans_max=60 list_price=190000 \
  extra_san_price=13000 reissue_mode=free review_days_min=5 review_days_max=10 root_b=1
check_eq "R-PRD-1 product updated: 303" 303 "$code"
get "/admin/products/$PID"
check "new name" has 'value="OV マルチ 2年（改）"'
check "level changed to EV" grep -q 'name="level" value="ev" checked' "$BODY"
check "wildcard cleared" bash -c '! grep -q "name=\"wildcard\" value=\"1\" checked" "$1"' _ "$BODY"
check "inactive now" bash -c '! grep -q "name=\"active\" value=\"1\" checked" "$1"' _ "$BODY"
check "root A cleared" bash -c '! grep -q "name=\"root_a\" value=\"1\" checked" "$1"' _ "$BODY"
check "reissue free" grep -q 'name="reissue_mode" value="free" checked' "$BODY"
post "/admin/products/$PID" code=ov-multi-2y name_ja=x name_en=y level=ev term_months=999 \
  sans_included=1 sans_max=1 list_price=1 extra_san_price=0 reissue_mode=free \
  review_days_min=1 review_days_max=2 root_a=1
check_eq "bad edit: 422" 422 "$code"
get "/admin/products/$PID"
check "bad edit saved nothing" has 'value="OV マルチ 2年（改）"'
get /admin/products/999999
check_eq "unknown product: 404" 404 "$code"
get /admin/products/abc
check_eq "malformed id: 404" 404 "$code"
get /admin/products
check "list shows the product inactive" \
  grep -q 'class="product inactive" data-code="ov-multi-2y"' "$BODY"

# the catalog offered to customers follows the active flag
get "/admin/products/$PID"
post "/admin/products/$PID" code=ov-multi-2y name_ja="OV マルチ 2年（改）" name_en="OV multi 2y" \
  level=ev term_months=24 multi_domain=1 sans_included=3 sans_max=60 list_price=190000 \
  extra_san_price=13000 reissue_mode=free review_days_min=5 review_days_max=10 root_b=1 active=1
AS=kaisha
get /account/keys
post /account/keys label=k
KEY=$(sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p' "$BODY")
cat=$(curl -s -H "Authorization: Bearer $KEY" "$url/api/v1/products")
check "R-PRD-1 the active product is offered in the catalog API" grep -q '"ov-multi-2y"' <<<"$cat"

if [ -z "${SHOMEI_TEST_PG_URL:-}" ]; then
  actions=$(sqlite3 -batch "$D/shomei.db" "SELECT DISTINCT action FROM audit_log" 2>/dev/null)
  check "audit: product.create recorded" grep -qx product.create <<<"$actions"
  check "audit: product.update recorded" grep -qx product.update <<<"$actions"
fi
check "the audit log is intact" "$S" audit verify --dir "$D"
check "no sanitizer reports from the server" bash -c \
  '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/server-*.log' _ "$IT_TMP"
it_done
