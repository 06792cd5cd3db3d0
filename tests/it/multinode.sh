#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-SCL-1 (issue 13 item 2): three `shomei serve` nodes on one PostgreSQL behind nginx
# round robin, with the reverse-proxy configuration the project ships
# (docs/nginx.conf.example, its upstream listing the three nodes). A bounded mixed load
# goes through the front only: registrations and logins (the session and the CSRF token
# made by one node are taken by the others), API keys, orders placed and paid through the
# API, issuance by the jobs of whichever node claims them, downloads and revocations. One
# node is killed with SIGKILL in the middle; the client retries a request that failed
# with the same idempotency key. Then: every order has exactly one certificate, no serial
# is used twice, every issuance job ended once, the idempotency keys gave one order each,
# the audit chain verifies and every node answered (its own /metrics counts it).
# ACME orders go through the front beside that load (tests/it/multinode_acme.py): nonces
# of one node taken by another and a used one refused by each, orders placed before the
# kill and finalized after it (one of them by two nodes at once: a lost answer and its
# resend); each ends with one certificate, signed once (the finalize holds the issuance
# job), verified with openssl and counted in the checks of serials, jobs and audit records.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/knot.sh"
. "$here/../pg.sh"
trap 'pg_stop; it_cleanup' EXIT
S=$SHOMEI_BIN
SECRET=multinode-hmac-secret
BODY=$IT_TMP/body
N=6 # orders
NA=5 # ACME orders
PW=multi-Horse-77-battery
command -v nginx >/dev/null || { not_ok "nginx installed"; it_done; }
pg_start || { not_ok "PostgreSQL starts"; it_done; }
PGURL=$SHOMEI_TEST_PG_URL
sq() { psql -X -q -tA "$PGURL" -c "$1"; }

cat >"$IT_TMP/records" <<'REC'
multi-test.co.jp @ A 127.0.0.1
multi-test.co.jp www A 127.0.0.1
multi-test.co.jp @ CAA 0 issue "shomei.example"
REC
for i in $(seq 1 $NA); do echo "multi-test.co.jp acme$i A 127.0.0.1"; done >>"$IT_TMP/records"
dcv_peers "jp co.jp multi-test.co.jp" "$IT_TMP/records"

