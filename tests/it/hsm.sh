#!/usr/bin/env bash
# R-OPS-1 (issue 13 item 1): CA keys in a PKCS#11 token (SoftHSM2, a token made in a
# temporary directory). `shomei init` generates the five CA keys and the OCSP responders'
# keys inside the token and writes no key file; certificates, CRLs and OCSP responses signed
# through the token verify with openssl; an existing token key is used by its RFC 7512 URI;
# a wrong PIN, a URI naming a missing object, or a PKCS#11 URI without a module are clear
# errors, and `serve` refuses to start with a wrong PIN. The PIN comes from SHOMEI_HSM_PIN
# or [hsm] pin, never the command line.
. "$(dirname "$0")/lib.sh"

MODULE=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
  [ -f "$m" ] && { MODULE=$m; break; }
done
if [ -z "$MODULE" ] || ! command -v softhsm2-util >/dev/null 2>&1; then
  not_ok "SoftHSM2 is installed (scripts/deps installs softhsm2)"
  it_done
fi
export SOFTHSM2_CONF=$IT_TMP/softhsm2.conf
mkdir -p "$IT_TMP/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$IT_TMP/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label shomei --pin 4321-user --so-pin 8765-so \
  >/dev/null 2>&1 || { not_ok "token made"; it_done; }
export SHOMEI_HSM_PIN=4321-user
HSM=(--set "hsm.module=$MODULE" --set hsm.token=shomei --set revocation.crl_check_seconds=1
  --set ca.ev_key=rsa-2048)

# a wrong PIN at init: a clear error, no key made in the token
out=$(SHOMEI_HSM_PIN=0000-wrong "$SHOMEI_BIN" init --dir "$IT_TMP/wrong" --test-ca "${HSM[@]}" 2>&1)
check_eq "R-OPS-1 init with a wrong PIN fails" 1 $?
check "R-OPS-1 ... saying the PIN was refused and where it comes from" \
  grep -q "CKR_PIN_INCORRECT.*SHOMEI_HSM_PIN" <<<"$out"

out=$("$SHOMEI_BIN" init --dir "$IT_TMP/notoken" --test-ca --set "hsm.module=$MODULE" \
  --set hsm.token=no-such-token 2>&1)
check "R-OPS-1 a missing token is a clear init error" \
  grep -q "no PKCS#11 token labelled 'no-such-token'" <<<"$out"
out=$("$SHOMEI_BIN" init --dir "$IT_TMP/nomodule" --test-ca --set "hsm.module=$IT_TMP/none.so" \
  --set hsm.token=shomei 2>&1)
check "R-OPS-1 a module that cannot be loaded is a clear init error" \
  grep -q "cannot load PKCS#11 module" <<<"$out"

# (the wrong PIN made no key: init below generates the same labels in the same token)
ocsp_setup "${HSM[@]}"
check "R-OPS-1 init with keys in the token: no CA or OCSP key file on disk" \
  test -z "$(find "$D" -name '*.key')"
check "R-OPS-1 ... the CA key files do not exist" \
  bash -c '! ls "$1"/keys/*.key >/dev/null 2>&1' _ "$D"
if [ -z "${SHOMEI_TEST_PG_URL:-}" ]; then
  refs=$(sqlite3 "$D/shomei.db" "SELECT key_ref FROM cas WHERE name = 'dv'")
  check_eq "R-OPS-1 the dv CA key is referenced by its PKCS#11 URI" \
    "pkcs11:token=shomei;object=dv;type=private" "$refs"
  check "R-OPS-1 the OCSP responder keys are in the token too" \
    test "$(sqlite3 "$D/shomei.db" "SELECT count(*) FROM ocsp_responders
      WHERE key_ref NOT LIKE 'pkcs11:token=shomei;object=ocsp-%'")" = 0
fi
check "R-OPS-1 the PIN is not written into shomei.ini" \
  bash -c '! grep -q "4321-user" "$1/shomei.ini"' _ "$D"

for n in good rev; do ocsp_issue $n || not_ok "ocsp_issue $n: $(cat "$W/$n.err")"; done
check "R-OPS-1 a certificate signed in the token verifies (openssl verify, root A)" \
  openssl verify -x509_strict -purpose sslserver -CAfile "$W/root.pem" -untrusted "$W/int.pem" \
  "$W/good.pem"
"$S" ca chain --dir "$D" --level dv --root b >"$W/chain-b.pem"
awk -v a="$W/int-b.pem" -v b="$W/root-b.pem" '/BEGIN/{n++} {print > (n == 1 ? a : b)}' \
  "$W/chain-b.pem"
check "R-OPS-1 ... and through root B's cross-certificate" \
  openssl verify -x509_strict -purpose sslserver -CAfile "$W/root-b.pem" \
  -untrusted "$W/int-b.pem" "$W/good.pem"
check "R-OPS-1 the intermediate (signed by root A's token key) verifies" \
  openssl verify -x509_strict -CAfile "$W/root.pem" "$W/int.pem"
rev_serial=$(openssl x509 -in "$W/rev.pem" -noout -serial | cut -d= -f2)
"$S" revoke --dir "$D" --serial "$rev_serial" --reason keyCompromise >/dev/null 2>&1 ||
  not_ok "revoke"

# serve refuses a wrong PIN at start, with the reason
out=$(SHOMEI_HSM_PIN=0000-wrong timeout 20 "$S" serve --dir "$D" --port "$(free_port)" 2>&1)
check_eq "R-OPS-1 serve with a wrong PIN does not start" 1 $?
check "R-OPS-1 ... and says the token refused the PIN" grep -q "CKR_PIN_INCORRECT" <<<"$out"

