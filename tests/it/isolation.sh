#!/usr/bin/env bash
# R-ACT-1 isolation over EVERY route of the route table (issue 3): `shomei routes` lists
# method, pattern, role and authenticator of each route; for each non-public route this
# test asks
#   - anonymously: session routes redirect to /login, API-key routes answer 401;
#   - as a customer of organization A, and as a reseller managing another organization,
#     for the objects of organization B (route parameters filled from the fixture map):
#     the answer is 404 (or 403) and none of B's data appears in it;
#   - as a customer, for reseller/officer/admin routes: 404 (or 403);
# and afterwards B's objects are unchanged (after_check hooks). A route whose parameter
# has no fixture FAILS the test, so a new route cannot escape it.
#
# Fixtures live in tests/it/isolation.d/*.sh (one file per feature), sourced after the
# users exist. They create B's objects (as B, through b_get / b_post, or the CLI) and
# register them with:
#   fixture PARAM VALUE              value of :PARAM (or *PARAM) in every route
#   fixture_for PATTERN PARAM VALUE  the same for one route pattern only (wins)
#   fixture_open PARAM VALUE         PARAM is not an organization's object (e.g. a
#                                    language): no 404 expected, only no leak of B's data
#   secret TEXT                      text of B that must never reach A (>= 6 characters)
#   after_check NAME CMD...          must succeed after all requests (B is unchanged)
# Available: $S (shomei), $D (data dir), $url, $B_LOGIN, $B_KEY (B's API key),
# b_get PATH / b_post PATH field=value... (as B with CSRF; answer in $code, $BODY).
# With SHOMEI_TEST_PG_URL set (tests/pg.sh bash tests/it/isolation.sh) it runs on PostgreSQL.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
S=$SHOMEI_BIN
D=$IT_TMP/data

if ! "$S" init --dir "$D" --test-ca --set server.secure_cookies=false \
  ${SHOMEI_TEST_PG_URL:+--set "database.url=$SHOMEI_TEST_PG_URL"} >"$IT_TMP/init.log" 2>&1; then
  not_ok "shomei init"; sed 's/^/# /' "$IT_TMP/init.log"; it_done
fi

# ---- users: A and B customers, a reseller managing its own client org M, an officer ----
PW=iso-Horse-77
add() { printf '%s\n' "$PW" | "$S" user add --dir "$D" --password-stdin "$@" >/dev/null; }
add --login alice-a --role customer --email alice@a.example --name "Alice A" --org-name "Org A"
B_LOGIN=bob-secret-b
add --login "$B_LOGIN" --role customer --email bob-secret@b.example --name "Bobsecret Bname" \
  --org-name "Borg Secretname"
add --login resel-r --role reseller --email r@r.example --name "Reseller R" --org-name "Org R"
add --login client-m --role customer --email m@m.example --name "Client M" --reseller resel-r
add --login officer-o --role officer --email o@ca.example --name "Officer O"
check_eq "users of orgs A, B, a reseller and an officer created" 5 \
  "$("$S" user list --dir "$D" | tail -n +2 | wc -l)"
start_server "$D" || { not_ok "server starts"; it_done; }
url=$IT_URL

