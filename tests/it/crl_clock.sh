#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-REV-2 (issue 9 item 5): the CRL is signed anew at least every 7 days without any
# revocation. The server's CRL job re-signs a level's CRL once half its validity
# ([revocation] crl_validity_days, 7 by default) has passed: with the clock moved by
# SHOMEI_FAKE_NOW, the CRL number stays the same one and three days after the CRL of
# `shomei init`, and a greater one is published four days after it, with thisUpdate at the
# moved clock and nextUpdate at most 7 days on.
. "$(dirname "$0")/lib.sh"

test_ca_init --set revocation.crl_check_seconds=1
T0=$(date -u +%s)

fetch_crl() { # -> $W/dv.txt (text of the dv CRL)
  curl -fsS -o "$W/dv.crl" "$IT_URL/repository/dv.crl" || return 1
  openssl crl -inform DER -in "$W/dv.crl" -noout -text >"$W/dv.txt" 2>/dev/null
}
crl_number() { grep -A1 'X509v3 CRL Number' "$W/dv.txt" | tail -1 | tr -d ' '; }
SPID=
at() { # DAYS: the server restarted with the clock DAYS days after init
  [ -n "$SPID" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
  SHOMEI_FAKE_NOW=$((T0 + $1 * 86400)) start_server "$D" || { not_ok "server at +$1 d"; it_done; }
  SPID=$IT_SERVER_PID
}
number_is() { fetch_crl && [ "$(crl_number)" = "$1" ]; }
number_not() { fetch_crl && [ -n "$(crl_number)" ] && [ "$(crl_number)" != "$1" ]; }

at 1
check "R-REV-2 a dv CRL is published" wait_for 30 fetch_crl
n0=$(crl_number)
check "the CRL has a number" test -n "$n0"
sleep 4 # several runs of the CRL job (every second)
check "R-REV-2 one day later, no revocation: the same CRL number" number_is "$n0"
at 3
sleep 4
check "R-REV-2 three days later (before half of 7 days): still the same CRL number" \
  number_is "$n0"
at 4
check "R-REV-2 four days later (past half of 7 days): a new CRL number without revocation" \
  wait_for 30 number_not "$n0"
n1=$(crl_number)
check "the new number is greater" test "$((16#$n1))" -gt "$((16#$n0))"
tu=$(grep 'Last Update' "$W/dv.txt" | sed 's/.*Update: //')
nu=$(grep 'Next Update' "$W/dv.txt" | sed 's/.*Update: //')
tus=$(date -u -d "$tu" +%s)
nus=$(date -u -d "$nu" +%s)
check "thisUpdate follows the moved clock" test "$tus" -ge "$((T0 + 4 * 86400 - 60))"
check "nextUpdate at most 7 days after thisUpdate" test "$((nus - tus))" -le "$((7 * 86400))"
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
it_done
