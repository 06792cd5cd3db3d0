#!/usr/bin/env bash
# R-NOT-1, R-NOT-2: notices go through the outbox to a real SMTP server (tests/it/smtp_sink.py,
# aiosmtpd). With the server down nothing is lost: attempts are counted and retried after
# the back-off; once it is up every mail arrives exactly once, Japanese subjects (RFC 2047)
# and UTF-8 bodies decode back, and a further run resends nothing. Also STARTTLS with AUTH
# (self-signed certificate: refused while verification is on, accepted with the test-only
# [mail] tls_verify=false), and the background worker of `shomei mail run`.
. "$(dirname "$0")/lib.sh"

S=$SHOMEI_BIN
D=$IT_TMP/data
SINK="$(dirname "$0")/smtp_sink.py"
# libcurl is loaded by the first transfer (net/curl_lib.h): the binary does not link it, and
# every mail below goes out through it all the same
check_eq "shomei does not link libcurl" "0" "$(readelf -d "$S" | grep -c 'NEEDED.*libcurl')"
T0=$(date -u +%s)

PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2>/dev/null; then
    PY=$p
    break
  fi
done
if [ -z "$PY" ]; then
  not_ok "a python3 with aiosmtpd (python3-aiosmtpd) is installed"
  it_done
fi

# start_sink NAME PORT ARGS...: starts the sink writing into $IT_TMP/NAME; sets SINK_PID.
start_sink() {
  local name=$1 port=$2
  shift 2
  rm -f "$IT_TMP/$name.ready"
  "$PY" "$SINK" --dir "$IT_TMP/$name" --port "$port" --ready-file "$IT_TMP/$name.ready" "$@" \
    >"$IT_TMP/$name.log" 2>&1 &
  SINK_PID=$!
  IT_PIDS+=("$SINK_PID")
  for _ in $(seq 1 100); do
    [ -f "$IT_TMP/$name.ready" ] && return 0
    sleep 0.1
  done
  sed 's/^/# /' "$IT_TMP/$name.log" >&2
  return 1
}
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
at() { SHOMEI_FAKE_NOW=$((T0 + $1)) "${@:2}"; } # at SECONDS CMD...: runs CMD at T0+SECONDS
count_eml() { find "$IT_TMP/$1" -name '*.eml' 2>/dev/null | wc -l; }
set_ini() { # KEY VALUE: sets KEY in the [mail] section of shomei.ini
  sed -i "/^\[mail\]/,/^\[/ s|^$1 = .*|$1 = $2|" "$D/shomei.ini"
}

PORT=$(free_port)
"$S" init --dir "$D" --set mail.enabled=true --set "mail.url=smtp://127.0.0.1:$PORT" \
  --set mail.starttls=none --set mail.from=ca@shomei.example.jp \
  --set "mail.from_name=shomei 認証局" --set mail.timeout=5 --set mail.batch=2 \
  >"$IT_TMP/init.log" 2>&1
check_eq "init a data directory with [mail] settings" 0 $?

# --- queue five mails, ja and en (R-NOT-2: each recorded in the outbox) ---
n=0
for lang in ja en ja en ja; do
  n=$((n + 1))
  at 0 "$S" mail test --dir "$D" --to "user$n@example.jp" --lang $lang >>"$IT_TMP/queue.log" 2>&1 ||
    not_ok "R-NOT-2 mail test $n exits 0"
done
check_eq "R-NOT-2 five mails queued" 5 "$(at 0 "$S" mail list --dir "$D" --state queued |
  grep -c ' queued ')"
at 0 "$S" mail test --dir "$D" --to $'x@example.jp\r\nBcc: victim@example.jp' \
  >"$IT_TMP/bad.out" 2>&1
check_eq "R-NOT-1 an address with CR/LF is refused (exit 1)" 1 $?
check "R-NOT-1 the refusal names --to in Japanese and English" \
  grep -q -- '--to: 宛先のメールアドレスが正しくありません / not a valid mail address' \
  "$IT_TMP/bad.out"
at 0 "$S" mail test --dir "$D" --to a@example.jp --lang fr >/dev/null 2>&1
check_eq "mail test --lang fr is a usage error" 2 $?
"$S" mail list --dir "$D" --state bogus >/dev/null 2>&1
check_eq "mail list --state bogus is a usage error" 2 $?

