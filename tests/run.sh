#!/usr/bin/env bash
# Runs every test: unit binaries (cmocka, TAP output), the fuzz targets over their corpora,
# integration scripts and browser tests. Each reports TAP lines ("ok ..." / "not ok ...");
# a program that exits non-zero without reporting a failure counts as one failure. Last
# line: "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR [PATTERN]
set -u
build=${1:?build dir}
pattern=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export SHOMEI_BIN="$top/$build/shomei"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP
logdir="$top/$build/test-logs"
mkdir -p "$logdir"
passed=0
failed=0

run_one() { # name, command...
  local name=$1; shift
  case "$name" in *"$pattern"*) ;; *) return ;; esac
  local log="$logdir/$(basename "$name").log"
  local start=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  local p f
  p=$(grep -cE '^ok ' "$log")
  f=$(grep -cE '^not ok ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $name exited with status $rc" >>"$log"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  printf '%-40s %4d passed %3d failed  (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
  if [ "$f" -gt 0 ]; then
    grep -E '^not ok ' "$log" | head -20 | sed 's/^/    /'
    echo "    log: $log"
  fi
}

for t in "$build"/tests/test_*; do
  [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in "$build"/fuzz-replay/fuzz_*; do # each fuzz target over its corpus
  case "$t" in *.d) continue ;; esac
  [ -x "$t" ] && run_one "fuzz/$(basename "$t")" "$t" "tests/fuzz/corpus/$(basename "$t")"
done
for t in tests/it/*.sh; do
  head -c 2 "$t" | grep -q '^#!' || continue # sourced helpers (lib.sh, knot.sh) are not tests
  [ -f "$t" ] && run_one "it/$(basename "$t" .sh)" bash "$t"
done
for t in tests/browser/*.mjs; do
  case "$(basename "$t")" in lib*.mjs) continue ;; esac # shared helpers, not tests
  [ -f "$t" ] && run_one "browser/$(basename "$t" .mjs)" node "$t"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
