#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-VAL-8 (BR 3.2.2.9), issue 11 item 4: multi-perspective corroboration with six
# `shomei perspective` agents, each in its own network namespace (joined to the host by a
# veth pair, addresses from the benchmarking range 198.18.0.0/15 only) with its own
# authoritative DNS view (a knotd inside the namespace) and its own resolver. The primary
# (`shomei dcv check`, `shomei caa check`) asks them all through signed requests. Proven:
# all agree "6/6"; one hijacked view still passes "5/6" with the disagreement in the
# evidence; three hijacked fail (mpic.quorum); a perspective that is down counts as a
# disagreement; the web-page method and ACME http-01 fetched by every perspective from
# its own web server (in its namespace, on 198.18.0.0/15 under the test-only
# [dcv] allow_benchmarking) pass "6/6", one server with a wrong file passes "5/6" with its
# disagreement logged, three fail (issue 11 item 1); a replayed, stale or wrongly signed
# request is refused; garbage,
# oversized answers and a signed answer for another request id are refused and counted; too few perspectives for the date refuse.
# Without the rights to create namespaces the same test runs on loopback ports and says so.
# Everything it creates (namespaces, links, processes) is removed at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"

N=6
# Six /24s of 198.18.0.0/15 (block S: 198.18.(6S+1..6S+6).0/24) that no other run on this
# machine routes now: a run in a container may share the network stack with one on the host.
S=$(($$ % 40))
for _ in $(seq 1 40); do
  used=0
  for i in $(seq 1 $N); do
    [ -n "$(ip -4 route show "198.18.$((S * 6 + i)).0/24" 2>/dev/null)" ] && used=1
  done
  [ $used = 0 ] && break
  S=$(((S + 1) % 40))
