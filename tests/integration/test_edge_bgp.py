#!/usr/bin/env python3
"""Client prefixes learned over BGP (docs/distribution.md): two network
namespaces joined by a veth pair, made and removed here, with addresses from
the documentation ranges; BIRD 2 in one plays the ISP's router and announces
198.51.100.0/24 and 2001:db8:100::/48 over eBGP to the BIRD in the other, the
edge's speaker; reel-edge reads what its BIRD learned through the control
socket and reports it in its heartbeat, and reel-origin steers a client in
that prefix to that edge; a withdrawn route leaves the edge's next report.
Skips (77) where namespaces or BIRD cannot run."""

import json
import os
import shutil
import signal
import subprocess
import time
import uuid

import edgetest as et
import origintest as ot

from test_origin_edges import MANIFEST  # a title record for the registry; no package needed


def bird_conf(me, peer, my_as, peer_as, me6, peer6, imports, exports, extra=""):
    """A BIRD 2 configuration with one eBGP session per family to PEER / PEER6."""
    out = "router id %s;\nprotocol device { scan time 1; }\n%s" % (me, extra)
    for fam, local, neighbor in (("4", me, peer), ("6", me6, peer6)):
        out += ("protocol bgp peer%s {\n  local %s as %d; neighbor %s as %d;\n"
                "  connect delay time 1; connect retry time 1;\n"
                "  ipv%s { import %s; export %s; };\n}\n" % (
                    fam, local, my_as, neighbor, peer_as, fam, imports, exports))
    return out


ISP_CONF = bird_conf("192.0.2.1", "192.0.2.2", 65001, 65002, "2001:db8:1::1", "2001:db8:1::2",
                     "none", "all",
                     "protocol static announced4 { ipv4; route 198.51.100.0/24 blackhole; }\n"
                     "protocol static announced6 { ipv6; route 2001:db8:100::/48 blackhole; }\n")
EDGE_CONF = bird_conf("192.0.2.2", "192.0.2.1", 65002, 65001, "2001:db8:1::2", "2001:db8:1::1",
                      "all", "none")


def sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


