#!/usr/bin/env python3
"""The origin's content endpoint (docs/content.md) on loopback: a real
reel-origin with a registered edge and a real reel-edge whose [upstream] url
is the origin's /content.  A package pulled through the edge plays with
ffprobe and ffmpeg; with no edge up a player is steered to the origin and
plays from it (its master playlist cut to the plan's height); ranges (206,
multipart, 416), 304 and HEAD as on an edge; an address sending bad tokens
throttled; unsigned, wrongly signed, stale
and replayed requests refused with 401 and their reason; a revoked or
removed credential refused; path traversal refused; an encrypted title's
key answered to its token; a stopped lease's token refused."""

import http.client
import json
import os
import subprocess
import time

import edgetest as et
import origintest as ot
from origintest import signed

PLAN = {"title": "Low", "max_streams": 2, "max_height": 360, "downloads": False,
        "max_devices": 1, "max_downloads": 1, "downloads_per_title_year": 1}


def raw_get(port, target, headers=None, method="GET", source="127.0.0.1"):
    """One request with TARGET sent as it is (no client-side path normalizing), from the
    loopback address SOURCE."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20, source_address=(source, 0))
    try:
        c.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        r.body = body
        try:
            r.json = json.loads(body) if body else None
        except ValueError:
            r.json = None
        return r
    finally:
        c.close()


class Client:
    """An edge's signed requests to the content endpoint, by an independent signer."""

    def __init__(self, port, edge_id, secret):
        self.port, self.id, self.secret = port, edge_id, secret

    def get(self, target, headers=None, method="GET", nonce=None, created=None, secret=None):
        h = signed(self.id, secret or self.secret, method, target, nonce=nonce, created=created)
        h.update(headers or {})
        return raw_get(self.port, target, h, method)


def setup(t):
    keys, edge_keys, _ = ot.stream_key_files(t.tmp, "s1")
    root = ot.make_package(t.tmp, "movie", seconds=6)
    cport, tport = et.free_port(), et.free_port()
    cert, ckey = et.make_cert(t.tmp, "origin")
    odir = os.path.join(t.tmp, "origin")
    os.makedirs(odir)
    o = ot.Origin(odir, **{
        "playback": {"edge_url": "http://fallback.invalid"},
        "keys": {"stream_keys": keys},
        "jobs": {"content_dir": root},
        "edges": {"listen": "127.0.0.1:%d" % et.free_port(), "interval": "1s",
                  "down_after": "3s"},
        "content": {"listen": "127.0.0.1:%d" % cport, "listen_tls": "127.0.0.1:%d" % tport,
                    "url": "http://127.0.0.1:%d" % cport}})
    o.sections["tls"] = {"certificate": cert, "key": ckey}
    o.content_port, o.content_tls_port = cport, tport
    t.origins.append(o)
    o.start()
    t.check_eq("plan", o.admin("PUT", "/admin/v1/plans/low", PLAN).status, 201)
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        r = o.admin("PUT", "/admin/v1/titles/movie", raw=f.read())
    t.check("title registered", r.status == 201, r.body)
    r = o.admin("POST", "/admin/v1/edges", {
        "name": "edge1", "url": "http://127.0.0.1:1", "cluster": "isp1", "capacity": 1000,
        "prefixes": ["127.0.0.0/8"]})
    t.check("edge registered", r.status == 201, r.body)
    rec = r.json or {}
    secret = os.path.join(t.tmp, "edge.secret")
    with open(secret, "w") as f:
        f.write(rec.get("secret", "") + "\n")
    name = "edge%d" % len(t.edges)
    edge = t.edge(os.path.join(t.tmp, name + "-store"), start=False, **{
        "store": {"enabled": "on", "index": os.path.join(t.tmp, name + "-index")},
        "tokens": {"keys": edge_keys, "require": "on"},
        "origin": {"url": "http://127.0.0.1:%d" % o.port, "edge_id": rec.get("id", ""),
                   "secret_file": secret},
        "upstream": {"url": "http://127.0.0.1:%d/content" % cport, "connect_timeout": "1s",
                     "read_timeout": "5s", "retries": "1", "retry_backoff": "50ms"}})
    os.makedirs(edge.sections["content"]["root"], exist_ok=True)
    edge.start()
    return o, edge, Client(cport, rec.get("id", ""), rec.get("secret", "")), root


