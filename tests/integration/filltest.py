"""The origin's side of docs/fill.md for the integration tests, written here
independently of reel's C code (python3's stdlib, Ed25519 by the openssl
CLI): signing fill requests with a control key, a test upstream that serves
packages at /content/<title>/<path> and checks each edge's HMAC signature,
and packages with their manifest.json.

    ctl = ControlKey(tmp, "ctl-1")            # its public key for [origin] control_keys
    status, headers, body = fill(port, ctl, "edge-1", "PUT", "/fill/t1/a.m4s", data)
    up = Upstream(root, secrets={"edge-1": b"..."}).start()
    up.count("/content/t1/a.m4s"); up.bad_signatures; up.rate = 10e6
"""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import re
import socket
import socketserver
import subprocess
import threading
import time

EMPTY_DIGEST = "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
COMPONENTS = '("@method" "@path" "@query" "content-digest")'


def content_digest(body):
    return "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode()


def nonce():
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


def signature_base(method, target, digest, params):
    """RFC 9421 2.5 for the reel profile: PARAMS is the serialized inner list."""
    path, _, query = target.partition("?")
    return ('"@method": %s\n"@path": %s\n"@query": ?%s\n"content-digest": %s\n'
            '"@signature-params": %s' % (method, path, query, digest, params)).encode()


def sig_params(keyid, tag, alg, created=None, nonce_=None):
    return '%s;created=%d;nonce="%s";keyid="%s";tag="%s";alg="%s"' % (
        COMPONENTS, int(time.time()) if created is None else created, nonce_ or nonce(),
        keyid, tag, alg)


class ControlKey:
    """The origin's control key: an Ed25519 key made and used with the openssl CLI."""

    def __init__(self, tmp, kid):
        self.kid, self.tmp = kid, tmp
        self.pem = os.path.join(tmp, "%s-%s.pem" % (kid, os.urandom(4).hex()))
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.pem],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", self.pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.public_hex = der[-32:].hex()

    def sign(self, data):
        path = os.path.join(self.tmp, "base-%d.bin" % threading.get_ident())
        with open(path, "wb") as f:
            f.write(data)
        return subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", self.pem, "-rawin",
                               "-in", path], check=True, capture_output=True).stdout

    def keys_line(self):
        return "%s %s\n" % (self.kid, self.public_hex)


def signed_headers(key, tag, method, target, body=b"", created=None, nonce_=None,
                   digest=None, keyid=None):
    """The three signature fields for a fill request (digest and keyid may be forged)."""
    digest = digest or content_digest(body)
    params = sig_params(keyid or key.kid, tag, "ed25519", created, nonce_)
    sig = key.sign(signature_base(method, target, digest, params))
    return {"Content-Digest": digest, "Signature-Input": "reel=" + params,
            "Signature": "reel=:%s:" % base64.b64encode(sig).decode()}


def fill(port, key, tag, method, target, body=b"", headers=None, timeout=30, tls_ctx=None,
         **kw):
    """One signed fill request (over HTTPS with TLS_CTX); returns (status, headers dict
    lowercased, body bytes)."""
    hdrs = signed_headers(key, tag, method, target, body, **kw)
    hdrs.update(headers or {})
    if tls_ctx:
        c = http.client.HTTPSConnection("localhost", port, timeout=timeout, context=tls_ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, target, body=body if body or method in ("PUT", "POST") else None,
                  headers=hdrs)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def fill_json(port, key, tag, method, target, body=b"", **kw):
    status, _, data = fill(port, key, tag, method, target, body, **kw)
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, data


# ---- packages ---------------------------------------------------------------------

