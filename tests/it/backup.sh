#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-OPS-1 (issue 13 item 4): `shomei backup` makes a consistent copy of a data directory
# while the server runs and certificates are being issued, on SQLite (online backup API)
# and on PostgreSQL (pg_dump on an exported snapshot); `shomei restore` brings it back into
# a new directory (and a new database): the audit chain verifies, the counts are those of
# the manifest and every certificate issued before the backup began is there. restore
# refuses a truncated or altered file, the backup of another data directory and a
# directory that already holds this CA, and writes nothing then.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../pg.sh"
S=$SHOMEI_BIN
N=6
trap 'pg_stop; it_cleanup' EXIT

for i in $(seq 1 $N); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$IT_TMP/c$i.csr" -subj "/CN=n$i.backup-test.example.com" 2>/dev/null
done

run_case() { # NAME URL(empty = SQLite) SQL-RUNNER
  local name=$1 url=$2 D=$IT_TMP/$1 before after pid i
  sq() { if [ -n "$url" ]; then psql -X -q -tA "$url" -c "$1"; else sqlite3 -batch "$D/shomei.db" "$1"; fi; }
  "$S" init --dir "$D" --test-ca ${url:+--set "database.url=$url"} >"$IT_TMP/$name-init.log" 2>&1 ||
    { not_ok "$name: init"; sed 's/^/# /' "$IT_TMP/$name-init.log"; return; }
  start_server "$D" || { not_ok "$name: server starts"; return; }
  "$S" issue --dir "$D" --csr "$IT_TMP/c1.csr" --name n1.backup-test.example.com --level dv \
    >/dev/null 2>&1
  # issuance load beside the server while the backup runs
  (for i in $(seq 2 $N); do
    "$S" issue --dir "$D" --csr "$IT_TMP/c$i.csr" --name "n$i.backup-test.example.com" \
      --level dv >/dev/null 2>>"$IT_TMP/$name-load.err"
  done) &
  pid=$!
  IT_PIDS+=("$pid")
  three() { [ "$(sq 'SELECT COUNT(*) FROM certificates')" -ge 3 ]; }
  wait_for 60 three
  before=$(sq "SELECT serial FROM certificates WHERE state = 'issued' ORDER BY serial")
  check "$name: backup while the server runs and certificates are issued" \
    "$S" backup --dir "$D" --out "$IT_TMP/$name.bak"
  wait "$pid"
  after=$(sq "SELECT COUNT(*) FROM certificates")
  check_eq "$name: the load issued every certificate" "$N" "$after"
  check "$name: no partial file left" test ! -e "$IT_TMP/$name.bak.partial"
  m=$(python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
i = b.rindex(b"\nM ") + 1
j = b.index(b"\n", i) + 1
n = int(b[i:j].split()[1])
print(b[j:j + n].decode())' "$IT_TMP/$name.bak")
  check "$name: the manifest names identity, schema and the database" bash -c \
    'grep -q "\"identity\": \"[0-9a-f]\{64\}\"" <<<"$1" && grep -q "\"schema\": \"[0-9]\{4\}_" <<<"$1" &&
     grep -q "\"name\": \"@database\"" <<<"$1" && grep -q "\"name\": \"keys/dv.key\"" <<<"$1" &&
     grep -q "\"name\": \"shomei.ini\"" <<<"$1"' _ "$m"
  check "$name: the database's own file is not copied raw" bash -c \
    '! grep -q "\"name\": \"shomei.db\"" <<<"$1"' _ "$m"
  want=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["counts"]["certificates"])' <<<"$m")

  # bad files and wrong targets: refused, nothing written
  echo "# $name: backup and load done after ${SECONDS}s"
  local bad=$IT_TMP/$name-bad
  head -c -300 "$IT_TMP/$name.bak" >"$bad.trunc"
  out=$("$S" restore --dir "$IT_TMP/$name-t1" --from "$bad.trunc" 2>&1)
  check_eq "$name: a truncated backup is refused" "1 truncated" \
    "$? $(grep -o truncated <<<"$out" | head -1)"
  check "$name:   nothing written" test ! -e "$IT_TMP/$name-t1"
  cp "$IT_TMP/$name.bak" "$bad.flip"
  printf 'X' | dd of="$bad.flip" bs=1 seek=2000 conv=notrunc 2>/dev/null
  check "$name: an altered backup is refused" bash -c \
    '! "$1" restore --dir "$2" --from "$3" 2>"$2.err" && grep -q "does not match" "$2.err" && test ! -e "$2"' \
    _ "$S" "$IT_TMP/$name-t2" "$bad.flip"
  [ -d "$IT_TMP/other" ] || "$S" init --dir "$IT_TMP/other" --test-ca >/dev/null 2>&1
  sum_other=$(find "$IT_TMP/other" -type f -exec sha256sum {} + | sort | sha256sum)
  check "$name: the backup of another data directory is refused" bash -c \
    '! "$1" restore --dir "$2" --from "$3" 2>"$4" && grep -q "another data directory" "$4"' \
    _ "$S" "$IT_TMP/other" "$IT_TMP/$name.bak" "$IT_TMP/$name-other.err"
  check "$name: a directory already holding this CA needs --replace" bash -c \
    '! "$1" restore --dir "$2" --from "$3" 2>"$4" && grep -q -- "--replace" "$4"' \
    _ "$S" "$D" "$IT_TMP/$name.bak" "$IT_TMP/$name-same.err"
  check_eq "$name:   the other directory is unchanged" "$sum_other" \
    "$(find "$IT_TMP/other" -type f -exec sha256sum {} + | sort | sha256sum)"

  # the real restore
  local R=$IT_TMP/$name-restored rurl=""
  if [ -n "$url" ]; then
    pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U shomei restored
    rurl="postgres://shomei@127.0.0.1:$PG_PORT/restored"
  fi
  check "$name: restore into a new directory" "$S" restore --dir "$R" --from "$IT_TMP/$name.bak" \
    ${rurl:+--database-url "$rurl"}
  check "$name: the restored audit chain verifies" "$S" audit verify --dir "$R"
  rsq() { if [ -n "$rurl" ]; then psql -X -q -tA "$rurl" -c "$1"; else sqlite3 -batch "$R/shomei.db" "$1"; fi; }
  check_eq "$name: the restored database holds the manifest's certificates" "$want" \
    "$(rsq 'SELECT COUNT(*) FROM certificates')"
  check "$name: every certificate issued before the backup is restored" bash -c \
    '[ -z "$(comm -23 <(sort <<<"$1") <(sort <<<"$2"))" ]' _ "$before" \
    "$(rsq "SELECT serial FROM certificates WHERE state = 'issued' ORDER BY serial")"
  # a row in flight at the backup (reserved, not yet signed) has moved on in the original
  # since; every row the copy holds as issued is the original's row, unchanged
  local orig_rows rest_rows
  orig_rows=$(sq "SELECT serial || ':' || state FROM certificates ORDER BY serial")
  rest_rows=$(rsq "SELECT serial || ':' || state FROM certificates WHERE state = 'issued' ORDER BY serial")
  check "$name: the restored certificates are the original rows" bash -c \
    '[ -n "$2" ] && [ -z "$(comm -13 <(sort <<<"$1") <(sort <<<"$2"))" ]' _ "$orig_rows" "$rest_rows"
  check "$name: every restored serial is one of the original's" bash -c \
    '[ -z "$(comm -13 <(sort <<<"$1") <(sort <<<"$2"))" ]' _ \
    "$(sq 'SELECT serial FROM certificates ORDER BY serial')" \
    "$(rsq 'SELECT serial FROM certificates ORDER BY serial')"
  check "$name: the key files came back (mode 0600)" bash -c \
    'cmp -s "$1/keys/dv.key" "$2/keys/dv.key" && [ "$(stat -c %a "$2/keys/dv.key")" = 600 ]' _ "$D" "$R"
  if [ -n "$rurl" ]; then
    check "$name: restored shomei.ini names the new database" grep -q "^url = $rurl$" "$R/shomei.ini"
    check "$name: a database that already holds shomei is refused" bash -c \
      '! "$1" restore --dir "$2" --from "$3" --database-url "$4" 2>"$2.err" && grep -q "empty" "$2.err"' \
      _ "$S" "$IT_TMP/$name-t3" "$IT_TMP/$name.bak" "$rurl"
  fi
  # the restored directory serves
  start_server "$R" && ok "$name: the restored directory serves" || not_ok "$name: restored serves"
}

run_case sqlite ""
if pg_start 2>"$IT_TMP/pg.err"; then
  PG_PORT=${SHOMEI_TEST_PG_URL##*:}
  PG_PORT=${PG_PORT%%/*}
  run_case pg "$SHOMEI_TEST_PG_URL"
  pg_stop
else
  echo "# no PostgreSQL here: $(cat "$IT_TMP/pg.err")"
  not_ok "PostgreSQL for the pg case"
fi
check "no sanitizer reports" bash -c \
  '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/server-*.log "$1"/*-load.err 2>/dev/null' \
  _ "$IT_TMP"
it_done
