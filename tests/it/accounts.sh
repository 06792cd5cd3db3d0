#!/usr/bin/env bash
# R-ACT-1, R-ACT-2, R-ACT-3 as a browser sees them: registration with per-field errors
# (nothing stored on error), login and the session cookie's flags (HttpOnly; Secure;
# SameSite=Lax), the account's language, profile change, CSRF, logout, lockout after
# repeated failures, password reset through a mailed one-time link caught by a real SMTP
# server (tests/it/smtp_sink.py), the CSRF token bound to the session (a planted anonymous
# cookie and token pair is refused once logged in; issue 8 item 16), API keys (shown once, Bearer use, revocation), the
# announcements admins post on the login page, and an intact audit log afterwards.
# With SHOMEI_TEST_PG_URL set (tests/pg.sh bash tests/it/accounts.sh) it runs on PostgreSQL.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data

PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2>/dev/null; then
    PY=$p
    break
  fi
done
[ -n "$PY" ] || { not_ok "a python3 with aiosmtpd is installed"; it_done; }
SMTP_PORT=$(free_port)
"$PY" "$here/smtp_sink.py" --dir "$IT_TMP/mail" --port "$SMTP_PORT" \
  --ready-file "$IT_TMP/sink.ready" >"$IT_TMP/sink.log" 2>&1 &
IT_PIDS+=("$!")
for _ in $(seq 1 100); do [ -f "$IT_TMP/sink.ready" ] && break; sleep 0.1; done

WEB_PORT=$(free_port)
url=http://127.0.0.1:$WEB_PORT
if ! "$S" init --dir "$D" --set server.secure_cookies=true --set account.max_failures=3 \
  --set account.lock_seconds=8 --set mail.enabled=true --set "server.base_url=$url" \
  --set "mail.url=smtp://127.0.0.1:$SMTP_PORT" --set mail.starttls=none \
  --set mail.from=ca@shomei.example.jp --set mail.timeout=5 \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
"$S" serve --dir "$D" --port "$WEB_PORT" >"$IT_TMP/server-$WEB_PORT.log" 2>&1 &
IT_PIDS+=("$!")
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break
  sleep 0.1
done
check_eq "server starts" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")"

# A tiny browser: cookies kept by hand (the Secure cookie would not travel over http in
# curl's jar), the CSRF token taken from the last page.
SID=""
CSRFC=""
H=$IT_TMP/h
B=$IT_TMP/b
req() { # req PATH [CURL ARGS...]: answer code in $code, headers in $H, body in $B
  local path=$1
  shift
  local ck="lang=ja"
  [ -n "$CSRFC" ] && ck="$ck; csrf=$CSRFC"
  [ -n "$SID" ] && ck="$ck; sid=$SID"
  code=$(curl -s -D "$H" -o "$B" -w '%{http_code}' -b "$ck" "$@" "$url$path")
  tr -d '\r' <"$H" >"$H.t" && mv "$H.t" "$H"
  local c
  c=$(grep -i '^Set-Cookie: csrf=' "$H" | sed 's/^[^=]*=//; s/;.*//' | tail -1)
  [ -n "$c" ] && CSRFC=$c
  if grep -qi '^Set-Cookie: sid=' "$H"; then
    SID=$(grep -i '^Set-Cookie: sid=' "$H" | sed 's/^[^=]*=//; s/;.*//' | tail -1)
  fi
}
token() { grep -o 'name="csrf" value="[^"]*"' "$B" | head -1 | sed 's/.*value="//; s/"$//'; }
post() { # post PATH field=value...: a form POST with the CSRF token of the last page
  local path=$1 t
  t=$(token)
  shift
  local args=(--data-urlencode "csrf=$t")
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  req "$path" "${args[@]}"
}
has() { grep -qF -- "$1" "$B"; }
hdr() { grep -qi -- "$1" "$H"; }
users() { "$S" user list --dir "$D" | tail -n +2 | wc -l; }

# ---- registration (R-ACT-2) ----
req /register
check_eq "GET /register answers 200" 200 "$code"
post /register login_id=x email=bad display_name= password=short password_confirm=other locale=ja
check_eq "R-ACT-2 invalid registration answers 422" 422 "$code"
check "R-ACT-2 login id error beside the field (ja)" \
  has 'data-field="login_id">ログイン ID は 3〜64 文字'
