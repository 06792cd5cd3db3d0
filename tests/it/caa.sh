#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-VAL-3: `shomei caa check` against knot on loopback (zones of knot.sh plus the records
# below): the climb to the relevant RRset through a CNAME, issue vs issuewild, accounturi
# and validationmethods (RFC 8657), critical unknown tags, DNSSEC secure and bogus answers,
# a silent resolver; every refusal carries a reason and evidence to log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"

cat >"$IT_TMP/extra" <<'EOF'
plain.test acct CAA 0 issue "shomei.example; accounturi=https://portal.test/acct/1"
plain.test wild CAA 0 issue "shomei.example"
plain.test wild CAA 0 issuewild ";"
plain.test wildok CAA 0 issue ";"
plain.test wildok CAA 0 issuewild "other-ca.example"
plain.test wildok CAA 0 issuewild "SHOMEI.example"
plain.test crit CAA 128 tbs "unknown"
plain.test crit CAA 0 issue "shomei.example"
plain.test critok CAA 128 issue "shomei.example"
plain.test unknown CAA 0 tbs "ignored"
plain.test unknown CAA 0 issue "shomei.example; future=1"
plain.test iodefonly CAA 0 iodef "mailto:sec@plain.test"
plain.test nobody CAA 0 issue ";"
plain.test bad CAA 0 issue "shomei.example; =broken"
EOF
knot_start "$IT_TMP/extra" || { not_ok "knotd starts"; it_done; }
ok "knotd starts on $KNOT_ADDR"

make_dir() { # NAME RESOLVER
  mkdir -p "$IT_TMP/$1"
  cat >"$IT_TMP/$1/shomei.ini" <<EOF
[dns]
resolver = $2
trust_anchor_file = $KNOT_TA
timeout = 3
[caa]
identities = other.example, shomei.example
[testing]
not_for_production = true
EOF
  echo "$IT_TMP/$1"
}
D=$(make_dir data "$KNOT_ADDR")
DEAD=$(make_dir dead "127.0.0.1@$(free_port)")

run() { # DIR ARGS...
  local dir=$1
  shift
  OUT=$("$SHOMEI_BIN" caa check --dir "$dir" "$@" 2>"$IT_TMP/err")
  RC=$?
  ERR=$(cat "$IT_TMP/err")
}
field() { printf '%s\n' "$OUT" | sed -n "s/^$1: //p"; }
expect() { # NAME RC REASON
  check_eq "$1: exit $2" "$2" "$RC"
  check_eq "$1: reason" "$3" "$(field reason)"
  [ -z "$ERR" ] || not_ok "$1: stderr is empty ($ERR)"
}
evidence_has() { # NAME TEXT
  if field evidence | grep -qF -- "$2"; then ok "$1"; else not_ok "$1 (no $2 in evidence)"; fi
}

run "$D" --name plain.test
expect "R-VAL-3 issue names us" 0 ""
evidence_has "evidence: relevant RRset" '"relevant":"plain.test"'
evidence_has "evidence: result" '"result":"permit"'

run "$D" --name www.plain.test
expect "R-VAL-3 CNAME then climb to the parent" 0 ""
evidence_has "evidence: CNAME target" '"canonical":"web.plain.test."'
evidence_has "evidence: climbed" '"relevant":"plain.test"'

run "$D" --name deep.er.name.plain.test
expect "R-VAL-3 climb over missing names" 0 ""

run "$D" --name x.forbid.test
expect "R-VAL-3 CAA names another CA" 1 "caa.forbidden"
evidence_has "refusal evidence: result" '"result":"refuse"'
evidence_has "refusal evidence: the records" '0 issue \"other-ca.example\"'

run "$D" --name nonexist.test
expect "R-VAL-3 no CAA anywhere up to the TLD" 0 ""
evidence_has "evidence: TLD asked last" '"query":"test"'

run "$D" --name signed.test --method dns
expect "R-VAL-3 validationmethods lists our method (signed zone)" 0 ""
evidence_has "evidence: DNSSEC secure" '"dnssec":"secure"'
run "$D" --name signed.test --method http
expect "R-VAL-3 validationmethods without our method" 1 "caa.method_mismatch"
run "$D" --name signed.test
expect "R-VAL-3 validationmethods and no method given" 1 "caa.method_mismatch"

run "$D" --name bogus.test
expect "R-VAL-3 DNSSEC bogus CAA refuses" 1 "caa.bogus"
evidence_has "bogus evidence" '"dnssec":"bogus"'
run "$D" --name www.bogus.test
expect "R-VAL-3 bogus on the way up refuses" 1 "caa.bogus"

run "$D" --name acct.plain.test --account https://portal.test/acct/1
expect "R-VAL-3 accounturi matches" 0 ""
run "$D" --name acct.plain.test --account https://portal.test/acct/2
expect "R-VAL-3 accounturi of another account" 1 "caa.account_mismatch"
run "$D" --name acct.plain.test
expect "R-VAL-3 accounturi without an account" 1 "caa.account_mismatch"

run "$D" --name wild.plain.test
expect "R-VAL-3 issue applies to the plain name" 0 ""
run "$D" --name '*.wild.plain.test'
expect "R-VAL-3 issuewild \";\" forbids the wildcard" 1 "caa.forbidden"
evidence_has "wildcard evidence" '"wildcard":true'
run "$D" --name '*.wildok.plain.test'
expect "R-VAL-3 issuewild names us (case-insensitive)" 0 ""
run "$D" --name wildok.plain.test
expect "R-VAL-3 issue \";\" forbids the plain name" 1 "caa.forbidden"

run "$D" --name crit.plain.test
expect "R-VAL-3 critical unknown tag refuses" 1 "caa.critical_unknown"
run "$D" --name critok.plain.test
expect "R-VAL-3 critical known tag is fine" 0 ""
run "$D" --name unknown.plain.test
expect "R-VAL-3 non-critical unknown tag and parameter ignored" 0 ""
run "$D" --name iodefonly.plain.test
expect "R-VAL-3 iodef alone does not restrict" 0 ""
run "$D" --name nobody.plain.test
expect "R-VAL-3 issue \";\" forbids everyone" 1 "caa.forbidden"
run "$D" --name bad.plain.test
expect "R-VAL-3 malformed issue value does not authorize" 1 "caa.forbidden"

start=$SECONDS
run "$DEAD" --name plain.test
expect "R-VAL-3 issue 8 item 5: silent resolver refuses as a time-out, not CAA" 1 "caa.timeout"
check "silent resolver bounded by the timeout" test $((SECONDS - start)) -le 8
evidence_has "time-out evidence says so" 'no answer within 3 s'

# issue 8 item 5: a server that answers SERVFAIL (knot REFUSES names outside its zones;
# the same class) is told apart from a time-out and from a CAA refusal.
run "$D" --name www.example.org
expect "R-VAL-3 issue 8 item 5: error rcode refuses as servfail" 1 "caa.servfail"

usage() { # NAME ARGS...
  local n=$1
  shift
  "$SHOMEI_BIN" caa "$@" >/dev/null 2>"$IT_TMP/err"
  check_eq "usage: $n: exit 2" 2 "$?"
  check "usage: $n: message" grep -q 'usage: shomei caa' "$IT_TMP/err"
}
usage "no subcommand"
usage "no name" check --dir "$D"
usage "unknown method" check --dir "$D" --name plain.test --method whois
usage "dcv flag" check --dir "$D" --name plain.test --value v
run "$D" --name 'bad..name'
expect "R-VAL-3 not a DNS name" 1 "caa.name_invalid"

it_done
