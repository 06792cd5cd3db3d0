#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-VAL-3, issue 8 items 25, 26, 27: DNSSEC validation back to a root trust anchor with
# forwarders, as in production (a local resolver in front): knotd on loopback serves a
# signed root zone of its own and below it
#   example.        signed, secure delegation from the root (DS computed from its key)
#   plain.example.  unsigned: an insecure delegation (no DS), treated as insecure
#   bogus.example.  signed, but example. publishes a DS that matches none of its keys
#   test.           unsigned, insecure delegation (RFC 6761: asked only in test mode)
# The root anchor comes from [dns] root_trust_anchor (the distribution's file in
# production; here the test root's key). An anchor without the root's signing key
# (KSK-2017 only), a missing anchor file and every test relaxation outside
# [testing] not_for_production refuse to start with a clear error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"

command -v knotd >/dev/null || { not_ok "knotd installed"; it_done; }
K="$IT_TMP/knotroot"
mkdir -p "$K/zones" "$K/db" "$K/run"
KPORT=$(free_port)
zone() { # NAME FILE BODY
  cat >"$K/zones/$2.zone" <<EOF
\$ORIGIN $1
\$TTL 60
@ SOA ns.example. hostmaster.example. 1 3600 600 86400 60
@ NS ns.example.
$3
EOF
}
ROOT_BODY='example. NS ns.example.
ns.example. A 127.0.0.1
test. NS ns.example.'
zone . root "$ROOT_BODY"
EXAMPLE_BODY='ns A 127.0.0.1
@ CAA 0 issue "shomei.example"
secure CAA 0 issue "other-ca.example"
plain NS ns.example.
bogus NS ns.example.
bogus DS 4711 13 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF'
zone example. example "$EXAMPLE_BODY"
zone plain.example. plain.example '@ CAA 0 issue "shomei.example"'
zone bogus.example. bogus.example '@ CAA 0 issue "shomei.example"'
zone test. test 'x CAA 0 issue "other-ca.example"'
cat >"$K/knot.conf" <<EOF
server:
    rundir: "$K/run"
    listen: 127.0.0.1@$KPORT
database:
    storage: "$K/db"
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
    storage: "$K/zones"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: .
    file: root.zone
    dnssec-signing: on
    dnssec-policy: p256
  - domain: example.
    file: example.zone
    dnssec-signing: on
    dnssec-policy: p256
  - domain: plain.example.
    file: plain.example.zone
  - domain: bogus.example.
    file: bogus.example.zone
    dnssec-signing: on
    dnssec-policy: p256
  - domain: test.
    file: test.zone
EOF
knotd -c "$K/knot.conf" >"$K/knotd.log" 2>&1 &
IT_PIDS+=("$!")
KNOT_PID=$!
kq() { kdig -p "$KPORT" @127.0.0.1 +short +timeout=1 +retry=0 "$@" 2>/dev/null; }
for _ in $(seq 1 100); do
  [ -n "$(kq . DNSKEY)" ] && [ -n "$(kq example. DNSKEY)" ] && [ -n "$(kq bogus.example. DNSKEY)" ] &&
    break
  sleep 0.1
done
ROOTKEY=$(kq . DNSKEY)
EXKEY=$(kq example. DNSKEY)
[ -n "$ROOTKEY" ] && [ -n "$EXKEY" ] || {
  not_ok "knotd serves a signed root"
  sed 's/^/# /' "$K/knotd.log"
  it_done
}
ok "knotd serves a signed root zone on 127.0.0.1@$KPORT"

# The DS of example.'s key (RFC 4034 5.1.4, SHA-256) goes into the root zone.
DS=$(python3 - "$EXKEY" <<'EOF'
import base64, hashlib, struct, sys
flags, proto, alg, key = sys.argv[1].split(None, 3)
rdata = struct.pack("!HBB", int(flags), int(proto), int(alg)) + base64.b64decode("".join(key.split()))
acc = sum(b if i & 1 else b << 8 for i, b in enumerate(rdata))
tag = (acc + (acc >> 16)) & 0xFFFF
digest = hashlib.sha256(b"\x07example\x00" + rdata).hexdigest().upper()
print(f"{tag} {alg} 2 {digest}")
EOF
)
zone . root "$ROOT_BODY
example. DS $DS"
sed -i 's/ 1 3600 600/ 2 3600 600/' "$K/zones/root.zone"
kill -HUP "$KNOT_PID"
for _ in $(seq 1 50); do
  [ -n "$(kq example. DS)" ] && break
  sleep 0.1
done
check "root zone publishes example.'s DS" test -n "$(kq example. DS)"

printf '%s\n' "$ROOTKEY" | sed 's/^/. 60 IN DNSKEY /' >"$IT_TMP/test-root.key"
# KSK-2017 alone: a root anchor that misses the key signing the root now.
echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' \
  >"$IT_TMP/ksk2017.ds"

mkdir_ini() { # NAME INI-BODY: a data directory holding only shomei.ini
  mkdir -p "$IT_TMP/$1"
  printf '%s\n' "$2" >"$IT_TMP/$1/shomei.ini"
  echo "$IT_TMP/$1"
}
DNS="[dns]
resolver = 127.0.0.1@$KPORT
timeout = 3"
caa() { # DIR NAME
  OUT=$("$SHOMEI_BIN" caa check --dir "$1" --name "$2" 2>"$IT_TMP/err")
  RC=$?
}
field() { printf '%s\n' "$OUT" | sed -n "s/^$1: //p"; }
# The primary's own CAA verdict: production without [mpic] perspectives refuses every
# check after it for too few perspectives (R-VAL-8, BR 3.2.2.9); what this test proves is
# the primary's DNSSEC-validated answer.
primary() { printf '%s\n' "$OUT" | sed -n 's/^evidence: //p' |
  /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["result"])' 2>/dev/null; }
