#!/usr/bin/env python3
"""Collapsed misses across workers when a fetch fails: a request in one
worker joins another worker's fetch; that fetch's bytes turn out wrong
(the commit refuses them) while the joiner's worker is stopped; a new
request fetches the object again into the same slot of the table of
fetches in flight, and stores it.  When the joiner's worker runs again the
slot is another fetch's, and the joiner must not take the object's
presence in the store for the end of the fetch it followed and send that
fetch's refused file: a joiner that was streaming it is cut short, one
still waiting for its head is answered again from the store, whole and
right.  The upstream pauses at a chosen byte, so every step happens in
order.

And a request that looks the object up in the title's manifest at the
moment another worker commits that manifest: with gdb (skipped without
it), the request's worker is stopped right after it found no entry for
the object, while the other worker pulls the manifest; the answer must be
the object, not a 404 for a path the package lists."""

import hashlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import threading
import time

import edgetest as et
import filltest as ft
import storetest as st

SIZE = 1 << 20
PAUSE_AT = 256 << 10          # the first answer of MID stops here until released
MID = "t1/360p/seg_00001.m4s"     # its joiner is streaming when the fetch fails
BEFORE = "t1/360p/seg_00002.m4s"  # its first answer pauses before any byte
LISTED = "t2/360p/seg_00001.m4s"  # looked up while its manifest is committed


class PausingUpstream(ft.Upstream):
    """filltest's upstream, but the first GET of each object in PAUSES
    ({path: byte}) sends that many bytes, waits for its release event, then
    the rest with one byte wrong 1000 bytes past the pause; later GETs of
    it are right."""

    def __init__(self, root, pauses):
        super().__init__(root)
        self.pauses = pauses
        self.release = {p: threading.Event() for p in pauses}
        self.gets = {p: 0 for p in pauses}

    def handle(self, h):
        path = h.path[len("/content/"):]
        if path not in self.pauses:
            return super().handle(h)
        with self.lock:
            self.requests.append((h.path, h.headers.get("Range")))
            self.gets[path] += 1
            first = self.gets[path] == 1
        pause = self.pauses[path]
        with open(os.path.join(self.root, path), "rb") as f:
            data = bytearray(f.read())
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        try:
            if not first:
                h.wfile.write(bytes(data))
                return
            h.wfile.write(bytes(data[:pause]))
            h.wfile.flush()
            self.release[path].wait(30)
            data[pause + 1000] ^= 0xff
            h.wfile.write(bytes(data[pause:]))
        except (BrokenPipeError, ConnectionResetError):
            pass


def server_pid(edge, sock, timeout=5.0):
    """The edge process that accepted the client socket SOCK (from /proc/net/tcp
    and the processes' descriptors); None when none has it by TIMEOUT."""
    want = "0100007F:%04X" % sock.getsockname()[1]
    here = "0100007F:%04X" % edge.port
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        inode = None
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1] == here and fields[2] == want:
                    inode = fields[9]
        for pid in edge.worker_pids() if inode else []:
            try:
                for fd in os.listdir("/proc/%d/fd" % pid):
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "socket:[%s]" % inode:
                        return pid
            except OSError:
                continue
        time.sleep(0.02)
    return None


class Client:
    """One GET of PATH on a connection a chosen worker accepted."""

    def __init__(self, edge, path, want=None, avoid=None, send=True):
        for _ in range(200):
            self.sock = socket.create_connection(("127.0.0.1", edge.port), timeout=20)
            self.pid = server_pid(edge, self.sock)
            if self.pid and (want is None or self.pid == want) and self.pid != avoid:
                break
            self.sock.close()
        else:
            raise et.Fatal("no connection reached the worker wanted")
        self.path = path
        self.data = b""
        if send:
            self.send()

    def send(self):
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" %
                           self.path).encode())

    def read_until(self, n, timeout=20.0):
        """Read until N bytes of the answer's body are in, or the end."""
        end = time.monotonic() + timeout
        while len(self.body()) < n and time.monotonic() < end:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                break
            self.data += chunk
        return self

    def read_all(self):
        return self.read_until(1 << 40)

    def head(self):
        i = self.data.find(b"\r\n\r\n")
        return self.data[:i].decode("latin-1") if i >= 0 else ""

    def body(self):
        i = self.data.find(b"\r\n\r\n")
        return self.data[i + 4:] if i >= 0 else b""


