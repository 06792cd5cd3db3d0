#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-CAL-1: `shomei calendar FROM TO` prints one line per day, "holiday" for weekends,
# national holidays and the year-end closure; bad input is a usage error (exit 2).
. "$(dirname "$0")/lib.sh"

# expect_range NAME FROM TO EXPECTED-LINES
expect_range() {
  local name=$1 from=$2 to=$3 want=$4 got rc
  got=$("$SHOMEI_BIN" calendar "$from" "$to" 2>"$IT_TMP/err")
  rc=$?
  check_eq "$name: exit status" 0 "$rc"
  check_eq "$name: output" "$want" "$got"
  check_eq "$name: nothing on stderr" "" "$(cat "$IT_TMP/err")"
}

# R-CAL-1: Golden Week 2019 (ten days off around the enthronement).
expect_range "golden week 2019" 2019-04-26 2019-05-08 "2019-04-26 business
2019-04-27 holiday
2019-04-28 holiday
2019-04-29 holiday
2019-04-30 holiday
2019-05-01 holiday
2019-05-02 holiday
2019-05-03 holiday
2019-05-04 holiday
2019-05-05 holiday
2019-05-06 holiday
2019-05-07 business
2019-05-08 business"

# R-CAL-1: the year-end closure December 29 - January 3 on weekdays.
expect_range "new year 2025-2026" 2025-12-26 2026-01-06 "2025-12-26 business
2025-12-27 holiday
2025-12-28 holiday
2025-12-29 holiday
2025-12-30 holiday
2025-12-31 holiday
2026-01-01 holiday
2026-01-02 holiday
2026-01-03 holiday
2026-01-04 holiday
2026-01-05 business
2026-01-06 business"

# R-CAL-1: 2026 silver week with a citizens' holiday on 9/22.
expect_range "silver week 2026" 2026-09-18 2026-09-24 "2026-09-18 business
2026-09-19 holiday
2026-09-20 holiday
2026-09-21 holiday
2026-09-22 holiday
2026-09-23 holiday
2026-09-24 business"

# R-CAL-1: the 2021 Olympic moves: 7/22, 7/23 holidays, 8/9 substitute; 8/11 a workday.
expect_range "olympics 2021" 2021-08-09 2021-08-11 "2021-08-09 holiday
2021-08-10 business
2021-08-11 business"

expect_range "single day" 2024-02-29 2024-02-29 "2024-02-29 business"

# A whole year has one line per day and only the two words.
out=$("$SHOMEI_BIN" calendar 2024-01-01 2024-12-31)
check_eq "leap year line count" 366 "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
check_eq "only holiday|business lines" 0 \
  "$(printf '%s\n' "$out" | grep -cvE '^2024-[0-9]{2}-[0-9]{2} (holiday|business)$')"
check_eq "last line" "2024-12-31 holiday" "$(printf '%s\n' "$out" | tail -n 1)"

# R-CAL-1: usage errors exit 2 with nothing on stdout and a usage text on stderr.
expect_usage() {
  local name=$1 out rc
  shift
  out=$("$SHOMEI_BIN" calendar "$@" 2>"$IT_TMP/err")
  rc=$?
  check_eq "$name: exit 2" 2 "$rc"
  check_eq "$name: no output" "" "$out"
  check "$name: usage on stderr" grep -q 'usage: shomei calendar' "$IT_TMP/err"
}
expect_usage "no arguments"
expect_usage "one argument" 2025-01-01
expect_usage "three arguments" 2025-01-01 2025-01-02 2025-01-03
expect_usage "not a date" 2025-02-29 2025-03-01
expect_usage "month 13" 2025-13-01 2025-13-02
expect_usage "short form" 2025-1-1 2025-01-02
expect_usage "slashes" 2025/01/01 2025/01/02
expect_usage "trailing text" 2025-01-01 "2025-01-02 "
expect_usage "FROM after TO" 2025-01-02 2025-01-01
expect_usage "before 1980" 1979-12-31 1980-01-01
expect_usage "after 2099" 2099-12-31 2100-01-01
expect_usage "over 100 years" 1980-01-01 2099-12-31
expect_usage "empty" "" ""

help=$("$SHOMEI_BIN" calendar --help)
check_eq "--help exits 0" 0 "$?"
check "--help prints usage" grep -q 'shomei calendar' <<<"$help"

it_done
