#!/usr/bin/env python3
"""Side-by-side benchmark of reel-edge against Debian's nginx (nginx-light).

Both servers serve the same files (a ~1.2 KB media playlist and a 2 MB fMP4
segment) from a temporary folder, with the same self-signed ECDSA P-256
certificate and the same TLS 1.2 cipher list, access logs off and sendfile on.
wrk loads one server at a time; runs alternate edge/nginx so drift in the
machine hits both alike.  For each scenario the table gives the median of the
runs of each server and the ratio edge/nginx, next to the bar from issue 2.

  python3 tools/bench/edge_bench.py [--runs 5] [--duration 5] [--modes pinned,shared]

Modes:
  pinned  one worker each, the server pinned to CPU 0 (taskset), wrk -t1 on CPU 1
  shared  two workers each, nothing pinned, wrk -t2

The idle scenario opens 10,000 keep-alive connections to reel-edge (one worker),
makes one request on each, holds them all open and reads the RSS of the
processes from /proc; a fresh connection must still get its 200.

Exit status: 0 when every server started and answered correctly; 1 when a server
failed to start, died, or answered wrongly; 2 on bad usage; 3 with --strict when
a bar was missed.  Standard library only.
"""

import argparse
import atexit
import errno
import hashlib
import http.client
import json
import os
import random
import re
import resource
import selectors
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (BenchError, children_of, cpu_busy, cpu_seconds, fmt, free_port, log,
                      log_tail, med, nginx_conf, parse_wrk, pct, read_wrk, run_measured, spawn,
                      stop_all, stop_group, taskset, wait_ready, wrk_command)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_EDGE = os.path.join(REPO, "build", "edge", "reel-edge")
DEFAULT_NGINX = "/usr/sbin/nginx"

# The TLS 1.2 list of conf/edge.conf; TLS 1.3 uses OpenSSL's default AEAD suites
# on both sides.
# nginx's MIME types for the package's files, as reel-edge sends them
NGINX_TYPES = """types {
        application/vnd.apple.mpegurl m3u8;
        video/iso.segment m4s;
        video/mp4 mp4;
    }"""

CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
           "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
           "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")

PLAYLIST_PATH = "/bench/360p/index.m3u8"
SEGMENT_PATH = "/bench/360p/seg_00001.m4s"
SEGMENT_SIZE = 2 * 1024 * 1024
RANGE_FIRST, RANGE_LAST = 65536, 131071          # 64 KiB
RANGE_HEADER = "bytes=%d-%d" % (RANGE_FIRST, RANGE_LAST)

# name: (scheme, path, range header or None, metric, pinned-mode bar)
SCENARIOS = {
    "playlist":       ("http",  PLAYLIST_PATH, None,         "req/s", 1.2),
    "range":          ("http",  SEGMENT_PATH,  RANGE_HEADER, "req/s", 1.2),
    "segment":        ("http",  SEGMENT_PATH,  None,         "MiB/s", 1.0),
    "https-playlist": ("https", PLAYLIST_PATH, None,         "req/s", 1.0),
    "https-range":    ("https", SEGMENT_PATH,  RANGE_HEADER, "req/s", 1.0),
    "https-segment":  ("https", SEGMENT_PATH,  None,         "MiB/s", 1.0),
}
LOAD_SCENARIOS = list(SCENARIOS)
ALL_SCENARIOS = LOAD_SCENARIOS + ["idle"]
SCENARIO_GROUPS = {"all": ALL_SCENARIOS, "http": LOAD_SCENARIOS[:3],
                   "https": LOAD_SCENARIOS[3:], "load": LOAD_SCENARIOS}
MODES = {
    # name: (workers per server, pin the servers, wrk threads, description)
    "pinned": (1, True, 1, "1 worker each, server on CPU {s}, wrk -t1 -c{c} on CPU {w}"),
    "shared": (2, False, 2, "2 workers each, no pinning, wrk -t2 -c{c}"),
}
IDLE_RSS_BAR_MB = 64

# --store: the upstream reel-edge pulls the bench files from (its cache store
# then serves them as hits), else None: reel-edge serves the folder as it is.
STORE_UPSTREAM = None


# ---------------------------------------------------------------- fixtures

def make_playlist(target=1200):
    """A realistic fMP4 media playlist of about TARGET bytes."""
    head = ("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"
            "#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init.mp4\"\n")
    tail = "#EXTINF:1.334000,\nseg_%05d.m4s\n#EXT-X-ENDLIST\n"
    body, n = "", 1
    while len(head) + len(body) + len(tail % n) + 32 <= target:
        body += "#EXTINF:2.000000,\nseg_%05d.m4s\n" % n
        n += 1
    return (head + body + tail % n).encode()


