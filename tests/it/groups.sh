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
  else code=$(curl -s -o "$B" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" "$url$3"); fi
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
check_eq "issue 12 item 6: a user who is not the organization's administrator creates no group" \
  "403 0" "$code $(sql "SELECT COUNT(*) FROM user_groups WHERE name = '開発部'")"
api "$KA" POST /api/v1/groups '{"name":"開発部"}'
G2=$(jq_ 'd["id"]')
api "$KA" POST "/api/v1/groups/$G2/members" "{\"user_id\":$A2}"
api "$KA2" POST "/api/v1/certificates/$SER/group" "{\"group_id\":$G2}"
check_eq "issue 12 item 6: a member moves the certificate to another group" 200 "$code"
api "$KA2" GET /api/v1/groups
check_eq "... the counts follow (営業部 0, 開発部 1)" "0 1" \
  "$(jq_ '" ".join(str(g["certs"]) for g in sorted(d["groups"], key=lambda g: g["id"]))')"
a_count() { sql "SELECT COUNT(*) FROM audit_log WHERE action = '$1'"; }
check_eq "issue 12 item 6: every change is audited (moves, groups of both, joins)" "2 3 2" \
  "$(a_count cert.group_moved) $(a_count group.create) $(a_count group.member_add)"
check "... the move records from and to" grep -q "\"from\":$GID,\"to\":$G2" \
  <(sql "SELECT detail FROM audit_log WHERE action = 'cert.group_moved' ORDER BY seq DESC LIMIT 1")
api "$KA2" GET "/api/v1/certificates/$SER"
check_eq "issue 12 item 6: members see each other's certificates" 200 "$code"

# ---- the API: read, rename / change the template, remove a member, delete ----
api "$KA" GET "/api/v1/groups/$G2"
check_eq "issue 12 item 6 API: one group is read" "200 開発部 1" "$code $(jq_ 'd["name"]') $(jq_ 'd["certs"]')"
api "$KB" GET "/api/v1/groups/$G2"
check_eq "issue 12 item 6 R-ACT-1 API: another organization's group is 404" 404 "$code"
api "$KA" POST "/api/v1/groups/$G2" '{"name":"開発本部"}'
check_eq "issue 12 item 6 API: the administrator renames a group; the template stays" "200 開発本部 {}" \
  "$code $(jq_ 'd["name"]') $(jq_ 'json.dumps(d["template"])')"
api "$KA" POST "/api/v1/groups/$G2" '{"template":{"notify_emails":["kaihatsu@alpha.example.jp"]}}'
check_eq "issue 12 item 6 API: a new template; the name stays" "200 開発本部 kaihatsu@alpha.example.jp" \
  "$code $(jq_ 'd["name"]') $(jq_ 'd["template"]["notify_emails"][0]')"
api "$KA" POST "/api/v1/groups/$G2" '{"name":"営業部"}'
check_eq "issue 12 item 6 API: renaming to a name in use is a 409, nothing changed" "409 開発本部" \
  "$code $(sql "SELECT name FROM user_groups WHERE id = $G2")"
api "$KA" POST "/api/v1/groups/$G2" '{"name":42}'
check_eq "issue 12 item 6 API: a name that is no text is a 422 naming it" "422 1" "$code $(grep -c '"name"' "$B")"
t0=$(sql "SELECT COALESCE(template_json, 'null') FROM user_groups WHERE id = $G2")
api "$KA" POST "/api/v1/groups/$G2" '{"template":{"notify_emails":["not-an-address"]}}'
check_eq "issue 12 item 6 API: a bad template is a 422 naming it, nothing changed" "422 1 $t0" \
  "$code $(grep -c template "$B") $(sql "SELECT COALESCE(template_json, 'null') FROM user_groups WHERE id = $G2")"
api "$KA2" POST "/api/v1/groups/$G2" '{"name":"乗っ取り"}'
check_eq "issue 12 item 6 API: a member who is not the administrator renames nothing" "403 開発本部" \
  "$code $(sql "SELECT name FROM user_groups WHERE id = $G2")"
api "$KB" POST "/api/v1/groups/$G2" '{"name":"乗っ取り"}'
check_eq "issue 12 item 6 R-ACT-1 API: nor does another organization" 404 "$code"
api "$KA" DELETE "/api/v1/groups/$G2"
check_eq "issue 12 item 6 API: a group with a certificate is not deleted (409, message)" "409 1 1" \
  "$code $(grep -c 'cannot be deleted\|削除できません' "$B") $(sql "SELECT COUNT(*) FROM user_groups WHERE id = $G2")"
api "$KB" DELETE "/api/v1/groups/$GID"
check_eq "issue 12 item 6 R-ACT-1 API: another organization deletes nothing" "404 1" \
  "$code $(sql "SELECT COUNT(*) FROM user_groups WHERE id = $GID")"
api "$KA" DELETE "/api/v1/groups/$GID/members/$BOB"
check_eq "issue 12 item 6 API: removing a user who is no member is a 404" 404 "$code"
for bad in abc 0 -1 1x 99999999999999999999; do
  api "$KA" DELETE "/api/v1/groups/$GID/members/$bad"
  check_eq "issue 12 item 6 API: a member id that is no id ($bad) is a 404 that changes nothing" \
    "404 2" "$code $(sql "SELECT COUNT(*) FROM group_members WHERE group_id = $GID")"
done
api "$KA" DELETE "/api/v1/groups/$GID/members/$A2"
check_eq "issue 12 item 6 API: a member is removed" "200 1" "$code $(jq_ 'd["members"]')"
api "$KA" POST /api/v1/groups '{"name":"臨時"}'
G3=$(jq_ 'd["id"]')
api "$KA" DELETE "/api/v1/groups/$G3"
check_eq "issue 12 item 6 API: an empty group is deleted" "200 0" \
  "$code $(sql "SELECT COUNT(*) FROM user_groups WHERE id = $G3")"
api "$KA" GET "/api/v1/groups/$G3"
check_eq "... and is gone" 404 "$code"
check_eq "issue 12 item 6 API: renames, removals and deletions are audited" "2 1 1" \
  "$(a_count group.update) $(a_count group.member_remove) $(a_count group.delete)"
# as before, for what follows
api "$KA" POST "/api/v1/groups/$GID/members" "{\"user_id\":$A2}"
api "$KA" POST "/api/v1/groups/$G2" '{"name":"開発部","template":{}}'
check_eq "... the name is given back" "200 開発部" "$code $(jq_ 'd["name"]')"

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
# ---- issue 12 item 6, the pages: the administrator manages a group (rename, template,
# members, delete when empty), members see their groups' certificates and their own, the
# list filters by group, a certificate moves from its page; another organization gets 404.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k2.pem" \
  -out "$W/c2.csr" -subj /CN=www.alpha-other.co.jp 2>/dev/null
SER2=$("$S" issue --dir "$D" --csr "$W/c2.csr" --name www.alpha-other.co.jp --level dv 2>/dev/null |
  openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
sql "UPDATE certificates SET org_id = $ORG_A WHERE serial = '$SER2'" >/dev/null
login() { # JAR LOGIN: a session, and $tok a CSRF token of a logged-in page
  curl -s -c "$1" -b "$1" -o "$W/l.html" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/l.html" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$1" -b "$1" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$2" --data-urlencode "password=$PW" "$url/login"
  curl -s -b "$1" -o "$W/l.html" "$url/groups"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/l.html" | head -1 | sed 's/.*value="//; s/"$//')
}
post() { # JAR PATH [k=v ...]: $code
  local j=$1 pth=$2; shift 2
  local a=(--data-urlencode "csrf=$tok")
  for kv in "$@"; do a+=(--data-urlencode "$kv"); done
  code=$(curl -s -b "$j" -o "$W/p.html" -w '%{http_code}' "${a[@]}" "$url$pth")
}
JA=$W/ja; JA2=$W/ja2; JB=$W/jb
login "$JA" alice-c
curl -s -b "$JA" -o "$W/g1.html" "$url/groups/$GID"
check "issue 12 item 6 page: the group page shows its template and members" \
  bash -c "grep -q 'sales@alpha.example.jp' '$W/g1.html' && grep -q 'data-member=\"$A2\"' '$W/g1.html'"
post "$JA" "/groups/$GID" name=営業一部 org_name=アルファ商店 contact_name='山田 花子' \
  contact_email=yamada@alpha.example.jp notify_emails=sales@alpha.example.jp
check_eq "issue 12 item 6 page: the administrator renames the group and sets its template" \
  "303 営業一部 1" "$code $(sql "SELECT name FROM user_groups WHERE id = $GID") $(sql "SELECT COUNT(*) FROM user_groups WHERE id = $GID AND template LIKE '%yamada@alpha.example.jp%'")"
post "$JA" "/groups/$GID" name= org_name=x
check_eq "issue 12 item 6 page: an empty name is a 422 naming the field, nothing changed" \
  "422 1 営業一部" "$code $(grep -c 'グループ名（1〜128' "$W/p.html") $(sql "SELECT name FROM user_groups WHERE id = $GID")"
post "$JA" "/groups/$GID" name=営業一部 notify_emails='a@b.jp,c@d.jp,e@f.jp,g@h.jp'
check_eq "issue 12 item 6 page: a fourth notification address is a 422" 422 "$code"
post "$JA" "/groups/$GID/members/remove" "user_id=$A2"
check_eq "issue 12 item 6 page: a member is removed (audited; the API removed one before)" "303 0 2" \
  "$code $(sql "SELECT COUNT(*) FROM group_members WHERE group_id = $GID AND user_id = $A2") $(a_count group.member_remove)"
post "$JA" "/groups/$GID/members" "user_id=$BOB"
check_eq "issue 12 item 6 page R-ACT-1: a user of another organization is not added" \
  "422 0" "$code $(sql "SELECT COUNT(*) FROM group_members WHERE user_id = $BOB AND group_id = $GID")"
post "$JA" "/groups/$GID/members" "user_id=$A2"
check_eq "issue 12 item 6 page: a member is added" "303 1" \
  "$code $(sql "SELECT COUNT(*) FROM group_members WHERE group_id = $GID AND user_id = $A2")"
post "$JA" "/groups/$G2/delete"
check_eq "issue 12 item 6 page: a group with certificates is not deleted (409, message)" \
  "409 1 1" "$code $(grep -q '削除できません' "$W/p.html" && echo 1) $(sql "SELECT COUNT(*) FROM user_groups WHERE id = $G2")"
SOUMU=$(sql "SELECT id FROM user_groups WHERE name = '総務部'")
post "$JA" "/groups/$SOUMU/delete"
check_eq "issue 12 item 6 page: an empty group is deleted (audited; the API deleted one before)" "303 0 2" \
  "$code $(sql "SELECT COUNT(*) FROM user_groups WHERE id = $SOUMU") $(a_count group.delete)"

# another organization: every page route of A's group is a 404 and changes nothing
login "$JB" bob-c
before=$(sql "SELECT name || template FROM user_groups WHERE id = $GID")$(sql "SELECT COUNT(*) FROM group_members WHERE group_id = $GID")
res="$(curl -s -b "$JB" -o "$W/b.html" -w '%{http_code}' "$url/groups/$GID") "
for pth in "/groups/$GID" "/groups/$GID/delete" "/groups/$GID/members" "/groups/$GID/members/remove"; do
  post "$JB" "$pth" name=乗っ取り "user_id=$BOB" "user_id=$A2"
  res="$res$code "
done
post "$JB" "/certificates/$SER/group" "group_id=$BGID"
res="$res$code"
after=$(sql "SELECT name || template FROM user_groups WHERE id = $GID")$(sql "SELECT COUNT(*) FROM group_members WHERE group_id = $GID")
check_eq "issue 12 item 6 R-ACT-1: org B on org A's group pages and certificate gets 404 each time" \
  "404 404 404 404 404 404" "$res"
check_eq "... and nothing of A's group changed" "$before" "$after"
check "... nor does B's page name A's groups" bash -c "! grep -q '営業一部' '$W/b.html'"

# visibility: alice2 is a member of 営業一部 and 開発部; SER is filed under 開発部, SER2 nowhere
login "$JA2" alice2-c
curl -s -b "$JA2" -o "$W/c2.html" "$url/certificates"
check "issue 12 item 6: a member sees their group's certificate in the list" \
  grep -q "data-serial=\"$SER\"" "$W/c2.html"
check "issue 12 item 6: ... but not a certificate of no group of theirs" \
  bash -c "! grep -q 'data-serial=\"$SER2\"' '$W/c2.html'"
code=$(curl -s -b "$JA2" -o /dev/null -w '%{http_code}' "$url/certificates/$SER2")
check_eq "issue 12 item 6: ... nor its page (404)" 404 "$code"
curl -s -b "$JA" -o "$W/c1.html" "$url/certificates"
check "issue 12 item 6: the organization's administrator sees every certificate" \
  bash -c "grep -q 'data-serial=\"$SER\"' '$W/c1.html' && grep -q 'data-serial=\"$SER2\"' '$W/c1.html'"
curl -s -b "$JA" -o "$W/c3.html" "$url/certificates?group=$G2"
check "issue 12 item 6: the list filters by group" \
  bash -c "grep -q 'data-serial=\"$SER\"' '$W/c3.html' && ! grep -q 'data-serial=\"$SER2\"' '$W/c3.html' && grep -q 'id=\"f-group\"' '$W/c3.html'"
code=$(curl -s -b "$JB" -o "$W/c4.html" -w '%{http_code}' "$url/certificates?group=$G2")
check_eq "issue 12 item 6 R-ACT-1: another organization's group as a filter is a 400 naming it" \
  "400 1" "$code $(grep -q group "$W/c4.html" && echo 1)"
code=$(curl -s -H "Authorization: Bearer $KA2" -o /dev/null -w '%{http_code}' "$url/api/v1/certificates/$SER2")
check_eq "issue 12 item 6: the API follows the same visibility" 404 "$code"

# moving from the certificate's page (CSRF, audited)
curl -s -b "$JA" -o "$W/d.html" "$url/certificates/$SER2"
check "issue 12 item 6: the certificate page offers the move" grep -q 'id="cert-group-form"' "$W/d.html"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/d.html" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -s -b "$JA" -o /dev/null -w '%{http_code}' --data-urlencode "group_id=$G2" "$url/certificates/$SER2/group")
check_eq "issue 12 item 6: a move without the CSRF token is refused" "403 0" \
  "$code $(sql "SELECT COUNT(*) FROM cert_groups WHERE group_id = $G2 AND cert_id = (SELECT id FROM certificates WHERE serial = '$SER2')")"
post "$JA" "/certificates/$SER2/group" group_id=abc
check_eq "issue 12 item 6: a group_id that is no number is a 422" 422 "$code"
moves=$(a_count cert.group_moved)
post "$JA" "/certificates/$SER2/group" "group_id=$G2"
check_eq "issue 12 item 6: the certificate moves from its page (audited)" "303 1 $((moves + 1))" \
  "$code $(sql "SELECT COUNT(*) FROM cert_groups WHERE group_id = $G2 AND cert_id = (SELECT id FROM certificates WHERE serial = '$SER2')") $(a_count cert.group_moved)"
curl -s -b "$JA2" -o "$W/c2.html" "$url/certificates"
check "issue 12 item 6: ... and its group's member now sees it" grep -q "data-serial=\"$SER2\"" "$W/c2.html"

check "issue 12 item 6: no 500 in the server log" bash -c "! grep -q 'status=500' '$IT_TMP'/server-*.log"
it_done
