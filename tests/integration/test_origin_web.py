#!/usr/bin/env python3
"""The web player's files at reel-origin, over raw HTTP/1.1 and HTTPS: the
page at "/" with its Content-Security-Policy (built from the edge URL and
[web] edge_origins), Content-Types, strong ETags and 304/412, one range and
416, gzip negotiation, HEAD, 405, paths that are not the web's (the API
answers them), SIGHUP reading a new build and keeping the old files when the
new folder has a problem, and roots the origin refuses to start with.

The files come from the build ($REEL_WEB_ROOT, BUILDDIR/origin/web/site),
copied into the test's folder so the test can change them."""

import gzip
import os
import re
import shutil
import signal
import ssl
import subprocess
import time

import edgetest as et
import origintest as ot

WEB_ROOT = os.environ.get("REEL_WEB_ROOT",
                          os.path.join(et.SOURCE_ROOT, "build", "origin", "web", "site"))
EDGE_URL = "https://edge1.example.net:8443/cdn"
MORE = "https://edge2.example.net http://127.0.0.1:9"


def get(o, path, headers=(), method="GET", tls=False):
    ctx = None
    port = o.port
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        port = o.tls_port
    with et.Conn(port, tls_ctx=ctx) as c:
        c.send(et.build_request(method, path, list(headers)))
        return c.read_response(method)


def csp_directives(value):
    out = {}
    for part in (value or "").split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def page(t, o, root):
    r = get(o, "/")
    t.check_eq("GET / is 200", r.status, 200)
    with open(os.path.join(root, "index.html"), "rb") as f:
        index = f.read()
    t.check("... the player's index.html", r.body == index, r.summary())
    t.check_eq("... as text/html; charset=utf-8", r.header("Content-Type"),
               "text/html; charset=utf-8")
    t.check_eq("... revalidated each use (Cache-Control: no-cache)", r.header("Cache-Control"),
               "no-cache")
    csp = csp_directives(r.header("Content-Security-Policy"))
    t.check_eq("the CSP allows nothing by default", csp.get("default-src"), ["'none'"])
    t.check_eq("... scripts only from the page's origin (no inline, no eval)",
               csp.get("script-src"), ["'self'"])
    t.check_eq("... styles likewise", csp.get("style-src"), ["'self'"])
    t.check_eq("... hls.js's worker from the page's origin", csp.get("worker-src"), ["'self'"])
    t.check_eq("... fetches from the page, the edge URL's origin and [web] edge_origins",
               csp.get("connect-src"), ["'self'", "https://edge1.example.net:8443",
                                        "https://edge2.example.net", "http://127.0.0.1:9"])
    t.check_eq("... media likewise, blob: for Media Source Extensions, data: for hls.js's "
               "empty WebVTT tracks",
               csp.get("media-src"), ["'self'", "blob:", "data:", "https://edge1.example.net:8443",
                                      "https://edge2.example.net", "http://127.0.0.1:9"])
    t.check_eq("... no framing", csp.get("frame-ancestors"), ["'none'"])
    t.check_eq("... no <base>", csp.get("base-uri"), ["'none'"])
    t.check("... and nowhere 'unsafe-inline', 'unsafe-eval', * or data: but for media",
            not re.search(r"unsafe-|\*", r.header("Content-Security-Policy") or "")
            and [d for d, v in csp.items() if "data:" in v] == ["media-src"],
            r.header("Content-Security-Policy"))
    for name, want in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                       ("Referrer-Policy", "no-referrer"),
                       ("Cross-Origin-Opener-Policy", "same-origin")):
        t.check_eq("%s: %s" % (name, want), r.header(name), want)
    t.check("the page loads its script as a module file: no inline script or handler",
            b'<script type="module" src="/app.js"></script>' in index
            and len(re.findall(rb"<script", index)) == 1
            and not re.search(rb"\son[a-z]+=|javascript:|style=", index), index[:300])
    r = get(o, "/index.html")
    t.check("/index.html is the same file", r.status == 200 and r.body == index, r.summary())
    r = get(o, "/", tls=True)
    t.check("over HTTPS too, with the same CSP",
            r.status == 200 and csp_directives(r.header("Content-Security-Policy")) == csp,
            r.summary())