# --- SMTP server down: nothing lost, attempts counted, retry in the future ---
out=$(at 0 "$S" mail run --dir "$D" --once 2>"$IT_TMP/run1.err")
check_eq "R-NOT-1 run with the server down exits 0" 0 $?
check_eq "R-NOT-1 run with the server down: nothing sent, five failed" "sent 0, failed 5" "$out"
list=$(at 0 "$S" mail list --dir "$D")
next=$(date -u -d "@$((T0 + 60))" +%Y-%m-%dT%H:%M:%SZ)
check_eq "R-NOT-1 every mail still queued with one attempt" 5 \
  "$(grep -cE "^[0-9]+ +queued +1 +$next " <<<"$list")"
check "R-NOT-1 the failure is recorded as last error" grep -q 'error: smtp:' <<<"$list"
out=$(at 59 "$S" mail run --dir "$D" --once 2>/dev/null)
check_eq "R-NOT-1 nothing is retried before the back-off ends" "sent 0, failed 0" "$out"

# --- server up: every mail arrives exactly once ---
start_sink sink "$PORT" || not_ok "start the SMTP sink"
out=$(at 61 "$S" mail run --dir "$D" --once 2>"$IT_TMP/run2.err")
[ "$out" = "sent 5, failed 0" ] || sed "s/^/# /" "$IT_TMP/run2.err"
check_eq "R-NOT-1 after the back-off all five are sent" "sent 5, failed 0" "$out"
check_eq "R-NOT-1 the server received five messages" 5 "$(count_eml sink)"
list=$(at 61 "$S" mail list --dir "$D" --state sent)
at 61 "$S" mail list --dir "$D" --state sent | grep -oE '<[0-9a-f]{32}@shomei\.example\.jp>' |
  sort >"$IT_TMP/ids.db"
check_eq "R-NOT-2 five mails recorded as sent with their Message-ID" 5 \
  "$(wc -l <"$IT_TMP/ids.db")"

cat >"$IT_TMP/check.py" <<'PYEOF'
import email, email.policy, glob, json, os, sys
d, ids_file = sys.argv[1], sys.argv[2]
want_ids = sorted(open(ids_file).read().split())
msgs = {}
fails = []
for path in sorted(glob.glob(os.path.join(d, "*.eml"))):
    raw = open(path, "rb").read()
    meta = json.load(open(path[:-4] + ".json"))
    m = email.message_from_bytes(raw, policy=email.policy.default)
    rcpt = meta["rcpt_tos"]
    if len(rcpt) != 1 or rcpt[0] != str(m["To"]):
        fails.append("envelope %s vs To %s" % (rcpt, m["To"]))
    if meta["mail_from"] != "ca@shomei.example.jp":
        fails.append("envelope sender %s" % meta["mail_from"])
    if rcpt[0] in msgs:
        fails.append("duplicate for %s" % rcpt[0])
    msgs[rcpt[0]] = m
    for line in raw.split(b"\r\n"):
        if len(line) > 78 and not line.startswith(b"Message-ID"):
            fails.append("long line %r" % line[:40])
        if b"\n" in line:
            fails.append("bare LF")
    name = m["From"].addresses[0].display_name
    if name != "shomei 認証局" or m["From"].addresses[0].addr_spec != "ca@shomei.example.jp":
        fails.append("From %r" % str(m["From"]))
    if m.get_content_type() != "text/plain" or m.get_content_charset() != "utf-8":
        fails.append("content type %s" % m.get_content_type())
    if m["Content-Transfer-Encoding"] != "base64":
        fails.append("transfer encoding %s" % m["Content-Transfer-Encoding"])
    body = m.get_content()
    subj = str(m["Subject"])
    n = int(rcpt[0][4:rcpt[0].index("@")])
    if n % 2 == 1:  # ja
        if not subj.startswith("【shomei】テストメール（") or b"=?UTF-8?B?" not in raw:
            fails.append("ja subject %r" % subj)
        if "送信元ノード: " not in body or "shomei 認証局" not in body:
            fails.append("ja body %r" % body[:60])
    else:
        if not subj.startswith("[shomei] Test mail (") or "Sending node: " not in body:
            fails.append("en mail %r" % subj)
        if b"Subject: [shomei] Test mail (" not in raw:
            fails.append("en subject not plain")
got_ids = sorted(str(m["Message-ID"]) for m in msgs.values())
if got_ids != want_ids:
    fails.append("Message-IDs %s vs %s" % (got_ids, want_ids))
