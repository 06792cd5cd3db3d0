#!/usr/bin/env bash
# Revocation from the certificate page (issue 9 item 4). R-REV-1: a customer asks for the
# revocation of its certificate with a reason of the BR 7.2.2 subscriber list (no reason by
# default, no privilegeWithdrawn) and a desired date (today = now, later = scheduled);
# reasons outside the list, dates past 60 days and another organization's certificate are
# refused with a clear message and change nothing. R-REV-3: an officer revokes directly,
# privilegeWithdrawn included. R-ACT-1: 404 for another organization's certificate.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --test-ca --set server.secure_cookies=false >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
DB=$D/shomei.db
sql() { sqlite3 -batch "$DB" "$@"; }
PW=Revoke-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login alice-c --role customer --email alice@alpha.example.jp --name Alice --org-name Alpha
add --login bob-c --role customer --email bob@beta.example.jp --name Bob --org-name Beta
add --login olga-o --role officer --email olga@ca.example.jp --name Olga
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'alice-c'")
ORG_B=$(sql "SELECT org_id FROM users WHERE login_id = 'bob-c'")
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
  -out "$W/c.csr" -subj /CN=www.alpha.example.jp 2>/dev/null
serial_of() { openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
issue() { "$S" issue --dir "$D" --csr "$W/c.csr" --level dv --name "$1" 2>>"$W/issue.err" |
  serial_of; }
SA1=$(issue www.alpha.example.jp)
SA2=$(issue shop.alpha.example.jp)
SB=$(issue www.beta.example.jp)
SA3=$("$S" issue --dir "$D" --csr "$W/c.csr" --level ov --org "Alpha KK" --locality Chiyoda --state Tokyo --country JP --name ov.alpha.example.jp 2>>"$W/issue.err" |
  serial_of)
SA4=$("$S" issue --dir "$D" --csr "$W/c.csr" --level ov --org "Alpha KK" --locality Chiyoda --state Tokyo --country JP --name ov2.alpha.example.jp 2>>"$W/issue.err" |
  serial_of)
sql "UPDATE certificates SET org_id = $ORG_A WHERE serial IN ('$SA1', '$SA2', '$SA3', '$SA4');
UPDATE certificates SET org_id = $ORG_B WHERE serial = '$SB';"
state() { sql "SELECT state FROM certificates WHERE serial = '$1'"; }

start_server "$D" || { not_ok "server"; it_done; }
url=$IT_URL
BODY=$W/body
login() { # LOGIN JAR
  local tok
  curl -s -c "$2" -b "$2" -o "$BODY" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$2" -b "$2" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
}
JA=$W/jar-a
login alice-c "$JA"
get() { code=$(curl -s -b "$JAR" -o "$BODY" -w '%{http_code}' "$url$1"); }
token() { grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//'; }
post() { # PATH FIELD=VALUE...
  local p=$1 args=()
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  code=$(curl -s -b "$JAR" -c "$JAR" -o "$BODY" -D "$W/hdr" -w '%{http_code}' \
    --data-urlencode "csrf=$TOK" "${args[@]}" "$url$p")
}
JAR=$JA
get "/certificates/$SA1"
check_eq "R-REV-1 the certificate page answers" 200 "$code"
check "R-REV-1 R-MNG-2 the page has the revocation form" grep -q 'id="revoke-form"' "$BODY"
check_eq "R-REV-1 the subscriber's reasons: BR 7.2.2 list without privilegeWithdrawn" \
  "unspecified keyCompromise affiliationChanged superseded cessationOfOperation" \
  "$(grep -o '<option value="[A-Za-z]*"' "$BODY" | sed 's/.*="//; s/"//' | grep -v '^pem$' |
    grep -E 'unspecified|Compromise|affiliation|superseded|cessation|privilege' | tr '\n' ' ' |
    sed 's/ $//')"
check "R-REV-1 no reason is the default (first option)" \
  grep -q '<select id="rev-reason" name="reason"><option value="unspecified">' "$BODY"
TOK=$(token)
TODAY=$(TZ=Asia/Tokyo date +%F)

post "/certificates/$SA1/revoke" reason=cACompromise date="$TODAY"
check_eq "R-REV-1 a reason outside the list is 400" 400 "$code"
check "R-REV-1 ... with a message naming it" grep -q '失効理由が正しくありません' "$BODY"
post "/certificates/$SA1/revoke" reason=privilegeWithdrawn date="$TODAY"
check_eq "R-REV-1 privilegeWithdrawn is not the subscriber's" 400 "$code"
post "/certificates/$SA1/revoke" reason=superseded date="$(TZ=Asia/Tokyo date -d '+90 days' +%F)"
check_eq "R-REV-1 a date past 60 days is 400" 400 "$code"
check "R-REV-1 ... saying the range" grep -q '60 日後まで' "$BODY"
post "/certificates/$SA1/revoke" reason=superseded date="$(TZ=Asia/Tokyo date -d '+61 days' +%F)"
check_eq "R-REV-1 the 61st day is past 60 days too (the form's max is the 60th)" 400 "$code"
post "/certificates/$SA1/revoke" reason=superseded date="$(TZ=Asia/Tokyo date -d '-1 day' +%F)"
check_eq "R-REV-1 yesterday (Japan) is 400" 400 "$code"
post "/certificates/$SA1/revoke" reason=superseded date=2026-13-45
check_eq "R-REV-1 a date that is not one is 400" 400 "$code"
post "/certificates/$SB/revoke" reason=superseded date="$TODAY"
check_eq "R-ACT-1 another organization's certificate is 404" 404 "$code"
check_eq "R-REV-1 nothing changed by the refusals" "issued issued issued" \
  "$(state "$SA1") $(state "$SA2") $(state "$SB")"
code=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code}' --data "reason=superseded" \
  "$url/certificates/$SA1/revoke")
