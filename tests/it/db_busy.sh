#!/usr/bin/env bash
# A locked database (issue 8 item 12): while another process holds the SQLite write lock,
# writes answer 503 with the web.db_unavailable message and Retry-After (HTML page and
# the core/err table's db_busy code) after the bounded wait ([database] busy_timeout_ms),
# reads keep working, and /healthz answers at once from the health thread's last check
# ("database busy"), then "database ok" again once the lock is gone.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

dir=$IT_TMP/data
if ! "$SHOMEI_BIN" init --dir "$dir" --set server.secure_cookies=false \
  --set database.busy_timeout_ms=500 >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=busy-Horse-77
printf '%s\n' "$PW" | "$SHOMEI_BIN" user add --dir "$dir" --password-stdin --login busy-c \
  --role customer --email c@c.example.jp --name "Busy C" --org-name "Org C" >/dev/null
start_server "$dir" || { not_ok "server starts"; it_done; }
url=$IT_URL
key=$(api_key_for "$url" busy-c "$PW")
check "an API key before the lock" test -n "$key"
# a logged-in browser session, made before the lock
jar=$IT_TMP/jar
curl -s -c "$jar" -b "$jar" -o "$IT_TMP/login.html" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode "login_id=busy-c" --data-urlencode "password=$PW" "$url/login"
# forms of a logged-in session take the session's token (issue 8 item 16)
tok=$(curl -s -c "$jar" -b "$jar" "$url/account/keys" | grep -o 'name="csrf" value="[^"]*"' |
  head -1 | sed 's/.*value="//; s/"$//')
check "a session token for the forms" test -n "$tok"
# an anonymous browser with its own login form token, for a login during the lock
ajar=$IT_TMP/ajar
atok=$(curl -s -c "$ajar" -b "$ajar" "$url/login" | grep -o 'name="csrf" value="[^"]*"' |
  head -1 | sed 's/.*value="//; s/"$//')

# hold the write lock for 10 s from another process
"$PY" -c 'import sqlite3,sys,time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write("locked\n")
time.sleep(10)
c.execute("ROLLBACK")' "$dir/shomei.db" "$IT_TMP/locked" &
IT_PIDS+=("$!")
locker=$!
wait_for 20 test -f "$IT_TMP/locked"

# a write through the pages: a new API key
curl -s -c "$jar" -b "$jar" -D "$IT_TMP/h1" -o "$IT_TMP/b1" -m 5 --data-urlencode "csrf=$tok" \
  --data-urlencode "label=during-lock" "$url/account/keys"
check "page write while locked: 503" grep -q '^HTTP/1.1 503' "$IT_TMP/h1"
check "page write while locked: Retry-After" grep -qi '^Retry-After: [0-9]' "$IT_TMP/h1"
check "page write while locked: the database message in Japanese" \
  grep -q 'データベースに接続できません' "$IT_TMP/b1"
# logging in writes a session
s=$(curl -s -o "$IT_TMP/b2" -D "$IT_TMP/h2" -m 5 -w '%{http_code} %{time_total}' \
  --data-urlencode "csrf=$atok" --data-urlencode "login_id=busy-c" \
  --data-urlencode "password=$PW" -b "$ajar" "$url/login")
check "login (a session write) while locked: 503" grep -q '^HTTP/1.1 503' "$IT_TMP/h2"
t=${s#* }
check "the wait is bounded (under 3 s: $t s)" "$PY" -c "import sys; sys.exit(0 if $t < 3 else 1)"
# the health thread checks every few seconds: wait (bounded) until it has seen the lock
wait_for 5 bash -c "curl -s -m 2 '$url/healthz' | grep -q 'database busy'"
ok=0
for i in 1 2 3; do
  h=$(curl -s -m 2 -w ' %{time_total}' "$url/healthz")
  case "$h" in *"database busy"*" 0."*) ok=$((ok + 1)) ;; *) echo "# healthz: $h" ;; esac
  sleep 1
done
check_eq "/healthz answers within 1 s and reports the busy database" 3 "$ok"
check_eq "reads keep working while locked (account page)" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$url/account")"
check_eq "API reads keep working while locked" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$url/api/v1/orders")"
wait "$locker"
wait_for 10 bash -c "curl -s '$url/healthz' | grep -q 'database ok'"
check "/healthz reports the database ok again" bash -c "curl -s '$url/healthz' | grep -q 'database ok'"
check_eq "writes work again (the new key page)" 201 "$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
  --data-urlencode "csrf=$tok" --data-urlencode "label=after" "$url/account/keys")"
it_done
