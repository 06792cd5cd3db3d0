# SPDX-License-Identifier: MIT
# The ACME integration tests' common start (tests/it/acme_*.sh; sourced after lib.sh, and
# after knot.sh for acme_init_dcv): shomei serving ACME over its own HTTPS at $url. Sets S
# (the shomei binary), PY (python3, /usr/bin/python3 when there is one), port (a free port)
# and url (https://127.0.0.1:$port).
#
# acme_need_cryptography: ends the test (not ok) when PY lacks python3-cryptography, which
#   the scripted ACME clients need.
# acme_init DIR [ARGS...]: `shomei init` of DIR with base_url $url, the repository on $port,
#   DIR/tls.crt and DIR/tls.key (a self-signed certificate for 127.0.0.1, made here), ARGS
#   (more init options) and $SHOMEI_TEST_PG_URL when set; its output in $IT_TMP/init.log.
#   Sets ACME_DIR (for sql and acme_serve). A failed init ends the test.
# acme_init_dcv DIR [ARGS...]: acme_init for domain validation against loopback peers: knot
#   (started) as resolver and trust anchor, [testing] not_for_production, loopback allowed.
# sql SQL: the rows of SQL (|-separated) from the database of ACME_DIR or
#   $SHOMEI_TEST_PG_URL.
# acme_customer LOGIN EMAIL NAME ORG_NAME: a customer (password Acme-Horse-77) in a new
#   organization ORG_NAME; sets org to the organization's id.
# acme_eab ORG: new EAB credentials of organization ORG, printed as "KID HMAC_KEY".
# acme_serve [PORT [NAME [WHAT]]]: `shomei serve` of ACME_DIR on PORT ($port), its output in
#   $IT_TMP/NAME.out and NAME.log (NAME serve); waits until it answers over HTTPS, else
#   reports not ok WHAT ("server starts with TLS") with the log and ends the test.

S=$SHOMEI_BIN
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
port=$(free_port)
url=https://127.0.0.1:$port

acme_need_cryptography() {
  "$PY" -c 'import cryptography' 2>/dev/null || { not_ok "python3-cryptography is installed"; it_done; }
}

acme_init() {
  ACME_DIR=$1
  shift
  if ! "$SHOMEI_BIN" init --dir "$ACME_DIR" --set server.tls_cert=tls.crt \
    --set server.tls_key=tls.key --set "server.base_url=$url" \
    --set "ca.repository_url=http://127.0.0.1:$port/repository" "$@" \
    ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} \
    >"$IT_TMP/init.log" 2>&1; then
    not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
  fi
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$ACME_DIR/tls.key" -out "$ACME_DIR/tls.crt" >/dev/null 2>&1
}

acme_init_dcv() {
  local d=$1
  shift
  acme_init "$d" --set "dns.resolver=$KNOT_ADDR" --set "dns.trust_anchor_file=$KNOT_TA" \
    --set testing.not_for_production=true --set dcv.allow_loopback=true "$@"
}

sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$ACME_DIR/shomei.db" "$1"; fi
}

acme_customer() {
  printf '%s\n' 'Acme-Horse-77' | "$SHOMEI_BIN" user add --dir "$ACME_DIR" --password-stdin \
    --login "$1" --role customer --email "$2" --name "$3" --org-name "$4" >/dev/null 2>&1
  org=$("$SHOMEI_BIN" user list --dir "$ACME_DIR" | awk -v l="$1" '$2 == l {print $4}')
}

acme_eab() {
  "$SHOMEI_BIN" acme eab --dir "$ACME_DIR" --org "$1" >"$IT_TMP/eab.out"
  printf '%s %s\n' "$(awk '$1 == "kid" {print $2}' "$IT_TMP/eab.out")" \
    "$(awk '$1 == "hmac_key" {print $2}' "$IT_TMP/eab.out")"
}

acme_serve() {
  local p=${1:-$port} name=${2:-serve} what=${3:-server starts with TLS}
  "$SHOMEI_BIN" serve --dir "$ACME_DIR" --port "$p" >"$IT_TMP/$name.out" \
    2>"$IT_TMP/$name.log" &
  IT_PIDS+=("$!")
  wait_for 20 curl -fsS --cacert "$ACME_DIR/tls.crt" -o /dev/null "https://127.0.0.1:$p/healthz" \
    2>/dev/null || { not_ok "$what"; sed 's/^/# /' "$IT_TMP/$name.log"; it_done; }
}