# ---- sessions ----
BODY=$IT_TMP/body
# login LOGIN: prints "SID CSRFCOOKIE CSRFTOKEN" of a fresh session
login() {
  local jar=$IT_TMP/jar-$1 tok
  rm -f "$jar"
  curl -s -c "$jar" -b "$jar" -o "$BODY" "$url/login"
  tok=$(grep -o 'name="csrf" value="[^"]*"' "$BODY" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
    --data-urlencode "login_id=$1" --data-urlencode "password=$PW" "$url/login"
  # forms of a session carry the session's token (not the login page's)
  tok=$(curl -s -c "$jar" -b "$jar" "$url/account" | grep -o 'name="csrf" value="[^"]*"' |
    head -1 | sed 's/.*value="//; s/"$//')
  printf '%s %s %s\n' "$(awk '$6=="sid"{print $7}' "$jar")" \
    "$(awk '$6=="csrf"{print $7}' "$jar")" "$tok"
}
read -r B_SID B_CSRFC B_TOK < <(login "$B_LOGIN")
check "B logs in" test -n "$B_SID"
b_get() { code=$(curl -s -o "$BODY" -w '%{http_code}' -b "sid=$B_SID; csrf=$B_CSRFC" "$url$1"); }
b_post() {
  local path=$1 args=(--data-urlencode "csrf=$B_TOK")
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  code=$(curl -s -o "$BODY" -w '%{http_code}' -b "sid=$B_SID; csrf=$B_CSRFC" "${args[@]}" \
    "$url$path")
}
# B's API key (several fixtures may want it)
b_post /account/keys "label=bob-secret-keylabel"
B_KEY=$(sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p' "$BODY")
check "B has an API key" grep -q '^sk_' <<<"$B_KEY"

# ---- the fixture map ----
declare -A FIX FIX_FOR FIX_OPEN
SECRETS=()
AFTER=()
fixture() { FIX[$1]=$2; }
fixture_for() { FIX_FOR["$1|$2"]=$3; }
fixture_open() { FIX[$1]=$2; FIX_OPEN[$1]=1; }
secret() { SECRETS+=("$1"); }
after_check() { AFTER+=("$*"); }
secret "$B_LOGIN"
secret bob-secret@b.example
secret "Bobsecret Bname"
secret "Borg Secretname"
secret "${B_KEY:3:12}"
for f in "$here"/isolation.d/*.sh; do
  [ -f "$f" ] || continue
  # shellcheck disable=SC1090
  . "$f" || not_ok "fixture file $(basename "$f") runs"
done

# ---- the routes ----
"$S" routes >"$IT_TMP/routes" || not_ok "shomei routes"
check "shomei routes lists the route table" grep -q '^GET /login public' "$IT_TMP/routes"

read -r A_SID A_CSRFC A_TOK < <(login alice-a)
read -r R_SID R_CSRFC R_TOK < <(login resel-r)
A_KEY=""
code=$(curl -s -o "$BODY" -w '%{http_code}' -b "sid=$A_SID; csrf=$A_CSRFC" \
  --data-urlencode "csrf=$A_TOK" --data-urlencode "label=a-key" "$url/account/keys")
A_KEY=$(sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p' "$BODY")
R_KEY=""
code=$(curl -s -o "$BODY" -w '%{http_code}' -b "sid=$R_SID; csrf=$R_CSRFC" \
  --data-urlencode "csrf=$R_TOK" --data-urlencode "label=r-key" "$url/account/keys")
R_KEY=$(sed -n 's/.*id="new-key">\([^<]*\)<.*/\1/p' "$BODY")
check "A and the reseller have API keys" test -n "$A_KEY" -a -n "$R_KEY"

leaks() { # leaks FILE: prints the first secret of B found in FILE
  local s
  for s in "${SECRETS[@]}"; do
    if grep -qF -- "$s" "$1"; then
      echo "$s"
      return 0
    fi
  done
  return 1
}

# send WHO METHOD PATH API: one request as WHO (A, R or anon); sets $code, body in $BODY
send() {
  local who=$1 method=$2 path=$3 api=$4 sid="" ck="" tok="" key=""
  case $who in
    A) sid=$A_SID ck=$A_CSRFC tok=$A_TOK key=$A_KEY ;;
    R) sid=$R_SID ck=$R_CSRFC tok=$R_TOK key=$R_KEY ;;
  esac
  local args=(-s -o "$BODY" -w '%{http_code}' -X "$method")
  if [ "$api" = 1 ]; then
    [ -n "$key" ] && args+=(-H "Authorization: Bearer $key")
    [ "$method" != GET ] && args+=(-H 'Content-Type: application/json' --data '{}')
  else
    [ -n "$sid" ] && args+=(-b "sid=$sid; csrf=$ck")
    [ "$method" != GET ] && args+=(--data-urlencode "csrf=$tok")
  fi
  code=$(curl "${args[@]}" "$url$path")
}

