"""reelctl title add and job list|show|cancel|retry|logs against a real reel-origin
running real reel-transcode jobs on generated clips.

title add: the upload in pieces (the origin's admin max_body is small here, so a
file takes many), its SHA-256 checked, going on after a connection cut in the middle
of a piece and after an earlier run that stopped part way, a complete upload used
again; --wait with the job's progress (plain lines in a pipe, a bar redrawn in place
on a terminal) on a 60 s source; a bad source ending with the transcoder's one-line
reason, exit 1 and the catalog unchanged; --on-origin inside and outside the import
folder; --encrypt, --format, --json; the fill --wait waits for, and --timeout when an
edge cannot be reached.  The job commands on running, failed, cancelled
and done jobs, and their refusals.  The binaries come from $REELCTL, $REEL_ORIGIN
and $REEL_TRANSCODE.
"""

import hashlib
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgetest as et  # noqa: E402
import origintest as ot  # noqa: E402
from test_reelctl import (CTL, FAILED, NOT_FOUND, OK, REFUSED, USAGE, Ctl,  # noqa: E402
                          Relay)

PIECE = 256 * 1024  # the origin's admin max_body: the largest piece of an upload


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class CuttingProxy(Relay):
    """Plain TCP in front of the admin API that cuts, once, the first connection carrying
    a PATCH after CUT bytes of it have gone through (in the middle of a piece)."""

    def __init__(self, port, cut):
        self.cut, self.cuts, self.connections = cut, 0, 0
        super().__init__(port)

    def wrap(self, c):
        self.connections += 1
        return c

    def forward(self, conn, data):
        conn["patch"] = conn.get("patch") or b"PATCH " in data
        conn["sent"] = conn.get("sent", 0) + len(data)
        if conn["patch"] and not self.cuts and conn["sent"] > self.cut:
            self.cuts += 1
            return False
        return True


class JobCtl(Ctl):
    """Ctl with room for transcodes on a loaded machine."""

    def __call__(self, *args, timeout=300, **kw):
        return super().__call__(*args, timeout=timeout, **kw)


def uploads(o, sha=None):
    r = o.admin("GET", "/admin/v1/uploads" + ("?sha256=" + sha if sha else ""))
    return r.json["uploads"]


def titles(o):
    return o.admin("GET", "/admin/v1/titles").json


def wait_state(o, jid, states, timeout=300):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        j = o.admin("GET", "/admin/v1/jobs/" + jid).json
        if j["state"] in states:
            return j
        time.sleep(0.1)
    return o.admin("GET", "/admin/v1/jobs/" + jid).json


def job_id(r):
    m = re.search(r"job (j[0-9a-f]{16})", r.out)
    return m.group(1) if m else None


# ---- title add: the upload -----------------------------------------------------------

