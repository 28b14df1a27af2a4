#!/usr/bin/env python3
"""reel-origin's plans, subscriptions, catalog and playback, end to end with a
real reel-edge and ffmpeg: signup -> login -> subscribe -> play; the URL plays
through the edge (whose token code verifies the origin's token) and the AES-128
key comes from the origin through the edge's redirect; the stream limit, a
missed heartbeat, explicit stops; the key endpoint's refusals; admin plans,
grants, titles, keys and user disabling; bad input that leaves the store alone."""

import base64
import calendar
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.parse

import edgetest as et
import origintest as ot
import pasetotest as pt
from origintest import is_error

PLAN = {"title": "Basic", "max_streams": 2, "max_height": 360, "downloads": True,
        "max_devices": 2, "max_downloads": 3, "downloads_per_title_year": 3}


ed25519_key = ot.ed25519_key


def admin_setup(t, o):
    r = o.admin("PUT", "/admin/v1/plans/basic", PLAN)
    t.check("admin creates a plan: 201", r.status == 201, r.body)
    r = o.admin("PUT", "/admin/v1/plans/basic", PLAN)
    t.check_eq("putting it again replaces it: 200", r.status, 200)
    r = o.admin("PUT", "/admin/v1/plans/tiny", dict(PLAN, max_streams=1, downloads=False))
    t.check_eq("a second plan: 201", r.status, 201)
    only_new = [("If-None-Match", "*")]
    r = o.call("PUT", "/admin/v1/plans/tiny", dict(PLAN, max_streams=9), port=o.admin_port,
               token=o.admin_token, headers=only_new)
    t.check("If-None-Match: * on a plan that exists: 412 plan_exists, the plan kept",
            is_error(r, 412, "plan_exists")
            and o.admin("GET", "/admin/v1/plans/tiny").json["max_streams"] == 1, r.body)
    r = o.call("PUT", "/admin/v1/plans/spare", PLAN, port=o.admin_port, token=o.admin_token,
               headers=only_new)
    t.check_eq("If-None-Match: * on a new plan creates it: 201", r.status, 201)
    r = o.admin("DELETE", "/admin/v1/plans/spare")
    t.check_eq("(deleted again)", r.status, 204)
    for name, body, code in [
            ("a missing limit", {k: v for k, v in PLAN.items() if k != "max_height"},
             (400, "invalid_request")),
            ("max_streams 0", dict(PLAN, max_streams=0), (422, "invalid_plan")),
            ("max_height a string", dict(PLAN, max_height="720"), (422, "invalid_plan")),
            ("an unknown member", dict(PLAN, price=3), (400, "invalid_request"))]:
        r = o.admin("PUT", "/admin/v1/plans/bad", body)
        t.check("a plan with %s is %d %s" % ((name,) + code), is_error(r, *code), r.body)
    r = o.admin("PUT", "/admin/v1/plans/Bad%20Name", PLAN)
    t.check("a plan name with a space is 422", is_error(r, 422, "invalid_plan"), r.body)
    r = o.call("GET", "/api/v1/plans")
    names = [p["name"] for p in (r.json or {}).get("plans", [])]
    t.check_eq("users see the plans (not the bad ones)", names, ["basic", "tiny"])

    r = o.admin("GET", "/admin/v1/users", token="not-the-admin-token")
    t.check("the admin API refuses a wrong token: 401", is_error(r, 401, "unauthorized"),
            r.body)
    r = o.call("GET", "/admin/v1/users")
    t.check("the admin API is not on the user port: 404", is_error(r, 404, "not_found"),
            r.body)


