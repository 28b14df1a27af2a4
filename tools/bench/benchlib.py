"""What the benchmark scripts of this folder share: wrk's command line and
report, CPU time from /proc, stopping a server's process group, and the
number formats of their tables.

The scripts run as `python3 tools/bench/X.py` and import this file from their
own folder.  Standard library only.
"""

import http.client
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import types

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A server failed to start, died, or answered wrongly: exit status 1."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- numbers

def fmt(v, digits=0):
    """V with thousands separators and DIGITS decimals; "?" for None."""
    return "?" if v is None else "{:,.{}f}".format(v, digits)


def pct(v):
    """The fraction V as a whole percentage; "?" for None."""
    return "?" if v is None else "%.0f%%" % (v * 100)


def med(values):
    """The median of VALUES, leaving out None; None when nothing is left."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------- processes

def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def taskset(cmd, cpu):
    """CMD pinned to CPU (taskset -c), or CMD itself when CPU is None."""
    return cmd if cpu is None else ["taskset", "-c", str(cpu)] + cmd


def group_cpu_seconds(procs):
    """cpu_seconds of the processes PROCS (Popen objects) and their children."""
    pids = []
    for p in procs:
        pids += [p.pid] + children_of(p.pid)
    return cpu_seconds(pids)


def cpu_seconds(pids):
    """User + system CPU seconds PIDS (all their threads) have used so far,
    from /proc/PID/stat; a process that is gone counts 0."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])     # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def children_of(pid):
    """Pids whose parent is PID: /proc/PID/task/*/children, else a scan of /proc."""
    kids = set()
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids.update(int(x) for x in f.read().split())
        return sorted(kids)
    except OSError:
        pass
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/status" % entry) as f:
                for line in f:
                    if line.startswith("PPid:"):
                        if int(line.split()[1]) == pid:
                            kids.add(int(entry))
                        break
        except OSError:
            continue
    return sorted(kids)


def machine_busy():
    """(busy, total) jiffies of the whole machine so far, from /proc/stat;
    None when it cannot be read."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v) - v[3] - v[4], sum(v)          # idle and iowait are not busy
    except (OSError, ValueError, IndexError):
        return None


def cpu_busy(seconds=1.0):
    """Fraction of the machine's CPU time spent outside idle over SECONDS;
    None when /proc/stat cannot tell."""
    m0 = machine_busy()
    time.sleep(seconds)
    m1 = machine_busy()
    if not m0 or not m1 or m1[1] <= m0[1]:
        return None
    return (m1[0] - m0[0]) / (m1[1] - m0[1])


def spawn(cmd, out_path, what=""):
    """Start CMD in a session of its own (stop it with stop_group), stdin from
    /dev/null, stdout and stderr into the file OUT_PATH.  Raises BenchError
    "WHATcannot run ..." when CMD cannot be started."""
    out = open(out_path, "wb")
    try:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as e:
        raise BenchError("%scannot run %s: %s" % (what, cmd[0], e))
    finally:
        out.close()


def wait_ready(probe, check_alive, timeout):
    """Call PROBE() every 0.1 s until it returns true, for up to TIMEOUT
    seconds; CHECK_ALIVE("while starting") before each try raises when the
    server died.  Returns None once ready, else what went wrong last
    ("no answer", or the socket or HTTP error of the last try)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        check_alive("while starting")
        try:
            if probe():
                return None
        except (OSError, http.client.HTTPException) as e:
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(0.1)
    return last


def stop_group(proc, timeout=10, name=None):
    """Stop the process group PROC leads (started with start_new_session):
    SIGTERM, up to TIMEOUT s for PROC to exit, then SIGKILL for whatever is
    left (workers a dead master left behind).  With NAME, logs when SIGTERM
    was not enough.  Never raises for a process that is already gone."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            if name:
                log("%s: still running %d s after SIGTERM; sending SIGKILL" % (name, timeout))
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def stop_all(live, **kw):
    """Call stop(**KW) on every server in LIVE (the list their stop() takes
    them out of).  Errors are logged, never raised: this runs at exit and
    while another error is on its way out."""
    for s in list(live):
        try:
            s.stop(**kw)
        except Exception as e:  # never mask the original error
            name = getattr(s, "name", None)
            log("cleanup%s: %s" % (" of " + name if name else "", e))


def log_tail(paths, n=15):
    """The last N lines of each of the log files PATHS, indented, for an error
    message; "(no log output)" when all are empty or missing."""
    text = []
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()[-n:]
        except OSError:
            continue
        if lines:
            text.append("  --- %s:\n" % path + "\n".join("  " + l for l in lines))
    return "\n".join(text) or "  (no log output)"


# ---------------------------------------------------------------- wrk

UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def nginx_user():
    """nginx's user line: its workers run as nobody when started as root."""
    if os.geteuid() != 0:
        return ""
    import grp
    import pwd
    pw = pwd.getpwnam("nobody")
    return "user nobody %s;\n" % grp.getgrgid(pw.pw_gid).gr_name


