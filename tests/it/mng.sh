#!/usr/bin/env bash
# issue 12 items 1 and 2: the dashboard per role, the certificate list's filters, sorting,
# keyset paging and column choice, and the CSV export, over HTTP.
# R-MNG-1: the dashboard shows certificates expiring per month for the next 12 months as an
#   SVG chart and a table (checked against the database), the renewable count, the orders
#   waiting for the customer (unpaid, documents, DCV) with links; a reseller sees its
#   customers with their counts; an officer the queue's counts; ja and en. The list filters
#   by state, product, level, organization and expiry range, sorts, pages forwards and
#   backwards and to the last page, and keeps the user's columns across logins. Unknown
#   filters and malformed dates are 400 naming the argument.
# R-MNG-3: CSV of all, filtered and selected certificates (page and API): UTF-8 with BOM,
#   RFC 4180 quoting; read back with Python's csv module and compared field by field with
#   the database.
# R-ACT-1: an organization never sees another's rows in the dashboard, the list or the CSV.
# Runs on PostgreSQL too: tests/pg.sh bash tests/it/mng.sh
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
PYD="$(dirname "$0")/mng_data.py"
PY=/usr/bin/python3
"$S" init --dir "$D" --demo --test-ca --set server.secure_cookies=false \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -qtAX -v ON_ERROR_STOP=1 "$SHOMEI_TEST_PG_URL" "$@"
  else sqlite3 -batch "$D/shomei.db" "$@"; fi
}
sql_csv() { # QUERY: result as CSV with a header line
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -qX --csv "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch -csv -header "$D/shomei.db" "$1"; fi
}

PW=Mng-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login mng-alice --role customer --email alice@alpha.example.jp --name "Alice" \
  --org-name "Alpha Shop"
add --login mng-bob --role customer --email bob@bobsecret.example.jp --name "Bob" \
  --org-name "Bobsecret Trading"
add --login mng-resel --role reseller --email r@resel.example.jp --name "Reseller" \
  --org-name "Resel KK"
add --login mng-m1 --role customer --email m1@m1.example.jp --name "M1" --reseller mng-resel
add --login mng-m2 --role customer --email m2@m2.example.jp --name "M2" --reseller mng-resel
add --login mng-off --role officer --email off@ca.example.jp --name "Officer"
orgof() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then sql -c "SELECT org_id FROM users WHERE login_id = '$1'"
  else sql "SELECT org_id FROM users WHERE login_id = '$1'"; fi
}
ORG_A=$(orgof mng-alice)
ORG_B=$(orgof mng-bob)
ORG_M1=$(orgof mng-m1)
ORG_M2=$(orgof mng-m2)
UID_A=$(if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then sql -c "SELECT id FROM users WHERE login_id = 'mng-alice'"; else sql "SELECT id FROM users WHERE login_id = 'mng-alice'"; fi)
NOW=$(date -u +%s)
"$PY" "$PYD" seed "$NOW" "$ORG_A" "$ORG_B" "$ORG_M1" "$ORG_M2" "$UID_A" >"$W/seed.sql"
if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then sql -f "$W/seed.sql" >/dev/null; else sql <"$W/seed.sql"; fi
check "seeded: 120 certificates of A" test "$(if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then
  sql -c "SELECT COUNT(*) FROM certificates WHERE org_id = $ORG_A"; else
  sql "SELECT COUNT(*) FROM certificates WHERE org_id = $ORG_A"; fi)" = 120

DBQ="SELECT c.id, c.serial, c.cn, c.names, c.state, c.level, c.root, c.not_before, c.not_after,
 c.revoked_at, c.sha256, o.receipt_no, o.kind, p.code, p.name_ja, p.name_en, o.applicant,
 o.contact, o.billing, o.notify_email1, o.server_software, o.created_at, o.submitted_at,
 o.po_number, o.amount, o.invoice_no, o.pay_method, o.paid_at, c.org_id
 FROM certificates c LEFT JOIN orders o ON o.id = c.order_id
 LEFT JOIN products p ON p.id = o.product_id
 WHERE c.state IN ('issued', 'revocation_scheduled', 'revoked')"
