#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issuance through the API on several nodes (issue 13 item 6, R-SCL-1): N DV orders placed
# and paid through the order API (bench/nodes_load.py, 4 client threads, round robin over
# the nodes), each issued by the issuance job of whichever node claims it, for
#   (a) 1 node on SQLite, (b) 1 node on PostgreSQL, (c) 3 nodes on one PostgreSQL,
# all on this machine. The first order of each run is validated by DNS TXT and the web page
# (knot and a web server on loopback); the N orders reuse that validation, so the time is
# the order API, the payment callback, the jobs and CAA (DNS) and signing. Prints the
# rate of each (orders issued per second, from the first order placed to the last issued)
# and the ratios PostgreSQL/SQLite and 3 nodes/1 node.
# Usage: bench/nodes.sh [SHOMEI_BINARY] [N]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export SHOMEI_BIN=$(realpath "${1:-$top/build/release/shomei}")
N=${2:-60}
[ "$N" -le 99 ] || { echo "bench/nodes: N at most 99 (issue.max_per_cn)" >&2; exit 2; }
. "$top/tests/it/lib.sh"
. "$top/tests/it/knot.sh"
. "$top/tests/pg.sh"
trap 'pg_stop; it_cleanup' EXIT
S=$SHOMEI_BIN
SECRET=bench-nodes-hmac-secret
BODY=$IT_TMP/body
PW=bench-Horse-77-battery
now_ms() { date +%s%3N; }
fail() { echo "bench/nodes: $*" >&2; exit 1; }

