"""Shared harness for the reel-edge integration tests (python3 stdlib only).

A test script does

    import edgetest as et

    def main(t):                      # t: et.Test, with t.tmp a fresh folder
        edge = t.edge(content=root)   # generated config, waits for /healthz
        r = et.request(edge.port, "GET", "/x")
        t.check("GET /x is 200", r.status == 200, r.summary())

    et.run(main)

run() prints one line per check and a last line "N passed, M failed", kills
every server the test started and removes the temp folder, also when the test
raises; its exit status is 0 only when nothing failed (77 for a skip, as meson
expects).

Only 127.0.0.1 and ephemeral ports are used.  The binary comes from $REEL_EDGE
(set by meson), else build/edge/reel-edge under $REEL_SOURCE_ROOT.
"""

import email.utils
import gzip
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77
SOURCE_ROOT = os.environ.get(
    "REEL_SOURCE_ROOT",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EDGE_BIN = os.environ.get("REEL_EDGE",
                          os.path.join(SOURCE_ROOT, "build", "edge", "reel-edge"))


class Skip(Exception):
    """Raise to end the test with meson's skip status (77)."""


class Fatal(Exception):
    """A failure after which the rest of the test makes no sense."""


# ---- ports, dates, files -----------------------------------------------------

_PORTS_GIVEN = set()


def free_port():
    """A port that was free a moment ago on 127.0.0.1 (bind to 0, read it, close),
    never one this process was given before: the kernel may hand out the same
    port again once it is closed, and two listeners of one config would clash."""
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port
    raise Fatal("no fresh free port on 127.0.0.1")


def http_date(ts):
    """IMF-fixdate for the Unix time TS."""
    return email.utils.formatdate(ts, usegmt=True)


def rand_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return data


def playlist_text(nseg=40):
    """A media playlist of about 1.2 KB for 40 segments."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2",
             "#EXT-X-MEDIA-SEQUENCE:1", "#EXT-X-PLAYLIST-TYPE:VOD",
             '#EXT-X-MAP:URI="init.mp4"']
    for i in range(1, nseg + 1):
        lines += ["#EXTINF:2.000,", "seg_%05d.m4s" % i]
    lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


def make_content(root):
    """Write the standard test files under ROOT; returns {url path: bytes}."""
    files = {
        "/t1/index.m3u8": playlist_text(),
        "/t1/seg_00001.m4s": rand_bytes(2 * 1024 * 1024, 1),
        "/t1/small.m4s": rand_bytes(10000, 2),
        "/t1/init.mp4": rand_bytes(1500, 3),
        "/t1/seg_00001.ts": rand_bytes(188 * 600, 4),
        "/t1/sub.vtt": ("WEBVTT\n\n" + "".join(
            "00:00:%02d.000 --> 00:00:%02d.500\nLine number %d of the subtitles\n\n"
            % (i, i, i) for i in range(30))).encode(),
        "/t1/meta.json": ("{" + ", ".join('"key%d": "value %d"' % (i, i)
                                          for i in range(40)) + "}\n").encode(),
        "/t1/notes.bin": rand_bytes(700, 5),
    }
    for path, data in files.items():
        write_file(root + path, data)
    return files


# ---- responses -----------------------------------------------------------------

class Response:
    """One parsed HTTP response: status, reason, version, headers (list), body."""

    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has(self, name):
        return self.header(name) is not None

    def summary(self):
        """The head as text and the body length, for failure messages."""
        head = self.raw_head.decode("latin-1").replace("\r\n", " | ")
        return "%s [body %d bytes]" % (head.strip(" |"), len(self.body))


class Closed(Exception):
    """The peer closed the connection before a whole response arrived."""


class Conn:
    """A raw HTTP/1.1 client connection with a read buffer (plain or TLS)."""

    def __init__(self, port, timeout=10.0, tls_ctx=None, rcvbuf=None, host="127.0.0.1",
                 source=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if source:  # another loopback address, e.g. 127.0.0.2: another client
            s.bind((source, 0))
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect((host, port))
        if tls_ctx is not None:
            s = tls_ctx.wrap_socket(s, server_hostname="localhost")
        self.sock = s
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def settimeout(self, t):
        self.sock.settimeout(t)

    def _fill(self, n=65536):
        try:
            chunk = self.sock.recv(n)
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            chunk = b""
        if not chunk:
            raise Closed("connection closed with %d bytes unparsed" % len(self.buf))
        self.buf += chunk

    def _take(self, n):
        while len(self.buf) < n:
            self._fill(max(65536, n - len(self.buf)))
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_response(self, method="GET"):
        """Read one whole response; the body length follows RFC 9112 6.3."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.split(b"\r\n")
        m = re.match(rb"(HTTP/\d\.\d) (\d{3}) ?(.*)$", lines[0])
        if not m:
            raise ValueError("bad status line %r" % lines[0])
        version, status, reason = m.group(1).decode(), int(m.group(2)), m.group(3).decode()
        headers = []
        for ln in lines[1:]:
            k, sep, v = ln.decode("latin-1").partition(":")
            if not sep:
                raise ValueError("bad header line %r" % ln)
            headers.append((k, v.strip()))
        r = Response(version, status, reason, headers, b"", raw_head + b"\r\n\r\n")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return r
        te = r.header("Transfer-Encoding")
        cl = r.header("Content-Length")
        if te and "chunked" in te.lower():
            r.body = self._read_chunked()
        elif cl is not None:
            r.body = self._take(int(cl))
        else:
            r.body = self.read_to_close()
        return r

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self._line().split(b";")[0], 16)
            if size == 0:
                while self._line():
                    pass
                return body
            body += self._take(size)
            self._take(2)

    def read_to_close(self, limit=64 << 20):
        """Everything up to the peer's close (bounded)."""
        try:
            while len(self.buf) < limit:
                self._fill()
        except (Closed, socket.timeout):
            pass
        data, self.buf = self.buf, b""
        return data

    def wait_closed(self, timeout):
        """Seconds until the peer closed (EOF or reset) or None if it stayed open.

        Bytes that arrive meanwhile are kept in the buffer."""
        t0 = time.monotonic()
        end = t0 + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                chunk = b""
            if not chunk:
                return time.monotonic() - t0
            self.buf += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def build_request(method, path, headers=None, version="HTTP/1.1", host="127.0.0.1",
                  body=b""):
    """Request bytes; HEADERS is a list of (name, value) or a dict; Host is added for 1.1."""
    lines = ["%s %s %s" % (method, path, version)]
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if host is not None and not any(k.lower() == "host" for k, _ in hdrs):
        lines.append("Host: %s" % host)
    lines += ["%s: %s" % kv for kv in hdrs]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return data + body