has() { # NAME TEXT
  if printf '%s\n' "$OUT" | grep -qF -- "$2"; then ok "$1"; else not_ok "$1 (no $2 in: $OUT)"; fi
}

# ---- production: forwarders, the root anchor, no test setting ----
P=$(mkdir_ini prod "$DNS
root_trust_anchor = $IT_TMP/test-root.key")
caa "$P" www.example
check_eq "item 27 forwarders: secure answer permits at the primary" permit "$(primary)"
check_eq "R-VAL-8 production without perspectives: the check is refused" "1 mpic.too_few" \
  "$RC $(field reason)"
has "item 27 forwarders: validated back to the root anchor" '"dnssec":"secure"'
check "item 25: RFC 5011 state file created in the data directory" \
  grep -q DNSKEY "$P/dns-root-anchor.key"
caa "$P" secure.example
check_eq "item 27 forwarders: secure CAA naming another CA refuses" "caa.forbidden" \
  "$(field reason)"
caa "$P" www.plain.example
check_eq "item 27 forwarders: insecure delegation permits at the primary" permit "$(primary)"
has "item 27 forwarders: insecure delegation is insecure, not bogus" '"dnssec":"insecure"'
caa "$P" www.bogus.example
check_eq "item 27 forwarders: bogus answer refuses" "caa.bogus" "$(field reason)"
has "item 27 forwarders: bogus in the evidence" '"dnssec":"bogus"'
caa "$P" x.test
check_eq "item 27: test. is not asked in production (no CAA found)" permit "$(primary)"
has "item 27: test. answered locally with NXDOMAIN" '"rcode":"NXDOMAIN"'

serve_fails() { # NAME DIR PATTERN: shomei serve refuses to start, saying PATTERN
  local port
  port=$(free_port)
  timeout 30 "$SHOMEI_BIN" serve --dir "$2" --port "$port" >"$IT_TMP/serve.out" 2>&1
  local rc=$?
  check_eq "$1: serve exits 1" 1 "$rc"
  if grep -q -- "$3" "$IT_TMP/serve.out"; then ok "$1: says why"; else
    not_ok "$1: says why ($3)"
    sed 's/^/# /' "$IT_TMP/serve.out"
  fi
  check "$1: does not listen" bash -c "! curl -fsS -o /dev/null http://127.0.0.1:$port/healthz 2>/dev/null"
}

# ---- item 25: an anchor without the root's signing key fails closed at start ----
S=$(mkdir_ini stale "$DNS
root_trust_anchor = $IT_TMP/ksk2017.ds")
serve_fails "item 25 KSK-2017-only anchor" "$S" "root trust anchor does not validate"
caa "$S" www.example
check_eq "item 25 KSK-2017-only anchor: CAA refuses as bogus" "caa.bogus" "$(field reason)"

# ---- item 27: a missing anchor configuration fails closed ----
M=$(mkdir_ini missing "$DNS
root_trust_anchor = $IT_TMP/no-such-anchor")
serve_fails "item 27 missing root anchor" "$M" "root_trust_anchor .* holds no root"
caa "$M" www.example
check_eq "item 27 missing root anchor: caa check fails" 1 "$RC"
check "item 27 missing root anchor: caa check says why" grep -q "holds no root" "$IT_TMP/err"

# ---- the test relaxations need [testing] not_for_production ----
T=$(mkdir_ini own "$DNS
trust_anchor_file = $IT_TMP/test-root.key")
serve_fails "item 27 own anchors without the test setting" "$T" \
  "trust_anchor_file .*not_for_production"
H=$(mkdir_ini port "$DNS
root_trust_anchor = $IT_TMP/test-root.key
[dcv]
http_port = 8080")
serve_fails "item 26 http_port 8080 without the test setting" "$H" "http_port .*not_for_production"
L=$(mkdir_ini loop "$DNS
root_trust_anchor = $IT_TMP/test-root.key
[dcv]
allow_loopback = true")
serve_fails "item 27 loopback targets without the test setting" "$L" \
  "allow_loopback .*not_for_production"

# ---- test mode: own anchors replace the root, test. is asked of the servers ----
X=$(mkdir_ini testmode "$DNS
trust_anchor_file = $IT_TMP/test-root.key
[testing]
not_for_production = true")
caa "$X" x.test
check_eq "item 27 test mode: test. asked of the servers" "caa.forbidden" "$(field reason)"
caa "$X" www.bogus.example
check_eq "item 27 test mode: own anchors still refuse bogus" "caa.bogus" "$(field reason)"

# ---- serve: starts with a good anchor, and warns in test mode ----
if "$SHOMEI_BIN" init --dir "$IT_TMP/srv" --set "dns.resolver=127.0.0.1@$KPORT" \
  --set "dns.root_trust_anchor=$IT_TMP/test-root.key" --set dns.timeout=3 \
  >"$IT_TMP/init.log" 2>&1 && start_server "$IT_TMP/srv"; then
  ok "item 25 serve starts when the root anchor validates the root"
  check "production start logs no test warning" \
    bash -c "! grep -q 'NOT FOR PRODUCTION' '$IT_TMP'/server-*.log"
  kill "$IT_SERVER_PID"
  wait "$IT_SERVER_PID" 2>/dev/null
else
  not_ok "item 25 serve starts when the root anchor validates the root"
  sed 's/^/# /' "$IT_TMP/init.log"
fi

it_done