def ffprobe_streams(url):
    p = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,height",
                        "-of", "json", url], capture_output=True, text=True, timeout=60)
    try:
        return p.returncode, json.loads(p.stdout).get("streams", []), p.stderr
    except ValueError:
        return p.returncode, [], p.stderr


def ffmpeg_plays(url):
    p = subprocess.run(["ffmpeg", "-v", "error", "-i", url, "-map", "0", "-c", "copy", "-f",
                        "null", "-"], capture_output=True, text=True, timeout=120)
    return p.returncode == 0, p.stderr[-2000:]


def steered_to_origin(t, o, viewer):
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=viewer)
    p = r.json or {}
    base = "http://127.0.0.1:%d/s/" % o.content_port
    t.check("with no edge up, play steers to the origin's content endpoint (fallback)",
            r.status == 201 and p.get("url", "").startswith(base)
            and (p.get("steering") or {}).get("why") == "fallback", r.body)
    url = p.get("url", "")
    rc, streams, err = ffprobe_streams(url)
    t.check("ffprobe reads the title from the origin: video of the plan's height and audio",
            rc == 0 and {s.get("codec_type") for s in streams} >= {"video", "audio"}
            and all(s.get("height") in (None, 360) for s in streams), (streams, err))
    ok, err = ffmpeg_plays(url)
    t.check("ffmpeg plays the whole title from the origin", ok, err)
    r = raw_get(o.content_port, url.split(str(o.content_port), 1)[1])
    t.check("the origin's master playlist lists only the plan's renditions, with CORS",
            r.status == 200 and b"360p/" in r.body and b"720p/" not in r.body
            and r.getheader("Access-Control-Allow-Origin") == "*"
            and (r.getheader("ETag") or "").endswith('-h360"'), r.body)
    tok_path = url.split(str(o.content_port), 1)[1].rsplit("/", 1)[0]  # /s/TOKEN/movie
    r = raw_get(o.content_port, tok_path + "/720p/index.m3u8")
    t.check("a rendition above the plan's height: 403", r.status == 403
            and "height" in (r.json or {}).get("message", ""), r.body)
    return p, tok_path


def player_answers(t, o, tok_path, root):
    seg = sorted(n for n in os.listdir(os.path.join(root, "movie", "360p"))
                 if n.startswith("seg_"))[0]
    with open(os.path.join(root, "movie", "360p", seg), "rb") as f:
        data = f.read()
    path = tok_path + "/360p/" + seg
    r = raw_get(o.content_port, path, {"Range": "bytes=10-109"})
    t.check("a player's range: 206 with its bytes", r.status == 206 and r.body == data[10:110]
            and r.getheader("Content-Range") == "bytes 10-109/%d" % len(data), r.status)
    r = raw_get(o.content_port, path, {"Range": "bytes=%d-" % (len(data) + 5)})
    t.check("a range past the end: 416 bytes */SIZE", r.status == 416
            and r.getheader("Content-Range") == "bytes */%d" % len(data), r.status)
    r = raw_get(o.content_port, path)
    etag = r.getheader("ETag")
    r2 = raw_get(o.content_port, path, {"If-None-Match": etag or "x"})
    t.check("If-None-Match its ETag: 304 without a body", r.status == 200 and r.body == data
            and etag and r2.status == 304 and r2.body == b"", (r.status, r2.status))
    bad = tok_path.replace("/s/", "/s/x", 1)
    r = raw_get(o.content_port, bad + "/360p/" + seg)
    t.check("a damaged token: 403", r.status == 403, r.body)
    r = raw_get(o.content_port, tok_path.replace("/movie", "/other") + "/360p/" + seg)
    t.check("the token on another title: 403", r.status == 403
            and "title" in (r.json or {}).get("message", ""), r.body)
    r = raw_get(o.content_port, "/s/xxx")
    t.check_eq("a player's path without a title: 404", r.status, 404)
    statuses = [raw_get(o.content_port, bad + "/360p/" + seg, source="127.0.0.2").status
                for _ in range(21)]
    r = raw_get(o.content_port, path, source="127.0.0.2")
    t.check("21 bad tokens from one address: 403 each, then 429 with Retry-After, even for "
            "a good token", statuses == [403] * 21 and r.status == 429
            and int(r.getheader("Retry-After") or 0) >= 1, (statuses, r.status))
    r = raw_get(o.content_port, path)
    t.check_eq("... while another address plays on", r.status, 200)
    return path


