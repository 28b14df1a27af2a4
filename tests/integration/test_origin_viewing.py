#!/usr/bin/env python3
"""reel-origin's viewing APIs end to end on the real binary: positions
reported with lease heartbeats, resume across two sessions (devices) of one
user, finishes (95% of the duration, or the end credits), bad positions that
change nothing, history with its export and removal, recommendations from
co-watching with the right "because" title, popularity for a new user (and
across a restart), search that folds case and accents and takes ISO
639-2 language codes, and a stop that carries the last position."""

import json
import time
import urllib.parse

import edgetest as et
import origintest as ot
from origintest import is_error

PLAN = {"title": "Family", "max_streams": 4, "max_height": 1080, "downloads": False,
        "max_devices": 0, "max_downloads": 0, "downloads_per_title_year": 0}

# id: (name, duration, audio language, description, end credits)
TITLES = {
    "cafe": ("Caf\u00e9 de Flore", 1000.0, "fre", "A night in Paris", None),
    "alpha": ("Alpha", 1000.0, "en", "The first of them", None),
    "bravo": ("Bravo", 1000.0, "en", None, None),
    "charlie": ("Charlie", 1000.0, "en", None, None),
    "delta": ("Delta", 1000.0, "en", None, None),
    "credits": ("Rolling Credits", 1000.0, "de", None, 800.0),
    "echo": ("Echo", 600.0, "de", "Stories from a caf\u00e9", None),
}


def manifest(name, duration, lang, desc, credits):
    m = {"manifest_version": 1, "title": name, "duration": duration, "container": "fmp4",
         "segment_target": 2.0,
         "video": [{"path": "360p/index.m3u8", "width": 640, "height": 360,
                    "bandwidth": 500000, "codecs": "avc1.64001e"}],
         "audio": [{"language": lang, "name": lang, "channels": 2}],
         "audio_languages": [lang], "subtitle_languages": ["en"]}
    if desc:
        m["description"] = desc
    if credits:
        m["end_credits"] = credits
    return m


def setup(t, o):
    r = o.admin("PUT", "/admin/v1/plans/family", PLAN)
    t.check_eq("a plan: 201", r.status, 201)
    for tid, spec in TITLES.items():
        r = o.admin("PUT", "/admin/v1/titles/" + tid, manifest(*spec))
        t.check("title %s registered: 201" % tid, r.status == 201, r.body)
    r = o.admin("GET", "/admin/v1/titles/cafe")
    t.check_eq("the record keeps the description", (r.json or {}).get("description"),
               "A night in Paris")
    bad = manifest("Bad", 100.0, "en", None, 150.0)
    r = o.admin("PUT", "/admin/v1/titles/bad", bad)
    t.check("end credits past the duration: 422", is_error(r, 422, "invalid_manifest"), r.body)


def play(o, token, title):
    r = o.call("POST", "/api/v1/play", {"title": title}, token=token)
    if r.status != 201:
        raise et.Fatal("play %s: %s %r" % (title, r.status, r.body))
    return r.json


def beat(o, token, lease, position=None, raw=None):
    body = None if position is None else {"position": position}
    return o.call("POST", "/api/v1/play/%s/heartbeat" % lease, body, token=token, raw=raw)


def watch(o, token, title, positions):
    """Play TITLE and report POSITIONS with heartbeats, then stop."""
    p = play(o, token, title)
    for pos in positions:
        r = beat(o, token, p["lease"], pos)
        if r.status != 200:
            raise et.Fatal("heartbeat %s at %s: %s %r" % (title, pos, r.status, r.body))
    o.call("DELETE", "/api/v1/play/" + p["lease"], token=token)
    return p


