#!/usr/bin/env bash
# The web stack as a client sees it (infrastructure of R-CSR-3 and every later page):
# healthz, start-up line and access log, security headers, cookie attributes, 404/405,
# 413 past [server] max_body (with Content-Length and chunked), 403 without a CSRF token,
# 400 for invalid UTF-8 naming the field, language choice, static files, the CA
# repository (right Content-Type, no traversal), clean shutdown on SIGTERM.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

dir=$IT_TMP/data
if ! "$SHOMEI_BIN" init --dir "$dir" --set server.secure_cookies=false \
  --set server.max_body=65536 >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
# libmicrohttpd is loaded when shomei starts to listen (web/mhd_lib.h): the binary does not
# link it, and the server below serves through it all the same
check_eq "shomei does not link libmicrohttpd" "0" \
  "$(readelf -d "$SHOMEI_BIN" | grep -c 'NEEDED.*microhttpd')"
start_server "$dir" || { not_ok "server starts"; it_done; }
url=$IT_URL
pid=$IT_SERVER_PID
port=${url##*:}
log=$IT_TMP/server-$port.log

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
headers() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }
has() { grep -qiF -- "$2" <<<"$1"; } # has TEXT NEEDLE (case-insensitive, fixed string)

# ---- basics ----
check "issue 8 item 22 no TEST CA banner with production CAs" \
  bash -c '! curl -s "$1/" | grep -q test-ca-banner' _ "$url"
check_eq "GET /healthz answers ok" "200 ok" "$(curl -s -w '%{http_code} ' -o "$IT_TMP/h" "$url/healthz"; head -1 "$IT_TMP/h")"
check "GET /healthz reports the database state of the last check" \
  grep -qE '^database (ok|unchecked)' "$IT_TMP/h"
check "start-up line names the URL" grep -q "^shomei serving on http://127.0.0.1:$port\$" "$log"
check "secret.key created 0600" test "$(stat -c %a "$dir/secret.key" 2>/dev/null)" = 600
check_eq "secret.key holds 32 bytes" 32 "$(stat -c %s "$dir/secret.key" 2>/dev/null)"

h=$(headers "$url/")
check "home page is text/html; charset=utf-8" has "$h" "Content-Type: text/html; charset=utf-8"
for want in "Content-Security-Policy: default-src 'self'" "frame-ancestors 'none'" \
  "X-Frame-Options: DENY" "X-Content-Type-Options: nosniff" \
  "Referrer-Policy: same-origin" "Cache-Control: no-store"; do
  check "home page has header: $want" has "$h" "$want"
done
check "CSP allows no inline script" bash -c "! grep -i '^Content-Security-Policy' <<<\"\$1\" | grep -q unsafe-inline" _ "$h"
h404=$(headers "$url/no/such/page")
for want in "Content-Security-Policy:" "X-Frame-Options: DENY" "X-Content-Type-Options: nosniff" \
  "Referrer-Policy: same-origin" "Cache-Control: no-store"; do
  check "404 page has header: $want" has "$h404" "$want"
done
check "healthz has the security headers too" has "$(headers "$url/healthz")" "X-Content-Type-Options: nosniff"
check "csrf cookie is HttpOnly; SameSite=Lax" has "$h" "Set-Cookie: csrf="
check "csrf cookie attributes" bash -c 'grep -i "^Set-Cookie: csrf=" <<<"$1" | grep -q "HttpOnly; SameSite=Lax"' _ "$h"
check "no Secure cookie when secure_cookies = false" bash -c '! grep -i "^Set-Cookie:" <<<"$1" | grep -q Secure' _ "$h"

check_eq "HEAD / answers 200" 200 "$(code -I "$url/")"
check "access log line per request" grep -q 'msg=request method=GET path=/healthz status=200' "$log"

# ---- 404 / 405 ----
check_eq "unknown page is 404" 404 "$(code "$url/no/such/page")"
body=$(curl -s "$url/no/such/page")
check "404 page has the message in Japanese by default" has "$body" "お探しのページは見つかりませんでした"
body=$(curl -s -H 'Accept-Language: en-US,en;q=0.9' "$url/no/such/page")
check "404 page in English with Accept-Language en" has "$body" "was not found"
h=$(headers "$url/api/v1/nope")
check "unknown API path answers problem+json" has "$h" "Content-Type: application/problem+json"
body=$(curl -s "$url/api/v1/nope")
check_eq "problem+json has status 404" 404 "$(python3 -c 'import json,sys;print(json.load(sys.stdin)["status"])' <<<"$body" 2>/dev/null)"
h=$(headers -X DELETE "$url/tools/csr")
check "DELETE /tools/csr is 405" has "$h" "HTTP/1.1 405"
check "405 names the allowed methods" has "$h" "Allow: GET, HEAD, POST"
h=$(headers "$url/api/v1/csr/check")
check "GET on the API route is 405 with Allow: POST" bash -c 'grep -q "HTTP/1.1 405" <<<"$1" && grep -qi "^Allow: POST$" <<<"$1"' _ "$h"