done
TAG="m$(($$ % 100000))"
NETNS=0
NSES=()
ns_undo() {
  local ns
  for ns in "${NSES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  for i in $(seq 1 $N); do ip link del "${TAG}h$i" 2>/dev/null; done
  NSES=()
  return 0
}
# `ip netns add` mounts /run/netns on itself the first time; undo that too when this test
# made it (a fresh machine or container), so that nothing of it stays behind.
RUN_NETNS_MOUNTED=0
mountpoint -q /run/netns 2>/dev/null && RUN_NETNS_MOUNTED=1
mpic_cleanup() {
  it_cleanup
  ns_undo
  if [ $RUN_NETNS_MOUNTED = 0 ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    for _ in 1 2 3; do
      mountpoint -q /run/netns 2>/dev/null || break
      umount /run/netns 2>/dev/null || break
    done
  fi
  return 0
}
trap mpic_cleanup EXIT

# ---- the network: six namespaces, or loopback ----
# MPIC_LOOPBACK=1 forces the loopback variant (as without the rights for namespaces).
# The probe makes what the test needs, a namespace and a veth pair moved into it: some
# containers allow the first and not the second.
if [ -z "${MPIC_LOOPBACK:-}" ] && [ "$(id -u)" = 0 ] && command -v ip >/dev/null &&
  ip netns add "${TAG}probe" 2>/dev/null; then
  if ip link add "${TAG}ph" type veth peer name "${TAG}pn" 2>/dev/null &&
    ip link set "${TAG}pn" netns "${TAG}probe" 2>/dev/null &&
    ip addr add 198.19.255.1/30 dev "${TAG}ph" 2>/dev/null; then
    NETNS=1
  fi
  ip link del "${TAG}ph" 2>/dev/null
  ip netns del "${TAG}probe"
fi
PADDR=()
WADDR=()
PPORT=()
KPORT=()
NSX=()
for i in $(seq 1 $N); do
  [ $NETNS = 1 ] || break
  ns="${TAG}ns$i"
  oct=$((S * 6 + i))
  ip netns add "$ns" && NSES+=("$ns") &&
    ip link add "${TAG}h$i" type veth peer name "${TAG}n$i" &&
    ip link set "${TAG}n$i" netns "$ns" &&
    ip addr add "198.18.$oct.1/24" dev "${TAG}h$i" && ip link set "${TAG}h$i" up &&
    ip netns exec "$ns" ip addr add "198.18.$oct.2/24" dev "${TAG}n$i" &&
    ip netns exec "$ns" ip link set "${TAG}n$i" up &&
    ip netns exec "$ns" ip link set lo up || {
    # cannot be had here after all: undo, and run every perspective on loopback
    echo "# namespace $i could not be set up: the loopback variant runs instead"
    ns_undo
    NETNS=0
    break
  }
  PADDR[$i]="198.18.$oct.2"
  WADDR[$i]="198.18.$oct.2"
  PPORT[$i]=8470
  KPORT[$i]=5300
  NSX[$i]="ip netns exec $ns"
done
if [ $NETNS = 0 ]; then
  for i in $(seq 1 $N); do
    PADDR[$i]=127.0.0.1
    WADDR[$i]="127.0.0.$((10 + i))" # each perspective's web server on its own address
    PPORT[$i]=$(free_port)
    KPORT[$i]=$(free_port)
    NSX[$i]=""
  done
fi
if [ $NETNS = 1 ]; then
  ok "six network namespaces with veth pairs in 198.18.0.0/15"
else
  ok "network namespaces cannot be created here: the perspectives run on loopback ports"
fi

# a fake perspective answering garbage (/) or an oversized body (/big), started early
GP=$(free_port)
python3 - "$GP" "$IT_TMP/answer.body" "$IT_TMP/answer.sig" >"$IT_TMP/garbage.log" 2>&1 <<'EOF' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        big = self.path.startswith("/big")
        body = b"x" * 200000 if big else b"\x00\xffnot json{"
        sig = "AAAA"
        if self.path.startswith("/replay"):  # a real signed answer, for another request
            body = open(sys.argv[2], "rb").read()
            sig = open(sys.argv[3]).read().strip()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Shomei-Signature", sig)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
IT_PIDS+=($!)

# ---- the primary's DNS view (knot.sh, host loopback) ----
VALUE=$(python3 -c 'import secrets;print(secrets.token_urlsafe(24))')
knot_start || { not_ok "knotd starts"; it_done; }
knot_set_txt plain.test _pki-validation "$VALUE" || not_ok "primary TXT set"

# ns_knot I VALUE: (re)starts the authoritative view of perspective I with VALUE at
# _pki-validation.plain.test (a hijacked view gets another value).
ns_knot() {
  local i=$1 v=$2 d
  d="$IT_TMP/knot$i"
  mkdir -p "$d/zones" "$d/db" "$d/run"
  printf '$ORIGIN test.\n$TTL 60\n@ SOA ns.test. h.test. 1 3600 600 86400 60\n@ NS ns.test.\nns A 127.0.0.1\n' \
    >"$d/zones/test.zone"
  printf '$ORIGIN plain.test.\n$TTL 60\n@ SOA ns.plain.test. h.plain.test. %s 3600 600 86400 60\n@ NS ns.plain.test.\nns A 127.0.0.1\n@ CAA 0 issue "shomei.example"\n_pki-validation TXT "%s"\nweb A %s\n' \
    "$SERIAL" "$v" "${WADDR[$i]}" >"$d/zones/plain.test.zone"
  SERIAL=$((SERIAL + 1))
  cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d/run"
    listen: 127.0.0.1@${KPORT[$i]}
database:
    storage: "$d/db"
template:
  - id: default
    storage: "$d/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: test.
  - domain: plain.test.
EOF
  if [ -n "${KPID[$i]:-}" ]; then
    kill -HUP "${KPID[$i]}"
  else
    ${NSX[$i]} knotd -c "$d/knot.conf" >"$d/knotd.log" 2>&1 &
    KPID[$i]=$!
    IT_PIDS+=("${KPID[$i]}")
  fi
  [ "${3:-}" = nowait ] || ns_knot_wait "$i" "$v"
}
ns_knot_wait() { # I VALUE: until view I answers VALUE (bounded)
  local i=$1 v=$2
  for _ in $(seq 1 100); do
    ${NSX[$i]} kdig -p "${KPORT[$i]}" @127.0.0.1 +short +timeout=1 +retry=0 \
      _pki-validation.plain.test TXT 2>/dev/null | grep -qF "\"$v\"" && return 0
    sleep 0.1
  done
  tail -3 "$IT_TMP/knot$i/knotd.log" | sed 's/^/# /' >&2
  return 1
}
KPID=()
SERIAL=$(date +%s)

# ---- the primary's key and the perspectives ----
P="$IT_TMP/primary"
mkdir -p "$P"
PRIMARY_PK=$("$SHOMEI_BIN" perspective keygen "$P/mpic.key")
check "primary key made" test -n "$PRIMARY_PK"
RIRS=(x ARIN RIPE APNIC ARIN RIPE APNIC)
PK=()
PPID_=()
start_perspective() { # I [nowait]
  local i=$1
  ${NSX[$i]} "$SHOMEI_BIN" perspective --dir "$IT_TMP/p$i" >"$IT_TMP/p$i.log" 2>&1 &
  PPID_[$i]=$!
  IT_PIDS+=("${PPID_[$i]}")
  [ "${2:-}" = nowait ] || perspective_wait "$i"
}
perspective_wait() { # I
  local i=$1
  for _ in $(seq 1 150); do
    ${NSX[$i]} curl -fsS -o /dev/null "http://${PADDR[$i]}:${PPORT[$i]}/healthz" 2>/dev/null &&
      return 0
    sleep 0.1
  done
  sed 's/^/# /' "$IT_TMP/p$i.log" >&2
  return 1
}
INITS=()
# the perspectives fetch web pages from their own namespace's address (198.18.0.0/15, a
# test-only allowance) or, on loopback, from 127.0.0.11-16; every web server on port HP
HP=$(free_port)
ALLOW=allow_benchmarking
[ $NETNS = 1 ] || ALLOW=allow_loopback
# all views and perspectives start together, then each is waited for (bounded)
for i in $(seq 1 $N); do
  ns_knot "$i" "$VALUE" nowait
  "$SHOMEI_BIN" perspective init --dir "$IT_TMP/p$i" --primary-key "$PRIMARY_PK" \
    --set "perspective.bind=${PADDR[$i]}" --set "perspective.port=${PPORT[$i]}" \
    --set "perspective.label=p$i" --set "dns.resolver=127.0.0.1@${KPORT[$i]}" \
    --set "dns.trust_anchor_file=$KNOT_TA" --set dns.timeout=2 \
    --set "dcv.$ALLOW=true" --set "dcv.http_port=$HP" --set dcv.timeout=3 \
    --set testing.not_for_production=true >"$IT_TMP/pk$i" &
  INITS+=($!)
  # its web server (validation files under www$i)
  mkdir -p "$IT_TMP/www$i/.well-known/pki-validation" "$IT_TMP/www$i/.well-known/acme-challenge"
  ${NSX[$i]} python3 -m http.server --bind "${WADDR[$i]}" --directory "$IT_TMP/www$i" "$HP" \
    >"$IT_TMP/www$i.log" 2>&1 &
  IT_PIDS+=($!)
done
wait "${INITS[@]}"
LIST=""
for i in $(seq 1 $N); do
  PK[$i]=$(cat "$IT_TMP/pk$i")
  start_perspective "$i" nowait
  LIST="$LIST${RIRS[$i]} loc$i http://${PADDR[$i]}:${PPORT[$i]} ${PK[$i]}
"
done
for i in $(seq 1 $N); do
  ns_knot_wait "$i" "$VALUE" || { not_ok "knot view $i starts"; it_done; }
  perspective_wait "$i" || { not_ok "perspective $i starts"; it_done; }
done
ok "six perspectives with their own knot view and resolver are up"
# the primary's web server (its view: web.plain.test A 127.0.0.1)
mkdir -p "$IT_TMP/wwwp/.well-known/pki-validation" "$IT_TMP/wwwp/.well-known/acme-challenge"
python3 -m http.server --bind 127.0.0.1 --directory "$IT_TMP/wwwp" "$HP" >"$IT_TMP/wwwp.log" 2>&1 &
IT_PIDS+=($!)
wait_for 15 curl -s -o /dev/null "http://127.0.0.1:$HP/" || not_ok "the primary's web server starts"
for i in $(seq 1 $N); do
  wait_for 15 ${NSX[$i]} curl -s -o /dev/null "http://${WADDR[$i]}:$HP/" ||
    not_ok "web server $i starts"
done

# primary_dir NAME LIST: a primary data directory with [mpic] perspectives = LIST.
primary_dir() {
  local d="$IT_TMP/$1"
  mkdir -p "$d"
  cp "$P/mpic.key" "$d/mpic.key"
  printf '%s\n' "$2" >"$d/perspectives.txt"
  cat >"$d/shomei.ini" <<EOF
[dns]
resolver = $KNOT_ADDR
trust_anchor_file = $KNOT_TA
timeout = 3
[dcv]
allow_loopback = true
http_port = $HP
timeout = 3
[mpic]
perspectives = perspectives.txt
timeout_ms = 3000
[testing]
not_for_production = true
EOF
  echo "$d"
}
D=$(primary_dir main "$LIST")

run() { # DIR ARGS... (dcv check); RC, OUT
  local dir=$1
  shift
  OUT=$("$SHOMEI_BIN" dcv check --dir "$dir" "$@" 2>"$IT_TMP/err")
  RC=$?
  [ -z "${MPIC_DEBUG:-}" ] || { echo "# $OUT"; sed 's/^/# /' "$IT_TMP/err"; }
}
field() { printf '%s\n' "$OUT" | sed -n "s/^$1: //p"; }
# mp EXPR...: each EXPR over the evidence's "mpic" member (as m; who(L) = the perspective of
# location L) into M[0..], in one python run.
mp() {
  mapfile -t M < <(field evidence | python3 -c '
import json, sys
try:
    m = json.load(sys.stdin).get("mpic", {})
except Exception:
    m = {}
def who(l):
    return [p for p in m.get("perspectives", []) if p["location"] == l][0]
for e in sys.argv[1:]:
    try:
        print(eval(e))
    except Exception as x:
        print("error: %s" % x)
' "$@")
}

# 1. all agree
run "$D" --method dns --domain plain.test --value "$VALUE"
check_eq "R-VAL-8 all six agree: validated" 0 "$RC"
mp 'm["result"]' 'm["br_version"] != ""' '",".join(sorted(m["rirs"]))'
check_eq "R-VAL-8 all six agree: 6/6" "6/6" "${M[0]}"
check_eq "R-VAL-8 evidence names the BR version" "True" "${M[1]}"
check_eq "R-VAL-8 agreeing RIRs listed" "APNIC,ARIN,RIPE" "${M[2]}"

# CAA from every perspective
OUT=$("$SHOMEI_BIN" caa check --dir "$D" --name plain.test 2>"$IT_TMP/err")
RC=$?
check_eq "R-VAL-8 CAA corroborated: permitted" 0 "$RC"
mp 'm["result"]'
check_eq "R-VAL-8 CAA corroborated: 6/6" "6/6" "${M[0]}"

# 2. one hijacked view: passes 5/6, the disagreement is in the evidence
ns_knot 1 "hijacked-value" || not_ok "view 1 hijacked"
run "$D" --method dns --domain plain.test --value "$VALUE"
check_eq "R-VAL-8 one hijacked perspective of six: still validated" 0 "$RC"
mp 'm["result"]' 'who("loc1")["reason"]'
check_eq "R-VAL-8 one hijacked perspective: 5/6" "5/6" "${M[0]}"
check_eq "R-VAL-8 the hijacked perspective's disagreement is logged" "dcv.dns.mismatch" "${M[1]}"

# 3. three hijacked: fails with the reason
ns_knot 2 "hijacked-value" && ns_knot 3 "hijacked-value" || not_ok "views 2, 3 hijacked"
run "$D" --method dns --domain plain.test --value "$VALUE"
check_eq "R-VAL-8 three hijacked of six: refused" 1 "$RC"
check_eq "R-VAL-8 three hijacked: reason" "mpic.quorum" "$(field reason)"
mp 'm["result"]'
check_eq "R-VAL-8 three hijacked: 3/6" "3/6" "${M[0]}"
for i in 1 2 3; do ns_knot "$i" "$VALUE" || not_ok "view $i restored"; done

# 3b. issue 11 item 1: the web-page method (BR 3.2.2.4.18) and ACME http-01, each fetched by
# every perspective from the web server its own view names
TOKEN=$(python3 -c 'import secrets;print(secrets.token_urlsafe(32))')
KEYAUTH="$TOKEN.$(python3 -c 'import secrets;print(secrets.token_urlsafe(32))')"
serve_files() { # WRONG_COUNT: the first WRONG_COUNT perspectives serve wrong files
  local i w
  for w in p $(seq 1 $N); do
    i=$w
    if [ "$w" != p ] && [ "$w" -le "$1" ]; then
      printf 'someone-else\n' >"$IT_TMP/www$i/.well-known/pki-validation/pv.txt"
      printf 'wrong.token\n' >"$IT_TMP/www$i/.well-known/acme-challenge/$TOKEN"
    else
      printf '%s\n' "$VALUE" >"$IT_TMP/www$i/.well-known/pki-validation/pv.txt"
      printf '%s\n' "$KEYAUTH" >"$IT_TMP/www$i/.well-known/acme-challenge/$TOKEN"
    fi
  done
}
http_case() { # WRONG_COUNT WANT_RC WANT_RESULT LABEL
  serve_files "$1"
  run "$D" --method http --domain web.plain.test --value "$VALUE" --file pv.txt
  mp 'm["result"]' 'm["kind"]' 'who("loc1")["reason"]' 'm["reason"]'
  check_eq "issue 11 item 1 web page, $4: rc, n/m" "$2 $3" "$RC ${M[0]}"
  check_eq "issue 11 item 1 web page, $4: kind" "http-file" "${M[1]}"
  [ "$1" = 0 ] || check_eq "issue 11 item 1 web page, $4: loc1's disagreement logged" \
    "dcv.http.mismatch" "${M[2]}"
  [ "$2" = 0 ] || check_eq "issue 11 item 1 web page, $4: reason" "mpic.quorum" "${M[3]}"
  run "$D" --method http-01 --domain web.plain.test --value "$KEYAUTH" --file "$TOKEN"
  mp 'm["result"]' 'm["kind"]' 'who("loc1")["reason"]' 'm["reason"]'
  check_eq "issue 11 item 1 ACME http-01, $4: rc, n/m" "$2 $3" "$RC ${M[0]}"
  check_eq "issue 11 item 1 ACME http-01, $4: kind" "acme-http-01" "${M[1]}"
  [ "$1" = 0 ] || check_eq "issue 11 item 1 ACME http-01, $4: loc1's disagreement logged" \
    "dcv.http.mismatch" "${M[2]}"
  [ "$2" = 0 ] || check_eq "issue 11 item 1 ACME http-01, $4: reason" "mpic.quorum" "${M[3]}"
}
http_case 0 0 6/6 "all six agree"
http_case 1 0 5/6 "one wrong file"
http_case 3 1 3/6 "three wrong files"
serve_files 0

# 4. a perspective down counts as a disagreement
kill "${PPID_[6]}"
wait "${PPID_[6]}" 2>/dev/null
run "$D" --method dns --domain plain.test --value "$VALUE"
check_eq "R-VAL-8 one perspective down: still validated" 0 "$RC"
mp 'm["result"]' 'who("loc6")["agree"], who("loc6")["error"] != ""'
check_eq "R-VAL-8 one perspective down: 5/6" "5/6" "${M[0]}"
check_eq "R-VAL-8 the down perspective is a disagreement with its error" "(False, True)" "${M[1]}"
start_perspective 6 || not_ok "perspective 6 restarts"

# 5. replayed, stale, wrongly signed requests are refused by the perspective
U="http://${PADDR[1]}:${PPORT[1]}"
probe() { OUT=$("$SHOMEI_BIN" perspective probe "$@" 2>&1); RC=$?; }
probe --dir "$D" --url "$U" --kind dns-txt --name plain.test --value "$VALUE" --save "$IT_TMP/req"
check_eq "R-VAL-8 a signed fresh request is answered" "status: 200" "$(field status | sed 's/^/status: /')"
# issue 10 item 3: ACME's dns-01 is a kind the perspective checks itself (at
# _acme-challenge, where this view publishes nothing: answered, not agreed)
probe --dir "$D" --url "$U" --kind acme-dns-01 --name plain.test --value "$VALUE"
check_eq "R-VAL-8 an acme-dns-01 request is answered" "200" "$(field status)"
check "R-VAL-8 acme-dns-01 looked at _acme-challenge: no record there" \
  grep -q 'dcv.dns.not_found' <<<"$(field answer)"
probe --url "$U" --replay "$IT_TMP/req"
check_eq "R-VAL-8 the same request again is refused as a replay" "409" "$(field status)"
probe --dir "$D" --url "$U" --kind dns-txt --name plain.test --value "$VALUE" --ts-offset -300
check_eq "R-VAL-8 a stale request is refused" "408" "$(field status)"
mkdir -p "$IT_TMP/wrong"
"$SHOMEI_BIN" perspective keygen "$IT_TMP/wrong/mpic.key" >/dev/null
printf '[testing]\nnot_for_production = true\n' >"$IT_TMP/wrong/shomei.ini"
probe --dir "$IT_TMP/wrong" --url "$U" --kind dns-txt --name plain.test --value "$VALUE"
check_eq "R-VAL-8 a request signed by another key is refused" "401" "$(field status)"

# 6. garbage and oversized answers are refused and count as disagreements
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$GP/" || not_ok "garbage server starts"
FAKEPK=${PK[1]}
D8=$(primary_dir eight "$LIST
RIPE junk http://127.0.0.1:$GP $FAKEPK
APNIC big http://127.0.0.1:$GP/big $FAKEPK")
run "$D8" --method dns --domain plain.test --value "$VALUE"
mp 'm["result"]' 'who("junk")["error"]' 'who("big")["error"]'
check_eq "R-VAL-8 garbage and oversized answers: 6/8 still passes" "0 6/8" "$RC ${M[0]}"
check_eq "R-VAL-8 the garbage answer is refused" "bad_signature" "${M[1]}"
check_eq "R-VAL-8 the oversized answer is refused" "too_large" "${M[2]}"
# a genuine signed answer of perspective 1, replayed for another request id
probe --dir "$D" --url "http://127.0.0.1:1" --kind dns-txt --name plain.test --value "$VALUE" \
  --save "$IT_TMP/req2"
curl -s -D "$IT_TMP/answer.hdr" -o "$IT_TMP/answer.body" -H "X-Shomei-Signature: $(sed -n 2p "$IT_TMP/req2")" \
  -H 'Content-Type: application/json' --data-binary "$(sed -n 1p "$IT_TMP/req2")" "$U/v1/check"
tr -d '\r' <"$IT_TMP/answer.hdr" | sed -n 's/^[Xx]-[Ss]homei-[Ss]ignature: //p' >"$IT_TMP/answer.sig"
check "a signed answer captured" test -s "$IT_TMP/answer.sig"
D7=$(primary_dir seven "$LIST
ARIN replay http://127.0.0.1:$GP/replay ${PK[1]}")
run "$D7" --method dns --domain plain.test --value "$VALUE"
mp 'm["result"]' 'who("replay")["error"]'
check_eq "R-VAL-8 an answer for another request id is refused (6/7)" "0 6/7 wrong_id" \
  "$RC ${M[0]} ${M[1]}"

# 7. too few perspectives for the date: refused with the reason
LIST4=$(printf '%s' "$LIST" | head -4)
D4=$(primary_dir four "$LIST4")
OUT=$(SHOMEI_FAKE_NOW=2026-12-15T00:00:00Z "$SHOMEI_BIN" dcv check --dir "$D4" --method dns \
  --domain plain.test --value "$VALUE" 2>/dev/null)
RC=$?
check_eq "R-VAL-8 four perspectives from 2026-12-15 (5 required): refused" "1 mpic.too_few" \
  "$RC $(field reason)"
# 8. no [mpic] under the test relaxation: the primary alone, and the evidence says so
# (the refusal in production is unit/test_mpic and unit/test_validate)
mkdir -p "$IT_TMP/prod"
printf '[dns]\nresolver = %s\ntrust_anchor_file = %s\n[testing]\nnot_for_production = true\n' \
  "$KNOT_ADDR" "$KNOT_TA" >"$IT_TMP/prod/shomei.ini"
run "$IT_TMP/prod" --method dns --domain plain.test --value "$VALUE"
mp 'm["mode"]'
check_eq "R-VAL-8 no [mpic] under not_for_production: primary only, recorded" "0 primary-only" \
  "$RC ${M[0]}"

# the perspectives stop cleanly (SIGTERM) with no sanitizer report
for i in $(seq 1 $N); do kill "${PPID_[$i]}" 2>/dev/null; done
for i in $(seq 1 $N); do wait "${PPID_[$i]}" 2>/dev/null; done
check "the perspectives stopped with no sanitizer reports" \
  bash -c '! grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$@"' _ \
  "$IT_TMP"/p[0-9].log

it_done