def register(t, o, tmp, root):
    manifest = os.path.join(root, "movie", "manifest.json")
    with open(manifest, "rb") as f:
        raw = f.read()
    r = o.admin("PUT", "/admin/v1/titles/movie?name=The%20Movie", raw=raw)
    t.check("registering a title from its manifest.json: 201", r.status == 201, r.body)
    rec = r.json or {}
    t.check_eq("the catalog keeps the renditions",
               [v["height"] for v in rec.get("video", [])], [360, 720])
    t.check("the catalog keeps the duration", abs(rec.get("duration", 0) - 4.0) < 0.2, rec)
    t.check_eq("the display name comes from ?name=", rec.get("name"), "The Movie")
    t.check_eq("encrypted", rec.get("encrypted"), True)
    m = json.loads(raw)

    def changed(**kw):
        d = json.loads(raw)
        for k, v in kw.items():
            if k == "height":
                d["video"][1]["height"] = v
            else:
                d[k] = v
        return json.dumps(d).encode()

    t.check("the manifest has two video renditions", len(m.get("video", [])) == 2, m)
    for name, body in [("not JSON", b"{"), ("not a manifest", b'{"a":1}'),
                       ("a negative duration", changed(duration=-4.0)),
                       ("a huge rendition", changed(height=99999)),
                       ("a string duration", changed(duration="4")),
                       ("without video or audio", changed(video=[], audio=[]))]:
        r = o.admin("PUT", "/admin/v1/titles/bad", raw=body)
        t.check("a manifest that is %s is refused (4xx)" % name,
                r.status in (400, 422) and (r.json or {}).get("error"), r.body)
    r = o.admin("GET", "/admin/v1/titles/bad")
    t.check("... and nothing was stored", is_error(r, 404, "unknown_title"), r.body)
    r = o.admin("PUT", "/admin/v1/titles/.hidden", raw=raw)
    t.check("a title id starting with a dot is 422", r.status == 422, r.body)
    r = o.admin("PUT", "/admin/v1/titles/other?name=Other+Film", raw=raw)
    t.check_eq("a second title from the same package: 201", r.status, 201)


def heartbeating(o, lease, token):
    """Heartbeat LEASE every second in a thread, as a player does while it plays (so the
    lease outlives a slow ffmpeg on a loaded machine); the returned function stops it."""
    done = threading.Event()

    def beat():
        while not done.wait(1.0):
            o.call("POST", "/api/v1/play/%s/heartbeat" % lease, token=token)
    th = threading.Thread(target=beat, daemon=True)
    th.start()
    return lambda: (done.set(), th.join())


