# Isolation fixtures of the account routes (sourced by tests/it/isolation.sh): B's API
# key, which neither A nor a reseller may revoke.
b_get /account/keys
B_KEY_ID=$(grep -o 'class="key" data-id="[0-9]*"' "$BODY" | head -1 | tr -cd '0-9')
fixture_for /account/keys/:id/revoke id "$B_KEY_ID"
secret bob-secret-keylabel
after_check 'curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/me" | grep -q "$B_LOGIN"'
