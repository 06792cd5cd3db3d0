# SPDX-License-Identifier: MIT
# Real authoritative DNS for integration tests (sourced after lib.sh): knotd on
# 127.0.0.1:free port, run as the current user with a temporary config, storage and zones,
# stopped by PID through lib.sh's cleanup. Zones (reserved .test names, never public):
#   test.          parent zone (SOA/NS only) so a CAA climb ends at an empty TLD answer
#   plain.test.    unsigned; TXT and CAA (issue "shomei.example"), A 127.0.0.1 for web.
#   signed.test.   DNSSEC-signed by knot (automatic ECDSA P-256); its DNSKEY set is the
#                  resolver's trust anchor, so answers are "secure"
#   forbid.test.   unsigned; CAA issue "other-ca.example" (forbids us)
#   bogus.test.    DNSSEC-signed, but the trust anchor given for it is signed.test.'s key
#                  under the wrong owner name, so every answer below it is "bogus"
# Functions:
#   knot_start [EXTRA_RECORDS_FILE]  starts knotd; sets KNOT_PORT, KNOT_ADDR
#       ("127.0.0.1@PORT"), KNOT_PID and KNOT_TA (trust anchor file for signed.test and
#       the mismatched one for bogus.test). EXTRA_RECORDS_FILE: lines "ZONE RECORD..."
#       appended to that zone's file (e.g. "plain.test _pki-validation TXT v").
#       KNOT_ZONES (optional, set before knot_start): more unsigned zones to serve, e.g.
#       "com example.com" for names that must pass the public-name checks of applications
#       (the parent zone lets a CAA climb end with an empty answer).
#       KNOT_UPDATE_ZONES (optional): zones of KNOT_ZONES that take RFC 2136 dynamic updates
#       from 127.0.0.1 without TSIG (lego's rfc2136 provider in tests/it/acme_clients.sh).
#   knot_dig NAME TYPE               queries the running server with kdig (+short)
#   knot_set_txt ZONE OWNER VALUE    replaces OWNER's TXT set in a zone (knotc-free: edits
#       the zone file and reloads with SIGHUP; waits until kdig sees the value)
# Needs the binaries knotd and kdig (packages knot, knot-dnsutils; scripts/deps installs them).

KNOT_DIR="$IT_TMP/knot"
KNOT_PID=
KNOT_PORT=
KNOT_ADDR=
KNOT_TA=

knot_zone_file() { echo "$KNOT_DIR/zones/$1.zone"; }

knot_write_zone() { # ZONE BODY
  local zone=$1 body=$2
  cat >"$(knot_zone_file "$zone")" <<EOF
\$ORIGIN $zone.
\$TTL 60
@ SOA ns.$zone. hostmaster.$zone. 1 3600 600 86400 60
@ NS ns.$zone.
ns A 127.0.0.1
$body
EOF
}

knot_start() {
  local extra=${1:-} z line
  command -v knotd >/dev/null || { echo "# knotd not installed" >&2; return 1; }
  mkdir -p "$KNOT_DIR/zones" "$KNOT_DIR/db" "$KNOT_DIR/run"
  KNOT_PORT=$(free_port)
  KNOT_ADDR="127.0.0.1@$KNOT_PORT"
  knot_write_zone test ""
  knot_write_zone plain.test '@ CAA 0 issue "shomei.example"
@ TXT "v=spf1 -all"
web A 127.0.0.1
bad A 10.0.0.1
www CNAME web'
  knot_write_zone signed.test '@ CAA 0 issue "shomei.example; validationmethods=ca-dns-txt"
web A 127.0.0.1'
  knot_write_zone forbid.test '@ CAA 0 issue "other-ca.example"
@ CAA 0 iodef "mailto:security@forbid.test"'
  knot_write_zone bogus.test '@ CAA 0 issue "shomei.example"
web A 127.0.0.1'
  for z in ${KNOT_ZONES:-}; do knot_write_zone "$z" ""; done
  if [ -n "$extra" ]; then
    while read -r z line; do
      [ -n "$z" ] && echo "$line" >>"$(knot_zone_file "$z")"
    done <"$extra"
  fi
  cat >"$KNOT_DIR/knot.conf" <<EOF
server:
    rundir: "$KNOT_DIR/run"
    listen: 127.0.0.1@$KNOT_PORT
database:
    storage: "$KNOT_DIR/db"
log:
  - target: stderr
    any: info
policy:
  - id: p256
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: off
template:
  - id: default
    storage: "$KNOT_DIR/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
$([ -n "${KNOT_UPDATE_ZONES:-}" ] && printf '%s\n' "acl:" "  - id: update_local" \
    "    address: 127.0.0.1" "    action: update")
zone:
  - domain: test.
  - domain: plain.test.
  - domain: forbid.test.
  - domain: signed.test.
    dnssec-signing: on
    dnssec-policy: p256
  - domain: bogus.test.
    dnssec-signing: on
    dnssec-policy: p256
$(for z in ${KNOT_ZONES:-}; do echo "  - domain: $z."
    case " ${KNOT_UPDATE_ZONES:-} " in *" $z "*) echo "    acl: update_local" ;; esac; done)
EOF
  knotd -c "$KNOT_DIR/knot.conf" >"$KNOT_DIR/knotd.log" 2>&1 &
  KNOT_PID=$!
  IT_PIDS+=("$KNOT_PID")
  local i key
  for i in $(seq 1 100); do
    key=$(kdig -p "$KNOT_PORT" @127.0.0.1 +short +timeout=1 +retry=0 signed.test DNSKEY 2>/dev/null)
    [ -n "$key" ] && [ -n "$(knot_dig bogus.test DNSKEY)" ] &&
      [ -n "$(knot_dig plain.test CAA)" ] && break
    key=
    sleep 0.1
  done
  if [ -z "$key" ]; then
    echo "# knotd did not start; log:" >&2
    sed 's/^/# /' "$KNOT_DIR/knotd.log" >&2
    return 1
  fi
  KNOT_TA="$KNOT_DIR/trust-anchors"
  {
    printf '%s\n' "$key" | sed 's/^/signed.test. 60 IN DNSKEY /'
    # signed.test.'s key claimed for bogus.test.: cannot match bogus.test.'s own key.
    printf '%s\n' "$key" | sed 's/^/bogus.test. 60 IN DNSKEY /'
  } >"$KNOT_TA"
}

knot_dig() {
  kdig -p "$KNOT_PORT" @127.0.0.1 +short +timeout=1 +retry=0 "$1" "$2" 2>/dev/null
}

knot_set_txt() { # ZONE OWNER VALUE
  local zone=$1 owner=$2 value=$3 f serial name
  f=$(knot_zone_file "$zone")
  serial=$(awk '$2 == "SOA" {print $6}' "$f")
  grep -v "^$owner TXT " "$f" | awk -v s=$((serial + 1)) \
    '$2 == "SOA" {$6 = s} {print}' >"$f.new" && mv "$f.new" "$f"
  echo "$owner TXT \"$value\"" >>"$f"
  kill -HUP "$KNOT_PID"
  name=$owner.$zone
  [ "$owner" = "@" ] && name=$zone
  for _ in $(seq 1 50); do
    knot_dig "$name" TXT | grep -qF "\"$value\"" && return 0
    sleep 0.1
  done
  return 1
}
