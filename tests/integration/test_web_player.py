#!/usr/bin/env python3
"""The web player in a real browser, end to end.

A real reel-origin (HTTPS and plain HTTP, the web player's files from the
build) and a real reel-edge (HTTPS, stream tokens required) on 127.0.0.1,
with an encrypted package made by reel-transcode from a generated 60 s clip
with two audio languages, English subtitles and two renditions.  Headless
Chromium (Debian's /usr/bin/chromium), driven through playwright-core by
web_player.js, signs up, chooses a plan, logs out and in, finds the title by
search, plays 10 s, has its network throttled through the DevTools protocol
until hls.js switches down, turns subtitles on, seeks, switches the audio
track, chooses a quality, pauses and leaves, obtains an offline license (its
content key opened in the page with the device's WebCrypto X25519 key),
lists the downloads, finds the catalog's rows (Continue watching at the
pause, Because you watched the title a neighbour made here also finished,
Popular), fits a phone's screen, resumes on another device (a browser of its
own) where the first left, and logs in over plain HTTP with a Bearer token.
The AES-128 key comes through the edge's redirect to the origin's key
endpoint (CORS).

Screenshots (catalog.png, playback.png, rows.png, phone-player.png, phone-downloads.png)
are written to $REEL_TEST_LOG_DIR/web_player/ (BUILDDIR/meson-logs/web_player/
under meson test).  Skipped (77) only when Chromium cannot start."""

import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse

import edgetest as et
import origintest as ot

CHROMIUM = "/usr/bin/chromium"
NODE_MODULES = os.environ.get("REEL_NODE_MODULES",
                              os.path.join(et.SOURCE_ROOT, "build", "origin", "web", "npm",
                                           "node_modules"))
WEB_ROOT = os.environ.get("REEL_WEB_ROOT",
                          os.path.join(et.SOURCE_ROOT, "build", "origin", "web", "site"))
LOG_ROOT = os.environ.get("REEL_TEST_LOG_DIR",
                          os.path.join(et.SOURCE_ROOT, "build", "meson-logs"))
LOG_DIR = os.path.join(LOG_ROOT, "web_player")
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "web_player.js")
PLAN = {"title": "Basic", "max_streams": 2, "max_height": 720, "downloads": True,
        "max_devices": 2, "max_downloads": 3, "downloads_per_title_year": 3}
SECONDS = 60
THROTTLE = 40000  # bytes per second: 320 kb/s, below the top rendition's rate


def make_source(tmp):
    """A 60 s 640x360 clip with English and French audio and English subtitles (Matroska)."""
    srt = os.path.join(tmp, "subs.srt")
    stamp = lambda s: "00:%02d:%02d,%03d" % (s // 60, s % 60, s * 1000 % 1000)
    with open(srt, "w") as f:
        for i in range(SECONDS // 2):
            f.write("%d\n%s --> %s\nLine %d of the subtitles\n\n"
                    % (i + 1, stamp(2 * i), stamp(2 * i + 1.5), i + 1))
    src = os.path.join(tmp, "source.mkv")
    subprocess.run([
        "ffmpeg", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=%d" % SECONDS,
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%d" % SECONDS,
        "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000:duration=%d" % SECONDS,
        "-i", srt, "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt",
        "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra",
        "-metadata:s:s:0", "language=eng", src], check=True, timeout=120)
    return src


def package(tmp, src, key_hex):
    root = os.path.join(tmp, "content")
    kf = os.path.join(tmp, "movie.key")
    with open(kf, "w") as f:
        f.write(key_hex)
    subprocess.run([ot.TRANSCODE_BIN, src, os.path.join(root, "movie"), "--segment=2",
                    "--preset=ultrafast", "--ladder=640x360@900,320x180@150",
                    "--progress=none", "--key-file=" + kf, "--key-uri=../key"],
                   check=True, timeout=180)
    return root


def spki_hash(cert):
    """base64 of the SHA-256 of CERT's SubjectPublicKeyInfo, as Chromium pins it."""
    der = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], check=True,
                         capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                         check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, check=True,
                            capture_output=True).stdout
    return base64.b64encode(digest).decode()


