#!/usr/bin/env python3
"""The fill API of reel-edge (docs/fill.md) against requests signed here,
independently of reel's C code: every refusal of the signature check,
objects streamed in, verified and served, a manifest that completes its
title only when every file is there and is then made durable by the
background sync, HEAD for resuming, listing, removal and purge, a fill cut
by kill -9 that resumes and completes, and the fill role on an HTTPS
listener."""

import http.client
import os
import ssl
import threading
import time

import edgetest as et
import filltest as ft
import storetest as st

E = st.EDGE_ID


def check_signatures(t, edge, ctl):
    port = edge.fill_port
    other = ft.ControlKey(t.tmp, "ctl-1")  # same kid, another key
    stranger = ft.ControlKey(t.tmp, "ctl-9")
    r = et.request(port, "GET", "/fill/")
    t.check_eq("an unsigned request is 401", r.status, 401)
    cases = [
        ("signed by a key the edge does not hold", other, {}, 401, b"does not verify"),
        ("an unknown key id", stranger, {}, 401, b"does not know"),
        ("for another edge (tag)", ctl, {"tag": "edge-2"}, 401, b"profile"),
        ("created 10 minutes ago", ctl, {"created": int(time.time()) - 600}, 401, b"300 s"),
        ("created 10 minutes ahead", ctl, {"created": int(time.time()) + 600}, 401, b"300 s"),
        ("a digest that is not the body's", ctl, {"digest": ft.content_digest(b"x")}, 400,
         b"sha-256 of nothing"),
    ]
    for name, key, kw, want, why in cases:
        tag = kw.pop("tag", E)
        status, _, body = ft.fill(port, key, tag, "GET", "/fill/", **kw)
        t.check("%s -> %d" % (name, want), status == want and why in body, (status, body))
    # a replay: the same nonce twice, the second time on another connection
    n = ft.nonce()
    s1, _, _ = ft.fill(port, ctl, E, "GET", "/fill/", nonce_=n)
    s2, _, b2 = ft.fill(port, ctl, E, "GET", "/fill/", nonce_=n)
    t.check("a fresh nonce passes, its replay is 401", s1 == 200 and s2 == 401 and b"nonce" in b2,
            (s1, s2, b2))
    # two workers take connections at random: of 12 replays some reach the other worker
    firsts, replays = [], []
    for _ in range(12):
        n = ft.nonce()
        firsts.append(ft.fill(port, ctl, E, "GET", "/fill/", nonce_=n)[0])
        replays.append(ft.fill(port, ctl, E, "GET", "/fill/", nonce_=n)[0])
    t.check("  every replay is refused, whichever worker takes it",
            firsts == [200] * 12 and replays == [401] * 12, (firsts, replays))
    r = et.request(port, "GET", "/fill/", headers={"Signature-Input": "reel=(", "Signature":
                                                   "x", "Content-Digest": ft.EMPTY_DIGEST})
    t.check_eq("malformed signature fields are 400", r.status, 400)


def check_objects(t, edge, ctl):
    seg = ft.segment_bytes(3 * 1024 * 1024 + 17, 1)
    before = edge.metrics().get("reel_cache_fill_bytes_total", 0)
    status, body = st.put(edge, ctl, "t1", "720p/seg_00001.m4s", seg)
    t.check("PUT an object: 201", status == 201 and body["size"] == len(seg), (status, body))
    filled = edge.metrics().get("reel_cache_fill_bytes_total", 0) - before
    t.check_eq("  reel_cache_fill_bytes_total counts its bytes", filled, len(seg))
    r = et.request(edge.port, "GET", "/t1/720p/seg_00001.m4s")
    t.check("  it is served, byte for byte", r.status == 200 and r.body == seg, r.summary())
    t.check("  with Cache-Status: hit", "hit" in (r.header("Cache-Status") or ""), r.summary())
    status, hdrs, _ = ft.fill(edge.fill_port, ctl, E, "HEAD", "/fill/t1/720p/seg_00001.m4s")
    t.check("HEAD tells size and digest", status == 200 and
            hdrs.get("content-length") == str(len(seg)) and
            hdrs.get("content-digest") == ft.content_digest(seg), (status, hdrs))
    status, _, _ = ft.fill(edge.fill_port, ctl, E, "HEAD", "/fill/t1/720p/seg_00002.m4s")
    t.check_eq("HEAD of what is not there: 404", status, 404)
    # a body that is not what its digest says: refused, nothing kept
    status, body = st.put(edge, ctl, "t1", "720p/seg_00002.m4s", b"abc",
                          digest=ft.content_digest(b"abd"))
    t.check_eq("a body that does not match its Content-Digest: 422", status, 422)
    r = et.request(edge.port, "GET", "/t1/720p/seg_00002.m4s")
    t.check_eq("  and nothing is served", r.status, 404)
    status, body = st.put(edge, ctl, "t1", "../x", b"abc")
    t.check("a path outside a package: 400", status in (400, 404), status)
    status, body = st.put(edge, ctl, "t1", "empty.vtt", b"")
    t.check_eq("an empty object is stored too", status, 201)


