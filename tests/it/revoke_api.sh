#!/usr/bin/env bash
# Revocation through the REST API (R-API-1: "revoke" among what a customer can do in the
# portal; R-REV-1): POST /api/v1/certificates/:serial/revoke with the page form's reason and
# date, and .../revoke/withdraw. The same rules as the page: the subscriber's reasons of
# BR 7.2.2 only, dates today .. +60 days, DV at once or on the date, OV waiting for the
# officer's phone call, keyCompromise blocking the key; wrong input is 400 naming the field
# and changes nothing; another organization's certificate is 404 (R-ACT-1); every change is
# audited under the key's user.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --test-ca --set server.secure_cookies=false >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
DB=$D/shomei.db
sql() { sqlite3 -batch "$DB" "$@"; }
PW=Revoke-Api-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login alice-c --role customer --email alice@alpha.example.jp --name Alice --org-name Alpha
add --login bob-c --role customer --email bob@beta.example.jp --name Bob --org-name Beta
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'alice-c'")
ORG_B=$(sql "SELECT org_id FROM users WHERE login_id = 'bob-c'")
UID_A=$(sql "SELECT id FROM users WHERE login_id = 'alice-c'")
serial_of() { openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
issue() { # NAME KEYFILE [LEVEL ARGS...]
  local n=$1 k=$2
  shift 2
  [ $# -gt 0 ] || set -- --level dv
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$k.pem" \
    -out "$W/$k.csr" -subj "/CN=$n" 2>/dev/null
  "$S" issue --dir "$D" --csr "$W/$k.csr" --name "$n" "$@" 2>>"$W/issue.err" |
    serial_of
}
SA1=$(issue www.alpha.example.jp a1)
SA2=$(issue shop.alpha.example.jp a2)
SA3=$(issue mail.alpha.example.jp a3)
SA4=$(issue ov.alpha.example.jp a4 --level ov --org "Alpha KK" --locality Chiyoda --state Tokyo --country JP)
SB=$(issue www.beta.example.jp b1)
sql "UPDATE certificates SET org_id = $ORG_A WHERE serial IN ('$SA1', '$SA2', '$SA3', '$SA4');
UPDATE certificates SET org_id = $ORG_B WHERE serial = '$SB';"
check "five certificates issued" test -n "$SA1" -a -n "$SA2" -a -n "$SA3" -a -n "$SA4" -a -n "$SB"
state() { sql "SELECT state FROM certificates WHERE serial = '$1'"; }

start_server "$D" || { not_ok "server"; it_done; }
url=$IT_URL
BODY=$W/body
key_of() { # LOGIN: an API key made on the account page
  local jar=$W/jar-$1 tok
  curl -s -c "$jar" -b "$jar" -o "$BODY" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
  tok=$(curl -s -b "$jar" "$url/account/keys" | grep -o 'name="csrf" value="[^"]*"' | head -1 |
    sed 's/.*value="//; s/"$//')
  curl -s -b "$jar" --data-urlencode "csrf=$tok" --data-urlencode "label=revoke" \
    "$url/account/keys" | sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p'
}
A_KEY=$(key_of alice-c)
B_KEY=$(key_of bob-c)
check "A and B have API keys" test -n "$A_KEY" -a -n "$B_KEY"
api() { # KEY PATH [JSON]
  code=$(curl -s -X POST ${1:+-H "Authorization: Bearer $1"} -H 'Content-Type: application/json' \
    ${3:+--data-binary "$3"} -o "$BODY" -w '%{http_code}' "$url$2")
}
jq_() { jq -r "$1" "$BODY" 2>/dev/null; }
TODAY=$(TZ=Asia/Tokyo date +%F)
LATER=$(TZ=Asia/Tokyo date -d '+10 days' +%F)
TOO_LATE=$(TZ=Asia/Tokyo date -d '+61 days' +%F)
audits() { sql "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'cert.revo%'"; }
A0=$(audits)

# ---- refusals change nothing ----
api "" "/api/v1/certificates/$SA1/revoke" '{}'
check_eq "R-API-1 no API key: 401" 401 "$code"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" '{"reason": "cACompromise"}'
check_eq "R-REV-1 a reason outside the subscriber's list: 400" 400 "$code"
check_eq "R-REV-1 ... naming the field reason, in Japanese by default" \
  "reason 失効理由が正しくありません。一覧から選んでください。" "$(jq_ '.field + " " + .detail')"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke?lang=en" '{"reason": "cACompromise"}'
check_eq "R-REV-1 ... and in English when asked" \
  "The revocation reason is not valid. Choose one from the list." "$(jq_ .detail)"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" '{"reason": "privilegeWithdrawn"}'
check_eq "R-REV-1 privilegeWithdrawn is not the subscriber's: 400" "400 reason" "$code $(jq_ .field)"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" "{\"date\": \"$TOO_LATE\"}"
check_eq "R-REV-1 a date past 60 days: 400 naming date" "400 date" "$code $(jq_ .field)"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" '{"date": "2026/12/24"}'
check_eq "R-REV-1 a date not YYYY-MM-DD: 400 naming date" "400 date" "$code $(jq_ .field)"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" '{"reason": 1}'
check_eq "R-API-1 a reason of the wrong type: 400 naming the body" "400 body" "$code $(jq_ .field)"
check "R-API-1 ... saying which fields are strings" bash -c "jq -r .detail '$BODY' | grep -q 'reason と date は文字列'"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" '["keyCompromise"]'
check_eq "R-API-1 a body that is not an object: 400" 400 "$code"
api "$A_KEY" "/api/v1/certificates/$SB/revoke" '{"reason": "keyCompromise"}'
check_eq "R-ACT-1 another organization's certificate: 404" 404 "$code"
api "$A_KEY" "/api/v1/certificates/$SB/revoke/withdraw"
check_eq "R-ACT-1 ... and withdrawing on it: 404" 404 "$code"
api "$A_KEY" "/api/v1/certificates/abc123/revoke" '{}'
check_eq "R-API-1 an unknown serial: 404" 404 "$code"
api "$A_KEY" "/api/v1/certificates/not-hex/revoke" '{}'
check_eq "R-API-1 a serial that is not hex: 404" 404 "$code"
check_eq "R-REV-1 after the refusals every certificate is as it was, nothing audited" \
  "issued issued issued issued issued $A0" \
  "$(state "$SA1") $(state "$SA2") $(state "$SA3") $(state "$SA4") $(state "$SB") $(audits)"

# ---- DV: now, scheduled, withdrawn ----
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" '{"reason": "keyCompromise"}'
check_eq "R-REV-1 keyCompromise now: 202, revoked today, key blocked" \
  "202 $SA1 now $TODAY true" "$code $(jq_ '[.serial, .outcome, .date, .key_blocked] | join(" ")')"
check_eq "R-REV-1 ... revoked with keyCompromise (1)" "revoked 1" \
  "$(sql "SELECT state || ' ' || revocation_reason FROM certificates WHERE serial = '$SA1'")"
check_eq "R-REV-1 ... audited under the key's user" "user:$UID_A" \
  "$(sql "SELECT actor FROM audit_log WHERE action = 'cert.revoke' AND object = 'cert:$SA1'")"
api "$A_KEY" "/api/v1/certificates/$SA1/revoke" '{}'
check_eq "R-REV-1 a revoked certificate cannot be revoked again: 409 naming state" \
  "409 state" "$code $(jq_ .field)"
api "$A_KEY" "/api/v1/certificates/$SA2/revoke" "{\"reason\": \"cessationOfOperation\", \"date\": \"$LATER\"}"
check_eq "R-REV-1 a later date: 202 scheduled for it" "202 scheduled $LATER false" \
  "$code $(jq_ '[.outcome, .date, .key_blocked] | join(" ")')"
check_eq "R-REV-1 ... the certificate is scheduled" revocation_scheduled "$(state "$SA2")"
api "$A_KEY" "/api/v1/certificates/$SA2/revoke/withdraw"
check_eq "R-REV-1 withdrawn: 200" "200 $SA2 withdrawn" "$code $(jq_ '.serial + " " + .outcome')"
check_eq "R-REV-1 ... valid again" issued "$(state "$SA2")"
api "$A_KEY" "/api/v1/certificates/$SA2/revoke/withdraw"
check_eq "R-REV-1 nothing left to withdraw: 409" 409 "$code"
api "$A_KEY" "/api/v1/certificates/$SA3/revoke"
check_eq "R-API-1 no body at all: no reason, now" "202 now" "$code $(jq_ .outcome)"
check_eq "R-REV-1 ... revoked without a reason (0)" "revoked 0" \
  "$(sql "SELECT state || ' ' || revocation_reason FROM certificates WHERE serial = '$SA3'")"

# ---- OV: the request waits for the officer's call ----
api "$A_KEY" "/api/v1/certificates/$SA4/revoke" '{"reason": "superseded"}'
RID=$(sql "SELECT id FROM revocation_requests WHERE serial = '$SA4' AND state = 'pending'")
check_eq "R-REV-1 an OV request: 202 pending with its request" "202 pending $RID" \
  "$code $(jq_ '.outcome + " " + (.request_id | tostring)')"
check_eq "R-REV-1 ... not revoked before the phone confirmation" issued "$(state "$SA4")"
api "$A_KEY" "/api/v1/certificates/$SA4/revoke" '{"reason": "superseded"}'
check_eq "R-REV-1 a second request while one waits: 409" 409 "$code"
api "$A_KEY" "/api/v1/certificates/$SA4/revoke/withdraw"
check_eq "R-REV-1 the pending request withdrawn: 200" 200 "$code"
check_eq "R-REV-1 ... closed" withdrawn "$(sql "SELECT state FROM revocation_requests WHERE id = $RID")"

# ---- B's own certificate, B's key ----
api "$B_KEY" "/api/v1/certificates/$SB/revoke" '{"reason": "affiliationChanged"}'
check_eq "R-REV-1 B revokes its own certificate" "202 revoked 3" \
  "$code $(sql "SELECT state || ' ' || revocation_reason FROM certificates WHERE serial = '$SB'")"
check "R-REV-3 the audit log verifies" bash -c "'$S' audit verify --dir '$D' >/dev/null 2>&1"
it_done
