#!/usr/bin/env python3
"""Distribution across hosts (docs/distribution.md, docs/fill.md): reel-origin and
three reel-edges, each in a network namespace of its own, and clients in three
more, all joined by veth pairs to one bridge; made and removed here, with
addresses from the documentation ranges only (192.0.2.0/24 for the hosts,
198.51.100.0/24 for the clients, 2001:db8::/32).  Where namespaces cannot be
made, each host is a loopback address of its own (127.0.x.y) instead, and the
BGP case is left out.

    edge a  198.51.100.0/26            cluster isp1, room for every title
    edge b  198.51.100.64/26 and /24   cluster isp1, room for every title
    edge c  what its BIRD learns       cluster isp2, room for half the catalog

It shows: a client in a's prefix is steered to edge a and ffmpeg plays from it;
edge a killed (SIGKILL), its clients get edge b within the down threshold; a
title onboarded is filled complete on every edge that should hold it; edge c
holds its share of the catalog and serves the rest by pull-through from the
origin's content endpoint; a prefix the ISP's router announces over BGP to edge
c's BIRD steers its clients to edge c; a stopped play's token is refused (403)
by every edge within one heartbeat interval; with no edge to take a player,
it plays from the origin's content endpoint."""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import edgetest as et
import origintest as ot
from test_edge_bgp import bird_conf, birdc, sh, wait_for
from test_origin_fill import edge_titles, status, tree

INTERVAL = 1     # s, the origin's [edges] interval
DOWN_AFTER = 3   # s, the origin's [edges] down_after
MARGIN = 3       # s of slack for a loaded machine (the servers run under ASan in CI)
PLAN = {"title": "Two", "max_streams": 2, "max_height": 720, "downloads": False,
        "max_devices": 2, "max_downloads": 1, "downloads_per_title_year": 1}
CLONE_NEWNET = 0x40000000

# host: (its address in its namespace, its loopback address without namespaces)
HOSTS = {
    "origin": ("192.0.2.1", "127.0.1.1"),
    "isp": ("192.0.2.2", None),
    "a": ("192.0.2.11", "127.0.1.11"),
    "b": ("192.0.2.12", "127.0.1.12"),
    "c": ("192.0.2.13", "127.0.1.13"),
    "client-a": ("198.51.100.10", "127.0.3.10"),
    "client-b": ("198.51.100.70", "127.0.3.70"),
    "client-c": ("198.51.100.130", "127.0.3.130"),
}
V6 = {"isp": "2001:db8::2", "c": "2001:db8::13"}  # the BGP sessions' IPv6 ends
ANNOUNCED = ("198.51.100.128/26", "2001:db8:c::/48")


