#!/usr/bin/env python3
"""Offline downloads at reel-origin: licenses issued under the plan's limits
(downloads allowed, devices, active downloads, downloads of a title per year)
hit exactly at the plan's numbers; release frees a slot; renew; list.  Each
license is checked as a player would: its signature with the openssl CLI
against the published public key, its claims, and its binding to the device's
X25519 key (made with the openssl CLI)."""

import hashlib
import json
import os
import subprocess
import time

import edgetest as et
import origintest as ot
import pasetotest as pt
from pasetotest import b64d, b64u
from origintest import is_error

PLAN = {"max_streams": 2, "max_height": 720, "downloads": True, "max_devices": 2,
        "max_downloads": 3, "downloads_per_title_year": 3}


def manifest(title):
    return json.dumps({
        "manifest_version": 1, "title": title, "duration": 42.0, "segment_target": 6,
        "container": "fmp4", "master": "master.m3u8",
        "video": [{"path": "360p", "codecs": "avc1.64001e", "width": 640, "height": 360,
                   "frame_rate": 25.0, "bandwidth": 900000}],
        "audio": [{"path": "audio_en", "codecs": "mp4a.40.2", "language": "en",
                   "name": "English", "channels": 2}],
        "audio_languages": ["en"], "subtitles": [], "subtitle_languages": [],
        "encryption": {"method": "AES-128", "key_uri": "../key", "iv": "sequence"},
        "total_size": 1000}).encode()


class Device:
    """An X25519 key pair made with the openssl CLI."""

    def __init__(self, tmp, name):
        self.name = name
        self.pem = os.path.join(tmp, name + ".pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "x25519", "-out", self.pem],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", self.pem, "-pubout", "-outform",
                              "DER"], check=True, capture_output=True).stdout
        self.public = der[-32:]
        self.key = b64u(self.public)