def over_tls(t, o, c, seg_path, root):
    """The same answers over the content endpoint's HTTPS listener (SSL_sendfile or a buffer)."""
    base = "https://127.0.0.1:%d" % o.content_tls_port
    r = et.curl(o.dir, base + seg_path, "-k", "-r", "0-99")
    t.check("over HTTPS: a player's range, 206 with its 100 bytes",
            r.status == 206 and len(r.body) == 100, r.summary())
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        manifest = f.read()
    h = signed(c.id, c.secret, "GET", "/content/movie/manifest.json")
    args = ["-k"] + [a for k, v in h.items() for a in ("-H", "%s: %s" % (k, v))]
    r = et.curl(o.dir, base + "/content/movie/manifest.json", *args)
    t.check("over HTTPS: an edge's signed request, 200 with the file",
            r.status == 200 and r.body == manifest, r.summary())


def through_edge(t, o, edge, p, root):
    url = p.get("url", "").replace("127.0.0.1:%d" % o.content_port, "127.0.0.1:%d" % edge.port)
    rc, streams, err = ffprobe_streams(url)
    t.check("ffprobe through the edge, which pulls from the origin's /content",
            rc == 0 and {s.get("codec_type") for s in streams} >= {"video", "audio"},
            (streams, err))
    ok, err = ffmpeg_plays(url)
    t.check("ffmpeg plays the whole title through the edge", ok, err)
    m = et.parse_metrics(o.admin("GET", "/metrics").body.decode(errors="replace"))
    t.check("the origin counted its answers to the edge (the manifest, playlists, segments)",
            m.get("reel_origin_content_edge_total", 0) >= 4, m)
    seg = sorted(n for n in os.listdir(os.path.join(root, "movie", "360p"))
                 if n.startswith("seg_"))[-1]
    with open(os.path.join(root, "movie", "360p", seg), "rb") as f:
        data = f.read()
    r = et.request(edge.port, "GET", url.split(str(edge.port), 1)[1].replace(
        "master.m3u8", "360p/" + seg))
    t.check("a segment through the edge is the origin's file, byte for byte",
            r.status == 200 and r.body == data, r.summary())