def check_manifest(t, edge, ctl):
    files = {"360p/index.m3u8": b"#EXTM3U\n", "360p/seg_00001.m4s": ft.segment_bytes(50000, 2),
             "360p/seg_00002.m4s": ft.segment_bytes(60000, 3)}
    manifest = ft.make_package(os.path.join(t.tmp, "pkg"), "t2", files)
    status, body = st.put(edge, ctl, "t2", "360p/index.m3u8", files["360p/index.m3u8"])
    status, body = st.put(edge, ctl, "t2", "manifest.json", manifest)
    t.check("the manifest before its files: 409 with the count missing",
            status == 409 and body.get("missing") == 2, (status, body))
    t.check_eq("  the title is partial", st.titles(edge, ctl)["t2"]["state"], "partial")
    m = edge.metrics()
    t.check("objects filled are served before they are durable: unsynced bytes counted",
            m.get("reel_cache_unsynced_bytes", 0) > 0, m)
    syncs = m.get("reel_cache_syncs_total")
    status, body = st.fill_title(edge, ctl, "t2", files, manifest)
    t.check("the manifest last: 201, complete", status == 201 and body["complete"], (status, body))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and edge.metrics().get("reel_cache_unsynced_bytes"):
        time.sleep(0.1)
    m = edge.metrics()
    t.check("  the complete title is made durable by the background sync at once "
            "(sync_interval is 1 h here)",
            m.get("reel_cache_unsynced_bytes") == 0 and m.get("reel_cache_syncs_total", 0) > syncs,
            (syncs, m))
    info = st.titles(edge, ctl)["t2"]
    t.check("  GET /fill/ lists it complete, pinned, with its version",
            info["state"] == "complete" and info["pinned"] and
            info["version"] == ft.version_of(manifest) and info["objects"] == 4, info)
    status, body = ft.fill_json(edge.fill_port, ctl, E, "GET", "/fill/t2")
    t.check("GET /fill/<title> lists its files with digests",
            status == 200 and len(body["files"]) == 4 and all(f["origin"] == "fill" for f in
                                                              body["files"]), body)
    status, body = st.put(edge, ctl, "t3", "manifest.json", b"{not json")
    t.check_eq("a manifest that is not one: 422", status, 422)


def check_tls(t, s):
    """The fill role on an HTTPS listener: the same API, signed the same way."""
    edge = s.edge(start=False)
    cert, key = et.make_cert(t.tmp, "fill")
    edge.sections["fill"] = {"listen_tls": "127.0.0.1:%d" % edge.fill_port}
    edge.sections["tls"] = {"certificate": cert, "key": key}
    edge.start()
    ctx = ssl.create_default_context(cafile=cert)
    files = {"a.m4s": ft.segment_bytes(50000, 3)}
    manifest = ft.make_package(os.path.join(t.tmp, "tls-pkg"), "tt", files)
    deadline, status = time.monotonic() + 10, None
    while time.monotonic() < deadline and status is None:
        try:
            status, _ = ft.fill_json(edge.fill_port, s.ctl, st.EDGE_ID, "PUT", "/fill/tt/a.m4s",
                                     files["a.m4s"], tls_ctx=ctx)
        except OSError:
            time.sleep(0.1)
    status2, body = ft.fill_json(edge.fill_port, s.ctl, st.EDGE_ID, "PUT",
                                 "/fill/tt/manifest.json", manifest, tls_ctx=ctx)
    t.check("[fill] listen_tls: a title filled over HTTPS is complete", status == 201 and
            status2 == 201 and body.get("complete") is True, (status, status2, body))
    try:
        ft.fill_json(edge.fill_port, s.ctl, st.EDGE_ID, "GET", "/fill/")
        plain = "answered"
    except (OSError, http.client.HTTPException) as ex:
        plain = ex
    t.check("  and plain HTTP on that listener is no fill request", plain != "answered", plain)
    edge.stop()


