#!/usr/bin/env bash
# issue 12 item 10, R-MNG-1: the dashboard and the certificate list of customers and
# resellers are kept rendered (web/pagecache) and answered from memory, and never stale nor
# someone else's: a certificate issued, revoked or moved to a group is on the very next
# list and dashboard view (the figures too, not a minute later); a reseller sees its
# customer's new certificate at once; two organizations, and two members of one
# organization who see different groups, never get each other's page however often they
# ask; the user's column choice and the language vary the page; each session gets its own
# CSRF token in a kept page (the other session's token is refused). /metrics counts the
# hits, so the views really came from the cache. A change made through a second node is on
# the first node's next view. Runs on PostgreSQL too:
# tests/pg.sh bash tests/it/pagecache.sh
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
MP=$(free_port)
"$S" init --dir "$D" --test-ca --set server.secure_cookies=false --set server.per_ip_connections=0 \
  --set "metrics.listen=127.0.0.1:$MP" \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}
PW=Cache-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login pc-alice --role customer --email a@alpha.example.jp --name Alice --org-name "Alpha"
add --login pc-alice2 --role customer --email a2@alpha.example.jp --name Alice2 --org-name "tmp2"
add --login pc-alice3 --role customer --email a3@alpha.example.jp --name Alice3 --org-name "tmp3"
add --login pc-bob --role customer --email b@beta.example.jp --name Bob --org-name "Betasecret"
add --login pc-resel --role reseller --email r@resel.example.jp --name Resel --org-name "Resel"
add --login pc-m1 --role customer --email m1@m1.example.jp --name M1 --reseller pc-resel
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'pc-alice'")
ORG_B=$(sql "SELECT org_id FROM users WHERE login_id = 'pc-bob'")
ORG_M1=$(sql "SELECT org_id FROM users WHERE login_id = 'pc-m1'")
A2=$(sql "SELECT id FROM users WHERE login_id = 'pc-alice2'")
A3=$(sql "SELECT id FROM users WHERE login_id = 'pc-alice3'")
sql "UPDATE users SET org_id = $ORG_A WHERE id IN ($A2, $A3)" >/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
  -out "$W/c.csr" -subj /CN=www.alpha-shop.co.jp 2>/dev/null
NOW=$(date -u +%s)
issue() { # NAME ORG -> serial; the certificate expires in 30 days (so the dashboard counts it)
  local ser
  ser=$("$S" issue --dir "$D" --csr "$W/c.csr" --name "$1" --level dv 2>/dev/null |
    openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
  sql "UPDATE certificates SET org_id = $2, not_after = $((NOW + 30 * 86400)) WHERE serial = '$ser'" >/dev/null
  # the CLI issues into no organization; moved here by hand, the generation is moved as
  # store/certs.c moves it for an issuance into an organization (unit/test_pagecache)
  sql "INSERT INTO org_data_gen (org_id, gen) SELECT x, 1 FROM (SELECT $2 AS x UNION
       SELECT reseller_org_id FROM organizations WHERE id = $2 AND reseller_org_id IS NOT NULL) s
       WHERE true ORDER BY x ON CONFLICT (org_id) DO UPDATE SET gen = org_data_gen.gen + 1" >/dev/null
  printf '%s' "$ser"
}
SA1=$(issue www.alpha-shop.co.jp "$ORG_A")
SB=$(issue www.betasecret.co.jp "$ORG_B")
SM1=$(issue www.m1-shop.co.jp "$ORG_M1")
[ -n "$SA1" ] && [ -n "$SB" ] && [ -n "$SM1" ] || { not_ok "certificates issued"; it_done; }
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
KA=$(api_key_for "$url" pc-alice "$PW")
login() { # JAR LOGIN
  local tok
  rm -f "$1"
  curl -s -c "$1" -b "$1" -o "$W/l.html" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/l.html" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$1" -b "$1" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$2" --data-urlencode "password=$PW" "$url/login"
}
JA=$W/ja
JA_2=$W/ja-second-session
JA2=$W/ja2
JA3=$W/ja3
JB=$W/jb
JR=$W/jr
login "$JA" pc-alice
login "$JA_2" pc-alice
login "$JA2" pc-alice2
login "$JA3" pc-alice3
login "$JB" pc-bob
login "$JR" pc-resel
get() { # JAR PATH [OUT] -> $code, page in OUT (default $W/p.html)
  code=$(curl -s -b "$1" -o "${3:-$W/p.html}" -w '%{http_code}' "$url$2")
}
has() { grep -q "data-serial=\"$1\"" "${2:-$W/p.html}"; }
hasnt() { ! has "$@"; }
token() { grep -o 'name="csrf" value="[^"]*"' "$1" | head -1 | sed 's/.*value="//; s/"$//'; }
hits() { # PAGE: views answered from the cache so far
  curl -s "http://127.0.0.1:$MP/metrics" |
    awk -v s="shomei_page_cache_total{page=\"$1\",result=\"hit\"}" \
      'index($0, s" ") == 1 {v = $NF} END {print v == "" ? 0 : v}'
}
gen() { sql "SELECT COALESCE(SUM(gen), 0) FROM org_data_gen WHERE org_id IN (0, $1)"; }
total() { sed -n 's/.*id="expiry-total">\([0-9]*\)<.*/\1/p' "$W/d.html"; }