# ---- language choice ----
h=$(headers "$url/?lang=en")
check "?lang=en sets the lang cookie" bash -c 'grep -i "^Set-Cookie: lang=en;" <<<"$1" | grep -q "HttpOnly; SameSite=Lax"' _ "$h"
check "?lang=en answers Content-Language en" has "$h" "Content-Language: en"
check "default language is ja" has "$(curl -s "$url/")" '<html lang="ja">'
check "lang cookie chooses English" has "$(curl -s -b lang=en "$url/")" '<html lang="en">'
check "?lang= beats the cookie" has "$(curl -s -b lang=en "$url/?lang=ja")" '<html lang="ja">'
check "Accept-Language chooses English" has "$(curl -s -H 'Accept-Language: en' "$url/")" '<html lang="en">'
check "unknown ?lang is ignored" has "$(curl -s "$url/?lang=xx")" '<html lang="ja">'
check "Japanese text renders as UTF-8" has "$(curl -s "$url/")" "証明書ポータル"

# ---- static files ----
h=$(headers "$url/static/style.css")
check "style.css served as text/css" has "$h" "Content-Type: text/css; charset=utf-8"
check "static files are cacheable" has "$h" "Cache-Control: public"
check "stylesheet names Noto Sans CJK JP" has "$(curl -s "$url/static/style.css")" '"Noto Sans CJK JP"'
check_eq "unknown static file is 404" 404 "$(code "$url/static/nope.css")"
check_eq "static file without a known type is 404" 404 "$(code "$url/static/style")"

# ---- CSRF (R-CSR-3 form) ----
jar=$IT_TMP/jar
page=$(curl -s -c "$jar" -b "$jar" "$url/tools/csr")
token=$(grep -o 'name="csrf" value="[^"]*"' <<<"$page" | sed 's/.*value="//; s/"$//')
check "the CSR form carries a token" test -n "$token"
check_eq "POST without a token is 403" 403 "$(code -b "$jar" -F csr=x "$url/tools/csr")"
body=$(curl -s -b "$jar" -F csr=x "$url/tools/csr")
check "403 page explains the token in Japanese" has "$body" "トークン"
check_eq "POST with a wrong token is 403" 403 "$(code -b "$jar" -F csrf=AAAA"${token:4}" -F csr=x "$url/tools/csr")"
check_eq "POST with a token but no cookie is 403" 403 "$(code -F "csrf=$token" -F csr=x "$url/tools/csr")"
check_eq "POST with another client's cookie is 403" 403 "$(code -b "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" -F "csrf=$token" -F csr=x "$url/tools/csr")"
check_eq "POST with cookie and token passes CSRF (empty CSR is 422)" 422 "$(code -b "$jar" -F "csrf=$token" -F csr= "$url/tools/csr")"
check_eq "urlencoded POST with the token passes CSRF" 422 "$(code -b "$jar" --data "csrf=$token&csr=" "$url/tools/csr")"

# ---- 400: invalid UTF-8 in a form field ----
check_eq "invalid UTF-8 in a urlencoded field is 400" 400 "$(code -b "$jar" --data "csrf=$token&csr=%ff%fe" "$url/tools/csr")"
body=$(curl -s -b "$jar" -H 'Accept-Language: en' --data "csrf=$token&csr=%c0%af" "$url/tools/csr")
check "the 400 message names the field" has "$body" 'The field &quot;csr&quot; contains text that is not valid UTF-8'
printf '\xff\xfe' >"$IT_TMP/bad-utf8"
check_eq "invalid UTF-8 in a multipart text field is 400" 400 "$(code -b "$jar" -F "csrf=$token" -F "csr=<$IT_TMP/bad-utf8" "$url/tools/csr")"
body=$(curl -s -b "$jar" -F "csrf=$token" -F "csr=<$IT_TMP/bad-utf8" "$url/tools/csr")
check "the Japanese 400 message names the field" has "$body" "入力項目「csr」"
check_eq "bad percent escape is 400" 400 "$(code -b "$jar" --data "csrf=$token&csr=%zz" "$url/tools/csr")"
check_eq "a form POST of another type is 415" 415 "$(code -b "$jar" -H 'Content-Type: text/plain' --data "x" "$url/tools/csr")"