def make_fixtures(work):
    """Content files and a certificate under WORK; returns a dict of paths and bodies."""
    content = os.path.join(work, "content")
    folder = os.path.join(content, "bench", "360p")
    os.makedirs(folder)
    playlist = make_playlist()
    segment = os.urandom(SEGMENT_SIZE)
    for path, data in ((PLAYLIST_PATH, playlist), (SEGMENT_PATH, segment)):
        with open(os.path.join(content, path.lstrip("/")), "wb") as f:
            f.write(data)
    cert = os.path.join(work, "cert.pem")
    key = os.path.join(work, "key.pem")
    run_checked(["openssl", "req", "-x509", "-newkey", "ec",
                 "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                "openssl req (self-signed ECDSA P-256 certificate)")
    # Servers that drop privileges (nginx workers run as nobody when started as
    # root) must read the files; the key is a throwaway made for this run.
    for dirpath, dirnames, filenames in os.walk(work):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    return {"content": content, "cert": cert, "key": key,
            "playlist": playlist, "segment": segment}


def start_store_upstream(fx):
    """For --store: the bench files, with a manifest.json, served by a Python server in a
    thread; the first requests of verify() pull them into reel-edge's store."""
    global STORE_UPSTREAM
    import functools
    import http.server
    import threading

    files = {"360p/index.m3u8": fx["playlist"], "360p/seg_00001.m4s": fx["segment"]}
    manifest = {"manifest_version": 1, "title": "bench", "files": [
        {"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
        for p, d in sorted(files.items())]}
    with open(os.path.join(fx["content"], "bench", "manifest.json"), "w") as f:
        json.dump(manifest, f)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=fx["content"])
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    STORE_UPSTREAM = "http://127.0.0.1:%d" % server.server_address[1]


def run_checked(cmd, what, timeout=60):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except FileNotFoundError:
        raise BenchError("%s: %s not found" % (what, cmd[0]))
    except subprocess.TimeoutExpired:
        raise BenchError("%s: timed out after %d s" % (what, timeout))
    if r.returncode != 0:
        raise BenchError("%s failed (exit %d): %s" % (
            what, r.returncode, r.stderr.decode(errors="replace").strip()))
    return r.stdout.decode(errors="replace")


# ---------------------------------------------------------------- servers

LIVE_SERVERS = []


class Server:
    """One server instance (reel-edge or nginx) with its own config and logs.

    KIND is "edge" or "nginx" (the program it runs); NAME is the column it
    reports under ("edge" or "nginx").  Ports are picked at construction.
    """

    def __init__(self, name, kind, binary, work, fx, workers, cpu, tls):
        self.name, self.kind, self.binary = name, kind, binary
        self.fx, self.workers, self.cpu, self.tls = fx, workers, cpu, tls
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=work)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.proc = None
        self.out_path = os.path.join(self.dir, "stdout-stderr.log")
        self.error_log = os.path.join(self.dir, "error.log")

    # -- configuration
    def write_config(self):
        if self.kind == "edge":
            return self._edge_config()
        return self._nginx_config()

    def _edge_config(self):
        path = os.path.join(self.dir, "edge.conf")
        lines = ["[server]", "listen = 127.0.0.1:%d" % self.port]
        if self.tls:
            lines.append("listen_tls = 127.0.0.1:%d" % self.tls_port)
        root = self.fx["content"]
        if STORE_UPSTREAM:  # --store: an empty cache store that pulls the files in
            root = os.path.join(self.dir, "store")
            os.makedirs(root, exist_ok=True)
        lines += ["workers = %d" % self.workers, "",
                  "[metrics]", "listen = 127.0.0.1:%d" % free_port(), "",
                  "[content]", "root = %s" % root, ""]
        if STORE_UPSTREAM:
            lines += ["[store]", "enabled = on", "index = %s" % os.path.join(self.dir, "index"),
                      "min_free = 0", "", "[upstream]", "url = %s" % STORE_UPSTREAM, ""]
        if self.tls:
            lines += ["[tls]", "certificate = %s" % self.fx["cert"],
                      "key = %s" % self.fx["key"], "ciphers = %s" % CIPHERS, ""]
        lines += ["[log]", "access_log = off", "error_log = %s" % self.error_log,
                  "level = info", ""]
        with open(path, "w") as f:
            f.write("\n".join(lines))
        return [self.binary, "-c", path]

    def _nginx_config(self):
        path = os.path.join(self.dir, "nginx.conf")
        tls = ""
        if self.tls:
            tls = """
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers %s;
        ssl_prefer_server_ciphers on;""" % (self.tls_port, self.fx["cert"], self.fx["key"],
                                            CIPHERS)
        conf = nginx_conf(self.dir, self.error_log, self.workers, self.port,
                          tls + "\n        server_name localhost;\n        root %s;" %
                          self.fx["content"], NGINX_TYPES, keepalive_requests=10000)
        with open(path, "w") as f:
            f.write(conf)
        return [self.binary, "-e", self.error_log, "-p", self.dir + "/", "-c", path]

    # -- lifecycle
    def start(self, ready_timeout=15):
        cmd = taskset(self.write_config(), self.cpu)
        self.cmdline = " ".join(cmd)
        self.proc = spawn(cmd, self.out_path, self.name + ": ")
        LIVE_SERVERS.append(self)
        last = wait_ready(self.answers, self.check_alive, ready_timeout)
        if last:
            raise BenchError("%s did not answer within %d s (%s)\n  command: %s\n%s" % (
                self.name, ready_timeout, last, self.cmdline, self.log_tail()))
        # Answering before every worker is up is fine, but measure only when all are.
        deadline = time.monotonic() + 5
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)
        if len(self.worker_pids()) != self.workers:
            log("%s: warning: %d child processes, %d workers configured" % (
                self.name, len(self.worker_pids()), self.workers))

    def answers(self):
        """Does the server answer (any status) on each of its ports?"""
        self.request("http", PLAYLIST_PATH, timeout=1)
        if self.tls:
            self.request("https", PLAYLIST_PATH, timeout=1)
        return True

    def check_alive(self, when):
        if self.proc is None or self.proc.poll() is not None:
            code = self.proc.returncode if self.proc else None
            hint = ""
            if code == 0:
                hint = " (a clean exit: something outside this script stopped it?)"
            elif code is not None and code < 0:
                hint = " (killed by signal %d)" % -code
            raise BenchError("%s exited (status %s%s) %s\n  command: %s\n%s" % (
                self.name, code, hint, when, getattr(self, "cmdline", "?"),
                self.log_tail()))

    def stop(self, timeout=10):
        if self.proc is None:
            return
        stop_group(self.proc, timeout, self.name)
        self.proc = None
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)

    def log_tail(self, n=15):
        return log_tail((self.out_path, self.error_log), n)

    def log_lines(self, pattern):
        out = []
        for path in (self.out_path, self.error_log):
            try:
                with open(path, errors="replace") as f:
                    out += [l.rstrip() for l in f if re.search(pattern, l, re.I)]
            except OSError:
                pass
        return out

    # -- processes
    def worker_pids(self):
        return children_of(self.proc.pid) if self.proc else []

    def cpu_seconds(self):
        """User + system CPU seconds used so far by the master and its workers."""
        if not self.proc:
            return 0.0
        return cpu_seconds([self.proc.pid] + self.worker_pids())

    # -- requests
    def url(self, scheme, path):
        port = self.tls_port if scheme == "https" else self.port
        return "%s://127.0.0.1:%d%s" % (scheme, port, path)

    def request(self, scheme, path, headers=None, timeout=5):
        """One GET with http.client; returns (status, headers dict (lower-case), body)."""
        if scheme == "https":
            ctx = ssl.create_default_context(cafile=self.fx["cert"])
            conn = http.client.HTTPSConnection("127.0.0.1", self.tls_port,
                                               timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            body = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if scheme == "https":
                hdrs[":tls"] = "%s %s" % (conn.sock.version(), conn.sock.cipher()[0])
            return r.status, hdrs, body
        finally:
            conn.close()

    def verify(self, schemes):
        """Check each answer of the scenarios once, byte for byte; raise BenchError."""
        fx = self.fx
        notes = []
        for scheme in schemes:
            checks = [
                ("GET %s" % PLAYLIST_PATH, PLAYLIST_PATH, None, 200, fx["playlist"], None),
                ("GET %s" % SEGMENT_PATH, SEGMENT_PATH, None, 200, fx["segment"], None),
                ("GET %s Range: %s" % (SEGMENT_PATH, RANGE_HEADER), SEGMENT_PATH,
                 {"Range": RANGE_HEADER}, 206, fx["segment"][RANGE_FIRST:RANGE_LAST + 1],
                 "bytes %d-%d/%d" % (RANGE_FIRST, RANGE_LAST, SEGMENT_SIZE)),
            ]
            for what, path, hdrs, want_status, want_body, want_cr in checks:
                try:
                    status, h, body = self.request(scheme, path, hdrs, timeout=10)
                except (OSError, http.client.HTTPException) as e:
                    raise BenchError("%s %s: %s failed: %s: %s" % (
                        self.name, scheme, what, type(e).__name__, e))
                problems = []
                if status != want_status:
                    problems.append("status %d, want %d" % (status, want_status))
                if body != want_body:
                    problems.append("body %d bytes (sha256 %s), want %d bytes (sha256 %s)" % (
                        len(body), hashlib.sha256(body).hexdigest()[:16], len(want_body),
                        hashlib.sha256(want_body).hexdigest()[:16]))
                if want_cr and h.get("content-range") != want_cr:
                    problems.append("Content-Range %r, want %r" % (h.get("content-range"),
                                                                   want_cr))
                if problems:
                    raise BenchError("%s %s: %s: %s\n  response headers: %s" % (
                        self.name, scheme, what, "; ".join(problems),
                        {k: v for k, v in h.items() if not k.startswith(":")}))
                if ":tls" in h and h[":tls"] not in notes:
                    notes.append(h[":tls"])
        return notes


def proc_status(pid, key):
    """A field of /proc/PID/status in kB (VmRSS, VmHWM...), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def cleanup_servers():
    stop_all(LIVE_SERVERS, timeout=5)


# ---------------------------------------------------------------- wrk

def run_wrk(server, scenario, mode, args, duration):
    scheme, path, rng, metric, _ = SCENARIOS[scenario]
    _, _, threads, _ = MODES[mode]
    what = "%s %s" % (server.name, scenario)
    cmd = wrk_command(server.url(scheme, path), threads, args.connections, duration,
                      ["-H", "Range: " + rng] if rng else [],
                      args.client_cpu if mode == "pinned" else None)
    workers0 = server.worker_pids()
    try:
        m = run_measured(cmd, duration + 60, server.cpu_seconds)
    except subprocess.TimeoutExpired:
        server.check_alive("during wrk")
        raise BenchError("%s: wrk did not finish within %d s" % (what, duration + 60))
    server.check_alive("during wrk %s" % scenario)
    workers1 = server.worker_pids()
    if workers1 != workers0:
        raise BenchError("%s: worker processes changed during the run: %s before, %s "
                         "after (a worker died?)\n%s" % (what, workers0, workers1,
                                                         server.log_tail()))
    res = read_wrk(m, what, lambda text: parse_wrk(text, transfer=True))
    if res["non2xx"]:
        raise BenchError("%s: %d responses were not 2xx/3xx (%s)\n%s" % (
            what, res["non2xx"], " ".join(cmd), m.text))
    if res["rps"] <= 0:
        raise BenchError("%s: no request completed\n%s" % (what, m.text))
    res["value"] = res["rps"] if metric == "req/s" else res["bps"] / 2 ** 20
    # CPU time the server and wrk used: throughput per server CPU-second does not
    # depend on what else the machine runs, and a CPU share well below 100% shows
    # who was the bottleneck.
    res["server_cpu_s"] = m.server_cpu
    res["server_cpu_share"] = m.server_cpu / m.wall
    res["wrk_cpu_share"] = m.client_cpu / m.wall
    res["per_cpu_s"] = res["value"] * duration / m.server_cpu if m.server_cpu > 0 else None
    # On loopback the receiver's TCP work partly runs in the sender's context, so
    # the server's share depends on timing; server + wrk counts all of it.
    both = m.server_cpu + m.client_cpu
    res["per_both_cpu_s"] = res["value"] * duration / both if both > 0 else None
    return res


# ---------------------------------------------------------------- load scenarios

def run_mode(mode, scenarios, args, work, fx, results):
    workers, pin, _, desc = MODES[mode]
    cpu = args.server_cpu if pin else None
    need_tls = any(SCENARIOS[s][0] == "https" for s in scenarios)
    edge_kind = "nginx" if args.edge_as_nginx else "edge"
    edge_bin = args.nginx if args.edge_as_nginx else args.edge
    servers = {"edge": Server("edge", edge_kind, edge_bin, work, fx, workers, cpu, need_tls),
               "nginx": Server("nginx", "nginx", args.nginx, work, fx, workers, cpu, need_tls)}
    print("\n== %s: %s; %d runs x %d s (+%d s warm-up) ==" % (
        mode, desc.format(s=args.server_cpu, w=args.client_cpu, c=args.connections),
        args.runs, args.duration, args.warmup), flush=True)
    out = results.setdefault("modes", {}).setdefault(mode, {})
    try:
        for s in servers.values():
            s.start()
            tls = s.verify(["http", "https"] if need_tls else ["http"])
            log("%s: up (pid %d, workers %s)%s" % (
                s.name, s.proc.pid, s.worker_pids(),
                ", negotiated " + ", ".join(tls) if tls else ""))
        for line in servers["edge"].log_lines(r"ktls|tls|sendfile"):
            log("edge log: " + line)
        print("%-15s %-6s %13s %13s %11s  %s" % (
            "scenario", "metric", "edge median", "nginx median", "edge/nginx",
            "bar" if mode == "pinned" else "(no bar in this mode)"), flush=True)
        for sc in scenarios:
            metric, bar = SCENARIOS[sc][3], SCENARIOS[sc][4]
            vals = {"edge": [], "nginx": []}
            detail = {"edge": [], "nginx": []}
            if args.warmup:
                for name in ("edge", "nginx"):
                    run_wrk(servers[name], sc, mode, args, args.warmup)
            for i in range(args.runs):
                order = ("edge", "nginx") if i % 2 == 0 else ("nginx", "edge")
                for name in order:
                    r = run_wrk(servers[name], sc, mode, args, args.duration)
                    vals[name].append(r["value"])
                    detail[name].append(r)
                    errs = {k: v for k, v in r["socket_errors"].items() if v}
                    if errs:
                        log("%s %s run %d: socket errors %s" % (name, sc, i + 1, errs))
            em, nm = statistics.median(vals["edge"]), statistics.median(vals["nginx"])
            ratio = em / nm if nm else float("nan")
            passed = ratio >= bar if mode == "pinned" else None
            verdict = ">= %.1f  %s" % (bar, "PASS" if passed else "FAIL") if passed is not None else ""
            print("%-15s %-6s %13s %13s %10.2fx  %s" % (sc, metric, fmt(em), fmt(nm),
                                                        ratio, verdict))
            for name in ("edge", "nginx"):
                print("    %-6s %s" % (name + ":", "  ".join(fmt(v) for v in vals[name])))
            eff = {n: med([r["per_cpu_s"] for r in detail[n]]) for n in detail}
            share = {n: med([r["server_cpu_share"] for r in detail[n]]) for n in detail}
            wrk_share = {n: med([r["wrk_cpu_share"] for r in detail[n]]) for n in detail}
            eff_ratio = eff["edge"] / eff["nginx"] if eff["edge"] and eff["nginx"] else None
            both = {n: med([r["per_both_cpu_s"] for r in detail[n]]) for n in detail}
            both_ratio = both["edge"] / both["nginx"] if both["edge"] and both["nginx"] else None
            print("    per server CPU-second: edge %s, nginx %s, ratio %s; CPU use "
                  "(server/wrk): edge %s/%s, nginx %s/%s" % (
                      fmt(eff["edge"]), fmt(eff["nginx"]),
                      "%.2fx" % eff_ratio if eff_ratio else "?",
                      pct(share["edge"]), pct(wrk_share["edge"]),
                      pct(share["nginx"]), pct(wrk_share["nginx"])))
            print("    per server+wrk CPU-second: edge %s, nginx %s, ratio %s" % (
                fmt(both["edge"]), fmt(both["nginx"]),
                "%.2fx" % both_ratio if both_ratio else "?"))
            sys.stdout.flush()
            out[sc] = {"metric": metric, "edge": vals["edge"], "nginx": vals["nginx"],
                       "edge_median": em, "nginx_median": nm, "ratio": ratio,
                       "per_cpu_s": eff, "per_cpu_s_ratio": eff_ratio,
                       "server_cpu_share": share, "wrk_cpu_share": wrk_share,
                       "bar": bar if mode == "pinned" else None, "pass": passed,
                       "wrk": detail}
    finally:
        for s in servers.values():
            s.stop()


# ---------------------------------------------------------------- idle scenario

def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, need)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft < need:
        raise BenchError("RLIMIT_NOFILE is %d (hard limit %d); the idle scenario needs %d: "
                         "raise it (ulimit -Hn)" % (soft, hard, need))
    return soft


class IdleConn:
    __slots__ = ("sock", "addr", "state", "buf", "need", "status")


def parse_head(buf):
    """(status, body length, head length) once BUF holds a whole head, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for l in lines[1:]:
        k, _, v = l.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    return status, length, end + 4


def exchange_all(conns, request, timeout, connect_first, max_inflight=500):
    """Send REQUEST on every connection and read one response each.

    With CONNECT_FIRST the sockets are new and connect here, at most
    MAX_INFLIGHT handshakes at a time.  Returns (ok, failures: {reason: count},
    statuses: {status: count}).  Sockets that fail are closed and set to None.
    """
    sel = selectors.DefaultSelector()
    pending = list(range(len(conns)))
    pending.reverse()
    active = 0
    fails, statuses = {}, {}
    ok = 0
    deadline = time.monotonic() + timeout

    def fail(i, reason):
        nonlocal active
        c = conns[i]
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        c.sock = None
        c.state = "failed"
        fails[reason] = fails.get(reason, 0) + 1
        active -= 1

    def start(i):
        c = conns[i]
        c.buf, c.need, c.status = b"", None, None
        if connect_first:
            c.state = "connecting"
            err = c.sock.connect_ex(addr)
            if err not in (0, errno.EINPROGRESS):
                c.state = "failed"
                fails[os.strerror(err)] = fails.get(os.strerror(err), 0) + 1
                c.sock.close()
                c.sock = None
                return False
        else:
            c.state = "sending"
        sel.register(c.sock, selectors.EVENT_WRITE, i)
        return True

    addr = conns[0].addr if conns else None
    while pending or active:
        while pending and active < max_inflight:
            i = pending.pop()
            if conns[i].sock is None:
                continue
            if start(i):
                active += 1
        if time.monotonic() > deadline:
            for key in list(sel.get_map().values()):
                fail(key.data, "timeout (%s)" % conns[key.data].state)
            break
        for key, ev in sel.select(timeout=1.0):
            i = key.data
            c = conns[i]
            try:
                if c.state == "connecting":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        fail(i, "connect: " + os.strerror(err))
                        continue
                    c.state = "sending"
                if c.state == "sending":
                    c.sock.sendall(request)   # small; fits the empty send buffer
                    c.state = "reading"
                    sel.modify(c.sock, selectors.EVENT_READ, i)
                    continue
                data = c.sock.recv(65536)
                if not data:
                    fail(i, "closed by server")
                    continue
                c.buf += data
                if c.need is None:
                    head = parse_head(c.buf)
                    if head:
                        c.status, length, hlen = head
                        c.need = hlen + length
                if c.need is not None and len(c.buf) >= c.need:
                    statuses[c.status] = statuses.get(c.status, 0) + 1
                    sel.unregister(c.sock)
                    c.state = "idle"
                    c.buf = b""
                    active -= 1
                    ok += 1
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                fail(i, "%s: %s" % (c.state, e.strerror or e))
            except (ValueError, IndexError) as e:
                fail(i, "bad response head: %s" % e)
    sel.close()
    return ok, fails, statuses


def rss_report(server):
    master = server.proc.pid
    workers = server.worker_pids()
    # A server without child processes serves from the one it has.
    procs = [("master", master)] + [("worker", w) for w in workers] if workers \
        else [("worker", master)]
    return [{"role": role, "pid": pid, "rss_kb": proc_status(pid, "VmRSS"),
             "hwm_kb": proc_status(pid, "VmHWM"), "fds": fd_count(pid)}
            for role, pid in procs]


def run_idle(server_name, kind, binary, args, work, fx, results):
    n = args.idle_connections
    print("\n== idle: %d keep-alive connections held open against %s (1 worker) ==" % (
        n, server_name), flush=True)
    s = Server(server_name, kind, binary, work, fx, 1, args.server_cpu, False)
    conns = []
    res = {"connections": n}
    try:
        s.start()
        s.verify(["http"])
        before = rss_report(s)
        request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: edge_bench\r\n\r\n"
                   % (PLAYLIST_PATH, s.port)).encode()
        t0 = time.monotonic()
        for _ in range(n):
            c = IdleConn()
            c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.sock.setblocking(False)
            c.addr = ("127.0.0.1", s.port)
            conns.append(c)
        ok, fails, statuses = exchange_all(conns, request, args.idle_timeout, True)
        t_open = time.monotonic() - t0
        time.sleep(1.0)       # let the server settle before reading its memory
        s.check_alive("while holding %d connections" % n)
        held = rss_report(s)
        # A fresh connection must still be served.
        try:
            st, _, body = s.request("http", PLAYLIST_PATH, timeout=10)
            fresh = "%d, %d bytes" % (st, len(body))
            fresh_ok = st == 200 and body == fx["playlist"]
        except (OSError, http.client.HTTPException) as e:
            fresh, fresh_ok = "%s: %s" % (type(e).__name__, e), False
        # And the held connections must still be open: one more request on each.
        ok2, fails2, statuses2 = exchange_all(conns, request, args.idle_timeout, False)
        s.check_alive("after the second round on the held connections")

        bad = {k: v for k, v in statuses.items() if k != 200}
        bad.update({k: v for k, v in statuses2.items() if k != 200})
        worker_kb = max((p["rss_kb"] or 0) for p in held if p["role"] == "worker") \
            if any(p["role"] == "worker" for p in held) else None
        total_kb = sum((p["rss_kb"] or 0) for p in held)
        print("opened %d/%d connections with one GET each in %.1f s%s" % (
            ok, n, t_open, "; failures: %s" % fails if fails else ""))
        print("%-7s %8s %14s %14s %9s %7s" % ("process", "pid", "RSS before", "RSS held",
                                            "peak RSS", "fds"))
        by_pid = {p["pid"]: p for p in before}
        for p in held:
            b = by_pid.get(p["pid"], {})
            print("%-7s %8d %11s MB %11s MB %6s MB %7s" % (
                p["role"], p["pid"], mb(b.get("rss_kb")), mb(p["rss_kb"]),
                mb(p["hwm_kb"]), p["fds"]))
        print("total RSS (master + workers) while holding: %s MB" % mb(total_kb))
        print("fresh connection while holding: %s  %s" % (fresh, "OK" if fresh_ok else "WRONG"))
        print("second request on the held connections: %d/%d answered%s" % (
            ok2, ok, "; failures: %s" % fails2 if fails2 else ""))
        rss_pass = worker_kb is not None and worker_kb < IDLE_RSS_BAR_MB * 1024
        all_pass = rss_pass and ok == n and fresh_ok
        if server_name == "edge":
            print("bar: worker RSS %s MB < %d MB with %d/%d connections held, fresh "
                  "request answered  %s" % (mb(worker_kb), IDLE_RSS_BAR_MB, ok, n,
                                           "PASS" if all_pass else "FAIL"))
        sys.stdout.flush()
        res.update({"opened": ok, "open_seconds": t_open, "failures": fails,
                    "statuses": statuses, "before": before, "held": held,
                    "worker_rss_kb": worker_kb, "total_rss_kb": total_kb,
                    "fresh": fresh, "fresh_ok": fresh_ok, "second_round_ok": ok2,
                    "second_round_failures": fails2, "bar_mb": IDLE_RSS_BAR_MB,
                    "pass": all_pass})
        results.setdefault("idle", {})[server_name] = res
        if bad:
            raise BenchError("%s idle: responses other than 200: %s" % (server_name, bad))
        if not fresh_ok:
            raise BenchError("%s idle: a fresh connection got %s while %d were held" % (
                server_name, fresh, ok))
    finally:
        for c in conns:
            if c.sock is not None:
                c.sock.close()
        s.stop()