def nginx_conf(d, error_log, workers, port, server, http="", keepalive_requests=100000):
    """An nginx.conf for a server in the folder D listening on 127.0.0.1:PORT:
    SERVER and HTTP are more lines for its server block and its http block."""
    return """%sdaemon off;
master_process on;
worker_processes %d;
worker_rlimit_nofile 20000;
pid %s/nginx.pid;
error_log %s warn;
events { worker_connections 20000; }
http {
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    keepalive_requests %d;
    keepalive_timeout 75s;
    client_body_temp_path %s/body;
    proxy_temp_path %s/proxy;
    fastcgi_temp_path %s/fastcgi;
    uwsgi_temp_path %s/uwsgi;
    scgi_temp_path %s/scgi;
    %s
    server {
        listen 127.0.0.1:%d;
        %s
    }
}
""" % (nginx_user(), workers, d, error_log, keepalive_requests, d, d, d, d, d, http, port,
       server)


def wrk_command(url, threads, connections, seconds, extra=(), cpu=None):
    """wrk's command line for a load of URL; EXTRA options (-s, -H) go before
    the URL, and CPU pins wrk (see taskset)."""
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
           "--timeout", "10s"]
    return taskset(cmd + list(extra) + [url], cpu)


def run_measured(cmd, timeout, server_cpu):
    """Run CMD (wrk) to its end with stdout and stderr together, measuring it.

    SERVER_CPU() gives the CPU seconds the server under load has used so far.
    Returns a namespace: returncode; text (the output); wall (seconds);
    server_cpu and client_cpu (CPU seconds the server and CMD used);
    other_cpu (CPU seconds the rest of the machine used: a noisy neighbour
    shows here), None when /proc/stat cannot tell.  Raises
    subprocess.TimeoutExpired, CMD killed, after TIMEOUT seconds."""
    cpu0 = server_cpu()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m0 = machine_busy()
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    wall = time.monotonic() - t0
    m1 = machine_busy()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = server_cpu() - cpu0
    client = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    other = None
    if m0 and m1 and m1[1] > m0[1]:
        other = max(0.0, (m1[0] - m0[0]) / CLK_TCK - server - client)
    return types.SimpleNamespace(returncode=r.returncode, text=r.stdout.decode(errors="replace"),
                                 wall=wall, server_cpu=server, client_cpu=client,
                                 other_cpu=other)


def parse_wrk(text, transfer=False):
    """Requests/s (rps), error counts and, with TRANSFER, bytes/s (bps) from
    wrk's text report.  Raises ValueError when a needed line is missing."""
    m = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    t = re.search(r"^Transfer/sec:\s*([\d.]+)\s*([KMGT]?B)", text, re.M)
    if not m or (transfer and not t):
        raise ValueError("no Requests/sec or Transfer/sec line" if transfer
                         else "no Requests/sec line")
    res = {"rps": float(m.group(1))}
    if transfer:
        res["bps"] = float(t.group(1)) * UNITS[t.group(2)]
    res.update({"non2xx": 0, "socket_errors": {}})
    n = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    if n:
        res["requests"] = int(n.group(1))
    e = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if e:
        res["non2xx"] = int(e.group(1))
    s = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if s:
        res["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                        map(int, s.groups())))
    return res


def read_wrk(run, what, parse=parse_wrk):
    """PARSE(the report) of RUN (from run_measured).  Raises BenchError, its
    message starting with WHAT, when wrk failed or its report is unreadable."""
    if run.returncode != 0:
        raise BenchError("%s: wrk exited %d:\n%s" % (what, run.returncode, run.text))
    try:
        return parse(run.text)
    except ValueError as e:
        raise BenchError("%s: cannot read wrk's report (%s):\n%s" % (what, e, run.text))
