#!/usr/bin/env python3
"""The layers of reel-origin (docs/origin.md), checked on its sources.

  - no file of the HTTP side (origin/api/, and origin/web/, the web player's
    files) includes the store (common/store.h),
    directly or through another header;
  - no domain file (accounts/, plans/, catalog/, playback/, downloads/,
    viewing/, admin/, jobs/, content/) and no file of the base under them includes the
    HTTP core's headers or anything of origin/api/;
  - a table (origin/<domain>/tables.h) is named, as ORIGIN_DB_<ID>, only by
    the files of its domain's folder (and schema.h, which numbers them).

Includes are followed through origin/ and common/ ("..." includes only).
Exit status 0 when every check passes, 1 otherwise.
"""

import glob
import os
import re
import sys

ROOT = os.environ.get("REEL_SOURCE_ROOT",
                      os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ORIGIN = os.path.join(ROOT, "origin")
COMMON = os.path.join(ROOT, "common")
DOMAINS = ("accounts", "plans", "catalog", "playback", "downloads", "viewing", "admin", "jobs",
           "content")
BASE = ("idmap", "jsonfield", "keyfiles", "reason", "record_cache", "records", "schema")
HTTP_CORE = ("httpd.h", "httpd_int.h", "http_parser.h")

failed = 0


def check(name, ok, detail=""):
    global failed
    print("%s %s%s" % ("ok    " if ok else "FAIL  ", name, ": " + detail if not ok else ""))
    failed += not ok


def rel(path):
    return os.path.relpath(path, ROOT)


def includes(path):
    """The files of origin/ and common/ that PATH includes directly."""
    out = []
    with open(path) as f:
        for name in re.findall(r'^\s*#\s*include\s+"([^"]+)"', f.read(), re.M):
            for d in (ORIGIN, COMMON):
                p = os.path.join(d, name)
                if os.path.exists(p):
                    out.append(os.path.normpath(p))
                    break
    return out


def closure(path, seen=None):
    """Every file PATH includes, through any depth."""
    seen = set() if seen is None else seen
    for p in includes(path):
        if p not in seen:
            seen.add(p)
            closure(p, seen)
    return seen


def sources(folder):
    return sorted(glob.glob(os.path.join(folder, "*.c")) + glob.glob(os.path.join(folder, "*.h")))


def main():
    store = os.path.join(COMMON, "store.h")
    for path in sources(os.path.join(ORIGIN, "api")) + sources(os.path.join(ORIGIN, "web")):
        check("%s does not reach the store" % rel(path), store not in closure(path))

    lower = [p for d in DOMAINS for p in sources(os.path.join(ORIGIN, d))]
    lower += [p for b in BASE for p in glob.glob(os.path.join(ORIGIN, b + ".[ch]"))]
    check("the domains and the base are found", len(lower) > 20, str(len(lower)))
    for path in lower:
        bad = sorted(rel(p) for p in closure(path)
                     if os.path.basename(p) in HTTP_CORE or
                     os.path.dirname(p) == os.path.join(ORIGIN, "api"))
        check("%s does not reach the HTTP side" % rel(path), not bad, ", ".join(bad))

    owners = {}
    for tables in glob.glob(os.path.join(ORIGIN, "*", "tables.h")):
        with open(tables) as f:
            for table in re.findall(r'X\((\w+),\s*"[^"]+"\)', f.read()):
                owners["ORIGIN_DB_" + table] = os.path.dirname(tables)
    check("the tables are found", len(owners) >= 9, sorted(owners))
    for path in sorted(glob.glob(os.path.join(ORIGIN, "**", "*.[ch]"), recursive=True)):
        if os.path.basename(path) in ("schema.h", "schema.c"):
            continue
        with open(path) as f:
            used = set(re.findall(r"\bORIGIN_DB_[A-Z_]+\b", f.read())) & set(owners)
        strangers = sorted(t for t in used if os.path.dirname(path) != owners[t])
        check("%s names only its own tables" % rel(path), not strangers, ", ".join(strangers))

    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
