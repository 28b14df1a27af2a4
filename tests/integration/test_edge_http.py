#!/usr/bin/env python3
"""reel-edge over plain HTTP: methods, content types, validators, gzip, CORS,
Cache-Control, path safety, /healthz, /metrics and the access log."""

import os
import re
import signal
import time

import edgetest as et

CC_SEGMENT = "public, max-age=31536000, immutable"
CC_PLAYLIST = "public, max-age=7"
CC_OTHER = "public, max-age=301"
REVALIDATE = 0.3

TYPES = {
    "/t1/index.m3u8": "application/vnd.apple.mpegurl",
    "/t1/seg_00001.ts": "video/mp2t",
    # RFC 8081 / IANA registers video/iso.segment for fMP4 media segments
    "/t1/seg_00001.m4s": "video/iso.segment",
    "/t1/init.mp4": "video/mp4",
    "/t1/sub.vtt": "text/vtt; charset=utf-8",
    "/t1/meta.json": "application/json",
    "/t1/notes.bin": "application/octet-stream",
}


def get(port, path, headers=None, method="GET"):
    return et.request(port, method, path, headers)


def check_get_head(t, port, files):
    for path in ("/t1/index.m3u8", "/t1/seg_00001.m4s", "/t1/small.m4s"):
        want = files[path]
        r = get(port, path)
        t.check_eq("GET %s status" % path, r.status, 200)
        t.check_eq("GET %s body matches the file" % path, r.body, want)
        t.check_eq("GET %s Content-Length" % path, r.header("Content-Length"), str(len(want)))
        t.check("GET %s has an IMF-fixdate Date and Server" % path,
                re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|"
                             r"Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT", r.header("Date", ""))
                and r.header("Server") == "reel", r.summary())
        h = get(port, path, method="HEAD")
        same = [k for k, _ in r.headers if k.lower() != "date"]
        t.check("HEAD %s has the same headers as GET" % path,
                h.status == 200 and all(h.header(k) == r.header(k) for k in same) and
                len(h.headers) == len(r.headers), "GET %s / HEAD %s" % (r.summary(), h.summary()))
    # HEAD must send no body: a GET pipelined after it must parse cleanly
    with et.Conn(port) as c:
        c.send(et.build_request("HEAD", "/t1/small.m4s") + et.build_request("GET", "/t1/init.mp4"))
        h = c.read_response("HEAD")
        r = c.read_response("GET")
        t.check("HEAD sends no body (next response follows the head directly)",
                h.status == 200 and r.status == 200 and r.body == files["/t1/init.mp4"],
                "%s / %s" % (h.summary(), r.summary()))


def check_content_types(t, port):
    for path, ctype in TYPES.items():
        r = get(port, path)
        t.check_eq("Content-Type of %s" % os.path.basename(path), r.header("Content-Type"), ctype)


def check_validators(t, port, root, files):
    path = "/t1/index.m3u8"
    r = get(port, path)
    etag = r.header("ETag") or ""
    mtime = int(os.stat(root + path).st_mtime)
    t.check("ETag is strong and quoted", re.fullmatch(r'"[!#-~]+"', etag), etag)
    t.check_eq("Last-Modified is the file's mtime", r.header("Last-Modified"), et.http_date(mtime))
    other = get(port, "/t1/meta.json").header("ETag")
    t.check("different files have different ETags", other and other != etag, other)

    def not_modified(name, headers):
        x = get(port, path, headers)
        t.check("%s -> 304 with ETag, no body" % name,
                x.status == 304 and x.header("ETag") == etag and x.body == b"" and
                not x.has("Content-Encoding"), x.summary())
    not_modified("If-None-Match exact", {"If-None-Match": etag})
    not_modified("If-None-Match list", {"If-None-Match": '"nope", %s, "other"' % etag})
    not_modified("If-None-Match weak form", {"If-None-Match": "W/" + etag})
    not_modified("If-None-Match *", {"If-None-Match": "*"})
    not_modified("If-Modified-Since = Last-Modified", {"If-Modified-Since": et.http_date(mtime)})
    not_modified("If-Modified-Since later", {"If-Modified-Since": et.http_date(mtime + 3600)})
    x = get(port, path, {"If-None-Match": '"nope"'})
    t.check("If-None-Match other tag -> 200 with body", x.status == 200 and x.body, x.summary())
    x = get(port, path, {"If-Modified-Since": et.http_date(mtime - 3600)})
    t.check("If-Modified-Since older -> 200 with body", x.status == 200 and x.body, x.summary())
    x = get(port, path, {"If-None-Match": '"nope"', "If-Modified-Since": et.http_date(mtime)})
    t.check("If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3)",
            x.status == 200, x.summary())
    x = get(port, path, {"If-Modified-Since": "not a date"})
    t.check("invalid If-Modified-Since is ignored -> 200", x.status == 200, x.summary())
    # a 304 leaves the connection usable: no stray body bytes
    with et.Conn(port) as c:
        c.send(et.build_request("GET", path, {"If-None-Match": etag}) +
               et.build_request("GET", "/t1/init.mp4"))
        a, b = c.read_response(), c.read_response()
        t.check("304 then 200 on one connection", a.status == 304 and b.status == 200 and
                b.body == files["/t1/init.mp4"], "%s / %s" % (a.summary(), b.summary()))
    check_preconditions(t, port, path, etag, mtime, files)
    check_split_lists(t, port, path, etag)