# A POST may end the session (e.g. /logout): log in again before each one.
relogin() {
  read -r A_SID A_CSRFC A_TOK < <(login alice-a)
  read -r R_SID R_CSRFC R_TOK < <(login resel-r)
}

rank() {
  case $1 in
    customer) echo 1 ;; reseller) echo 2 ;; officer) echo 3 ;; admin) echo 4 ;; *) echo 0 ;;
  esac
}
n_routes=0
while read -r method pattern role auth flags; do
  [ "$role" = public ] && continue
  n_routes=$((n_routes + 1))
  # the credential the route's authenticator reads (issue 7 item 5): API key or session
  api=0
  [ "$auth" = api-key ] && api=1
  if [ "$auth" != api-key ] && [ "$auth" != session ]; then
    not_ok "R-ACT-1 $method $pattern ($role): authenticator '$auth' cannot identify a $role"
    continue
  fi
  [[ ",$flags," == *",api,"* ]] && [ $api = 0 ] &&
    not_ok "R-ACT-1 $method $pattern: an API route ($flags) reads no API key ($auth)"
  # fill the parameters
  path=""
  object=0
  missing=""
  IFS=/ read -ra segs <<<"${pattern#/}"
  for seg in "${segs[@]}"; do
    case $seg in
      :* | \**)
        p=${seg:1}
        v=${FIX_FOR["$pattern|$p"]-${FIX[$p]-}}
        if [ -z "$v" ]; then missing="$missing :$p"; v=x; fi
        if [ -n "${FIX_FOR["$pattern|$p"]-}" ] || [ -z "${FIX_OPEN[$p]-}" ]; then object=1; fi
        path="$path/$v"
        ;;
      *) path="$path/$seg" ;;
    esac
  done
  [ -z "$path" ] && path=/
  name="$method $pattern ($role)"
  if [ -n "$missing" ]; then
    not_ok "R-ACT-1 $name: no isolation fixture for$missing (add one in tests/it/isolation.d/)"
    continue
  fi
  # anonymous
  send anon "$method" "$path" $api
  if [ $api = 1 ]; then
    check_eq "R-ACT-1 $name anonymous: 401" 401 "$code"
  else
    check "R-ACT-1 $name anonymous: redirect to /login ($code)" test "$code" = 303
  fi
  # as A (customer) and as R (reseller) against B's objects / above their role
  for who in A R; do
    [ "$method" != GET ] && relogin
    send $who "$method" "$path" $api
    whorole=customer
    [ $who = R ] && whorole=reseller
    leak=$(leaks "$BODY")
    check "R-ACT-1 $name as $whorole of another org: none of B's data${leak:+ (leaked: $leak)}" \
      test -z "$leak"
    if [ "$(rank "$whorole")" -lt "$(rank "$role")" ]; then
      check "R-ACT-1 $name as $whorole (below the role): 404/403 ($code)" \
        test "$code" = 404 -o "$code" = 403
    elif [ $object = 1 ]; then
      check "R-ACT-1 $name as $whorole on B's object: 404/403 ($code)" \
        test "$code" = 404 -o "$code" = 403
    else
      check "R-ACT-1 $name as $whorole: no server error ($code)" test "$code" -lt 500
    fi
  done
done <"$IT_TMP/routes"
check "every non-public route was tried ($n_routes)" test "$n_routes" -gt 0

# ---- B is unchanged ----
me=$(curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/me")
check "B's API key still works (A could not revoke it)" grep -q "\"login_id\":\"$B_LOGIN\"" <<<"$me"
check "B's profile is unchanged" grep -q '"display_name":"Bobsecret Bname"' <<<"$me"
for c in "${AFTER[@]}"; do
  check "after: $c" eval "$c"
done
check "no sanitizer reports from the server" bash -c \
  '! grep -q "ERROR: AddressSanitizer\|runtime error" "$1"/server-*.log' _ "$IT_TMP"
it_done