sql_csv "$DBQ AND c.org_id = $ORG_A ORDER BY c.id" >"$W/db-a.csv"
sql_csv "$DBQ AND c.org_id IN ($ORG_M1, $ORG_M2) ORDER BY c.id" >"$W/db-r.csv"

start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
BODY=$W/body
HDR=$W/headers
login() { # LOGIN JAR
  local tok
  rm -f "$2"
  curl -s -c "$2" -b "$2" -o "$BODY" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$2" -b "$2" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
}
JA=$W/jar-a
JR=$W/jar-r
JO=$W/jar-o
login mng-alice "$JA"
login mng-resel "$JR"
login mng-off "$JO"
get() { # JAR PATH
  code=$(curl -s -b "$1" -c "$1" -D "$HDR" -o "$BODY" -w '%{http_code}' "$url$2")
}
nob() { ! grep -qi 'bobsecret' "$BODY"; }

# ---- R-MNG-1 dashboard of a customer ----
get "$JA" /dashboard
check_eq "R-MNG-1 dashboard answers" 200 "$code"
check "R-MNG-1 the expiry chart is inline SVG" grep -q '<svg class="dash-chart" id="expiry-chart"' "$BODY"
check "R-MNG-1 ... with 12 bars" test "$(grep -o '<g class="bar">' "$BODY" | wc -l)" = 12
check "R-MNG-1 ... and no script" bash -c "! grep -qi '<script' '$BODY'"
want=$("$PY" "$PYD" months "$NOW" "$W/db-a.csv")
got=$("$PY" - "$BODY" <<'EOF'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
tab = t[t.index('id="expiry-table"'):]
tab = tab[:tab.index("</tbody>")]
print(" ".join(re.findall(r'<td class="num">(\d+)</td>', tab)))
EOF
)
check_eq "R-MNG-1 the month table equals the database's count per Tokyo month" "$want" "$got"
check "R-MNG-1 Japanese month labels" grep -q '月</a>' "$BODY"
renew=$(sed -n 's/.*id="renewable">\([0-9]*\)<.*/\1/p' "$BODY")
want_renew=$("$PY" - "$W/db-a.csv" "$NOW" <<'EOF'
import csv, sys
now = int(sys.argv[2])
n = sum(1 for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))
        if r["state"] == "issued" and now <= int(r["not_after"]) < now + 60 * 86400)
print(n)
EOF
)
check_eq "R-MNG-1 renewable count (60-day window)" "$want_renew" "$renew"
check_eq "R-MNG-1 waiting: one unpaid" 1 "$(sed -n 's/.*id="waiting-unpaid">\([0-9]*\)<.*/\1/p' "$BODY")"
check_eq "R-MNG-1 waiting: documents asked" 1 "$(sed -n 's/.*id="waiting-documents">\([0-9]*\)<.*/\1/p' "$BODY")"
check_eq "R-MNG-1 waiting: DCV not done (a validated order is not waiting)" 1 \
  "$(sed -n 's/.*id="waiting-dcv">\([0-9]*\)<.*/\1/p' "$BODY")"
check "R-MNG-1 waiting orders link to their page" grep -q 'href="/orders/[0-9]*">R20261201-' "$BODY"
check "R-ACT-1 the dashboard shows nothing of B" nob
check "R-MNG-1 a customer sees no customers panel or queue" \
  bash -c "! grep -q 'id=\"dash-customers\"\\|id=\"dash-queue\"' '$BODY'"
get "$JA" "/dashboard?lang=en"
check "R-MNG-1 dashboard in English" grep -q 'Expiring in the next 12 months' "$BODY"

# ---- reseller and officer ----
get "$JR" /dashboard
check_eq "R-MNG-1 reseller dashboard answers" 200 "$code"
check "R-MNG-1 the reseller sees its customers with counts" "$PY" - "$BODY" <<'EOF'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
rows = re.findall(r'<tr><td><a href="/certificates\?org&#61;\d+">[^<]*</a></td><td class="num">(\d+)</td>'
                  r'<td class="num">(\d+)</td><td class="num">(\d+)</td></tr>', t)
