#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-VAL-1, R-VAL-3: `shomei dcv check` against real peers on loopback: knot serving TXT
# records (plain, DNSSEC-signed and bogus zones, see knot.sh) and tests/it/http_fixture.py
# serving validation files, redirects (BR 3.2.2.4.18), a redirect loop, a slow and a huge
# response. Loopback fetches are allowed explicitly in the test config; the BR port 80 is
# replaced by the fixture's port through [dcv] http_port (a test relaxation: the data
# directories set [testing] not_for_production, as for own anchors and loopback).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"

knot_start || { not_ok "knotd starts"; it_done; }
ok "knotd starts on $KNOT_ADDR"

WEB_PORT=$(free_port)
OTHER_PORT=$(free_port) # where a redirect must not be followed to (free_port never repeats)
check "the unauthorized port differs from the authorized one" [ "$OTHER_PORT" != "$WEB_PORT" ]
ROOT="$IT_TMP/www"
mkdir -p "$ROOT"
python3 "$(dirname "$0")/http_fixture.py" "$WEB_PORT" "$ROOT" "$OTHER_PORT" \
  >"$IT_TMP/fixture.out" 2>"$IT_TMP/fixture.log" &
IT_PIDS+=("$!")
for _ in $(seq 1 50); do grep -q ready "$IT_TMP/fixture.out" && break; sleep 0.1; done
check "http fixture starts" grep -q ready "$IT_TMP/fixture.out"

# make_dir NAME RESOLVER ALLOW_LOOPBACK: a data directory with only the settings needed.
make_dir() {
  mkdir -p "$IT_TMP/$1"
  cat >"$IT_TMP/$1/shomei.ini" <<EOF
[dns]
resolver = $2
trust_anchor_file = $KNOT_TA
timeout = 3
[dcv]
allow_loopback = $3
http_port = $WEB_PORT
timeout = 3
connect_timeout = 2
[testing]
not_for_production = true
EOF
  echo "$IT_TMP/$1"
}
D=$(make_dir data "$KNOT_ADDR" true)
DENY=$(make_dir deny "$KNOT_ADDR" false)
DEAD=$(make_dir dead "127.0.0.1@$(free_port)" true)

VALUE=$(python3 -c 'import secrets;print(secrets.token_urlsafe(24))')
FILE="shomei-$(printf '%s' "$VALUE" | sha256sum | cut -c1-16).txt"
printf '%s\n' "$VALUE" >"$ROOT/$FILE"
printf '%s\n' "$VALUE" >"$ROOT/good.txt"
printf 'not-the-value\n' >"$ROOT/wrong.txt"
for z in plain.test signed.test bogus.test; do
  knot_set_txt "$z" _pki-validation "$VALUE" || not_ok "TXT record set in $z"
done
knot_set_txt forbid.test _pki-validation "other-value" || not_ok "TXT record set in forbid.test"

# run DIR ARGS...: runs dcv check; sets RC and OUT (stdout), ERR (stderr).
run() {
  local dir=$1
  shift
  OUT=$("$SHOMEI_BIN" dcv check --dir "$dir" "$@" 2>"$IT_TMP/err")
  RC=$?
  ERR=$(cat "$IT_TMP/err")
}
field() { printf '%s\n' "$OUT" | sed -n "s/^$1: //p"; }
# expect NAME RC REASON: exit status and reason line ("" for success).
expect() {
  check_eq "$1: exit $2" "$2" "$RC"
  check_eq "$1: reason" "$3" "$(field reason)"
  [ -z "$ERR" ] || not_ok "$1: stderr is empty ($ERR)"
}
evidence_has() { # NAME TEXT
  if field evidence | grep -qF -- "$2"; then ok "$1"; else not_ok "$1 (no $2 in evidence)"; fi
}

# ---- DNS TXT (R-VAL-1 BR 3.2.2.4.7; R-VAL-3 DNSSEC) ----
run "$D" --method dns --domain plain.test --value "$VALUE"
expect "R-VAL-1 dns: unsigned zone with the value" 0 ""
evidence_has "dns evidence: method" '"method":"dns"'
evidence_has "dns evidence: BR section" '"br_section":"3.2.2.4.7"'
evidence_has "dns evidence: BR version" '"br_version":"'
evidence_has "dns evidence: queried name" '"query":"_pki-validation.plain.test"'
evidence_has "dns evidence: insecure" '"dnssec":"insecure"'
evidence_has "dns evidence: answer" "\"answers\":[\"$VALUE\"]"

run "$D" --method dns --domain www.signed.test --value "$VALUE"
expect "R-VAL-1 dns: www.signed.test has no own record" 1 "dcv.dns.not_found"
run "$D" --method dns --domain signed.test --value "$VALUE"
expect "R-VAL-3 dns: signed zone validates" 0 ""
evidence_has "dns evidence: secure" '"dnssec":"secure"'

run "$D" --method dns --domain bogus.test --value "$VALUE"
expect "R-VAL-3 dns: DNSSEC bogus answer fails although the value matches" 1 "dcv.dns.bogus"
evidence_has "bogus evidence: status" '"dnssec":"bogus"'
evidence_has "bogus evidence: resolver reason" '"why_bogus":"validation failure'