D0=$IT_TMP/node0
nport=$(free_port) # nginx's; base_url names the front (ACME URLs, whichever node answers)
"$S" init --dir "$D0" --demo --set server.secure_cookies=false --set server.trusted_proxy=127.0.0.1 \
  --set server.per_ip_connections=0 --set "payment.hmac_secret=$SECRET" \
  --set "dns.resolver=$KNOT_ADDR" --set "dns.trust_anchor_file=$KNOT_TA" \
  --set testing.not_for_production=true --set dcv.allow_loopback=true --set "dcv.http_port=$HP" \
  --set issue.max_per_cn=100 --set jobs.vetting_seconds=1 --set jobs.lease_seconds=4 \
  --set jobs.recover_seconds=1 \
  --set "database.url=$PGURL" --set metrics.listen=127.0.0.1:1 \
  --set "server.base_url=https://127.0.0.1:$nport" \
  --set ca.repository_url=http://127.0.0.1/repository \
  >"$IT_TMP/init.log" 2>&1 || { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
printf '%s\n' "$PW" | "$S" user add --dir "$D0" --password-stdin --login multi-c \
  --role customer --email c@multi-test.co.jp --name "Multi C" --org-name "Multi Org" >/dev/null
"$S" acme eab --dir "$D0" --org "$("$S" user list --dir "$D0" | awk '$2 == "multi-c" {print $4}')" \
  >"$IT_TMP/eab.out"
EAB_KID=$(awk '$1 == "kid" {print $2}' "$IT_TMP/eab.out")
EAB_KEY=$(awk '$1 == "hmac_key" {print $2}' "$IT_TMP/eab.out")
check "EAB credentials for the customer's organization" test -n "$EAB_KID" -a -n "$EAB_KEY"
# every node: the same shomei.ini, keys and secret.key (sessions and CSRF tokens), copied
start_server "$D0" && kill "$IT_SERVER_PID" && wait "$IT_SERVER_PID" 2>/dev/null # makes secret.key
check "secret.key made once, to be copied to every node" test -s "$D0/secret.key"

PORTS=() MPORTS=() PIDS=()
node_start() { # I: starts node I (its own data directory, a copy of node0)
  local i=$1 d=$IT_TMP/node$1
  [ -d "$d" ] || cp -a "$D0" "$d"
  [ -n "${MPORTS[$i]:-}" ] || MPORTS[$i]=$(free_port)
  [ -n "${PORTS[$i]:-}" ] || PORTS[$i]=$(free_port)
  sed -i "s|^listen = .*|listen = 127.0.0.1:${MPORTS[$i]}|" "$d/shomei.ini"
  "$S" serve --dir "$d" --port "${PORTS[$i]}" >>"$IT_TMP/node$i.log" 2>&1 &
  PIDS[$i]=$!
  IT_PIDS+=("${PIDS[$i]}")
  wait_for 30 curl -fsS -o /dev/null "http://127.0.0.1:${PORTS[$i]}/healthz"
}
for i in 1 2 3; do node_start "$i" || { not_ok "node $i starts"; sed 's/^/# /' "$IT_TMP/node$i.log"; it_done; }; done
ok "three nodes on one PostgreSQL"
echo "# nodes up after ${SECONDS}s"

# ---- nginx: the shipped configuration, its upstream naming the three nodes ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$IT_TMP/tls.key" -out "$IT_TMP/tls.crt" >/dev/null 2>&1
state=$IT_TMP/nginx
mkdir -p "$state"
ups="server 127.0.0.1:${PORTS[1]}; server 127.0.0.1:${PORTS[2]}; server 127.0.0.1:${PORTS[3]};"
# one client address makes the whole load here: its request rate limit is raised
sed -e "s|__LISTEN__|127.0.0.1:$nport|" -e "s|__SERVER_NAME__|127.0.0.1|" \
  -e "s|__CERT__|$IT_TMP/tls.crt|" -e "s|__KEY__|$IT_TMP/tls.key|" \
  -e "s|server __SHOMEI__;|$ups|" -e "s|__SHOMEI__|the nodes|" -e "s|__STATE__|$state|g" -e "s|rate=10r/s|rate=1000r/s|" \
  "$here/../../docs/nginx.conf.example" >"$state/nginx.conf"
check_eq "no placeholder left" 0 "$(grep -c '__[A-Z_]*__' "$state/nginx.conf")"
g="daemon off; pid $state/nginx.pid;"
[ "$(id -u)" -eq 0 ] && g="$g user root;"
nginx -e "$state/error.log" -p "$state" -c "$state/nginx.conf" -g "$g" >"$state/out.log" 2>&1 &
IT_PIDS+=("$!")
url=https://127.0.0.1:$nport
export CURL_CA_BUNDLE=$IT_TMP/tls.crt
wait_for 10 curl -fsS -o /dev/null "$url/healthz" || { not_ok "nginx starts"; sed 's/^/# /' "$state/error.log"; it_done; }

# ---- registrations and logins through the front: any node takes another's session ----
tok_of() { grep -o 'name="csrf" value="[^"]*"' "$1" | head -1 | sed 's/.*value="//; s/"$//'; }
regs=0
for i in 1 2 3; do
  jar=$IT_TMP/reg$i
  curl -s -c "$jar" -b "$jar" -o "$BODY" "$url/register"
  code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' \
    --data-urlencode "csrf=$(tok_of "$BODY")" --data-urlencode "login_id=reg-user-$i" \
    --data-urlencode "email=reg$i@multi-test.co.jp" --data-urlencode "display_name=Reg $i" \
    --data-urlencode "password=$PW" --data-urlencode "password_confirm=$PW" \
    --data-urlencode locale=ja "$url/register")
  [ "$code" = 303 ] && [ "$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "$url/dashboard")" = 200 ] &&
    regs=$((regs + 1))
done
check_eq "three registrations, each logged in on the next node" 3 "$regs"
echo "# registrations done after ${SECONDS}s"
KEY=$(api_key_for "$url" multi-c "$PW")
check "login, a logged-in page and the key form on three nodes in turn give an API key" test -n "$KEY"
CJAR=$IT_TMP/jar-c
curl -s -c "$CJAR" -b "$CJAR" -o "$BODY" "$url/login"
curl -s -c "$CJAR" -b "$CJAR" -o /dev/null --data-urlencode "csrf=$(tok_of "$BODY")" \
  --data-urlencode "login_id=multi-c" --data-urlencode "password=$PW" "$url/login"
logins=$(for i in 1 2 3; do grep -c 'path=/login ' "$IT_TMP/node$i.log"; done | awk '$1 > 0' | wc -l)
check_eq "the login pages were served by all three nodes" 3 "$logins"

# ---- ACME through the front, beside the rest of the load (tests/it/multinode_acme.py) ----
mkdir -p "$IT_TMP/acme"
/usr/bin/python3 "$here/multinode_acme.py" "$url" "$IT_TMP/tls.crt" "$EAB_KID" "$EAB_KEY" "$WEB" \
  "http://127.0.0.1:${PORTS[1]},http://127.0.0.1:${PORTS[2]},http://127.0.0.1:${PORTS[3]}" \
  "$IT_TMP/acme" multi-test.co.jp "$NA" "$IT_TMP/acme.ready" "$IT_TMP/acme.killed" \
  >"$IT_TMP/acme.out" 2>"$IT_TMP/acme.err" &
ACME_PID=$!
IT_PIDS+=("$ACME_PID")

# ---- orders through the API; a failed request is sent again with its idempotency key ----
apply() { # IDEM -> order id in $OID
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$IT_TMP/$1.csr" -subj "/CN=www.multi-test.co.jp" 2>/dev/null
  local j t
  j=$(CSR="$IT_TMP/$1.csr" python3 -c '
import json, os, sys
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(),
  "cn": "www.multi-test.co.jp",
  "dcv_methods": {"www.multi-test.co.jp": "dns", "multi-test.co.jp": "http"},
  "contact": {"org": "多重試験株式会社", "dept": "情報システム部", "name": "山田 太郎",
              "name_kana": "やまだ たろう", "postal": "100-0001", "pref": "東京都",
              "city": "千代田区", "street": "千代田1-1", "phone": "03-1111-2222",
              "email": "ops@multi-test.co.jp"},
  "billing_same": True, "notify_emails": ["cert@multi-test.co.jp"], "idem_key": sys.argv[1]},
  ensure_ascii=False))' "$1")
  for t in 1 2 3 4 5; do
    api POST /api/v1/orders "$j"
    case "$code" in 200 | 201) break ;; esac
    RETRIES=$((RETRIES + 1))
    sleep 0.5
  done
  OID=$(jq_ 'd.get("id", "")')
}
payr() { # pays $BODY's order, again on a failure (the callback is idempotent)
  local t saved=$IT_TMP/pay-body
  cp "$BODY" "$saved"
  for t in 1 2 3 4 5; do
    cp "$saved" "$BODY"
    pay "$url"
    case "$code" in 200 | 201 | 204) return 0 ;; esac
    RETRIES=$((RETRIES + 1))
    sleep 0.5
  done
}
instr() { jq_ "[x['instructions'].get('$2','') for x in d['domains'] if x['name']=='$1'][0]"; }
state_of() { api GET "/api/v1/orders/$1"; jq_ 'd.get("state", "")'; }
all_issued() { # one read of the shared database for every order in $IDS
  [ "$(sq "SELECT COUNT(*) FROM orders WHERE id IN ($(tr ' ' ',' <<<"$IDS")) AND state = 'issued'")" = \
    "$(wc -w <<<"$IDS")" ]
}
RETRIES=0

