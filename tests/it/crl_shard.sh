#!/usr/bin/env bash
# Sharded CRLs (R-REV-2, issue 9 item 5; BR 7.2, RFC 5280 5.2.5): with [revocation]
# crl_shards_dv = 3 every new DV certificate is bound to one of three shards at issuance and
# its CDP names {repository}/dv-K.crl; each shard's CRL carries a critical Issuing
# Distribution Point whose URI is exactly that CDP (onlyContainsUserCerts), verifies with
# `openssl crl -verify` and answers `openssl verify -crl_check`; /crl-urls.json lists every
# full CRL; a certificate revoked in shard 2 is listed by shard 2 only, and only shard 2 is
# re-signed (the others keep their CRL number).
. "$(dirname "$0")/lib.sh"

R=http://repo.shomei.test/repository
test_ca_init --set revocation.crl_check_seconds=1 --set "ca.repository_url=$R" \
  --set revocation.crl_shards_dv=3

"$S" ca chain --dir "$D" --level dv --root a >"$W/chain.pem"
awk -v a="$W/int.pem" -v b="$W/root.pem" '/BEGIN/{n++} {print > (n == 1 ? a : b)}' "$W/chain.pem"

issue() { # NAME -> $W/NAME.pem; prints the shard its CDP names
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$W/$1.csr" -subj "/CN=$1.example.com" 2>/dev/null
  "$S" issue --dir "$D" --csr "$W/$1.csr" --name "$1.example.com" --level dv \
    >"$W/$1.pem" 2>"$W/$1.err" || return 1
  openssl x509 -in "$W/$1.pem" -noout -ext crlDistributionPoints | grep -o 'URI:.*' |
    sed -E 's|.*/dv-([0-9]+)\.crl$|\1|'
}
cdp_of() { openssl x509 -in "$W/$1.pem" -noout -ext crlDistributionPoints |
  grep -o 'URI:.*' | sed 's/^URI://'; }

# one certificate in shard 2 and one in another shard (the shard follows the random serial)
in2="" other=""
for i in $(seq 1 40); do
  k=$(issue "c$i") || { not_ok "issue c$i: $(cat "$W/c$i.err")"; it_done; }
  echo "$k" >"$W/c$i.shard"
  if [ "$k" = 2 ] && [ -z "$in2" ]; then in2=c$i; fi
  if [ "$k" != 2 ] && [ -z "$other" ]; then other=c$i; fi
  [ -n "$in2" ] && [ -n "$other" ] && break
done
check "R-REV-2 a certificate was bound to shard 2 and one to another shard" \
  test -n "$in2" -a -n "$other"
[ -n "$in2" ] && [ -n "$other" ] || it_done
k_other=$(cat "$W/$other.shard")
check "R-REV-2 the CDP names the shard: $R/dv-2.crl" test "$(cdp_of "$in2")" = "$R/dv-2.crl"
check "R-REV-2 every shard is one of 1..3" \
  bash -c "! cat '$W'/c*.shard | grep -vqE '^[123]$'"
if [ -z "${SHOMEI_TEST_PG_URL:-}" ]; then
  serial2=$(openssl x509 -in "$W/$in2.pem" -noout -serial | cut -d= -f2 | tr A-F a-f |
    sed 's/^0*//')
  check_eq "R-REV-2 the shard is stored with the certificate" 2 \
    "$(sqlite3 "$D/shomei.db" "SELECT crl_shard FROM certificates WHERE serial = '$serial2'")"
fi

