#!/usr/bin/env bash
# R-MNG-4 site seal (issue 12 item 7): the snippet page and API of a certificate, the seal
# image (SVG, ja/en, light/dark) and the public verification page; one seal id per
# subscription chain that keeps working across a reissue and a renewal; "not valid" for a
# revoked or expired certificate; an unknown seal id is a 404 page, never a 500; another
# organization cannot get the seal of a certificate it does not see (R-ACT-1); the public
# answers are cacheable for a short time. Certificates are issued with `shomei issue` and
# put into subscriptions with sqlite3, as tests/it/certs_web.sh does.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --test-ca --set server.secure_cookies=false --set server.per_ip_connections=0 \
  --set server.base_url=https://ca.example.jp --set ca.repository_url=http://repo.ca.example.jp >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
sql() { sqlite3 -batch "$D/shomei.db" "$@"; }
PW=Seal-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login alice-c --role customer --email a@alpha.example.jp --name Alice --org-name "Alpha"
add --login bob-c --role customer --email b@beta.example.jp --name Bob --org-name "Beta"
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'alice-c'")
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
  -out "$W/c.csr" -subj /CN=www.alpha-shop.co.jp 2>/dev/null
issue() { "$S" issue --dir "$D" --csr "$W/c.csr" --name www.alpha-shop.co.jp --level ov \
  --org "Alpha Shop KK" --locality Chiyoda --state Tokyo --country JP "$@" 2>>"$W/issue.err" |
  openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
S1=$(issue)
check "first certificate issued" test -n "$S1"
NOW=$(date -u +%s)
sql "UPDATE certificates SET org_id = $ORG_A WHERE serial = '$S1';
INSERT INTO subscriptions (id, org_id, product_id, first_order_id, starts_at, ends_at, created_at,
  updated_at) VALUES (501, $ORG_A, 1, 9001, $NOW, $((NOW + 400 * 86400)), $NOW, $NOW);
INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at)
  VALUES (501, 9001, (SELECT id FROM certificates WHERE serial = '$S1'), 'first', $NOW);"

start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
KEY=$(api_key_for "$url" alice-c "$PW")
BKEY=$(api_key_for "$url" bob-c "$PW")
jar=$W/jar
curl -s -c "$jar" -b "$jar" -o "$W/l.html" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$W/l.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode login_id=alice-c --data-urlencode "password=$PW" "$url/login"

code=$(curl -s -b "$jar" -o "$W/p.html" -w '%{http_code}' "$url/certificates/$S1/seal")
check_eq "R-MNG-4 the snippet page answers" 200 "$code"
SID=$(grep -o '/seal/[0-9a-f]\{24\}' "$W/p.html" | head -1 | cut -d/ -f3)
check "R-MNG-4 the page shows a seal id" test -n "$SID"
check_eq "R-MNG-4 four snippets (ja/en, light/dark)" 4 "$(grep -c 'class="seal-snippet"' "$W/p.html")"
check "R-MNG-4 the snippet points at the base URL" grep -q "https://ca.example.jp/seal/$SID/ja-light.svg" "$W/p.html"
api_seal() { curl -s -H "Authorization: Bearer $1" "$url/api/v1/certificates/$2/seal"; }
jid() { python3 -c 'import json,sys; print(json.load(sys.stdin).get("seal_id",""))'; }
check_eq "R-MNG-4 the API gives the same seal id" "$SID" "$(api_seal "$KEY" "$S1" | jid)"
check_eq "R-ACT-1 another organization gets 404 for the seal" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $BKEY" "$url/api/v1/certificates/$S1/seal")"
check_eq "R-MNG-4 one seal row only" 1 "$(sql 'SELECT COUNT(*) FROM site_seals')"
check_eq "R-MNG-4 the seal's creation is audited" 1 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'seal.create'")"

verify() { curl -s -D "$W/h" -o "$W/v.html" -w '%{http_code}' "$url/seal/$SID?lang=$1"; }
check_eq "R-MNG-4 verification page (ja)" 200 "$(verify ja)"
check "R-MNG-4 ... says valid with the verified organization" \
  bash -c "grep -q 'data-state=\"valid\"' '$W/v.html' && grep -q 'Alpha Shop KK' '$W/v.html' && grep -q '有効です' '$W/v.html'"
