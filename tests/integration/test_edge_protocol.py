#!/usr/bin/env python3
"""reel-edge HTTP/1.x on raw sockets: keep-alive, pipelining, HTTP/1.0,
malformed requests, limits, timeouts and lingering closes.  After every bad request a new
connection must still be served (the worker goes on)."""

import os
import socket
import time

import edgetest as et

HEADER_TIMEOUT = 1.0
KEEPALIVE_TIMEOUT = 2.0
SEND_TIMEOUT = 1.0
LINGERING_TIMEOUT = 1.5
MAX_LINE = 1024
MAX_HEAD = 4096


def req(method, path, headers=None, version="HTTP/1.1", host="127.0.0.1", body=b""):
    return et.build_request(method, path, headers, version, host, body)


def still_serving(t, port, after):
    r = et.request(port, "GET", "/healthz")
    t.check("  and a new connection is served after %s" % after,
            r.status == 200 and r.body == b"ok\n", r.summary())


def check_keepalive(t, port, files):
    with et.Conn(port) as c:
        ok = True
        for i in range(5):
            path = ("/t1/index.m3u8", "/t1/small.m4s")[i % 2]
            c.send(req("GET", path))
            r = c.read_response()
            ok = ok and r.status == 200 and r.body == files[path] and not r.has("Connection")
        t.check("keep-alive: 5 requests on one HTTP/1.1 connection", ok, "")
        c.send(req("GET", "/t1/init.mp4", {"Connection": "close"}))
        r = c.read_response()
        t.check("Connection: close -> answered with Connection: close",
                r.status == 200 and r.header("Connection") == "close" and
                r.body == files["/t1/init.mp4"], r.summary())
        t.check("  and the server closes the connection", c.wait_closed(2.0) is not None)


def check_pipelining(t, port, files):
    seq = ["/t1/index.m3u8", "/t1/seg_00001.m4s", "/t1/small.m4s", "/t1/seg_00001.m4s",
           "/t1/init.mp4", "/t1/meta.json", "/t1/seg_00001.ts", "/t1/missing", "/t1/sub.vtt",
           "/t1/seg_00001.m4s"]
    with et.Conn(port, timeout=20) as c:
        c.send(b"".join(req("GET", p) for p in seq))
        got = [c.read_response() for _ in seq]
        ok = all((r.status == 404) if p == "/t1/missing" else (r.status == 200 and
                                                               r.body == files[p])
                 for p, r in zip(seq, got))
        t.check("10 pipelined GETs (big and small) answered in order, complete", ok,
                [(r.status, len(r.body)) for r in got])
        t.check("  with nothing extra after the last response",
                c.buf == b"" and c.wait_closed(0.3) is None, c.buf[:60])
    # the same requests dribbled in small pieces that cut heads anywhere
    blob = b"".join(req("GET", p) for p in seq[:6])
    with et.Conn(port, timeout=20) as c:
        for i in range(0, len(blob), 37):
            c.send(blob[i:i + 37])
            time.sleep(0.002)
        got = [c.read_response() for _ in seq[:6]]
        t.check("pipelined heads split at odd byte boundaries are answered in order",
                all(r.status == 200 and r.body == files[p] for p, r in zip(seq[:6], got)),
                [(r.status, len(r.body)) for r in got])
    # many small ones (more than one output batch) with HEAD mixed in
    n = 200
    with et.Conn(port, timeout=20) as c:
        c.send(b"".join(req("HEAD" if i % 3 == 0 else "GET", "/t1/index.m3u8")
                        for i in range(n)))
        got = [c.read_response("HEAD" if i % 3 == 0 else "GET") for i in range(n)]
        t.check("200 pipelined small requests with HEAD mixed in",
                all(r.status == 200 and r.body == (b"" if i % 3 == 0 else
                                                   files["/t1/index.m3u8"])
                    for i, r in enumerate(got)) and c.buf == b"", "")


