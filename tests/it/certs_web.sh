#!/usr/bin/env bash
# Certificate list, detail, downloads and API over HTTP (issue 3 item 8).
# R-MNG-1: the list of the caller's certificates with receipt number, status, CN, expiry,
#   product, applicant organization, department and start date; search by CN, serial and
#   receipt number; sorted by expiry; paging.
# R-MNG-2: the detail page (product, kind, status, receipt number, serial, DN, validity,
#   server software, TDB code, root option, fingerprint).
# R-DL-1: every download format from the page and the API with Content-Disposition, each
#   checked with openssl verify / openssl pkcs7 as the outside verifier (R-ISS-1: root A
#   through the intermediate, root B through the cross-certificate); re-download by e-mail
#   with the file attached, delivered to a real SMTP server (aiosmtpd).
# R-ACT-1: another organization's certificate is 404 for the page, downloads and the API.
# R-API-1: GET /api/v1/certificates, /api/v1/certificates/:serial and its downloads.
#
# There is no CLI flag to issue for an organization: certificates are issued with
# `shomei issue` and then given to an organization (and one to an order) with sqlite3.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
SINK="$(dirname "$0")/smtp_sink.py"
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2>/dev/null; then
    PY=$p
    break
  fi
done
[ -n "$PY" ] || { not_ok "a python3 with aiosmtpd is installed"; it_done; }
SPORT=$(free_port)
"$PY" "$SINK" --dir "$IT_TMP/sink" --port "$SPORT" --ready-file "$IT_TMP/sink.ready" \
  >"$IT_TMP/sink.log" 2>&1 &
IT_PIDS+=("$!")
for _ in $(seq 1 100); do [ -f "$IT_TMP/sink.ready" ] && break; sleep 0.1; done
check "the SMTP sink runs" test -f "$IT_TMP/sink.ready"

