#!/usr/bin/env bash
# Portal speed (issue 3 item 12, R-MNG-1): a customer organization with N certificates (each
# with its order), wrk against the first page of its certificate list with a logged-in
# cookie and against the API order-status call with a Bearer key; nginx serving a saved
# static copy of the same page is the peer. Goal: >= 0.3x nginx static, p99 < 50 ms.
# nginx runs as the current user in the foreground on a free loopback port with a config,
# pid file and logs in the temporary directory, and is stopped by its PID.
# Second part (issue 12 item 10, R-MNG-1, R-MNG-3): a reseller with R certificates (default
# 100,000) over 200 customer organizations, seeded in one SQL transaction (orders and
# certificates without DER: the pages and the export never read it); wrk against the
# reseller's dashboard and the first and the last page of its certificate list, each with
# nginx serving a saved copy as the peer; the CSV export of all rows (rows/s) from a server
# of its own run under /usr/bin/time -v for the peak RSS.
# Measured (part 2, R=100,000, 10 s, release build, 2 cores shared with other work, load 5-15):
#   before: dashboard 116 req/s p99 334 ms 3,173 us CPU/request; first page 108 req/s p99 268 ms
#     2,968 us; last page 102 req/s p99 649 ms 2,761 us; ratio to nginx 0.01-0.02; CSV 30,775
#     rows/s. callgrind: list page 8.3 M, dashboard 33.1 M instructions per request.
#   after (migration 0067, store/jsonpick, leaner list JSON): dashboard 870 req/s p99 130 ms
#     918 us; first page 804 req/s p99 108 ms 901 us; last page 904 req/s p99 110 ms 938 us;
#     ratio 0.06-0.07; CSV 61,775 rows/s (0.71 s of server CPU: 140,845 rows per CPU second),
#     peak RSS 22 MB. callgrind: list 6.7 M, dashboard 8.7 M instructions per request.
#   The goals (p99 < 50 ms, >= 0.3x nginx; 100,000 rows/s by the wall clock) are not met on
#   this machine. Per list page the rest is jansson trees and their freeing (~35 %: a
#   reseller's 200 organizations as filter choices alone are ~20 %), the template walk
#   (~19 %), SQLite (~30 %: the page query, the 200 names, the 201-organization scope, the
#   session); a cache of rendered fragments is the next step.
#   with kept pages (migration 0069 org_data_gen, web/pagecache; same machine, load 5-7):
#     before (this tree without them): dashboard 967 req/s p99 127 ms 1,080 us CPU/request;
#     first page 826 req/s p99 112 ms 1,259 us; last page 1,102 req/s p99 118 ms 987 us;
#     ratio to nginx 0.08-0.10.
#     after, three runs (load 4-7): dashboard 9,786-13,775 req/s p99 8-15 ms 58-85 us,
#     ratio 0.70-0.84; first page 6,656-15,736 req/s p99 8-24 ms 63-87 us, ratio 0.63-1.00;
#     last page 6,179-11,941 req/s p99 7.5-68 ms (one outlier; 7.5 and 13 ms in the others)
#     60-94 us, ratio 0.66-0.77. CSV unchanged (0.48 s of server CPU per export either way).
#   A kept page costs the session read, one read of the organization's generation and a
#   copy with the session's CSRF token put in. perf during wrk on the first page: kernel
#   45 % (socket send/receive, scheduling, SQLite's fcntl locks), libc 24 % (copying the
#   47 KB page, malloc, the access log's printf), SQLite 15 % (session, user, generation),
#   shomei 9 %, libmicrohttpd 4 %, libsodium 3 % (session hash, CSRF token). A view after
#   a change renders as before (about 1 ms of CPU) once per node.
#   Quiet machine (load 0.5-1.4 at the start, nothing else running), R=100,000, 10 s, three
#   runs: dashboard 20,787-21,916 req/s, p99 6.0-8.1 ms, 58-62 us CPU, ratio to nginx
#   0.90-0.94; first page 17,708-21,733 req/s, p99 5.5-6.7 ms, 59-71 us, ratio 0.64-0.89;
#   last page 15,408-20,568 req/s, p99 3.9-6.2 ms, 61-81 us, ratio 0.69-0.76; CSV
#   144,899-198,507 rows/s, peak RSS 23 MB. Quote PDFs (a stored quote of three lines drawn
#   again for each request, 985 KB: the two Noto CJK subsets are ~490 KB each because
#   cairo keeps the CFF subroutines): 38 PDFs/s, 51 ms CPU per PDF.
# Usage: bench/portal.sh SHOMEI_BINARY [N] [SECONDS] [R]   One figure per line.
# N=0 skips the first part, R=0 the second.
# PORTAL_BENCH_DATA=DIR keeps the prepared data directory there and reuses it on the next run
# with the same N (preparing 10,000 certificates takes most of a run's time).
set -euo pipefail
S=$(realpath "${1:?shomei binary}")
N=${2:-10000}
DUR=${3:-10}
R=${4:-100000}
PW=Bench-Horse-77
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

