#!/usr/bin/env python3
"""Collapsed misses: 100 concurrent requests for one uncached 2 MB segment,
at reel-edge (store and pull-through) and at nginx (proxy_cache with
proxy_cache_lock on), both in front of the same upstream throttled to
10 MB/s, which counts its requests.  For each server it prints how many
upstream requests the 100 made (the bar: exactly 1), whether every answer
had the right bytes, and the median time to first byte of the 100 (the
bar: under 50 ms at reel-edge; nginx's lock makes waiters wait for the
whole object), then the ratio nginx/edge.

  python3 tools/bench/collapse_bench.py [--rounds 5] [--clients 100] [--workers 2]

Each round uses a title neither server has seen (its manifest.json included:
reel-edge pulls that first, so the first byte waits for two upstream
answers in turn; --manifest-cached pulls it before, as a player's first
playlist would), alternating which server goes first.  The
upstream is a Python server (tests/integration/filltest.py), in a process
of its own, that sends 16 KiB chunks at the rate given.  Exit status 0 when every answer was
right, 1 otherwise, 3 with --strict when a bar was missed.
"""

import argparse
import hashlib
import os
import random
import statistics
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import BenchError, fmt, log  # noqa: E402
from cachebench import (DEFAULT_EDGE, DEFAULT_NGINX, Server, UpstreamProcess,  # noqa: E402
                        make_work, many_gets, nginx_cache, reel_edge, write_package)

SEGMENT = 2 * 1024 * 1024


def one_round(server, up, title, seg, clients, ranged, manifest_cached, access_log=None):
    path = "/%s/360p/seg_00001.m4s" % title
    if manifest_cached:  # as after a player's first playlist: only the segment is a miss
        many_gets(server.port, "/%s/manifest.json" % title, 1)
    ranges = [("bytes=%d-%d" % (i * 4096, i * 4096 + 65535) if ranged and i % 4 == 0 else None)
              for i in range(clients)]
    spans = [tuple(int(x) for x in rng[6:].split("-")) if rng else (0, len(seg) - 1)
             for rng in ranges]
    expect = [(seg, a, b + 1) for a, b in spans]
    agents = ["collapse-bench/%s/%d" % (title, i) for i in range(clients)]
    res = many_gets(server.port, path, clients, ranges, agents=agents, expect=expect)
    wrong = []
    for i, (r, rng) in enumerate(zip(res, ranges)):
        want = hashlib.sha256(memoryview(seg)[spans[i][0]:spans[i][1] + 1]).digest()
        if r["status"] != (206 if rng else 200) or r["sha"] != want or r["error"]:
            wrong.append(i)
    if wrong:
        tell_wrong(server, path, res, ranges, spans, agents, wrong, access_log)
    ttfb = [r["ttfb"] for r in res if r["ttfb"] is not None]
    return {"upstream": up.count("/content" + path), "good": clients - len(wrong),
            "ttfb_median": statistics.median(ttfb) if ttfb else None,
            "ttfb_max": max(ttfb) if ttfb else None,
            "last_median": statistics.median(r["last"] for r in res if r["last"] is not None)}


def header(head, name):
    """The value of the header line NAME in the raw HEAD, or "-"."""
    for line in head.decode("latin-1").split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return "-"