cat >"$IT_TMP/records" <<'REC'
bench-test.co.jp @ A 127.0.0.1
bench-test.co.jp www A 127.0.0.1
bench-test.co.jp @ CAA 0 issue "shomei.example"
REC
dcv_peers "jp co.jp bench-test.co.jp" "$IT_TMP/records"
pg_start || fail "PostgreSQL does not start"
PGBASE=${SHOMEI_TEST_PG_URL%/*}
mkdir -p "$IT_TMP/csr"
for i in $(seq 0 "$N"); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$IT_TMP/csr/$i.csr" -subj "/CN=www.bench-test.co.jp" 2>/dev/null
done

run() { # NAME DB_URL NODES -> prints the rate; sets RATE
  local name=$1 dburl=$2 nodes=$3 D=$IT_TMP/$1 urls=() i t0 t1 ids
  "$S" init --dir "$D" --demo --set server.secure_cookies=false \
    --set "payment.hmac_secret=$SECRET" --set "dns.resolver=$KNOT_ADDR" \
    --set "dns.trust_anchor_file=$KNOT_TA" --set testing.not_for_production=true \
    --set dcv.allow_loopback=true --set "dcv.http_port=$HP" --set issue.max_per_cn=100 \
    --set jobs.vetting_seconds=1 --set server.per_ip_connections=0 \
    ${dburl:+--set "database.url=$dburl"} >"$IT_TMP/$name-init.log" 2>&1 || fail "init $name"
  printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login bench-c \
    --role customer --email c@bench-test.co.jp --name "Bench C" --org-name "Bench Org" >/dev/null
  start_server "$D" || fail "$name: node 1"
  urls+=("$IT_URL")
  for i in $(seq 2 "$nodes"); do
    cp -a "$D" "$D-$i"
    start_server "$D-$i" || fail "$name: node $i"
    urls+=("$IT_URL")
  done
  KEY=$(api_key_for "${urls[0]}" bench-c "$PW")
  url=${urls[0]}
  # the first order, validated for real
  local j
  j=$(CSR="$IT_TMP/csr/0.csr" python3 -c '
import json, os
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(),
  "cn": "www.bench-test.co.jp",
  "dcv_methods": {"www.bench-test.co.jp": "dns", "bench-test.co.jp": "http"},
  "contact": {"org": "性能試験株式会社", "dept": "情報システム部", "name": "山田 太郎",
              "name_kana": "やまだ たろう", "postal": "100-0001", "pref": "東京都",
              "city": "千代田区", "street": "千代田1-1", "phone": "03-1111-2222",
              "email": "ops@bench-test.co.jp"},
  "billing_same": True, "notify_emails": ["cert@bench-test.co.jp"], "idem_key": "first"},
  ensure_ascii=False))')
  api POST /api/v1/orders "$j"
  local first
  first=$(jq_ 'd["id"]')
  pay
  api GET "/api/v1/orders/$first"
  local val urlv fileval
  val=$(jq_ "[x['instructions'].get('value','') for x in d['domains'] if x['name']=='www.bench-test.co.jp'][0]")
  urlv=$(jq_ "[x['instructions'].get('url','') for x in d['domains'] if x['name']=='bench-test.co.jp'][0]")
  fileval=$(jq_ "[x['instructions'].get('value','') for x in d['domains'] if x['name']=='bench-test.co.jp'][0]")
  knot_set_txt bench-test.co.jp _pki-validation.www "$val" >/dev/null || fail "TXT"
  printf '%s\n' "$fileval" >"$WEB/.well-known/pki-validation/${urlv##*/}"
  api POST "/api/v1/orders/$first/dcv" '{"action":"check"}'
  issued_first() { api GET "/api/v1/orders/$first"; [ "$(jq_ 'd["state"]')" = issued ]; }
  wait_for 60 issued_first || fail "$name: the first order was not issued"
  # the measured part
  t0=$(now_ms)
  ids=$(python3 "$top/bench/nodes_load.py" "$KEY" "$SECRET" "$IT_TMP/csr" "$N" 4 "${urls[@]}" |
    tr ' ' ',') || fail "$name: the load failed"
  [ "$(tr ',' '\n' <<<"$ids" | grep -c .)" = "$N" ] || fail "$name: not every order was placed"
  count() {
    if [ -n "$dburl" ]; then psql -X -q -tA "$dburl" -c "$1"
    else sqlite3 -batch "$D/shomei.db" "$1"; fi
  }
  done_all() { [ "$(count "SELECT COUNT(*) FROM orders WHERE id IN ($ids) AND state = 'issued'")" = "$N" ]; }
  wait_for 600 done_all || fail "$name: not every order was issued"
  t1=$(now_ms)
  RATE=$(python3 -c "print('%.2f' % ($N * 1000 / max(1, $t1 - $t0)))")
  printf '%-28s %4d orders in %6d ms  %7s issued/s\n' "$name" "$N" "$((t1 - t0))" "$RATE"
  for p in "${IT_PIDS[@]}"; do :; done
  # stop this run's nodes (the last $nodes servers started)
  local k=${#IT_PIDS[@]}
  for i in $(seq 1 "$nodes"); do kill "${IT_PIDS[$((k - i))]}" 2>/dev/null; done
  sleep 1
}

db() { # NAME -> a new database on the test server
  pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$(sed 's|.*:\([0-9]*\)/.*|\1|' <<<"$SHOMEI_TEST_PG_URL")" \
    -U shomei "$1" >/dev/null 2>&1
  echo "$PGBASE/$1"
}
echo "issuance through the API, $N orders each, load $(cut -d' ' -f1 /proc/loadavg), $(nproc) cores"
run "1 node, SQLite" "" 1
R_SQ=$RATE
run "1 node, PostgreSQL" "$(db bench1)" 1
R_PG=$RATE
run "3 nodes, one PostgreSQL" "$(db bench3)" 3
R_PG3=$RATE
python3 -c "
sq, pg, pg3 = $R_SQ, $R_PG, $R_PG3
print('PostgreSQL / SQLite, one node:     %.2f  (goal >= 0.5)' % (pg / sq))
print('3 nodes / 1 node, PostgreSQL:      %.2f  (goal >= 0.9)' % (pg3 / pg))"