def playback(t, o, edge, root, key_hex):
    viewer = o.user("viewer@example.com", plan="basic")
    r = o.call("GET", "/api/v1/titles?q=MOV", token=viewer)
    t.check_eq("search finds the title (any case)",
               [x["id"] for x in (r.json or {}).get("titles", [])], ["movie"])
    r = o.call("GET", "/api/v1/titles?language=und&limit=1", token=viewer)
    t.check("a language filter and a page of one",
            len((r.json or {}).get("titles", [])) == 1 and r.json.get("total") == 2, r.body)
    r = o.call("GET", "/api/v1/titles/movie", token=viewer)
    t.check_eq("get one title", (r.json or {}).get("id"), "movie")
    r = o.call("GET", "/api/v1/titles")
    t.check("the catalog needs a session", is_error(r, 401, "unauthorized"), r.body)

    # the second user first: its password hashing is kept out of the lease's 3 s below
    other = o.user("other@example.com", plan="basic")
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=viewer)
    t.check("play is 201", r.status == 201, r.body)
    p1 = r.json or {}
    url = p1.get("url", "")
    t.check("the URL is <edge>/s/<token>/movie/master.m3u8",
            url == "http://127.0.0.1:%d/s/%s/movie/master.m3u8" % (edge.port, p1.get("token")),
            url)
    c = pt.claims_of(p1["token"])
    me = o.call("GET", "/api/v1/me", token=viewer).json
    t.check("the token's claims: user id, title, plan height, lease",
            c["sub"] == me["id"] and c["title"] == "movie" and c["maxh"] == 360
            and c["lease"] == p1.get("lease") and c["purpose"] == "reel-stream-v1", c)

    # the edge verifies the token with the same code and plays it; the key comes from the origin
    res = et.curl(o.dir, url)
    t.check("the edge serves the tokenized master playlist", res.status == 200, res.stderr)
    t.check("... listing only the plan's 360p rendition",
            b"360p/index.m3u8" in res.body and b"720p/index.m3u8" not in res.body, res.body)
    res = et.curl(o.dir, url.replace("master.m3u8", "720p/index.m3u8"))
    t.check_eq("the edge refuses the 720p rendition (above the plan)", res.status, 403)
    res = et.curl(o.dir, url.replace("master.m3u8", "key"), "-L")
    t.check_eq("the key URI leads through the edge's redirect to the origin's key",
               res.body, bytes.fromhex(key_hex))
    out = os.path.join(o.dir, "play.ts")
    stop = heartbeating(o, p1["lease"], viewer)
    run = subprocess.run(["ffmpeg", "-v", "error", "-y", "-allowed_extensions", "ALL", "-i", url,
                          "-c", "copy", out], capture_output=True, text=True, timeout=120)
    stop()
    t.check("ffmpeg plays the encrypted package through the edge", run.returncode == 0
            and os.path.getsize(out) > 10000, run.stderr[-2000:])
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=height",
                            "-of", "csv=p=0", out], capture_output=True, text=True)
    t.check_eq("... and what it got is the 360p rendition", probe.stdout.split()[:1], ["360"])
    r = o.call("POST", "/api/v1/play/%s/heartbeat" % p1["lease"], token=viewer)
    t.check_eq("the lease heartbeated while it played: a heartbeat after it is 200",
               r.status, 200)

    # concurrent streams
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=viewer)
    t.check_eq("a second concurrent stream: 201", r.status, 201)
    p2 = r.json or {}
    r = o.call("POST", "/api/v1/play", {"title": "other"}, token=viewer)
    t.check("the third (N+1) is refused: 403 stream_limit",
            is_error(r, 403, "stream_limit") and r.json.get("limit") == 2, r.body)
    r = o.call("DELETE", "/api/v1/play/" + p2["lease"], token=viewer)
    t.check_eq("stop a stream: 204", r.status, 204)
    r = o.call("DELETE", "/api/v1/play/" + p2["lease"], token=viewer)
    t.check("stopping it again is 404", is_error(r, 404, "unknown_lease"), r.body)
    r = o.call("POST", "/api/v1/play", {"title": "other"}, token=viewer)
    t.check_eq("the freed slot can be used: 201", r.status, 201)
    p3 = r.json or {}

    # heartbeats: p1 kept alive, p3 left to lapse (lease_timeout is 3 s)
    r = o.call("POST", "/api/v1/play/%s/heartbeat" % p1["lease"], token=other)
    t.check("another user cannot heartbeat my lease: 404", is_error(r, 404, "unknown_lease"),
            r.body)
    for _ in range(5):
        r = o.call("POST", "/api/v1/play/%s/heartbeat" % p1["lease"], token=viewer)
        time.sleep(1.0)
    r = o.call("POST", "/api/v1/play/%s/heartbeat" % p1["lease"], token=viewer)
    t.check("heartbeats keep a lease alive past the timeout", r.status == 200, r.body)
    r = o.call("POST", "/api/v1/play/%s/heartbeat" % p3["lease"], token=viewer)
    t.check("a lease without heartbeat has ended: 404", is_error(r, 404, "unknown_lease"),
            r.body)
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=viewer)
    t.check("the missed heartbeat freed its slot: 201", r.status == 201, r.body)
    p4 = r.json or {}

    key_endpoint(t, o, p1, p3, p4, key_hex)
    return viewer, p1


