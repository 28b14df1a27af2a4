#!/usr/bin/env python3
"""docs/openapi.yaml against reel-origin.

Static half: the document's operations are exactly the routes of the user API
(origin/api/user_routes.c) and of the admin API (origin/api/admin_routes.c), each path on the right
server, every operation with its security and responses.  Live half, when
$REEL_ORIGIN names a binary: every documented operation answers something
other than 404 not_found or 405 without credentials, with a status the
document lists for it; other methods get 405 with exactly the documented
methods in Allow; and the bodies of a short signed-in walk have the members
their documented schema requires, and none it does not list.

No YAML library: the document keeps to a restricted block style (two-space
indents, one key per line, flow lists only of scalars), which the small
indentation parser below reads.
"""

import hashlib
import os
import re

import edgetest as et
import origintest as ot

DOC = os.path.join(et.SOURCE_ROOT, "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PARAM_SAMPLES = {"title": "t1", "lease": "l" + "0" * 24, "download": "d" + "0" * 24,
                 "plan": "basic", "user": "u" + "0" * 16}


# ---- the document ----------------------------------------------------------------

class Node:
    def __init__(self, key, value, indent):
        self.key, self.value, self.indent, self.children = key, value, indent, []

    def get(self, key):
        for c in self.children:
            if c.key == key:
                return c
        return None

    def all(self, key):
        return [c for c in self.children if c.key == key]


def parse_tree(text):
    """The document as a tree of 'key: value' lines by indentation.  A list
    item '- key: value' is a child of the list's key; block scalar lines become
    children of their key, which nothing below looks at."""
    root = Node(None, None, -1)
    stack = [root]
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if s.startswith("- "):
            s = s[2:]
            indent += 2
        key, _, value = s.partition(":")
        key = key.strip().strip("'\"")
        value = value.strip().strip("'\"")
        while stack[-1].indent >= indent:
            stack.pop()
        node = Node(key, value, indent)
        stack[-1].children.append(node)
        stack.append(node)
    return root


def first_ref(node, prefixes=("#/components/schemas/", "#/components/responses/")):
    """The first $ref under NODE (depth first) that starts with one of PREFIXES."""
    for c in node.children:
        if c.key == "$ref" and c.value.startswith(prefixes):
            return c.value
        r = first_ref(c, prefixes)
        if r:
            return r
    return None


def flow_list(value):
    return [v.strip() for v in value.strip("[]").split(",") if v.strip()]


class Doc:
    """What the test needs of docs/openapi.yaml."""

    def __init__(self, text):
        self.text = text
        tree = parse_tree(text)
        self.version = (tree.get("openapi") or Node("", "", 0)).value
        top = [s.value for s in tree.get("servers").all("url")] if tree.get("servers") else []
        comp = tree.get("components") or Node("", "", 0)
        self.schemas = {n.key: n for n in (comp.get("schemas") or Node("", "", 0)).children}
        self.responses = {n.key: n for n in (comp.get("responses") or Node("", "", 0)).children}
        self.schemes = {n.key: {c.key: c.value for c in n.children}
                        for n in (comp.get("securitySchemes") or Node("", "", 0)).children}
        self.ops = {}  # (METHOD, path) -> dict
        for p in tree.get("paths").children if tree.get("paths") else []:
            servers = [s.value for s in p.get("servers").all("url")] if p.get("servers") else top
            for m in p.children:
                if m.key not in METHODS:
                    continue
                resp = m.get("responses")
                self.ops[(m.key.upper(), p.key)] = {
                    "servers": servers,
                    "security": m.get("security"),
                    "operationId": (m.get("operationId") or Node("", "", 0)).value,
                    "responses": {r.key: r for r in resp.children} if resp else {},
                }

    def schema_of(self, op, status):
        """The schema name documented for OP's answer STATUS, or None."""
        r = op["responses"].get(str(status))
        ref = first_ref(r) if r else None
        if ref and ref.startswith("#/components/responses/"):
            r = self.responses.get(ref.rsplit("/", 1)[1])
            ref = first_ref(r, ("#/components/schemas/",)) if r else None
        return ref.rsplit("/", 1)[1] if ref else None

    def members(self, name):
        """(required, documented) member names of schema NAME; None for composed ones."""
        s = self.schemas.get(name)
        if s is None or s.get("properties") is None:
            return None
        req = s.get("required")
        return (set(flow_list(req.value)) if req else set(),
                {c.key for c in s.get("properties").children})


