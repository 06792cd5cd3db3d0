#!/usr/bin/env bash
# Portal speed (issue 3 item 12, R-MNG-1): a customer organization with N certificates (each
# with its order), wrk against the first page of its certificate list with a logged-in
# cookie and against the API order-status call with a Bearer key; nginx serving a saved
# static copy of the same page is the peer. Goal: >= 0.3x nginx static, p99 < 50 ms.
# nginx runs as the current user in the foreground on a free loopback port with a config,
# pid file and logs in the temporary directory, and is stopped by its PID.
# Usage: bench/portal.sh SHOMEI_BINARY [N] [SECONDS]   One figure per line.
# PORTAL_BENCH_DATA=DIR keeps the prepared data directory there and reuses it on the next run
# with the same N (preparing 10,000 certificates takes most of a run's time).
set -euo pipefail
S=$(realpath "${1:?shomei binary}")
N=${2:-10000}
DUR=${3:-10}
T=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
export SHOMEI_CA_PASSPHRASE=bench-passphrase
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is not installed" >&2; exit 1; }
free_port() {
  python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0))
print(s.getsockname()[1]);s.close()'
}
wait_url() {
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# --- a data directory with N certificates of one customer organization ---
D=${PORTAL_BENCH_DATA:-$T/data}
PW=Bench-Horse-77
if [ -f "$D/prepared-$N" ]; then
  : # prepared by an earlier run with the same N
else
if [ -e "$D" ]; then
  echo "$D exists and is not a prepared bench directory for N=$N" >&2
  exit 1
fi
"$S" init --dir "$D" --demo --test-ca --set server.secure_cookies=false >"$T/init.log" 2>&1
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login bench-c \
  --role customer --email bench@bench-shop.example.jp --name "Bench" \
  --org-name "ベンチ商事株式会社" >/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -out "$T/c.csr" -subj /CN=www.bench-shop.co.jp 2>/dev/null
for i in $(seq 1 "$N"); do echo "$T/c.csr h$i.bench-shop.co.jp"; done >"$T/batch.txt"
"$S" issue --dir "$D" --batch "$T/batch.txt" --level ov --org "Bench Shoji KK" \
  --locality Chiyoda --state Tokyo --country JP --threads 2 >/dev/null 2>"$T/issue.err" ||
  { cat "$T/issue.err" >&2; exit 1; }
# The orders these certificates came from, the organization and spread-out expiry dates,
# in one transaction (there is no CLI for orders of operator-issued certificates).
sqlite3 -batch "$D/shomei.db" <<SQL
BEGIN;
INSERT INTO orders (id, receipt_no, kind, state, product_id, org_id, created_by, cn, names,
  root_option, applicant, notify_email1, server_software, created_at, updated_at, idem_key)
SELECT c.id, 'R20261129-' || printf('%05d', c.id), 'new', 'issued',
  (SELECT id FROM products WHERE code = 'ov-1y'),
  (SELECT org_id FROM users WHERE login_id = 'bench-c'),
  (SELECT id FROM users WHERE login_id = 'bench-c'), c.cn, '["' || c.cn || '"]', 'a',
  '{"org":{"name_ja":"ベンチ商事株式会社","name_en":"Bench Shoji KK","tdb_code":"987654321"},'
  || '"responsible":{"dept":"情報システム部"}}',
  'bench@bench-shop.example.jp', 'nginx', c.issued_at, c.issued_at, 'bench-' || c.id
FROM certificates c WHERE c.state = 'issued';
UPDATE certificates SET order_id = id,
  org_id = (SELECT org_id FROM users WHERE login_id = 'bench-c'),
  not_after = not_after - (id * 7919 % 180) * 86400 WHERE state = 'issued';
COMMIT;
SQL
count=$(sqlite3 "$D/shomei.db" "SELECT COUNT(*) FROM certificates WHERE org_id IS NOT NULL")
[ "$count" -eq "$N" ] || { echo "only $count of $N certificates prepared" >&2; exit 1; }
touch "$D/prepared-$N"
fi

# --- shomei serve and a logged-in customer ---
PORT=$(free_port)
"$S" serve --dir "$D" --port "$PORT" >"$T/serve.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
URL=http://127.0.0.1:$PORT
wait_url "$URL/healthz" || { cat "$T/serve.log" >&2; exit 1; }
J=$T/jar
curl -s -c "$J" -b "$J" -o "$T/login.html" "$URL/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$T/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$J" -b "$J" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode "login_id=bench-c" --data-urlencode "password=$PW" "$URL/login"
SID=$(awk '$6=="sid"{print $7}' "$J")
[ -n "$SID" ] || { echo "login failed" >&2; exit 1; }
tok=$(curl -s -b "$J" "$URL/account/keys" | grep -o 'name="csrf" value="[^"]*"' | head -1 |
  sed 's/.*value="//; s/"$//')
KEY=$(curl -s -b "$J" --data-urlencode "csrf=$tok" --data-urlencode "label=bench" \
  "$URL/account/keys" | sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p')
[ -n "$KEY" ] || { echo "no API key" >&2; exit 1; }

# --- the static copy for nginx ---
mkdir -p "$T/www" "$T/nginx"
code=$(curl -s -b "sid=$SID" -o "$T/www/certificates.html" -w '%{http_code}' \
  "$URL/certificates")
rows=$(grep -c '<tr class="cert"' "$T/www/certificates.html" || true)
[ "$code" = 200 ] && [ "$rows" -gt 0 ] || { echo "list page: $code, $rows rows" >&2; exit 1; }
chmod 755 "$T" "$T/www"
chmod 644 "$T/www/certificates.html"
NPORT=$(free_port)
cat >"$T/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  server {
    listen 127.0.0.1:$NPORT;
    root $T/www;
    location / { default_type "text/html; charset=utf-8"; }
  }
}
CONF
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" 2>"$T/nginx/start.log" &
PIDS+=("$!")
wait_url "http://127.0.0.1:$NPORT/certificates.html" ||
  { cat "$T/nginx/start.log" "$T/nginx/error.log" >&2; exit 1; }