def check_split_lists(t, port, path, etag):
    """RFC 9110 5.3: an If-Match or If-None-Match list split over lines is one list."""
    for name, headers, want in (
            ("If-Match split, the tag on the second line",
             [("If-Match", '"a"'), ("If-Match", etag)], 200),
            ("If-Match split, no line naming the tag", [("If-Match", '"a"'), ("If-Match", '"b"')],
             412),
            ("If-Match split, * beside a tag (malformed)", [("If-Match", "*"), ("If-Match", '"a"')],
             412),
            ("If-Match split, a malformed second line", [("If-Match", etag), ("If-Match", "bogus")],
             412),
            ("If-None-Match split, the tag on the second line",
             [("If-None-Match", '"a"'), ("If-None-Match", etag)], 304),
            ("If-None-Match split over three lines, the tag on the last",
             [("If-None-Match", '"a"'), ("If-None-Match", '"b", "c"'), ("If-None-Match", etag)],
             304),
            ("If-None-Match split, no line naming the tag",
             [("If-None-Match", '"a"'), ("If-None-Match", '"b"')], 200)):
        r = get(port, path, headers)
        t.check("%s -> %d" % (name, want), r.status == want, r.summary())


def check_preconditions(t, port, path, etag, mtime, files):
    """RFC 9110 13.1.1, 13.1.4 and the order of 13.2.2: 412 where a precondition fails."""
    def status(headers, p=path, method="GET"):
        r = get(port, p, headers, method)
        return r.status, r

    for name, headers in (("If-Match another tag", {"If-Match": '"other"'}),
                          ("If-Match the weak form of the tag", {"If-Match": "W/" + etag}),
                          ("If-Match a malformed list", {"If-Match": "%s, bogus" % etag}),
                          ("If-Unmodified-Since before Last-Modified",
                           {"If-Unmodified-Since": et.http_date(mtime - 3600)}),
                          ("If-Match fails before If-None-Match is looked at",
                           {"If-Match": '"other"', "If-None-Match": etag}),
                          ("If-Unmodified-Since fails before If-Range",
                           {"If-Unmodified-Since": et.http_date(mtime - 1),
                            "Range": "bytes=0-9", "If-Range": etag})):
        code, r = status(headers)
        t.check("%s -> 412 with a reason, no object" % name,
                code == 412 and r.body.startswith(b"412 Precondition Failed") and
                not r.has("Content-Range") and not r.has("Connection"), r.summary())
    code, r = status({"If-Match": '"other"'}, method="HEAD")
    t.check_eq("HEAD with a failing If-Match -> 412", code, 412)
    for name, headers, want in (
            ("If-Match the current tag", {"If-Match": etag}, 200),
            ("If-Match a list naming it", {"If-Match": '"a", %s' % etag}, 200),
            ("If-Match *", {"If-Match": "*"}, 200),
            ("If-Unmodified-Since = Last-Modified", {"If-Unmodified-Since": et.http_date(mtime)},
             200),
            ("If-Unmodified-Since not a date", {"If-Unmodified-Since": "yesterday"}, 200),
            ("If-Match passes, then If-None-Match", {"If-Match": etag, "If-None-Match": etag},
             304),
            ("If-Match wins over a failing If-Unmodified-Since",
             {"If-Match": etag, "If-Unmodified-Since": et.http_date(mtime - 3600)}, 200),
            ("If-Match with a Range", {"If-Match": etag, "Range": "bytes=0-9"}, 206)):
        code, r = status(headers)
        t.check("%s -> %d" % (name, want), code == want, r.summary())
    gz = get(port, path, {"Accept-Encoding": "gzip"}).header("ETag")
    code, r = status({"If-Match": gz, "Accept-Encoding": "gzip"})
    t.check("If-Match the gzip form's tag -> 200 gzip",
            code == 200 and r.header("Content-Encoding") == "gzip", r.summary())
    # 13.2.1: a GET of a missing object is 404 without preconditions, so it stays 404
    code, r = status({"If-Match": "*"}, "/t1/none.m3u8")
    t.check_eq("If-Match: * on a missing object -> 404 (RFC 9110 13.2.1)", code, 404)
    # a 412 keeps the connection: the next request on it is answered
    with et.Conn(port) as c:
        c.send(et.build_request("GET", path, {"If-Match": '"other"'}) +
               et.build_request("GET", "/t1/init.mp4"))
        a, b = c.read_response(), c.read_response()
        t.check("412 then 200 on one connection", a.status == 412 and b.status == 200 and
                b.body == files["/t1/init.mp4"], "%s / %s" % (a.summary(), b.summary()))