check "R-ACT-2 e-mail error beside the field" \
  has 'data-field="email">メールアドレスの形式が正しくありません'
check "R-ACT-2 name error beside the field" has 'data-field="display_name">氏名を入力してください'
check "R-ACT-2 password error beside the field" has 'data-field="password">パスワードは 10 文字以上'
check "R-ACT-2 confirmation error beside the field" has 'data-field="password_confirm">'
check "R-ACT-2 entered values are kept, passwords are not" \
  bash -c 'grep -q "value=\"bad\"" "$1" && ! grep -q "value=\"short\"" "$1"' _ "$B"
check_eq "R-ACT-2 nothing stored on error" 0 "$(users)"
req /register?lang=en
post /register login_id=Hanako email=hanako@example.jp display_name="Hanako Y" \
  password=first-horse-1 password_confirm=first-horse-1 locale=en
check_eq "R-ACT-2 registration answers 303" 303 "$code"
check "registration logs in and goes to the dashboard" hdr '^Location: /dashboard'
line=$(grep -i '^Set-Cookie: sid=' "$H")
check "session cookie is HttpOnly" grep -q "HttpOnly" <<<"$line"
check "session cookie is Secure" grep -q "Secure" <<<"$line"
check "session cookie is SameSite=Lax" grep -q "SameSite=Lax" <<<"$line"
check "session cookie holds 43 base64url characters" grep -Eq 'sid=[A-Za-z0-9_-]{43};' <<<"$line"
check_eq "one user stored" 1 "$(users)"
req /register?lang=en
post /register login_id=HANAKO email=h2@example.jp display_name=Other password=first-horse-1 \
  password_confirm=first-horse-1 locale=en
check "R-ACT-2 a login id taken in another case is refused" has 'This login ID is already taken.'

# ---- the logged-in user ----
SAVED=$SID
req /dashboard
check_eq "dashboard answers 200 when logged in" 200 "$code"
check "dashboard greets the user" has 'Hanako Y'
check "the account's language wins over the lang cookie" hdr '^Content-Language: en'
req "/dashboard?lang=ja"
check "?lang= still overrides per request" hdr '^Content-Language: ja'
req /account
check "account page shows the profile" has 'value="hanako@example.jp"'
post /account/profile display_name="花子 山田" email=hanako@example.org locale=en
check_eq "profile change answers 303" 303 "$code"
req /account
check "profile change is stored" has 'value="花子 山田"'
post /account/profile display_name= email=nope locale=xx
check_eq "R-ACT-2 invalid profile answers 422" 422 "$code"
check "R-ACT-2 profile errors beside the fields" \
  has 'data-field="email">The e-mail address is not valid.'
req /account
check "nothing saved on a profile error" has 'value="hanako@example.org"'
t=$(token)
req /account/profile --data-urlencode "display_name=X" --data-urlencode email=x@example.jp \
  --data-urlencode locale=en
check_eq "POST without a CSRF token is 403" 403 "$code"
req /account
check "nothing saved without CSRF" has 'value="花子 山田"'
post /account/password current_password=wrong-one-1 password=second-horse-2 \
  password_confirm=second-horse-2
check "R-ACT-2 password change needs the current password" has 'The current password is wrong.'
req /account
post /account/password current_password=first-horse-1 password=second-horse-2 \
  password_confirm=second-horse-2
check_eq "R-ACT-2 password change answers 303" 303 "$code"
req /account
post /account/login-id login_id=hanako2 current_password=second-horse-2
check_eq "R-ACT-2 login id change answers 303" 303 "$code"

# ---- logout ----
req /account
post /logout
check_eq "logout answers 303" 303 "$code"
check "logout clears the cookie" hdr '^Set-Cookie: sid=;.*Max-Age=0'
SID=$SAVED
req /dashboard
check_eq "the old session no longer works" 303 "$code"
check "anonymous pages redirect to login with next" hdr '^Location: /login?next=%2Fdashboard'
SID=""

