#!/usr/bin/env python3
"""reel-edge Range requests (RFC 9110 section 14), byte for byte, with curl -r
and with raw Range headers, on a 2 MB file (sent with sendfile) and a 10 KB
file (served from memory)."""

import os

import edgetest as et

MAX_RANGES = 8
BIG = "/t1/seg_00001.m4s"     # 2 MiB, above inline_max
SMALL = "/t1/small.m4s"       # 10000 bytes, kept in memory


def get(port, path, headers=None, method="GET"):
    return et.request(port, method, path, headers)


def check_single(t, port, path, data, label):
    n = len(data)
    cases = [
        ("bytes=0-99", 0, 99),
        ("bytes=500-", 500, n - 1),
        ("bytes=-500", n - 500, n - 1),
        ("bytes=%d-%d" % (n - 1, n - 1), n - 1, n - 1),
        ("bytes=-1", n - 1, n - 1),
        ("bytes=0-%d" % (n - 1), 0, n - 1),
        ("bytes=0-", 0, n - 1),
        ("bytes=100-%d" % (n + 5000), 100, n - 1),   # last-pos past the end is clipped
        ("bytes=-%d" % (n + 10), 0, n - 1),          # suffix longer than the file
        ("bytes=1000-1000", 1000, 1000),
        ("Bytes = 7-9".replace(" ", ""), 7, 9),
        ("bytes= 3-5", 3, 5),                         # OWS after '=' (RFC example)
    ]
    for spec, first, last in cases:
        r = get(port, path, {"Range": spec})
        ok = (r.status == 206 and r.body == data[first:last + 1] and
              r.header("Content-Range") == "bytes %d-%d/%d" % (first, last, n) and
              r.header("Content-Length") == str(last - first + 1) and
              r.header("Content-Type") == "video/iso.segment")
        t.check("%s Range: %s -> 206 %d-%d" % (label, spec, first, last), ok, r.summary())


