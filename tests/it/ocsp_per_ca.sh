#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-REV-2 (issue 9 item 6): OCSP per issuing CA. With [ca] ocsp_ov = false (ocsp_dv left at
# its default, true), a DV certificate names the responder in its AIA and gets "good" from
# it; an OV certificate carries no OCSP URL (its AIA has caIssuers only) and the responder
# answers "unauthorized" for its serial, while the CRL still covers it.
. "$(dirname "$0")/lib.sh"

ocsp_setup --set ca.ocsp_ov=false
"$S" ca chain --dir "$D" --level ov --root a >"$W/ov-chain.pem"
awk -v a="$W/ov-int.pem" '/BEGIN/{n++} n == 1 {print > a}' "$W/ov-chain.pem"
ocsp_issue dvc || not_ok "issue dv: $(cat "$W/dvc.err")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ovc.key" \
  -out "$W/ovc.csr" -subj "/CN=ovc.example.com" 2>/dev/null
"$S" issue --dir "$D" --csr "$W/ovc.csr" --name ovc.example.com --level ov --org "Test KK" \
  --locality Chiyoda --state Tokyo --country JP \
  >"$W/ovc.pem" 2>"$W/ovc.err" || not_ok "issue ov: $(cat "$W/ovc.err")"

dv_aia=$(openssl x509 -in "$W/dvc.pem" -noout -ext authorityInfoAccess 2>&1)
ov_aia=$(openssl x509 -in "$W/ovc.pem" -noout -ext authorityInfoAccess 2>&1)
check "R-REV-2 DV (OCSP on): the AIA names the responder" grep -q "OCSP - URI:$URL/ocsp" <<<"$dv_aia"
check "R-REV-2 OV (OCSP off): the AIA has no OCSP entry" \
  bash -c '! grep -q "OCSP" <<<"$1"' _ "$ov_aia"
check "R-REV-2 OV: the AIA still names its CA certificate" grep -q "CA Issuers" <<<"$ov_aia"

ocsp_serve
out=$(ocsp_ask -cert "$W/dvc.pem")
check "R-REV-2 DV: the responder answers good" grep -q "dvc.pem: good" <<<"$out"
out=$(openssl ocsp -issuer "$W/ov-int.pem" -cert "$W/ovc.pem" -url "$URL/ocsp" -resp_text 2>&1)
check "R-REV-2 OV: the responder answers unauthorized for the OV CA's serial" \
  grep -qi "unauthorized" <<<"$out"
check "R-REV-2 OV: no status for it" bash -c '! grep -q "ovc.pem: good" <<<"$1"' _ "$out"
check "the CRL of the OV CA is published" \
  wait_for 30 curl -fsS -o "$W/ov.crl" "$URL/repository/ov.crl"
it_done
