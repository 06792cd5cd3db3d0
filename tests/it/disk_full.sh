#!/usr/bin/env bash
# A full disk (issue 8 item 14): the data directory lives on a small tmpfs; once it is
# full, writes answer 507 with a message in the user's language (never a bare 500),
# reads keep working, and the failure is logged once a minute, not once per request.
# Needs root for the tmpfs mount (as the other integration tests that start services).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

mnt=$IT_TMP/small
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=24m tmpfs "$mnt" 2>"$IT_TMP/mount.err"; then
  not_ok "mount a 24 MB tmpfs (needs root)"; sed 's/^/# /' "$IT_TMP/mount.err"; it_done
fi
unmount() { umount "$mnt" 2>/dev/null || umount -l "$mnt"; }
trap 'it_cleanup; unmount' EXIT
dir=$mnt/data
if ! "$SHOMEI_BIN" init --dir "$dir" --set server.secure_cookies=false >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi
PW=full-Horse-77
printf '%s\n' "$PW" | "$SHOMEI_BIN" user add --dir "$dir" --password-stdin --login full-c \
  --role customer --email c@c.example.jp --name "Full C" --org-name "Org C" >/dev/null
start_server "$dir" || { not_ok "server starts"; it_done; }
url=$IT_URL
port=${url##*:}
log=$IT_TMP/server-$port.log
jar=$IT_TMP/jar
curl -s -c "$jar" -b "$jar" -o "$IT_TMP/login.html" "$url/login"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$IT_TMP/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
  --data-urlencode "login_id=full-c" --data-urlencode "password=$PW" "$url/login"
# forms of a logged-in session take the session's token (issue 8 item 16)
tok=$(curl -s -c "$jar" -b "$jar" "$url/account/keys" | grep -o 'name="csrf" value="[^"]*"' |
  head -1 | sed 's/.*value="//; s/"$//')
check "a session token for the forms" test -n "$tok"
check_eq "logged in before the disk fills" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$url/account")"

# fill the file system
dd if=/dev/zero of="$mnt/filler" bs=64k >/dev/null 2>&1
check "the tmpfs is full" bash -c "[ \"\$(df --output=avail -B1 '$mnt' | tail -1 | tr -d ' ')\" -lt 65536 ]"

key_post() {
  curl -s -b "$jar" -c "$jar" -D "$IT_TMP/h" -o "$IT_TMP/b" -w '%{http_code}' \
    --data-urlencode "csrf=$tok" --data-urlencode "label=$1" \
    "$url/account/keys"
}
codes=""
for i in 1 2 3 4 5 6; do codes="$codes $(key_post "k$i")"; done
check_eq "six writes on a full disk answer 507" " 507 507 507 507 507 507" "$codes"
check "the 507 page says storage is full (ja)" grep -q '保存領域が不足' "$IT_TMP/b"
check "the 507 page has a Japanese title" grep -q '<h1>保存領域の不足</h1>' "$IT_TMP/b"
check_eq "reads keep working (account page)" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$url/account")"
check_eq "reads keep working (home page)" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$url/")"
n=$(grep -c 'SM_E_STORAGE_FULL' "$log")
check_eq "the full disk is logged once, not per request" 1 "$n"
check_eq "no 500 answered" 0 "$(grep -c 'status=500' "$log")"
rm -f "$mnt/filler"
check_eq "writes work again once space is back" 201 "$(key_post again)"
it_done