# ---- login and lockout (R-ACT-2) ----
login() { req /login; post /login login_id="$1" password="$2" next=/account; }
login hanako first-horse-1
check_eq "the old login id is gone" 422 "$code"
login hanako2 second-horse-2
check_eq "login with the new id and password" 303 "$code"
check "login goes to next" hdr '^Location: /account'
SID=""
login hanako2 bad-password-1
fail_body=$(sed -n 's/.*id="login-error">\([^<]*\)<.*/\1/p' "$B")
check "a failed login says why" \
  grep -q 'login ID or password is wrong\|ログイン ID またはパスワードが違う' <<<"$fail_body"
login nobody-here bad-password-1
check_eq "R-ACT-2 unknown id and wrong password give the same message" "$fail_body" \
  "$(sed -n 's/.*id="login-error">\([^<]*\)<.*/\1/p' "$B")"
login hanako2 bad-password-1
login hanako2 bad-password-1
login hanako2 second-horse-2
check_eq "R-ACT-2 locked after max_failures: the right password is refused" 422 "$code"
check "R-ACT-2 user list shows the lock" \
  bash -c '"$1" user list --dir "$2" | grep hanako2 | grep -q locked' _ "$S" "$D"
check "issue 8 item 9, R-ACT-2: the owner (right password) is told the account is locked" \
  grep -Eq 'id="login-locked">[^<]*(locked|ロックされています)[^<]*[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} JST' "$B"
login hanako2 bad-password-1
check_eq "issue 8 item 9: a wrong password on a locked account: the usual message" "$fail_body" \
  "$(sed -n 's/.*id="login-error">\([^<]*\)<.*/\1/p' "$B")"
check "  and no word of the lock" bash -c '! grep -q login-locked "$1"' _ "$B"
for _ in 1 2 3 4; do login nobody-here bad-password-1; done
check "issue 8 item 9: an unknown id is never reported locked" bash -c '! grep -q login-locked "$1"' _ "$B"
check "issue 8 item 9: the failure message gives the lock duration" \
  grep -Eq 'id="login-error">[^<]*(1 minutes|1 分間)' "$B"
sleep 8.2
login hanako2 second-horse-2
check_eq "R-ACT-2 the lock ends after lock_seconds" 303 "$code"
# a tab or line break in next is dropped by browsers: "/<TAB>/host" would be "//host"
req "/login?next=%2F%09%2Fevil.example"
check "next with a tab does not leave the site (logged in)" hdr '^Location: /dashboard$'
SID=""
req /login
post /login login_id=hanako2 password=second-horse-2 $'next=/\t/evil.example'
check "next with a tab does not leave the site (login)" hdr '^Location: /dashboard$'
SID=""

# ---- password reset by mail (R-ACT-2) ----
req /password/forgot
post /password/forgot login_id=nobody-here
sent_unknown=$(grep -o 'id="reset-sent">[^<]*' "$B")
check "the reset page says a mail was sent" test -n "$sent_unknown"
req /password/forgot
post /password/forgot login_id=HANAKO2
check_eq "R-ACT-2 reset request answers the same for known and unknown ids" "$sent_unknown" \
  "$(grep -o 'id="reset-sent">[^<]*' "$B")"
