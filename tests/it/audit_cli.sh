#!/usr/bin/env bash
# R-OPS-1: `shomei audit verify` on a data directory. The chain is written here by an
# independent implementation of the record hash (sha256sum over netstrings, see
# src/store/audit.h), then tampered with through the sqlite3 CLI: a changed field, a
# deleted record and two swapped records are each reported with exit status 1.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top=$(cd "$here/../.." && pwd)

dir=$IT_TMP/data
mkdir -p "$dir"
printf '[database]\nurl = sqlite:shomei.db\n' >"$dir/shomei.ini"
sed -e 's/@PK@/INTEGER PRIMARY KEY AUTOINCREMENT/g' -e 's/@BLOB@/BLOB/g' \
  "$top/src/store/migrations/0001_core.sql" \
  "$top/src/store/migrations/0002_audit_guard.sqlite.sql" \
  "$top/src/store/migrations/0019_audit_client_ip.sql" | sqlite3 "$dir/shomei.db"

ns() { printf '%s:%s,' "$(printf '%s' "$1" | wc -c | tr -d ' ')" "$1"; }
q() { printf "'%s'" "${1//\'/\'\'}"; }
prev=0000000000000000000000000000000000000000000000000000000000000000
seq=0
append() { # actor action object detail
  local at=$((1700000000 + seq)) h
  seq=$((seq + 1))
  h=$( { printf '%s' "$prev"; ns "$seq"; ns "$at"; ns "$1"; ns "$2"; ns "$3"; ns "$4"; } |
    sha256sum | cut -d' ' -f1)
  sqlite3 "$dir/shomei.db" "INSERT INTO audit_log VALUES ($seq, $at, $(q "$1"), $(q "$2"),
    $(q "$3"), $(q "$4"), '$prev', '$h', NULL); UPDATE audit_head SET seq = $seq, hash = '$h';"
  prev=$h
}

verify() { # DIR -> sets out and rc
  out=$("$SHOMEI_BIN" audit verify --dir "$1" 2>&1)
  rc=$?
}

verify "$dir"
check_eq "empty audit log verifies" "0:audit log OK: 0 records" "$rc:$out"

append "user:1" "org.create" "org:1" '{"name":"株式会社テスト"}'
append "user:2" "order.apply" "order:2024-0001" '{"product":"OV","it'"'"'s":"quoted"}'
append "system" "cert.issue" "cert:01AB" '{}'
verify "$dir"
check_eq "intact chain of 3 verifies (shell and C agree on the hash)" \
  "0:audit log OK: 3 records" "$rc:$out"

tamper() { # name, expected record, SQL
  local d=$IT_TMP/$1
  mkdir -p "$d"
  cp "$dir/shomei.ini" "$dir/shomei.db" "$d/"
  # the append-only triggers go first, as an attacker with file access would do
  sqlite3 "$d/shomei.db" "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
    $3"
  verify "$d"
  case "$rc:$out" in
    "1:audit log broken at record $2: "*) ok "$1 is caught at record $2" ;;
    *) not_ok "$1 is caught at record $2 (got exit $rc: $out)" ;;
  esac
}
if sqlite3 "$dir/shomei.db" "DELETE FROM audit_log WHERE seq = 3" 2>/dev/null; then
  not_ok "the database refuses to delete an audit record"
else
  ok "the database refuses to delete an audit record"
fi
tamper "changed-field" 2 "UPDATE audit_log SET detail = '{\"product\":\"EV\"}' WHERE seq = 2"
tamper "deleted-record" 2 "DELETE FROM audit_log WHERE seq = 2"
tamper "swapped-records" 1 "UPDATE audit_log SET seq = -1 WHERE seq = 1;
  UPDATE audit_log SET seq = 1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1"
tamper "truncated-tail" 3 "DELETE FROM audit_log WHERE seq = 3"

for args in "audit" "audit verify" "audit verify --dir" "audit check --dir $dir" \
  "audit verify --dir $dir --extra"; do
  # shellcheck disable=SC2086
  "$SHOMEI_BIN" $args >/dev/null 2>&1
  check_eq "usage error: shomei $args" 2 "$?"
done

verify "$IT_TMP/no-such-dir"
check_eq "missing data directory fails" 1 "$rc"
it_done
