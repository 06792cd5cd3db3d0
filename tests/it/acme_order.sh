#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 10 items 2, 3, 4, 7 (R-ACME-1, R-VAL-1..3): the ACME order flow over HTTPS served
# by shomei itself, against real peers: knot for dns-01 and CAA, a web server on
# [dcv] http_port for http-01. A scripted client (tests/it/acme_order_client.py) orders
# a name (http-01) and a wildcard (dns-01), finalizes and fetches the certificate with
# its alternate chain to root B; names R-CSR-4 refuses, a finalize CSR with other names or
# a compromised key, another account's objects, a deactivated account, a wrong answer, an
# authorization deactivated and CAA accounturi of another account (RFC 8657) each get
# their problem type and change nothing. The issuance is a portal order of the account's
# organization with the validations as its domains' evidence; the certificates verify
# with openssl to root A and, through the cross-certificate, to root B. Runs on
# PostgreSQL too (tests/pg.sh bash tests/it/acme_order.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/knot.sh"
. "$here/acme_setup.sh"
acme_need_cryptography
dir=$IT_TMP/data

cat >"$IT_TMP/records" <<REC
acme-test.co.jp @ CAA 0 issue "shomei.example"
acme-test.co.jp a A 127.0.0.1
acme-test.co.jp b A 127.0.0.1
acme-test.co.jp c A 127.0.0.1
acme-test.co.jp s A 127.0.0.1
caa-acme-test.co.jp @ A 127.0.0.1
caa-acme-test.co.jp @ CAA 0 issue "shomei.example; accounturi=$url/acme/acct/999"
REC
dcv_peers "jp co.jp acme-test.co.jp caa-acme-test.co.jp" "$IT_TMP/records"

acme_init_dcv "$dir" --set "dcv.http_port=$HP"
acme_customer acme-o o@acme-test.co.jp "Acme O" "Org ACME Orders"
read -r kid key <<<"$(acme_eab "$org")"
check "EAB credentials for the organization" test -n "$kid" -a -n "$key"

# a compromised key (BR 6.1.1.3) the finalize CSR must not carry
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$IT_TMP/blocked.key" 2>/dev/null
h=$(openssl pkey -in "$IT_TMP/blocked.key" -pubout -outform DER | sha256sum | cut -d' ' -f1)
sql "INSERT INTO compromised_keys (spki_sha256, reason, source, added_at) VALUES ('$h', 'test', 'cli', 0)"

acme_serve

mkdir -p "$IT_TMP/out"
"$PY" "$here/acme_order_client.py" "$url" "$dir/tls.crt" "$kid" "$key" "$WEB" \
  "$(knot_zone_file acme-test.co.jp)" "$KNOT_PID" "$KNOT_PORT" "$IT_TMP/blocked.key" \
  "$IT_TMP/out" 2>"$IT_TMP/client.err" | tee "$IT_TMP/client.out"
st=${PIPESTATUS[0]}
check_eq "the scripted client passed every check and ran to its end" 0 "$st"
[ -s "$IT_TMP/client.err" ] && sed 's/^/# /' "$IT_TMP/client.err" | tail -15

# the certificate verifies to root A, and its alternate through the cross-certificate to root B
"$S" ca chain --dir "$dir" --level dv --root a >"$IT_TMP/chain-a.pem"
"$S" ca chain --dir "$dir" --level dv --root b >"$IT_TMP/chain-b.pem"
awk -v d="$IT_TMP" '/BEGIN/{n++} {print > (d "/a" n ".pem")}' "$IT_TMP/chain-a.pem"
awk -v d="$IT_TMP" '/BEGIN/{n++} {print > (d "/b" n ".pem")}' "$IT_TMP/chain-b.pem"
ra=$(ls "$IT_TMP"/a*.pem | tail -1)
rb=$(ls "$IT_TMP"/b*.pem | tail -1)
check "openssl verify: the ACME certificate to root A" \
  openssl verify -CAfile "$ra" -untrusted "$IT_TMP/out/order1.pem" "$IT_TMP/out/order1.pem"
check "openssl verify: the alternate chain to root B" \
  openssl verify -CAfile "$rb" -untrusted "$IT_TMP/out/order1-b.pem" "$IT_TMP/out/order1-b.pem"
