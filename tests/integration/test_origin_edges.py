#!/usr/bin/env python3
"""reel-origin's edge registry, heartbeats and steering (docs/distribution.md):
edges registered over the admin API; heartbeats signed with each edge's own
credential (an independent hmac-sha256 signer here) and refused otherwise;
players steered by the longest prefix matching their address (clients bind
distinct loopback addresses), away from draining and down edges; leases kept
alive by the edges that serve them and ended after the last report; ended
leases and disabled users in the next heartbeat's answer; a new credential
revokes the old."""

import http.client
import json
import os
import time

import edgetest as et
import origintest as ot
from origintest import is_error, signed

PLAN = {"title": "Basic", "max_streams": 1, "max_height": 1080, "downloads": False,
        "max_devices": 1, "max_downloads": 1, "downloads_per_title_year": 1}
MANIFEST = {
    "manifest_version": 1, "title": "Movie", "duration": 60, "segment_target": 2,
    "container": "fmp4",
    "video": [{"path": "360p/index.m3u8", "width": 640, "height": 360, "bandwidth": 800000,
               "codecs": "avc1.64001e", "frame_rate": 30}],
    "audio": [], "subtitles": [], "encrypted": False,
    "files": [{"path": "master.m3u8", "size": 100, "sha256": "00" * 32,
               "content_type": "application/vnd.apple.mpegurl"}],
}
def post(port, path, body, headers, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        h = {"Content-Type": "application/json"}
        h.update(headers)
        c.request("POST", path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data
    finally:
        c.close()


class Edge:
    """One registered edge that reports like reel-edge would."""

    def __init__(self, o, rec):
        self.o, self.id, self.secret = o, rec["id"], rec["secret"]
        self.cursor = ""

    def beat(self, titles=("movie",), leases=(), **extra):
        doc = dict({"health": "ok", "connections": 3, "bytes_per_s": 1000, "disk_used": 1,
                    "disk_free": 2, "titles": list(titles), "leases": list(leases)}, **extra)
        if self.cursor:
            doc["cursor"] = self.cursor
        body = json.dumps(doc).encode()
        st, ans = post(self.o.edge_port, "/edge/v1/heartbeat", body,
                       signed(self.id, self.secret, "POST", "/edge/v1/heartbeat", body))
        if st == 200:
            self.cursor = ans["cursor"]
        return st, ans


def play(o, token, source):
    st, ans = post(o.port, "/api/v1/play", json.dumps({"title": "movie"}).encode(),
                   {"Authorization": "Bearer " + token}, source=source)
    return st, ans


def registry(t, o):
    edges = {}
    for name, prefixes in [("a", ["127.0.1.0/24"]), ("b", ["127.0.0.0/8", "2001:db8::/32"]),
                           ("c", ["198.51.100.0/24"])]:
        r = o.admin("POST", "/admin/v1/edges", {
            "name": name, "url": "http://edge-%s.example/" % name, "cluster": "isp1",
            "capacity": 1000, "prefixes": prefixes})
        t.check("edge %s registered: 201 with an id and a credential" % name,
                r.status == 201 and len(r.json.get("secret", "")) == 43
                and r.json.get("state") == "down" and r.json.get("url") ==
                "http://edge-%s.example" % name, r.body)
        edges[name] = Edge(o, r.json)
    for why, body, code in [
            ("a host bit past the length", {"prefixes": ["127.0.1.1/24"]}, 422),
            ("a length past 32", {"prefixes": ["10.0.0.0/33"]}, 422),
            ("no URL scheme", {"url": "edge.example"}, 422),
            ("capacity 0", {"capacity": 0}, 422),
            ("an unknown member", {"color": "red"}, 400)]:
        doc = dict({"name": "bad", "url": "http://bad.example", "cluster": "x",
                    "capacity": 10}, **body)
        r = o.admin("POST", "/admin/v1/edges", doc)
        t.check("an edge with %s: %d" % (why, code), r.status == code, r.body)
    r = o.admin("POST", "/admin/v1/edges", {"name": "a", "url": "http://x.example",
                                             "cluster": "x", "capacity": 1})
    t.check("a name in use: 409", is_error(r, 409, "name_taken"), r.body)
    r = o.admin("GET", "/admin/v1/edges")
    t.check_eq("the list shows the three, no secrets",
               [(e["name"], "secret" in e) for e in r.json["edges"]],
               [("a", False), ("b", False), ("c", False)])
    r = o.admin("GET", "/admin/v1/edges/e0000000000000000")
    t.check("an unknown edge: 404", is_error(r, 404, "unknown_edge"), r.body)
    return edges


def signatures(t, o, e):
    body = b'{"health": "ok"}'
    st, ans = post(o.edge_port, "/edge/v1/heartbeat", body, {})
    t.check("an unsigned heartbeat: 401", st == 401, ans)
    st, ans = post(o.edge_port, "/edge/v1/heartbeat", body,
                   signed(e.id, "x" * 43, "POST", "/edge/v1/heartbeat", body))
    t.check("a wrong credential: 401", st == 401 and "verify" in ans.get("message", ""), ans)
    hdrs = signed(e.id, e.secret, "POST", "/edge/v1/heartbeat", body)
    st, ans = post(o.edge_port, "/edge/v1/heartbeat", body + b" ", hdrs)
    t.check("a body that is not the digest's: 401", st == 401, ans)
    st, ans = post(o.edge_port, "/edge/v1/heartbeat", body,
                   signed(e.id, e.secret, "POST", "/edge/v1/heartbeat", body,
                          created=int(time.time()) - 1000))
    t.check("a signature 1000 s old: 401", st == 401, ans)
    st, ans = post(o.edge_port, "/edge/v1/heartbeat", body, hdrs)
    t.check("a signed heartbeat: 200 with a cursor and the interval",
            st == 200 and ans.get("interval") == 1 and ans.get("down_after") == 3
            and ":" in ans.get("cursor", ""), ans)
    st, ans = post(o.edge_port, "/edge/v1/heartbeat", body, hdrs)
    t.check("the same nonce again: 401", st == 401 and "nonce" in ans.get("message", ""), ans)
    bad = b'{"health": "fine"}'
    st, ans = post(o.edge_port, "/edge/v1/heartbeat", bad,
                   signed(e.id, e.secret, "POST", "/edge/v1/heartbeat", bad))
    t.check("a report with an unknown health: 422", st == 422, ans)


def steering(t, o, edges, viewer):
    for e in edges.values():
        t.check("edge reports", e.beat()[0] == 200)
    firsts = [o.admin("GET", "/admin/v1/steer?address=203.0.113.9&title=movie").json[
        "choices"][0].get("edge") for _ in range(3)]
    t.check("asking where a player would go sends nobody: the answer stays (equal loads)",
            firsts[0] and firsts == [firsts[0]] * 3, firsts)
    st, ans = play(o, viewer, "127.0.1.5")
    t.check("a client in 127.0.1.0/24 goes to edge a (the longest prefix)",
            st == 201 and ans["url"].startswith("http://edge-a.example/s/")
            and ans["steering"]["prefix_len"] == 24, ans)
    t.check("its alternates start with edge b (the /8)",
            ans.get("alternates") and ans["alternates"][0]["edge"] == edges["b"].id, ans)
    o.call("DELETE", "/api/v1/play/" + ans["lease"], token=viewer)
    st, ans = play(o, viewer, "127.0.2.5")
    t.check("a client in 127.0.2.0/24 goes to edge b (the /8)",
            st == 201 and ans["url"].startswith("http://edge-b.example/"), ans)
    o.call("DELETE", "/api/v1/play/" + ans["lease"], token=viewer)
    r = o.admin("GET", "/admin/v1/steer?address=2001:db8::7&title=movie")
    t.check("reelctl's view: 2001:db8::7 goes to edge b",
            r.status == 200 and r.json["choices"][0].get("edge") == edges["b"].id, r.body)
    r = o.admin("GET", "/admin/v1/steer?address=203.0.113.9&title=other")
    t.check("a title no edge holds: pulled through, the fallback last",
            r.status == 200 and r.json["choices"][0]["why"] == "pull"
            and r.json["choices"][-1]["why"] == "fallback", r.body)
    r = o.admin("POST", "/admin/v1/edges/%s/drain" % edges["a"].id)
    t.check("drain edge a: 200 draining", r.status == 200 and r.json["state"] == "draining",
            r.body)
    r = o.admin("GET", "/admin/v1/steer?address=127.0.1.5&title=movie")
    t.check("a draining edge gets no new players",
            all(c.get("edge") != edges["a"].id for c in r.json["choices"]), r.body)
    o.admin("POST", "/admin/v1/edges/%s/resume" % edges["a"].id)
    deadline = time.time() + 6
    while time.time() < deadline:
        edges["b"].beat()
        edges["c"].beat()
        r = o.admin("GET", "/admin/v1/steer?address=127.0.1.5&title=movie")
        if r.json["choices"][0].get("edge") == edges["b"].id:
            break
        time.sleep(0.5)
    t.check("edge a silent: within the down threshold its clients go to edge b",
            r.json["choices"][0].get("edge") == edges["b"].id, r.body)
    r = o.admin("GET", "/admin/v1/edges/" + edges["a"].id)
    t.check_eq("edge a shows down", r.json.get("state"), "down")


def leases(t, o, edges, viewer, uid):
    b = edges["b"]
    st, ans = play(o, viewer, "127.0.2.5")
    t.check("a play: 201", st == 201, ans)
    lease = ans["lease"]
    for _ in range(5):  # 5 s, past the 3 s lease timeout, with no player heartbeat
        b.beat(leases=[lease])
        time.sleep(1)
    st, ans2 = play(o, viewer, "127.0.2.5")
    t.check("while an edge serves the lease it stays alive (a second play is refused)",
            st == 403 and ans2.get("error") == "stream_limit", ans2)
    t.check("the served lease is not revoked", lease not in b.beat()[1]["leases"])
    revoked, deadline = [], time.time() + 8
    while time.time() < deadline and lease not in revoked:
        time.sleep(0.5)
        revoked += b.beat()[1]["leases"]
    t.check("unserved, it ends within the lease timeout and the edges hear of it",
            lease in revoked, revoked)
    st, ans = play(o, viewer, "127.0.2.5")
    t.check("the slot is free again", st == 201, ans)
    o.call("DELETE", "/api/v1/play/" + ans["lease"], token=viewer)
    _, a = b.beat()
    t.check("a stopped lease is in the next answer", ans["lease"] in a["leases"], a)
    _, a = b.beat()
    t.check("and only once", ans["lease"] not in a["leases"], a)
    fresh = Edge(o, {"id": edges["c"].id, "secret": edges["c"].secret})
    _, a = fresh.beat()
    t.check("an edge without a cursor gets the whole log",
            lease in a["leases"] and ans["lease"] in a["leases"], a)
    r = o.admin("POST", "/admin/v1/users/%s/disable" % uid)
    t.check("user disabled", r.status == 200, r.body)
    _, a = b.beat()
    t.check("a disabled user is in the next answer, with the time before which its tokens go",
            any(u["user"] == uid and u["before"] >= time.time() - 5 for u in a["users"]), a)


def credentials(t, o, edges):
    c = edges["c"]
    r = o.admin("POST", "/admin/v1/edges/%s/secret" % c.id)
    t.check("a new credential: 200", r.status == 200 and r.json["secret"] != c.secret, r.body)
    st, _ = c.beat()
    t.check("the old credential is refused", st == 401)
    c.secret = r.json["secret"]
    t.check("the new one works", c.beat()[0] == 200)
    r = o.admin("DELETE", "/admin/v1/edges/" + c.id)
    t.check_eq("removing an edge: 204", r.status, 204)
    t.check("a removed edge's heartbeat is refused", c.beat()[0] == 401)


def main(t):
    odir = os.path.join(t.tmp, "origin")
    os.makedirs(odir)
    edge_port = et.free_port()
    o = ot.Origin(odir, **{
        "playback": {"lease_timeout": "3s"},
        "edges": {"listen": "127.0.0.1:%d" % edge_port, "down_after": "3s",
                  "interval": "1s", "fallback_url": "http://origin.example/content"}})
    o.edge_port = edge_port
    t.origins.append(o)
    o.start()
    t.check_eq("plan", o.admin("PUT", "/admin/v1/plans/basic", PLAN).status, 201)
    r = o.admin("PUT", "/admin/v1/titles/movie", raw=json.dumps(MANIFEST).encode())
    t.check("title registered", r.status == 201, r.body)
    viewer = o.user("viewer@example.com", plan="basic")
    uid = o.call("GET", "/api/v1/me", token=viewer).json["id"]

    edges = registry(t, o)
    signatures(t, o, edges["a"])
    steering(t, o, edges, viewer)
    leases(t, o, edges, viewer, uid)
    credentials(t, o, edges)
    o.stop()
    o.start()
    r = o.admin("GET", "/admin/v1/edges")
    t.check_eq("the registry survives a restart (all down until they report)",
               sorted((e["name"], e["state"]) for e in r.json["edges"]),
               [("a", "down"), ("b", "down")])
    edges["b"].cursor = ""
    t.check("and the credentials with it", edges["b"].beat()[0] == 200)


if __name__ == "__main__":
    et.run(main, "origin_edges", cls=ot.Test)