def mb(kb):
    return "?" if kb is None else "%.1f" % (kb / 1024)


# ---------------------------------------------------------------- main

def parse_list(text, known, groups, what):
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        for x in groups.get(item, [item]):
            if x not in known:
                raise ValueError("unknown %s %r (known: %s)" % (
                    what, x, ", ".join(list(known) + list(groups))))
            if x not in out:
                out.append(x)
    return out


def main():
    p = argparse.ArgumentParser(
        description="Benchmark reel-edge against Debian's nginx with wrk; prints the "
                    "median ratio edge/nginx per scenario.")
    p.add_argument("--edge", default=DEFAULT_EDGE, help="reel-edge binary (default %(default)s)")
    p.add_argument("--nginx", default=DEFAULT_NGINX, help="nginx binary (default %(default)s)")
    p.add_argument("--scenarios", default="all",
                   help="comma-separated: %s, idle, or the groups http, https, load, all "
                        "(default all)" % ", ".join(LOAD_SCENARIOS))
    p.add_argument("--modes", default="pinned,shared",
                   help="comma-separated: pinned, shared (default both)")
    p.add_argument("--runs", type=int, default=5, help="runs per server and scenario (default 5)")
    p.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    p.add_argument("--warmup", type=int, default=1,
                   help="seconds of unmeasured load per server before each scenario (default 1; 0 = none)")
    p.add_argument("--connections", type=int, default=100, help="wrk -c (default 100)")
    p.add_argument("--idle-connections", type=int, default=10000,
                   help="connections held open in the idle scenario (default 10000)")
    p.add_argument("--idle-timeout", type=int, default=120,
                   help="seconds allowed to open and serve them (default 120)")
    p.add_argument("--idle-nginx", action="store_true",
                   help="also run the idle scenario against nginx, for reference")
    p.add_argument("--server-cpu", type=int, default=0, help="CPU for the servers in pinned mode")
    p.add_argument("--client-cpu", type=int, default=1, help="CPU for wrk in pinned mode")
    p.add_argument("--json", metavar="PATH", help="also write all results as JSON to PATH")
    p.add_argument("--store", action="store_true",
                   help="run reel-edge with its cache store, the files pulled through first")
    p.add_argument("--strict", action="store_true", help="exit 3 when a bar is missed")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary folder (configs, logs) and print its path")
    p.add_argument("--edge-as-nginx", action="store_true",
                   help="self-test of this harness: run a second nginx in place of reel-edge")
    args = p.parse_args()

    try:
        scenarios = parse_list(args.scenarios, ALL_SCENARIOS, SCENARIO_GROUPS, "scenario")
        modes = parse_list(args.modes, MODES, {"all": list(MODES)}, "mode")
    except ValueError as e:
        p.error(str(e))
    if args.runs < 1 or args.duration < 1 or args.warmup < 0 or args.connections < 1:
        p.error("--runs, --duration and --connections must be >= 1, --warmup >= 0")
    if not scenarios:
        p.error("no scenario selected")
    load = [s for s in scenarios if s in SCENARIOS]

    # Preconditions, each with a clear message.
    problems = []
    edge_bin = args.nginx if args.edge_as_nginx else args.edge
    for what, path in (("reel-edge", edge_bin), ("nginx", args.nginx)):
        if what == "nginx" and not (load or args.idle_nginx or args.edge_as_nginx):
            continue
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append("%s binary not found or not executable: %s" % (what, path))
    for tool in ["openssl"] + (["wrk"] if load else []) + (
            ["taskset"] if "pinned" in modes or "idle" in scenarios else []):
        if not shutil.which(tool):
            problems.append("%s not found in PATH" % tool)
    ncpu = len(os.sched_getaffinity(0))
    if "pinned" in modes and load and max(args.server_cpu, args.client_cpu) >= os.cpu_count():
        problems.append("pinned mode needs CPUs %d and %d; this machine has %d" % (
            args.server_cpu, args.client_cpu, os.cpu_count()))
    if problems:
        log("edge_bench: " + "\n  ".join(["cannot run:"] + problems))
        return 1

    # Servers inherit the raised limit: 10,000 connections need as many descriptors.
    need = args.idle_connections + 200 if "idle" in scenarios else 1024
    try:
        nofile = raise_nofile(need)
    except BenchError as e:
        log("edge_bench: %s" % e)
        return 1

    work = tempfile.mkdtemp(prefix="edge-bench-")
    os.chmod(work, 0o755)
    atexit.register(cleanup_servers)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {"meta": {"edge": edge_bin, "nginx": args.nginx, "runs": args.runs,
                        "duration": args.duration, "connections": args.connections,
                        "cpus": ncpu, "kernel": os.uname().release,
                        "nofile": nofile, "edge_as_nginx": args.edge_as_nginx,
                        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}}
    status = 0
    try:
        fx = make_fixtures(work)
        if args.store:
            start_store_upstream(fx)
        results["meta"].update({"playlist_bytes": len(fx["playlist"]),
                                "segment_bytes": len(fx["segment"]), "range": RANGE_HEADER})
        print("edge_bench: reel-edge %s vs nginx %s; playlist %d B, segment %d B, "
              "range %s; %d CPUs; kTLS: %s" % (
                  edge_bin + (" (self-test: nginx)" if args.edge_as_nginx else ""),
                  args.nginx, len(fx["playlist"]), len(fx["segment"]), RANGE_HEADER, ncpu,
                  ktls_available()), flush=True)
        busy = cpu_busy()
        results["meta"]["cpu_busy_before"] = busy
        if busy is not None and busy > 0.10:
            log("edge_bench: warning: the machine was %.0f%% busy before the benchmark "
                "started; other load makes the numbers noisy" % (busy * 100))
        for mode in modes if load else []:
            run_mode(mode, load, args, work, fx, results)
        if "idle" in scenarios:
            run_idle("edge", "nginx" if args.edge_as_nginx else "edge", edge_bin,
                     args, work, fx, results)
            if args.idle_nginx:
                run_idle("nginx", "nginx", args.nginx, args, work, fx, results)
    except BenchError as e:
        log("\nedge_bench: ERROR: %s" % e)
        status = 1
    except KeyboardInterrupt:
        log("\nedge_bench: interrupted")
        status = 130
    finally:
        cleanup_servers()
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2, default=str)
        if args.keep:
            log("edge_bench: kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    missed = [("%s/%s" % (m, sc)) for m, d in results.get("modes", {}).items()
              for sc, r in d.items() if r.get("pass") is False]
    if results.get("idle", {}).get("edge", {}).get("pass") is False:
        missed.append("idle")
    if status == 0:
        print("\nbars missed: %s" % (", ".join(missed) if missed else "none"))
        if missed and args.strict:
            status = 3
    return status


def ktls_available():
    try:
        with open("/proc/sys/net/ipv4/tcp_available_ulp") as f:
            return "yes (tls ULP)" if "tls" in f.read().split() else "no (no tls ULP)"
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