def check_gzip(t, port, files):
    path = "/t1/index.m3u8"
    plain = get(port, path)
    z = get(port, path, {"Accept-Encoding": "gzip, deflate, br"})
    t.check_eq("Accept-Encoding: gzip -> Content-Encoding: gzip", z.header("Content-Encoding"),
               "gzip")
    body = b""
    try:
        body = et.gunzip(z.body)
    except Exception as ex:
        t.check("gzip body decompresses", False, ex)
    t.check_eq("gzip body gunzips to the file", body, files[path])
    t.check("gzip body is smaller than the file", 0 < len(z.body) < len(files[path]),
            len(z.body))
    t.check_eq("gzip Content-Length is the compressed size", z.header("Content-Length"),
               str(len(z.body)))
    t.check_eq("gzip response has Vary: Accept-Encoding", z.header("Vary"), "Accept-Encoding")
    t.check_eq("identity response has Vary: Accept-Encoding", plain.header("Vary"),
               "Accept-Encoding")
    t.check("gzip ETag differs from the identity ETag",
            z.header("ETag") and plain.header("ETag") and z.header("ETag") != plain.header("ETag"),
            "%s vs %s" % (z.header("ETag"), plain.header("ETag")))
    z2 = get(port, path, {"Accept-Encoding": "gzip"})
    t.check("the compressed form is stable (same bytes, same ETag)",
            z2.body == z.body and z2.header("ETag") == z.header("ETag"), z2.summary())
    x = get(port, path, {"Accept-Encoding": "gzip", "If-None-Match": z.header("ETag") or '"x"'})
    t.check("If-None-Match with the gzip ETag -> 304 with that ETag",
            x.status == 304 and x.header("ETag") == z.header("ETag"), x.summary())
    for ae in ("gzip;q=0", "gzip; q=0.000", "identity", "*;q=0", "br"):
        x = get(port, path, {"Accept-Encoding": ae})
        t.check("Accept-Encoding: %s -> identity" % ae,
                x.status == 200 and not x.has("Content-Encoding") and x.body == files[path],
                x.summary())
    x = get(port, path, {"Accept-Encoding": "*"})
    t.check("Accept-Encoding: * -> gzip", x.header("Content-Encoding") == "gzip", x.summary())
    x = get(port, path, {"Accept-Encoding": "GZIP;q=0.5"})
    t.check("Accept-Encoding: GZIP;q=0.5 -> gzip", x.header("Content-Encoding") == "gzip",
            x.summary())
    for seg in ("/t1/seg_00001.m4s", "/t1/small.m4s", "/t1/seg_00001.ts", "/t1/init.mp4"):
        x = get(port, seg, {"Accept-Encoding": "gzip"})
        t.check("%s is never gzipped" % seg, not x.has("Content-Encoding") and
                x.body == files[seg] and not x.has("Vary"), x.summary())
    c = et.curl(t.tmp, "http://127.0.0.1:%d%s" % (port, path), "--compressed")
    t.check("curl --compressed gets gzip and the right bytes",
            c.rc == 0 and c.header("Content-Encoding") == "gzip" and c.body == files[path],
            c.summary())


