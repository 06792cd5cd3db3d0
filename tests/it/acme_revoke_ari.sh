#!/usr/bin/env bash
# Issue 10 items 2, 3 and 6 (R-ACME-1; RFC 8555 7.6, 7.3.5, 7.3.6; RFC 9773) over HTTPS
# served by shomei, with the scripted client (tests/it/acme_client.py lifecycle):
# revokeCert by the account key of the certificate's organization and by the certificate's
# own key, through the portal's revocation (ra/revoke: the CRL lists it), refused with
# unauthorized (another organization, another key), badRevocationReason, alreadyRevoked
# and malformed, each changing nothing; a deactivated account refused everywhere; keyChange
# to another account's key answered 409 with that account's Location; renewalInfo with its
# window in the last third of the validity, moved to now for a certificate with a revocation
# scheduled or revoked, malformed / 404 problems for bad and unknown certIDs; and
# `shomei acme ari-drill` / `ari-report` (the drilled windows start at the drill, the report
# shows per organization which certificates were replaced since). Runs on PostgreSQL too
# (tests/pg.sh bash tests/it/acme_revoke_ari.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/acme_setup.sh"
acme_need_cryptography
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
acme_init "$D" --test-ca
PW=Acme-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login acme-a --role customer --email a@a.example.jp --name "Acme A" --org-name "Org A"
add --login acme-b --role customer --email b@b.example.jp --name "Acme B" --org-name "Org B"
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'acme-a'")
ORG_B=$(sql "SELECT org_id FROM users WHERE login_id = 'acme-b'")
read -r KID_A KEY_A <<<"$(acme_eab "$ORG_A")"
read -r KID_B KEY_B <<<"$(acme_eab "$ORG_B")"
check "EAB credentials of both organizations" test -n "$KID_A" -a -n "$KID_B"

# certificates: a1..a4 of organization A (each its own key), b1 of B
serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
issue() { # NAME CN ORG
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$1.key" \
    -out "$W/$1.csr" -subj "/CN=$2" 2>/dev/null
  "$S" issue --dir "$D" --csr "$W/$1.csr" --level dv --name "$2" >"$W/$1.pem" 2>>"$W/issue.err"
  sql "UPDATE certificates SET org_id = $3 WHERE serial = '$(serial_of "$W/$1.pem")'" >/dev/null
}
issue a1 www1.a.example.jp "$ORG_A"
issue a2 www2.a.example.jp "$ORG_A"
issue a3 www3.a.example.jp "$ORG_A"
issue a4 www4.a.example.jp "$ORG_A"
issue b1 www.b.example.jp "$ORG_B"
for c in a1 a2 a3 a4 b1; do eval "S_$c=\$(serial_of \"\$W/\$c.pem\")"; done
check "five certificates issued" test -n "$S_a1" -a -n "$S_a2" -a -n "$S_a3" -a -n "$S_a4" -a -n "$S_b1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=x.example \
  -keyout "$W/foreign.key" -out "$W/foreign.pem" >/dev/null 2>&1
# a4: its revocation scheduled in ten days (as a reissue or a mass revocation does)
later=$(date -u -d '+10 days' +%Y-%m-%d)
"$S" revoke --dir "$D" --serial "$S_a4" --reason superseded --date "$later" >/dev/null 2>&1
check_eq "a4 has its revocation scheduled" revocation_scheduled \
  "$(sql "SELECT state FROM certificates WHERE serial = '$S_a4'")"

acme_serve

spec() { # PHASE [DRILL_AT]
  local certs="" c
  for c in a1 a2 a3 a4 b1 foreign; do
    certs="$certs\"$c\": {\"pem\": \"$W/$c.pem\", \"key\": \"$W/$c.key\"},"
  done
  printf '{"phase": "%s", "drill_at": %s, "kid_b": "%s", "key_b": "%s", "certs": {%s}}\n' \
    "$1" "${2:-0}" "$KID_B" "$KEY_B" "${certs%,}" >"$W/spec-$1.json"
}
client() {
  spec "$@"
  "$PY" "$here/acme_client.py" lifecycle "$url" "$D/tls.crt" "$KID_A" "$KEY_A" "$W/spec-$1.json" \
    2>"$IT_TMP/client-$1.err"
}
client before | tee "$IT_TMP/client-before.out"
check_eq "the scripted client passed every check (revokeCert, deactivation, ARI)" 0 "${PIPESTATUS[0]}"
[ -s "$IT_TMP/client-before.err" ] && sed 's/^/# /' "$IT_TMP/client-before.err" | tail -5

# what the requests changed, and what the refusals left
st() { sql "SELECT state || '|' || COALESCE(revocation_reason, -1) || '|' || COALESCE(revocation_source, '') FROM certificates WHERE serial = '$1'"; }
check_eq "issue 10 item 2: a1 revoked through ra/revoke: superseded, source acme" "revoked|4|acme" "$(st "$S_a1")"
check_eq "issue 10 item 2: a2 revoked by its key: keyCompromise" "revoked|1|acme" "$(st "$S_a2")"
check_eq "issue 10 item 2: a2's key is on the compromised-key blocklist" 1 \
  "$(sql "SELECT COUNT(*) FROM compromised_keys WHERE source = 'revocation:$S_a2'")"
