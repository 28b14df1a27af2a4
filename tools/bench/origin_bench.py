#!/usr/bin/env python3
"""Throughput of reel-origin's control plane: playback authorizations and logins.

One reel-origin on 127.0.0.1 (ephemeral ports, a temporary data folder) gets a
plan, a title registered from a small synthetic manifest.json, and --users
subscribed users with a session each.  Then, with wrk:

  play     POST /api/v1/play {"title": ...}, 201 with a signed stream token and
           a lease; the Authorization header rotates over every user.  Runs
           alternate with
  healthz  GET /healthz on the same port: the HTTP core alone, the ceiling
           the authorization logic is measured against.
           Both with the origin pinned to CPU 0 and wrk -t1 on CPU 1.
  login    POST /api/v1/login with correct credentials (argon2id), wrk -c8;
           the origin may use every CPU here.  503 busy answers (full hash
           pool) are counted apart; any other non-200 is an error.

  play with edges  the same POST /api/v1/play at a second origin that holds
           the same users (a copy of the first one's data folder) and
           --edges registered edges (1,000) with --prefixes client prefixes
           among them (100,000, half IPv4, half IPv6, of every length), each
           up (one signed heartbeat, down_after 1 h) and holding the title, so
           every play is steered: a longest-prefix lookup over the whole
           table (wrk's 127.0.0.1 matches only a /8 that two edges share, so
           every longer length is probed first), those two least loaded first,
           then the least loaded two of every edge holding the title (a pass
           over all of them, the title index's holders) as alternates.  Runs alternate with the two above, the same pinning; the bar
           (>= 5,000/s) is on this one, printed next to the play without edges
           (ratio).

Then build/tools/bench/argon2_bench (one argon2id hash at the origin's
parameters: the login ceiling is CPUs / hash time) and build/tools/bench/
token_bench (Ed25519 and the edge's cached token check), whose lines are
copied into the summary.

Leases: plans allow at most 100 concurrent streams, so leases cannot simply
pile up for the whole run (at 5,000/s, 200 users x 100 streams last 4 s).
The origin runs with lease_timeout = 1s instead: a lease ends in the second
after it started, so each user holds at most the authorizations of one
second; --users 300 x 100 streams then allow ~30,000/s without a 403.  That
is the steady state of a real origin (streams end as fast as they start).

  python3 tools/bench/origin_bench.py [--runs 5] [--seconds 5] [--edges 1000]
      [--prefixes 100000] [--json]

Exit status: 0 when the origin started and answered as expected (a missed bar
is printed as FAIL); 1 when it failed to start, died, or answered otherwise
(any non-2xx during the play or healthz runs); 2 on bad usage; 3 with --strict
when a bar was missed.  Standard library only, plus wrk.
"""

import argparse
import atexit
import http.client
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (BenchError, cpu_seconds, fmt, free_port, log, log_tail, med,
                      parse_wrk, pct, read_wrk, run_measured, spawn, stop_all,
                      stop_group, taskset, wait_ready, wrk_command)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from origintest import signed  # noqa: E402  (the edges' request signer, hmac-sha256)
DEFAULT_ORIGIN = os.path.join(REPO, "build", "origin", "reel-origin")
BENCH_DIR = os.path.join(REPO, "build", "tools", "bench")

PLAY_BAR = 5000                    # authorizations/s (issue bar)
PASSWORD = "correct horse battery staple"
TITLE_ID = "bench-title"
PLAN_NAME = "bench"
PLAN = {"title": "Bench", "max_streams": 100, "max_height": 1080, "downloads": False,
        "max_devices": 10, "max_downloads": 1, "downloads_per_title_year": 1}
ARGON2 = {"memory_kib": 19 * 1024, "time": 2, "lanes": 1}   # conf [auth] defaults

# What origin/catalog/catalog.c's catalog_from_manifest accepts; no real package behind it.
MANIFEST = {
    "manifest_version": 1,
    "title": "Bench Title",
    "duration": 596.5,
    "segment_target": 2,
    "container": "fmp4",
    "video": [
        {"path": "360p/index.m3u8", "width": 640, "height": 360, "bandwidth": 800000,
         "codecs": "avc1.64001e", "frame_rate": 30},
        {"path": "720p/index.m3u8", "width": 1280, "height": 720, "bandwidth": 2800000,
         "codecs": "avc1.64001f", "frame_rate": 30},
        {"path": "1080p/index.m3u8", "width": 1920, "height": 1080, "bandwidth": 5000000,
         "codecs": "avc1.640028", "frame_rate": 30},
    ],
    "audio": [{"language": "en", "name": "English", "channels": 2}],
    "audio_languages": ["en"],
    "subtitle_languages": [],
    "encryption": None,
}


# ---------------------------------------------------------------- the origin

LIVE = []


