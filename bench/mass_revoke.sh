#!/usr/bin/env bash
# Mass revocation (BR SC-089, issue 9 item 4): N certificates (default 10,000) issued in one
# batch, then `shomei revoke --ca dv --issued-between TODAY TODAY` revokes them in one run
# and the next CRL must list all of them. Runs tests/it/mass_revoke.sh with N; the test
# prints the time of the revocation run.
# Usage: bench/mass_revoke.sh SHOMEI_BINARY [N]
set -euo pipefail
SHOMEI_BIN=$(realpath "${1:?shomei binary}")
export SHOMEI_BIN MASS_REVOKE_N=${2:-10000}
export SHOMEI_CA_PASSPHRASE=${SHOMEI_CA_PASSPHRASE:-bench-passphrase}
exec bash "$(dirname "$0")/../tests/it/mass_revoke.sh"