def servers(t, cert):
    """The origin (HTTPS and HTTP, the web player) and the edge (HTTPS, tokens required)."""
    root = os.path.join(t.tmp, "content")
    os.makedirs(root, exist_ok=True)
    edge = t.edge(root, start=False, tls=cert)
    odir = os.path.join(t.tmp, "origin")
    os.makedirs(odir)
    o = ot.Origin(odir, tls=cert, **{
        "playback": {"edge_url": "https://127.0.0.1:%d" % edge.tls_port},
        "web": {"root": WEB_ROOT}})
    t.origins.append(o)
    o.start()
    keys = o.call("GET", "/api/v1/stream-keys").json["keys"]
    ring = os.path.join(t.tmp, "edge.keys")
    with open(ring, "w") as f:
        f.write("".join("%s %s\n" % (k["kid"], k["public_key"]) for k in keys))
    edge.sections["tokens"] = {"keys": ring, "require": "on"}
    edge.sections["origin"] = {"url": "https://127.0.0.1:%d" % o.tls_port}
    edge.start()
    return o, edge, root


def catalog(t, o, tmp):
    for name, body in (("basic", PLAN), ("premium", dict(PLAN, title="Premium",
                                                         max_streams=4, max_height=1080))):
        r = o.admin("PUT", "/admin/v1/plans/" + name, body)
        t.check_eq("plan %s: 201" % name, r.status, 201)
    r = o.admin("POST", "/admin/v1/titles/movie/keys", {"kid": "k1"})
    key_hex = (r.json or {}).get("key", "00" * 16)
    src = make_source(tmp)
    root = package(tmp, src, key_hex)
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        manifest = f.read()
    m = json.loads(manifest)
    t.check("the package has two renditions, two audio languages and subtitles",
            len(m["video"]) == 2 and sorted(a["language"] for a in m["audio"]) == ["en", "fr"]
            and [s["language"] for s in m["subtitles"]] == ["en"], m.get("audio"))
    for tid, name in (("movie", "Big Buck Test"), ("other", "Another Clip"),
                      ("third", "Third Clip")):
        r = o.admin("PUT", "/admin/v1/titles/%s?name=%s" % (tid, urllib.parse.quote(name)),
                    raw=manifest)
        t.check_eq("title %s registered: 201" % tid, r.status, 201)
    return key_hex, m


def neighbour(t, o, m):
    """A second viewer who finished the other title and the third: co-watching that
    recommends the third to whoever finishes the other, and plays for Popular (counted
    when the origin starts, so it is restarted)."""
    token = o.user("neighbour@example.com", plan="basic")
    for tid in ("other", "third"):
        p = o.call("POST", "/api/v1/play", {"title": tid}, token=token)
        t.check_eq("the neighbour plays %s: 201" % tid, p.status, 201)
        lease = (p.json or {}).get("lease", "none")
        r = o.call("POST", "/api/v1/play/%s/heartbeat" % lease, {"position": m["duration"]},
                   token=token)
        t.check_eq("... and watches it to the end: 200", r.status, 200)
        o.call("DELETE", "/api/v1/play/" + lease, token=token)
    time.sleep(1.5)  # the history is saved once a second
    o.stop()
    o.start()


def run_driver(t, log_dir, timeout=170, **cfg):
    """Run web_player.js with CFG (and the browser, the report's path and LOG_DIR, emptied,
    for its screenshots); its report (a dict), or raise Skip when Chromium cannot start."""
    if not os.path.exists(CHROMIUM):
        raise et.Skip("%s not installed (tools/install-deps installs chromium)" % CHROMIUM)
    if not et.have("node"):
        raise et.Fatal("node not installed (tools/install-deps installs nodejs)")
    if not os.path.isdir(os.path.join(NODE_MODULES, "playwright-core")):
        raise et.Fatal("playwright-core not installed in %s (the build's npm ci)" % NODE_MODULES)
    shutil.rmtree(log_dir, ignore_errors=True)
    os.makedirs(log_dir)
    result = os.path.join(t.tmp, "report.json")
    cfg.update(node_modules=NODE_MODULES, chromium=CHROMIUM, tmp=t.tmp, result=result,
               shots=log_dir)
    env = dict(os.environ, REEL_WEB_CONFIG=json.dumps(cfg))
    p = subprocess.run(["node", DRIVER], env=env, capture_output=True, text=True,
                       timeout=timeout)
    report = {}
    if os.path.exists(result):
        with open(result) as f:
            report = json.load(f)
    if p.returncode == et.SKIP:
        raise et.Skip("Chromium cannot start: %s" % report.get("launch_error", p.stderr)[:600])
    t.check("the browser driver ran to its end", p.returncode == 0 and report.get("done"),
            (p.returncode, p.stderr[-1500:], report.get("error", "")[:1500]))
    print("# %s; steps: %s" % (report.get("browser"), ", ".join(
        "%s %.1fs" % (s["name"], s["ms"] / 1000) for s in report.get("steps", []))))
    return report


