#!/usr/bin/env python3
"""reel-edge's heartbeat to a real reel-origin (docs/distribution.md), on
loopback: the edge registers its reports (titles held, connections) and the
origin steers players to it; an ffmpeg that plays through the edge for longer
than lease_timeout keeps its lease with no heartbeat of its own (the edge
reports the leases it served), so a second play over a 1-stream plan is
refused, and the slot frees within lease_timeout + one heartbeat after the
player stops; after a stop or a user disable the edge answers 403 for that
token's next segment within one heartbeat interval; an origin that is down
never slows the edge's answers, and its reports resume when it is back."""

import calendar
import os
import subprocess
import time

import edgetest as et
import origintest as ot

PLAN = {"title": "One", "max_streams": 1, "max_height": 720, "downloads": False,
        "max_devices": 1, "max_downloads": 1, "downloads_per_title_year": 1}
LEASE_TIMEOUT = 4  # s, the origin's [playback] lease_timeout
INTERVAL = 1       # s, the origin's [edges] interval
MARGIN = 3         # s of slack for a machine under load (the edge runs under ASan in CI)
CLIP = 14          # s of video: ffmpeg -re plays longer than LEASE_TIMEOUT


def play(o, token):
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=token)
    return r.status, r.json or {}


SEGMENT = []  # the first 360p media segment's name, read from the package


def segment_url(url):
    """The first 360p segment of a play's master playlist URL."""
    return url.replace("master.m3u8", "360p/" + SEGMENT[0])


def first_segment(root):
    with open(os.path.join(root, "movie", "360p", "index.m3u8")) as f:
        return next(ln.strip() for ln in f if ln.strip() and not ln.startswith("#"))


def status_of(o, url):
    return et.curl(o.dir, url, timeout=10).status