check_eq "issue 10 item 2: a3 and b1 untouched by the refused requests" "issued|issued" \
  "$(sql "SELECT (SELECT state FROM certificates WHERE serial = '$S_a3') || '|' || (SELECT state FROM certificates WHERE serial = '$S_b1')")"
check_eq "issue 10 item 2: each revocation audited with the ACME actor" 2 \
  "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'cert.revoke' AND actor LIKE 'acme:%'")"
"$S" crl --dir "$D" --level dv >/dev/null 2>&1
curl -fsS --cacert "$D/tls.crt" -o "$W/dv.crl" "$url/repository/dv.crl"
openssl crl -inform DER -in "$W/dv.crl" -noout -text >"$W/dv.txt" 2>/dev/null
up() { tr 'a-f' 'A-F' <<<"$1"; }
check "issue 10 item 2: the CRL lists both certificates revoked over ACME" \
  bash -c "grep -qi 'Serial Number: 0*$(up "$S_a1")\$' '$W/dv.txt' && grep -qi 'Serial Number: 0*$(up "$S_a2")\$' '$W/dv.txt'"
"$S" ca chain --dir "$D" --level dv --root a >"$W/chain.pem"
awk -v a="$W/int.pem" '/BEGIN/{n++} n == 1 {print > a}' "$W/chain.pem"
ocsp() { # NAME: the OCSP responder's answer on certificate NAME, as text
  openssl ocsp -issuer "$W/int.pem" -cert "$W/$1.pem" -no_nonce -reqout "$W/$1.req" >/dev/null 2>&1
  curl -fsS --cacert "$D/tls.crt" -H 'Content-Type: application/ocsp-request' \
    --data-binary "@$W/$1.req" -o "$W/$1.resp" "$url/ocsp"
  openssl ocsp -respin "$W/$1.resp" -issuer "$W/int.pem" -cert "$W/$1.pem" \
    -CAfile "$W/chain.pem" -resp_text 2>&1
}
out=$(ocsp a1)
check "issue 10 item 2: OCSP answers revoked, superseded, for a1" \
  bash -c 'grep -q "a1.pem: revoked" <<<"$1" && grep -q "Reason: superseded" <<<"$1"' _ "$out"
check "issue 10 item 2: and good for a3" grep -q "a3.pem: good" <<<"$(ocsp a3)"

# item 6: the operator's drill
CA=$(sql "SELECT name FROM cas WHERE id = (SELECT ca_id FROM certificates WHERE serial = '$S_a3')")
yesterday=$(date -u -d '-1 day' +%Y-%m-%d)
tomorrow=$(date -u -d '+1 day' +%Y-%m-%d)
check_eq "ari-drill: a bad date is a usage error" 2 \
  "$("$S" acme ari-drill --dir "$D" --ca "$CA" --issued-before 2026-13-45 >/dev/null 2>&1; echo $?)"
check_eq "ari-drill: an unknown CA is refused (exit 1)" 1 \
  "$("$S" acme ari-drill --dir "$D" --ca no-such-ca --issued-before "$tomorrow" 2>"$W/drill.err" >/dev/null; echo $?)"
check "ari-drill: the refusal names the CA" grep -q "no CA called no-such-ca" "$W/drill.err"
check_eq "ari-drill: nothing issued before yesterday" "certificates 0" \
  "$("$S" acme ari-drill --dir "$D" --ca "$CA" --issued-before "$yesterday" | awk '{print $3, $4}')"
out=$("$S" acme ari-drill --dir "$D" --ca "$CA" --issued-before "$tomorrow" --org "$ORG_A")
check_eq "issue 10 item 6: ari-drill --org A takes A's valid certificates (a3, a4)" \
  "certificates 2" "$(awk '{print $3, $4}' <<<"$out")"
DRILL=$(awk '{print $2}' <<<"$out")
DRILL_AT=$(sql "SELECT created_at FROM acme_ari_drills WHERE id = $DRILL")
check_eq "issue 10 item 6: each drill is audited" 2 \
  "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'acme.ari.drill'")"
# a3 is replaced after the drill (a newer certificate of A with its common name)
issue a3new www3.a.example.jp "$ORG_A"
S_a3new=$(serial_of "$W/a3new.pem")
client after "$DRILL_AT" | tee "$IT_TMP/client-after.out"
check_eq "the scripted client passed the checks after the drill" 0 "${PIPESTATUS[0]}"
"$S" acme ari-report --dir "$D" >"$W/report.txt"
sed 's/^/# /' "$W/report.txt"
check "issue 10 item 6: ari-report: organization A, 1 of 2 replaced" \
  grep -q "^org $ORG_A Org A: replaced 1 of 2\$" "$W/report.txt"
check "issue 10 item 6: ari-report: a3 replaced by the new certificate" \
  grep -q "^  $S_a3 www3.a.example.jp $S_a3new\$" "$W/report.txt"
check "issue 10 item 6: ari-report: a4 not replaced" \
  grep -q "^  $S_a4 www4.a.example.jp not-replaced\$" "$W/report.txt"
check "issue 10 item 6: ari-report: organization B was not in the drill" \
  bash -c "! grep -q '^org $ORG_B ' '$W/report.txt'"
check "ari-report --drill of no drill fails" bash -c "! '$S' acme ari-report --dir '$D' --drill 999 >/dev/null 2>&1"
check "the audit chain verifies" "$S" audit verify --dir "$D"
it_done
