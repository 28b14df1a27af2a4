#!/usr/bin/env python3
"""The web player's npm packages, installed at build time: `npm ci` from
origin/web/package-lock.json into NPM_DIR (in the build folder, never the
source tree), then the files the player loads copied from hls.js's dist/
into the player's vendor/ folder (OUT paths, named like the files).

  vendor.py NPM_DIR PACKAGE_JSON PACKAGE_LOCK OUT...

hls.js-LICENSE.txt is hls.js's LICENSE.  Exit 1 with one line on stderr
when npm is missing or fails."""

import filecmp
import os
import shutil
import subprocess
import sys


def main(npm_dir, package, lock, *outs):
    npm = shutil.which("npm")
    if not npm:
        sys.exit("vendor.py: npm not found (tools/install-deps installs nodejs and npm)")
    os.makedirs(npm_dir, exist_ok=True)
    for src in (package, lock):
        dst = os.path.join(npm_dir, os.path.basename(src))
        if not os.path.exists(dst) or not filecmp.cmp(src, dst, shallow=False):
            shutil.copyfile(src, dst)
    run = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                         cwd=npm_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0:
        sys.exit("vendor.py: npm ci in %s failed:\n%s" % (npm_dir, run.stdout[-3000:]))
    dist = os.path.join(npm_dir, "node_modules", "hls.js")
    for out in outs:
        name = os.path.basename(out)
        src = os.path.join(dist, "LICENSE") if name == "hls.js-LICENSE.txt" else \
            os.path.join(dist, "dist", name)
        shutil.copyfile(src, out)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