class Net:
    """The namespaces of the hosts and the bridge joining them, or (without
    namespaces) loopback addresses.  `with net.at(host):` runs what is inside in
    HOST's namespace: sockets made and processes started there belong to it."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:6]
        self.made = []
        self.netns = False
        self.addr = {}
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.stack = [os.open("/proc/thread-self/ns/net", os.O_RDONLY)]

    def ns(self, host):
        return "reel-%s-%s" % (host, self.tag)

    def up(self):
        """Namespaces when they can be made (True), else loopback addresses (False)."""
        why = self._make() if os.geteuid() == 0 and shutil.which("ip") else "not root"
        if why is None:
            self.netns = True
            self.addr = {h: a[0] for h, a in HOSTS.items()}
        else:
            self.remove()
            print("# no network namespaces (%s): distinct loopback addresses instead" % why)
            self.addr = {h: a[1] for h, a in HOSTS.items() if a[1]}
        return self.netns

    def _make(self):
        """Make the namespaces; None, or why they could not be made."""
        hub = self.ns("hub")
        for ns in [hub] + [self.ns(h) for h in HOSTS]:
            r = sh("ip", "netns", "add", ns)
            if r.returncode != 0:
                return r.stderr.strip()
            self.made.append(ns)
        steps = [("ip", "-n", hub, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"),
                 ("ip", "-n", hub, "link", "set", "br0", "up")]
        for i, (h, (addr, _)) in enumerate(HOSTS.items()):
            ns, port = self.ns(h), "p%d" % i
            other = "198.51.100.0/24" if addr.startswith("192.") else "192.0.2.0/24"
            steps += [("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer",
                       "name", port, "netns", hub),
                      ("ip", "-n", hub, "link", "set", port, "master", "br0", "up"),
                      ("ip", "-n", ns, "addr", "add", addr + "/24", "dev", "eth0"),
                      ("ip", "-n", ns, "link", "set", "eth0", "up"),
                      ("ip", "-n", ns, "link", "set", "lo", "up"),
                      ("ip", "-n", ns, "route", "add", other, "dev", "eth0")]
            if h in V6:
                steps.append(("ip", "-n", ns, "addr", "add", V6[h] + "/64", "dev", "eth0",
                              "nodad"))
        for s in steps:
            r = sh(*s)
            if r.returncode != 0:
                return "%s: %s" % (" ".join(s), r.stderr.strip())
        return None

    def _enter(self, fd):
        if self.libc.setns(fd, CLONE_NEWNET) != 0:
            raise et.Fatal("setns: %s" % os.strerror(ctypes.get_errno()))

    def at(self, host):
        net = self

        class At:
            def __enter__(self):
                if net.netns:
                    fd = os.open("/run/netns/" + net.ns(host), os.O_RDONLY)
                    net.stack.append(fd)
                    net._enter(fd)

            def __exit__(self, *a):
                if net.netns:
                    os.close(net.stack.pop())
                    net._enter(net.stack[-1])
        return At()

    def remove(self):
        for ns in self.made:
            sh("ip", "netns", "del", ns)
        self.made = []


class Test(ot.Test):
    """Servers stopped first, then BIRD, then the namespaces: also on failure."""

    def __init__(self, name):
        super().__init__(name)
        self.net = Net()
        self.birds = []

    def cleanup(self):
        try:
            super().cleanup()
        finally:
            for p in self.birds:
                if p.poll() is None:
                    p.kill()
                    p.wait(10)
            self.net.remove()


# ---- the hosts ---------------------------------------------------------------------

def start_origin(t, content, keys):
    net, a = t.net, t.net.addr["origin"]
    odir = os.path.join(t.tmp, "origin")
    os.makedirs(odir)
    port, edge_port, content_port = et.free_port(), et.free_port(), et.free_port()
    o = ot.Origin(odir, **{
        "server": {"listen": "127.0.0.1:%d,%s:%d" % (port, a, port)},
        "playback": {"edge_url": "http://%s:%d" % (a, port)},
        "keys": {"stream_keys": keys},
        "jobs": {"content_dir": content},
        "fill": {"rescan": "1s", "backoff": "1s", "backoff_max": "2s"},
        "edges": {"listen": "%s:%d" % (a, edge_port), "interval": "%ds" % INTERVAL,
                  "down_after": "%ds" % DOWN_AFTER},
        "content": {"listen": "%s:%d" % (a, content_port)}})
    o.edge_port, o.content_port = edge_port, content_port
    t.origins.append(o)
    with net.at("origin"):
        o.start()
    return o


def admin(t, o, *args, **kw):
    with t.net.at("origin"):
        return o.admin(*args, **kw)


def register(t, o, name, prefixes, port, fill_port):
    a = t.net.addr[name]
    r = admin(t, o, "POST", "/admin/v1/edges", {
        "name": name, "url": "http://%s:%d" % (a, port), "cluster": "isp2" if name == "c"
        else "isp1", "capacity": 1000, "prefixes": prefixes,
        "fill_url": "http://%s:%d" % (a, fill_port)})
    if r.status != 201:
        raise et.Fatal("registering edge %s: %s %r" % (name, r.status, r.body))
    return r.json


def start_edge(t, o, name, rec, port, fill_port, edge_keys, control_keys, **extra):
    net, a, oa = t.net, t.net.addr[name], t.net.addr["origin"]
    store = os.path.join(t.tmp, name + "-store")
    os.makedirs(store)
    secret = os.path.join(t.tmp, name + ".secret")
    with open(secret, "w") as f:
        f.write(rec["secret"] + "\n")
    e = t.edge(store, start=False, **{
        "server": {"listen": "127.0.0.1:%d,%s:%d" % (port, a, port)},
        "store": {"enabled": "on", "index": os.path.join(t.tmp, name + "-index")},
        "fill": {"listen": "%s:%d" % (a, fill_port)},
        "tokens": {"keys": edge_keys, "require": "on"},
        "origin": {"url": "http://%s:%d" % (oa, o.port), "edge_id": rec["id"],
                   "secret_file": secret, "control_keys": control_keys},
        "upstream": {"url": "http://%s:%d/content" % (oa, o.content_port)},
        "heartbeat": {"url": "http://%s:%d" % (oa, o.edge_port), "timeout": "1s"},
        "log": {"access_log": os.path.join(t.tmp, name + "-access.log")}})
    e.port = port  # the harness's own port was free in the test's namespace only
    for sec, kv in extra.items():
        e.sections.setdefault(sec, {}).update(kv)
    e.name, e.id, e.store_root = name, rec["id"], store
    e.access_log = e.sections["log"]["access_log"]
    with net.at(name):
        e.start()
    return e


def start_bird(t, host, conf_text):
    conf = os.path.join(t.tmp, host + "-bird.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    sock = os.path.join(t.tmp, host + "-bird.ctl")
    log = os.path.join(t.tmp, host + "-bird.log")
    with open(log, "wb") as out, t.net.at(host):
        t.birds.append(subprocess.Popen(["bird", "-f", "-c", conf, "-s", sock],
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=out))
    if not wait_for(lambda: os.path.exists(sock) or t.birds[-1].poll() is not None, 10) \
            or t.birds[-1].poll() is not None:
        raise et.Fatal("bird in %s did not start: see %s" % (host, log))
    return sock


# ---- the clients -------------------------------------------------------------------

def play(t, o, client, token, title):
    """POST /api/v1/play from CLIENT: (status, answer)."""
    with t.net.at(client):
        r = o.call("POST", "/api/v1/play", {"title": title}, token=token,
                   host=t.net.addr["origin"], source=t.net.addr[client])
    return r.status, r.json or {}


def stop(t, o, client, token, lease):
    with t.net.at(client):
        return o.call("DELETE", "/api/v1/play/" + lease, token=token,
                      host=t.net.addr["origin"], source=t.net.addr[client]).status


def steered(t, o, client, token, title):
    """The edge a play from CLIENT is sent to, and why: (edge id, why, prefix_len); the
    play is stopped again at once so that polling takes no stream."""
    st, p = play(t, o, client, token, title)
    if st != 201:
        return None, "status %d %r" % (st, p), None
    stop(t, o, client, token, p["lease"])
    s = p.get("steering") or {}
    return s.get("edge"), s.get("why"), s.get("prefix_len")


def ffmpeg(t, client, url):
    """ffmpeg in CLIENT plays URL to the end (as fast as it can)."""
    with t.net.at(client):
        return subprocess.run(["ffmpeg", "-v", "error", "-i", url, "-c", "copy", "-f", "null",
                               "-"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)


def fetch(t, client, url):
    with t.net.at(client):
        return et.curl(t.tmp, url, "--interface", t.net.addr[client], timeout=10)


def on_edge(url, edge):
    """URL of a play moved onto EDGE (the same token: every edge checks it)."""
    path = url.split("/s/", 1)[1]
    return "http://%s:%d/s/%s" % (edge.addr, edge.port, path)


def first_segment(root, title):
    with open(os.path.join(root, title, "360p", "index.m3u8")) as f:
        return next(ln.strip() for ln in f if ln.strip() and not ln.startswith("#"))


# ---- the cases ---------------------------------------------------------------------

def steer_and_play(t, o, edges, users):
    a, b = edges["a"], edges["b"]
    st, p = play(t, o, "client-a", users["client-a"], "movie")
    s = p.get("steering") or {}
    t.check("a client in a's prefix is steered to edge a (prefix /26)",
            st == 201 and s.get("edge") == a.id and s.get("why") == "prefix"
            and s.get("prefix_len") == 26
            and p.get("url", "").startswith("http://%s:%d/s/" % (a.addr, a.port)), p)
    alts = [x.get("edge") for x in p.get("alternates") or []]
    t.check("... with edge b, whose /24 holds it too, as its first alternate",
            alts[:1] == [b.id], p.get("alternates"))
    ff = ffmpeg(t, "client-a", p.get("url", ""))
    time.sleep(0.7)  # the access log is written within 500 ms
    with open(a.access_log, errors="replace") as f:
        lines = [ln for ln in f if "/s/%s/" % p.get("token") in ln]
    who = t.net.addr["client-a"] if t.net.netns else ""  # on loopback ffmpeg has no source
    from_client = [ln for ln in lines if ln.startswith(who)]
    t.check("ffmpeg in client a plays the title from edge a (%d requests from %s)" % (
        len(from_client), who or "loopback"),
        ff.returncode == 0 and len(from_client) >= 4 and len(from_client) == len(lines),
        ff.stderr[-1500:] + "".join(lines[:5]))
    stop(t, o, "client-a", users["client-a"], p.get("lease", ""))
    got = steered(t, o, "client-b", users["client-b"], "movie")
    t.check_eq("a client in b's prefix is steered to edge b", got, (b.id, "prefix", 26))


def bgp(t, o, edges, users, sock):
    c = edges["c"]
    learned = wait_for(lambda: all(p in birdc(sock, "show", "route") for p in ANNOUNCED), 30)
    t.check("edge c's BIRD learns the prefixes the ISP's router announces over eBGP",
            learned, birdc(sock, "show", "protocols"))
    got = wait_for(lambda: steered(t, o, "client-c", users["client-c"], c.held)[0] == c.id,
                   5 * INTERVAL + MARGIN)
    t.check_eq("a client in the prefix announced to edge c's BIRD is steered to edge c",
               got and steered(t, o, "client-c", users["client-c"], c.held),
               (c.id, "prefix", 26))
    r = admin(t, o, "GET", "/admin/v1/steer?address=2001:db8:c::9&title=" + c.held)
    first = ((r.json or {}).get("choices") or [{}])[0]
    t.check_eq("... and an address in the IPv6 prefix announced beside it",
               (first.get("edge"), first.get("why"), first.get("prefix_len")),
               (c.id, "prefix", 48))


def onboard(t, o, edges, content):
    """Register the title "show": a and b get it; c, with room for one of the two
    titles, keeps one.  Sets edges["c"].held and .pulled."""
    c = edges["c"]
    with open(os.path.join(content, "show", "manifest.json"), "rb") as f:
        r = admin(t, o, "PUT", "/admin/v1/titles/show", raw=f.read())
    t.check_eq("title show onboarded (admin PUT of its manifest)", r.status, 201)
    start = time.monotonic()
    both = {"movie": "done", "show": "done"}

    def settled():
        with t.net.at("origin"):
            ok = all(edge_titles(o, edges[n].id) == both for n in ("a", "b"))
            held = edge_titles(o, c.id)
        return ok and len(held) == 1 and list(held.values()) == ["done"] and held
    held = wait_for(settled, 40)
    took = time.monotonic() - start
    t.check("show appears complete on edges a and b (%.1f s), and edge c holds one title" %
            took, held, admin(t, o, "GET", "/admin/v1/fill").body[:1500])
    print("measured: onboarded title complete on the edges %.1f s after its PUT" % took,
          flush=True)
    want = tree(content, "show")
    for n in ("a", "b"):
        t.check_eq("edge %s's files of show are the package's" % n,
                   tree(edges[n].store_root, "show"), want)
    c.held = next(iter(held)) if held else "movie"
    c.pulled = "show" if c.held == "movie" else "movie"
    t.check("edge c holds only its share: %s's files and none of %s's" % (c.held, c.pulled),
            tree(c.store_root, c.held) == tree(content, c.held)
            and tree(c.store_root, c.pulled) == {}, sorted(os.listdir(c.store_root)))


def content_endpoint(t, o, edges, content, title):
    """Whether the origin serves TITLE's manifest to edge c's signature at /content."""
    c = edges["c"]
    target = "/content/%s/manifest.json" % title
    with t.net.at("c"), et.Conn(o.content_port, host=t.net.addr["origin"]) as conn:
        conn.send(et.build_request("GET", target, ot.signed(c.id, c.secret, "GET", target)))
        r = conn.read_response()
    with open(os.path.join(content, title, "manifest.json"), "rb") as f:
        return r.status == 200 and r.body == f.read()


def pull_through(t, o, edges, users, content):
    c = edges["c"]
    if not t.check("the origin's content endpoint answers edge c's signed request for %s" %
                   c.pulled, content_endpoint(t, o, edges, content, c.pulled)):
        return
    st, p = play(t, o, "client-c", users["client-c"], c.pulled)
    t.check("a play of %s (not on edge c) is 201" % c.pulled, st == 201, p)
    seg = first_segment(content, c.pulled)
    base = on_edge(p.get("url", ""), c).rsplit("/", 1)[0]
    with t.net.at("c"):
        before = c.metrics().get("reel_cache_pull_bytes_total", 0)
    with open(os.path.join(content, c.pulled, "360p", seg), "rb") as f:
        want = f.read()
    got = [fetch(t, "client-c", base + "/360p/" + seg) for _ in range(2)]
    t.check("edge c serves %s's segment by pull-through (fwd=miss), then from its store" %
            c.pulled, got[0].status == 200 and got[0].body == want
            and "fwd=miss" in (got[0].header("Cache-Status") or "")
            and got[1].status == 200 and got[1].body == want
            and "hit" in (got[1].header("Cache-Status") or ""),
            [g.summary() for g in got])
    with t.net.at("c"):
        pulled = c.metrics().get("reel_cache_pull_bytes_total", 0) - before
    t.check("... the bytes came from the origin (%d pulled)" % pulled, pulled >= len(want))
    ff = ffmpeg(t, "client-c", on_edge(p.get("url", ""), c))
    t.check("ffmpeg in client c plays all of %s through edge c" % c.pulled,
            ff.returncode == 0, ff.stderr[-1500:])
    used = sum(os.path.getsize(os.path.join(d, n)) for d, _, files in os.walk(c.store_root)
               for n in files)
    t.check("... and edge c still holds %s complete, within its max_size (%d of %d bytes)" % (
        c.held, used, c.max_size), tree(c.store_root, c.held) == tree(content, c.held)
        and used <= c.max_size)
    stop(t, o, "client-c", users["client-c"], p.get("lease", ""))


def failover(t, o, edges, users):
    a, b = edges["a"], edges["b"]
    os.killpg(a.proc.pid, signal.SIGKILL)
    a.proc.wait(10)
    killed = time.monotonic()
    got = wait_for(lambda: steered(t, o, "client-a", users["client-a"], "movie")[0] == b.id,
                   DOWN_AFTER + 1 + MARGIN)
    took = time.monotonic() - killed
    t.check("edge a killed: client a gets edge b within the down threshold (%.1f s, "
            "down_after %d s + 1 s of its clock + %d)" % (took, DOWN_AFTER, MARGIN), got,
            steered(t, o, "client-a", users["client-a"], "movie"))
    print("measured: client a steered to edge b %.1f s after edge a was killed" % took,
          flush=True)
    t.check_eq("... by b's /24", steered(t, o, "client-a", users["client-a"], "movie"),
               (b.id, "prefix", 24))
    r = admin(t, o, "GET", "/admin/v1/edges/" + a.id)
    t.check_eq("the origin shows edge a down", (r.json or {}).get("state"), "down")


def revocation(t, o, edges, users, content):
    """A stopped play's token is refused by every edge within one interval."""
    title = edges["c"].held
    st, p = play(t, o, "client-b", users["client-b"], title)
    t.check("client b's play: 201", st == 201, p)
    seg = "360p/" + first_segment(content, title)
    urls = {n: on_edge(p.get("url", ""), edges[n]).rsplit("/", 1)[0] + "/" + seg
            for n in ("b", "c")}
    t.check("its token plays on edges b and c",
            all(fetch(t, "client-b", u).status == 200 for u in urls.values()))
    t.check_eq("stop: 204", stop(t, o, "client-b", users["client-b"], p.get("lease", "")), 204)
    start, took = time.monotonic(), {}
    while time.monotonic() - start < INTERVAL + MARGIN and len(took) < len(urls):
        for n, u in urls.items():
            if n not in took and fetch(t, "client-b", u).status == 403:
                took[n] = time.monotonic() - start
        time.sleep(0.1)
    t.check("after the stop both edges answer 403 for the token's next segment within one "
            "interval (%s)" % ", ".join("%s %.2f s" % kv for kv in sorted(took.items())),
            len(took) == len(urls), took)


