#!/usr/bin/env bash
# The HTTP front of shomei serve under attack and odd input (issue 8 items 10, 13, 15, 17):
# a slow-client attack of 1,000 connections that trickle header lines cannot make the
# server unreachable (per-address connection limit, a head deadline that bytes do not
# extend, a connection limit sized to the thread pool); a URL that is not UTF-8 answers
# 400 and is logged escaped; the document upload routes take bodies up to max_upload while
# other routes keep max_body; malformed framing (conflicting Content-Length,
# Transfer-Encoding other than chunked, a bare CR, HTTP/1.1 without Host) answers 400 and
# closes the connection.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

dir=$IT_TMP/data
if ! "$SHOMEI_BIN" init --dir "$dir" --set server.secure_cookies=false \
  --set server.header_timeout=3 --set server.per_ip_connections=16 \
  --set server.max_body=65536 --set server.max_upload=3000000 >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=limits-Horse-77
printf '%s\n' "$PW" | "$SHOMEI_BIN" user add --dir "$dir" --password-stdin --login up-c \
  --role customer --email c@c.example.jp --name "Uploader C" --org-name "Org C" >/dev/null
start_server "$dir" || { not_ok "server starts"; it_done; }
url=$IT_URL
port=${url##*:}
log=$IT_TMP/server-$port.log
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # the distribution's, quick to start

# ---- item 10: slow clients ----
# The attacker is another loopback address (127.0.0.2), as another client on the network
# would be; the normal client is 127.0.0.1.
"$PY" "$here/slow_clients.py" --port "$port" --source 127.0.0.2 --conns 1000 --interval 1 \
  --duration 12 --ready-file "$IT_TMP/attack.ready" >"$IT_TMP/attack.json" 2>"$IT_TMP/attack.err" &
attack=$!
IT_PIDS+=("$attack")
wait_for 30 test -f "$IT_TMP/attack.ready"
slow=0
for i in 1 2 3 4 5; do
  t=$(curl -s -o /dev/null -m 3 -w '%{http_code} %{time_total}' "$url/healthz")
  case "$t" in "200 0."*) ;; *) slow=1; echo "# healthz during the attack: $t" ;; esac
  sleep 1
done
check_eq "healthz answers within 1 s, 5 times during a 1,000-connection slow attack" 0 "$slow"
check_eq "the home page answers during the attack" 200 "$(code -m 3 "$url/")"
wait "$attack"
sed 's/^/# /' "$IT_TMP/attack.json" "$IT_TMP/attack.err"
field() { "$PY" -c 'import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$IT_TMP/attack.json" "$1"; }
check_eq "every attacking connection was closed by the server" 0 "$(field still_open)"
held=$(field max_held_s)
check "no trickling connection outlived the 3 s head deadline by more than 2 s ($held s)" \
  "$PY" -c "import sys; sys.exit(0 if $held <= 5 else 1)"
check "the deadline closings are logged" grep -q 'msg="closed connections past their deadline"' "$log"
# the per-address limit: of 24 idle connections from one address 16 are kept
"$PY" "$here/slow_clients.py" --port "$port" --source 127.0.0.3 --conns 24 --interval 5 \
  --duration 1.5 >"$IT_TMP/perip.json"
sed 's/^/# /' "$IT_TMP/perip.json"
check_eq "one address holds at most 16 connections" 16 \
  "$("$PY" -c 'import json,sys;print(json.load(open(sys.argv[1]))["still_open"])' "$IT_TMP/perip.json")"

# ---- item 13: URLs that are not UTF-8 ----
check_eq "/password/reset/%ff answers 400" 400 "$(code "$url/password/reset/%ff")"
check_eq "/certificates?q=%ff answers 400" 400 "$(code "$url/certificates?q=%ff")"
curl -s "$url/password/reset/%ff" >"$IT_TMP/u8.html"
check "the 400 page says the address is not UTF-8 (ja)" grep -q 'アドレス (URL) に UTF-8' "$IT_TMP/u8.html"
check "the 400 page has a Japanese title, not 'Bad Request'" grep -q '<h1>不正なリクエスト</h1>' "$IT_TMP/u8.html"
check_eq "the API answers a problem document" "400 urn:shomei:problem:malformed" \
  "$(curl -s -w '%{http_code}' -o "$IT_TMP/u8.json" "$url/api/v1/orders?x=%c0%af"; echo " $("$PY" -c 'import json,sys;print(json.load(open(sys.argv[1]))["type"])' "$IT_TMP/u8.json")")"
check "the access log escapes the byte" grep -qF 'path=/password/reset/\xff status=400' "$log"
check "no raw 0xff byte in the log" bash -c "! LC_ALL=C grep -q \$'\\xff' '$log'"

# ---- item 15: per-route body limits ----
head -c 2000000 /dev/zero >"$IT_TMP/big.bin"
check_eq "a 2 MB body to a max_body route answers 413" 413 \
  "$(code -H 'Content-Type: application/octet-stream' --data-binary @"$IT_TMP/big.bin" "$url/api/v1/csr/check")"
key=$(api_key_for "$url" up-c "$PW")
auth=(-H "Authorization: Bearer $key" -H 'Content-Type: application/pdf')
# the upload route reads the whole 2 MB body: the handler runs (no such order: 404)
check_eq "a 2 MB body to the document upload API reaches the handler (not 413)" 404 \
  "$(code "${auth[@]}" --data-binary @"$IT_TMP/big.bin" "$url/api/v1/orders/999999/documents")"
head -c 3200000 /dev/zero >"$IT_TMP/huge.bin"
check_eq "past max_upload the upload API answers 413" 413 \
  "$(code "${auth[@]}" --data-binary @"$IT_TMP/huge.bin" "$url/api/v1/orders/999999/documents")"

# ---- item 17: framing ----
raw() { "$PY" "$here/raw_http.py" "$port" "$1"; }
check_eq "conflicting Content-Length: 400 and close, no second request" "400 close eof 1" "$(raw dup_cl)"
check_eq "Transfer-Encoding: gzip, chunked: 400 and close" "400 close eof 1" "$(raw te_gzip)"
check_eq "Transfer-Encoding with Content-Length: 400 and close" "400 close eof 1" "$(raw te_cl)"
check_eq "a bare CR inside the head: 400 and close" "400 close eof 1" "$(raw bare_cr)"
check_eq "a bare CR ending the request line: 400 and close" "400 close eof 1" "$(raw bare_cr_line)"
check_eq "HTTP/1.1 without Host: 400 and close" "400 close eof 1" "$(raw no_host)"
check_eq "a well-formed request still answers 200" "200 close eof 1" "$(raw ok)"
check_eq "server healthy after all this" 200 "$(code "$url/healthz")"
it_done
