#!/usr/bin/env bash
# Pre-signed OCSP responses (issue 9 item 6; R-REV-2): the CRL job signs each certificate's
# response ahead of requests and re-signs it before half its validity has passed; requests
# without a nonce are served the stored response (byte-identical answers), requests with a
# nonce and certificates without a stored response (just issued) are signed on request,
# and a stored response that tells an older state (revoked since) is never served.
. "$(dirname "$0")/lib.sh"

ocsp_setup --set revocation.crl_check_seconds=1
sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -qtA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}
for n in good other; do ocsp_issue $n || not_ok "ocsp_issue $n: $(cat "$W/$n.err")"; done
serial() { openssl x509 -in "$W/$1.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' |
  sed 's/^0*//'; }

ocsp_serve
stored() { [ "$(sql "SELECT COUNT(*) FROM ocsp_responses")" -ge 2 ]; }
check "R-REV-2 the CRL job pre-signs the responses" wait_for 30 stored
out=$(ocsp_ask -cert "$W/good.pem" -no_nonce -respout "$W/r1.der")
check "R-REV-2 a request without a nonce: good" grep -q "good.pem: good" <<<"$out"
check "R-REV-2 ... the pre-signed response verifies" grep -q "Response verify OK" <<<"$out"
sleep 1.1
ocsp_ask -cert "$W/good.pem" -no_nonce -respout "$W/r2.der" >/dev/null
check "R-REV-2 ... served from storage (the same bytes a second later)" cmp -s "$W/r1.der" "$W/r2.der"
out=$(ocsp_ask -cert "$W/good.pem")
check "R-REV-2 a request with a nonce is signed on request (nonce echoed)" \
  grep -q "OCSP Nonce" <<<"$out"
ROW=$(sql "SELECT this_update || ' ' || next_update || ' ' || refresh_at FROM ocsp_responses WHERE serial = '$(serial good)'")
read -r TU NU RA <<<"$ROW"
check_eq "R-REV-2 refreshed at half its validity" $(((NU - TU) / 2)) $((RA - TU))
sql "UPDATE ocsp_responses SET refresh_at = 0 WHERE serial = '$(serial good)'" >/dev/null
refreshed() { [ "$(sql "SELECT refresh_at > 0 FROM ocsp_responses WHERE serial = '$(serial good)'")" = 1 ]; }
check "R-REV-2 a response due for refresh is re-signed by the job" wait_for 30 refreshed

# a certificate issued after the job ran: signed on request
ocsp_issue fresh || not_ok "issue fresh"
out=$(ocsp_ask -cert "$W/fresh.pem" -no_nonce)
check "R-REV-2 a just-issued certificate: good, signed on request" \
  grep -q "fresh.pem: good" <<<"$out"
# revoked since its response was stored: the stored 'good' is never served
"$S" revoke --dir "$D" --serial "$(serial other)" --reason keyCompromise >/dev/null 2>&1 ||
  not_ok "revoke"
out=$(ocsp_ask -cert "$W/other.pem" -no_nonce)
check "R-REV-2 revoked since pre-signing: revoked at once, not the stored good" \
  grep -q "other.pem: revoked" <<<"$out"
restored() { [ "$(sql "SELECT state FROM ocsp_responses WHERE serial = '$(serial other)'")" = revoked ]; }
check "R-REV-2 ... and the job re-signs it as revoked" wait_for 30 restored
it_done