def check_cors(t, port):
    r = get(port, "/t1/index.m3u8", {"Origin": "https://player.example"})
    t.check_eq("GET with Origin -> Access-Control-Allow-Origin: *",
               r.header("Access-Control-Allow-Origin"), "*")
    t.check("CORS exposes Content-Range",
            "Content-Range" in (r.header("Access-Control-Expose-Headers") or ""), r.summary())
    r = get(port, "/t1/index.m3u8", {"Origin": "https://player.example",
                                     "Access-Control-Request-Method": "GET",
                                     "Access-Control-Request-Headers": "range"}, "OPTIONS")
    t.check_eq("OPTIONS preflight status", r.status, 204)
    t.check_eq("preflight Access-Control-Allow-Origin", r.header("Access-Control-Allow-Origin"),
               "*")
    methods = [m.strip() for m in (r.header("Access-Control-Allow-Methods") or "").split(",")]
    t.check("preflight Access-Control-Allow-Methods has GET and HEAD",
            "GET" in methods and "HEAD" in methods, r.summary())
    t.check("preflight allows the Range request header",
            "range" in (r.header("Access-Control-Allow-Headers") or "").lower(), r.summary())
    t.check("preflight has no body", r.body == b"" and not r.has("Content-Length"), r.summary())


def check_cors_list(t, root):
    e = t.edge(root, content={"root": root, "cors_origins": "https://a.example https://b.example"})
    r = get(e.port, "/t1/index.m3u8", {"Origin": "https://b.example"})
    t.check("listed Origin is echoed with Vary: Origin",
            r.header("Access-Control-Allow-Origin") == "https://b.example" and
            "Origin" in ",".join(r.header_all("Vary")), r.summary())
    r = get(e.port, "/t1/index.m3u8", {"Origin": "https://evil.example"})
    t.check("unlisted Origin gets no Access-Control-Allow-Origin",
            r.status == 200 and not r.has("Access-Control-Allow-Origin"), r.summary())
    r = get(e.port, "/t1/index.m3u8", {"Origin": "https://a.example",
                                       "Access-Control-Request-Method": "GET"}, "OPTIONS")
    t.check("preflight from a listed Origin is allowed",
            r.status == 204 and r.header("Access-Control-Allow-Origin") == "https://a.example",
            r.summary())
    e.stop()


def check_cache_control(t, port):
    for path, want in (("/t1/seg_00001.m4s", CC_SEGMENT), ("/t1/small.m4s", CC_SEGMENT),
                       ("/t1/seg_00001.ts", CC_SEGMENT), ("/t1/index.m3u8", CC_PLAYLIST),
                       ("/t1/meta.json", CC_OTHER)):
        t.check_eq("Cache-Control of %s" % path, get(port, path).header("Cache-Control"), want)
    r = get(port, "/t1/index.m3u8", {"Accept-Encoding": "gzip"})
    t.check_eq("Cache-Control of the gzip playlist", r.header("Cache-Control"), CC_PLAYLIST)


