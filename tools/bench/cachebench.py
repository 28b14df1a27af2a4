"""What the cache benchmarks share (collapse_bench.py, miss_bench.py): the
servers they compare -- reel-edge with its store and pull-through, nginx
with proxy_cache in front of the same upstream -- and the upstreams they put
behind them, plus a single-threaded client that opens many connections at
once and times each one's first byte.

The scripts run as `python3 tools/bench/X.py` and import this file and
benchlib.py from their own folder.  Standard library only.
"""

import hashlib
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "integration"))

from filltest import make_package as write_package  # noqa: E402,F401  (packages as the tests make them)
import filltest  # noqa: E402
import benchlib  # noqa: E402
from benchlib import (BenchError, children_of, cpu_seconds, free_port, log_tail,  # noqa: E402
                      spawn, stop_group, taskset, wait_ready)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_EDGE = os.path.join(REPO, "build", "edge", "reel-edge")
DEFAULT_NGINX = "/usr/sbin/nginx"


def make_work(prefix):
    """A temporary folder the servers share; nginx's workers (nobody) can enter it."""
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o755)
    return work


def open_for_nobody(top):
    """nginx workers run as nobody when started as root: let them read and write TOP."""
    for dirpath, dirnames, filenames in os.walk(top):
        os.chmod(dirpath, 0o777)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)


class Server:
    """One process group (reel-edge or nginx) with a config in its own folder."""

    def __init__(self, name, work):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=work)
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        self.out_path = os.path.join(self.dir, "stdout-stderr.log")
        self.error_log = os.path.join(self.dir, "error.log")
        self.proc = None

    def start(self, cmd, cpu=None, probe_path="/", ready_timeout=15):
        self.proc = spawn(taskset(cmd, cpu), self.out_path, self.name + ": ")
        last = wait_ready(lambda: self.probe(probe_path), self.check_alive, ready_timeout)
        if last:
            raise BenchError("%s did not answer within %d s (%s)\n%s" % (
                self.name, ready_timeout, last, log_tail((self.out_path, self.error_log))))
        return self

    def probe(self, path):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n" %
                       path).encode())
            return s.recv(12).startswith(b"HTTP/1.1 ")

    def check_alive(self, when):
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError("%s exited %s\n%s" % (self.name, when, log_tail(
                (self.out_path, self.error_log))))

    def stop(self):
        if self.proc:
            stop_group(self.proc, 10, self.name)
            self.proc = None

    def log_tail(self):
        return log_tail((self.out_path, self.error_log))

    def pids(self):
        """The server's master and its children, from /proc."""
        return [self.proc.pid] + children_of(self.proc.pid) if self.proc else []

    def cpu_seconds(self):
        return cpu_seconds(self.pids())


def nginx_conf(server, workers, body, extra_http=""):
    """An nginx.conf with one server block BODY (listening on SERVER's port)."""
    return benchlib.nginx_conf(server.dir, server.error_log, workers, server.port, body,
                               extra_http)


def start_nginx(server, binary, conf, cpu=None, probe="/"):
    path = os.path.join(server.dir, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return server.start([binary, "-e", server.error_log, "-p", server.dir + "/", "-c", path],
                        cpu, probe)


def nginx_static(server, binary, root, workers=1, cpu=None, log=False):
    """nginx serving ROOT at /content/ (the origin's content endpoint)."""
    access = "access_log %s/access.log;" % server.dir if log else ""
    body = "%s\n        location /content/ { alias %s/; }" % (access, root)
    return start_nginx(server, binary, nginx_conf(server, workers, body), cpu)


def nginx_cache(server, binary, upstream_url, workers=1, cpu=None, lock=True):
    """nginx with proxy_cache in front of UPSTREAM_URL (".../content"), paths as the edge's."""
    cache = os.path.join(server.dir, "cache")
    os.makedirs(cache, exist_ok=True)
    os.chmod(cache, 0o777)
    http = ("proxy_cache_path %s levels=1:2 keys_zone=z:64m max_size=20g inactive=1d "
            "use_temp_path=off;" % cache)
    body = """location / {
            proxy_pass %s/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache z;
            proxy_cache_valid 200 206 1d;
            proxy_cache_lock %s;
            proxy_buffering on;
        }""" % (upstream_url, "on" if lock else "off")
    return start_nginx(server, binary, nginx_conf(server, workers, body, http), cpu,
                       probe="/nothing-here")


def reel_edge(server, binary, upstream_url, workers=1, cpu=None, extra="", access_log="off"):
    """reel-edge with a store in SERVER's folder pulling through from UPSTREAM_URL
    (ACCESS_LOG: its path, or "off")."""
    root = os.path.join(server.dir, "store")
    os.makedirs(root, exist_ok=True)
    conf = os.path.join(server.dir, "edge.conf")
    with open(conf, "w") as f:
        f.write("[server]\nlisten = 127.0.0.1:%d\nworkers = %d\n"
                "[content]\nroot = %s\n"
                "[store]\nenabled = on\nindex = %s\nmin_free = 0\n"
                "[upstream]\nurl = %s\nmax_connections = 256\n"
                "[log]\naccess_log = %s\nerror_log = %s\n%s" % (
                    server.port, workers, root, os.path.join(server.dir, "index"),
                    upstream_url, access_log, server.error_log, extra))
    return server.start([binary, "-c", conf], cpu, "/healthz")


# ---------------------------------------------------------------- the upstream

class UpstreamProcess:
    """The tests' upstream (filltest.Upstream: files under ROOT, sent in 16 KiB
    chunks at RATE bytes/s) in a process of its own, so that its threads never
    wait for the interpreter lock while the measuring client holds it.  It
    counts the requests it gets: count(path) asks it over a pipe."""

    def __init__(self, root, rate=None):
        self.root, self.rate = root, rate
        self.proc = self.port = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--upstream", self.root,
             str(self.rate or 0)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            raise BenchError("the upstream did not start")
        self.port = int(line)
        return self

    def url(self):
        return "http://127.0.0.1:%d/content" % self.port

    def count(self, path):
        self.proc.stdin.write("count %s\n" % path)
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self):
        if self.proc:
            self.proc.stdin.close()
            self.proc.wait(10)
            self.proc = None