def expired(t, o, edge, pem, live):
    """A token past its expiry (signed with the origin's own key) is refused by both."""
    c = pt.claims_of(live["token"])
    now = int(time.time())
    c["iat"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 7200))
    c["exp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60))
    tok = pt.sign(o.dir, pem, "s7", c)
    r = o.call("GET", "/api/v1/keys/movie?token=" + urllib.parse.quote(tok))
    t.check("an expired token gets no key: 401 token_expired",
            is_error(r, 401, "token_expired"), r.body)
    res = et.curl(o.dir, "http://127.0.0.1:%d/s/%s/movie/master.m3u8" % (edge.port, tok))
    t.check_eq("... and the edge refuses it", res.status, 403)
    c["exp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 600))
    c["maxh"] = 720
    tok = pt.sign(o.dir, pem, "s7", c)
    res = et.curl(o.dir, "http://127.0.0.1:%d/s/%s/movie/720p/index.m3u8" % (edge.port, tok))
    t.check_eq("(the same claims with 720p allowed and a live expiry pass the edge)",
               res.status, 200)


def key_endpoint(t, o, live, ended, other_live, key_hex):
    q = urllib.parse.quote
    r = o.call("GET", "/api/v1/keys/movie?token=" + q(live["token"]))
    t.check("the key endpoint gives the 16-byte key for a live lease's token",
            r.status == 200 and r.body == bytes.fromhex(key_hex), r.summary())
    t.check_eq("... with Cache-Control: no-store", r.header("Cache-Control"), "no-store")
    r = o.call("GET", "/api/v1/keys/movie?token=" + q(ended["token"].replace("movie", "x")))
    t.check("a token whose lease ended gets no key",
            r.status in (401, 403) and r.body != bytes.fromhex(key_hex), r.summary())
    r = o.call("GET", "/api/v1/keys/other?token=" + q(ended["token"]))
    t.check("... (403 lease_ended)", is_error(r, 403, "lease_ended"), r.body)
    tok = live["token"]
    i = len("v4.public.") + 30
    flipped = tok[:i] + ("A" if tok[i] != "A" else "B") + tok[i + 1:]
    r = o.call("GET", "/api/v1/keys/movie?token=" + q(flipped))
    t.check("a token with one byte changed: 401", is_error(r, 401, "invalid_token"), r.body)
    r = o.call("GET", "/api/v1/keys/other?token=" + q(tok))
    t.check("a token for another title: 403", is_error(r, 403, "wrong_title"), r.body)
    parts = tok.split(".")
    unknown = ".".join(parts[:3] + [base64.urlsafe_b64encode(b'{"kid":"zz"}').decode()
                                    .rstrip("=")])
    r = o.call("GET", "/api/v1/keys/movie?token=" + q(unknown))
    t.check("a token with an unknown key id: 401", is_error(r, 401, "invalid_token"), r.body)
    r = o.call("GET", "/api/v1/keys/movie")
    t.check("no token: 401", is_error(r, 401, "unauthorized"), r.body)


def key_listing(t, o, key_hex):
    r = o.admin("POST", "/admin/v1/titles/other/keys", {"kid": "k2"})
    t.check_eq("a second key for the title: 201", r.status, 201)
    fresh = (r.json or {}).get("key", "")
    r = o.admin("GET", "/admin/v1/titles/other/keys")
    keys = (r.json or {}).get("keys", [])
    t.check("the title's keys are listed in order, the last one current, with dates",
            r.status == 200 and r.json.get("title") == "other"
            and [(k["kid"], k["current"]) for k in keys] == [("k1", False), ("k2", True)]
            and all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", k["added"] or "")
                    for k in keys), r.body)
    t.check("... and never the keys themselves",
            key_hex.encode() not in r.body and fresh.encode() not in r.body
            and all(set(k) == {"kid", "current", "added"} for k in keys), r.body)
    r = o.admin("GET", "/admin/v1/titles/nokeys/keys")
    t.check("a title without content keys: 404", is_error(r, 404, "unknown_title"), r.body)
    r = o.call("GET", "/admin/v1/titles/other/keys", port=o.admin_port)
    t.check("the key listing needs the admin token", is_error(r, 401, "unauthorized"), r.body)


def admin_users(t, o, viewer, lease):
    r = o.admin("GET", "/admin/v1/users")
    users = {u["email"]: u for u in (r.json or {}).get("users", [])}
    t.check("admins list users with their subscriptions",
            users.get("viewer@example.com", {}).get("subscription", {}).get("plan") == "basic",
            r.body)
    uid = users["viewer@example.com"]["id"]
    r = o.admin("GET", "/admin/v1/users/" + uid)
    t.check_eq("one user by id is its row of the listing", r.json, users["viewer@example.com"])
    r = o.admin("GET", "/admin/v1/users/" + urllib.parse.quote("Viewer@EXAMPLE.com"))
    t.check_eq("... and by email, in any case", r.json, users["viewer@example.com"])
    for who in ("u0000000000000000", "nobody%40example.com", "viewer%00x", "%2e%2e"):
        r = o.admin("GET", "/admin/v1/users/" + who)
        t.check("an unknown user %r: 404" % who, is_error(r, 404, "unknown_user"), r.body)
    r = o.admin("POST", "/admin/v1/users/%s/disable" % urllib.parse.quote("nobody@example.com"))
    t.check("disabling an unknown email: 404", is_error(r, 404, "unknown_user"), r.body)
    r = o.call("POST", "/api/v1/play/%s/heartbeat" % lease["lease"], token=viewer)
    t.check_eq("(the viewer's first stream is live)", r.status, 200)
    r = o.admin("POST", "/admin/v1/users/%s/disable" % uid)
    t.check("disabling a user ends their streams",
            r.status == 200 and r.json.get("streams_ended", 0) >= 1, r.body)
    r = o.call("GET", "/api/v1/me", token=viewer)
    t.check("... and their sessions at once", is_error(r, 401, "invalid_token"), r.body)
    r = o.call("POST", "/api/v1/login", {"email": "viewer@example.com",
                                         "password": "correct horse battery staple"})
    t.check("... and they cannot log in", is_error(r, 401, "invalid_credentials"), r.body)
    r = o.call("GET", "/api/v1/keys/movie?token=" + urllib.parse.quote(lease["token"]))
    t.check("... and their tokens get no key", is_error(r, 403, "lease_ended"), r.body)
    r = o.admin("POST", "/admin/v1/users/%s/enable" % uid)
    t.check_eq("enable again: 200", r.status, 200)
    r = o.call("POST", "/api/v1/login", {"email": "viewer@example.com",
                                         "password": "correct horse battery staple"})
    t.check_eq("... and they can log in", r.status, 200)
    r = o.admin("POST", "/admin/v1/users/u0000000000000000/disable")
    t.check("disabling an unknown user: 404", is_error(r, 404, "unknown_user"), r.body)


def subscriptions(t, o):
    tok = o.user("sub@example.com")
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok)
    t.check("play without a subscription: 403", is_error(r, 403, "no_subscription"), r.body)
    r = o.call("GET", "/api/v1/subscription", token=tok)
    t.check("no subscription: 404", is_error(r, 404, "no_subscription"), r.body)
    r = o.call("PUT", "/api/v1/subscription", {"plan": "gold"}, token=tok)
    t.check("subscribing to an unknown plan: 422", is_error(r, 422, "unknown_plan"), r.body)
    r = o.call("PUT", "/api/v1/subscription", {"plan": 3}, token=tok)
    t.check("a plan of the wrong type: 400", is_error(r, 400, "invalid_request"), r.body)
    r = o.call("PUT", "/api/v1/subscription", {"plan": "tiny"}, token=tok)
    t.check("subscribe: 201 active", r.status == 201 and r.json["status"] == "active", r.body)
    r = o.call("PUT", "/api/v1/subscription", {"plan": "basic"}, token=tok)
    t.check("change plan: 200, basic", r.status == 200 and r.json["plan"] == "basic", r.body)
    r = o.call("DELETE", "/api/v1/subscription", token=tok)
    t.check("cancel: active until the period's end",
            r.status == 200 and r.json["status"] == "canceled" and r.json["active"], r.body)
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok)
    t.check_eq("a cancelled subscription still plays until the period ends", r.status, 201)
    r = o.admin("DELETE", "/admin/v1/plans/basic")
    t.check("a plan in use cannot be deleted: 409", is_error(r, 409, "plan_in_use"), r.body)

    g = o.user("granted@example.com")
    r = o.admin("POST", "/admin/v1/grants", {"user": "granted@example.com", "plan": "tiny",
                                             "days": 7})
    t.check("an admin grant activates a plan",
            r.status == 200 and r.json["subscription"]["source"] == "grant", r.body)
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=g)
    t.check_eq("the granted user can play", r.status, 201)
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=g)
    t.check("... one stream at a time (tiny)", is_error(r, 403, "stream_limit"), r.body)
    r = o.admin("POST", "/admin/v1/grants", {"user": "nobody@example.com", "plan": "tiny",
                                             "days": 7})
    t.check("a grant to an unknown user: 422", is_error(r, 422, "unknown_user"), r.body)


