#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 10 item 3 (R-ACME-1, R-VAL-1, R-VAL-8; RFC 8737, BR 3.2.2.4.20): tls-alpn-01.
# A scripted client (tests/it/acme_alpn_client.py) answers the challenge with a small TLS
# server on 127.0.0.1 ([dcv] tls_alpn_port, a test port under [testing]
# not_for_production, loopback allowed explicitly) presenting an acme-tls/1 certificate:
# the right one validates and the certificate is issued; a wrong digest, an acmeIdentifier
# that is not critical, a second SAN and no ALPN each make the authorization and the order
# invalid with their problem, no certificate. A `shomei perspective` agent performs the
# same check (kind acme-tls-alpn-01). Issue 10 item 4: the rate limits (RFC 8555 6.7)
# [acme] certs_per_domain and orders_per_account trip with rateLimited and Retry-After,
# counted from the database (a second server on it refuses alike), and another account
# or registered domain is unaffected. Runs on PostgreSQL too
# (tests/pg.sh bash tests/it/acme_alpn.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/knot.sh"
. "$here/acme_setup.sh"
acme_need_cryptography
dir=$IT_TMP/data
AP=$(free_port) # the client's acme-tls/1 server

cat >"$IT_TMP/records" <<REC
alpn-test.co.jp @ CAA 0 issue "shomei.example"
alpn-test.co.jp v A 127.0.0.1
alpn-test.co.jp d A 127.0.0.1
alpn-test.co.jp n A 127.0.0.1
alpn-test.co.jp x A 127.0.0.1
alpn-test.co.jp p A 127.0.0.1
alpn-test.co.jp q A 127.0.0.1
REC
KNOT_ZONES="jp co.jp alpn-test.co.jp"
knot_start "$IT_TMP/records" || { not_ok "knot starts"; it_done; }

acme_init_dcv "$dir" --set "dcv.tls_alpn_port=$AP" --set dcv.timeout=5 \
  --set dcv.connect_timeout=2 --set acme.certs_per_domain=1 --set acme.orders_per_account=10
acme_customer acme-a a@alpn-test.co.jp "Acme A" "Org ACME ALPN"
read -r kid key <<<"$(acme_eab "$org")"
check "EAB credentials for the organization" test -n "$kid" -a -n "$key"

mkdir -p "$IT_TMP/prod"
printf '[dcv]\ntls_alpn_port = %s\n' "$AP" >"$IT_TMP/prod/shomei.ini"
"$S" dcv check --dir "$IT_TMP/prod" --method http --domain v.alpn-test.co.jp \
  --value AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA >"$IT_TMP/prod.log" 2>&1
check_eq "a tls_alpn_port other than 443 needs [testing] not_for_production: refused" 1 "$?"
check "and the refusal names the setting" grep -q "tls_alpn_port .*not_for_production" \
  "$IT_TMP/prod.log"

mkdir -p "$IT_TMP/badlimit"
printf '[acme]\norders_window = 0\n' >"$IT_TMP/badlimit/shomei.ini"
timeout 30 "$S" serve --dir "$IT_TMP/badlimit" --port "$(free_port)" >"$IT_TMP/badlimit.log" 2>&1
check_eq "issue 10 item 4 a bad [acme] rate limit setting stops serve at start" 1 "$?"
check "and the message names the setting" grep -q "\[acme\] orders_window" "$IT_TMP/badlimit.log"

# a perspective agent with its own resolver (the same knot) and the same test port
PK=$("$S" perspective keygen "$dir/mpic.key")
PP=$(free_port)
"$S" perspective init --dir "$IT_TMP/p1" --primary-key "$PK" \
  --set perspective.bind=127.0.0.1 --set "perspective.port=$PP" --set perspective.label=p1 \
  --set "dns.resolver=$KNOT_ADDR" --set "dns.trust_anchor_file=$KNOT_TA" \
  --set testing.not_for_production=true --set dcv.allow_loopback=true \
  --set "dcv.tls_alpn_port=$AP" --set dcv.timeout=4 >/dev/null 2>"$IT_TMP/pinit.log" ||
  { not_ok "perspective init"; sed 's/^/# /' "$IT_TMP/pinit.log"; }
