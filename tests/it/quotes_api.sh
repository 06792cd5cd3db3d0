#!/usr/bin/env bash
# R-QUO-1, R-CRT-1 (issue 12 items 1, 4, 5): quotes are stored with their number, so the same
# quote (JSON or PDF) is fetched again by number and listed on the account's quote page;
# POST /api/v1/quotes prices items with the one tax rule (price_tax: 10 %, rounded down,
# once per rate); the cart API (GET/POST/DELETE /api/v1/cart/items); the dashboard shows the
# unfinished cart items with links. Everything is scoped: another organization's quote or
# cart item is a 404 and nothing changes. Bad input names the field and stores nothing.
# With SHOMEI_TEST_PG_URL set it runs on PostgreSQL.
. "$(dirname "$0")/lib.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --demo --set server.secure_cookies=false --set server.per_ip_connections=0 \
  --set "portal.maintenance=none" \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}
PW=Quote-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login qa-c --role customer --email a@qa.example.jp --name "見積 太郎" --org-name "見積株式会社"
add --login qb-c --role customer --email b@qb.example.jp --name "他社 花子" --org-name "他社株式会社"
ORG_B=$(sql "SELECT org_id FROM users WHERE login_id = 'qb-c'")
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
KA=$(api_key_for "$url" qa-c "$PW")
KB=$(api_key_for "$url" qb-c "$PW")
B=$W/body
api() { # KEY METHOD PATH [JSON]
  if [ $# -ge 4 ]; then
    code=$(curl -s -o "$B" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
      -H 'Content-Type: application/json' --data-binary "$4" "$url$3")
  else code=$(curl -s -o "$B" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" "$url$3"); fi
}
jq_() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$B" "$1"; }
nq() { sql "SELECT COUNT(*) FROM quotes"; }

# ---- POST /api/v1/quotes ----
api "$KA" POST /api/v1/quotes '{"items":[{"product":"ov-multi-1y","sans":8,"domain":"www.qa.example.jp"},{"product":"dv-1y","sans":1}],"recipient":"取引先株式会社"}'
check_eq "R-QUO-1: POST /api/v1/quotes answers 201 with a number" "201 1" \
  "$code $(jq_ 'int(__import__("re").fullmatch(r"Q-\d{6}-\d{5}", d["number"]) is not None)')"
N1=$(jq_ 'd["number"]')
check_eq "R-QUO-1: subtotal is the sum of the lines, tax 10 % rounded down once, total the sum" \
  "True True True" \
  "$(jq_ 'sum(l["amount"] for l in d["lines"]) == d["subtotal"]') $(jq_ 'd["tax"] == d["subtotal"] * 10 // 100') $(jq_ 'd["total"] == d["subtotal"] + d["tax"]')"
cp "$B" "$W/q1.json"
check_eq "R-QUO-1: the quote is stored once, for the caller's organization" "1 1" \
  "$(nq) $(sql "SELECT COUNT(*) FROM quotes q JOIN users u ON u.org_id = q.org_id WHERE u.login_id = 'qa-c' AND q.number = '$N1'")"
api "$KA" GET "/api/v1/quotes/$N1"
check "R-QUO-1: GET /api/v1/quotes/{number} gives back the same quote" \
  /usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a == b else 1)' "$W/q1.json" "$B"
# pango and cairo are loaded with the first PDF drawn, not when a process starts (doc/pdf.c)
maps_pango() { grep -c 'libpango' "/proc/$IT_SERVER_PID/maps" || true; }
check_eq "the binary does not link pango or cairo; the server has not loaded them before a PDF" \
  "0 0" "$(readelf -d "$S" | grep -c 'NEEDED.*\(pango\|cairo\)') $(maps_pango)"
curl -s -o "$W/q1a.pdf" -H 'Accept: application/pdf' -H "Authorization: Bearer $KA" "$url/api/v1/quotes/$N1"
check "the first PDF loaded pango into the server" test "$(maps_pango)" -gt 0
sleep 1
curl -s -o "$W/q1b.pdf" -H 'Accept: application/pdf' -H "Authorization: Bearer $KA" "$url/api/v1/quotes/$N1"
pdftotext -layout "$W/q1a.pdf" "$W/q1a.txt" 2>/dev/null
pdftotext -layout "$W/q1b.pdf" "$W/q1b.txt" 2>/dev/null
check "R-QUO-1: with Accept: application/pdf it is the 御見積書 with its number" \
  bash -c "head -c4 '$W/q1a.pdf' | grep -q '%PDF' && grep -q '$N1' '$W/q1a.txt' && tr -d ' ' <'$W/q1a.txt' | grep -q '御見積書' && grep -q '取引先株式会社' '$W/q1a.txt'"
check "R-QUO-1: fetched again later, the PDF says the same" cmp -s "$W/q1a.txt" "$W/q1b.txt"
api "$KA" GET /api/v1/quotes
check_eq "R-QUO-1: the organization's quotes are listed" 1 "$(jq_ 'sum(q["number"] == "'"$N1"'" for q in d["quotes"])')"

# ---- bad input: the field named, nothing stored ----
before=$(nq)
bad() { # NAME JSON FIELD
  api "$KA" POST /api/v1/quotes "$2"
  check_eq "R-QUO-1 bad input: $1 is a 422 naming $3" "422 1" "$code $(grep -c "$3" "$B")"
}
bad "no items" '{"items":[]}' items
bad "0 SANs" '{"items":[{"product":"ov-multi-1y","sans":0}]}' sans
bad "too many SANs" '{"items":[{"product":"ov-multi-1y","sans":101}]}' sans
bad "an unknown product" '{"items":[{"product":"nope"}]}' product
bad "a SAN count that is no integer" '{"items":[{"product":"dv-1y","sans":"2"}]}' sans
bad "21 items" "{\"items\":[$(printf '{"product":"dv-1y"},%.0s' $(seq 20)){\"product\":\"dv-1y\"}]}" items
bad "another organization's org_id" "{\"org_id\":$ORG_B,\"items\":[{\"product\":\"dv-1y\"}]}" org_id
check_eq "R-QUO-1 bad input: nothing was stored" "$before" "$(nq)"

# ---- another organization ----
api "$KB" GET "/api/v1/quotes/$N1"
check_eq "R-QUO-1 R-ACT-1: another organization's quote number is a 404" 404 "$code"
curl -s -o "$B" -H 'Accept: application/pdf' -H "Authorization: Bearer $KB" "$url/api/v1/quotes/$N1"
check "R-QUO-1 R-ACT-1: ... the PDF too" bash -c "! head -c4 '$B' | grep -q '%PDF'"
api "$KB" GET /api/v1/quotes
check_eq "R-QUO-1 R-ACT-1: ... and it is not in its list" "200 0" "$code $(grep -c "$N1" "$B")"
api "$KA" GET /api/v1/quotes/Q-000000-00000
check_eq "R-QUO-1: an unknown number is a 404" 404 "$code"

# ---- the cart API ----
api "$KA" POST /api/v1/cart/items '{"product":"dv-1y","sans":1,"domain":"cart.qa.example.jp"}'
check_eq "R-CRT-1: POST /api/v1/cart/items adds an item" 201 "$code"
C1=$(jq_ 'd["id"]')
api "$KA" POST /api/v1/cart/items '{"product":"ov-multi-1y","sans":3,"domain":"multi.qa.example.jp"}'
C2=$(jq_ 'd["id"]')
api "$KA" POST /api/v1/cart/items '{"product":"nope","sans":1}'
check_eq "R-CRT-1: an unknown product is a 422 naming product, nothing added" "422 1 2" \
  "$code $(grep -c product "$B") $(sql "SELECT COUNT(*) FROM cart_items")"
api "$KA" POST /api/v1/cart/items '{"product":"dv-1y","sans":0}'
check_eq "R-CRT-1: 0 names is a 422 naming sans" "422 1" "$code $(grep -c sans "$B")"
api "$KA" GET /api/v1/cart/items
check_eq "R-CRT-1: GET /api/v1/cart/items lists them, none complete" "200 2 0 2" \
  "$code $(jq_ 'len(d["items"])') $(jq_ 'd["complete"]') $(jq_ 'd["incomplete"]')"
api "$KB" GET /api/v1/cart/items
check_eq "R-CRT-1 R-ACT-1: another organization's user does not see them" "200 0" "$code $(jq_ 'len(d["items"])')"
api "$KB" DELETE "/api/v1/cart/items/$C1"
check_eq "R-CRT-1 R-ACT-1: nor removes one (404, still there)" "404 1" \
  "$code $(sql "SELECT COUNT(*) FROM cart_items WHERE id = $C1")"
api "$KB" POST /api/v1/cart/items "{\"product\":\"dv-1y\",\"org_id\":$(sql "SELECT org_id FROM users WHERE login_id = 'qa-c'")}"
check_eq "R-CRT-1 R-ACT-1: nor adds an item for another organization" 422 "$code"
api "$KA" POST /api/v1/quotes '{"cart":true}'
check_eq "R-CRT-1 R-QUO-1: the whole cart is quoted and stored" "201 2" \
  "$code $(jq_ 'sum(1 for l in d["lines"] if "qa.example.jp" in l["description"])')"
NC=$(jq_ 'd["number"]')

# ---- pages: the account's quotes, the PDF by number, the dashboard's cart ----
jar=$W/jar
curl -s -c "$jar" -b "$jar" -o "$W/l.html" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/l.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode login_id=qa-c --data-urlencode "password=$PW" "$url/login"
curl -s -b "$jar" -o "$W/qf.html" "$url/quote"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/qf.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -b "$jar" -D "$W/h" -o "$W/p.pdf" --data-urlencode "csrf=$tok" --data-urlencode product=dv-1y \
  --data-urlencode sans=1 --data-urlencode domain=page.qa.example.jp "$url/quote"
NP=$(grep -io 'filename="[^"]*"' "$W/h" | sed 's/.*="//; s/\.pdf"//')
check "R-QUO-1: the quote page's PDF is stored under its number" \
  test "$(sql "SELECT COUNT(*) FROM quotes WHERE number = '$NP'")" = 1
curl -s -b "$jar" -o "$W/aq.html" "$url/account/quotes"
check "R-QUO-1: the account's quote page lists every quote of the organization" \
  bash -c "grep -q 'data-number=\"$N1\"' '$W/aq.html' && grep -q 'data-number=\"$NC\"' '$W/aq.html' && grep -q 'data-number=\"$NP\"' '$W/aq.html'"
curl -s -b "$jar" -o "$W/again.pdf" "$url/quotes/$NP"
pdftotext -layout "$W/p.pdf" "$W/p.txt" 2>/dev/null
pdftotext -layout "$W/again.pdf" "$W/again.txt" 2>/dev/null
check "R-QUO-1: /quotes/{number} gives the same quote again" \
  bash -c "grep -q '$NP' '$W/again.txt' && cmp -s '$W/p.txt' '$W/again.txt'"
curl -s -b "$jar" -o "$W/dash.html" "$url/dashboard"
check "issue 12 item 1 R-CRT-1: the dashboard lists the unfinished cart items with links" \
  bash -c "grep -q 'data-cart=\"$C1\"' '$W/dash.html' && grep -q 'data-cart=\"$C2\"' '$W/dash.html' && grep -q '/apply?product&#61;dv-1y&amp;cart&#61;$C1\"' '$W/dash.html'"
api "$KA" DELETE "/api/v1/cart/items/$C1"
check_eq "R-CRT-1: DELETE /api/v1/cart/items/{id} removes the user's item" "200 0" \
  "$code $(sql "SELECT COUNT(*) FROM cart_items WHERE id = $C1")"
curl -s -b "$jar" -o "$W/dash.html" "$url/dashboard"
check "issue 12 item 1: ... and the dashboard follows" \
  bash -c "! grep -q 'data-cart=\"$C1\"' '$W/dash.html' && grep -q 'data-cart=\"$C2\"' '$W/dash.html'"
check "no 500 in the server log" bash -c "! grep -q 'status=500' '$IT_TMP'/server-*.log"
it_done
