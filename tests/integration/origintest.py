"""Harness for reel-origin integration tests: one origin process (user API,
admin API, generated config and data folder) and a JSON client over raw
sockets (edgetest.Conn).  The binary comes from $REEL_ORIGIN."""

import base64
import hashlib
import hmac
import json
import os
import signal
import ssl
import subprocess
import tempfile
import time

import edgetest as et

ORIGIN_BIN = os.environ.get("REEL_ORIGIN",
                            os.path.join(et.SOURCE_ROOT, "build", "origin", "reel-origin"))
TRANSCODE_BIN = os.environ.get(
    "REEL_TRANSCODE", os.path.join(et.SOURCE_ROOT, "build", "transcoder", "reel-transcode"))

SIGNED_COMPONENTS = '("@method" "@path" "@query" "content-digest")'


def signed(edge_id, secret, method, target, body=b"", nonce=None, created=None):
    """The reel profile's hmac-sha256 signature fields of an edge's request (docs/fill.md),
    written from the RFCs, independently of the C signer."""
    digest = "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode()
    nonce = nonce or base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    params = '%s;created=%d;nonce="%s";keyid="%s";tag="%s";alg="hmac-sha256"' % (
        SIGNED_COMPONENTS, int(time.time()) if created is None else created, nonce, edge_id,
        edge_id)
    path, _, query = target.partition("?")
    base = ('"@method": %s\n"@path": %s\n"@query": ?%s\n"content-digest": %s\n'
            '"@signature-params": %s' % (method, path, query, digest, params)).encode()
    mac = hmac.new(secret.encode(), base, hashlib.sha256).digest()
    return {"Content-Digest": digest, "Signature-Input": "reel=" + params,
            "Signature": "reel=:%s:" % base64.b64encode(mac).decode()}


def sanitized(binary):
    """Whether BINARY is built with AddressSanitizer (which reserves terabytes of address
    space, so it cannot run under an address-space limit)."""
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def jobs_section(**kw):
    """A [jobs] section for quick transcodes of small clips: the built reel-transcode,
    ultrafast, 2 s segments, one small rung; no memory limit for a sanitized build."""
    sec = {"transcoder": TRANSCODE_BIN, "preset": "ultrafast", "segment": "2",
           "ladder": "320x180@200"}
    if sanitized(TRANSCODE_BIN):
        sec["memory_limit"] = "0"
    sec.update(kw)
    return sec


