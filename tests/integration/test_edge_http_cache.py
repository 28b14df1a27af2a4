"""reel-edge's generic upstream mode: an RFC 9111 shared cache in front of an
HTTP origin that is not reel's (a python origin on 127.0.0.1 whose answers
each check scripts, and which counts what reaches it)."""

import hashlib
import http.client
import http.server
import os
import threading
import time

import edgetest as et


class Repeat:
    """A body of COUNT times CHUNK, written as it goes (never whole in memory)."""

    def __init__(self, chunk, count):
        self.chunk, self.count = chunk, count

    def __len__(self):
        return len(self.chunk) * self.count


class Origin:
    """An HTTP/1.1 origin: ROUTES maps a path to a function (request) -> (status, headers, body)."""

    def __init__(self):
        self.routes = {}
        self.seen = []  # (method, path, {header: value}) in order
        self.lock = threading.Lock()
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body_in = self.rfile.read(n) if n else b""
                req = (self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                       body_in)
                with origin.lock:
                    origin.seen.append(req)
                route = origin.routes.get(self.path.split("?")[0])
                status, headers, body = route(req) if route else (404, [], b"no route\n")
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                if status not in (204, 304):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "HEAD" or status in (204, 304):
                    return
                if isinstance(body, Repeat):
                    for _ in range(body.count):
                        self.wfile.write(body.chunk)
                else:
                    self.wfile.write(body)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = answer

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # not 5: concurrent fetches must not wait for a SYN retry

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, path, method=None):
        with self.lock:
            return sum(1 for m, p, _, _ in self.seen
                       if p == path and (method is None or m == method))

    def last(self, path):
        with self.lock:
            return [h for m, p, h, _ in self.seen if p == path][-1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def get(edge, path, headers=None, method="GET"):
    return et.request(edge.port, method, path, headers=headers)


def fixed(status, headers, body):
    return lambda req: (status, headers, body)


def check_freshness(t, edge, o):
    o.routes["/fresh"] = fixed(200, [("Cache-Control", "max-age=60"), ("X-Origin", "1")],
                               b"fresh body")
    a, b = get(edge, "/fresh"), get(edge, "/fresh")
    t.check_eq("max-age: the second GET is the stored body", (a.body, b.body),
               (b"fresh body", b"fresh body"))
    t.check_eq("max-age: the origin saw one request", o.count("/fresh"), 1)
    t.check("max-age: the stored answer says hit, with an Age and the origin's fields",
            "hit" in (b.header("Cache-Status") or "") and b.header("Age") is not None
            and b.header("X-Origin") == "1", b.summary())
    t.check("max-age: the first answer says fwd=uri-miss and stored",
            "fwd=uri-miss" in a.header("Cache-Status", "") and
            "stored" in a.header("Cache-Status", ""), a.summary())
    for cc in ("no-store", "private", "max-age=60, no-store"):
        path = "/never-" + cc.replace(",", "").replace(" ", "").replace("=", "")
        o.routes[path] = fixed(200, [("Cache-Control", cc)], b"x")
        get(edge, path)
        get(edge, path)
        t.check_eq("Cache-Control: %s is never stored" % cc, o.count(path), 2)
    o.routes["/smax"] = fixed(200, [("Cache-Control", "max-age=0, s-maxage=60")], b"s")
    get(edge, "/smax")
    get(edge, "/smax")
    t.check_eq("s-maxage wins over max-age=0 in a shared cache", o.count("/smax"), 1)
    o.routes["/expires"] = fixed(200, [("Expires", et.http_date(time.time() + 60))], b"e")
    get(edge, "/expires")
    get(edge, "/expires")
    t.check_eq("Expires in the future: stored and reused", o.count("/expires"), 1)
    o.routes["/heuristic"] = fixed(200, [("Last-Modified", et.http_date(time.time() - 86400))],
                                   b"h")
    get(edge, "/heuristic")
    get(edge, "/heuristic")
    t.check_eq("Last-Modified a day ago: heuristically fresh", o.count("/heuristic"), 1)
    o.routes["/plain"] = fixed(200, [], b"p")
    get(edge, "/plain")
    get(edge, "/plain")
    t.check_eq("no freshness and no validator: never reused", o.count("/plain"), 2)
    o.routes["/aged"] = fixed(200, [("Cache-Control", "max-age=60"), ("Age", "120")], b"a")
    get(edge, "/aged")
    get(edge, "/aged")
    t.check_eq("an Age past max-age: stale at once", o.count("/aged"), 2)
    get(edge, "/fresh", headers={"Cache-Control": "no-cache"})
    t.check_eq("a request's no-cache goes to the origin", o.count("/fresh"), 2)
    r = get(edge, "/unknown-yet", headers={"Cache-Control": "only-if-cached"})
    t.check_eq("only-if-cached with nothing stored: 504, the origin not asked",
               (r.status, o.count("/unknown-yet")), (504, 0))


def check_revalidation(t, edge, o):
    version = {"n": 1}

    def validated(req):
        if req[2].get("if-none-match") == '"v1"':  # fresh for long now: no race on a slow machine
            return 304, [("ETag", '"v1"'), ("Cache-Control", "max-age=300"),
                         ("X-Version", str(version["n"]))], b""
        return 200, [("ETag", '"v1"'), ("Cache-Control", "max-age=1"),
                     ("X-Version", str(version["n"]))], b"validated body"

    o.routes["/etag"] = validated
    get(edge, "/etag")
    time.sleep(2.1)
    version["n"] = 2
    r = get(edge, "/etag")
    t.check_eq("stale with an ETag: the origin is asked with If-None-Match",
               o.last("/etag").get("if-none-match"), '"v1"')
    t.check_eq("a 304 answers with the stored body and the 304's fields",
               (r.status, r.body, r.header("X-Version")), (200, b"validated body", "2"))
    t.check("the revalidated answer says fwd=stale; fwd-status=304",
            "fwd-status=304" in r.header("Cache-Status", ""), r.summary())
    r = get(edge, "/etag")
    t.check_eq("after the 304: fresh again with the updated fields, no request",
               (o.count("/etag"), r.header("X-Version"), r.header("Cache-Control")),
               (2, "2", "max-age=300"))
    r = get(edge, "/etag", headers={"If-None-Match": '"v1"'})
    t.check_eq("the client's own If-None-Match is answered from the store: 304",
               (r.status, o.count("/etag")), (304, 2))


def check_vary(t, edge, o):
    o.routes["/vary"] = lambda req: (200, [("Cache-Control", "max-age=60"),
                                           ("Vary", "Accept-Language")],
                                     ("lang=%s" % req[2].get("accept-language")).encode())
    en = get(edge, "/vary", headers={"Accept-Language": "en"})
    en2 = get(edge, "/vary", headers={"Accept-Language": "en"})
    fr = get(edge, "/vary", headers={"Accept-Language": "fr"})
    t.check_eq("Vary: the same Accept-Language is a hit, another goes to the origin",
               (en.body, en2.body, fr.body, o.count("/vary")),
               (b"lang=en", b"lang=en", b"lang=fr", 2))
    en3 = get(edge, "/vary", headers={"Accept-Language": "en"})
    fr2 = get(edge, "/vary", headers={"Accept-Language": "fr"})
    t.check_eq("Vary: both variants stay stored, each answers its own requests",
               (en3.body, fr2.body, o.count("/vary")), (b"lang=en", b"lang=fr", 2))
    o.routes["/star"] = fixed(200, [("Cache-Control", "max-age=60"), ("Vary", "*")], b"*")
    get(edge, "/star")
    get(edge, "/star")
    t.check_eq("Vary: * is never reused", o.count("/star"), 2)


def check_variants(t, edge, o):
    def encoded(req):
        gz = "gzip" in (req[2].get("accept-encoding") or "").lower()
        headers = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")]
        return 200, headers + ([("Content-Encoding", "gzip")] if gz else []), \
            (b"gzip bytes" if gz else b"plain bytes")

    o.routes["/enc"] = encoded
    gz = {"Accept-Encoding": "gzip, br"}
    answers = [get(edge, "/enc", headers=h) for h in (gz, None, gz, None)]
    t.check_eq("two Accept-Encoding variants: both stored, each served its own body",
               ([a.body for a in answers], o.count("/enc")),
               ([b"gzip bytes", b"plain bytes", b"gzip bytes", b"plain bytes"], 2))
    t.check("the stored variants answer as hits, with their own Content-Encoding",
            "hit" in answers[2].header("Cache-Status", "") and
            "hit" in answers[3].header("Cache-Status", "") and
            answers[2].header("Content-Encoding") == "gzip" and
            answers[3].header("Content-Encoding") is None,
            [a.summary() for a in answers])
    r = get(edge, "/enc", headers={"Accept-Encoding": "GZIP ,br"})
    r2 = get(edge, "/enc", headers=[("Accept-Encoding", "gzip"), ("Accept-Encoding", " br")])
    t.check_eq("Vary values are compared normalized: case, spaces, lines combined",
               (r.body, r2.body, o.count("/enc")), (b"gzip bytes", b"gzip bytes", 2))
    get(edge, "/enc", headers={"Accept-Encoding": "deflate"})
    t.check_eq("a third variant is fetched", o.count("/enc"), 3)
    o.routes["/many"] = lambda req: (200, [("Cache-Control", "max-age=60"), ("Vary", "X-V")],
                                     ("v=%s" % req[2].get("x-v")).encode())
    for _ in range(2):
        bodies = [get(edge, "/many", headers={"X-V": str(i)}).body for i in range(8)]
    t.check_eq("eight variants of one target are all kept",
               (bodies, o.count("/many")), ([b"v=%d" % i for i in range(8)], 8))
    et.request(edge.port, "DELETE", "/enc")
    get(edge, "/enc", headers=gz)
    get(edge, "/enc")
    t.check_eq("an unsafe method invalidates every variant of the target",
               o.count("/enc", "GET"), 5)


def concurrently(n, fn):
    """FN(i) for i in range(N) on N threads started together: the results in order."""
    out = [None] * n
    go = threading.Barrier(n)

    def run(i):
        go.wait()
        try:
            out[i] = fn(i)
        except Exception as ex:  # reported as the result
            out[i] = ex
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return out


def check_collapse(t, edge, o):
    body = et.rand_bytes(256 << 10, 7)

    def slow(cc):
        def answer(req):
            time.sleep(1.0)
            return 200, [("Cache-Control", cc)], body
        return answer

    o.routes["/collapse"] = slow("max-age=60")
    got = concurrently(50, lambda i: get(edge, "/collapse"))
    ok = [r for r in got if isinstance(r, et.Response) and r.status == 200 and r.body == body]
    bad = [r.summary() if isinstance(r, et.Response) else repr(r) for r in got if r not in ok]
    t.check("50 concurrent misses of one target: 1 upstream request, 50 right bodies",
            (o.count("/collapse"), len(ok)) == (1, 50), (o.count("/collapse"), bad[:3]))
    t.check("the waiters say collapsed in Cache-Status",
            sum("collapsed" in r.header("Cache-Status", "") for r in ok) >= 40,
            [r.header("Cache-Status") for r in ok[:5]])
    o.routes["/collapse-private"] = slow("private")
    got = concurrently(10, lambda i: get(edge, "/collapse-private"))
    bad = [r.summary() if isinstance(r, et.Response) else repr(r) for r in got
           if not (isinstance(r, et.Response) and r.body == body)]
    t.check("a private answer is not shared: each waiter is fetched on its own",
            (o.count("/collapse-private"), 10 - len(bad)) == (10, 10),
            (o.count("/collapse-private"), bad[:3]))
    o.routes["/collapse-auth"] = slow("max-age=60")
    got = concurrently(5, lambda i: get(edge, "/collapse-auth",
                                        headers={"Authorization": "Bearer %d" % i}))
    t.check_eq("requests with Authorization are never collapsed",
               (o.count("/collapse-auth"),
                sum(isinstance(r, et.Response) and r.status == 200 for r in got)), (5, 5))


def worker_rss(edge):
    """The largest resident set of the edge's workers, in bytes."""
    most = 0
    for pid in edge.worker_pids():
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        most = max(most, int(line.split()[1]) * 1024)
        except OSError:
            pass
    return most


def stream_get(edge, path):
    """GET PATH read as it comes: (status, sha256 hex, length, Cache-Status, largest worker RSS)."""
    c = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=60)
    c.request("GET", path)
    r = c.getresponse()
    h, n, rss = hashlib.sha256(), 0, worker_rss(edge)
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
        if n % (16 << 20) < (1 << 20):
            rss = max(rss, worker_rss(edge))
    c.close()
    return r.status, h.hexdigest(), n, r.getheader("Cache-Status", ""), rss


