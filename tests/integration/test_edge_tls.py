#!/usr/bin/env python3
"""reel-edge over HTTPS: bytes through curl, ranges, protocol versions,
keep-alive and pipelining over TLS, both body paths (ktls auto and off), and
certificate errors."""

import os
import re
import ssl
import subprocess

import edgetest as et


def s_client(port, *args):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-servername", "localhost"] + list(args),
                       input=b"", capture_output=True, timeout=20)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def check_curl(t, port, cert, files, label):
    base = "https://127.0.0.1:%d" % port
    for path in ("/t1/seg_00001.m4s", "/t1/index.m3u8", "/t1/small.m4s", "/t1/init.mp4"):
        c = et.curl(t.tmp, base + path, "--cacert", cert)
        t.check("%s curl https %s: the right bytes" % (label, path),
                c.rc == 0 and c.status == 200 and c.body == files[path], c.summary())
    big = files["/t1/seg_00001.m4s"]
    for spec, want in (("0-99", big[:100]), ("1000000-", big[1000000:]), ("-65536", big[-65536:])):
        c = et.curl(t.tmp, base + "/t1/seg_00001.m4s", "--cacert", cert, "-r", spec)
        t.check("%s curl https -r %s" % (label, spec),
                c.status == 206 and c.body == want, c.summary())
    c = et.curl(t.tmp, base + "/t1/seg_00001.m4s", "--cacert", cert, "-r", "0-9,2000000-2000009")
    try:
        parts = et.parse_multipart(c.body, c.header("Content-Type"))
    except ValueError as ex:
        parts = ex
    t.check("%s curl https two ranges -> multipart with the right bytes" % label,
            c.status == 206 and isinstance(parts, list) and
            [p[1] for p in parts] == [big[:10], big[2000000:2000010]], c.summary())
    c = et.curl(t.tmp, base + "/t1/index.m3u8", "--cacert", cert, "--compressed")
    t.check("%s curl https --compressed playlist: gzip, right bytes" % label,
            c.header("Content-Encoding") == "gzip" and c.body == files["/t1/index.m3u8"],
            c.summary())
    c = et.curl(t.tmp, base + "/t1/index.m3u8", "-k", "-w", "%{http_version}")
    t.check("%s curl https -k works too" % label, c.rc == 0 and c.status == 200, c.summary())


def negotiated(out):
    """(protocol, cipher) of a finished s_client handshake, or None."""
    m = re.search(r"New, (TLSv1(?:\.\d)?|SSLv3), Cipher is (\S+)", out)
    if not m or m.group(2) == "(NONE)":
        return None
    return m.group(1), m.group(2)


def check_versions(t, port):
    for flag in ("-tls1_1", "-tls1"):
        # SECLEVEL=0 so that our client is willing: a failure is the server's refusal
        rc, out = s_client(port, flag, "-cipher", "DEFAULT@SECLEVEL=0")
        t.check("openssl s_client %s fails (protocol version alert)" % flag,
                negotiated(out) is None and "alert protocol version" in out, out[-400:])
    rc, out = s_client(port, "-tls1_2")
    t.check("openssl s_client -tls1_2 succeeds",
            rc == 0 and (negotiated(out) or ("",))[0] == "TLSv1.2", out[-400:])
    t.check("  with an ECDHE AEAD cipher",
            (negotiated(out) or ("", ""))[1] in ("ECDHE-ECDSA-AES128-GCM-SHA256",
                                                 "ECDHE-ECDSA-AES256-GCM-SHA384",
                                                 "ECDHE-ECDSA-CHACHA20-POLY1305"), negotiated(out))
    rc, out = s_client(port, "-tls1_3")
    t.check("openssl s_client -tls1_3 succeeds",
            rc == 0 and (negotiated(out) or ("",))[0] == "TLSv1.3", out[-400:])
    rc, out = s_client(port, "-tls1_2", "-cipher", "AES128-SHA:ECDHE-ECDSA-AES128-SHA")
    t.check("TLS 1.2 with only CBC / non-AEAD ciphers fails", negotiated(out) is None,
            out[-400:])


def check_keepalive(t, port, cert, files):
    ctx = ssl.create_default_context(cafile=cert)
    with et.Conn(port, tls_ctx=ctx, timeout=20) as c:
        ok = True
        for path in ("/t1/index.m3u8", "/t1/seg_00001.m4s", "/t1/small.m4s", "/t1/index.m3u8"):
            c.send(et.build_request("GET", path))
            r = c.read_response()
            ok = ok and r.status == 200 and r.body == files[path]
        t.check("keep-alive over TLS: 4 requests on one connection", ok)
        t.check("  TLS 1.2 or 1.3 negotiated", c.sock.version() in ("TLSv1.2", "TLSv1.3"),
                c.sock.version())
        seq = ["/t1/seg_00001.m4s", "/t1/index.m3u8", "/t1/missing", "/t1/seg_00001.ts",
               "/t1/seg_00001.m4s", "/t1/meta.json"]
        c.send(b"".join(et.build_request("GET", p) for p in seq))
        got = [c.read_response() for _ in seq]
        t.check("6 pipelined requests over TLS answered in order",
                all((r.status == 404) if p == "/t1/missing" else
                    (r.status == 200 and r.body == files[p]) for p, r in zip(seq, got)),
                [(r.status, len(r.body)) for r in got])
        c.send(et.build_request("GET", "/t1/seg_00001.m4s", {"Range": "bytes=100-199"}))
        r = c.read_response()
        t.check("Range over TLS on the same connection",
                r.status == 206 and r.body == files["/t1/seg_00001.m4s"][100:200], r.summary())