class Origin:
    """One reel-origin process with a generated config and data folder under WORK."""

    def __init__(self, binary, work, lease_timeout, hash_threads, hash_queue, data=None,
                 edges=False):
        self.binary, self.dir = binary, work
        self.data = data or os.path.join(work, "data")
        self.edges = edges              # an edge API listener (self.edge_port)
        self.conf = os.path.join(work, "origin.conf")
        self.log_path = os.path.join(work, "origin.log")
        self.out_path = os.path.join(work, "stdout-stderr.log")
        self.lease_timeout = lease_timeout
        self.hash_threads, self.hash_queue = hash_threads, hash_queue
        self.proc = None
        self.admin_token = None

    def write_config(self):
        out = subprocess.run([self.binary, "--admin-token", "bench"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30)
        lines = out.stdout.decode(errors="replace").splitlines()
        if out.returncode != 0 or not lines or ": " not in lines[0]:
            raise BenchError("%s --admin-token failed (exit %d): %s" % (
                self.binary, out.returncode, out.stderr.decode(errors="replace").strip()))
        self.admin_token = lines[0].split(": ", 1)[1]
        tokens = os.path.join(self.dir, "admins")
        with open(tokens, "w") as f:
            f.write(lines[-1] + "\n")
        auth = ["[auth]"]
        if self.hash_threads is not None:
            auth.append("hash_threads = %d" % self.hash_threads)
        if self.hash_queue is not None:
            auth.append("hash_queue = %d" % self.hash_queue)
        text = "\n".join([
            "[server]", "listen = 127.0.0.1:%d" % self.port, "max_connections = 4096",
            "shutdown_timeout = 2s", "",
            "[admin]", "listen = 127.0.0.1:%d" % self.admin_port, "tokens = %s" % tokens, "",
            "[store]", "data_dir = %s" % self.data, "map_size = 512m", "",
            "\n".join(auth), "",
            "[playback]", "edge_url = http://127.0.0.1:9", "lease_timeout = %s" % self.lease_timeout,
            "",
            "[log]", "error_log = %s" % self.log_path, "level = warn", "access_log = off", ""]
            + (["[edges]", "listen = 127.0.0.1:%d" % self.edge_port, "down_after = 1h",
                "interval = 30m", ""] if self.edges else []))
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self, timeout=15):
        self.port, self.admin_port, self.edge_port = free_port(), free_port(), free_port()
        self.write_config()
        self.proc = spawn([self.binary, "-c", self.conf], self.out_path)
        LIVE.append(self)
        last = wait_ready(lambda: self.call("GET", "/healthz", timeout=1)[0] == 200,
                          self.check_alive, timeout)
        if last:
            raise BenchError("reel-origin did not answer within %d s (%s)\n%s" % (
                timeout, last, self.log_tail()))

    def check_alive(self, when):
        if self.proc is None or self.proc.poll() is not None:
            code = self.proc.returncode if self.proc else None
            raise BenchError("reel-origin exited (status %s) %s\n%s" % (code, when,
                                                                      self.log_tail()))

    def stop(self):
        if self.proc is None:
            return
        stop_group(self.proc)
        self.proc = None
        if self in LIVE:
            LIVE.remove(self)

    def log_tail(self, n=15):
        return log_tail((self.out_path, self.log_path), n)

    # -- processes
    def tids(self):
        try:
            return [int(t) for t in os.listdir("/proc/%d/task" % self.proc.pid)]
        except OSError:
            return []

    def pin(self, cpus):
        """Set the CPU affinity of every thread of the origin (taskset -a -p)."""
        for tid in self.tids():
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass

    def cpu_seconds(self):
        """User + system CPU seconds of the whole process (all threads) so far."""
        return cpu_seconds([self.proc.pid])

    # -- requests
    def call(self, method, path, body=None, token=None, port=None, timeout=30, source=None,
             headers=None):
        """One request (from the loopback address SOURCE if given); returns (status, parsed
        JSON or None, raw body)."""
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return r.status, parsed, raw

    def admin(self, method, path, body=None):
        return self.call(method, path, body, token=self.admin_token, port=self.admin_port)


def cleanup():
    stop_all(LIVE)


# ---------------------------------------------------------------- fixtures

def expect(what, got, want, o):
    status, _, raw = got
    if status not in want:
        raise BenchError("%s: status %d, want %s: %s\n%s" % (
            what, status, "/".join(map(str, want)), raw[:300].decode(errors="replace"),
            o.log_tail()))


def setup_catalog(o):
    expect("PUT /admin/v1/plans/%s" % PLAN_NAME, o.admin("PUT", "/admin/v1/plans/" + PLAN_NAME,
                                                          PLAN), (200, 201), o)
    expect("PUT /admin/v1/titles/%s (synthetic manifest.json)" % TITLE_ID,
           o.admin("PUT", "/admin/v1/titles/" + TITLE_ID, json.dumps(MANIFEST).encode()),
           (200, 201), o)


def with_busy_retry(fn, what, o, tries=200):
    """FN() until it is not 503 busy (the hash pool is full)."""
    for _ in range(tries):
        r = fn()
        if r[0] != 503:
            return r
        time.sleep(0.05)
    raise BenchError("%s: still 503 busy after %d tries\n%s" % (what, tries, o.log_tail()))