def until(fn, timeout=6.0):
    """FN() until it returns something true (the history is saved once a second)."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.2)


def continue_list(o, token):
    r = o.call("GET", "/api/v1/me/continue", token=token)
    return [(x["title"], x["position"]) for x in (r.json or {}).get("titles", [])]


def recs(o, token):
    r = o.call("GET", "/api/v1/me/recommendations", token=token)
    return (r.json or {}).get("recommendations", [])


def resume(t, o):
    phone = o.user("viewer@example.com", plan="family")
    r = o.call("POST", "/api/v1/login",
               {"email": "viewer@example.com", "password": "correct horse battery staple"})
    tv = r.json["token"]  # a second session: the same viewer on another device
    p = play(o, phone, "alpha")
    t.check_eq("a first play starts at 0", p.get("resume"), 0)
    r = beat(o, phone, p["lease"], 120.5)
    t.check("a heartbeat with a position: 200", r.status == 200 and r.json.get("lease"), r.body)
    r = beat(o, phone, p["lease"])
    t.check_eq("a heartbeat without a body still works", r.status, 200)
    q = play(o, tv, "alpha")
    t.check_eq("the other device resumes where the first stopped", q.get("resume"), 120.5)
    t.check_eq("continue watching on the other device",
               continue_list(o, tv), [("alpha", 120.5)])
    r = beat(o, tv, q["lease"], 300)
    t.check_eq("the second device reports on", r.status, 200)
    time.sleep(1.1)  # "newest" is to the second
    w = play(o, phone, "bravo")
    beat(o, phone, w["lease"], 42)
    t.check_eq("the first device sees both, the newest first",
               continue_list(o, phone), [("bravo", 42), ("alpha", 300)])

    # bad positions change nothing
    other = o.user("other@example.com", plan="family")
    for name, lease, token, body, code in [
            ("negative", q["lease"], tv, {"position": -1}, (422, "invalid_position")),
            ("past the duration", q["lease"], tv, {"position": 1011}, (422, "invalid_position")),
            ("a string", q["lease"], tv, {"position": "300"}, (400, "invalid_request")),
            ("an unknown member", q["lease"], tv, {"position": 3, "x": 1},
             (400, "invalid_request")),
            ("another user's lease", q["lease"], other, {"position": 10},
             (404, "unknown_lease"))]:
        r = beat(o, token, lease, raw=json.dumps(body).encode())
        t.check("a position %s is %d %s" % ((name,) + code), is_error(r, *code), r.body)
    r = beat(o, tv, q["lease"], raw=b"{")
    t.check("a body that is not JSON: 400 invalid_json", is_error(r, 400, "invalid_json"),
            r.body)
    o.call("DELETE", "/api/v1/play/" + q["lease"], token=tv)
    r = beat(o, tv, q["lease"], 500)
    t.check("a position for an ended lease: 404", is_error(r, 404, "unknown_lease"), r.body)
    t.check_eq("... and the resume points did not move",
               continue_list(o, tv), [("bravo", 42), ("alpha", 300)])
    r = beat(o, phone, p["lease"], 1000.5)
    t.check_eq("a player's clock a little past the end is taken", r.status, 200)

    # finishing: 95% of the duration, or the end credits
    t.check_eq("watched to the end: no longer in continue watching",
               continue_list(o, phone), [("bravo", 42)])
    watch(o, phone, "credits", [100, 810])
    t.check_eq("past the end credits (800 of 1000 s) is finished too",
               continue_list(o, phone), [("bravo", 42)])
    r = o.call("GET", "/api/v1/me/history", token=phone)
    hist = {h["title"]: h for h in (r.json or {}).get("history", [])}
    t.check_eq("the history lists all three", sorted(hist), ["alpha", "bravo", "credits"])
    a = hist.get("alpha", {})
    t.check("a finished entry: status, finish date, time watched",
            a.get("status") == "finished" and isinstance(a.get("finished"), str)
            and a.get("first_watched", "").endswith("Z") and a.get("watched", -1) >= 0, a)
    t.check("an entry in progress has no finish date",
            hist.get("bravo", {}).get("status") == "in_progress"
            and hist.get("bravo", {}).get("finished") is None, hist.get("bravo"))
    q = play(o, tv, "alpha")
    t.check_eq("a finished title starts again from 0", q.get("resume"), 0)
    o.call("DELETE", "/api/v1/play/" + q["lease"], token=tv)
    return phone


def recommendations(t, o):
    ann = o.user("ann@example.com", plan="family")
    bob = o.user("bob@example.com", plan="family")
    watch(o, ann, "alpha", [400, 990])
    watch(o, ann, "bravo", [990])
    watch(o, bob, "bravo", [990])
    watch(o, bob, "charlie", [990])

    def because(token):
        return {x["title"]: (x.get("because") or {}).get("title")
                for x in recs(o, token) if x.get("reason") == "co_watched"}

    got = until(lambda: because(ann).get("charlie") and because(bob).get("alpha"))
    t.check("overlapping histories: each is recommended the other's title", got,
            (because(ann), because(bob)))
    t.check_eq("ann gets charlie because she watched bravo", because(ann).get("charlie"),
               "bravo")
    t.check_eq("bob gets alpha because he watched bravo", because(bob).get("alpha"), "bravo")
    item = [x for x in recs(o, ann) if x["title"] == "charlie"][0]
    t.check("the item says why, with the title's name",
            item.get("why") == "Because you watched Bravo"
            and item.get("because", {}).get("name") == "Bravo" and item.get("score", 0) > 0,
            item)
    t.check("what ann finished is not recommended to her",
            not {"alpha", "bravo"} & {x["title"] for x in recs(o, ann)}, recs(o, ann))

    # removing a history entry takes its influence away
    r = o.call("DELETE", "/api/v1/me/history/bravo", token=ann)
    t.check_eq("removing an entry: 204", r.status, 204)
    r = o.call("DELETE", "/api/v1/me/history/bravo", token=ann)
    t.check("removing it again: 404 unknown_entry", is_error(r, 404, "unknown_entry"), r.body)
    r = o.call("GET", "/api/v1/me/history", token=ann)
    t.check_eq("it is gone from the history",
               [h["title"] for h in (r.json or {}).get("history", [])], ["alpha"])
    t.check("ann's co-watching of bravo is gone with it",
            "bravo" not in because(ann).values() and "charlie" not in because(ann),
            because(ann))
    t.check("bob is no longer recommended alpha because of ann's bravo",
            "alpha" not in because(bob), because(bob))
    return ann


def popular_and_restart(t, o):
    # plays: echo by four viewers, delta by three (alpha and bravo have two so far)
    plays = {"echo": 4, "delta": 3, "cafe": 1}
    viewers = [o.user("fan%d@example.com" % i, plan="family") for i in range(4)]
    for i, v in enumerate(viewers):
        for title in [x for x, n in plays.items() if n > i]:
            watch(o, v, title, [5])
    time.sleep(1.5)  # saved at the next tick
    o.stop()
    o.start()  # a restart keeps the history and counts the window again
    new = o.user("new@example.com", plan="family")
    items = recs(o, new)
    t.check("a new user gets the popular titles, the most played first",
            [x["title"] for x in items][:2] == ["echo", "delta"]
            and all(x["reason"] == "popular" and x["why"] == "Popular now" for x in items),
            items)
    r = o.call("GET", "/api/v1/popular?language=ger", token=new)
    t.check_eq("popular in German (ger, an ISO 639-2 code)",
               [x["title"] for x in (r.json or {}).get("titles", [])][:1], ["echo"])
    t.check("popular titles count their plays",
            (r.json or {}).get("titles", [{}])[0].get("plays", 0) >= 3
            and r.json.get("window_days") == 7, r.body)
    viewer = o.call("POST", "/api/v1/login", {"email": "viewer@example.com",
                                               "password": "correct horse battery staple"})
    token = viewer.json["token"]
    t.check_eq("resume points survive the restart", continue_list(o, token), [("bravo", 42)])
    r = o.call("GET", "/api/v1/me/export", token=token)
    exp = r.json or {}
    t.check("the export is the whole history as a JSON file",
            r.status == 200 and exp.get("format") == "reel-history-v1"
            and exp.get("email") == "viewer@example.com"
            and len(exp.get("history", [])) == 3
            and "attachment" in (r.header("Content-Disposition") or ""), r.summary())


def search(t, o):
    token = o.user("searcher@example.com", plan="family")

    def found(q, **params):
        qs = urllib.parse.urlencode(dict(q=q, **params))
        r = o.call("GET", "/api/v1/search?" + qs, token=token)
        return [(x["title"], x["match"]) for x in (r.json or {}).get("results", [])]

    t.check_eq("cafe finds Caf\u00e9 de Flore (its name begins so), then a description",
               found("cafe"), [("cafe", "prefix"), ("echo", "words")])
    t.check_eq("caf, as the user types", found("caf")[:1], [("cafe", "prefix")])
    t.check_eq("CAF\u00c9 in capitals", found("CAF\u00c9")[:1], [("cafe", "prefix")])
    t.check_eq("the whole name is an exact match", found("caf\u00e9 de flore"),
               [("cafe", "exact")])
    t.check_eq("a word of the name", found("flore"), [("cafe", "title_words")])
    t.check_eq("a language filter with an ISO 639-2 code (fre)", found("caf", language="fre"),
               [("cafe", "prefix")])
    t.check_eq("... and with the tag (de)", found("caf", language="de"), [("echo", "words")])
    t.check_eq("nothing matches", found("zzz"), [])
    for name, qs in [("without q", "language=en"), ("a bad language", "q=a&language=e-"),
                     ("a bad limit", "q=a&limit=x")]:
        r = o.call("GET", "/api/v1/search?" + qs, token=token)
        t.check("search %s: 400 invalid_request" % name, is_error(r, 400, "invalid_request"),
                r.body)
    r = o.call("GET", "/api/v1/search?q=cafe")
    t.check("search needs a session: 401", is_error(r, 401, "unauthorized"), r.body)
    r = o.call("GET", "/api/v1/titles?language=ger", token=token)
    t.check_eq("the catalog's language filter takes ger for de",
               [x["id"] for x in (r.json or {}).get("titles", [])], ["credits", "echo"])
    r = o.call("GET", "/api/v1/titles?language=fr", token=token)
    t.check_eq("... and fr for a manifest's fre",
               [x["id"] for x in (r.json or {}).get("titles", [])], ["cafe"])
    r = o.admin("DELETE", "/admin/v1/titles/cafe")
    t.check_eq("a removed title", r.status, 204)
    t.check_eq("... is no longer found", found("caf"), [("echo", "words")])


def stop(o, token, lease, body=None, query="", raw=None):
    return o.call("DELETE", "/api/v1/play/%s%s" % (lease, query), body, token=token, raw=raw)


def last_position(t, o):
    """A stop that carries the player's last position keeps it with the lease's end."""
    token = o.user("leaver@example.com", plan="family")
    p = play(o, token, "delta")
    r = stop(o, token, p["lease"], {"position": 250})
    t.check_eq("a stop with the last position: 204", r.status, 204)
    t.check_eq("... the continue list shows it", continue_list(o, token), [("delta", 250)])
    r = beat(o, token, p["lease"])
    t.check("... and the lease ended with it", is_error(r, 404, "unknown_lease"), r.body)
    q = play(o, token, "delta")
    t.check_eq("the next play resumes there", q.get("resume"), 250)

    other = o.user("bystander@example.com", plan="family")
    lease = q["lease"]
    for name, kw, code in [
            ("negative", {"body": {"position": -1}}, (422, "invalid_position")),
            ("past the duration", {"body": {"position": 1011}}, (422, "invalid_position")),
            ("a string", {"body": {"position": "300"}}, (400, "invalid_request")),
            ("an unknown member", {"body": {"position": 3, "x": 1}}, (400, "invalid_request")),
            ("not JSON", {"raw": b"{"}, (400, "invalid_json")),
            ("negative in the query", {"query": "?position=-5"}, (422, "invalid_position")),
            ("infinite in the query", {"query": "?position=1e999"}, (422, "invalid_position")),
            ("not a number in the query", {"query": "?position=ten"}, (400, "invalid_request")),
            ("empty in the query", {"query": "?position="}, (400, "invalid_request")),
            ("in the body and the query", {"body": {"position": 3}, "query": "?position=3"},
             (400, "invalid_request"))]:
        r = stop(o, token, lease, **kw)
        t.check("a stop with a position %s is %d %s" % ((name,) + code), is_error(r, *code),
                r.body)
    r = stop(o, other, lease, {"position": 10})
    t.check("a stop of another user's lease: 404", is_error(r, 404, "unknown_lease"), r.body)
    r = beat(o, token, lease)
    t.check_eq("refused stops left the lease live", r.status, 200)
    t.check_eq("... and the resume point where it was", continue_list(o, token),
               [("delta", 250)])
    r = stop(o, token, lease, query="?position=600.5")
    t.check_eq("a stop with ?position=: 204", r.status, 204)
    t.check_eq("... recorded as well", continue_list(o, token), [("delta", 600.5)])
    r = stop(o, token, lease, {"position": 700})
    t.check("a stop of an ended lease: 404", is_error(r, 404, "unknown_lease"), r.body)
    t.check_eq("... and its position is not taken", continue_list(o, token),
               [("delta", 600.5)])

    r = o.admin("PUT", "/admin/v1/titles/foxtrot", manifest("Foxtrot", 500.0, "en", None, None))
    t.check_eq("a title to remove while it plays: 201", r.status, 201)
    f = play(o, token, "foxtrot")
    r = o.admin("DELETE", "/admin/v1/titles/foxtrot")
    t.check_eq("... removed", r.status, 204)
    r = stop(o, token, f["lease"], {"position": 100})
    t.check_eq("a stop with a position for a removed title still ends the lease", r.status, 204)
    r = beat(o, token, f["lease"])
    t.check("... it ended", is_error(r, 404, "unknown_lease"), r.body)
    t.check_eq("... and no position was kept", continue_list(o, token), [("delta", 600.5)])
    time.sleep(1.5)  # saved at the next tick
    o.stop()
    o.start()
    t.check_eq("the stop's position survives a restart", continue_list(o, token),
               [("delta", 600.5)])


def metrics(t, o):
    r = et.request(o.admin_port, "GET", "/metrics")
    m = et.parse_metrics(r.body.decode())
    t.check("positions recorded and refused are counted",
            m.get("reel_origin_positions_total", 0) >= 10
            and m.get("reel_origin_position_refused_total", 0) >= 2, r.body[-600:])


def main(t):
    o = t.origin()
    setup(t, o)
    resume(t, o)
    recommendations(t, o)
    metrics(t, o)
    popular_and_restart(t, o)
    search(t, o)
    last_position(t, o)


if __name__ == "__main__":
    et.run(main, "origin_viewing", cls=ot.Test)
