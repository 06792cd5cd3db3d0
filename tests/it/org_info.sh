#!/usr/bin/env bash
# Issue 12 item 6: the organization's registration information (登録情報の変更). Its
# administrator (the first user when nobody has users.org_admin) changes names, address,
# phone and contact; another user of the organization sees it read-only and is refused;
# bad input names the field and changes nothing; a stale version is a conflict; a change
# of a vetted field must be confirmed first (page: confirm step; API: confirm_revetting)
# and then marks the organization's vetting stale (vetting_reset_at); every change is
# audited. With SHOMEI_TEST_PG_URL set (tests/pg.sh bash tests/it/org_info.sh) it runs on
# PostgreSQL.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --set server.secure_cookies=false --set server.per_ip_connections=0 \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}
PW=Org-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login alice-c --role customer --email a@alpha.example.jp --name Alice --org-name "アルファ"
add --login alice2-c --role customer --email a2@alpha.example.jp --name Alice2 --org-name "tmp"
add --login bob-c --role customer --email b@beta.example.jp --name Bob --org-name "ベータ"
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'alice-c'")
sql "UPDATE users SET org_id = $ORG_A WHERE login_id = 'alice2-c'" >/dev/null
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

api "$KA" GET /api/v1/organization
check_eq "issue 12 item 6: the first user is the administrator" "200 True 0 アルファ" \
  "$code $(jq_ 'd["is_admin"], d["version"], d["name_ja"]' | tr -d "(),'")"
api "$KA2" GET /api/v1/organization
check_eq "issue 12 item 6: another user of the organization is not" "200 False $ORG_A" \
  "$code $(jq_ 'd["is_admin"], d["id"]' | tr -d "(),'")"
api "$KB" GET /api/v1/organization
check "issue 12 item 6 R-ACT-1: another organization sees only its own" \
  test "$(jq_ 'd["id"]')" != "$ORG_A"
api "$KA2" POST /api/v1/organization '{"version":0,"contact_name":"X"}'
check_eq "issue 12 item 6: a user who is not the administrator is refused" 403 "$code"
api "$KA" POST /api/v1/organization '{"version":0,"contact_name":"山田 花子","contact_email":"hanako@alpha.example.jp","contact_phone":"03-1234-5678"}'
check_eq "issue 12 item 6: the contact changes without re-vetting" "200 True False" \
  "$code $(jq_ 'd["changed"], d["vetting_stale"]' | tr -d "(),'")"
check_eq "... audited" 1 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'org.registration_changed'")"
check_eq "... vetting not stale" 0 "$(sql "SELECT vetting_reset_at FROM organizations WHERE id = $ORG_A")"
api "$KA" POST /api/v1/organization '{"version":1,"postal":"12-34"}'
check_eq "issue 12 item 6: a bad postal code is a 422 naming the field" "422 1" \
  "$code $(grep -c postal "$B")"
api "$KA" POST /api/v1/organization '{"version":1,"contact_email":"not-an-address"}'
check_eq "issue 12 item 6: a bad e-mail address is a 422" 422 "$code"
check_eq "... nothing changed (version 1)" "1 hanako@alpha.example.jp" \
  "$(sql "SELECT reg_version || ' ' || contact_email FROM organizations WHERE id = $ORG_A")"
api "$KA" POST /api/v1/organization '{"version":1,"address":"東京都千代田区丸の内1-1-1","postal":"100-0005"}'
check_eq "issue 12 item 6: a vetted field without confirm_revetting is refused" "422 1" \
  "$code $(grep -c confirm_revetting "$B")"
check_eq "... and not written" "1 " "$(sql "SELECT reg_version || ' ' || address FROM organizations WHERE id = $ORG_A")"
api "$KA" POST /api/v1/organization '{"version":1,"address":"東京都千代田区丸の内1-1-1","postal":"100-0005","confirm_revetting":true}'
check_eq "issue 12 item 6: confirmed, the vetted change is saved and marks vetting stale" "200 True True" \
  "$code $(jq_ 'd["changed"], d["vetting_stale"]' | tr -d "(),'")"
