#!/usr/bin/env bash
# R-SCL-1: the store tests (test_db, test_audit, test_orders_store, test_users, test_outbox,
# test_jobs, test_cert, test_subscription, test_revoke, test_product, test_acme_nonce,
# test_reissue, test_acme_ari, test_acme_authz,
# test_price, test_orgreg, test_seals, test_pagecache)
# and the whole order path (it/order_flow) against a real PostgreSQL server started by
# tests/pg.sh; their TAP lines pass through.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../pg.sh"
trap 'pg_stop; it_cleanup' EXIT
bindir=$(dirname "$SHOMEI_BIN")/tests

if ! pg_start; then
  not_ok "start a PostgreSQL server"
# libpq is loaded by the first PostgreSQL connection (store/pg.c, core/dynlib.h): the binary
# does not link it, and the runs below connect through it all the same
check_eq "shomei does not link libpq" "0" "$(readelf -d "$SHOMEI_BIN" | grep -c 'NEEDED.*libpq')"
  it_done
fi
ok "start a PostgreSQL server"
# libpq is loaded by the first PostgreSQL connection (store/pg.c, core/dynlib.h): the binary
# does not link it, and the runs below connect through it all the same
check_eq "shomei does not link libpq" "0" "$(readelf -d "$SHOMEI_BIN" | grep -c 'NEEDED.*libpq')"
for t in test_db test_audit test_orders_store test_users test_outbox test_jobs test_cert \
  test_subscription test_revoke test_product test_acme_nonce test_reissue test_acme_ari test_acme_authz \
  test_price test_orgreg test_seals test_pagecache; do
  if [ ! -x "$bindir/$t" ]; then
    not_ok "$t is built"
    continue
  fi
  CMOCKA_MESSAGE_OUTPUT=TAP "$bindir/$t" || IT_FAILED=1
done
# a fresh schema for a data directory made by shomei init
psql -X -q "$SHOMEI_TEST_PG_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' ||
  not_ok "reset the schema"
bash "$here/order_flow.sh" >"$IT_TMP/order_flow.log" 2>&1 || IT_FAILED=1
grep -E '^(not )?ok ' "$IT_TMP/order_flow.log" | sed 's/^\(ok\|not ok\) [0-9]*/& [pg]/'
check "the order path ran on PostgreSQL" grep -q '^ok .*R-OPS-1 the audit chain' "$IT_TMP/order_flow.log"
it_done
