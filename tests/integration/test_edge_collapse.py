#!/usr/bin/env python3
"""Collapsed misses across workers when a fetch fails: a reader in one
worker joins another worker's fetch and streams its bytes; that fetch's
bytes turn out wrong (the commit refuses them) while the reader's worker
is stopped; a new request fetches the object again into the same slot of
the table of fetches in flight, and stores it.  When the reader's worker
runs again, the slot is another fetch's: the reader must not take the new
object's presence in the store for the end of the fetch it followed and
send the rest of that fetch's wrong file as a whole answer.  It is cut
short instead.  The upstream pauses at a chosen byte, so every step
happens in order."""

import hashlib
import os
import signal
import socket
import threading
import time

import edgetest as et
import filltest as ft
import storetest as st

SIZE = 1 << 20
PAUSE_AT = 256 << 10          # the first answer stops here until released
WRONG_AT = PAUSE_AT + 1000    # and has one wrong byte past that
PATH = "t1/360p/seg_00001.m4s"


class PausingUpstream(ft.Upstream):
    """filltest's upstream, but the first GET of PATH sends PAUSE_AT bytes,
    waits for release, then the rest with one byte wrong; later GETs of it
    are right."""

    def __init__(self, root):
        super().__init__(root)
        self.release = threading.Event()
        self.object_gets = 0

    def handle(self, h):
        if h.path != "/content/" + PATH:
            return super().handle(h)
        with self.lock:
            self.requests.append((h.path, h.headers.get("Range")))
            self.object_gets += 1
            first = self.object_gets == 1
        with open(os.path.join(self.root, PATH), "rb") as f:
            data = bytearray(f.read())
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        try:
            if not first:
                h.wfile.write(bytes(data))
                return
            h.wfile.write(bytes(data[:PAUSE_AT]))
            h.wfile.flush()
            self.release.wait(30)
            data[WRONG_AT] ^= 0xff
            h.wfile.write(bytes(data[PAUSE_AT:]))
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

    def __init__(self, edge, want=None, avoid=None):
        for _ in range(200):
            self.sock = socket.create_connection(("127.0.0.1", edge.port), timeout=20)
            self.pid = server_pid(edge, self.sock)
            if self.pid and (want is None or self.pid == want) and self.pid != avoid:
                break
            self.sock.close()
        else:
            raise et.Fatal("no connection reached the worker wanted")
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" %
                           PATH).encode())
        self.data = b""

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


def main(t):
    s = st.Setup(t, upstream=False)
    s.up = PausingUpstream(s.origin_root).start()
    t.upstreams.append(s.up)
    data = ft.segment_bytes(SIZE, 11)
    ft.make_package(s.origin_root, "t1", {"360p/seg_00001.m4s": data})
    edge = s.edge(workers=2, start=False)
    edge.sections["upstream"]["read_timeout"] = "30s"
    edge.start()
    st.wait_fill_ready(edge)
    r = et.request(edge.port, "GET", "/t1/manifest.json")
    t.check_eq("the title's manifest is pulled first", r.status, 200)

    fetcher = Client(edge)
    fetcher.read_until(PAUSE_AT)
    t.check("the first request fetches, and streams what came before the pause",
            "fwd=miss" in fetcher.head() and len(fetcher.body()) == PAUSE_AT,
            "%s (%d body bytes)" % (fetcher.head(), len(fetcher.body())))
    joiner = Client(edge, avoid=fetcher.pid)
    joiner.read_until(PAUSE_AT)
    t.check("a request in the other worker joins that fetch and streams it too",
            "collapsed" in joiner.head() and len(joiner.body()) == PAUSE_AT,
            "%s (%d body bytes)" % (joiner.head(), len(joiner.body())))
    os.kill(joiner.pid, signal.SIGSTOP)
    try:
        s.up.release.set()
        fetcher.read_all()
        t.check("the fetch's bytes do not match the manifest: its own answer is cut short",
                len(fetcher.body()) < SIZE, len(fetcher.body()))
        again = Client(edge, want=fetcher.pid).read_all()
        t.check("a new request fetches the object again and gets it whole and right",
                again.head().startswith("HTTP/1.1 200") and again.body() == data,
                "%s (%d body bytes)" % (again.head(), len(again.body())))
        t.check_eq("  two upstream requests for it in all", s.up.object_gets, 2)
    finally:
        os.kill(joiner.pid, signal.SIGCONT)
    joiner.read_all()
    body = joiner.body()
    t.check("the joiner of the failed fetch is cut short, never sent its wrong bytes whole",
            len(body) < SIZE,
            "%d body bytes, sha256 %s (right: %s)" % (
                len(body), hashlib.sha256(body).hexdigest()[:16],
                hashlib.sha256(data).hexdigest()[:16]))
    t.check("  and every byte it got is the object's",
            body == data[:len(body)], "%d body bytes, the first wrong at %s" % (
                len(body), next((i for i in range(len(body)) if body[i] != data[i]), None)))
    r = et.request(edge.port, "GET", "/" + PATH)
    t.check("the object is a hit now, whole and right", r.status == 200 and r.body == data,
            r.summary())


if __name__ == "__main__":
    st.run(main)