valid = sorted(int(r[0]) for r in rows)
sys.exit(0 if valid == [3, 7] else 1)
EOF
check "R-ACT-1 ... and nothing of A or B" bash -c "! grep -qi 'alpha-shop\\|bobsecret' '$BODY'"
get "$JO" /dashboard
check "R-MNG-1 the officer sees the queue's needs-action and overdue counts" \
  bash -c "grep -q 'id=\"queue-action\">[0-9]' '$BODY' && grep -q 'id=\"queue-overdue\">[0-9]' '$BODY'"
check_eq "R-MNG-1 ... the queue counts every waiting order" 5 \
  "$(sed -n 's/.*id="queue-total">\([0-9]*\)<.*/\1/p' "$BODY")"

# ---- R-MNG-1 list: filters, sorting, paging ----
serials() { grep -o 'data-serial="[0-9a-f]*"' "$BODY" | sed 's/.*="//; s/"//'; }
link() { # REL: the unescaped href of the pager link rel=REL in $BODY
  "$PY" -c 'import html, re, sys
m = re.search(r"href=\"([^\"]*)\" rel=\"" + sys.argv[2] + "\"", open(sys.argv[1], encoding="utf-8").read())
print(html.unescape(m.group(1)) if m else "")' "$BODY" "$1"
}
get "$JA" /certificates
check_eq "R-MNG-1 list answers" 200 "$code"
check_eq "R-MNG-1 first page has 50 rows" 50 "$(serials | wc -l)"
check "R-ACT-1 the list shows nothing of B" nob
all=""
next="/certificates"
for _ in $(seq 1 5); do
  get "$JA" "$next"
  all+="$(serials) "
  next=$(link next)
  [ -n "$next" ] || break
done
check_eq "R-MNG-1 paging forwards by keyset reaches every certificate once" 120 \
  "$(printf '%s\n' $all | sort -u | wc -l)"
want_order=$("$PY" - "$W/db-a.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
rows.sort(key=lambda r: (int(r["not_after"]), int(r["id"])))
print(" ".join(r["serial"] for r in rows))
EOF
)
check_eq "R-MNG-1 ... in expiry order" "$want_order" "$(printf '%s ' $all | sed 's/ $//')"
get "$JA" "/certificates?last=1"
last=$(serials | tr '\n' ' ' | sed 's/ $//')
check_eq "R-MNG-1 the last page holds the last 50 in order" \
  "$(printf '%s\n' $want_order | tail -50 | tr '\n' ' ' | sed 's/ $//')" "$last"
prev=$(link prev)
get "$JA" "$prev"
check_eq "R-MNG-1 the page before the last" \
  "$(printf '%s\n' $want_order | tail -100 | head -50 | tr '\n' ' ' | sed 's/ $//')" \
  "$(serials | tr '\n' ' ' | sed 's/ $//')"
