#!/usr/bin/env bash
# Issue 10 item 1 (R-ACME-1): shomei serve speaks HTTPS itself with [server] tls_cert and
# tls_key. A certificate made here with openssl; curl --cacert fetches pages over verified
# TLS, session cookies stay Secure, base_url follows to https://. Bad settings (one of the
# two missing, a missing file, a file that is no certificate, a key of another
# certificate) stop the start with a message naming the setting.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

dir=$IT_TMP/data
# BR 7.1.2.11.2: the CRL and caIssuers URLs stay plain http, so an https base_url alone
# is refused at init, naming [ca] repository_url, and leaves nothing behind.
"$SHOMEI_BIN" init --dir "$dir" --set server.tls_cert=tls.crt --set server.tls_key=tls.key \
  >"$IT_TMP/init-https.log" 2>&1
check "init with an https base_url and no repository_url is refused" test $? -ne 0
check "  the refusal names [ca] repository_url" grep -q 'repository_url' "$IT_TMP/init-https.log"
check "  nothing is left behind" test ! -e "$dir/shomei.ini"
if ! "$SHOMEI_BIN" init --dir "$dir" --set server.tls_cert=tls.crt \
  --set server.tls_key=tls.key --set ca.repository_url=http://127.0.0.1:8080/repository \
  >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
mk_pair() { # NAME: a self-signed certificate for 127.0.0.1 in $IT_TMP/NAME.crt, .key
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$IT_TMP/$1.key" -out "$IT_TMP/$1.crt" >/dev/null 2>&1
}
mk_pair tls
mk_pair other
cp "$IT_TMP/tls.crt" "$dir/tls.crt"
cp "$IT_TMP/tls.key" "$dir/tls.key"
chmod 600 "$dir/tls.key"
check "test certificate made" test -s "$dir/tls.crt"

port=$(free_port)
"$SHOMEI_BIN" serve --dir "$dir" --port "$port" >"$IT_TMP/serve.out" 2>"$IT_TMP/serve.log" &
pid=$!
IT_PIDS+=("$pid")
url=https://127.0.0.1:$port
tls=(--cacert "$IT_TMP/tls.crt")
wait_for 20 curl -fsS "${tls[@]}" -o /dev/null "$url/healthz" ||
  { not_ok "server starts with TLS"; sed 's/^/# /' "$IT_TMP/serve.log"; it_done; }
ok "server starts with TLS"
check "start line says https" grep -q "serving on https://127.0.0.1:$port" "$IT_TMP/serve.out"
check "base_url follows to https" grep -q "base_url=https://127.0.0.1:$port" "$IT_TMP/serve.log"
code=$(curl -sS "${tls[@]}" -o "$IT_TMP/login.html" -D "$IT_TMP/login.h" -w '%{http_code}' \
  "$url/login")
check_eq "login page over verified TLS" 200 "$code"
check "the page is the login page" grep -qi '<form' "$IT_TMP/login.html"
check "peer certificate is the configured one" bash -c "curl -sS ${tls[*]} -w '%{ssl_verify_result}' -o /dev/null '$url/healthz' | grep -qx 0"
check "another CA is refused by the client" bash -c "! curl -sS --cacert '$IT_TMP/other.crt' -o /dev/null '$url/healthz' 2>/dev/null"
check "plain HTTP to the TLS port gets no page" bash -c "! curl -fsS -m 5 -o /dev/null 'http://127.0.0.1:$port/healthz' 2>/dev/null"
# a form post keeps the session cookie Secure (secure_cookies unchanged)
if grep -qi '^set-cookie:' "$IT_TMP/login.h"; then
  check "cookies set over TLS are Secure" bash -c "grep -i '^set-cookie:' '$IT_TMP/login.h' | grep -qi secure"
fi
kill "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "server stops" bash -c "! kill -0 $pid 2>/dev/null"

ini=$dir/shomei.ini
set_tls() { # CERT KEY: rewrites the two settings
  sed -i -e "s|^tls_cert = .*|tls_cert = $1|" -e "s|^tls_key = .*|tls_key = $2|" "$ini"
}
refused() { # NAME PATTERN: serve exits non-zero at once, saying PATTERN
  local p=$(free_port) rc
  timeout 60 "$SHOMEI_BIN" serve --dir "$dir" --port "$p" >"$IT_TMP/bad.out" 2>"$IT_TMP/bad.log"
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "$2" "$IT_TMP/bad.log"; then
    ok "$1"
  else
    not_ok "$1 (status $rc)"; sed 's/^/# /' "$IT_TMP/bad.log" | tail -5
  fi
}
set_tls tls.crt ""
refused "tls_key missing: refused naming it" "tls_cert and tls_key go together: tls_key is empty"
set_tls "" tls.key
refused "tls_cert missing: refused naming it" "tls_cert and tls_key go together: tls_cert is empty"
set_tls nosuch.crt tls.key
refused "missing certificate file: refused naming it" "tls_cert: cannot open .*nosuch.crt"
set_tls tls.crt nosuch.key
refused "missing key file: refused naming it" "tls_key: cannot open .*nosuch.key"
echo "not a certificate" >"$dir/junk.crt"
set_tls junk.crt tls.key
refused "a file without a certificate: refused" "tls_cert holds no PEM certificate"
set_tls tls.crt tls.crt
refused "a certificate as the key: refused" "tls_key holds no unencrypted PEM private key"
set_tls tls.crt "$IT_TMP/other.key"
refused "a key of another certificate: refused" "tls_key does not match the certificate"
openssl pkey -in "$IT_TMP/tls.key" -aes256 -passout pass:x -out "$dir/enc.key" 2>/dev/null
set_tls tls.crt enc.key
refused "an encrypted key: refused" "tls_key holds no unencrypted PEM private key"

# without the two settings the server speaks plain HTTP (the reverse-proxy set-up)
set_tls "" ""
start_server "$dir" || { not_ok "plain HTTP without tls_cert"; it_done; }
check "plain HTTP without tls_cert" curl -fsS -o /dev/null "$IT_URL/login"
it_done
