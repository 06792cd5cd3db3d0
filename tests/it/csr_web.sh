#!/usr/bin/env bash
# R-CSR-3 (and R-CSR-1 through it): the CSR checker page and API. A good CSR (RSA 2048,
# Japanese subject, SANs) and a bad one (RSA 1024) made with openssl req go through the
# form (pasted and uploaded, token from a cookie jar) and the API (raw PEM, DER, JSON), in
# Japanese and English; the parsed CN, the problem code and the message in the chosen
# language must appear.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

dir=$IT_TMP/data
if ! "$SHOMEI_BIN" init --dir "$dir" --set server.secure_cookies=false >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
start_server "$dir" || { not_ok "server starts"; it_done; }
url=$IT_URL

good=$IT_TMP/good.csr
bad=$IT_TMP/bad.csr
openssl req -new -utf8 -newkey rsa:2048 -nodes -keyout "$IT_TMP/good.key" \
  -subj "/C=JP/ST=東京都/L=千代田区/O=テスト株式会社/CN=www.example.co.jp" \
  -addext "subjectAltName=DNS:www.example.co.jp,DNS:example.co.jp" -out "$good" 2>/dev/null
openssl req -new -newkey rsa:1024 -nodes -keyout "$IT_TMP/bad.key" \
  -subj "/CN=weak.example.co.jp" -out "$bad" 2>/dev/null
openssl req -in "$good" -outform DER -out "$IT_TMP/good.der"
check "test CSRs were made" test -s "$good" -a -s "$bad" -a -s "$IT_TMP/good.der"

has() { grep -qF -- "$2" <<<"$1"; }
json() { python3 -c "import json,sys;d=json.load(sys.stdin);print($1)" 2>/dev/null; }

# ---- API ----
out=$(curl -s -H 'Content-Type: application/pkcs10' -H 'Accept-Language: en' \
  --data-binary @"$good" "$url/api/v1/csr/check")
check_eq "API: good CSR is acceptable (R-CSR-3)" True "$(json 'd["acceptable"]' <<<"$out")"
check_eq "API: parsed CN" www.example.co.jp "$(json 'd["cn"]' <<<"$out")"
check_eq "API: Japanese O in UTF-8" "テスト株式会社" "$(json 'd["o"]' <<<"$out")"
check_eq "API: key type and size" "RSA 2048" "$(json 'd["key"]["type"], d["key"]["bits"]' <<<"$out")"
check_eq "API: signature algorithm" sha256WithRSAEncryption "$(json 'd["sig_alg"]' <<<"$out")"
check_eq "API: SANs" "www.example.co.jp example.co.jp" "$(json '" ".join(d["sans"])' <<<"$out")"
check "API: public key fingerprint is 64 hex" bash -c '[[ $1 =~ ^[0-9a-f]{64}$ ]]' _ "$(json 'd["spki_sha256"]' <<<"$out")"
check_eq "API: answers application/json" "application/json" "$(curl -s -o /dev/null -w '%{content_type}' -H 'Content-Type: application/pkcs10' --data-binary @"$good" "$url/api/v1/csr/check")"

out=$(curl -s -H 'Content-Type: application/pkcs10' -H 'Accept-Language: en' \
  --data-binary @"$bad" "$url/api/v1/csr/check")
check_eq "API: RSA 1024 is not acceptable (R-CSR-1)" False "$(json 'd["acceptable"]' <<<"$out")"
check_eq "API: RSA 1024 reports csr.key.rsa_too_small" True "$(json 'any(p["code"]=="csr.key.rsa_too_small" for p in d["problems"])' <<<"$out")"
msg_en=$(json '[p["message"] for p in d["problems"] if p["code"]=="csr.key.rsa_too_small"][0]' <<<"$out")
check "API: English message with Accept-Language en" bash -c '[[ -n $1 && $1 =~ ^[[:print:]]+$ ]]' _ "$msg_en"
out=$(curl -s -H 'Content-Type: application/x-pem-file' "$url/api/v1/csr/check?lang=ja" --data-binary @"$bad")
msg_ja=$(json '[p["message"] for p in d["problems"] if p["code"]=="csr.key.rsa_too_small"][0]' <<<"$out")
check "API: Japanese message with ?lang=ja" bash -c '[[ -n $1 && $1 != "$2" ]] && printf %s "$1" | grep -qP "[\x{3040}-\x{30ff}\x{4e00}-\x{9fff}]"' _ "$msg_ja" "$msg_en"
check_eq "API: the CN of the bad CSR is shown too" weak.example.co.jp "$(json 'd["cn"]' <<<"$out")"

