#!/usr/bin/env bash
# CRL with many revoked entries (issue 9 item 9; R-REV-2): N revoked certificates (default
# 100,000) of the DV CA, (a) `shomei crl --level dv` signs the DV CA's full CRL, (b)
# `openssl ca -gencrl` on the same serials, revocation times and reasons; time (wall and
# CPU, whole process: shomei's includes opening the database, decrypting the CA key
# (scrypt), linting, storing the CRL in the database and writing the file) and size of
# each, and the ratio (goal: shomei >= 3x faster). The server's CRL job keeps the CA key
# open (decrypted once per process), so the line "CRL job" gives what one run of the job
# costs: signing, linting and storing, as `shomei crl` reports it after opening the key,
# against the whole openssl process. Each is run once before it is timed
# (the page cache warm, as on a running CA). Then the time of one revocation (`shomei
# revoke --serial`, process start to commit) with 0 and with N revoked entries, the median
# of 5 runs each (goal: the same; a revocation never waits for a CRL). The revoked rows
# are written into the database directly (SQLite), the way a long-running CA accumulates
# them.
# Usage: bench/crl.sh SHOMEI_BINARY [N]
set -euo pipefail
S=$(realpath "${1:?shomei binary}")
N=${2:-100000}
T=$(mktemp -d "${TMPDIR:-/tmp}/shomei-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export SHOMEI_CA_PASSPHRASE=bench-passphrase
now_ms() { date +%s%3N; }
D=$T/shomei
"$S" init --dir "$D" --test-ca >/dev/null
DB=$D/shomei.db
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -out "$T/c.csr" -subj /CN=b.example.com 2>/dev/null
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "$T/c.csr r$i.example.com"; done >"$T/few.txt"
"$S" issue --dir "$D" --batch "$T/few.txt" --level dv >/dev/null 2>&1

one_revocation() { # -> median ms of 5 single revocations
  local s ms=()
  for s in $(sqlite3 "$DB" "SELECT serial FROM certificates WHERE state = 'issued' AND
      level = 'dv' AND cn LIKE 'r%' ORDER BY id LIMIT 5"); do
    local t0
    t0=$(now_ms)
    "$S" revoke --dir "$D" --serial "$s" --reason superseded >/dev/null 2>&1
    ms+=($(($(now_ms) - t0)))
  done
  printf '%s\n' "${ms[@]}" | sort -n | sed -n 3p
}
rev0=$(one_revocation)

# N revoked entries: random 16-byte serials, times over the last 100 days, BR reasons
CA=$(sqlite3 "$DB" "SELECT ca_id FROM certificates WHERE level = 'dv' LIMIT 1")
NOW=$(date +%s)
/usr/bin/python3 - "$N" "$CA" "$NOW" "$T" <<'PY' | sqlite3 "$DB"
import os, random, sys
n, ca, now, t = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
reasons = [0, 1, 3, 4, 5]
names = {0: None, 1: "keyCompromise", 3: "affiliationChanged", 4: "superseded",
         5: "cessationOfOperation"}
print("BEGIN;")
import time
with open(os.path.join(t, "index.txt"), "w") as idx:
    for i in range(n):
        serial = "%032x" % random.getrandbits(127 | 1)
        serial = serial.lstrip("0") or "0"
        rt = now - random.randint(60, 100 * 86400)
        r = random.choice(reasons)
        print("INSERT INTO certificates (serial, ca_id, state, level, root, reserved_at, "
              "issued_at, not_before, not_after, revoked_at, revocation_reason) VALUES "
              "('%s', %d, 'revoked', 'dv', 'a', %d, %d, %d, %d, %d, %d);"
              % (serial, ca, rt - 86400, rt - 86400, rt - 86400, now + 100 * 86400, rt, r))
        exp = time.strftime("%y%m%d%H%M%SZ", time.gmtime(now + 100 * 86400))
        rts = time.strftime("%y%m%d%H%M%SZ", time.gmtime(rt))
        hexs = serial.upper()
        if len(hexs) % 2:
            hexs = "0" + hexs
        field = rts + ("," + names[r] if names[r] else "")
        idx.write("R\t%s\t%s\t%s\tunknown\t/CN=r%d.example.com\n" % (exp, field, hexs, i))
print("COMMIT;")
PY

cpu_of() { awk '{printf "%d", ($1 + $2) * 1000}' "$1"; } # user + sys seconds -> ms
# (a) shomei
"$S" crl --dir "$D" --level dv >/dev/null 2>&1
t0=$(now_ms)
/usr/bin/time -f '%U %S' -o "$T/cpu_s" "$S" crl --dir "$D" --level dv >"$T/crl.out" 2>"$T/crl.err"
ms_s=$(($(now_ms) - t0))
cpu_s=$(cpu_of "$T/cpu_s")
size_s=$(sqlite3 "$DB" "SELECT length(der) FROM crls WHERE issuer = 'dv'")
count_s=$(sqlite3 "$DB" "SELECT revoked_count FROM crls WHERE issuer = 'dv'")
sqlite3 "$DB" "SELECT hex(der) FROM crls WHERE issuer = 'dv'" | xxd -r -p >"$T/shomei.crl"
listed_s=$(openssl crl -inform DER -in "$T/shomei.crl" -noout -text | grep -c 'Serial Number:')

# (b) openssl ca -gencrl on the same entries, a P-256 CA like ours
C=$T/ossl
mkdir -p "$C"
cp "$T/index.txt" "$C/index.txt"
echo 1000 >"$C/crlnumber"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/ca.key" \
  -out "$C/ca.crt" -subj "/C=JP/O=Bench/CN=Bench DV CA" -days 365 2>/dev/null
cat >"$C/ca.cnf" <<CNF
[ ca ]
default_ca = bench
[ bench ]
dir = $C
database = \$dir/index.txt
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
default_md = sha256
default_crl_days = 7
crl_extensions = crlext
unique_subject = no
[ crlext ]
authorityKeyIdentifier = keyid
CNF
openssl ca -gencrl -config "$C/ca.cnf" -out "$C/crl.pem" 2>"$T/ossl.err" ||
  { cat "$T/ossl.err" >&2; exit 1; }
t0=$(now_ms)
/usr/bin/time -f '%U %S' -o "$T/cpu_o" openssl ca -gencrl -config "$C/ca.cnf" \
  -out "$C/crl.pem" 2>"$T/ossl.err" || { cat "$T/ossl.err" >&2; exit 1; }
ms_o=$(($(now_ms) - t0))
cpu_o=$(cpu_of "$T/cpu_o")
openssl crl -in "$C/crl.pem" -outform DER -out "$C/crl.der"
size_o=$(stat -c %s "$C/crl.der")
listed_o=$(openssl crl -inform DER -in "$C/crl.der" -noout -text | grep -c 'Serial Number:')

revN=$(one_revocation)
steps=$(grep -o 'ms="[^"]*"' "$T/crl.err" | head -1)
awk -v n="$N" -v ms="$ms_s" -v mo="$ms_o" -v ss="$size_s" -v so="$size_o" -v ls="$listed_s" \
  -v lo="$listed_o" -v cs="$count_s" -v r0="$rev0" -v rn="$revN" -v inner="$(cat "$T/crl.out")" \
  -v cps="$cpu_s" -v cpo="$cpu_o" -v steps="$steps" 'BEGIN {
  printf "revoked entries: %d (shomei CRL lists %d, counted %d; openssl CRL lists %d)\n", n, ls, cs, lo
  printf "shomei crl --level dv (process): %d ms wall, %d ms CPU  [%s; %s]\n", ms, cps, inner, steps
  printf "openssl ca -gencrl (process): %d ms wall, %d ms CPU\n", mo, cpo
  printf "speed ratio (openssl / shomei): %.2fx wall, %.2fx CPU (goal >= 3x)\n", mo / ms, cpo / (cps > 0 ? cps : 1)
  if (match(inner, /in [0-9.]+ s \(CA keys opened before in [0-9.]+ s\)/)) {
    split(substr(inner, RSTART, RLENGTH), w, " ")
    job = w[2] * 1000; keys = w[9] * 1000
    printf "CRL job (CA key kept open, as shomei serve runs it): %d ms, the key opening %d ms" \
      " apart; openssl process / job: %.2fx wall (goal >= 3x)\n", job, keys, mo / (job > 0 ? job : 1)
  }
  printf "size: shomei %d bytes, openssl %d bytes (%.3f)\n", ss, so, ss / so
  printf "one revocation (shomei revoke, median of 5): %d ms with 0 revoked, %d ms with %d revoked (%.2f)\n", r0, rn, n, rn / (r0 > 0 ? r0 : 1)
}'
