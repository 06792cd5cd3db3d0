# Isolation fixtures of the officer and admin product routes (sourced by
# tests/it/isolation.sh). Every route is for CA staff: customers and resellers must get
# 404 whatever the object. The objects named are B's first order and the first demo
# product, when they exist; the ids are fixed numbers otherwise (the answer must be 404
# for A and R either way).
OFF_ORDER=$(curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/orders" 2>/dev/null |
  grep -o '"id":[0-9]*' | head -1 | tr -cd '0-9')
[ -n "$OFF_ORDER" ] || OFF_ORDER=1
for p in /officer/orders/:id /officer/orders/:id/pay /officer/orders/:id/checks \
  /officer/orders/:id/hold /officer/orders/:id/resume /officer/orders/:id/reject \
  /officer/orders/:id/approve /officer/orders/:id/issue /officer/orders/:id/documents/:doc; do
  fixture_for "$p" id "$OFF_ORDER"
done
fixture_for /officer/orders/:id/documents/:doc doc 1
fixture_for /admin/products/:id id 1
fixture_for /officer/revocations/:id/confirm id 1
