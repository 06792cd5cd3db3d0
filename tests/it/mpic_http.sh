#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-VAL-8 (BR 3.2.2.9), issue 11 items 2 and 3: multi-perspective corroboration seen over
# HTTP, with five `shomei perspective` agents on loopback (each its own resolver, all
# asking the test knot) and a web server for the web-page method.
#   - /metrics (item 3): the corroborations by kind and outcome, each perspective's answers
#     by result and the age of its last usable answer; they move with a validation of the
#     order API, and a perspective that is down shows as errors and a growing age, while
#     the validation still passes (4/5); `promtool check metrics` accepts every scrape;
#   - too few perspectives for the date (item 2: [mpic] perspectives lists one): the
#     start-up warning, then the order API's validation call (503 problem document), the
#     portal's "check now" (503 page, Japanese), the officer's approval (503)
#     and an ACME http-01 challenge answer (503 problem document, the authorization stays
#     pending) each refuse with the localized message naming why, and change nothing.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/knot.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
command -v promtool >/dev/null 2>&1 || { not_ok "promtool installed (scripts/deps: prometheus)"; it_done; }
"$PY" -c 'import cryptography' 2>/dev/null || { not_ok "python3-cryptography is installed"; it_done; }
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=mh-hmac-secret
BODY=$IT_TMP/body
HDR=$IT_TMP/hdr
PW=mh-Horse-77-battery
port=$(free_port)
url=https://127.0.0.1:$port
MP=$(free_port)

# one zone per order: a validation of one order is not reused by the next (R-VAL-2)
for z in mh1-test.co.jp mh2-test.co.jp mh3-test.co.jp; do
  printf '%s @ A 127.0.0.1\n%s www A 127.0.0.1\n%s @ CAA 0 issue "shomei.example"\n' "$z" "$z" "$z"
done >"$IT_TMP/records"
dcv_peers "jp co.jp mh1-test.co.jp mh2-test.co.jp mh3-test.co.jp" "$IT_TMP/records" mail
dcv_init "$D" "$SECRET" --set server.tls_cert=tls.crt --set server.tls_key=tls.key \
  --set "server.base_url=$url" --set "ca.repository_url=http://127.0.0.1:$port/repository" \
  --set "metrics.listen=127.0.0.1:$MP" --set mpic.perspectives=perspectives.txt \
  --set mpic.timeout_ms=8000
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$D/tls.key" -out "$D/tls.crt" >/dev/null 2>&1
export CURL_CA_BUNDLE=$D/tls.crt
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login mh-c --role customer --email c@mh1-test.co.jp --name "MH C" --org-name "MH Org"
add --login mh-o --role officer --email o@ca.example --name "MH O"
ORG=$("$S" user list --dir "$D" | awk '$2 == "mh-c" {print $4}')

# ---- five perspectives on loopback ----
PRIMARY_PK=$("$S" perspective keygen "$D/mpic.key")
RIRS=(x ARIN RIPE APNIC ARIN RIPE)
PPIDS=()
PP=()
: >"$D/perspectives.txt"
INITS=()
for i in 1 2 3 4 5; do # the data directories made at once, then each agent started
  PP[$i]=$(free_port)
  "$S" perspective init --dir "$IT_TMP/p$i" --primary-key "$PRIMARY_PK" \
    --set "perspective.port=${PP[$i]}" --set "perspective.label=loc$i" \
    --set "dns.resolver=$KNOT_ADDR" --set "dns.trust_anchor_file=$KNOT_TA" \
    --set dcv.allow_loopback=true --set "dcv.http_port=$HP" \
    --set testing.not_for_production=true >"$IT_TMP/pk$i" &
  INITS+=($!)
done
wait "${INITS[@]}"
for i in 1 2 3 4 5; do
  "$S" perspective --dir "$IT_TMP/p$i" >"$IT_TMP/p$i.log" 2>&1 &
  PPIDS[$i]=$!
  IT_PIDS+=($!)
  echo "${RIRS[$i]} loc$i http://127.0.0.1:${PP[$i]} $(cat "$IT_TMP/pk$i")" >>"$D/perspectives.txt"
