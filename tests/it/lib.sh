# Shared helpers for integration tests (sourced). TAP output: ok / not ok lines.
# Every process a test starts is recorded and stopped by PID on exit.
set -u
: "${SHOMEI_BIN:?SHOMEI_BIN must point at the shomei binary (tests/run.sh sets it)}"
IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/shomei-it.XXXXXX")
IT_PIDS=()
IT_N=0
IT_FAILED=0
export SHOMEI_CA_PASSPHRASE=${SHOMEI_CA_PASSPHRASE:-it-test-passphrase}

# The sqlite3 shell of every test waits up to 10 s for a running server's write to end
# (SQLITE_BUSY, "database is locked", otherwise: a server's jobs write at start and on their
# own schedule).
sqlite3() { command sqlite3 -cmd ".timeout 10000" "$@"; }

it_cleanup() {
  local p
  for p in "${IT_PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${IT_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  if [ "${IT_KEEP:-0}" = 1 ]; then echo "# kept: $IT_TMP"; else rm -rf "$IT_TMP"; fi
}
trap it_cleanup EXIT

ok() { IT_N=$((IT_N + 1)); echo "ok $IT_N - $*"; }
not_ok() { IT_N=$((IT_N + 1)); IT_FAILED=1; echo "not ok $IT_N - $*"; }
# check NAME COMMAND...: ok when the command succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
# check_eq NAME EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi
}
it_done() { exit "$IT_FAILED"; }

# A free TCP port on 127.0.0.1, never one this test was given before: the kernel may hand
# a just-released port out again, and a test that takes two ports before binding either
# needs two different ones. The ports given are listed in $IT_TMP/ports (free_port runs in
# command substitutions, so a shell variable would not survive it).
free_port() {
  python3 - "$IT_TMP/ports" <<'PY'
import socket, sys
path = sys.argv[1]
try:
    given = set(open(path).read().split())
except FileNotFoundError:
    given = set()
for _ in range(200):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = str(s.getsockname()[1])
    s.close()
    if port not in given:
        with open(path, "a") as f:
            f.write(port + "\n")
        print(port)
        sys.exit(0)
sys.exit("no free port this test was not given before")
PY
}

# start_server DIR: starts shomei serve on a free port; sets IT_URL and IT_SERVER_PID.
start_server() {
  local dir=$1 port
  port=$(free_port)
  "$SHOMEI_BIN" serve --dir "$dir" --port "$port" >"$IT_TMP/server-$port.log" 2>&1 &
  IT_SERVER_PID=$!
  IT_PIDS+=("$IT_SERVER_PID")
  IT_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$IT_URL/healthz" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "# server did not start; log:" >&2
  sed 's/^/# /' "$IT_TMP/server-$port.log" >&2
  return 1
}

# smtp_sink_start NAME [ARGS...]: a real SMTP server (tests/it/smtp_sink.py, aiosmtpd) on a
# free loopback port writing messages into $IT_TMP/NAME; sets SINK_PORT and SINK_PID.
smtp_sink_start() {
  local name=$1 py=
  shift
  for p in python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2>/dev/null && { py=$p; break; }
  done
  [ -n "$py" ] || { echo "# no python3 with aiosmtpd" >&2; return 1; }
  SINK_PORT=$(free_port)
  "$py" "$(dirname "${BASH_SOURCE[0]}")/smtp_sink.py" --dir "$IT_TMP/$name" --port "$SINK_PORT" \
    --ready-file "$IT_TMP/$name.ready" "$@" >"$IT_TMP/$name.log" 2>&1 &
  SINK_PID=$!
  IT_PIDS+=("$SINK_PID")
  for _ in $(seq 1 100); do
    [ -f "$IT_TMP/$name.ready" ] && return 0
    sleep 0.1
  done
  sed 's/^/# /' "$IT_TMP/$name.log" >&2
  return 1
}

