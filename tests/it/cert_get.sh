#!/usr/bin/env bash
# shomei cert get: every download format of R-DL-1, checked with openssl as the outside
# verifier. R-ISS-1: the full chain of a root A leaf verifies through the intermediate and
# root A, that of a root B leaf through the cross-certificate and root B; neither holds a
# root. PKCS#7 holds exactly leaf + issuing CA. Unknown serial exits 1, unknown format 2.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
W=$IT_TMP/work
mkdir -p "$W"
"$S" init --dir "$D" --test-ca >/dev/null 2>&1 || { not_ok "init"; it_done; }

csr() { # NAME KEYSPEC SUBJECT -> $W/NAME.csr
  openssl req -new -newkey "$2" -nodes -keyout "$W/$1.key" -out "$W/$1.csr" -subj "$3" \
    2>/dev/null
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
fp() { openssl x509 -in "$1" -inform "${2:-PEM}" -noout -fingerprint -sha256 | cut -d= -f2; }
ncerts() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1"; }
split_pem() { # FILE PREFIX -> PREFIX1.pem PREFIX2.pem ...
  awk -v p="$2" '/-----BEGIN CERTIFICATE-----/{n++} n>0 {print > (p n ".pem")}' "$1"
}
verify() { # ROOT UNTRUSTED LEAF
  openssl verify -x509_strict -purpose sslserver -CAfile "$1" -untrusted "$2" "$3" \
    >/dev/null 2>&1
}
get() { # SERIAL FORMAT OUT
  "$S" cert get --dir "$D" --serial "$1" --format "$2" --out "$3" 2>"$W/get.err"
}
no_self_signed() { # FILE: no certificate in it has subject = issuer (no root)
  local c
  split_pem "$1" "$W/nss-"
  for c in "$W"/nss-*.pem; do
    [ "$(openssl x509 -in "$c" -noout -subject | cut -d= -f2-)" != \
      "$(openssl x509 -in "$c" -noout -issuer | cut -d= -f2-)" ] || return 1
  done
  rm -f "$W"/nss-*.pem
}

# roots and the CA certificates of the hierarchy, from the operator's own chain command
for l in dv ov; do
  for r in a b; do
    "$S" ca chain --dir "$D" --level $l --root $r >"$W/$l-$r.pem"
    split_pem "$W/$l-$r.pem" "$W/$l-$r-"
  done
done
cp "$W/dv-a-2.pem" "$W/root-a.pem"
cp "$W/dv-b-2.pem" "$W/root-b.pem"

csr dv ec:<(openssl ecparam -name prime256v1) "/CN=www.example.com"
"$S" issue --dir "$D" --csr "$W/dv.csr" --name www.example.com --level dv >"$W/dv.pem" \
  2>/dev/null
check_eq "R-ISS-1 DV certificate (root A) issued" 0 $?
csr ov rsa:2048 "/CN=shop.example.co.jp"
"$S" issue --dir "$D" --csr "$W/ov.csr" --name shop.example.co.jp --level ov --root b \
  --org "株式会社 証明テスト" --locality "千代田区" --state "東京都" --country JP \
  >"$W/ov.pem" 2>/dev/null
check_eq "R-ISS-1 OV certificate (root B) issued" 0 $?

for c in dv:a ov:b; do
  k=${c%%:*}
  r=${c##*:}
  o=$([ "$r" = a ] && echo b || echo a)
  s=$(serial_of "$W/$k.pem")
  O=$W/$k-out
  mkdir -p "$O"

  get "$s" pem "$O/cert.pem"
  check_eq "R-DL-1 $k cert.pem exits 0" 0 $?
  check_eq "R-DL-1 $k cert.pem is the issued certificate alone" "1 $(fp "$W/$k.pem")" \
    "$(ncerts "$O/cert.pem") $(fp "$O/cert.pem")"
  check "R-DL-1 $k cert.pem is the text the issuance printed" cmp -s "$O/cert.pem" "$W/$k.pem"

  get "$s" der "$O/cert.der"
  check_eq "R-DL-1 $k cert.der exits 0" 0 $?
  check_eq "R-DL-1 $k cert.der is the same certificate in DER" "$(fp "$W/$k.pem")" \
    "$(fp "$O/cert.der" DER)"
  check "R-DL-1 $k cert.der is binary DER, not PEM" \
    bash -c '! grep -q "BEGIN CERTIFICATE" "$1"' _ "$O/cert.der"

  get "$s" intermediate "$O/intermediate.pem"
  check_eq "R-DL-1 $k intermediate.pem exits 0" 0 $?
  check_eq "R-DL-1 R-ISS-1 $k intermediate.pem is the $k intermediate of root A" \
    "1 $(fp "$W/$k-a-1.pem")" "$(ncerts "$O/intermediate.pem") $(fp "$O/intermediate.pem")"
  check "R-DL-1 R-ISS-1 $k leaf verifies with intermediate.pem and root A (3 tiers)" \
    verify "$W/root-a.pem" "$O/intermediate.pem" "$O/cert.pem"

  get "$s" intermediate-cross "$O/intermediate-cross.pem"
  check_eq "R-DL-1 $k intermediate-cross.pem exits 0" 0 $?
  check_eq "R-DL-1 R-ISS-1 $k intermediate-cross.pem is the cross-certificate of root B" \
    "1 $(fp "$W/$k-b-1.pem")" \
    "$(ncerts "$O/intermediate-cross.pem") $(fp "$O/intermediate-cross.pem")"
  check "R-DL-1 R-ISS-1 $k leaf verifies with intermediate-cross.pem and root B" \
    verify "$W/root-b.pem" "$O/intermediate-cross.pem" "$O/cert.pem"

  get "$s" fullchain "$O/fullchain.pem"
  check_eq "R-DL-1 $k fullchain.pem exits 0" 0 $?
  split_pem "$O/fullchain.pem" "$O/fc-"
  check_eq "R-DL-1 $k fullchain.pem is leaf + issuing CA of root $r" \
    "2 $(fp "$W/$k.pem") $(fp "$W/$k-$r-1.pem")" \
    "$(ncerts "$O/fullchain.pem") $(fp "$O/fc-1.pem") $(fp "$O/fc-2.pem")"
  check "R-DL-1 $k fullchain.pem holds no root" no_self_signed "$O/fullchain.pem"
  check "R-DL-1 R-ISS-1 $k fullchain.pem verifies against root $r (openssl verify)" \
    verify "$W/root-$r.pem" "$O/fullchain.pem" "$O/fullchain.pem"
  check "R-ISS-1 $k fullchain.pem does not verify against root $o alone" \
    bash -c '! openssl verify -CAfile "$1" -untrusted "$2" "$2" >/dev/null 2>&1' _ \
    "$W/root-$o.pem" "$O/fullchain.pem"

  get "$s" p7b "$O/cert.p7b"
  check_eq "R-DL-1 $k cert.p7b exits 0" 0 $?
  openssl pkcs7 -inform DER -in "$O/cert.p7b" -print_certs -out "$O/p7.pem" 2>/dev/null
  check_eq "R-DL-1 $k openssl pkcs7 reads cert.p7b (DER)" 0 $?
  split_pem "$O/p7.pem" "$O/p7-"
  check_eq "R-DL-1 $k cert.p7b holds exactly leaf + issuing CA of root $r" \
    "2 $(fp "$W/$k.pem") $(fp "$W/$k-$r-1.pem")" \
    "$(ncerts "$O/p7.pem") $(fp "$O/p7-1.pem") $(fp "$O/p7-2.pem")"
  check "R-DL-1 R-ISS-1 $k chain from cert.p7b verifies against root $r" \
    verify "$W/root-$r.pem" "$O/p7.pem" "$O/p7.pem"

  "$S" cert get --dir "$D" --serial "$s" --format chain >"$O/stdout.pem" 2>/dev/null
  check "R-DL-1 $k 'chain' to standard output is fullchain.pem" \
    cmp -s "$O/stdout.pem" "$O/fullchain.pem"
done

# serials as people write them: upper case, colons, leading zeros
s=$(openssl x509 -in "$W/dv.pem" -noout -serial | cut -d= -f2 | sed 's/../&:/g; s/:$//')
"$S" cert get --dir "$D" --serial "00:$s" --format der --out "$W/colon.der" 2>/dev/null
check "R-DL-1 serial in upper case with colons and a leading zero" \
  cmp -s "$W/colon.der" "$W/dv-out/cert.der"

# bad input: clear message, exit 1 / 2, nothing written
"$S" cert get --dir "$D" --serial 1234567890abcdef --format pem --out "$W/none.pem" \
  2>"$W/err" >/dev/null
check_eq "R-DL-1 unknown serial exits 1" 1 $?
check "R-DL-1 unknown serial: clear message in Japanese and English" \
  grep -q '証明書はありません / no certificate with this serial number' "$W/err"
check "R-DL-1 unknown serial writes no file" test ! -e "$W/none.pem"
s=$(serial_of "$W/dv.pem")
"$S" cert get --dir "$D" --serial "$s" --format crt --out "$W/none.pem" 2>"$W/err" >/dev/null
check_eq "R-DL-1 unknown format exits 2" 2 $?
check "R-DL-1 unknown format: message names it and the formats" \
  grep -q "unknown format 'crt' (pem der intermediate intermediate-cross fullchain p7b)" \
  "$W/err"
"$S" cert get --dir "$D" --serial "zz-$s" --format pem 2>"$W/err" >/dev/null
check_eq "R-DL-1 malformed serial exits 2" 2 $?
check "R-DL-1 malformed serial: clear message" grep -q 'up to 40 hex digits' "$W/err"
"$S" cert get --dir "$D" --serial "$s" >/dev/null 2>&1
check_eq "R-DL-1 missing --format exits 2" 2 $?
"$S" cert list --dir "$D" >/dev/null 2>&1
check_eq "unknown cert subcommand exits 2" 2 $?
"$S" cert get --dir "$IT_TMP/nowhere" --serial "$s" --format pem >/dev/null 2>&1
check_eq "R-DL-1 missing data directory exits 1" 1 $?
check "R-DL-1 nothing was written for refused requests" test ! -e "$W/none.pem"

it_done
