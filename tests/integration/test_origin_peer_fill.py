#!/usr/bin/env python3
"""Peer fill against real edges: with [fill] peer = on, two edges of a cluster get a
title while the origin sends each of its files once (counted) and the other edge
copies them from its peer, both checked against the package; a peer killed in the
middle of a fill leaves the rest to the origin, and the edge still completes.  Copy
orders the edges refuse: a digest the peer's bytes do not match (502, nothing kept),
a manifest (400), a GET of an object without the origin's signature (401)."""

import hashlib
import json
import os
import random
import signal

import edgetest as et
import filltest as ft
import origintest as ot
from test_origin_fill import add_edges, edge_titles, start_edge, status, tree, wait

MANIFEST_HEAD = {
    "manifest_version": 1, "duration": 60, "segment_target": 2, "container": "fmp4",
    "video": [{"path": "v/index.m3u8", "width": 640, "height": 360, "bandwidth": 800000,
               "codecs": "avc1.64001e", "frame_rate": 30}],
    "audio": [], "subtitles": [], "encrypted": False,
}


def package(root, title, n, size, seed):
    """ROOT/TITLE: N files of SIZE random bytes and a manifest.json listing them."""
    rnd = random.Random(seed)
    files = {"v/seg_%03d.m4s" % i: rnd.randbytes(size) for i in range(n)}
    ft.make_package(root, title, files, "video/iso.segment", MANIFEST_HEAD)
    return files


def edge_row(o, eid):
    return [e for e in status(o)["edges"] if e["id"] == eid][0]


def job_row(o, eid, title):
    for x in edge_row(o, eid)["titles"]:
        if x["title"] == title:
            return x
    return {}


def register(t, o, content, title):
    with open(os.path.join(content, title, "manifest.json"), "rb") as f:
        t.check_eq("title %s registered" % title,
                   o.admin("PUT", "/admin/v1/titles/" + title, raw=f.read()).status, 201)


def refusals(t, edges, ids, ctl, files):
    """Copy orders signed by a second control key the edges trust (the test's own)."""
    path = "/fill/one/v/seg_000.m4s"
    src = edges[0]
    sha = hashlib.sha256(files["v/seg_000.m4s"]).hexdigest()
    st, _, _ = ft.fill(src.fill_port, ctl, ids[0], "GET", path)
    t.check_eq("the peer serves an object to a signed GET", st, 200)
    r = et.request(src.fill_port, "GET", path)
    t.check_eq("a GET of an object without the origin's signature: 401", r.status, 401)

    def order(sha256, target="/fill/bad/v/seg_000.m4s"):
        peer_target = "/fill/one/v/seg_000.m4s"
        h = ft.signed_headers(ctl, ids[0], "GET", peer_target)
        body = json.dumps({"peer": "http://127.0.0.1:%d" % src.fill_port,
                           "size": len(files["v/seg_000.m4s"]), "sha256": sha256,
                           "signature_input": h["Signature-Input"],
                           "signature": h["Signature"]}).encode()
        return ft.fill_json(edges[1].fill_port, ctl, ids[1], "POST", target, body)

    # the order's path is /fill/bad/..., the signature the peer gets is for /fill/one/...
    st, doc = order(sha)
    t.check("a copy order whose signature is for another path: 502", st == 502, (st, doc))
    st, _, _ = ft.fill(edges[1].fill_port, ctl, ids[1], "HEAD", "/fill/bad/v/seg_000.m4s")
    t.check_eq("nothing kept of a failed copy", st, 404)
    st, doc = order("00" * 32, "/fill/one/v/seg_000.m4s")
    t.check("a copy whose bytes do not match the order's sha256: 502", st == 502, (st, doc))
    st, doc = order(sha, "/fill/one/manifest.json")
    t.check("a copy order for a manifest: 400", st == 400, (st, doc))
    st, doc = ft.fill_json(edges[1].fill_port, ctl, ids[1], "POST", "/fill/one/v/x.m4s",
                           b'{"peer": "ftp://x"}')
    t.check("not an order: 422", st == 422, (st, doc))


def start_origin(t, content, rate):
    """An origin filling the packages of CONTENT at RATE, peer fill on, quick to retry."""
    os.makedirs(os.path.join(t.tmp, "o"))
    o = ot.Origin(os.path.join(t.tmp, "o"), jobs={"content_dir": content}, fill={
        "rescan": "1s", "backoff": "1s", "backoff_max": "2s", "parallel": "2",
        "rate": rate, "peer": "on"})
    t.origins.append(o)
    o.start()
    return o