if sorted(msgs) != ["user%d@example.jp" % i for i in range(1, 6)]:
    fails.append("recipients %s" % sorted(msgs))
for f in fails:
    print("#", f)
sys.exit(1 if fails else 0)
PYEOF
check "R-NOT-1 each recipient got one mail; ja subjects decode (RFC 2047), UTF-8 bodies, \
Message-IDs match the outbox" "$PY" "$IT_TMP/check.py" "$IT_TMP/sink" "$IT_TMP/ids.db"

out=$(at 100000 "$S" mail run --dir "$D" --once 2>/dev/null)
check_eq "R-NOT-1 a further run resends nothing" "sent 0, failed 0" "$out"
check_eq "R-NOT-1 still five messages at the server" 5 "$(count_eml sink)"
check "R-OPS-1 the audit log is intact after queueing" \
  sh -c "'$S' audit verify --dir '$D' | grep -q 'audit log OK'"
stop_pid "$SINK_PID"

# --- STARTTLS + AUTH against a self-signed certificate ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$IT_TMP/sink.key" -out "$IT_TMP/sink.crt" 2>/dev/null
PORT2=$(free_port)
start_sink tls "$PORT2" --cert "$IT_TMP/sink.crt" --key "$IT_TMP/sink.key" \
  --require-starttls --user mailer --password 's3cret pass' || not_ok "start the TLS sink"
set_ini url "smtp://127.0.0.1:$PORT2"
set_ini starttls required
set_ini username mailer
set_ini password 's3cret pass'
at 200000 "$S" mail test --dir "$D" --to tls@example.jp --lang ja >/dev/null 2>&1
out=$(at 200000 "$S" mail run --dir "$D" --once 2>"$IT_TMP/tls1.err")
check_eq "R-NOT-1 STARTTLS with verification refuses a self-signed certificate" \
  "sent 0, failed 1" "$out"
set_ini tls_verify false
out=$(at 200061 "$S" mail run --dir "$D" --once 2>"$IT_TMP/tls2.err")
check_eq "R-NOT-1 STARTTLS + AUTH with tls_verify=false (test only) sends" "sent 1, failed 0" "$out"
meta=$(cat "$IT_TMP"/tls/000001.json 2>/dev/null)
check "R-NOT-1 the message came over TLS, authenticated as mailer" \
  grep -q '"tls": true, "auth_user": "mailer"' <<<"$meta"
set_ini password wrong
at 300000 "$S" mail test --dir "$D" --to tls2@example.jp --lang en >/dev/null 2>&1
out=$(at 300000 "$S" mail run --dir "$D" --once 2>/dev/null)
check_eq "R-NOT-1 a wrong SMTP password fails the attempt" "sent 0, failed 1" "$out"
set_ini password 's3cret pass'

# --- the background worker (shomei mail run) ---
set_ini poll_seconds 1
SHOMEI_FAKE_NOW=$((T0 + 400000)) "$S" mail run --dir "$D" >"$IT_TMP/worker.log" 2>&1 &
WPID=$!
IT_PIDS+=("$WPID")
for _ in $(seq 1 100); do
  [ "$(count_eml tls)" -ge 2 ] && break
  sleep 0.1
done
check_eq "R-NOT-1 the background worker sends the retried mail" 2 "$(count_eml tls)"
at 400000 "$S" mail test --dir "$D" --to tls3@example.jp --lang en >/dev/null 2>&1
for _ in $(seq 1 100); do
  [ "$(count_eml tls)" -ge 3 ] && break
  sleep 0.1
done
check_eq "R-NOT-1 the background worker sends a newly queued mail within its poll" 3 \
  "$(count_eml tls)"
kill -TERM "$WPID"
wait "$WPID"
check_eq "R-NOT-1 the worker stops on SIGTERM with exit 0" 0 $?
stop_pid "$SINK_PID"
check_eq "R-NOT-2 nothing is left queued or dead" "0 0" \
  "$(at 400000 "$S" mail list --dir "$D" --state queued | grep -c ' queued ') $(
    at 400000 "$S" mail list --dir "$D" --state dead | grep -c ' dead ')"
check "no sanitizer reports from mail runs" \
  sh -c "! cat '$IT_TMP'/*.err '$IT_TMP/worker.log' | grep -qE 'Sanitizer|runtime error'"
it_done