def last_resort(t, o, edges, users):
    """With edge a down and b and c draining, a play goes to the origin's content endpoint."""
    for n in ("b", "c"):
        t.check_eq("edge %s drained" % n, admin(t, o, "POST", "/admin/v1/edges/%s/drain" %
                                                edges[n].id).status, 200)
    st, p = play(t, o, "client-b", users["client-b"], "movie")
    s = p.get("steering") or {}
    t.check("with no edge to take it, client b's play goes to the origin's content endpoint",
            st == 201 and s.get("why") == "fallback" and p.get("url", "").startswith(
                "http://%s:%d/s/" % (t.net.addr["origin"], o.content_port)), p)
    ff = ffmpeg(t, "client-b", p.get("url", ""))
    t.check("ffmpeg in client b plays it from the origin", ff.returncode == 0, ff.stderr[-1500:])
    stop(t, o, "client-b", users["client-b"], p.get("lease", ""))


# ---- the test ----------------------------------------------------------------------

def main(t):
    for prog in ("ffmpeg", "curl", "openssl"):
        if not et.have(prog):
            raise et.Skip("%s not installed" % prog)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit("SIGTERM"))  # clean up all the same
    net = t.net
    netns = net.up()
    bgp_ok = netns and shutil.which("bird") and shutil.which("birdc")
    keys, edge_keys, _ = ot.stream_key_files(t.tmp, "s1")
    content = ot.make_package(t.tmp, "movie")
    shutil.copytree(os.path.join(content, "movie"), os.path.join(content, "show"))
    size = sum(os.path.getsize(os.path.join(d, n))
               for d, _, files in os.walk(os.path.join(content, "movie")) for n in files)

    o = start_origin(t, content, keys)
    t.check_eq("plan", admin(t, o, "PUT", "/admin/v1/plans/two", PLAN).status, 201)
    with open(os.path.join(content, "movie", "manifest.json"), "rb") as f:
        t.check_eq("title movie registered",
                   admin(t, o, "PUT", "/admin/v1/titles/movie", raw=f.read()).status, 201)
    with net.at("origin"):
        users = {c: o.user(c + "@example.com", plan="two")
                 for c in ("client-a", "client-b", "client-c")}
        ctl = status(o)["control_keys"]["keys"][-1]
    control_keys = os.path.join(t.tmp, "control.keys")
    with open(control_keys, "w") as f:
        f.write("%s %s\n" % (ctl["kid"], ctl["public_key"]))

    pre = {k: v.rsplit(".", 1)[0] for k, v in net.addr.items()}  # the clients' /24
    prefixes = {"a": [pre["client-a"] + ".0/26"],
                "b": [pre["client-b"] + ".64/26", pre["client-b"] + ".0/24"], "c": []}
    edges, sock = {}, None
    if bgp_ok:
        isp_conf = bird_conf(HOSTS["isp"][0], HOSTS["c"][0], 65001, 65002, V6["isp"], V6["c"],
                             "none", "all",
                             "protocol static a4 { ipv4; route %s blackhole; }\n"
                             "protocol static a6 { ipv6; route %s blackhole; }\n" % ANNOUNCED)
        start_bird(t, "isp", isp_conf)
        sock = start_bird(t, "c", bird_conf(HOSTS["c"][0], HOSTS["isp"][0], 65002, 65001,
                                            V6["c"], V6["isp"], "all", "none"))
    room = size * 3 // 2  # edge c's max_size: one title of the two
    for name in ("a", "b", "c"):
        port, fill_port = et.free_port(), et.free_port()
        rec = register(t, o, name, prefixes[name], port, fill_port)
        extra = {}
        if name == "c":
            extra["store"] = {"max_size": str(room)}
            if sock:
                extra["bgp"] = {"socket": sock}
        edges[name] = start_edge(t, o, name, rec, port, fill_port, edge_keys, control_keys,
                                 **extra)
        edges[name].addr, edges[name].secret = net.addr[name], rec["secret"]
    edges["c"].max_size = room

    with net.at("origin"):
        ok = wait_for(lambda: all(edge_titles(o, e.id) == {"movie": "done"}
                                  for e in edges.values()), 30)
    t.check("movie is filled to every edge", ok, admin(t, o, "GET", "/admin/v1/fill").body)
    up = wait_for(lambda: all((admin(t, o, "GET", "/admin/v1/edges/" + e.id).json or {})
                              .get("report", {}).get("titles") == 1 for e in edges.values()),
                  5 * INTERVAL + MARGIN)
    t.check("every edge reports it holds it complete", up)

    steer_and_play(t, o, edges, users)
    onboard(t, o, edges, content)
    if bgp_ok:
        bgp(t, o, edges, users, sock)
    else:
        print("SKIP: BGP steering: %s" % ("bird2 not installed" if netns else
                                            "needs network namespaces"), flush=True)
    pull_through(t, o, edges, users, content)
    revocation(t, o, edges, users, content)
    failover(t, o, edges, users)
    last_resort(t, o, edges, users)


if __name__ == "__main__":
    et.run(main, "distribution", cls=Test)
