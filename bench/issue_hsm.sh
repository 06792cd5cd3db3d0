#!/usr/bin/env bash
# Issuance with the CA keys in a PKCS#11 token (R-OPS-1, issue 13 item 1): the same N
# certificates from pre-made CSRs signed by `shomei issue --batch` once with file keys and
# once with the keys in SoftHSM2 (a token made in a temporary directory), both on one
# thread and on two; prints each rate and the token/file ratio. SoftHSM2 signs in software
# in the same process, so the ratio measures the cost of the PKCS#11 path (session lock,
# C_SignInit/C_Sign, attribute handling), not of a hardware device.
# Usage: bench/issue_hsm.sh SHOMEI_BINARY [N]
set -euo pipefail
S=$(realpath "${1:?shomei binary}")
N=${2:-1000}
T=$(mktemp -d "${TMPDIR:-/tmp}/shomei-bench-hsm.XXXXXX")
trap 'rm -rf "$T"' EXIT
export SHOMEI_CA_PASSPHRASE=bench-passphrase SHOMEI_HSM_PIN=bench-pin
now_ms() { date +%s%3N; }

MODULE=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
  [ -f "$m" ] && { MODULE=$m; break; }
done
[ -n "$MODULE" ] || { echo "bench/issue_hsm.sh: SoftHSM2 is not installed (scripts/deps)" >&2; exit 1; }
export SOFTHSM2_CONF=$T/softhsm2.conf
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$T/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --pin "$SHOMEI_HSM_PIN" --so-pin bench-so \
  >/dev/null

mkdir -p "$T/csr"
for i in $(seq 1 "$N"); do
  name="h$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n').example.com"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$T/csr/$i.csr" -subj "/CN=$name" -addext "subjectAltName=DNS:$name" 2>/dev/null
  echo "$T/csr/$i.csr $name" >>"$T/batch.txt"
done

"$S" init --dir "$T/file" --test-ca >/dev/null 2>&1
"$S" init --dir "$T/hsm" --test-ca --set "hsm.module=$MODULE" --set hsm.token=bench \
  >/dev/null 2>&1
run() { # DIR THREADS -> elapsed ms
  local t0 t1
  t0=$(now_ms)
  "$S" issue --dir "$1" --batch "$T/batch.txt" --level dv --threads "$2" >"$T/out.pem" \
    2>"$T/err" || { cat "$T/err" >&2; exit 1; }
  t1=$(now_ms)
  [ "$(grep -c 'BEGIN CERTIFICATE' "$T/out.pem")" -eq "$N" ] ||
    { echo "too few certificates" >&2; exit 1; }
  echo $((t1 - t0))
}
for th in 1 2; do
  f=$(run "$T/file" "$th")
  h=$(run "$T/hsm" "$th")
  awk -v n="$N" -v f="$f" -v h="$h" -v th="$th" 'BEGIN {
    printf "issue %d certs, %d thread(s): file keys %.0f/s, SoftHSM2 token keys %.0f/s, token/file ratio %.2f\n",
      n, th, n * 1000 / f, n * 1000 / h, f / h }'
done