def upload(t, ctl, o, short):
    r = ctl("title", "add", short, "--id", "s1", "--name", "Short one")
    jid = job_id(r)
    t.check("title add: the job is queued, its id said",
            r.rc == OK and jid and re.fullmatch(
                r"title 's1': job %s (queued|running); follow it with: reelctl job show %s\n"
                % (jid, jid), r.out), r)
    up = uploads(o, sha256(short))
    t.check("... from one upload, complete and of the file's size, in pieces",
            len(up) == 1 and up[0]["complete"] and up[0]["size"] == os.path.getsize(short)
            and up[0]["size"] > 4 * PIECE, up)
    j = wait_state(o, jid, ("done", "failed"))
    t.check("... and the job registers the title, then drops the upload",
            j["state"] == "done" and uploads(o, sha256(short)) == []
            and any(x["id"] == "s1" and x["name"] == "Short one" for x in titles(o)["titles"]),
            j)

    # a connection cut in the middle of a piece: the upload goes on from the origin's offset
    other = short + ".copy.mp4"
    with open(short, "rb") as f, open(other, "wb") as g:
        g.write(f.read() + b"\0" * 1000)  # another file: another SHA-256
    proxy = CuttingProxy(o.admin_port, PIECE * 2 + PIECE // 2)
    try:
        r = ctl("title", "add", other, "--id", "s3", "--wait",
                env=ctl.env(REEL_ADMIN_URL="http://127.0.0.1:%d" % proxy.port))
        t.check("title add through a connection cut mid-piece: tried again, complete, its "
                "SHA-256 checked", r.rc == OK and proxy.cuts == 1 and proxy.connections >= 2
                and r.out.startswith("title 's3' registered, version ")
                and o.error_log().count("complete, SHA-256 checked") == 2,
                (r, proxy.cuts, proxy.connections))
    finally:
        proxy.close()

    # an earlier run that stopped part way: the next one goes on from there
    third = short + ".third.mp4"
    with open(other, "rb") as f, open(third, "wb") as g:
        data = f.read() + b"\0" * 1000
        g.write(data)
    r = o.admin("POST", "/admin/v1/uploads", {"name": "third.mp4", "size": len(data),
                                              "sha256": hashlib.sha256(data).hexdigest()})
    first = PIECE + 12345
    with et.Conn(o.admin_port, timeout=20) as c:
        c.send(et.build_request("PATCH", "/admin/v1/uploads/" + r.json["id"], [
            ("Upload-Offset", "0"), ("Content-Type", "application/offset+octet-stream"),
            ("Content-Length", str(first)), ("Authorization", "Bearer " + o.admin_token)],
            body=data[:first]))
        c.read_response("PATCH")
    r = ctl("title", "add", third, "--id", "s4")
    up = uploads(o, hashlib.sha256(data).hexdigest())
    t.check("title add goes on with an upload an earlier run left part way",
            r.rc == OK and "upload: going on from 268 KiB of an earlier try\n" in r.err
            and len(up) == 1 and up[0]["complete"], (r, up))
    wait_state(o, job_id(r) or "-", ("done", "failed"))

    r = ctl("title", "add", os.path.join(t.tmp, "missing.mp4"), "--id", "x")
    t.check("title add of a missing file: exit 3 naming it",
            r.rc == NOT_FOUND and r.err == "reelctl: %s: No such file or directory\n"
            % os.path.join(t.tmp, "missing.mp4"), r)
    r = ctl("title", "add", t.tmp, "--id", "x")
    t.check("title add of a folder: exit 2", r.rc == USAGE and r.err == "reelctl: %s: not a "
            "file\n" % t.tmp, r)
    r = ctl("title", "add", short)
    t.check("title add without --id: exit 2", r.rc == USAGE and "--id" in r.err, r)
    r = ctl("title", "add", short, "--id", "s1")
    t.check("title add of a registered id: exit 4, one line",
            r.rc == REFUSED and r.err == "reelctl: title 's1': the title is registered; delete "
            "it first or choose another id (409 title_exists)\n", r)
    r = ctl("title", "add", short, "--id", "s9", "--format", "avi")
    t.check("title add --format avi: exit 2 with the origin's reason",
            r.rc == USAGE and r.err.startswith("reelctl: title 's9': ") and "format" in r.err
            and "422 invalid_job" in r.err, r)
    r = ctl("title", "add", short, "--id", "s9", "--ladder", "huge")
    t.check("title add --ladder huge: exit 2", r.rc == USAGE and "ladder" in r.err, r)


# ---- title add --wait ------------------------------------------------------------------

def add_wait(t, ctl, o, long_src, bad):
    before = titles(o)
    n = len(uploads(o))
    r = ctl("title", "add", bad, "--id", "broken", "--wait")
    t.check("a bad source: exit 1 with the transcoder's one-line reason",
            r.rc == FAILED and re.fullmatch(
                r"reelctl: title 'broken': job j[0-9a-f]{16} failed: bad\.mp4: not a media "
                r"file, or truncated \(Invalid data found when processing input\)",
                r.err.splitlines()[-1] if r.err else "") is not None
            and r.err.count("reelctl:") == 1 and r.out == "", r)
    t.check("... and title list is unchanged", titles(o) == before)
    r2 = ctl("title", "list", "--json")
    t.check("... (reelctl title list --json says the same)", r2.rc == OK and r2.json() == before,
            r2)
    kept = uploads(o, sha256(bad))
    r = ctl("title", "add", bad, "--id", "broken2", "--json")
    j = r.json() or {}
    t.check("the failed job's source is kept, and title add of that file uses it again",
            len(kept) == 1 and kept[0]["complete"] and len(uploads(o)) == n + 1
            and r.rc == OK and j.get("title") == "broken2"
            and j.get("source", {}).get("upload") == kept[0]["id"] and r.err == "", (kept, r))
    wait_state(o, j.get("id", "-"), ("done", "failed"))

    t0 = time.monotonic()
    r = ctl("title", "add", long_src, "--id", "long", "--name", "Sixty seconds", "--ladder",
            "160x90@100,320x180@200", "--format", "ts", "--wait")
    took = time.monotonic() - t0
    lines = [ln for ln in r.err.splitlines() if ln.startswith("transcode: ")]
    live = [ln for ln in lines if re.fullmatch(
        r"transcode: +\d+%, \d:\d\d of 1:00, \d+\.\d\dx, ETA (\d+:\d\d|--:--)", ln)]
    print("# title add --wait on a 60 s source: %.1f s, %d progress lines" % (took, len(live)))
    t.check("title add --wait on a 60 s source: registered, with the version",
            r.rc == OK and re.fullmatch(r"title 'long' registered, version [0-9a-f]{16} "
                                        r"\(job j[0-9a-f]{16}\)\n", r.out), r)
    t.check("... showing live progress with the speed and the time left, then a summary",
            len(live) >= 3 and any("ETA 0:" in ln for ln in live)
            and re.fullmatch(r"transcode: 1:00 in \d+:\d\d, \d+\.\d\dx", lines[-1]), r.err)
    ti = o.admin("GET", "/admin/v1/titles/long").json
    t.check("... as asked: ts segments, two renditions",
            ti["container"] == "mpegts" and [v["height"] for v in ti["video"]] == [90, 180],
            ti)


def terminal_bar(t, ctl, o, short):
    """The progress on a terminal: one line redrawn in place with a bar."""
    master, slave = pty.openpty()
    p = subprocess.Popen([CTL, "title", "add", short, "--id", "tty", "--wait",
                          "--ladder", "1280x720@1500"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                         env=ctl.env())
    os.close(slave)
    out = b""
    while True:
        try:
            ready = select.select([master], [], [], 120)[0]
            if not ready:
                break
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    p.wait(60)
    os.close(master)
    text = out.decode(errors="replace")
    t.check("on a terminal: a bar redrawn in place, then one line",
            p.returncode == 0 and text.count("\r") >= 2 and "\x1b[K" in text
            and re.search(r"transcode \[[#.]+\] +\d+%", text) and text.endswith("\n"),
            repr(text[-600:]))


# ---- --on-origin, --encrypt --------------------------------------------------------------

def on_origin(t, ctl, o, short, imports):
    shutil.copy(short, os.path.join(imports, "here.mp4"))
    r = ctl("title", "add", "here.mp4", "--on-origin", "--id", "enc", "--encrypt", "--urgent",
            "--wait", "--json")
    j = r.json() or {}
    t.check("title add --on-origin --encrypt --wait --json: the done job, encrypted",
            r.rc == OK and j.get("state") == "done" and j.get("source") == {
                "path": os.path.realpath(os.path.join(imports, "here.mp4"))}
            and j.get("encrypt") is True and j.get("urgent") is True
            and (j.get("result") or {}).get("encrypted") is True
            and (j.get("result") or {}).get("kid") == j.get("id"), r)
    t.check("... and the catalog says so",
            o.admin("GET", "/admin/v1/titles/enc").json.get("encrypted") is True)
    r = ctl("title", "add", short, "--on-origin", "--id", "outside")
    t.check("title add --on-origin of a file outside the import folder: exit 4",
            r.rc == REFUSED and r.err.startswith("reelctl: title 'outside': ")
            and "403 path_not_allowed" in r.err, r)
    r = ctl("title", "add", "nothing.mp4", "--on-origin", "--id", "nothing")
    t.check("title add --on-origin of a missing file: exit 3",
            r.rc == NOT_FOUND and r.err.startswith("reelctl: title 'nothing': ")
            and "no_such_file" in r.err, r)


# ---- job list|show|cancel|retry|logs -------------------------------------------------------

def retry(ctl, jid, *args):
    """job retry JID, again while the cancelled job's process is still stopping."""
    end = time.monotonic() + 10
    while True:
        r = ctl("job", "retry", jid, *args)
        if r.rc != REFUSED or "job_stopping" not in r.err or time.monotonic() > end:
            return r
        time.sleep(0.1)


def jobs(t, ctl, o, long_src):
    r = ctl("title", "add", long_src, "--id", "cancelme")
    jid = job_id(r)
    j = wait_state(o, jid or "-", ("running",), timeout=180)
    r = ctl("job", "show", jid)
    t.check("job show of a running job: its state, pid and progress",
            r.rc == OK and re.search(r"^state: +running$", r.out, re.M)
            and re.search(r"^pid: +%d$" % j.get("pid", -1), r.out, re.M)
            and re.search(r"^progress: +\d+%, ", r.out, re.M), r)
    r = ctl("job", "show", jid, "--json")
    t.check("job show --json is the API's job",
            r.rc == OK and (r.json() or {}).get("id") == jid
            and (r.json() or {}).get("state") == "running", r)
    r = ctl("job", "list", "--state", "running")
    t.check("job list --state running: the running job only",
            r.rc == OK and len(r.out.splitlines()) == 2 and jid in r.out
            and r.out.startswith("ID "), r)
    r = ctl("job", "cancel", jid)
    t.check("job cancel of a running job", r.rc == OK
            and r.out == "job '%s' cancelled (title 'cancelme')\n" % jid, r)
    j = o.admin("GET", "/admin/v1/jobs/" + jid).json
    t.check("... which is cancelled, its process gone", j["state"] == "cancelled"
            and j["error"] == "cancelled" and "cancelme" not in
            [x["id"] for x in titles(o)["titles"]], j)
    r = ctl("job", "cancel", jid)
    t.check("job cancel again: exit 4", r.rc == REFUSED and r.err == "reelctl: job '%s': the "
            "job has ended (409 job_ended)\n" % jid, r)
    r = retry(ctl, jid)
    t.check("job retry of a cancelled job: queued again from its kept source",
            r.rc == OK and r.out == "job '%s' queued again (title 'cancelme')\n" % jid, r)
    j = wait_state(o, jid, ("running",), timeout=180)
    r = ctl("job", "cancel", jid, "--json")
    t.check("job cancel --json", r.rc == OK and (r.json() or {}).get("state") == "cancelled", r)
    r = retry(ctl, jid, "--json")
    t.check("job retry --json", r.rc == OK and (r.json() or {}).get("state") in (
        "queued", "running"), r)
    ctl("job", "cancel", jid)

    failed = [x for x in o.admin("GET", "/admin/v1/jobs?state=failed").json["jobs"]]
    fid = failed[0]["id"] if failed else "-"
    r = ctl("job", "logs", fid)
    t.check("job logs of the failed job: the transcoder's last lines",
            r.rc == OK and "not a media file, or truncated" in r.out
            and r.out.startswith("reel-transcode: "), r)
    r = ctl("job", "logs", fid, "--json")
    t.check("job logs --json", r.rc == OK and (r.json() or {}).get("id") == fid
            and (r.json() or {}).get("state") == "failed"
            and isinstance((r.json() or {}).get("lines"), list), r)
    r = ctl("job", "show", fid)
    t.check("job show of a failed job: its one-line error",
            r.rc == OK and re.search(r"^error: +bad\.mp4: not a media file", r.out, re.M), r)
    r = ctl("job", "retry", fid)
    t.check("job retry of a failed job", r.rc == OK and "queued again" in r.out, r)
    j = wait_state(o, fid, ("failed", "done"))
    t.check("... fails again, for the same reason", j["state"] == "failed"
            and j["attempts"] == 2 and j["error"].startswith("bad.mp4: not a media file"), j)

    api = o.admin("GET", "/admin/v1/jobs?limit=1000").json
    r = ctl("job", "list", "--json")
    t.check("job list --json is every job, as the API lists them",
            r.rc == OK and (r.json() or {}).get("total") == api["total"]
            and [x["id"] for x in r.json()["jobs"]] == [x["id"] for x in api["jobs"]], r)
    r = ctl("job", "list")
    t.check("job list: a table, newest first", r.rc == OK
            and len(r.out.splitlines()) == api["total"] + 1
            and r.out.splitlines()[1].startswith(api["jobs"][0]["id"]), r)
    r = ctl("job", "list", "--state", "bogus")
    t.check("job list --state bogus: exit 2", r.rc == USAGE and "state" in r.err, r)
    done = [x["id"] for x in api["jobs"] if x["state"] == "done"]
    r = ctl("job", "retry", done[0] if done else "-")
    t.check("job retry of a done job: exit 4", r.rc == REFUSED and "job_not_failed" in r.err, r)
    for cmd in ("show", "cancel", "retry", "logs"):
        r = ctl("job", cmd, "j0123456789abcdef")
        t.check("job %s of an unknown job: exit 3" % cmd, r.rc == NOT_FOUND
                and r.err == "reelctl: job 'j0123456789abcdef': not found\n", r)
    r = ctl("job", "show", "nonsense/..")
    t.check("job show of a malformed id: exit 3", r.rc == NOT_FOUND, r)


def through_restart(t, ctl, o, src):
    """title add --wait goes on while the origin restarts under it (through a relay that
    follows the origin to its new port), and the job runs again."""
    relay = Relay(o.admin_port)
    try:
        p = subprocess.Popen([CTL, "title", "add", src, "--id", "restarted", "--wait"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=ctl.env(REEL_ADMIN_URL="http://127.0.0.1:%d" % relay.port))
        end, j = time.monotonic() + 180, None
        while time.monotonic() < end and not j:
            running = o.admin("GET", "/admin/v1/jobs?state=running").json["jobs"]
            j = next((x for x in running if x["title"] == "restarted"
                      and x["progress"]["frames"] > 0), None)
            time.sleep(0.1)
        o.stop()
        time.sleep(1.0)  # reelctl finds nobody there meanwhile
        o.start()
        relay.target = o.admin_port
        out, err = p.communicate(timeout=280)
        j = o.admin("GET", "/admin/v1/jobs/" + (j or {}).get("id", "-")).json or {}
        t.check("title add --wait through an origin restart: the job runs again and the "
                "title is registered", p.returncode == 0 and j.get("attempts") == 2
                and out.startswith("title 'restarted' registered, version "), (out, err, j))
    finally:
        relay.close()


def fill_wait(t, ctl, o, short):
    """--wait and the fill: with no edge a done job's fill is complete at once; with an
    edge the origin cannot reach, --timeout ends the wait with exit 1 naming the edge."""
    done = o.admin("GET", "/admin/v1/jobs?state=done").json["jobs"]
    t.check_eq("with no edge, a done job's fill is complete on none",
               done[0].get("fill") if done else None,
               {"state": "complete", "edges": 0, "complete": 0, "bytes": 0, "bytes_done": 0,
                "by_edge": []})
    r = ctl("edge", "add", "gone", "http://127.0.0.1:9", "--cluster", "c1", "--capacity", "10",
            "--fill-url", "http://127.0.0.1:%d" % et.free_port(), "--json")
    eid = (r.json() or {}).get("id", "-")
    t.check("edge add --fill-url: the edge is filled there", r.rc == OK and
            (r.json() or {}).get("fill_url", "").startswith("http://127.0.0.1:"), r)
    t0 = time.monotonic()
    r = ctl("title", "add", short, "--id", "w1", "--wait", "--timeout", "20")
    took = time.monotonic() - t0
    t.check("title add --wait --timeout 20 with an edge that cannot be reached: exit 1 after "
            "20 s, naming the edge and why", r.rc == FAILED and 19 < took < 40 and re.search(
                r"^reelctl: title 'w1': not on every edge after 20 s: complete on 0 of 1 "
                r"\(gone (unknown|waiting): .+\)$", r.err, re.M), (r, took))
    jid = next((x["id"] for x in o.admin("GET", "/admin/v1/jobs").json["jobs"]
                if x["title"] == "w1"), "-")
    j = wait_state(o, jid, ("done", "failed"))
    fill = j.get("fill") or {}
    t.check("... and the job's fill says which edge lacks it",
            fill.get("state") == "filling" and fill.get("edges") == 1
            and fill.get("complete") == 0 and [(x["edge"], x["state"]) for x in
                                               fill.get("by_edge", [])] in (
                [(eid, "unknown")], [(eid, "waiting")]), fill)
    t.check("title add --timeout 0: exit 2", ctl("title", "add", short, "--id", "w2", "--wait",
                                                 "--timeout", "0").rc == USAGE)
    ctl("edge", "rm", eid)


def main(t):
    if not os.access(CTL, os.X_OK):
        raise et.Fatal("reelctl not found at %s (set REELCTL)" % CTL)
    imports = os.path.join(t.tmp, "imports")
    os.makedirs(imports)
    short = ot.make_clip(t.tmp, "short.mp4", 6, "640x360")
    long_src = ot.make_clip(t.tmp, "long.mp4", 60, "320x180")
    bad = os.path.join(t.tmp, "bad.mp4")
    with open(bad, "wb") as f:
        f.write(et.rand_bytes(50000, 7))
    o = t.origin(admin={"max_body": str(PIECE)},
                 jobs=ot.jobs_section(threads="2", import_dir=imports))
    ctl = JobCtl(t.tmp, o)
    upload(t, ctl, o, short)
    add_wait(t, ctl, o, long_src, bad)
    terminal_bar(t, ctl, o, short)
    on_origin(t, ctl, o, short, imports)
    jobs(t, ctl, o, long_src)
    through_restart(t, ctl, o, long_src)
    fill_wait(t, ctl, o, short)


if __name__ == "__main__":
    et.run(main, "reelctl_jobs", cls=ot.Test)
