#!/usr/bin/env python3
"""The miss path: requests/s on cold objects, each fetched once, at
reel-edge (store and pull-through) and at nginx (proxy_cache), both in
front of the same upstream (nginx serving the files).  wrk asks for a new
object with every request; the upstream's access log must show one request
per object for both.  Prints the median of the runs for each server, their
ratio, and the median of each round's ratio (the two run back to back, so
the machine's changing load weighs less: the bar, at least 1.0x).

  python3 tools/bench/miss_bench.py [--runs 3] [--duration 3] [--size 64k]

Pinned: the server under test on CPU 0 with one worker, wrk -t1 and the
upstream on CPU 1.  Objects are sparse files of zeros (no disk for the
upstream; the caches write them for real); each run uses a title nobody
has seen.  reel-edge checks each object against the title's manifest.json,
which a warm-up request pulls before wrk starts.  Exit status 0 when every
answer was a 200 and every object was fetched once, 1 otherwise, 3 with
--strict when the bar was missed.
"""

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import BenchError, fmt, log, parse_wrk, run_measured, wrk_command  # noqa: E402
from cachebench import (DEFAULT_EDGE, DEFAULT_NGINX, Server, make_work,  # noqa: E402
                        nginx_cache, nginx_static, open_for_nobody, reel_edge)

PER_FOLDER = 1000  # segments per rendition folder, as in a package of a long title

LUA = """-- a new object with every request: /%s/r<n / 1000>/seg_<n>.m4s, n = 1, 2, ...
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", string.format("/%%s/r%%03d/seg_%%06d.m4s", "%s", math.floor(n / 1000), n))
end
"""


def object_path(n):
    return "r%03d/seg_%06d.m4s" % (n // PER_FOLDER, n)


def make_title(origin, title, count, size):
    """COUNT sparse objects of SIZE zero bytes and the manifest listing them."""
    sha = hashlib.sha256(bytes(size)).hexdigest()
    entries = []
    for n in range(count + 1):
        path = os.path.join(origin, title, object_path(n))
        if n % PER_FOLDER == 0:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)
        entries.append({"path": object_path(n), "size": size, "sha256": sha})
    with open(os.path.join(origin, title, "manifest.json"), "w") as f:
        json.dump({"manifest_version": 1, "title": title, "files": entries}, f)


def upstream_count(upstream, title):
    try:
        with open(os.path.join(upstream.dir, "access.log")) as f:
            return sum(1 for line in f if (" /content/%s/r" % title) in line)
    except OSError:
        return 0


def one_run(name, server, upstream, title, args):
    script = os.path.join(server.dir, title + ".lua")
    with open(script, "w") as f:
        f.write(LUA % (title, title))
    warm = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                           "http://127.0.0.1:%d/%s/%s" % (server.port, title, object_path(0))],
                          capture_output=True, text=True, timeout=30)
    if warm.stdout != "200":
        raise BenchError("%s: warm-up request answered %s\n%s" % (name, warm.stdout,
                                                                    server.log_tail()))
    before = upstream_count(upstream, title)
    cmd = wrk_command("http://127.0.0.1:%d/" % server.port, 1, args.connections,
                      args.duration, ["-s", script], cpu=1)
    run = run_measured(cmd, args.duration + 60, server.cpu_seconds)
    if run.returncode != 0:
        raise BenchError("%s: wrk failed:\n%s" % (name, run.text))
    res = parse_wrk(run.text)
    res["per_cpu"] = res.get("requests", 0) / run.server_cpu if run.server_cpu else None
    fetched = upstream_count(upstream, title) - before
    if res["non2xx"] or res["socket_errors"].get("timeout"):
        raise BenchError("%s: %d non-2xx answers, errors %r" % (name, res["non2xx"],
                                                                res["socket_errors"]))
    if res.get("requests", 0) >= args.objects:
        raise BenchError("%s: %d requests ran past the %d objects: use --objects" % (
            name, res["requests"], args.objects))
    return res["rps"], res.get("requests", 0), fetched, res["per_cpu"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edge", default=DEFAULT_EDGE)
    ap.add_argument("--nginx", default=DEFAULT_NGINX)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--size", default="64k", help="object size (k or m suffix)")
    ap.add_argument("--objects", type=int, default=30000, help="objects per title")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    m = re.fullmatch(r"(\d+)([km]?)", args.size)
    size = int(m.group(1)) * {"": 1, "k": 1024, "m": 1 << 20}[m.group(2)]

    work = make_work("miss-bench-")
    origin = os.path.join(work, "origin")
    os.makedirs(origin)
    titles = ["m%d-%s" % (r, s) for r in range(args.runs) for s in ("edge", "nginx")]
    log("miss_bench: %d titles of %d objects of %d bytes (sparse) ..." % (
        len(titles), args.objects, size))
    for t in titles:
        make_title(origin, t, args.objects, size)
    open_for_nobody(origin)
    up = Server("upstream", work)
    servers = {"edge": Server("edge", work), "nginx": Server("nginx", work)}
    try:
        nginx_static(up, args.nginx, origin, workers=1, cpu=1, log=True)
        url = "http://127.0.0.1:%d/content" % up.port
        reel_edge(servers["edge"], args.edge, url, workers=1, cpu=0)
        nginx_cache(servers["nginx"], args.nginx, url, workers=1, cpu=0)
        vals = {"edge": [], "nginx": []}
        eff = {"edge": [], "nginx": []}
        ok = True
        for r in range(args.runs):
            order = ("edge", "nginx") if r % 2 == 0 else ("nginx", "edge")
            for name in order:
                rps, n, fetched, per_cpu = one_run(name, servers[name], up,
                                                   "m%d-%s" % (r, name), args)
                vals[name].append(rps)
                eff[name].append(per_cpu)
                # what was in flight when wrk stopped is fetched too
                ok = ok and n <= fetched <= n + args.connections
                log("run %d %s: %s requests/s, %d requests, %d upstream fetches, %s per "
                    "server CPU-second" % (r + 1, name, fmt(rps), n, fetched, fmt(per_cpu)))
        e, n = statistics.median(vals["edge"]), statistics.median(vals["nginx"])
        ee, ne = statistics.median(eff["edge"]), statistics.median(eff["nginx"])
        # each round runs the two back to back: their ratio drifts less with the machine's load
        paired = [a / b for a, b in zip(vals["edge"], vals["nginx"])]
        pr = statistics.median(paired)
        print("miss_bench: cold %d-byte objects, one worker each on CPU 0, wrk -t1 -c%d and "
              "the upstream on CPU 1, %d runs of %d s" % (size, args.connections, args.runs,
                                                           args.duration))
        print("edge  %s req/s  (%s)" % (fmt(e), ", ".join(fmt(v) for v in vals["edge"])))
        print("nginx %s req/s  (%s)" % (fmt(n), ", ".join(fmt(v) for v in vals["nginx"])))
        print("edge/nginx of the medians: %.2fx" % (e / n))
        print("edge/nginx per round: %s; median %.2fx  bar >= 1.0: %s" % (
            ", ".join("%.2f" % r for r in paired), pr, "PASS" if pr >= 1.0 else "FAIL"))
        print("per server CPU-second: edge %s, nginx %s, ratio %.2fx" % (fmt(ee), fmt(ne),
                                                                          ee / ne))
        print("every object fetched from the upstream once: %s" % ("yes" if ok else "NO"))
        return 1 if not ok else 3 if pr < 1.0 and args.strict else 0
    except BenchError as ex:
        log("miss_bench: %s" % ex)
        return 1
    finally:
        for s in list(servers.values()) + [up]:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
