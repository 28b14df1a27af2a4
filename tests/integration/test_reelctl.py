"""reelctl against a real reel-origin on 127.0.0.1.

Every command, its text and --json output (the latter compared with what the
admin API itself answers), its exit status, and bad input: unknown commands
and options, missing arguments, bad URLs, wrong tokens, unknown objects,
config files open to others, the origin's HTTPS admin listener with and
without its CA, names that try to drive the terminal, a listing longer than
one page, and the bash completion.  The binaries come from $REELCTL and $REEL_ORIGIN.
"""

import datetime
import http.client
import json
import os
import re
import select
import socket
import ssl
import stat
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgetest as et  # noqa: E402
import origintest as ot  # noqa: E402

CTL = os.environ.get("REELCTL", os.path.join(et.SOURCE_ROOT, "build", "tools", "reelctl",
                                             "reelctl"))
BASH_COMPLETION = os.path.join(et.SOURCE_ROOT, "tools", "reelctl", "reelctl.bash")
OK, FAILED, USAGE, NOT_FOUND, REFUSED = 0, 1, 2, 3, 4


class Result:
    def __init__(self, p):
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            return None

    def __repr__(self):
        return "rc %r, stdout %r, stderr %r" % (self.rc, self.out[:600], self.err[:600])


class Ctl:
    """Runs reelctl with an empty HOME, and by default the origin's URL and token in the
    environment."""

    def __init__(self, tmp, origin=None):
        self.home = os.path.join(tmp, "home")
        os.makedirs(self.home, exist_ok=True)
        self.origin = origin

    def env(self, creds=True, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("REEL_ADMIN_") and k != "XDG_CONFIG_HOME"}
        env["HOME"] = self.home
        if creds and self.origin:
            env["REEL_ADMIN_URL"] = "http://127.0.0.1:%d" % self.origin.admin_port
            env["REEL_ADMIN_TOKEN"] = self.origin.admin_token
        env.update(extra)
        return env

    def __call__(self, *args, creds=True, stdin=None, env=None, timeout=60):
        p = subprocess.run([CTL] + list(args), input=stdin, capture_output=True, text=True,
                           env=env if env is not None else self.env(creds), timeout=timeout)
        return Result(p)


def one_error_line(r, text):
    """Whether stderr is the single line 'reelctl: TEXT'."""
    return r.err == "reelctl: %s\n" % text


# ---- help and usage (no origin needed) ---------------------------------------------

def command_names(text):
    """The commands --help lists: each line of its Commands section, up to the arguments."""
    names, inside = [], False
    for ln in text.splitlines():
        if ln == "Commands:":
            inside = True
        elif inside and not ln.strip():
            break
        elif inside:
            words = ln.split("  ")[1].split() if ln.startswith("  ") else []
            names.append(" ".join(w for w in words if w.islower()))
    return names


def help_and_usage(t, ctl):
    r = ctl("--help", creds=False)
    names = command_names(r.out)
    t.check("--help exits 0 and lists the commands", r.rc == 0 and len(names) >= 15, r)
    for want in ["user list", "user show", "user disable", "user enable", "plan add",
                 "plan list", "plan show", "plan rm", "grant", "title list", "title show",
                 "title rm", "title register", "title add", "job list", "job show",
                 "job cancel", "job retry", "job logs", "key add", "key list", "edge add",
                 "edge list", "edge show", "edge drain", "edge resume", "edge secret", "edge rm",
                 "steer", "token mint"]:
        t.check("--help lists '%s'" % want, want in names, names)
    t.check("--help gives the exit statuses",
            all(("  %d  " % n) in r.out for n in range(5)) and "not found" in r.out, r.out)
    bad = []
    for name in names:
        words = name.split()
        a = ctl(*(words + ["--help"]), creds=False)
        b = ctl(*(["help"] + words), creds=False)
        c = ctl(*(words[:1] + ["-h"] + words[1:]), creds=False)
        if not (a.rc == 0 and a.out.startswith("usage: reelctl %s" % name) and a.err == ""
                and b.rc == 0 and b.out == a.out and c.rc == 0 and c.out == a.out):
            bad.append((name, a, b, c))
    t.check("every command answers --help, -h and 'help COMMAND' alike", not bad, bad[:2])
    for group in ("user", "plan", "title", "job", "key", "edge", "token"):
        r = ctl(group, "--help", creds=False)
        t.check("'%s --help' lists its commands" % group,
                r.rc == 0 and all(ln.startswith("  %s " % group)
                                  for ln in r.out.split("Commands:\n")[1].splitlines()), r)
    r = ctl("--version", creds=False)
    t.check("--version", r.rc == 0 and re.match(r"^reelctl \d+\.\d+\.\d+\n$", r.out), r)

    cases = [
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["plan", "frobnicate"], "unknown command 'plan frobnicate'"),
        ([], "missing a command"),
        (["plan"], "'plan' needs a subcommand"),
        (["plan", "show"], "missing NAME"),
        (["grant", "someone"], "missing PLAN"),
        (["title", "register", "t1"], "missing MANIFEST"),
        (["token", "mint", "someone"], "missing TITLE"),
        (["plan", "show", "a", "b"], "unexpected argument 'b'"),
        (["plan", "add", "gold", "--max-height", "720"], "missing --max-streams N"),
        (["grant", "a", "b", "--days", "0"], "--days: expected a whole number in 1..3660"),
        (["grant", "a", "b", "--days", "many"], "--days: expected a whole number in 1..3660"),
        (["grant", "a", "b", "--days"], "--days needs a value (N)"),
        (["plan", "list", "--frob"], "unknown option '--frob'"),
        (["plan", "list", "--json=yes"], "--json takes no value"),
        (["--days", "3", "grant", "a", "b"], "unknown option '--days'"),
    ]
    for args, msg in cases:
        r = ctl(*args, creds=False)
        t.check("usage error %r: exit 2, '%s', a hint and nothing on stdout" % (args, msg),
                r.rc == USAGE and r.err.startswith("reelctl: %s\n" % msg) and r.out == ""
                and "--help" in r.err, r)
    r = ctl("grant", "someone", creds=False)
    t.check("a usage error shows the command's usage line",
            "usage: reelctl grant USER PLAN [options]\n" in r.err, r)
    r = ctl("plan", creds=False)
    t.check("a group without a subcommand lists the group", "  plan add NAME" in r.err, r)
    r = ctl("help", "frobnicate", creds=False)
    t.check("help of an unknown command: exit 2",
            r.rc == USAGE and one_error_line(r, "help: unknown command 'frobnicate'"), r)