def tell_wrong(server, path, res, ranges, spans, agents, wrong, access_log):
    """Log every wrong answer of a round: what came, where its bytes first
    differ, and the server's access-log line for it (reel-edge's, by the
    request's User-Agent); then the end of the server's error log."""
    lines = {}
    if access_log:
        time.sleep(1.0)  # the edge writes its access log out every 500 ms
        try:
            with open(access_log, errors="replace") as f:
                for line in f:
                    for a in agents:
                        if '"%s"' % a in line:
                            lines.setdefault(a, []).append(line.rstrip("\n"))
        except OSError as e:
            log("  (access log %s: %s)" % (access_log, e))
    log("%s: %d wrong answers for %s:" % (server.name, len(wrong), path))
    for i in wrong:
        r = res[i]
        log("  #%d %s: status %d, Cache-Status %s, Content-Length %s, Content-Range %s; "
            "%d bytes of %d received, first differing byte %s%s" % (
                i, ranges[i] or "whole", r["status"], header(r["head"], "Cache-Status"),
                header(r["head"], "Content-Length"), header(r["head"], "Content-Range"),
                r["len"], spans[i][1] + 1 - spans[i][0], "none" if r["diff"] is None else r["diff"],
                "; " + r["error"] if r["error"] else ""))
        log("     head: %r" % r["head"][:400])
        for line in lines.get(agents[i], ["(no access-log line)"] if access_log else []):
            log("     log: %s" % line)
    log("  %s's logs, their end:\n%s" % (server.name, server.log_tail()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edge", default=DEFAULT_EDGE)
    ap.add_argument("--nginx", default=DEFAULT_NGINX)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=10e6, help="upstream bytes/s")
    ap.add_argument("--ranged", action="store_true", help="every 4th request asks for 64 KiB")
    ap.add_argument("--manifest-cached", action="store_true",
                    help="pull the title's manifest.json before the 100 requests")
    ap.add_argument("--edge-only", action="store_true",
                    help="reel-edge alone (hunting wrong answers: no nginx rounds)")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()

    work = make_work("collapse-bench-")
    origin = os.path.join(work, "origin")
    os.makedirs(origin)
    up = UpstreamProcess(origin, rate=args.rate).start()
    servers = {"edge": Server("edge", work)}
    if not args.edge_only:
        servers["nginx"] = Server("nginx", work)
    access_log = os.path.join(servers["edge"].dir, "access.log")
    wrong = False
    try:
        reel_edge(servers["edge"], args.edge, up.url(), args.workers, access_log=access_log)
        if "nginx" in servers:
            nginx_cache(servers["nginx"], args.nginx, up.url(), args.workers, lock=True)
        results = {name: [] for name in servers}
        for r in range(args.rounds):
            order = ("edge", "nginx") if r % 2 == 0 else ("nginx", "edge")
            for name in (n for n in order if n in servers):
                title = "c%d-%s-%d" % (os.getpid(), name, r)
                seg = random.Random(r).randbytes(SEGMENT)
                write_package(origin, title, {"360p/seg_00001.m4s": seg})
                res = one_round(servers[name], up, title, seg, args.clients, args.ranged,
                                args.manifest_cached, access_log if name == "edge" else None)
                results[name].append(res)
                log("round %d %s: %d upstream requests, %d/%d right, TTFB median %.1f ms, "
                    "max %.1f ms, last byte median %.1f ms" % (
                        r + 1, name, res["upstream"], res["good"], args.clients,
                        res["ttfb_median"] * 1000, res["ttfb_max"] * 1000,
                        res["last_median"] * 1000))
        report(args, results)
        wrong = any(x["good"] != args.clients for v in results.values() for x in v)
        missed = report_bars(args, results) if "nginx" in results else False
        return 1 if wrong else 3 if missed and args.strict else 0
    except BenchError as e:
        log("collapse_bench: %s" % e)
        return 1
    finally:
        for s in servers.values():
            s.stop()
        up.stop()
        if wrong:
            log("collapse_bench: logs kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(args, results):
    print("collapse_bench: %d concurrent GETs of one uncached %d MiB segment, upstream at "
          "%s MB/s, %d workers each, %d rounds%s%s" % (
              args.clients, SEGMENT >> 20, fmt(args.rate / 1e6, 1), args.workers, args.rounds,
              ", every 4th ranged" if args.ranged else "",
              ", manifest cached" if args.manifest_cached else ", title cold"))
    print("server  upstream requests/round   right answers   TTFB median (ms)   last byte median (ms)")
    for name, rs in results.items():
        print("%-7s %-25s %-15s %-18s %s" % (
            name, ",".join(str(x["upstream"]) for x in rs),
            "%d/%d" % (sum(x["good"] for x in rs), args.clients * len(rs)),
            fmt(statistics.median(x["ttfb_median"] for x in rs) * 1000, 1),
            fmt(statistics.median(x["last_median"] for x in rs) * 1000, 1)))


def report_bars(args, results):
    e = statistics.median(x["ttfb_median"] for x in results["edge"])
    n = statistics.median(x["ttfb_median"] for x in results["nginx"])
    one = all(x["upstream"] == 1 for x in results["edge"])
    print("TTFB nginx/edge: %.1fx" % (n / e))
    print("bar: exactly 1 upstream request per round at reel-edge: %s" % (
        "PASS" if one else "FAIL"))
    print("bar: median TTFB at reel-edge %.1f ms < 50 ms: %s" % (
        e * 1000, "PASS" if e < 0.05 else "FAIL"))
    return not one or e >= 0.05


if __name__ == "__main__":
    sys.exit(main())