check "R-MNG-4 ... cacheable for a short time" grep -qi '^cache-control: private, max-age=300' "$W/h"
check_eq "R-MNG-4 verification page (en)" 200 "$(verify en)"
check "R-MNG-4 ... in English" grep -q 'is valid' "$W/v.html"
img() { curl -s -D "$W/ih" -o "$W/s.svg" -w '%{http_code} %{content_type}' "$url/seal/$SID/$1.svg"; }
check_eq "R-MNG-4 seal image ja-light" "200 image/svg+xml; charset=utf-8" "$(img ja-light)"
check "R-MNG-4 ... Japanese text, light background" bash -c "grep -q '有効期限' '$W/s.svg' && grep -q 'fill=\"#ffffff\"' '$W/s.svg'"
check "R-MNG-4 ... public, short max-age" grep -qi '^cache-control: public, max-age=300' "$W/ih"
check "R-MNG-4 ... well-formed XML" python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$W/s.svg"
check_eq "R-MNG-4 seal image en-dark" "200 image/svg+xml; charset=utf-8" "$(img en-dark)"
check "R-MNG-4 ... English text, dark background" bash -c "grep -q 'Valid until' '$W/s.svg' && grep -q 'fill=\"#1f2328\"' '$W/s.svg'"

# reissue: a second certificate in the same subscription, the first revoked
S2=$(issue)
sql "UPDATE certificates SET org_id = $ORG_A WHERE serial = '$S2';
INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at)
  VALUES (501, 9002, (SELECT id FROM certificates WHERE serial = '$S2'), 'reissue', $NOW);"
"$S" revoke --dir "$D" --serial "$S1" --reason superseded >/dev/null 2>&1
verify ja >/dev/null
check "R-MNG-4 after a reissue the same seal shows the new certificate, valid" \
  bash -c "grep -q '$S2' '$W/v.html' && grep -q 'data-state=\"valid\"' '$W/v.html'"
check_eq "R-MNG-4 the reissued certificate has the same seal id" "$SID" "$(api_seal "$KEY" "$S2" | jid)"
# renewal: a new subscription whose predecessor is the first
S3=$(issue)
sql "UPDATE certificates SET org_id = $ORG_A WHERE serial = '$S3';
INSERT INTO subscriptions (id, org_id, product_id, first_order_id, predecessor_id, starts_at,
  ends_at, created_at, updated_at) VALUES (502, $ORG_A, 1, 9003, 501, $NOW, $((NOW + 800 * 86400)),
  $NOW, $NOW);
INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at)
  VALUES (502, 9003, (SELECT id FROM certificates WHERE serial = '$S3'), 'renewal', $NOW);"
verify ja >/dev/null
check "R-MNG-4 after a renewal the same seal shows the renewed certificate" grep -q "$S3" "$W/v.html"
check_eq "R-MNG-4 the renewed certificate has the same seal id" "$SID" "$(api_seal "$KEY" "$S3" | jid)"
# revoked
"$S" revoke --dir "$D" --serial "$S3" --reason superseded >/dev/null 2>&1
check_eq "R-MNG-4 revoked: the page still answers" 200 "$(verify ja)"
check "R-MNG-4 revoked: not valid" bash -c "grep -q 'data-state=\"revoked\"' '$W/v.html' && grep -q '有効ではありません' '$W/v.html'"
img ja-light >/dev/null
check "R-MNG-4 revoked: the image says not valid" grep -q '無効（失効）' "$W/s.svg"
# expired: a certificate outside any subscription whose validity has passed
S4=$(issue --days 1)
sql "UPDATE certificates SET org_id = $ORG_A, not_after = $((NOW - 60)) WHERE serial = '$S4'"
SID4=$(api_seal "$KEY" "$S4" | jid)
check "R-MNG-4 a certificate outside a subscription has its own seal" test -n "$SID4" -a "$SID4" != "$SID"
code=$(curl -s -o "$W/v4.html" -w '%{http_code}' "$url/seal/$SID4?lang=en")
check "R-MNG-4 expired: not valid" bash -c "[ $code = 200 ] && grep -q 'data-state=\"expired\"' '$W/v4.html' && grep -q 'has expired' '$W/v4.html'"
# bad seal ids
for bad in 000000000000000000000000 nothex Z00000000000000000000000; do
  check_eq "R-MNG-4 unknown seal id $bad: 404 page" 404 "$(curl -s -o "$W/n.html" -w '%{http_code}' "$url/seal/$bad")"
  check_eq "R-MNG-4 unknown seal id $bad: image 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$url/seal/$bad/ja-light.svg")"
done
check "R-MNG-4 the 404 page says so" grep -q 'サイトシールは見つかりません' "$W/n.html"
check_eq "R-MNG-4 an unknown image variant: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$url/seal/$SID/fr-pink.svg")"
check "R-MNG-4 no 500 in the server log" bash -c "! grep -q 'status=500' '$IT_TMP'/server-*.log"
it_done