# wait_for SECONDS COMMAND...: polls the command every 0.2 s until it succeeds (bounded).
wait_for() {
  local n=$(($1 * 5))
  shift
  for _ in $(seq 1 "$n"); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

# api_key_for URL LOGIN PASSWORD: logs in through the pages (CSRF token and cookies as a
# browser would) and prints a new API key of that user.
api_key_for() {
  local url=$1 jar body tok
  jar=$(mktemp "$IT_TMP/jar.XXXXXX")
  body=$(mktemp "$IT_TMP/body.XXXXXX")
  curl -s -c "$jar" -b "$jar" -o "$body" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$body" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$2" --data-urlencode "password=$3" "$url/login"
  # forms of a session carry the session's token (not the login page's)
  tok=$(curl -s -c "$jar" -b "$jar" "$url/account/keys" | grep -o 'name="csrf" value="[^"]*"' |
    head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o "$body" --data-urlencode "csrf=$tok" \
    --data-urlencode "label=test" "$url/account/keys"
  sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p' "$body"
}

# dcv_peers ZONES RECORDS [mail]: the real peers of an order's domain validation: knot
# (tests/it/knot.sh, sourced by the caller) serving ZONES with the records of the file
# RECORDS, a web server for the web-page check serving $WEB on port $HP and, with "mail", an
# SMTP sink "sink" ($SINK_PORT). A peer that does not start ends the test.
dcv_peers() {
  KNOT_ZONES=$1
  knot_start "$2" || { not_ok "knot starts"; it_done; }
  if [ "${3:-}" = mail ]; then
    smtp_sink_start sink || { not_ok "SMTP sink starts"; it_done; }
  fi
  WEB=$IT_TMP/www
  mkdir -p "$WEB/.well-known/pki-validation"
  HP=$(free_port)
  python3 -m http.server "$HP" --bind 127.0.0.1 --directory "$WEB" >"$IT_TMP/http.log" 2>&1 &
  IT_PIDS+=($!)
}

# dcv_init DIR SECRET [ARGS...]: `shomei init --demo` of DIR against the peers of dcv_peers
# (knot, the web server on $HP, the SMTP sink) with the test relaxations, the payment
# secret SECRET, the vetting job every second, ARGS (more --set) and $SHOMEI_TEST_PG_URL
# when set; its output in $IT_TMP/init.log. A failed init ends the test.
dcv_init() {
  local dir=$1 secret=$2
  shift 2
  "$SHOMEI_BIN" init --dir "$dir" --demo --set server.secure_cookies=false \
    --set "payment.hmac_secret=$secret" --set "dns.resolver=$KNOT_ADDR" \
    --set "dns.trust_anchor_file=$KNOT_TA" --set testing.not_for_production=true \
    --set dcv.allow_loopback=true --set "dcv.http_port=$HP" --set mail.enabled=true \
    --set "mail.url=smtp://127.0.0.1:$SINK_PORT" --set mail.poll_seconds=1 \
    --set jobs.vetting_seconds=1 --set jobs.lease_seconds=3 "$@" \
    ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} \
    >"$IT_TMP/init.log" 2>&1 || { not_ok "init"; it_done; }
}
# sq SQL: the rows of SQL (|-separated) from the database of $D, or $SHOMEI_TEST_PG_URL
sq() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 "$D/shomei.db" "$1"; fi
}
# After dcv_peers, for an order $OID read through api (the answer in $BODY):
# instr NAME KEY: the DCV instruction KEY (value, url, ...) of domain NAME, "" if none;
# state_is STATE: whether the order is in STATE now;
# publish ZONE: the DNS TXT of www.ZONE and the web-page file of ZONE as the order asks,
# then a check now.
instr() { jq_ "next((x['instructions'].get('$2','') for x in d['domains'] if x['name']=='$1'), '')"; }
state_is() { api GET "/api/v1/orders/$OID"; [ "$(jq_ 'd["state"]')" = "$1" ]; }
publish() {
  api GET "/api/v1/orders/$OID"
  local val url2 fv
  val=$(instr "www.$1" value)
  url2=$(instr "$1" url)
  fv=$(instr "$1" value)
  [ -n "$val" ] && { knot_set_txt "$1" _pki-validation.www "$val" || not_ok "TXT"; }
  [ -n "$fv" ] && [ -n "$url2" ] && printf '%s\n' "$fv" >"$WEB/.well-known/pki-validation/${url2##*/}"
  api POST "/api/v1/orders/$OID/dcv" '{"action":"check"}'
}
# subjects: the subjects of the mails the sink received so far, one per line;
# nmail TEXT: how many contain TEXT; nmail_is TEXT N: whether that is N
subjects() {
  python3 - "$IT_TMP/sink" <<'PY'
import email, email.policy, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    print(m["subject"])
PY
}
nmail() { subjects | grep -c -- "$1"; }
nmail_is() { [ "$(nmail "$1")" = "$2" ]; }
pem_of() { # SERIAL FILE: the certificate's PEM through the API (as KEY at $url)
  curl -s -o "$2" -H "Authorization: Bearer $KEY" "$url/api/v1/certificates/$1/download/pem"
}