# ---- kept pages are answered from memory, each organization its own ----
h0=$(hits cert_list)
for i in 1 2 3; do
  get "$JA" /certificates "$W/a$i.html"
  get "$JB" /certificates "$W/b$i.html"
done
check_eq "issue 12 item 10: the list answers 200" 200 "$code"
check "issue 12 item 10: later views come from the cache (/metrics hits)" \
  test "$(hits cert_list)" -ge "$((h0 + 4))"
check "issue 12 item 10 R-ACT-1: A's kept page shows A's certificate and never B's" \
  bash -c "grep -q 'data-serial=\"$SA1\"' '$W/a3.html' && ! grep -qi 'betasecret' '$W/a1.html' '$W/a2.html' '$W/a3.html'"
check "issue 12 item 10 R-ACT-1: B's kept page shows B's certificate and never A's" \
  bash -c "grep -q 'data-serial=\"$SB\"' '$W/b3.html' && ! grep -q 'data-serial=\"$SA1\"' '$W/b1.html' '$W/b2.html' '$W/b3.html'"
check "issue 12 item 10: no page carries the cache's CSRF mark" \
  bash -c "! grep -q 'pcmark' '$W'/a*.html '$W'/b*.html"

# ---- a new certificate is on the next view (issuance from the CLI, another process) ----
g0=$(gen "$ORG_A")
SA2=$(issue shop.alpha-shop.co.jp "$ORG_A")
check "issue 12 item 10: the new certificate moved the organization's generation" test "$(gen "$ORG_A")" -gt "$g0"
get "$JA" /certificates
check "issue 12 item 10: an issued certificate is on the next list view" has "$SA2"
get "$JB" /certificates
check "issue 12 item 10 R-ACT-1: ... and not on another organization's" hasnt "$SA2"
get "$JR" /certificates
get "$JR" /certificates
check "issue 12 item 10: the reseller sees its customer's certificate" has "$SM1"
SM2=$(issue shop.m1-shop.co.jp "$ORG_M1")
get "$JR" /certificates
check "issue 12 item 10: ... and a new one of the customer on the next view" has "$SM2"