def check_http10(t, port, files):
    with et.Conn(port) as c:
        c.send(req("GET", "/t1/meta.json", version="HTTP/1.0", host=None))
        r = c.read_response()
        t.check("HTTP/1.0 without Host -> 200", r.status == 200 and
                r.body == files["/t1/meta.json"], r.summary())
        t.check("  answered as HTTP/1.1 with Connection: close",
                r.version == "HTTP/1.1" and r.header("Connection") == "close", r.summary())
        t.check("  and the connection is closed", c.wait_closed(2.0) is not None)
    with et.Conn(port) as c:
        c.send(req("GET", "/t1/meta.json", {"Connection": "keep-alive"}, "HTTP/1.0", None))
        r1 = c.read_response()
        c.send(req("GET", "/t1/init.mp4", {"Connection": "keep-alive"}, "HTTP/1.0", None))
        r2 = c.read_response()
        t.check("HTTP/1.0 with Connection: keep-alive -> Connection: keep-alive, reused",
                r1.header("Connection") == "keep-alive" and r2.status == 200 and
                r2.body == files["/t1/init.mp4"], "%s / %s" % (r1.summary(), r2.summary()))
    r, closed = et.exchange(port, req("GET", "/t1/meta.json", version="HTTP/1.2"),
                            wait_close=0.5)
    t.check("HTTP/1.2 is answered as HTTP/1.1 (RFC 9112 2.5)",
            r is not None and r.status == 200 and not closed, r and r.summary())


def check_targets(t, port, files):
    r, _ = et.exchange(port, req("GET", "http://127.0.0.1:%d/t1/meta.json" % port))
    t.check("absolute-form target -> served", r is not None and r.status == 200 and
            r.body == files["/t1/meta.json"], r and r.summary())
    r, _ = et.exchange(port, req("GET", "http://example.com/t1/meta.json?x=1"))
    t.check("absolute-form target with another host and a query -> served",
            r is not None and r.status == 200 and r.body == files["/t1/meta.json"],
            r and r.summary())
    r, _ = et.exchange(port, req("OPTIONS", "*"), "OPTIONS")
    t.check("OPTIONS * -> 204 with Allow", r is not None and r.status == 204 and
            "GET" in (r.header("Allow") or ""), r and r.summary())
    r, _ = et.exchange(port, req("GET", "*"))
    t.check("GET * -> 400", r is not None and r.status == 400, r and r.summary())


