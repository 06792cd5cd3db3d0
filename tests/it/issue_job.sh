#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 8 item 5: issuance runs as the one-shot job "order.issue" of the jobs table, never
# inside the request that approves, and an order is issued once even when two `shomei
# serve` processes share one database (SQLite here; PostgreSQL under tests/pg.sh). One DV
# order is validated by DNS TXT and the web page; N more orders of the same organization
# reuse that validation and are approved by the system at payment, all at once, while both
# servers' issuance workers poll. Then: every order is issued, each with exactly one
# certificate row (a second signing would leave a second, abandoned serial), one
# "order.issued" audit record and an ended job; the servers' logs hold N+1
# "certificate issued" lines between them. (A job scheduled again by the other server's
# sweep just as it ended finds the order issued and ends without signing: a job may show
# more than one run, never a second certificate.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/knot.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data
SECRET=issue-job-hmac-secret
BODY=$IT_TMP/body
N=6

cat >"$IT_TMP/records" <<'REC'
twin-test.co.jp @ A 127.0.0.1
twin-test.co.jp www A 127.0.0.1
twin-test.co.jp @ CAA 0 issue "shomei.example"
REC
dcv_peers "jp co.jp twin-test.co.jp" "$IT_TMP/records"

"$S" init --dir "$D" --demo --set server.secure_cookies=false \
  --set "payment.hmac_secret=$SECRET" --set "dns.resolver=$KNOT_ADDR" \
  --set "dns.trust_anchor_file=$KNOT_TA" --set testing.not_for_production=true \
  --set dcv.allow_loopback=true --set "dcv.http_port=$HP" --set issue.max_per_cn=100 \
  --set jobs.vetting_seconds=1 --set jobs.lease_seconds=5 \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} \
  >"$IT_TMP/init.log" 2>&1 || { not_ok "init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done; }
sq() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}
PW=twin-Horse-77-battery
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login twin-c --role customer \
  --email c@twin-test.co.jp --name "Twin C" --org-name "Twin Org" >/dev/null
start_server "$D" || { not_ok "server A starts"; it_done; }
A_PID=$IT_SERVER_PID
url=$IT_URL
start_server "$D" || { not_ok "server B starts"; it_done; }
B_PID=$IT_SERVER_PID
URL_B=$IT_URL
KEY=$(api_key_for "$url" twin-c "$PW")
check "an API key for the customer" test -n "$KEY"