def check_path_safety(t, port, files, root):
    passwd = open("/etc/passwd", "rb").read()
    outside = b"OUTSIDE-THE-ROOT"

    def refused(name, target, allowed=(400, 404)):
        r, _ = et.exchange(port, et.build_request("GET", target))
        ok = r is not None and r.status in allowed and outside not in r.body and \
            passwd[:20] not in r.body
        t.check("%s -> %s" % (name, "/".join(map(str, allowed))), ok,
                r.summary() if r else "no response")
    refused("/../etc/passwd", "/../etc/passwd")
    refused("/t1/../../etc/passwd", "/t1/../../etc/passwd")
    refused("/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/%2e%2e/etc/passwd")
    refused("/%2E%2E/outside.txt (upper case)", "/%2E%2E/outside.txt")
    refused("/t1/..%2f..%2fetc/passwd", "/t1/..%2f..%2fetc/passwd")
    refused("%2f encoded slash", "/t1%2findex.m3u8")
    refused("%5c encoded backslash", "/t1%5cindex.m3u8")
    refused("%00 in the path", "/t1/index.m3u8%00.txt")
    refused("bad percent escape", "/t1/index.m3u8%zz")
    refused("symlink to /etc/passwd", "/t1/passwd-link")
    refused("symlink to a folder outside", "/outdir/outside.txt")
    refused("symlink to a file outside the root", "/t1/outside-link.txt")
    refused("absolute symlink back into the root", "/t1/abs-link.m3u8")
    r = get(port, "/t1/rel-link.m3u8")
    t.check("relative symlink to a file inside the root is served",
            r.status == 200 and r.body == files["/t1/index.m3u8"], r.summary())
    r = get(port, "/t2/index.m3u8")
    t.check("symlinked folder inside the root is served",
            r.status == 200 and r.body == files["/t1/index.m3u8"], r.summary())
    for target in ("/.secret", "/t1/.hidden.m3u8", "/.git/config", "/t1", "/t1/", "/", "/nope",
                   "/t1/index.m3u8/", "/t1/missing.m4s"):
        r = get(port, target)
        t.check_eq("GET %s -> 404" % target, r.status, 404)
    r = get(port, "/t1/%69ndex.m3u8")
    t.check("percent-encoded ordinary letters decode (/t1/%69ndex.m3u8)",
            r.status == 200 and r.body == files["/t1/index.m3u8"], r.summary())
    r = get(port, "/t1/index.m3u8?token=abc&x=../../etc/passwd")
    t.check("a query string is ignored",
            r.status == 200 and r.body == files["/t1/index.m3u8"], r.summary())


def make_unsafe_links(root, outside_dir):
    et.write_file(os.path.join(outside_dir, "outside.txt"), b"OUTSIDE-THE-ROOT\n")
    et.write_file(os.path.join(root, ".secret"), b"secret\n")
    et.write_file(os.path.join(root, "t1", ".hidden.m3u8"), b"#EXTM3U\n")
    et.write_file(os.path.join(root, ".git", "config"), b"[core]\n")
    os.symlink("/etc/passwd", os.path.join(root, "t1", "passwd-link"))
    os.symlink(outside_dir, os.path.join(root, "outdir"))
    os.symlink(os.path.join(outside_dir, "outside.txt"), os.path.join(root, "t1",
                                                                        "outside-link.txt"))
    os.symlink(os.path.join(root, "t1", "index.m3u8"), os.path.join(root, "t1", "abs-link.m3u8"))
    os.symlink("index.m3u8", os.path.join(root, "t1", "rel-link.m3u8"))
    os.symlink("t1", os.path.join(root, "t2"))


def check_health_and_methods(t, port):
    r = get(port, "/healthz")
    t.check("/healthz -> 200 ok", r.status == 200 and r.body == b"ok\n", r.summary())
    for m in ("POST", "PUT", "DELETE", "PATCH", "BREW"):
        raw = et.build_request(m, "/t1/index.m3u8", {"Content-Length": "0"})
        r, _ = et.exchange(port, raw, m)
        allow = [x.strip() for x in (r.header("Allow") or "").split(",")] if r else []
        t.check("%s -> 405 with Allow: GET, HEAD" % m,
                r is not None and r.status == 405 and "GET" in allow and "HEAD" in allow,
                r.summary() if r else "no response")
    r = get(port, "/healthz")
    t.check("still serving after the 405s", r.status == 200, r.summary())


