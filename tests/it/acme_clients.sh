#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 10 item 8 (R-ACME-1): real ACME clients from Debian against `shomei serve` over
# HTTPS: certbot (--server, --eab-kid/--eab-hmac-key, --standalone on a test port) and lego
# (--eab --kid --hmac, --http on a test port) register with EAB, issue with http-01 and
# renew, lego also a wildcard with dns-01 through its RFC 2136 provider against knot and a
# name with tls-alpn-01 (--tls on [dcv] tls_alpn_port, issue 10 item 3); each
# certificate verifies with openssl to the root. [dcv] http_port points the
# validator at the client's standalone server on 127.0.0.1 ([testing] not_for_production
# allows loopback), the names resolve through knot (tests/it/knot.sh). Then each client
# revokes its renewed certificate (certbot revoke, lego revoke: revokeCert signed with the
# account key) and our OCSP responder and the certificates table say revoked (issue 10
# item 8). Skips when certbot or lego is not installed (scripts/deps).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/knot.sh"
. "$here/acme_setup.sh"
for c in certbot lego; do
  command -v "$c" >/dev/null || { ok "# SKIP $c is not installed (scripts/deps)"; it_done; }
done
dir=$IT_TMP/data
CP=$(free_port) # the clients' standalone http-01 server, one at a time
TP=$(free_port) # lego's tls-alpn-01 server ([dcv] tls_alpn_port)

cat >"$IT_TMP/records" <<REC
acme-test.co.jp @ CAA 0 issue "shomei.example"
acme-test.co.jp cb A 127.0.0.1
acme-test.co.jp lg A 127.0.0.1
acme-test.co.jp lt A 127.0.0.1
REC
KNOT_ZONES="jp co.jp acme-test.co.jp"
KNOT_UPDATE_ZONES=acme-test.co.jp
knot_start "$IT_TMP/records" || { not_ok "knot starts"; it_done; }

acme_init_dcv "$dir" --set "dcv.http_port=$CP" --set "dcv.tls_alpn_port=$TP"
acme_customer acme-k k@acme-test.co.jp "Acme K" "Org ACME Clients"
"$S" ca chain --dir "$dir" --level dv --root a >"$IT_TMP/chain-a.pem"
awk -v d="$IT_TMP" '/BEGIN/{n++} {print > (d "/a" n ".pem")}' "$IT_TMP/chain-a.pem"
root=$(ls "$IT_TMP"/a*.pem | tail -1)
eab() { read -r kid hmac <<<"$(acme_eab "$org")"; }

acme_serve
verify() { # NAME PEM(leaf) CHAIN(untrusted)
  check "$1: openssl verifies the certificate to root A" \
    openssl verify -CAfile "$root" -untrusted "$3" "$2"
}
serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
"$S" ca chain --dir "$dir" --level dv --root a >"$IT_TMP/chain-dv.pem"
awk -v a="$IT_TMP/int.pem" '/BEGIN/{n++} n == 1 {print > a}' "$IT_TMP/chain-dv.pem"
revoked() { # NAME PEM: our OCSP responder and the certificates table say PEM is revoked
  local n=$1 pem=$2 out
  openssl ocsp -issuer "$IT_TMP/int.pem" -cert "$pem" -no_nonce -reqout "$IT_TMP/$n.req" \
    >/dev/null 2>&1
  curl -fsS --cacert "$dir/tls.crt" -H 'Content-Type: application/ocsp-request' \
    --data-binary "@$IT_TMP/$n.req" -o "$IT_TMP/$n.resp" "$url/ocsp"
  out=$(openssl ocsp -respin "$IT_TMP/$n.resp" -issuer "$IT_TMP/int.pem" -cert "$pem" \
    -CAfile "$IT_TMP/chain-dv.pem" -resp_text 2>&1)
  check "$n: our OCSP responder answers revoked" grep -q "$pem: revoked" <<<"$out"
  check_eq "$n: the certificate is revoked in the database" "revoked" \
    "$(sql "SELECT state FROM certificates WHERE serial = '$(serial_of "$pem")'")"
}

