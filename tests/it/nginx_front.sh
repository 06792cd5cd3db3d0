#!/usr/bin/env bash
# The reverse proxy the README recommends (issue 8 item 17): docs/nginx.conf.example, with
# its placeholders filled in, runs in front of shomei serve. Checked: TLS with HTTP/2
# reaches shomei; the client address nginx saw is what shomei logs (trusted_proxy), while a
# forged X-Forwarded-For from anyone else is ignored; nginx refuses a NUL in a header and a
# body past the limit; an upload route takes more than max_body.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

dir=$IT_TMP/data
if ! "$SHOMEI_BIN" init --dir "$dir" --set server.secure_cookies=false \
  --set server.trusted_proxy=127.0.0.1 --set server.per_ip_connections=0 \
  >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=front-Horse-77
printf '%s\n' "$PW" | "$SHOMEI_BIN" user add --dir "$dir" --password-stdin --login front-c \
  --role customer --email c@c.example.jp --name "Front C" --org-name "Org C" >/dev/null
start_server "$dir" || { not_ok "server starts"; it_done; }
key=$(api_key_for "$IT_URL" front-c "$PW")
sport=${IT_URL##*:}
log=$IT_TMP/server-$sport.log

# a self-signed certificate for 127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$IT_TMP/tls.key" -out "$IT_TMP/tls.crt" >/dev/null 2>&1
check "self-signed certificate made" test -s "$IT_TMP/tls.crt"

state=$IT_TMP/nginx
mkdir -p "$state"
nport=$(free_port)
sed -e "s|__LISTEN__|127.0.0.1:$nport|" -e "s|__SERVER_NAME__|127.0.0.1|" \
  -e "s|__CERT__|$IT_TMP/tls.crt|" -e "s|__KEY__|$IT_TMP/tls.key|" \
  -e "s|__SHOMEI__|127.0.0.1:$sport|" -e "s|__STATE__|$state|g" \
  "$here/../../docs/nginx.conf.example" >"$state/nginx.conf"
check_eq "no placeholder left" 0 "$(grep -c '__[A-Z_]*__' "$state/nginx.conf")"
# root starts workers as another user by default: keep them as the test's user
g="daemon off; pid $state/nginx.pid;"
[ "$(id -u)" -eq 0 ] && g="$g user root;"
check "nginx -t accepts the example" nginx -t -q -e "$state/error.log" -p "$state" \
  -c "$state/nginx.conf" -g "$g"
nginx -e "$state/error.log" -p "$state" -c "$state/nginx.conf" -g "$g" >"$state/out.log" 2>&1 &
IT_PIDS+=("$!")
front=https://127.0.0.1:$nport
tls=(--cacert "$IT_TMP/tls.crt")
wait_for 10 curl -fsS "${tls[@]}" -o /dev/null "$front/healthz" ||
  { not_ok "nginx starts"; sed 's/^/# /' "$state/error.log"; it_done; }

check_eq "HTTP/2 over verified TLS reaches shomei" "2 200 ok" \
  "$(curl -s "${tls[@]}" --http2 -o "$IT_TMP/h2" -w '%{http_version} %{http_code}' "$front/healthz"; echo " $(head -1 "$IT_TMP/h2")")"
check "HSTS from the front" bash -c "curl -s ${tls[*]} -D - -o /dev/null '$front/' | grep -qi '^strict-transport-security'"
# the client address: curl from 127.0.0.5 through nginx (which connects from 127.0.0.1)
curl -s "${tls[@]}" --interface 127.0.0.5 -o /dev/null "$front/?probe=forwarded"
check "shomei logs the address nginx saw" grep -q 'path=/ .*client=127.0.0.5' "$log"
# a forged header from a client that is not the trusted proxy changes nothing
curl -s --interface 127.0.0.6 -H 'X-Forwarded-For: 203.0.113.9' -H 'X-Real-IP: 203.0.113.9' \
  -o /dev/null "http://127.0.0.1:$sport/?probe=forged"
check "a forged X-Forwarded-For from elsewhere is ignored" grep -q 'client=127.0.0.6' "$log"
check "the forged address is never logged" bash -c "! grep -q 203.0.113.9 '$log'"
# nginx's own parsing and limits
check_eq "NUL in a header: nginx answers 400" 400 \
  "$("$PY" "$here/raw_http.py" "$nport" nul tls | cut -d' ' -f1)"
head -c 2000000 /dev/zero >"$IT_TMP/big.bin"
check_eq "a 2 MB body past the front's limit: 413" 413 \
  "$(curl -s "${tls[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
    --data-binary @"$IT_TMP/big.bin" "$front/api/v1/csr/check")"
check_eq "the upload route passes 2 MB on to shomei's handler (no such order: 404)" 404 \
  "$(curl -s "${tls[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/pdf' \
    -H "Authorization: Bearer $key" --data-binary @"$IT_TMP/big.bin" \
    "$front/api/v1/orders/999999/documents")"
it_done
