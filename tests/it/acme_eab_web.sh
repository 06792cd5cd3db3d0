#!/usr/bin/env bash
# Issue 10 item 4 (R-ACME-1, R-ACT-1): ACME credentials on the account page. A customer
# creates EAB credentials for its organization at /account/acme (linked from /account): the
# key ID and HMAC key are shown once (201), the list shows them unused, then used with the
# ACME account bound once the scripted client (tests/it/acme_client.py register) registered
# with them; unused credentials can be revoked (and no longer register), used ones not
# (409, unchanged). A reseller picks among its own and its customers' organizations.
# Cross-organization refusals change nothing: credentials for an organization the user does
# not act for (422 naming the field), another organization's credentials revoked (404), a
# form without the session's CSRF token (403). Audited with the user as actor; the page in
# Japanese and English. Runs on PostgreSQL too (tests/pg.sh bash tests/it/acme_eab_web.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/acme_setup.sh"
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
acme_init "$D"
PW=Eab-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login cust-a --role customer --email a@a.example.jp --name "Cust A" --org-name "Org A"
add --login cust-b --role customer --email b@b.example.jp --name "Cust B" --org-name "Org B"
add --login resel-r --role reseller --email r@r.example.jp --name "Resel R" --org-name "Org R"
add --login client-m --role customer --email m@m.example.jp --name "Client M" \
  --org-name "Managed M" --reseller resel-r
org() { sql "SELECT org_id FROM users WHERE login_id = '$1'"; }
ORG_A=$(org cust-a); ORG_B=$(org cust-b); ORG_R=$(org resel-r); ORG_M=$(org client-m)
acme_serve

BODY=$W/body
C=(curl -s --cacert "$D/tls.crt")
login() { # LOGIN: jar $W/jar-LOGIN, the session's CSRF token in $TOK
  local jar=$W/jar-$1 tok
  "${C[@]}" -c "$jar" -b "$jar" -o "$BODY" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  "${C[@]}" -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
  JAR=$jar
  get /account/acme
  TOK=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
}
get() { code=$("${C[@]}" -b "$JAR" -c "$JAR" -o "$BODY" -w '%{http_code}' "$url$1"); }
post() { # PATH FIELD=VALUE...
  local p=$1 args=()
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  code=$("${C[@]}" -b "$JAR" -c "$JAR" -o "$BODY" -w '%{http_code}' "${args[@]}" "$url$p")
}
n_eab() { sql "SELECT COUNT(*) FROM acme_eab_keys WHERE org_id = $1"; }
options() { grep -o '<option value="[0-9]*"' "$BODY" | tr -cd '0-9\n' | sort -n | tr '\n' ' '; }

# ---- customer A ----
login cust-a
get /account
check "the account page links the ACME credentials" grep -q 'href="/account/acme"' "$BODY"
get /account/acme
check_eq "GET /account/acme: 200" 200 "$code"
check "the page is in Japanese by default" grep -q 'ACME 認証情報' "$BODY"
check "it names the directory URL" grep -q "$url/acme/directory" "$BODY"
check_eq "the customer's picker offers its organization only" "$ORG_A " "$(options)"
post /account/acme "csrf=$TOK" "org_id=$ORG_A"
check_eq "credentials created: 201" 201 "$code"
KID=$(sed -n 's/.*id="new-kid">\([^<]*\)<.*/\1/p' "$BODY")
KEY=$(sed -n 's/.*id="new-hmac">\([^<]*\)<.*/\1/p' "$BODY")
check_eq "the key ID is shown (22 characters)" 22 "${#KID}"
check_eq "the HMAC key is shown once (43 characters)" 43 "${#KEY}"
get /account/acme
check "the list shows them unused" grep -q "data-kid=\"$KID\".*未使用" "$BODY"
check "the HMAC key is never shown again" bash -c "! grep -q -- '$KEY' '$BODY'"
# cross-organization refusals, each changing nothing
post /account/acme "csrf=$TOK" "org_id=$ORG_B"
check_eq "issue 10 item 4: credentials for another organization: 422" 422 "$code"
check "  the message names the organization field" grep -q 'data-field="org_id"' "$BODY"
check_eq "  nothing made for organization B" 0 "$(n_eab "$ORG_B")"
post /account/acme "csrf=$TOK" "org_id=abc"
check_eq "a bad org_id: 422" 422 "$code"
post /account/acme "org_id=$ORG_A"
check_eq "without the CSRF token: 403" 403 "$code"
check_eq "  nothing made: A has one set of credentials" 1 "$(n_eab "$ORG_A")"

