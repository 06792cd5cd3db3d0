# Isolation fixtures of the ACME credentials page (issue 10 item 4; sourced by
# tests/it/isolation.sh): B's unused EAB credentials, which neither A nor a reseller may
# revoke.
B_ORG=$(sed -n 's/.*<option value="\([0-9]*\)".*/\1/p' < <(b_get /account/acme; cat "$BODY") | head -1)
b_post /account/acme "org_id=$B_ORG"
B_EAB=$(sed -n 's/.*id="new-kid">\([^<]*\)<.*/\1/p' "$BODY")
fixture_for /account/acme/:kid/revoke kid "$B_EAB"
secret "$B_EAB"
after_check 'b_get /account/acme; grep -q "data-kid=\"$B_EAB\".*<form method=\"post\"" "$BODY"'
