# Isolation fixtures of the certificate routes (sourced by tests/it/isolation.sh): a
# certificate of B's organization, which neither A nor a reseller may see, download or
# have mailed. There is no CLI flag to issue for an organization yet: the certificate is
# issued with `shomei issue` and given to B's organization in SQL (sqlite3, or psql when
# the test runs on PostgreSQL).
cert_fix_sql() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then
    psql -qtAX "$SHOMEI_TEST_PG_URL" -c "$1"
  else
    sqlite3 -batch "$D/shomei.db" "$1"
  fi
}
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$IT_TMP/certs-b.key" -out "$IT_TMP/certs-b.csr" -subj /CN=www.bobsecretshop.co.jp \
  2>/dev/null
B_CERT_SERIAL=$("$S" issue --dir "$D" --csr "$IT_TMP/certs-b.csr" --name www.bobsecretshop.co.jp \
  --level dv 2>/dev/null | openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' |
  sed 's/^0*//')
cert_fix_sql "UPDATE certificates SET org_id = (SELECT org_id FROM users
  WHERE login_id = '$B_LOGIN') WHERE serial = '$B_CERT_SERIAL'" >/dev/null
fixture serial "$B_CERT_SERIAL"
fixture_open format pem
secret www.bobsecretshop.co.jp
secret "$B_CERT_SERIAL"
b_get "/certificates/$B_CERT_SERIAL"
[ "$code" = 200 ] || not_ok "B sees its own certificate ($code)"
CERT_B_API=$url/api/v1/certificates/$B_CERT_SERIAL
cert_b_no_mail() {
  [ "$(cert_fix_sql "SELECT COUNT(*) FROM outbox WHERE tmpl = 'cert_redownload'")" = 0 ]
}
after_check 'curl -s -H "Authorization: Bearer $B_KEY" "$CERT_B_API" | grep -q bobsecretshop'
after_check cert_b_no_mail