def types(t, o, root):
    for path, want in (("/app.js", "text/javascript; charset=utf-8"),
                       ("/style.css", "text/css; charset=utf-8"),
                       ("/icon.svg", "image/svg+xml"),
                       ("/vendor/hls.min.mjs", "text/javascript; charset=utf-8"),
                       ("/vendor/hls.worker.js", "text/javascript; charset=utf-8"),
                       ("/vendor/hls.js-LICENSE.txt", "text/plain; charset=utf-8")):
        r = get(o, path)
        with open(os.path.join(root, path[1:]), "rb") as f:
            data = f.read()
        t.check("GET %s: 200 %s, the file's bytes" % (path, want),
                r.status == 200 and r.header("Content-Type") == want and r.body == data,
                r.summary())


def validators(t, o):
    r = get(o, "/app.js")
    etag, lm = r.header("ETag"), r.header("Last-Modified")
    t.check("a strong ETag and Last-Modified", etag and etag.startswith('"') and lm, r.summary())
    r = get(o, "/app.js", [("If-None-Match", etag)])
    t.check("If-None-Match with it: 304, no body, the same ETag",
            r.status == 304 and not r.body and r.header("ETag") == etag, r.summary())
    r = get(o, "/app.js", [("If-Modified-Since", lm)])
    t.check_eq("If-Modified-Since its date: 304", r.status, 304)
    r = get(o, "/app.js", [("If-None-Match", '"other"')])
    t.check_eq("another ETag: 200", r.status, 200)
    r = get(o, "/app.js", [("If-Match", '"other"')])
    t.check_eq("If-Match with another ETag: 412", r.status, 412)
    z = get(o, "/app.js", [("Accept-Encoding", "gzip")])
    t.check("the gzip form has its own ETag", z.header("ETag") not in (None, etag), z.summary())
    r = get(o, "/app.js", [("If-None-Match", z.header("ETag") or "x"),
                           ("Accept-Encoding", "gzip")])
    t.check("If-None-Match with the gzip ETag: 304 naming the gzip form",
            r.status == 304 and r.header("ETag") == z.header("ETag")
            and r.header("Content-Encoding") == "gzip", r.summary())


def ranges(t, o, root):
    with open(os.path.join(root, "vendor", "hls.min.mjs"), "rb") as f:
        data = f.read()
    r = get(o, "/vendor/hls.min.mjs", [("Range", "bytes=100-1099")])
    t.check("Range: 206 with the bytes and Content-Range",
            r.status == 206 and r.body == data[100:1100]
            and r.header("Content-Range") == "bytes 100-1099/%d" % len(data), r.summary())
    r = get(o, "/vendor/hls.min.mjs", [("Range", "bytes=-10")])
    t.check("a suffix range", r.status == 206 and r.body == data[-10:], r.summary())
    r = get(o, "/vendor/hls.min.mjs", [("Range", "bytes=%d-" % (len(data) + 5))])
    t.check("a range past the end: 416 with bytes */SIZE",
            r.status == 416 and r.header("Content-Range") == "bytes */%d" % len(data),
            r.summary())
    r = get(o, "/vendor/hls.min.mjs", [("Range", "bytes=0-1,10-11")])
    t.check("two ranges: the whole file (one range at most)",
            r.status == 200 and r.body == data, r.summary())
    r = get(o, "/vendor/hls.min.mjs", [("Range", "bytes=0-9"), ("If-Range", '"stale"')])
    t.check("If-Range with another ETag: the whole file", r.status == 200 and r.body == data,
            r.summary())
    r = get(o, "/vendor/hls.min.mjs", [("Range", "bytes=0-9"), ("Accept-Encoding", "gzip")])
    t.check("a range applies to the identity form even when gzip is accepted",
            r.status == 206 and r.body == data[:10] and not r.has("Content-Encoding"),
            r.summary())