def check_removal(t, edge, ctl):
    status, body = ft.fill_json(edge.fill_port, ctl, E, "DELETE", "/fill/t2/360p/seg_00001.m4s")
    t.check("DELETE one object: 200", status == 200 and body["objects"] == 1, (status, body))
    t.check_eq("  the title is partial again", st.titles(edge, ctl)["t2"]["state"], "partial")
    r = et.request(edge.port, "GET", "/t2/360p/seg_00001.m4s")
    t.check_eq("  and the object is no longer served", r.status, 404)
    status, body = ft.fill_json(edge.fill_port, ctl, E, "POST", "/purge",
                                b'{"object": "t2/360p/index.m3u8"}')
    r = et.request(edge.port, "GET", "/t2/360p/index.m3u8")
    t.check("POST /purge of one object", status == 200 and body["objects"] == 1 and
            r.status == 404, (status, body, r.status))
    status, body = ft.fill_json(edge.fill_port, ctl, E, "POST", "/purge",
                                b'{"object": "t2/360p/index.m3u8"}')
    t.check_eq("  again: 404", status, 404)
    # served from the open-file cache right before the purge, gone right after it
    r = et.request(edge.port, "GET", "/t2/360p/seg_00002.m4s")
    status, body = ft.fill_json(edge.fill_port, ctl, E, "POST", "/purge",
                                b'{"prefix": "t2/360p/"}')
    t.check("POST /purge of a prefix", status == 200 and body["objects"] == 1, (status, body))
    r2 = et.request(edge.port, "GET", "/t2/360p/seg_00002.m4s")
    t.check("  a hot object purged is not served a moment later", r.status == 200 and
            r2.status == 404, (r.status, r2.status))
    status, body = ft.fill_json(edge.fill_port, ctl, E, "POST", "/purge", b'{"what": 1}')
    t.check_eq("a purge body of another shape: 422", status, 422)
    status, body = ft.fill_json(edge.fill_port, ctl, E, "DELETE", "/fill/t2")
    t.check("DELETE a title", status == 200 and "t2" not in st.titles(edge, ctl), (status, body))
    status, body = ft.fill_json(edge.fill_port, ctl, E, "DELETE", "/fill/t2")
    t.check_eq("  again: 404", status, 404)
    status, body = ft.fill_json(edge.fill_port, ctl, E, "POST", "/purge", b'{"title": "t1"}')
    r = et.request(edge.port, "GET", "/t1/720p/seg_00001.m4s")
    t.check("POST /purge of a title", status == 200 and body["objects"] >= 1 and
            "t1" not in st.titles(edge, ctl) and r.status == 404, (status, body, r.status))
    status, _, _ = ft.fill(edge.fill_port, ctl, E, "PATCH", "/fill/t1")
    t.check_eq("another method: 405", status, 405)


def check_resume_after_kill(t, s, edge, ctl):
    """kill -9 in the middle of a PUT: nothing partial is served, HEAD says what
    is missing, the fill resumes with that and completes; index and files agree."""
    files = {"1080p/seg_%05d.m4s" % i: ft.segment_bytes(400000, 10 + i) for i in range(1, 6)}
    manifest = ft.make_package(os.path.join(t.tmp, "pkg"), "t4", files)
    sent = sorted(files)[:2]
    for path in sent:
        st.put(edge, ctl, "t4", path, files[path])
    # a PUT of a large object sent slowly, killed half way
    big = ft.segment_bytes(8 << 20, 99)
    files["1080p/big.m4s"] = big
    manifest = ft.make_package(os.path.join(t.tmp, "pkg"), "t4", files)
    hdrs = ft.signed_headers(ctl, E, "PUT", "/fill/t4/1080p/big.m4s", big)
    c = et.Conn(edge.fill_port)
    c.send(et.build_request("PUT", "/fill/t4/1080p/big.m4s",
                            dict(hdrs, **{"Content-Length": str(len(big))})))
    c.send(big[:3 << 20])
    time.sleep(0.3)
    st.kill9(edge)
    c.close()
    edge.start()
    st.wait_fill_ready(edge)
    r = et.request(edge.port, "GET", "/t4/1080p/big.m4s")
    t.check_eq("after kill -9 mid-PUT the partial object is not served", r.status, 404)
    missing = [p for p in sorted(files)
               if ft.fill(edge.fill_port, ctl, E, "HEAD", "/fill/t4/" + p)[0] != 200]
    t.check("  HEAD finds the missing objects (those not sent and the cut one)",
            missing == sorted(p for p in files if p not in sent), missing)
    for p in missing:
        st.put(edge, ctl, "t4", p, files[p])
    status, body = st.put(edge, ctl, "t4", "manifest.json", manifest)
    t.check("  the resumed fill completes", status == 201, (status, body))
    r = et.request(edge.port, "GET", "/t4/1080p/big.m4s")
    t.check("  and the object is served whole", r.status == 200 and r.body == big, r.summary())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "store: reconciled" not in edge.logs_full():
        time.sleep(0.1)
    t.check("  the store manager reconciled after the restart",
            "store: reconciled" in edge.logs_full(), edge.logs())
    t.check_eq("  index and files agree", st.index_objects(edge, ctl), st.store_files(edge))
    t.check("  the same boot: nothing was re-checked (the page cache kept everything)",
            "re-checked" not in edge.logs_full() and "system restarted" not in edge.logs_full(),
            edge.logs())
    tmp = os.path.join(edge.store_root, ".tmp")
    t.check("  no temporary file is left", not os.listdir(tmp), os.listdir(tmp))


def main(t):
    s = st.Setup(t, upstream=False)
    edge = s.edge(workers=2, sync_interval="1h")
    check_signatures(t, edge, s.ctl)
    check_objects(t, edge, s.ctl)
    check_manifest(t, edge, s.ctl)
    check_removal(t, edge, s.ctl)
    check_resume_after_kill(t, s, edge, s.ctl)
    check_tls(t, s)


if __name__ == "__main__":
    st.run(main)