def check_abuse(t, e):
    with et.Conn(e.tls_port) as c:
        c.send(et.build_request("GET", "/t1/index.m3u8"))
        closed = c.wait_closed(3.0)
        t.check("plain HTTP to the TLS port: the server closes the connection",
                closed is not None and b"#EXTM3U" not in c.buf, c.buf[:80])
    with et.Conn(e.tls_port) as c:  # connects and never starts the handshake
        closed = c.wait_closed(4.0)
        t.check("a client that never sends a ClientHello is closed by header_timeout (2 s)",
                closed is not None and 1.4 <= closed <= 3.6, closed)
    r = et.request(e.tls_port, "GET", "/healthz",
                   tls_ctx=ssl.create_default_context(cafile=e.sections["tls"]["certificate"]))
    t.check("HTTPS still served after the bad clients", r.status == 200 and r.body == b"ok\n",
            r.summary())
    m = e.metrics()
    t.check("metrics count TLS handshakes and failures",
            m.get("reel_tls_handshakes_total", 0) >= 5 and
            m.get("reel_tls_handshake_failures_total", 0) >= 1,
            (m.get("reel_tls_handshakes_total"), m.get("reel_tls_handshake_failures_total")))


def check_bad_certs(t, root, cert, key):
    d = os.path.join(t.tmp, "badcert")
    os.makedirs(d)
    other_cert, other_key = et.make_cert(d, "other")
    garbage = os.path.join(d, "garbage.crt")
    with open(garbage, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    missing = os.path.join(d, "missing.crt")
    cases = [("a missing certificate", missing, key, missing),
             ("a missing key", cert, os.path.join(d, "missing.key"),
              os.path.join(d, "missing.key")),
             ("a garbage certificate", garbage, key, garbage),
             ("a key that does not match", cert, other_key, "")]
    for i, (name, c, k, word) in enumerate(cases):
        conf = os.path.join(d, "edge-%d.conf" % i)
        with open(conf, "w") as f:
            f.write(et.format_config({
                "server": {"listen_tls": "127.0.0.1:%d" % et.free_port(), "workers": "1"},
                "content": {"root": root}, "tls": {"certificate": c, "key": k},
                "log": {"error_log": "stderr"}}))
        for extra in ((), ("-t",)):
            p = subprocess.run([et.EDGE_BIN, "-c", conf] + list(extra), capture_output=True,
                               timeout=10, stdin=subprocess.DEVNULL)
            err = p.stderr.decode(errors="replace")
            t.check("%s%s: exits non-zero with a message naming the file" % (
                name, " (-t)" if extra else ""),
                p.returncode != 0 and (word in err if word else ("key" in err.lower())) and
                err.strip() != "", (p.returncode, err[-300:]))


def check_hsts(t, root, cert, key, plain):
    """[tls] hsts: Strict-Transport-Security on every HTTPS answer, never over plain HTTP."""
    ctx = ssl.create_default_context(cafile=cert)
    for path in ("/t1/index.m3u8", "/t1/missing"):
        r = et.request(plain.tls_port, "GET", path, tls_ctx=ctx)
        t.check("without [tls] hsts, no Strict-Transport-Security (%s)" % path,
                r.status in (200, 404) and not r.has("Strict-Transport-Security"), r.summary())
    hsts = "max-age=600; includeSubDomains"
    e = t.edge(root, start=False, tls=(cert, key))
    e.sections["tls"]["hsts"] = hsts
    e.start()
    etag = et.request(e.tls_port, "GET", "/t1/index.m3u8", tls_ctx=ctx).header("ETag")
    for path, headers, status in (("/t1/index.m3u8", None, 200),
                                  ("/t1/seg_00001.m4s", {"Range": "bytes=0-9"}, 206),
                                  ("/t1/index.m3u8", {"If-None-Match": etag}, 304),
                                  ("/t1/missing", None, 404),
                                  ("/%2e%2e/x", None, 400)):
        r = et.request(e.tls_port, "GET", path, headers, tls_ctx=ctx)
        t.check("hsts: %d over HTTPS carries Strict-Transport-Security" % status,
                r.status == status and r.header_all("Strict-Transport-Security") == [hsts],
                r.summary())
    r = et.request(e.port, "GET", "/t1/index.m3u8")
    t.check("hsts: plain HTTP answers carry none (RFC 6797 7.2)",
            r.status == 200 and not r.has("Strict-Transport-Security"), r.summary())
    e.stop()


def main(t):
    if not et.have("openssl") or not et.have("curl"):
        raise et.Skip("openssl and curl are needed")
    root = os.path.join(t.tmp, "content")
    files = et.make_content(root)
    cert, key = et.make_cert(t.tmp)
    for ktls in ("auto", "off"):
        e = t.edge(root, start=False, tls=(cert, key), limits={"header_timeout": "2s"})
        e.sections["tls"]["ktls"] = ktls
        e.start()
        label = "ktls=%s:" % ktls
        check_curl(t, e.tls_port, cert, files, label)
        if ktls == "auto":
            check_versions(t, e.tls_port)
            check_keepalive(t, e.tls_port, cert, files)
            check_abuse(t, e)
            check_hsts(t, root, cert, key, e)
        e.stop()
    check_bad_certs(t, root, cert, key)


if __name__ == "__main__":
    et.run(main)
