#!/usr/bin/env bash
# Issue 10 items 1-2 (R-ACME-1, RFC 8555): the ACME server's first resources over HTTPS
# served by shomei itself: the directory, newNonce (HEAD 200 / GET 204, Replay-Nonce,
# no-store) and newAccount with external account binding to a portal organization
# (credentials from `shomei acme eab --org`), for ES256, ES384, RS256 and EdDSA account
# keys; then the account URL with the account's kid (read, contact update, deactivation)
# and keyChange (RFC 8555 7.3.2, 7.3.5, 7.3.6). A scripted client
# (tests/it/acme_client.py, python3-cryptography) signs the
# requests; each bad request gets its RFC 8555 problem type and creates nothing. Two
# servers share the database: a nonce of one is good once at the other. Runs on
# PostgreSQL too (tests/pg.sh bash tests/it/acme_account.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/acme_setup.sh"
acme_need_cryptography
dir=$IT_TMP/data
acme_init "$dir"
n_of() { echo "SUM(CASE WHEN $1 THEN 1 ELSE 0 END)"; }
acme_customer acme-c c@c.example.jp "Acme C" "Org ACME"
check "an organization to bind to" test -n "$org"

# EAB credentials from the CLI: a bad organization is refused, a good one printed once
check "acme eab: unknown organization refused" bash -c "! '$SHOMEI_BIN' acme eab --dir '$dir' --org 99999 2>'$IT_TMP/eab.err'"
check "acme eab: the refusal names the organization" grep -q "no organization 99999" "$IT_TMP/eab.err"
check_eq "acme eab: a bad --org is a usage error" 2 \
  "$("$SHOMEI_BIN" acme eab --dir "$dir" --org x >/dev/null 2>&1; echo $?)"
read -r kid key <<<"$(acme_eab "$org")"
check_eq "key id of 22 characters" 22 "${#kid}"
check_eq "HMAC key of 43 characters" 43 "${#key}"

# two servers on one database, as behind a load balancer (base_url names the first)
port2=$(free_port)
for p in "$port" "$port2"; do
  acme_serve "$p" "serve-$p" "server $p starts with TLS"
done

"$PY" "$here/acme_client.py" "$url" "$dir/tls.crt" "$kid" "$key" "https://127.0.0.1:$port2" \
  2>"$IT_TMP/client.err" |
  tee "$IT_TMP/client.out"
st=${PIPESTATUS[0]}
check_eq "the scripted client passed every check and ran to its end" 0 "$st"
[ -s "$IT_TMP/client.err" ] && sed 's/^/# /' "$IT_TMP/client.err" | tail -5

# what the refusals left: four accounts (one per key type), all of the organization
check_eq "four accounts, all of the organization" "4|4" \
  "$(sql "SELECT COUNT(*), $(n_of "org_id = $org") FROM acme_accounts")"
check_eq "each bound with the EAB key id" 4 \
  "$(sql "SELECT COUNT(*) FROM acme_accounts WHERE eab_kid = '$kid'")"
check_eq "audit records: EAB key, accounts, contact update, deactivation" "1|4|1|1" \
  "$(sql "SELECT $(n_of "action = 'acme.eab.create'"), $(n_of "action = 'acme.account.create'"), $(n_of "action = 'acme.account.update'"), $(n_of "action = 'acme.account.deactivate'") FROM audit_log")"
check_eq "one key change recorded, to the key the account has now" 1 \
  "$(sql "SELECT COUNT(*) FROM audit_log a, acme_accounts c WHERE a.action = 'acme.account.key_change' AND c.id = 1 AND a.detail LIKE '%\"new\":\"' || c.thumbprint || '\"%'")"
check_eq "one account deactivated" "deactivated" \
  "$(sql "SELECT status FROM acme_accounts WHERE status <> 'valid'")"
check "the audit chain verifies" "$SHOMEI_BIN" audit verify --dir "$dir"
it_done