run "$D" --method dns --domain plain.test --value "${VALUE}x"
expect "R-VAL-1 dns: other value" 1 "dcv.dns.mismatch"
run "$D" --method dns --domain forbid.test --value "$VALUE"
expect "R-VAL-1 dns: record holds another value" 1 "dcv.dns.mismatch"
run "$D" --method dns --domain nowhere.test --value "$VALUE"
expect "R-VAL-1 dns: no such domain" 1 "dcv.dns.not_found"
evidence_has "nxdomain evidence: rcode" '"rcode":"NXDOMAIN"'

start=$SECONDS
run "$DEAD" --method dns --domain plain.test --value "$VALUE"
expect "R-VAL-1 dns: resolver does not answer" 1 "dcv.dns.lookup_failed"
check "dns: silent resolver bounded by the timeout" test $((SECONDS - start)) -le 8

# ---- web page file (R-VAL-1 BR 3.2.2.4.18) ----
H=web.plain.test
run "$D" --method http --domain "$H" --value "$VALUE"
expect "R-VAL-1 http: default file name" 0 ""
evidence_has "http evidence: method" '"method":"http"'
evidence_has "http evidence: BR section" '"br_section":"3.2.2.4.18"'
evidence_has "http evidence: URL" "\"url\":\"http://$H:$WEB_PORT/.well-known/pki-validation/$FILE\""
evidence_has "http evidence: connected address" '"address":"127.0.0.1"'
evidence_has "http evidence: status" '"status":200'
check "http: the value is not in the request" \
  sh -c "! grep -F -- \"$VALUE\" \"$IT_TMP/fixture.log\""

run "$D" --method http --domain web.signed.test --value "$VALUE" --file good.txt
expect "R-VAL-1 http: named file on a signed name" 0 ""
evidence_has "http evidence: host answer secure" '"dnssec":"secure"'

run "$D" --method http --domain "$H" --value "$VALUE" --file wrong.txt
expect "R-VAL-1 http: wrong content" 1 "dcv.http.mismatch"
run "$D" --method http --domain "$H" --value "$VALUE" --file missing.txt
expect "R-VAL-1 http: 404" 1 "dcv.http.status"

for c in redirect temp perm tmp7; do
  run "$D" --method http --domain "$H" --value "$VALUE" --file "$c-good.txt"
  expect "R-VAL-1 http: $c redirect to the file is followed" 0 ""
done
evidence_has "redirect evidence: the 307 hop" '"status":307,'
evidence_has "redirect evidence: the final hop" "\"status\":200,\"url\":\"http://$H:$WEB_PORT/.well-known/pki-validation/good.txt\""

run "$D" --method http --domain "$H" --value "$VALUE" --file loop-0
expect "R-VAL-1 http: redirect loop stops" 1 "dcv.http.too_many_redirects"
run "$D" --method http --domain "$H" --value "$VALUE" --file see-other-good.txt
expect "R-VAL-1 http: 303 is not a BR redirect" 1 "dcv.http.redirect_status"
run "$D" --method http --domain "$H" --value "$VALUE" --file badport-good.txt
expect "R-VAL-1 http: redirect to an unauthorized port" 1 "dcv.http.port"
run "$D" --method http --domain "$H" --value "$VALUE" --file ftp-good.txt
expect "R-VAL-1 http: redirect to ftp" 1 "dcv.http.scheme"
run "$D" --method http --domain "$H" --value "$VALUE" --file private-good.txt
expect "R-VAL-1 http: redirect to a private address" 1 "dcv.http.address_refused"
run "$D" --method http --domain bad.plain.test --value "$VALUE"
expect "R-VAL-1 http: domain on a private address" 1 "dcv.http.address_refused"
run "$DENY" --method http --domain "$H" --value "$VALUE"
expect "R-VAL-1 http: loopback refused unless allowed" 1 "dcv.http.address_refused"
run "$D" --method http --domain web.bogus.test --value "$VALUE" --file good.txt
expect "R-VAL-3 http: bogus A answer refused" 1 "dcv.http.dns_bogus"
run "$D" --method http --domain nowhere.plain.test --value "$VALUE"
expect "R-VAL-1 http: name without address" 1 "dcv.http.no_address"

start=$SECONDS
run "$D" --method http --domain "$H" --value "$VALUE" --file slow.txt
expect "R-VAL-1 http: slow server" 1 "dcv.http.timeout"
check "http: slow server bounded by the timeout" test $((SECONDS - start)) -le 8
run "$D" --method http --domain "$H" --value "$VALUE" --file huge.txt
expect "R-VAL-1 http: huge body" 1 "dcv.http.too_large"

# ---- usage (exit 2, nothing checked) ----
usage() { # NAME ARGS...
  local n=$1
  shift
  OUT=$("$SHOMEI_BIN" dcv "$@" 2>"$IT_TMP/err")
  RC=$?
  check_eq "usage: $n: exit 2" 2 "$RC"
  check "usage: $n: message" grep -q 'usage: shomei dcv' "$IT_TMP/err"
}
usage "no subcommand"
usage "no value" check --dir "$D" --method dns --domain plain.test
usage "unknown method" check --dir "$D" --method whois --domain plain.test --value v
usage "file holds the value" check --dir "$D" --method http --domain "$H" --value "$VALUE" \
  --file "a$VALUE"
usage "file with a slash" check --dir "$D" --method http --domain "$H" --value v --file a/b
usage "public suffix" check --dir "$D" --method dns --domain com --value v
usage "unknown flag" check --dir "$D" --bogus x
"$SHOMEI_BIN" dcv --help | grep -q 'shomei dcv check'
check_eq "--help exits 0" 0 "$?"

it_done
