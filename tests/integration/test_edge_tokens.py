#!/usr/bin/env python3
"""Stream tokens at the edge: /s/<token>/<title>/... with PASETO v4.public
tokens made here independently of reel's C code (PAE in Python, the Ed25519
signature by the openssl CLI), checked for every refusal DESIGN.md lists, and
ffmpeg playing a package through a tokenized URL."""

import os
import subprocess
import time

import edgetest as et
import pasetotest as pt
from pasetotest import rfc3339


class Signer:
    """An Ed25519 key made and used with the openssl CLI."""

    def __init__(self, tmp, kid):
        self.kid = kid
        self.pem = os.path.join(tmp, kid + ".pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.pem],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", self.pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.public_hex = der[-32:].hex()
        self.tmp = tmp

    def token(self, claims, kid=None):
        return pt.sign(self.tmp, self.pem, kid or self.kid, claims)


def claims(title="t1", maxh=1080, ttl=600, purpose="reel-stream-v1", iat=None):
    now = int(time.time())
    return {"purpose": purpose, "sub": "user-1", "title": title, "ver": "v1", "maxh": maxh,
            "lease": "lease-1", "iat": rfc3339(iat if iat is not None else now - 5),
            "exp": rfc3339(now + ttl)}


def get(port, path):
    return et.request(port, "GET", path)


def check_refusals(t, port, signer, other):
    ok = signer.token(claims())
    r = get(port, "/s/%s/t1/index.m3u8" % ok)
    t.check_eq("a valid token serves the playlist", r.status, 200)
    r2 = get(port, "/s/%s/t1/seg_00001.m4s" % ok)
    t.check("  and a segment of the same title, whole", r2.status == 200 and len(r2.body) > 0,
            r2.summary())

    flipped = list(ok)
    i = len("v4.public.") + 20
    flipped[i] = "A" if flipped[i] != "A" else "B"
    cases = [
        ("one flipped byte", "".join(flipped), "/t1/index.m3u8", "does not verify"),
        ("expired", signer.token(claims(ttl=-10, iat=int(time.time()) - 100)),
         "/t1/index.m3u8", "expired"),
        ("for another title", signer.token(claims(title="t2")), "/t1/index.m3u8",
         "not valid for this title"),
        ("an unknown key id", signer.token(claims(), kid="nope"), "/t1/index.m3u8",
         "unknown key"),
        ("signed by a key the edge does not hold", other.token(claims(), kid=signer.kid),
         "/t1/index.m3u8", "does not verify"),
        ("a license, not a stream token", signer.token(claims(purpose="reel-license-v1")),
         "/t1/index.m3u8", "not valid"),
        ("garbage", "v4.public.%%%", "/t1/index.m3u8", "malformed"),
        ("above the plan's height", signer.token(claims(maxh=360)), "/t1/720p/index.m3u8",
         "height"),
    ]
    for name, tok, path, why in cases:
        r = get(port, "/s/%s%s" % (tok, path))
        t.check("token %s -> 403 (%s)" % (name, why),
                r.status == 403 and why.encode() in r.body, r.summary())
    r = get(port, "/s/%s/t1/360p/index.m3u8" % signer.token(claims(maxh=360)))
    t.check_eq("a rendition at the plan's height is served", r.status, 200)


MASTER = ("#EXTM3U\n#EXT-X-VERSION:6\n"
          "#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=416x234\n234p/index.m3u8\n"
          "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360p/index.m3u8\n"
          "#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720\n720p/index.m3u8\n"
          "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=1280x720,"
          "URI=\"720p/iframes.m3u8\"\n")


def check_master_filter(t, port, signer):
    r = get(port, "/s/%s/t1/master.m3u8" % signer.token(claims(maxh=1080)))
    t.check("a plan allowing 1080p gets the whole master playlist",
            r.status == 200 and r.body == MASTER.encode(), r.summary())
    tok = signer.token(claims(maxh=360))
    r = get(port, "/s/%s/t1/master.m3u8" % tok)
    body = r.body.decode(errors="replace")
    t.check("a plan capped at 360p gets a master playlist without the 720p variants",
            r.status == 200 and "720p" not in body and "360p/index.m3u8" in body and
            "234p/index.m3u8" in body, body)
    etag = r.header("ETag")
    t.check("  with its own ETag", etag and etag.endswith('-h360"'), etag)
    r = et.request(port, "GET", "/s/%s/t1/master.m3u8" % tok, {"If-None-Match": etag or "x"})
    t.check_eq("  which revalidates to 304", r.status, 304)
    r = get(port, "/s/%s/t1/master.m3u8" % signer.token(claims(maxh=200)))
    t.check("a plan below every rendition -> 403", r.status == 403 and b"no rendition" in r.body,
            r.summary())


def check_rate_limit(t, root, signer, keys):
    e = t.edge(root, tokens={"require": "on", "keys": keys, "max_failures": "3",
                             "failure_window": "20s"})
    bad = signer.token(claims(), kid="nope")
    codes = [get(e.port, "/s/%s/t1/index.m3u8" % bad).status for _ in range(3)]
    t.check_eq("three bad tokens from one address: 403 each", codes, [403, 403, 403])
    r = get(e.port, "/s/%s/t1/index.m3u8" % bad)
    retry = r.header("Retry-After")
    t.check("the fourth within the window: 429 with Retry-After, no verify",
            r.status == 429 and retry and 1 <= int(retry) <= 20, r.summary())
    r = get(e.port, "/healthz")
    t.check_eq("  untokenized paths still answer", r.status, 200)


def check_required(t, e, signer):
    port = e.port
    r = get(port, "/t1/index.m3u8")
    t.check("with require = on, a path without a token -> 403",
            r.status == 403 and b"token is required" in r.body, r.summary())
    r = get(port, "/healthz")
    t.check_eq("/healthz needs no token", r.status, 200)
    m = e.metrics()
    t.check("reel_stream_token_failures_total counts the refusals",
            m.get("reel_stream_token_failures_total", 0) >= 7, m.get(
                "reel_stream_token_failures_total"))


def check_ffmpeg(t, root, signer):
    if not (et.have("ffmpeg")):
        return
    pkg = os.path.join(root, "sample")
    tool = os.path.join(et.SOURCE_ROOT, "tools", "make-sample-package")
    p = subprocess.run([tool, pkg, "4"], capture_output=True, timeout=120)
    if not t.check("sample package made", p.returncode == 0, p.stderr[-300:]):
        return
    e = t.edge(root, tokens={"require": "on", "keys": os.path.join(t.tmp, "keys")})
    url = "http://127.0.0.1:%d/s/%s/sample/master.m3u8" % (
        e.port, signer.token(claims(title="sample")))
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-map", "0", "-c",
                        "copy", "-f", "null", "-"], capture_output=True, timeout=60)
    t.check("ffmpeg plays a whole package through a tokenized URL (relative URIs keep it)",
            p.returncode == 0 and not p.stderr.strip(), p.stderr.decode(errors="replace")[-500:])