def collapsed(edge):
    return edge.metrics().get("reel_cache_collapsed_total", 0)


def first_wrong(body, data):
    """The offset of BODY's first byte that is not DATA's, or None."""
    return next((i for i in range(min(len(body), len(data))) if body[i] != data[i]), None)


def refetch_while_stopped(t, s, edge, path, data, joiner):
    """The fetch of PATH fails while JOINER's worker is stopped, and a new
    request in the fetcher's worker fetches and stores it; JOINER's worker
    runs again after."""
    os.kill(joiner.pid, signal.SIGSTOP)
    try:
        s.up.release[path].set()
        joiner.fetcher.read_all()
        t.check("  the fetch's bytes do not match the manifest: its own answer is cut short",
                len(joiner.fetcher.body()) < SIZE, len(joiner.fetcher.body()))
        again = Client(edge, path, want=joiner.fetcher.pid).read_all()
        t.check("  a new request fetches the object again and gets it whole and right",
                again.head().startswith("HTTP/1.1 200") and again.body() == data,
                "%s (%d body bytes)" % (again.head(), len(again.body())))
        t.check_eq("  two upstream requests for it in all", s.up.gets[path], 2)
    finally:
        os.kill(joiner.pid, signal.SIGCONT)
    joiner.read_all()


def check_streaming_joiner(t, s, edge, data):
    fetcher = Client(edge, MID).read_until(PAUSE_AT)
    t.check("the first request fetches, and streams what came before the pause",
            "fwd=miss" in fetcher.head() and len(fetcher.body()) == PAUSE_AT,
            "%s (%d body bytes)" % (fetcher.head(), len(fetcher.body())))
    joiner = Client(edge, MID, avoid=fetcher.pid).read_until(PAUSE_AT)
    joiner.fetcher = fetcher
    t.check("  a request in the other worker joins that fetch and streams it too",
            "collapsed" in joiner.head() and len(joiner.body()) == PAUSE_AT,
            "%s (%d body bytes)" % (joiner.head(), len(joiner.body())))
    refetch_while_stopped(t, s, edge, MID, data, joiner)
    body = joiner.body()
    t.check("  the joiner of the failed fetch is cut short, never sent its file whole",
            len(body) < SIZE, "%d body bytes, sha256 %s (right: %s)" % (
                len(body), hashlib.sha256(body).hexdigest()[:16],
                hashlib.sha256(data).hexdigest()[:16]))
    ok = body == data[:len(body)]
    t.check("  and every byte it got is the object's", ok, "" if ok else
            "%d body bytes, the first wrong at %s" % (len(body), first_wrong(body, data)))


def check_waiting_joiner(t, s, edge, data):
    before = collapsed(edge)
    fetcher = Client(edge, BEFORE)
    end = time.monotonic() + 10
    while s.up.gets[BEFORE] == 0 and time.monotonic() < end:
        time.sleep(0.02)  # the fetch is this worker's before the other request comes
    joiner = Client(edge, BEFORE, avoid=fetcher.pid)
    joiner.fetcher = fetcher
    end = time.monotonic() + 10
    while collapsed(edge) == before and time.monotonic() < end:
        time.sleep(0.02)
    t.check("a request in the other worker joins a fetch that has no byte yet",
            collapsed(edge) > before and not joiner.data, joiner.data[:200])
    refetch_while_stopped(t, s, edge, BEFORE, data, joiner)
    body = joiner.body()
    ok = joiner.head().startswith("HTTP/1.1 200") and body == data
    t.check("  the joiner, still without its head, is answered again: whole and right", ok,
            "" if ok else "%s, %d body bytes, the first wrong at %s" % (
                joiner.head().split("\r\n")[0], len(body), first_wrong(body, data)))


