#!/usr/bin/env bash
# issue 9 item 4 (R-REV-3, R-REV-1): `shomei revoke --date` takes the day as the
# certificate page's form does, a calendar day in Japan time: the revocation falls at
# 00:00 JST of that day (15:00 UTC the day before); today in Japan revokes at once even
# when it is still yesterday in UTC; --help says so; a date that is not YYYY-MM-DD is a
# usage error that changes nothing.
. "$(dirname "$0")/lib.sh"

test_ca_init
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -out "$W/c.csr" -subj /CN=d.example.com 2>/dev/null
issue() { # NAME -> serial
  "$S" issue --dir "$D" --csr "$W/c.csr" --name "$1.example.com" --level dv 2>>"$W/issue.err" |
    openssl x509 -noout -serial | cut -d= -f2
}
LATER=$(issue later)
TODAY=$(issue today)
BAD=$(issue bad)

day=$(TZ=Asia/Tokyo date -d '+3 days' +%F)
out=$("$S" revoke --dir "$D" --serial "$LATER" --reason superseded --date "$day" 2>&1)
check "issue 9 item 4: a later Japan-time day schedules the revocation" \
  grep -q ' scheduled ' <<<"$out"
check_eq "issue 9 item 4: ... at 00:00 JST of that day (15:00 UTC the day before)" \
  "$(date -u -d "$day -1 day" +%F)T15:00:00Z" "$(awk '{print $3}' <<<"$out")"

out=$("$S" revoke --dir "$D" --serial "$TODAY" --reason superseded \
  --date "$(TZ=Asia/Tokyo date +%F)" 2>&1)
check "issue 9 item 4: today in Japan time revokes at once (as the web form)" \
  grep -q ' revoked ' <<<"$out"

"$S" revoke --dir "$D" --serial "$BAD" --reason superseded --date "${day}T00:00:00Z" \
  >/dev/null 2>"$W/bad.err"
check_eq "issue 9 item 4: a date with a time is a usage error" 2 $?
check "issue 9 item 4: ... saying the form" grep -q 'YYYY-MM-DD' "$W/bad.err"
out=$("$S" revoke --dir "$D" --serial "$BAD" --reason superseded 2>&1)
check "issue 9 item 4: ... and changed nothing (still revocable)" grep -q ' revoked ' <<<"$out"

"$S" revoke --help >/dev/null 2>"$W/help"
check "issue 9 item 4: --help says the date is a Japan-time day" grep -q 'JST' "$W/help"
it_done