def compression(t, o, root):
    with open(os.path.join(root, "vendor", "hls.min.mjs"), "rb") as f:
        data = f.read()
    r = get(o, "/vendor/hls.min.mjs", [("Accept-Encoding", "br, gzip;q=0.8")])
    t.check("Accept-Encoding gzip: the gzip form, Vary: Accept-Encoding",
            r.status == 200 and r.header("Content-Encoding") == "gzip"
            and r.header("Vary") == "Accept-Encoding", r.summary())
    t.check("... which unpacks to the file, at most a third of its size",
            et.gunzip(r.body) == data and len(r.body) * 3 < len(data), len(r.body))
    r = get(o, "/vendor/hls.min.mjs", [("Accept-Encoding", "gzip;q=0, identity")])
    t.check("gzip;q=0: the identity form", r.status == 200 and r.body == data
            and not r.has("Content-Encoding"), r.summary())
    r = get(o, "/noise.txt", [("Accept-Encoding", "gzip")])
    t.check("a file that gzip would not shrink is sent as it is",
            r.status == 200 and not r.has("Content-Encoding"), r.summary())
    r = get(o, "/vendor/hls.min.mjs", method="HEAD")
    t.check("HEAD: the headers and no body",
            r.status == 200 and r.header("Content-Length") == str(len(data)) and not r.body,
            r.summary())


def not_web(t, o):
    r = get(o, "/app.js", method="POST")
    t.check("POST to a web file: 405 Allow: GET, HEAD",
            r.status == 405 and r.header("Allow") == "GET, HEAD", r.summary())
    for path in ("/nope.js", "/vendor/", "/vendor", "/.hidden", "/%2e%2e/etc/passwd",
                 "/vendor/../app.js", "/app.js/"):
        r = get(o, path)
        t.check("%s is not a web file: the API's 404 not_found or a 400" % path,
                r.status == 400 or (r.status == 404 and b'"not_found"' in r.body), r.summary())
    r = get(o, "/api/v1/titles")
    t.check("the API answers its paths as before (401 without a session)",
            r.status == 401 and r.header("Content-Type") == "application/json", r.summary())
    r = get(o, "/healthz")
    t.check("... and /healthz", r.status == 200 and b'"ok"' in r.body, r.summary())
    r = et.request(o.admin_port, "GET", "/app.js")
    t.check_eq("the web files are not on the admin listener", r.status, 404)


def rebuild(o, root, line, bad=None):
    """Append LINE to ROOT/app.js (and write the file BAD, of an unknown type), SIGHUP,
    and wait for the origin's line about the reload."""
    if bad:
        with open(os.path.join(root, bad), "wb") as f:
            f.write(b"MZ")
    with open(os.path.join(root, "app.js"), "ab") as f:
        f.write(line)
    said = lambda: len(re.findall(r"reload: .*web player", o.logs()))
    seen = said()
    o.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while said() == seen and time.monotonic() < deadline:
        time.sleep(0.05)


def reload(t, o, root):
    before = get(o, "/app.js")
    rebuild(o, root, b"\n// a new build\n")
    r = get(o, "/app.js")
    t.check("after SIGHUP the new build's file is served, with a new ETag",
            r.body.endswith(b"// a new build\n") and r.header("ETag") != before.header("ETag"),
            r.summary())
    rebuild(o, root, b"// broken build\n", bad="notes.exe")
    r = get(o, "/app.js")
    t.check("a folder with a file of unknown type keeps the files in use",
            r.body.endswith(b"// a new build\n"), r.body[-40:])
    t.check("... and the log names the file", "notes.exe" in o.logs()
            and "keeping the web player's files" in o.logs(), o.logs()[-500:])
    os.unlink(os.path.join(root, "notes.exe"))