class Net:
    """The two namespaces and their veth pair; removed by close() whatever happened."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.isp, self.edge = "reel-isp-" + tag, "reel-edge-" + tag
        self.made = []
        self.birds = []

    def up(self):
        for ns in (self.isp, self.edge):
            r = sh("ip", "netns", "add", ns)
            if r.returncode != 0:
                raise et.Skip("cannot make a network namespace: %s" % r.stderr.strip())
            self.made.append(ns)
        steps = [
            ("ip", "link", "add", "veth0", "netns", self.isp, "type", "veth", "peer", "name",
             "veth1", "netns", self.edge),
            ("ip", "-n", self.isp, "addr", "add", "192.0.2.1/24", "dev", "veth0"),
            ("ip", "-n", self.edge, "addr", "add", "192.0.2.2/24", "dev", "veth1"),
            ("ip", "-n", self.isp, "addr", "add", "2001:db8:1::1/64", "dev", "veth0", "nodad"),
            ("ip", "-n", self.edge, "addr", "add", "2001:db8:1::2/64", "dev", "veth1", "nodad"),
            ("ip", "-n", self.isp, "link", "set", "veth0", "up"),
            ("ip", "-n", self.edge, "link", "set", "veth1", "up"),
        ]
        for s in steps:
            r = sh(*s)
            if r.returncode != 0:
                raise et.Skip("%s: %s" % (" ".join(s), r.stderr.strip()))

    def bird(self, ns, conf_text, tmp, name):
        conf = os.path.join(tmp, name + ".conf")
        with open(conf, "w") as f:
            f.write(conf_text)
        sock = os.path.join(tmp, name + ".ctl")
        log = open(os.path.join(tmp, name + ".log"), "wb")
        p = subprocess.Popen(["ip", "netns", "exec", ns, "bird", "-f", "-c", conf, "-s", sock],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.birds.append((p, log))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(sock):
            if p.poll() is not None:
                raise et.Fatal("bird %s exited: see %s" % (name, log.name))
            time.sleep(0.1)
        return sock

    def close(self):
        for p, log in self.birds:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
            log.close()
        for ns in self.made:
            sh("ip", "netns", "del", ns)


def birdc(sock, *cmd):
    return sh("birdc", "-s", sock, *cmd).stdout


def steer(o, address):
    r = o.admin("GET", "/admin/v1/steer?address=%s&title=movie" % address)
    first = ((r.json or {}).get("choices") or [{}])[0]
    return first.get("edge"), first.get("why"), first.get("prefix_len")


def register(o, name, url, prefixes):
    r = o.admin("POST", "/admin/v1/edges", {"name": name, "url": url, "cluster": "isp1",
                                             "capacity": 1000, "prefixes": prefixes})
    if r.status != 201:
        raise et.Fatal("registering %s: %s %r" % (name, r.status, r.body))
    return r.json


def start_edge(t, o, rec, root, **extra):
    secret = os.path.join(t.tmp, rec["name"] + ".secret")
    with open(secret, "w") as f:
        f.write(rec["secret"] + "\n")
    e = t.edge(root, start=False)
    e.sections["origin"] = {"edge_id": rec["id"], "secret_file": secret}
    e.sections["heartbeat"] = {"url": "http://127.0.0.1:%d" % o.edge_port}
    for sec, kv in extra.items():
        e.sections[sec] = kv
    return e.start()


def wait_for(fn, limit):
    deadline, v = time.monotonic() + limit, None
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.25)
    return v


def main(t):
    if os.geteuid() != 0:
        raise et.Skip("network namespaces need root")
    for prog in ("ip", "bird", "birdc"):
        if not shutil.which(prog):
            raise et.Skip("%s not installed" % prog)
    net = Net()
    try:
        run(t, net)
    finally:
        net.close()


def run(t, net):
    net.up()
    isp_sock = net.bird(net.isp, ISP_CONF, t.tmp, "isp")
    edge_sock = net.bird(net.edge, EDGE_CONF, t.tmp, "edge-bird")
    learned = wait_for(lambda: "198.51.100.0/24" in birdc(edge_sock, "show", "route")
                       and "2001:db8:100::/48" in birdc(edge_sock, "show", "route"), 30)
    t.check("the edge's BIRD learns the ISP's prefixes over eBGP", learned,
            birdc(edge_sock, "show", "protocols"))

    root = os.path.join(t.tmp, "content")
    os.makedirs(os.path.join(root, "movie"))
    with open(os.path.join(root, "movie", "manifest.json"), "w") as f:
        json.dump(MANIFEST, f)
    odir = os.path.join(t.tmp, "origin")
    os.makedirs(odir)
    edge_port = et.free_port()
    o = ot.Origin(odir, **{"edges": {"listen": "127.0.0.1:%d" % edge_port, "interval": "1s",
                                     "down_after": "5s"}})
    o.edge_port = edge_port
    t.origins.append(o)
    o.start()
    r = o.admin("PUT", "/admin/v1/titles/movie", raw=json.dumps(MANIFEST).encode())
    t.check("title registered", r.status == 201, r.body)
    b = register(o, "b", "http://edge-b.example", ["0.0.0.0/0", "::/0"])
    c = register(o, "c", "http://edge-c.example", ["203.0.113.0/24"])
    start_edge(t, o, b, root)
    ec = start_edge(t, o, c, root, bgp={"socket": edge_sock})

    got = wait_for(lambda: steer(o, "198.51.100.7")[0] == c["id"], 15)
    t.check("a client in the prefix announced over BGP is steered to edge c",
            got and steer(o, "198.51.100.7") == (c["id"], "prefix", 24),
            steer(o, "198.51.100.7"))
    t.check("an IPv6 client in the announced 2001:db8:100::/48 too",
            steer(o, "2001:db8:100::9") == (c["id"], "prefix", 48), steer(o, "2001:db8:100::9"))
    t.check("a client outside it goes to edge b", steer(o, "192.0.2.77")[0] == b["id"],
            steer(o, "192.0.2.77"))
    rec = o.admin("GET", "/admin/v1/edges/" + c["id"]).json or {}
    t.check_eq("the origin shows what edge c learned",
               sorted((rec.get("report") or {}).get("learned_prefixes") or []),
               ["198.51.100.0/24", "2001:db8:100::/48"])

    birdc(isp_sock, "disable", "announced4")
    gone = wait_for(lambda: steer(o, "198.51.100.7")[0] == b["id"], 15)
    t.check("the ISP withdraws 198.51.100.0/24: its clients leave edge c with the next reports",
            gone, steer(o, "198.51.100.7"))
    t.check("... and the IPv6 prefix stays", steer(o, "2001:db8:100::9")[0] == c["id"],
            steer(o, "2001:db8:100::9"))

    net.birds[1][0].kill()  # a crash: a BIRD that stops withdraws its routes first
    net.birds[1][0].wait(10)
    time.sleep(3)
    t.check("with its BIRD gone the edge says so and keeps the prefixes it reported",
            "bgp:" in ec.logs() and steer(o, "2001:db8:100::9")[0] == c["id"],
            ec.logs()[-1500:])


if __name__ == "__main__":
    et.run(main, "edge_bgp", cls=ot.Test)
