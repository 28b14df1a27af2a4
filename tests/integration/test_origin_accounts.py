"""reel-origin accounts and sessions, against the real binary on 127.0.0.1.

signup -> login -> me -> logout -> me refused; duplicate signup; malformed,
mistyped and incomplete bodies; the password and email policies; wrong
content types, methods and sizes; no user enumeration at login; nothing
secret in clear in the LMDB file.  The binary comes from $REEL_ORIGIN.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgetest as et  # noqa: E402  (HTTP client helpers)

ORIGIN_BIN = os.environ.get("REEL_ORIGIN",
                            os.path.join(et.SOURCE_ROOT, "build", "origin", "reel-origin"))


class Origin:
    """One reel-origin process with a generated configuration and data folder."""

    def __init__(self, tmp, **overrides):
        self.dir = tmp
        self.data = os.path.join(tmp, "data")
        self.conf_path = os.path.join(tmp, "origin.conf")
        self.log_path = os.path.join(tmp, "origin.log")
        self.sections = {
            "server": {"max_body": "4k", "shutdown_timeout": "2s"},
            "store": {"data_dir": self.data, "map_size": "16m"},
            "auth": {},
            "log": {"error_log": self.log_path, "level": "debug", "access_log": "off"},
        }
        for sec, kv in overrides.items():
            self.sections.setdefault(sec, {}).update(kv)
        self.proc = None

    def start(self):
        for attempt in range(3):
            self.port = et.free_port()
            self.sections["server"]["listen"] = "127.0.0.1:%d" % self.port
            with open(self.conf_path, "w") as f:
                f.write(et.format_config(self.sections))
            self.stderr = open(os.path.join(self.dir, "stderr.txt"), "wb")
            self.proc = subprocess.Popen([ORIGIN_BIN, "-c", self.conf_path],
                                         stdin=subprocess.DEVNULL, stdout=self.stderr,
                                         stderr=self.stderr)
            if self.wait_ready():
                return self
            self.stop()
            if "Address already in use" not in self.logs():
                break
        raise et.Fatal("reel-origin did not start: %s" % self.logs())

    def wait_ready(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                if et.request(self.port, "GET", "/healthz", timeout=2.0).status == 200:
                    return True
            except (OSError, et.Closed, ValueError):
                pass
            time.sleep(0.05)
        return False

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
             raw=None):
        """One request; BODY is JSON-encoded unless RAW bytes are given."""
        data = raw if raw is not None else (
            b"" if body is None else json.dumps(body).encode())
        hdrs = []
        if data or method == "POST":
            hdrs.append(("Content-Length", str(len(data))))
        if ctype and (data or raw is not None):
            hdrs.append(("Content-Type", ctype))
        if token is not None:
            hdrs.append(("Authorization", "Bearer " + token))
        with et.Conn(self.port, timeout=20) as c:
            c.send(et.build_request(method, path, hdrs, body=data))
            r = c.read_response(method)
        try:
            r.json = json.loads(r.body) if r.body else None
        except ValueError:
            r.json = None
        return r


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
        shutil.rmtree(self.tmp, ignore_errors=True)


def is_error(r, status, code):
    return (r.status == status and isinstance(r.json, dict) and r.json.get("error") == code
            and isinstance(r.json.get("message"), str)
            and r.header("Content-Type") == "application/json")


EMAIL = "Viewer.One@Example.COM"
PASSWORD = "correct horse battery staple"


def flow(t, o):
    r = o.call("POST", "/api/v1/signup", {"email": "  " + EMAIL + " ", "password": PASSWORD})
    t.check("signup is 201", r.status == 201, r.summary() + repr(r.body))
    t.check_eq("signup answers the normalised email", (r.json or {}).get("email"),
               EMAIL.lower())
    r = o.call("POST", "/api/v1/signup", {"email": EMAIL.lower(), "password": PASSWORD + "x"})
    t.check("duplicate signup (other case) is 409 email_taken",
            is_error(r, 409, "email_taken"), r.body)

    r = o.call("POST", "/api/v1/login", {"email": EMAIL, "password": PASSWORD})
    t.check("login is 200", r.status == 200, r.summary() + repr(r.body))
    token = (r.json or {}).get("token", "")
    t.check("the token is 43 base64url characters",
            len(token) == 43 and all(c.isalnum() or c in "-_" for c in token), token)
    t.check("login gives an expiry", isinstance((r.json or {}).get("expires"), str), r.body)
    t.check_eq("login says Cache-Control: no-store", r.header("Cache-Control"), "no-store")
    r2 = o.call("POST", "/api/v1/login", {"email": EMAIL, "password": PASSWORD})
    token2 = (r2.json or {}).get("token", "")
    t.check("a second login gives another token", token2 and token2 != token, r2.body)

    r = o.call("GET", "/api/v1/me", token=token)
    t.check("me is 200", r.status == 200, r.summary() + repr(r.body))
    t.check_eq("me answers the email", (r.json or {}).get("email"), EMAIL.lower())
    t.check("me answers the creation time", isinstance((r.json or {}).get("created"), str),
            r.body)
    r = o.call("GET", "/api/v1/me")
    t.check("me without a token is 401 with WWW-Authenticate",
            is_error(r, 401, "unauthorized") and r.has("WWW-Authenticate"), r.summary())
    bad = token[:-1] + ("A" if token[-1] != "A" else "B")
    r = o.call("GET", "/api/v1/me", token=bad)
    t.check("me with a changed token is 401", is_error(r, 401, "invalid_token"), r.body)
    r = o.call("GET", "/api/v1/me", token="short")
    t.check("me with a malformed token is 401", is_error(r, 401, "invalid_token"), r.body)

    r = o.call("POST", "/api/v1/logout", token=token)
    t.check_eq("logout is 204", r.status, 204)
    r = o.call("GET", "/api/v1/me", token=token)
    t.check("me after logout is 401", is_error(r, 401, "invalid_token"), r.body)
    r = o.call("POST", "/api/v1/logout", token=token)
    t.check("a second logout is 401", is_error(r, 401, "invalid_token"), r.body)
    r = o.call("GET", "/api/v1/me", token=token2)
    t.check("the other session lives on", r.status == 200, r.body)
    return token, token2


def bad_input(t, o):
    sign = "/api/v1/signup"
    for name, raw in [("not JSON", b"{email:"), ("a JSON array", b"[1,2]"),
                      ("a JSON string", b'"x"'), ("an empty body", b""),
                      ("duplicate keys", b'{"email":"a@b.co","email":"c@d.co","password":"x"}'),
                      ("invalid UTF-8", b'{"email":"\xff@b.co","password":"0123456789ab"}')]:
        r = o.call("POST", sign, raw=raw)
        t.check("%s is 400 invalid_json" % name, is_error(r, 400, "invalid_json"),
                r.summary() + repr(r.body))
    for name, body in [("email a number", {"email": 5, "password": PASSWORD}),
                       ("password null", {"email": "x@example.com", "password": None}),
                       ("password an object", {"email": "x@example.com", "password": {}}),
                       ("email missing", {"password": PASSWORD}),
                       ("password missing", {"email": "x@example.com"})]:
        r = o.call("POST", sign, body)
        t.check("%s is 400 invalid_request" % name, is_error(r, 400, "invalid_request"),
                r.body)
    for name, body in [("9 characters", {"email": "w@example.com", "password": "123456789"}),
                       ("129 characters", {"email": "w@example.com", "password": "x" * 129}),
                       ("the email", {"email": "Weak.User@example.com",
                                      "password": "weak.user@EXAMPLE.com"}),
                       ("9 characters of 4 bytes", {"email": "w@example.com",
                                                   "password": "\U0001F600" * 9})]:
        r = o.call("POST", sign, body)
        t.check("a password of %s is 422 weak_password" % name,
                is_error(r, 422, "weak_password"), r.body)
    r = o.call("POST", sign, {"email": "w@example.com", "password": "\u00e9" * 10})
    t.check("10 two-byte characters are accepted", r.status == 201, r.body)
    for email in ["no-at-sign", "a@b", "a@@b.co", ".a@b.co", "a..b@b.co", "a@-b.co",
                  "a b@c.co", "a@b_c.co", "x" * 65 + "@b.co", "a@" + "b" * 300 + ".co",
                  ""]:
        r = o.call("POST", sign, {"email": email, "password": PASSWORD})
        t.check("email %r is 422 invalid_email" % email[:40],
                is_error(r, 422, "invalid_email"), r.body)
    r = o.call("POST", sign, {"email": "a\u0000b@c.co", "password": PASSWORD})
    t.check("a NUL character in a string is 400 invalid_json",
            is_error(r, 400, "invalid_json"), r.body)
    r = o.call("POST", sign, {"email": "p@example.com", "password": PASSWORD},
               ctype="text/plain")
    t.check("text/plain is 415", is_error(r, 415, "unsupported_media_type"), r.body)
    r = o.call("POST", sign, {"email": "p@example.com", "password": PASSWORD}, ctype=None)
    t.check("no Content-Type is 415", is_error(r, 415, "unsupported_media_type"), r.body)
    r = o.call("POST", sign, {"email": "p@example.com", "password": PASSWORD},
               ctype="application/json; charset=utf-8")
    t.check("application/json with a charset is accepted", r.status == 201, r.body)
    r = o.call("POST", sign, {"email": "big@example.com", "password": "x" * 5000})
    t.check_eq("a body over max_body is 413", r.status, 413)
    r = o.call("GET", sign)
    t.check("GET signup is 405 with Allow: POST",
            is_error(r, 405, "method_not_allowed") and r.header("Allow") == "POST", r.summary())
    r = o.call("DELETE", "/api/v1/me")
    t.check("DELETE me is 405 with Allow", r.status == 405 and "GET" in r.header("Allow", ""),
            r.summary())
    r = o.call("GET", "/api/v1/nothing")
    t.check("an unknown path is 404 JSON", is_error(r, 404, "not_found"), r.body)


def enumeration(t, o):
    wrong = o.call("POST", "/api/v1/login", {"email": EMAIL, "password": "wrong password!"})
    unknown = o.call("POST", "/api/v1/login",
                     {"email": "nobody@example.com", "password": "wrong password!"})
    t.check("a wrong password is 401 invalid_credentials",
            is_error(wrong, 401, "invalid_credentials"), wrong.body)
    t.check_eq("an unknown email answers the same status", unknown.status, wrong.status)
    t.check_eq("an unknown email answers the same body", unknown.body, wrong.body)
    times = {"wrong": [], "unknown": []}
    for _ in range(4):
        for kind, email in (("wrong", EMAIL), ("unknown", "nobody@example.com")):
            t0 = time.monotonic()
            o.call("POST", "/api/v1/login", {"email": email, "password": "wrong password!"})
            times[kind].append(time.monotonic() - t0)
    w, u = sorted(times["wrong"])[1], sorted(times["unknown"])[1]
    t.check("an unknown email takes about as long as a wrong password (%.1f vs %.1f ms)"
            % (u * 1000, w * 1000), u > w / 3 and w > u / 3, times)


def throttling(t):
    o = t.origin()
    o.call("POST", "/api/v1/signup", {"email": "slow@example.com", "password": PASSWORD})
    for email in ("slow@example.com", "ghost@example.com"):
        codes = [o.call("POST", "/api/v1/login",
                        {"email": email, "password": "wrong password!"}).status
                 for _ in range(6)]
        t.check_eq("%s: six failed logins are 401 each" % email, codes, [401] * 6)
        r = o.call("POST", "/api/v1/login", {"email": email, "password": "wrong password!"})
        retry = r.header("Retry-After")
        t.check("%s: the next one at once is 429 too_many_attempts with Retry-After" % email,
                is_error(r, 429, "too_many_attempts") and retry and int(retry) >= 1,
                r.summary() + repr(r.body))
        r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD})
        t.check("%s: even the right password waits its turn" % email, r.status == 429,
                r.summary())
    time.sleep(2.2)
    r = o.call("POST", "/api/v1/login", {"email": "slow@example.com", "password": PASSWORD})
    t.check_eq("after Retry-After the right password logs in", r.status, 200)
    r = o.call("POST", "/api/v1/login", {"email": "slow@example.com", "password": "wrong password!"})
    t.check_eq("  and the success cleared the account's failures", r.status, 401)
    r = o.call("POST", "/api/v1/login", {"email": "other@example.com", "password": "wrong password!"})
    t.check_eq("another account from the same address is not held up yet", r.status, 401)


def at_rest(t, o, tokens):
    o.stop()
    blob = b""
    for name in os.listdir(o.data):
        with open(os.path.join(o.data, name), "rb") as f:
            blob += f.read()
    t.check("the LMDB file holds the account", EMAIL.lower().encode() in blob)
    t.check("the password is not in the LMDB file in clear", PASSWORD.encode() not in blob)
    t.check("the session tokens are not in the LMDB file in clear",
            all(tok and tok.encode() not in blob for tok in tokens))
    t.check("the LMDB file holds argon2id hashes", b"$argon2id$v=19$m=19456,t=2,p=1$" in blob)
    log = o.logs().encode()
    t.check("neither password nor tokens are in the log",
            PASSWORD.encode() not in log and all(tok.encode() not in log for tok in tokens))


def restart(t, o, token2):
    o.start()
    r = o.call("GET", "/api/v1/me", token=token2)
    t.check("a session survives a restart", r.status == 200, r.body)


def idle(t):
    o = t.origin(auth={"session_idle": "1s", "session_ttl": "1h"})
    o.call("POST", "/api/v1/signup", {"email": "idle@example.com", "password": PASSWORD})
    token = (o.call("POST", "/api/v1/login",
                    {"email": "idle@example.com", "password": PASSWORD}).json or {}).get("token")
    time.sleep(2.1)
    r = o.call("GET", "/api/v1/me", token=token or "")
    t.check("a session idle longer than session_idle is 401", is_error(r, 401, "invalid_token"),
            r.body)


def config_checks(t):
    cfg = os.path.join(t.tmp, "weak.conf")
    for key, val in (("argon2_memory", "8m"), ("argon2_time", "1"),
                     ("argon2_parallelism", "0")):
        with open(cfg, "w") as f:
            f.write("[auth]\n%s = %s\n" % (key, val))
        p = subprocess.run([ORIGIN_BIN, "-t", "-c", cfg], capture_output=True)
        t.check("-t refuses %s = %s (below OWASP)" % (key, val),
                p.returncode == 1 and key.encode() in p.stderr, p.stderr)
    p = subprocess.run([ORIGIN_BIN, "--help"], capture_output=True)
    t.check("--help prints usage", p.returncode == 0 and b"usage: reel-origin" in p.stdout)
    conf = os.path.join(et.SOURCE_ROOT, "conf", "origin.conf")
    p = subprocess.run([ORIGIN_BIN, "-t", "-c", conf], capture_output=True)
    t.check("conf/origin.conf is valid", p.returncode == 0, p.stderr)


def main(t):
    o = t.origin()
    tokens = flow(t, o)
    bad_input(t, o)
    enumeration(t, o)
    at_rest(t, o, tokens)
    restart(t, o, tokens[1])
    idle(t)
    throttling(t)
    config_checks(t)


def run():
    name = "origin_accounts"
    if not os.access(ORIGIN_BIN, os.X_OK):
        print("reel-origin binary not found at %s (set REEL_ORIGIN)" % ORIGIN_BIN)
        sys.exit(1)
    t = Test(name)
    t0 = time.monotonic()
    try:
        main(t)
    except Exception:
        t.failed += 1
        print("FAIL   test aborted by an exception:\n%s" % traceback.format_exc(), flush=True)
    finally:
        t.cleanup()
    print("# %s: %.1f s" % (name, time.monotonic() - t0))
    print("%d passed, %d failed" % (t.passed, t.failed), flush=True)
    sys.exit(1 if t.failed or t.passed == 0 else 0)


if __name__ == "__main__":
    run()
