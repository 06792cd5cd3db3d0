#!/usr/bin/env bash
# Mass revocation (issue 9 item 4, BR SC-089; R-REV-3, R-REV-2): `shomei revoke --ca LEVEL
# --issued-between FROM TO --reason R` revokes every certificate of that issuing CA issued in
# the window in one run, audited one by one, leaves the others alone, and the next CRL lists
# them all. N certificates (default 1,000; bench/mass_revoke.sh runs 10,000). Bad input
# (unknown CA level, FROM after TO, a malformed date) is refused with exit 2 and changes
# nothing.
. "$(dirname "$0")/lib.sh"

N=${MASS_REVOKE_N:-1000}
test_ca_init --set revocation.crl_check_seconds=1
count_state() { # STATE
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then
    psql -qtA "$SHOMEI_TEST_PG_URL" -c "SELECT COUNT(*) FROM certificates WHERE state = '$1'"
  else
    sqlite3 -batch "$D/shomei.db" "SELECT COUNT(*) FROM certificates WHERE state = '$1'"
  fi
}
sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -qtA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}

# N DV certificates in one batch run (one key, N names), and one OV certificate
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
  -out "$W/c.csr" -subj /CN=m1.example.com 2>/dev/null
for i in $(seq 1 "$N"); do echo "$W/c.csr m$i.example.com"; done >"$W/batch.txt"
"$S" issue --dir "$D" --batch "$W/batch.txt" --level dv --threads 2 >/dev/null 2>"$W/issue.err" ||
  { not_ok "batch issuance"; sed 's/^/# /' "$W/issue.err" | tail -5; it_done; }
"$S" issue --dir "$D" --csr "$W/c.csr" --level ov --org "Alpha KK" --locality Chiyoda \
  --state Tokyo --country JP --name ov.example.com >/dev/null 2>>"$W/issue.err"
check_eq "setup: $N DV and 1 OV certificates issued" $((N + 1)) "$(count_state issued)"
# one DV certificate issued before the window
OLD=$(sql "SELECT serial FROM certificates WHERE level = 'dv' ORDER BY id LIMIT 1")
sql "UPDATE certificates SET issued_at = issued_at - 40 * 86400 WHERE serial = '$OLD'" >/dev/null

TODAY=$(date -u +%F)
rc=0
"$S" revoke --dir "$D" --ca xx --issued-between "$TODAY" "$TODAY" --reason superseded \
  >/dev/null 2>"$W/e1" || rc=$?
check_eq "SC-089 an unknown CA level: exit 2" 2 "$rc"
check "SC-089 ... naming --ca" grep -q -- '--ca' "$W/e1"
rc=0
"$S" revoke --dir "$D" --ca dv --issued-between "$TODAY" 2020-01-01 --reason superseded \
  >/dev/null 2>"$W/e2" || rc=$?
check_eq "SC-089 FROM after TO: exit 2" 2 "$rc"
check "SC-089 ... naming --issued-between" grep -q -- '--issued-between' "$W/e2"
rc=0
"$S" revoke --dir "$D" --ca dv --issued-between 2026-02-31x "$TODAY" --reason superseded \
  >/dev/null 2>&1 || rc=$?
check_eq "SC-089 a malformed date: exit 2" 2 "$rc"
check_eq "SC-089 ... nothing revoked" 0 "$(count_state revoked)"

start_server "$D" || { not_ok "server"; it_done; }
t0=$(date +%s)
rc=0
"$S" revoke --dir "$D" --ca dv --issued-between "$TODAY" "$TODAY" --reason cessationOfOperation \
  >"$W/out" 2>"$W/err" || rc=$?
t1=$(date +%s)
check_eq "SC-089 the query form exits 0" 0 "$rc"
echo "# revoked $N in $((t1 - t0)) s"
check_eq "SC-089 all $N - 1 DV certificates of the window revoked in one run" $((N - 1)) \
  "$(count_state revoked)"
check_eq "SC-089 ... one line each" $((N - 1)) "$(grep -c ' revoked ' "$W/out")"
check_eq "SC-089 the one issued before the window and the OV one are left" "issued issued" \
  "$(sql "SELECT state FROM certificates WHERE serial = '$OLD'") $(sql "SELECT state FROM certificates WHERE level = 'ov'")"
check_eq "SC-089 every revocation audited" $((N - 1)) \
  "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'cert.revoke' AND actor = 'cli'")"
crl_has_all() {
  curl -fsS -o "$W/dv.crl" "$IT_URL/repository/dv.crl" || return 1
  [ "$(openssl crl -inform DER -in "$W/dv.crl" -noout -text 2>/dev/null |
    grep -c 'Serial Number:')" -eq $((N - 1)) ]
}
check "R-REV-2 the next CRL lists all $((N - 1)) (openssl crl -text)" wait_for 90 crl_has_all
check "R-REV-2 ... with reason cessationOfOperation" bash -c \
  "openssl crl -inform DER -in '$W/dv.crl' -noout -text | grep -q 'Cessation Of Operation'"
it_done
