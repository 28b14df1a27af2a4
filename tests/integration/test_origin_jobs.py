"""Transcode jobs at a real reel-origin with real reel-transcode children: the job's
reel-transcode killed with SIGKILL, passing its time limit, or under a memory limit it
cannot live with, fails the job with a reason while the origin goes on answering
(/healthz is measured on the user and admin listeners all through the job, and its
answer times printed); the catalog is left alone and the source kept, so the job can
be retried.  The queue survives the origin:
an orderly stop puts a running job back in the queue, a crash (SIGKILL of the origin,
which takes its reel-transcode with it) runs it again at the next start or, past
[jobs] restarts, fails it; never is a job left running.  Also: the concurrency limit
and urgent jobs going first, /metrics and /healthz counts.  The binaries come from
$REEL_ORIGIN and $REEL_TRANSCODE.
"""

import hashlib
import os
import signal
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgetest as et  # noqa: E402
import origintest as ot  # noqa: E402

JOBS = ot.jobs_section(threads="1")


def import_job(o, title, path, **extra):
    """A job for the file PATH under the origin's import folder."""
    body = {"title": title, "path": os.path.basename(path)}
    body.update(extra)
    r = o.admin("POST", "/admin/v1/jobs", body)
    if r.status != 201:
        raise et.Fatal("job for %s: %s %r" % (title, r.status, r.body))
    return r.json


def upload_job(o, title, path):
    """A job whose source is uploaded through the API, in one piece."""
    with open(path, "rb") as f:
        data = f.read()
    r = o.admin("POST", "/admin/v1/uploads", {"name": os.path.basename(path), "size": len(data),
                                              "sha256": hashlib.sha256(data).hexdigest()})
    uid = r.json["id"]
    with et.Conn(o.admin_port, timeout=30) as c:
        c.send(et.build_request("PATCH", "/admin/v1/uploads/" + uid, [
            ("Upload-Offset", "0"), ("Content-Type", "application/offset+octet-stream"),
            ("Content-Length", str(len(data))), ("Authorization", "Bearer " + o.admin_token)],
            body=data))
        if c.read_response("PATCH").status != 200:
            raise et.Fatal("upload of %s failed" % path)
    r = o.admin("POST", "/admin/v1/jobs", {"title": title, "upload": uid})
    if r.status != 201:
        raise et.Fatal("job for %s: %s %r" % (title, r.status, r.body))
    return r.json


def job(o, jid):
    return o.admin("GET", "/admin/v1/jobs/" + jid).json


def wait_state(o, jid, states, timeout=240):
    end = time.monotonic() + timeout
    j = job(o, jid)
    while j["state"] not in states and time.monotonic() < end:
        time.sleep(0.05)
        j = job(o, jid)
    return j