def make_package(root, title, files, content_type="application/octet-stream", head=None):
    """Write FILES ({path: bytes}) under ROOT/TITLE with a manifest.json; returns its bytes.
    HEAD: the manifest's other members (title and files are added), written compact."""
    entries = []
    for path, data in sorted(files.items()):
        full = os.path.join(root, title, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        entries.append({"path": path, "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "content_type": content_type})
    if head is not None:
        manifest = json.dumps(dict(head, title=title, files=entries)).encode()
    else:
        manifest = json.dumps({"manifest_version": 1, "title": title, "files": entries},
                              indent=1).encode()
    with open(os.path.join(root, title, "manifest.json"), "wb") as f:
        f.write(manifest)
    return manifest


def version_of(manifest):
    return hashlib.sha256(manifest).hexdigest()[:16]


def segment_bytes(n, seed):
    return random.Random(seed).randbytes(n)


# ---- the upstream ---------------------------------------------------------------------

def check_hmac(headers, method, target, secrets):
    """None when HEADERS carry a valid reel hmac-sha256 signature by a known edge, else why."""
    si, sig, dg = (headers.get("Signature-Input"), headers.get("Signature"),
                   headers.get("Content-Digest"))
    if not si or not sig or dg != EMPTY_DIGEST:
        return "unsigned or a bad digest"
    m = re.fullmatch(r'reel=(\("@method" "@path" "@query" "content-digest"\)'
                     r';created=(\d+);nonce="([^"]+)";keyid="([^"]+)";tag="([^"]+)"'
                     r';alg="hmac-sha256")', si)
    s = re.fullmatch(r"reel=:([A-Za-z0-9+/=]+):", sig)
    if not m or not s:
        return "not the reel profile: %r" % si
    params, created, _, keyid, tag = m.groups()
    if keyid not in secrets or tag != keyid:
        return "unknown edge %s" % keyid
    if abs(int(created) - time.time()) > 300:
        return "expired"
    mac = hmac.new(secrets[keyid], signature_base(method, target, dg, params),
                   hashlib.sha256).digest()
    if not hmac.compare_digest(mac, base64.b64decode(s.group(1))):
        return "the signature does not verify"
    return None


class Upstream:
    """A threaded HTTP server standing in for the origin's content endpoint."""

    def __init__(self, root, secrets=None, rate=None):
        self.root, self.secrets, self.rate = root, secrets or {}, rate
        self.lock = threading.Lock()
        self.requests = []          # (path, range or None)
        self.bad_signatures = []
        self.fail_next = 0          # answer 503 to that many requests
        self.conns = set()          # connections open now
        self.server = self.thread = None
        self.port = None

    def count(self, path):
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def start(self, port=0):
        up = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # the head and each chunk go out when written, as from a real server: with
            # Nagle's algorithm a chunk would wait for the ACK of the head
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def setup(self):
                super().setup()
                with up.lock:
                    up.conns.add(self.connection)

            def finish(self):
                with up.lock:
                    up.conns.discard(self.connection)
                super().finish()

            def do_GET(self):
                up.handle(self)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # a client (the edge) that went away: nothing to report

        self.server = Server(("127.0.0.1", port or self.port or 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop listening and cut every connection, as a dead origin would."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        with self.lock:
            conns, self.conns = list(self.conns), set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def url(self):
        return "http://127.0.0.1:%d/content" % self.port

    def handle(self, h):
        path = h.path
        rng = h.headers.get("Range")
        with self.lock:
            self.requests.append((path, rng))
            fail = self.fail_next > 0
            self.fail_next -= fail
        if self.secrets:
            why = check_hmac(h.headers, "GET", path, self.secrets)
            if why:
                with self.lock:
                    self.bad_signatures.append((path, why))
                self.answer(h, 401, b"bad signature\n")
                return
        if fail:
            self.answer(h, 503, b"busy\n")
            return
        rel = path[len("/content/"):] if path.startswith("/content/") else None
        full = os.path.join(self.root, rel) if rel and ".." not in rel else None
        if not full or not os.path.isfile(full):
            self.answer(h, 404, b"not here\n")
            return
        with open(full, "rb") as f:
            data = f.read()
        start, status = 0, 200
        m = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if m and int(m.group(1)) < len(data):
            start, status = int(m.group(1)), 206
        h.send_response(status)
        h.send_header("Content-Length", str(len(data) - start))
        if status == 206:
            h.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        h.send_header("Last-Modified", "Tue, 01 Dec 2026 08:00:00 GMT")
        h.end_headers()
        self.send_body(h, data[start:])

    def send_body(self, h, data):
        chunk = 16384
        t0 = time.monotonic()
        try:
            for off in range(0, len(data), chunk):
                h.wfile.write(data[off:off + chunk])
                h.wfile.flush()
                if self.rate:
                    ahead = (off + chunk) / self.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self, h, status, body):
        h.send_response(status)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