def check_large(t, edge, o):
    chunk = et.rand_bytes(1 << 20, 11)
    size = 200 << 20
    want = hashlib.sha256(chunk * 200).hexdigest()
    o.routes["/big"] = fixed(200, [("Cache-Control", "max-age=600")], Repeat(chunk, 200))
    base = worker_rss(edge)
    status, digest, n, cs, rss = stream_get(edge, "/big")
    t.check_eq("a 200 MiB answer streams through whole", (status, n, digest), (200, size, want))
    t.check("...with the edge's memory bounded (largest worker RSS %d MiB, %d before)"
            % (rss >> 20, base >> 20), rss < base + (48 << 20), (rss, base))
    status, digest, n, cs, _ = stream_get(edge, "/big")
    t.check_eq("the 200 MiB answer is served from the store next time",
               (status, n, digest, o.count("/big"), "hit" in cs), (200, size, want, 1, True))
    o.routes["/big-nostore"] = fixed(200, [("Cache-Control", "no-store")], Repeat(chunk, 80))
    status, digest, n, cs, rss = stream_get(edge, "/big-nostore")
    stream_get(edge, "/big-nostore")
    t.check_eq("an 80 MiB no-store answer streams through, never stored",
               (status, n, digest, o.count("/big-nostore")),
               (200, 80 << 20, hashlib.sha256(chunk * 80).hexdigest(), 2))
    t.check("...with the edge's memory bounded too", rss < base + (48 << 20), (rss, base))


