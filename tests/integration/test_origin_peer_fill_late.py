#!/usr/bin/env python3
"""Peer fill when the edges of a cluster do not come up together, with real edges and
a small [fill] rate:

- the edge with the lower id (the one the origin fills first) starts while its peer is
  being sent the first files of a title: those files are on their way into the cluster
  already, so it waits for them and copies them; the origin still sends each file into
  the cluster once.
- copies count against the receiving edge's rate: an edge that comes back to a title
  its peer holds complete copies it at about [fill] rate, not as fast as the peers'
  disks go.
- an edge that takes its first inventory request and never answers holds the cluster's
  fill back for [fill] timeout, not until the request is given up."""

import os
import socket
import time

import edgetest as et
import origintest as ot
from test_origin_fill import add_edges, edge_titles, start_edge, status, tree, wait
from test_origin_peer_fill import job_row, package, register, start_origin

RATE = 512 << 10  # [fill] rate: 512k


def rows(o):
    return {e["id"]: e for e in status(o)["edges"]}


def copy_rate(t, edge, total, timeout=60):
    """Bytes/s EDGE copies from its peers, between the first bytes it counts and TOTAL."""
    first = last = None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            got = edge.metrics().get("reel_cache_fill_peer_bytes_total", 0.0)
        except OSError:
            got = 0.0
        now = time.monotonic()
        if got > 0 and first is None:
            first = (now, got)
        if got >= total:
            last = (now, got)
            break
        time.sleep(0.05)
    t.check("the edge copied the whole title", last is not None, (first, last))
    if not first or not last or last[0] <= first[0]:
        return float("inf")
    return (last[1] - first[1]) / (last[0] - first[0])


def metrics(t, o, ids, low):
    """The origin's /metrics per edge: what the fill status says, at rest."""
    r = rows(o)
    m = et.parse_metrics(o.admin("GET", "/metrics").body.decode())
    for x in ids:
        lab = '{edge="%s",cluster="c1"}' % r[x]["name"]

        def get(name):
            return m.get("reel_origin_fill_%s%s" % (name, lab))
        t.check_eq("/metrics: what the origin sent %s" % r[x]["name"],
                   (get("sent_objects_total"), get("sent_bytes_total")),
                   (r[x]["objects_sent"], r[x]["bytes_sent"]))
        t.check_eq("/metrics: what %s copied from its peer" % r[x]["name"],
                   (get("copied_objects_total"), get("copied_bytes_total"),
                    get("copy_failures_total")),
                   (r[x]["peer_objects"], r[x]["peer_bytes"], r[x]["peer_failures"]))
        t.check("/metrics: a copy order for each file copied",
                get("copy_orders_total") is not None
                and get("copy_orders_total") >= r[x]["peer_objects"], m)
        t.check_eq("/metrics: %s holds both titles, nothing waiting or under way" % r[x]["name"],
                   (get("titles_complete"), get("jobs_waiting"), get("jobs_in_flight"),
                    get("transfers")), (2, 0, 0, 0))
    t.check("/metrics: the fills of the edge that was down failed and were retried",
            m.get('reel_origin_fill_retries_total{edge="%s",cluster="c1"}' % r[ids[low]]["name"],
                  0) >= 1, m)