"$S" mail run --dir "$D" --once >"$IT_TMP/mailrun.log" 2>&1
for _ in $(seq 1 50); do ls "$IT_TMP/mail"/*.eml >/dev/null 2>&1 && break; sleep 0.1; done
check_eq "R-ACT-2 exactly one reset mail is sent (none for the unknown id)" 1 \
  "$(ls "$IT_TMP/mail"/*.eml 2>/dev/null | wc -l)"
eml=$(ls "$IT_TMP/mail"/*.eml 2>/dev/null | head -1)
link=$("$PY" - "$eml" <<'EOF'
import email, re, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
if m.is_multipart():
    m = m.get_payload(0)
part = m.get_payload(decode=True)
x = re.search(r'https?://\S+/password/reset/[A-Za-z0-9_-]+', part.decode('utf-8'))
print(x.group(0) if x else '')
EOF
)
check "R-ACT-2 the mail carries a link under base_url" grep -q "^$url/password/reset/" <<<"$link"
check "the mail goes to the account's address" grep -q 'hanako@example.org' "${eml%.eml}.json"
path=${link#"$url"}
req "$path"
check_eq "the reset link opens the form" 200 "$code"
post "$path" password=short password_confirm=short
check_eq "a weak new password is refused" 422 "$code"
post "$path" password=third-horse-3 password_confirm=third-horse-3
check_eq "R-ACT-2 reset answers 303 to the login page" 303 "$code"
req "$path"
check_eq "R-ACT-2 the link works only once" 404 "$code"
login hanako2 second-horse-2
check_eq "the old password no longer works" 422 "$code"
login hanako2 third-horse-3
check_eq "the new password works" 303 "$code"

# ---- issue 8 item 16: the CSRF token is bound to the session, not to a cookie ----
# The attacker's own anonymous cookie and token pair (what a sibling subdomain could plant
# in the victim's browser):
AJAR=$IT_TMP/jar-attacker
atok=$(curl -s -c "$AJAR" "$url/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 |
  sed 's/.*value="//; s/"$//')
acookie=$(awk '$6=="csrf"{print $7}' "$AJAR")
check "the attacker holds an anonymous cookie and token pair" test -n "$atok" -a -n "$acookie"
# the victim logs in with a browser state of its own
SID=""
CSRFC=""
req /login
pre=$(token)
post /login login_id=hanako2 password=third-horse-3 next=/account
check_eq "the victim logs in" 303 "$code"
check "login rotates the anonymous CSRF cookie" hdr '^Set-Cookie: csrf='
plant() { # plant CSRF_COOKIE TOKEN: a profile change in the victim's session
  code=$(curl -s -o "$B" -w '%{http_code}' -b "lang=ja; sid=$SID; csrf=$1"     --data-urlencode "csrf=$2" --data-urlencode "display_name=Planted"     --data-urlencode email=evil@example.jp --data-urlencode locale=ja "$url/account/profile")
}
plant "$acookie" "$atok"
check_eq "a planted anonymous cookie and token pair is refused in a session: 403" 403 "$code"
plant "$CSRFC" "$pre"
check_eq "the victim's own pre-login token no longer works after login: 403" 403 "$code"
req /account
check "nothing was changed by the refused posts" bash -c '! grep -q Planted "$1"' _ "$B"
stok=$(token)
plant "$acookie" "$stok"
check_eq "the session's token works whatever the csrf cookie holds" 303 "$code"
req /account
check "  and the change is stored" has 'value="Planted"'
post /account/profile display_name="花子 山田" email=hanako@example.org locale=en
VSID=$SID
SID=""
login hanako2 third-horse-3
check "a second session of the same user" test "$SID" != "$VSID"
plant "$CSRFC" "$stok"
check_eq "a token of one session is refused in another: 403" 403 "$code"
req /account

# ---- API keys ----
req /account/keys
post /account/keys label="ci script"
check_eq "API key creation answers 201" 201 "$code"
key=$(sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p' "$B")
check "the key is shown once, sk_ + 43 characters" grep -Eq '^sk_[A-Za-z0-9_-]{43}$' <<<"$key"
req /account/keys
check "the key list does not show the key again" bash -c '! grep -qF "$1" "$2"' _ "$key" "$B"
me=$(curl -s -H "Authorization: Bearer $key" "$url/api/v1/me")
check_eq "GET /api/v1/me with the key returns the caller" hanako2 \
  "$(python3 -c 'import json,sys;print(json.load(sys.stdin)["login_id"])' <<<"$me" 2>/dev/null)"
check_eq "GET /api/v1/me without a key is 401" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/me")"
check_eq "a session cookie does not authenticate the API" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' -b "sid=$SID" "$url/api/v1/me")"
check "401 answers problem+json with WWW-Authenticate" bash -c \
  'curl -s -D - -o /dev/null "$1/api/v1/me" | tr -d "\r" |
   grep -qi "^WWW-Authenticate: Bearer"' _ "$url"
id=$(grep -o 'class="key" data-id="[0-9]*"' "$B" | head -1 | grep -o '[0-9]*')
post "/account/keys/$id/revoke"
check_eq "revocation answers 303" 303 "$code"
check_eq "a revoked key is refused" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$url/api/v1/me")"

# ---- announcements (R-ACT-3) ----
req /admin/announcements
check_eq "R-ACT-1 a customer gets 404 on an admin page" 404 "$code"
pw=$(printf 'admin-horse-9\n' | "$S" user add --dir "$D" --login boss --role admin \
  --email boss@example.jp --password-stdin >/dev/null 2>&1; echo $?)
check_eq "shomei user add --password-stdin" 0 "$pw"
out=$("$S" user add --dir "$D" --login officer1 --role officer --email o@example.jp)
check "shomei user add prints a generated password once" \
  grep -Eq '^password \(shown once\): .{20}$' <<<"$out"
SID=""
login boss admin-horse-9
req /admin/announcements
check_eq "an admin opens the announcements page" 200 "$code"
post /admin/announcements title_ja= title_en=x body_ja=x body_en=x
check_eq "an announcement without a title is refused" 422 "$code"
post /admin/announcements title_ja=古いお知らせ title_en="Old news" body_ja=本文 body_en=Text
sleep 1.1
req /admin/announcements
post /admin/announcements title_ja="メンテナンスのお知らせ <b>" title_en="Maintenance" \
  body_ja="12月1日に停止します" body_en="Down on 1 December"
check_eq "R-ACT-3 an admin posts an announcement" 303 "$code"
SID=""
page=$(curl -s "$url/login")
check "R-ACT-3 the login page shows the announcement, escaped" \
  grep -qF 'メンテナンスのお知らせ &lt;b&gt;' <<<"$page"
check "R-ACT-3 newest first" bash -c \
  'grep -o "ann-title\">[^<]*" <<<"$1" | head -1 | grep -q メンテナンス' _ "$page"
check "R-ACT-3 English title for English readers" \
  grep -qF 'Maintenance' <<<"$(curl -s "$url/login?lang=en")"

# ---- issue 8 item 3: an explicit base_url that names another port is said at start ----
check "no base_url warning when it names the port served" \
  bash -c '! grep -q "base_url does not point" "$1"' _ "$IT_TMP/server-$WEB_PORT.log"
# ... and (issue 8 item 18) this server's log, the access log included, goes to [log] file,
# which SIGHUP reopens after an external logrotate moved it (size rotation: unit/test_log)
cp "$D/shomei.ini" "$IT_TMP/shomei.ini.saved"
printf '\n[log]\nfile = serve-2.log\n' >>"$D/shomei.ini"
P2=$(free_port)
"$S" serve --dir "$D" --port "$P2" >"$IT_TMP/server-$P2.log" 2>&1 &
P2_PID=$!
IT_PIDS+=("$P2_PID")
wait_for 20 curl -fsS -o /dev/null "http://127.0.0.1:$P2/healthz"
check "serve --port with an explicit base_url on another port logs a warning" \
  grep -q 'level=warn.*base_url does not point.*base_url=http://127.0.0.1:'"$WEB_PORT" \
  "$D/serve-2.log"
check "the access log is in [log] file" grep -q 'msg=request.*path=/healthz' "$D/serve-2.log"
mv "$D/serve-2.log" "$D/serve-2.log.moved"
kill -HUP "$P2_PID"
wait_for 10 test -f "$D/serve-2.log"
curl -s -o /dev/null "http://127.0.0.1:$P2/login?after-hup"
# the access log line is written when the request is done, which may be just after the
# client has its answer
check "SIGHUP reopens the log file under its name" \
  wait_for 10 grep -q 'msg=request.*path=/login' "$D/serve-2.log"
check "  the server goes on after SIGHUP" kill -0 "$P2_PID"
kill "$P2_PID"
wait_for 10 bash -c "! kill -0 $P2_PID 2>/dev/null"
cp "$IT_TMP/shomei.ini.saved" "$D/shomei.ini"

# ---- audit ----
# issue 8 (client address on every audit record of a request): the records that login,
# API keys and the password reset write name the client, as the order records do
sqa() {
  if [ -n "${SHOMEI_TEST_PG_URL:-}" ]; then psql -X -q -tA "$SHOMEI_TEST_PG_URL" -c "$1"
  else sqlite3 -batch "$D/shomei.db" "$1"; fi
}
for act in account.login apikey.create apikey.revoke account.reset_request \
  account.password_reset; do
  check_eq "issue 8: $act is audited with the client address" 127.0.0.1 \
    "$(sqa "SELECT DISTINCT COALESCE(client_ip, '') FROM audit_log WHERE action = '$act'")"
done
check "every change left an intact audit log" \
  bash -c '"$1" audit verify --dir "$2" | grep -q "audit log OK"' _ "$S" "$D"
check "no sanitizer reports from the server" \
  bash -c '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/server-*.log' _ "$IT_TMP"
it_done