def edge_requests(t, c, root):
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        manifest = f.read()
    r = c.get("/content/movie/manifest.json")
    t.check("a signed GET /content/<title>/<path>: 200, the file, validators",
            r.status == 200 and r.body == manifest and r.getheader("ETag")
            and r.getheader("Last-Modified") and r.getheader("Accept-Ranges") == "bytes"
            and r.getheader("Content-Type") == "application/json", r.status)
    etag, lm = r.getheader("ETag"), r.getheader("Last-Modified")
    r = c.get("/content/movie/manifest.json", method="HEAD")
    t.check("HEAD: its length, no body", r.status == 200 and r.body == b""
            and r.getheader("Content-Length") == str(len(manifest)), r.status)
    r = c.get("/content/movie/manifest.json", {"Range": "bytes=0-9"})
    t.check("Range: 206 with Content-Range", r.status == 206 and r.body == manifest[:10]
            and r.getheader("Content-Range") == "bytes 0-9/%d" % len(manifest), r.status)
    r = c.get("/content/movie/manifest.json", {"Range": "bytes=0-1,5-6"})
    t.check("two ranges: one multipart/byteranges 206", r.status == 206 and
            (r.getheader("Content-Type") or "").startswith("multipart/byteranges; boundary=")
            and manifest[5:7] in r.body, r.status)
    r = c.get("/content/movie/manifest.json", {"Range": "bytes=%d-" % len(manifest)})
    t.check_eq("a range past the end: 416", r.status, 416)
    r = c.get("/content/movie/manifest.json", {"If-None-Match": etag})
    t.check_eq("If-None-Match: 304", r.status, 304)
    r = c.get("/content/movie/manifest.json", {"If-Modified-Since": lm})
    t.check_eq("If-Modified-Since: 304", r.status, 304)
    r = c.get("/content/movie/manifest.json", {"If-Match": '"other"'})
    t.check_eq("If-Match another ETag: 412", r.status, 412)
    r = c.get("/content/movie/nothing.m4s")
    t.check("a file the store does not have: 404", r.status == 404
            and (r.json or {}).get("error") == "not_found", r.body)


def refusals(t, c):
    r = raw_get(c.port, "/content/movie/manifest.json")
    t.check("unsigned: 401, saying so", r.status == 401
            and "not signed" in (r.json or {}).get("message", ""), r.body)
    r = c.get("/content/movie/manifest.json", secret="x" * 43)
    t.check("another secret: 401, the signature does not verify", r.status == 401
            and "verify" in (r.json or {}).get("message", ""), r.body)
    r = c.get("/content/movie/manifest.json", created=int(time.time()) - 1000)
    t.check("a signature 1000 s old: 401", r.status == 401
            and "300 s" in (r.json or {}).get("message", ""), r.body)
    nonce = "n" * 22
    r1 = c.get("/content/movie/manifest.json", nonce=nonce)
    r2 = c.get("/content/movie/manifest.json", nonce=nonce)
    t.check("a replayed nonce: the first 200, the replay 401", r1.status == 200
            and r2.status == 401 and "nonce" in (r2.json or {}).get("message", ""), r2.body)
    h = signed(c.id, c.secret, "GET", "/content/movie/manifest.json")
    r = raw_get(c.port, "/content/movie/master.m3u8", h)
    t.check_eq("a signature for another path: 401", r.status, 401)
    r = raw_get(c.port, "/content/movie/manifest.json",
                dict(h, **{"Signature-Input": 'reel=("@method"'}))
    t.check_eq("malformed signature fields: 400", r.status, 400)
    r = raw_get(c.port, "/content/movie/manifest.json", method="DELETE")
    t.check_eq("DELETE: 405", r.status, 405)


def traversal(t, c, o, root):
    secret_file = os.path.join(o.dir, "secret.txt")
    with open(secret_file, "w") as f:
        f.write("not for edges\n")
    os.symlink(secret_file, os.path.join(root, "movie", "escape.json"))
    for target, want in [
            ("/content/movie/../../origin/secret.txt", 400),
            ("/content/movie/%2e%2e/%2e%2e/origin/secret.txt", 400),
            ("/content/movie/escape.json", 404),
            ("/content/.jobs/x", 404),
            ("/content/movie", 404)]:
        r = c.get(target)
        t.check("%s: %d, nothing of outside the store" % (target, want),
                r.status == want and b"not for edges" not in r.body, (r.status, r.body))