"$S" perspective --dir "$IT_TMP/p1" >"$IT_TMP/p1.log" 2>&1 &
IT_PIDS+=("$!")
wait_for 20 curl -fsS -o /dev/null "http://127.0.0.1:$PP/healthz" ||
  { not_ok "the perspective agent starts"; sed 's/^/# /' "$IT_TMP/p1.log"; }

acme_serve

# a second server on the same database (and base_url): the rate limits are shared
port2=$(free_port)
"$S" serve --dir "$dir" --port "$port2" >"$IT_TMP/serve2.out" 2>"$IT_TMP/serve2.log" &
IT_PIDS+=("$!")
wait_for 20 curl -fsS --cacert "$dir/tls.crt" -o /dev/null "https://127.0.0.1:$port2/healthz" \
  2>/dev/null || { not_ok "the second server starts"; sed 's/^/# /' "$IT_TMP/serve2.log"; }

mkdir -p "$IT_TMP/out"
timeout 150 "$PY" "$here/acme_alpn_client.py" "$url" "$dir/tls.crt" "$kid" "$key" "$AP" \
  "$IT_TMP/out" "$S" "$dir" "http://127.0.0.1:$PP" "$port2" 2>"$IT_TMP/client.err" |
  tee "$IT_TMP/client.out"
st=${PIPESTATUS[0]}
check_eq "the scripted client passed every check and ran to its end" 0 "$st"
[ -s "$IT_TMP/client.err" ] && sed 's/^/# /' "$IT_TMP/client.err" | tail -15

# what the server kept
check_eq "one ACME order valid (tls-alpn-01), five invalid" "1|5" \
  "$(sql "SELECT SUM(CASE WHEN status = 'valid' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'invalid' THEN 1 ELSE 0 END) FROM acme_orders WHERE names LIKE '%alpn-test%' AND names NOT LIKE '%*%'")"
check_eq "the portal order's domain carries the tls-alpn-01 evidence (BR 3.2.2.4.20)" \
  "v.alpn-test.co.jp|tls-alpn-01|validated|1" \
  "$(sql "SELECT d.name, d.dcv_method, d.state, CASE WHEN d.evidence LIKE '%\"br_section\":\"3.2.2.4.20\"%' THEN 1 ELSE 0 END FROM acme_orders a JOIN order_domains d ON d.order_id = a.order_id WHERE a.status = 'valid'")"
check "the evidence names the port, ALPN and the certificate presented" bash -c \
  "grep -q '\"alpn\":\"acme-tls/1\"' <<<\"\$1\" && grep -q '\"port\":$AP' <<<\"\$1\" && grep -q certificate_sha256 <<<\"\$1\"" _ \
  "$(sql "SELECT d.evidence FROM acme_orders a JOIN order_domains d ON d.order_id = a.order_id WHERE a.status = 'valid'")"
check_eq "no certificate for the refused ones" 1 \
  "$(sql "SELECT COUNT(*) FROM acme_orders WHERE cert_id IS NOT NULL")"
check_eq "authorizations failed by tls-alpn-01 recorded with their reason" \
  "dcv.tls.alpn dcv.tls.connect_failed dcv.tls.mismatch dcv.tls.not_critical dcv.tls.san" \
  "$(sql "SELECT error FROM acme_authzs WHERE status = 'invalid' AND method = 'tls-alpn-01'" |
     sed -n 's/.*"detail":"\(dcv\.tls\.[a-z_]*\):.*/\1/p' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "the rate-limited orders were not made: 11 orders of account b and c under other-test" "11" \
  "$(sql "SELECT COUNT(*) FROM acme_orders WHERE names LIKE '%other-test.co.jp%'")"
check "the audit chain verifies" "$S" audit verify --dir "$dir"
it_done