# ---- credentials -------------------------------------------------------------------

def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def credentials(t, ctl, o):
    url = "http://127.0.0.1:%d" % o.admin_port
    tok = o.admin_token
    cfgdir = os.path.join(ctl.home, ".config", "reel")
    os.makedirs(cfgdir, exist_ok=True)
    default = os.path.join(cfgdir, "reelctl.conf")

    r = ctl("plan", "list", creds=False)
    t.check("no token anywhere: exit 2, saying where to put one",
            r.rc == USAGE and "no admin token" in r.err and default in r.err, r)

    write(default, "[admin]\nurl = %s\ntoken = %s\n" % (url, tok))
    r = ctl("plan", "list", creds=False)
    t.check("the default config file (~/.config/reel/reelctl.conf) is read", r.rc == OK, r)
    os.chmod(default, 0o644)
    r = ctl("plan", "list", creds=False)
    t.check("a config holding a token that others can read is refused: exit 4, chmod hint",
            r.rc == REFUSED and one_error_line(
                r, "%s: holds a token but is accessible by others (mode 0644); run: chmod 600 %s"
                % (default, default)), r)
    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen(1)
    write(default, "[admin]\nurl = http://127.0.0.1:%d\ntoken = %s\n"
          % (trap.getsockname()[1], tok), 0o604)
    r = ctl("plan", "list", creds=False)
    t.check("... before anything is sent (mode 0604: exit 4, no connection made)",
            r.rc == REFUSED and "(mode 0604)" in r.err
            and not select.select([trap], [], [], 0.2)[0], r)
    trap.close()
    write(default, "[admin]\nurl = %s\ntoken = %s\n" % (url, tok))

    xdg = os.path.join(ctl.home, "xdg")
    os.makedirs(os.path.join(xdg, "reel"))
    write(os.path.join(xdg, "reel", "reelctl.conf"), "[admin]\nurl = %s\ntoken = nope\n" % url)
    r = ctl("plan", "list", env=ctl.env(False, XDG_CONFIG_HOME=xdg))
    t.check("$XDG_CONFIG_HOME/reel/reelctl.conf comes first (its wrong token: exit 4)",
            r.rc == REFUSED and "the admin token from %s/reel/reelctl.conf was refused (401 "
            "unauthorized)" % xdg in r.err, r)

    other = write(os.path.join(ctl.home, "other.conf"),
                  "[admin]\nurl = %s\ntoken_file = admin.token\n" % url, 0o644)
    tf = write(os.path.join(ctl.home, "admin.token"), tok + "\n", 0o644)
    r = ctl("--config", other, "plan", "list", creds=False)
    t.check("a token file others can read is refused too",
            r.rc == REFUSED and r.err.startswith("reelctl: %s: holds a token" % tf), r)
    os.chmod(tf, 0o600)
    r = ctl("--config", other, "plan", "list", creds=False)
    t.check("--config FILE with token_file (relative to the config's folder)", r.rc == OK, r)
    r = ctl("--config", os.path.join(ctl.home, "none.conf"), "plan", "list", creds=False)
    t.check("--config naming a missing file: exit 3 naming it",
            r.rc == NOT_FOUND and "none.conf: cannot read: No such file" in r.err, r)
    write(os.path.join(ctl.home, "broken.conf"), "[admin]\nurl = %s\ntokn = x\n" % url)
    r = ctl("--config", os.path.join(ctl.home, "broken.conf"), "plan", "list", creds=False)
    t.check("a config with an unknown key: exit 2 naming the file and line",
            r.rc == USAGE and one_error_line(
                r, "%s/broken.conf:3: unknown key \"tokn\" in section [admin]" % ctl.home), r)

    # precedence: file < environment < flags
    write(default, "[admin]\nurl = %s\ntoken = wrong-in-file\n" % url)
    r = ctl("plan", "list", env=ctl.env(False, REEL_ADMIN_TOKEN=tok))
    t.check("REEL_ADMIN_TOKEN overrides the file's token", r.rc == OK, r)
    r = ctl("plan", "list", env=ctl.env(False, REEL_ADMIN_URL="http://127.0.0.1:1",
                                        REEL_ADMIN_TOKEN=tok))
    t.check("REEL_ADMIN_URL overrides the file's url (now unreachable: exit 1)",
            r.rc == FAILED and "cannot connect to http://127.0.0.1:1 (from REEL_ADMIN_URL)"
            in r.err, r)
    r = ctl("--url", url, "plan", "list",
            env=ctl.env(False, REEL_ADMIN_URL="http://127.0.0.1:1", REEL_ADMIN_TOKEN=tok))
    t.check("--url overrides REEL_ADMIN_URL", r.rc == OK, r)
    r = ctl("plan", "list", "--token", "wrong-flag", env=ctl.env(False, REEL_ADMIN_TOKEN=tok))
    t.check("--token overrides REEL_ADMIN_TOKEN (a wrong one: exit 4 naming --token)",
            r.rc == REFUSED and one_error_line(
                r, "%s: the admin token from --token was refused (401 unauthorized)" % url), r)
    r = ctl("plan", "list", "--token-file", tf, env=ctl.env(False, REEL_ADMIN_TOKEN="wrong"))
    t.check("--token-file overrides REEL_ADMIN_TOKEN", r.rc == OK, r)
    os.remove(default)

    example = os.path.join(et.SOURCE_ROOT, "conf", "reelctl.conf")
    with open(example) as f:
        write(default, f.read(), 0o644)
    write(os.path.join(cfgdir, "admin.token"), tok + "\n")
    r = ctl("plan", "list", env=ctl.env(False, REEL_ADMIN_URL=url))
    t.check("conf/reelctl.conf works as it is (token_file beside it)", r.rc == OK, r)
    os.remove(default)

    for bad in ["nonsense", "ftp://127.0.0.1/", "http://", "http://127.0.0.1:8091/?x=1"]:
        r = ctl("plan", "list", "--url", bad)
        t.check("bad URL %r: exit 2 naming it" % bad, r.rc == USAGE and one_error_line(
            r, "--url: '%s' is not a URL such as http://127.0.0.1:8091 or https://HOST:PORT"
            % bad), r)
    r = ctl("plan", "list", "--url", "http://127.0.0.1:%d" % o.port)
    t.check("the user API's address instead of the admin API's: exit 1 with a hint",
            r.rc == FAILED and "no such admin endpoint" in r.err and "[admin] listen" in r.err,
            r)
    r = ctl("plan", "list", "--url", url + "/")
    t.check("a URL with a trailing slash works", r.rc == OK, r)
    r = ctl("plan", "list", "--token", "two words")
    t.check("a token with a space: exit 2", r.rc == USAGE and one_error_line(
        r, "--token: a token has no spaces or control characters"), r)