def request(port, method, path, headers=None, version="HTTP/1.1", tls_ctx=None,
            timeout=10.0):
    """One request on a fresh connection; returns the Response."""
    with Conn(port, timeout=timeout, tls_ctx=tls_ctx) as c:
        c.send(build_request(method, path, headers, version))
        return c.read_response(method)


def exchange(port, raw, method="GET", timeout=10.0, wait_close=0.0):
    """Send RAW bytes on a fresh connection; returns (Response or None, closed).

    With WAIT_CLOSE > 0, closed tells whether the server closed the connection
    within that many seconds after its response (or without one); otherwise it
    is None (not looked at)."""
    with Conn(port, timeout=timeout) as c:
        c.send(raw)
        try:
            r = c.read_response(method)
        except Closed:
            return None, True
        if wait_close <= 0:
            return r, None
        return r, c.wait_closed(wait_close) is not None


def parse_multipart(body, content_type):
    """Parts of a multipart/byteranges BODY: a list of (headers dict lowercased, data)."""
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not m:
        raise ValueError("no boundary in %r" % content_type)
    delim = b"--" + m.group(1).encode()
    parts = []
    pos = body.find(delim)
    if pos < 0:
        raise ValueError("no first boundary")
    while True:
        pos += len(delim)
        if body[pos:pos + 2] == b"--":
            if body[pos + 2:].strip(b"\r\n") != b"":
                raise ValueError("bytes after the closing boundary")
            return parts
        if body[pos:pos + 2] != b"\r\n":
            raise ValueError("boundary not followed by CRLF at %d" % pos)
        head_end = body.index(b"\r\n\r\n", pos)
        hdrs = {}
        for ln in body[pos + 2:head_end].split(b"\r\n"):
            k, _, v = ln.decode("latin-1").partition(":")
            hdrs[k.strip().lower()] = v.strip()
        cr = re.match(r"bytes (\d+)-(\d+)/(\d+)$", hdrs.get("content-range", ""))
        if not cr:
            raise ValueError("part without a valid Content-Range: %r" % hdrs)
        first, last = int(cr.group(1)), int(cr.group(2))
        start = head_end + 4
        data = body[start:start + last - first + 1]
        parts.append((hdrs, data))
        nxt = start + last - first + 1
        if body[nxt:nxt + 2 + len(delim)] != b"\r\n" + delim:
            raise ValueError("part data not followed by CRLF boundary at %d" % nxt)
        pos = nxt + 2


