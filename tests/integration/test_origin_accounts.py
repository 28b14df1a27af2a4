"""reel-origin accounts and sessions, against the real binary on 127.0.0.1.

signup -> login -> me -> logout -> me refused; duplicate signup; malformed,
mistyped and incomplete bodies; the password and email policies; wrong
content types, methods and sizes; no user enumeration at login; nothing
secret in clear in the LMDB file; password hashing off the event loop (other
requests answered while logins hash, 503 busy past [auth] hash_threads +
hash_queue, drain waits for logins in flight).  The binary comes from
$REEL_ORIGIN.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgetest as et  # noqa: E402  (HTTP client helpers)
import origintest as ot  # noqa: E402
from origintest import is_error  # noqa: E402

ORIGIN_BIN = ot.ORIGIN_BIN
Origin = ot.Origin


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
    r = o.call("POST", sign, {"email": "w@example.com", "password": "\u00e9\u00e0\u00fc\u00f6\u00df\u00e7\u00f1\u00f8\u00e5\u0153"})
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
        if not os.path.isfile(os.path.join(o.data, name)):
            continue  # the content and upload folders
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


def touch_survives_kill(t):
    """A session's last use is written by the next group commit (within the second's tick),
    not by the request: after a kill -9 and a restart the session counts as idle from that
    use, and one unused since its login as idle from the login."""
    o = t.origin(auth={"session_idle": "8s", "session_ttl": "1h"})  # touched every 1 s
    o.call("POST", "/api/v1/signup", {"email": "touch@example.com", "password": PASSWORD})
    cred = {"email": "touch@example.com", "password": PASSWORD}
    start = time.monotonic()
    used = (o.call("POST", "/api/v1/login", cred).json or {}).get("token") or ""
    unused = (o.call("POST", "/api/v1/login", cred).json or {}).get("token") or ""
    time.sleep(max(0.0, start + 4.0 - time.monotonic()))
    r = o.call("GET", "/api/v1/me", token=used)
    t.check("a session used 4 s after its login is 200", r.status == 200, r.body)
    time.sleep(1.6)  # the tick's group commit writes the touch
    o.proc.kill()
    o.proc.wait(5)
    o.stderr.close()
    o.start()
    time.sleep(max(0.0, start + 9.3 - time.monotonic()))
    r = o.call("GET", "/api/v1/me", token=used)
    t.check("after kill -9, the session is live from its last use (written by the commit)",
            r.status == 200, r.body)
    r = o.call("GET", "/api/v1/me", token=unused)
    t.check("a session unused since its login is idle after session_idle",
            is_error(r, 401, "invalid_token"), r.body)


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


def login_bytes(email, password):
    body = json.dumps({"email": email, "password": password}).encode()
    return et.build_request("POST", "/api/v1/login",
                            [("Content-Type", "application/json"),
                             ("Content-Length", str(len(body)))], body=body)


def send_logins(o, n, email, password):
    """N logins, each on its own connection, sent back to back; returns the connections."""
    conns = [et.Conn(o.port, timeout=20) for _ in range(n)]
    data = login_bytes(email, password)
    for c in conns:
        c.send(data)
    return conns


def answered(c):
    """Has the server sent anything on C yet (without waiting)?"""
    c.sock.setblocking(False)
    try:
        return bool(c.sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    finally:
        c.sock.settimeout(20)


def read_all(conns):
    out = []
    for c in conns:
        try:
            r = c.read_response("POST")
            r.json = json.loads(r.body) if r.body else None
        except (OSError, et.Closed, ValueError) as e:
            r = e
        out.append(r)
        c.close()
    return out


def hashing_off_loop(t):
    """Logins hash on worker threads: /healthz is answered while 4 of them are in flight.

    One hashing thread leaves a core to the loop on small machines; one round
    of ten must pass, as a busy machine may delay any one of them (inline
    hashing never passes: /healthz waits behind the 4 logins, > 60 ms)."""
    o = t.origin(auth={"hash_threads": "1", "hash_queue": "8"})
    r = o.call("POST", "/api/v1/signup", {"email": "busy@example.com", "password": PASSWORD})
    t.check_eq("signup through the hash pool is 201", r.status, 201)
    took_ok, statuses = None, []
    for _ in range(10):
        conns = send_logins(o, 4, "busy@example.com", PASSWORD)
        time.sleep(0.005)  # the logins are read and hashing (inline: the loop is stuck)
        with et.Conn(o.port, timeout=20) as h:
            t0 = time.monotonic()
            h.send(et.build_request("GET", "/healthz"))
            hr = h.read_response()
            took = time.monotonic() - t0
        # the logins must still be in flight when /healthz was answered
        pending = not all(answered(c) for c in conns) and took < 0.015
        rs = read_all(conns)
        statuses += [getattr(r, "status", repr(r)) for r in rs]
        if hr.status == 200 and pending:
            took_ok = took
            break
    t.check("/healthz answers in < 15 ms while 4 logins hash (%s ms)"
            % (None if took_ok is None else round(took_ok * 1000, 1)), took_ok is not None)
    t.check("the logins all succeed", statuses and all(st == 200 for st in statuses),
            statuses)
    rs = read_all(send_logins(o, 10, "guess@example.com", "wrong password!"))
    codes = sorted(getattr(r, "status", repr(r)) for r in rs)
    t.check_eq("10 guesses at once: checks in flight count for the throttle", codes,
               [401] * 6 + [429] * 4)
    o.stop()


def hashing_busy(t):
    """One thread, no queue: a burst of logins gets 503 busy; the pool recovers."""
    o = t.origin(auth={"hash_threads": "1", "hash_queue": "0"})
    r = o.call("POST", "/api/v1/signup", {"email": "burst@example.com", "password": PASSWORD})
    t.check_eq("signup with one hashing thread is 201", r.status, 201)
    rs = read_all(send_logins(o, 6, "burst@example.com", PASSWORD))
    codes = [getattr(r, "status", repr(r)) for r in rs]
    busy = [r for r in rs if getattr(r, "status", 0) == 503]
    t.check("a burst of 6 logins: some 200, the rest 503 (%s)" % codes,
            codes.count(200) >= 1 and len(busy) >= 1 and codes.count(200) + len(busy) == 6,
            codes)
    t.check("503 is busy with Retry-After: 1",
            busy and all(is_error(b, 503, "busy") and b.header("Retry-After") == "1"
                         for b in busy), busy and busy[0].summary())
    rs = read_all(send_logins(o, 6, "burst@example.com", "wrong password!"))
    codes = [getattr(r, "status", repr(r)) for r in rs]
    t.check("a burst of wrong passwords: 401 or 503, never 429 (%s)" % codes,
            all(c in (401, 503) for c in codes) and 401 in codes, codes)
    r = o.call("POST", "/api/v1/login", {"email": "burst@example.com", "password": PASSWORD})
    t.check("after the bursts a login succeeds (503s are not failed logins)",
            r.status == 200, r.summary() + repr(r.body))
    # clients leaving while their password hashes
    for c in send_logins(o, 3, "burst@example.com", PASSWORD):
        c.close()
    r = o.call("GET", "/healthz")
    t.check_eq("clients that left mid-hash do no harm", r.status, 200)
    end = time.monotonic() + 10
    while True:  # the abandoned job may still hold the thread
        r = o.call("POST", "/api/v1/login", {"email": "burst@example.com", "password": PASSWORD})
        if r.status != 503 or time.monotonic() > end:
            break
        time.sleep(0.1)
    t.check_eq("  and logins still work", r.status, 200)
    o.stop()


def hashing_drain(t):
    """SIGTERM while logins hash: they are answered, then the origin exits cleanly."""
    # the drain waits for the six hashes; under a sanitizer on a loaded machine they take
    # longer than the harness's 2 s shutdown_timeout
    o = t.origin(auth={"hash_threads": "1", "hash_queue": "8"},
                 server={"shutdown_timeout": "30s"})
    o.call("POST", "/api/v1/signup", {"email": "drain@example.com", "password": PASSWORD})
    conns = send_logins(o, 6, "drain@example.com", PASSWORD)
    # SIGTERM once the logins are read and handed to the hashing pool (one
    # thread needs > 100 ms for all six), however slow the machine is.
    end = time.monotonic() + 10
    while time.monotonic() < end:
        r = o.call("GET", "/metrics", port=o.admin_port)
        m = et.parse_metrics(r.body.decode()) if r.status == 200 else {}
        if m.get("reel_origin_hash_running", 0) + m.get("reel_origin_hash_queued", 0) >= 5:
            break
        time.sleep(0.005)
    time.sleep(0.02)
    o.proc.send_signal(signal.SIGTERM)
    rs = read_all(conns)
    t.check("logins in flight at SIGTERM are all answered 200",
            all(getattr(r, "status", 0) == 200 for r in rs),
            [getattr(r, "status", repr(r)) for r in rs])
    t.check("  those answered during the drain with Connection: close",
            any(getattr(r, "status", 0) == 200 and r.header("Connection") == "close"
                for r in rs))
    try:
        rc = o.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    t.check_eq("  and the origin exits with 0", rc, 0)


def https_cookies(t):
    """Over HTTPS a login also sets the session as a __Host- cookie, which then authenticates."""
    if not et.have("openssl"):
        return
    cert, key = et.make_cert(t.tmp, "origin")
    o = t.origin(tls=(cert, key))
    creds = {"email": "cookie@example.com", "password": PASSWORD}
    r = o.call("POST", "/api/v1/signup", creds, tls=True)
    t.check_eq("signup over HTTPS: 201", r.status, 201)
    r = o.call("POST", "/api/v1/login", creds, tls=True)
    cookie = r.header("Set-Cookie") or ""
    t.check("login over HTTPS sets a __Host- cookie: Secure, HttpOnly, SameSite=Lax, Path=/",
            cookie.startswith("__Host-reel_session=") and "; Secure" in cookie
            and "; HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
            and "Domain" not in cookie, cookie)
    value = cookie.split(";")[0].split("=", 1)[1] if "=" in cookie else ""
    t.check_eq("the cookie holds the session token", value, (r.json or {}).get("token"))
    r = o.call("GET", "/api/v1/me", tls=True,
               headers=[("Cookie", "theme=dark; __Host-reel_session=%s" % value)])
    t.check("the cookie authenticates GET /me", r.status == 200, r.body)
    r = o.call("POST", "/api/v1/login", creds)
    t.check("a login over plain HTTP sets no cookie", r.status == 200
            and not r.has("Set-Cookie"), r.summary())
    r = o.call("POST", "/api/v1/logout", tls=True,
               headers=[("Cookie", "__Host-reel_session=%s" % value)])
    t.check("logout with the cookie: 204, and the cookie is cleared",
            r.status == 204 and "Max-Age=0" in (r.header("Set-Cookie") or ""), r.summary())
    r = o.call("GET", "/api/v1/me", tls=True,
               headers=[("Cookie", "__Host-reel_session=%s" % value)])
    t.check("the cleared session no longer authenticates", is_error(r, 401, "invalid_token"),
            r.body)
    r = o.call("POST", "/api/v1/login", creds, tls=True)
    device = [v for k, v in r.headers if k.lower() == "set-cookie"
              and v.startswith("__Host-reel_device=")]
    t.check("login over HTTPS also sets the device cookie: a year, Secure, HttpOnly, "
            "SameSite=Strict", len(device) == 1 and "Max-Age=31536000" in device[0]
            and "; Secure" in device[0] and "SameSite=Strict" in device[0]
            and "Path=/" in device[0], r.summary())
    dev = device[0].split(";")[0] if device else ""
    for _ in range(7):
        o.call("POST", "/api/v1/login", {"email": creds["email"], "password": "wrong password!"},
               source="127.0.0.2")
    r = o.call("POST", "/api/v1/login", creds, tls=True)
    t.check_eq("after an attacker's failures a browser without the cookie waits", r.status, 429)
    r = o.call("POST", "/api/v1/login", creds, tls=True, headers=[("Cookie", dev)])
    t.check_eq("the browser with the device cookie logs in", r.status, 200)
    answer_headers(t, o, True)
    answer_headers(t, o, False)


def password_change(t, o):
    """A password change ends every session of the account and opens a new one."""
    email, new = "changer@example.com", "a brand new passphrase"
    o.call("POST", "/api/v1/signup", {"email": email, "password": PASSWORD})
    s1 = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD}).json["token"]
    s2 = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD}).json["token"]
    r = o.call("POST", "/api/v1/password", {"current": "not it at all", "new": new}, token=s1)
    t.check("a wrong current password: 403", is_error(r, 403, "wrong_password"), r.body)
    r = o.call("POST", "/api/v1/password", {"current": PASSWORD, "new": "short"}, token=s1)
    t.check("a weak new password: 422", is_error(r, 422, "weak_password"), r.body)
    r = o.call("POST", "/api/v1/password", {"current": PASSWORD, "new": email}, token=s1)
    t.check("the email as the new password: 422", is_error(r, 422, "weak_password"), r.body)
    r = o.call("POST", "/api/v1/password", {"current": PASSWORD}, token=s1)
    t.check("no new password: 400", is_error(r, 400, "invalid_request"), r.body)
    r = o.call("POST", "/api/v1/password", {"current": PASSWORD, "new": new})
    t.check("no session: 401", is_error(r, 401, "unauthorized"), r.body)
    r = o.call("POST", "/api/v1/password", {"current": PASSWORD, "new": new}, token=s1)
    t.check("change: 200 with a new session", r.status == 200 and r.json.get("token")
            not in (None, s1, s2), r.body)
    s3 = (r.json or {}).get("token", "")
    for name, tok in (("the session used", s1), ("another session", s2)):
        r = o.call("GET", "/api/v1/me", token=tok)
        t.check("%s has ended" % name, is_error(r, 401, "invalid_token"), r.body)
    t.check_eq("the new session works", o.call("GET", "/api/v1/me", token=s3).status, 200)
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD})
    t.check("the old password no longer logs in", is_error(r, 401, "invalid_credentials"),
            r.body)
    r = o.call("POST", "/api/v1/login", {"email": email, "password": new})
    t.check_eq("the new one does", r.status, 200)


def answer_headers(t, o, tls):
    """nosniff on every answer (the HTTP core's own too), HSTS on every HTTPS one, and a
    request with two Authorization headers refused."""
    answers = [o.call("GET", "/api/v1/me", tls=tls), o.call("GET", "/api/v1/nothing", tls=tls),
               o.call("POST", "/api/v1/login", raw=b"x" * 20000, tls=tls),
               o.call("GET", "/healthz", tls=tls)]
    if not tls:
        answers.append(o.admin("GET", "/admin/v1/users"))
    t.check("%s: X-Content-Type-Options: nosniff on 401, 404, 413 and 200"
            % ("HTTPS" if tls else "HTTP"),
            all(r.header("X-Content-Type-Options") == "nosniff" for r in answers),
            [r.summary() for r in answers])
    hsts = [r.header("Strict-Transport-Security") for r in answers]
    if tls:
        t.check("HTTPS: Strict-Transport-Security on every answer",
                all(h and h.startswith("max-age=") for h in hsts), hsts)
    else:
        t.check("plain HTTP: no Strict-Transport-Security", not any(hsts), hsts)
    tok = o.user("twice%d@example.com" % tls)
    r = o.call("GET", "/api/v1/me", tls=tls, headers=[("Authorization", "Bearer " + tok),
                                                       ("Authorization", "Bearer other")])
    t.check("two Authorization headers: 400 invalid_request",
            is_error(r, 400, "invalid_request") and "Authorization" in r.json["message"], r.body)
    r = o.call("GET", "/api/v1/me", tls=tls, headers=[("Authorization", "Bearer bogus"),
                                                       ("Authorization", "Bearer " + tok)])
    t.check_eq("... whichever comes first", r.status, 400)
    r = o.call("GET", "/api/v1/me", tls=tls, token=tok)
    t.check_eq("one Authorization header: 200", r.status, 200)


def owner_not_locked_out(t):
    """Wrong passwords from one address hold up the account, but not its owner's device."""
    o = t.origin()
    email = "owner@example.com"
    o.call("POST", "/api/v1/signup", {"email": email, "password": PASSWORD})
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD},
               source="127.0.0.3")
    device = (r.json or {}).get("device_token", "")
    t.check("a login answers a device token", r.status == 200 and len(device) == 43, r.body)
    codes = [o.call("POST", "/api/v1/login", {"email": email, "password": "wrong password!"},
                    source="127.0.0.2").status for _ in range(6)]
    t.check_eq("an attacker's six wrong passwords from 127.0.0.2: 401 each", codes, [401] * 6)
    r = o.call("POST", "/api/v1/login", {"email": email, "password": "wrong password!"},
               source="127.0.0.2")
    t.check("the attacker waits: 429", is_error(r, 429, "too_many_attempts"), r.body)
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD},
               source="127.0.0.3")
    t.check("the owner without the device token is held up too: 429", r.status == 429,
            r.summary())
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD,
                                         "device_token": device}, source="127.0.0.3")
    t.check("the owner's device (token in the body) logs in at once: 200", r.status == 200,
            r.body)
    other = o.call("POST", "/api/v1/signup", {"email": "else@example.com", "password": PASSWORD})
    theirs = o.call("POST", "/api/v1/login", {"email": "else@example.com", "password": PASSWORD},
                    source="127.0.0.4").json["device_token"]
    for _ in range(6):
        o.call("POST", "/api/v1/login", {"email": email, "password": "wrong password!"},
               source="127.0.0.2")
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD,
                                         "device_token": theirs}, source="127.0.0.4")
    t.check("another account's device token does not help: 429", r.status == 429, r.summary())
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD,
                                         "device_token": device[:-2] + "AA"},
               source="127.0.0.3")
    t.check("a forged device token does not help: 429", r.status == 429, r.summary())
    codes = [o.call("POST", "/api/v1/login", {"email": email, "password": "wrong password!",
                                              "device_token": device},
                    source="127.0.0.3").status for _ in range(6)]
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD,
                                         "device_token": device}, source="127.0.0.3")
    t.check("a device has limits of its own: six failures, then 429",
            codes == [401] * 6 and r.status == 429, (codes, r.status))
    r = o.call("POST", "/api/v1/login", {"email": email, "password": PASSWORD,
                                         "device_token": 5})
    t.check("a device token that is not a string: 400", is_error(r, 400, "invalid_request"),
            r.body)


