#!/usr/bin/env python3
"""Startup with a large store: reel-edge's store manager reconciles index and
files in the background while the workers already serve.  This seeds a store
of --objects objects (build/tools/bench/store_seed, through the store's own
code), makes it untidy (orphan files, files gone, leftover temporary files),
starts reel-edge and measures: the time from its start to the first answered
request for a stored object, the slowest of the requests sent while the
reconcile runs, and what the reconcile did and how long it took (from its log
line).  The bar: the first request is not delayed by more than 1 s.

  python3 tools/bench/store_bench.py [--objects 100000] [--untidy 1000]

Exit status 0 when every request was answered right, 1 otherwise, 3 with
--strict when the bar was missed.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import BenchError, fmt, log  # noqa: E402
from cachebench import DEFAULT_EDGE, REPO, Server, make_work  # noqa: E402

PER_TITLE = 1000


def get(port, path, timeout=5):
    """(status, seconds) of one GET on a fresh connection; status 0 when refused."""
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n" % path).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return int(data[9:12]), time.monotonic() - t0
    except (OSError, ValueError):
        return 0, time.monotonic() - t0


def untidy(root, index_objects, n):
    """N orphan files, N objects' files gone, N leftover temporary files."""
    for i in range(n):
        d = os.path.join(root, "orphans%02d" % (i // PER_TITLE))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "x%05d.ts" % i), "wb") as f:
            f.write(b"x" * 100)
        t, o = divmod(index_objects - 1 - i, PER_TITLE)
        try:
            os.unlink(os.path.join(root, "t%04d" % t, "o%05d.ts" % o))
        except OSError:
            pass
        with open(os.path.join(root, ".tmp", "0000000000000000.1.%d" % i), "wb") as f:
            f.write(b"y" * 100)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edge", default=DEFAULT_EDGE)
    ap.add_argument("--seed", default=os.path.join(REPO, "build", "tools", "bench", "store_seed"))
    ap.add_argument("--objects", type=int, default=100000)
    ap.add_argument("--untidy", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    work = make_work("store-bench-")
    edge = Server("edge", work)
    root, index = os.path.join(edge.dir, "store"), os.path.join(edge.dir, "index")
    os.makedirs(root)
    titles = (args.objects + PER_TITLE - 1) // PER_TITLE
    t0 = time.monotonic()
    r = subprocess.run([args.seed, root, index, str(titles), str(PER_TITLE), "1024"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        log("store_bench: store_seed failed: %s" % r.stderr)
        return 1
    log("seeded %d objects in %.1f s" % (titles * PER_TITLE, time.monotonic() - t0))
    untidy(root, titles * PER_TITLE, args.untidy)
    time.sleep(2.5)  # the reconcile leaves what changed in the last second or two alone
    conf = os.path.join(edge.dir, "edge.conf")
    with open(conf, "w") as f:
        f.write("[server]\nlisten = 127.0.0.1:%d\nworkers = %d\n[content]\nroot = %s\n"
                "[store]\nenabled = on\nindex = %s\nmin_free = 0\n[log]\nerror_log = %s\n" % (
                    edge.port, args.workers, root, index, edge.error_log))
    try:
        return run(args, edge, conf, titles)
    finally:
        edge.stop()


def run(args, edge, conf, titles):
    start = time.monotonic()
    edge.proc = subprocess.Popen([args.edge, "-c", conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
    first = None
    while time.monotonic() - start < 30:
        status, _ = get(edge.port, "/t0000/o00000.ts", timeout=2)
        if status == 200:
            first = time.monotonic() - start
            break
        time.sleep(0.005)
    if first is None:
        raise BenchError("no answer within 30 s:\n%s" % edge.log_tail())
    worst, n, bad = 0.0, 0, 0
    deadline = time.monotonic() + 30
    line = None
    while time.monotonic() < deadline and not line:
        i = n * 7919 % (titles * PER_TITLE - args.untidy)
        status, dt = get(edge.port, "/t%04d/o%05d.ts" % divmod(i, PER_TITLE))
        worst, n, bad = max(worst, dt), n + 1, bad + (status != 200)
        with open(edge.error_log, errors="replace") as f:
            m = re.search(r"store: reconciled in (\d+) ms: (.*)", f.read())
        line = m and (int(m.group(1)), m.group(2))
    if not line:
        raise BenchError("the reconcile did not finish within 30 s:\n%s" % edge.log_tail())
    print("store_bench: %d objects, %d of each kind of untidiness, %d workers" % (
        titles * PER_TITLE, args.untidy, args.workers))
    print("first request answered %.0f ms after the start (the bar: < 1000 ms)" % (first * 1000))
    print("%d requests during the reconcile: %d not 200, slowest %.1f ms" % (n, bad, worst * 1000))
    print("reconcile: %s ms; %s" % (fmt(line[0]), line[1]))
    print("bar: %s" % ("PASS" if first < 1.0 and bad == 0 else "FAIL"))
    return 1 if bad else 3 if first >= 1.0 and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