check "... vetting_reset_at is set" test "$(sql "SELECT vetting_reset_at FROM organizations WHERE id = $ORG_A")" -gt 0
check "... the audit record says so" grep -q '"vetting_stale":true' \
  <(sql "SELECT detail FROM audit_log WHERE action = 'org.registration_changed' ORDER BY seq DESC LIMIT 1")
api "$KA" POST /api/v1/organization '{"version":1,"contact_name":"old form"}'
check_eq "issue 12 item 6: a stale version is a conflict" 409 "$code"

# --- the page ---
login() { # LOGIN JAR
  curl -s -c "$2" -b "$2" -o "$W/l.html" "$url/login"
  local tok
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/l.html" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$2" -b "$2" -o /dev/null --data-urlencode "csrf=$tok" --data-urlencode "login_id=$1" \
    --data-urlencode "password=$PW" "$url/login"
}
login alice-c "$W/ja"
login alice2-c "$W/ja2"
curl -s -b "$W/ja2" -o "$W/p2.html" "$url/organization"
check "issue 12 item 6 page: a non-administrator sees it read-only" \
  bash -c "grep -q 'id=\"orginfo-view\"' '$W/p2.html' && ! grep -q 'id=\"orginfo-form\"' '$W/p2.html'"
curl -s -b "$W/ja" -o "$W/p.html" "$url/organization"
check "issue 12 item 6 page: the administrator gets the form" grep -q 'id="orginfo-form"' "$W/p.html"
check "issue 12 item 6 page: the form says which fields are vetted before saving" \
  grep -q 'id="orginfo-vetted-hint"' "$W/p.html"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/p.html" | head -1 | sed 's/.*value="//; s/"$//')
ver=$(grep -o 'name="version" value="[^"]*"' "$W/p.html" | sed 's/.*value="//; s/"$//')
mkform() { # VERSION PHONE
  form=(--data-urlencode "csrf=$tok" --data-urlencode "version=$1" --data-urlencode "name_ja=アルファ株式会社"
    --data-urlencode "name_en=" --data-urlencode "postal=100-0005" --data-urlencode "address=東京都千代田区丸の内1-1-1"
    --data-urlencode "phone=$2" --data-urlencode "contact_name=山田 花子"
    --data-urlencode "contact_email=hanako@alpha.example.jp" --data-urlencode "contact_phone=03-1234-5678")
}
mkform "$ver" ""
code=$(curl -s -b "$W/ja" -o "$W/p.html" -w '%{http_code}' "${form[@]}" "$url/organization")
check_eq "issue 12 item 6 page: a vetted change shows the confirm step" "200 1" \
  "$code $(grep -c 'id="orginfo-confirm"' "$W/p.html")"
check "... naming the changed field" grep -q '<li>組織名（日本語）</li>' "$W/p.html"
check_eq "... and saves nothing yet" "アルファ" "$(sql "SELECT name_ja FROM organizations WHERE id = $ORG_A")"
code=$(curl -s -b "$W/ja" -o /dev/null -w '%{http_code} %{redirect_url}' "${form[@]}" \
  --data-urlencode confirm=1 "$url/organization")
check_eq "issue 12 item 6 page: confirmed, saved" "303 $url/organization?done=stale" "$code"
check_eq "... the new name is stored" "アルファ株式会社" "$(sql "SELECT name_ja FROM organizations WHERE id = $ORG_A")"
curl -s -b "$W/ja" -o "$W/p.html" "$url/organization?done=stale"
check "... and the page says it will be vetted again" grep -q '組織の審査をもう一度行います' "$W/p.html"
mkform $((ver + 1)) abc
code=$(curl -s -b "$W/ja" -o "$W/p.html" -w '%{http_code}' "${form[@]}" "$url/organization")
check_eq "issue 12 item 6 page: a bad phone number is a 422 naming the field" "422 1" \
  "$code $(grep -c 'data-field="phone"' "$W/p.html")"
check "issue 12 item 6: no 500 in the server log" bash -c "! grep -q 'status=500' '$IT_TMP'/server-*.log"
it_done
