#!/usr/bin/env python3
"""The cache store of reel-edge: the disk quota with fill and pull past
max_size (the objects and temporary files never exceed max_size plus one
object at any moment; pulled objects go first, least recently hit first;
a filled title survives while pulled objects exist, then goes whole), the
store surviving a restart, and a filled package that ffmpeg plays whole
through the edge with the origin stopped."""

import os
import shutil
import subprocess
import threading
import time

import edgetest as et
import filltest as ft
import storetest as st

OBJ = 300 * 1024
MAX = 4 * 1024 * 1024


class DiskWatch:
    """Samples the store's bytes on disk every few milliseconds, in a thread."""

    def __init__(self, edge):
        self.edge, self.peak, self.samples = edge, 0, 0
        self.stop_ = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_.is_set():
            self.peak = max(self.peak, st.disk_bytes(self.edge))
            self.samples += 1
            time.sleep(0.003)

    def stop(self):
        self.stop_.set()
        self.thread.join()
        return self.peak


def check_quota(t, s, edge):
    ctl = s.ctl
    pinned = {"seg_%05d.m4s" % i: ft.segment_bytes(OBJ, 100 + i) for i in range(4)}
    manifest = ft.make_package(os.path.join(t.tmp, "pkg"), "pin", pinned)
    watch = DiskWatch(edge)
    status, body = st.fill_title(edge, ctl, "pin", pinned, manifest)
    t.check("a filled title within the quota is complete", status == 201, (status, body))
    pulled = {"seg_%05d.m4s" % i: ft.segment_bytes(OBJ, 200 + i) for i in range(20)}
    ft.make_package(s.origin_root, "pull", pulled)
    ok = True
    for i, path in enumerate(sorted(pulled)):
        r = et.request(edge.port, "GET", "/pull/" + path, timeout=20)
        ok = ok and r.status == 200 and r.body == pulled[path]
        if i == 5:  # keep one pulled object hot: eviction takes the others first
            hot = path
        if i > 5:  # hits reach the index every 2 s: the loop lasts longer than that
            et.request(edge.port, "GET", "/pull/" + hot)
            time.sleep(0.15)
    t.check("20 objects pulled through a 4 MiB quota, each served whole", ok)
    time.sleep(2.5)  # hits reach the index every two seconds
    info = st.titles(edge, ctl)
    t.check("  the filled title survives while pulled objects exist",
            info["pin"]["state"] == "complete" and info["pin"]["objects"] == 5, info.get("pin"))
    t.check("  pulled objects were evicted to stay within the quota",
            info["pull"]["objects"] < 12, info.get("pull"))
    evicted = edge.metrics().get("reel_cache_evictions_total", 0)
    t.check("  reel_cache_evictions_total counts them (%d)" % evicted,
            evicted >= 20 - info["pull"]["objects"], (evicted, info["pull"]["objects"]))
    r = et.request(edge.port, "GET", "/pull/" + hot)
    t.check("  the object kept hot is still there (least recently hit went first)",
            "hit" in (r.header("Cache-Status") or ""), r.summary())
    # a second filled title that needs the room of the pulled ones and then of the first title
    big = {"seg_%05d.m4s" % i: ft.segment_bytes(OBJ, 300 + i) for i in range(11)}
    manifest2 = ft.make_package(os.path.join(t.tmp, "pkg"), "pin2", big)
    status, body = st.fill_title(edge, ctl, "pin2", big, manifest2)
    info = st.titles(edge, ctl)
    t.check("a second filled title evicts every pulled object, then the first title whole",
            status == 201 and "pull" not in info and "pin" not in info and
            info["pin2"]["state"] == "complete", (status, info))
    peak = watch.stop()
    t.check("the disk never held more than max_size + one object (peak %d of %d, %d samples)" %
            (peak, MAX + OBJ, watch.samples), peak <= MAX + OBJ and watch.samples > 50)
    too_big = ft.segment_bytes(MAX + 1, 9)
    hdrs = ft.signed_headers(ctl, st.EDGE_ID, "PUT", "/fill/huge/seg.m4s", too_big)
    hdrs.update({"Content-Length": str(len(too_big)), "Expect": "100-continue"})
    with et.Conn(edge.fill_port) as c:  # the answer comes before any body is sent
        c.send(et.build_request("PUT", "/fill/huge/seg.m4s", hdrs))
        r = c.read_response()
    t.check("an object larger than the whole store: 507, nothing evicted for it",
            r.status == 507 and "pin2" in st.titles(edge, ctl), r.summary())
    t.check_eq("index and files agree", st.index_objects(edge, ctl), st.store_files(edge))


def check_restart(t, s, edge):
    before = st.index_objects(edge, s.ctl)
    edge.stop()
    edge.start()
    st.wait_fill_ready(edge)
    t.check_eq("the store survives a restart", st.index_objects(edge, s.ctl), before)
    r = et.request(edge.port, "GET", "/pin2/seg_00003.m4s")
    t.check("  and its objects are served", r.status == 200 and len(r.body) == OBJ, r.summary())


def check_ffmpeg_origin_down(t, s, edge):
    if not et.have("ffmpeg"):
        raise et.Skip("ffmpeg not installed")
    pkg = os.path.join(t.tmp, "sample")
    subprocess.run([os.path.join(et.SOURCE_ROOT, "tools", "make-sample-package"), pkg, "6"],
                   check=True, capture_output=True, timeout=300)
    files = {}
    for dirpath, _, names in os.walk(pkg):
        for n in names:
            full = os.path.join(dirpath, n)
            with open(full, "rb") as f:
                files[os.path.relpath(full, pkg)] = f.read()
    files.pop("manifest.json", None)
    manifest = ft.make_package(s.origin_root, "movie", files)
    status, body = st.fill_title(edge, s.ctl, "movie", files, manifest)
    t.check("a real package filled", status == 201, (status, body))
    s.up.stop()
    p = subprocess.run(["ffmpeg", "-v", "error", "-i",
                        "http://127.0.0.1:%d/movie/master.m3u8" % edge.port,
                        "-map", "0", "-c", "copy", "-f", "null", "-"],
                       capture_output=True, timeout=120)
    t.check("with the origin stopped, ffmpeg reads the whole package through the edge",
            p.returncode == 0, p.stderr.decode(errors="replace")[-800:])
    s.up.start()


def main(t):
    s = st.Setup(t)
    edge = s.edge(workers=2, max_size=str(MAX), min_free="0")
    check_quota(t, s, edge)
    check_restart(t, s, edge)
    edge2 = s.edge(workers=1)
    check_ffmpeg_origin_down(t, s, edge2)


if __name__ == "__main__":
    st.run(main)
