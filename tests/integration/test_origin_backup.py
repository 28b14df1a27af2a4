#!/usr/bin/env python3
"""The backup procedure of docs/operating-the-origin.md, as an operator runs it:
mdb_copy of the live LMDB environment plus the key files, taken while the origin
serves, then restored into a new data folder that a new origin starts from.
Accounts, sessions, plans, the catalog and the sealed content keys come back;
what changed after the backup does not."""

import os
import shutil
import subprocess
import urllib.parse

import edgetest as et
import origintest as ot

PLAN = {"title": "Basic", "max_streams": 2, "max_height": 720, "downloads": True,
        "max_devices": 2, "max_downloads": 3, "downloads_per_title_year": 3}
KEY_FILES = ("stream.keys", "license.keys", "master.key")


def backup(t, data, dest):
    """The documented procedure: a compacted copy of the environment (a read
    transaction: writers go on) and the key files beside it."""
    os.makedirs(dest)
    p = subprocess.run(["mdb_copy", "-c", data, dest], capture_output=True, text=True,
                       timeout=60)
    t.check("mdb_copy -c of the running origin's data folder", p.returncode == 0, p.stderr)
    for name in KEY_FILES:
        shutil.copy2(os.path.join(data, name), os.path.join(dest, name))
    modes = [oct(os.stat(os.path.join(dest, n)).st_mode & 0o777) for n in KEY_FILES]
    t.check_eq("the key files keep mode 0600 in the backup", modes, ["0o600"] * 3)


def main(t):
    if not shutil.which("mdb_copy"):
        raise et.Skip("mdb_copy (lmdb-utils) is not installed; tools/install-deps installs it")
    o = t.origin()
    r = o.admin("PUT", "/admin/v1/plans/basic", PLAN)
    t.check_eq("a plan", r.status, 201)
    r = o.admin("POST", "/admin/v1/titles/movie/keys", {"kid": "k1"})
    t.check_eq("a content key made by the origin", r.status, 201)
    key_hex = (r.json or {}).get("key", "")
    root = ot.make_package(t.tmp, "movie", key_hex=key_hex)
    with open(os.path.join(root, "movie", "manifest.json"), "rb") as f:
        r = o.admin("PUT", "/admin/v1/titles/movie?name=The%20Movie", raw=f.read())
    t.check_eq("the title registered", r.status, 201)
    viewer = o.user("viewer@example.com", plan="basic")
    r = o.call("POST", "/api/v1/play", {"title": "movie"}, token=viewer)
    t.check_eq("play", r.status, 201)
    keys_before = o.call("GET", "/api/v1/stream-keys").json

    saved = os.path.join(t.tmp, "backup")
    backup(t, o.data, saved)
    # After the backup: a user that the restore must not bring back.
    o.user("later@example.com")
    o.stop()

    # Restore: the copy becomes the data folder of a new origin.
    os.makedirs(os.path.join(t.tmp, "restored"))
    restored = ot.Origin(os.path.join(t.tmp, "restored"))
    shutil.copytree(saved, restored.data)
    t.origins.append(restored)
    restored.start()
    r = restored.call("GET", "/api/v1/me", token=viewer)
    t.check("the viewer's session from before the backup is still valid",
            r.status == 200 and (r.json or {}).get("email") == "viewer@example.com", r.body)
    r = restored.call("POST", "/api/v1/login",
                      {"email": "viewer@example.com", "password": "correct horse battery staple"})
    t.check_eq("the viewer logs in with the same password", r.status, 200)
    r = restored.call("POST", "/api/v1/login",
                      {"email": "later@example.com", "password": "correct horse battery staple"})
    t.check_eq("the account made after the backup is not there", r.status, 401)
    r = restored.call("GET", "/api/v1/titles/movie", token=viewer)
    t.check_eq("the catalog came back", (r.json or {}).get("name"), "The Movie")
    t.check_eq("the same stream keys are published",
               restored.call("GET", "/api/v1/stream-keys").json, keys_before)
    r = restored.call("POST", "/api/v1/play", {"title": "movie"}, token=viewer)
    t.check_eq("the viewer plays on the restored origin", r.status, 201)
    token = (r.json or {}).get("token", "")
    r = restored.call("GET", "/api/v1/keys/movie?token=" + urllib.parse.quote(token))
    t.check("the sealed content key opens with the restored master key",
            r.status == 200 and r.body == bytes.fromhex(key_hex), r.summary())


if __name__ == "__main__":
    et.run(main, "origin_backup", cls=ot.Test)