def drive(t, o, cert):
    """The whole walk through the player against O."""
    return run_driver(t, LOG_DIR, spki=spki_hash(cert[0]),
                      base="https://127.0.0.1:%d/" % o.tls_port,
                      plain_base="http://127.0.0.1:%d/" % o.port,
                      email="viewer@example.com", password="correct horse battery staple",
                      search="big", title_id="movie", title_name="Big Buck Test",
                      finish_id="other", finish_name="Another Clip",
                      subtitle_name="English", seek_to=30, throttle_bytes_per_s=THROTTLE)


def check_report(t, r, key_hex, m):
    steps = {s["name"]: s for s in r.get("steps", [])}
    for s in r.get("steps", []):
        t.check("browser step %s" % s["name"], s["ok"], s.get("error", "")[:1500])
    get = lambda step, key, default=None: (r.get(step) or {}).get(key, default)
    t.check_eq("a visitor without a session is sent to the login page", get("open", "hash"),
               "#/login")
    t.check_eq("signup over HTTPS sets the __Host- session cookie: HttpOnly, Secure, Lax, /",
               get("signup", "cookie"), {"httpOnly": True, "secure": True, "sameSite": "Lax",
                                         "path": "/", "domainless": True})
    t.check_eq("... and the page keeps no token of its own", get("signup", "stored_token"), None)
    t.check("a new account is asked to choose a plan",
            "choose one" in (get("signup", "subscription") or ""), get("signup", "subscription"))
    t.check_eq("logging out clears the cookie", get("login", "cookie_after_logout"), False)
    t.check_eq("logged in again, the page names the account", get("login", "who"),
               "viewer@example.com")
    t.check_eq("the catalog lists the three titles", sorted(get("search", "all") or []),
               ["Another Clip", "Big Buck Test", "Third Clip"])
    t.check_eq("typing 'big' in the search leaves the one title that matches",
               get("search", "results"), ["Big Buck Test"])
    t.check("... said in the results count, and kept in the address",
            "1 title matches" in (get("search", "count") or "") and get("search", "hash") ==
            "#/?q=big", (get("search", "count"), get("search", "hash")))
    tabs = get("search", "tabs") or []
    t.check_eq("Tab from the skip link: brand, the menu, the search, the first title",
               [x["name"] for x in tabs][:6],
               ["reel", "Catalog", "Downloads", "Account", "Log out", "Search titles"])
    t.check("... each with a visible focus outline, the skip link shown when focused",
            tabs and all(x["outline"] for x in tabs) and get("search", "skip_shown"), tabs)
    t.check("the title page lists its qualities and both audio languages",
            re.search(r"360p, 180p", get("title", "facts") or "")
            and "English" in get("title", "facts") and "Français" in get("title", "facts"),
            get("title", "facts"))
    played = get("play", "played") or 0
    t.check("playing 10 s: currentTime advances about as fast as the clock",
            played >= 8.0 and played <= (get("play", "wall") or 0) + 0.5,
            (played, get("play", "wall")))
    t.check("... with no fatal hls.js error, not paused",
            get("play", "fatal") == "" and get("play", "paused") is False,
            (get("play", "fatal"), get("play", "paused")))
    t.check("... and hls.js went up to the top rendition (360p) on the unthrottled loopback",
            360 in (get("play", "heights") or []), get("play", "heights"))
    t.check_eq("the quality menu: Auto and both renditions",
               [q.split(" ")[0] for q in get("play", "quality") or []], ["Auto", "360p", "180p"])
    t.check_eq("the audio menu: both languages by their own names",
               sorted(get("play", "audio") or []), ["English", "Français"])
    t.check_eq("the subtitles menu: Off and English", get("play", "subtitles"),
               ["Off", "English"])
    unnamed = [c for c in get("play", "controls") or [] if not c["name"]]
    t.check("every player control has an accessible name", get("play", "controls") and not
            unnamed, unnamed or get("play", "controls"))
    t.check("the network throttled to %d kb/s: hls.js switches down to 180p"
            % (THROTTLE * 8 // 1000), (get("throttle", "after") or {}).get("loadHeight") == 180
            and (get("throttle", "before") or {}).get("loadHeight") == 360,
            (get("throttle", "before"), get("throttle", "after")))
    t.check("... within 30 s", (get("throttle", "seconds") or 99) < 30, get("throttle", "seconds"))
    t.check("subtitles on: a cue of the English track",
            (get("subtitles", "cue") or "").startswith("Line "), get("subtitles", "cue"))
    t.check("seeking to 30 s lands there and plays on",
            abs((get("seek", "landed") or 0) - 30) < 2.5
            and (get("seek", "state") or {}).get("time", 0) >= 31.5, r.get("seek"))
    t.check("... the position slider tells the time in words",
            re.match(r"0:3\d of 1:00", get("seek", "valuetext") or ""), get("seek", "valuetext"))
    t.check("switching the audio track to the other language: switched, still playing",
            get("audio", "to") and (get("audio", "state") or {}).get("audio") == get("audio", "to")
            and not (get("audio", "state") or {}).get("fatal"), r.get("audio"))
    t.check("choosing 360p in the quality menu plays 360p, and the player says so",
            (get("quality", "state") or {}).get("height") == 360
            and get("quality", "text") == "Playing 360p", r.get("quality"))
    ktabs = [x["name"] for x in get("keyboard", "tabs") or []]
    t.check("Tab from the position walks the player's buttons and menus in order",
            ktabs[:4] == ["Pause", "Back 10 seconds", "Forward 10 seconds", "Mute"]
            and all(k.startswith(w) for k, w in zip(ktabs[4:8], ["Quality", "Audio",
                                                                  "Subtitles", "Full screen"]))
            and len(ktabs) == 8, ktabs)
    t.check_eq("Enter on the play button pauses", get("keyboard", "paused_by_enter"), True)
    t.check_eq("leaving the player removes the video", get("leave", "video_left"), 0)
    t.check_eq("left while it loads, the player's page is dropped: no video, one heading",
               (get("race", "videos"), get("race", "headings"), get("race", "hash")),
               (0, 1, "#/title/movie"))
    t.check("Download: a license, its signature verified, the key opening on this device",
            "signature verified, key opens on this device" in (get("download", "text") or ""),
            get("download", "text"))
    t.check_eq("the key the page opened with its X25519 key is the title's content key",
               get("download", "key"), key_hex)
    t.check_eq("... a key the page cannot export", get("download", "extractable"), False)
    rows = get("downloads", "rows") or []
    t.check("the downloads page lists it with its expiry (30 days)",
            len(rows) == 1 and "Big Buck Test" in rows[0] and "in 30 days" in rows[0], rows)
    unnamed = [c for c in get("downloads", "controls") or [] if not c["name"]]
    t.check("... its buttons named", not unnamed, unnamed)
    cont = get("rows", "continue") or {}
    paused_at = get("keyboard", "paused_at") or 0
    shown = re.match(r"Resume at (\d+):(\d\d)$", ((cont.get("cards") or [{}])[0]).get("resume", ""))
    t.check("paused and left, the title is first under Continue watching, at the pause (%.1f s)"
            % paused_at, cont.get("heading") == "Continue watching" and shown
            and cont["cards"][0]["name"] == "Big Buck Test"
            and abs(int(shown.group(1)) * 60 + int(shown.group(2)) - paused_at) <= 1.5, cont)
    because = get("rows", "because") or {}
    t.check_eq("a neighbour who finished the same title: Because you watched Another Clip, "
               "Third Clip", (because.get("heading"), [c["name"] for c in because.get("cards", [])]),
               ("Because you watched Another Clip", ["Third Clip"]))
    popular = get("rows", "popular") or {}
    t.check("Popular lists the titles the neighbour played",
            popular.get("heading") == "Popular" and {"Another Clip", "Third Clip"} <=
            {c["name"] for c in popular.get("cards", [])}, popular)
    t.check_eq("the rows in order above the full list", get("rows", "headings"),
               ["Continue watching", "Because you watched Another Clip", "Popular",
                "All titles"])
    hist = r.get("history") or {}
    t.check("the history page lists both titles, the other finished, this one where it stands",
            len(hist.get("rows") or []) == 2 and "Another Clip" in hist["rows"][0]
            and "finished" in hist["rows"][0] and "Big Buck Test" in hist["rows"][1]
            and "of 1:00" in hist["rows"][1], hist.get("rows"))
    t.check_eq("Download saves the whole history as reel-history.json",
               (hist.get("file_name"), hist.get("export")),
               ("reel-history.json", {"format": "reel-history-v1", "email": "viewer@example.com",
                                      "titles": [["other", "finished"], ["movie", "in_progress"]]}))
    t.check("Remove takes the entry out of the list",
            len(hist.get("after") or []) == 1 and "Big Buck Test" in hist["after"][0],
            hist.get("after"))
    unnamed = [c for c in hist.get("controls") or [] if not c["name"]]
    t.check("... the history's buttons named", hist.get("controls") and not unnamed, unnamed)
    t.check_eq("on a phone's screen (390 px) nothing is wider than the screen",
               get("phone", "fits"),
               {"catalog": True, "title": True, "player": True, "downloads": True,
                "history": True})
    left, started = get("phone", "left_at") or 0, get("device", "started_at") or -99
    t.check("on another device (a browser of its own) play starts where the first left "
            "(%.1f s): %.1f s" % (left, started), abs(started - left) <= 2.0, (left, started))
    t.check_eq("over plain HTTP the login works with a Bearer token kept in the tab",
               (get("bearer", "titles"), get("bearer", "token_length"), get("bearer", "cookies")),
               (3, 43, []))
    csp = [c for c in r.get("console", []) if "CSP" in c or "Content Security Policy" in c]
    t.check("no Content-Security-Policy violation on any page", not csp, csp)
    fatal = [c for c in r.get("console", []) if "hls.js error" in c and "fatal" in c]
    t.check("no fatal hls.js error", not fatal, fatal)
    t.check("no error thrown in the page", not r.get("page_errors"), r.get("page_errors"))
    for name in ("catalog.png", "playback.png", "rows.png", "phone-player.png",
                 "phone-downloads.png"):
        p = os.path.join(LOG_DIR, name)
        t.check("screenshot %s written" % p, os.path.getsize(p) > 5000 if os.path.exists(p)
                else False)
    print("# screenshots in %s" % LOG_DIR)
    return steps


def server_side(t, o, edge, r):
    tok = o.call("POST", "/api/v1/login", {"email": "viewer@example.com",
                                            "password": "correct horse battery staple"}).json
    d = o.call("GET", "/api/v1/downloads", token=(tok or {}).get("token")).json or {}
    dl = d.get("downloads", [])
    t.check("the origin recorded the download for the page's device",
            len(dl) == 1 and dl[0]["device_id"] == (r.get("download") or {}).get("device"), d)
    m = o.call("GET", "/metrics", port=o.admin_port)
    metrics = et.parse_metrics(m.body.decode()) if m.status == 200 else {}
    t.check("the origin handed the content key to the player through the edge's redirect",
            metrics.get("reel_origin_key_answers_total", 0) >= 1, metrics)
    t.check("the leases ended when the player was left, also while it loaded (none live)",
            b'"leases":0' in et.request(o.admin_port, "GET", "/healthz").body.replace(b" ", b""),
            et.request(o.admin_port, "GET", "/healthz").body)


def main(t):
    for prog in ("ffmpeg", "openssl"):
        if not et.have(prog):
            raise et.Fatal("%s not installed" % prog)
    if not os.path.isfile(os.path.join(WEB_ROOT, "vendor", "hls.min.mjs")):
        raise et.Fatal("no web player built at %s (REEL_WEB_ROOT)" % WEB_ROOT)
    cert = et.make_cert(t.tmp, "localhost")
    o, edge, _ = servers(t, cert)
    key_hex, m = catalog(t, o, t.tmp)
    neighbour(t, o, m)
    r = drive(t, o, cert)
    check_report(t, r, key_hex, m)
    server_side(t, o, edge, r)


if __name__ == "__main__":
    et.run(main, "web_player", cls=ot.Test)
