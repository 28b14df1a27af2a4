#!/usr/bin/env python3
"""reel-edge process lifecycle: the command line, configuration errors, two
workers, SIGHUP reloads (good and bad), SIGTERM drains."""

import hashlib
import os
import re
import signal
import socket
import subprocess
import threading
import time

import edgetest as et

BIG = "/big/seg_20mb.m4s"


def run_edge(*args, timeout=10):
    p = subprocess.run([et.EDGE_BIN] + list(args), capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def check_cli(t, root):
    rc, out, err = run_edge("--help")
    t.check("--help exits 0 with the usage", rc == 0 and "usage: reel-edge" in out, (rc, err))
    rc, out, _ = run_edge("-v")
    t.check("-v prints the version", rc == 0 and re.match(r"reel-edge \d+\.\d+", out), out)
    rc, _, err = run_edge("--no-such-option")
    t.check("an unknown option exits 2 with the usage", rc == 2 and "usage" in err, (rc, err))
    d = os.path.join(t.tmp, "cli")
    os.makedirs(d)
    good = write(os.path.join(d, "good.conf"), et.format_config({
        "server": {"listen": "127.0.0.1:%d" % et.free_port(), "workers": "1"},
        "content": {"root": root}}))
    rc, out, err = run_edge("-t", "-c", good)
    t.check("-t -c good.conf exits 0", rc == 0 and "valid" in out, (rc, out, err))
    rel = write(os.path.join(d, "rel.conf"), "[content]\nroot = ../content\n")
    rc, out, err = run_edge("-t", "-c", rel)
    t.check("a relative root is resolved against the config's folder", rc == 0, (rc, err))
    cases = [
        ("unknown key", "[server]\nworkers = 1\nbogus = 1\n", 3, "bogus"),
        ("bad value", "[server]\nlisten = 127.0.0.1:1\n\n[limits]\nheader_timeout = soon\n", 5,
         "header_timeout"),
        ("out-of-range value", "[server]\nworkers = 100000\n", 2, "workers"),
        ("syntax error", "[server\nworkers = 1\n", 1, ""),
        ("key in an unknown section", "[nope]\nroot = /\n", 2, "nope"),
    ]
    for name, text, line, word in cases:
        bad = write(os.path.join(d, "bad-%d.conf" % line), text)
        for extra in ((), ("-t",)):
            rc, out, err = run_edge(*extra, "-c", bad)
            t.check("%s%s: exits non-zero naming %s:%d" % (
                name, " (-t)" if extra else "", os.path.basename(bad), line),
                rc != 0 and "%s:%d" % (bad, line) in err and word in err, (rc, err))
    rc, _, err = run_edge("-c", os.path.join(d, "missing.conf"))
    t.check("a missing config file: exits non-zero naming it",
            rc != 0 and "missing.conf" in err, (rc, err))
    noroot = os.path.join(t.tmp, "no-such-root")
    cfg = write(os.path.join(d, "noroot.conf"), et.format_config({
        "server": {"listen": "127.0.0.1:%d" % et.free_port(), "workers": "1"},
        "content": {"root": noroot}, "log": {"error_log": "stderr"}}))
    rc, _, err = run_edge("-t", "-c", cfg)
    t.check("missing content root (-t): exits non-zero naming it",
            rc != 0 and noroot in err, (rc, err))
    rc, _, err = run_edge("-c", cfg)
    t.check("missing content root: exits non-zero naming it", rc != 0 and noroot in err,
            (rc, err))
    tls = write(os.path.join(d, "tls.conf"), et.format_config({
        "server": {"listen_tls": "127.0.0.1:%d" % et.free_port()},
        "content": {"root": root}}))
    rc, _, err = run_edge("-t", "-c", tls)
    t.check("listen_tls without a certificate: exits non-zero with a message",
            rc != 0 and "certificate" in err, (rc, err))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        cfg = write(os.path.join(d, "busy.conf"), et.format_config({
            "server": {"listen": "127.0.0.1:%d" % busy.getsockname()[1], "workers": "1"},
            "content": {"root": root}, "log": {"error_log": "stderr"}}))
        rc, _, err = run_edge("-c", cfg)
        t.check("a port in use: exits non-zero naming the address",
                rc != 0 and "127.0.0.1:%d" % busy.getsockname()[1] in err, (rc, err))


def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:"):
                out.add(link)
    except OSError:
        pass
    return out


def check_workers(t, e, files):
    pids = e.worker_pids()
    t.check_eq("workers = 2: the master has 2 worker children", len(pids), 2)
    before = {p: socket_inodes(p) for p in pids}
    conns = []
    try:
        for _ in range(24):
            c = et.Conn(e.port)
            c.send(et.build_request("GET", "/t1/small.m4s"))
            r = c.read_response()
            if r.body != files["/t1/small.m4s"]:
                raise AssertionError(r.summary())
            conns.append(c)
        time.sleep(0.1)
        grew = {p: len(socket_inodes(p) - before[p]) for p in pids}
        t.check("both workers serve (24 open connections spread over them)",
                all(n >= 1 for n in grew.values()) and sum(grew.values()) == 24, grew)
    finally:
        for c in conns:
            c.close()
    ok = all(et.request(e.port, "GET", "/t1/index.m3u8").body == files["/t1/index.m3u8"]
             for _ in range(50))
    t.check("50 requests in a row over 2 workers are all right", ok)


class Hammer(threading.Thread):
    """Short requests on fresh connections in a loop; counts failures."""

    def __init__(self, port, path, want):
        super().__init__(daemon=True)
        self.port, self.path, self.want = port, path, want
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []

    def run(self):
        while not self.stop.is_set():
            try:
                r = et.request(self.port, "GET", self.path, timeout=5)
                if r.status == 200 and r.body == self.want:
                    self.ok += 1
                else:
                    self.failures.append(r.summary())
            except Exception as ex:  # any failure counts
                self.failures.append(repr(ex))


def set_playlist_cc(e, value):
    e.sections["content"]["cache_control_playlist"] = value
    e.write_config()


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def slow_reader(port, path, rcvbuf=8192, chunk=16384, pause=0.001):
    """Start a download with a small receive buffer; returns (conn, response head)."""
    c = et.Conn(port, rcvbuf=rcvbuf, timeout=20)
    c.send(et.build_request("GET", path))
    while b"\r\n\r\n" not in c.buf:
        c._fill(chunk)
    head, c.buf = c.buf.split(b"\r\n\r\n", 1)
    return c, head


def read_body_slowly(c, length, chunk=65536, pause=0.001):
    h = hashlib.sha256()
    got = len(c.buf)
    h.update(c.buf)
    c.buf = b""
    while got < length:
        try:
            data = c.sock.recv(min(chunk, length - got))
        except OSError:
            break
        if not data:
            break
        h.update(data)
        got += len(data)
        time.sleep(pause)
    return got, h.hexdigest()


def check_reload(t, e, files, big_sha, big_len):
    pl = files["/t1/index.m3u8"]
    old_pids = e.worker_pids()
    r = et.request(e.port, "GET", "/t1/index.m3u8")
    t.check_eq("before reload: Cache-Control of the playlist", r.header("Cache-Control"),
               "public, max-age=60")
    idle = et.Conn(e.port)
    idle.send(et.build_request("GET", "/t1/index.m3u8"))
    idle.read_response()
    dl, head = slow_reader(e.port, BIG)
    hammer = Hammer(e.port, "/t1/index.m3u8", pl)
    hammer.start()
    time.sleep(0.3)
    set_playlist_cc(e, "public, max-age=5")
    e.signal(signal.SIGHUP)
    time.sleep(0.2)
    try:  # the old worker still answers a request on a connection it holds
        idle.send(et.build_request("GET", "/t1/index.m3u8"))
        r = idle.read_response()
        ok, detail = r.status == 200 and r.body == pl, r.summary()
    except (OSError, et.Closed) as ex:
        ok, detail = False, repr(ex)
    t.check("a keep-alive connection opened before the reload answers after it", ok, detail)
    idle.close()
    new = wait_for(lambda: et.request(e.port, "GET", "/t1/index.m3u8").header(
        "Cache-Control") == "public, max-age=5", 5.0)
    t.check("after SIGHUP new responses carry the new Cache-Control", new)
    for _ in range(3):  # three more reloads under load
        time.sleep(0.3)
        e.signal(signal.SIGHUP)
    time.sleep(0.5)
    hammer.stop.set()
    hammer.join(10)
    t.check("no request failed during 4 reloads (%d made)" % hammer.ok,
            hammer.ok > 20 and not hammer.failures,
            "%d failures, first: %s" % (len(hammer.failures), hammer.failures[:3]))
    got, sha = read_body_slowly(dl, big_len)
    t.check("a download in flight across the reloads completes whole",
            got == big_len and sha == big_sha and b" 200 " in head, "got %d of %d" % (got,
                                                                                 big_len))
    dl.close()
    # the old generations exit once their last response is out
    new_pids = wait_for(lambda: (lambda p: p if len(p) == 2 and not set(p) & set(old_pids)
                                 else None)(e.worker_pids()), 5.0)
    t.check("then only the 2 workers of the last generation are left", new_pids,
            (old_pids, e.worker_pids()))


def check_bad_reload(t, e):
    pids = e.worker_pids()
    good_text = open(e.conf_path).read()
    e.write_config(good_text + "\n[content]\ncache_control_playlist = nope\nbogus_key = 1\n")
    e.signal(signal.SIGHUP)
    logged = wait_for(lambda: "reload failed" in open(e.error_log).read(), 5.0)
    t.check("an invalid config on SIGHUP logs an error naming the file",
            logged and e.conf_path in open(e.error_log).read(), e.logs()[-500:])
    r = et.request(e.port, "GET", "/t1/index.m3u8")
    t.check("  and the old config keeps serving",
            r.status == 200 and r.header("Cache-Control") == "public, max-age=5", r.summary())
    t.check("  with the same workers", e.worker_pids() == pids, (pids, e.worker_pids()))
    os.rename(e.sections["content"]["root"], e.sections["content"]["root"] + ".moved")
    try:
        e.write_config(good_text)
        e.signal(signal.SIGHUP)
        logged = wait_for(lambda: open(e.error_log).read().count("reload failed") >= 2, 5.0)
        t.check("a reload with a missing content root is refused and logged", logged,
                e.logs()[-500:])
    finally:
        os.rename(e.sections["content"]["root"] + ".moved", e.sections["content"]["root"])
    r = et.request(e.port, "GET", "/t1/index.m3u8")
    t.check("  and the server still serves", r.status == 200, r.summary())


def check_drain(t, root, big_sha, big_len):
    e = t.edge(root, server={"workers": "2", "shutdown_timeout": "15s"})
    dl, head = slow_reader(e.port, BIG)
    t0 = time.monotonic()
    time.sleep(0.2)
    e.signal(signal.SIGTERM)
    time.sleep(0.3)
    t_new = time.monotonic()
    try:
        with et.Conn(e.port, timeout=3) as c:
            c.send(et.build_request("GET", "/healthz"))
            r = c.read_response()
            late = "served %d" % r.status
    except ConnectionRefusedError:
        late = "refused"
    except (OSError, et.Closed) as ex:
        late = "failed after %.1f s: %r" % (time.monotonic() - t_new, ex)
    t.check("during the drain a new connection is refused or served at once",
            late == "refused" or late == "served 200", late)
    got, sha = read_body_slowly(dl, big_len)
    took = time.monotonic() - t0
    t.check("SIGTERM: the 20 MB download in flight completes whole",
            got == big_len and sha == big_sha, "got %d of %d" % (got, big_len))
    rc = e.wait_exit(5.0)
    t.check("  and then the server exits 0 (well within shutdown_timeout)",
            rc == 0 and time.monotonic() - t0 < 15.0, "rc=%s after %.1f s (download %.1f s)" % (
                rc, time.monotonic() - t0, took))
    t.check("  the download took a while (the drain was exercised)", took > 0.5, took)


def check_drain_timeout(t, root):
    e = t.edge(root, server={"workers": "1", "shutdown_timeout": "2s"})
    c, _ = slow_reader(e.port, BIG, rcvbuf=4096)  # and then never read
    t0 = time.monotonic()
    e.signal(signal.SIGTERM)
    rc = e.wait_exit(8.0)
    took = time.monotonic() - t0
    t.check("a stalled client: SIGTERM exits after shutdown_timeout (2 s), not later than 3.5 s",
            rc is not None and 1.5 <= took <= 3.5, "rc=%s after %.1f s" % (rc, took))
    t.check("  and no worker is left", not e.worker_pids(), e.worker_pids())
    c.close()


def main(t):
    root = os.path.join(t.tmp, "content")
    files = et.make_content(root)
    big = et.write_file(root + BIG, et.rand_bytes(20 << 20, 20))
    big_sha, big_len = hashlib.sha256(big).hexdigest(), len(big)
    del big
    check_cli(t, root)
    e = t.edge(root, server={"workers": "2", "shutdown_timeout": "10s"},
               content={"cache_control_playlist": "public, max-age=60"})
    check_workers(t, e, files)
    check_reload(t, e, files, big_sha, big_len)
    check_bad_reload(t, e)
    e.stop()
    check_drain(t, root, big_sha, big_len)
    check_drain_timeout(t, root)


if __name__ == "__main__":
    et.run(main)
