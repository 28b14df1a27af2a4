#!/usr/bin/env python3
"""The fill speed bar: the origin fills one package to two edges, against curl
downloading the same files one after the other from nginx on the same machine.

    python3 tools/bench/fill_bench.py [--size 1g] [--rounds 3] [--file-size 8m] [--peer]
                                      [--sync background|each]

A package of random files (FILE_SIZE each, SIZE in all, and a manifest.json
listing their SHA-256) is written once.  Each round runs, one after the other:

- curl: one curl process fetching every file of the package in turn from nginx
  (keep-alive, one connection), writing each to disk, as an edge stores it;
- fill: reel-origin fills a new title of that package (its own id, the same
  files) to two reel-edge processes (one cluster, each title on both, fill rate
  uncapped), from the title's registration until the origin's fill status says
  both edges hold it complete; the edges check every file's SHA-256 before
  they keep it.  Durability is the edges' [store] sync (--sync): with
  background (the default) each file is indexed and served once written and
  verified, the kernel writes it back as it does curl's files, and the store
  manager's background sync (syncfs every sync_interval, 5 s, and within a
  second of the title's manifest) makes it durable; a crash of the system
  before that has the objects re-verified (size, SHA-256) at the next start
  and the lost ones filled again, never served broken.  With each, every
  file is on the disk (fdatasync) before it is indexed.  The title is
  removed from the edges afterwards.  With --peer, peer fill is on: the
  origin sends each file to one edge, the other copies it from that one.

It prints per round and as medians: curl's MB/s, the fill's MB/s (bytes
delivered to both edges over the time), the ratio fill/curl (the bar: >= 0.8),
the files the origin sent (once per file and edge; with --peer, once per file)
and those copied between the edges.  For scale (not the bar) it also prints
curl's rate with its files then made durable (`sync -d` on them) and the
fill's rate until both edges report nothing left to make durable
(reel_cache_unsynced_bytes 0: the background sync after the fill is done).
Standard library only; needs nginx and curl.
"""

import argparse
import hashlib
import http.client
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import (BenchError, free_port, group_cpu_seconds, log, med, spawn,  # noqa: E402
                      stop_group)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "build")

MANIFEST_HEAD = {
    "manifest_version": 1, "title": "Bench", "duration": 60, "segment_target": 2,
    "container": "fmp4",
    "video": [{"path": "360p/index.m3u8", "width": 640, "height": 360, "bandwidth": 800000,
               "codecs": "avc1.64001e", "frame_rate": 30}],
    "audio": [], "subtitles": [], "encrypted": False,
}


