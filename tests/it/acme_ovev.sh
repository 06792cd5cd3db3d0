#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 10 item 4 (R-ACME-1, R-VAL-4): OV and EV certificates over ACME through the newOrder
# profiles "ov" and "ev", for an organization whose vetted record (an approved OV/EV order
# with its checks) is inside the 398-day identity reuse period; the subject from that
# record, never the CSR's; refused (unauthorized) for an organization never vetted and once
# the checks are too old; DV for an unvetted organization. Each issuance is a portal order
# of the organization (products acme-ov, acme-ev) with the record's checks. R-VAL-1/R-VAL-2
# (RFC 8555 7.1.4): a new order reuses a valid authorization of the organization inside the
# dated reuse period and not after; stale evidence, a name not validated and a CAA refusal
# (R-VAL-3) give no certificate. RFC 8555 7.6: revocation by an account holding valid
# authorizations for every name, refused for an account lacking one. Client:
# tests/it/acme_ovev_client.py. Runs on PostgreSQL too (tests/pg.sh bash tests/it/acme_ovev.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/knot.sh"
. "$here/acme_setup.sh"
acme_need_cryptography
dir=$IT_TMP/data
Z=ovev-test.co.jp

cat >"$IT_TMP/records" <<REC
$Z @ CAA 0 issue "shomei.example"
$Z www A 127.0.0.1
$Z late A 127.0.0.1
$Z ev A 127.0.0.1
$Z dv A 127.0.0.1
$Z stale A 127.0.0.1
$Z shared A 127.0.0.1
$Z never A 127.0.0.1
caa-$Z @ A 127.0.0.1
caa-$Z @ CAA 0 issue "shomei.example; accounturi=$url/acme/acct/999"
REC
dcv_peers "jp co.jp $Z caa-$Z" "$IT_TMP/records"

acme_init_dcv "$dir" --set "dcv.http_port=$HP"
# sql through a script the client runs too (waiting up to 10 s for a locked database)
cat >"$IT_TMP/sql.sh" <<SQL
#!/usr/bin/env bash
if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "${SHOMEI_TEST_PG_URL:-}" -c "\$1"
else sqlite3 -batch -cmd ".timeout 10000" "$dir/shomei.db" "\$1"; fi
SQL
chmod +x "$IT_TMP/sql.sh"
sql() { "$IT_TMP/sql.sh" "$1"; }
add() { printf '%s\n' 'Acme-Horse-77' | "$S" user add --dir "$dir" --password-stdin "$@" >/dev/null 2>&1; }
add --login ovev-a --role customer --email a@$Z --name "OVEV A" --org-name "Shomei OVEV"
add --login ovev-u --role customer --email u@$Z --name "OVEV U" --org-name "Unvetted Org"
ORG_A=$(sql "SELECT org_id FROM users WHERE login_id = 'ovev-a'")
ORG_U=$(sql "SELECT org_id FROM users WHERE login_id = 'ovev-u'")
USER_A=$(sql "SELECT id FROM users WHERE login_id = 'ovev-a'")
read -r KID_A KEY_A <<<"$(acme_eab "$ORG_A")"
read -r KID_U KEY_U <<<"$(acme_eab "$ORG_U")"
check "EAB credentials of both organizations" test -n "$KID_A" -a -n "$KID_U"

# organization A's vetted records: an approved EV order (the newest registry check) and its
# four required checks (registry, name match, domain owner, phone), done 10 days ago
now=$(date +%s)
at=$((now - 10 * 86400))
APP='{"subject":{"o":"Shomei OVEV K.K.","l":"Chiyoda-ku","st":"Tokyo","c":"JP"},"org":{"category":"private","reg_no":"0100-01-123456","name_en":"Shomei OVEV K.K."}}'
for l in ov ev; do
  sql "INSERT INTO products (code, name_ja, name_en, level, term_months, list_price, created_at) VALUES ('$l-test', '$l', '$l', '$l', 12, 1000, $now)"
done
vetted() { # LEVEL RECEIPT: an approved order of a product of LEVEL with its checks
  sql "INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, cn, names, applicant, notify_email1, created_at, updated_at, idem_key) VALUES ('$2', 'new', 'approved', (SELECT id FROM products WHERE code = '$1-test'), $ORG_A, $USER_A, 'www.$Z', '[\"www.$Z\"]', '$APP', 'a@$Z', $at, $at, '$2')"
  local o k
  o=$(sql "SELECT id FROM orders WHERE receipt_no = '$2'")
  for k in registry name_match domain_owner phone; do
    sql "INSERT INTO vetting_checks (order_id, org_id, kind, source, result, officer_id, at) VALUES ($o, $ORG_A, '$k', 'test registry', 'ok', 1, $at)"
  done
}
vetted ov R-OVEV-1
at=$((at + 60))
vetted ev R-OVEV-2
check_eq "organization A has an approved EV order with four checks" "approved|4" \
  "$(sql "SELECT o.state, COUNT(*) FROM orders o JOIN vetting_checks v ON v.order_id = o.id WHERE o.receipt_no = 'R-OVEV-2' GROUP BY o.state")"

acme_serve

mkdir -p "$IT_TMP/out"
"$PY" "$here/acme_ovev_client.py" "$url" "$dir/tls.crt" "$KID_A" "$KEY_A" "$KID_U" "$KEY_U" \
  "$WEB" "$IT_TMP/sql.sh" "$IT_TMP/out" 2>"$IT_TMP/client.err" | tee "$IT_TMP/client.out"