done
for i in 1 2 3 4 5; do
  wait_for 30 curl -fsS -o /dev/null "http://127.0.0.1:${PP[$i]}/healthz" ||
    { not_ok "perspective $i starts"; sed 's/^/# /' "$IT_TMP/p$i.log"; it_done; }
done

SPID=
serve() { # (re)starts the server over TLS
  [ -n "$SPID" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
  "$S" serve --dir "$D" --port "$port" >"$IT_TMP/serve.out" 2>"$IT_TMP/serve.log" &
  SPID=$!
  IT_PIDS+=("$SPID")
  wait_for 30 curl -fsS -o /dev/null "$url/healthz" ||
    { not_ok "server starts"; sed 's/^/# /' "$IT_TMP/serve.log"; it_done; }
}
scrape() { curl -s -o "$IT_TMP/$1" -w '%{http_code}' "http://127.0.0.1:$MP/metrics"; }
val() { # FILE SERIES -> value (0 when absent)
  awk -v s="$2" 'index($0, s" ") == 1 {v = $NF} END {print v == "" ? 0 : v}' "$IT_TMP/$1"
}
# an order of www.ZONE (DNS TXT) and ZONE (web page), paid: $OID
order() { # ZONE
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$IT_TMP/c.csr" -subj "/CN=www.$1" 2>/dev/null
  CSR="$IT_TMP/c.csr" Z="$1" python3 -c '
import json, os
z = os.environ["Z"]
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(),
  "cn": "www." + z, "dcv_methods": {"www." + z: "dns", z: "http"},
  "contact": {"org": "検証試験株式会社", "dept": "情報システム部", "name": "山田 太郎",
              "name_kana": "やまだ たろう", "postal": "100-0001", "pref": "東京都", "city": "千代田区",
              "street": "千代田1-1", "phone": "03-1111-2222", "email": "ops@" + z},
  "billing_same": True, "notify_emails": ["cert@" + z], "idem_key": z},
  ensure_ascii=False))' >"$IT_TMP/order.json"
  api POST /api/v1/orders "$(cat "$IT_TMP/order.json")"
  [ "$code" = 201 ] || return 1
  OID=$(jq_ 'd["id"]')
  pay
  [ "$code" = 200 ]
}
domains_validated() { # the count of the order's validated names
  api GET "/api/v1/orders/$OID"
  jq_ 'sum(1 for x in d["domains"] if x["state"] == "validated")'
}
validated_is() { [ "$(domains_validated)" = "$1" ]; }

# ---- 1. five perspectives: /metrics and a validation through the order API ----
serve
KEY=$(api_key_for "$url" mh-c "$PW")
check "an API key for the customer" test -n "$KEY"
check_eq "GET /metrics: 200" 200 "$(scrape m0)"
check "promtool check metrics accepts it" promtool check metrics <"$IT_TMP/m0"
for s in shomei_mpic_attempts_total shomei_mpic_perspective_answers_total \
  shomei_mpic_perspective_last_success_age_seconds shomei_mpic_perspectives \
  shomei_mpic_perspectives_required; do
  check "issue 11 item 3: family $s is described" grep -q "^# TYPE $s " "$IT_TMP/m0"
done
check_eq "issue 11 item 3: five perspectives configured" 5 "$(val m0 shomei_mpic_perspectives)"
check_eq "issue 11 item 3: an age gauge per perspective" 5 \
  "$(grep -c '^shomei_mpic_perspective_last_success_age_seconds{perspective="loc[1-5]",rir="[A-Z]*"} [0-9]' "$IT_TMP/m0")"