# --- wrk: req/s and p99 (ms) ---
# CPU time (user + system, clock ticks) shomei ($SPID) has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
# run NAME URL [HEADER [HEADER]]: prints "REQS P99MS CPU_US_PER_REQUEST" (the last for shomei only:
# on a shared machine it moves less than req/s when other work competes for the cores)
run() {
  local out t0 t1
  t0=$(cpu_ticks)
  out=$(wrk -t2 -c16 -d"${DUR}s" --latency ${3:+-H "$3"} ${4:+-H "$4"} "$2")
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
verdict() { awk -v r="$1" -v g="$2" 'BEGIN{print (r >= g ? "met" : "NOT met")}'; }
# login JAR URL LOGIN: the session id (empty on failure); the cookie jar keeps it
login() {
  local tok
  tok=$(curl -s -c "$1" -b "$1" "$2/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 |
    sed 's/.*value="//; s/"$//')
  curl -s -c "$1" -b "$1" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$3" --data-urlencode "password=$PW" "$2/login"
  awk '$6=="sid"{print $7}' "$1"
}
# api_key JAR URL: a new API key of the logged-in user (empty on failure)
api_key() {
  local tok
  tok=$(curl -s -b "$1" "$2/account/keys" | grep -o 'name="csrf" value="[^"]*"' | head -1 |
    sed 's/.*value="//; s/"$//')
  curl -s -b "$1" --data-urlencode "csrf=$tok" --data-urlencode "label=bench" \
    "$2/account/keys" | sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p'
}

if [ "$N" -gt 0 ]; then
# --- a data directory with N certificates of one customer organization ---
D=${PORTAL_BENCH_DATA:-$T/data}
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
SID=$(login "$J" "$URL" bench-c)
[ -n "$SID" ] || { echo "login failed" >&2; exit 1; }
KEY=$(api_key "$J" "$URL")
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

wrk -t2 -c16 -d2s "$URL/certificates" -H "Cookie: sid=$SID" >/dev/null # warm-up
read -r s_rps s_p99 s_cpu < <(run list "$URL/certificates" "Cookie: sid=$SID")
read -r n_rps n_p99 _ < <(run nginx "http://127.0.0.1:$NPORT/certificates.html")
read -r a_rps a_p99 a_cpu < <(run api "$URL$API_PATH" "Authorization: Bearer $KEY")

ratio=$(awk -v a="$s_rps" -v b="$n_rps" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')
echo "certificates: $N of one customer organization; page of $rows rows," \
  "$(wc -c <"$T/www/certificates.html") bytes"
echo "shomei GET /certificates (logged in): $s_rps req/s, p99 $s_p99 ms"
echo "nginx static copy of the page: $n_rps req/s, p99 $n_p99 ms"
echo "ratio shomei / nginx static: $ratio (goal >= 0.3: $(verdict "$ratio" 0.3))"
echo "shomei GET $API_PATH (Bearer key): $a_rps req/s, p99 $a_p99 ms"
echo "shomei CPU per request: list $s_cpu us, API $a_cpu us"
echo "p99 goal < 50 ms: list $(verdict 50 "$s_p99"), API $(verdict 50 "$a_p99")"
kill "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
fi

# ===== part 2: a reseller with R certificates over 200 customers (issue 12 item 10) =====
[ "$R" -gt 0 ] || exit 0
RD=${PORTAL_BENCH_RDATA:-$T/rdata}
if [ ! -f "$RD/prepared-$R" ]; then
  [ ! -e "$RD" ] || { echo "$RD exists and is not a prepared bench directory for R=$R" >&2; exit 1; }
  "$S" init --dir "$RD" --demo --test-ca --set server.secure_cookies=false >"$T/rinit.log" 2>&1
  printf '%s\n' "$PW" | "$S" user add --dir "$RD" --password-stdin --login bench-r \
    --role reseller --email r@bench-resel.example.jp --name "Bench Reseller" \
    --org-name "ベンチ販売株式会社" >/dev/null
  now=$(date -u +%s)
  # 200 customer organizations, R orders and R certificates spread over them, expiring over
  # the next 400 days (some expired, every 50th revoked), in one transaction
  sqlite3 -batch "$RD/shomei.db" <<SQL
BEGIN;
CREATE TEMP TABLE seq AS WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s
  WHERE x < $R) SELECT x FROM s;
INSERT INTO organizations (kind, name_ja, name_en, reseller_org_id, created_at)
SELECT 'customer', '顧客' || printf('%03d', x) || ' 株式会社', 'Customer ' || printf('%03d', x) || ' KK',
  (SELECT org_id FROM users WHERE login_id = 'bench-r'), $now FROM seq WHERE x <= 200;
CREATE TEMP TABLE cust AS SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM organizations
  WHERE reseller_org_id = (SELECT org_id FROM users WHERE login_id = 'bench-r');
INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, cn, names,
  root_option, applicant, contact, billing, notify_email1, server_software, po_number, amount,
  invoice_no, pay_method, paid_at, submitted_at, created_at, updated_at, idem_key)