def wait_status(o, url, want, limit):
    """Poll URL until it answers WANT; the seconds it took, or None past LIMIT."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if status_of(o, url) == want:
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def last_request(edge, token):
    """Unix time of the last request for TOKEN in the edge's access log (combined format)."""
    last = None
    with open(edge.access_log, errors="replace") as f:
        for ln in f:
            if "/s/%s/" % token in ln and "[" in ln:
                stamp = ln.split("[", 1)[1].split("]", 1)[0]
                last = calendar.timegm(time.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z"))
    return last


def setup(t, interval=INTERVAL):
    keys, edge_keys, _ = ot.stream_key_files(t.tmp, "s1")
    root = ot.make_package(t.tmp, "movie", seconds=CLIP)
    edge = t.edge(root, start=False, tokens={"keys": edge_keys, "require": "on"})
    odir = os.path.join(t.tmp, "origin")
    os.makedirs(odir)
    o = ot.Origin(odir, **{
        "playback": {"edge_url": "http://fallback.invalid", "lease_timeout": "%ds" % LEASE_TIMEOUT},
        "keys": {"stream_keys": keys},
        "edges": {"listen": "127.0.0.1:%d" % et.free_port(), "interval": "%ds" % interval,
                  "down_after": "5s"}})
    o.edge_port = int(o.sections["edges"]["listen"].rsplit(":", 1)[1])
    t.origins.append(o)
    o.start()
    t.check_eq("plan", o.admin("PUT", "/admin/v1/plans/one", PLAN).status, 201)
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        r = o.admin("PUT", "/admin/v1/titles/movie", raw=f.read())
    t.check("title registered", r.status == 201, r.body)
    r = o.admin("POST", "/admin/v1/edges", {
        "name": "edge1", "url": "http://127.0.0.1:%d" % edge.port, "cluster": "isp1",
        "capacity": 1000, "prefixes": ["127.0.0.0/8"]})
    t.check("edge registered", r.status == 201, r.body)
    rec = r.json or {}
    secret = os.path.join(t.tmp, "edge.secret")
    with open(secret, "w") as f:
        f.write(rec.get("secret", "") + "\n")
    edge.sections["origin"] = {"url": "http://127.0.0.1:%d" % o.port,
                               "edge_id": rec.get("id", ""), "secret_file": secret}
    edge.sections["heartbeat"] = {"url": "http://127.0.0.1:%d" % o.edge_port,
                                  "timeout": "2s"}
    edge.access_log = os.path.join(t.tmp, "edge-access.log")
    edge.sections["log"]["access_log"] = edge.access_log
    edge.start()
    return o, edge, rec.get("id", ""), root


def reports(t, o, edge_id):
    deadline, r = time.monotonic() + 10, None
    while time.monotonic() < deadline:
        r = o.admin("GET", "/admin/v1/edges/" + edge_id)
        if r.json and r.json.get("state") == "up" and r.json.get("report", {}).get("titles"):
            break
        time.sleep(0.2)
    rep = (r.json or {}).get("report", {})
    t.check("the edge reports: up, one title complete, its disk", r.json
            and r.json.get("state") == "up" and rep.get("titles") == 1
            and rep.get("disk_free", 0) > 0 and rep.get("disk_used", 0) > 0
            and rep.get("health") == "ok", r.body)


def stream_limit(t, o, edge, viewer):
    st, p1 = play(o, viewer)
    t.check("play: 201, steered to the edge by its prefix",
            st == 201 and p1.get("url", "").startswith("http://127.0.0.1:%d/s/" % edge.port)
            and (p1.get("steering") or {}).get("why") == "prefix", p1)
    ff = subprocess.Popen(["ffmpeg", "-v", "error", "-re", "-i", p1.get("url", ""), "-c", "copy",
                           "-f", "null", "-"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.monotonic()
    # past lease_timeout with no player heartbeat: only the edge's reports keep it
    time.sleep(LEASE_TIMEOUT + 2 * INTERVAL + 1)
    playing = ff.poll() is None
    st, p2 = play(o, viewer)
    t.check("ffmpeg still plays %.0f s in, past lease_timeout (%d s)" % (
        time.monotonic() - started, LEASE_TIMEOUT), playing)
    t.check("a second play over the 1-stream plan is refused: its lease is alive",
            st == 403 and p2.get("error") == "stream_limit", p2)
    if st == 201:
        o.call("DELETE", "/api/v1/play/" + p2["lease"], token=viewer)
    try:
        _, err = ff.communicate(timeout=CLIP * 6)
    except subprocess.TimeoutExpired:
        ff.kill()
        _, err = ff.communicate()
    stopped = time.monotonic()
    t.check("ffmpeg played the whole title through the edge (%.1f s)" % (stopped - started),
            ff.returncode == 0 and stopped - started >= CLIP * 0.8, err[-2000:])
    freed = None
    while time.monotonic() - stopped < LEASE_TIMEOUT + INTERVAL + MARGIN:
        st, p3 = play(o, viewer)
        if st == 201:
            freed = time.monotonic() - stopped
            break
        time.sleep(0.2)
    t.check("the slot frees within lease_timeout + one heartbeat after the player stops "
            "(%s s, bound %d + %d + %d)" % (freed and "%.1f" % freed, LEASE_TIMEOUT, INTERVAL,
                                            MARGIN), freed is not None)
    # ffmpeg reads ahead: the lease's clock starts at the last segment the edge served
    last = last_request(edge, p1.get("token", ""))
    since = time.time() - (time.monotonic() - stopped - (freed or 0)) - last if last else -1
    t.check("... and it is the lease timeout that frees it: %.1f s after the last segment "
            "served (between %d - 1 and %d + %d + %d)" % (since, LEASE_TIMEOUT, LEASE_TIMEOUT,
                                                          INTERVAL, MARGIN),
            LEASE_TIMEOUT - 1 <= since <= LEASE_TIMEOUT + INTERVAL + MARGIN)
    print("measured: slot freed %.2f s after the player stopped, %.1f s after its last "
          "segment" % (freed or -1, since), flush=True)
    return p3 if freed is not None else None


def revoke_stop(t, o, viewer, p):
    seg = segment_url(p["url"])
    t.check_eq("the new play's segment: 200", status_of(o, seg), 200)
    r = o.call("DELETE", "/api/v1/play/" + p["lease"], token=viewer)
    t.check_eq("stop: 204", r.status, 204)
    took = wait_status(o, seg, 403, INTERVAL + MARGIN)
    t.check("after the stop the edge answers 403 for its next segment within one interval "
            "(%s s)" % (took and "%.2f" % took), took is not None)
    print("measured: 403 %.2f s after the stop" % (took or -1), flush=True)
    res = et.curl(o.dir, seg)
    t.check("... saying why", res.status == 403 and b"lease ended" in res.body, res.body)


def revoke_disable(t, o, uid, token):
    st, p = play(o, token)
    t.check("another user's play: 201", st == 201, p)
    seg = segment_url(p.get("url", ""))
    t.check_eq("its segment: 200", status_of(o, seg), 200)
    r = o.admin("POST", "/admin/v1/users/%s/disable" % uid)
    t.check("user disabled", r.status == 200, r.body)
    took = wait_status(o, seg, 403, INTERVAL + MARGIN)
    t.check("after a user disable the edge answers 403 for the token's next segment within "
            "one interval (%s s)" % (took and "%.2f" % took), took is not None)
    print("measured: 403 %.2f s after the disable" % (took or -1), flush=True)


def origin_down(t, o, edge, token):
    st, p = play(o, token)
    t.check("a third user's play: 201", st == 201, p)
    seg = segment_url(p.get("url", ""))
    o.stop()
    slowest, statuses = 0.0, []
    for _ in range(3 * INTERVAL * 4):  # several heartbeat intervals with the origin gone
        start = time.monotonic()
        statuses.append(status_of(o, seg))
        slowest = max(slowest, time.monotonic() - start)
        time.sleep(0.25)
    t.check("with the origin down the edge keeps serving (%d answers, slowest %.2f s)" % (
        len(statuses), slowest), set(statuses) == {200} and slowest < 2.0, statuses)
    t.check("... and logs that its reports fail", "heartbeat to" in edge.logs()
            and "failed" in edge.logs(), edge.logs()[-2000:])
    m = edge.metrics()
    t.check("/metrics counts the reports (answered and failed), the last success and the "
            "tokens refused as revoked",
            m.get('reel_heartbeat_reports_total{result="ok"}', 0) >= 5
            and m.get('reel_heartbeat_reports_total{result="failed"}', 0) >= 2
            and time.time() - 60 < m.get("reel_heartbeat_last_success_seconds", 0) < time.time()
            and m.get("reel_stream_token_revoked_total", 0) >= 2
            and m.get("reel_revocations_added_total", 0) >= 2
            and m.get("reel_revocations_evicted_total") == 0
            and m.get("reel_served_leases_dropped_total") == 0,
            {k: v for k, v in m.items() if "heartbeat" in k or "revo" in k or "leases" in k})
    o.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "answered again" not in edge.logs():
        time.sleep(0.2)
    t.check("the reports resume when the origin is back", "answered again" in edge.logs(),
            edge.logs()[-2000:])


def bad_config(t, edge):
    for why, sections, want in [
            ("a heartbeat without an edge id", {"heartbeat": {"url": "http://127.0.0.1:1"}},
             "needs [origin] edge_id"),
            ("a heartbeat URL without a scheme",
             {"heartbeat": {"url": "127.0.0.1:1"}, "origin": {"edge_id": "e1",
                                                             "secret_file": "/x"}},
             "must start with http"),
            ("a BGP table name with a space",
             {"heartbeat": {"url": "http://127.0.0.1:1"},
              "origin": {"edge_id": "e1", "secret_file": "/x"},
              "bgp": {"socket": "/run/bird/bird.ctl", "table": "a b"}}, "BIRD names")]:
        path = os.path.join(t.tmp, "bad.conf")
        with open(path, "w") as f:
            f.write(et.format_config(dict({"content": {"root": t.tmp}}, **sections)))
        run = subprocess.run([et.EDGE_BIN, "-t", "-c", path], capture_output=True, text=True)
        t.check("reel-edge -t refuses %s, naming the file" % why,
                run.returncode != 0 and path in run.stderr and want in run.stderr, run.stderr)


def main(t):
    for prog in ("ffmpeg", "openssl", "curl"):
        if not et.have(prog):
            raise et.Skip("%s not installed" % prog)
    o, edge, edge_id, root = setup(t)
    SEGMENT.append(first_segment(root))
    reports(t, o, edge_id)
    viewer = o.user("viewer@example.com", plan="one")
    p = stream_limit(t, o, edge, viewer)
    if p:
        revoke_stop(t, o, viewer, p)
    other = o.user("other@example.com", plan="one")
    uid = o.call("GET", "/api/v1/me", token=other).json["id"]
    revoke_disable(t, o, uid, other)
    third = o.user("third@example.com", plan="one")
    origin_down(t, o, edge, third)
    bad_config(t, edge)


if __name__ == "__main__":
    et.run(main, "edge_heartbeat", cls=ot.Test)