A_DNS='shomei_mpic_attempts_total{kind="dns-txt",outcome="pass"}'
A_WEB='shomei_mpic_attempts_total{kind="http-file",outcome="pass"}'
AGREE1='shomei_mpic_perspective_answers_total{perspective="loc1",result="agree"}'
ERR5='shomei_mpic_perspective_answers_total{perspective="loc5",result="error"}'
AGE='shomei_mpic_perspective_last_success_age_seconds'
order mh1-test.co.jp || { not_ok "order placed and paid"; it_done; }
publish mh1-test.co.jp
# (the vetting sweep may have checked first: then the order is issued already, 409)
check "the order API's validation call: 200 ($code)" test "$code" = 200 -o "$code" = 409
check "  both names validated, corroborated by the perspectives" wait_for 30 validated_is 2
scrape m1 >/dev/null
check "promtool check metrics accepts it after a validation" promtool check metrics <"$IT_TMP/m1"
# (the vetting sweep may check as well, and the issuance's CAA check adds answers)
check "issue 11 item 3: a DNS TXT corroboration passed" test "$(val m1 "$A_DNS")" -ge 1
check "issue 11 item 3: a web-page corroboration passed" test "$(val m1 "$A_WEB")" -ge 1
check "issue 11 item 3: loc1 agreed (at least twice)" test "$(val m1 "$AGREE1")" -ge 2
# issue 13 item 5 (R-OPS-1): the DCV counters by method and outcome moved with it, and the
# CAA check of the issuance that follows is counted as permitted
check "issue 13 item 5: DNS TXT validations counted (ok)" \
  test "$(val m1 'shomei_dcv_checks_total{method="dns",outcome="ok"}')" -gt \
  "$(val m0 'shomei_dcv_checks_total{method="dns",outcome="ok"}')"
check "issue 13 item 5: web-page validations counted (ok)" \
  test "$(val m1 'shomei_dcv_checks_total{method="http",outcome="ok"}')" -gt \
  "$(val m0 'shomei_dcv_checks_total{method="http",outcome="ok"}')"
caa_counted() {
  scrape mc >/dev/null
  test "$(val mc 'shomei_caa_checks_total{outcome="permitted"}')" -gt \
    "$(val m0 'shomei_caa_checks_total{outcome="permitted"}')"
}
check "issue 13 item 5: the issuance's CAA check counted (permitted)" wait_for 30 caa_counted

# a perspective down: still validated (4/5), counted as errors, its age grows
kill "${PPIDS[5]}"
wait "${PPIDS[5]}" 2>/dev/null
sleep 2
order mh2-test.co.jp || not_ok "second order placed and paid"
publish mh2-test.co.jp
check "one perspective down: the validation call: 200 ($code)" test "$code" = 200 -o "$code" = 409
check "  both names validated (4/5)" wait_for 30 validated_is 2
check_eq "  the evidence says 4/5" "4/5" \
  "$(sq "SELECT result FROM mpic_attempts WHERE order_id = $OID AND kind = 'dns-txt' ORDER BY id DESC LIMIT 1")"
scrape m2 >/dev/null
check "issue 11 item 3: the down perspective's answers are errors" test "$(val m2 "$ERR5")" -ge 2
check "issue 11 item 3: the corroborations pass on" test "$(val m2 "$A_DNS")" -gt "$(val m1 "$A_DNS")"
a1=$(val m2 "$AGE{perspective=\"loc1\",rir=\"ARIN\"}")
a5=$(val m2 "$AGE{perspective=\"loc5\",rir=\"RIPE\"}")
check "issue 11 item 3: the down perspective's last success is older ($a5 s > $a1 s)" \
  test "$a5" -ge 2 -a "$a5" -gt "$a1"
check "promtool check metrics accepts it with a perspective down" promtool check metrics <"$IT_TMP/m2"

# ---- 2. too few perspectives for the date: every entry point refuses with 503 ----
head -1 "$D/perspectives.txt" >"$IT_TMP/one" && cp "$IT_TMP/one" "$D/perspectives.txt"
serve
order mh3-test.co.jp || not_ok "third order placed and paid"
O3=$OID
check "issue 11 item 2: the start-up warning names the refusal" \
  grep -q "domain validation will be refused: too few remote perspectives" "$IT_TMP/serve.log"
