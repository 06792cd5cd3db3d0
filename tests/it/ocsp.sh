#!/usr/bin/env bash
# OCSP responder (issue 9 item 6), checked with the openssl ocsp client. R-REV-2: the
# AIA of certificates names the responder when [ca] ocsp_url is set; POST and GET
# (RFC 6960 A.1) answer good for an issued certificate, revoked with time and reason for a
# revoked one, and never good for a serial that was not issued (unknown, BR 4.9.10);
# responses are signed by a delegated responder per issuing CA (id-kp-OCSPSigning,
# ocsp-nocheck) that openssl accepts, with thisUpdate/nextUpdate 8 h .. 10 days apart;
# garbage gets malformedRequest, an oversized request 413, and the server keeps serving.
. "$(dirname "$0")/lib.sh"

ocsp_setup
for n in good rev; do ocsp_issue $n || not_ok "ocsp_issue $n: $(cat "$W/$n.err")"; done
check "R-REV-2 the AIA names the OCSP responder" \
  grep -q "OCSP - URI:$URL/ocsp" <<<"$(openssl x509 -in "$W/good.pem" -noout -text)"
"$S" revoke --dir "$D" --serial "$(openssl x509 -in "$W/rev.pem" -noout -serial | cut -d= -f2)" \
  --reason keyCompromise >/dev/null 2>&1 || not_ok "revoke"

ocsp_serve
out=$(ocsp_ask -cert "$W/good.pem")
check "R-REV-2 POST: good for an issued certificate" grep -q "good.pem: good" <<<"$out"
check "R-REV-2 the response verifies (delegated responder accepted by openssl)" \
  grep -q "Response verify OK" <<<"$out"
check "R-REV-2 the responder certificate has id-kp-OCSPSigning" grep -q "OCSP Signing" <<<"$out"
check "R-REV-2 the responder certificate has ocsp-nocheck" grep -q "OCSP No Check" <<<"$out"
check "R-REV-2 signed with SHA-256, no SHA-1" grep -q "Signature Algorithm: ecdsa-with-SHA256" \
  <<<"$out"
tu=$(date -u -d "$(grep -m1 'This Update' <<<"$out" | sed 's/.*Update: //')" +%s)
nu=$(date -u -d "$(grep -m1 'Next Update' <<<"$out" | sed 's/.*Update: //')" +%s)
check "R-REV-2 validity between 8 hours and 10 days" \
  test $((nu - tu)) -ge 28800 -a $((nu - tu)) -le 864000
check "R-REV-2 the nonce is echoed" grep -q "OCSP Nonce" <<<"$out"
out=$(ocsp_ask -cert "$W/rev.pem")
check "R-REV-2 POST: revoked for a revoked certificate" grep -q "rev.pem: revoked" <<<"$out"
check "R-REV-2 ... with the reason" grep -q "Reason: keyCompromise" <<<"$out"
check "R-REV-2 ... and the revocation time" grep -q "Revocation Time:" <<<"$out"
out=$(ocsp_ask -serial 0x7a11ce0000000001)
check "R-REV-2 BR 4.9.10: a never-issued serial is unknown, never good" \
  grep -q "0x7a11ce0000000001: unknown" <<<"$out"

# GET (RFC 6960 A.1): the base64 of the DER request in the path
openssl ocsp -issuer "$W/int.pem" -cert "$W/good.pem" -no_nonce -reqout "$W/req.der" \
  >/dev/null 2>&1
b64=$(base64 -w0 "$W/req.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
curl -fsS -o "$W/get.der" "$URL/ocsp/$b64"
check_eq "R-REV-2 GET answers" 0 $?
out=$(openssl ocsp -respin "$W/get.der" -issuer "$W/int.pem" -cert "$W/good.pem" \
  -CAfile "$W/chain.pem" 2>&1)
check "R-REV-2 GET: good, verified" bash -c 'grep -q "good.pem: good" <<<"$1" &&
  grep -q "Response verify OK" <<<"$1"' _ "$out"
check_eq "R-REV-2 answered as application/ocsp-response" "application/ocsp-response" \
  "$(curl -s -o /dev/null -w '%{content_type}' "$URL/ocsp/$b64")"

# bad input
mal() { xxd -p "$1" | tr -d '\n'; }
head -c 300 /dev/urandom >"$W/garbage"
curl -s -o "$W/mal.der" -H 'Content-Type: application/ocsp-request' --data-binary \
  @"$W/garbage" "$URL/ocsp"
check_eq "R-REV-2 garbage POST gets malformedRequest" "30030a0101" "$(mal "$W/mal.der")"
curl -s -o "$W/mal2.der" "$URL/ocsp/not-base64!!"
check_eq "R-REV-2 garbage GET gets malformedRequest" "30030a0101" "$(mal "$W/mal2.der")"
curl -s -o "$W/mal3.der" -X POST "$URL/ocsp"
check_eq "R-REV-2 empty POST gets malformedRequest" "30030a0101" "$(mal "$W/mal3.der")"
head -c 10000 /dev/zero >"$W/big"
check_eq "R-REV-2 an oversized request is refused (413)" 413 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/ocsp-request' \
    --data-binary @"$W/big" "$URL/ocsp")"
# a connection that opens and closes without a request does not stop the responder
python3 -c "import socket; s=socket.create_connection(('127.0.0.1', $PORT)); s.close()"
out=$(ocsp_ask -cert "$W/good.pem")
check "R-REV-2 still answering after an empty connection" grep -q "good.pem: good" <<<"$out"
# half a request that stalls does not block other clients either
/usr/bin/python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $PORT))
s.sendall(b'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n'
          b'Content-Length: 200\r\n\r\n0\x82')
time.sleep(6)
s.close()" &
STALL=$!
IT_PIDS+=("$STALL")
sleep 0.5
out=$(timeout 5 openssl ocsp -issuer "$W/int.pem" -CAfile "$W/chain.pem" -url "$URL/ocsp" \
  -cert "$W/rev.pem" 2>&1)
check "R-REV-2 answering while another client stalls half-way through a request" \
  grep -q "rev.pem: revoked" <<<"$out"
wait "$STALL" 2>/dev/null
it_done