def main(t):
    if not et.have("openssl"):
        raise et.Skip("openssl CLI not installed")
    root = os.path.join(t.tmp, "content")
    files = et.make_content(root)
    for d in ("720p", "360p"):
        os.makedirs(os.path.join(root, "t1", d), exist_ok=True)
        et.write_file(os.path.join(root, "t1", d, "index.m3u8"), et.playlist_text(5))
    et.write_file(os.path.join(root, "t1", "master.m3u8"), MASTER.encode())
    signer = Signer(t.tmp, "k1")
    other = Signer(t.tmp, "k2")
    keys = os.path.join(t.tmp, "keys")
    with open(keys, "w") as f:
        f.write("# kid public-key\nk1 %s\nk0 %s\n" % (signer.public_hex, "00" * 32))
    e = t.edge(root, tokens={"require": "on", "keys": keys})
    check_refusals(t, e.port, signer, other)
    check_master_filter(t, e.port, signer)
    check_required(t, e, signer)
    check_rate_limit(t, root, signer, keys)
    with open(keys, "a") as f:
        f.write("broken line with three fields\n")
    r = subprocess.run([et.EDGE_BIN, "-t", "-c", e.conf_path], capture_output=True, text=True)
    t.check("a malformed key file is refused naming the file and line",
            r.returncode != 0 and (keys + ":4:") in r.stderr, r.stderr)
    with open(keys, "w") as f:
        f.write("k1 %s\n" % signer.public_hex)
    check_ffmpeg(t, root, signer)


if __name__ == "__main__":
    et.run(main)
