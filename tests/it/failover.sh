#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-SCL-1 (issue 13 item 3): database failover under running nodes. A PostgreSQL primary
# with a streaming synchronous standby (synchronous_standby_names, synchronous_commit =
# on: a commit returns once the standby has it); two `shomei serve` nodes and the
# command line reach it through one libpq multi-host URL with
# target_session_attrs=read-write. Orders are placed through the API of both nodes and
# certificates issued from the command line; in the middle the primary is stopped
# (immediate: a crash) and the standby promoted. Checked: while no primary takes writes
# the nodes answer 503 (never 500), then they reconnect by themselves and take orders
# again; every order the API answered 201 for, every certificate the command line
# printed and every audit record committed before the crash is on the new primary; the
# audit chain verifies.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../pg.sh"
S=$SHOMEI_BIN
BODY=$IT_TMP/body
PW=fail-Horse-77-battery
bin=$(pg_bindir) || { not_ok "PostgreSQL binaries"; it_done; }
PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/shomei-pgf.XXXXXX")
[ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$PG_TMP"
chmod 700 "$PG_TMP"
PRIM_PID="" STBY_PID=""
pgf_cleanup() {
  local d
  for d in primary standby; do
    [ -f "$PG_TMP/$d/postmaster.pid" ] &&
      pg_as "$bin/pg_ctl" -D "$PG_TMP/$d" -m immediate -w -t 20 stop >/dev/null 2>&1
  done
  rm -rf "$PG_TMP"
}
trap 'pgf_cleanup; it_cleanup' EXIT
P1=$(free_port)
P2=$(free_port)
opts="-c listen_addresses=127.0.0.1 -k $PG_TMP -c fsync=off -c full_page_writes=off"
pg_as "$bin/initdb" -D "$PG_TMP/primary" -U shomei -A trust -E UTF8 --no-locale --no-sync \
  >"$PG_TMP/initdb.log" 2>&1 || { not_ok "initdb"; it_done; }
pg_as "$bin/pg_ctl" -D "$PG_TMP/primary" -l "$PG_TMP/primary.log" -w -t 30 -o "$opts -p $P1 \
  -c wal_level=replica -c max_wal_senders=4 -c synchronous_commit=on" start >/dev/null 2>&1 || { not_ok "primary starts"; it_done; }
pg_as "$bin/createdb" -h 127.0.0.1 -p "$P1" -U shomei shomei
pg_as "$bin/pg_basebackup" -D "$PG_TMP/standby" -R -X stream \
  -d "host=127.0.0.1 port=$P1 user=shomei application_name=standby1" \
  >"$PG_TMP/basebackup.log" 2>&1 || { not_ok "pg_basebackup"; cat "$PG_TMP/basebackup.log"; it_done; }
pg_as "$bin/pg_ctl" -D "$PG_TMP/standby" -l "$PG_TMP/standby.log" -w -t 30 -o "$opts -p $P2" \
  start >/dev/null 2>&1 || { not_ok "standby starts"; cat "$PG_TMP/standby.log"; it_done; }
q1() { psql -X -q -tA "postgres://shomei@127.0.0.1:$P1/shomei" -c "$1"; }
q2() { psql -X -q -tA "postgres://shomei@127.0.0.1:$P2/shomei" -c "$1"; }
# synchronous from now on (set once the standby exists: a commit would wait for it)
q1 "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" >/dev/null
q1 "SELECT pg_reload_conf()" >/dev/null
check "the standby streams synchronously" wait_for 30 bash -c \
  "[ \"\$(psql -X -q -tA 'postgres://shomei@127.0.0.1:$P1/shomei' -c \
    \"SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'\")\" = sync ]"
URL="postgresql://shomei@127.0.0.1:$P1,127.0.0.1:$P2/shomei?target_session_attrs=read-write&connect_timeout=2"

D=$IT_TMP/data
"$S" init --dir "$D" --demo --test-ca --set server.secure_cookies=false --set "database.url=$URL" \
  --set jobs.lease_seconds=4 --set database.busy_timeout_ms=2000 \
  >"$IT_TMP/init.log" 2>&1 || { not_ok "init on the multi-host URL"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login fail-c --role customer \
  --email c@fail-test.co.jp --name "Fail C" --org-name "Fail Org" >/dev/null
start_server "$D" || { not_ok "node A starts"; it_done; }
UA=$IT_URL
start_server "$D" || { not_ok "node B starts"; it_done; }
UB=$IT_URL
KEY=$(api_key_for "$UA" fail-c "$PW")
check "an API key through node A" test -n "$KEY"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -out "$IT_TMP/o.csr" -subj "/CN=www.fail-test.co.jp" 2>/dev/null
order_json() {
  CSR="$IT_TMP/o.csr" python3 -c '
import json, os, sys
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(),
  "cn": "www.fail-test.co.jp", "dcv_methods": {"www.fail-test.co.jp": "dns"},
  "contact": {"org": "切替試験株式会社", "dept": "情報システム部", "name": "山田 太郎",
              "name_kana": "やまだ たろう", "postal": "100-0001", "pref": "東京都",
              "city": "千代田区", "street": "千代田1-1", "phone": "03-1111-2222",
              "email": "ops@fail-test.co.jp"},
  "billing_same": True, "notify_emails": ["cert@fail-test.co.jp"], "idem_key": sys.argv[1]},
  ensure_ascii=False))' "$1"
}
OK_ORDERS=$IT_TMP/ok-orders
: >"$OK_ORDERS"
CODES=$IT_TMP/codes
: >"$CODES"
place() { # IDEM URL: one order; its id goes to OK_ORDERS when answered 201
  local c
  c=$(curl -s -m 20 -o "$IT_TMP/$1.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' --data-binary "$(order_json "$1")" "$2/api/v1/orders")
  echo "$c" >>"$CODES"
  if [ "$c" = 201 ]; then
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$IT_TMP/$1.json" >>"$OK_ORDERS"
  fi
}
OK_SERIALS=$IT_TMP/ok-serials
: >"$OK_SERIALS"
issue() { # NAME: a certificate from the command line; its serial when printed
  "$S" issue --dir "$D" --csr "$IT_TMP/o.csr" --name "$1.fail-test.co.jp" --level dv \
    2>>"$IT_TMP/issue.err" | openssl x509 -noout -serial 2>/dev/null | cut -d= -f2 |
    tr 'A-F' 'a-f' | sed 's/^0*//' >>"$OK_SERIALS"
}
for i in 1 2; do place "before-$i" "$UA"; place "before-$i-b" "$UB"; issue "b$i"; done
check_eq "orders through both nodes before the failover" 4 "$(wc -l <"$OK_ORDERS")"
check_eq "certificates from the command line before the failover" 2 "$(grep -c . "$OK_SERIALS")"
AUDIT_BEFORE=$(q1 "SELECT COUNT(*) FROM audit_log")
LAST_BEFORE=$(q1 "SELECT MAX(seq) FROM audit_log")
check_eq "the standby has every committed audit record already (synchronous)" "$AUDIT_BEFORE" \
  "$(q2 "SELECT COUNT(*) FROM audit_log WHERE seq <= $LAST_BEFORE")"

# load goes on while the primary crashes and the standby is promoted
(for i in $(seq 1 8); do place "during-$i" "$UA"; place "during-$i-b" "$UB"; issue "d$i"; sleep 0.3; done) &
LOAD=$!
IT_PIDS+=("$LOAD")
sleep 1
pg_as "$bin/pg_ctl" -D "$PG_TMP/primary" -m immediate -w -t 20 stop >/dev/null 2>&1
echo "# primary stopped (immediate) after ${SECONDS}s"
# no primary: the nodes answer 503 and say so in /healthz
c=$(curl -s -m 20 -o "$IT_TMP/nop.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' --data-binary "$(order_json nop-1)" "$UA/api/v1/orders")
check_eq "no primary: an order is answered 503" 503 "$c"
sleep 1
pg_as "$bin/pg_ctl" -D "$PG_TMP/standby" -w -t 30 promote >/dev/null 2>&1
check "the standby is promoted" wait_for 20 bash -c \
  "[ \"\$(psql -X -q -tA 'postgres://shomei@127.0.0.1:$P2/shomei' -c 'SELECT pg_is_in_recovery()')\" = f ]"
echo "# standby promoted after ${SECONDS}s"
wait "$LOAD"
after_a() { place after-a "$UA"; [ "$(tail -1 "$CODES")" = 201 ]; }
check "the nodes reconnect by themselves: node A takes an order again" wait_for 30 after_a
place after-b "$UB"
check_eq "  and node B" 201 "$(tail -1 "$CODES")"
issue after-cli
check "  and the command line issues again" test -n "$(tail -1 "$OK_SERIALS")"
echo "# answers during the load: $(sort "$CODES" | uniq -c | tr '\n' ' ')"
check "no answer was a 500" bash -c '! grep -q "^500$" "$1"' _ "$CODES"
sed -i '/^$/d' "$OK_ORDERS" "$OK_SERIALS"
lost=0
while read -r id; do
  [ "$(q2 "SELECT COUNT(*) FROM orders WHERE id = $id")" = 1 ] || lost=$((lost + 1))
done <"$OK_ORDERS"
check_eq "every order answered 201 is on the new primary ($(wc -l <"$OK_ORDERS") orders)" 0 "$lost"
lost=0
while read -r s; do
  [ "$(q2 "SELECT COUNT(*) FROM certificates WHERE serial = '$s' AND state = 'issued'")" = 1 ] ||
    lost=$((lost + 1))
done <"$OK_SERIALS"
check_eq "every certificate printed is on the new primary ($(wc -l <"$OK_SERIALS") certificates)" 0 "$lost"
check_eq "every audit record committed before the crash is there" "$AUDIT_BEFORE" \
  "$(q2 "SELECT COUNT(*) FROM audit_log WHERE seq <= $LAST_BEFORE")"
check "the audit chain verifies on the new primary" "$S" audit verify --dir "$D"
check "no sanitizer reports" bash -c \
  '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/server-*.log "$1"/issue.err' _ "$IT_TMP"
it_done
