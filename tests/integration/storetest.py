"""An edge with its cache store, fill listener and upstream, for the
integration tests of the store, the fill API and pull-through:

    import storetest as st
    def main(t):
        s = st.Setup(t, workers=2, upstream=True)      # control key, secret, upstream
        edge = s.edge(max_size="64m")                   # started, ready
        st.fill_title(edge, s.ctl, "t1", files)         # PUT every file, then the manifest
    st.run(main)
"""

import json
import os
import subprocess
import time

import edgetest as et
import filltest as ft

EDGE_ID = "edge-1"
SECRET = b"the per-edge secret of edge-1 for tests, 32+ bytes"


class Setup:
    """What an edge with a store needs: keys, secret file, an upstream (optional)."""

    def __init__(self, t, upstream=True, rate=None):
        self.t = t
        self.ctl = ft.ControlKey(t.tmp, "ctl-1")
        self.keys = os.path.join(t.tmp, "control.keys")
        with open(self.keys, "w") as f:
            f.write(self.ctl.keys_line())
        self.secret = os.path.join(t.tmp, "edge.secret")
        with open(self.secret, "wb") as f:
            f.write(SECRET)
        self.origin_root = os.path.join(t.tmp, "origin")
        os.makedirs(self.origin_root, exist_ok=True)
        self.up = None
        if upstream:
            self.up = ft.Upstream(self.origin_root, secrets={EDGE_ID: SECRET}, rate=rate).start()
            t.upstreams.append(self.up)

    def edge(self, workers=1, start=True, **store):
        """An edge whose content root is its store, with a fill listener."""
        name = "edge%d" % len(self.t.edges)
        root = os.path.join(self.t.tmp, name + "-store")
        os.makedirs(root, exist_ok=True)
        fill_port = et.free_port()
        sections = {
            "server": {"workers": str(workers)},
            "store": dict({"enabled": "on", "index": os.path.join(self.t.tmp, name + "-index")},
                          **store),
            "fill": {"listen": "127.0.0.1:%d" % fill_port},
            "origin": {"edge_id": EDGE_ID, "secret_file": self.secret,
                       "control_keys": self.keys},
            "log": {"level": "info", "access_log": os.path.join(self.t.tmp, name + "-access.log")},
        }
        if self.up:
            sections["upstream"] = {"url": self.up.url(), "connect_timeout": "500ms",
                                    "read_timeout": "2s", "retries": "1",
                                    "retry_backoff": "50ms", "breaker_failures": "3",
                                    "breaker_open": "1s"}
        e = self.t.edge(root, start=False, **sections)
        e.sections["server"]["workers"] = str(workers)
        e.fill_port = fill_port
        e.store_root = root
        e.index_dir = sections["store"]["index"]
        e.access_log = sections["log"]["access_log"]
        if start:
            e.start()
            wait_fill_ready(e)
        return e


def wait_fill_ready(edge, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if et.request(edge.fill_port, "GET", "/healthz", timeout=2).status == 200:
                return
        except (OSError, et.Closed, ValueError):
            pass
        time.sleep(0.05)
    raise et.Fatal("the fill listener did not answer: %s" % edge.logs())


def put(edge, ctl, title, path, data, **kw):
    return ft.fill_json(edge.fill_port, ctl, EDGE_ID, "PUT", "/fill/%s/%s" % (title, path),
                        data, **kw)


def fill_title(edge, ctl, title, files, manifest):
    """PUT every file of FILES ({path: bytes}), then MANIFEST; returns the last answer."""
    for path, data in sorted(files.items()):
        status, body = put(edge, ctl, title, path, data)
        if status != 201:
            raise et.Fatal("PUT %s/%s: %s %r" % (title, path, status, body))
    return put(edge, ctl, title, "manifest.json", manifest)


def titles(edge, ctl):
    status, body = ft.fill_json(edge.fill_port, ctl, EDGE_ID, "GET", "/fill/")
    return {x["title"]: x for x in body["titles"]} if status == 200 else None


def store_files(edge):
    """{key: size} of the object files under the store (temporary files apart)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(edge.store_root):
        rel = os.path.relpath(dirpath, edge.store_root)
        if rel.split(os.sep)[0].startswith("."):
            continue
        for n in filenames:
            key = os.path.normpath(os.path.join(rel, n))
            out[key] = os.path.getsize(os.path.join(dirpath, n))
    return out


def disk_bytes(edge):
    """Bytes of every file under the store, temporary ones included."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(edge.store_root):
        for n in filenames:
            try:
                total += os.path.getsize(os.path.join(dirpath, n))
            except OSError:
                pass
    return total


def index_objects(edge, ctl):
    """{key: size} of every object the edge's index lists, through the fill API."""
    out = {}
    for title in (titles(edge, ctl) or {}):
        status, body = ft.fill_json(edge.fill_port, ctl, EDGE_ID, "GET", "/fill/%s" % title)
        if status == 200:
            for f in body["files"]:
                out["%s/%s" % (title, f["path"])] = f["size"]
    return out


def kill9(edge):
    """SIGKILL the master and every worker at once (a power cut, as far as they know)."""
    pids = [edge.proc.pid] + edge.worker_pids()
    for pid in pids:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    edge.proc.wait(5)
    for pid in pids:
        for _ in range(100):
            if not os.path.exists("/proc/%d" % pid) or _zombie(pid):
                break
            time.sleep(0.02)


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class StoreTest(et.Test):
    def __init__(self, name):
        super().__init__(name)
        self.upstreams = []

    def cleanup(self):
        for u in self.upstreams:
            u.stop()
        super().cleanup()


def run(main):
    et.run(main, cls=StoreTest)
