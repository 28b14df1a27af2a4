#!/usr/bin/env python3
"""An urgent job's title fills the edges at once, even outside the fill window; the
title of a job that is not urgent waits for the window.  The flag is the job's own,
kept in its stored record: through an origin restart that interrupts one job and
leaves the urgent one queued, the urgent one still runs first and its title still
fills at once.  One real edge (its store, its fill API) and the real reel-transcode."""

import os
import time

import edgetest as et
import origintest as ot
import test_origin_fill as tf
import test_origin_jobs as tj


def closed_window():
    """A [fill] window (local time, as the origin reads it) that excludes now: the hour
    that starts two hours from now."""
    now = time.localtime()
    return "%02d:%02d-%02d:%02d" % ((now.tm_hour + 2) % 24, now.tm_min,
                                    (now.tm_hour + 3) % 24, now.tm_min)


def filled_within(t, o, eid, title, timeout=30):
    """Whether TITLE is complete on edge EID within TIMEOUT seconds."""
    return tf.wait(t, "waiting %d s for %s on the edge" % (timeout, title),
                   lambda: tf.edge_titles(o, eid).get(title) == "done", timeout=timeout)


def main(t):
    imports = os.path.join(t.tmp, "imports")
    os.makedirs(imports)
    long_src = ot.make_clip(imports, "long.mp4", 60, "320x180")
    short = ot.make_clip(imports, "short.mp4", 4, "320x180")
    o = t.origin(jobs=ot.jobs_section(threads="1", import_dir=imports, max_running="1"),
                 fill={"window": closed_window(), "rescan": "1s", "backoff": "1s",
                       "backoff_max": "2s"})
    keys = tf.status(o)["control_keys"]["keys"]
    kf = os.path.join(t.tmp, "control.keys")
    with open(kf, "w") as f:
        f.write("%s %s\n" % (keys[0]["kid"], keys[0]["public_key"]))
    fill_port = et.free_port()
    r = o.admin("POST", "/admin/v1/edges", {
        "name": "e0", "url": "http://127.0.0.1:9", "cluster": "c1", "capacity": 1000,
        "fill_url": "http://127.0.0.1:%d" % fill_port})
    if not t.check_eq("the edge is registered with its fill URL", r.status, 201):
        raise et.Fatal(r.body)
    eid = r.json["id"]
    edge = tf.start_edge(t, "e0", eid, kf, fill_port)

    # "later" runs (not urgent); "soon" (urgent) is queued behind it when the origin stops.
    later = tj.import_job(o, "later", long_src)
    running = tj.wait_progress(o, later["id"])
    soon = tj.import_job(o, "soon", short, urgent=True)
    t.check("a job that is not urgent runs, the urgent one submitted next is queued",
            running["state"] == "running" and tj.job(o, soon["id"])["state"] == "queued",
            (running["state"], tj.job(o, soon["id"])["state"]))
    o.stop()
    o.start()
    t.check("after the restart the urgent job is still urgent, and runs first",
            tj.job(o, soon["id"])["urgent"] is True and
            tj.job(o, later["id"])["state"] == "queued", tj.job(o, later["id"]))
    s = tj.wait_state(o, soon["id"], ("done", "failed"))
    t.check_eq("the urgent job is done", s["state"], "done")
    t0 = time.monotonic()
    filled = filled_within(t, o, eid, "soon")
    t.check("the urgent job's title fills the edge at once, outside the window (%.1f s)"
            % (time.monotonic() - t0), filled and os.path.isfile(
                os.path.join(edge.store_root, "soon", "manifest.json")), tf.edge_titles(o, eid))

    j = tj.wait_state(o, later["id"], ("done", "failed"))
    t.check("the job that is not urgent is done after its restart",
            j["state"] == "done" and j["attempts"] == 2, (j["state"], j.get("attempts")))
    time.sleep(3.5)  # three rescans of the fill scheduler
    t.check("... and its title waits for the fill window: not on the edge",
            tf.edge_titles(o, eid).get("later") != "done" and not os.path.exists(
                os.path.join(edge.store_root, "later")), tf.edge_titles(o, eid))
    t.check_eq("... its job's fill says so", (j.get("fill") or {}).get("complete"), 0)

    # the same title marked urgent by hand fills: what held it back was the window alone
    t.check_eq("POST /admin/v1/fill/later/urgent: 202",
               o.admin("POST", "/admin/v1/fill/later/urgent").status, 202)
    t.check("... then it fills the edge", filled_within(t, o, eid, "later"))


if __name__ == "__main__":
    et.run(main, "origin_jobs_urgent", cls=ot.Test)