check "the shortlived certificate verifies to root A" \
  openssl verify -CAfile "$ra" -untrusted "$IT_TMP/out/short.pem" "$IT_TMP/out/short.pem"
check "the certificate names the wildcard and the name" bash -c \
  "openssl x509 -in '$IT_TMP/out/order1.pem' -noout -ext subjectAltName | grep -q 'DNS:\*.acme-test.co.jp, DNS:a.acme-test.co.jp'"

# what the server kept: the refusals made no order; the issuance is a portal order
check_eq "ACME orders: the five good ones only, two valid, three invalid" "5|2|3" \
  "$(sql "SELECT COUNT(*), SUM(CASE WHEN status = 'valid' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'invalid' THEN 1 ELSE 0 END) FROM acme_orders")"
check_eq "profile and replaces stored with the order" "classic|1 shortlived|0" \
  "$(sql "SELECT profile, COUNT(replaces) FROM acme_orders WHERE status = 'valid' GROUP BY profile ORDER BY profile" | tr '\n' ' ' | sed 's/ $//')"
check_eq "issue 10 item 5 the profile is stored with the certificate" "classic shortlived" \
  "$(sql "SELECT c.profile FROM acme_orders a JOIN certificates c ON c.id = a.cert_id ORDER BY c.profile" | tr '\n' ' ' | sed 's/ $//')"
check_eq "the valid ACME order is an issued portal order of the organization (product acme-dv)" \
  "issued|$org|acme-dv|acme" \
  "$(sql "SELECT o.state, o.org_id, p.code, o.pay_method FROM acme_orders a JOIN orders o ON o.id = a.order_id JOIN products p ON p.id = o.product_id WHERE a.profile = 'classic' AND a.status = 'valid'")"
check_eq "its certificate is the organization's, in the certificate list" "issued|$org" \
  "$(sql "SELECT c.state, c.org_id FROM acme_orders a JOIN certificates c ON c.id = a.cert_id WHERE a.profile = 'classic' AND a.status = 'valid'")"
check_eq "the domains carry the ACME validations as evidence (http-01, dns-01)" \
  "*.acme-test.co.jp|dns-01|validated|a.acme-test.co.jp|http-01|validated" \
  "$(sql "SELECT d.name, d.dcv_method, d.state FROM acme_orders a JOIN order_domains d ON d.order_id = a.order_id WHERE a.profile = 'classic' AND a.status = 'valid' ORDER BY d.name" | tr '\n' '|' | sed 's/|$//')"
check_eq "the evidence is ra/dcv's (method, BR section, the acme-challenge URL or name)" 2 \
  "$(sql "SELECT COUNT(*) FROM acme_orders a JOIN order_domains d ON d.order_id = a.order_id WHERE a.profile = 'classic' AND a.status = 'valid' AND d.evidence LIKE '%br_section%' AND d.evidence LIKE '%acme-challenge%'")"
check_eq "the CAA refusal left its portal order without a certificate, the check recorded" "approved|1" \
  "$(sql "SELECT o.state, (SELECT CASE WHEN COUNT(*) > 0 THEN 1 ELSE 0 END FROM caa_checks k WHERE k.reason = 'caa.account_mismatch') FROM acme_orders a JOIN orders o ON o.id = a.order_id WHERE a.status = 'invalid' AND a.error LIKE '%caa%'")"
check_eq "authorizations: 4 valid (the issued orders', the CAA order's), 1 invalid, 1 deactivated" \
  "deactivated:1 invalid:1 valid:4" \
  "$(sql "SELECT status || ':' || COUNT(*) FROM acme_authzs GROUP BY status ORDER BY status" | tr '\n' ' ' | sed 's/ $//')"
check_eq "audit: orders created, authorizations validated, failed and deactivated" "5|4|1|1" \
  "$(sql "SELECT SUM(CASE WHEN action = 'acme.order.create' THEN 1 ELSE 0 END), SUM(CASE WHEN action = 'acme.authz.valid' THEN 1 ELSE 0 END), SUM(CASE WHEN action = 'acme.authz.invalid' THEN 1 ELSE 0 END), SUM(CASE WHEN action = 'acme.authz.deactivate' THEN 1 ELSE 0 END) FROM audit_log")"
check "the audit chain verifies" "$S" audit verify --dir "$dir"
it_done