def stream_tokens(t, o, edge):
    """An admin mints a stream token for a user, to try an edge: a real play."""
    tok = o.user("debug@example.com", plan="tiny")
    uid = o.call("GET", "/api/v1/me", token=tok).json["id"]
    before = time.time()
    r = o.admin("POST", "/admin/v1/stream-tokens",
                {"user": "Debug@Example.com", "title": "movie", "ttl": 120})
    g = r.json or {}
    c = pt.claims_of(g["token"]) if r.status == 201 else {}
    exp = calendar.timegm(time.strptime(c.get("exp", "1970-01-01T00:00:00Z"),
                                        "%Y-%m-%dT%H:%M:%SZ"))
    t.check("an admin mints a stream token for a user (by email): 201 with the lease",
            r.status == 201 and c.get("sub") == uid and c.get("title") == "movie"
            and c.get("lease") == g.get("lease") and c.get("maxh") == 360, r.body)
    t.check("... living the asked ttl, not the title's whole token life",
            before + 100 <= exp <= time.time() + 121, (c.get("exp"), before))
    res = et.curl(o.dir, g.get("url", ""))
    t.check("... which the edge honours", res.status == 200 and b"360p/index.m3u8" in res.body,
            res.stderr)
    t.check("... and the origin logs it with the admin's name",
            re.search(r"admin ops: stream token for %s on movie \(lease %s, 120 s\)"
                      % (uid, g.get("lease")), o.logs()), o.logs()[-2000:])
    r = o.admin("POST", "/admin/v1/stream-tokens", {"user": uid, "title": "movie"})
    t.check("the lease counts against the plan's streams (tiny: one)",
            is_error(r, 403, "stream_limit"), r.body)
    r = o.call("DELETE", "/api/v1/play/" + g.get("lease", ""), token=tok)
    t.check_eq("the user may stop it like any stream: 204", r.status, 204)
    r = o.admin("POST", "/admin/v1/stream-tokens", {"user": uid, "title": "movie"})
    c = pt.claims_of(r.json["token"]) if r.status == 201 else {}
    t.check("by user id, without ttl: 201", r.status == 201 and c.get("sub") == uid, r.body)
    o.call("DELETE", "/api/v1/play/" + (r.json or {}).get("lease", ""), token=tok)
    for body, code in [({"user": uid, "title": "movie", "ttl": 59}, (422, "invalid_ttl")),
                       ({"user": uid, "title": "movie", "ttl": 3601}, (422, "invalid_ttl")),
                       ({"user": uid, "title": "movie", "ttl": "60"}, (422, "invalid_ttl")),
                       ({"user": "nobody@example.com", "title": "movie"},
                        (422, "unknown_user")),
                       ({"user": uid, "title": "nope"}, (404, "unknown_title")),
                       ({"user": uid}, (400, "invalid_request")),
                       ({"user": uid, "title": "movie", "why": "x"}, (400, "invalid_request"))]:
        r = o.admin("POST", "/admin/v1/stream-tokens", body)
        t.check("minting with %s: %d %s" % ((json.dumps(body),) + code), is_error(r, *code),
                r.body)
    r = o.call("POST", "/admin/v1/stream-tokens", {"user": uid, "title": "movie"},
               port=o.admin_port)
    t.check("minting needs the admin token", is_error(r, 401, "unauthorized"), r.body)
    r = o.call("POST", "/admin/v1/stream-tokens", {"user": uid, "title": "movie"}, token=tok)
    t.check("... and is not on the user port", is_error(r, 404, "not_found"), r.body)
    plain = o.user("nosub@example.com")
    r = o.admin("POST", "/admin/v1/stream-tokens", {"user": "nosub@example.com",
                                                   "title": "movie"})
    t.check("a user without a subscription gets none: 403", is_error(r, 403, "no_subscription"),
            r.body)
    o.call("POST", "/api/v1/logout", token=plain)


