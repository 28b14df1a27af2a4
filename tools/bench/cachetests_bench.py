#!/usr/bin/env python3
"""The HTTP caching conformance of the generic upstream mode: the http-tests
cache-tests suite (npm package http-cache-tests) against reel-edge
([upstream] mode = http, its store) and against nginx (proxy_cache with
proxy_cache_revalidate, as the suite's own nginx setup), both in front of
the suite's test origin, in the same run.  Prints each server's score the
way the suite's results page counts it: passes of required and optimal
tests (a test whose dependencies failed counts as neither), required
failures, and the ratio of the passes.

  python3 tools/bench/cachetests_bench.py [--runs 1] [--suite DIR] [--keep DIR]

The suite runs offline with node: it starts its own origin (bound here to
127.0.0.1 only) and its client is pointed at each cache with --base.  It is
installed with npm into build/cache-tests (version 0.4.5) when --suite does
not name an installed copy.  Bar: reel-edge passes at least 180 tests with
fewer than 15 required failures, and more than nginx.  Exit status 0 when
both ran, 1 otherwise, 3 with --strict when the bar was missed.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchlib  # noqa: E402
import cachebench as cb  # noqa: E402
from benchlib import BenchError, log  # noqa: E402

SUITE_VERSION = "0.4.5"
BAR_PASSES, BAR_REQUIRED_FAILURES = 180, 15

# Preloaded into the suite's origin: every server it starts listens on 127.0.0.1 only.
LOOPBACK_ONLY = """import http from 'http'
const listen = http.Server.prototype.listen
http.Server.prototype.listen = function (port, ...rest) {
  if (typeof port === 'number' || typeof port === 'string') {
    return listen.call(this, Number(port), '127.0.0.1', ...rest.filter(a => typeof a === 'function'))
  }
  return listen.call(this, port, ...rest)
}
"""

# Prints {id: [kind, depends_on]} for every test the CLI runs (it adds Surrogate-Control's).
TEST_KINDS = """import tests from './tests/index.mjs'
import surrogate from './tests/surrogate-control.mjs'
tests.push(surrogate)
const out = {}
for (const s of tests) for (const t of s.tests) {
  if (t.browser_only) continue
  out[t.id] = [t.kind || 'required', t.depends_on || []]
}
console.log(JSON.stringify(out))
"""


def install_suite(where):
    """The suite's folder: WHERE/node_modules/http-cache-tests, installed by npm if missing."""
    pkg = os.path.join(where, "node_modules", "http-cache-tests")
    if os.path.exists(os.path.join(pkg, "cli.mjs")):
        return pkg
    if not shutil.which("npm"):
        raise BenchError("npm is needed to install http-cache-tests (or give --suite)")
    os.makedirs(where, exist_ok=True)
    log("installing http-cache-tests %s into %s" % (SUITE_VERSION, where))
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", where,
                        "http-cache-tests@" + SUITE_VERSION], capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0 or not os.path.exists(os.path.join(pkg, "cli.mjs")):
        raise BenchError("npm install http-cache-tests failed:\n" + r.stdout + r.stderr)
    return pkg


def suite_env(extra):
    env = dict(os.environ)
    env.update({"npm_config_base": "", "npm_package_config_id": "", "npm_config_id": ""})
    env.update(extra)
    return env


class Origin:
    """The suite's test origin (server/server.mjs) on a free loopback port."""

    def __init__(self, suite, work):
        self.suite, self.port = suite, benchlib.free_port()
        self.dir = tempfile.mkdtemp(prefix="origin-", dir=work)
        self.preload = os.path.join(self.dir, "loopback.mjs")
        with open(self.preload, "w") as f:
            f.write(LOOPBACK_ONLY)
        self.log = os.path.join(self.dir, "origin.log")
        self.proc = None

    def start(self):
        env = suite_env({"npm_config_protocol": "http", "npm_config_port": str(self.port),
                         "npm_config_pidfile": os.path.join(self.dir, "server.pid")})
        out = open(self.log, "wb")
        self.proc = subprocess.Popen(["node", "--import", self.preload, "server/server.mjs"],
                                     cwd=self.suite, env=env, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("the suite's origin exited:\n" + benchlib.log_tail([self.log]))
            with open(self.log, errors="replace") as f:
                if "Listening on" in f.read():
                    return self
            time.sleep(0.1)
        raise BenchError("the suite's origin did not start:\n" + benchlib.log_tail([self.log]))

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc:
            benchlib.stop_group(self.proc, 5, "cache-tests origin")
            self.proc = None


def run_suite(suite, base, out_path):
    """The CLI against BASE: {test id: result}, also written to OUT_PATH."""
    r = subprocess.run(["node", "--no-warnings", "cli.mjs"], cwd=suite,
                       env=suite_env({"npm_config_base": base}), capture_output=True,
                       text=True, timeout=900)
    try:
        results = json.loads(r.stdout)
    except ValueError:
        raise BenchError("cache-tests against %s printed no results:\n%s%s" % (
            base, r.stdout[-2000:], r.stderr[-2000:]))
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1)
    return results