apply multi-0
check_eq "the first order: 201" 201 "$code"
FIRST=$OID
payr
api GET "/api/v1/orders/$FIRST"
VAL=$(instr www.multi-test.co.jp value)
URLV=$(instr multi-test.co.jp url)
FILEVAL=$(instr multi-test.co.jp value)
knot_set_txt multi-test.co.jp _pki-validation.www "$VAL" || not_ok "TXT record published"
printf '%s\n' "$FILEVAL" >"$WEB/.well-known/pki-validation/${URLV##*/}"
api POST "/api/v1/orders/$FIRST/dcv" '{"action":"check"}'
IDS=$FIRST
check "the validated order is issued by a node's job" wait_for 60 all_issued
echo "# first order issued after ${SECONDS}s"

KILLED=2
for i in $(seq 1 $N); do
  apply "multi-$i"
  IDS="$IDS $OID"
  payr
  if [ "$i" = $((N / 2)) ]; then
    # the ACME orders are placed, two of them finalized (bounded wait)
    wait_for 120 test -e "$IT_TMP/acme.ready" || echo "# the ACME client is not ready"
    kill -9 "${PIDS[$KILLED]}" # mid-load, while issuance jobs are claimed and running
    echo "# node $KILLED killed with SIGKILL after order $i, at ${SECONDS}s"
    echo "$KILLED" >"$IT_TMP/acme.killed"
  fi
done
check_eq "$N more orders placed and paid through the front" "$((N + 1))" "$(wc -w <<<"$IDS")"
check "every order is issued by the two nodes left (bounded wait)" wait_for 90 all_issued
echo "# all issued after ${SECONDS}s; requests sent again after a failure: $RETRIES"