def bad_play(t, o):
    tok = o.user("bad@example.com", plan="basic")
    for name, raw, code in [("not JSON", b"{", (400, "invalid_json")),
                            ("no title", b"{}", (400, "invalid_request")),
                            ("a title of the wrong type", b'{"title": 7}',
                             (400, "invalid_request")),
                            ("an unknown member", b'{"title": "movie", "x": 1}',
                             (400, "invalid_request")),
                            ("an unknown title", b'{"title": "nope"}', (404, "unknown_title"))]:
        r = o.call("POST", "/api/v1/play", raw=raw, token=tok)
        t.check("play with %s: %d %s" % ((name,) + code), is_error(r, *code), r.body)
    r = o.call("POST", "/api/v1/play", raw=b'{"title":"movie"}', token=tok, ctype="text/plain")
    t.check("play with the wrong content type: 415", is_error(r, 415, "unsupported_media_type"),
            r.body)
    r = o.call("POST", "/api/v1/play", raw=b'{"title":"' + b"m" * 5000 + b'"}', token=tok)
    t.check_eq("a body over max_body: 413", r.status, 413)
    r = o.call("GET", "/api/v1/play", token=tok)
    t.check("GET on play: 405 with Allow", is_error(r, 405, "method_not_allowed")
            and "POST" in (r.header("Allow") or ""), r.summary())
    r = o.call("POST", "/api/v1/play", {"title": "movie"})
    t.check("play without a session: 401", is_error(r, 401, "unauthorized"), r.body)


