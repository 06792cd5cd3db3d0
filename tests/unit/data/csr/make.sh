#!/usr/bin/env bash
# Regenerates the CSR fixtures of tests/unit/test_csr.c with the openssl command line.
# Run from anywhere: tests/unit/data/csr/make.sh. Keys are fresh each run; the tests only
# rely on the properties named in each file's name. Test keys only, never used elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

SUBJ="/C=JP/ST=Tokyo/L=Chiyoda-ku/O=Example K.K./CN=www.example.co.jp"
SAN="subjectAltName=DNS:www.example.co.jp,DNS:example.co.jp"

rsa() { openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$1" -out "$2" 2>/dev/null; }
ec() { openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$1" -out "$2"; }
req() { # KEY OUT [extra openssl req args]
  local key=$1 out=$2; shift 2
  openssl req -new -key "$key" -out "$out" -subj "$SUBJ" -addext "$SAN" "$@"
}

rsa 2048 "$tmp/rsa2048.key"
req "$tmp/rsa2048.key" ok_rsa2048.pem
openssl req -in ok_rsa2048.pem -outform DER -out ok_rsa2048.der
sed 's/$/\r/' ok_rsa2048.pem > ok_crlf.pem
sed -e 's/^-----BEGIN CERTIFICATE REQUEST-----$/----- BEGIN CERTIFICATE REQUEST -----/' \
    -e 's/^-----END CERTIFICATE REQUEST-----$/----- END CERTIFICATE REQUEST -----/' \
    ok_rsa2048.pem > ok_spaced.pem
sed 's/CERTIFICATE REQUEST-----$/NEW CERTIFICATE REQUEST-----/' ok_rsa2048.pem > ok_new.pem
{ printf '\n  \t\n'; sed 's/^/  /' ok_rsa2048.pem; printf '\n\n   \n'; } > ok_whitespace.pem
# openssl req -text output pasted whole: text around the PEM block
{ openssl req -in ok_rsa2048.pem -noout -text; cat ok_rsa2048.pem; } > bad_text_around.pem
{ cat ok_rsa2048.pem; echo "thank you"; } > bad_trailing.pem
{ cat ok_rsa2048.der; printf 'GARBAGE'; } > bad_trailing.der
cat ok_rsa2048.pem ok_rsa2048.pem > bad_two_csrs.pem
# broken base64: a character that is not base64 in the third body line
awk 'NR==4{ $0 = substr($0,1,10) "!" substr($0,12) } { print }' ok_rsa2048.pem > bad_base64.pem
# truncated body (a line missing)
awk 'NR!=5' ok_rsa2048.pem > bad_truncated.pem
# END line missing
grep -v -- '-----END' ok_rsa2048.pem > bad_no_end.pem
# bare base64 without BEGIN/END lines
grep -v -- '-----' ok_rsa2048.pem > ok_bare_base64.txt

ec P-256 "$tmp/p256.key"
req "$tmp/p256.key" ok_p256.pem
ec P-384 "$tmp/p384.key"
req "$tmp/p384.key" ok_p384.pem -sha384

# Japanese subject, UTF8String, OU present (shown, dropped)
openssl req -new -key "$tmp/p256.key" -out ok_japanese.pem -utf8 \
  -subj "/C=JP/ST=東京都/L=千代田区/O=株式会社テスト/OU=情報システム部/CN=www.example.co.jp" \
  -addext "$SAN"
# Requested extensions that are ignored, and a challenge password
openssl req -new -key "$tmp/p256.key" -out ok_extensions.pem -subj "$SUBJ" -addext "$SAN" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectAltName=DNS:www.example.co.jp,email:admin@example.co.jp" 2>/dev/null ||
openssl req -new -key "$tmp/p256.key" -out ok_extensions.pem -subj "$SUBJ" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectAltName=DNS:www.example.co.jp,email:admin@example.co.jp"
# Upper-case names (accepted, lower-cased)
openssl req -new -key "$tmp/p256.key" -out ok_uppercase.pem -subj "/CN=WWW.Example.CO.JP" \
  -addext "subjectAltName=DNS:WWW.Example.CO.JP"
# Wildcard in the right place
openssl req -new -key "$tmp/p256.key" -out ok_wildcard.pem -subj "/CN=*.example.co.jp" \
  -addext "subjectAltName=DNS:*.example.co.jp,DNS:example.co.jp"
# No CN, no SAN
openssl req -new -key "$tmp/p256.key" -out ok_no_names.pem -subj "/O=Example K.K."

rsa 1024 "$tmp/rsa1024.key"
req "$tmp/rsa1024.key" bad_rsa1024.pem
rsa 2047 "$tmp/rsa2047.key"
req "$tmp/rsa2047.key" bad_rsa2047.pem
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$tmp/pss.key" 2>/dev/null
req "$tmp/pss.key" bad_rsa_pss.pem
ec P-521 "$tmp/p521.key"
req "$tmp/p521.key" bad_p521.pem -sha512
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -pkeyopt ec_param_enc:explicit -out "$tmp/explicit.key"
req "$tmp/explicit.key" bad_ec_explicit.pem
ec secp256k1 "$tmp/k1.key"
req "$tmp/k1.key" bad_secp256k1.pem
openssl genpkey -algorithm ED25519 -out "$tmp/ed25519.key"
req "$tmp/ed25519.key" bad_ed25519.pem
openssl genpkey -algorithm ED448 -out "$tmp/ed448.key"
req "$tmp/ed448.key" bad_ed448.pem
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 \
  -out "$tmp/dsa.param" 2>/dev/null
openssl genpkey -paramfile "$tmp/dsa.param" -out "$tmp/dsa.key"
req "$tmp/dsa.key" bad_dsa.pem
req "$tmp/rsa2048.key" bad_sha1.pem -sha1
req "$tmp/rsa2048.key" bad_md5.pem -md5
# tampered: flip one bit of the last signature byte
openssl req -in ok_rsa2048.pem -outform DER -out "$tmp/t.der"
python3 - "$tmp/t.der" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[-1] ^= 1
open(p, 'wb').write(b)
PY
openssl req -inform DER -in "$tmp/t.der" -out bad_tampered.pem 2>/dev/null ||
{ echo "-----BEGIN CERTIFICATE REQUEST-----"; openssl base64 -in "$tmp/t.der";
  echo "-----END CERTIFICATE REQUEST-----"; } > bad_tampered.pem
# a tampered subject (signature no longer covers it): change one letter of "Example"
python3 - ok_rsa2048.der bad_tampered_subject.der <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
i = b.index(b'Example K.K.')
b = b[:i] + b'Exbmple K.K.' + b[i + 12:]
open(sys.argv[2], 'wb').write(b)
PY

# a certificate pasted instead of a CSR
openssl req -x509 -key "$tmp/rsa2048.key" -subj "$SUBJ" -days 30 -out bad_certificate.pem
openssl x509 -in bad_certificate.pem -outform DER -out bad_certificate.der
# private keys pasted instead of a CSR (PKCS#8, traditional RSA, EC, encrypted, DER)
cp "$tmp/rsa1024.key" bad_privkey_pkcs8.pem
openssl pkey -in "$tmp/rsa1024.key" -traditional -out bad_privkey_rsa.pem
openssl pkey -in "$tmp/p256.key" -traditional -out bad_privkey_ec.pem 2>/dev/null ||
  cp "$tmp/p256.key" bad_privkey_ec.pem
openssl pkcs8 -topk8 -in "$tmp/p256.key" -passout pass:test -out bad_privkey_encrypted.pem
openssl pkey -in "$tmp/p256.key" -outform DER -out bad_privkey.der
cat ok_p256.pem "$tmp/p256.key" > bad_csr_and_key.pem
# a public key
openssl pkey -in "$tmp/p256.key" -pubout -out bad_pubkey.pem

# names (R-CSR-4)
openssl req -new -key "$tmp/p256.key" -out bad_underscore.pem -subj "/CN=my_host.example.co.jp" \
  -addext "subjectAltName=DNS:my_host.example.co.jp"
openssl req -new -key "$tmp/p256.key" -out bad_internal.pem -subj "/CN=server.local" \
  -addext "subjectAltName=DNS:server.local,DNS:intranet,DNS:db.internal,DNS:www.example.test,\
DNS:example.co.jp"
openssl req -new -key "$tmp/p256.key" -out bad_ip_reserved.pem -subj "/CN=192.168.1.10" \
  -addext "subjectAltName=IP:192.168.1.10,IP:10.0.0.1,IP:::1,IP:fe80::1"
openssl req -new -key "$tmp/p256.key" -out ip_public.pem -subj "/CN=8.8.8.8" \
  -addext "subjectAltName=IP:8.8.8.8,IP:2001:4860:4860::8888"
openssl req -new -key "$tmp/p256.key" -out bad_wildcard.pem -subj "/CN=www.*.example.co.jp" \
  -addext "subjectAltName=DNS:www.*.example.co.jp,DNS:*.co.jp,DNS:w*.example.co.jp"
openssl req -new -key "$tmp/p256.key" -out bad_public_suffix.pem -subj "/CN=co.jp" \
  -addext "subjectAltName=DNS:co.jp"
openssl req -new -key "$tmp/p256.key" -out cn_not_in_sans.pem -subj "/CN=www.example.co.jp" \
  -addext "subjectAltName=DNS:mail.example.co.jp"
# an IDN in A-label form (shown decoded), a broken one, and no U-label: openssl cannot
# write one into an IA5String
openssl req -new -key "$tmp/p256.key" -out idn.pem -subj "/CN=xn--eckwd4c7c.jp" \
  -addext "subjectAltName=DNS:xn--eckwd4c7c.jp,DNS:xn--zz.jp"
echo "fixtures written to $(pwd)"
