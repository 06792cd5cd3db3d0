#!/usr/bin/env bash
# R-API-1: docs/openapi.yaml is a structurally valid OpenAPI 3.0 document (the fields the
# specification requires, every operation with responses that have descriptions, unique
# operationIds, declared tags, every $ref resolving, every path parameter declared) and
# documents every /api/v1 route of `shomei routes` with its method. No validator is
# installed, so this is a small structural check in python3 (PyYAML).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
DOC=$here/../../docs/openapi.yaml
check "docs/openapi.yaml exists" test -f "$DOC"
python3 -c 'import yaml' 2>/dev/null || { not_ok "python3 with PyYAML (python3-yaml)"; it_done; }
"$SHOMEI_BIN" routes >"$IT_TMP/routes" || not_ok "shomei routes"
python3 - "$DOC" "$IT_TMP/routes" "$IT_N" <<'EOF'
import re, sys, yaml
n = int(sys.argv[3])
failed = False
def result(ok, name):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok"), n, "-", name)
    failed |= not ok
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
result(isinstance(doc, dict), "the document is a mapping")
result(str(doc.get("openapi", "")).startswith("3.0."), "openapi: 3.0.x")
info = doc.get("info") or {}
result(bool(info.get("title")) and bool(info.get("version")), "info.title and info.version")
paths = doc.get("paths") or {}
result(isinstance(paths, dict) and len(paths) > 0, "paths is a non-empty mapping")
declared_tags = {t["name"] for t in doc.get("tags", [])}

def resolve(ref):
    if not ref.startswith("#/"):
        return None
    cur = doc
    for part in ref[2:].split("/"):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur

bad_refs = []
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "$ref" and (not isinstance(v, str) or resolve(v) is None):
                bad_refs.append(v)
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(doc)
result(not bad_refs, "every $ref resolves %s" % (bad_refs[:3] or ""))

def deref(x):
    while isinstance(x, dict) and "$ref" in x:
        x = resolve(x["$ref"])
    return x

METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
op_ids, problems = [], []
for p, item in paths.items():
    if not p.startswith("/"):
        problems.append("path %s does not start with /" % p)
    params_here = [deref(x) for x in item.get("parameters", [])]
    for m in METHODS:
        op = item.get(m)
        if op is None:
            continue
        where = "%s %s" % (m.upper(), p)
        resp = op.get("responses")
        if not isinstance(resp, dict) or not resp:
            problems.append(where + ": no responses")
        else:
            for code, r in resp.items():
                r = deref(r)
                if not re.fullmatch(r"[1-5][0-9X]{2}|default", str(code)):
                    problems.append(where + ": bad status " + str(code))
                if not isinstance(r, dict) or not r.get("description"):
                    problems.append(where + ": response %s without description" % code)
        if op.get("operationId"):
            op_ids.append(op["operationId"])
        for t in op.get("tags", []):
            if t not in declared_tags:
                problems.append(where + ": undeclared tag " + t)
        if not op.get("tags"):
            problems.append(where + ": no tag")
        params = params_here + [deref(x) for x in op.get("parameters", [])]
        for name in re.findall(r"{([^}]+)}", p):
            if not any(x.get("in") == "path" and x.get("name") == name and x.get("required")
                       for x in params):
                problems.append(where + ": path parameter %s not declared" % name)
        for x in params:
            if "schema" not in x and "content" not in x:
                problems.append(where + ": parameter %s without schema" % x.get("name"))
result(not problems, "every operation: responses with descriptions, tags, path parameters"
       + ("" if not problems else " (%s)" % "; ".join(problems[:5])))
result(len(op_ids) == len(set(op_ids)), "operationIds are unique")
schemes = (doc.get("components") or {}).get("securitySchemes") or {}
used = {k for req in doc.get("security", []) for k in req}
for item in paths.values():
    for m in METHODS:
        for req in (item.get(m) or {}).get("security", []) or []:
            used |= set(req)
result(used <= set(schemes), "security requirements name declared schemes")

routes = []
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) >= 2 and f[1].startswith("/api/v1"):
        routes.append((f[0].lower(), re.sub(r"[:*]([A-Za-z_]+)", r"{\1}", f[1])))
result(len(routes) > 0, "shomei routes lists /api/v1 routes")
for m, p in routes:
    result(p in paths and m in paths[p], "R-API-1 %s %s is documented" % (m.upper(), p))
print("# %d paths, %d operations" % (len(paths), len(op_ids)))
sys.exit(1 if failed else 0)
EOF
rc=$?
[ $rc -eq 0 ] || IT_FAILED=1
it_done