class Gdb:
    """gdb attached to the process PID, run on with the breakpoints COMMANDS
    set; hits() counts the stops."""

    def __init__(self, pid, commands):
        self.proc = subprocess.Popen(["gdb", "-q", "-nx", "-p", str(pid)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.out = []
        threading.Thread(target=self._read, daemon=True).start()
        self.send("set pagination off\nset confirm off\n%scontinue\n" % commands)

    def _read(self):
        for line in self.proc.stdout:
            self.out.append(line)

    def send(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def wait_for(self, word, n=1, timeout=20.0):
        """True once WORD has been printed N times (gdb's prompt may come before it)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sum(line.count(word) for line in self.out) >= n:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def detach(self):
        self.send("delete\ndetach\nquit\n")
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def check_manifest_committed_meanwhile(t, s, edge, data):
    """The request's worker is stopped right after it found no manifest
    entry for the object, as the read transaction of that lookup ends (LMDB:
    the second mdb_get with the object's key, the first being the open-file
    cache's, then the next mdb_txn_abort; no lock is held there), while the
    other worker commits the title's manifest."""
    if not shutil.which("gdb") or platform.machine() != "x86_64":
        print("skip   the manifest committed during a lookup (needs gdb on x86-64)")
        return
    req = Client(edge, LISTED, send=False)
    gdb = Gdb(req.pid, "break mdb_get if *(unsigned long *)$rdx == %d\nignore 1 1\n" %
              len(LISTED))  # key->mv_size
    if not gdb.wait_for("Continuing."):
        gdb.detach()
        print("skip   the manifest committed during a lookup (gdb cannot attach: %s)" %
              "".join(gdb.out[-3:]).strip())
        return
    try:
        req.send()
        looked = gdb.wait_for("Breakpoint 1,")
        gdb.send("delete 1\ntbreak mdb_txn_abort\ncontinue\n")
        stopped = looked and gdb.wait_for("Temporary breakpoint 2,")
        t.check("a request is stopped after its lookup of the object's manifest entry",
                stopped, "".join(gdb.out[-10:]))
        other = Client(edge, "t2/manifest.json", avoid=req.pid).read_all()
        t.check("  meanwhile the other worker pulls and commits the title's manifest",
                other.head().startswith("HTTP/1.1 200"), other.head())
    finally:
        gdb.detach()
    req.read_all()
    ok = req.head().startswith("HTTP/1.1 200") and req.body() == data
    t.check("  the request gets the object, not a 404 for a path the package lists", ok,
            "" if ok else "%s: %r" % (req.head().split("\r\n")[0], req.body()[:80]))


def main(t):
    s = st.Setup(t, upstream=False)
    s.up = PausingUpstream(s.origin_root, {MID: PAUSE_AT, BEFORE: 0}).start()
    t.upstreams.append(s.up)
    mid, before = ft.segment_bytes(SIZE, 11), ft.segment_bytes(SIZE, 12)
    ft.make_package(s.origin_root, "t1", {"360p/seg_00001.m4s": mid,
                                          "360p/seg_00002.m4s": before})
    listed = ft.segment_bytes(SIZE >> 4, 13)
    ft.make_package(s.origin_root, "t2", {"360p/seg_00001.m4s": listed})
    edge = s.edge(workers=2, start=False)
    edge.sections["upstream"]["read_timeout"] = "30s"
    edge.start()
    st.wait_fill_ready(edge)
    r = et.request(edge.port, "GET", "/t1/manifest.json")
    t.check_eq("the title's manifest is pulled first", r.status, 200)
    check_streaming_joiner(t, s, edge, mid)
    check_waiting_joiner(t, s, edge, before)
    check_manifest_committed_meanwhile(t, s, edge, listed)
    for path, data in ((MID, mid), (BEFORE, before)):
        r = et.request(edge.port, "GET", "/" + path)
        t.check("%s is a hit now, whole and right" % path, r.status == 200 and r.body == data,
                r.summary())


if __name__ == "__main__":
    st.run(main)