def wait_progress(o, jid, timeout=180):
    """Wait until job JID runs and reports progress (its reel-transcode is working)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        j = job(o, jid)
        if j["state"] == "running" and (j.get("progress") or {}).get("frames", 0) > 0:
            return j
        time.sleep(0.05)
    return job(o, jid)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Health:
    """GET /healthz on the user and the admin listener every 20 ms while it runs: the
    answer times and the failures."""

    def __init__(self, o):
        self.o, self.times, self.failures, self.stop = o, [], [], False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            for port in (self.o.port, self.o.admin_port):
                t0 = time.monotonic()
                try:
                    r = et.request(port, "GET", "/healthz", timeout=5.0)
                    ok = r.status == 200
                except (OSError, et.Closed, ValueError) as e:
                    ok, r = False, e
                dt = time.monotonic() - t0
                if ok:
                    self.times.append(dt)
                else:
                    self.failures.append((port, repr(r)[:200]))
            time.sleep(0.02)

    def end(self):
        self.stop = True
        self.thread.join(10)
        return self

    def report(self, what):
        ms = sorted(x * 1000 for x in self.times) or [0]
        print("# /healthz during %s: %d answers, median %.1f ms, p99 %.1f ms, max %.1f ms, "
              "%d failures" % (what, len(self.times), statistics.median(ms),
                               ms[int(len(ms) * 0.99) - 1 if len(ms) > 1 else 0], ms[-1],
                               len(self.failures)))


def healthy(t, h, what, least=10):
    h.end().report(what)
    t.check("the origin answered /healthz all through %s (%d answers, none failed, none "
            "slower than 2 s)" % (what, len(h.times)),
            len(h.times) >= least and not h.failures and max(h.times) < 2.0,
            (h.failures[:3], max(h.times) if h.times else None))


def titles(o):
    return o.admin("GET", "/admin/v1/titles").json


# ---- the child dies ------------------------------------------------------------------

def killed(t, o, src):
    before = titles(o)
    h = Health(o)
    j = upload_job(o, "killed", src)
    j = wait_progress(o, j["id"])
    pid = j.get("pid")
    t.check("a running job shows its reel-transcode's pid and live progress",
            j["state"] == "running" and isinstance(pid, int) and alive(pid)
            and 0 < j["progress"]["percent"] < 100 and j["progress"]["duration"] > 50, j)
    os.kill(pid, signal.SIGKILL)
    j = wait_state(o, j["id"], ("failed", "done"))
    healthy(t, h, "a job whose reel-transcode is killed")
    t.check("reel-transcode killed with SIGKILL: the job fails, saying so",
            j["state"] == "failed"
            and j["error"] == "reel-transcode was killed by signal 9 (SIGKILL)"
            and j["ended"] and j.get("pid") is None, j)
    t.check("... the catalog is untouched", titles(o) == before)
    t.check("... nothing of the package is left",
            not os.path.exists(os.path.join(o.data, "content", "killed")),
            os.listdir(os.path.join(o.data, "content")))
    up = o.admin("GET", "/admin/v1/uploads/" + j["source"]["upload"])
    t.check("... and its source is kept for a retry", up.status == 200
            and up.json["complete"], up.json)
    r = o.admin("POST", "/admin/v1/jobs/%s/retry" % j["id"])
    t.check("a retry of the killed job", r.status == 200
            and r.json["state"] in ("queued", "running"), r.json)
    j = wait_progress(o, j["id"])
    r = o.admin("POST", "/admin/v1/jobs/%s/cancel" % j["id"])
    pid = j.get("pid") or 0
    end = time.monotonic() + 10
    while pid and alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    t.check("cancel kills the running reel-transcode (its whole process group)",
            r.status == 200 and r.json["state"] == "cancelled" and pid and not alive(pid),
            (r.json, pid))


def time_limit(t, tmp, src):
    o = t.origin(jobs=dict(JOBS, time_limit="2s", import_dir=tmp))
    h = Health(o)
    t0 = time.monotonic()
    j = import_job(o, "slow", src)
    j = wait_state(o, j["id"], ("failed", "done"), timeout=120)
    took = time.monotonic() - t0
    healthy(t, h, "a job past its time limit")
    print("# a job with a 2 s time limit ended after %.1f s" % took)
    t.check("reel-transcode past its time limit: the job fails, saying so, in time",
            j["state"] == "failed" and j["error"] ==
            "reel-transcode exceeded the time limit of 2 s and was stopped" and took < 30,
            (j, took))
    t.check("... and the catalog is untouched", titles(o)["total"] == 0)
    o.stop()


def memory_limit(t, tmp, src):
    """A reel-transcode that cannot get the memory it needs fails its job with a reason."""
    if ot.sanitized(ot.TRANSCODE_BIN):
        print("# memory_limit: not tested with a sanitized reel-transcode (no address-space "
              "limit fits it)")
        return
    o = t.origin(jobs=dict(JOBS, memory_limit="100m", import_dir=tmp))
    h = Health(o)
    j = import_job(o, "big", src)
    j = wait_state(o, j["id"], ("failed", "done"))
    healthy(t, h, "a job under a 100 MiB memory limit", least=1)
    print("# under memory_limit = 100m: %s" % j.get("error"))
    t.check("reel-transcode under a memory limit it cannot live with: the job fails with a "
            "one-line reason", j["state"] == "failed" and len(j["error"] or "") > 20
            and "\n" not in j["error"], j)
    t.check("... and the catalog is untouched", titles(o)["total"] == 0)
    o.stop()


# ---- the origin stops --------------------------------------------------------------------

def restarts(t, tmp, src, short):
    o = t.origin(jobs=dict(JOBS, import_dir=tmp, restarts="1"))
    j = import_job(o, "survivor", src)
    j = wait_progress(o, j["id"])
    pid = j.get("pid") or 0
    t.check_eq("an orderly stop during a job", o.stop(), 0)
    t.check("... stops its reel-transcode", pid and not alive(pid), pid)
    o.start()
    j = job(o, j["id"])
    t.check("... and the job is in the queue again after the restart, not counted as "
            "interrupted", j["state"] in ("queued", "running") and j["interrupted"] == 0, j)
    j = wait_progress(o, j["id"])
    pid = j.get("pid") or 0
    o.proc.send_signal(signal.SIGKILL)  # a crash
    o.proc.wait(10)
    end = time.monotonic() + 10
    while pid and alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    t.check("a crash of the origin takes its reel-transcode with it", pid and not alive(pid),
            pid)
    o.start()
    j = job(o, j["id"])
    t.check("... and the job runs again at the next start (restarts = 1)",
            j["state"] in ("queued", "running") and j["interrupted"] == 1, j)
    j = wait_progress(o, j["id"])
    o.proc.send_signal(signal.SIGKILL)
    o.proc.wait(10)
    o.start()
    j = job(o, j["id"])
    t.check("a second crash, past restarts = 1: the job fails, saying why",
            j["state"] == "failed" and j["interrupted"] == 2
            and j["error"] == "the origin stopped during the job 2 times", j)
    r = o.admin("POST", "/admin/v1/jobs/%s/retry" % j["id"])
    t.check("... and can be retried from its kept source", r.status == 200, r.json)
    o.admin("POST", "/admin/v1/jobs/%s/cancel" % j["id"])

    # a short job through a crash ends done: the title registered once
    j = import_job(o, "short", short)
    j = wait_state(o, j["id"], ("running",))
    o.proc.send_signal(signal.SIGKILL)
    o.proc.wait(10)
    o.start()
    j = wait_state(o, j["id"], ("done", "failed"))
    t.check("a job cut by a crash then done: the title registered",
            j["state"] == "done" and j["interrupted"] == 1
            and [x["id"] for x in titles(o)["titles"]] == ["short"], j)
    o.stop()


# ---- the queue -----------------------------------------------------------------------

def queue(t, o, src, short, tmp):
    first = import_job(o, "q1", src)
    wait_state(o, first["id"], ("running",))
    second = import_job(o, "q2", short)
    urgent = import_job(o, "q3", short, urgent=True)
    hz = o.admin("GET", "/healthz").json
    t.check("max_running = 1: one job runs, the others wait",
            job(o, second["id"])["state"] == "queued" and job(o, urgent["id"])["state"] ==
            "queued" and hz.get("jobs_running") == 1 and hz.get("jobs_queued") == 2, hz)
    metrics = et.parse_metrics(o.admin("GET", "/metrics").body.decode())
    t.check("/metrics counts the running and waiting jobs",
            metrics.get("reel_origin_jobs_running") == 1
            and metrics.get("reel_origin_jobs_queued") == 2, metrics)
    o.admin("POST", "/admin/v1/jobs/%s/cancel" % first["id"])
    u = wait_state(o, urgent["id"], ("done", "failed"))
    s = job(o, second["id"])
    t.check("the urgent job runs ahead of the one queued before it",
            u["state"] == "done" and (s["state"] in ("queued", "running")
                                      or s["started"] >= u["started"]), (u, s))
    wait_state(o, second["id"], ("done", "failed"))
    r = o.admin("POST", "/admin/v1/jobs", {"title": "q2", "path": os.path.basename(short)})
    t.check("a job for a registered title: 409 title_exists",
            ot.is_error(r, 409, "title_exists"), r.json)
    r = o.admin("POST", "/admin/v1/jobs", {"title": "far", "path": "/etc/passwd"})
    t.check("a job for a file outside the import folder: 403 path_not_allowed",
            ot.is_error(r, 403, "path_not_allowed"), r.json)


def main(t):
    tmp = os.path.join(t.tmp, "imports")
    os.makedirs(tmp)
    src = ot.make_clip(tmp, "long.mp4", 60, "320x180")
    short = ot.make_clip(tmp, "short.mp4", 4, "320x180")
    o = t.origin(jobs=dict(JOBS, import_dir=tmp))
    killed(t, o, src)
    queue(t, o, src, short, tmp)
    o.stop()
    time_limit(t, tmp, src)
    memory_limit(t, tmp, src)
    restarts(t, tmp, src, short)


if __name__ == "__main__":
    et.run(main, "origin_jobs", cls=ot.Test)
