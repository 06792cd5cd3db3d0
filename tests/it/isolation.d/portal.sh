# Isolation fixtures of the portal routes (sourced by tests/it/isolation.sh): one order of
# B, applied through the API with B's key, that neither A nor a reseller may read, edit,
# upload to, validate or cancel; it must still be B's unchanged draft afterwards (a draft, so
# that the maintenance window cannot refuse it). The test data directory has no catalog:
# one DV product is put in with SQL (sqlite3, or psql on PostgreSQL) unless one exists.
portal_sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then
    psql -qtAX "$SHOMEI_TEST_PG_URL" -c "$1"
  else
    sqlite3 -batch "$D/shomei.db" "$1"
  fi
}
portal_sql "INSERT INTO products (code, name_ja, name_en, level, term_months, list_price,
  review_days_max, root_options, created_at) SELECT 'dv-1y', 'DV 1年', 'DV 1 year', 'dv', 12,
  10000, 1, 'a,b', 0 WHERE NOT EXISTS (SELECT 1 FROM products WHERE code = 'dv-1y')" >/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$IT_TMP/portal-b.key" 2>/dev/null
openssl req -new -key "$IT_TMP/portal-b.key" -subj "/CN=www.bobsecret-shop.co.jp" \
  -out "$IT_TMP/portal-b.csr" 2>/dev/null
P_BODY=$(CSR_FILE=$IT_TMP/portal-b.csr python3 - <<'PY'
import json, os
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR_FILE"]).read(),
  "cn": "www.bobsecret-shop.co.jp", "idem_key": "iso-portal-1", "draft": True,
  "contact": {"name": "秘密 太郎", "name_kana": "ひみつ たろう", "postal": "100-0001",
              "pref": "東京都", "city": "千代田区", "street": "千代田1-1",
              "phone": "03-1111-2222", "email": "ops@bobsecret-shop.co.jp"},
  "billing_same": True, "notify_emails": ["cert@bobsecret-shop.co.jp"]}, ensure_ascii=False))
PY
)
P_OID=$(curl -s -H "Authorization: Bearer $B_KEY" -H 'Content-Type: application/json' \
  --data-binary "$P_BODY" "$url/api/v1/orders" |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))')
check "B has an order (portal fixture)" test -n "$P_OID"
for p in /apply/done/:id /orders/:id /orders/:id/dcv /orders/:id/documents /orders/:id/edit \
  /orders/:id/cancel /api/v1/orders/:id /api/v1/orders/:id/dcv /api/v1/orders/:id/documents \
  /api/v1/orders/:id/cancel /orders/:id/notify /api/v1/orders/:id/notify_emails; do
  fixture_for "$p" id "$P_OID"
done
fixture_open token NoSuchDcvToken0123456789
secret bobsecret-shop
after_check 'curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/orders/'"$P_OID"'" |
  grep -q "\"state\":\"draft\""'
# R-MNG-5: nobody else changed B's notification address
after_check 'curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/orders/'"$P_OID"'" |
  grep -q "cert@bobsecret-shop.co.jp"'