# --- certbot ---
eab
cb=$IT_TMP/certbot
cbargs=(--config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" --non-interactive)
export REQUESTS_CA_BUNDLE=$dir/tls.crt
if timeout 120 certbot certonly "${cbargs[@]}" --server "$url/acme/directory" \
  --eab-kid="$kid" --eab-hmac-key="$hmac" --agree-tos -m admin@acme-test.co.jp \
  --standalone --http-01-port "$CP" --http-01-address 127.0.0.1 \
  -d cb.acme-test.co.jp >"$IT_TMP/certbot.log" 2>&1; then
  ok "certbot: register with EAB and issue with http-01 (standalone)"
else
  not_ok "certbot: register with EAB and issue with http-01 (standalone)"
  tail -20 "$IT_TMP/certbot.log" | sed 's/^/# /'; tail -20 "$cb/logs/letsencrypt.log" | sed 's/^/# /'
fi
live=$cb/config/live/cb.acme-test.co.jp
verify "certbot" "$live/cert.pem" "$live/chain.pem"
s1=$(openssl x509 -in "$live/cert.pem" -noout -serial 2>/dev/null)
if timeout 60 certbot renew "${cbargs[@]}" --force-renewal --no-random-sleep-on-renew >"$IT_TMP/certbot-renew.log" 2>&1; then
  ok "certbot: renew --force-renewal"
else
  not_ok "certbot: renew --force-renewal"; tail -20 "$IT_TMP/certbot-renew.log" | sed 's/^/# /'
  tail -40 "$cb/logs/letsencrypt.log" | sed 's/^/# /'
fi
s2=$(openssl x509 -in "$live/cert.pem" -noout -serial 2>/dev/null)
check "certbot: the renewal is another certificate" test -n "$s2" -a "$s1" != "$s2"
verify "certbot renewal" "$live/cert.pem" "$live/chain.pem"
if timeout 60 certbot revoke "${cbargs[@]}" --server "$url/acme/directory" \
  --cert-path "$live/cert.pem" --reason superseded --no-delete-after-revoke \
  >"$IT_TMP/certbot-revoke.log" 2>&1; then
  ok "certbot: revoke (account key)"
else
  not_ok "certbot: revoke (account key)"; tail -20 "$IT_TMP/certbot-revoke.log" | sed 's/^/# /'
fi
cp "$live/cert.pem" "$IT_TMP/cb-revoked.pem"
revoked "certbot revoke" "$IT_TMP/cb-revoked.pem"
unset REQUESTS_CA_BUNDLE

# --- lego ---
eab
lg=$IT_TMP/lego
export LEGO_CA_CERTIFICATES=$dir/tls.crt
largs=(--server "$url/acme/directory" --path "$lg" --accept-tos --email admin@acme-test.co.jp
  --eab --kid="$kid" --hmac="$hmac" --domains lg.acme-test.co.jp --http
  --http.port "127.0.0.1:$CP")
if timeout 120 lego "${largs[@]}" run >"$IT_TMP/lego.log" 2>&1; then
  ok "lego: register with EAB and issue with http-01"
else
  not_ok "lego: register with EAB and issue with http-01"; tail -20 "$IT_TMP/lego.log" | sed 's/^/# /'
fi
crt=$lg/certificates/lg.acme-test.co.jp.crt
csplit -s -z -f "$IT_TMP/lg-" "$crt" '/BEGIN CERT/' '{*}' 2>/dev/null
verify "lego" "$IT_TMP/lg-00" "$crt"
s1=$(openssl x509 -in "$crt" -noout -serial 2>/dev/null)
if timeout 120 lego "${largs[@]}" renew --days 9999 --no-random-sleep >"$IT_TMP/lego-renew.log" 2>&1; then
  ok "lego: renew"
else
  not_ok "lego: renew"; tail -20 "$IT_TMP/lego-renew.log" | sed 's/^/# /'
fi
s2=$(openssl x509 -in "$crt" -noout -serial 2>/dev/null)
check "lego: the renewal is another certificate" test -n "$s2" -a "$s1" != "$s2"
csplit -s -z -f "$IT_TMP/lg2-" "$crt" '/BEGIN CERT/' '{*}' 2>/dev/null
verify "lego renewal" "$IT_TMP/lg2-00" "$crt"
# dns-01 through lego's RFC 2136 provider: a wildcard, the TXT record sent to knot
if RFC2136_NAMESERVER=127.0.0.1:$KNOT_PORT RFC2136_PROPAGATION_TIMEOUT=20 \
  RFC2136_POLLING_INTERVAL=1 timeout 120 lego --server "$url/acme/directory" --path "$lg" \
  --accept-tos --email admin@acme-test.co.jp --eab --kid="$kid" --hmac="$hmac" \
  --domains '*.lgw.acme-test.co.jp' \
  --dns rfc2136 --dns.resolvers "127.0.0.1:$KNOT_PORT" --dns.disable-cp run \
  >"$IT_TMP/lego-dns.log" 2>&1; then
  ok "lego: a wildcard with dns-01 (rfc2136 provider against knot)"
else
  not_ok "lego: a wildcard with dns-01 (rfc2136 provider against knot)"
  tail -20 "$IT_TMP/lego-dns.log" | sed 's/^/# /'
fi
crt=$lg/certificates/_.lgw.acme-test.co.jp.crt
csplit -s -z -f "$IT_TMP/lgw-" "$crt" '/BEGIN CERT/' '{*}' 2>/dev/null
verify "lego dns-01" "$IT_TMP/lgw-00" "$crt"
check_eq "the wildcard's domain evidence is dns-01" "dns-01" \
  "$(sql "SELECT d.dcv_method FROM order_domains d WHERE d.name = '*.lgw.acme-test.co.jp'")"
# tls-alpn-01 (RFC 8737) through lego's own acme-tls/1 server on [dcv] tls_alpn_port
if timeout 120 lego --server "$url/acme/directory" --path "$lg" --accept-tos \
  --email admin@acme-test.co.jp --eab --kid="$kid" --hmac="$hmac" \
  --domains lt.acme-test.co.jp --tls --tls.port "127.0.0.1:$TP" run \
  >"$IT_TMP/lego-tls.log" 2>&1; then
  ok "lego: issue with tls-alpn-01 (--tls)"
else
  not_ok "lego: issue with tls-alpn-01 (--tls)"; tail -20 "$IT_TMP/lego-tls.log" | sed 's/^/# /'
fi
crt=$lg/certificates/lt.acme-test.co.jp.crt
csplit -s -z -f "$IT_TMP/lt-" "$crt" '/BEGIN CERT/' '{*}' 2>/dev/null
verify "lego tls-alpn-01" "$IT_TMP/lt-00" "$crt"
check_eq "its domain evidence is tls-alpn-01" "tls-alpn-01" \
  "$(sql "SELECT d.dcv_method FROM order_domains d WHERE d.name = 'lt.acme-test.co.jp'")"
# the renewed http-01 certificate, revoked with lego's account key
cp "$IT_TMP/lg2-00" "$IT_TMP/lg-revoked.pem"
if timeout 60 lego "${largs[@]}" revoke --reason 4 >"$IT_TMP/lego-revoke.log" 2>&1; then
  ok "lego: revoke (account key)"
else
  not_ok "lego: revoke (account key)"; tail -20 "$IT_TMP/lego-revoke.log" | sed 's/^/# /'
fi
revoked "lego revoke" "$IT_TMP/lg-revoked.pem"
unset LEGO_CA_CERTIFICATES

check_eq "six ACME issuances, each an issued portal order of the organization" "6|6" \
  "$(sql "SELECT COUNT(*), SUM(CASE WHEN o.state = 'issued' AND o.org_id = $org THEN 1 ELSE 0 END) FROM acme_orders a JOIN orders o ON o.id = a.order_id WHERE a.status = 'valid'")"
check "the audit chain verifies" "$S" audit verify --dir "$dir"
it_done
