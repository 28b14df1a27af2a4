#!/usr/bin/env python3
"""Pull-through at reel-edge against a Python upstream that checks every
request's HMAC signature independently: the manifest first, then objects
verified against it; 100 concurrent requests for one uncached segment
(whole and ranged, two workers) served from exactly one upstream request,
as its bytes arrive; a package path the manifest does not list; bytes that
do not match; a token whose version is not the manifest's; a title encoded anew
(the new version pulled, the old one's objects retired, stale answers
when the upstream cannot give the version a token names); the upstream
stopped (cached titles keep playing, the breaker answers at once, misses
succeed again when it returns); kill -9 in the middle of a pull."""

import collections
import concurrent.futures
import hashlib
import os
import statistics
import subprocess
import time

import edgetest as et
import filltest as ft
import pasetotest as pt
import storetest as st

SEG = 2 * 1024 * 1024


def package(s, title, nseg=3, size=SEG):
    files = {"360p/index.m3u8": et.playlist_text(nseg)}
    for i in range(1, nseg + 1):
        files["360p/seg_%05d.m4s" % i] = ft.segment_bytes(size, hash((title, i)) & 0xffff)
    files["360p/init.mp4"] = ft.segment_bytes(1500, 7)
    manifest = ft.make_package(s.origin_root, title, files)
    return files, manifest


def get(edge, path, headers=None, timeout=20):
    return et.request(edge.port, "GET", path, headers=headers, timeout=timeout)


def check_basic(t, s, edge):
    files, _ = package(s, "t1")
    r = get(edge, "/t1/360p/seg_00001.m4s")
    t.check("a miss is pulled and served whole", r.status == 200 and
            r.body == files["360p/seg_00001.m4s"], r.summary())
    t.check("  Cache-Status says fwd=miss", "fwd=miss" in (r.header("Cache-Status") or ""),
            r.summary())
    t.check_eq("  the manifest was fetched first, once", s.up.count("/content/t1/manifest.json"), 1)
    r = get(edge, "/t1/360p/seg_00001.m4s")
    t.check("the second request is a hit", r.status == 200 and
            "hit" in (r.header("Cache-Status") or ""), r.summary())
    t.check_eq("  and asks the upstream nothing", s.up.count("/content/t1/360p/seg_00001.m4s"), 1)
    r = get(edge, "/t1/360p/seg_00009.m4s")
    t.check("a path the manifest does not list: 404", r.status == 404 and
            s.up.count("/content/t1/360p/seg_00009.m4s") == 0, r.summary())
    r = get(edge, "/nope/360p/seg_00001.m4s")
    t.check_eq("a title the upstream does not have: 404", r.status, 404)
    t.check("every upstream request was signed by this edge", not s.up.bad_signatures,
            s.up.bad_signatures)
    log = wait_log(edge, " MISS\n", " HIT\n")
    t.check("the access log's cache-status field says MISS and HIT",
            " MISS\n" in log and " HIT\n" in log, log[-500:])


def wait_log(edge, *words):
    """The access log once it has every one of WORDS (written each second), or after 3 s."""
    log = ""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not all(w in log for w in words):
        time.sleep(0.1)
        with open(edge.access_log) as f:
            log = f.read()
    return log


def curl_start(port, path, n, ranges_every=4):
    """N concurrent curl processes for PATH (every RANGES_EVERY-th ranged), started;
    curl_collect() waits for them."""
    procs = []
    for i in range(n):
        rng = "%d-%d" % (i * 1000, i * 1000 + 99999) if ranges_every and i % ranges_every == 0 \
            else None
        out = "/dev/shm/reel-curl-%d-%d" % (os.getpid(), i)
        cmd = ["curl", "-s", "-o", out, "-w", "%{http_code} %{time_starttransfer}",
               "http://127.0.0.1:%d%s" % (port, path)] + (["-r", rng] if rng else [])
        procs.append((rng, out, subprocess.Popen(cmd, stdout=subprocess.PIPE)))
    return procs