def test_kinds(suite):
    path = os.path.join(suite, "reel-test-kinds.mjs")
    with open(path, "w") as f:
        f.write(TEST_KINDS)
    r = subprocess.run(["node", "--no-warnings", path], cwd=suite, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise BenchError("cannot read the suite's tests: " + r.stderr[-2000:])
    return json.loads(r.stdout)


def score(kinds, results):
    """The results page's counts: a dependency that did not pass makes a test count as neither."""
    def passed(tid):
        return results.get(tid) is True and all(passed(d) for d in kinds[tid][1])

    s = {"passes": 0, "required_failures": 0, "optimal_failures": 0, "checks_yes": 0,
         "dependency_failures": 0, "setup_failures": 0, "required_failed": []}
    for tid, (kind, deps) in kinds.items():
        r = results.get(tid)
        if r is None:
            continue
        if not all(passed(d) for d in deps):
            s["dependency_failures"] += 1
        elif isinstance(r, list) and r and r[0] == "Setup":
            s["setup_failures"] += 1
        elif kind == "check":
            s["checks_yes"] += r is True
        elif r is True:
            s["passes"] += 1
        elif kind == "required":
            s["required_failures"] += 1
            s["required_failed"].append(tid)
        else:
            s["optimal_failures"] += 1
    return s


def start_edge(server, binary, origin_url):
    """reel-edge in the generic mode: cachebench's store and upstream, plus the mode."""
    return cb.reel_edge(server, binary, origin_url, workers=2,
                        extra="[upstream]\nmode = http\nconnect_timeout = 1s\n"
                              "read_timeout = 5s\n")


def start_nginx(server, binary, origin_url):
    cache = os.path.join(server.dir, "cache")
    os.makedirs(cache, exist_ok=True)
    os.chmod(cache, 0o777)
    http = "proxy_cache_path %s levels=1:2 keys_zone=hct:8m max_size=1g inactive=600m;" % cache
    body = """location / {
            proxy_pass %s;
            proxy_cache hct;
            proxy_cache_revalidate on;
        }""" % origin_url
    return cb.start_nginx(server, binary, cb.nginx_conf(server, 2, body, http),
                          probe="/nothing-here")


def one_round(args, suite, kinds, work, n):
    origin = Origin(suite, work).start()
    live, out = [], {}
    try:
        for name, start in (("reel-edge", start_edge), ("nginx", start_nginx)):
            server = cb.Server(name, work)
            live.append(server)
            start(server, args.edge if name == "reel-edge" else args.nginx, origin.url())
            t0 = time.monotonic()
            results = run_suite(suite, "http://127.0.0.1:%d" % server.port,
                                os.path.join(work, "%s-%d.json" % (name, n)))
            out[name] = score(kinds, results)
            out[name]["seconds"] = time.monotonic() - t0
            server.stop()
    finally:
        for s in live:
            s.stop()
        origin.stop()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--suite", help="an installed http-cache-tests (its folder, or a folder "
                    "with node_modules/http-cache-tests); default build/cache-tests")
    ap.add_argument("--edge", default=cb.DEFAULT_EDGE)
    ap.add_argument("--nginx", default=cb.DEFAULT_NGINX)
    ap.add_argument("--keep", help="copy each run's results (JSON per server) here")
    ap.add_argument("--strict", action="store_true", help="exit 3 when the bar is missed")
    args = ap.parse_args()
    for prog in ("node", args.edge, args.nginx):
        if not shutil.which(prog) and not os.access(prog, os.X_OK):
            raise BenchError("%s not found" % prog)
    where = args.suite or os.path.join(cb.REPO, "build", "cache-tests")
    suite = where if os.path.exists(os.path.join(where, "cli.mjs")) else install_suite(where)
    kinds = test_kinds(suite)
    log("cache-tests: %d tests (%d required, %d optimal, %d checks)%s" % (
        len(kinds), sum(k == "required" for k, _ in kinds.values()),
        sum(k == "optimal" for k, _ in kinds.values()),
        sum(k == "check" for k, _ in kinds.values()),
        "; machine busy" if benchlib.machine_busy() else ""))
    work = cb.make_work("cachetests-")
    rounds = []
    try:
        for n in range(args.runs):
            r = one_round(args, suite, kinds, work, n)
            rounds.append(r)
            log("run %d: reel-edge %d passes, %d required failures; nginx %d passes, %d "
                "required failures" % (n + 1, r["reel-edge"]["passes"],
                                       r["reel-edge"]["required_failures"],
                                       r["nginx"]["passes"], r["nginx"]["required_failures"]))
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for f in os.listdir(work):
                if f.endswith(".json"):
                    shutil.copy(os.path.join(work, f), args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {name: {k: statistics.median(r[name][k] for r in rounds)
                  for k in ("passes", "required_failures", "optimal_failures", "checks_yes",
                            "dependency_failures", "setup_failures")}
           for name in ("reel-edge", "nginx")}
    print("cache-tests %s, %d run(s), medians:" % (SUITE_VERSION, len(rounds)))
    print("  %-10s %7s %9s %9s %7s %8s %6s" % ("server", "passes", "req.fail", "opt.fail",
                                               "checks", "dep.fail", "setup"))
    for name in ("reel-edge", "nginx"):
        m = med[name]
        print("  %-10s %7d %9d %9d %7d %8d %6d" % (
            name, m["passes"], m["required_failures"], m["optimal_failures"], m["checks_yes"],
            m["dependency_failures"], m["setup_failures"]))
    print("  required failures of reel-edge (last run): %s" % (
        ", ".join(rounds[-1]["reel-edge"]["required_failed"]) or "none"))
    ratio = med["reel-edge"]["passes"] / max(1, med["nginx"]["passes"])
    print("  passes reel-edge / nginx: %.2fx" % ratio)
    ok = (med["reel-edge"]["passes"] >= BAR_PASSES and
          med["reel-edge"]["required_failures"] < BAR_REQUIRED_FAILURES and
          med["reel-edge"]["passes"] > med["nginx"]["passes"])
    print("  bar (>= %d passes, < %d required failures, more than nginx): %s" % (
        BAR_PASSES, BAR_REQUIRED_FAILURES, "met" if ok else "MISSED"))
    return 3 if args.strict and not ok else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print("cachetests_bench: %s" % e, file=sys.stderr)
        sys.exit(1)