def pattern(path):
    """A document path as a route pattern: each {param} segment becomes '*'."""
    return re.sub(r"\{[^}/]+\}", "*", path)


# ---- the code --------------------------------------------------------------------

def routes(source):
    """The (METHOD, pattern) pairs of the route table in SOURCE."""
    with open(os.path.join(et.SOURCE_ROOT, source)) as f:
        text = f.read()
    return set(re.findall(r'\{\s*HTTP_([A-Z]+),\s*"([^"]+)",\s*\w+\s*\}', text))


def default_urls():
    """The built-in user and admin API addresses, as URLs (origin/origin_config.c)."""
    with open(os.path.join(et.SOURCE_ROOT, "origin", "origin_config.c")) as f:
        text = f.read()
    user = re.search(r'conf_parse_addr\("([^"]+)", &cfg->listen\[0\]\)', text)
    admin = re.search(r'conf_parse_addr\("([^"]+)", &cfg->admin_listen\[0\]\)', text)
    return ("http://" + user.group(1) if user else None,
            "http://" + admin.group(1) if admin else None)


# ---- checks ----------------------------------------------------------------------

def static_checks(t, doc):
    t.check_eq("the document is OpenAPI 3.0.3", doc.version, "3.0.3")
    user_url, admin_url = default_urls()
    t.check("origin/origin_config.c has the default user and admin addresses",
            user_url and admin_url, (user_url, admin_url))
    served = {}  # (METHOD, pattern) -> set of server URLs that route it
    for url, source in ((user_url, "origin/api/user_routes.c"), (admin_url, "origin/api/admin_routes.c")):
        table = routes(source)
        t.check("%s has a route table" % source, len(table) >= 5, table)
        for r in table:
            served.setdefault(r, set()).add(url)
    documented = {}
    for (method, path), op in doc.ops.items():
        documented[(method, pattern(path))] = set(op["servers"])
    for r in sorted(served):
        t.check("route %s %s is documented" % r, r in documented, "missing from docs/openapi.yaml")
    for r in sorted(documented):
        t.check("documented %s %s is routed" % r, r in served,
                "no such route in origin/api/user_routes.c or origin/api/admin_routes.c")
    for r in sorted(set(served) & set(documented)):
        t.check_eq("%s %s is on the server(s) that route it" % r,
                   sorted(documented[r]), sorted(served[r]))
    ids = [op["operationId"] for op in doc.ops.values()]
    t.check("every operation has a unique operationId", all(ids) and len(set(ids)) == len(ids),
            sorted(ids))
    for (method, path), op in sorted(doc.ops.items()):
        name = "%s %s" % (method, path)
        codes = set(op["responses"])
        t.check("%s states its security" % name, op["security"] is not None)
        t.check("%s documents a 2xx answer" % name, any(c.startswith("2") for c in codes),
                sorted(codes))
        if op["security"] is not None and op["security"].children:
            t.check("%s documents 401" % name, "401" in codes, sorted(codes))
        for code, r in op["responses"].items():
            t.check("%s %s has a description or a shared response" % (name, code),
                    r.get("description") is not None or first_ref(r) is not None)


def presents(scheme, req):
    """Does the request REQ (its headers, query and cookies) carry the credential of SCHEME?"""
    if scheme.get("type") == "http" and scheme.get("scheme") == "bearer":
        return req["headers"].get("authorization", "").lower().startswith("bearer ")
    if scheme.get("type") == "apiKey":
        where = {"query": req["query"], "cookie": req["cookies"],
                 "header": req["headers"]}.get(scheme.get("in"), {})
        name = scheme.get("name", "")
        return (name.lower() if scheme.get("in") == "header" else name) in where
    return False


def satisfies(doc, op, req):
    """Would a validating proxy let REQ through OP's security: does it meet one of the
    requirements (every scheme of it), or does the operation need none?"""
    sec = op["security"]
    if sec is None:
        return False
    if not sec.children:
        return True  # security: []
    return any(doc.schemes.get(alt.key) is not None and presents(doc.schemes[alt.key], req)
               for alt in sec.children)


def sample_path(path, **given):
    """PATH with a sample value (or one GIVEN) for each {param}."""
    values = dict(PARAM_SAMPLES, **given)
    return re.sub(r"\{([^}/]+)\}", lambda m: values.get(m.group(1), "x"), path)


def is_json_error(r):
    return (isinstance(r.json, dict) and isinstance(r.json.get("error"), str)
            and isinstance(r.json.get("message"), str))