def curl_collect(procs):
    """[(range or None, status, body, time to first byte)] of curl_start()'s PROCS."""
    results = []
    for rng, out, p in procs:
        status, ttfb = p.communicate(timeout=60)[0].decode().split()
        with open(out, "rb") as f:
            body = f.read()
        os.unlink(out)
        results.append((rng, int(status), body, float(ttfb)))
    return results


def check_collapse(t, s, edge):
    files, _ = package(s, "t5", nseg=2)
    get(edge, "/t5/360p/index.m3u8")  # the manifest is in: the segment is the only fetch
    path = "/t5/360p/seg_00002.m4s"
    want = files["360p/seg_00002.m4s"]
    # the upstream sends its first 16 KiB, then crawls (20 kB/s) until all 100 requests
    # have joined the fetch, however slowly 100 curls start; then it sends the rest at once
    s.up.rate = 2e4
    m0 = edge.metrics()
    procs = curl_start(edge.port, path, 100)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = edge.metrics()
        if sum(m.get(k, 0) - m0.get(k, 0) for k in ("reel_cache_collapsed_total",
                                                   "reel_cache_misses_total")) >= 100:
            break
        time.sleep(0.1)
    s.up.rate = None
    results = curl_collect(procs)

    def expect(rng):
        if not rng:
            return 200, want
        a, b = (int(x) for x in rng.split("-"))
        return 206, want[a:b + 1]

    bad = [(rng, st_, len(body)) for rng, st_, body, _ in results
           if (st_, body) != expect(rng)]
    t.check("100 concurrent requests for one uncached segment get the right bytes", not bad,
            bad[:5])
    t.check("  from exactly one upstream request", s.up.count("/content" + path) == 1,
            [x for x in s.up.requests if x[0] == "/content" + path])
    ttfb = statistics.median(x for _, _, _, x in results)
    t.check("  each answered as its bytes arrived: median time to first byte %.0f ms, "
            "before the fetch could end" % (ttfb * 1000), ttfb < 0.5)
    m = edge.metrics()
    collapsed, hits = (m.get(k, 0) - m0.get(k, 0) for k in ("reel_cache_collapsed_total",
                                                            "reel_cache_hits_total"))
    t.check("  the 99 others collapsed onto the one fetch (reel_cache_collapsed_total %d, "
            "hits %d)" % (collapsed, hits), collapsed == 99 and hits == 0, (collapsed, hits))
    r = get(edge, path)
    t.check("  and then it is a hit", "hit" in (r.header("Cache-Status") or ""), r.summary())
    log = wait_log(edge, " COLLAPSED\n")
    t.check("  the access log's cache-status field says COLLAPSED", " COLLAPSED\n" in log,
            collections.Counter(l.rsplit(" ", 1)[-1] for l in log.splitlines() if "t5/" in l))


def check_verification(t, s, edge):
    files, manifest = package(s, "t6")
    # the upstream's bytes no longer match what the manifest lists
    with open(os.path.join(s.origin_root, "t6/360p/seg_00001.m4s"), "r+b") as f:
        f.seek(1000)
        f.write(b"XXXX")
    r = None
    try:
        r = get(edge, "/t6/360p/seg_00001.m4s")
    except et.Closed:
        pass
    t.check("bytes that do not match the manifest are never served whole",
            r is None or r.status == 502 or len(r.body) < SEG, r and r.summary())
    before = s.up.count("/content/t6/360p/seg_00001.m4s")
    try:
        get(edge, "/t6/360p/seg_00001.m4s")
    except et.Closed:
        pass
    t.check("  and nothing of them was kept (the next request fetches again)",
            s.up.count("/content/t6/360p/seg_00001.m4s") == before + 1, before)