"$S" init --dir "$D" --demo --test-ca --set server.secure_cookies=false --set mail.enabled=true \
  --set "mail.url=smtp://127.0.0.1:$SPORT" --set mail.starttls=none \
  --set mail.from=ca@shomei.example.jp --set mail.timeout=5 >"$IT_TMP/init.log" 2>&1 ||
  { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
DB=$D/shomei.db
sql() { sqlite3 -batch "$DB" "$@"; }

PW=Certs-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login alice-c --role customer --email alice@alpha-shop.example.jp --name "Alice" \
  --org-name "Alpha Shop"
add --login bob-c --role customer --email bob@beta.example.jp --name "Bob" \
  --org-name "Borgsecret Corp"
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'alice-c'")
ORG_B=$(sql "SELECT org_id FROM users WHERE login_id = 'bob-c'")
check "two customer organizations" test -n "$ORG_A" -a -n "$ORG_B" -a "$ORG_A" != "$ORG_B"

# ---- certificates: A has a DV (root A) and an OV (root B, with an order); B has one ----
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
  -out "$W/c.csr" -subj /CN=www.alpha-shop.co.jp 2>/dev/null
issue() { "$S" issue --dir "$D" --csr "$W/c.csr" "$@" 2>>"$W/issue.err"; }
serial_of() { openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
SA1=$(issue --name www.alpha-shop.co.jp --level dv --days 30 | serial_of)
SA2=$(issue --name shop.alpha-shop.co.jp --level ov --root b --org "Alpha Shop KK" \
  --locality Chiyoda --state Tokyo --country JP --days 90 | serial_of)
SB=$(issue --name www.borgsecret.co.jp --level dv | serial_of)
check "three certificates issued" test -n "$SA1" -a -n "$SA2" -a -n "$SB"
PROD=$(sql "SELECT id FROM products WHERE code = 'ov-1y'")
NOW=$(date -u +%s)
APPL='{"org":{"name_ja":"アルファ商店株式会社","name_en":"Alpha Shop KK",'
APPL+='"tdb_code":"123456789"},"responsible":{"dept":"情報システム部"}}'
sql "BEGIN;
UPDATE certificates SET org_id = $ORG_A WHERE serial IN ('$SA1', '$SA2');
UPDATE certificates SET org_id = $ORG_B WHERE serial = '$SB';
INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, cn, names,
  root_option, applicant, notify_email1, server_software, created_at, updated_at, idem_key)
  VALUES ('R20261129-00042', 'new', 'issued', $PROD, $ORG_A, 1, 'shop.alpha-shop.co.jp',
  '[\"shop.alpha-shop.co.jp\"]', 'b', '$APPL', 'alice@alpha-shop.example.jp', 'nginx',
  $NOW, $NOW, 'certs-web-1');
UPDATE certificates SET order_id = (SELECT id FROM orders WHERE receipt_no = 'R20261129-00042')
  WHERE serial = '$SA2';
COMMIT;"

start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL
# issue 8 item 22: a data directory made with --test-ca says so on every page
for pg in / /tools/csr /login; do
  check "issue 8 item 22 TEST CA banner on $pg (ja)" \
    grep -q 'class="test-ca-banner".*試験用 CA' <(curl -s "$url$pg")
done
check "issue 8 item 22 TEST CA banner in English" \
  grep -q 'Running with TEST CAs' <(curl -s "$url/?lang=en")
BODY=$W/body
HDR=$W/headers

# login LOGIN JAR: a session in cookie jar JAR; prints the CSRF token of the login page
login() {
  local jar=$2 tok
  curl -s -c "$jar" -b "$jar" -o "$BODY" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
}
JA=$W/jar-a
login alice-c "$JA"
get() { code=$(curl -s -b "$JA" -D "$HDR" -o "$BODY" -w '%{http_code}' "$url$1"); }

# ---- R-MNG-1 the list ----
get /certificates
check_eq "R-MNG-1 list page answers" 200 "$code"
check "R-MNG-1 the list shows A's certificates" grep -q "data-serial=\"$SA1\"" "$BODY"
check "R-MNG-1 ... both of them" grep -q "data-serial=\"$SA2\"" "$BODY"
check "R-ACT-1 the list never shows B's certificate" bash -c "! grep -q '$SB' '$BODY'"
first=$(grep -o 'data-serial="[0-9a-f]*"' "$BODY" | head -1 | sed 's/.*="//; s/"//')
check_eq "R-MNG-1 sorted by expiry (30-day certificate first)" "$SA1" "$first"
check "R-MNG-1 the row shows receipt number, product, organization and department" \
  grep -q 'R20261129-00042.*OV.*アルファ商店株式会社.*情報システム部' "$BODY"
check "R-MNG-1 status, expiry and start date columns" grep -q 'status-valid' "$BODY"
get "/certificates?q=shop.alpha"
check "R-MNG-1 search by CN finds it" grep -q "data-serial=\"$SA2\"" "$BODY"
check "R-MNG-1 ... and only it" bash -c "! grep -q 'data-serial=\"$SA1\"' '$BODY'"
get "/certificates?q=$(printf '%s' "$SA1" | cut -c1-10 | tr 'a-f' 'A-F')"
check "R-MNG-1 search by serial prefix (any case)" grep -q "data-serial=\"$SA1\"" "$BODY"
get "/certificates?q=R20261129-00042"
check "R-MNG-1 search by receipt number" grep -q "data-serial=\"$SA2\"" "$BODY"
get "/certificates?q=$SB"
check "R-ACT-1 searching B's serial finds nothing" grep -q 'id="no-certs"' "$BODY"
get "/certificates?page=0"
check_eq "bad page number is 400" 400 "$code"
get "/certificates?page=2"
check_eq "an empty later page is no error" 200 "$code"

# ---- R-MNG-2 the detail page ----
get "/certificates/$SA2"
check_eq "R-MNG-2 detail page answers" 200 "$code"
check "R-MNG-2 subject DN" grep -q 'CN=shop.alpha-shop.co.jp,O=Alpha Shop KK' "$BODY"
check "R-MNG-2 receipt number, TDB code, server software" \
  bash -c "grep -q R20261129-00042 '$BODY' && grep -q 123456789 '$BODY' && grep -q nginx '$BODY'"
check "R-MNG-2 root option B shown" grep -q 'ルートB' "$BODY"
check "R-MNG-2 validity in Japan time" grep -q '日本時間' "$BODY"
check "R-RI-1 the page offers the reissue (再発行) of the valid certificate" grep -q 'id="reissue-link"' "$BODY"
check "issue 9 item 4 the revocation form is on the page" grep -q 'id="revoke-form"' "$BODY"
get "/certificates/$(printf '%s' "$SA2" | tr 'a-f' 'A-F')"
check_eq "R-MNG-2 serial in upper case finds the same page" 200 "$code"
get "/certificates/$SB?lang=en"
check_eq "R-ACT-1 B's certificate page is 404" 404 "$code"
check "R-ACT-1 ... without B's data" bash -c "! grep -q borgsecret '$BODY'"
get "/certificates/zz-not-hex"
check_eq "a malformed serial is 404" 404 "$code"

# ---- R-DL-1 downloads, verified by openssl ----
split_pem() { awk -v p="$2" '/-----BEGIN CERTIFICATE-----/{n++} n>0 {print > (p n ".pem")}' "$1"; }
for r in a b; do
  for l in dv ov; do
    "$S" ca chain --dir "$D" --level $l --root $r >"$W/chain-$l-$r.pem"
  done
done
split_pem "$W/chain-dv-a.pem" "$W/dva-"
split_pem "$W/chain-ov-b.pem" "$W/ovb-"
ROOT_A=$W/dva-2.pem
ROOT_B=$W/ovb-2.pem
verify() { openssl verify -x509_strict -purpose sslserver -CAfile "$1" -untrusted "$2" "$3" \
  >/dev/null 2>&1; }
dl() { # SERIAL FORMAT [api]: body in $W/dl.FORMAT
  local pre=""
  [ "${3:-}" = api ] && pre=/api/v1
  code=$(curl -s -b "$JA" ${3:+-H "Authorization: Bearer $A_KEY"} -D "$HDR" \
    -o "$W/dl.$2" -w '%{http_code}' "$url$pre/certificates/$1/download/$2")
}
disp() { grep -qi "^Content-Disposition: attachment; filename=\"$1" "$HDR"; }

for s in "$SA1" "$SA2"; do
  root=$ROOT_A
  [ "$s" = "$SA2" ] && root=$ROOT_B
  dl "$s" pem
  check_eq "R-DL-1 PEM of $s answers" 200 "$code"
  check "R-DL-1 PEM has Content-Disposition <cn>-<serial>.pem" disp ".*-$s.pem\""
  dl "$s" der
  check "R-DL-1 DER is the same certificate" \
    cmp -s <(openssl x509 -in "$W/dl.der" -inform DER -outform PEM) \
    <(openssl x509 -in "$W/dl.pem")
  dl "$s" fullchain
  check "R-DL-1 full chain verifies with openssl against the root ($s)" \
    verify "$root" "$W/dl.fullchain" "$W/dl.fullchain"
  check_eq "R-DL-1 full chain is leaf + issuing CA, no root" 2 \
    "$(grep -c 'BEGIN CERTIFICATE' "$W/dl.fullchain")"
  dl "$s" p7b
  openssl pkcs7 -inform DER -in "$W/dl.p7b" -print_certs -out "$W/p7.pem" 2>/dev/null
  check "R-DL-1 PKCS#7 holds leaf + issuing CA and verifies" \
    bash -c "[ \$(grep -c 'BEGIN CERTIFICATE' '$W/p7.pem') = 2 ] &&
      openssl verify -CAfile '$root' -untrusted '$W/p7.pem' '$W/dl.pem' >/dev/null 2>&1"
done
dl "$SA1" intermediate
dl "$SA1" pem
check "R-DL-1 R-ISS-1 root A: leaf + intermediate verify to root A (3 tiers)" \
  verify "$ROOT_A" "$W/dl.intermediate" "$W/dl.pem"
dl "$SA2" intermediate-cross
cp "$W/dl.intermediate-cross" "$W/cross.pem"
dl "$SA2" pem
cp "$W/dl.pem" "$W/sa2.pem"
check "R-DL-1 R-ISS-1 root B: leaf + cross-certificate verify to root B" \
  verify "$ROOT_B" "$W/cross.pem" "$W/dl.pem"
check "R-DL-1 ... and not to root A" bash -c "! openssl verify -CAfile '$ROOT_A' \
  -untrusted '$W/cross.pem' '$W/dl.pem' >/dev/null 2>&1"
dl "$SA1" pkcs9
check_eq "an unknown format is 400" 400 "$code"
for f in pem fullchain p7b; do
  dl "$SB" $f
  check_eq "R-ACT-1 B's certificate download ($f) is 404" 404 "$code"
  check "R-ACT-1 ... with no certificate in it" bash -c "! grep -q 'BEGIN CERT' '$W/dl.$f'"
done

# ---- R-API-1 ----
tok=$(curl -s -b "$JA" "$url/account/keys" | grep -o 'name="csrf" value="[^"]*"' | head -1 |
  sed 's/.*value="//; s/"$//')
A_KEY=$(curl -s -b "$JA" --data-urlencode "csrf=$tok" --data-urlencode "label=certs" \
  "$url/account/keys" | sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p')
check "A has an API key" test -n "$A_KEY"
api() { code=$(curl -s -H "Authorization: Bearer $A_KEY" -o "$BODY" -w '%{http_code}' "$url$1"); }
api /api/v1/certificates
check_eq "R-API-1 GET /api/v1/certificates" 200 "$code"
check_eq "R-API-1 ... lists A's two certificates" 2 "$(jq -r .total "$BODY")"
check_eq "R-API-1 ... sorted by expiry" "$SA1" "$(jq -r '.items[0].serial' "$BODY")"
api "/api/v1/certificates?q=R20261129-00042"
check_eq "R-API-1 search by receipt number" "$SA2" "$(jq -r '.items[0].serial' "$BODY")"
api "/api/v1/certificates?limit=0"
check_eq "R-API-1 bad limit is 400 problem+json" "400 limit" \
  "$code $(jq -r '.field // empty' "$BODY" 2>/dev/null)"
api "/api/v1/certificates/$SA2"
check_eq "R-API-1 GET /api/v1/certificates/:serial" 200 "$code"
jq -j .pem "$BODY" >"$W/api.pem"
check "R-API-1 the detail carries the PEM" cmp -s "$W/api.pem" "$W/sa2.pem"
check_eq "R-API-1 detail fields" "R20261129-00042 b ov-1y 123456789" \
  "$(jq -r '[.receipt_no, .root, .product.code, .tdb_code] | join(" ")' "$BODY")"
dl "$SA2" fullchain api
check "R-API-1 download by API verifies" verify "$ROOT_B" "$W/dl.fullchain" "$W/dl.fullchain"
api "/api/v1/certificates/$SB"
check_eq "R-ACT-1 B's certificate by API is 404" 404 "$code"
check "R-ACT-1 ... as problem+json without B's data" \
  bash -c "jq -e .status '$BODY' >/dev/null && ! grep -q borgsecret '$BODY'"
api "/api/v1/certificates/$SB/download/pem"
check_eq "R-ACT-1 B's certificate download by API is 404" 404 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/certificates")
check_eq "R-API-1 without a key: 401" 401 "$code"

# ---- R-DL-1 re-download by e-mail ----
get "/certificates/$SA2"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -s -b "$JA" -o /dev/null -w '%{http_code}' --data-urlencode "format=fullchain" \
  "$url/certificates/$SA2/mail")
check_eq "re-download mail without CSRF token: 403" 403 "$code"
check_eq "... queues nothing" 0 \
  "$(sql "SELECT COUNT(*) FROM outbox WHERE tmpl = 'cert_redownload'")"
code=$(curl -s -b "$JA" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode "format=bogus" "$url/certificates/$SA2/mail")
check_eq "re-download mail with an unknown format: 400" 400 "$code"
code=$(curl -s -b "$JA" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode "format=fullchain" "$url/certificates/$SB/mail")
check_eq "R-ACT-1 re-download mail of B's certificate: 404" 404 "$code"
code=$(curl -s -b "$JA" -D "$HDR" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$tok" \
  --data-urlencode "format=fullchain" "$url/certificates/$SA2/mail")
check_eq "R-DL-1 re-download by e-mail: 303 back to the page" 303 "$code"
check_eq "R-DL-1 one mail queued with the attachment to the user's address" \
  "1|alice@alpha-shop.example.jp|shop.alpha-shop.co.jp-$SA2.fullchain.pem" \
  "$(sql "SELECT COUNT(*), to_addr, attach_name FROM outbox WHERE tmpl = 'cert_redownload'")"
"$S" mail list --dir "$D" >"$W/mail.list"
check "shomei mail list shows it" grep -q 'cert_redownload' "$W/mail.list"
check "the audit record is written" \
  test "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'certificate.redownload_mail'")" = 1
get "/certificates/$SA2?mailed=fullchain"
check "the page confirms the mail" grep -q 'id="mailed"' "$BODY"
"$S" mail run --dir "$D" --once >/dev/null 2>&1
for _ in $(seq 1 50); do ls "$IT_TMP/sink"/*.eml >/dev/null 2>&1 && break; sleep 0.1; done
"$PY" - "$IT_TMP/sink" "$W" <<'EOF'
import email, email.policy, glob, os, sys
d, w = sys.argv[1], sys.argv[2]
for path in sorted(glob.glob(os.path.join(d, "*.eml"))):
    m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
    for part in m.iter_attachments():
        open(os.path.join(w, "mailed.pem"), "wb").write(part.get_payload(decode=True))
        print("#", m["To"], part.get_filename())
EOF
check "R-DL-1 the mailed full chain arrives at the SMTP server and verifies" \
  verify "$ROOT_B" "$W/mailed.pem" "$W/mailed.pem"
check "audit log intact" bash -c "\"$S\" audit verify --dir \"$D\" >/dev/null"
check "no sanitizer reports in the server log" \
  bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$IT_TMP'/server-*.log"
it_done
