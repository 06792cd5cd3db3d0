#!/usr/bin/env bash
# OCSP responder throughput (issue 9 item 9; R-REV-2): wrk POSTs OCSP requests (no nonce,
# as browsers send them) for random serials out of N issued certificates (default 10,000)
# (a) against shomei (responses pre-signed by the CRL job, served from storage), (b) against
# the `openssl ocsp` responder on the same certificates (an index.txt in `openssl ca` format,
# -multi with one process per core, plus one), (c) against nginx serving one pre-made
# response file (one worker per core, as nobody when started by root; a POST is answered
# with the file through error_page 405). Goals: shomei >= 3x openssl ocsp and >= 0.6x
# nginx. One figure per line.
# wrk opens and closes one connection before measuring: the `openssl ocsp` responder spins
# forever on such a connection (issue 9 "Bad input") and, as a single process, then
# answers no one; with -multi the process that took it is ended as soon as it shows, so
# one process per core serves the measurement.
# Usage: bench/ocsp.sh SHOMEI_BINARY [N] [SECONDS]
set -euo pipefail
S=$(realpath "${1:?shomei binary}")
N=${2:-10000}
SECS=${3:-10}
REQS=$((N < 200 ? N : 200)) # distinct request bodies, random serials of the N
T=$(mktemp -d "${TMPDIR:-/tmp}/shomei-bench.XXXXXX")
PIDS=()
GROUPS_=() # openssl ocsp -multi makes its own process group (setpgid) for its workers
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for g in "${GROUPS_[@]}"; do kill -KILL -- "-$g" "$g" 2>/dev/null || true; done
  for p in "${PIDS[@]}" "${GROUPS_[@]}"; do wait "$p" 2>/dev/null || true; done
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
RATE_HOOK=:
rate() { # URL -> requests/s (non-2xx counted by wrk as errors are reported on stderr)
  wrk -t2 -c16 -d"${SECS}s" -s "$T/post.lua" "$1" >"$T/wrk.out" 2>&1 &
  local w=$!
  $RATE_HOOK
  wait "$w" || true
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

# (b) openssl ocsp on the same certificates: index.txt (`openssl ca` format; its subjects must
# be unique, or openssl refuses the index and never listens), a responder certificate of its own
C=$T/ossl
mkdir -p "$C"
sqlite3 -separator ' ' "$DB" "SELECT serial, not_after FROM certificates WHERE state = 'issued'" |
  /usr/bin/python3 -c '
import sys, time
for line in sys.stdin:
    s, na = line.split()
    h = s.upper()
    h = "0" + h if len(h) % 2 else h
    print("V\t%s\t\t%s\tunknown\t/CN=s%s" % (time.strftime("%y%m%d%H%M%SZ", time.gmtime(int(na))), h, h))
' >"$C/index.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/rsp.key" \
  -out "$C/rsp.crt" -subj "/CN=Bench OCSP" -days 30 2>/dev/null
P2=$(free_port)
CORES=$(nproc)
openssl ocsp -index "$C/index.txt" -port "$P2" -rsigner "$C/rsp.crt" -rkey "$C/rsp.key" \
  -CA "$T/int.pem" -nmin 60 -multi "$((CORES + 1))" >"$C/ocsp.log" 2>&1 &
GROUPS_+=("$!")
for _ in $(seq 1 50); do
  curl -s -o "$C/check.der" --data-binary @"$T/req/1.der" \
    -H 'Content-Type: application/ocsp-request' "http://127.0.0.1:$P2/ocsp" && break
  sleep 0.2
done
openssl ocsp -respin "$C/check.der" -issuer "$T/int.pem" -serial "0x$(head -1 "$T/serials.txt")" \
  -noverify >"$C/check.txt" 2>&1 || true
grep -q ": good" "$C/check.txt" ||
  { echo "openssl ocsp does not answer good" >&2; cat "$C/check.txt" "$C/ocsp.log" >&2; exit 1; }
# wrk's opening connection leaves one responder process spinning, holding the socket in
# CLOSE_WAIT: that process (one of ours) is ended as soon as it shows.
free_spinner() {
  for _ in $(seq 1 40); do
    sp=$(ss -Htnp state close-wait "( sport = :$P2 )" 2>/dev/null | grep -o 'pid=[0-9]*' |
      cut -d= -f2 | sort -u)
    if [ -n "$sp" ]; then
      for p in $sp; do kill -KILL "$p" 2>/dev/null || true; done
      return 0
    fi
    sleep 0.05
  done
}
free_spinner_bg() { free_spinner & }
RATE_HOOK=free_spinner_bg
r_ossl=$(rate "http://127.0.0.1:$P2")
RATE_HOOK=:
if [ -z "$r_ossl" ]; then
  echo "openssl ocsp: wrk measured nothing:" >&2
  tail -5 "$T/wrk.out" >&2
  r_ossl=0.001
fi

# (c) nginx serving one pre-made response file. Its workers run as nobody (the master only
# reads the configuration and binds), so the files they read are world-readable; a POST to
# a static file is 405 in nginx, turned into the file itself by error_page.
G=$T/nginx
mkdir -p "$G/www" "$G/tmp" "$G/logs"
openssl ocsp -issuer "$T/int.pem" -url "http://127.0.0.1:$P1/ocsp" \
  -serial "0x$(head -1 "$T/serials.txt")" -no_nonce -respout "$G/www/ocsp" >/dev/null 2>&1 || true
chmod 755 "$T" "$G" "$G/www"
chmod 644 "$G/www/ocsp"
P3=$(free_port)
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user nobody nogroup;"
cat >"$G/nginx.conf" <<NGX
$USER_LINE
worker_processes $CORES;
pid $G/nginx.pid;
error_log $G/logs/error.log;
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
    root $G/www;
    location = /ocsp {
      default_type application/ocsp-response;
      error_page 405 =200 \$uri;
    }
  }
}
NGX
nginx -c "$G/nginx.conf" -g 'daemon off;' -p "$G" 2>"$G/start.err" &
PIDS+=("$!")
for _ in $(seq 1 50); do
  curl -fsS -X POST --data-binary @"$T/req/1.der" -o "$G/check.der" \
    "http://127.0.0.1:$P3/ocsp" 2>/dev/null && break
  sleep 0.2
done
cmp -s "$G/check.der" "$G/www/ocsp" ||
  { echo "nginx does not serve the file:" >&2; cat "$G/start.err" "$G/logs/error.log" >&2; exit 1; }
r_nginx=$(rate "http://127.0.0.1:$P3")

awk -v n="$N" -v p="$presigned" -v a="$r_shomei" -v b="$r_ossl" -v c="$r_nginx" -v s="$SECS" -v k="$CORES" 'BEGIN {
  printf "certificates: %d issued, %d responses pre-signed; wrk -t2 -c16 %ds, random serials; %d cores\n", n, p, s, k
  printf "shomei: %.0f requests/s\n", a
  printf "openssl ocsp -multi %d (one process lost to the opening connection of wrk): %.0f requests/s\n", k + 1, b
  printf "nginx (one static response): %.0f requests/s\n", c
  printf "shomei / openssl ocsp: %.2fx (goal >= 3x)\n", a / b
  printf "shomei / nginx: %.2fx (goal >= 0.6x)\n", a / c
}'