def rotate_keys(t, o, keys_file):
    """A key appended to the key set file signs after SIGHUP; the old one still verifies."""
    pem, _ = ed25519_key(o.dir, "s8")
    with open(keys_file) as f:
        before = f.read()
    with open(keys_file, "a") as f:
        f.write("s8 %s\n" % pem)
    o.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    r = o.call("GET", "/api/v1/stream-keys")
    kids = [(k["kid"], k["signing"]) for k in (r.json or {}).get("keys", [])]
    t.check_eq("after SIGHUP both keys are published, the new one signing", kids,
               [("s7", False), ("s8", True)])
    tok = o.user("rotate@example.com", plan="basic")
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok)
    fresh = (r.json or {}).get("token", "")
    t.check("new stream tokens carry the new key id",
            fresh and pt.b64d(fresh.split(".")[3]) == b'{"kid":"s8"}', fresh[-40:])
    r = o.call("GET", "/api/v1/keys/movie?token=" + urllib.parse.quote(fresh))
    t.check_eq("... and get the content key", r.status, 200)
    with open(keys_file, "w") as f:
        f.write(before + "s9 not-a-key\n")
    o.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    r = o.call("GET", "/api/v1/stream-keys")
    t.check_eq("a broken key file on SIGHUP keeps the keys in use",
               [k["kid"] for k in (r.json or {}).get("keys", [])], ["s7", "s8"])
    t.check("... and says why in the log", "keeping the old keys" in o.logs())


def restart_keeps_leases(t, root):
    """Leases are saved each second and come back after a restart (own origin, 60 s leases)."""
    o = t.origin(playback={"lease_timeout": "60s"})
    o.admin("PUT", "/admin/v1/plans/tiny", dict(PLAN, max_streams=1))
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        o.admin("PUT", "/admin/v1/titles/movie", raw=f.read())
    tok = o.user("restart@example.com", plan="tiny")
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok)
    t.check_eq("a stream before the restart", r.status, 201)
    time.sleep(1.5)  # leases are saved every second
    o.stop()
    o.start()
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok)
    t.check("the lease survived the restart (the limit still holds)",
            is_error(r, 403, "stream_limit"), r.body)


