#!/usr/bin/env python3
"""tools/demo, the README's first command, run as a user runs it (on the programs
of this build, a temp data folder and free ports, without bbb.mp4): both edges are
registered and up, the sample title is complete on both, the origin steers a client
at 127.0.0.1 to one edge and one at 127.0.0.130 to the other, and ffmpeg decodes the
stream each was given (ffmpeg -i URL -f null -); the viewer, in headless Chromium
(web_player.js, as test_web_player.py drives it), logs in to the demo's web player,
finds the title by search and plays 10 s of it from the edge it was steered to (the
page's and the edge's access log's view), screenshots in $REEL_TEST_LOG_DIR/demo/.
A run started in the background by a script (so with SIGINT ignored, as such a shell
leaves it) and cut by SIGINT while it onboards the title stops everything it started
(reelctl, the origin and its reel-transcode, the edges) and frees its ports; the next
run starts the job over and is stopped by SIGTERM the same way; a second run reuses
the title, the edges and their stores (no job, nothing sent again) and stops on
Ctrl-C (SIGINT).  Skipped (77) where Chromium cannot start, after every other check."""

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time

import edgetest as et
import test_web_player as wp

BUILD = os.environ.get("REEL_BUILD_ROOT", os.path.join(et.SOURCE_ROOT, "build"))
DEMO = os.path.join(et.SOURCE_ROOT, "tools", "demo")
OFFSETS = (0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 363, 364)
READY = "Ctrl-C stops it."


def ports_free(base):
    """Whether no socket listens on (or holds, but for TIME_WAIT) any demo port of BASE."""
    socks = []
    try:
        for off in OFFSETS:
            s = socket.socket()
            socks.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", base + off))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_base():
    """A base port whose demo ports (OFFSETS) are all free on 127.0.0.1 right now."""
    for _ in range(200):
        base = random.randrange(20000, 32000)  # below the ephemeral ports
        if ports_free(base):
            return base
    raise et.Fatal("no free set of demo ports")