def https(t, ctl, o, cert):
    """The origin's own HTTPS admin listener ([admin] listen_tls, [tls]'s certificate)."""
    url = "https://127.0.0.1:%d" % o.admin_tls_port
    r = ctl("plan", "list", "--url", url)
    t.check("HTTPS with an unknown CA: exit 1, saying to give --ca",
            r.rc == FAILED and r.err.startswith("reelctl: %s: " % url) and "--ca" in r.err, r)
    r = ctl("plan", "list", "--url", url, "--ca", cert)
    t.check("HTTPS verified with --ca", r.rc == OK, r)
    r = ctl("plan", "list", "--url", url.replace("127.0.0.1", "localhost"), "--ca", cert)
    t.check("HTTPS by host name, verified with --ca", r.rc == OK, r)
    r = ctl("plan", "list", "--url", url, "--insecure")
    t.check("HTTPS with --insecure", r.rc == OK, r)
    conf = write(os.path.join(t.tmp, "tls.conf"), "[admin]\nurl = %s\ntoken = %s\nca = %s\n"
                 % (url, o.admin_token, os.path.basename(cert)))
    r = ctl("--config", conf, "plan", "list", creds=False)
    t.check("ca = in the config file (relative to its folder)", r.rc == OK, r)
    conf = write(os.path.join(t.tmp, "tls2.conf"),
                 "[admin]\nurl = %s\ntoken = %s\ninsecure = on\n" % (url, o.admin_token))
    r = ctl("--config", conf, "plan", "list", creds=False)
    t.check("insecure = on in the config file", r.rc == OK, r)
    ctx = ssl.create_default_context(cafile=cert)
    with et.Conn(o.admin_tls_port, timeout=20, tls_ctx=ctx) as c:
        c.send(et.build_request("GET", "/admin/v1/plans",
                                [("Authorization", "Bearer " + o.admin_token)]))
        a = c.read_response("GET")
    t.check("the HTTPS admin API answers with HSTS and nosniff",
            a.status == 200 and a.header("Strict-Transport-Security") == "max-age=63072000"
            and a.header("X-Content-Type-Options") == "nosniff", a)
    r = et.request(o.admin_port, "GET", "/healthz")
    t.check("... and the plain admin listener without HSTS",
            r.status == 200 and r.header("Strict-Transport-Security") is None
            and r.header("X-Content-Type-Options") == "nosniff", r)


class Relay:
    """A TCP relay on 127.0.0.1 to PORT, a thread per connection.  A subclass may wrap the
    accepted socket (wrap) and watch or stop what the client sends (forward)."""

    def __init__(self, port):
        self.target = port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.relay, args=(c,), daemon=True).start()

    def wrap(self, c):
        return c

    def forward(self, conn, data):
        """Whether the client's DATA goes on (False: the connection is cut)."""
        return True

    def relay(self, c):
        try:
            s = self.wrap(c)
        except (ssl.SSLError, OSError):
            c.close()
            return
        try:
            u = socket.create_connection(("127.0.0.1", self.target))
        except OSError:  # the target is not there (restarting): the client sees a close
            s.close()
            return
        conn = {}
        try:
            while True:
                pending = isinstance(s, ssl.SSLSocket) and s.pending()
                ready = [s] if pending else select.select([s, u], [], [], 30)[0]
                if not ready:
                    return
                for a in ready:
                    data = a.recv(65536)
                    if not data or (a is s and not self.forward(conn, data)):
                        return
                    (u if a is s else s).sendall(data)
        except (OSError, ssl.SSLError):
            pass
        finally:
            u.close()
            s.close()

    def close(self):
        self.sock.close()


# ---- plans, users, grants ------------------------------------------------------------