def upstream_child(root, rate):
    """The process of an UpstreamProcess: serves, prints its port, answers counts."""
    up = filltest.Upstream(root, rate=rate or None).start()
    print(up.port, flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.rstrip("\n").partition(" ")
        if cmd == "count":
            print(up.count(arg), flush=True)
    up.stop()


# ---------------------------------------------------------------- the client

def many_gets(port, path, n, ranges=None, timeout=60, agents=None, expect=None):
    """N connections, each sending one GET for PATH (RANGES[i], a "bytes=a-b"
    value or None, per connection; AGENTS[i] its User-Agent, to find it in an
    access log).  Every request is sent before any answer is read, so a busy
    reader here never delays a request; the time to first byte of each is
    taken when its socket first turns readable.  Returns per connection a
    dict: status (0: no head), head (its bytes), sha (SHA-256 of the body),
    len (body bytes), ttfb and last (seconds to the first and the last byte,
    from when its request was sent; None when it never came), error (what
    ended it otherwise: a socket error, or "unfinished" at TIMEOUT) and, with
    EXPECT[i] = (DATA, START, END), the body connection i should get being
    DATA[START:END] (a bytes object), diff: the offset of the
    first body byte that is not EXPECT[i]'s (None when none differs; a short
    body shows in len).  One thread; bodies are hashed as they come, never
    kept."""
    conns = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        rng = ranges[i] if ranges else None
        hdrs = ("Range: %s\r\n" % rng if rng else "") + (
            "User-Agent: %s\r\n" % agents[i] if agents else "")
        conns.append({"sock": s, "head": bytearray(), "sha": hashlib.sha256(), "len": 0,
                      "first": None, "last": None, "status": 0, "error": None, "diff": None,
                      "expect": expect[i] if expect else None, "req": (
                          "GET %s HTTP/1.1\r\nHost: b\r\n%sConnection: close\r\n\r\n" % (
                              path, hdrs)).encode()})
    sel = selectors.DefaultSelector()
    for c in conns:
        c["t0"] = time.monotonic()
        c["sock"].sendall(c["req"])
        c["sock"].setblocking(False)
        sel.register(c["sock"], selectors.EVENT_READ, c)
    buf = bytearray(1 << 18)
    view = memoryview(buf)
    deadline = time.monotonic() + timeout
    left = n
    while left and time.monotonic() < deadline:
        events = sel.select(1.0)
        now = time.monotonic()
        for key, _ in events:
            c = key.data
            if c["first"] is None:
                c["first"] = now
            try:
                got = c["sock"].recv_into(buf)
            except OSError as e:
                c["error"], got = "%s: %s" % (type(e).__name__, e), 0
            if got:
                take_bytes(c, view[:got])
                continue
            c["last"] = time.monotonic()
            sel.unregister(c["sock"])
            c["sock"].close()
            left -= 1
    for c in conns:
        if c["last"] is None:
            c["error"] = "unfinished after %d s" % timeout
            sel.unregister(c["sock"])
            c["sock"].close()
    return [{"status": c["status"], "head": bytes(c["head"]), "sha": c["sha"].digest(),
             "len": c["len"], "ttfb": c["first"] - c["t0"] if c["first"] else None,
             "last": c["last"] - c["t0"] if c["last"] else None, "error": c["error"],
             "diff": c["diff"]} for c in conns]


def first_difference(want, at, end, data, off):
    """The offset OFF + i of the first byte DATA[i] that is not WANT[AT + i]
    (nothing of WANT is left at END), or None.  Compared in pieces of 64 KiB:
    a copy that size costs no page faults, a memoryview compared whole is slow."""
    for o in range(0, len(data), 65536):
        piece = bytes(data[o:o + 65536])
        a = at + o
        ref = want[a:min(a + len(piece), end)] if a < end else b""
        if ref != piece:
            return off + o + next((i for i in range(len(ref)) if ref[i] != piece[i]), len(ref))
    return None


def take_bytes(c, data):
    """Bytes of C's answer: the head until its end, then the body into the hash
    (and, with C's expected body, compared with it until the first difference)."""
    if c["status"] == 0:
        c["head"] += data
        end = c["head"].find(b"\r\n\r\n")
        if end < 0:
            return
        c["status"] = int(c["head"][9:12]) if c["head"].startswith(b"HTTP/1.1 ") else -1
        data = memoryview(bytes(c["head"][end + 4:]))
        del c["head"][end + 4:]
    exp = c["expect"]
    if exp is not None and c["diff"] is None:
        c["diff"] = first_difference(exp[0], exp[1] + c["len"], exp[2], data, c["len"])
    c["sha"].update(data)
    c["len"] += len(data)


if __name__ == "__main__" and sys.argv[1:2] == ["--upstream"]:
    upstream_child(sys.argv[2], float(sys.argv[3]))