def token(t, signer, title, ver):
    now = int(time.time())
    claims = {"purpose": "reel-stream-v1", "sub": "u", "title": title, "ver": ver,
              "maxh": 1080, "lease": "l", "iat": pt.rfc3339(now - 5),
              "exp": pt.rfc3339(now + 600)}
    return pt.sign(t.tmp, signer.pem, "tk1", claims)


def check_token_version(t, s, edge, signer):
    files, manifest = package(s, "t7", nseg=1)
    r = get(edge, "/s/%s/t7/360p/seg_00001.m4s" % token(t, signer, "t7", "0000000000000000"))
    t.check("a pulled manifest of another version than the token's: 502", r.status == 502,
            r.summary())
    tok = token(t, signer, "t7", ft.version_of(manifest))
    r = get(edge, "/s/%s/t7/360p/seg_00001.m4s" % tok)
    t.check("the token's own version is pulled and served", r.status == 200 and
            r.body == files["360p/seg_00001.m4s"], r.summary())


def new_encode(s, title, files):
    """The same package with its second segment encoded anew."""
    files = dict(files)
    files["360p/seg_00002.m4s"] = ft.segment_bytes(SEG, 0xbeef)
    return files, ft.make_package(s.origin_root, title, files)


def check_new_version(t, s, edge, signer):
    files, manifest = package(s, "t10", nseg=2)
    v1 = token(t, signer, "t10", ft.version_of(manifest))
    for name in ("seg_00001.m4s", "seg_00002.m4s"):
        get(edge, "/s/%s/t10/360p/%s" % (v1, name))
    files2, manifest2 = new_encode(s, "t10", files)
    v2 = token(t, signer, "t10", ft.version_of(manifest2))
    before = s.up.count("/content/t10/manifest.json")
    r = get(edge, "/s/%s/t10/360p/seg_00002.m4s" % v2)
    t.check("a token of a newer version than the store's: the new manifest is pulled, then "
            "the new object", r.status == 200 and r.body == files2["360p/seg_00002.m4s"] and
            s.up.count("/content/t10/manifest.json") == before + 1, r.summary())
    r = get(edge, "/s/%s/t10/360p/seg_00001.m4s" % v2)
    t.check("  an object both versions share stays a hit", r.status == 200 and
            "hit" in (r.header("Cache-Status") or "") and
            s.up.count("/content/t10/360p/seg_00001.m4s") == 1, r.summary())
    c = et.Conn(edge.port)  # one connection, one worker: each worker asks once in a while
    c.send(et.build_request("GET", "/s/%s/t10/360p/seg_00002.m4s" % v1))
    r = c.read_response()
    t.check("  a token of the old version once the upstream has the new: the store's, marked "
            "stale", r.status == 200 and r.body == files2["360p/seg_00002.m4s"] and
            "fwd=stale" in (r.header("Cache-Status") or ""), r.summary())
    before = s.up.count("/content/t10/manifest.json")
    c.send(et.build_request("GET", "/s/%s/t10/360p/seg_00001.m4s" % v1))
    r = c.read_response()
    c.close()
    t.check("  and the worker's next request does not ask the upstream again at once",
            r.status == 200 and s.up.count("/content/t10/manifest.json") == before,
            r.summary())
    t.check_eq("  index and files agree", st.index_objects(edge, s.ctl), st.store_files(edge))