def admin_token(tmp, name="ops"):
    """A new admin token and the tokens file that admits it."""
    out = subprocess.run([ORIGIN_BIN, "--admin-token", name], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    token = out[0].split(": ", 1)[1]
    path = os.path.join(tmp, "admins")
    with open(path, "w") as f:
        f.write("# admins\n" + out[-1] + "\n")
    return token, path


class Origin:
    """One reel-origin process with a generated configuration and data folder."""

    def __init__(self, tmp, admin=True, tls=None, admin_tls=False, **overrides):
        self.dir = tmp
        self.data = os.path.join(tmp, "data")
        self.conf_path = os.path.join(tmp, "origin.conf")
        self.log_path = os.path.join(tmp, "origin.log")
        self.sections = {
            "server": {"max_body": "4k", "shutdown_timeout": "2s"},
            "admin": {},
            "store": {"data_dir": self.data, "map_size": "16m"},
            "auth": {},
            "log": {"error_log": self.log_path, "level": "debug", "access_log": "off"},
        }
        self.admin_token = None
        self.tls_port = None
        if tls:
            self.tls_port = et.free_port()
            self.sections["server"]["listen_tls"] = "127.0.0.1:%d" % self.tls_port
            self.sections["tls"] = {"certificate": tls[0], "key": tls[1]}
        self.admin_tls_port = None
        if tls and admin_tls:
            self.admin_tls_port = et.free_port()
            self.sections["admin"]["listen_tls"] = "127.0.0.1:%d" % self.admin_tls_port
        if admin:
            self.admin_token, path = admin_token(tmp)
            self.sections["admin"]["tokens"] = path
        for sec, kv in overrides.items():
            self.sections.setdefault(sec, {}).update(kv)
        self.proc = None

    def start(self):
        for attempt in range(3):
            self.port = et.free_port()
            self.admin_port = et.free_port()
            self.sections["server"].setdefault("listen", "127.0.0.1:%d" % self.port)
            self.sections["admin"]["listen"] = "127.0.0.1:%d" % self.admin_port
            self.port = int(self.sections["server"]["listen"].rsplit(":", 1)[1] or 0) \
                if self.sections["server"]["listen"] else self.port
            with open(self.conf_path, "w") as f:
                f.write(et.format_config(self.sections))
            self.log_size = len(self.error_log())
            self.stderr = open(os.path.join(self.dir, "stderr.txt"), "wb")
            self.proc = subprocess.Popen([ORIGIN_BIN, "-c", self.conf_path],
                                         stdin=subprocess.DEVNULL, stdout=self.stderr,
                                         stderr=self.stderr)
            if self.wait_ready():
                return self
            self.stop()
            if "Address already in use" not in self.logs():
                break
            self.sections["server"].pop("listen", None)
        raise et.Fatal("reel-origin did not start: %s" % self.logs())

    def wait_ready(self, timeout=20.0):
        """Wait until this process logs that it serves (all its listeners are open and its
        signal handlers set; "data in" is its last line before the loop) and its admin
        /healthz answers like an origin's, not another test's server on a reused port."""
        end = time.monotonic() + timeout
        start = self.log_size
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            if "info: data in " in self.error_log()[start:]:
                try:
                    r = et.request(self.admin_port, "GET", "/healthz", timeout=2.0)
                    if r.status == 200 and b'"leases"' in r.body:
                        return True
                except (OSError, et.Closed, ValueError):
                    pass
            time.sleep(0.05)
        return False

    def error_log(self):
        """The error log file's text so far (it outlives restarts)."""
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def logs(self):
        text = ""
        for p in (os.path.join(self.dir, "stderr.txt"), self.log_path):
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()
        return text

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self.stderr.close()
        return self.proc.returncode if self.proc else None

    def call(self, method, path, body=None, token=None, ctype="application/json",
             raw=None, port=None, headers=(), tls=False, source=None, host="127.0.0.1"):
        """One request; BODY is JSON-encoded unless RAW bytes are given; TLS: over HTTPS;
        SOURCE: from that address (another client); HOST: the origin's address."""
        data = raw if raw is not None else (
            b"" if body is None else json.dumps(body).encode())
        hdrs = list(headers)
        if data or method in ("POST", "PUT"):
            hdrs.append(("Content-Length", str(len(data))))
        if ctype and (data or raw is not None):
            hdrs.append(("Content-Type", ctype))
        if token is not None:
            hdrs.append(("Authorization", "Bearer " + token))
        ctx = None
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            port = self.tls_port
        with et.Conn(port or self.port, timeout=20, tls_ctx=ctx, source=source,
                     host=host) as c:
            c.send(et.build_request(method, path, hdrs, body=data))
            r = c.read_response(method)
        try:
            r.json = json.loads(r.body) if r.body else None
        except ValueError:
            r.json = None
        return r

    def admin(self, method, path, body=None, raw=None, token=None):
        """A request to the admin API with the admin token."""
        return self.call(method, path, body, token=token or self.admin_token, raw=raw,
                         port=self.admin_port)

    def user(self, email, password="correct horse battery staple", plan=None):
        """Sign up and log in EMAIL (subscribed to PLAN if given); returns the session token."""
        r = self.call("POST", "/api/v1/signup", {"email": email, "password": password})
        if r.status != 201:
            raise et.Fatal("signup %s: %s %r" % (email, r.status, r.body))
        r = self.call("POST", "/api/v1/login", {"email": email, "password": password})
        if r.status != 200:
            raise et.Fatal("login %s: %s %r" % (email, r.status, r.body))
        token = r.json["token"]
        if plan:
            r = self.call("PUT", "/api/v1/subscription", {"plan": plan}, token=token)
            if r.status != 201:
                raise et.Fatal("subscribe %s: %s %r" % (email, r.status, r.body))
        return token


class Test(et.Test):
    def __init__(self, name):
        super().__init__(name)
        self.origins = []

    def origin(self, **kw):
        o = Origin(tempfile.mkdtemp(dir=self.tmp), **kw)
        self.origins.append(o)
        return o.start()

    def cleanup(self):
        reports = []
        for o in self.origins:
            rc = o.stop()
            self.check("reel-origin exited cleanly on SIGTERM", rc == 0, "status %r" % rc)
            reports += [ln for ln in o.logs().splitlines()
                        if "Sanitizer" in ln or "runtime error:" in ln]
        self.check("no sanitizer reports from reel-origin", not reports,
                   "\n".join(reports)[:3000])
        super().cleanup()


def is_error(r, status, code):
    return (r.status == status and isinstance(r.json, dict) and r.json.get("error") == code
            and isinstance(r.json.get("message"), str)
            and r.header("Content-Type") == "application/json")


def make_clip(tmp, name, seconds, size="1280x720"):
    """A generated H.264/AAC clip TMP/NAME of SECONDS (made once)."""
    path = os.path.join(tmp, name)
    if not os.path.exists(path):
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=%s:rate=30" % size, "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
                        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
                        path], check=True)
    return path


def ed25519_key(tmp, kid):
    """An Ed25519 key made with the openssl CLI: (secret PEM path, public hex)."""
    pem = os.path.join(tmp, kid + ".pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", pem], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return pem, der[-32:].hex()


def stream_key_files(tmp, kid):
    """A new stream key KID: the origin's [keys] stream_keys file and the edge's
    [tokens] keys file for it, and the secret PEM: (origin file, edge file, pem)."""
    pem, pub = ed25519_key(tmp, kid)
    keys, edge_keys = os.path.join(tmp, "stream.keys"), os.path.join(tmp, "edge.keys")
    with open(keys, "w") as f:
        f.write("%s %s\n" % (kid, pem))
    with open(edge_keys, "w") as f:
        f.write("%s %s\n" % (kid, pub))
    return keys, edge_keys, pem


def make_package(tmp, name, key_hex=None, seconds=4):
    """A real HLS package (360p + 720p, 2 s segments) made by reel-transcode from a
    generated clip, encrypted with AES-128 KEY_HEX (key URI "../key") if given."""
    src = make_clip(tmp, "src-%d.mp4" % seconds, seconds)
    root = os.path.join(tmp, "content")
    os.makedirs(root, exist_ok=True)
    args = [TRANSCODE_BIN, src, os.path.join(root, name), "--segment=2", "--preset=ultrafast",
            "--ladder=640x360@400,1280x720@1200", "--progress=none"]
    if key_hex:
        kf = os.path.join(tmp, name + ".key")
        with open(kf, "w") as f:
            f.write(key_hex)
        args += ["--key-file=" + kf, "--key-uri=../key"]
    subprocess.run(args, check=True)
    return root
