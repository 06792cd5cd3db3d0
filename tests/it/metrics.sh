#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# R-OPS-1 (issue 13 item 5): [metrics] listen serves GET /metrics in the Prometheus text
# format on an address of its own: `promtool check metrics` accepts it (a strict parse
# plus the naming lint), counters move when work is done (HTTP responses by route and
# status, OCSP answers, job runs), the database's figures are there (outbox depth and age,
# job lag, CRL age), an address outside [metrics] allow gets 403 and the public port has no
# /metrics. A bad [metrics] listen stops the start with a message naming it.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null 2>&1 || { not_ok "promtool installed (scripts/deps: prometheus)"; it_done; }
MP=$(free_port)
M="http://127.0.0.1:$MP/metrics"
ocsp_setup --set "metrics.listen=127.0.0.1:$MP"
ocsp_issue m1 || { not_ok "issue"; it_done; }
ocsp_serve
scrape() { curl -s -o "$IT_TMP/$1" -w '%{http_code}' "$M"; }
val() { # FILE SERIES -> value (0 when absent)
  awk -v s="$2" 'index($0, s" ") == 1 {v = $NF} END {print v == "" ? 0 : v}' "$IT_TMP/$1"
}
check_eq "GET /metrics on the metrics address: 200" 200 "$(scrape m0)"
check "promtool check metrics accepts it" promtool check metrics <"$IT_TMP/m0"
check "content type of the text format 0.0.4" bash -c \
  "curl -s -D - -o /dev/null '$M' | grep -qi '^content-type: text/plain; version=0.0.4'"
for s in shomei_issuance_total shomei_issuance_seconds shomei_dcv_checks_total \
  shomei_caa_checks_total shomei_http_responses_total shomei_db_pool_waits_total \
  shomei_ocsp_responses_total shomei_mail_outbox_depth shomei_mail_outbox_oldest_seconds \
  shomei_job_lag_seconds shomei_crl_age_seconds; do
  check "family $s is described" grep -q "^# TYPE $s " "$IT_TMP/m0"
done
check_eq "the database answers the scrape" 1 "$(val m0 shomei_db_up)"
check "CRL age per CRL" grep -q '^shomei_crl_age_seconds{crl="dv"} [0-9]' "$IT_TMP/m0"
h0=$(val m0 'shomei_http_responses_total{route="/healthz",method="GET",status="200"}')
for _ in 1 2 3; do curl -s -o /dev/null "$URL/healthz"; done
curl -s -o /dev/null "$URL/no/such/page"
ocsp_ask -serial "0x$(openssl x509 -in "$W/m1.pem" -noout -serial | cut -d= -f2)" >"$IT_TMP/ocsp.out"
check "the OCSP answer is good" grep -q ': good' "$IT_TMP/ocsp.out"
scrape m1 >/dev/null
check_eq "HTTP responses by route and status move" "$((h0 + 3))" \
  "$(val m1 'shomei_http_responses_total{route="/healthz",method="GET",status="200"}')"
check "an unmatched path is counted as such" grep -q \
  '^shomei_http_responses_total{route="unmatched",method="other",status="404"} [1-9]' "$IT_TMP/m1"
check "OCSP answers are counted" bash -c \
  "grep -E '^shomei_ocsp_responses_total\\{source=\"(signed|presigned)\"\\} [1-9]' '$IT_TMP/m1'"
check "job runs are counted by kind" grep -q '^shomei_jobs_runs_total{kind="crl.sign",result="ok"} [1-9]' "$IT_TMP/m1"
check "still valid after work" promtool check metrics <"$IT_TMP/m1"
check_eq "an address outside [metrics] allow: 403" 403 \
  "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.5 "$M")"
check_eq "only /metrics on the metrics address" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/healthz")"
check_eq "the public port has no /metrics" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")"
# bad configuration: a clear start-up error naming the setting
"$S" init --dir "$IT_TMP/bad" --test-ca --set metrics.listen=nowhere >/dev/null 2>&1
"$S" serve --dir "$IT_TMP/bad" --port "$(free_port)" >"$IT_TMP/bad.log" 2>&1 &
bp=$!
IT_PIDS+=("$bp")
wait_for 20 bash -c "! kill -0 $bp 2>/dev/null"
check "[metrics] listen that is no address: serve stops and says so" \
  grep -q "metrics\] listen = 'nowhere'" "$IT_TMP/bad.log"
check "no sanitizer reports" bash -c '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/server.log' _ "$IT_TMP"
it_done