def parse_metrics(text):
    """Prometheus text -> {'name{labels}': float}."""
    out = {}
    for ln in text.splitlines():
        if not ln or ln.startswith("#"):
            continue
        key, _, val = ln.rpartition(" ")
        out[key] = float(val)
    return out


def gunzip(data):
    return gzip.decompress(data)


# ---- curl and other tools ------------------------------------------------------

class CurlResult:
    def __init__(self, rc, status, headers, body, stderr):
        self.rc, self.status, self.headers, self.body, self.stderr = (
            rc, status, headers, body, stderr)

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def summary(self):
        return "curl rc=%d status=%s headers=%r body=%d bytes stderr=%r" % (
            self.rc, self.status, self.headers, len(self.body), self.stderr[-300:])


def curl(tmp, url, *args, timeout=30):
    """Run curl; returns a CurlResult with the last response's status and headers."""
    hfile = os.path.join(tmp, "curl.headers")
    bfile = os.path.join(tmp, "curl.body")
    for f in (hfile, bfile):
        if os.path.exists(f):
            os.unlink(f)
    cmd = ["curl", "-sS", "--max-time", str(timeout), "-D", hfile, "-o", bfile] + \
        list(args) + [url]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout + 10)
    status, headers = None, []
    if os.path.exists(hfile):
        with open(hfile, "rb") as f:
            blocks = [b for b in f.read().split(b"\r\n\r\n") if b.strip()]
        if blocks:
            lines = blocks[-1].decode("latin-1").split("\r\n")
            m = re.match(r"HTTP/[\d.]+ (\d{3})", lines[0])
            status = int(m.group(1)) if m else None
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                headers.append((k.strip(), v.strip()))
    body = b""
    if os.path.exists(bfile):
        with open(bfile, "rb") as f:
            body = f.read()
    return CurlResult(p.returncode, status, headers, body, p.stderr.decode(errors="replace"))


def have(program):
    return shutil.which(program) is not None


def make_cert(tmp, name="edge"):
    """A self-signed ECDSA P-256 certificate for localhost/127.0.0.1: (cert, key) paths."""
    cert = os.path.join(tmp, name + ".crt")
    key = os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


# ---- the server ------------------------------------------------------------------

def format_config(sections):
    """INI text from {section: {key: value}} (values None are left out)."""
    out = []
    for sec, kv in sections.items():
        out.append("[%s]" % sec)
        out += ["%s = %s" % (k, v) for k, v in kv.items() if v is not None]
        out.append("")
    return "\n".join(out)