def check_metrics(t, e):
    """/metrics on the metrics listener: counters of both listeners' requests."""
    port = e.port

    def scrape():
        r = get(e.metrics_port, "/metrics")
        return r, et.parse_metrics(r.body.decode())
    r, m0 = scrape()
    t.check("/metrics is Prometheus text",
            r.status == 200 and (r.header("Content-Type") or "").startswith("text/plain") and
            "# TYPE reel_http_requests_total counter" in r.body.decode(), r.summary())
    k200 = 'reel_http_requests_total{code="200"}'
    k404 = 'reel_http_requests_total{code="404"}'
    t.check("metrics have the 200 and 404 counters", k200 in m0 and k404 in m0, list(m0)[:5])
    for _ in range(7):
        get(port, "/t1/small.m4s")
    for _ in range(3):
        get(port, "/t1/none")
    r, m1 = scrape()
    # the first scrape itself counts as a 200 once it is answered
    t.check_eq("200 counter grew by the requests made (7 + the scrape)",
               m1.get(k200, 0) - m0.get(k200, 0), 8)
    t.check_eq("404 counter grew by 3", m1.get(k404, 0) - m0.get(k404, 0), 3)
    inf = 'reel_http_request_duration_seconds_bucket{le="+Inf"}'
    t.check("latency histogram has buckets and +Inf == count",
            'reel_http_request_duration_seconds_bucket{le="0.0001"}' in m1 and inf in m1 and
            m1[inf] == m1.get("reel_http_request_duration_seconds_count"), r.body[:200])
    t.check("+Inf bucket counts every request",
            m1.get(inf, 0) == sum(v for k, v in m1.items()
                                  if k.startswith("reel_http_requests_total")), m1.get(inf))
    with et.Conn(port) as c1, et.Conn(port) as c2:
        c1.send(et.build_request("GET", "/healthz"))
        c1.read_response()
        c2.send(et.build_request("GET", "/healthz"))
        c2.read_response()
        _, m2 = scrape()
        t.check("reel_http_open_connections counts open connections (>= 3)",
                m2.get("reel_http_open_connections", 0) >= 3, m2.get("reel_http_open_connections"))
    time.sleep(0.3)
    _, m3 = scrape()
    t.check_eq("reel_http_open_connections drops back to 1 (the scrape)",
               m3.get("reel_http_open_connections"), 1.0)
    t.check("bytes sent counter grows",
            m3.get("reel_http_response_bytes_total", 0) > m0.get("reel_http_response_bytes_total",
                                                                 0) + 7 * 10000, "")


def check_metrics_listeners(t, root, e):
    """Counters are for the operator: not on content listeners unless configured."""
    r = get(e.port, "/metrics")
    t.check("/metrics on a content listener -> 404 with a reason",
            r.status == 404 and b"[metrics]" in r.body and b"reel_http" not in r.body, r.summary())
    r = get(e.metrics_port, "/t1/index.m3u8")
    t.check_eq("the metrics listener serves no content", r.status, 404)
    t.check_eq("the metrics listener answers /healthz", get(e.metrics_port, "/healthz").status,
               200)
    r = get(e.metrics_port, "/metrics", method="HEAD")
    t.check("HEAD /metrics on the metrics listener", r.status == 200 and r.body == b"",
            r.summary())
    r, _ = et.exchange(e.metrics_port, et.build_request("POST", "/metrics",
                                                        {"Content-Length": "0"}))
    t.check("POST /metrics -> 405", r is not None and r.status == 405, r and r.summary())
    both = t.edge(root, metrics={"on_content": "on"})
    r = get(both.port, "/metrics")
    t.check("[metrics] on_content = on: /metrics on the content listener too",
            r.status == 200 and b"reel_http_requests_total" in r.body, r.summary())
    t.check_eq("... and still on the metrics listener",
               get(both.metrics_port, "/metrics").status, 200)
    both.stop()
    none = t.edge(root, metrics={"listen": "off"})
    t.check("[metrics] listen = off: no metrics listener, content served",
            get(none.port, "/t1/index.m3u8").status == 200 and
            "(metrics)" not in none.logs_full(), none.logs()[-300:])
    none.stop()


