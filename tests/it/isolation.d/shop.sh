# Isolation fixtures of the commerce routes (issue 12 items 3-5; sourced by
# tests/it/isolation.sh): B's order of the portal fixture ($P_OID) for the payment page, the
# invoice PDF and the payment simulator, and an item of B's cart that neither A nor a
# reseller may remove or complete; it must still be in B's cart afterwards.
for p in /orders/:id/pay /orders/:id/invoice.pdf /paysim/:id; do
  fixture_for "$p" id "$P_OID"
done
b_get /cart
b_post /cart/items product=dv-1y sans=1 domain=bobsecret-cart.example
b_get /cart
C_ITEM=$(grep -o 'data-id="[0-9]*" data-complete' "$BODY" | head -1 | sed 's/data-id="//; s/".*//')
check "B has a cart item (commerce fixture)" test -n "$C_ITEM"
for p in /cart/items/:id/remove /cart/items/:id/attach; do
  fixture_for "$p" id "$C_ITEM"
done
secret bobsecret-cart
after_check 'curl -s -b "sid=$B_SID; csrf=$B_CSRFC" "$url/cart" | grep -q "data-id=\"'"$C_ITEM"'\""'
# R-QUO-1, R-CRT-1: a stored quote of B (by number) and B's cart item through the API
B_QUOTE=$(curl -s -X POST -H "Authorization: Bearer $B_KEY" -H 'Content-Type: application/json' \
  --data-binary '{"items":[{"product":"dv-1y","sans":1,"domain":"bobsecret-quote.example"}]}' \
  "$url/api/v1/quotes" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("number",""))')
check "B has a stored quote (commerce fixture)" test -n "$B_QUOTE"
fixture number "$B_QUOTE"
fixture_for /api/v1/cart/items/:id id "$C_ITEM"
secret bobsecret-quote
after_check 'curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/cart/items" | grep -q "\"id\": *'"$C_ITEM"'"'