st=${PIPESTATUS[0]}
check_eq "the scripted client passed every check and ran to its end" 0 "$st"
[ -s "$IT_TMP/client.err" ] && sed 's/^/# /' "$IT_TMP/client.err" | tail -15

# openssl: the subject of the OV and EV certificates is the vetted record's
check "openssl x509 -subject: O, L, ST, C of the vetted record in the OV certificate" bash -c \
  "openssl x509 -in '$IT_TMP/out/ov.pem' -noout -subject -nameopt RFC2253 | grep -q 'O=Shomei OVEV K.K.,L=Chiyoda-ku,ST=Tokyo,C=JP'"
check "openssl x509 -subject: no trace of the CSR's O=Evil Corp" bash -c \
  "! openssl x509 -in '$IT_TMP/out/ov.pem' -noout -subject | grep -q Evil"
check "openssl x509 -subject: the EV certificate has businessCategory and serialNumber" bash -c \
  "openssl x509 -in '$IT_TMP/out/ev.pem' -noout -subject | grep -q 'businessCategory *= *Private Organization'"
"$S" ca chain --dir "$dir" --level ov --root a >"$IT_TMP/chain-ov.pem" 2>/dev/null
check "openssl verify: the OV certificate to its root" \
  openssl verify -CAfile "$IT_TMP/chain-ov.pem" -partial_chain "$IT_TMP/out/ov.pem"

# the portal's view: orders of organization A with the ACME products, the checks carried
check_eq "the OV and EV issuances are issued portal orders of organization A" \
  "acme-ev|issued|$ORG_A acme-ov|issued|$ORG_A" \
  "$(sql "SELECT p.code || '|' || o.state || '|' || o.org_id FROM acme_orders a JOIN orders o ON o.id = a.order_id JOIN products p ON p.id = o.product_id WHERE a.profile IN ('ov', 'ev') AND a.status = 'valid' ORDER BY p.code" | tr '\n' ' ' | sed 's/ $//')"
check_eq "each carries the vetted record's four checks with their dates" "4|4" \
  "$(sql "SELECT COUNT(*), SUM(CASE WHEN v.at <= $now - 10 * 86400 + 60 THEN 1 ELSE 0 END) FROM acme_orders a JOIN vetting_checks v ON v.order_id = a.order_id WHERE a.profile = 'ov' AND a.status = 'valid'")"
check_eq "the certificates are the organization's" "$ORG_A|$ORG_A" \
  "$(sql "SELECT c.org_id FROM acme_orders a JOIN certificates c ON c.id = a.cert_id WHERE a.profile IN ('ov', 'ev') ORDER BY a.id" | tr '\n' '|' | sed 's/|$//')"
check_eq "no certificate for the stale, CAA-refused, never-validated or late orders" 0 \
  "$(sql "SELECT COUNT(*) FROM acme_orders WHERE cert_id IS NOT NULL AND names IN ('[\"stale.$Z\"]', '[\"caa-$Z\"]', '[\"never.$Z\"]', '[\"late.$Z\"]')")"
check_eq "the reuse is audited (acme.order.create with reused)" 1 \
  "$(sql "SELECT CASE WHEN COUNT(*) >= 3 THEN 1 ELSE 0 END FROM audit_log WHERE action = 'acme.order.create' AND detail LIKE '%reused%'")"
ss=$(cat "$IT_TMP/out/shared.serial" 2>/dev/null)
os=$(cat "$IT_TMP/out/ov.serial" 2>/dev/null)
check_eq "RFC 8555 7.6 the shared certificate is revoked, the OV one is not" "revoked issued" \
  "$(sql "SELECT state FROM certificates WHERE serial = '$ss'") $(sql "SELECT state FROM certificates WHERE serial = '$os'")"
# the portal lists them as the organization's: the orders page and the certificates CSV
C=(curl -s --cacert "$dir/tls.crt" -c "$IT_TMP/jar" -b "$IT_TMP/jar")
tok=$("${C[@]}" "$url/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
"${C[@]}" -o /dev/null --data-urlencode "csrf=$tok" --data-urlencode login_id=ovev-a \
  --data-urlencode password=Acme-Horse-77 "$url/login"
"${C[@]}" -o "$IT_TMP/orders.html" "$url/orders"
rn=$(sql "SELECT o.receipt_no FROM acme_orders a JOIN orders o ON o.id = a.order_id WHERE a.profile = 'ov' AND a.status = 'valid'")
check "issue 10 item 4 the OV issuance is on the organization's orders page ($rn)" \
  grep -q "${rn:-no receipt}" "$IT_TMP/orders.html"
tok=$("${C[@]}" "$url/account/keys" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
KEY=$("${C[@]}" --data-urlencode "csrf=$tok" --data-urlencode label=t "$url/account/keys" |
  sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p')
curl -s --cacert "$dir/tls.crt" -H "Authorization: Bearer $KEY" -o "$IT_TMP/certs.csv" \
  "$url/api/v1/certificates.csv"
check "the OV certificate is in the organization's certificates CSV" \
  grep -qi "${os:-no serial}" "$IT_TMP/certs.csv"
check "the audit chain verifies" "$S" audit verify --dir "$dir"
it_done