get "$JA" "/certificates?state=revoked"
check_eq "R-MNG-1 state filter: revoked" 7 "$(serials | wc -l)"
get "$JA" "/certificates?state=expired"
nexp=$("$PY" -c "
import csv,sys
print(sum(1 for r in csv.DictReader(open('$W/db-a.csv',newline='',encoding='utf-8')) if r['state']!='revoked' and int(r['not_after'])<$NOW))")
check_eq "R-MNG-1 state filter: expired" "$nexp" "$(serials | wc -l)"
get "$JA" "/certificates?level=dv&sort=cn&dir=desc"
check_eq "R-MNG-1 level filter and sort by CN descending: first is h117" \
  "h117.alpha-shop.co.jp" "$(grep -o 'h[0-9]*\.alpha-shop\.co\.jp</a>' "$BODY" | head -1 | sed 's/<.*//')"
check_eq "R-MNG-1 ... 40 DV certificates" 40 "$(serials | wc -l)"
get "$JA" "/certificates?product=dv-1y"
check_eq "R-MNG-1 product filter (DV orders; operator-issued have no product)" 36 "$(serials | wc -l)"
FROM=$(TZ=Asia/Tokyo date -d "@$((NOW + 100 * 86400))" +%F)
TO=$(TZ=Asia/Tokyo date -d "@$((NOW + 130 * 86400))" +%F)
get "$JA" "/certificates?from=$FROM&to=$TO"
nrange=$("$PY" -c "
import csv,datetime
J=datetime.timezone(datetime.timedelta(hours=9))
f=int(datetime.datetime.fromisoformat('$FROM').replace(tzinfo=J).timestamp())
t=int(datetime.datetime.fromisoformat('$TO').replace(tzinfo=J).timestamp())+86400
print(sum(1 for r in csv.DictReader(open('$W/db-a.csv',newline='',encoding='utf-8')) if f<=int(r['not_after'])<t))")
check_eq "R-MNG-1 expiry range filter (Tokyo dates, both ends included)" "$nrange" "$(serials | wc -l)"
get "$JR" "/certificates?org=$ORG_M1"
check_eq "R-MNG-1 organization filter for a reseller" 7 "$(serials | wc -l)"
get "$JA" "/certificates?org=$ORG_B"
check_eq "R-ACT-1 filtering by another organization is refused" 400 "$code"
check "R-ACT-1 ... naming the field, without B's data" bash -c "grep -q 'org' '$BODY' && ! grep -qi bobsecret '$BODY'"
get "$JA" "/certificates?colour=red"
check_eq "issue 12 item 1 an unknown filter is 400" 400 "$code"
check "issue 12 item 1 ... naming it" grep -q 'colour' "$BODY"
get "$JA" "/certificates?from=2027-02-30"
check_eq "issue 12 item 1 a date that does not exist is 400" 400 "$code"
check "issue 12 item 1 ... naming the field" grep -q '「from」' "$BODY"
get "$JA" "/certificates?to=31/12/2027&lang=en"
check_eq "issue 12 item 1 a malformed date is 400" 400 "$code"
check "issue 12 item 1 ... in English naming the field" grep -q 'The date &quot;to&quot;\|The date "to"' "$BODY"
for bad in "state=gone" "level=xv" "sort=price" "dir=up" "after=abc" "product=DROP%20TABLE"; do
  get "$JA" "/certificates?$bad"
  check_eq "issue 12 item 1 ?$bad is 400" 400 "$code"
done
code=$(curl -s -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer x" "$url/api/v1/certificates?from=2027-13-01")
KEY_A=$(api_key_for "$url" mng-alice "$PW")
KEY_B=$(api_key_for "$url" mng-bob "$PW")
login mng-alice "$JA"
apiget() { code=$(curl -s -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer $1" "$url$2"); }
apiget "$KEY_A" "/api/v1/certificates?from=2027-13-01"
check_eq "issue 12 item 1 the API: a malformed date is 400" 400 "$code"
check "issue 12 item 1 ... problem+json naming the field" grep -q '"from"\|from' "$BODY"
apiget "$KEY_A" "/api/v1/certificates?state=revoked&limit=100"
check_eq "R-MNG-1 API filter: revoked" 7 "$("$PY" -c "import json;print(json.load(open('$BODY'))['total'])")"

# ---- column choice ----
get "$JA" /certificates
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -s -b "$JA" -c "$JA" -o "$BODY" -w '%{http_code}' --data-urlencode "csrf=$tok" \
  -d col=cn -d col=expiry -d col=serial "$url/certificates/columns")
check_eq "R-MNG-1 saving the columns answers 303" 303 "$code"
login mng-alice "$JA"
get "$JA" /certificates
check_eq "R-MNG-1 the chosen columns survive a new login: 4 header cells (selection + 3)" 4 \
  "$(sed -n '/<thead>/,/<\/thead>/p' "$BODY" | grep -o '<th scope="col"' | wc -l)"
check "R-MNG-1 ... the serial column is shown, the receipt column not" \
  bash -c "grep -q '<td class=\"serial\">' '$BODY' && ! grep -q '<td class=\"receipt\">' '$BODY'"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -s -b "$JA" -c "$JA" -o "$BODY" -w '%{http_code}' --data-urlencode "csrf=$tok" \
  -d col=price "$url/certificates/columns")
check_eq "R-MNG-1 an unknown column is 400" 400 "$code"
get "$JA" /certificates
check "R-MNG-1 ... and the saved choice is unchanged" grep -q '<td class="serial">' "$BODY"

# ---- R-MNG-3 CSV ----
code=$(curl -s -b "$JA" -D "$HDR" -o "$W/all.csv" -w '%{http_code}' "$url/certificates.csv")
check_eq "R-MNG-3 CSV of all answers" 200 "$code"
check "R-MNG-3 text/csv as an attachment" bash -c "grep -qi '^Content-Type: text/csv' '$HDR' &&
  grep -qi '^Content-Disposition: attachment' '$HDR'"
check "R-MNG-3 every field of every row equals the database (ja)" \
  "$PY" "$PYD" csv "$W/all.csv" "$W/db-a.csv" "$NOW" ja
check "R-MNG-3 the org name with quote, comma and newline is quoted (RFC 4180)" \
  grep -q '"アルファ ""商事"", 株式会社' "$W/all.csv"
check "R-ACT-1 A's CSV has nothing of B" bash -c "! grep -qi bobsecret '$W/all.csv'"
code=$(curl -s -o "$W/api.csv" -w '%{http_code}' -H "Authorization: Bearer $KEY_A" \
  "$url/api/v1/certificates.csv?state=revoked&lang=en")
check_eq "R-MNG-3 API CSV answers" 200 "$code"
revoked=$("$PY" -c "
import csv
print(','.join(r['serial'] for r in csv.DictReader(open('$W/db-a.csv',newline='',encoding='utf-8')) if r['state']=='revoked'))")
check "R-MNG-3 API CSV of a filter equals the database (en)" \
  "$PY" "$PYD" csv "$W/api.csv" "$W/db-a.csv" "$NOW" en "$revoked"
ids=$("$PY" -c "
import csv
rows=list(csv.DictReader(open('$W/db-a.csv',newline='',encoding='utf-8')))[:3]
print('&'.join('id='+r['id'] for r in rows)); print(','.join(r['serial'] for r in rows))" )
code=$(curl -s -b "$JA" -o "$W/sel.csv" -w '%{http_code}' "$url/certificates.csv?$(head -1 <<<"$ids")")
check "R-MNG-3 CSV of selected certificates" \
  "$PY" "$PYD" csv "$W/sel.csv" "$W/db-a.csv" "$NOW" ja "$(tail -1 <<<"$ids")"
bid=$(if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then sql -c "SELECT MIN(id) FROM certificates WHERE org_id = $ORG_B"; else sql "SELECT MIN(id) FROM certificates WHERE org_id = $ORG_B"; fi)
code=$(curl -s -H "Authorization: Bearer $KEY_A" -o "$W/b.csv" -w '%{http_code}' \
  "$url/api/v1/certificates.csv?id=$bid")
check "R-ACT-1 selecting B's certificate by id exports no row" \
  bash -c "[ '$code' = 200 ] && [ \$(wc -l <'$W/b.csv') = 1 ] && ! grep -qi bobsecret '$W/b.csv'"
code=$(curl -s -b "$JA" -o "$BODY" -w '%{http_code}' "$url/certificates.csv?id=x")
check_eq "R-MNG-3 a malformed id is 400" 400 "$code"
code=$(curl -s -b "$JA" -o "$BODY" -w '%{http_code}' "$url/certificates.csv?to=2027-1-1")
check_eq "R-MNG-3 a malformed date is 400, not a cut download" 400 "$code"
code=$(curl -s -b "$JR" -o "$W/r.csv" -w '%{http_code}' "$url/certificates.csv")
check "R-MNG-3 the reseller's CSV holds exactly its customers' certificates" \
  "$PY" "$PYD" csv "$W/r.csv" "$W/db-r.csv" "$NOW" ja
check "R-ACT-1 B's key sees only B's rows" bash -c "curl -s -H 'Authorization: Bearer $KEY_B' \
  '$url/api/v1/certificates.csv' | grep -c bobsecretshop | grep -qx 5"
it_done
