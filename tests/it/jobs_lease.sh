#!/usr/bin/env bash
# R-SCL-1, R-NOT-2 (issue 7): scheduled work runs from the jobs table with leases, so two
# `shomei serve` processes on one database never run a job twice, and a job whose server
# died (kill -9) is taken over once its lease runs out. Runs on one SQLite file, then on
# one PostgreSQL server (tests/pg.sh):
#   1. N mails queued, two servers started: the SMTP sink (aiosmtpd) receives exactly N
#      messages, one per recipient, none twice; both servers' jobs exist once each;
#   2. the sink holds the next delivery; the server holding job mail.send is killed with
#      SIGKILL in the middle of it; after the lease (3 s) the other server takes the job
#      over and delivers the other mails, each once; the interrupted mail was not
#      delivered and is still queued (it goes out after its own outbox lease).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../pg.sh"
trap 'pg_stop 2>/dev/null; it_cleanup' EXIT
S=$SHOMEI_BIN
N=12
M=4

sql() { # LABEL SQL: one query on the scenario's database, values separated by '|'
  if [ "$1" = pg ]; then
    psql -qtAX "$SHOMEI_TEST_PG_URL" -c "$2"
  else
    sqlite3 -batch "$D/shomei.db" "$2"
  fi
}
count_eml() { find "$IT_TMP/$1" -name '*.eml' 2>/dev/null | wc -l; }
# Recipients of every message received, one per line, sorted, with repeats.
rcpts() { cat "$IT_TMP/$1"/*.json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin.read().replace("}{", "}\n{").splitlines():
    if line.strip():
        for r in json.loads(line)["rcpt_tos"]:
            print(r)' | sort; }
eml_is() { [ "$(count_eml "$1")" -eq "$2" ]; }
owner_pid_is() { # LABEL PID: the last owner of job mail.send is that server
  [ "$(sql "$1" "SELECT owner FROM jobs WHERE kind = 'mail.send'" | cut -d/ -f2)" = "$2" ]
}
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

scenario() { # LABEL
  local label=$1 sink=sink-$1 i pid_a pid_b owner holder other
  D=$IT_TMP/data-$label
  smtp_sink_start "$sink" --hold-file "$IT_TMP/$sink.hold" ||
    { not_ok "[$label] start the SMTP sink"; return; }
  local dburl=()
  [ "$label" = pg ] && dburl=(--set "database.url=$SHOMEI_TEST_PG_URL")
  if ! "$S" init --dir "$D" "${dburl[@]}" --set mail.enabled=true \
    --set "mail.url=smtp://127.0.0.1:$SINK_PORT" --set mail.starttls=none \
    --set mail.poll_seconds=1 --set mail.batch=1 --set mail.timeout=20 \
    --set jobs.lease_seconds=3 --set jobs.vetting_seconds=1 >"$IT_TMP/init-$label.log" 2>&1; then
    not_ok "[$label] shomei init"
    sed 's/^/# /' "$IT_TMP/init-$label.log"
    return
  fi
  for i in $(seq 1 $N); do
    "$S" mail test --dir "$D" --to "first-$i@example.test" >"$IT_TMP/queue.log" 2>&1 ||
      { not_ok "[$label] queue mail $i"; sed 's/^/# /' "$IT_TMP/queue.log"; }
  done

  # ---- 1. two servers, one database: every mail exactly once ----
  start_server "$D" || { not_ok "[$label] start server A"; return; }
  pid_a=$IT_SERVER_PID
  start_server "$D" || { not_ok "[$label] start server B"; return; }
  pid_b=$IT_SERVER_PID
  wait_for 60 eml_is "$sink" $N
  sleep 3 # a further poll of both servers sends nothing more
  check_eq "[$label] two servers on one database deliver $N mails" "$N" "$(count_eml "$sink")"
  check_eq "[$label] each recipient got exactly one message" \
    "$(seq 1 $N | sed 's/.*/first-&@example.test/' | sort)" "$(rcpts "$sink")"
  check_eq "[$label] one row per job kind, shared by both servers" "crl.sign|1
issuance.recover|1
mail.send|1
subscription.sweep|1
vetting.sweep|1" "$(sql "$label" "SELECT kind, COUNT(*) FROM jobs GROUP BY kind ORDER BY kind")"
  check "[$label] job mail.send ran and no run failed" \
    test "$(sql "$label" "SELECT CASE WHEN runs > 0 AND attempts = 0 THEN 'y' END FROM jobs WHERE kind = 'mail.send'")" = y

  # ---- 2. the job's holder dies mid-delivery: the other server takes over ----
  touch "$IT_TMP/$sink.hold"
  for i in $(seq 1 $M); do
    "$S" mail test --dir "$D" --to "second-$i@example.test" >"$IT_TMP/queue.log" 2>&1 ||
      { not_ok "[$label] queue second mail $i"; sed 's/^/# /' "$IT_TMP/queue.log"; }
  done
  if ! wait_for 30 test -f "$IT_TMP/$sink.hold.waiting"; then
    not_ok "[$label] a server started a delivery"
    rm -f "$IT_TMP/$sink.hold"
    return
  fi
  owner=$(sql "$label" "SELECT owner FROM jobs WHERE kind = 'mail.send' AND lease_until > 0")
  holder=$(printf '%s' "$owner" | cut -d/ -f2)
  if [ "$holder" = "$pid_a" ]; then other=$pid_b; elif [ "$holder" = "$pid_b" ]; then other=$pid_a; else
    not_ok "[$label] the job's owner ($owner) is one of the servers"
    rm -f "$IT_TMP/$sink.hold"
    return
  fi
  ok "[$label] the server $holder holds job mail.send while it delivers"
  kill -9 "$holder"
  wait "$holder" 2>/dev/null
  rm -f "$IT_TMP/$sink.hold"
  check "[$label] after the lease the other server takes the job over" \
    wait_for 30 owner_pid_is "$label" "$other"
  wait_for 30 eml_is "$sink" $((N + M - 1))
  sleep 3
  check_eq "[$label] the other mails arrive once each after the takeover" "$((N + M - 1))" \
    "$(count_eml "$sink")"
  check_eq "[$label] no recipient got a message twice" "" "$(rcpts "$sink" | uniq -d)"
  check_eq "[$label] the interrupted mail is still queued, not lost" "1" \
    "$(sql "$label" "SELECT COUNT(*) FROM outbox WHERE state = 'queued'")"
  check "[$label] the surviving server is still up" kill -0 "$other"
  stop_pid "$other"
  stop_pid "$SINK_PID"
}

scenario sqlite
if pg_start; then
  ok "start a PostgreSQL server"
  scenario pg
else
  not_ok "start a PostgreSQL server"
fi
it_done