apply() { # IDEM -> order id in $OID
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -out "$IT_TMP/$1.csr" -subj "/CN=www.twin-test.co.jp" 2>/dev/null
  local j
  j=$(CSR="$IT_TMP/$1.csr" python3 -c '
import json, os, sys
print(json.dumps({"product": "dv-1y", "csr": open(os.environ["CSR"]).read(),
  "cn": "www.twin-test.co.jp",
  "dcv_methods": {"www.twin-test.co.jp": "dns", "twin-test.co.jp": "http"},
  "contact": {"org": "双子試験株式会社", "dept": "情報システム部", "name": "山田 太郎",
              "name_kana": "やまだ たろう", "postal": "100-0001", "pref": "東京都",
              "city": "千代田区", "street": "千代田1-1", "phone": "03-1111-2222",
              "email": "ops@twin-test.co.jp"},
  "billing_same": True, "notify_emails": ["cert@twin-test.co.jp"], "idem_key": sys.argv[1]},
  ensure_ascii=False))' "$1")
  api POST /api/v1/orders "$j"
  OID=$(jq_ 'd.get("id", "")')
}
instr() { # NAME FIELD of order $OID (after api GET)
  jq_ "[x['instructions'].get('$2','') for x in d['domains'] if x['name']=='$1'][0]"
}
state_of() { api GET "/api/v1/orders/$1"; jq_ 'd["state"]'; }
all_issued() { # every order in $IDS is issued
  local i
  for i in $IDS; do [ "$(state_of "$i")" = issued ] || return 1; done
}

# ---- the first order: validated by DNS TXT and the web page ----
apply twin-0
check_eq "apply: 201" 201 "$code"
FIRST=$OID
pay "$url"
api GET "/api/v1/orders/$FIRST"
VAL=$(instr www.twin-test.co.jp value)
URLV=$(instr twin-test.co.jp url)
FILEVAL=$(instr twin-test.co.jp value)
knot_set_txt twin-test.co.jp _pki-validation.www "$VAL" || not_ok "TXT record published"
printf '%s\n' "$FILEVAL" >"$WEB/.well-known/pki-validation/${URLV##*/}"
api POST "/api/v1/orders/$FIRST/dcv" '{"action":"check"}'
IDS=$FIRST
check "the validated DV order is issued by its job" wait_for 30 all_issued
echo "# first order issued after ${SECONDS}s"

# ---- N orders reusing the validation, paid at once on both servers ----
for i in $(seq 1 $N); do
  apply "twin-$i"
  IDS="$IDS $OID"
  if [ $((i % 2)) = 0 ]; then pay "$url"; else pay "$URL_B"; fi
done
check_eq "$N more orders applied for and paid" "$((N + 1))" "$(wc -w <<<"$IDS")"
echo "# $N orders paid after ${SECONDS}s"
check "every order is issued (bounded wait)" wait_for 60 all_issued
echo "# all issued after ${SECONDS}s"
sleep 3 # a further poll of both servers' workers changes nothing
in_ids=$(tr ' ' ',' <<<"$IDS")
check_eq "each order has exactly one certificate row (no second signing, no abandoned serial)" \
  "$((N + 1))|$((N + 1))" \
  "$(sq "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM certificates WHERE order_id IN ($in_ids)")"
check_eq "each order has one order.issued audit record" "$((N + 1))" \
  "$(sq "SELECT COUNT(*) FROM audit_log WHERE action = 'order.issued'")"
check_eq "one issuance job per order, each ended" "$((N + 1))|$((N + 1))" \
  "$(sq "SELECT COUNT(*), SUM(CASE WHEN done = 1 AND runs >= 1 THEN 1 ELSE 0 END) FROM jobs
        WHERE kind = 'order.issue' AND key IN ($(sed "s/[0-9]*/'&'/g; s/ /,/g" <<<"$IDS"))")"
sq "SELECT key, done, runs, attempts, last_error, owner FROM jobs WHERE kind = 'order.issue'
    AND NOT (done = 1 AND runs = 1)" | sed 's/^/# job not ended after one run: /'
logs=$(cat "$IT_TMP"/server-*.log | grep -c 'certificate issued')
check_eq "the two servers logged $((N + 1)) issuances between them" "$((N + 1))" "$logs"
owners=$(sq "SELECT DISTINCT owner FROM jobs WHERE kind = 'order.issue'" | cut -d/ -f2 | sort -u |
  tr '\n' ' ')
echo "# issuance jobs were run by server pid(s): $owners(A=$A_PID B=$B_PID)"
check "every job was run by one of the two servers" \
  bash -c 'for p in $1; do [ "$p" = "$2" ] || [ "$p" = "$3" ] || exit 1; done' _ "$owners" \
  "$A_PID" "$B_PID"
# issue 8 item 20: the officer's order page labels evidence relied on from an earlier
# validation 再利用, and not evidence an order gathered itself
printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin --login twin-o --role officer \
  --email o@ca.example --name "審査 二郎" >/dev/null
JAR=$IT_TMP/jar-officer
curl -s -c "$JAR" -b "$JAR" -o "$BODY" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode "login_id=twin-o" --data-urlencode "password=$PW" "$url/login"
curl -s -b "$JAR" -o "$BODY" "$url/officer/orders/$OID"
check "issue 8 item 20: reused evidence is labelled 再利用 on the officer's page" \
  grep -q 'class="tag reused" id="reused-www.twin-test.co.jp" data-reused-from="[1-9][0-9]*"[^>]*>再利用<' "$BODY"
curl -s -b "$JAR" -o "$BODY" "$url/officer/orders/$FIRST"
check "  evidence gathered by the order itself is not" grep -q 'class="domain domain-validated"' "$BODY"
check "  (no label on it)" bash -c '! grep -q "class=\"tag reused\"" "$1"' _ "$BODY"
check "no sanitizer reports from either server" bash -c \
  '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/server-*.log' _ "$IT_TMP"
check "the audit log is intact" "$S" audit verify --dir "$D"
it_done