def plans(t, ctl, o):
    r = ctl("plan", "list")
    t.check("plan list with no plans: exit 0, nothing on stdout, 'no plans' on stderr",
            r.rc == OK and r.out == "" and one_error_line(r, "no plans"), r)
    r = ctl("plan", "list", "--json")
    t.check_eq("plan list --json with no plans", r.json(), {"plans": []})

    r = ctl("plan", "add", "gold", "--max-streams", "4", "--max-height", "2160", "--downloads",
            "--max-devices", "2", "--max-downloads", "25", "--downloads-per-title-year", "3",
            "--title", "Gold")
    t.check("plan add: exit 0, 'created'",
            r.rc == OK and r.out == "plan 'gold' created\n" and r.err == "", r)
    api = o.admin("GET", "/admin/v1/plans/gold").json
    t.check_eq("plan add wrote every option", api, {
        "name": "gold", "title": "Gold", "max_streams": 4, "max_height": 2160,
        "downloads": True, "max_devices": 2, "max_downloads": 25,
        "downloads_per_title_year": 3, "period_days": 30})
    r = ctl("plan", "add", "gold", "--max-streams", "1", "--max-height", "720")
    t.check("plan add of an existing plan: exit 4, and the plan is unchanged",
            r.rc == REFUSED and one_error_line(
                r, "plan 'gold': exists (give --replace to replace it)")
            and o.admin("GET", "/admin/v1/plans/gold").json == api, r)
    r = ctl("plan", "add", "basic", "--max-streams", "1", "--max-height", "720",
            "--period-days", "7", "--json")
    t.check_eq("plan add --json answers the plan",
               r.json(), o.admin("GET", "/admin/v1/plans/basic").json)
    r = ctl("plan", "add", "basic", "--max-streams", "2", "--max-height", "1080", "--replace",
            "--period-days", "7")
    t.check("plan add --replace: 'replaced'", r.rc == OK and r.out == "plan 'basic' replaced\n"
            and o.admin("GET", "/admin/v1/plans/basic").json["max_streams"] == 2, r)
    r = ctl("plan", "add", "huge", "--max-streams", "1", "--max-height", "99999")
    t.check("a value the origin refuses: exit 2 with its reason",
            r.rc == USAGE and one_error_line(
                r, "plan 'huge': max_height must be an integer in 144..8640 (422 invalid_plan)"),
            r)
    r = ctl("plan", "add", "Bad/Name", "--max-streams", "1", "--max-height", "720")
    t.check("a bad plan name: exit 2, nothing written",
            r.rc == USAGE and "plan 'Bad/Name': " in r.err
            and len(o.admin("GET", "/admin/v1/plans").json["plans"]) == 2, r)

    r = ctl("plan", "list")
    lines = r.out.splitlines()
    t.check("plan list: a header and one aligned row per plan",
            r.rc == OK and len(lines) == 3 and lines[0].split()[:3] == ["NAME", "STREAMS", "HEIGHT"]
            and lines[1].split()[0] == "basic" and lines[2].split()[0] == "gold"
            and lines[0].index("HEIGHT") + 6 == lines[2].index("2160") + 4, r)
    r = ctl("plan", "list", "--json")
    t.check_eq("plan list --json is the API's answer", r.json(),
               o.admin("GET", "/admin/v1/plans").json)
    r = ctl("plan", "show", "gold")
    t.check("plan show", r.rc == OK and "max streams:" in r.out
            and re.search(r"^max height: +2160$", r.out, re.M), r)
    r = ctl("plan", "show", "gold", "--json")
    t.check_eq("plan show --json is the API's answer", r.json(), api)
    r = ctl("plan", "show", "nope")
    t.check("plan show of an unknown plan: exit 3, one line naming it",
            r.rc == NOT_FOUND and one_error_line(r, "plan 'nope': not found") and r.out == "", r)
    r = ctl("plan", "rm", "nope")
    t.check("plan rm of an unknown plan: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "plan 'nope': not found"), r)


def users(t, ctl, o):
    emails = ["alice@example.com", "bob@example.com", "carol@example.com"]
    for e in emails:
        o.user(e)
    api = o.admin("GET", "/admin/v1/users").json
    r = ctl("user", "list")
    lines = r.out.splitlines()
    t.check("user list: a header and one row per account",
            r.rc == OK and lines[0].split()[:3] == ["ID", "EMAIL", "ACCOUNT"]
            and [ln.split()[1] for ln in lines[1:]] == emails, r)
    r = ctl("user", "list", "--json")
    t.check_eq("user list --json is the API's answer", r.json(), api)
    alice = api["users"][0]
    r = ctl("user", "show", "  Alice@Example.COM ")
    t.check("user show by email (any case)", r.rc == OK
            and re.search(r"^id: +%s$" % alice["id"], r.out, re.M)
            and re.search(r"^plan: +none$", r.out, re.M), r)
    r = ctl("user", "show", alice["id"], "--json")
    t.check_eq("user show --json by id is the API's record", r.json(), alice)
    t.check_eq("... which the origin looks up itself",
               o.admin("GET", "/admin/v1/users/" + alice["id"]).json, alice)
    r = ctl("user", "show", "nobody@example.com")
    t.check("user show of an unknown user: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "user 'nobody@example.com': not found"), r)

    viewer = o.user("dave@example.com", plan=None)
    r = ctl("user", "disable", "dave@example.com")
    t.check("user disable by email", r.rc == OK
            and r.out == "user 'dave@example.com' disabled (0 streams ended)\n", r)
    me = o.call("GET", "/api/v1/me", token=viewer)
    t.check("the disabled user's session ended", me.status == 401, me.status)
    dave = [u for u in o.admin("GET", "/admin/v1/users").json["users"]
            if u["email"] == "dave@example.com"][0]
    t.check("the account is disabled", dave["disabled"] is True, dave)
    r = ctl("user", "enable", dave["id"], "--json")
    t.check_eq("user enable --json by id", r.json(),
               {"id": dave["id"], "disabled": False, "streams_ended": 0})
    r = ctl("user", "disable", "u0123456789abcdef")
    t.check("user disable of an unknown id: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "user 'u0123456789abcdef': not found"), r)
    r = ctl("user", "enable", "nobody")
    t.check("user enable of an unknown email: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "user 'nobody': not found"), r)


def when(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def grants(t, ctl, o):
    r = ctl("grant", "bob@example.com", "basic")
    sub = o.admin("GET", "/admin/v1/users").json["users"][1]["subscription"]
    t.check("grant without --days: one period of the plan (7 days)",
            r.rc == OK and r.out == "user 'bob@example.com' has plan 'basic' until %s\n"
            % sub["period_end"] and sub["source"] == "grant", (r, sub))
    t.check("... and the period is 7 days",
            when(sub["period_end"]) - when(sub["started"]) == datetime.timedelta(days=7), sub)
    r = ctl("grant", "carol@example.com", "gold", "--days", "3", "--json")
    j = r.json() or {}
    t.check("grant --days 3 --json answers the grant",
            r.rc == OK and j.get("subscription", {}).get("plan") == "gold"
            and j.get("user", "").startswith("u"), r)
    r = ctl("grant", "nobody@example.com", "gold")
    t.check("grant to an unknown user: exit 3 naming the user",
            r.rc == NOT_FOUND and one_error_line(r, "user 'nobody@example.com': not found"), r)
    r = ctl("grant", "carol@example.com", "platinum")
    t.check("grant of an unknown plan: exit 3 naming the plan",
            r.rc == NOT_FOUND and one_error_line(r, "plan 'platinum': not found"), r)
    r = ctl("plan", "rm", "gold")
    t.check("plan rm of a plan in use: exit 4 with the origin's reason",
            r.rc == REFUSED and one_error_line(
                r, "plan 'gold': subscriptions name this plan; move them first "
                "(409 plan_in_use)"), r)
    r = ctl("plan", "add", "spare", "--max-streams", "1", "--max-height", "144")
    r = ctl("plan", "rm", "spare")
    t.check("plan rm", r.rc == OK and r.out == "plan 'spare' deleted\n"
            and o.admin("GET", "/admin/v1/plans/spare").status == 404, r)


# ---- titles and keys -----------------------------------------------------------------

def titles(t, ctl, o):
    root = ot.make_package(t.tmp, "t1", seconds=2)
    pkg = os.path.join(root, "t1")
    r = ctl("title", "list")
    t.check("title list of an empty catalog", r.rc == OK and one_error_line(r, "no titles"), r)
    r = ctl("title", "register", "t1", pkg)
    api = o.admin("GET", "/admin/v1/titles/t1").json
    t.check("title register ID PACKAGE-FOLDER", r.rc == OK and api
            and r.out == "title 't1' registered, version %s\n" % api["version"]
            and r.err == "", r)
    r = ctl("title", "register", "t1", os.path.join(pkg, "manifest.json"), "--name", "First")
    t.check("title register again: 'updated', with --name",
            r.rc == OK and r.out.startswith("title 't1' updated")
            and o.admin("GET", "/admin/v1/titles/t1").json["name"] == "First", r)
    with open(os.path.join(pkg, "manifest.json")) as f:
        manifest = f.read()
    r = ctl("title", "register", "t2", "-", "--json", stdin=manifest)
    t.check_eq("title register from standard input, --json: the API's record",
               r.json(), o.admin("GET", "/admin/v1/titles/t2").json)

    bad = write(os.path.join(t.tmp, "bad.json"), '{"manifest_version": 1}')
    r = ctl("title", "register", "t3", bad)
    t.check("an invalid manifest: exit 2 with the origin's reason, nothing registered",
            r.rc == USAGE and r.err.startswith("reelctl: title 't3': ")
            and "invalid_manifest" in r.err and len(r.err.splitlines()) == 1
            and o.admin("GET", "/admin/v1/titles/t3").status == 404, r)
    r = ctl("title", "register", "t3", os.path.join(t.tmp, "missing.json"))
    t.check("a missing manifest: exit 3 naming the file",
            r.rc == NOT_FOUND and one_error_line(
                r, "%s/missing.json: No such file or directory" % t.tmp), r)
    r = ctl("title", "register", "t3", "/dev/null")
    t.check("a manifest that is not a file: exit 2", r.rc == USAGE, r)
    r = ctl("title", "register", "../escape", pkg)
    t.check("a bad title id goes to the origin escaped and is refused: exit 2",
            r.rc == USAGE and "title '../escape'" in r.err, r)

    r = ctl("title", "list")
    lines = r.out.splitlines()
    t.check("title list: a header and a row per title",
            r.rc == OK and lines[0].split()[:3] == ["ID", "NAME", "DURATION"]
            and [ln.split()[0] for ln in lines[1:]] == ["t1", "t2"]
            and "360p,720p" in lines[1], r)
    r = ctl("title", "list", "--json")
    t.check_eq("title list --json is the API's answer", r.json(),
               o.admin("GET", "/admin/v1/titles").json)
    r = ctl("title", "show", "t1")
    t.check("title show", r.rc == OK and re.search(r"^name: +First$", r.out, re.M)
            and len(re.findall(r"^video: +\d+x\d+", r.out, re.M)) == 2, r)
    r = ctl("title", "show", "t1", "--json")
    t.check_eq("title show --json", r.json(), o.admin("GET", "/admin/v1/titles/t1").json)
    r = ctl("title", "show", "nope")
    t.check("title show of an unknown title: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "title 'nope': not found"), r)

    keys(t, ctl, o)
    tokens(t, ctl, o)

    r = ctl("title", "rm", "t2")
    t.check("title rm", r.rc == OK and r.out == "title 't2' deleted, with its content keys\n"
            and o.admin("GET", "/admin/v1/titles/t2").status == 404, r)
    r = ctl("title", "rm", "t2")
    t.check("title rm of an unknown title: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "title 't2': not found"), r)

    evil = "\x1b]0;owned\x07\x1b[2J"
    r = ctl("title", "register", "evil", pkg, "--name", "Evil" + evil)
    r = ctl("title", "list")
    t.check("names from the origin cannot drive the terminal",
            r.rc == OK and "\x1b" not in r.out and "\x07" not in r.out
            and "Evil?]0;owned??[2J" in r.out, r)
    r = ctl("title", "show", "evil")
    t.check("... in title show either", r.rc == OK and "\x1b" not in r.out, r)


def keys(t, ctl, o):
    r = ctl("key", "add", "t1", "k1")
    m = re.match(r"^title 't1' key 'k1' is current: ([0-9a-f]{32}) \(shown once\)\n$", r.out)
    t.check("key add: a new key, shown once", r.rc == OK and m, r)
    r = ctl("key", "add", "t1", "k1")
    t.check("key add of a kid the title has: exit 4",
            r.rc == REFUSED and one_error_line(
                r, "title 't1': the title already has a key with this kid (409 key_exists)"), r)
    saved = os.path.join(t.tmp, "k2.key")
    r = ctl("key", "add", "t1", "k2", "--key", "00112233445566778899AABBCCDDEEFF",
            "--save", saved)
    with open(saved) as f:
        content = f.read()
    t.check("key add --key --save: the key in a new file of mode 600",
            r.rc == OK and r.out == "title 't1' key 'k2' is current; saved in %s\n" % saved
            and content == "00112233445566778899aabbccddeeff\n"
            and stat.S_IMODE(os.stat(saved).st_mode) == 0o600, (r, content))
    r = ctl("key", "add", "t1", "k3", "--save", saved)
    t.check("key add --save onto a file that exists: exit 1 before anything is stored",
            r.rc == FAILED and r.err.startswith("reelctl: %s: File exists" % saved), r)
    r = ctl("key", "add", "t1", "k3", "--json")
    j = r.json() or {}
    t.check("... so the kid is still free (key add --json)",
            r.rc == OK and j.get("title") == "t1" and j.get("kid") == "k3"
            and re.match(r"^[0-9a-f]{32}$", j.get("key", "")), r)
    failed = os.path.join(t.tmp, "k4.key")
    r = ctl("key", "add", "t1", "k4", "--key", "0011", "--save", failed)
    t.check("an invalid key: exit 2, and no file is left behind",
            r.rc == USAGE and "invalid_key" in r.err and not os.path.exists(failed), r)
    r = ctl("key", "list", "t1")
    lines = r.out.splitlines()
    t.check("key list: a header and the kids in order, the last one current",
            r.rc == OK and lines[0].split() == ["KID", "CURRENT", "ADDED"]
            and [ln.split()[:2] for ln in lines[1:]] == [["k1", "no"], ["k2", "no"],
                                                         ["k3", "yes"]]
            and all(re.match(r"^\d{4}-\d\d-\d\dT", ln.split()[2]) for ln in lines[1:])
            and "00112233" not in r.out, r)
    r = ctl("key", "list", "t1", "--json")
    t.check_eq("key list --json is the API's answer", r.json(),
               o.admin("GET", "/admin/v1/titles/t1/keys").json)
    r = ctl("key", "list", "t2")
    t.check("key list of a title without keys: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "title 't2': not found"), r)


def tokens(t, ctl, o):
    r = ctl("token", "mint", "carol@example.com", "t1", "--ttl", "120")
    kv = dict(re.findall(r"^(\w[\w ]*?): +(.*)$", r.out, re.M))
    leases = o.admin("GET", "/admin/v1/users").json["users"][2]
    t.check("token mint: the token, its edge URL and its lease",
            r.rc == OK and kv.get("token", "").startswith("v4.public.")
            and kv.get("url", "").endswith("/s/%s/t1/master.m3u8" % kv.get("token"))
            and kv.get("lease", "").startswith("l") and r.err == "", (r, leases))
    r = ctl("token", "mint", "carol@example.com", "t1", "--json")
    j = r.json() or {}
    t.check("token mint --json answers the API's grant",
            r.rc == OK and set(j) >= {"token", "url", "lease", "expires", "max_height"}, r)
    r = ctl("token", "mint", "carol@example.com", "t1", "--ttl", "59")
    t.check("token mint --ttl below 60: exit 2 before anything is sent",
            r.rc == USAGE and "--ttl: expected a whole number in 60..3600" in r.err, r)
    r = ctl("token", "mint", "nobody@example.com", "t1")
    t.check("token mint for an unknown user: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "user 'nobody@example.com': not found"), r)
    r = ctl("token", "mint", "carol@example.com", "nope")
    t.check("token mint for an unknown title: exit 3 naming the title",
            r.rc == NOT_FOUND and one_error_line(r, "title 'nope': not found"), r)
    r = ctl("token", "mint", "alice@example.com", "t1")
    t.check("token mint for a user without a plan: exit 4 with the origin's reason",
            r.rc == REFUSED and "an active subscription is required (403 no_subscription)"
            in r.err, r)


def paging(t, ctl, o):
    """A catalog longer than one page of the admin API (1000) is listed whole."""
    with open(os.path.join(t.tmp, "content", "t1", "manifest.json"), "rb") as f:
        manifest = f.read()
    n = 1005
    with et.Conn(o.admin_port, timeout=60) as c:
        for i in range(n):
            c.send(et.build_request("PUT", "/admin/v1/titles/bulk%04d" % i, [
                ("Content-Type", "application/json"), ("Content-Length", str(len(manifest))),
                ("Authorization", "Bearer " + o.admin_token)], body=manifest))
            if c.read_response("PUT").status != 201:
                t.check("bulk registration", False, i)
                return
    total = o.admin("GET", "/admin/v1/titles?limit=1").json["total"]
    r = ctl("title", "list", "--json")
    j = r.json() or {}
    t.check("title list --json reads every page", r.rc == OK and j.get("total") == total
            and len(j.get("titles", [])) == total and total > 1000, (total, r.err))
    r = ctl("title", "list")
    t.check("title list shows every title", r.rc == OK and len(r.out.splitlines()) == total + 1,
            r.err)


# ---- edges and steering ---------------------------------------------------------------

def beat(o, edge_id, secret, titles=("movie",)):
    """One signed heartbeat of edge EDGE_ID; its status."""
    body = json.dumps({"health": "ok", "titles": list(titles), "leases": []}).encode()
    headers = dict(ot.signed(edge_id, secret, "POST", "/edge/v1/heartbeat", body),
                   **{"Content-Type": "application/json"})
    c = http.client.HTTPConnection("127.0.0.1", o.edge_port, timeout=10)
    try:
        c.request("POST", "/edge/v1/heartbeat", body=body, headers=headers)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def config_lines(text):
    """The key = value lines of an [origin] section reelctl printed, as a dict."""
    return dict(ln.split(" = ", 1) for ln in text.splitlines()
                if " = " in ln and not ln.startswith(";"))


def ageless(j):
    """J (an edge listing or record) without the reports' "age", which moves on between two
    calls."""
    for e in (j or {}).get("edges", [j or {}]):
        (e.get("report") or {}).pop("age", None)
    return j


def edge_add(t, ctl, o):
    save = os.path.join(t.tmp, "edge-a.secret")
    r = ctl("edge", "add", "a", "http://edge-a.example", "--cluster", "isp1",
            "--capacity", "1000", "--prefixes", "192.0.2.0/24, 2001:db8::/32", "--save", save)
    conf = config_lines(r.out)
    t.check("edge add prints the edge's [origin] section: edge_id and secret_file",
            r.rc == OK and "[origin]" in r.out.splitlines() and re.match(
                r"^e[0-9a-f]{16}$", conf.get("edge_id", "")) and
            conf.get("secret_file") == os.path.realpath(save), r)
    mode = stat.S_IMODE(os.stat(save).st_mode) if os.path.exists(save) else None
    secret = open(save).read() if mode is not None else ""
    t.check("--save writes the credential alone, mode 600",
            mode == 0o600 and re.match(r"^[A-Za-z0-9_-]{43}\n$", secret), (mode, secret))
    a = {"id": conf.get("edge_id", ""), "secret": secret.strip()}
    t.check_eq("the printed credential signs the edge's heartbeat",
               beat(o, a["id"], a["secret"]), 200)

    pfile = os.path.join(t.tmp, "prefixes-b")
    write(pfile, "# isp2's prefixes\n198.51.100.0/24\n203.0.113.0/25  # lab\n\n2001:db8:1::/48\n")
    r = ctl("edge", "add", "b", "http://edge-b.example", "--cluster", "isp2",
            "--capacity", "500", "--prefixes-file", pfile, "--json")
    j = r.json() or {}
    api = o.admin("GET", "/admin/v1/edges/%s" % j.get("id", "x")).json
    t.check("edge add --json is the API's record with the credential",
            r.rc == OK and len(j.get("secret", "")) == 43 and
            {k: v for k, v in j.items() if k != "secret"} == api, (r, api))
    t.check_eq("--prefixes-file: one a line, comments dropped", (api or {}).get("prefixes"),
               ["198.51.100.0/24", "203.0.113.0/25", "2001:db8:1::/48"])
    b = {"id": j.get("id", ""), "secret": j.get("secret", "")}

    r = ctl("edge", "add", "a", "http://x.example", "--cluster", "x", "--capacity", "1")
    t.check("edge add of a name in use: exit 4", r.rc == REFUSED and r.err.startswith(
        "reelctl: edge 'a': ") and "409" in r.err, r)
    r = ctl("edge", "add", "c", "http://c.example", "--cluster", "x", "--capacity", "1",
            "--prefixes", "192.0.2.1/24")
    t.check("edge add of a prefix with host bits: exit 2 with the origin's reason",
            r.rc == USAGE and "prefixes must be" in r.err and "422" in r.err, r)
    r = ctl("edge", "add", "c", "--cluster", "x", "--capacity", "1")
    t.check("edge add without its URL: exit 2", r.rc == USAGE and "missing URL" in r.err, r)
    r = ctl("edge", "add", "c", "http://c.example", "--capacity", "1")
    t.check("edge add without --cluster: exit 2", r.rc == USAGE and "--cluster" in r.err, r)
    r = ctl("edge", "add", "c", "http://c.example", "--cluster", "x",
            "--capacity", "1", "--prefixes-file", os.path.join(t.tmp, "none"))
    t.check("edge add with a missing prefixes file: exit 3, naming it",
            r.rc == NOT_FOUND and os.path.join(t.tmp, "none") in r.err, r)
    r = ctl("edge", "add", "c", "http://c.example", "--cluster", "x",
            "--capacity", "1", "--save", save)
    t.check("edge add --save to a file that exists: exit 1, nothing registered",
            r.rc == FAILED and save in r.err and
            [e["name"] for e in o.admin("GET", "/admin/v1/edges").json["edges"]] == ["a", "b"],
            r)
    return a, b


def edge_views(t, ctl, o, a, b):
    api = o.admin("GET", "/admin/v1/edges").json
    r = ctl("edge", "list")
    lines = r.out.splitlines()
    t.check("edge list: a header and one row per edge, with its state",
            r.rc == OK and lines[0].split()[:4] == ["ID", "NAME", "STATE", "CLUSTER"]
            and [ln.split()[1:3] for ln in lines[1:]] == [["a", "up"], ["b", "down"]], r)
    t.check_eq("edge list --json is the API's answer (but the reports' age)",
               ageless(ctl("edge", "list", "--json").json()), ageless(api))
    r = ctl("edge", "show", "a")
    t.check("edge show by name", r.rc == OK and re.search(r"^id: +%s$" % a["id"], r.out, re.M)
            and re.search(r"^prefix: +2001:db8::/32$", r.out, re.M)
            and re.search(r"^last report: .* s ago\)$", r.out, re.M), r)
    r = ctl("edge", "show", a["id"], "--json")
    t.check_eq("edge show --json by id is the API's record", ageless(r.json()), api["edges"][0])
    r = ctl("edge", "show", "nope")
    t.check("edge show of an unknown name: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "edge 'nope': not found"), r)
    r = ctl("edge", "show", "e0123456789abcdef")
    t.check("edge show of an unknown id: exit 3",
            r.rc == NOT_FOUND and one_error_line(r, "edge 'e0123456789abcdef': not found"), r)


def steer(t, ctl, o, a):
    r = ctl("steer", "192.0.2.77", "movie")
    rows = [ln.split() for ln in r.out.splitlines()]
    t.check("steer: the edge of the longest prefix first, then the fallback",
            r.rc == OK and rows[0][:3] == ["WHY", "EDGE", "PREFIX"]
            and rows[1][:3] == ["prefix", a["id"], "24"] and rows[1][3] == "http://edge-a.example"
            and rows[-1][0] == "fallback", r)
    api = o.admin("GET", "/admin/v1/steer?address=2001:db8::5&title=movie").json
    r = ctl("steer", "2001:db8::5", "movie", "--json")
    t.check("steer --json is the API's answer (IPv6)", r.rc == OK and r.json() == api
            and api["choices"][0].get("prefix_len") == 32, (r, api))
    r = ctl("steer", "192.0.2.300", "movie")
    t.check("steer of a bad address: exit 2", r.rc == USAGE and "address" in r.err, r)
    r = ctl("steer", "192.0.2.1", "../x")
    t.check("steer of a bad title: exit 2", r.rc == USAGE and "title" in r.err, r)

    r = ctl("edge", "drain", "a")
    t.check("edge drain", r.rc == OK
            and r.out == "edge 'a' draining: no new players (state draining)\n", r)
    r = ctl("steer", "192.0.2.77", "movie", "--json")
    t.check("a draining edge is not chosen", r.rc == OK and all(
        c.get("edge") != a["id"] for c in (r.json() or {}).get("choices", [])), r)
    r = ctl("edge", "resume", a["id"], "--json")
    t.check("edge resume --json: the record, up again",
            r.rc == OK and (r.json() or {}).get("state") == "up", r)
    r = ctl("steer", "192.0.2.77", "movie", "--json")
    t.check("after resume the edge is chosen again",
            r.rc == OK and (r.json() or {})["choices"][0].get("edge") == a["id"], r)


def edge_secret_rm(t, ctl, o, a):
    save = os.path.join(t.tmp, "edge-a.secret2")
    r = ctl("edge", "secret", "a", "--save", save)
    conf = config_lines(r.out)
    new = open(save).read().strip() if os.path.exists(save) else ""
    t.check("edge secret --save: a new credential in the file, the section printed",
            r.rc == OK and conf.get("edge_id") == a["id"] and len(new) == 43
            and new != a["secret"] and conf.get("secret_file") == os.path.realpath(save), r)
    t.check_eq("the old credential is refused", beat(o, a["id"], a["secret"]), 401)
    t.check_eq("the new one is accepted", beat(o, a["id"], new), 200)
    r = ctl("edge", "secret", "a", "--save", save)
    t.check("edge secret --save to a file that exists: exit 1, the credential unchanged",
            r.rc == FAILED and beat(o, a["id"], new) == 200, r)
    r = ctl("edge", "secret", a["id"])
    shown = [ln[1:].strip() for ln in r.out.splitlines()
             if re.match(r"^; +[A-Za-z0-9_-]{43}$", ln)]
    t.check("edge secret without --save shows the credential once, as a comment",
            r.rc == OK and len(shown) == 1 and beat(o, a["id"], shown[0]) == 200, r)

    r = ctl("edge", "rm", "a")
    t.check("edge rm", r.rc == OK and r.out == "edge 'a' deleted, its credential refused\n", r)
    t.check_eq("a removed edge's credential is refused", beat(o, a["id"], shown[0]), 401)
    r = ctl("edge", "rm", "a")
    t.check("edge rm of an edge gone: exit 3", r.rc == NOT_FOUND
            and one_error_line(r, "edge 'a': not found"), r)
    r = ctl("edge", "drain", "e0123456789abcdef")
    t.check("edge drain of an unknown id: exit 3", r.rc == NOT_FOUND
            and one_error_line(r, "edge 'e0123456789abcdef': not found"), r)


def edges(t, ctl, o):
    a, b = edge_add(t, ctl, o)
    edge_views(t, ctl, o, a, b)
    steer(t, ctl, o, a)
    edge_secret_rm(t, ctl, o, a)


# ---- completion ----------------------------------------------------------------------

def completion(t, ctl):
    def complete(line):
        words = line.split(" ")
        script = ('source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _reelctl; '
                  'printf "%%s\\n" "${COMPREPLY[@]}"' % (
                      BASH_COMPLETION, " ".join("'%s'" % w for w in [CTL] + words), len(words)))
        p = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                           cwd=t.tmp, env=ctl.env(False))
        return sorted(w for w in p.stdout.splitlines() if w)

    t.check_eq("completion of the first word", complete("pl"), ["plan"])
    t.check_eq("completion of a group's commands", complete("plan "),
               ["add", "list", "rm", "show"])
    t.check_eq("completion of options", complete("grant a b --d"), ["--days"])
    got = complete("title register t1 ")
    t.check("completion of a manifest is file names", "content" in got and "bad.json" in got,
            got)
    t.check_eq("completion of a value that is not a file", complete("grant --days "), [])
    t.check_eq("completion of the edge commands", complete("edge "),
               ["add", "drain", "list", "resume", "rm", "secret", "show"])
    got = complete("edge add a http://x --prefixes-file ")
    t.check("completion of a prefixes file is file names", "content" in got, got)


def main(t):
    if not os.access(CTL, os.X_OK):
        raise et.Fatal("reelctl not found at %s (set REELCTL)" % CTL)
    ctl = Ctl(t.tmp)
    help_and_usage(t, ctl)
    cert, key = et.make_cert(t.tmp, "origin")
    edge_port = et.free_port()
    # an edge that reported once stays up through the edge commands, however slow they run
    o = t.origin(tls=(cert, key), admin_tls=True,
                 edges={"listen": "127.0.0.1:%d" % edge_port, "down_after": "120s"})
    o.edge_port = edge_port
    ctl.origin = o
    credentials(t, ctl, o)
    https(t, ctl, o, cert)
    plans(t, ctl, o)
    users(t, ctl, o)
    grants(t, ctl, o)
    titles(t, ctl, o)
    paging(t, ctl, o)
    edges(t, ctl, o)
    completion(t, ctl)
    r = ctl("plan", "list", "--url", "http://127.0.0.1:%d" % et.free_port())
    t.check("an origin that is not there: exit 1, 'cannot connect'",
            r.rc == FAILED and r.err.startswith("reelctl: cannot connect to http://127.0.0.1:"),
            r)


if __name__ == "__main__":
    et.run(main, "reelctl", cls=ot.Test)