def check_origin_down(t, s, edge, signer):
    files, _ = package(s, "t8", nseg=2)
    get(edge, "/t8/360p/seg_00001.m4s")
    old, manifest = package(s, "t11", nseg=2)
    v1 = token(t, signer, "t11", ft.version_of(manifest))
    get(edge, "/s/%s/t11/360p/seg_00002.m4s" % v1)
    v2 = token(t, signer, "t11", ft.version_of(new_encode(s, "t11", old)[1]))
    uncached = [package(s, "u%d" % i, nseg=1)[0] for i in range(6)]
    s.up.stop()
    r = get(edge, "/t8/360p/seg_00001.m4s")
    t.check("origin stopped: a cached object is still served", r.status == 200 and
            r.body == files["360p/seg_00001.m4s"], r.summary())
    t0 = time.monotonic()
    r = get(edge, "/s/%s/t11/360p/seg_00002.m4s" % v2)
    dt = time.monotonic() - t0
    t.check("  a token of a version the upstream cannot give now: the store's, stale "
            "(%.0f ms)" % (dt * 1000), r.status == 200 and r.body == old["360p/seg_00002.m4s"]
            and "fwd=stale" in (r.header("Cache-Status") or ""), r.summary())
    log = wait_log(edge, " STALE\n")
    t.check("  the access log says STALE", " STALE\n" in log, log[-300:])
    for i in range(4):  # failures that open the breaker
        get(edge, "/u%d/360p/seg_00001.m4s" % i)
    t0 = time.monotonic()
    r = get(edge, "/u4/360p/seg_00001.m4s")
    dt = time.monotonic() - t0
    t.check("  an uncached object gets 502/504 in %.0f ms (< 1 s) with the breaker open" %
            (dt * 1000), r.status in (502, 504) and dt < 1.0, r.summary())
    s.up.start()
    deadline = time.monotonic() + 10
    r = None
    while time.monotonic() < deadline:
        r = get(edge, "/u5/360p/seg_00001.m4s")
        if r.status == 200:
            break
        time.sleep(0.3)
    t.check("  the origin back: misses succeed again, without a restart",
            r.status == 200 and r.body == uncached[5]["360p/seg_00001.m4s"], r and r.summary())


def check_kill_mid_pull(t, s, edge):
    files, _ = package(s, "t9", nseg=1, size=8 << 20)
    get(edge, "/t9/360p/index.m3u8")
    s.up.rate = 4e6
    c = et.Conn(edge.port, timeout=30)
    c.send(et.build_request("GET", "/t9/360p/seg_00001.m4s"))
    time.sleep(0.8)
    st.kill9(edge)
    c.close()
    s.up.rate = None
    edge.start()
    r = get(edge, "/t9/360p/seg_00001.m4s")
    t.check("after kill -9 mid-pull the object is fetched again and served whole",
            r.status == 200 and r.body == files["360p/seg_00001.m4s"], r.summary())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "store: reconciled" not in edge.logs_full():
        time.sleep(0.1)
    t.check_eq("  index and files agree", st.index_objects(edge, s.ctl), st.store_files(edge))
    tmp = os.path.join(edge.store_root, ".tmp")
    t.check("  the cut fetch's temporary file is gone", not os.listdir(tmp), os.listdir(tmp))


def check_metrics(t, edge):
    m = edge.metrics()
    want = ["reel_cache_hits_total", "reel_cache_misses_total", "reel_cache_collapsed_total",
            "reel_cache_pull_bytes_total", "reel_cache_objects", "reel_cache_bytes"]
    t.check("/metrics counts hits, misses, collapsed requests, pulled bytes, objects",
            all(m.get(k, 0) > 0 for k in want), {k: m.get(k) for k in want})
    t.check("  and the breaker's state", "reel_upstream_breaker_state" in m, sorted(m)[:5])


def main(t):
    s = st.Setup(t)
    signer = __import__("test_edge_tokens").Signer(t.tmp, "tk1")
    keys = os.path.join(t.tmp, "token.keys")
    with open(keys, "w") as f:
        f.write("tk1 %s\n" % signer.public_hex)
    edge = s.edge(workers=2, start=False)
    edge.sections["tokens"] = {"keys": keys}
    edge.start()
    st.wait_fill_ready(edge)
    check_basic(t, s, edge)
    check_collapse(t, s, edge)
    check_verification(t, s, edge)
    check_token_version(t, s, edge, signer)
    check_new_version(t, s, edge, signer)
    check_metrics(t, edge)
    check_kill_mid_pull(t, s, edge)
    check_origin_down(t, s, edge, signer)


if __name__ == "__main__":
    st.run(main)