def children_cpu():
    """User + system CPU seconds of this process's reaped children (curl)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def size_arg(s):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    return int(s[:-1]) * mult[s[-1].lower()] if s[-1].lower() in mult else int(s)


def make_package(root, total, file_size):
    """ROOT/files/seg_NNNNN.m4s of random bytes and a manifest.json; returns the paths."""
    d = os.path.join(root, "pkg")
    os.makedirs(os.path.join(d, "v"), exist_ok=True)
    files, n = [], 0
    while n * file_size < total:
        path = "v/seg_%05d.m4s" % n
        data = os.urandom(min(file_size, total - n * file_size))
        with open(os.path.join(d, path), "wb") as f:
            f.write(data)
        files.append({"path": path, "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(),
                      "content_type": "video/iso.segment"})
        n += 1
    m = dict(MANIFEST_HEAD, files=files)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(m, f)
    return d, [x["path"] for x in files]


def call(port, method, path, token, body=None, raw=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        c.request(method, path, body=data, headers={"Authorization": "Bearer " + token,
                                                    "Content-Type": "application/json"})
        r = c.getresponse()
        out = r.read()
        return r.status, (json.loads(out) if out else None)
    finally:
        c.close()


def wait_port(port, proc, what, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError("%s exited" % what)
        try:
            with __import__("socket").create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchError("%s did not listen" % what)


class Rig:
    def __init__(self, work, pkg, peer, sync):
        self.work, self.pkg, self.procs, self.peer, self.sync = work, pkg, [], peer, sync
        self.metrics = []
        self.content = os.path.join(work, "content")
        os.makedirs(self.content)

    def start_nginx(self):
        d = os.path.join(self.work, "nginx")
        os.makedirs(d)
        self.nginx_port = free_port()
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(benchlib.nginx_conf(d, os.path.join(d, "error.log"), 1, self.nginx_port,
                                        "root %s;" % self.pkg))
        os.chmod(self.work, 0o755)
        for dp, dn, fn in os.walk(self.pkg):
            os.chmod(dp, 0o755)
            for n in fn:
                os.chmod(os.path.join(dp, n), 0o644)
        p = spawn(["/usr/sbin/nginx", "-c", conf], os.path.join(d, "out.log"), "nginx: ")
        self.procs.append(p)
        self.nginx = p
        wait_port(self.nginx_port, p, "nginx")

    def start_origin(self):
        d = os.path.join(self.work, "origin")
        os.makedirs(d)
        out = subprocess.run([os.path.join(BUILD, "origin", "reel-origin"), "--admin-token",
                              "bench"], check=True, capture_output=True,
                             text=True).stdout.splitlines()
        self.token = out[0].split(": ", 1)[1]
        with open(os.path.join(d, "admins"), "w") as f:
            f.write(out[-1] + "\n")
        self.admin = free_port()
        conf = os.path.join(d, "origin.conf")
        with open(conf, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1:%d\n[admin]\nlisten = 127.0.0.1:%d\n"
                    "tokens = %s/admins\n[store]\ndata_dir = %s/data\nmap_size = 64m\n"
                    "[jobs]\ncontent_dir = %s\n[fill]\nrate = 0\nrescan = 1s\nbackoff = 1s\n"
                    "peer = %s\n[log]\nerror_log = %s/error.log\nlevel = info\n" % (
                        free_port(), self.admin, d, d, self.content,
                        "on" if self.peer else "off", d))
        p = spawn([os.path.join(BUILD, "origin", "reel-origin"), "-c", conf],
                  os.path.join(d, "out.log"), "reel-origin: ")
        self.procs.append(p)
        wait_port(self.admin, p, "reel-origin")
        st, doc = call(self.admin, "GET", "/admin/v1/fill", self.token)
        k = doc["control_keys"]["keys"][0]
        self.keys = os.path.join(d, "control.pub")
        with open(self.keys, "w") as f:
            f.write("%s %s\n" % (k["kid"], k["public_key"]))

    def start_edge(self, i):
        d = os.path.join(self.work, "edge%d" % i)
        os.makedirs(os.path.join(d, "store"))
        fill = free_port()
        st, doc = call(self.admin, "POST", "/admin/v1/edges", self.token, {
            "name": "e%d" % i, "url": "http://127.0.0.1:%d" % free_port(), "cluster": "c1",
            "capacity": 10000, "fill_url": "http://127.0.0.1:%d" % fill})
        if st != 201:
            raise BenchError("edge registration: %s %s" % (st, doc))
        conf = os.path.join(d, "edge.conf")
        metrics = free_port()
        self.metrics.append(metrics)
        with open(conf, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1:%d\nworkers = 1\n[metrics]\n"
                    "listen = 127.0.0.1:%d\n[content]\nroot = %s/store\n[store]\nenabled = on\n"
                    "index = %s/index\nsync = %s\n[fill]\nlisten = 127.0.0.1:%d\n[origin]\n"
                    "edge_id = %s\ncontrol_keys = %s\n[log]\nerror_log = %s/error.log\n"
                    "level = warn\naccess_log = off\n" % (free_port(), metrics, d, d, self.sync,
                                                          fill, doc["id"], self.keys, d))
        p = spawn([os.path.join(BUILD, "edge", "reel-edge"), "-c", conf],
                  os.path.join(d, "out.log"), "reel-edge: ")
        self.procs.append(p)
        wait_port(fill, p, "reel-edge")

    def curl_round(self, paths):
        out = os.path.join(self.work, "curl-out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        args = ["curl", "-sS", "--fail"]
        for p in paths:
            args += ["-o", os.path.join(out, p.replace("/", "_")),
                     "http://127.0.0.1:%d/%s" % (self.nginx_port, p)]
        cpu0 = children_cpu() + group_cpu_seconds([self.nginx])
        t0 = time.monotonic()
        subprocess.run(args, check=True)
        dt = time.monotonic() - t0
        cpu = children_cpu() + group_cpu_seconds([self.nginx]) - cpu0
        subprocess.run(["sync", "-d"] + [os.path.join(out, n) for n in os.listdir(out)],
                       check=True)
        dt_sync = time.monotonic() - t0
        shutil.rmtree(out, ignore_errors=True)
        return dt, dt_sync, cpu

    def unsynced(self):
        """Bytes the edges hold and have not made durable yet (reel_cache_unsynced_bytes)."""
        n = 0
        for port in self.metrics:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                c.request("GET", "/metrics")
                for line in c.getresponse().read().decode().splitlines():
                    if line.startswith("reel_cache_unsynced_bytes "):
                        n += int(line.split()[1])
            finally:
                c.close()
        return n

    def status(self):
        return call(self.admin, "GET", "/admin/v1/fill", self.token)[1]

    def fill_round(self, title, timeout=1800):
        os.symlink(self.pkg, os.path.join(self.content, title))
        with open(os.path.join(self.pkg, "manifest.json"), "rb") as f:
            raw = f.read()
        def counts():
            edges = self.status()["edges"]
            return (sum(e["objects_sent"] for e in edges),
                    sum(e.get("peer_objects", 0) for e in edges))

        sent0, copied0 = counts()
        servers = [p for p in self.procs if p is not self.nginx]
        cpu0 = group_cpu_seconds(servers)
        t0 = time.monotonic()
        st, doc = call(self.admin, "PUT", "/admin/v1/titles/" + title, self.token, raw=raw)
        if st != 201:
            raise BenchError("title registration: %s %s" % (st, doc))
        end = t0 + timeout
        while time.monotonic() < end:
            s = self.status()
            done = [e for e in s["edges"]
                    if any(x["title"] == title and x["state"] == "done" for x in e["titles"])]
            if len(done) == 2:
                dt = time.monotonic() - t0
                cpu = group_cpu_seconds(servers) - cpu0
                break
            time.sleep(0.05)
        else:
            raise BenchError("the fill did not finish: %s" % json.dumps(self.status())[:2000])
        while self.unsynced() and time.monotonic() < end:
            time.sleep(0.05)
        dt_durable = time.monotonic() - t0
        sent, copied = counts()
        sent, copied = sent - sent0, copied - copied0
        call(self.admin, "DELETE", "/admin/v1/titles/" + title, self.token)
        end = time.monotonic() + 300
        while time.monotonic() < end:
            if not any(x["title"] == title for e in self.status()["edges"] for x in e["titles"]):
                break
            time.sleep(0.2)
        os.unlink(os.path.join(self.content, title))
        return dt, dt_durable, sent, copied, cpu

    def stop(self):
        for p in reversed(self.procs):
            stop_group(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1g", help="package size (default 1g)")
    ap.add_argument("--file-size", default="8m", help="size of each file (default 8m)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--peer", action="store_true", help="peer fill on ([fill] peer = on)")
    ap.add_argument("--sync", choices=["background", "each"], default="background",
                    help="the edges' [store] sync (default background)")
    a = ap.parse_args()
    total, fsz = size_arg(a.size), size_arg(a.file_size)
    work = tempfile.mkdtemp(prefix="fill-bench-")
    rig = None
    try:
        pkg, paths = make_package(work, total, fsz)
        mb = total / 1e6
        log("package: %d files, %.0f MB; machine load %.1f" % (len(paths), mb,
                                                               os.getloadavg()[0]))
        rig = Rig(work, pkg, a.peer, a.sync)
        rig.start_nginx()
        rig.start_origin()
        rig.start_edge(0)
        rig.start_edge(1)
        time.sleep(2)
        rows = []
        for r in range(a.rounds):
            c, c_sync, c_cpu = rig.curl_round(paths)
            f, f_durable, sent, copied, f_cpu = rig.fill_round("bench-%d" % r)
            rows.append((mb / c, 2 * mb / f, sent, copied, mb / c_sync, 2 * mb / f_durable,
                         mb / c_cpu, 2 * mb / f_cpu))
            log("round %d: curl %.1f MB/s (%.1f with sync -d)  fill %.1f MB/s (2 edges, %.1f s;"
                " durable after %.1f s)  ratio %.2f  files sent by the origin %d, copied between"
                " edges %d (%d files); per CPU-second curl+nginx %.0f MB, fill %.0f MB" % (
                    r + 1, mb / c, mb / c_sync, 2 * mb / f, f, f_durable, (2 * mb / f) / (mb / c),
                    sent, copied, len(paths), mb / c_cpu, 2 * mb / f_cpu))
        cm, fm = med([x[0] for x in rows]), med([x[1] for x in rows])
        ratio = med([x[1] / x[0] for x in rows])
        once = all(x[2] == len(paths) and x[3] == len(paths) for x in rows)
        print("fill_bench: %.0f MB package, %d files, %d rounds, peer fill %s, sync %s, "
              "load %.1f" % (mb, len(paths), a.rounds, "on" if a.peer else "off", a.sync,
                             os.getloadavg()[0]))
        print("  curl from nginx (sequential): %8.1f MB/s (median)" % cm)
        print("    the same, then sync -d:     %8.1f MB/s (median; for scale)" %
              med([x[4] for x in rows]))
        print("  fill to two edges:            %8.1f MB/s (median; %.1f MB/s per edge)" % (
            fm, fm / 2))
        print("    until durable on both:      %8.1f MB/s (median; for scale)" %
              med([x[5] for x in rows]))
        print("  ratio fill/curl:              %8.2f (median of rounds; bar >= 0.80) %s" % (
            ratio, "PASS" if ratio >= 0.8 else "FAIL"))
        print("  per CPU-second: curl+nginx %.0f MB, origin+edges %.0f MB: %.2fx (median of"
              " rounds; the processes' user+system time, the bench's own polling not counted)" % (
                  med([x[6] for x in rows]), med([x[7] for x in rows]),
                  med([x[7] / x[6] for x in rows])))
        if a.peer:
            print("  origin sent each file once into the cluster: %s (sent %s, copied %s)" % (
                "PASS" if once else "FAIL", [x[2] for x in rows], [x[3] for x in rows]))
        return 0 if ratio >= 0.8 and (once or not a.peer) else 2
    except BenchError as e:
        print("fill_bench: %s" % e, file=sys.stderr)
        return 1
    finally:
        if rig:
            rig.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
