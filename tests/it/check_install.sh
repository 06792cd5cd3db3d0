#!/usr/bin/env bash
# R-DL-2 install check (issue 12 item 8): nginx on loopback serves (a) a correct chain,
# (b) a missing intermediate, (c) the cross-root intermediate where the 3-tier chain was
# wanted, (d) an expired certificate, (e) a hostname mismatch, (f) a certificate from
# another CA, (g) a revoked certificate; plus a port without TLS, a port without an
# answer and a loopback target without --allow-private. `shomei check` prints each
# finding with its code and exits 0 only when everything is right.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --test-ca --set server.secure_cookies=false --set server.per_ip_connections=0 \
  --set testing.not_for_production=true --set dcv.allow_loopback=true \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
HOST=www.example.com

csr() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$W/$1.key" -out "$W/$1.csr" -subj "/CN=$2" 2>/dev/null; }
issue() { # NAME CN [extra issue args]
  local n=$1 cn=$2; shift 2
  csr "$n" "$cn"
  "$S" issue --dir "$D" --csr "$W/$n.csr" --name "$cn" --level dv "$@" >"$W/$n.pem" 2>"$W/$n.err"
}
issue good $HOST && issue short $HOST --days 1 && issue other other.example.net &&
  issue rev $HOST || { not_ok "issue"; cat "$W"/*.err; it_done; }
"$S" ca chain --dir "$D" --level dv --root a | awk '/BEGIN/{n++} n==1' >"$W/int-a.pem"
"$S" ca chain --dir "$D" --level dv --root b | awk '/BEGIN/{n++} n==1' >"$W/int-b.pem"
rserial=$(openssl x509 -in "$W/rev.pem" -noout -serial | cut -d= -f2)
"$S" revoke --dir "$D" --serial "$rserial" --reason keyCompromise >"$W/revoke.log" 2>&1
check "revoked the (g) certificate" test $? -eq 0
# (f) another CA: a throwaway root and a leaf under it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Other CA" \
  -keyout "$W/oca.key" -out "$W/oca.pem" 2>/dev/null
csr foreign $HOST
openssl x509 -req -in "$W/foreign.csr" -CA "$W/oca.pem" -CAkey "$W/oca.key" -days 2 \
  -extfile <(printf 'subjectAltName=DNS:%s\n' $HOST) -out "$W/foreign-leaf.pem" 2>/dev/null

cat "$W/good.pem" "$W/int-a.pem" >"$W/a.pem"
cp "$W/good.pem" "$W/b.pem"
cat "$W/good.pem" "$W/int-b.pem" >"$W/c.pem"
cat "$W/short.pem" "$W/int-a.pem" >"$W/d.pem"
cat "$W/other.pem" "$W/int-a.pem" >"$W/e.pem"
cat "$W/foreign-leaf.pem" "$W/oca.pem" >"$W/f.pem"
cat "$W/rev.pem" "$W/int-a.pem" >"$W/g.pem"
declare -A KEY=([a]=good [b]=good [c]=good [d]=short [e]=other [f]=foreign [g]=rev)
declare -A PORT
state=$IT_TMP/nginx
mkdir -p "$state"
{
  echo "events { worker_connections 64; }"
  echo "http { access_log off; client_body_temp_path $state; proxy_temp_path $state;"
  echo "  fastcgi_temp_path $state; uwsgi_temp_path $state; scgi_temp_path $state;"
  for c in a b c d e f g; do
    PORT[$c]=$(free_port)
    echo "  server { listen 127.0.0.1:${PORT[$c]} ssl; server_name $HOST;"
    echo "    ssl_certificate $W/$c.pem; ssl_certificate_key $W/${KEY[$c]}.key;"
    echo "    location / { return 200 'case $c'; } }"
  done
  PLAIN=$(free_port)
  echo "  server { listen 127.0.0.1:$PLAIN; location / { return 200 'plain'; } }"
  echo "}"
} >"$state/nginx.conf"
g="daemon off; pid $state/nginx.pid;"
[ "$(id -u)" -eq 0 ] && g="$g user root;"
nginx -e "$state/error.log" -p "$state" -c "$state/nginx.conf" -g "$g" >"$state/out.log" 2>&1 &
IT_PIDS+=("$!")
wait_for 10 curl -fsSk -o /dev/null "https://127.0.0.1:${PORT[a]}/" ||
  { not_ok "nginx starts"; sed 's/^/# /' "$state/error.log"; it_done; }

run() { # CASE [env...]: runs the check against the case's port, sets $out and $rc
  out=$("$S" check --dir "$D" --servername $HOST --allow-private "https://127.0.0.1:$1" 2>&1)
  rc=$?
}
codes() { grep -vE '^(target|served):' <<<"$out" | grep -oE '^[a-z_]+(\.[a-z_]+)?:' | tr -d : | sort | tr '\n' ' ' | sed 's/ $//'; }

run "${PORT[a]}"
check_eq "R-DL-2 (a) correct chain: ok, exit 0" "0 ok" "$rc $(codes)"
check "R-DL-2 (a) names our serial and state" grep -q "ours, state=issued" <<<"$out"
run "${PORT[b]}"
check_eq "R-DL-2 (b) missing intermediate, exit 1" "1 chain.missing_intermediate" "$rc $(codes)"
run "${PORT[c]}"
check_eq "R-DL-2 (c) cross-root intermediate where 3 tiers were wanted" "1 chain.cross_root" \
  "$rc $(codes)"
check "R-DL-2 (c) the message names root A" grep -q "root A" <<<"$out"
out=$(SHOMEI_FAKE_NOW=$(($(date +%s) + 3 * 86400)) "$S" check --dir "$D" --servername $HOST \
  --allow-private "https://127.0.0.1:${PORT[d]}" 2>&1)
rc=$?
check_eq "R-DL-2 (d) expired certificate" "1 cert.expired" "$rc $(codes)"
run "${PORT[e]}"
check_eq "R-DL-2 (e) hostname mismatch" "1 name.mismatch" "$rc $(codes)"
check "R-DL-2 (e) the message names the expected host" grep -q "does not name $HOST" <<<"$out"
run "${PORT[f]}"
check_eq "R-DL-2 (f) certificate from another CA" "1 cert.foreign_ca" "$rc $(codes)"
run "${PORT[g]}"
check_eq "R-DL-2 (g) revoked certificate (our records)" "1 cert.revoked" "$rc $(codes)"
run "$PLAIN"
check_eq "R-DL-2 a port that speaks no TLS" "1 tls.no_tls" "$rc $(codes)"
dead=$(free_port)
t0=$SECONDS
run "$dead"
check_eq "R-DL-2 a port that does not answer" "1 tls.no_answer" "$rc $(codes)"
check "R-DL-2 ... within the bounded time" test $((SECONDS - t0)) -lt 20
out=$("$S" check --dir "$D" --servername $HOST "https://127.0.0.1:${PORT[a]}" 2>&1)
rc=$?
check_eq "R-DL-2 loopback without --allow-private is refused" "1 target.refused" "$rc $(codes)"
out=$("$S" check --dir "$D" "http://$HOST/" 2>&1)
rc=$?
check_eq "R-DL-2 a URL that is not https" "1 target.invalid" "$rc $(codes)"
out=$("$S" check --dir "$D" --json --servername $HOST --allow-private "https://127.0.0.1:${PORT[c]}")
check_eq "R-DL-2 --json gives the code" "chain.cross_root False" \
  "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["findings"][0]["code"], d["ok"])' "$out")"

# --- the page (logged in) and the API call ---
PW=check-Horse-77
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login chk-c --role customer \
  --email c@c.example.jp --name "Check C" --org-name "Org C" >/dev/null
start_server "$D" || { not_ok "server starts"; it_done; }
KEY=$(api_key_for "$IT_URL" chk-c "$PW")
apicheck() { # JSON -> $code, body in $IT_TMP/api.json
  code=$(curl -s -o "$IT_TMP/api.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -H 'Accept-Language: ja' --data-binary "$1" "$IT_URL/api/v1/check")
}
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$IT_TMP/api.json" "$1"; }
apicheck "{\"url\":\"https://127.0.0.1:${PORT[a]}\",\"servername\":\"$HOST\"}"
check_eq "R-DL-2 API (a): 200, ok" "200 True ok" "$code $(field 'd["ok"], d["findings"][0]["code"]' | tr -d "(),'")"
apicheck "{\"url\":\"https://127.0.0.1:${PORT[c]}\",\"servername\":\"$HOST\"}"
check_eq "R-DL-2 API (c): cross root, message in Japanese" "chain.cross_root 1" \
  "$(field 'd["findings"][0]["code"], int("3 階層" in d["findings"][0]["message"])' | tr -d "(),'")"
apicheck '{"url":"https://10.11.12.13:443","servername":"www.example.com"}'
check_eq "R-DL-2 API: a private address the operator did not allow is refused" "200 target.refused" \
  "$code $(field 'd["findings"][0]["code"]')"
apicheck '{"url":"ftp://x"}'
check_eq "R-DL-2 API: a URL that is not https is a 422 naming url" "422 url" \
  "$code $(field 'd.get("field", d.get("invalid_params", [{}])[0].get("name", ""))')"
jar=$IT_TMP/jar
curl -s -c "$jar" -b "$jar" -o "$IT_TMP/l.html" "$IT_URL/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/l.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" --data-urlencode login_id=chk-c \
  --data-urlencode "password=$PW" "$IT_URL/login"
curl -s -c "$jar" -b "$jar" -o "$IT_TMP/p.html" "$IT_URL/tools/check"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/p.html" | head -1 | sed 's/.*value="//; s/"$//')
check "R-DL-2 the page shows the form" grep -q 'id="check-form"' "$IT_TMP/p.html"
grep -h "status=500\|error" "$IT_TMP"/server-*.log | head -5 | sed "s/^/# /"
pc=$(curl -s -c "$jar" -b "$jar" -o "$IT_TMP/p.html" -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode "url=https://127.0.0.1:${PORT[b]}" --data-urlencode "servername=$HOST" "$IT_URL/tools/check")
check_eq "R-DL-2 page (b): 200 with the missing intermediate" "200 1" \
  "$pc $(grep -c 'data-code="chain.missing_intermediate"' "$IT_TMP/p.html")"
check "R-DL-2 page (b): says it in Japanese" grep -q '中間証明書が設定されていません' "$IT_TMP/p.html"
pc=$(curl -s -c "$jar" -b "$jar" -o "$IT_TMP/p.html" -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode "url=" "$IT_URL/tools/check")
check_eq "R-DL-2 page: an empty URL is a 422 naming the field" "422 1" \
  "$pc $(grep -c 'data-field="url"' "$IT_TMP/p.html")"
check "R-DL-2 the server log has no 500" bash -c "! grep -q 'status=500' '$IT_TMP'/server-*.log"
it_done