def encrypted(t, o, viewer, root):
    r = o.admin("POST", "/admin/v1/titles/secret/keys", {"kid": "k1"})
    key_hex = (r.json or {}).get("key", "00" * 16)
    t.check_eq("a content key for an encrypted title", r.status, 201)
    ot.make_package(os.path.dirname(root), "secret", key_hex=key_hex, seconds=4)
    with open(os.path.join(root, "secret", "manifest.json"), "rb") as f:
        t.check_eq("the encrypted title registered",
                   o.admin("PUT", "/admin/v1/titles/secret", raw=f.read()).status, 201)
    r = o.call("POST", "/api/v1/play", {"title": "secret"}, token=viewer)
    p = r.json or {}
    t.check("its play is steered to the origin too", r.status == 201
            and (p.get("steering") or {}).get("why") == "fallback", r.body)
    url = p.get("url", "")
    path = url.split(str(o.content_port), 1)[-1].replace("master.m3u8", "key")
    r = raw_get(o.content_port, path)
    t.check("<title>/key with the token: the content key itself", r.status == 200
            and r.body == bytes.fromhex(key_hex)
            and r.getheader("Cache-Control") == "no-store", (r.status, r.body))
    ok, err = ffmpeg_plays(url)
    t.check("ffmpeg plays the encrypted title from the origin (the key by its relative URI)",
            ok, err)
    o.call("DELETE", "/api/v1/play/" + p.get("lease", ""), token=viewer)


def stopped(t, o, viewer, p, tok_path, seg_path):
    r = o.call("DELETE", "/api/v1/play/" + p.get("lease", ""), token=viewer)
    t.check_eq("stop: 204", r.status, 204)
    r = raw_get(o.content_port, seg_path)
    t.check("the stopped lease's token at the origin: 403, its lease ended", r.status == 403
            and "lease ended" in (r.json or {}).get("message", ""), r.body)


def revoked(t, o, c):
    r = o.admin("POST", "/admin/v1/edges/%s/secret" % c.id)
    t.check("a new credential for the edge", r.status in (200, 201) and r.json
            and r.json.get("secret") not in (None, c.secret), r.body)
    fresh = Client(c.port, c.id, (r.json or {}).get("secret", ""))
    r = c.get("/content/movie/manifest.json")
    t.check("the old credential is refused at once: 401", r.status == 401
            and "verify" in (r.json or {}).get("message", ""), r.body)
    r = fresh.get("/content/movie/manifest.json")
    t.check_eq("the new one is accepted", r.status, 200)
    r = o.admin("DELETE", "/admin/v1/edges/" + c.id)
    t.check("edge removed", r.status in (200, 204), r.body)
    r = fresh.get("/content/movie/manifest.json")
    t.check("a removed edge's credential: 401, unknown key", r.status == 401
            and "does not know" in (r.json or {}).get("message", ""), r.body)


def bad_config(t, o):
    path = os.path.join(o.dir, "bad.conf")
    sections = dict(o.sections)
    sections["content"] = {"listen": "0.0.0.0:%d" % et.free_port()}
    with open(path, "w") as f:
        f.write(et.format_config(sections))
    run = subprocess.run([ot.ORIGIN_BIN, "-t", "-c", path], capture_output=True, text=True)
    t.check("reel-origin -t refuses a wildcard content listener without [content] url",
            run.returncode != 0 and "[content] url" in run.stderr and path in run.stderr,
            run.stderr)


def main(t):
    for prog in ("ffmpeg", "ffprobe", "openssl", "curl"):
        if not et.have(prog):
            raise et.Skip("%s not installed" % prog)
    o, edge, c, root = setup(t)
    viewer = o.user("viewer@example.com", plan="low")
    p, tok_path = steered_to_origin(t, o, viewer)
    seg_path = player_answers(t, o, tok_path, root)
    over_tls(t, o, c, seg_path, root)
    through_edge(t, o, edge, p, root)
    edge_requests(t, c, root)
    refusals(t, c)
    traversal(t, c, o, root)
    encrypted(t, o, viewer, root)
    stopped(t, o, viewer, p, tok_path, seg_path)
    revoked(t, o, c)
    bad_config(t, o)


if __name__ == "__main__":
    et.run(main, "origin_content", cls=ot.Test)