def check_shape(t, doc, name, op, r):
    """R's JSON body has the members its documented schema requires, and no others."""
    schema = doc.schema_of(op, r.status)
    if not t.check("%s answers a documented status (%d)" % (name, r.status),
                   str(r.status) in op["responses"], r.body[:200]):
        return
    m = doc.members(schema) if schema else None
    if m is None or not isinstance(r.json, dict):
        return
    required, known = m
    keys = set(r.json)
    t.check("%s %d body has %s's required members" % (name, r.status, schema),
            required <= keys, "missing %s" % sorted(required - keys))
    t.check("%s %d body has only %s's members" % (name, r.status, schema),
            keys <= known, "undocumented %s" % sorted(keys - known))


def live_checks(t, doc):
    user_url, admin_url = default_urls()
    o = t.origin()
    port_of = {user_url: o.port, admin_url: o.admin_port}
    by_path = {}
    for (method, path), op in doc.ops.items():
        for url in op["servers"]:
            by_path.setdefault((url, path), set()).add(method)

    # without credentials: every documented operation is routed and answers as documented
    for (method, path), op in sorted(doc.ops.items()):
        for url in op["servers"]:
            name = "%s %s on %s" % (method, path, "admin" if url == admin_url else "user")
            r = o.call(method, sample_path(path), port=port_of[url])
            t.check("%s is routed (not 404 not_found, not 405)" % name,
                    r.status != 405 and not (r.status == 404 and is_json_error(r)
                                             and r.json["error"] == "not_found"), r.summary())
            if r.status >= 400 and r.status != 413:
                t.check("%s error %d is {error, message} JSON" % (name, r.status),
                        is_json_error(r), r.body[:200])
            check_shape(t, doc, name, op, r)

    # other methods: 405 with the documented ones in Allow
    for (url, path), methods in sorted(by_path.items()):
        r = o.call("OPTIONS", sample_path(path), port=port_of[url])
        want = set(methods) | ({"HEAD"} if "GET" in methods else set())
        allow = {m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()}
        t.check("OPTIONS %s on %s is 405 allowing exactly %s"
                % (path, "admin" if url == admin_url else "user", sorted(want)),
                r.status == 405 and allow == want, "%d Allow %s" % (r.status, sorted(allow)))
    r = o.call("GET", "/api/v1/no-such-endpoint")
    t.check("an undocumented path is 404 not_found", ot.is_error(r, 404, "not_found"), r.body)

    # a short signed-in walk: the bodies match their schemas
    def walk(method, path, body=None, token=None, admin=False, query="", **params):
        op = doc.ops[(method, path)]
        real = sample_path(path, **params) + query
        r = (o.admin(method, real, body) if admin
             else o.call(method, real, body, token=token))
        check_shape(t, doc, "%s %s (signed in)" % (method, path), op, r)
        return r

    plan = {"title": "Basic", "max_streams": 2, "max_height": 720, "downloads": True,
            "max_devices": 2, "max_downloads": 3, "downloads_per_title_year": 3}
    walk("PUT", "/admin/v1/plans/{plan}", plan, admin=True)
    walk("GET", "/admin/v1/plans/{plan}", admin=True)
    walk("GET", "/admin/v1/plans", admin=True)
    creds = {"email": "doc@example.com", "password": "correct horse battery staple"}
    walk("POST", "/api/v1/signup", creds)
    r = walk("POST", "/api/v1/login", creds)
    token = (r.json or {}).get("token", "")
    walk("GET", "/api/v1/me", token=token)
    walk("PUT", "/api/v1/subscription", {"plan": "basic"}, token=token)
    walk("GET", "/api/v1/subscription", token=token)
    walk("GET", "/api/v1/titles", token=token)
    walk("GET", "/api/v1/downloads", token=token)
    walk("POST", "/api/v1/play", {"title": "t1"}, token=token)
    for path in ("/api/v1/me/continue", "/api/v1/me/history", "/api/v1/me/export",
                 "/api/v1/me/recommendations", "/api/v1/popular"):
        walk("GET", path, token=token)
    walk("GET", "/api/v1/search", token=token, query="?q=t")
    walk("POST", "/admin/v1/titles/{title}/keys", {"kid": "k1"}, admin=True)
    walk("GET", "/admin/v1/titles", admin=True)
    r = walk("GET", "/admin/v1/users", admin=True)
    uid = ((r.json or {}).get("users") or [{}])[0].get("id", "")
    walk("POST", "/admin/v1/grants", {"user": uid, "plan": "basic", "days": 7}, admin=True)
    walk("DELETE", "/api/v1/subscription", token=token)
    walk("POST", "/api/v1/logout", token=token)
    walk("POST", "/admin/v1/users/{user}/disable", admin=True, user=uid)
    walk("POST", "/admin/v1/users/{user}/enable", admin=True, user=uid)
    r = walk("POST", "/admin/v1/uploads", {"name": "a.mp4", "size": 3,
                                           "sha256": hashlib.sha256(b"abc").hexdigest()},
             admin=True)
    up = (r.json or {}).get("id", "")
    walk("GET", "/admin/v1/uploads", admin=True)
    walk("GET", "/admin/v1/uploads/{upload}", admin=True, upload=up)
    walk("POST", "/admin/v1/jobs", {"title": "t9", "upload": up}, admin=True)
    walk("GET", "/admin/v1/jobs", admin=True)
    walk("DELETE", "/admin/v1/uploads/{upload}", admin=True, upload=up)
    credential_forms(t, doc, o)