start_server "$D" || { not_ok "server"; it_done; }
fetch() { # NAME (dv, dv-1 ..) -> $W/NAME.crl.pem and $W/NAME.txt
  curl -fsS -o "$W/$1.crl" "$IT_URL/repository/$1.crl" || return 1
  openssl crl -inform DER -in "$W/$1.crl" -out "$W/$1.crl.pem" 2>/dev/null || return 1
  openssl crl -in "$W/$1.crl.pem" -noout -text >"$W/$1.txt" 2>/dev/null
}
all_published() { fetch dv && fetch dv-1 && fetch dv-2 && fetch dv-3; }
check "R-REV-2 the CRL of every shard is published soon after start" wait_for 30 all_published
number() { grep -A1 'X509v3 CRL Number' "$W/$1.txt" | tail -1 | tr -d ' '; }
for c in dv dv-1 dv-2 dv-3; do
  check "R-REV-2 BR 7.2 $c.crl verifies with the issuing CA (openssl crl -verify)" \
    bash -c "openssl crl -in '$W/$c.crl.pem' -CAfile '$W/int.pem' -noout -verify 2>&1 |
      grep -q 'verify OK'"
  check "R-REV-2 $c.crl carries a critical Issuing Distribution Point" \
    grep -q 'Issuing Distribution Point: critical' "$W/$c.txt"
  check "R-REV-2 $c.crl IDP names exactly $R/$c.crl, user certificates only" \
    bash -c "grep -A3 'Issuing Distribution Point' '$W/$c.txt' | grep -qE 'URI:$R/$c\.crl *Only User Certificates$'"
  lu=$(date -u -d "$(grep 'Last Update' "$W/$c.txt" | sed 's/.*Update: //')" +%s)
  nu=$(date -u -d "$(grep 'Next Update' "$W/$c.txt" | sed 's/.*Update: //')" +%s)
  check "R-REV-2 BR 7.2 $c.crl nextUpdate at most 10 days on" \
    test $((nu - lu)) -gt 0 -a $((nu - lu)) -le 864000
  echo "$(number $c)" >"$W/$c.n1"
done
check "R-REV-2 the IDP of shard 2 matches the CDP of its certificate (x509 -text vs crl -text)" \
  bash -c "grep -qF 'URI:$(cdp_of "$in2")' '$W/dv-2.txt'"
json=$(curl -fsS "$IT_URL/crl-urls.json")
check "R-REV-2 /crl-urls.json (CCADB) lists every full CRL URL, each shard included" \
  /usr/bin/python3 -c 'import json, sys; a = json.loads(sys.argv[1]); u = sys.argv[2]
want = [u + "/dv.crl", u + "/dv-1.crl", u + "/dv-2.crl", u + "/dv-3.crl", u + "/ov.crl",
        u + "/ev.crl"]
assert sorted(a) == sorted(want), a' "$json" "$R"

# --- revoke the shard-2 certificate ---
s2=$(openssl x509 -in "$W/$in2.pem" -noout -serial | cut -d= -f2)
"$S" revoke --dir "$D" --serial "$s2" --reason keyCompromise >/dev/null 2>&1
check_eq "R-REV-3 revoke exits 0" 0 $?
listed() { fetch dv-2 && grep -qi "Serial Number: $s2" "$W/dv-2.txt"; }
check "R-REV-2 shard 2 is re-signed with the revoked certificate (job crl.sign)" wait_for 30 listed
sleep 2 # a few more passes of the CRL job: the other shards must stay as they were
all_published
check "R-REV-2 shard 2's CRL number grew" test "$(number dv-2)" -gt "$(cat "$W/dv-2.n1")"
for c in dv dv-1 dv-3; do
  check "R-REV-2 $c.crl does not list the certificate of shard 2" \
    bash -c "! grep -qi 'Serial Number: $s2' '$W/$c.txt'"
  check_eq "R-REV-2 $c.crl was not re-signed (only the shard affected is)" \
    "$(cat "$W/$c.n1")" "$(number $c)"
done
cverify() { # CERT CRLNAME -> openssl verify -crl_check output
  openssl verify -crl_check -CAfile "$W/root.pem" -untrusted "$W/int.pem" \
    -CRLfile "$W/$2.crl.pem" "$W/$1.pem" 2>&1
}
check "R-REV-2 openssl verify -crl_check with shard 2: revoked" \
  grep -q 'certificate revoked' <<<"$(cverify "$in2" dv-2)"
check "R-REV-2 openssl verify -crl_check with its own shard: the other certificate is OK" \
  grep -q ': OK' <<<"$(cverify "$other" "dv-$k_other")"
check "R-REV-2 another shard's CRL does not cover the certificate (different CRL scope)" \
  bash -c "! grep -q ': OK' <<<\"\$1\"" _ "$(cverify "$in2" "dv-$k_other")"
for c in dv-1 dv-2 dv-3; do
  check "R-REV-2 $c.crl still verifies after the revocation (openssl crl -verify)" \
    bash -c "openssl crl -in '$W/$c.crl.pem' -CAfile '$W/int.pem' -noout -verify 2>&1 |
      grep -q 'verify OK'"
done
it_done
