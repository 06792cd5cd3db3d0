#!/usr/bin/env bash
# OCSP responder throughput (issue 9 item 9; R-REV-2): wrk POSTs OCSP requests (no nonce,
# as browsers send them) for random serials out of N issued certificates (default 10,000)
# (a) against shomei (responses pre-signed by the CRL job, served from storage), (b) against
# the `openssl ocsp` responder on the same certificates (index.txt, one process, as
# operators run it), (c) against nginx serving one pre-made response file. Goals: shomei
# >= 3x openssl ocsp and >= 0.6x nginx. One figure per line.
# Usage: bench/ocsp.sh SHOMEI_BINARY [N] [SECONDS]
set -euo pipefail
S=$(realpath "${1:?shomei binary}")
N=${2:-10000}
SECS=${3:-10}
REQS=200 # distinct request bodies, random serials of the N
T=$(mktemp -d "${TMPDIR:-/tmp}/shomei-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
export SHOMEI_CA_PASSPHRASE=bench-passphrase
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(free_port)
D=$T/shomei
"$S" init --dir "$D" --test-ca --set "ca.ocsp_url=http://127.0.0.1:$P1/ocsp" \
  --set revocation.crl_check_seconds=1 >/dev/null
"$S" ca chain --dir "$D" --level dv --root a >"$T/chain.pem"
awk -v a="$T/int.pem" '/BEGIN/{n++} n == 1 {print > a}' "$T/chain.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -out "$T/c.csr" -subj /CN=o.example.com 2>/dev/null
for i in $(seq 1 "$N"); do echo "$T/c.csr o$i.example.com"; done >"$T/batch.txt"
"$S" issue --dir "$D" --batch "$T/batch.txt" --level dv --threads 2 >/dev/null 2>"$T/issue.err" ||
  { tail -3 "$T/issue.err" >&2; exit 1; }
DB=$D/shomei.db

# request bodies for random serials, and the wrk script that posts them at random
mkdir -p "$T/req"
sqlite3 "$DB" "SELECT serial FROM certificates WHERE state = 'issued' ORDER BY random()
  LIMIT $REQS" >"$T/serials.txt"
i=0
while read -r s; do
  i=$((i + 1))
  openssl ocsp -issuer "$T/int.pem" -serial "0x$s" -no_nonce -reqout "$T/req/$i.der" \
    >/dev/null 2>&1
done <"$T/serials.txt"
cat >"$T/post.lua" <<LUA
local bodies = {}
for i = 1, $REQS do
  local f = io.open("$T/req/" .. i .. ".der", "rb")
  bodies[i] = f:read("*a")
  f:close()
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
request = function()
  return wrk.format(nil, "/ocsp", nil, bodies[math.random(#bodies)])
end
LUA
rate() { # URL -> requests/s (non-2xx counted by wrk as errors are reported on stderr)
  wrk -t2 -c16 -d"${SECS}s" -s "$T/post.lua" "$1" >"$T/wrk.out" 2>&1
  if grep -q 'Non-2xx' "$T/wrk.out"; then grep 'Non-2xx' "$T/wrk.out" >&2; fi
  awk '/Requests\/sec/ {print $2}' "$T/wrk.out"
}

# (a) shomei, after the CRL job has pre-signed every response
"$S" serve --dir "$D" --port "$P1" >"$T/serve.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 600); do
  [ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM ocsp_responses" 2>/dev/null || echo 0)" -ge "$N" ] && break
  sleep 0.5
done
presigned=$(sqlite3 "$DB" "SELECT COUNT(*) FROM ocsp_responses")
openssl ocsp -issuer "$T/int.pem" -CAfile "$T/chain.pem" -url "http://127.0.0.1:$P1/ocsp" \
  -serial "0x$(head -1 "$T/serials.txt")" -no_nonce 2>&1 | grep -q ': good' ||
  { echo "shomei does not answer good" >&2; exit 1; }
r_shomei=$(rate "http://127.0.0.1:$P1")

# (b) openssl ocsp on the same certificates: index.txt, a responder certificate of its own
C=$T/ossl
mkdir -p "$C"
sqlite3 -separator ' ' "$DB" "SELECT serial, not_after FROM certificates WHERE state = 'issued'" |
  /usr/bin/python3 -c '
import sys, time
for line in sys.stdin:
    s, na = line.split()
    h = s.upper()
    h = "0" + h if len(h) % 2 else h
    print("V\t%s\t\t%s\tunknown\t/CN=x" % (time.strftime("%y%m%d%H%M%SZ", time.gmtime(int(na))), h))
' >"$C/index.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/rsp.key" \
  -out "$C/rsp.crt" -subj "/CN=Bench OCSP" -days 30 2>/dev/null
P2=$(free_port)
openssl ocsp -index "$C/index.txt" -port "$P2" -rsigner "$C/rsp.crt" -rkey "$C/rsp.key" \
  -CA "$T/int.pem" -nmin 60 >"$C/ocsp.log" 2>&1 &
PIDS+=("$!")
sleep 1
r_ossl=$(rate "http://127.0.0.1:$P2")
if [ -z "$r_ossl" ]; then
  echo "openssl ocsp: wrk measured nothing:" >&2
  tail -5 "$T/wrk.out" >&2
  r_ossl=0.001
fi

# (c) nginx serving one pre-made response file
G=$T/nginx
mkdir -p "$G"
openssl ocsp -issuer "$T/int.pem" -url "http://127.0.0.1:$P1/ocsp" \
  -serial "0x$(head -1 "$T/serials.txt")" -no_nonce -respout "$G/resp.der" >/dev/null 2>&1 || true
P3=$(free_port)
cat >"$G/nginx.conf" <<NGX
worker_processes 2;
pid $G/nginx.pid;
error_log $G/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $G/tmp;
  proxy_temp_path $G/tmp;
  fastcgi_temp_path $G/tmp;
  uwsgi_temp_path $G/tmp;
  scgi_temp_path $G/tmp;
  server {
    listen 127.0.0.1:$P3;
    location = /ocsp { error_page 405 =200 /resp.der; return 405; }
    location = /resp.der { root $G; default_type application/ocsp-response; }
  }
}
NGX
mkdir -p "$G/tmp"
nginx -c "$G/nginx.conf" -g 'daemon off;' -p "$G" 2>"$G/start.err" &
PIDS+=("$!")
sleep 1
curl -fsS -X POST --data-binary @"$T/req/1.der" -o "$G/check.der" "http://127.0.0.1:$P3/ocsp" &&
  cmp -s "$G/check.der" "$G/resp.der" || { echo "nginx does not serve the file" >&2; exit 1; }
r_nginx=$(rate "http://127.0.0.1:$P3")

awk -v n="$N" -v p="$presigned" -v a="$r_shomei" -v b="$r_ossl" -v c="$r_nginx" -v s="$SECS" 'BEGIN {
  printf "certificates: %d issued, %d responses pre-signed; wrk -t2 -c16 %ds, random serials\n", n, p, s
  printf "shomei: %.0f requests/s\n", a
  printf "openssl ocsp: %.0f requests/s\n", b
  printf "nginx (one static response): %.0f requests/s\n", c
  printf "shomei / openssl ocsp: %.2fx (goal >= 3x)\n", a / b
  printf "shomei / nginx: %.2fx (goal >= 0.6x)\n", a / c
}'