def credential_forms(t, doc, o):
    """Every form of credentials the origin accepts validates against the operation's
    documented security: a request the server answers 2xx meets one of its requirements."""
    import base64
    import json
    from test_origin_downloads import manifest

    def form(name, method, path, real, headers=(), body=None, want=(200, 201, 204)):
        hdrs = list(headers)
        r = o.call(method, real, body, headers=hdrs,
                   port=o.admin_port if path.startswith("/admin/") else None)
        query = dict(kv.split("=", 1) for kv in real.partition("?")[2].split("&") if "=" in kv)
        cookies = {}
        for k, v in hdrs:
            if k.lower() == "cookie":
                cookies.update(c.strip().split("=", 1) for c in v.split(";") if "=" in c)
        req = {"headers": {k.lower(): v for k, v in hdrs}, "query": query, "cookies": cookies}
        op = doc.ops[(method, path)]
        t.check("%s: the origin accepts it (%d)" % (name, r.status), r.status in want,
                r.body[:200])
        t.check("%s: it meets %s's documented security" % (name, op["operationId"]),
                satisfies(doc, op, req), op["security"] and [c.key for c in
                                                             op["security"].children])
        return r

    plan = {"title": "Keys", "max_streams": 2, "max_height": 720, "downloads": True,
            "max_devices": 2, "max_downloads": 3, "downloads_per_title_year": 3}
    admin = [("Authorization", "Bearer " + o.admin_token)]
    form("an admin token", "PUT", "/admin/v1/plans/{plan}", "/admin/v1/plans/keys",
         admin, plan)
    o.admin("PUT", "/admin/v1/titles/movie", raw=manifest("movie"))
    o.admin("POST", "/admin/v1/titles/movie/keys", {"kid": "k1"})
    tok = o.user("forms@example.com", plan="keys")
    bearer = [("Authorization", "Bearer " + tok)]
    form("a session as Bearer", "GET", "/api/v1/me", "/api/v1/me", bearer)
    form("a session as cookie", "GET", "/api/v1/me", "/api/v1/me",
         [("Cookie", "__Host-reel_session=" + tok)])
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok)
    stream = (r.json or {}).get("token", "")
    form("a stream token", "GET", "/api/v1/keys/{title}", "/api/v1/keys/movie?token=" + stream)
    key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    r = o.call("POST", "/api/v1/downloads", {"title": "movie", "device_id": "phone",
                                             "device_key": key}, token=tok)
    lic = (r.json or {}).get("license", "")
    form("an offline license", "GET", "/api/v1/keys/{title}",
         "/api/v1/keys/movie?license=" + lic)
    form("no credentials where none are needed", "GET", "/api/v1/stream-keys",
         "/api/v1/stream-keys")


def main(t):
    with open(DOC) as f:
        doc = Doc(f.read())
    t.check("docs/openapi.yaml has operations", len(doc.ops) >= 10, len(doc.ops))
    static_checks(t, doc)
    if not os.environ.get("REEL_ORIGIN") or not os.access(ot.ORIGIN_BIN, os.X_OK):
        print("# REEL_ORIGIN not set or not a binary: the live checks did not run", flush=True)
        return
    live_checks(t, doc)


if __name__ == "__main__":
    et.run(main, "origin_openapi", cls=ot.Test)
