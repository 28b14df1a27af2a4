#!/usr/bin/env python3
"""tools/demo, the README's first command, run as a user runs it (on the programs
of this build, a temp data folder and free ports, without bbb.mp4): both edges are
registered and up, the sample title is complete on both, the origin steers a client
at 127.0.0.1 to one edge and one at 127.0.0.130 to the other, and ffmpeg plays the
stream each was given; Ctrl-C (SIGINT) stops every process the demo started; a second
run reuses the title, the edges and their stores (no job, nothing sent again)."""

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

BUILD = os.environ.get("REEL_BUILD_ROOT", os.path.join(et.SOURCE_ROOT, "build"))
DEMO = os.path.join(et.SOURCE_ROOT, "tools", "demo")
OFFSETS = (0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 363, 364)
READY = "Ctrl-C stops it."


def free_base():
    """A base port whose demo ports (OFFSETS) are all free on 127.0.0.1 right now."""
    for _ in range(200):
        base = random.randrange(20000, 32000)  # below the ephemeral ports
        socks = []
        try:
            for off in OFFSETS:
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", base + off))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise et.Fatal("no free set of demo ports")


def processes_under(path):
    """Pids of the processes whose command line names PATH (the demo's folder)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if path.encode() in f.read():
                    out.append(int(pid))
        except OSError:
            pass
    return out


class Demo:
    """One run of tools/demo, its output collected as it comes."""

    def __init__(self, data, port):
        self.lines, self.data = [], data
        self.proc = subprocess.Popen(
            [DEMO, "--data", data, "--build", BUILD, "--port", str(port), "--no-bbb"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

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

    def interrupt(self, timeout=30):
        """Ctrl-C: SIGINT to the script alone; its exit status, or None if it hangs."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        for pid in processes_under(self.data) + [self.proc.pid]:
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


def check_stopped(t, demo, run):
    rc = demo.interrupt()
    t.check("%s: Ctrl-C ends the demo" % run, rc is not None, demo.text()[-2000:])
    gone = wait(lambda: not processes_under(demo.data), 10)
    t.check_eq("%s: no process of the demo is left" % run, processes_under(demo.data), [])
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


def main(t):
    for prog in ("ffmpeg", "curl", "openssl", "setsid"):
        if not et.have(prog):
            raise et.Skip("%s is not installed" % prog)
    data = os.path.join(t.tmp, "demo data")
    base = free_base()
    edge_port, origin_port, admin_port = {"a": base, "b": base + 1}, base + 10, base + 11

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
        t.check("the job shows its fill complete on 2 edges",
                len(jobs) == 1 and jobs[0]["state"] == "done" and
                jobs[0]["fill"]["state"] == "complete" and jobs[0]["fill"]["edges"] == 2 and
                jobs[0]["fill"]["complete"] == 2, jobs)
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
            r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", urls[e], "-map", "0",
                                "-c", "copy", "-f", "null", "-"], capture_output=True, text=True,
                               timeout=120)
            t.check("ffmpeg plays the stream given to %s, from edge-%s" % (source, e),
                    r.returncode == 0, r.stderr[-1500:])
        for e in ("a", "b"):
            deadline = time.monotonic() + 5  # the edge writes its log at least once a second
            while True:
                with open(os.path.join(data, "edge-" + e, "access.log")) as f:
                    log = f.read()
                seen = re.search(r'"GET /s/[^ ]+\.m4s HTTP/1\.1" 20[06] ', log)
                if seen or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            t.check("edge-%s's access log has the player's segments" % e, seen, log[-600:])
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
        check_stopped(t, demo, "first run")

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
        t.check_eq("second run: no new job", admin.get("/admin/v1/jobs").get("total"), 1)
        time.sleep(3)  # a rescan or two
        fill = admin.get("/admin/v1/fill")
        t.check("second run: both edges seen complete, nothing sent again",
                len(fill.get("edges", [])) == 2 and
                all(e["bytes_sent"] == 0 and e["done"] == 1 for e in fill["edges"]), fill)
        t.check("second run: the stores are as they were",
                {e: sizes(os.path.join(data, "edge-" + e, "store")) for e in ("a", "b")} ==
                stores)
        st, ans = play(origin_port, login(origin_port), "127.0.0.130")
        r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", ans.get("url", "-"),
                            "-c", "copy", "-f", "null", "-"], capture_output=True, text=True,
                           timeout=120)
        t.check("second run: ffmpeg plays from edge-b", r.returncode == 0, r.stderr[-1500:])
    finally:
        check_stopped(t, demo, "second run")


if __name__ == "__main__":
    et.run(main, "demo")