def crash_keeps_answered_leases(t, root):
    """kill -9 right after a burst of plays: every lease answered 201 was committed before
    its answer, so it survives the restart and the stream limit still holds."""
    o = t.origin(playback={"lease_timeout": "60s"})
    o.admin("PUT", "/admin/v1/plans/pair", dict(PLAN, max_streams=2))
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        o.admin("PUT", "/admin/v1/titles/movie", raw=f.read())
    users = [o.user("crash%d@example.com" % i, plan="pair") for i in range(8)]
    granted = {u: [] for u in users}
    statuses = []
    lock = threading.Lock()

    def play(tok):
        r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok)
        with lock:
            statuses.append(r.status)
            if r.status == 201:
                granted[tok].append(r.json["lease"])

    threads = [threading.Thread(target=play, args=(u,)) for u in users for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    o.proc.kill()  # SIGKILL at once: no save at exit
    o.proc.wait(10)
    o.stderr.close()
    t.check("the burst: 2 streams granted per user, the third refused",
            all(len(v) == 2 for v in granted.values()) and statuses.count(403) == len(users),
            statuses)
    o.start()
    lost = [lease for tok, leases in granted.items() for lease in leases
            if o.call("POST", "/api/v1/play/%s/heartbeat" % lease, token=tok).status != 200]
    t.check("after kill -9 and a restart every lease answered 201 is live", not lost, lost)
    again = [o.call("POST", "/api/v1/play", {"title": "movie"}, token=tok).status
             for tok in users]
    t.check("... and the limit holds: no user gets a third stream", again == [403] * len(users),
            again)


def main(t):
    for prog in ("ffmpeg", "ffprobe", "openssl", "curl"):
        if not et.have(prog):
            raise et.Skip("%s not installed" % prog)
    keys, edge_keys, stream_pem = ot.stream_key_files(t.tmp, "s7")
    root = os.path.join(t.tmp, "content")
    os.makedirs(root)
    edge = t.edge(root, start=False, tokens={"keys": edge_keys, "require": "on"})
    odir = os.path.join(t.tmp, "origin")
    os.makedirs(odir)
    o = ot.Origin(odir, **{
        "playback": {"edge_url": "http://127.0.0.1:%d" % edge.port, "lease_timeout": "3s"},
        "keys": {"stream_keys": keys}})
    t.origins.append(o)
    o.start()
    edge.sections["origin"] = {"url": "http://127.0.0.1:%d" % o.port}
    edge.start()

    admin_setup(t, o)
    # the package is encrypted with a key the origin makes (before the transcode) and keeps
    r = o.admin("POST", "/admin/v1/titles/movie/keys", {"kid": "k1"})
    t.check("the origin makes a content key and shows it once: 201",
            r.status == 201 and len((r.json or {}).get("key", "")) == 32, r.body)
    key_hex = (r.json or {}).get("key", "00" * 16)
    r = o.admin("POST", "/admin/v1/titles/movie/keys", {"kid": "k1"})
    t.check("a key id cannot be reused: 409", is_error(r, 409, "key_exists"), r.body)
    ot.make_package(t.tmp, "movie", key_hex=key_hex)
    register(t, o, t.tmp, root)
    r = o.admin("POST", "/admin/v1/titles/other/keys", {"kid": "k1", "key": key_hex})
    t.check_eq("an imported key: 201", r.status, 201)
    key_listing(t, o, key_hex)

    viewer, lease = playback(t, o, edge, root, key_hex)
    expired(t, o, edge, stream_pem, lease)
    admin_users(t, o, viewer, lease)
    subscriptions(t, o)
    stream_tokens(t, o, edge)
    bad_play(t, o)
    r = o.call("GET", "/metrics", port=o.admin_port)
    m = et.parse_metrics(r.body.decode()) if r.status == 200 else {}
    t.check("the admin listener serves Prometheus metrics with the origin's counters",
            m.get("reel_origin_plays_total", 0) >= 5
            and m.get("reel_origin_stream_limit_total", 0) >= 2
            and m.get("reel_origin_key_answers_total", 0) >= 1
            and "reel_origin_leases" in m and "reel_http_requests_total" in str(m.keys())
            and 1 <= m.get("reel_origin_lease_commits_total", 0)
            <= m.get("reel_origin_plays_total", 0) + 60,
            r.body[:400])
    rotate_keys(t, o, keys)
    restart_keeps_leases(t, root)
    crash_keeps_answered_leases(t, root)

    with open(os.path.join(o.data, "data.mdb"), "rb") as f:
        db = f.read()
    t.check("the content key is not in clear in the LMDB file",
            bytes.fromhex(key_hex) not in db and key_hex.encode() not in db)
    t.check("no stream token in the LMDB file", lease["token"].encode() not in db)
    t.check("the key is not in the log", key_hex not in o.logs())


if __name__ == "__main__":
    et.run(main, "origin_playback", cls=ot.Test)
