#!/usr/bin/env python3
"""What conf/ gives operators works as shipped: the systemd units pass
systemd-analyze (directives valid, exposure low), they let the edge write where
conf/edge.conf puts its cache and nowhere else, and conf/reel.logrotate rotates
a running edge's logs without losing a line."""

import configparser
import os
import re
import shutil
import signal
import subprocess
import time

import edgetest as et

CONF = os.path.join(et.SOURCE_ROOT, "conf")
# systemd-analyze's exposure score, 0 (locked down) .. 100; "OK" is below 40.
MAX_EXPOSURE = 25


def unit_values(path):
    """{key: [values]} of a unit file (keys may repeat)."""
    vals = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                k, v = line.split("=", 1)
                vals.setdefault(k.strip(), []).append(v.strip())
    return vals


def check_units(t):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        raise et.Skip("systemd-analyze is not installed (tools/install-deps installs it)")
    for prog in ("edge", "origin"):
        unit = os.path.join(CONF, "reel-%s.service" % prog)
        # verify checks that the commands exist: point them at the build.
        d = os.path.join(t.tmp, "units")
        os.makedirs(d, exist_ok=True)
        copy = os.path.join(d, "reel-%s.service" % prog)
        binary = et.EDGE_BIN if prog == "edge" else os.environ.get(
            "REEL_ORIGIN", os.path.join(et.SOURCE_ROOT, "build", "origin", "reel-origin"))
        with open(unit) as f:
            text = f.read().replace("/usr/local/bin/reel-%s" % prog, binary)
        with open(copy, "w") as f:
            f.write(text)
        p = subprocess.run([analyze, "verify", copy], capture_output=True, text=True,
                           timeout=60, cwd=d)
        t.check("systemd-analyze verify reel-%s.service" % prog,
                p.returncode == 0 and not p.stderr.strip(), p.stderr)
        p = subprocess.run([analyze, "security", "--offline=true",
                            "--threshold=%d" % MAX_EXPOSURE, copy],
                           capture_output=True, text=True, timeout=60, cwd=d)
        m = re.search(r"exposure level for \S+: ([\d.]+)", p.stdout)
        t.check("reel-%s.service exposure %s <= %.1f" % (
            prog, m.group(1) if m else "?", MAX_EXPOSURE / 10),
                p.returncode == 0 and m is not None, p.stdout[-600:] + p.stderr)


def edge_conf_paths():
    cp = configparser.ConfigParser(inline_comment_prefixes=None, comment_prefixes=(";", "#"),
                                   interpolation=None, strict=False)
    cp.read(os.path.join(CONF, "edge.conf"))
    paths = [cp.get("content", "root")]
    if cp.has_section("store") and cp.has_option("store", "index"):
        paths.append(cp.get("store", "index"))
    return paths


def check_edge_sandbox(t):
    u = unit_values(os.path.join(CONF, "reel-edge.service"))
    t.check("the edge's unit sets ProtectSystem=strict and NoNewPrivileges",
            u.get("ProtectSystem") == ["strict"] and u.get("NoNewPrivileges") == ["yes"], u)
    t.check("the edge runs as its own user, not the origin's",
            u.get("User", ["root"])[0] not in ("root", "reel") or u.get("DynamicUser") == ["yes"],
            u.get("User"))
    writable = u.get("ReadWritePaths", []) + ["/var/lib/" + s for s in u.get("StateDirectory", [])]
    for path in edge_conf_paths():
        t.check("conf/edge.conf's %s is writable under the unit" % path,
                any(path == w or path.startswith(w.rstrip("/") + "/") for w in writable),
                writable)
    o = unit_values(os.path.join(CONF, "reel-origin.service"))
    t.check("the two units' state folders do not overlap",
            not set(u.get("StateDirectory", [])) & set(o.get("StateDirectory", [])),
            (u.get("StateDirectory"), o.get("StateDirectory")))


def check_logrotate(t):
    lr = shutil.which("logrotate") or shutil.which("/usr/sbin/logrotate")
    if not lr:
        raise et.Skip("logrotate is not installed (tools/install-deps installs it)")
    logs = os.path.join(t.tmp, "log", "reel", "edge")
    os.makedirs(logs)
    root = os.path.join(t.tmp, "content")
    et.make_content(root)
    access = os.path.join(logs, "access.log")
    edge = t.edge(root, log={"access_log": access})
    for i in range(3):
        et.request(edge.port, "GET", "/t1/index.m3u8?before=%d" % i)
    time.sleep(1.5)  # flushed within a second
    # The shipped snippet, with the test's folder and signal in place of
    # systemd's.
    with open(os.path.join(CONF, "reel.logrotate")) as f:
        text = f.read()
    text = text.replace("/var/log/reel", os.path.join(t.tmp, "log", "reel"))
    text = re.sub(r"systemctl kill .*reel-edge\.service.*",
                  "kill -USR1 %d" % edge.proc.pid, text)
    text = re.sub(r"systemctl kill .*reel-origin\.service.*", "true", text)
    conf = os.path.join(t.tmp, "logrotate.conf")
    with open(conf, "w") as f:
        f.write(text)
    p = subprocess.run([lr, "-f", "-s", os.path.join(t.tmp, "logrotate.state"), conf],
                       capture_output=True, text=True, timeout=60)
    t.check("logrotate -f runs the snippet without an error", p.returncode == 0, p.stderr)
    rotated = access + ".1"
    t.check("the access log was rotated to access.log.1", os.path.exists(rotated),
            os.listdir(logs))
    time.sleep(0.5)  # the master passes SIGUSR1 on to its workers
    for i in range(3):
        et.request(edge.port, "GET", "/t1/index.m3u8?after=%d" % i)
    end = time.monotonic() + 5
    new = ""
    while time.monotonic() < end:
        if os.path.exists(access):
            with open(access) as f:
                new = f.read()
            if new.count("after=") == 3:
                break
        time.sleep(0.2)
    old = open(rotated).read() if os.path.exists(rotated) else ""
    t.check("the lines before the rotation are all in access.log.1",
            old.count("before=") == 3 and "after=" not in old, old)
    t.check("the lines after it are all in a new access.log",
            new.count("after=") == 3 and "before=" not in new, new)


def main(t):
    check_edge_sandbox(t)
    check_units(t)
    check_logrotate(t)


if __name__ == "__main__":
    et.run(main)
