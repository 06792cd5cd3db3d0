#!/usr/bin/env bash
# shomei init and shomei ca list|chain, checked with openssl as an outside verifier.
# R-OPS-1: init creates the data directory and the CA hierarchy, CA keys in encrypted files
# (mode 600), refuses a non-empty directory changing nothing, leaves nothing behind on failure.
# R-ISS-1: roots A and B, an intermediate per level, cross-certificates; every chain of
# `shomei ca chain` verifies (-x509_strict) for 3 levels x 2 roots, and a test leaf signed
# with the intermediate's key verifies for TLS server use through either root.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data

tree_sum() { # contents, names and modes of every file under $1
  (cd "$1" && find . -printf '%p %m %s\n' | sort && find . -type f -print0 | sort -z |
    xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

# --- init ---
out=$("$S" init --dir "$D" --port 9443 2>&1)
check_eq "R-OPS-1 init exits 0" 0 $?
check "R-OPS-1 init created shomei.ini, database, keys and repository" \
  test -f "$D/shomei.ini" -a -f "$D/shomei.db" -a -d "$D/keys" -a -d "$D/repository"
check_eq "R-OPS-1 data directory is mode 700" 700 "$(stat -c %a "$D")"
check "R-OPS-1 --port goes into [server] port" grep -qx 'port = 9443' "$D/shomei.ini"
check "  and base_url stays empty: it follows the port (issue 8 item 3)" \
  grep -qx 'base_url = ' "$D/shomei.ini"
check "R-OPS-1 every setting is documented in shomei.ini" \
  grep -q '^; Key type of root A' "$D/shomei.ini"

for k in root-a root-b dv ov ev; do
  check_eq "R-OPS-1 key file $k.key is mode 600" 600 "$(stat -c %a "$D/keys/$k.key")"
  check_eq "R-OPS-1 key file $k.key is an encrypted PKCS#8 PEM" \
    "-----BEGIN ENCRYPTED PRIVATE KEY-----" "$(head -n 1 "$D/keys/$k.key")"
  if openssl pkey -in "$D/keys/$k.key" -passin pass:not-the-passphrase -noout 2>/dev/null; then
    not_ok "R-OPS-1 key file $k.key opens with a wrong passphrase"
  else
    ok "R-OPS-1 key file $k.key refuses a wrong passphrase"
  fi
  check "R-OPS-1 key file $k.key opens with the passphrase" \
    openssl pkey -in "$D/keys/$k.key" -passin env:SHOMEI_CA_PASSPHRASE -noout
done
check_eq "R-OPS-1 no temporary key files remain" "" "$(ls "$D/keys" | grep -v '\.key$')"

# --- second init refuses and changes nothing ---
before=$(tree_sum "$D")
"$S" init --dir "$D" >"$IT_TMP/second.out" 2>&1
check_eq "R-OPS-1 second init exits 1" 1 $?
check "R-OPS-1 second init says the directory is not empty" \
  grep -q 'not an empty directory' "$IT_TMP/second.out"
"$S" init --dir "$D" --demo --set ca.dv_key=rsa-2048 >/dev/null 2>&1
check_eq "R-OPS-1 second init with --demo exits 1" 1 $?
check_eq "R-OPS-1 second init changed nothing" "$before" "$(tree_sum "$D")"

# --- ca list ---
list=$("$S" ca list --dir "$D")
check_eq "R-ISS-1 ca list exits 0" 0 $?
for n in root-a root-b dv ov ev dv-cross-b ov-cross-b ev-cross-b; do
  check "R-ISS-1 ca list shows $n" grep -qE "^$n +" <<<"$list"
done
check_eq "R-ISS-1 ca list shows 3 cross-certificates" 3 \
  "$(grep -cE '^[a-z]+-cross-b +cross +' <<<"$list")"
fp=$(openssl x509 -in "$D/repository/root-a.pem" -noout -fingerprint -sha256 |
  cut -d= -f2 | tr -d : | tr A-F a-f)
check "R-ISS-1 ca list shows root A's SHA-256 fingerprint" grep -q "$fp" <<<"$list"

# --- chains: 3 levels x 2 roots ---
cat >"$IT_TMP/leaf.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.jp
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=www.example.jp \
  -keyout "$IT_TMP/leaf.key" -out "$IT_TMP/leaf.csr" 2>/dev/null
for level in dv ov ev; do
  for root in a b; do
    c="$IT_TMP/chain-$level-$root.pem"
    "$S" ca chain --dir "$D" --level $level --root $root >"$c"
    check_eq "R-ISS-1 ca chain $level/$root exits 0" 0 $?
    check_eq "R-ISS-1 ca chain $level/$root has 2 certificates" 2 \
      "$(grep -c 'BEGIN CERTIFICATE' "$c")"
    first=$(openssl x509 -in "$c" -noout -subject -nameopt RFC2253)
    check "R-ISS-1 ca chain $level/$root starts with the $level intermediate" \
      grep -q "CN=Shomei Demo ${level^^} CA" <<<"$first"
    check "R-ISS-1 ca chain $level/$root verifies under root $root (-x509_strict)" \
      openssl verify -x509_strict -CAfile "$D/repository/root-$root.pem" -untrusted "$c" "$c"
    other=$([ $root = a ] && echo b || echo a)
    if openssl verify -CAfile "$D/repository/root-$other.pem" "$c" >/dev/null 2>&1; then
      not_ok "R-ISS-1 ca chain $level/$root must not verify under root $other alone"
    else
      ok "R-ISS-1 ca chain $level/$root is specific to root $root"
    fi
    issuer=$([ $root = a ] && echo $level || echo $level-cross-b)
    openssl x509 -req -in "$IT_TMP/leaf.csr" -days 30 -set_serial 0x1234 \
      -CA "$D/repository/$issuer.pem" -CAkey "$D/keys/$level.key" -passin env:SHOMEI_CA_PASSPHRASE \
      -extfile "$IT_TMP/leaf.ext" -out "$IT_TMP/leaf-$level-$root.pem" 2>/dev/null
    check "R-ISS-1 a leaf signed by the $level key verifies for serverAuth through root $root" \
      openssl verify -x509_strict -purpose sslserver -CAfile "$D/repository/root-$root.pem" \
      -untrusted "$c" "$IT_TMP/leaf-$level-$root.pem"
  done
done
cmp -s <(openssl x509 -inform DER -in "$D/repository/ov-cross-b.crt") \
  <(openssl x509 -in "$D/repository/ov-cross-b.pem")
check_eq "R-ISS-1 repository .crt (DER) and .pem hold the same certificate" 0 $?
check "R-ISS-1 intermediate AIA points at the repository with the init port" \
  grep -q 'URI:http://127.0.0.1:9443/repository/root-a.crt' \
  <(openssl x509 -in "$D/repository/dv.pem" -noout -text)

# --- usage errors exit 2 ---
"$S" ca chain --dir "$D" --level xv --root a >/dev/null 2>&1
check_eq "ca chain with an unknown level exits 2" 2 $?
"$S" ca chain --dir "$D" --level dv --root c >/dev/null 2>&1
check_eq "ca chain with an unknown root exits 2" 2 $?
"$S" ca chain --dir "$D" --level dv >/dev/null 2>&1
check_eq "ca chain without --root exits 2" 2 $?
"$S" ca frobnicate --dir "$D" >/dev/null 2>&1
check_eq "ca with an unknown subcommand exits 2" 2 $?
"$S" init --demo >/dev/null 2>&1
check_eq "R-OPS-1 init without --dir exits 2" 2 $?
"$S" init --dir "$IT_TMP/x" --set nosuch.setting=1 >/dev/null 2>&1
check_eq "R-OPS-1 init with an unknown --set exits 2" 2 $?
"$S" init --dir "$IT_TMP/x" --port 70000 >/dev/null 2>&1
check_eq "R-OPS-1 init with a bad port exits 2" 2 $?
check "R-OPS-1 refused inits created nothing" test ! -e "$IT_TMP/x"

# --- key types chosen with --set (R-OPS-1, R-ISS-1) ---
R=$IT_TMP/rsa
"$S" init --dir "$R" --set ca.dv_key=rsa-3072 --set ca.root_a_key=rsa-2048 \
  --set ca.root_b_key=ec-p256 >/dev/null 2>&1
check_eq "R-OPS-1 init with --set key types exits 0" 0 $?
check "R-OPS-1 --set is written into shomei.ini" grep -qx 'dv_key = rsa-3072' "$R/shomei.ini"
check "R-ISS-1 ca list shows the rsa-3072 DV key" grep -qE '^dv +intermediate +dv +rsa-3072' \
  <("$S" ca list --dir "$R")
check "R-ISS-1 the DV intermediate has a 3072-bit RSA key" grep -q 'Public-Key: (3072 bit)' \
  <(openssl x509 -in "$R/repository/dv.pem" -noout -text)
check "R-ISS-1 root A is RSA 2048 signed with SHA-256" grep -q 'sha256WithRSAEncryption' \
  <(openssl x509 -in "$R/repository/root-a.pem" -noout -text)
check "R-ISS-1 the P-384 OV cross-certificate is signed by the P-256 root B with SHA-256" \
  grep -q 'ecdsa-with-SHA256' <(openssl x509 -in "$R/repository/ov-cross-b.pem" -noout -text)
for root in a b; do
  "$S" ca chain --dir "$R" --level dv --root $root >"$IT_TMP/rchain.pem"
  check "R-ISS-1 rsa chain dv/$root verifies" openssl verify -x509_strict \
    -CAfile "$R/repository/root-$root.pem" -untrusted "$IT_TMP/rchain.pem" "$IT_TMP/rchain.pem"
done
"$S" init --dir "$IT_TMP/bad" --set ca.ev_key=ec-p521 >"$IT_TMP/bad.out" 2>&1
check_eq "R-OPS-1 init refuses an unsupported key type" 1 $?
check "R-OPS-1 the refusal names the setting" grep -q 'ev_key' "$IT_TMP/bad.out"
check "R-OPS-1 an unsupported key type created nothing" test ! -e "$IT_TMP/bad"

# --- passphrase ---
env -u SHOMEI_CA_PASSPHRASE "$S" init --dir "$IT_TMP/nopass" >"$IT_TMP/nopass.out" 2>&1
check_eq "R-OPS-1 init without a passphrase (no --demo) exits 1" 1 $?
check "R-OPS-1 it says to set SHOMEI_CA_PASSPHRASE" \
  grep -q SHOMEI_CA_PASSPHRASE "$IT_TMP/nopass.out"
check "R-OPS-1 init without a passphrase created nothing" test ! -e "$IT_TMP/nopass"
env -u SHOMEI_CA_PASSPHRASE "$S" init --dir "$IT_TMP/demo" --demo >"$IT_TMP/demo.out" 2>&1
check_eq "R-OPS-1 init --demo without a passphrase exits 0" 0 $?
pass=$(sed -n 's/^passphrase = //p' "$IT_TMP/demo/shomei.ini")
check "R-OPS-1 --demo stored a generated passphrase in shomei.ini" test ${#pass} -ge 32
check "R-OPS-1 --demo says where the passphrase is" grep -q '\[ca\] passphrase' "$IT_TMP/demo.out"
check "R-OPS-1 the demo keys open with the stored passphrase" \
  openssl pkey -in "$IT_TMP/demo/keys/ev.key" -passin "pass:$pass" -noout

# --- failure midway leaves nothing ---
"$S" init --dir "$IT_TMP/half" --set database.url=sqlite:/nonexistent-dir/x.db \
  >"$IT_TMP/half.out" 2>&1
check_eq "R-OPS-1 init failing at the database exits 1" 1 $?
check "R-OPS-1 a failed init removed the directory it created" test ! -e "$IT_TMP/half"
mkdir "$IT_TMP/empty"
"$S" init --dir "$IT_TMP/empty" --set 'ca.organization=Name ;comment' >/dev/null 2>&1
check_eq "R-OPS-1 init with a value the INI cannot hold exits 1" 1 $?
check "R-OPS-1 a failed init into an empty directory leaves it empty" \
  test -d "$IT_TMP/empty" -a -z "$(ls -A "$IT_TMP/empty")"

# --- issue 8 item 28: root validity within BR 7.1.2.1.1; a leaf never starts before its CA ---
for d in 2921 9133 36500; do
  "$S" init --dir "$IT_TMP/rd$d" --set ca.root_days=$d >"$IT_TMP/rd.out" 2>&1
  check_eq "issue 8 item 28 BR 7.1.2.1.1 root_days=$d is refused" 1 $?
  check "issue 8 item 28 the refusal names root_days ($d)" grep -q root_days "$IT_TMP/rd.out"
  check "issue 8 item 28 a refused root_days=$d created nothing" test ! -e "$IT_TMP/rd$d"
done
for d in 2922 9132; do
  "$S" init --dir "$IT_TMP/rd$d" --set ca.root_days=$d --set ca.intermediate_days=1000 \
    >/dev/null 2>&1
  check_eq "issue 8 item 28 BR 7.1.2.1.1 root_days=$d is accepted" 0 $?
done
T=$IT_TMP/nb
"$S" init --dir "$T" --test-ca >/dev/null 2>&1 || not_ok "issue 8 item 28 test-ca init"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$IT_TMP/nb.key" \
  -out "$IT_TMP/nb.csr" -subj /CN=nb.example.com 2>/dev/null
"$S" issue --dir "$T" --csr "$IT_TMP/nb.csr" --name nb.example.com --level dv >"$IT_TMP/nb.pem" \
  2>/dev/null
check_eq "issue 8 item 28 a leaf signed right after init is issued" 0 $?
leaf_nb=$(date -d "$(openssl x509 -in "$IT_TMP/nb.pem" -noout -startdate | cut -d= -f2)" +%s)
ca_nb=$(date -d "$(openssl x509 -in "$T/repository/dv.pem" -noout -startdate | cut -d= -f2)" +%s)
check "issue 8 item 28 the leaf's notBefore is not before its issuer's ($leaf_nb >= $ca_nb)" \
  test "$leaf_nb" -ge "$ca_nb"
check "issue 8 item 28 the leaf verifies at its own notBefore" openssl verify -x509_strict \
  -attime "$leaf_nb" -CAfile "$T/repository/root-a.pem" -untrusted "$T/repository/dv.pem" \
  "$IT_TMP/nb.pem"

it_done