# The order API as a customer, for the order-flow tests: they set url (the server), KEY (an
# API key), BODY (a file) and SECRET (payment.hmac_secret).
api() { # METHOD PATH [JSON] -> $code, body in $BODY
  if [ $# -ge 3 ]; then
    code=$(curl -s -o "$BODY" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $KEY" \
      -H 'Content-Type: application/json' --data-binary "$3" "$url$2")
  else
    code=$(curl -s -o "$BODY" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $KEY" "$url$2")
  fi
}
# jq_ EXPR: EXPR evaluated in Python over the JSON in $BODY (as d)
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
  "$BODY" "$1"; }
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= //'; }
pay() { # [URL]: pays the order in $BODY through the payment callback of URL (default $url)
  local p="{\"invoice_no\":\"$(jq_ 'd["invoice_no"]')\",\"amount\":$(jq_ 'd["amount"]')}"
  code=$(curl -s -o "$BODY" -w '%{http_code}' -H "X-Shomei-Signature: sha256=$(sig "$p")" \
    -H 'Content-Type: application/json' --data-binary "$p" "${1:-$url}/api/v1/payments")
}

# test_ca_init [ARGS...]: S (the binary), D ($IT_TMP/data), W ($IT_TMP/work, made) and
# `shomei init --test-ca` of D with ARGS (more init options) and $SHOMEI_TEST_PG_URL when
# set. A failed init ends the test.
test_ca_init() {
  S=$SHOMEI_BIN
  D=$IT_TMP/data
  W=$IT_TMP/work
  mkdir -p "$W"
  "$S" init --dir "$D" --test-ca "$@" ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} \
    >/dev/null 2>&1 || { not_ok "init"; it_done; }
}

# The OCSP tests' common start (it/ocsp, it/ocsp_presign): a test CA initialized with
# [ca] ocsp_url on a free port (plus any extra init ARGS), the dv chain split into
# $W/int.pem and $W/root.pem, and the helpers ocsp_issue NAME (a dv certificate in
# $W/NAME.pem), ocsp_serve (starts the server) and ocsp_ask ARGS... (the openssl ocsp client
# against the responder, verified with the dv chain). Sets S, D, W, PORT, URL.
ocsp_setup() {
  PORT=$(free_port)
  URL="http://127.0.0.1:$PORT"
  test_ca_init --set "ca.ocsp_url=$URL/ocsp" "$@"
  "$S" ca chain --dir "$D" --level dv --root a >"$W/chain.pem"
  awk -v a="$W/int.pem" -v b="$W/root.pem" '/BEGIN/{n++} {print > (n == 1 ? a : b)}' \
    "$W/chain.pem"
}
ocsp_issue() { # NAME -> $W/NAME.pem (after ocsp_setup)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$1.key" \
    -out "$W/$1.csr" -subj "/CN=$1.example.com" 2>/dev/null
  "$S" issue --dir "$D" --csr "$W/$1.csr" --name "$1.example.com" --level dv \
    >"$W/$1.pem" 2>"$W/$1.err"
}
ocsp_serve() {
  "$S" serve --dir "$D" --port "$PORT" >"$IT_TMP/server.log" 2>&1 &
  IT_PIDS+=("$!")
  wait_for 20 curl -fsS -o /dev/null "$URL/healthz" || { not_ok "server"; it_done; }
}
ocsp_ask() { # openssl ocsp ARGS... against the responder, verifying with the dv chain
  openssl ocsp -issuer "$W/int.pem" -CAfile "$W/chain.pem" -url "$URL/ocsp" -resp_text "$@" 2>&1
}

# ---- a browser-like form session (one cookie jar per login name, $AS the current one):
# web_login NAME logs in with $PW; web_get PATH and web_post PATH key=value... set $code,
# the body in $BODY and the headers in $HDR; web_post sends the CSRF token of the page
# last fetched (web_token). Needs $url, $BODY, $HDR, $PW.
web_login() {
  local jar=$IT_TMP/jar-$1 tok
  rm -f "$jar"
  curl -s -c "$jar" -b "$jar" -o "$BODY" "$url/login"
  tok=$(web_token)
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
}
web_get() {
  code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -c "$IT_TMP/jar-$AS" \
    -b "$IT_TMP/jar-$AS" "$url$1")
}
web_token() { grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//'; }
web_post() {
  local path=$1 args=(--data-urlencode "csrf=$(web_token)")
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -c "$IT_TMP/jar-$AS" \
    -b "$IT_TMP/jar-$AS" "${args[@]}" "$url$path")
}