# --- the API order-status call (a certificate's order), else the certificate itself ---
OID=$(sqlite3 "$D/shomei.db" "SELECT MIN(id) FROM orders WHERE receipt_no LIKE 'R20261129-%'")
API_PATH=/api/v1/orders/$OID
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$URL$API_PATH")
if [ "$code" != 200 ]; then
  SERIAL=$(sqlite3 "$D/shomei.db" "SELECT serial FROM certificates WHERE order_id = $OID")
  API_PATH=/api/v1/certificates/$SERIAL
fi

# --- wrk: req/s and p99 (ms) ---
# CPU time (user + system, clock ticks) shomei has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
# run NAME URL [HEADER]: prints "REQS P99MS CPU_US_PER_REQUEST" (the last for shomei only:
# on a shared machine it moves less than req/s when other work competes for the cores)
run() {
  local out t0 t1
  t0=$(cpu_ticks)
  out=$(wrk -t2 -c16 -d"${DUR}s" --latency ${3:+-H "$3"} "$2")
  t1=$(cpu_ticks)
  printf '%s\n' "$out" >"$T/wrk-$1.txt"
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "wrk $1: non-2xx answers" >&2
    cat "$T/wrk-$1.txt" >&2
    exit 1
  fi
  local rps p99
  rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000}
    else if (v ~ /ms$/) sub(/ms$/,"",v); else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}
    printf "%.2f", v}' <<<"$out")
  local cpu
  cpu=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" '/ requests in /{n=$1}
    END{printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0)}' <<<"$out")
  echo "$rps $p99 $cpu"
}
wrk -t2 -c16 -d2s "$URL/certificates" -H "Cookie: sid=$SID" >/dev/null # warm-up
read -r s_rps s_p99 s_cpu < <(run list "$URL/certificates" "Cookie: sid=$SID")
read -r n_rps n_p99 _ < <(run nginx "http://127.0.0.1:$NPORT/certificates.html")
read -r a_rps a_p99 a_cpu < <(run api "$URL$API_PATH" "Authorization: Bearer $KEY")

ratio=$(awk -v a="$s_rps" -v b="$n_rps" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')
verdict() { awk -v r="$1" -v g="$2" 'BEGIN{print (r >= g ? "met" : "NOT met")}'; }
echo "certificates: $N of one customer organization; page of $rows rows," \
  "$(wc -c <"$T/www/certificates.html") bytes"
echo "shomei GET /certificates (logged in): $s_rps req/s, p99 $s_p99 ms"
echo "nginx static copy of the page: $n_rps req/s, p99 $n_p99 ms"
echo "ratio shomei / nginx static: $ratio (goal >= 0.3: $(verdict "$ratio" 0.3))"
echo "shomei GET $API_PATH (Bearer key): $a_rps req/s, p99 $a_p99 ms"
echo "shomei CPU per request: list $s_cpu us, API $a_cpu us"
echo "p99 goal < 50 ms: list $(verdict 50 "$s_p99"), API $(verdict 50 "$a_p99")"