ocsp_serve
crl_has_rev() {
  curl -fsS -o "$W/dv.crl" "$URL/repository/dv.crl" || return 1
  openssl crl -inform DER -in "$W/dv.crl" -out "$W/dv.crl.pem" 2>/dev/null || return 1
  openssl crl -in "$W/dv.crl.pem" -noout -text | grep -qi "Serial Number: $rev_serial"
}
check "R-OPS-1 the CRL job re-signs the CRL with the revoked serial" wait_for 30 crl_has_rev
check "R-OPS-1 the CRL signed in the token verifies (openssl crl -verify)" \
  bash -c "openssl crl -in '$W/dv.crl.pem' -CAfile '$W/int.pem' -noout -verify 2>&1 |
    grep -q 'verify OK'"
"$S" ca chain --dir "$D" --level ev --root a >"$W/chain-ev.pem"
curl -fsS "$URL/repository/ev.crl" | openssl crl -inform DER -out "$W/ev.crl.pem" 2>/dev/null
check "R-OPS-1 an RSA key in the token: the ev CRL verifies (PKCS#1 v1.5 by C_Sign)" \
  bash -c "openssl crl -in '$W/ev.crl.pem' -CAfile '$W/chain-ev.pem' -noout -verify 2>&1 |
    grep -q 'verify OK'"
check "R-OPS-1 ... and the ev CA is RSA" \
  bash -c "openssl x509 -in '$W/chain-ev.pem' -noout -text | grep -q 'rsaEncryption'"
out=$(ocsp_ask -cert "$W/good.pem")
check "R-OPS-1 OCSP: good, and the response verifies (responder certified by the token key)" \
  bash -c 'grep -q "good.pem: good" <<<"$1" && grep -q "Response verify OK" <<<"$1"' _ "$out"
out=$(ocsp_ask -cert "$W/rev.pem")
check "R-OPS-1 OCSP: revoked, verified" \
  bash -c 'grep -q "rev.pem: revoked" <<<"$1" && grep -q "Response verify OK" <<<"$1"' _ "$out"
# the responder certificate alone as the trusted signer (-VAfile), checked against the dv CA
openssl ocsp -issuer "$W/int.pem" -cert "$W/good.pem" -url "$URL/ocsp" -respout "$W/r.der" \
  -no_nonce -noverify >/dev/null 2>&1
openssl ocsp -respin "$W/r.der" -resp_text -noverify 2>/dev/null |
  awk '/BEGIN CERT/{p=1} p{print} /END CERT/{p=0}' >"$W/responder.pem"
check "R-OPS-1 the responder certificate verifies with the dv CA (signed by the token key)" \
  openssl verify -CAfile "$W/root.pem" -untrusted "$W/int.pem" "$W/responder.pem"
check "R-OPS-1 the response verifies with -VAfile (the responder's key is in the token)" \
  bash -c "openssl ocsp -respin '$W/r.der' -VAfile '$W/responder.pem' -issuer '$W/int.pem' \
    -cert '$W/good.pem' -no_nonce 2>&1 | tee '$W/va.out' | grep -q 'Response verify OK'"

# an existing key by its URI: a second data directory on the same token keys
uri() { echo "pkcs11:token=shomei;object=$1;type=private"; }
D2=$IT_TMP/data2
"$S" init --dir "$D2" --test-ca --set "hsm.module=$MODULE" \
  --set "ca.root_a_key=$(uri root-a)" --set "ca.root_b_key=$(uri root-b)" \
  --set "ca.dv_key=$(uri dv)" --set "ca.ov_key=$(uri ov)" --set "ca.ev_key=$(uri ev)" \
  >"$W/init2.out" 2>&1
check_eq "R-OPS-1 init uses existing token keys named by RFC 7512 URIs" 0 $?
"$S" ca chain --dir "$D2" --level dv --root a >"$W/chain2.pem"
check_eq "R-OPS-1 ... the dv CA of the second directory has the same (token) key" \
  "$(openssl x509 -in "$W/int.pem" -noout -pubkey)" \
  "$(openssl x509 -in "$W/chain2.pem" -noout -pubkey)"
out=$("$S" init --dir "$IT_TMP/data3" --test-ca --set "hsm.module=$MODULE" \
  --set "ca.dv_key=$(uri no-such-key)" 2>&1)
check_eq "R-OPS-1 a URI to a missing object fails init" 1 $?
check "R-OPS-1 ... naming the URI" grep -q "no private key pkcs11:token=shomei;object=no-such-key" \
  <<<"$out"
out=$("$S" init --dir "$IT_TMP/data4" --test-ca --set "ca.dv_key=$(uri dv)" 2>&1)
check_eq "R-OPS-1 a PKCS#11 key without [hsm] module is refused" 1 $?
check "R-OPS-1 ... naming the setting" grep -q "hsm.module\|\[hsm\] module" <<<"$out"
check "R-OPS-1 ... and nothing was created" test ! -e "$IT_TMP/data4/shomei.ini"
out=$("$S" init --dir "$IT_TMP/data5" --test-ca --set "hsm.module=$MODULE" \
  --set "ca.dv_key=pkcs11:token=shomei;object=dv;pin-value=4321-user" 2>&1)
check "R-OPS-1 a PIN inside the URI is refused" grep -q "must not carry the PIN" <<<"$out"
it_done
