#!/usr/bin/env bash
# R-CSR-3 (with R-CSR-1, R-CSR-2, R-CSR-4): `shomei csr check [--json] [--lang ja|en] FILE`
# as a user runs it: exit 0 acceptable, 1 rejected, 2 usage error; one "code: message"
# line per problem; --json output read back by python3; Japanese unless LANG=en*.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
data=$(cd "$here/../unit/data/csr" && pwd)
out=$IT_TMP/out
unset LC_ALL
export LANG=ja_JP.UTF-8

run() { # FILE-OR-ARGS... -> sets rc, output in $out
  "$SHOMEI_BIN" csr "$@" >"$out" 2>"$out.err"
  rc=$?
}

run check "$data/ok_rsa2048.pem"
check_eq "acceptable CSR exits 0" 0 "$rc"
check "Japanese verdict by default" grep -q '^判定: 受付可能$' "$out"
check "key type and size shown" grep -q '^鍵: RSA 2048ビット$' "$out"
check "SANs shown" grep -q '^SAN: www.example.co.jp$' "$out"

run check "$data/bad_rsa1024.pem"
check_eq "rejected CSR exits 1" 1 "$rc"
check "problem printed as code: message" \
  grep -q '^csr.key.rsa_too_small: RSA鍵が短すぎます' "$out"

run check --lang en "$data/bad_sha1.pem"
check_eq "--lang en rejected exits 1" 1 "$rc"
check "--lang en prints English" grep -q '^csr.sig.sha1: CSRs signed with SHA-1' "$out"
LANG=en_US.UTF-8 "$SHOMEI_BIN" csr check "$data/ok_p256.pem" >"$out" 2>&1
check_eq "LANG=en acceptable exits 0" 0 "$?"
check "LANG=en prints English" grep -q '^Result: acceptable$' "$out"

"$SHOMEI_BIN" csr check - <"$data/ok_crlf.pem" >"$out" 2>&1
check_eq "stdin (-) with CRLF exits 0" 0 "$?"

run check --json "$data/ok_japanese.pem"
check_eq "--json acceptable exits 0" 0 "$rc"
check "--json: Japanese subject byte-exact, OU notice" python3 -c '
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
assert j["acceptable"] is True, j
assert j["o"] == "株式会社テスト" and j["l"] == "千代田区", j
assert j["key"] == {"type": "EC", "bits": 256, "curve": "P-256"}, j["key"]
assert [p["code"] for p in j["problems"]] == ["csr.subject.ou_dropped"], j["problems"]
assert j["problems"][0]["severity"] == "notice"
' "$out"

run check --json "$data/bad_internal.pem"
check_eq "--json rejected exits 1" 1 "$rc"
check "--json: every internal name has its code" python3 -c '
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
codes = [p["code"] for p in j["problems"]]
assert j["acceptable"] is False
assert codes.count("name.internal") == 3 and "name.single_label" in codes, codes
assert all(p["message_ja"] and p["message_en"] for p in j["problems"])
' "$out"

run check "$data/bad_privkey_rsa.pem"
check_eq "private key exits 1" 1 "$rc"
check "private key: warned with its code" grep -q '^csr.input.private_key: ' "$out"
keyline=$(sed -n 2p "$data/bad_privkey_rsa.pem")
check "private key: not echoed" bash -c '! grep -qF -- "$1" "$2"' _ "${keyline:0:20}" "$out"

run check "$data/bad_certificate.pem"
check_eq "certificate instead of CSR exits 1" 1 "$rc"
check "certificate: its own code" grep -q '^csr.input.certificate: ' "$out"

run check "$IT_TMP/does-not-exist.pem"
check_eq "missing file exits 1" 1 "$rc"

run check
check_eq "no FILE is a usage error" 2 "$rc"
run check --bogus "$data/ok_p256.pem"
check_eq "unknown flag is a usage error" 2 "$rc"
check "usage printed on stderr" grep -q 'usage: shomei csr check' "$out.err"
run check --lang fr "$data/ok_p256.pem"
check_eq "unknown language is a usage error" 2 "$rc"
run check "$data/ok_p256.pem" "$data/ok_p384.pem"
check_eq "two files is a usage error" 2 "$rc"
run
check_eq "no subcommand is a usage error" 2 "$rc"
run verify "$data/ok_p256.pem"
check_eq "unknown subcommand is a usage error" 2 "$rc"

it_done