def main(t):
    if not et.have("openssl"):
        raise et.Skip("openssl CLI not installed")
    o = t.origin(downloads={"license_ttl": "720h", "playback_window": "48h"})
    for name, body in [("dl", PLAN), ("nodl", dict(PLAN, downloads=False))]:
        r = o.admin("PUT", "/admin/v1/plans/" + name, body)
        t.check_eq("plan %s: 201" % name, r.status, 201)
    keys = {}
    for title in ("movie", "other", "clear"):
        r = o.admin("PUT", "/admin/v1/titles/" + title, raw=manifest(title))
        t.check_eq("title %s registered: 201" % title, r.status, 201)
        if title != "clear":
            r = o.admin("POST", "/admin/v1/titles/%s/keys" % title, {"kid": "k1"})
            keys[title] = (r.json or {}).get("key")
    r = o.call("GET", "/api/v1/license-keys")
    pub = (r.json or {}).get("keys", [{}])[-1]
    t.check("the license public key is published", r.status == 200 and pub.get("pem")
            and pub.get("alg") == "Ed25519", r.body)

    tok = o.user("offline@example.com", plan="dl")
    me = o.call("GET", "/api/v1/me", token=tok).json
    devs = {n: Device(t.tmp, n) for n in ("phone", "tablet", "laptop")}

    def get(title, dev, token=tok):
        return o.call("POST", "/api/v1/downloads", {"title": title, "device_id": dev.name,
                                                    "device_key": dev.key}, token=token)

    r = get("movie", devs["phone"])
    t.check("a download: 201 with a license", r.status == 201 and r.json.get("license"), r.body)
    d1 = r.json or {}
    lic = d1.get("license", "")
    t.check("the license verifies with the openssl CLI against the published key",
            pt.verifies(t.tmp, lic, pub.get("pem", "")))
    c = pt.claims_of(lic)
    t.check("its claims: purpose, user, device, title, content key id",
            c.get("purpose") == "reel-license-v1" and c.get("sub") == me["id"]
            and c.get("device") == "phone" and c.get("title") == "movie"
            and c.get("ckid") == "k1" and c.get("lid") == d1.get("id"), c)
    t.check_eq("it is bound to the device's key (dkh = SHA-256 of its public key)",
               c.get("dkh"), b64u(hashlib.sha256(devs["phone"].public).digest()))
    t.check_eq("the playback window is 48 h", c.get("window"), 48 * 3600)
    iat = time.mktime(time.strptime(c["iat"], "%Y-%m-%dT%H:%M:%SZ"))
    exp = time.mktime(time.strptime(c["exp"], "%Y-%m-%dT%H:%M:%SZ"))
    t.check_eq("it expires after 30 days", exp - iat, 30 * 86400)
    t.check("the wrapped key is not the key itself",
            keys["movie"] not in lic and bytes.fromhex(keys["movie"]) not in b64d(
                c["wrapped"]["ct"]), c.get("wrapped"))
    forged = lic[:40] + ("A" if lic[40] != "A" else "B") + lic[41:]
    t.check("a license with one byte changed does not verify",
            not pt.verifies(t.tmp, forged, pub["pem"]))

    # limits: 2 devices, 3 active, 3 per title per year
    r = get("movie", devs["tablet"])
    t.check_eq("a second download on another device: 201", r.status, 201)
    d2 = r.json or {}
    r = get("other", devs["laptop"])
    t.check("a third device is refused at the plan's 2: 403 device_limit",
            is_error(r, 403, "device_limit") and r.json.get("limit") == 2, r.body)
    r = get("other", devs["phone"])
    t.check_eq("a third download on a known device: 201", r.status, 201)
    d3 = r.json or {}
    r = get("other", devs["tablet"])
    t.check("the fourth active download is refused at the plan's 3: 403 download_limit",
            is_error(r, 403, "download_limit") and r.json.get("limit") == 3, r.body)
    r = o.call("GET", "/api/v1/downloads", token=tok)
    t.check_eq("list: three active downloads",
               sorted(x["id"] for x in (r.json or {}).get("downloads", [])),
               sorted([d1["id"], d2["id"], d3["id"]]))

    r = o.call("DELETE", "/api/v1/downloads/" + d2["id"], token=tok)
    t.check_eq("release: 204", r.status, 204)
    r = o.call("DELETE", "/api/v1/downloads/" + d2["id"], token=tok)
    t.check("releasing it again: 404", is_error(r, 404, "unknown_download"), r.body)
    r = get("other", devs["laptop"])
    t.check("the release freed a slot and a device: the laptop gets one", r.status == 201,
            r.body)
    d4 = r.json or {}
    r = o.call("DELETE", "/api/v1/downloads/" + d4["id"], token=tok)
    r = get("movie", devs["phone"])
    t.check_eq("the third download of 'movie' this year: 201", r.status, 201)
    d5 = r.json or {}
    o.call("DELETE", "/api/v1/downloads/" + d5["id"], token=tok)
    r = get("movie", devs["phone"])
    t.check("the fourth of 'movie' this year is refused at the plan's 3 (releases count)",
            is_error(r, 403, "title_download_limit") and r.json.get("limit") == 3, r.body)

    r = o.call("POST", "/api/v1/downloads/%s/renew" % d1["id"], token=tok)
    t.check("renew: 200, renewal 1", r.status == 200 and r.json.get("renewal") == 1, r.body)
    c2 = pt.claims_of((r.json or {}).get("license", "x.x.e30"))
    t.check("the renewed license keeps the id and device, counts the renewal",
            c2.get("lid") == d1["id"] and c2.get("device") == "phone"
            and c2.get("renewal") == 1, c2)
    t.check("... and verifies with the openssl CLI",
            pt.verifies(t.tmp, r.json["license"], pub["pem"]))
    r = o.call("POST", "/api/v1/downloads/%s/renew" % d2["id"], token=tok)
    t.check("renewing a released download: 409", is_error(r, 409, "released"), r.body)
    q = "/api/v1/keys/movie?license="
    r = o.call("GET", q + d1["license"].replace("=", "%3D"))
    w = (r.json or {}).get("wrapped", {})
    t.check("the key endpoint answers a license with the key wrapped for its device",
            r.status == 200 and r.json.get("lid") == d1["id"] and len(pt.b64d(w.get("epk", "")))
            == 32 and len(pt.b64d(w.get("ct", ""))) == 32
            and keys["movie"] not in r.body.decode(), r.body)
    r = o.call("GET", "/api/v1/keys/other?license=" + d1["license"])
    t.check("... for that title only", is_error(r, 403, "wrong_title"), r.body)
    r = o.call("GET", q + d2["license"])
    t.check("... and not for a released download", is_error(r, 403, "license_released"),
            r.body)
    r = o.call("GET", q + forged)
    t.check("... nor a forged license", is_error(r, 401, "invalid_license"), r.body)
    r = o.call("GET", "/api/v1/downloads?all=1", token=tok)
    t.check("list ?all=1 shows released ones too",
            {x["status"] for x in r.json["downloads"]} == {"active", "released"}, r.body)

    # other refusals
    other = o.user("other@example.com")
    r = get("movie", devs["phone"], token=other)
    t.check("no subscription: 403", is_error(r, 403, "no_subscription"), r.body)
    nodl = o.user("nodl@example.com", plan="nodl")
    r = get("movie", devs["phone"], token=nodl)
    t.check("a plan without downloads: 403", is_error(r, 403, "downloads_not_allowed"), r.body)
    r = get("clear", devs["phone"])
    t.check("a title without a content key: 409", is_error(r, 409, "not_downloadable"), r.body)
    r = get("nope", devs["phone"])
    t.check("an unknown title: 404", is_error(r, 404, "unknown_title"), r.body)
    for name, body, code in [
            ("no device key", {"title": "movie", "device_id": "x"}, (422, "invalid_device_key")),
            ("a short device key", {"title": "movie", "device_id": "x", "device_key": "AAAA"},
             (422, "invalid_device_key")),
            ("a bad device id", {"title": "movie", "device_id": "a b",
                                 "device_key": devs["phone"].key}, (422, "invalid_request")),
            ("no title", {"device_id": "x", "device_key": devs["phone"].key},
             (400, "invalid_request"))]:
        r = o.call("POST", "/api/v1/downloads", body, token=tok)
        t.check("a download with %s: %d %s" % ((name,) + code), is_error(r, *code), r.body)
    r = o.call("POST", "/api/v1/downloads/%s/renew" % d1["id"], token=other)
    t.check("another user cannot renew my download: 404", is_error(r, 404, "unknown_download"),
            r.body)
    r = o.call("GET", "/api/v1/downloads", token=other)
    t.check_eq("... nor see it", (r.json or {}).get("downloads"), [])

    # the holder's standing: an enabled account and a subscription in its paid period
    r = o.call("DELETE", "/api/v1/subscription", token=tok)
    r = o.call("GET", q + d1["license"])
    t.check("a cancelled subscription still in its paid period opens the key: 200",
            r.status == 200, r.body)
    r = o.admin("POST", "/admin/v1/users/%s/disable" % me["id"])
    t.check_eq("the holder is disabled: 200", r.status, 200)
    r = o.call("GET", q + d1["license"])
    t.check("a disabled holder's license opens no key: 403 account_disabled",
            is_error(r, 403, "account_disabled"), r.body)
    r = o.admin("POST", "/admin/v1/users/%s/enable" % me["id"])
    r = o.call("GET", q + d1["license"])
    t.check_eq("enabled again, it opens the key: 200", r.status, 200)

    with open(os.path.join(o.data, "data.mdb"), "rb") as f:
        db = f.read()
    t.check("no content key in clear in the LMDB file",
            all(bytes.fromhex(k) not in db and k.encode() not in db for k in keys.values()))
    with open(os.path.join(o.data, "master.key")) as f:
        master = f.read().strip()
    t.check("the master key file is 0600 and not in the log",
            (os.stat(os.path.join(o.data, "master.key")).st_mode & 0o777) == 0o600
            and master not in o.logs())


if __name__ == "__main__":
    et.run(main, "origin_downloads", cls=ot.Test)