def main(t):
    content = os.path.join(t.tmp, "content")
    files_one = package(content, "one", 12, 64 << 10, 1)
    package(content, "two", 40, 256 << 10, 2)
    o = start_origin(t, content, "3m")
    st = status(o)
    t.check("the fill status says peer fill is on", st.get("peer") is True, st)
    keys = st["control_keys"]["keys"]
    ctl = ft.ControlKey(t.tmp, "test-1")
    kf = os.path.join(t.tmp, "control.keys")
    with open(kf, "w") as f:
        f.write("%s %s\n" % (keys[0]["kid"], keys[0]["public_key"]) + ctl.keys_line())
    (ports, ids), edges = add_edges(t, o, 2), []
    order = sorted(range(2), key=lambda i: ids[i])  # the lower id is filled by the origin
    for i, eid in enumerate(ids):
        edges.append(start_edge(t, "e%d" % i, eid, kf, ports[i]))

    # one title, both edges: the origin sends each file once into the cluster, to the lower
    # id (edges that come up apart: test_origin_peer_fill_late)
    wait(t, "the origin knows what both edges hold", lambda: (lambda es: len(es) == 2 and all(
        e.get("capacity", 0) > 0 for e in es))(status(o)["edges"]))
    register(t, o, content, "one")
    for i, eid in enumerate(ids):
        wait(t, "edge %d holds one complete" % i,
             lambda: edge_titles(o, eid).get("one") == "done")
        t.check_eq("edge %d's files of one are the package's" % i,
                   tree(edges[i].store_root, "one"), tree(content, "one"))
    rows = {e["id"]: e for e in status(o)["edges"]}
    sent = sum(rows[x]["objects_sent"] for x in ids)
    t.check("the origin sent each file of one once into the cluster", sent == len(files_one),
            (sent, len(files_one), rows))
    t.check_eq("the first edge got every file from the origin",
               (rows[ids[order[0]]]["objects_sent"], rows[ids[order[0]]]["peer_objects"]),
               (len(files_one), 0))
    t.check_eq("the second edge copied every file from its peer",
               (rows[ids[order[1]]]["objects_sent"], rows[ids[order[1]]]["peer_objects"]),
               (0, len(files_one)))
    size_one = sum(len(v) for v in files_one.values())
    t.check("the origin sent the second edge copy orders, not the files",
            rows[ids[order[1]]]["bytes_sent"] < size_one // 4, rows[ids[order[1]]])
    m = edges[order[1]].metrics()
    t.check_eq("the copying edge counts the bytes it copied",
               m.get("reel_cache_fill_peer_bytes_total"), float(size_one))
    m = edges[order[0]].metrics()
    t.check_eq("the peer counts the bytes it served",
               m.get("reel_fill_peer_served_bytes_total"), float(size_one))

    refusals(t, edges, ids, ctl, files_one)

    # a peer that dies in the middle of a fill: the rest comes from the origin
    first, second = edges[order[0]], edges[order[1]]
    register(t, o, content, "two")
    row = wait(t, "the second edge copies from its peer while the first is being filled",
               lambda: (lambda j: j if j.get("from_peers", 0) >= 2 else None)(
                   job_row(o, ids[order[1]], "two")), timeout=60, step=0.1)
    t.check("the fill status shows the peer as the source",
            row and row.get("source") == "peer" and row.get("peer") == "e%d" % order[0], row)
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    wait(t, "the second edge completes two without its peer",
         lambda: edge_titles(o, ids[order[1]]).get("two") == "done", timeout=90)
    t.check_eq("the second edge's files of two are the package's",
               tree(second.store_root, "two"), tree(content, "two"))
    rows = {e["id"]: e for e in status(o)["edges"]}
    r2 = rows[ids[order[1]]]
    t.check("the second edge took files from both: its peer, then the origin",
            r2["peer_objects"] >= len(files_one) + 2 and r2["objects_sent"] >= 1, r2)
    t.check("a failed copy or a failed peer sent the rest from the origin",
            r2["objects_sent"] + (r2["peer_objects"] - len(files_one)) >= 40, r2)


if __name__ == "__main__":
    et.run(main, "origin_peer_fill", cls=ot.Test)