BAD_REQUESTS = [
    # (name, raw bytes, expected status)
    ("HTTP/1.1 without Host", b"GET /t1/meta.json HTTP/1.1\r\n\r\n", 400),
    ("two Host headers", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("garbage request line", b"GARBAGE\r\n\r\n", 400),
    ("HTTP/0.9 request line", b"GET /t1/meta.json\r\n\r\n", 400),
    ("double space in the request line", b"GET  /t1/meta.json HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("lower-case version", b"GET /t1/meta.json http/1.1\r\nHost: x\r\n\r\n", 400),
    ("bare CR in the request line", b"GET /t1/meta.json\rX HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("control byte in the target", b"GET /t1/\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("target not origin-form", b"GET t1/meta.json HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("header without a colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-Foo bar\r\n\r\n", 400),
    ("space before the colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-Foo : bar\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-Foo: bar\r\n baz\r\n\r\n", 400),
    ("empty header name", b"GET / HTTP/1.1\r\nHost: x\r\n: bar\r\n\r\n", 400),
    ("NUL in a header value", b"GET / HTTP/1.1\r\nHost: x\r\nX-Foo: a\x00b\r\n\r\n", 400),
    ("conflicting Content-Length headers",
     b"GET /t1/meta.json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
     b"hello!", 400),
    ("Content-Length: 5, 6", b"GET /t1/meta.json HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n"
     b"\r\nhello!", 400),
    ("negative Content-Length", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    ("Content-Length not a number", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n",
     400),
    ("Transfer-Encoding on GET",
     b"GET /t1/meta.json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding and Content-Length",
     b"GET /t1/meta.json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
     b"Content-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("HTTP/2.0 in the request line", b"GET /t1/meta.json HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("HTTP/3.0 in the request line", b"GET /t1/meta.json HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ("request line over max_request_line",
     b"GET /" + b"a" * (MAX_LINE + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("unterminated request line over max_request_line", b"GET /" + b"a" * (MAX_LINE + 10), 414),
    ("headers over max_header_size",
     b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"v" * 100)
                                                 for i in range(50)) + b"\r\n", 431),
    ("one header over max_header_size",
     b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * (MAX_HEAD + 100) + b"\r\n\r\n", 431),
]


def check_bad_requests(t, port):
    for name, raw, want in BAD_REQUESTS:
        try:
            r, closed = et.exchange(port, raw, wait_close=2.0)
        except OSError as ex:
            r, closed = None, ex
        t.check("%s -> %d and the connection is closed" % (name, want),
                r is not None and r.status == want and closed is True,
                (r.summary() if r else "no response") + " closed=%s" % closed)
        still_serving(t, port, name)
    # a bad request in a pipeline: the good ones before it are answered, then 400 + close
    with et.Conn(port) as c:
        c.send(req("GET", "/healthz") + b"BAD\r\n\r\n" + req("GET", "/healthz"))
        a = c.read_response()
        b = c.read_response()
        t.check("pipeline: good, bad, good -> 200, 400, closed",
                a.status == 200 and b.status == 400 and b.header("Connection") == "close" and
                c.wait_closed(2.0) is not None and c.buf == b"", (a.summary(), b.summary()))


def check_close_in_pipeline(t, port, files):
    with et.Conn(port) as c:
        c.send(req("GET", "/t1/meta.json", {"Connection": "close"}) + req("GET", "/t1/init.mp4"))
        r = c.read_response()
        closed = c.wait_closed(2.0)
        t.check("pipeline after Connection: close -> one response, then close",
                r.status == 200 and r.body == files["/t1/meta.json"] and closed is not None and
                c.buf == b"", (r.summary(), c.buf[:60]))
    r, _ = et.exchange(port, b"GET /t1/meta.json HTTP/1.1\nHost: x\n\n")
    t.check("bare LF line ends are accepted (RFC 9112 2.2)",
            r is not None and r.status == 200 and r.body == files["/t1/meta.json"],
            r and r.summary())
    r, _ = et.exchange(port, b"\r\n\r\nGET /t1/meta.json HTTP/1.1\r\nHost: x\r\n\r\n")
    t.check("empty lines before the request line are skipped (RFC 9112 2.2)",
            r is not None and r.status == 200, r and r.summary())


def check_send_timeout(t, port, big_len):
    c = et.Conn(port, rcvbuf=4096)
    try:
        c.send(req("GET", "/big.m4s"))
        time.sleep(SEND_TIMEOUT + 2.0)  # read nothing meanwhile
        got = 0
        c.settimeout(5)
        try:
            while True:
                d = c.sock.recv(1 << 20)
                if not d:
                    break
                got += len(d)
        except OSError:
            pass
        t.check("a client that stops reading is cut off by send_timeout (1 s)",
                0 < got < big_len, "got %d of %d bytes" % (got, big_len))
    finally:
        c.close()
    still_serving(t, port, "the send timeout")


def check_body_skipped(t, port, files):
    with et.Conn(port) as c:
        c.send(req("GET", "/t1/meta.json", {"Content-Length": "5"}) + b"hello" +
               req("GET", "/t1/init.mp4"))
        a, b = c.read_response(), c.read_response()
        t.check("GET with a 5-byte body is answered and the body skipped",
                a.status == 200 and a.body == files["/t1/meta.json"] and b.status == 200 and
                b.body == files["/t1/init.mp4"], (a.summary(), b.summary()))
    with et.Conn(port) as c:
        body = b"x" * 3000
        c.send(req("GET", "/t1/meta.json", {"Content-Length": str(len(body))}))
        a = c.read_response()
        c.send(body[:1000])
        time.sleep(0.05)
        c.send(body[1000:] + req("GET", "/t1/init.mp4"))
        b = c.read_response()
        t.check("a body that arrives after its response is skipped too",
                a.status == 200 and b.status == 200 and b.body == files["/t1/init.mp4"],
                (a.summary(), b.summary()))


def send_bytewise(c, data):
    """Send DATA one byte per write (each its own segment); returns the error or None."""
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for i in range(len(data)):
            c.sock.send(data[i:i + 1])
    except OSError as ex:
        return ex
    return None


def check_lingering_close(t, port):
    """An answer that closes the connection reaches a client that is still sending."""
    head = (b"GET /t1/meta.json HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * (20 << 10) +
            b"\r\n\r\n")
    with et.Conn(port) as c:
        err = send_bytewise(c, head)
        try:
            r = c.read_response()
            closed = c.wait_closed(2.0)
        except (OSError, et.Closed) as ex:
            r, closed = None, ex
        t.check("a 20 KiB head sent one byte per write gets its 431, then a clean close",
                err is None and r is not None and r.status == 431 and closed is not None and
                c.buf == b"", "send error %r, response %s, closed %r" % (
                    err, r.summary() if r else None, closed))
    with et.Conn(port) as c:  # a body too large to skip: answered at once, then closed
        c.send(req("GET", "/t1/meta.json", {"Content-Length": str(300 << 10)}))
        err = None
        try:
            for _ in range(300):
                c.sock.sendall(b"b" * 1024)
                time.sleep(0.001)
        except OSError as ex:
            err = ex
        try:
            r = c.read_response()
        except (OSError, et.Closed) as ex:
            r = None
            err = err or ex
        t.check("a 300 KiB body sent after its answer: the answer arrives, no reset",
                err is None and r is not None and r.status == 200 and
                r.header("Connection") == "close", "error %r, response %s" % (
                    err, r.summary() if r else None))
    with et.Conn(port) as c:  # lingering is bounded in time
        c.send(b"BAD\r\n\r\n")
        r = c.read_response()
        t0 = time.monotonic()
        ended = None
        while time.monotonic() - t0 < LINGERING_TIMEOUT + 3:
            try:
                c.sock.sendall(b"x" * 512)
            except OSError:
                ended = time.monotonic() - t0
                break
            time.sleep(0.05)
        t.check("a client that keeps sending after a 400 is cut off after lingering_timeout",
                r.status == 400 and ended is not None and ended < LINGERING_TIMEOUT + 2.5,
                "ended after %r s" % ended)
    still_serving(t, port, "lingering closes")


def check_header_timeout(t, port):
    with et.Conn(port) as c:
        t0 = time.monotonic()
        c.send(b"GET /t1/meta.json HTTP/1.1\r\nHost: x\r\n")
        closed = c.wait_closed(HEADER_TIMEOUT + 2.0)
        el = time.monotonic() - t0
        t.check("partial head: closed after header_timeout (1 s) within 3 s",
                closed is not None and HEADER_TIMEOUT - 0.1 <= el <= HEADER_TIMEOUT + 1.6,
                "closed=%s after %.2f s" % (closed, el))
        t.check("  with a 408 or nothing", c.buf == b"" or c.buf.startswith(
            b"HTTP/1.1 408 "), c.buf[:80])
    with et.Conn(port) as c:
        t0 = time.monotonic()
        closed = None
        try:  # a slowloris: one byte every 0.3 s never completes the head
            for ch in b"GET /t1/meta.json HTTP/1.1\r\nHost: x\r\nX-A: b\r\n":
                c.send(bytes([ch]))
                time.sleep(0.3)
                if time.monotonic() - t0 > HEADER_TIMEOUT + 2.0:
                    break
        except OSError:
            pass
        closed = c.wait_closed(0.5)
        el = time.monotonic() - t0
        t.check("a head sent one byte at a time is cut off by header_timeout",
                closed is not None and el <= HEADER_TIMEOUT + 2.6, "after %.2f s" % el)
    with et.Conn(port) as c:
        t0 = time.monotonic()
        closed = c.wait_closed(HEADER_TIMEOUT + 2.0)
        t.check("a connection that never sends is closed after header_timeout",
                closed is not None and HEADER_TIMEOUT - 0.1 <= closed <= HEADER_TIMEOUT + 1.6 and
                c.buf == b"", "closed=%s buf=%r" % (closed, c.buf[:60]))
    still_serving(t, port, "the timeouts")


def check_keepalive_timeout(t, port):
    with et.Conn(port) as c:
        c.send(req("GET", "/healthz"))
        r = c.read_response()
        t0 = time.monotonic()
        closed = c.wait_closed(KEEPALIVE_TIMEOUT + 2.0)
        t.check("idle keep-alive connection closed after keepalive_timeout (2 s)",
                r.status == 200 and closed is not None and
                KEEPALIVE_TIMEOUT - 0.1 <= closed <= KEEPALIVE_TIMEOUT + 1.1 and c.buf == b"",
                "closed=%s buf=%r" % (closed, c.buf[:60]))
    with et.Conn(port) as c:
        ok = True
        for _ in range(4):  # activity every 1.2 s keeps it open past 2 s in total
            c.send(req("GET", "/healthz"))
            ok = ok and c.read_response().status == 200
            time.sleep(1.2)
        c.send(req("GET", "/healthz"))
        ok = ok and c.read_response().status == 200
        t.check("a connection used every 1.2 s stays open for 5 s", ok)


def check_max_requests(t, root, files):
    e = t.edge(root, limits={"max_requests_per_connection": "3"})
    with et.Conn(e.port) as c:
        rs = []
        for _ in range(3):
            c.send(req("GET", "/t1/meta.json"))
            rs.append(c.read_response())
        t.check("max_requests_per_connection = 3: responses 1-2 keep the connection",
                all(r.status == 200 and not r.has("Connection") for r in rs[:2]),
                [r.summary() for r in rs[:2]])
        t.check("  the third response has Connection: close",
                rs[2].status == 200 and rs[2].header("Connection") == "close" and
                rs[2].body == files["/t1/meta.json"], rs[2].summary())
        t.check("  and the socket closes", c.wait_closed(2.0) is not None)
    with et.Conn(e.port) as c:
        c.send(req("GET", "/t1/meta.json") * 5)
        got = []
        try:
            while True:
                got.append(c.read_response())
        except et.Closed:
            pass
        t.check("5 pipelined with a limit of 3 -> 3 answers, then close",
                [r.status for r in got] == [200] * 3 and got[2].header("Connection") == "close",
                [r.status for r in got])
    e.stop()


def check_max_connections(t, root):
    e = t.edge(root, server={"max_connections": "4"}, limits={"header_timeout": "10s"})
    conns = []
    try:
        for _ in range(4):
            c = et.Conn(e.port)
            c.send(req("GET", "/healthz"))
            c.read_response()
            conns.append(c)
        late = et.Conn(e.port, timeout=5)
        late.send(req("GET", "/healthz"))
        late.settimeout(0.8)
        try:
            early = late.read_response()
        except (socket.timeout, et.Closed):
            early = None
        t.check("max_connections = 4: a 5th connection waits", early is None,
                early and early.summary())
        conns[0].close()
        late.settimeout(5)
        r = late.read_response()
        t.check("  and is served once one closes", r.status == 200, r.summary())
        late.close()
    finally:
        for c in conns:
            c.close()
    e.stop()


def main(t):
    root = os.path.join(t.tmp, "content")
    files = et.make_content(root)
    big_len = len(et.write_file(root + "/big.m4s", et.rand_bytes(20 << 20, 7)))
    e = t.edge(root, limits={"header_timeout": "%gs" % HEADER_TIMEOUT,
                             "keepalive_timeout": "%gs" % KEEPALIVE_TIMEOUT,
                             "max_request_line": str(MAX_LINE),
                             "max_header_size": str(MAX_HEAD),
                             "send_timeout": "%gs" % SEND_TIMEOUT,
                             "lingering_timeout": "%dms" % (LINGERING_TIMEOUT * 1000)})
    check_keepalive(t, e.port, files)
    check_pipelining(t, e.port, files)
    check_http10(t, e.port, files)
    check_targets(t, e.port, files)
    check_bad_requests(t, e.port)
    check_body_skipped(t, e.port, files)
    check_close_in_pipeline(t, e.port, files)
    check_send_timeout(t, e.port, big_len)
    check_lingering_close(t, e.port)
    check_header_timeout(t, e.port)
    check_keepalive_timeout(t, e.port)
    check_max_requests(t, root, files)
    check_max_connections(t, root)
    r = et.request(e.port, "GET", "/healthz")
    t.check("the server is still up at the end",
            r.status == 200 and e.proc.poll() is None and len(e.worker_pids()) == 1, r.summary())


if __name__ == "__main__":
    et.run(main)