def make_user(o, i):
    email = "bench%05d@example.com" % i
    cred = {"email": email, "password": PASSWORD}
    # signups are throttled per address: each user signs up from a loopback address of its own
    source = "127.1.%d.%d" % (i // 250, i % 250 + 1)
    expect("signup " + email, with_busy_retry(
        lambda: o.call("POST", "/api/v1/signup", cred, source=source), "signup", o), (201,), o)
    r = with_busy_retry(lambda: o.call("POST", "/api/v1/login", cred), "login", o)
    expect("login " + email, r, (200,), o)
    token = r[1]["token"]
    expect("subscribe " + email, o.call("PUT", "/api/v1/subscription", {"plan": PLAN_NAME},
                                        token=token), (200, 201), o)
    return email, token


def in_parallel(n, fn, what, concurrency):
    """[FN(0), ..., FN(N-1)] from CONCURRENCY threads; the first failure raised as a
    BenchError (WHAT names the step)."""
    out = [None] * n
    errors = []
    lock = threading.Lock()
    nxt = [0]

    def worker():
        while True:
            with lock:
                if errors or nxt[0] >= n:
                    return
                i = nxt[0]
                nxt[0] += 1
            try:
                out[i] = fn(i)
            except (BenchError, OSError, http.client.HTTPException, KeyError, TypeError) as e:
                with lock:
                    errors.append(e)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        e = errors[0]
        raise e if isinstance(e, BenchError) else BenchError("%s: %s: %s" % (
            what, type(e).__name__, e))
    return out


def setup_users(o, n, concurrency=8):
    """N users subscribed to the plan, each with a session: [(email, token)]."""
    return in_parallel(n, lambda i: make_user(o, i), "user setup", concurrency)


def edge_prefixes(n_edges, n_prefixes, seed=11):
    """The prefixes of each of N_EDGES edges, N_PREFIXES in all: half IPv4 (lengths 8..32),
    half IPv6 (16..128), random and distinct, none containing 127.0.0.1 but 127.0.0.0/8,
    which the first two edges hold (so a play from wrk's address probes every longer
    length, takes those two, then scans every edge for two alternates)."""
    rnd = random.Random(seed)
    seen = {"127.0.0.0/8"}
    per = [[] for _ in range(n_edges)]
    for i in range(min(2, n_edges)):
        per[i].append("127.0.0.0/8")
    total = sum(len(p) for p in per)
    home = ipaddress.ip_address("127.0.0.1")
    while total < n_prefixes:
        if total % 2:
            net = ipaddress.ip_network((rnd.getrandbits(32), rnd.randint(8, 32)), strict=False)
            if home in net:
                continue
        else:
            net = ipaddress.ip_network(((0x2001 << 112) | rnd.getrandbits(112),
                                        rnd.randint(16, 128)), strict=False)
        text = str(net)
        if text in seen:
            continue
        seen.add(text)
        per[total % n_edges].append(text)
        total += 1
    return per


def setup_edges(o, n_edges, n_prefixes, concurrency=4):
    """N_EDGES edges with N_PREFIXES prefixes at O, each up with one heartbeat naming the
    title; returns how many prefixes were registered."""
    per = edge_prefixes(n_edges, n_prefixes)

    def one(i):
        r = o.admin("POST", "/admin/v1/edges", {
            "name": "edge-%04d" % i, "url": "http://edge-%04d.example" % i,
            "cluster": "c%d" % (i % 20), "capacity": 10000, "prefixes": per[i]})
        expect("POST /admin/v1/edges (edge %d, %d prefixes)" % (i, len(per[i])), r, (201,), o)
        body = json.dumps({"health": "ok", "connections": i, "bytes_per_s": 1000 * i,
                           "disk_used": 1, "disk_free": 1, "titles": [TITLE_ID],
                           "leases": []}).encode()
        h = signed(r[1]["id"], r[1]["secret"], "POST", "/edge/v1/heartbeat", body)
        expect("heartbeat of edge %d" % i, o.call("POST", "/edge/v1/heartbeat", body,
                                                    port=o.edge_port, headers=h), (200,), o)

    in_parallel(n_edges, one, "edge setup", concurrency)
    return sum(len(p) for p in per)


def check_play(o, token, steered=False):
    st, js, raw = o.call("POST", "/api/v1/play", {"title": TITLE_ID}, token=token)
    if st != 201 or not isinstance(js, dict) or not str(js.get("token", "")).startswith(
            "v4.public."):
        raise BenchError("POST /api/v1/play: %d %s (want 201 with a v4.public token)\n%s" % (
            st, raw[:300].decode(errors="replace"), o.log_tail()))
    why = (js.get("steering") or {}).get("why")
    alt = [a.get("why") for a in js.get("alternates", [])]
    if steered and (why != "prefix" or alt != ["prefix", "title", "title"]):
        raise BenchError("POST /api/v1/play at the origin with edges: steering %r, "
                         "alternates %r (want an edge of the /8 first, then the other, "
                         "then two by title)\n%s" % (
                             js.get("steering"), alt, o.log_tail()))
    return js


def lua_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_play_script(path, tokens):
    """wrk script: POST /api/v1/play, Authorization rotating over TOKENS.

    The requests are formatted once in init() so wrk spends its time on I/O,
    not on Lua; the status check is wrk's own non-2xx count."""
    with open(path, "w") as f:
        f.write("local tokens = {\n%s\n}\n" % ",\n".join(lua_string(t) for t in tokens))
        f.write("""local body = %s
local reqs, i = {}, 0
function init(args)
  for k, t in ipairs(tokens) do
    reqs[k] = wrk.format("POST", "/api/v1/play",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t}, body)
  end
  i = math.random(#reqs) - 1
end
function request()
  i = i %% #reqs + 1
  return reqs[i]
end
""" % lua_string(json.dumps({"title": TITLE_ID})))


def write_login_script(path, users):
    """wrk script: POST /api/v1/login rotating over USERS; counts statuses."""
    with open(path, "w") as f:
        f.write("local creds = {\n%s\n}\n" % ",\n".join(
            lua_string(json.dumps({"email": e, "password": PASSWORD})) for e, _ in users))
        f.write("""local reqs, i = {}, 0
n200, n503, nother, other = 0, 0, 0, ""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  for k, c in ipairs(creds) do
    reqs[k] = wrk.format("POST", "/api/v1/login", {["Content-Type"] = "application/json"}, c)
  end
  i = math.random(#reqs) - 1
end
function request()
  i = i % #reqs + 1
  return reqs[i]
end
function response(status, headers, body)
  if status == 200 then
    n200 = n200 + 1
  elseif status == 503 then
    n503 = n503 + 1
  else
    nother = nother + 1
    if #other < 300 then other = other .. status .. " " .. body .. "; " end
  end
end
function done(summary, latency, requests)
  local a, b, c, o = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    a = a + t:get("n200")
    b = b + t:get("n503")
    c = c + t:get("nother")
    o = o .. t:get("other")
  end
  io.write(string.format("STATUS 200=%d 503=%d other=%d\\n", a, b, c))
  if c > 0 then io.write("OTHER " .. o .. "\\n") end
end
""")


# ---------------------------------------------------------------- wrk

def parse_report(text):
    """wrk's report (see benchlib.parse_wrk) with the average latency and the
    STATUS line the login script prints."""
    res = parse_wrk(text)
    st = re.search(r"^STATUS 200=(\d+) 503=(\d+) other=(\d+)", text, re.M)
    if st:
        res["statuses"] = {"200": int(st.group(1)), "503": int(st.group(2)),
                           "other": int(st.group(3))}
    lat = re.search(r"^\s+Latency\s+(\S+)", text, re.M)
    if lat:
        res["latency_avg"] = lat.group(1)
    return res


def run_wrk(o, name, url, args, seconds, connections, script=None, client_cpu=None):
    cmd = wrk_command(url, 1, connections, seconds, ["-s", script] if script else [],
                      client_cpu)
    try:
        m = run_measured(cmd, seconds + 60, o.cpu_seconds)
    except subprocess.TimeoutExpired:
        o.check_alive("during wrk %s" % name)
        raise BenchError("%s: wrk did not finish within %d s" % (name, seconds + 60))
    o.check_alive("during wrk %s" % name)
    res = read_wrk(m, name, parse_report)
    res.update({"wall": m.wall, "origin_cpu_s": m.server_cpu,
                "origin_cpu_share": m.server_cpu / m.wall, "wrk_cpu_share": m.client_cpu / m.wall,
                "text": m.text})
    if m.other_cpu is not None:
        res["other_cpu_share"] = m.other_cpu / m.wall
    done = res.get("requests") or res["rps"] * seconds
    res["origin_cpu_ms_per_1000"] = m.server_cpu * 1e3 * 1000 / done if done else None
    return res


def fail_non2xx(o, name, res, token=None):
    """Raise with what the origin answers now, when wrk saw non-2xx answers."""
    hint = ""
    if token is not None:
        st, _, raw = o.call("POST", "/api/v1/play", {"title": TITLE_ID}, token=token)
        hint = "\n  a play request now: %d %s" % (st, raw[:300].decode(errors="replace"))
        if b"stream_limit" in raw:
            hint += "\n  (users x max_streams is too small for the rate: raise --users)"
    raise BenchError("%s: %d of %s responses were not 2xx%s\n%s\n%s" % (
        name, res["non2xx"], res.get("requests", "?"), hint, res["text"].rstrip(),
        o.log_tail()))


# ---------------------------------------------------------------- phases

LABELS = {"play": "POST /api/v1/play (201)",
          "play-edges": "POST /api/v1/play, with edges",
          "healthz": "GET /healthz (ceiling)"}


def phase_play(o, oe, args, work, users, pin, results):
    """Play and healthz at O, and play at OE (the origin with edges, or None), alternating."""
    script = os.path.join(work, "play.lua")
    write_play_script(script, [t for _, t in users])
    scen = {"play": (o, "/api/v1/play", script), "healthz": (o, "/healthz", None)}
    if oe:
        scen["play-edges"] = (oe, "/api/v1/play", script)
    names = [n for n in ("play", "play-edges", "healthz") if n in scen]
    client_cpu = args.client_cpu if pin else None
    if pin:
        for x in (o, oe) if oe else (o,):
            x.pin({args.server_cpu})
    desc = ("origin%s on CPU %d, wrk -t1 -c%d on CPU %d" % (
        "s" if oe else "", args.server_cpu, args.connections, args.client_cpu)
            if pin else "nothing pinned (fewer than 2 CPUs or no taskset), wrk -t1 -c%d"
            % args.connections)
    print("\n== authorizations: %s; %d runs x %d s (+%d s warm-up) ==" % (
        desc, args.runs, args.seconds, args.warmup), flush=True)

    def run(name, seconds, what):
        x, path, scr = scen[name]
        r = run_wrk(x, name, "http://127.0.0.1:%d%s" % (x.port, path), args, seconds,
                    args.connections, scr, client_cpu)
        if r["non2xx"]:
            fail_non2xx(x, name + what, r, users[0][1] if scr else None)
        return r

    runs = {n: [] for n in names}
    for name in names if args.warmup else ():
        run(name, args.warmup, " warm-up")
    for i in range(args.runs):
        for name in names[i % len(names):] + names[:i % len(names)]:
            r = run(name, args.seconds, "")
            errs = {k: v for k, v in r["socket_errors"].items() if v}
            if errs:
                log("%s run %d: socket errors %s" % (name, i + 1, errs))
            log("%s run %d: %s req/s, origin CPU %.0f%%, wrk %.0f%%, other load %.0f%%" % (
                name, i + 1, fmt(r["rps"]), 100 * r["origin_cpu_share"],
                100 * r["wrk_cpu_share"], 100 * r.get("other_cpu_share", 0)))
            r.pop("text")
            runs[name].append(r)
    check_play(o, users[-1][1])           # still answering correctly afterwards
    if oe:
        check_play(oe, users[-1][1], steered=True)
    out = {}
    for name in names:
        rr = runs[name]
        out[name] = {
            "rps": [r["rps"] for r in rr], "median_rps": med([r["rps"] for r in rr]),
            "origin_cpu_ms_per_1000": med([r["origin_cpu_ms_per_1000"] for r in rr]),
            "origin_cpu_share": med([r["origin_cpu_share"] for r in rr]),
            "wrk_cpu_share": med([r["wrk_cpu_share"] for r in rr]),
            "other_cpu_share": med([r.get("other_cpu_share") for r in rr]),
            "runs": rr}
    p, h = out["play"], out["healthz"]
    out["ratio"] = p["median_rps"] / h["median_rps"] if h["median_rps"] else None
    out["per_cpu_s"] = {n: 1e6 / out[n]["origin_cpu_ms_per_1000"]
                        if out[n]["origin_cpu_ms_per_1000"] else None for n in names}
    barred = out["play-edges"] if oe else p
    if oe:
        out["edges"] = {"edges": args.edges, "prefixes": results["meta"]["prefixes"]}
        out["edges_ratio"] = barred["median_rps"] / p["median_rps"] if p["median_rps"] else None
    out["bar"] = PLAY_BAR
    out["pass"] = barred["median_rps"] >= PLAY_BAR
    out["pinned"] = pin
    results["authorizations"] = out

    print("%-34s %12s  %s" % ("scenario", "median req/s", "runs"))
    for name in names:
        print("%-34s %12s  %s" % (LABELS[name], fmt(out[name]["median_rps"]),
                                  "  ".join(fmt(v) for v in out[name]["rps"])))
    print("play / healthz: %.2f (the authorization logic costs %.0f%% of the ceiling)" % (
        out["ratio"], 100 * (1 - out["ratio"])))
    if oe:
        print("play with %s edges and %s prefixes / play without: %.2f" % (
            fmt(args.edges), fmt(results["meta"]["prefixes"]), out["edges_ratio"]))
    for name in names:
        d = out[name]
        print("  %-11s origin CPU %s ms per 1,000 (%s per CPU-second); CPU use origin %s, "
              "wrk %s, other jobs %s" % (
                  name + ":", fmt(d["origin_cpu_ms_per_1000"], 1), fmt(out["per_cpu_s"][name]),
                  pct(d["origin_cpu_share"]), pct(d["wrk_cpu_share"]),
                  pct(d["other_cpu_share"])))
    print("bar: authorizations/s%s %s >= %s  %s" % (
        " with edges" if oe else "", fmt(barred["median_rps"]), fmt(PLAY_BAR),
        "PASS" if out["pass"] else "FAIL"))
    sys.stdout.flush()


def phase_login(o, args, work, users, pin, results):
    script = os.path.join(work, "login.lua")
    write_login_script(script, users)
    url = "http://127.0.0.1:%d/api/v1/login" % o.port
    o.pin(set(range(os.cpu_count())))       # the hash pool may use every CPU
    threads = len(o.tids())
    print("\n== logins: POST /api/v1/login, argon2id m=%d KiB t=%d p=%d; wrk -t1 -c%d; origin "
          "on every CPU (%d thread%s); %d runs x %d s ==" % (
              ARGON2["memory_kib"], ARGON2["time"], ARGON2["lanes"], args.login_connections,
              threads, "" if threads == 1 else "s", args.login_runs, args.seconds), flush=True)
    runs = []
    for i in range(args.login_runs):
        r = run_wrk(o, "login", url, args, args.seconds, args.login_connections, script)
        st = r.get("statuses")
        if st is None:
            raise BenchError("login: the wrk script printed no status counts:\n" + r["text"])
        if st["other"]:
            m = re.search(r"^OTHER (.*)$", r["text"], re.M)
            raise BenchError("login: %d answers were neither 200 nor 503: %s\n%s" % (
                st["other"], m.group(1) if m else "?", o.log_tail()))
        r["ok_per_s"] = st["200"] / r["wall"]
        r["busy_per_s"] = st["503"] / r["wall"]
        log("login run %d: %s logins/s (200), %d answers 503 busy, latency avg %s, origin CPU "
            "%.0f%%, other load %.0f%%" % (i + 1, fmt(r["ok_per_s"], 1), st["503"],
                                            r.get("latency_avg", "?"),
                                            100 * r["origin_cpu_share"],
                                            100 * r.get("other_cpu_share", 0)))
        r.pop("text")
        runs.append(r)
    out = {"ok_per_s": [r["ok_per_s"] for r in runs],
           "median_ok_per_s": med([r["ok_per_s"] for r in runs]),
           "busy": [r["statuses"]["503"] for r in runs],
           "busy_per_s_median": med([r["busy_per_s"] for r in runs]),
           "origin_cpu_share": med([r["origin_cpu_share"] for r in runs]),
           "other_cpu_share": med([r.get("other_cpu_share") for r in runs]),
           "connections": args.login_connections, "origin_threads": threads, "runs": runs}
    results["logins"] = out


def run_tool(cmd, what):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    except FileNotFoundError:
        raise BenchError("%s not found: %s (build it: ninja -C build)" % (what, cmd[0]))
    if r.returncode != 0:
        raise BenchError("%s exited %d: %s" % (what, r.returncode,
                                              r.stderr.decode(errors="replace").strip()))
    return r.stdout.decode(errors="replace")


def phase_argon2(args, pin, results):
    cmd = [args.argon2_bench, "7", str(ARGON2["memory_kib"]), str(ARGON2["time"]),
           str(ARGON2["lanes"])]
    text = run_tool(taskset(cmd, args.server_cpu if pin else None), "argon2_bench")
    m = re.search(r"^argon2id_hash_raw.*?\s([\d.]+) ms\s+([\d.]+) ms\s+([\d.]+) ms", text, re.M)
    if not m:
        raise BenchError("cannot read argon2_bench's output:\n" + text)
    hash_ms = float(m.group(1))
    cpus = os.cpu_count()
    lg = results["logins"]
    lg.update({"hash_ms": hash_ms, "hash_ms_min": float(m.group(2)),
               "hash_ms_max": float(m.group(3)), "cpus": cpus,
               "ceiling_per_s": cpus * 1e3 / hash_ms, "one_core_per_s": 1e3 / hash_ms,
               "argon2_bench": text.strip().splitlines()})
    print("%-34s %12s  %s" % ("", "median", "runs"))
    print("%-34s %12s  %s" % ("logins/s (200)", fmt(lg["median_ok_per_s"], 1),
                              "  ".join(fmt(v, 1) for v in lg["ok_per_s"])))
    print("%-34s %12s  %s" % ("503 busy answers per run", fmt(med(lg["busy"])),
                              "  ".join(str(v) for v in lg["busy"])))
    print("one argon2id hash (argon2_bench)    %9.1f ms  (min %.1f, max %.1f, 7 runs)" % (
        hash_ms, lg["hash_ms_min"], lg["hash_ms_max"]))
    # A single-threaded origin hashes on its event loop: one core, whatever the CPUs.
    usable = min(cpus, max(1, lg["origin_threads"] - 1))
    lg["usable_cpus"] = usable
    lg["usable_ceiling_per_s"] = usable * 1e3 / hash_ms
    print("implied ceiling: %d CPUs / %.1f ms = %s logins/s (one core: %s/s)" % (
        cpus, hash_ms, fmt(lg["ceiling_per_s"], 1), fmt(lg["one_core_per_s"], 1)))
    print("this origin runs %d thread%s, so it can hash on %d CPU%s: ceiling %s logins/s; "
          "measured is %.0f%% of it" % (
              lg["origin_threads"], "" if lg["origin_threads"] == 1 else "s", usable,
              "" if usable == 1 else "s", fmt(lg["usable_ceiling_per_s"], 1),
              100 * lg["median_ok_per_s"] / lg["usable_ceiling_per_s"]))
    print("origin CPU use during logins: %s of one CPU (%d thread%s); other jobs %s" % (
        pct(lg["origin_cpu_share"]), lg["origin_threads"],
        "" if lg["origin_threads"] == 1 else "s", pct(lg["other_cpu_share"])))
    sys.stdout.flush()


def phase_tokens(args, pin, results):
    print("\n== stream tokens: %s (Ed25519, the edge's cached check) ==" % args.token_bench,
          flush=True)
    text = run_tool(taskset([args.token_bench], args.server_cpu if pin else None),
                    "token_bench")
    lines = text.strip().splitlines()
    print("\n".join(lines), flush=True)
    rows = {}
    for line in lines[2:]:
        m = re.match(r"^(.*?)\s+([\d.]+) us\s+([\d.]+) us\s+([\d.]+) us\s+(\d+)$", line)
        if m:
            rows[m.group(1)] = {"median_us": float(m.group(2)), "min_us": float(m.group(3)),
                                "max_us": float(m.group(4)), "ops_per_s": int(m.group(5))}
    results["token_bench"] = {"lines": lines, "rows": rows}


# ---------------------------------------------------------------- main

def start_with_edges(o, args, work, results):
    """A second origin on a copy of O's data (its users, sessions and keys) with the edges."""
    o.stop()
    ework = os.path.join(work, "edges")
    os.makedirs(ework)
    shutil.copytree(o.data, os.path.join(ework, "data"))
    o.start()
    oe = Origin(args.origin, ework, args.lease_timeout, args.hash_threads, args.hash_queue,
                edges=True)
    oe.start()
    t0 = time.monotonic()
    results["meta"]["prefixes"] = setup_edges(oe, args.edges, args.prefixes)
    log("origin_bench: %d edges with %s prefixes registered and up in %.1f s (pid %d)" % (
        args.edges, fmt(results["meta"]["prefixes"]), time.monotonic() - t0, oe.proc.pid))
    return oe


def main():
    p = argparse.ArgumentParser(
        description="Benchmark reel-origin: playback authorizations/s (POST /api/v1/play) "
                    "against GET /healthz, logins/s against the argon2id hash time, and "
                    "token_bench's Ed25519 figures.")
    p.add_argument("--origin", default=DEFAULT_ORIGIN, help="reel-origin binary (default "
                   "%(default)s)")
    p.add_argument("--runs", type=int, default=5, help="runs of play and healthz (default 5)")
    p.add_argument("--seconds", type=int, default=5, help="seconds per run (default 5)")
    p.add_argument("--login-runs", type=int, default=3, help="runs of login (default 3)")
    p.add_argument("--warmup", type=int, default=1,
                   help="seconds of unmeasured play and healthz load first (default 1)")
    p.add_argument("--connections", type=int, default=64,
                   help="wrk -c for play and healthz (default 64)")
    p.add_argument("--login-connections", type=int, default=8,
                   help="wrk -c for login (default 8)")
    p.add_argument("--users", type=int, default=300,
                   help="subscribed users the play requests rotate over (default 300)")
    p.add_argument("--edges", type=int, default=1000,
                   help="edges registered at the second origin (default 1000; 0: no second "
                   "origin)")
    p.add_argument("--prefixes", type=int, default=100000,
                   help="client prefixes among those edges (default 100000)")
    p.add_argument("--lease-timeout", default="1s",
                   help="[playback] lease_timeout (default 1s; see the top of this file)")
    p.add_argument("--hash-threads", type=int, help="[auth] hash_threads (default: the "
                   "origin's own, one per CPU)")
    p.add_argument("--hash-queue", type=int, help="[auth] hash_queue (default: the origin's)")
    p.add_argument("--server-cpu", type=int, default=0, help="CPU for the origin (default 0)")
    p.add_argument("--client-cpu", type=int, default=1, help="CPU for wrk (default 1)")
    p.add_argument("--no-pin", action="store_true", help="pin nothing")
    p.add_argument("--argon2-bench", default=os.path.join(BENCH_DIR, "argon2_bench"))
    p.add_argument("--token-bench", default=os.path.join(BENCH_DIR, "token_bench"))
    p.add_argument("--json", action="store_true", help="also print a JSON summary to stdout")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--strict", action="store_true", help="exit 3 when a bar is missed")
    args = p.parse_args()
    if min(args.runs, args.seconds, args.login_runs, args.connections, args.login_connections,
           args.users) < 1 or args.warmup < 0 or args.edges < 0 or \
            (args.edges and not min(2, args.edges) <= args.prefixes <= 65536 * args.edges):
        p.error("--runs, --seconds, --login-runs, --connections, --login-connections and "
                "--users must be >= 1, --warmup and --edges >= 0, --prefixes at least 2 "
                "and at most 65,536 per edge")

    problems = []
    for what, path in (("reel-origin", args.origin), ("argon2_bench", args.argon2_bench),
                       ("token_bench", args.token_bench)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append("%s not found or not executable: %s (ninja -C build)" % (what, path))
    if not shutil.which("wrk"):
        problems.append("wrk not found in PATH (tools/install-deps)")
    if problems:
        log("origin_bench: " + "\n  ".join(["cannot run:"] + problems))
        return 1
    pin = (not args.no_pin and shutil.which("taskset") is not None
           and max(args.server_cpu, args.client_cpu) < os.cpu_count()
           and args.server_cpu != args.client_cpu)

    work = tempfile.mkdtemp(prefix="origin-bench-")
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {"meta": {"origin": args.origin, "runs": args.runs, "seconds": args.seconds,
                        "login_runs": args.login_runs, "users": args.users,
                        "connections": args.connections,
                        "login_connections": args.login_connections,
                        "lease_timeout": args.lease_timeout, "cpus": os.cpu_count(),
                        "pinned": pin, "argon2": ARGON2, "edges": args.edges,
                        "prefixes": 0,
                        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}}
    status = 0
    o = Origin(args.origin, work, args.lease_timeout, args.hash_threads, args.hash_queue)
    oe = None
    try:
        print("origin_bench: %s; %d CPUs; %d users on plan %r (max_streams %d), lease_timeout "
              "%s; title %r from a synthetic manifest" % (
                  args.origin, os.cpu_count(), args.users, PLAN_NAME, PLAN["max_streams"],
                  args.lease_timeout, TITLE_ID), flush=True)
        o.start()
        setup_catalog(o)
        t0 = time.monotonic()
        log("origin_bench: origin up (pid %d, port %d); creating %d users (signup + login: "
            "two argon2id hashes each)..." % (o.proc.pid, o.port, args.users))
        users = setup_users(o, args.users)
        log("origin_bench: %d users in %.1f s" % (len(users), time.monotonic() - t0))
        check_play(o, users[0][1])
        if args.edges:
            oe = start_with_edges(o, args, work, results)
            check_play(oe, users[0][1], steered=True)
        phase_play(o, oe, args, work, users, pin, results)
        if oe:
            oe.stop()
        phase_login(o, args, work, users, pin, results)
        o.stop()
        phase_argon2(args, pin, results)
        phase_tokens(args, pin, results)
    except BenchError as e:
        log("\norigin_bench: ERROR: %s" % e)
        status = 1
    except KeyboardInterrupt:
        log("\norigin_bench: interrupted")
        status = 130
    finally:
        cleanup()
        if args.keep:
            log("origin_bench: kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    missed = results.get("authorizations", {}).get("pass") is False
    if status == 0:
        a = results["authorizations"]
        lg = results["logins"]
        tb = results["token_bench"]["rows"]
        print("\n== summary ==")
        if "play-edges" in a:
            print("authorizations/s, %s edges, %s prefixes %8s   bar >= %s  %s" % (
                fmt(args.edges), fmt(a["edges"]["prefixes"]), fmt(a["play-edges"]["median_rps"]),
                fmt(PLAY_BAR), "FAIL" if missed else "PASS"))
            print("authorizations/s, no edges            %10s   with/without edges %.2f" % (
                fmt(a["play"]["median_rps"]), a["edges_ratio"]))
        else:
            print("authorizations/s (POST /api/v1/play)  %10s   bar >= %s  %s" % (
                fmt(a["play"]["median_rps"]), fmt(PLAY_BAR), "FAIL" if missed else "PASS"))
        print("GET /healthz req/s (same origin)      %10s   play/healthz %.2f" % (
            fmt(a["healthz"]["median_rps"]), a["ratio"]))
        print("origin CPU per 1,000 authorizations   %10s ms" % fmt(
            a["play"]["origin_cpu_ms_per_1000"], 1))
        print("logins/s (argon2id, %d clients)        %10s   503 busy: %s per run" % (
            lg["connections"], fmt(lg["median_ok_per_s"], 1),
            ", ".join(str(v) for v in lg["busy"])))
        print("argon2id hash (one)                   %10.1f ms  ceiling %s logins/s on %d CPUs, "
              "%s on the %d this origin can use" % (
                  lg["hash_ms"], fmt(lg["ceiling_per_s"], 1), lg["cpus"],
                  fmt(lg["usable_ceiling_per_s"], 1), lg["usable_cpus"]))
        for row in ("Ed25519 sign (256 B, OpenSSL)", "Ed25519 verify (256 B, OpenSSL)",
                    "stream_token_issue (origin)", "stream_token_check (uncached)",
                    "token_cache_check hit (edge)"):
            if row in tb:
                print("%-37s %10.3f us  (%s/s)" % (row, tb[row]["median_us"],
                                                   fmt(tb[row]["ops_per_s"])))
        if args.json:
            print(json.dumps(results, indent=2, default=str))
        if missed and args.strict:
            status = 3
    return status


if __name__ == "__main__":
    sys.exit(main())