def processes_under(path):
    """{pid: name} of the processes whose command line names PATH (the demo's folder) or
    that work in it (as the demo and all it starts do)."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                named = path.encode() in f.read()
            if named or os.readlink("/proc/%s/cwd" % pid).startswith(path):
                with open("/proc/%s/comm" % pid) as f:
                    out[int(pid)] = f.read().strip()
        except OSError:
            pass
    return out


class Demo:
    """One run of tools/demo, its output collected as it comes.  BACKGROUND: started as
    `tools/demo ... &` by a script (a non-interactive shell, which starts it with SIGINT
    ignored; the script ignores SIGINT itself too, which the demo inherits all the same)."""

    def __init__(self, data, port, background=False):
        self.lines, self.data, self.port = [], data, port
        argv = [DEMO, "--data", data, "--build", BUILD, "--port", str(port), "--no-bbb"]
        if background:
            argv = ["bash", "-c", 'trap "" INT; "$@" & echo "demo pid $!"; wait $!', "bash"] + argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.pid = self.proc.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if background:
            said = wait(lambda: [x for x in self.lines if x.startswith("demo pid ")], 10)
            self.pid = int(said[0].split()[2]) if said else None

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def text(self):
        return "\n".join(self.lines)

    def wait_ready(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(READY in x for x in self.lines):
                return True
            if self.proc.poll() is not None:
                self.reader.join(5)
                return any(READY in x for x in self.lines)
            time.sleep(0.2)
        return False

    def signal(self, sig, timeout=30):
        """SIG to the script alone (Ctrl-C: SIGINT); its exit status, or None if it hangs."""
        if self.pid:
            os.kill(self.pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        for pid in list(processes_under(self.data)) + [self.proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()


class Admin:
    def __init__(self, port, token):
        self.port, self.token = port, token

    def get(self, path):
        r = et.request(self.port, "GET", path, {"Authorization": "Bearer " + self.token})
        return json.loads(r.body) if r.status == 200 else {}


def wait(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.3)
    return cond()


def play(port, token, source):
    """POST /api/v1/play for sample from client address SOURCE: (status, answer)."""
    body = json.dumps({"title": "sample"}).encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        c.request("POST", "/api/v1/play", body=body, headers={
            "Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    finally:
        c.close()


def login(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("POST", "/api/v1/login", body=json.dumps(
            {"email": "viewer@example.com", "password": "demo password 1"}).encode(),
            headers={"Content-Type": "application/json"})
        return json.loads(c.getresponse().read()).get("token", "")
    finally:
        c.close()


def check_stopped(t, demo, run, sig):
    """SIG stops the demo and everything it started; its ports are free again."""
    rc = demo.signal(sig)
    t.check("%s: %s ends the demo, with status %d" % (run, sig.name, 128 + sig),
            rc == 128 + sig, (rc, demo.text()[-2000:]))
    gone = wait(lambda: not processes_under(demo.data), 10)
    t.check_eq("%s: no process of the demo is left" % run, processes_under(demo.data), {})
    t.check("%s: every port of the demo is free again" % run,
            wait(lambda: ports_free(demo.port), 5))
    if rc is None or not gone:
        demo.kill()


def sizes(root):
    """{path: (size, mtime)} of every file under ROOT."""
    out = {}
    for d, _, files in os.walk(root):
        for n in files:
            st = os.stat(os.path.join(d, n))
            out[os.path.relpath(os.path.join(d, n), root)] = (st.st_size, st.st_mtime_ns)
    return out


def access_log(data, edge, pattern):
    """The first match of PATTERN in EDGE's access log (written at least once a second),
    and the log."""
    deadline = time.monotonic() + 5
    while True:
        with open(os.path.join(data, "edge-" + edge, "access.log")) as f:
            log = f.read()
        seen = re.search(pattern, log)
        if seen or time.monotonic() > deadline:
            return seen, log
        time.sleep(0.2)


def decode(url):
    """ffmpeg -i URL -f null -, as the README has it: the stream decoded whole."""
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-f", "null", "-"],
                          capture_output=True, text=True, timeout=180)


def browser(t, data, origin_port, edge_port):
    """The viewer in headless Chromium on the demo's web player: log in, find the title by
    search, play 10 s, from edge-a (where 127.0.0.1 is steered).  Returns the reason
    Chromium could not start, or None."""
    if not os.path.isfile(os.path.join(BUILD, "origin", "web", "site", "index.html")):
        print("# no web player in this build (-Dweb): no browser check", flush=True)
        return None
    log_dir = os.path.join(wp.LOG_ROOT, "demo")
    try:
        r = wp.run_driver(t, log_dir, timeout=120,
                          steps=["open", "signin", "search", "title", "play", "playshot"],
                          spki=wp.spki_hash(os.path.join(data, "edge.crt")),
                          base="http://127.0.0.1:%d/" % origin_port,
                          email="viewer@example.com", password="demo password 1",
                          search="sample", title_id="sample", title_name="Sample (testsrc2)")
    except et.Skip as e:
        return str(e)
    for s in r.get("steps", []):
        t.check("browser step %s" % s["name"], s["ok"], s.get("error", "")[:1500])
    get = lambda step, key, default=None: (r.get(step) or {}).get(key, default)
    t.check_eq("the browser: logged in as the demo's viewer", get("signin", "who"),
               "viewer@example.com")
    t.check_eq("... the search finds the sample title", get("search", "results"),
               ["Sample (testsrc2)"])
    played = get("play", "played") or 0
    t.check("... playing 10 s: currentTime advances about as fast as the clock (%.1f s)"
            % played, 8.0 <= played <= (get("play", "wall") or 0) + 0.5,
            (played, get("play", "wall")))
    t.check("... with no fatal hls.js error, not paused",
            get("play", "fatal") == "" and get("play", "paused") is False,
            (get("play", "fatal"), get("play", "paused")))
    edge_a = "http://127.0.0.1:%d" % edge_port["a"]
    media = r.get("media") or {}
    t.check("... its playlists and segments all came from edge-a, none from the origin",
            list(media) == [edge_a] and media[edge_a] >= 3, media)
    seen, log = access_log(data, "a", r'"GET /s/[^ ]+\.m4s HTTP/1\.1" 20[06] \d+ "[^"]*" '
                           r'"[^"]*HeadlessChrome')
    t.check("... edge-a's access log has the browser's segments", seen, log[-600:])
    for name in ("catalog.png", "playback.png"):
        p = os.path.join(log_dir, name)
        t.check("screenshot %s written" % p, os.path.exists(p) and os.path.getsize(p) > 5000)
    return None


def main(t):
    for prog in ("ffmpeg", "curl", "openssl", "setsid"):
        if not et.have(prog):
            raise et.Skip("%s is not installed" % prog)
    data = os.path.join(t.tmp, "demo data")
    base = free_base()
    edge_port, origin_port, admin_port = {"a": base, "b": base + 1}, base + 10, base + 11

    # Cut while the title is onboarded: reelctl waits on the job, reel-transcode runs.
    demo = Demo(data, base, background=True)
    try:
        cut = wait(lambda: any(re.match(r"transcode: +[1-9]\d*%", x) for x in demo.lines), 600)
        running = set(processes_under(data).values())
        t.check("cut while onboarding: reelctl title add and reel-transcode run",
                cut and {"reelctl", "reel-transcode", "reel-origin", "reel-edge"} <= running,
                (running, demo.text()[-2000:]))
    finally:
        check_stopped(t, demo, "cut while onboarding (started with SIGINT ignored)",
                      signal.SIGINT)

    t0 = time.monotonic()
    demo = Demo(data, base)
    try:
        ready = demo.wait_ready(900)
        first_s = time.monotonic() - t0
        print("# first run ready in %.1f s" % first_s, flush=True)
        if not t.check("first run: the demo comes up", ready, demo.text()[-3000:]):
            raise et.Fatal("the demo did not come up")
        out = demo.text()
        print("\n".join("# | " + x for x in demo.lines), flush=True)
        t.check("first run: the title was onboarded with reelctl title add --wait",
                "onboarding sample" in out and "complete on 2 edges" in out, out[-3000:])
        with open(os.path.join(data, "admin-token")) as f:
            admin = Admin(admin_port, f.read().strip())

        edges = {e["name"]: e for e in admin.get("/admin/v1/edges").get("edges", [])}
        t.check_eq("both edges are registered", sorted(edges), ["edge-a", "edge-b"])
        t.check("both edges are up (heartbeats)",
                wait(lambda: all(e.get("state") == "up" for e in
                                 admin.get("/admin/v1/edges").get("edges", []))), edges)
        t.check_eq("the edges serve different client prefixes",
                   [edges.get(n, {}).get("prefixes") for n in ("edge-a", "edge-b")],
                   [["127.0.0.0/25"], ["127.0.0.128/25"]])
        fill = admin.get("/admin/v1/fill")
        held = {e["name"]: {x["title"]: x["state"] for x in e["titles"]}
                for e in fill.get("edges", [])}
        t.check_eq("the sample title is complete on both edges", held,
                   {"edge-a": {"sample": "done"}, "edge-b": {"sample": "done"}})
        jobs = admin.get("/admin/v1/jobs").get("jobs", [])
        done = [j for j in jobs if j["state"] == "done"]
        t.check("the job shows its fill complete on 2 edges, the one cut was cancelled",
                len(done) == 1 and done[0]["fill"]["state"] == "complete" and
                done[0]["fill"]["edges"] == 2 and done[0]["fill"]["complete"] == 2 and
                [j["state"] for j in jobs if j not in done] == ["cancelled"], jobs)
        for e in ("a", "b"):
            t.check("edge-%s's store holds the package" % e, os.path.isfile(
                os.path.join(data, "edge-" + e, "store", "sample", "manifest.json")))

        token = login(origin_port)
        urls = {}
        for e, source in (("a", "127.0.0.1"), ("b", "127.0.0.130")):
            st, ans = play(origin_port, token, source)
            urls[e] = ans.get("url", "")
            t.check("a client at %s is steered to edge-%s" % (source, e),
                    st == 201 and ans.get("steering", {}).get("why") == "prefix" and
                    ans["steering"].get("edge") == edges.get("edge-" + e, {}).get("id") and
                    urls[e].startswith("http://127.0.0.1:%d/s/" % edge_port[e]), ans)
            r = decode(urls[e])
            t.check("ffmpeg -i URL -f null - decodes the stream given to %s, from edge-%s"
                    % (source, e), r.returncode == 0, r.stderr[-1500:])
        for e in ("a", "b"):
            seen, log = access_log(data, e, r'"GET /s/[^ ]+\.m4s HTTP/1\.1" 20[06] \d+ "[^"]*" '
                                   r'"Lavf')
            t.check("edge-%s's access log has ffmpeg's segments" % e, seen, log[-600:])
        no_chromium = browser(t, data, origin_port, edge_port)
        t.check("the demo prints a tokenized URL for each client address, on its edge, and "
                "the plain ones",
                re.search(r"from 127\.0\.0\.1: +ffplay 'http://127\.0\.0\.1:%d/s/[^/']+/"
                          r"sample/master\.m3u8'" % base, out) and
                re.search(r"from 127\.0\.0\.130: +ffplay 'http://127\.0\.0\.1:%d/s/" %
                          (base + 1), out) and
                "http://127.0.0.1:%d/sample/master.m3u8" % base in out, out[-3000:])
        stores = {e: sizes(os.path.join(data, "edge-" + e, "store")) for e in ("a", "b")}
        ids = {n: e["id"] for n, e in edges.items()}
    finally:
        check_stopped(t, demo, "first run", signal.SIGTERM)

    t0 = time.monotonic()
    demo = Demo(data, base)
    try:
        ready = demo.wait_ready(300)
        second_s = time.monotonic() - t0
        print("# second run ready in %.1f s (first %.1f s)" % (second_s, first_s), flush=True)
        if not t.check("second run: the demo comes up", ready, demo.text()[-3000:]):
            raise et.Fatal("the second run did not come up")
        out = demo.text()
        t.check("second run: the title is reused, nothing transcoded",
                "reusing title sample" in out and "onboarding" not in out, out[-2000:])
        t.check("second run: the edges keep their registration",
                "registered as" not in out and
                {e["name"]: e["id"] for e in admin.get("/admin/v1/edges")["edges"]} == ids)
        t.check_eq("second run: no new job", admin.get("/admin/v1/jobs").get("total"),
                   len(jobs))
        time.sleep(3)  # a rescan or two
        fill = admin.get("/admin/v1/fill")
        t.check("second run: both edges seen complete, nothing sent again",
                len(fill.get("edges", [])) == 2 and
                all(e["bytes_sent"] == 0 and e["done"] == 1 for e in fill["edges"]), fill)
        t.check("second run: the stores are as they were",
                {e: sizes(os.path.join(data, "edge-" + e, "store")) for e in ("a", "b")} ==
                stores)
        st, ans = play(origin_port, login(origin_port), "127.0.0.130")
        r = decode(ans.get("url", "-"))
        t.check("second run: ffmpeg decodes the stream from edge-b", r.returncode == 0,
                r.stderr[-1500:])
    finally:
        check_stopped(t, demo, "second run", signal.SIGINT)
    if no_chromium:
        raise et.Skip("Chromium cannot start: %s" % no_chromium[:600])


if __name__ == "__main__":
    et.run(main, "demo")