# the client registers with the credentials of the page
reg=$("$PY" "$here/acme_client.py" register "$url" "$D/tls.crt" "$KID" "$KEY" 2>"$W/reg.err")
check "issue 10 item 4: the ACME client registers with the page's credentials ($reg)" \
  grep -q "^201 $url/acme/acct/" <<<"$reg"
ACCT=${reg#201 }
check_eq "  the account belongs to organization A" "$ORG_A" \
  "$(sql "SELECT org_id FROM acme_accounts WHERE eab_kid = '$KID'")"
get /account/acme
check "the list shows them used, with the account bound" \
  grep -q "data-kid=\"$KID\".*使用済み.*$ACCT" "$BODY"
check "used credentials offer no revocation" \
  bash -c "! grep -q 'action=\"/account/acme/$KID/revoke\"' '$BODY'"
post "/account/acme/$KID/revoke" "csrf=$TOK"
check_eq "revoking used credentials: 409" 409 "$code"
check "  with the reason as an error" grep -q 'id="error".*ACME アカウントの作成に使われている' "$BODY"
check_eq "  they stay usable" "" "$(sql "SELECT revoked_at FROM acme_eab_keys WHERE kid = '$KID'")"

# unused credentials: revoked, then refused at newAccount
post /account/acme "csrf=$TOK" "org_id=$ORG_A"
KID2=$(sed -n 's/.*id="new-kid">\([^<]*\)<.*/\1/p' "$BODY")
KEY2=$(sed -n 's/.*id="new-hmac">\([^<]*\)<.*/\1/p' "$BODY")
check "second credentials offer their revocation" grep -q "action=\"/account/acme/$KID2/revoke\"" "$BODY"

# ---- customer B may neither see nor revoke A's credentials ----
login cust-b
check "B's list does not show A's credentials" bash -c "! grep -q '$KID' '$BODY'"
post "/account/acme/$KID2/revoke" "csrf=$TOK"
check_eq "issue 10 item 4: B revoking A's credentials: 404" 404 "$code"
check_eq "  A's credentials unchanged" "" "$(sql "SELECT revoked_at FROM acme_eab_keys WHERE kid = '$KID2'")"

login cust-a
post "/account/acme/$KID2/revoke" "csrf=$TOK"
check_eq "A revokes its unused credentials: 303" 303 "$code"
get /account/acme?lang=en
check "the list shows them revoked (English page)" grep -q "data-kid=\"$KID2\".*Revoked" "$BODY"
check "the English page" grep -q 'ACME credentials' "$BODY"
reg=$("$PY" "$here/acme_client.py" register "$url" "$D/tls.crt" "$KID2" "$KEY2" 2>/dev/null)
check_eq "revoked credentials no longer register" "403 urn:ietf:params:acme:error:unauthorized" "$reg"

# ---- a reseller picks among its own and its customers' organizations ----
login resel-r
check_eq "the reseller's picker: its organization and its customer's" \
  "$(printf '%s\n' "$ORG_R" "$ORG_M" | sort -n | tr '\n' ' ')" "$(options)"
post /account/acme "csrf=$TOK" "org_id=$ORG_M"
check_eq "the reseller creates credentials for its customer: 201" 201 "$code"
KIDM=$(sed -n 's/.*id="new-kid">\([^<]*\)<.*/\1/p' "$BODY")
check_eq "  of organization M" "$ORG_M" "$(sql "SELECT org_id FROM acme_eab_keys WHERE kid = '$KIDM'")"
post /account/acme "csrf=$TOK" "org_id=$ORG_A"
check_eq "issue 10 item 4: the reseller for an organization it does not manage: 422" 422 "$code"
check_eq "  nothing more for A" 2 "$(n_eab "$ORG_A")"

R_ID=$(sql "SELECT id FROM users WHERE login_id = 'resel-r'")
A_ID=$(sql "SELECT id FROM users WHERE login_id = 'cust-a'")
check_eq "audited: two creations and a revocation by A, one creation by the reseller" "2|1|1" \
  "$(sql "SELECT SUM(CASE WHEN action = 'acme.eab.create' AND actor = 'user:$A_ID' THEN 1 ELSE 0 END) || '|' || SUM(CASE WHEN action = 'acme.eab.revoke' AND actor = 'user:$A_ID' THEN 1 ELSE 0 END) || '|' || SUM(CASE WHEN action = 'acme.eab.create' AND actor = 'user:$R_ID' THEN 1 ELSE 0 END) FROM audit_log")"
check "the audit chain verifies" "$S" audit verify --dir "$D"
it_done
