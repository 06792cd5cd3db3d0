#!/usr/bin/env bash
# Revocation and CRLs (issue 9 items 4 and 5), checked with openssl as the outside verifier.
# R-REV-3: `shomei revoke` (one serial and --batch) revokes now or schedules, refuses
# reasons outside BR 7.2.2, unknown serials, revoked certificates and dates past 60 days,
# and each revocation is in the verified audit log. R-CSR-1: a key revoked for
# keyCompromise is refused for every later certificate. R-REV-2: the server's CRL job
# signs a full CRL per issuing CA at the CDP URL the certificates carry, re-signs it
# after a revocation with a greater CRL number; `openssl crl -verify` accepts it, the
# reason codes are only those allowed (unspecified = no reasonCode), nextUpdate is at
# most 10 days on, SHA-256, AKI; `openssl verify -crl_check` says revoked.
. "$(dirname "$0")/lib.sh"

# The CDP in the certificates (written by `shomei issue`) and the Issuing Distribution
# Point of the CRL (signed by the server, whose base URL follows its port) must name the
# same URL: a fixed repository URL, as a production CA has.
R=http://repo.shomei.test/repository
test_ca_init --set revocation.crl_check_seconds=1 --set "ca.repository_url=$R"

chain() { # LEVEL ROOT -> $W/LEVEL-ROOT-int.pem (issuing CA) and -root.pem
  "$S" ca chain --dir "$D" --level "$1" --root "$2" >"$W/$1-$2.pem"
  awk -v a="$W/$1-$2-int.pem" -v b="$W/$1-$2-root.pem" \
    '/BEGIN/{n++} {print > (n == 1 ? a : b)}' "$W/$1-$2.pem"
}
chain dv a
chain dv b
issue() { # NAME -> $W/NAME.pem, serial in $W/NAME.serial
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$1.key" \
    -out "$W/$1.csr" -subj "/CN=$1.example.com" 2>/dev/null
  "$S" issue --dir "$D" --csr "$W/$1.csr" --name "$1.example.com" --level dv \
    >"$W/$1.pem" 2>"$W/$1.err" || return 1
  openssl x509 -in "$W/$1.pem" -noout -serial | cut -d= -f2 >"$W/$1.serial"
}
for n in kc sup none good sched b1 b2; do
  issue $n || not_ok "issue $n: $(cat "$W/$n.err")"
done
ser() { cat "$W/$1.serial"; }

cdp=$(openssl x509 -in "$W/good.pem" -noout -ext crlDistributionPoints | grep -o 'URI:.*' |
  sed 's/^URI://')
check "R-REV-2 the CDP names the level's CRL in the repository" \
  grep -q '/repository/dv\.crl$' <<<"$cdp"

start_server "$D" || { not_ok "server"; it_done; }
fetch_crl() { # -> $W/dv.crl (DER) and $W/dv.crl.pem, text in $W/dv.txt
  curl -fsS -o "$W/dv.crl" "$IT_URL/repository/dv.crl" || return 1
  openssl crl -inform DER -in "$W/dv.crl" -out "$W/dv.crl.pem" 2>/dev/null || return 1
  openssl crl -in "$W/dv.crl.pem" -noout -text >"$W/dv.txt" 2>/dev/null
}
crl_number() { grep -A1 'X509v3 CRL Number' "$W/dv.txt" | tail -1 | tr -d ' '; }
check "R-REV-2 a CRL exists soon after start (BR 4.9.7: within 24 h of the first issuance)" \
  wait_for 30 fetch_crl
n1=$(crl_number)
check "R-REV-2 CRL verifies with the issuing CA (openssl crl -verify)" \
  bash -c "openssl crl -in '$W/dv.crl.pem' -CAfile '$W/dv-a-int.pem' -noout -verify 2>&1 |
    grep -q 'verify OK'"
check_eq "R-REV-2 CRL served as application/pkix-crl" "application/pkix-crl" \
  "$(curl -s -o /dev/null -w '%{content_type}' "$IT_URL/repository/dv.crl")"