def check_invalidation(t, edge, o):
    o.routes["/doc"] = lambda req: (200 if req[0] != "POST" else 201,
                                    [("Cache-Control", "max-age=60"),
                                     ("Location", "/other")], req[3] or b"doc")
    o.routes["/other"] = fixed(200, [("Cache-Control", "max-age=60")], b"other")
    get(edge, "/doc")
    get(edge, "/other")
    r, _ = et.exchange(edge.port, et.build_request(
        "POST", "/doc", {"Content-Length": "5", "Content-Type": "text/plain"}, body=b"hello"),
        "POST")
    t.check_eq("POST is relayed with its body", (r.status, r.body), (201, b"hello"))
    get(edge, "/doc")
    get(edge, "/other")
    t.check_eq("after a POST: the target and its Location are fetched again",
               (o.count("/doc", "GET"), o.count("/other")), (2, 2))
    o.routes["/fail"] = lambda req: (500 if req[0] == "DELETE" else 200,
                                     [("Cache-Control", "max-age=60")], b"f")
    get(edge, "/fail")
    et.request(edge.port, "DELETE", "/fail")
    get(edge, "/fail")
    t.check_eq("a failed DELETE invalidates nothing", o.count("/fail", "GET"), 1)


def check_ranges(t, edge, o):
    data = bytes(range(256)) * 4

    def ranged(req):
        rng = req[2].get("range")
        if rng == "bytes=0-99":
            return 206, [("Cache-Control", "max-age=60"),
                         ("Content-Range", "bytes 0-99/%d" % len(data))], data[:100]
        return 200, [("Cache-Control", "max-age=60")], data

    o.routes["/piece"] = ranged
    a = get(edge, "/piece", headers={"Range": "bytes=0-99"})
    b = get(edge, "/piece", headers={"Range": "bytes=10-19"})
    t.check_eq("a 206 is stored and answers a range inside it",
               (a.status, b.status, b.body, b.header("Content-Range"), o.count("/piece")),
               (206, 206, data[10:20], "bytes 10-19/1024", 1))
    c = get(edge, "/piece", headers={"Range": "bytes=500-599"})
    t.check_eq("a range outside the stored piece goes to the origin",
               (c.status, o.count("/piece")), (200, 2))
    d = get(edge, "/piece", headers={"Range": "bytes=500-599"})
    t.check_eq("the whole object stored after: ranges are cut from it",
               (d.status, d.body, o.count("/piece")), (206, data[500:600], 2))
    e = get(edge, "/piece", headers={"Range": "bytes=5000-"})
    t.check_eq("a range past the end of a stored object: 416", e.status, 416)