body=$(python3 -c 'import json,sys;print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$good")
out=$(curl -s -H 'Content-Type: application/json' --data-binary "$body" "$url/api/v1/csr/check")
check_eq "API: JSON {\"csr\": ...} body" "True www.example.co.jp" "$(json 'd["acceptable"], d["cn"]' <<<"$out")"
out=$(curl -s -H 'Content-Type: application/pkcs10' --data-binary @"$IT_TMP/good.der" "$url/api/v1/csr/check")
check_eq "API: DER body" "True www.example.co.jp" "$(json 'd["acceptable"], d["cn"]' <<<"$out")"
out=$(curl -s -H 'Content-Type: text/plain' --data-binary 'hello' "$url/api/v1/csr/check")
check_eq "API: garbage is answered 200 with acceptable false" False "$(json 'd["acceptable"]' <<<"$out")"
check "API: garbage has at least one problem" test "$(json 'len(d["problems"])' <<<"$out")" -ge 1

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check_eq "API: unsupported Content-Type is 415" 415 "$(code -H 'Content-Type: application/xml' --data-binary @"$good" "$url/api/v1/csr/check")"
check_eq "API: JSON without csr is 400" 400 "$(code -H 'Content-Type: application/json' --data '{"x":1}' "$url/api/v1/csr/check")"
out=$(curl -s -H 'Content-Type: application/json' -H 'Accept-Language: en' --data '{"x":1}' "$url/api/v1/csr/check")
check_eq "API: 400 problem names the field" "csr 400" "$(json 'd["field"], d["status"]' <<<"$out")"
check_eq "API: broken JSON is 400" 400 "$(code -H 'Content-Type: application/json' --data '{"csr":' "$url/api/v1/csr/check")"
check_eq "API: empty raw body is 400" 400 "$(code -H 'Content-Type: application/pkcs10' --data-binary '' "$url/api/v1/csr/check")"
check_eq "API: needs no CSRF token" 200 "$(code -H 'Content-Type: application/pkcs10' --data-binary @"$good" "$url/api/v1/csr/check")"

# ---- form, Japanese (default) ----
jar=$IT_TMP/jar
token=$(curl -s -c "$jar" -b "$jar" "$url/tools/csr" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
check "form page carries a CSRF token" test -n "$token"
page=$(curl -s -b "$jar" -F "csrf=$token" -F "csr=<$good" "$url/tools/csr")
check "form ja: OK banner (R-CSR-3)" has "$page" 'data-acceptable="true"'
check "form ja: OK text in Japanese" has "$page" "このCSRは申請に使用できます"
check "form ja: parsed CN" has "$page" '<td class="cn">www.example.co.jp</td>'
check "form ja: Japanese subject renders" has "$page" "テスト株式会社"
check "form ja: SANs listed" has "$page" '<span class="san">example.co.jp</span>'
check "form ja: key size shown" has "$page" "RSA 2048 ビット"
check "form ja: pasted CSR kept in the textarea" has "$page" "-----BEGIN CERTIFICATE REQUEST-----"
page=$(curl -s -b "$jar" -F "csrf=$token" -F "csr=<$bad" "$url/tools/csr")
check "form ja: NG banner for RSA 1024 (R-CSR-1)" has "$page" 'data-acceptable="false"'
check "form ja: problem code shown" has "$page" 'data-code="csr.key.rsa_too_small"'
check "form ja: problem message in Japanese" has "$page" "$msg_ja"
check "form ja: parsed CN of the bad CSR" has "$page" '<td class="cn">weak.example.co.jp</td>'
page=$(curl -s -b "$jar" -F "csrf=$token" -F "file=@$IT_TMP/good.der;type=application/octet-stream" "$url/tools/csr")
check "form ja: uploaded DER file is checked" has "$page" '<td class="cn">www.example.co.jp</td>'
page=$(curl -s -b "$jar" -F "csrf=$token" -F "file=@$bad" "$url/tools/csr")
check "form ja: uploaded PEM file is checked" has "$page" 'data-code="csr.key.rsa_too_small"'
page=$(curl -s -b "$jar" -F "csrf=$token" -F "csr=  " "$url/tools/csr")
check "form ja: empty input asks for a CSR" has "$page" "CSRを貼り付けるか、ファイルを選択してください"

# issue 8 item 9, R-CSR-1: a pasted private key is refused with a warning and never echoed
key_line=$(sed -n 2p "$IT_TMP/good.key")
out=$(curl -s -w '\n%{http_code}' -b "$jar" -F "csrf=$token" -F "csr=<$IT_TMP/good.key" "$url/tools/csr")
check_eq "form ja: a pasted private key: 422" 422 "$(tail -1 <<<"$out")"
check "form ja: a clear private-key warning" has "$out" 'id="private-key-warning"'
check "form ja: the warning is in Japanese" has "$out" "秘密鍵が貼り付けられました"
check "form ja: no line of the key is sent back" bash -c '! grep -qF -- "$2" <<<"$1"' _ "$out" "$key_line"
check "form ja: no PRIVATE KEY header is sent back" bash -c '! grep -q "BEGIN [A-Z ]*PRIVATE KEY" <<<"$1"' _ "$out"
cat "$good" "$IT_TMP/good.key" >"$IT_TMP/both.pem"
out=$(curl -s -b "$jar" -F "csrf=$token" -F "csr=<$IT_TMP/both.pem" "$url/tools/csr")
check "form ja: CSR + key pasted together: warned, key not echoed" bash -c \
  'grep -q private-key-warning <<<"$1" && ! grep -qF -- "$2" <<<"$1"' _ "$out" "$key_line"

# ---- form, English (lang cookie from ?lang=en) ----
jar2=$IT_TMP/jar2
token=$(curl -s -c "$jar2" -b "$jar2" "$url/tools/csr?lang=en" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
check "lang cookie was stored" grep -q 'lang	en' "$jar2"
page=$(curl -s -b "$jar2" -F "csrf=$token" -F "csr=<$good" "$url/tools/csr")
check "form en: page in English" has "$page" '<html lang="en">'
check "form en: OK text in English" has "$page" "This CSR can be used for an application."
check "form en: parsed CN" has "$page" '<td class="cn">www.example.co.jp</td>'
check "form en: absent OU shown as none" has "$page" '<span class="muted">none</span>'
page=$(curl -s -b "$jar2" -F "csrf=$token" -F "csr=<$bad" "$url/tools/csr")
check "form en: NG banner" has "$page" "This CSR cannot be used for an application."
check "form en: problem code shown" has "$page" 'data-code="csr.key.rsa_too_small"'
check "form en: problem message in English" has "$page" "$msg_en"
check "form en: no Japanese problem message" bash -c '! grep -qF -- "$2" <<<"$1"' _ "$page" "$msg_ja"
it_done