def check_changes_on_disk(t, port, root):
    path = "/t1/changing.json"
    et.write_file(root + path, b'{"v": 1}\n')
    a = get(port, path)
    et.write_file(root + path + ".new", b'{"v": 2, "longer": true}\n')
    os.rename(root + path + ".new", root + path)
    time.sleep(REVALIDATE + 0.3)
    b = get(port, path)
    t.check("a replaced file is served new after revalidate, with a new ETag",
            a.body == b'{"v": 1}\n' and b.body == b'{"v": 2, "longer": true}\n' and
            a.header("ETag") != b.header("ETag"), (a.summary(), b.summary()))
    with open(root + path, "r+b") as f:  # same size, rewritten in place
        f.write(b'{"v": 3, "longer": true}\n')
    os.utime(root + path, (time.time() + 5, time.time() + 5))
    time.sleep(REVALIDATE + 0.3)
    c = get(port, path)
    t.check("a file rewritten in place is served new after revalidate, with a new ETag",
            c.body == b'{"v": 3, "longer": true}\n' and c.header("ETag") != b.header("ETag"),
            c.summary())
    os.unlink(root + path)
    time.sleep(REVALIDATE + 0.3)
    t.check_eq("a deleted file is 404 after revalidate", get(port, path).status, 404)


def read_log(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [ln for ln in f.read().splitlines() if "/healthz" not in ln]


def check_access_log(t, root, files):
    alog = os.path.join(t.tmp, "access.log")
    e = t.edge(root, log={"access_log": alog})
    url = "http://127.0.0.1:%d/t1/meta.json" % e.port
    c1 = et.curl(t.tmp, url, "-e", "https://ref.example/page")
    c2 = et.curl(t.tmp, url)
    et.curl(t.tmp, "http://127.0.0.1:%d/t1/nothing-here" % e.port)
    t.check("curl requests for the access log succeed", c1.status == 200 and c2.status == 200,
            c1.summary())
    # no signal: buffered lines reach the file within a second, as tail -f expects
    t0 = time.monotonic()
    lines = read_log(alog)
    while len(lines) < 3 and time.monotonic() - t0 < 3:
        time.sleep(0.05)
        lines = read_log(alog)
    waited = time.monotonic() - t0
    t.check("access log lines are written within 1 s, unasked", len(lines) >= 3 and waited < 1.0,
            "%d lines after %.2f s" % (len(lines), waited))
    size = len(files["/t1/meta.json"])
    pat = (r'127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
           r'"GET /t1/meta\.json HTTP/1\.1" 200 %d "%s" "curl/[0-9.]+" \d+\.\d{3} %s')
    t.check("access log line 1: combined + time + MISS",
            len(lines) >= 1 and re.fullmatch(pat % (size, re.escape("https://ref.example/page"),
                                                    "MISS"), lines[0]), lines[:1])
    t.check("access log line 2: the same object is a HIT",
            len(lines) >= 2 and re.fullmatch(pat % (size, "-", "HIT"), lines[1]), lines[1:2])
    t.check("access log line 3: a 404",
            len(lines) >= 3 and re.fullmatch(
                r'127\.0\.0\.1 - - \[[^]]+\] "GET /t1/nothing-here HTTP/1\.1" 404 \d+ "-" '
                r'"curl/[0-9.]+" \d+\.\d{3} -', lines[2]), lines[2:3])
    # at exit: what was answered just before SIGTERM is in the file once the edge is gone
    for i in range(5):
        et.request(e.port, "GET", "/t1/init.mp4?last=%d" % i)
    e.signal(signal.SIGTERM)
    t.check_eq("reel-edge exits after SIGTERM", e.wait_exit(10), 0)
    t.check("the lines of the last requests are written at exit",
            sum("/t1/init.mp4?last=" in ln for ln in read_log(alog)) == 5, read_log(alog)[-3:])
    e.stop()


def main(t):
    root = os.path.join(t.tmp, "content")
    files = et.make_content(root)
    make_unsafe_links(root, os.path.join(t.tmp, "outside"))
    e = t.edge(root, content={"cache_control_segment": CC_SEGMENT,
                              "cache_control_playlist": CC_PLAYLIST,
                              "cache_control_other": CC_OTHER},
               cache={"revalidate": "%dms" % (REVALIDATE * 1000)})
    check_get_head(t, e.port, files)
    check_content_types(t, e.port)
    check_validators(t, e.port, root, files)
    check_gzip(t, e.port, files)
    check_cors(t, e.port)
    check_cache_control(t, e.port)
    check_path_safety(t, e.port, files, root)
    check_health_and_methods(t, e.port)
    check_metrics(t, e)
    check_metrics_listeners(t, root, e)
    check_changes_on_disk(t, e.port, root)
    check_cors_list(t, root)
    check_access_log(t, root, files)


if __name__ == "__main__":
    et.run(main)