def check_restart_and_down(t, edge, o):
    o.routes["/kept"] = fixed(200, [("Cache-Control", "max-age=600")], b"kept")
    get(edge, "/kept")
    edge.stop()
    edge.start()
    r = get(edge, "/kept")
    t.check_eq("a stored response survives a restart", (r.body, o.count("/kept")), (b"kept", 1))
    hits = [get(edge, "/kept").header("Cache-Status", "") for _ in range(6)]
    t.check("every worker answers from the same store", all("hit" in h for h in hits), hits)
    o.stop()
    r = get(edge, "/kept")
    t.check_eq("the origin gone: what is fresh is still served", (r.status, r.body),
               (200, b"kept"))
    t0 = time.monotonic()
    r = get(edge, "/never-seen")
    t.check("the origin gone: a miss is 502 at once",
            r.status == 502 and time.monotonic() - t0 < 2.0, r.summary())


CHECKS = [check_freshness, check_revalidation, check_vary, check_variants, check_collapse,
          check_large, check_invalidation, check_ranges, check_restart_and_down]


def main(t):
    """Every check; CHECKS in the environment names a few of them (when debugging)."""
    o = Origin()
    root = os.path.join(t.tmp, "store")
    os.makedirs(root)
    edge = t.edge(root, start=False,
                  server={"workers": "2"},
                  store={"enabled": "on", "index": os.path.join(t.tmp, "index")},
                  upstream={"url": "http://127.0.0.1:%d" % o.port, "mode": "http",
                            "connect_timeout": "500ms", "read_timeout": "2s"})
    edge.start()
    try:
        for check in CHECKS:
            if not os.environ.get("CHECKS") or check.__name__ in os.environ["CHECKS"]:
                check(t, edge, o)
    finally:
        o.stop()


et.run(main)
