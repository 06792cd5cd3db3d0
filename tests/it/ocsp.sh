#!/usr/bin/env bash
# OCSP responder (issue 9 item 6), checked with the openssl ocsp client. R-REV-2: the
# AIA of certificates names the responder when [ca] ocsp_url is set; POST and GET
# (RFC 6960 A.1) answer good for an issued certificate, revoked with time and reason for a
# revoked one, and never good for a serial that was not issued (unknown, BR 4.9.10);
# responses are signed by a delegated responder per issuing CA (id-kp-OCSPSigning,
# ocsp-nocheck) that openssl accepts, with thisUpdate/nextUpdate 8 h .. 10 days apart;
# garbage gets malformedRequest, an oversized request 413, and the server keeps serving.
# Issue 9 "Bad input": certificates, truncated requests, trailing bytes and impossible DER
# lengths are malformedRequest; an oversized GET and a huge Content-Length are 413 (the
# latter before any body); dozens of connections that open and close, stall half-way
# through a request or its body, or reset, never keep another client waiting.
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

# issue 9 "Bad input": more malformed requests, each malformedRequest (never a crash), and
# oversized ones refused before their body is read
openssl x509 -in "$W/good.pem" -outform DER -out "$W/cert.der"
post_mal() { curl -s -o "$W/m.der" -H 'Content-Type: application/ocsp-request' \
  --data-binary @"$1" "$URL/ocsp"; mal "$W/m.der"; }
check_eq "issue 9 bad input: a certificate posted instead of a request is malformedRequest" \
  "30030a0101" "$(post_mal "$W/cert.der")"
head -c 40 "$W/req.der" >"$W/trunc.der"
check_eq "issue 9 bad input: a truncated request is malformedRequest" "30030a0101" \
  "$(post_mal "$W/trunc.der")"
cat "$W/req.der" "$W/req.der" >"$W/twice.der"
check_eq "issue 9 bad input: a request with bytes after it is malformedRequest" "30030a0101" \
  "$(post_mal "$W/twice.der")"
printf '\x30\x84\xff\xff\xff\xff' >"$W/huge-len.der"
check_eq "issue 9 bad input: a DER length past the body is malformedRequest" "30030a0101" \
  "$(post_mal "$W/huge-len.der")"
long=$(head -c 12000 /dev/zero | base64 -w0)
check_eq "issue 9 bad input: an oversized GET is refused (413)" 413 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$URL/ocsp/$long")"
big_head=$(/usr/bin/python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $PORT), timeout=5)
s.sendall(b'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n'
          b'Content-Length: 50000000\r\n\r\n')
try:
    print(s.recv(64).split(b' ')[1].decode())
except Exception:
    print('none')
s.close()")
check_eq "issue 9 bad input: a 50 MB Content-Length is refused without its body (413)" 413 \
  "$big_head"

# issue 9 "Bad input": 24 connections from other loopback addresses that open and close
# without a request, 24 that send half a request and stall, 12 that stop inside the body and
# 12 that reset; meanwhile the openssl ocsp client answers within 3 seconds, three times
/usr/bin/python3 - "$PORT" "$W/stall.ready" <<'PY' &
import socket, struct, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
held = []
def conn(i):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i % 6), 0))
    s.connect(("127.0.0.1", port))
    return s
for i in range(24):
    conn(i).close()
for i in range(24):
    s = conn(i)
    s.sendall(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n")
    held.append(s)
for i in range(12):
    s = conn(i)
    s.sendall(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n0\x82\x01")
    held.append(s)
for i in range(12):
    s = conn(i)
    s.sendall(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Len")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
open(ready, "w").close()
time.sleep(12)
for s in held:
    s.close()
PY
STALL=$!
IT_PIDS+=("$STALL")
wait_for 10 test -e "$W/stall.ready"
fast=0
for _ in 1 2 3; do
  t0=$(date +%s%N)
  out=$(timeout 5 openssl ocsp -issuer "$W/int.pem" -CAfile "$W/chain.pem" -url "$URL/ocsp" \
    -cert "$W/good.pem" 2>&1)
  ms=$((($(date +%s%N) - t0) / 1000000))
  grep -q "good.pem: good" <<<"$out" && [ "$ms" -lt 3000 ] && fast=$((fast + 1))
done
check_eq "issue 9 bad input: 72 idle, half-sent and reset connections block no other client (3 answers, each < 3 s)" \
  3 "$fast"
kill "$STALL" 2>/dev/null
wait "$STALL" 2>/dev/null
check "issue 9 bad input: the server is still running" curl -fsS -o /dev/null "$URL/healthz"
it_done
