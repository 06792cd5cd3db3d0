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
