#!/usr/bin/env python3
"""Revocations survive an origin crash (docs/distribution.md): a play through
a real reel-edge is stopped (and, apart, a user disabled) right after one of
the edge's heartbeats, the origin is SIGKILLed before the next one, and
restarted on the same data; the edge answers 403 for the token's next
segment within one heartbeat interval after the origin is back, because the
stop's answer waited for the revocation's commit and the log's numbers (the
edge's cursor) hold across the restart.  A restarted edge asks without a
cursor and refuses the token again within one interval."""

import os
import time

import edgetest as et
import origintest as ot
import test_edge_heartbeat as hb
from test_origin_edges import Edge

INTERVAL = 2  # s, the origin's [edges] interval: room to act between two heartbeats
MARGIN = 3    # s of slack for a machine under load (ASan in CI)
ATTEMPTS = 3  # a heartbeat that slips in before the kill voids a round: try again


def reports(edge):
    return edge.metrics().get('reel_heartbeat_reports_total{result="ok"}', 0)


def after_heartbeat(edge, limit=INTERVAL * 3 + MARGIN):
    """Return just after the edge's next answered heartbeat (True), or False past LIMIT."""
    n, start = reports(edge), time.monotonic()
    while time.monotonic() - start < limit:
        if reports(edge) > n:
            return True
        time.sleep(0.02)
    return False


def crash(o):
    o.proc.kill()
    o.proc.wait(10)
    o.stop()  # closes its output


def round_trip(t, o, edge, what, viewer):
    """Play with the token of VIEWER(attempt) -> (token, revoke), REVOKE(lease) right
    after a heartbeat, crash and restart the origin; the seconds after its restart
    until the edge refused the segment."""
    for attempt in range(ATTEMPTS):
        token, revoke = viewer(attempt)
        st, p = hb.play(o, token)
        t.check("%s: a play, 201" % what, st == 201, p)
        seg = hb.segment_url(p.get("url", ""))
        t.check_eq("%s: its segment through the edge, 200" % what, hb.status_of(o, seg), 200)
        t.check("%s: a heartbeat went by" % what, after_heartbeat(edge))
        status = revoke(p.get("lease", ""))
        crash(o)
        if hb.status_of(o, seg) != 200:
            print("note: the edge heard of it before the kill; again (%d)" % attempt, flush=True)
            o.start()
            continue
        t.check_eq("%s: answered %d, then the origin killed before the edge heard of it" % (
            what, status), hb.status_of(o, seg), 200)
        o.start()
        took = hb.wait_status(o, seg, 403, INTERVAL + MARGIN)
        t.check("%s: the restarted origin's next answer makes the edge refuse the token's "
                "next segment, 403, within one interval (%s s, bound %d + %d)" % (
                    what, took and "%.2f" % took, INTERVAL, MARGIN), took is not None)
        print("measured: %s: 403 %.2f s after the origin was back" % (what, took or -1),
              flush=True)
        return seg
    t.check("%s: a round where the kill came before the edge's heartbeat" % what, False)
    return None


def main(t):
    for prog in ("ffmpeg", "openssl", "curl"):
        if not et.have(prog):
            raise et.Skip("%s not installed" % prog)
    o, edge, edge_id, root = hb.setup(t, interval=INTERVAL)
    hb.SEGMENT.append(hb.first_segment(root))
    hb.reports(t, o, edge_id)

    def stopping(attempt):
        token = o.user("viewer%d@example.com" % attempt, plan="one")

        def stop(lease):
            r = o.call("DELETE", "/api/v1/play/" + lease, token=token)
            t.check_eq("stop: 204", r.status, 204)
            return r.status
        return token, stop

    round_trip(t, o, edge, "stop", stopping)
    disabled = []

    def disabling(attempt):
        token = o.user("other%d@example.com" % attempt, plan="one")
        disabled.append(o.call("GET", "/api/v1/me", token=token).json["id"])

        def disable(lease):
            r = o.admin("POST", "/admin/v1/users/%s/disable" % disabled[-1])
            t.check("user disabled: 200", r.status == 200, r.body)
            return r.status
        return token, disable

    seg = round_trip(t, o, edge, "user disable", disabling)
    uid = disabled[-1]

    edge.stop()
    edge.start()
    took = seg and hb.wait_status(o, seg, 403, INTERVAL + MARGIN)
    t.check("a restarted edge (no cursor) refuses the token again within one interval (%s s)"
            % (took and "%.2f" % took), took is not None)

    with open(os.path.join(t.tmp, "edge.secret")) as f:
        probe = Edge(o, {"id": edge_id, "secret": f.read().strip()})
    st, ans = probe.beat()
    t.check("an edge without a cursor hears of the disabled user from the restarted origin",
            st == 200 and any(u.get("user") == uid for u in ans.get("users", [])), ans)
    o.stop()
    o.start()
    st, again = probe.beat()
    t.check("after a clean restart too, and its cursor from before gets nothing again",
            st == 200 and again.get("users") == [] and again.get("leases") == []
            and again.get("cursor", "").split(":")[0] == ans.get("cursor", "").split(":")[0],
            again)


if __name__ == "__main__":
    et.run(main, "edge_revocation_restart", cls=ot.Test)