check_eq "R-REV-1 without the CSRF token: refused" 403 "$code"

post "/certificates/$SA1/revoke" reason=superseded date="$TODAY"
check_eq "R-REV-1 today: revoked at once, 303" 303 "$code"
check "R-REV-1 ... back to the page with a banner" grep -qi "location: /certificates/$SA1?revoke=now" "$W/hdr"
check_eq "R-REV-1 the certificate is revoked" revoked "$(state "$SA1")"
check_eq "R-REV-1 with reason superseded (4)" 4 \
  "$(sql "SELECT revocation_reason FROM certificates WHERE serial = '$SA1'")"
get "/certificates/$SA1?revoke=now"
check "R-REV-1 the page confirms it" grep -q 'id="revoke-done"' "$BODY"
check "R-REV-1 and offers no second revocation" bash -c "! grep -q 'id=\"revoke-form\"' '$BODY'"

get "/certificates/$SA2"
TOK=$(token)
LATER=$(TZ=Asia/Tokyo date -d '+10 days' +%F)
post "/certificates/$SA2/revoke" reason=cessationOfOperation date="$LATER"
check_eq "R-REV-1 a later date: 303" 303 "$code"
check_eq "R-REV-1 the revocation is scheduled" revocation_scheduled "$(state "$SA2")"
check_eq "R-REV-1 the job cert.revoke waits for its date" 1 \
  "$(sql "SELECT COUNT(*) FROM jobs WHERE kind = 'cert.revoke' AND key = '$SA2' AND done = 0")"
get "/certificates/$SA2"
check "R-REV-1 the page shows the scheduled date" grep -q "id=\"revoke-scheduled\">失効予定日: $LATER" "$BODY"
check "R-REV-1 the status badge says 失効予定 with the date, not 有効" \
  grep -q "id=\"cert-status\">失効予定 ($LATER)<" "$BODY"
check "R-REV-1 and so does the info table" grep -q "<td>失効予定 ($LATER)</td>" "$BODY"
get "/certificates/$SA2?lang=en"
check "R-REV-1 in English too" grep -q 'Revocation scheduled for:' "$BODY"
check "R-REV-1 the English badge: Revocation scheduled (date)" \
  grep -q "id=\"cert-status\">Revocation scheduled ($LATER)<" "$BODY"

# ---- R-REV-1: withdrawing a scheduled revocation; OV requests wait for a phone call ----
TOK=$(token)
post "/certificates/$SA2/revoke/withdraw"
check_eq "R-REV-1 the customer withdraws the scheduled revocation: 303" 303 "$code"
check_eq "R-REV-1 ... the certificate is issued again" issued "$(state "$SA2")"
post "/certificates/$SA2/revoke/withdraw"
check_eq "R-REV-1 nothing left to withdraw: 409" 409 "$code"
check "R-REV-1 ... saying so" grep -q '取り下げられる失効申請や失効予約はありません' "$BODY"
post "/certificates/$SB/revoke/withdraw"
check_eq "R-ACT-1 withdrawing on another organization's certificate is 404" 404 "$code"
post "/certificates/$SA3/revoke" reason=superseded date="$TODAY"
check_eq "R-REV-1 an OV request: 303" 303 "$code"
check "R-REV-1 ... to the pending banner" grep -qi "location: /certificates/$SA3?revoke=pending" "$W/hdr"
check_eq "R-REV-1 ... not revoked before the phone confirmation" issued "$(state "$SA3")"
get "/certificates/$SA3"
check "R-REV-1 the page shows the pending request" grep -q 'id="revoke-pending"' "$BODY"
check "R-REV-1 ... and no second request form" bash -c "! grep -q 'id=\"revoke-form\"' '$BODY'"
post "/certificates/$SA4/revoke" reason=keyCompromise date="$TODAY"
check_eq "R-REV-1 an OV keyCompromise request waits too" issued "$(state "$SA4")"