def main(t):
    content = os.path.join(t.tmp, "content")
    race = package(content, "race", 4, 1 << 20, 3)
    paced = package(content, "paced", 8, 256 << 10, 4)
    o = start_origin(t, content, "512k")
    keys = status(o)["control_keys"]["keys"]
    kf = os.path.join(t.tmp, "control.keys")
    with open(kf, "w") as f:
        f.write("%s %s\n" % (keys[0]["kid"], keys[0]["public_key"]))
    ports, ids = add_edges(t, o, 2)
    low, high = sorted(range(2), key=lambda i: ids[i])  # low: the origin's first choice

    # the higher id alone: the origin sends it the title, two files at a time
    second = start_edge(t, "e%d" % high, ids[high], kf, ports[high])
    register(t, o, content, "race")
    wait(t, "the origin sends the first files to the edge that is up",
         lambda: job_row(o, ids[high], "race").get("bytes_done", 0) > 0, step=0.05)
    row = job_row(o, ids[high], "race")
    t.check("two files on their way, none stored yet (1 MiB at 256 KiB/s each)",
            row.get("from_origin") == 0 and row.get("state") == "in_flight", row)
    # now the lower id comes up: it waits for those two and copies them
    first = start_edge(t, "e%d" % low, ids[low], kf, ports[low])
    for i, e in ((low, first), (high, second)):
        wait(t, "edge %d holds race complete" % i,
             lambda: edge_titles(o, ids[i]).get("race") == "done", timeout=90)
        t.check_eq("edge %d's files of race are the package's" % i,
                   tree(e.store_root, "race"), tree(content, "race"))
    r = rows(o)
    sent = sum(r[x]["objects_sent"] for x in ids)
    t.check("the origin sent each file of race once into the cluster", sent == len(race),
            (sent, len(race), r))
    t.check("the late edge copied what was on its way to its peer",
            r[ids[low]]["peer_objects"] >= 2, r[ids[low]])
    for x in ids:
        t.check_eq("edge %s got every file once" % r[x]["name"],
                   r[x]["objects_sent"] + r[x]["peer_objects"], len(race))

    # the lower id goes away, the higher one gets "paced" from the origin; back, the lower
    # one copies it from its peer at the fill rate
    before = r[ids[low]]
    first.stop()
    register(t, o, content, "paced")
    wait(t, "the edge that is up holds paced complete",
         lambda: edge_titles(o, ids[high]).get("paced") == "done", timeout=90)
    first.start()
    total = sum(len(v) for v in paced.values())
    got = copy_rate(t, first, total)
    print("# copies: %.0f B/s at [fill] rate %d B/s" % (got, RATE))
    t.check("the copies came at about [fill] rate", 0.6 * RATE <= got <= 1.4 * RATE,
            "%.0f B/s, rate %d B/s" % (got, RATE))
    wait(t, "the edge back holds paced complete",
         lambda: edge_titles(o, ids[low]).get("paced") == "done", timeout=60)
    t.check_eq("its files of paced are the package's", tree(first.store_root, "paced"),
               tree(content, "paced"))
    after = rows(o)[ids[low]]
    t.check_eq("it copied every file of paced, the origin sent it none",
               (after["peer_objects"] - before["peer_objects"],
                after["objects_sent"] - before["objects_sent"]), (len(paced), 0))

    metrics(t, o, ids, low)
    silent_peer(t, content)


def silent_peer(t, content):
    """An edge that takes its first inventory request and never answers holds its
    cluster's fill back for [fill] timeout (2 s here), not until curl gives up on it."""
    os.makedirs(os.path.join(t.tmp, "o2"))
    o = ot.Origin(os.path.join(t.tmp, "o2"), jobs={"content_dir": content}, fill={
        "rescan": "1s", "backoff": "1s", "backoff_max": "2s", "peer": "on", "timeout": "2s"})
    t.origins.append(o)
    o.start()
    keys = status(o)["control_keys"]["keys"]
    kf = os.path.join(t.tmp, "control2.keys")
    with open(kf, "w") as f:
        f.write("%s %s\n" % (keys[0]["kid"], keys[0]["public_key"]))
    ports, ids = add_edges(t, o, 2)
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind(("127.0.0.1", ports[1]))
    silent.listen(16)  # the kernel takes the connections; nothing reads or answers them
    try:
        edge = start_edge(t, "q0", ids[0], kf, ports[0])
        start = time.monotonic()
        register(t, o, content, "race")
        wait(t, "the edge beside a silent peer holds race complete",
             lambda: edge_titles(o, ids[0]).get("race") == "done", timeout=40)
        took = time.monotonic() - start
        print("# beside a silent peer: race complete in %.1f s ([fill] timeout 2 s)" % took)
        t.check("the silent peer held the cluster back about its timeout, not a minute",
                took < 15, "%.1f s" % took)
        t.check_eq("its files of race are the package's", tree(edge.store_root, "race"),
                   tree(content, "race"))
        row = job_row(o, ids[1], "race")
        t.check("the silent edge's fill is not done", row.get("state") != "complete", row)
    finally:
        silent.close()


if __name__ == "__main__":
    et.run(main, "origin_peer_fill_late", cls=ot.Test)