class Edge:
    """One reel-edge master process with its generated configuration."""

    def __init__(self, tmp, root, name="edge", tls=None, **overrides):
        self.tmp = tmp
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf_path = os.path.join(self.dir, "edge.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.metrics_port = free_port()
        self.sections = {
            "server": {"listen": "127.0.0.1:%d" % self.port, "workers": "1",
                       "shutdown_timeout": "5s"},
            "metrics": {"listen": "127.0.0.1:%d" % self.metrics_port},
            "content": {"root": root},
            "limits": {},
            "cache": {},
            "tls": {},
            "log": {"error_log": self.error_log, "level": "info", "access_log": "off"},
        }
        if tls:
            self.sections["server"]["listen_tls"] = "127.0.0.1:%d" % self.tls_port
            self.sections["tls"].update({"certificate": tls[0], "key": tls[1]})
        for sec, kv in overrides.items():
            self.sections.setdefault(sec, {}).update(kv)
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "stderr.txt")

    def write_config(self, text=None):
        with open(self.conf_path, "w") as f:
            f.write(text if text is not None else format_config(self.sections))

    def start(self, wait=True):
        """Start the master; with WAIT, return once /healthz answers.

        A port taken by someone else between free_port() and the bind is
        picked again (twice at most)."""
        for attempt in range(3):
            self.write_config()
            self._stderr = open(self.stderr_path, "wb")
            self.proc = subprocess.Popen([EDGE_BIN, "-c", self.conf_path],
                                         stdin=subprocess.DEVNULL, stdout=self._stderr,
                                         stderr=self._stderr, start_new_session=True)
            if not wait:
                return self
            try:
                self.wait_ready()
                return self
            except Fatal:
                if attempt == 2 or "Address already in use" not in self.logs():
                    raise
            self._stderr.close()
            self.port = free_port()
            self.sections["server"]["listen"] = "127.0.0.1:%d" % self.port
            self.metrics_port = free_port()
            self.sections["metrics"]["listen"] = "127.0.0.1:%d" % self.metrics_port
            if self.tls_port:
                self.tls_port = free_port()
                self.sections["server"]["listen_tls"] = "127.0.0.1:%d" % self.tls_port
        return self

    def wait_ready(self, timeout=10.0):
        """Poll /healthz until it answers 200; raise Fatal with the logs otherwise."""
        port = self.port if self.port else self.tls_port
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise Fatal("reel-edge exited with %d at startup: %s" % (
                    self.proc.returncode, self.logs()))
            try:
                r = request(port, "GET", "/healthz", timeout=2.0)
                if r.status == 200:
                    return
            except (OSError, Closed, ValueError):
                pass
            time.sleep(0.05)
        raise Fatal("reel-edge did not answer /healthz within %.0f s: %s" % (timeout,
                                                                              self.logs()))

    def metrics(self):
        """The counters /metrics on the metrics listener shows: {'name{labels}': float}."""
        return parse_metrics(request(self.metrics_port, "GET", "/metrics").body.decode())

    def logs(self):
        text = ""
        for p in (self.stderr_path, self.error_log):
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()
        return text[-3000:]

    def sanitizer_reports(self):
        """Lines of the server's output that tell of memory errors, UB or a crashed worker."""
        text = self.logs_full()
        pat = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|"
                         r"killed by signal|exited with status")
        return [ln for ln in text.splitlines() if pat.search(ln)]

    def logs_full(self):
        text = ""
        for p in (self.stderr_path, self.error_log):
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()
        return text

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def worker_pids(self):
        """PIDs of the master's children, from /proc."""
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                pids.append(int(d))
        return sorted(pids)

    def wait_exit(self, timeout):
        """Exit status, or None if still running after TIMEOUT seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM, then SIGKILL the whole process group after 5 s."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if self.wait_exit(5.0) is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5.0)
        try:
            # workers left behind (they are in the master's session)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._stderr.close()


# ---- the test runner ---------------------------------------------------------------

class Test:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix="reel-%s-" % name)
        self.edges = []

    def check(self, name, ok, detail=""):
        """Record one check; DETAIL is printed when it fails."""
        if ok:
            self.passed += 1
            print("ok     %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL   %s%s" % (name, (": " + str(detail)) if detail else ""), flush=True)
        return bool(ok)

    def check_eq(self, name, got, want):
        """check() that GOT == WANT, printing both when not (bytes shortened)."""
        def show(v):
            if isinstance(v, (bytes, bytearray)) and len(v) > 80:
                return "<%d bytes %r...>" % (len(v), bytes(v[:40]))
            return repr(v)
        return self.check(name, got == want, "got %s, want %s" % (show(got), show(want)))

    def edge(self, root, start=True, **kw):
        e = Edge(self.tmp, root, name="edge%d" % len(self.edges), **kw)
        self.edges.append(e)
        if start:
            e.start()
        return e

    def cleanup(self):
        reports = []
        for e in self.edges:
            try:
                e.stop()
                reports += e.sanitizer_reports()
            except Exception as ex:  # keep cleaning up
                print("warning: stopping reel-edge: %s" % ex, flush=True)
        if self.edges:
            self.check("no sanitizer or crash reports from reel-edge", not reports,
                       "\n".join(reports)[:3000])
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(main, name=None, cls=None):
    """Run MAIN(test), print the summary line, clean up, exit with the status.
    CLS is the Test class to use (a subclass with more servers)."""
    name = name or os.path.splitext(os.path.basename(sys.argv[0]))[0]
    if not os.access(EDGE_BIN, os.X_OK):
        print("reel-edge binary not found at %s (set REEL_EDGE)" % EDGE_BIN)
        sys.exit(1)
    t = (cls or Test)(name)
    t0 = time.monotonic()
    status = 0

    def terminated(signum, frame):  # meson's timeout: still stop every server started
        print("FAIL   test terminated (signal %d)" % signum, flush=True)
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, terminated)
    try:
        main(t)
    except Skip as ex:
        print("SKIP: %s" % ex, flush=True)
        status = SKIP
    except Exception:
        t.failed += 1
        print("FAIL   test aborted by an exception:\n%s" % traceback.format_exc(), flush=True)
    finally:
        t.cleanup()
    print("# %s: %.1f s" % (name, time.monotonic() - t0))
    print("%d passed, %d failed" % (t.passed, t.failed), flush=True)
    if status == SKIP and t.failed == 0:
        sys.exit(SKIP)
    sys.exit(1 if t.failed or t.passed == 0 else 0)
