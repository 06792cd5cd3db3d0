# Isolation fixtures of the group routes (issue 12 item 6; sourced by tests/it/isolation.sh):
# a group of B's organization, which A may neither see nor join nor file certificates under.
B_GROUP=$(curl -s -H "Authorization: Bearer $B_KEY" -H 'Content-Type: application/json' \
  --data-binary '{"name":"bob-secret-group","template":{"notify_emails":["bob-secret@b.example"]}}' \
  "$url/api/v1/groups" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))')
[ -n "$B_GROUP" ] || not_ok "B creates a group"
fixture gid "$B_GROUP"
B_UID=$(curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/me" |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))')
[ -n "$B_UID" ] || not_ok "B's user id"
fixture uid "$B_UID" # B, the member of B's group, whom A may not remove
secret bob-secret-group
group_b_alone() {
  curl -s -H "Authorization: Bearer $B_KEY" "$url/api/v1/groups" |
    python3 -c 'import json,sys; g=json.load(sys.stdin)["groups"]; sys.exit(0 if len(g) == 1 and g[0]["members"] == 1 and g[0]["certs"] == 0 and g[0]["name"] == "bob-secret-group" else 1)'
}
after_check group_b_alone
