#!/usr/bin/env bash
# R-SCL-1: the store tests (test_db) and the audit-log tests (test_audit) against a real
# PostgreSQL server started by tests/pg.sh; their TAP lines pass through.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../pg.sh"
trap 'pg_stop; it_cleanup' EXIT
bindir=$(dirname "$SHOMEI_BIN")/tests

if ! pg_start; then
  not_ok "start a PostgreSQL server"
  it_done
fi
ok "start a PostgreSQL server"
for t in test_db test_audit test_orders_store; do
  if [ ! -x "$bindir/$t" ]; then
    not_ok "$t is built"
    continue
  fi
  CMOCKA_MESSAGE_OUTPUT=TAP "$bindir/$t" || IT_FAILED=1
done
it_done
