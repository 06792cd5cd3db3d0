#!/usr/bin/env bash
# Issue 12 item 6: groups of users of one organization. A group shares an application
# template (organization, contacts, notification addresses) that the wizard starts from
# (/apply?group=ID); members are users of the same organization only; a certificate is
# filed under (moved to) a group of its organization; every change is audited; an
# organization never sees, joins or files under another organization's groups (R-ACT-1);
# bad input names the field. With SHOMEI_TEST_PG_URL set it runs on PostgreSQL.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --test-ca --set server.secure_cookies=false --set server.per_ip_connections=0 \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}
PW=Group-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login alice-c --role customer --email a@alpha.example.jp --name Alice --org-name "Alpha"
add --login alice2-c --role customer --email a2@alpha.example.jp --name Alice2 --org-name "tmp"
add --login bob-c --role customer --email b@beta.example.jp --name Bob --org-name "Beta"
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'alice-c'")
A2=$(sql "SELECT id FROM users WHERE login_id = 'alice2-c'")
BOB=$(sql "SELECT id FROM users WHERE login_id = 'bob-c'")
sql "UPDATE users SET org_id = $ORG_A WHERE id = $A2" >/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
  -out "$W/c.csr" -subj /CN=www.alpha-shop.co.jp 2>/dev/null