SELECT 'B' || printf('%08d', x), 'new', 'issued', (SELECT id FROM products WHERE code = 'ov-1y'),
  (SELECT id FROM cust WHERE k = x % 200), (SELECT id FROM users WHERE login_id = 'bench-r'),
  'h' || x || '.c' || (x % 200) || '.example.jp',
  '["h' || x || '.c' || (x % 200) || '.example.jp","www.h' || x || '.c' || (x % 200) || '.example.jp"]', 'a',
  '{"org":{"name_ja":"顧客' || printf('%03d', x % 200) || ' 株式会社","name_en":"Customer, Inc.","tdb_code":"987654321"},"responsible":{"dept":"情報システム部","name":"山田 太郎"}}',
  '{"org":"顧客","name":"佐藤 花子","email":"sato@example.jp","dept":"総務部"}',
  '{"org":"顧客 経理","dept":"経理部","name":"鈴木 一郎","email":"billing@example.jp","phone":"03-1234-5678"}',
  'notify@example.jp', 'nginx', 'PO-' || x, 60000, 'INV' || printf('%08d', x), 'invoice',
  $now - 86400, $now - 86400, $now - 2 * 86400, $now - 86400, 'bench-' || x
FROM seq;
INSERT INTO certificates (serial, ca_id, state, order_id, level, root, cn, names, not_before,
  not_after, reserved_at, issued_at, org_id, sha256, revoked_at)
SELECT printf('%x', 268435456 + x), (SELECT MIN(id) FROM cas),
  CASE WHEN x % 50 = 0 THEN 'revoked' ELSE 'issued' END, o.id, 'ov', 'a', o.cn, o.names,
  $now - 30 * 86400 + (x * 7919 % 430) * 86400 - 365 * 86400,
  $now - 30 * 86400 + (x * 7919 % 430) * 86400, $now - 86400, $now - 86400, o.org_id,
  printf('%064x', x), CASE WHEN x % 50 = 0 THEN $now - 3600 END
FROM seq JOIN orders o ON o.receipt_no = 'B' || printf('%08d', seq.x);
COMMIT;
ANALYZE;
SQL
  count=$(sqlite3 "$RD/shomei.db" "SELECT COUNT(*) FROM certificates c JOIN organizations g ON
    g.id = c.org_id WHERE g.reseller_org_id IS NOT NULL")
  [ "$count" -eq "$R" ] || { echo "only $count of $R reseller certificates prepared" >&2; exit 1; }
  touch "$RD/prepared-$R"
fi
RPORT=$(free_port)
"$S" serve --dir "$RD" --port "$RPORT" >"$T/rserve.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
RURL=http://127.0.0.1:$RPORT
wait_url "$RURL/healthz" || { cat "$T/rserve.log" >&2; exit 1; }
RJ=$T/rjar
RSID=$(login "$RJ" "$RURL" bench-r)
[ -n "$RSID" ] || { echo "reseller login failed" >&2; exit 1; }
mkdir -p "$T/rwww" "$T/rnginx"
for pg in "dashboard:/dashboard" "first:/certificates" "last:/certificates?last=1"; do
  code=$(curl -s -b "sid=$RSID" -o "$T/rwww/${pg%%:*}.html" -w '%{http_code}' "$RURL${pg#*:}")
  [ "$code" = 200 ] || { echo "${pg#*:}: $code" >&2; exit 1; }
done
rows=$(grep -c '<tr class="cert"' "$T/rwww/last.html" || true)
chmod 755 "$T/rwww"
chmod 644 "$T/rwww/"*.html
RNPORT=$(free_port)
  cat >"$T/rnginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $T/rnginx/nginx.pid;
error_log $T/rnginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $T/rnginx/body;
  proxy_temp_path $T/rnginx/proxy;
  fastcgi_temp_path $T/rnginx/fastcgi;
  uwsgi_temp_path $T/rnginx/uwsgi;
  scgi_temp_path $T/rnginx/scgi;
  server {
    listen 127.0.0.1:$RNPORT;
    root $T/rwww;
    location / { default_type "text/html; charset=utf-8"; }
  }
}
CONF
chmod 755 "$T"
"$NGINX" -p "$T/rnginx" -c "$T/rnginx/nginx.conf" -e "$T/rnginx/error.log" 2>"$T/rnginx/start.log" &
PIDS+=("$!")
wait_url "http://127.0.0.1:$RNPORT/first.html" ||
  { cat "$T/rnginx/start.log" "$T/rnginx/error.log" >&2; exit 1; }
