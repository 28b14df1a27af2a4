#!/usr/bin/env python3
"""The origin's fill scheduler against real edges: titles registered at the origin
appear complete on every edge of the cluster (the edges' own files checked against the
package), a title removed leaves them, an edge that was away is filled when it comes
back, and an origin restart sends nothing the edges already hold."""

import hashlib
import json
import os
import shutil
import subprocess
import time

import edgetest as et
import origintest as ot


def wait(t, what, cond, timeout=60.0, step=0.3):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(step)
    t.check(what, False)
    return None


def status(o):
    r = o.admin("GET", "/admin/v1/fill")
    return r.json if r.status == 200 else {}


def edge_titles(o, eid):
    """{title: state} of edge EID in the fill status."""
    for e in status(o).get("edges", []):
        if e["id"] == eid:
            return {x["title"]: x["state"] for x in e["titles"]}
    return {}


def tree(root, title):
    """{path: sha256} of every file of TITLE under ROOT."""
    out = {}
    base = os.path.join(root, title)
    for d, _, files in os.walk(base):
        for n in files:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, base)] = hashlib.sha256(f.read()).hexdigest()
    return out


def add_edges(t, o, n):
    """N edges of cluster c1 registered, their fill listeners on free ports: (ports, ids)."""
    ports, ids = [et.free_port() for _ in range(n)], []
    for i, port in enumerate(ports):
        r = o.admin("POST", "/admin/v1/edges", {
            "name": "e%d" % i, "url": "http://127.0.0.1:%d" % (9000 + i), "cluster": "c1",
            "capacity": 1000, "fill_url": "http://127.0.0.1:%d" % port})
        t.check_eq("edge %d registered with its fill URL" % i, r.status, 201)
        ids.append(r.json["id"])
    return ports, ids


def start_edge(t, name, eid, keys, port):
    root = os.path.join(t.tmp, name + "-store")
    os.makedirs(root, exist_ok=True)
    e = t.edge(root, start=False, **{
        "store": {"enabled": "on", "index": os.path.join(t.tmp, name + "-index")},
        "fill": {"listen": "127.0.0.1:%d" % port},
        "origin": {"edge_id": eid, "control_keys": keys},
        "log": {"level": "info"}})
    e.fill_port, e.store_root = port, root
    e.start()
    return e


def main(t):
    content = ot.make_package(t.tmp, "movie")
    shutil.copytree(os.path.join(content, "movie"), os.path.join(content, "show"))
    shutil.copytree(os.path.join(content, "movie"), os.path.join(content, "late"))
    os.makedirs(os.path.join(t.tmp, "o"))
    o = ot.Origin(os.path.join(t.tmp, "o"), jobs={"content_dir": content}, fill={
        "rescan": "1s", "backoff": "1s", "backoff_max": "2s",
        "parallel": "3"})
    t.origins.append(o)
    o.start()
    st = status(o)
    t.check_eq("fill status with no edges", st.get("edges"), [])
    keys = st["control_keys"]["keys"]
    t.check("the control key is published", len(keys) == 1 and len(keys[0]["public_key"]) == 64)
    kf = os.path.join(t.tmp, "control.keys")
    with open(kf, "w") as f:
        f.write("%s %s\n" % (keys[0]["kid"], keys[0]["public_key"]))

    ports, ids = add_edges(t, o, 2)
    r = o.admin("POST", "/admin/v1/edges", {"name": "bad", "url": "http://x.example",
                                            "cluster": "c1", "capacity": 1, "fill_url": "ftp://x"})
    t.check_eq("a fill_url that is no http(s) URL is refused", r.status, 422)
    edges = []
    for i, eid in enumerate(ids):
        e = start_edge(t, "e%d" % i, eid, kf, ports[i])
        edges.append(e)

    for name in ("movie", "show"):
        with open(os.path.join(content, name, "manifest.json"), "rb") as f:
            r = o.admin("PUT", "/admin/v1/titles/" + name, raw=f.read())
        t.check_eq("title %s registered" % name, r.status, 201)
    want = tree(content, "movie")
    for i, eid in enumerate(ids):
        wait(t, "edge %d holds both titles complete" % i,
             lambda: edge_titles(o, eid) == {"movie": "done", "show": "done"})
        t.check_eq("edge %d's files of movie are the package's" % i,
                   tree(edges[i].store_root, "movie"), want)
    st = status(o)
    t.check("bytes and objects sent are counted",
            all(e["objects_sent"] >= len(want) * 2 - 2 and e["bytes_sent"] > 0
                for e in st["edges"]), st)

    r = o.admin("DELETE", "/admin/v1/titles/show")
    t.check("title show removed at the origin", r.status in (200, 204), r.body)
    for i, eid in enumerate(ids):
        wait(t, "edge %d no longer holds show" % i,
             lambda: edge_titles(o, eid) == {"movie": "done"})
        t.check_eq("edge %d removed show's files" % i, tree(edges[i].store_root, "show"), {})

    # edge 1 away while a title comes: it waits, retried, and is filled on its return
    edges[1].stop()
    with open(os.path.join(content, "late", "manifest.json"), "rb") as f:
        t.check_eq("title late registered",
                   o.admin("PUT", "/admin/v1/titles/late", raw=f.read()).status, 201)
    wait(t, "edge 0 gets late", lambda: edge_titles(o, ids[0]).get("late") == "done")
    e1 = [e for e in status(o)["edges"] if e["id"] == ids[1]][0]
    t.check("edge 1 away: its inventory fails, nothing is in flight", "error" in e1 and
            e1["in_flight_transfers"] == 0, e1)
    edges[1].start()
    wait(t, "edge 1 back: late filled there too",
         lambda: edge_titles(o, ids[1]) == {"movie": "done", "late": "done"})
    t.check_eq("edge 1's files of late are the package's", tree(edges[1].store_root, "late"),
               tree(content, "late"))

    # an origin restart: the edges say what they hold, nothing is sent again
    o.stop()
    o.start()
    for i, eid in enumerate(ids):
        wait(t, "after a restart edge %d is seen complete" % i,
             lambda: edge_titles(o, eid) == {"movie": "done", "late": "done"})
    time.sleep(1.5)
    t.check("after a restart nothing was sent again",
            all(e["bytes_sent"] == 0 for e in status(o)["edges"]), status(o))

    ctl = os.environ.get("REELCTL", os.path.join(et.SOURCE_ROOT, "build", "tools", "reelctl",
                                                 "reelctl"))
    env = dict(os.environ, HOME=t.tmp, REEL_ADMIN_URL="http://127.0.0.1:%d" % o.admin_port,
               REEL_ADMIN_TOKEN=o.admin_token)
    r = subprocess.run([ctl, "fill", "status"], env=env, capture_output=True, text=True,
                       timeout=30)
    rows = [line.split() for line in r.stdout.splitlines()[1:]]
    t.check_eq("reelctl fill status: a done row per edge and title",
               sorted((x[0], x[1], x[2]) for x in rows),
               sorted((n, title, "done") for n in ("e0", "e1") for title in ("late", "movie")))

    r = o.admin("POST", "/admin/v1/fill/movie/urgent")
    t.check_eq("a title can be marked urgent", r.status, 202)
    r = o.admin("POST", "/admin/v1/fill/.bad/urgent")
    t.check_eq("not a title id: 422", r.status, 422)


if __name__ == "__main__":
    et.run(main, "origin_fill", cls=ot.Test)