def refused_roots(t, tmp):
    """Roots and settings reel-origin refuses, each with a line that names the problem."""
    def run(name, sections, want):
        conf = os.path.join(tmp, re.sub(r"\W+", "-", name) + ".conf")
        with open(conf, "w") as f:
            f.write(et.format_config(dict({"server": {"listen": "127.0.0.1:%d" % et.free_port()},
                                           "admin": {"listen": "off"},
                                           "store": {"data_dir": conf + ".data",
                                                     "map_size": "16m"}}, **sections)))
        p = subprocess.run([ot.ORIGIN_BIN, "-c", conf], capture_output=True, text=True,
                           timeout=20, stdin=subprocess.DEVNULL)
        t.check("reel-origin refuses %s: exit 1 naming it" % name,
                p.returncode == 1 and want in p.stderr, (p.returncode, p.stderr[-400:]))

    def root_with(name, files):
        d = os.path.join(tmp, "root-" + name)
        os.makedirs(d)
        for rel, data in files.items():
            et.write_file(os.path.join(d, rel), data)
        return d

    page = {"index.html": b"<!doctype html><title>x</title>"}
    run("a missing root", {"web": {"root": os.path.join(tmp, "nowhere")}}, "nowhere")
    run("a root without index.html", {"web": {"root": root_with("noindex", {"a.js": b"1"})}},
        "index.html")
    run("a file of unknown type", {"web": {"root": root_with("exe", dict(page, **{
        "x.exe": b"MZ"}))}}, "x.exe")
    run("a root holding api/", {"web": {"root": root_with("api", dict(page, **{
        "api/v1.json": b"{}"}))}}, "api")
    link = root_with("link", page)
    os.symlink("/etc/passwd", os.path.join(link, "passwd.txt"))
    run("a symbolic link", {"web": {"root": link}}, "passwd.txt")
    deep = root_with("deep", dict(page, **{"a/b/c/d/e/f.js": b"1"}))
    run("folders nested too deep", {"web": {"root": deep}}, "deeper")
    for value in ("https://edge.example.net/path", "javascript:alert(1)", "https://a b;c",
                  "https://user@edge.example.net"):
        conf = os.path.join(tmp, "origins.conf")
        with open(conf, "w") as f:
            f.write("[web]\nedge_origins = %s\n" % value)
        p = subprocess.run([ot.ORIGIN_BIN, "-t", "-c", conf], capture_output=True, text=True)
        t.check("-t refuses [web] edge_origins = %s" % value,
                p.returncode == 1 and "edge_origins" in p.stderr, p.stderr)
    conf = os.path.join(tmp, "edgeurl.conf")
    with open(conf, "w") as f:
        f.write("[playback]\nedge_url = https://edge.example.net;script-src *\n")
    p = subprocess.run([ot.ORIGIN_BIN, "-t", "-c", conf], capture_output=True, text=True)
    t.check("-t refuses an edge_url whose host could break the CSP",
            p.returncode == 1 and "edge_url" in p.stderr, p.stderr)


def main(t):
    if not os.path.isfile(os.path.join(WEB_ROOT, "index.html")):
        raise et.Fatal("no web player built at %s (REEL_WEB_ROOT)" % WEB_ROOT)
    root = os.path.join(t.tmp, "web")
    shutil.copytree(WEB_ROOT, root)
    et.write_file(os.path.join(root, "noise.txt"), et.rand_bytes(3000, 7))
    cert = et.make_cert(t.tmp, "origin")
    o = t.origin(tls=cert, web={"root": root, "edge_origins": MORE},
                 playback={"edge_url": EDGE_URL})
    t.check("the origin logs how many web files it serves",
            re.search(r"web player: \d+ files from ", o.logs()), o.logs()[-300:])
    page(t, o, root)
    types(t, o, root)
    validators(t, o)
    ranges(t, o, root)
    compression(t, o, root)
    not_web(t, o)
    reload(t, o, root)
    refused_roots(t, t.tmp)


if __name__ == "__main__":
    et.run(main, "origin_web", cls=ot.Test)