# ---- 413: bodies past max_body (65536) ----
head -c 70000 /dev/zero | tr '\0' a >"$IT_TMP/big"
check_eq "API body over max_body is 413" 413 "$(code -H 'Content-Type: text/plain' --data-binary @"$IT_TMP/big" "$url/api/v1/csr/check")"
body=$(curl -s -H 'Content-Type: text/plain' -H 'Accept-Language: en' --data-binary @"$IT_TMP/big" "$url/api/v1/csr/check")
check "413 problem+json has a message" has "$body" '"detail":"The request body is too large."'
check_eq "form body over max_body is 413 (before CSRF)" 413 "$(code -b "$jar" -F "csrf=$token" -F "csr=<$IT_TMP/big" "$url/tools/csr")"
check_eq "chunked body over max_body is 413" 413 "$(code -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' --data-binary @"$IT_TMP/big" "$url/api/v1/csr/check")"
check_eq "a body on a route that takes none still counts against max_body" 413 "$(code -X GET -H 'Content-Type: text/plain' --data-binary @"$IT_TMP/big" "$url/")"
head -c 60000 /dev/zero | tr '\0' a >"$IT_TMP/fits"
check_eq "a body under max_body is read (not a CSR: 200 with problems)" 200 "$(code -H 'Content-Type: text/plain' --data-binary @"$IT_TMP/fits" "$url/api/v1/csr/check")"
check_eq "server still healthy after the large bodies" 200 "$(code "$url/healthz")"

# ---- CA repository ----
repo=$dir/repository
printf 'not really a CRL' >"$repo/test-1.crl"
ln -s ../shomei.ini "$repo/link.pem"
curl -s -D "$IT_TMP/rh" -o "$IT_TMP/root.crt" "$url/repository/root-a.crt"
check "root-a.crt is application/pkix-cert" grep -qi '^Content-Type: application/pkix-cert' "$IT_TMP/rh"
check "root-a.crt is the file's bytes" cmp -s "$IT_TMP/root.crt" "$repo/root-a.crt"
check "root-a.crt parses as a DER certificate" openssl x509 -inform DER -in "$IT_TMP/root.crt" -noout
h=$(headers "$url/repository/root-a.pem")
check "root-a.pem is application/x-pem-file" has "$h" "Content-Type: application/x-pem-file"
check "repository answers carry the security headers" has "$h" "X-Content-Type-Options: nosniff"
check_eq "issue 13: a .crl file in the folder is not served (CRLs come from the database)" 404 \
  "$(code "$url/repository/test-1.crl")"
check_eq "missing repository file is 404" 404 "$(code "$url/repository/nope.crt")"
check_eq "other extensions are 404" 404 "$(code "$url/repository/root-a.key")"
check_eq "upper case names are 404" 404 "$(code "$url/repository/ROOT-A.crt")"
check_eq "traversal with ../ is 404" 404 "$(code --path-as-is "$url/repository/../shomei.ini")"
check_eq "traversal with %2e%2e%2f is 404" 404 "$(code --path-as-is "$url/repository/%2e%2e%2fsecret.key")"
check_eq "traversal with ..%2f into a .pem name is 404" 404 "$(code --path-as-is "$url/repository/..%2fkeys%2froot-a.pem")"
check_eq "a symbolic link in the repository is not followed" 404 "$(code "$url/repository/link.pem")"
check_eq "the data directory itself is not served" 404 "$(code "$url/repository/")"

# ---- the repository's page, and the footer that leads to it from every page ----
# A real CA's repository (BR 2.1, 2.2) where a visitor finds the documents, every CA
# certificate with a fingerprint to check a download against, and the CRLs.
curl -s -o "$IT_TMP/repo.html" -w '%{http_code}' "$url/repository" >"$IT_TMP/repo.code"
check_eq "GET /repository answers the repository's page" 200 "$(cat "$IT_TMP/repo.code")"
check "the repository's page is in Japanese by default" grep -q '<h1>リポジトリ</h1>' "$IT_TMP/repo.html"
check "the repository's page in English" \
  bash -c 'curl -s "$1/repository?lang=en" | grep -q "<h1>Repository</h1>"' _ "$url"
for doc in cps subscriber-agreement privacy; do
  check "the repository's page links /repository/$doc" grep -q "href=\"/repository/$doc\"" "$IT_TMP/repo.html"