# ---- the ACME client's end: its checks here, its certificates verified with openssl ----
wait_for 120 bash -c '! kill -0 "$1" 2>/dev/null' _ "$ACME_PID" || kill "$ACME_PID"
wait "$ACME_PID"
check_eq "the ACME client ran to its end" 0 "$?"
while IFS= read -r line; do
  case "$line" in
  "ok - "*) ok "${line#ok - }" ;;
  "not ok - "*) not_ok "${line#not ok - }" ;;
  *) echo "$line" ;;
  esac
done <"$IT_TMP/acme.out"
[ -s "$IT_TMP/acme.err" ] && sed 's/^/# /' "$IT_TMP/acme.err" | tail -15
"$S" ca chain --dir "$D0" --level dv --root a |
  awk -v d="$IT_TMP" '/BEGIN/{n++} {print > (d "/ca" n ".pem")}'
root=$(ls "$IT_TMP"/ca*.pem | tail -1)
av=0
for i in $(seq 1 $NA); do
  f=$IT_TMP/acme/acme$i.pem
  [ -s "$f" ] && openssl verify -CAfile "$root" -untrusted "$f" "$f" >/dev/null 2>&1 &&
    openssl x509 -in "$f" -noout -ext subjectAltName | grep -q "DNS:acme$i.multi-test.co.jp" &&
    av=$((av + 1))
done
check_eq "openssl verify: every ACME certificate, with the chain served, to root A" "$NA" "$av"
echo "# ACME done after ${SECONDS}s"

# ---- downloads and revocations through the front ----
in_ids=$(tr ' ' ',' <<<"$IDS")
SERIALS=$(sq "SELECT serial FROM certificates WHERE order_id IN ($in_ids) ORDER BY serial")
dl=0
for s in $SERIALS; do
  curl -s -o "$IT_TMP/dl.pem" -H "Authorization: Bearer $KEY" \
    "$url/api/v1/certificates/$s/download/pem"
  openssl x509 -in "$IT_TMP/dl.pem" -noout 2>/dev/null && dl=$((dl + 1))
done
check_eq "every certificate downloads as PEM" "$((N + 1))" "$dl"
TODAY=$(TZ=Asia/Tokyo date +%F)
rv=0
for s in $(head -3 <<<"$SERIALS"); do
  curl -s -b "$CJAR" -c "$CJAR" -o "$BODY" "$url/certificates/$s"
  code=$(curl -s -b "$CJAR" -c "$CJAR" -o /dev/null -w '%{http_code}' \
    --data-urlencode "csrf=$(tok_of "$BODY")" --data-urlencode reason=superseded \
    --data-urlencode "date=$TODAY" "$url/certificates/$s/revoke")
  [ "$code" = 303 ] && rv=$((rv + 1))
done
check_eq "three revocations with the session's CSRF token, across nodes" 3 "$rv"
check_eq "  revoked in the database" 3 "$(sq "SELECT COUNT(*) FROM certificates WHERE state = 'revoked'")"

echo "# downloads and revocations done after ${SECONDS}s"
# ---- nothing lost, nothing twice ----
T=$((N + 1 + NA)) # certificates: the API orders' and the ACME orders'
check_eq "orders in the database: one per key, none twice" "$((N + 1))" \
  "$(sq "SELECT COUNT(*) FROM orders WHERE COALESCE(pay_method, '') <> 'acme'")"
check_eq "each order has exactly one certificate" "$((N + 1))|$((N + 1))" \
  "$(sq "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM certificates WHERE order_id IN ($in_ids)
    AND state IN ('issued', 'revoked')")"
# A serial the killed node reserved and never stored its certificate under (SIGKILL between
# reservation and store) is marked abandoned by the others' job issuance.recover (R-ISS-4).
no_reserved() {
  [ "$(sq "SELECT (SELECT COUNT(*) FROM certificates WHERE state = 'reserved')
    + (SELECT COUNT(*) FROM serial_batches WHERE pending = 1)")" = 0 ]
}
check "R-ISS-4 no serial is left reserved: the killed node's are abandoned by the others" \
  wait_for 30 no_reserved
KPID=${PIDS[$KILLED]}
sq "SELECT c.order_id, c.serial, c.state, c.reserved_by FROM certificates c
  WHERE c.state NOT IN ('issued', 'revoked')" | sed 's/^/# not issued: /'
check_eq "any other certificate row is a reservation of the killed node, abandoned" 0 \
  "$(sq "SELECT COUNT(*) FROM certificates WHERE state NOT IN ('issued', 'revoked')
    AND NOT (state = 'abandoned' AND reserved_by LIKE '%/$KPID/%')")"
