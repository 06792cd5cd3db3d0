#!/usr/bin/env bash
# Multi-perspective corroboration (issue 11 item 5; R-VAL-8): the latency of one DNS TXT
# validation (`shomei dcv check`, process start to answer) with 0 remote perspectives
# (primary only) and with 6 `shomei perspective` agents on loopback, each with its own
# resolver (the authoritative server is the test knot of tests/it/knot.sh); p50 and p99 of
# N runs each and the difference (the added latency; goal p99 < 50 ms on loopback), and
# validations per second with 6 perspectives (4 checks at a time). Measured on the release
# build (`make MODE=release`, built here when the default binary is missing), as the other
# benches are: the sanitizers of the test build multiply the cost of every process start.
# Usage: bench/mpic.sh [SHOMEI_BINARY] [N]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${1:-}" ] && [ ! -x "$top/build/release/shomei" ]; then
  make -C "$top" --no-print-directory MODE=release all >/dev/null || exit 1
fi
export SHOMEI_BIN
SHOMEI_BIN=$(realpath "${1:-$top/build/release/shomei}")
N=${2:-50}
echo "binary: $SHOMEI_BIN"
. "$(dirname "$0")/../tests/it/lib.sh"
. "$(dirname "$0")/../tests/it/knot.sh"
now_ms() { date +%s%3N; }
knot_start >/dev/null || { echo "knotd does not start"; exit 1; }
VALUE=$(python3 -c 'import secrets;print(secrets.token_urlsafe(24))')
knot_set_txt plain.test _pki-validation "$VALUE" || exit 1

P=$IT_TMP/primary
mkdir -p "$P"
PK=$("$SHOMEI_BIN" perspective keygen "$P/mpic.key")
RIRS=(ARIN RIPE APNIC ARIN RIPE APNIC)
: >"$P/perspectives.txt"
for i in 0 1 2 3 4 5; do
  port=$(free_port)
  pub=$("$SHOMEI_BIN" perspective init --dir "$IT_TMP/p$i" --primary-key "$PK" \
    --set "perspective.port=$port" --set "dns.resolver=$KNOT_ADDR" \
    --set "dns.trust_anchor_file=$KNOT_TA" --set testing.not_for_production=true)
  "$SHOMEI_BIN" perspective --dir "$IT_TMP/p$i" >"$IT_TMP/p$i.log" 2>&1 &
  IT_PIDS+=($!)
  echo "${RIRS[$i]} loc$i http://127.0.0.1:$port $pub" >>"$P/perspectives.txt"
  wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null || exit 1
done
base="[dns]
resolver = $KNOT_ADDR
trust_anchor_file = $KNOT_TA
[testing]
not_for_production = true"
mkdir -p "$IT_TMP/zero"
printf '%s\n' "$base" >"$IT_TMP/zero/shomei.ini"
printf '%s\n[mpic]\nperspectives = perspectives.txt\n' "$base" >"$P/shomei.ini"

run() { "$SHOMEI_BIN" dcv check --dir "$1" --method dns --domain plain.test --value "$VALUE"; }
series() { # DIR -> sorted ms of N runs in $IT_TMP/ms
  local t0 i
  run "$1" >/dev/null || { echo "check fails in $1"; exit 1; }
  for i in $(seq 1 "$N"); do
    t0=$(now_ms)
    run "$1" >/dev/null || echo "run $i failed" >&2
    echo $(($(now_ms) - t0))
  done | sort -n >"$IT_TMP/ms"
}
pct() { # P -> value at percentile P of $IT_TMP/ms
  awk -v p="$1" '{v[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print v[i]}' "$IT_TMP/ms"
}
series "$IT_TMP/zero"
z50=$(pct 50) z99=$(pct 99)
series "$P"
s50=$(pct 50) s99=$(pct 99)
run "$P" | sed -n 's/.*"result":"\([0-9]*\/[0-9]*\)".*/corroboration result: \1/p' | head -1
echo "one validation, $N runs, wall ms (process start to answer):"
echo "  0 perspectives: p50 $z50  p99 $z99"
echo "  6 perspectives: p50 $s50  p99 $s99"
echo "  added:          p50 $((s50 - z50))  p99 $((s99 - z99))   (goal: p99 < 50 ms on loopback)"
t0=$(now_ms)
M=$((N / 2 > 4 ? N / 2 : 4))
seq 1 "$M" | xargs -P 4 -I{} "$SHOMEI_BIN" dcv check --dir "$P" --method dns --domain plain.test \
  --value "$VALUE" >/dev/null
el=$(($(now_ms) - t0))
echo "validations per second with 6 perspectives (4 at a time): $(awk -v m="$M" -v e="$el" 'BEGIN {printf "%.1f", m * 1000 / e}')"