check "  and the counts" grep -q "1 configured in \[mpic\] perspectives" "$IT_TMP/serve.log"
scrape m3 >/dev/null
check_eq "issue 11 item 3: /metrics shows 1 configured" 1 "$(val m3 shomei_mpic_perspectives)"

# the order API: a problem document
code=$(curl -s -D "$HDR" -o "$BODY" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -H 'Accept-Language: en' \
  --data-binary '{"action":"check"}' "$url/api/v1/orders/$O3/dcv")
check_eq "issue 11 item 2: API validation call with too few perspectives: 503" 503 "$code"
check "  a problem document" grep -qi '^content-type: application/problem+json' "$HDR"
check "  Retry-After" grep -qi '^retry-after: [0-9]' "$HDR"
check_eq "  its type" "urn:shomei:problem:mpic" "$(jq_ 'd["type"]')"
check "  the message names why" grep -q "not have enough remote network perspectives\|リモート検証拠点の数が足りません" "$BODY"
check_eq "  nothing validated" 0 "$(domains_validated)"

# the portal: the order page's "check now", in Japanese
JAR=$IT_TMP/jar-c
curl -s -c "$JAR" -b "$JAR" -o "$BODY" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode "login_id=mh-c" --data-urlencode "password=$PW" "$url/login"
curl -s -c "$JAR" -b "$JAR" -o "$BODY" "$url/orders/$O3"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -s -c "$JAR" -b "$JAR" -o "$BODY" -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode "action=check" "$url/orders/$O3/dcv")
check_eq "issue 11 item 2: the portal's check with too few perspectives: 503" 503 "$code"
check "  the Japanese message names why" grep -q "リモート検証拠点の数が足りません" "$BODY"

# the officer's approval
JAR=$IT_TMP/jar-o
curl -s -c "$JAR" -b "$JAR" -o "$BODY" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode "login_id=mh-o" --data-urlencode "password=$PW" "$url/login"
curl -s -c "$JAR" -b "$JAR" -o "$BODY" -H 'Accept-Language: en' "$url/officer/orders/$O3"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
ver=$(grep -o 'name="version" value="[0-9]*"' "$BODY" | head -1 | tr -cd '0-9')
check "the officer's order page offers the approval" test -n "$ver"
code=$(curl -s -c "$JAR" -b "$JAR" -o "$BODY" -w '%{http_code}' -H 'Accept-Language: en' \
  --data-urlencode "csrf=$tok" --data-urlencode "version=$ver" "$url/officer/orders/$O3/approve")
check_eq "issue 11 item 2: the officer's approval with too few perspectives: 503" 503 "$code"
check "  the message names why" grep -q "not have enough remote network perspectives\|リモート検証拠点の数が足りません" "$BODY"
check_eq "  the order is not approved" vetting "$(sq "SELECT state FROM orders WHERE id = $O3")"

# ACME: the http-01 answer
"$S" acme eab --dir "$D" --org "$ORG" >"$IT_TMP/eab.out"
kid=$(awk '$1 == "kid" {print $2}' "$IT_TMP/eab.out")
hk=$(awk '$1 == "hmac_key" {print $2}' "$IT_TMP/eab.out")
"$PY" "$here/acme_client.py" challenge "$url" "$D/tls.crt" "$kid" "$hk" acme.mh3-test.co.jp \
  >"$IT_TMP/acme.json" 2>"$IT_TMP/acme.err"
BODY=$IT_TMP/acme.json
check_eq "issue 11 item 2: an ACME http-01 answer with too few perspectives: 503" 503 \
  "$(jq_ 'd["status"]')"
check "  a problem document" grep -q '"content_type": "application/problem+json' "$BODY"
check_eq "  its type" "urn:shomei:problem:mpic" "$(jq_ 'd["type"]')"
check "  the message names why" bash -c "grep -q 'リモート検証拠点\|remote network perspectives' '$BODY'"
check_eq "  the authorization stays pending" pending "$(jq_ 'd["authz"]')"

kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
check "no sanitizer reports" bash -c \
  '! grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$@"' _ \
  "$IT_TMP/serve.log" "$IT_TMP"/p[0-9].log
it_done