echo "reseller: $R certificates over 200 customer organizations; last page $rows rows"
for pg in "dashboard:/dashboard" "first:/certificates" "last:/certificates?last=1"; do
  name=${pg%%:*}
  wrk -t2 -c16 -d2s "$RURL${pg#*:}" -H "Cookie: sid=$RSID" >/dev/null # warm-up
  read -r s_rps s_p99 s_cpu < <(run "r-$name" "$RURL${pg#*:}" "Cookie: sid=$RSID")
  read -r n_rps n_p99 _ < <(run "rn-$name" "http://127.0.0.1:$RNPORT/$name.html")
  ratio=$(awk -v a="$s_rps" -v b="$n_rps" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')
  echo "shomei GET ${pg#*:} (reseller): $s_rps req/s, p99 $s_p99 ms, CPU $s_cpu us/request;" \
    "nginx copy ($(wc -c <"$T/rwww/$name.html") bytes): $n_rps req/s, p99 $n_p99 ms;" \
    "ratio $ratio (goal >= 0.3: $(verdict "$ratio" 0.3)); p99 goal < 50 ms: $(verdict 50 "$s_p99")"
done
# --- quote PDFs (R-QUO-1): one stored quote of three lines, drawn again for each request ---
RKEY=$(api_key "$RJ" "$RURL")
[ -n "$RKEY" ] || { echo "no reseller API key" >&2; exit 1; }
QN=$(curl -s -H "Authorization: Bearer $RKEY" -H 'Content-Type: application/json' \
  --data-binary '{"items":[{"product":"ov-1y"},{"product":"ov-multi-1y","sans":8,"domain":"www.bench.example.jp"},{"product":"dv-1y"}],"recipient":"ベンチ顧客株式会社"}' \
  "$RURL/api/v1/quotes" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("number",""))')
[ -n "$QN" ] || { echo "no quote" >&2; exit 1; }
curl -s -H "Authorization: Bearer $RKEY" -H 'Accept: application/pdf' -o "$T/q.pdf" \
  "$RURL/api/v1/quotes/$QN"
pdftotext "$T/q.pdf" - 2>/dev/null | grep -q "見積番号 $QN" ||
  { echo "the quote PDF does not name $QN" >&2; exit 1; }
wrk -t2 -c4 -d2s "$RURL/api/v1/quotes/$QN" -H "Authorization: Bearer $RKEY" \
  -H 'Accept: application/pdf' >/dev/null # warm-up
read -r q_rps q_p99 q_cpu < <(run quote-pdf "$RURL/api/v1/quotes/$QN" \
  "Authorization: Bearer $RKEY" 'Accept: application/pdf')
echo "quote PDF ($(wc -c <"$T/q.pdf") bytes, 3 lines): $q_rps PDFs/s, p99 $q_p99 ms," \
  "CPU $q_cpu us/PDF"
kill "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true

# --- CSV export of every row, from a server of its own under /usr/bin/time -v ---
TIMEV=/usr/bin/time
[ -x "$TIMEV" ] || { echo "/usr/bin/time is not installed" >&2; exit 1; }
RPORT=$(free_port)
"$TIMEV" -v -o "$T/csv.time" "$S" serve --dir "$RD" --port "$RPORT" >"$T/rserve2.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
RURL=http://127.0.0.1:$RPORT
wait_url "$RURL/healthz" || { cat "$T/rserve2.log" >&2; exit 1; }
t0=$(date +%s.%N)
curl -s -b "sid=$RSID" -o "$T/all.csv" "$RURL/certificates.csv"
t1=$(date +%s.%N)
crow=$(($(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8-sig"))))' "$T/all.csv") - 1))
# the server's pid is time's child: stop it so that time writes its report
kill "$(pgrep -P "$SPID" -x shomei || echo "$SPID")" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$T/csv.time")
# the server's CPU time (start-up, login and the export): on a shared machine the wall clock
# says more about the other work than about the export
cpu=$(awk -F': ' '/User time|System time/{s += $2} END{printf "%.2f", s}' "$T/csv.time")
rps=$(awk -v n="$crow" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n / (b - a)}')
echo "CSV export: $crow rows, $(wc -c <"$T/all.csv") bytes in $(awk -v a="$t0" -v b="$t1" \
  'BEGIN{printf "%.2f", b - a}') s = $rps rows/s (goal >= 100000: $(verdict "$rps" 100000));" \
  "server peak RSS $((rss / 1024)) MB (goal < 64: $(verdict 64 "$((rss / 1024))"));" \
  "server CPU $cpu s = $(awk -v n="$crow" -v c="$cpu" 'BEGIN{printf "%.0f", (c > 0 ? n / c : 0)}') rows per CPU second"