check "R-REV-2 no revoked certificates yet" grep -q 'No Revoked Certificates' "$W/dv.txt"
# issue 13: every node serves the CRL the database holds, whichever node signed it (the
# file in DIR/repository is a copy for static publishing, not what /repository serves)
mv "$D/repository/dv.crl" "$W/dv.crl.file"
check "issue 13: the CRL is served from the database when this node wrote no file" bash -c \
  'curl -fsS "$1/repository/dv.crl" | cmp -s - "$2"' _ "$IT_URL" "$W/dv.crl"
mv "$W/dv.crl.file" "$D/repository/dv.crl"
json=$(curl -fsS "$IT_URL/crl-urls.json")
check "R-REV-2 the JSON array of full CRL URLs (CCADB) lists every level's CRL" \
  /usr/bin/python3 -c 'import json, sys; a = json.loads(sys.argv[1]); u = sys.argv[2]
assert len(a) == 3 and u + "/dv.crl" in a and u + "/ev.crl" in a, a' "$json" "$R"

# --- revocation by the operator ---
out=$("$S" revoke --dir "$D" --serial "$(ser kc)" --reason keyCompromise \
  --date "$(date -u -d '+20 days' +%F)" 2>&1)
check_eq "R-REV-3 revoke keyCompromise exits 0" 0 $?
check "R-REV-1 keyCompromise is revoked now whatever date was asked" grep -q ' revoked ' <<<"$out"
check "R-CSR-1 its key is put on the blocklist" grep -q 'key-blocked' <<<"$out"
"$S" revoke --dir "$D" --serial "$(ser sup)" --reason superseded >/dev/null 2>&1
check_eq "R-REV-3 revoke superseded exits 0" 0 $?
"$S" revoke --dir "$D" --serial "$(ser none)" --reason unspecified >/dev/null 2>&1
check_eq "R-REV-3 revoke without reason exits 0" 0 $?
out=$("$S" revoke --dir "$D" --serial "$(ser sched)" --reason cessationOfOperation \
  --date "$(date -u -d '+10 days' +%F)" 2>&1)
check "R-REV-1 a later date schedules the revocation" grep -q ' scheduled ' <<<"$out"

# --- refusals change nothing ---
"$S" revoke --dir "$D" --serial "$(ser good)" --reason cACompromise >/dev/null 2>&1
check_eq "R-REV-1 a reason outside BR 7.2.2 is a usage error" 2 $?
"$S" revoke --dir "$D" --serial "$(ser sup)" --reason superseded >/dev/null 2>"$W/again.err"
check_eq "R-REV-3 a revoked certificate cannot be revoked again" 1 $?
check "R-REV-3 ... and the message says why" grep -q 'is revoked' "$W/again.err"
"$S" revoke --dir "$D" --serial 0123456789abcdef --reason superseded >/dev/null 2>&1
check_eq "R-REV-3 an unknown serial is refused" 1 $?
"$S" revoke --dir "$D" --serial "$(ser good)" --reason superseded \
  --date "$(date -u -d '+90 days' +%F)" >/dev/null 2>"$W/late.err"
check_eq "R-REV-1 a date past 60 days is refused" 1 $?
check "R-REV-1 ... naming the date" grep -q 'date' "$W/late.err"
"$S" revoke --dir "$D" --serial "$(ser good)" >/dev/null 2>&1
check_eq "R-REV-3 no --reason is a usage error" 2 $?

# --- bulk (SC-089 mass revocation plan) ---
printf '# mass revocation\n%s\n\n%s\nfedcba9876543210\n' "$(ser b1)" "$(ser b2)" >"$W/batch"
out=$("$S" revoke --dir "$D" --batch "$W/batch" --reason superseded 2>"$W/batch.err")
check_eq "R-REV-3 --batch with an unknown serial exits 1" 1 $?
check_eq "R-REV-3 --batch revoked the two known serials" 2 "$(grep -c ' revoked ' <<<"$out")"
check "R-REV-3 --batch names the unknown serial" grep -q fedcba9876543210 "$W/batch.err"