# ---- revocation: list and dashboard on the next view ----
get "$JA" /dashboard "$W/d.html"
get "$JA" /dashboard "$W/d.html"
before=$(total)
check_eq "issue 12 item 10: the dashboard counts A's two certificates" 2 "$before"
get "$JA" "/certificates/$SA1" "$W/c.html"
TOK=$(token "$W/c.html")
g0=$(gen "$ORG_A")
code=$(curl -s -b "$JA" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$TOK" \
  --data-urlencode reason=superseded --data-urlencode "date=$(TZ=Asia/Tokyo date +%F)" \
  "$url/certificates/$SA1/revoke")
check_eq "issue 12 item 10: the certificate is revoked" "303 revoked" \
  "$code $(sql "SELECT state FROM certificates WHERE serial = '$SA1'")"
check "issue 12 item 10: revocation moves the generation" test "$(gen "$ORG_A")" -gt "$g0"
get "$JA" /dashboard "$W/d.html"
check_eq "issue 12 item 10: the dashboard's figures count the revocation on the next view" \
  "$((before - 1))" "$(total)"
get "$JA" /certificates
check "issue 12 item 10: the list shows it revoked on the next view" \
  grep -q "data-serial=\"$SA1\".*status-revoked" "$W/p.html"

# ---- groups: two members of one organization who see different groups ----
api() { # METHOD PATH JSON
  code=$(curl -s -o "$W/api.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $KA" \
    -H 'Content-Type: application/json' --data-binary "$3" "$url$2")
}
api POST /api/v1/groups '{"name":"営業部"}'
G1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$W/api.json")
api POST /api/v1/groups '{"name":"開発部"}'
G2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$W/api.json")
api POST "/api/v1/groups/$G1/members" "{\"user_id\":$A2}"
api POST "/api/v1/groups/$G2/members" "{\"user_id\":$A3}"
check_eq "issue 12 item 10: groups and members made" 200 "$code"
for i in 1 2; do
  get "$JA2" /certificates "$W/m2.html"
  get "$JA3" /certificates "$W/m3.html"
done
check "issue 12 item 10: members of groups without certificates see none" \
  bash -c "! grep -q 'data-serial=' '$W/m2.html' && ! grep -q 'data-serial=' '$W/m3.html'"
api POST "/api/v1/certificates/$SA2/group" "{\"group_id\":$G1}"
check_eq "issue 12 item 10: the certificate moves to group 1" 200 "$code"
for i in 1 2 3; do
  get "$JA2" /certificates "$W/m2.html"
  get "$JA3" /certificates "$W/m3.html"
done
check "issue 12 item 10: group 1's member sees the moved certificate on the next view" \
  has "$SA2" "$W/m2.html"
check "issue 12 item 10: group 2's member never gets that page" hasnt "$SA2" "$W/m3.html"
get "$JA" /certificates
check "issue 12 item 10: the administrator still sees both" \
  bash -c "grep -q 'data-serial=\"$SA1\"' '$W/p.html' && grep -q 'data-serial=\"$SA2\"' '$W/p.html'"
api POST "/api/v1/certificates/$SA2/group" "{\"group_id\":$G2}"
get "$JA2" /certificates "$W/m2.html"
get "$JA3" /certificates "$W/m3.html"
check "issue 12 item 10: moved on to group 2, it leaves member 2's page and joins member 3's" \
  bash -c "! grep -q 'data-serial=\"$SA2\"' '$W/m2.html' && grep -q 'data-serial=\"$SA2\"' '$W/m3.html'"
# R-MNG-1: a group member's dashboard counts what their list shows, not the organization
for i in 1 2; do
  get "$JA2" /dashboard "$W/d.html"
  t2=$(total)
  get "$JA3" /dashboard "$W/d.html"
  t3=$(total)
done
get "$JA" /dashboard "$W/d.html"
check_eq "R-MNG-1: the dashboards of member 2 (group 1), member 3 (group 2) and the administrator" \
  "0 1 1" "$t2 $t3 $(total)"

# ---- the column choice and the language vary the page ----
get "$JA" /certificates
check "issue 12 item 10: by default no serial column" bash -c "! grep -q '<td class=\"serial\">' '$W/p.html'"
TOK=$(token "$W/p.html")
code=$(curl -s -b "$JA" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$TOK" \
  --data-urlencode col=cn --data-urlencode col=serial "$url/certificates/columns")
check_eq "issue 12 item 10: the columns are saved" 303 "$code"
get "$JA" /certificates
check "issue 12 item 10: the next view has the chosen columns" \
  bash -c "grep -q '<td class=\"serial\">' '$W/p.html' && ! grep -q '<td class=\"receipt\">' '$W/p.html'"
get "$JA_2" /certificates "$W/p2.html"
check "issue 12 item 10: ... in the user's other session too" grep -q '<td class="serial">' "$W/p2.html"
get "$JA2" /certificates "$W/m2.html"
check "issue 12 item 10: ... but not for another user of the organization" \
  bash -c "! grep -q '<th scope=\"col\">シリアル番号' '$W/m2.html'"
get "$JA" "/certificates?lang=en" "$W/en.html"
get "$JA" "/certificates?lang=en" "$W/en.html"
get "$JA" "/certificates?lang=ja" "$W/ja.html"
check "issue 12 item 10: the English page is English" grep -q '<h1>Certificates</h1>' "$W/en.html"
check "issue 12 item 10: the Japanese page right after it is Japanese" \
  grep -q '<h1>証明書一覧</h1>' "$W/ja.html"

# ---- each session its own CSRF token inside a kept page ----
get "$JA" /certificates "$W/s1.html"
get "$JA_2" /certificates "$W/s2.html"
T1=$(token "$W/s1.html")
T2=$(token "$W/s2.html")
check "issue 12 item 10: two sessions of one user get different tokens" \
  bash -c "[ -n '$T1' ] && [ -n '$T2' ] && [ '$T1' != '$T2' ]"
code=$(curl -s -b "$JA_2" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$T1" \
  --data-urlencode col=cn "$url/certificates/columns")
check_eq "issue 12 item 10: the other session's token is refused" 403 "$code"
code=$(curl -s -b "$JA_2" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$T2" \
  --data-urlencode col=cn --data-urlencode col=serial "$url/certificates/columns")
check_eq "issue 12 item 10: its own token is taken" 303 "$code"
check "issue 12 item 10: the dashboard came from the cache too" test "$(hits dashboard)" -ge 1

# ---- two nodes on one database: a change through node 2 is on node 1's next view ----
url1=$url
sed -i "s|^listen = .*|listen = 127.0.0.1:$(free_port)|" "$D/shomei.ini" # node 2's own metrics port
start_server "$D" || { not_ok "node 2 starts"; it_done; }
url2=$IT_URL
url=$url1
get "$JB" /certificates
get "$JB" /certificates
check "issue 12 item 10: node 1 shows SB valid" \
  bash -c "grep -q 'data-serial=\"$SB\"' '$W/p.html' && ! grep -q 'data-serial=\"$SB\".*status-revoked' '$W/p.html'"
url=$url2
get "$JB" "/certificates/$SB" "$W/c.html"
TOK=$(token "$W/c.html")
code=$(curl -s -b "$JB" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$TOK" \
  --data-urlencode reason=superseded --data-urlencode "date=$(TZ=Asia/Tokyo date +%F)" \
  "$url2/certificates/$SB/revoke")
check_eq "issue 12 item 10: revoked through node 2" 303 "$code"
url=$url1
get "$JB" /certificates
check "issue 12 item 10: node 1's next view shows it revoked" \
  grep -q "data-serial=\"$SB\".*status-revoked" "$W/p.html"

check "issue 12 item 10: no 500 in the server log" bash -c "! grep -q 'status=500' '$IT_TMP'/server-*.log"

# ---- a [server] page_cache_mb outside 0..65536 stops serve at start, naming the setting ----
BD=$IT_TMP/badcache
"$S" init --dir "$BD" --test-ca --set server.page_cache_mb=-1 >"$IT_TMP/badcache-init.log" 2>&1
for v in -1 65537 lots; do
  sed -i "s/^page_cache_mb *=.*/page_cache_mb = $v/" "$BD/shomei.ini"
  timeout 30 "$S" serve --dir "$BD" --port "$(free_port)" >"$IT_TMP/badcache.log" 2>&1
  check_eq "issue 12 item 10: page_cache_mb = $v is refused at start, naming it" "1 1" \
    "$? $(grep -c "\[server\] page_cache_mb = '$v' is not an integer in 0..65536" "$IT_TMP/badcache.log")"
done
it_done