SER=$("$S" issue --dir "$D" --csr "$W/c.csr" --name www.alpha-shop.co.jp --level dv 2>/dev/null |
  openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
sql "UPDATE certificates SET org_id = $ORG_A WHERE serial = '$SER'" >/dev/null
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
KA=$(api_key_for "$url" alice-c "$PW")
KA2=$(api_key_for "$url" alice2-c "$PW")
KB=$(api_key_for "$url" bob-c "$PW")
B=$W/body
api() { # KEY METHOD PATH [JSON]
  if [ $# -ge 4 ]; then
    code=$(curl -s -o "$B" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
      -H 'Content-Type: application/json' --data-binary "$4" "$url$3")
  else code=$(curl -s -o "$B" -w '%{http_code}' -H "Authorization: Bearer $1" "$url$3"); fi
}
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$B" "$1"; }

api "$KA" POST /api/v1/groups '{"name":"営業部","template":{"org":{"name_ja":"アルファ商店"},"contacts":{"contact.name":"山田 花子"},"notify_emails":["sales@alpha.example.jp"]}}'
check_eq "issue 12 item 6: a group is created with its template" "200 1" "$code $(jq_ 'd["members"]')"
GID=$(jq_ 'd["id"]')
api "$KA" POST /api/v1/groups '{"name":"営業部"}'
check_eq "issue 12 item 6: a second group of the same name is refused" 409 "$code"
api "$KA" POST /api/v1/groups '{"name":""}'
check_eq "issue 12 item 6: an empty name is a 422 naming the field" "422 1" "$code $(grep -c '"name"' "$B")"
api "$KA" POST /api/v1/groups '{"name":"x","template":{"bogus":1}}'
check_eq "issue 12 item 6: an unknown template key is a 422 naming template" "422 1" "$code $(grep -c template "$B")"
api "$KA" POST /api/v1/groups '{"name":"y","template":{"notify_emails":["a@b.jp","c@d.jp","e@f.jp","g@h.jp"]}}'
check_eq "issue 12 item 6: more than 3 notification addresses is a 422" 422 "$code"
api "$KA" POST "/api/v1/groups/$GID/members" "{\"user_id\":$A2}"
check_eq "issue 12 item 6: a user of the organization joins" "200 2" "$code $(jq_ 'd["members"]')"
api "$KA" POST "/api/v1/groups/$GID/members" "{\"user_id\":$BOB}"
check_eq "issue 12 item 6 R-ACT-1: a user of another organization cannot join" 404 "$code"
api "$KB" GET /api/v1/groups
check_eq "issue 12 item 6 R-ACT-1: another organization does not see the group" "200 0" \
  "$code $(grep -c '営業部' "$B")"
api "$KB" POST "/api/v1/groups/$GID/members" "{\"user_id\":$BOB}"
check_eq "issue 12 item 6 R-ACT-1: nor adds itself to it" 404 "$code"
api "$KB" POST /api/v1/groups '{"name":"ベータ部"}'
BGID=$(jq_ 'd["id"]')
api "$KA" POST "/api/v1/certificates/$SER/group" "{\"group_id\":$GID}"
check_eq "issue 12 item 6: the certificate is filed under the group" 200 "$code"
api "$KA" POST "/api/v1/certificates/$SER/group" "{\"group_id\":$BGID}"
check_eq "issue 12 item 6 R-ACT-1: not under another organization's group" 404 "$code"
api "$KB" POST "/api/v1/certificates/$SER/group" "{\"group_id\":$BGID}"
check_eq "issue 12 item 6 R-ACT-1: another organization cannot move it" 404 "$code"
api "$KA" POST "/api/v1/certificates/$SER/group" '{"group_id":"x"}'
check_eq "issue 12 item 6: a group_id that is no integer is a 422" 422 "$code"
api "$KA2" POST /api/v1/groups '{"name":"開発部"}'
G2=$(jq_ 'd["id"]')
api "$KA2" POST "/api/v1/certificates/$SER/group" "{\"group_id\":$G2}"
check_eq "issue 12 item 6: a member moves the certificate to another group" 200 "$code"
api "$KA2" GET /api/v1/groups
check_eq "... the counts follow (営業部 0, 開発部 1)" "0 1" \
  "$(jq_ '" ".join(str(g["certs"]) for g in sorted(d["groups"], key=lambda g: g["id"]))')"
a_count() { sql "SELECT COUNT(*) FROM audit_log WHERE action = '$1'"; }
check_eq "issue 12 item 6: every change is audited (moves, groups of both, joins)" "2 3 1" \
  "$(a_count cert.group_moved) $(a_count group.create) $(a_count group.member_add)"
check "... the move records from and to" grep -q "\"from\":$GID,\"to\":$G2" \
  <(sql "SELECT detail FROM audit_log WHERE action = 'cert.group_moved' ORDER BY seq DESC LIMIT 1")
api "$KA2" GET "/api/v1/certificates/$SER"
check_eq "issue 12 item 6: members see each other's certificates" 200 "$code"

# the page and the wizard's template
jar=$W/jar
curl -s -c "$jar" -b "$jar" -o "$W/l.html" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/l.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode login_id=alice-c --data-urlencode "password=$PW" "$url/login"
curl -s -b "$jar" -o "$W/g.html" "$url/groups"
check "issue 12 item 6 page: the groups are listed" bash -c "grep -q '営業部' '$W/g.html' && grep -q '開発部' '$W/g.html'"
check "issue 12 item 6 page: another organization's group is not" bash -c "! grep -q 'ベータ部' '$W/g.html'"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/g.html" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -s -b "$jar" -o "$W/g.html" -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode name= "$url/groups")
check_eq "issue 12 item 6 page: an empty name is a 422 with the message" "422 1" \
  "$code $(grep -c 'グループ名（1〜128 文字' "$W/g.html")"
code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode name=総務部 --data-urlencode "notify_emails=soumu@alpha.example.jp" "$url/groups")
check_eq "issue 12 item 6 page: a group is created" "303 1" \
  "$code $(sql "SELECT COUNT(*) FROM user_groups WHERE name = '総務部' AND org_id = $ORG_A")"
curl -s -b "$jar" -o "$W/w.html" "$url/apply?group=$GID"
check "issue 12 item 6: the wizard starts from the group's template" \
  bash -c "grep -q 'sales@alpha.example.jp' '$W/w.html' && grep -q 'アルファ商店' '$W/w.html'"
curl -s -b "$jar" -o "$W/w.html" "$url/apply?group=$BGID"
check "issue 12 item 6 R-ACT-1: not from another organization's template" bash -c "! grep -q 'ベータ' '$W/w.html'"
check "issue 12 item 6: no 500 in the server log" bash -c "! grep -q 'status=500' '$IT_TMP'/server-*.log"
it_done