check_eq "ACME: $NA valid orders, each one portal order and one certificate" "$NA|$NA|$NA|$NA" \
  "$(sq "SELECT COUNT(*), COUNT(DISTINCT a.order_id), COUNT(DISTINCT a.cert_id),
    (SELECT COUNT(*) FROM orders WHERE pay_method = 'acme') FROM acme_orders a WHERE a.status = 'valid'")"
check_eq "ACME: no order ended with two certificates" "$NA|$NA" \
  "$(sq "SELECT COUNT(*), COUNT(DISTINCT c.order_id) FROM certificates c
    JOIN orders o ON o.id = c.order_id WHERE o.pay_method = 'acme' AND c.state <> 'abandoned'")"
check_eq "issue 13 item 2: no ACME order signed twice (no serial reserved and abandoned for one)" \
  0 "$(sq "SELECT COUNT(*) FROM certificates c JOIN orders o ON o.id = c.order_id
    WHERE o.pay_method = 'acme' AND c.state = 'abandoned' AND c.reserved_by NOT LIKE '%/$KPID/%'")"
check_eq "issue 13 item 2: each ACME issuance was its job's one run, held by the finalize" \
  "$NA" "$(sq "SELECT COUNT(*) FROM jobs j JOIN acme_orders a ON j.key = CAST(a.order_id AS TEXT)
    WHERE j.kind = 'order.issue' AND a.status = 'valid' AND j.owner LIKE '%/finalize'
    AND j.runs = 1 AND j.done = 1")"
check_eq "no serial used twice, $T certificates (the ACME ones included)" "0|$T" \
  "$(sq "SELECT COUNT(*) - COUNT(DISTINCT serial),
    SUM(CASE WHEN state IN ('issued', 'revoked') THEN 1 ELSE 0 END) FROM certificates")"
check_eq "one order.issued audit record per order, ACME's included" "$T" \
  "$(sq "SELECT COUNT(*) FROM audit_log WHERE action = 'order.issued'")"
check_eq "every issuance job (ACME's included) ended after one run" "$T|$T|$T" \
  "$(sq "SELECT COUNT(*), SUM(CASE WHEN done = 1 THEN 1 ELSE 0 END),
    SUM(CASE WHEN runs = 1 THEN 1 ELSE 0 END) FROM jobs WHERE kind = 'order.issue'")"
check_eq "no job is held by a dead node or left due" 0 \
  "$(sq "SELECT COUNT(*) FROM jobs WHERE done = 0 AND next_run_at < EXTRACT(EPOCH FROM now()) - 60")"
logs=$(cat "$IT_TMP"/node*.log | grep -c 'certificate issued')
check_eq "the nodes logged one issuance per certificate between them" "$T" "$logs"
check "the audit log is intact" "$S" audit verify --dir "$D0"

# every node answered (counts of its own /metrics); the killed one did before it died
for i in 1 3; do
  curl -s -o "$IT_TMP/m$i" "http://127.0.0.1:${MPORTS[$i]}/metrics"
  check "node $i: /metrics passes promtool" promtool check metrics <"$IT_TMP/m$i"
  check "node $i served downloads through the front" grep -q \
    '^shomei_http_responses_total{route="/api/v1/certificates/:serial/download/:format",method="GET",status="200"} [1-9]' "$IT_TMP/m$i"
done
# (any request through the front before the kill: which ones reach it depends on the
# front's rotation beside the ACME client's requests; the test's own direct requests,
# /healthz, /metrics and ACME's nonce checks, do not count)
killed_answered() {
  grep -o 'path=/[^ ]*' "$IT_TMP/node$KILLED.log" | grep -qvE '^path=/(healthz|metrics|acme/)'
}
check "the killed node had answered through the front too" killed_answered
iss=0
for i in 1 3; do
  v=$(awk '/^shomei_issuance_total\{result="ok"\}/ {print $2}' "$IT_TMP/m$i")
  iss=$((iss + ${v:-0}))
done
check "the issuance counters of the live nodes add up to at most the certificates" \
  test "$iss" -le "$T" -a "$iss" -ge 1
# one CRL for every node: served from the database whichever node signed it (issue 13)
same_crl() {
  curl -fsS -o "$IT_TMP/crl1" "http://127.0.0.1:${PORTS[1]}/repository/dv.crl" &&
    curl -fsS -o "$IT_TMP/crl3" "http://127.0.0.1:${PORTS[3]}/repository/dv.crl" &&
    [ -s "$IT_TMP/crl1" ] && cmp -s "$IT_TMP/crl1" "$IT_TMP/crl3"
}
check "R-REV-2 the live nodes serve the same CRL, whichever node signed it" wait_for 30 same_crl
check "no sanitizer reports from any node" bash -c \
  '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/node*.log' _ "$IT_TMP"
it_done