# --- the CRL follows without anyone waiting for it ---
has_all() {
  fetch_crl && grep -qi "Serial Number: $(ser kc)" "$W/dv.txt" &&
    grep -qi "Serial Number: $(ser b2)" "$W/dv.txt"
}
check "R-REV-2 the CRL is re-signed after the revocations (job crl.sign)" wait_for 30 has_all
for n in sup none b1; do
  check "R-REV-2 CRL lists $n" grep -qi "Serial Number: $(ser $n)" "$W/dv.txt"
done
check "R-REV-2 CRL does not list the good or the scheduled certificate" \
  bash -c "! grep -qiE 'Serial Number: ($(ser good)|$(ser sched))' '$W/dv.txt'"
n2=$(crl_number)
check "R-REV-2 CRL number grew ($n1 -> $n2)" test "$((n2))" -gt "$((n1))"
entry() { awk -v s="$(ser "$1" | tr a-f A-F)" 'toupper($0) ~ "SERIAL NUMBER: " s {p=1; next}
  p && /Serial Number/ {exit} p' "$W/dv.txt"; }
check "R-REV-2 keyCompromise reason code" grep -q 'Key Compromise' <<<"$(entry kc)"
check "R-REV-2 superseded reason code" grep -q 'Superseded' <<<"$(entry sup)"
check "R-REV-2 unspecified has no reasonCode extension" \
  bash -c '! grep -q "Reason Code" <<<"$1"' _ "$(entry none)"
check "R-REV-2 only allowed reason codes on the CRL" \
  bash -c "! grep -A1 'Reason Code' '$W/dv.txt' | grep -vE 'Reason Code|Key Compromise|Superseded|Affiliation Changed|Cessation Of Operation|Privilege Withdrawn|^--' | grep -q ."
check "R-REV-2 CRL signed with SHA-256 (no SHA-1)" \
  grep -q 'Signature Algorithm: ecdsa-with-SHA256' "$W/dv.txt"
check "R-REV-2 CRL carries the AKI" grep -q 'Authority Key Identifier' "$W/dv.txt"
check "R-REV-2 one CRL (crl_shards_dv = 1): its critical IDP names the CDP of the certificates" \
  bash -c "grep -A2 'Issuing Distribution Point: critical' '$W/dv.txt' | grep -qF 'URI:$cdp'"
lu=$(date -u -d "$(grep 'Last Update' "$W/dv.txt" | sed 's/.*Update: //')" +%s)
nu=$(date -u -d "$(grep 'Next Update' "$W/dv.txt" | sed 's/.*Update: //')" +%s)
check "R-REV-2 nextUpdate at most 10 days after thisUpdate" \
  test $((nu - lu)) -gt 0 -a $((nu - lu)) -le 864000
check "R-REV-2 re-signed CRL verifies (openssl crl -verify)" \
  bash -c "openssl crl -in '$W/dv.crl.pem' -CAfile '$W/dv-a-int.pem' -noout -verify 2>&1 |
    grep -q 'verify OK'"
cverify() { # CERT ROOT -> openssl verify -crl_check output
  openssl verify -crl_check -CAfile "$W/dv-$2-root.pem" -untrusted "$W/dv-$2-int.pem" \
    -CRLfile "$W/dv.crl.pem" "$1" 2>&1
}
check "R-REV-2 openssl verify -crl_check: revoked (root A)" \
  grep -q 'certificate revoked' <<<"$(cverify "$W/kc.pem" a)"
check "R-REV-2 openssl verify -crl_check: revoked through the cross-certificate (root B)" \
  grep -q 'certificate revoked' <<<"$(cverify "$W/sup.pem" b)"
check "R-REV-2 openssl verify -crl_check: the good certificate is OK" \
  grep -q ': OK' <<<"$(cverify "$W/good.pem" a)"

# --- the compromised key is refused from now on ---
"$S" issue --dir "$D" --csr "$W/kc.csr" --name kc2.example.com --level dv >/dev/null \
  2>"$W/kc2.err"
check "R-CSR-1 a CSR with the compromised key is refused" test $? -ne 0
check "R-CSR-1 ... saying why (blocklist)" grep -qi 'block\|compromis' "$W/kc2.err"

check "R-REV-3 every revocation is in the verified audit log" \
  bash -c "'$S' audit verify --dir '$D' >/dev/null 2>&1"
it_done