def common_passwords(t):
    """Common, patterned and email-based passwords are refused with the reason."""
    o = t.origin()
    sign = "/api/v1/signup"
    for pw, why in [("password123", "common password"), ("1234567890", "sequence"),
                    ("qwertyuiop", "common password"),
                    ("iloveyou12", "common password"), ("zxcvbnm,./", "keyboard"),
                    ("7777777777", "repeats"), ("xkxkxkxkxkxk", "repeats"),
                    ("27/03/1981a", "date"), ("marvin.zorbo1", "email"),
                    ("myreel2024!", "service")]:
        r = o.call("POST", sign, {"email": "marvin.zorbo@example.com", "password": pw})
        t.check("%r is 422 weak_password naming the reason (%s)" % (pw, why),
                is_error(r, 422, "weak_password") and why in r.json["message"], r.body)
    r = o.call("POST", sign, {"email": "marvin.zorbo@example.com",
                              "password": "correct horse battery staple"})
    t.check_eq("a passphrase is accepted: 201", r.status, 201)
    o = t.origin(auth={"password_strength": "0"})
    r = o.call("POST", sign, {"email": "any@example.com", "password": "password123"})
    t.check_eq("password_strength = 0 accepts any password of the policy", r.status, 201)


def signup_throttle(t):
    """Signups count per address: enumeration through 409 email_taken is bounded."""
    o = t.origin(auth={"signups_per_address": "3"})
    o.call("POST", "/api/v1/signup", {"email": "known@example.com", "password": PASSWORD})
    codes = [o.call("POST", "/api/v1/signup", {"email": e, "password": PASSWORD}).status
             for e in ("known@example.com", "new1@example.com")]
    t.check_eq("409 for a taken email, 201 for a new one", codes, [409, 201])
    r = o.call("POST", "/api/v1/signup", {"email": "new2@example.com", "password": PASSWORD})
    t.check("the fourth signup from the address: 429 with Retry-After",
            is_error(r, 429, "too_many_attempts") and r.header("Retry-After"), r.summary())
    r = o.call("POST", "/api/v1/signup", {"email": "new2@example.com", "password": PASSWORD},
               source="127.0.0.2")
    t.check_eq("another address may sign up", r.status, 201)
    r = o.call("POST", "/api/v1/signup", {"email": "bad", "password": PASSWORD})
    t.check("a malformed signup is answered as before (not counted)",
            is_error(r, 422, "invalid_email"), r.body)


def main(t):
    o = t.origin()
    tokens = flow(t, o)
    bad_input(t, o)
    enumeration(t, o)
    at_rest(t, o, tokens)
    restart(t, o, tokens[1])
    password_change(t, o)
    idle(t)
    touch_survives_kill(t)
    throttling(t)
    config_checks(t)
    hashing_off_loop(t)
    hashing_busy(t)
    hashing_drain(t)
    https_cookies(t)
    owner_not_locked_out(t)
    common_passwords(t)
    signup_throttle(t)


if __name__ == "__main__":
    et.run(main, "origin_accounts", cls=ot.Test)