def check_curl(t, port, path, data, label):
    n = len(data)
    url = "http://127.0.0.1:%d%s" % (port, path)
    for spec, want in (("0-99", data[0:100]), ("500-", data[500:]), ("-500", data[-500:]),
                       ("%d-%d" % (n // 2, n // 2 + 65535), data[n // 2:n // 2 + 65536])):
        c = et.curl(t.tmp, url, "-r", spec)
        t.check("%s curl -r %s" % (label, spec), c.rc == 0 and c.status == 206 and c.body == want,
                c.summary())
    c = et.curl(t.tmp, url, "-r", "0-9,20-29,-10")
    parts = []
    try:
        parts = et.parse_multipart(c.body, c.header("Content-Type"))
    except ValueError as ex:
        t.check("%s curl multipart parses" % label, False, ex)
    t.check("%s curl -r 0-9,20-29,-10 -> 3 parts with the right bytes" % label,
            c.status == 206 and [p[1] for p in parts] == [data[0:10], data[20:30], data[-10:]],
            c.summary())


def check_unsatisfiable(t, port, path, data, label):
    n = len(data)
    for spec in ("bytes=%d-" % n, "bytes=%d-%d" % (n + 10, n + 20), "bytes=-0",
                 "bytes=%d-,%d-" % (n, n + 1)):
        r = get(port, path, {"Range": spec})
        t.check("%s Range: %s -> 416 with Content-Range: bytes */%d" % (label, spec, n),
                r.status == 416 and r.header("Content-Range") == "bytes */%d" % n and
                r.header("Content-Length") == "0" and r.body == b"", r.summary())
    r = get(port, path, {"Range": "bytes=%d-,0-9" % n})
    t.check("%s one unsatisfiable + one good range -> 206 for the good one" % label,
            r.status == 206 and r.body == data[:10] and
            r.header("Content-Range") == "bytes 0-9/%d" % n, r.summary())


def check_ignored(t, port, path, data, label):
    too_many = "bytes=" + ",".join("%d-%d" % (i * 10, i * 10) for i in range(MAX_RANGES + 1))
    for spec in ("bytes=abc", "bytes=5-1", "items=0-1", "bytes=", "bytes=0-1;x", "bytes 0-1",
                 "bytes=--1", "bytes=1-2-3", too_many):
        r = get(port, path, {"Range": spec})
        t.check("%s Range: %s -> 200 whole" % (label, spec if len(spec) < 30 else
                                              "%d ranges (> max_ranges)" % (MAX_RANGES + 1)),
                r.status == 200 and r.body == data and not r.has("Content-Range"), r.summary())
    r = get(port, path)
    t.check_eq("%s Accept-Ranges: bytes on 200" % label, r.header("Accept-Ranges"), "bytes")


def check_multipart(t, port, path, data, label):
    n = len(data)
    specs = [(0, 99), (1000, 1999), (n - 50, n - 1)]
    r = get(port, path, {"Range": "bytes=" + ",".join("%d-%d" % s for s in specs)})
    ctype = r.header("Content-Type") or ""
    t.check("%s 3 ranges -> 206 multipart/byteranges" % label,
            r.status == 206 and ctype.startswith("multipart/byteranges; boundary=") and
            not r.has("Content-Range"), r.summary())
    t.check_eq("%s multipart Content-Length is the body size" % label,
               r.header("Content-Length"), str(len(r.body)))
    try:
        parts = et.parse_multipart(r.body, ctype)
    except ValueError as ex:
        parts = []
        t.check("%s multipart body parses" % label, False, ex)
    t.check_eq("%s multipart has 3 parts" % label, len(parts), 3)
    for (hdrs, body), (first, last) in zip(parts, specs):
        t.check("%s part %d-%d: Content-Range, Content-Type and bytes" % (label, first, last),
                hdrs.get("content-range") == "bytes %d-%d/%d" % (first, last, n) and
                hdrs.get("content-type") == "video/iso.segment" and
                body == data[first:last + 1], (hdrs, len(body)))
    # unsorted ranges come back ascending (the server may reorder, RFC 9110 14.2)
    r = get(port, path, {"Range": "bytes=-10,0-9"})
    parts = et.parse_multipart(r.body, r.header("Content-Type")) if r.status == 206 and \
        "multipart" in (r.header("Content-Type") or "") else []
    t.check("%s Range: bytes=-10,0-9 -> two parts, the right bytes" % label,
            sorted(p[1] for p in parts) == sorted([data[:10], data[-10:]]), r.summary())
    # exactly max_ranges ranges are still served
    specs = [(i * 100, i * 100 + 9) for i in range(MAX_RANGES)]
    r = get(port, path, {"Range": "bytes=" + ",".join("%d-%d" % s for s in specs)})
    parts = et.parse_multipart(r.body, r.header("Content-Type")) if r.status == 206 else []
    t.check("%s %d ranges (= max_ranges) -> %d parts" % (label, MAX_RANGES, MAX_RANGES),
            [p[1] for p in parts] == [data[a:b + 1] for a, b in specs], r.summary())
    specs = [(i * 100, i * 100 + 9) for i in range(MAX_RANGES + 1)]
    r = get(port, path, {"Range": "bytes=" + ",".join("%d-%d" % s for s in specs)})
    t.check("%s %d ranges (> max_ranges) -> 200 whole" % (label, MAX_RANGES + 1),
            r.status == 200 and r.body == data, r.summary())


def check_coalesce(t, port, path, data, label):
    n = len(data)
    for spec, first, last in (("bytes=0-99,50-149", 0, 149), ("bytes=50-149,0-99", 0, 149),
                              ("bytes=0-99,100-199", 0, 199), ("bytes=0-9,0-9", 0, 9),
                              ("bytes=10-20,-%d" % (n - 15), 10, n - 1)):
        r = get(port, path, {"Range": spec})
        t.check("%s Range: %s coalesced into one 206 %d-%d" % (label, spec, first, last),
                r.status == 206 and r.header("Content-Range") == "bytes %d-%d/%d" % (
                    first, last, n) and r.body == data[first:last + 1], r.summary())


def check_if_range(t, port, path, root, data, label):
    base = get(port, path)
    etag, lm = base.header("ETag"), base.header("Last-Modified")
    mtime = int(os.stat(root + path).st_mtime)
    cases = [
        ("current ETag", etag, 206),
        ("old ETag", '"0000-1"', 200),
        ("weak current ETag (strong comparison)", "W/" + (etag or ""), 200),
        ("Last-Modified date", lm, 206),
        ("an older date", et.http_date(mtime - 10), 200),
        ("a later date", et.http_date(mtime + 10), 200),
        ("garbage", "yesterday", 200),
    ]
    for name, value, want in cases:
        r = get(port, path, {"Range": "bytes=10-19", "If-Range": value})
        if want == 206:
            ok = r.status == 206 and r.body == data[10:20]
        else:
            ok = r.status == 200 and r.body == data
        t.check("%s If-Range with %s -> %d" % (label, name, want), ok, r.summary())
    r = get(port, path, {"Range": "bytes=10-19", "If-None-Match": etag})
    t.check("%s Range + matching If-None-Match -> 304" % label,
            r.status == 304 and r.body == b"", r.summary())


def check_head(t, port, path, data, label):
    n = len(data)
    with et.Conn(port) as c:
        c.send(et.build_request("HEAD", path, {"Range": "bytes=0-99"}) +
               et.build_request("HEAD", path, {"Range": "bytes=0-1,5-6"}) +
               et.build_request("GET", "/healthz"))
        a = c.read_response("HEAD")
        b = c.read_response("HEAD")
        z = c.read_response("GET")
    t.check("%s HEAD with Range -> 206 head, no body" % label,
            a.status == 206 and a.header("Content-Range") == "bytes 0-99/%d" % n and
            a.header("Content-Length") == "100", a.summary())
    t.check("%s HEAD with 2 ranges -> 206 multipart head, no body" % label,
            b.status == 206 and "multipart/byteranges" in (b.header("Content-Type") or ""),
            b.summary())
    t.check("%s nothing after the HEAD heads (next response parses)" % label,
            z.status == 200 and z.body == b"ok\n", z.summary())


def check_pipelined_ranges(t, port, path, data, label):
    """Range responses pipelined on one connection keep their framing."""
    specs = ["bytes=0-0", "bytes=-3", "bytes=0-1,4-5", "bytes=%d-" % len(data), "bytes=7-8"]
    with et.Conn(port) as c:
        c.send(b"".join(et.build_request("GET", path, {"Range": s}) for s in specs))
        rs = [c.read_response() for _ in specs]
    t.check("%s 5 pipelined range requests answered in order" % label,
            [r.status for r in rs] == [206, 206, 206, 416, 206] and rs[0].body == data[:1] and
            rs[1].body == data[-3:] and rs[4].body == data[7:9],
            [r.status for r in rs])


def main(t):
    root = os.path.join(t.tmp, "content")
    files = et.make_content(root)
    e = t.edge(root, content={"max_ranges": str(MAX_RANGES)})
    for path, label in ((BIG, "2MB"), (SMALL, "10KB")):
        data = files[path]
        check_single(t, e.port, path, data, label)
        check_curl(t, e.port, path, data, label)
        check_unsatisfiable(t, e.port, path, data, label)
        check_ignored(t, e.port, path, data, label)
        check_multipart(t, e.port, path, data, label)
        check_coalesce(t, e.port, path, data, label)
        check_if_range(t, e.port, path, root, data, label)
        check_head(t, e.port, path, data, label)
        check_pipelined_ranges(t, e.port, path, data, label)
    # a playlist range with Accept-Encoding: the range is of the identity form
    pl = files["/t1/index.m3u8"]
    r = get(e.port, "/t1/index.m3u8", {"Range": "bytes=0-6", "Accept-Encoding": "gzip"})
    t.check("playlist Range with Accept-Encoding: gzip -> identity bytes 0-6",
            r.status == 206 and r.body == pl[:7] and not r.has("Content-Encoding"), r.summary())


if __name__ == "__main__":
    et.run(main)