# ---- the officer revokes directly ----
JO=$W/jar-o
login olga-o "$JO"
JAR=$JO
get "/certificates/$SB"
check_eq "R-REV-3 the officer sees the certificate" 200 "$code"
check "R-REV-3 the officer may choose privilegeWithdrawn" \
  grep -q '<option value="privilegeWithdrawn">' "$BODY"
TOK=$(token)
post "/certificates/$SB/revoke" reason=privilegeWithdrawn date=""
check_eq "R-REV-3 officer's direct revocation: 303" 303 "$code"
check_eq "R-REV-3 revoked with privilegeWithdrawn (9)" "revoked 9" \
  "$(sql "SELECT state || ' ' || revocation_reason FROM certificates WHERE serial = '$SB'")"
get "/officer/revocations"
check_eq "R-REV-3 the officer's revocation queue answers" 200 "$code"
check "R-REV-3 ... keyCompromise (24 hours) first" bash -c \
  "grep -o 'data-serial=\"[0-9a-f]*\"' '$BODY' | head -1 | grep -q '$SA4'"
# The time left as the page wrote it (hours, minutes) for the request of each deadline: a
# request made a moment ago shows 23 h 5x min (keyCompromise) or 119 h 5x min; the page
# is read within ten minutes of the request, so the hours are exact.
LEFT=$(grep -o '残り [0-9]* 時間 [0-9]* 分' "$BODY" | sed 's/ 時間 [0-9]* 分//; s/残り //' | tr '\n' ' ')
check_eq "R-REV-3 ... with the deadline counted down (hours left: 24 h and 5 days)" \
  "23 119 " "$(echo "$LEFT" | sed -E 's/\b24\b/23/; s/\b120\b/119/')"
check "R-REV-3 ... in hours and minutes" grep -qE '残り (23|24) 時間 [0-9]{2} 分' "$BODY"
RID=$(sql "SELECT id FROM revocation_requests WHERE serial = '$SA3' AND state = 'pending'")
TOK=$(token)
post "/officer/revocations/$RID/confirm" contact="" called_at="" note=x
check_eq "R-REV-1 the call must name who answered: 400" 400 "$code"
check "R-REV-1 ... saying so" grep -q '電話で確認した相手' "$BODY"
post "/officer/revocations/$RID/confirm" contact="Alice" called_at="2999-01-01 10:00" note=x
check_eq "R-REV-1 a call in the future: 400" 400 "$code"
check_eq "R-REV-1 ... nothing changed" "issued pending" \
  "$(state "$SA3") $(sql "SELECT state FROM revocation_requests WHERE id = $RID")"
post "/officer/revocations/$RID/confirm" contact="Alice (registered number)" called_at="" \
  note="confirmed the request"
check_eq "R-REV-1 the officer records the call: 303" 303 "$code"
check_eq "R-REV-1 ... and the certificate is revoked" "revoked 4" \
  "$(sql "SELECT state || ' ' || revocation_reason FROM certificates WHERE serial = '$SA3'")"
check_eq "R-REV-1 ... who, when and the note are kept" "Alice (registered number)|confirmed the request|1" \
  "$(sql "SELECT phone_contact || '|' || phone_note || '|' || (phone_at > 0) FROM revocation_requests WHERE id = $RID")"
check_eq "R-REV-1 ... audited" 1 \
  "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'cert.revocation_confirmed' AND object = 'cert:$SA3'")"
check "R-REV-3 every revocation is audited" test "$(sql "SELECT COUNT(*) FROM audit_log WHERE
  action IN ('cert.revoke', 'cert.revocation_scheduled')")" -eq 4
check "R-REV-3 the audit log verifies" bash -c "'$S' audit verify --dir '$D' >/dev/null 2>&1"
it_done