done
# every CA of the database is listed once, and the fingerprint shown is the one openssl
# computes for the file its DER link downloads
names=$("$SHOMEI_BIN" ca list --dir "$dir" | awk 'NR > 1 && $1 !~ /^(subject|issuer):/ && NF >= 5 {print $1}')
check "ca list names CAs" test -n "$names"
listed=0 good=0
for n in $names; do
  row=$(grep -o "<tr class=\"repo-ca\" data-name=\"$n\">.*</tr>" "$IT_TMP/repo.html")
  [ -n "$row" ] && listed=$((listed + 1))
  shown=$(grep -o '<code>[0-9a-f]\{64\}</code>' <<<"$row" | sed 's|</\{0,1\}code>||g')
  curl -s -o "$IT_TMP/ca-$n.crt" "$url/repository/$n.crt"
  want=$(openssl x509 -inform DER -in "$IT_TMP/ca-$n.crt" -noout -fingerprint -sha256 2>/dev/null |
    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
  [ -n "$want" ] && [ "$shown" = "$want" ] && grep -q "href=\"/repository/$n.pem\"" <<<"$row" &&
    good=$((good + 1))
done
total=$(wc -w <<<"$names")
check_eq "every CA is listed on the repository's page" "$total" "$listed"
check_eq "each listed CA's fingerprint is its downloaded certificate's, with a PEM link" "$total" "$good"
check_eq "the root is listed as a root, the issuing CA as intermediate" "1 1" \
  "$(grep -o '<tr class="repo-ca" data-name="root-a"><td class="kind">[^<]*' "$IT_TMP/repo.html" | grep -c 'ルート CA') $(grep -o '<tr class="repo-ca" data-name="dv"><td class="kind">[^<]*' "$IT_TMP/repo.html" | grep -c '中間 CA DV')"
# the CRLs listed are those of /crl-urls.json, and each is a CRL the server answers
curl -s "$url/crl-urls.json" | jq -r '.[]' | sort >"$IT_TMP/crl-json.txt"
grep -o 'class="crl" href="[^"]*"' "$IT_TMP/repo.html" | sed 's/.*href="//; s/"$//' | sort >"$IT_TMP/crl-page.txt"
check "the repository's page lists CRLs" test -s "$IT_TMP/crl-page.txt"
check "the CRLs listed are those of /crl-urls.json" cmp -s "$IT_TMP/crl-json.txt" "$IT_TMP/crl-page.txt"
bad=0
while read -r u; do
  curl -s -o "$IT_TMP/c.crl" "$url/repository/${u##*/}" &&
    openssl crl -inform DER -in "$IT_TMP/c.crl" -noout 2>/dev/null || bad=$((bad + 1))
done <"$IT_TMP/crl-page.txt"
check_eq "each CRL listed downloads as a CRL" 0 "$bad"
check "without [ca] ocsp_url the page says certificates name no OCSP responder" \
  grep -q 'id="repo-no-ocsp"' "$IT_TMP/repo.html"
check "the planted files are not listed" bash -c '! grep -qE "test-1|link\.pem" "$1"' _ "$IT_TMP/repo.html"
# the footer of every page (the source documents' リポジトリ | プライバシー | 利用約款)
for page in / /tools/csr /login /no/such/page /repository/cps; do
  curl -s -o "$IT_TMP/foot.html" "$url$page"
  check "the footer of $page links the repository, the privacy policy and the agreement" \
    bash -c 'f=$(grep -o "<nav class=\"footer-links\".*</nav>" "$1"); grep -q "href=\"/repository\"" <<<"$f" &&
      grep -q "href=\"/repository/privacy\"" <<<"$f" && grep -q "href=\"/repository/subscriber-agreement\"" <<<"$f"' \
    _ "$IT_TMP/foot.html"
done
# the home page tells a visitor how to apply: log in or register (no "coming soon")
curl -s -o "$IT_TMP/home.html" "$url/"
check "the home page links the login and the registration from its application card" \
  bash -c 'a=$(sed -n "/id=\"home-apply\"/,/<\/div>/p" "$1"); grep -q "href=\"/login\"" <<<"$a" && grep -q "href=\"/register\"" <<<"$a"' \
  _ "$IT_TMP/home.html"
check "the home page no longer says the application is coming soon" \
  bash -c '! grep -q "準備中" "$1" && ! curl -s "$2/?lang=en" | grep -qi "coming soon"' _ "$IT_TMP/home.html" "$url"

# ---- Secure cookies by default ----
dir2=$IT_TMP/data2
if "$SHOMEI_BIN" init --dir "$dir2" >"$IT_TMP/init2.log" 2>&1 && start_server "$dir2"; then
  h=$(headers "$IT_URL/tools/csr")
  check "cookies are Secure with the default secure_cookies = true" bash -c 'grep -i "^Set-Cookie: csrf=" <<<"$1" | grep -q "; Secure"' _ "$h"
  pid2=$IT_SERVER_PID
  kill -INT "$pid2"
  status=timeout
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid2" 2>/dev/null; then wait "$pid2"; status=$?; break; fi
    sleep 0.1
  done
  check_eq "SIGINT stops a server started in the background with status 0" 0 "$status"
else
  not_ok "second server with default settings starts"
fi

# ---- clean shutdown ----
kill -TERM "$pid"
status=timeout
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; break; fi
  sleep 0.1
done
check_eq "SIGTERM stops the server with status 0" 0 "$status"
check "shutdown is logged" grep -q 'msg="server stopped"' "$log"
it_done
