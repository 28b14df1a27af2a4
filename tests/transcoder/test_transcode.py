#!/usr/bin/env python3
"""Integration tests for reel-transcode: generate small sources with the ffmpeg
CLI, transcode them, and check every package with the real ffprobe/ffmpeg
against the bars of issue 3 (keyframe-aligned segments, playlists, measured
BANDWIDTH, decodable master, duration, manifest digests) and bad inputs.

usage: test_transcode.py [--bin PATH] [CASE ...]   (or REEL_TRANSCODE=PATH)
With no CASE every case runs.  Python standard library only.
"""
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("REEL_TRANSCODE", "")
FAST = ["--preset=ultrafast", "--progress=none"]
failures = []
TS = False  # the package under check uses MPEG-TS segments (no init.mp4)


def run(cmd, timeout=180, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("  FAIL:", msg)
    return cond


def ffmpeg(*args):
    r = run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + list(args))
    if r.returncode != 0:
        raise RuntimeError("ffmpeg failed: %s" % r.stderr.strip())


def gen(path, size=None, secs=4, rate=30, audio=None, extra_in=(), extra_out=()):
    """testsrc2 video of SIZE (None = no video) plus AUDIO: list of (layout, lang)."""
    args, maps, n = [], [], 0
    if size:
        args += ["-f", "lavfi", "-i", "testsrc2=size=%s:rate=%d:duration=%g" % (size, rate, secs)]
        maps += ["-map", "%d:v" % n]
        n += 1
    for i, (layout, lang) in enumerate(audio or []):
        args += ["-f", "lavfi", "-i",
                 "sine=frequency=%d:sample_rate=44100:duration=%g" % (330 + 110 * i, secs)]
        if layout != "mono":
            args[-1] += ",aformat=channel_layouts=%s" % layout
        maps += ["-map", "%d:a" % n]
        n += 1
    args += list(extra_in)
    args += maps + list(extra_out)
    if size:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    for i, (layout, lang) in enumerate(audio or []):
        args += ["-metadata:s:a:%d" % i, "language=%s" % lang]
    if audio:
        args += ["-c:a", "aac", "-b:a", "96k"]
    ffmpeg(*(args + [path]))


def probe_json(*args):
    r = run(["ffprobe", "-v", "error", "-of", "json"] + list(args))
    if r.returncode != 0:
        raise RuntimeError("ffprobe failed: %s" % r.stderr.strip())
    return json.loads(r.stdout)


def source_durations(path):
    """{"video": seconds, "audio": [seconds per track]} from the stream (or format) durations."""
    j = probe_json("-show_entries", "format=duration:stream=codec_type,duration:stream_tags=DURATION",
                   path)
    fmt = float(j["format"]["duration"])
    out = {"video": None, "audio": []}
    for st in j["streams"]:
        d = st.get("duration")
        if d in (None, "N/A"):
            tag = st.get("tags", {}).get("DURATION")
            if tag:
                h, m, sec = tag.split(":")
                d = int(h) * 3600 + int(m) * 60 + float(sec)
        d = float(d) if d not in (None, "N/A") else fmt
        if st["codec_type"] == "video" and out["video"] is None:
            out["video"] = d
        elif st["codec_type"] == "audio":
            out["audio"].append(d)
    return out


# ---- playlist parsing ----

def attrs(s):
    out = {}
    for m in re.finditer(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', s):
        out[m.group(1)] = m.group(2).strip('"')
    return out


def parse_master(path):
    lines = open(path).read().splitlines()
    v = {"variants": [], "media": [], "iframes": [], "tags": lines}
    for i, l in enumerate(lines):
        if l.startswith("#EXT-X-STREAM-INF:"):
            v["variants"].append((attrs(l.split(":", 1)[1]), lines[i + 1]))
        elif l.startswith("#EXT-X-MEDIA:"):
            v["media"].append(attrs(l.split(":", 1)[1]))
        elif l.startswith("#EXT-X-I-FRAME-STREAM-INF:"):
            v["iframes"].append(attrs(l.split(":", 1)[1]))
    return v


def parse_media(path):
    p = {"segs": [], "tags": {}}
    dur, rng = None, None
    for l in open(path).read().splitlines():
        if l.startswith("#EXTINF:"):
            dur = float(l[8:].split(",")[0])
        elif l.startswith("#EXT-X-BYTERANGE:"):
            n, o = l[17:].split("@")
            rng = (int(o), int(n))
        elif l.startswith("#"):
            k, _, val = l.partition(":")
            p["tags"][k] = val
        elif l.strip():
            p["segs"].append((l, dur, rng))
            dur, rng = None, None
    return p


def peak_rate(sizes_durs, target):
    """RFC 8216 peak segment bit rate: runs of segments lasting 0.5..1.5 target."""
    peak, n = 0.0, len(sizes_durs)
    for i in range(n):
        b = d = 0.0
        for j in range(i, n):
            b += 8 * sizes_durs[j][0]
            d += sizes_durs[j][1]
            if d > 1.5 * target:
                break
            if d >= 0.5 * target:
                peak = max(peak, b / d)
    if peak == 0:
        tb = sum(8 * s for s, _ in sizes_durs)
        td = sum(d for _, d in sizes_durs)
        peak = tb / td if td else 0
    return peak


def measure(pkg, rel):
    p = parse_media(os.path.join(pkg, rel))
    base = os.path.dirname(os.path.join(pkg, rel))
    sd = [(os.path.getsize(os.path.join(base, u)), d) for u, d, _ in p["segs"]]
    target = int(p["tags"]["#EXT-X-TARGETDURATION"])
    tot_d = sum(d for _, d in sd)
    return peak_rate(sd, target), sum(8 * s for s, _ in sd) / tot_d


def within(declared, measured, tol=0.10):
    return measured > 0 and abs(declared - measured) / measured <= tol


# ---- package checks ----

def check_media_playlist(pkg, rel, name, iframes=False):
    p = parse_media(os.path.join(pkg, rel))
    t = p["tags"]
    target = int(t.get("#EXT-X-TARGETDURATION", "0"))
    check(t.get("#EXT-X-PLAYLIST-TYPE") == "VOD", "%s %s: not VOD" % (name, rel))
    check("#EXT-X-ENDLIST" in t, "%s %s: no ENDLIST" % (name, rel))
    is_vtt = rel.startswith("subs_")
    check(("#EXT-X-MAP" in t) == (not is_vtt and (iframes or not TS)),
          "%s %s: EXT-X-MAP wrong" % (name, rel))
    want = "5" if iframes else "3" if TS or is_vtt else "6"
    check(t.get("#EXT-X-VERSION") == want,
          "%s %s: EXT-X-VERSION %s" % (name, rel, t.get("#EXT-X-VERSION")))
    check(len(p["segs"]) > 0, "%s %s: no segments" % (name, rel))
    for u, d, _ in p["segs"]:
        check(d is not None and d <= target + 0.5, "%s %s: EXTINF %s > target %d + 0.5" %
              (name, u, d, target))
        check(round(d) <= target, "%s %s: EXTINF %s rounds above target %d" % (name, u, d, target))
    return p


def join_init(init, seg, tmp):
    if TS:
        return seg
    path = os.path.join(tmp, "one.mp4")
    with open(path, "wb") as f:
        f.write(open(init, "rb").read())
        f.write(open(seg, "rb").read())
    return path


def keyframes_of_segment(init, seg, tmp):
    path = join_init(init, seg, tmp)
    pk = probe_json("-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", path)
    return pk["packets"]


def check_video(pkg, rend, name, tmp):
    """Every segment starts with a keyframe; returns the keyframe times (from the playlist)."""
    rel = rend + "/index.m3u8"
    p = check_media_playlist(pkg, rel, name)
    keys, t = [], None
    init = os.path.join(pkg, rend, "init.mp4")
    for u, d, _ in p["segs"]:
        pk = keyframes_of_segment(init, os.path.join(pkg, rend, u), tmp)
        if t is None:  # the package keeps the source's start offset
            t = float(pk[0]["pts_time"]) if pk else 0.0
            start = t
        check(len(pk) > 0 and "K" in pk[0]["flags"], "%s %s/%s: first packet is not a keyframe" %
              (name, rend, u))
        nkeys = sum(1 for x in pk if "K" in x["flags"])
        check(nkeys == 1, "%s %s/%s: %d keyframes in one segment" % (name, rend, u, nkeys))
        keys.append(round(float(pk[0]["pts_time"]), 3) if pk else None)
        check(pk and abs(float(pk[0]["pts_time"]) - t) < 0.002,
              "%s %s/%s: starts at %s, playlist says %.3f" %
              (name, rend, u, pk[0]["pts_time"] if pk else "?", t))
        t += d
    return keys, t - start


def ts_packet(data, off):
    """(PID, payload_unit_start, payload) of the TS packet at OFF."""
    at = off + 4 + (1 + data[off + 4] if data[off + 3] & 0x20 else 0)
    return ((data[off + 1] & 0x1f) << 8 | data[off + 2], bool(data[off + 1] & 0x40),
            data[at:off + 188])


def h264_nal_types(data):
    return [data[m.end()] & 0x1f for m in re.finditer(b"\x00\x00\x01", data)
            if m.end() < len(data)]


def check_ts_iframe(data, rng, name, where):
    """An MPEG-TS I-frame range: starts at the TS packet that starts the IDR's PES and
    ends where the next PES of that PID starts (or at the end of the segment)."""
    off, n = rng
    pid, start, payload = ts_packet(data, off)
    check(off % 188 == 0 and data[off] == 0x47 and start and payload[:3] == b"\x00\x00\x01",
          "%s %s: byte range does not start a PES: %s" % (name, where, data[off:off + 8].hex()))
    end = off + n
    check(end == len(data) or ts_packet(data, end)[:2] == (pid, True),
          "%s %s: byte range does not end at the next PES" % (name, where))
    payload = b"".join(ts_packet(data, p)[2] for p in range(off, end, 188)
                       if ts_packet(data, p)[0] == pid)
    check(5 in h264_nal_types(payload), "%s %s: no IDR NAL unit in the byte range: %s" %
          (name, where, h264_nal_types(payload)))


def check_iframe_playlist(pkg, uri, name, tmp):
    """Every byte range of an I-frame playlist, with its EXT-X-MAP, is exactly one key
    frame that decodes on its own (ffprobe), starting at the IDR."""
    p = check_media_playlist(pkg, uri, name, iframes=True)
    base = os.path.dirname(os.path.join(pkg, uri))
    m = attrs(p["tags"].get("#EXT-X-MAP", ""))
    init = open(os.path.join(base, m.get("URI", "init.mp4")), "rb").read()
    if "BYTERANGE" in m:
        n, o = (int(x) for x in m["BYTERANGE"].split("@"))
        init = init[o:o + n]
    for u, d, rng in p["segs"]:
        check(rng is not None, "%s %s: no BYTERANGE" % (name, uri))
        if not rng:
            continue
        data = open(os.path.join(base, u), "rb").read()
        if TS:
            check_ts_iframe(data, rng, name, "%s %s" % (uri, u))
        path = os.path.join(tmp, "iframe." + ("ts" if TS else "mp4"))
        with open(path, "wb") as f:
            f.write(init + data[rng[0]:rng[0] + rng[1]])
        r = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                 "frame=key_frame,pict_type", "-of", "csv=p=0", path])
        frames = [l.strip(",") for l in r.stdout.split()]
        # an fMP4 range is the moof with the first sample only: the demuxer finds the
        # fragment's other samples missing ("partial file"); a TS range is whole
        check(frames == ["1,I"] and (not TS or not r.stderr.strip()),
              "%s %s %s: the byte range does not decode to one key frame (%s %s)" %
              (name, uri, u, frames, r.stderr.strip()[:200]))
    if TS:  # ffmpeg plays the I-frame playlist itself: every range, after its EXT-X-MAP
        r = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                 "stream=nb_read_frames", "-of", "csv=p=0", os.path.join(pkg, uri)])
        check(r.returncode == 0 and r.stdout.split()[-1:] == [str(len(p["segs"]))] and
              not r.stderr.strip(), "%s %s: ffprobe reading it: %s %s" %
              (name, uri, r.stdout.split(), r.stderr[:300]))


def first_segment(pkg, rend, tmp):
    return join_init(os.path.join(pkg, rend, "init.mp4"),
                     os.path.join(pkg, rend, "seg_00001." + ("ts" if TS else "m4s")), tmp)


def avc1_of(pkg, rend, tmp):
    s = probe_json("-select_streams", "v:0", "-show_entries", "stream=profile,level,width,height",
                   first_segment(pkg, rend, tmp))["streams"][0]
    prof = {"High": 0x64, "Main": 0x4d, "Baseline": 0x42, "Constrained Baseline": 0x42}
    return s, prof.get(s.get("profile"), -1), int(s.get("level", -1))


def check_manifest(pkg, name):
    m = json.load(open(os.path.join(pkg, "manifest.json")))
    listed = {f["path"]: f for f in m["files"]}
    on_disk = set()
    for root, _, files in os.walk(pkg):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), pkg)
            if rel != "manifest.json":
                on_disk.add(rel)
    check(set(listed) == on_disk, "%s: manifest files differ from disk: %s" %
          (name, sorted(set(listed) ^ on_disk)[:5]))
    for rel, f in listed.items():
        path = os.path.join(pkg, rel)
        if not os.path.exists(path):
            continue
        data = open(path, "rb").read()
        check(f["size"] == len(data), "%s: %s size mismatch" % (name, rel))
        check(f["sha256"] == hashlib.sha256(data).hexdigest(), "%s: %s sha256 mismatch" %
              (name, rel))
        check(bool(f.get("content_type")), "%s: %s without content type" % (name, rel))
    return m


def check_package(pkg, src, name, tmp, expect_video=None, expect_audio=None):
    """The full set of bars on one package; returns the parsed master."""
    check(os.path.isfile(os.path.join(pkg, "master.m3u8")), "%s: no master.m3u8" % name)
    check(not [d for d in os.listdir(os.path.dirname(pkg)) if ".tmp-" in d],
          "%s: temporary folder left behind" % name)
    master = parse_master(os.path.join(pkg, "master.m3u8"))
    check("#EXT-X-INDEPENDENT-SEGMENTS" in master["tags"], "%s: no INDEPENDENT-SEGMENTS" % name)
    src_dur = source_durations(src)

    audio_rates = {}  # GROUP-ID -> (largest peak, largest average) of its renditions
    audio_codecs = {}  # GROUP-ID -> the CODECS sample entries its renditions need
    sample_entry = {"aac": "mp4a", "ac3": "ac-3", "eac3": "ec-3"}
    for media in master["media"]:
        check(media.get("TYPE") in ("AUDIO", "SUBTITLES") and media.get("GROUP-ID"),
              "%s: bad EXT-X-MEDIA" % name)
        if media["TYPE"] == "SUBTITLES":
            continue
        uri = media["URI"]
        p = check_media_playlist(pkg, uri, name)
        total = sum(d for _, d, _ in p["segs"])
        check(any(abs(total - d) <= 0.1 for d in src_dur["audio"]),
              "%s: %s lasts %.3f s, source audio %s s" % (name, uri, total, src_dur["audio"]))
        s = probe_json("-show_entries", "stream=codec_name,profile,channels,sample_rate",
                       first_segment(pkg, os.path.dirname(uri), tmp))["streams"][0]
        if media.get("CHANNELS") == "6":
            check(s["codec_name"] in ("ac3", "eac3") and s["channels"] == 6 and
                  s["sample_rate"] == "48000", "%s: %s is not AC-3/E-AC-3 5.1 48 kHz: %s" %
                  (name, uri, s))
        else:
            check(s["codec_name"] == "aac" and s.get("profile") == "LC" and s["channels"] == 2
                  and s["sample_rate"] == "48000", "%s: %s is not AAC-LC stereo 48 kHz: %s" %
                  (name, uri, s))
        audio_codecs.setdefault(media["GROUP-ID"], set()).add(sample_entry.get(s["codec_name"]))
        pk, av = measure(pkg, uri)
        old = audio_rates.get(media["GROUP-ID"], (0.0, 0.0))
        audio_rates[media["GROUP-ID"]] = (max(old[0], pk), max(old[1], av))
    if expect_audio is not None:
        langs = [m.get("LANGUAGE") for m in master["media"] if m["TYPE"] == "AUDIO" and
                 m.get("GROUP-ID") == "aud"]
        check(sorted(langs) == sorted(expect_audio), "%s: audio languages %s, expected %s" %
              (name, langs, expect_audio))

    keysets, sizes = {}, []
    for a, uri in master["variants"]:
        codecs = a.get("CODECS", "")
        if "avc1" not in codecs:
            continue
        rend = os.path.dirname(uri)
        want = {"avc1"} | audio_codecs.get(a.get("AUDIO"), set())
        check({c.split(".")[0] for c in codecs.split(",")} == want,
              "%s: %s CODECS %s, its audio group has %s" % (name, rend, codecs, want))
        pk, av = measure(pkg, uri)
        extra_p, extra_a = audio_rates.get(a.get("AUDIO"), (0, 0))
        check(within(int(a["BANDWIDTH"]), pk + extra_p),
              "%s: %s BANDWIDTH %s, measured %.0f" % (name, rend, a["BANDWIDTH"], pk + extra_p))
        check(within(int(a["AVERAGE-BANDWIDTH"]), av + extra_a),
              "%s: %s AVERAGE-BANDWIDTH %s, measured %.0f" %
              (name, rend, a["AVERAGE-BANDWIDTH"], av + extra_a))
        if rend in keysets:  # the same rendition with another audio group
            continue
        keys, total = check_video(pkg, rend, name, tmp)
        keysets[rend] = keys
        check(abs(total - src_dur["video"]) <= 0.1, "%s: %s lasts %.3f s, source %.3f s" %
              (name, rend, total, src_dur["video"]))
        s, pp, ll = avc1_of(pkg, rend, tmp)
        m = re.match(r"avc1\.([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", codecs)
        check(m and int(m.group(1), 16) == pp and int(m.group(3), 16) == ll,
              "%s: %s CODECS %s but stream is %s level %s" % (name, rend, codecs,
                                                             s.get("profile"), ll))
        check(a.get("RESOLUTION") == "%dx%d" % (s["width"], s["height"]),
              "%s: %s RESOLUTION %s vs %dx%d" % (name, rend, a.get("RESOLUTION"), s["width"],
                                                 s["height"]))
        check(s["width"] % 2 == 0 and s["height"] % 2 == 0, "%s: %s odd size" % (name, rend))
        check("FRAME-RATE" in a, "%s: %s without FRAME-RATE" % (name, rend))
        sizes.append((s["width"], s["height"]))
    if keysets:
        first = list(keysets.values())[0]
        for rend, keys in keysets.items():
            check(keys == first, "%s: keyframes of %s %s differ from %s" % (name, rend, keys, first))
        check(len(master["iframes"]) == len(keysets),
              "%s: %d I-frame playlists for %d renditions" %
              (name, len(master["iframes"]), len(keysets)))
        for fr in master["iframes"][:2]:
            check_iframe_playlist(pkg, fr["URI"], name, tmp)
    if expect_video is not None:
        check(sorted(sizes) == sorted(expect_video), "%s: renditions %s, expected %s" %
              (name, sorted(sizes), sorted(expect_video)))
    rates = {}  # height -> measured average bit rates of its video renditions
    for rend in keysets:
        rates.setdefault(int(re.match(r"\d+", rend).group()), []).append(
            measure(pkg, rend + "/index.m3u8")[1])
    for h, rs in rates.items():
        rs.sort()
        check(all(b > 1.15 * a for a, b in zip(rs, rs[1:])),
              "%s: %dp renditions within 15%% of each other: %s" % (name, h, rs))

    r = run(["ffmpeg", "-nostdin", "-v", "error", "-i", os.path.join(pkg, "master.m3u8"),
             "-map", "0", "-f", "null", "-"])
    check(r.returncode == 0 and r.stderr.strip() == "",
          "%s: ffmpeg decoding master.m3u8: rc %d: %s" % (name, r.returncode, r.stderr[:300]))
    check_manifest(pkg, name)
    return master


def transcode(src, out, *opts, expect_ok=True):
    t0 = time.time()
    r = run([BIN, src, out] + FAST + list(opts), timeout=200)
    print("  reel-transcode %s: rc %d in %.1f s" % (os.path.basename(src), r.returncode,
                                                     time.time() - t0))
    if expect_ok:
        check(r.returncode == 0, "transcode %s failed: %s" % (src, r.stderr.strip()))
    return r


# ---- cases ----

def case_basic(tmp):
    """640x360 + stereo: the two lower rungs, JSON progress, title metadata."""
    src = os.path.join(tmp, "basic.mp4")
    gen(src, "640x360", secs=8, audio=[("stereo", "eng")])
    out = os.path.join(tmp, "pkg_basic")
    r = run([BIN, src, out, "--preset=ultrafast", "--progress=json", "--title=Basic"])
    check(r.returncode == 0, "basic: rc %d %s" % (r.returncode, r.stderr))
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    check(lines and lines[-1]["event"] == "done" and lines[-1]["percent"] == 100.0,
          "basic: progress lines do not end with done 100%%: %s" % lines[-1:])
    check_package(out, src, "basic", tmp, expect_video=[(416, 234), (640, 360)],
                  expect_audio=["en"])
    m = json.load(open(os.path.join(out, "manifest.json")))
    check(m["title"] == "Basic" and abs(m["duration"] - 8) < 0.1, "basic: title metadata %s" %
          {k: m.get(k) for k in ("title", "duration")})
    r = transcode(src, out, expect_ok=False)
    check(r.returncode != 0 and "exists" in r.stderr, "basic: overwriting a package: %s" % r.stderr)


def case_full_ladder(tmp):
    """1080p source: all eight rungs of the default ladder, 2 s segments."""
    src = os.path.join(tmp, "hd.mp4")
    gen(src, "1920x1080", secs=4, audio=[("stereo", "eng")])
    out = os.path.join(tmp, "pkg_hd")
    transcode(src, out, "--segment=2")
    check_package(out, src, "hd", tmp, expect_video=[
        (416, 234), (640, 360), (768, 432), (960, 540), (1280, 720), (1280, 720), (1920, 1080),
        (1920, 1080)])


def case_odd_sizes(tmp):
    """854x480 without audio, and a 2.40:1 picture: aspect kept, even sizes, no upscale."""
    src = os.path.join(tmp, "odd.mkv")
    gen(src, "854x480", secs=4)
    out = os.path.join(tmp, "pkg_odd")
    transcode(src, out, "--segment=2")
    check_package(out, src, "odd", tmp,
                  expect_video=[(416, 234), (640, 360), (768, 432), (854, 480)], expect_audio=[])
    src = os.path.join(tmp, "scope.mp4")
    gen(src, "1920x800", secs=2, audio=[("stereo", "und")])
    out = os.path.join(tmp, "pkg_scope")
    transcode(src, out, "--ladder=1280x720@3000,640x360@365", "--segment=1")
    check_package(out, src, "scope", tmp, expect_video=[(1280, 534), (640, 266)])


def case_small_sources(tmp):
    """Sources below the ladder's top keep a rung at their own display size, with square
    pixels: 352x288 of 12:11 pixels (shown 384x288) and 320x240."""
    for size, sar, want in (("352x288", "12/11", [(312, 234), (384, 288)]),
                            ("320x240", "1", [(312, 234), (320, 240)])):
        src = os.path.join(tmp, "small_%s.mp4" % size)
        gen(src, size, secs=2, audio=[("stereo", "eng")], extra_out=["-vf", "setsar=" + sar])
        out = os.path.join(tmp, "pkg_small_" + size)
        transcode(src, out, "--segment=1")
        check_package(out, src, "small " + size, tmp, expect_video=want)
        m = json.load(open(os.path.join(out, "manifest.json")))
        top = [v for v in m["video"] if (v["width"], v["height"]) == want[-1]]
        check(len(top) == 1 and top[0]["path"] == "%dp" % want[-1][1] and
              145 < top[0]["target_kbps"] < 365,
              "small %s: the rung at its own size %s" % (size, top))
        st = probe_json("-select_streams", "v:0", "-show_entries",
                        "stream=width,height,sample_aspect_ratio",
                        first_segment(out, "%dp" % want[-1][1], tmp))["streams"][0]
        check((st["width"], st["height"]) == want[-1] and
              st.get("sample_aspect_ratio", "1:1") in ("1:1", "N/A"),
              "small %s: %s" % (size, st))


def case_near_duplicates(tmp):
    """A still 1920x720 picture at 100 kb/s: the 3000/4500 kb/s 480p and the 6000/7800 kb/s
    720p rungs come out at nearly the same measured rate; the upper one of each goes."""
    src = os.path.join(tmp, "still.mp4")
    ffmpeg("-f", "lavfi", "-i", "smptehdbars=size=1920x720:rate=30:duration=4", "-f", "lavfi",
           "-i", "sine=duration=4", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "100k",
           "-pix_fmt", "yuv420p", "-c:a", "aac", src)
    out = os.path.join(tmp, "pkg_still")
    transcode(src, out, "--segment=2")
    check_package(out, src, "near-duplicates", tmp, expect_video=[
        (416, 156), (640, 240), (768, 288), (960, 360), (1280, 480), (1920, 720)])
    m = json.load(open(os.path.join(out, "manifest.json")))
    got = sorted((v["path"], v["target_kbps"]) for v in m["video"])
    check(got == [("156p", 145), ("240p", 365), ("288p", 730), ("360p", 2000), ("480p", 3000),
                  ("720p", 6000)], "near-duplicates: renditions %s" % got)
    check(not [d for d in os.listdir(out) if "_" in d and d[0].isdigit()],
          "near-duplicates: folders %s" % os.listdir(out))


def case_rotated(tmp):
    """A phone-style source: 640x360 flagged rotated by 90 degrees plays as 360x640."""
    flat = os.path.join(tmp, "flat.mp4")
    gen(flat, "640x360", secs=2, audio=[("stereo", "eng")])
    data = bytearray(open(flat, "rb").read())
    i = data.find(b"tkhd")  # the video track comes first; version 0 box
    struct.pack_into(">9i", data, i + 4 + 40, 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    src = os.path.join(tmp, "rotated.mp4")
    with open(src, "wb") as f:
        f.write(data)
    out = os.path.join(tmp, "pkg_rot")
    transcode(src, out, "--segment=1")
    check_package(out, src, "rotated", tmp,
                  expect_video=[(132, 234), (202, 360), (244, 432), (304, 540), (360, 640)])


def check_surround(pkg, name, codec, tmp):
    """A 5.1 track (English) and a stereo one (French): AAC stereo group "aud" with both,
    multichannel group with the 5.1 one in CODEC and the French AAC; every video in both."""
    master = parse_master(os.path.join(pkg, "master.m3u8"))
    check_group_rules(master, name)
    entry = {"ac3": "ac-3", "eac3": "ec-3"}[codec]
    gid = "aud-" + entry.replace("-", "")
    groups = {}
    for m in media_of(master, "AUDIO"):
        groups.setdefault(m["GROUP-ID"], []).append(
            (m.get("LANGUAGE"), m.get("NAME"), m.get("CHANNELS"), m["URI"]))
    want = {"aud": [("en", "English", "2", "audio_en/index.m3u8"),
                    ("fr", "Fran\u00e7ais", "2", "audio_fr/index.m3u8")],
            gid: [("en", "English", "6", "audio_en_%s/index.m3u8" % entry.replace("-", "")),
                  ("fr", "Fran\u00e7ais", "2", "audio_fr/index.m3u8")]}
    check({g: sorted(v) for g, v in groups.items()} == want, "%s: audio groups %s, expected %s"
          % (name, groups, want))
    uri = want[gid][0][3]
    st = probe_json("-show_entries", "stream=codec_name,channels,channel_layout,sample_rate",
                    first_segment(pkg, os.path.dirname(uri), tmp))["streams"][0]
    check(st["codec_name"] == codec and st["channels"] == 6 and
          st.get("channel_layout") in ("5.1", "5.1(side)"),
          "%s: the multichannel rendition is %s" % (name, st))
    by_group = {}
    for a, u in master["variants"]:
        by_group.setdefault(a.get("AUDIO"), []).append(u)
    check(sorted(by_group) == sorted(["aud", gid]) and
          sorted(by_group["aud"]) == sorted(by_group[gid]),
          "%s: variants by audio group %s" % (name, by_group))
    for a, u in master["variants"]:
        c = a.get("CODECS", "").split(",")
        check((entry in c) == (a.get("AUDIO") == gid) and "mp4a.40.2" in c,
              "%s: variant %s (%s) CODECS %s" % (name, u, a.get("AUDIO"), c))
    # ffmpeg reads the master with both groups: the 5.1 and the stereo renditions
    j = probe_json("-show_entries", "stream=codec_name,channels", os.path.join(pkg, "master.m3u8"))
    got = {(x["codec_name"], x.get("channels")) for x in j["streams"] if x.get("channels")}
    check(got == {("aac", 2), (codec, 6)}, "%s: ffprobe of the master: %s" % (name, got))
    m = json.load(open(os.path.join(pkg, "manifest.json")))
    got = sorted((x["path"], x["codecs"], x["channels"], x["group"]) for x in m["audio"])
    check(got == sorted([("audio_en", "mp4a.40.2", 2, "aud"), ("audio_fr", "mp4a.40.2", 2, "aud"),
                         (os.path.dirname(uri), entry, 6, gid)]) and
          m.get("audio_languages") == ["en", "fr"],
          "%s: manifest audio %s %s" % (name, got, m.get("audio_languages")))


def case_surround(tmp):
    """5.1 audio: downmixed to stereo AAC and kept as AC-3 5.1 in its own audio group
    (E-AC-3 with --surround=eac3, MPEG-TS too); --surround=none keeps stereo only."""
    global TS
    src = os.path.join(tmp, "surround.mkv")
    gen(src, "640x360", secs=4, audio=[("5.1", "eng"), ("stereo", "fre")])
    out = os.path.join(tmp, "pkg_51")
    transcode(src, out, "--ladder=640x360@365,416x234@145", "--segment=2")
    check_package(out, src, "surround", tmp, expect_audio=["en", "fr"])
    check_surround(out, "surround", "ac3", tmp)
    out = os.path.join(tmp, "pkg_51_ts")
    transcode(src, out, "--ladder=640x360@365", "--segment=2", "--format=ts",
              "--surround=eac3", "--surround-bitrate=256")
    TS = True
    try:
        check_package(out, src, "surround-ts", tmp, expect_audio=["en", "fr"])
        check_surround(out, "surround-ts", "eac3", tmp)
    finally:
        TS = False
    out = os.path.join(tmp, "pkg_51_none")
    transcode(src, out, "--ladder=640x360@365", "--segment=2", "--surround=none")
    master = check_package(out, src, "surround-none", tmp, expect_audio=["en", "fr"])
    check({m["GROUP-ID"] for m in master["media"]} == {"aud"},
          "surround-none: groups %s" % master["media"])
    src = os.path.join(tmp, "surround.m4a")  # audio only: one variant per group
    gen(src, None, secs=3, audio=[("5.1", "eng")])
    out = os.path.join(tmp, "pkg_51_audio")
    transcode(src, out, "--segment=1")
    master = check_package(out, src, "surround-audio", tmp, expect_video=[], expect_audio=["en"])
    got = sorted((a.get("AUDIO"), a.get("CODECS"), u) for a, u in master["variants"])
    check(got == [("aud", "mp4a.40.2", "audio_en/index.m3u8"),
                  ("aud-ac3", "ac-3", "audio_en_ac3/index.m3u8")],
          "surround-audio: variants %s" % got)


def media_of(master, kind):
    return [m for m in master["media"] if m["TYPE"] == kind]


def check_group_rules(master, name):
    """RFC 8216 4.3.4.1.1: NAMEs unique in a group, one DEFAULT, distinct AUTOSELECT members."""
    groups = {}
    for m in master["media"]:
        groups.setdefault((m["TYPE"], m["GROUP-ID"]), []).append(m)
    for (kind, gid), ms in groups.items():
        names = [m["NAME"] for m in ms]
        check(len(set(names)) == len(names), "%s: %s group %s repeats a NAME: %s" %
              (name, kind, gid, names))
        check(sum(m.get("DEFAULT") == "YES" for m in ms) <= 1, "%s: group %s: two defaults" %
              (name, gid))
        auto = [(m.get("LANGUAGE"), m.get("FORCED")) for m in ms if m.get("AUTOSELECT") == "YES"]
        check(len(set(auto)) == len(auto), "%s: group %s: AUTOSELECT=YES members share a "
              "language: %s" % (name, gid, auto))
        for m in ms:
            check(not re.match(r"(audio|subs)_", m["NAME"]), "%s: NAME %r is a folder name" %
                  (name, m["NAME"]))


def case_languages(tmp):
    """Matroska's ISO 639-2/B codes (ger, fre, eng twice, one a commentary), the French
    default, SRT subtitles full and forced; then MP4's 639-2/T (deu, jpn) and a track
    without a language: RFC 5646 LANGUAGE tags, NAMEs for a menu."""
    srt = os.path.join(tmp, "subs.srt")
    with open(srt, "w") as f:
        f.write("1\n00:00:00,500 --> 00:00:02,000\nHello\n\n2\n00:00:02,500 --> 00:00:03,500\n"
                "World\n")
    src = os.path.join(tmp, "langs.mkv")
    gen(src, "640x360", secs=4,
        audio=[("stereo", "ger"), ("mono", "fre"), ("stereo", "eng"), ("stereo", "eng")],
        extra_in=["-i", srt],
        extra_out=["-map", "5:s", "-map", "5:s", "-c:s", "srt",
                   "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=eng",
                   "-disposition:s:1", "forced", "-metadata:s:a:0", "title=Stereo",
                   "-metadata:s:a:3", "title=Director's commentary",
                   "-disposition:a:0", "0", "-disposition:a:1", "default"])
    out = os.path.join(tmp, "pkg_langs")
    transcode(src, out, "--ladder=640x360@365", "--segment=2")
    master = check_package(out, src, "langs", tmp, expect_audio=["de", "fr", "en", "en"])
    check_group_rules(master, "langs")
    audio = {m["URI"]: m for m in media_of(master, "AUDIO")}
    want = {"audio_de/index.m3u8": ("de", "Deutsch", "NO", "YES"),
            "audio_fr/index.m3u8": ("fr", "Fran\u00e7ais", "YES", "YES"),
            "audio_en/index.m3u8": ("en", "English", "NO", "YES"),
            "audio_en_2/index.m3u8": ("en", "English (Director's commentary)", "NO", "NO")}
    got = {u: (m.get("LANGUAGE"), m.get("NAME"), m.get("DEFAULT"), m.get("AUTOSELECT"))
           for u, m in audio.items()}
    check(got == want, "langs: audio renditions %s, expected %s" % (got, want))
    subs = media_of(master, "SUBTITLES")
    got = sorted((m.get("LANGUAGE"), m.get("NAME"), m.get("FORCED"), m.get("AUTOSELECT"))
                 for m in subs)
    check(got == [("en", "English", "NO", "YES"), ("en", "English (forced)", "YES", "YES")],
          "langs: subtitle renditions %s" % got)
    check(all('SUBTITLES="%s"' % subs[0]["GROUP-ID"] in "".join(
        "%s=\"%s\"" % kv for kv in a.items()) for a, _ in master["variants"]) if subs else False,
        "langs: variants do not reference the subtitle group")
    m = json.load(open(os.path.join(out, "manifest.json")))
    check(m.get("audio_languages") == ["de", "fr", "en", "en"] and
          [a["name"] for a in m["audio"]] == ["Deutsch", "Fran\u00e7ais", "English",
                                              "English (Director's commentary)"] and
          m.get("subtitle_languages") == ["en", "en"],
          "langs: manifest languages %s %s" % (m.get("audio_languages"), m.get("audio")))
    # a player sees the tags: ffprobe through the master playlist
    j = probe_json("-show_entries", "stream=codec_type:stream_tags=language", os.path.join(
        out, "master.m3u8"))
    langs = sorted(st.get("tags", {}).get("language", "") for st in j["streams"]
                   if st["codec_type"] == "audio")
    check(langs == ["de", "en", "en", "fr"], "langs: ffprobe of the master: %s" % langs)
    sub = [x for x in subs if x.get("FORCED") == "NO"]
    if sub:
        p = parse_media(os.path.join(out, sub[0]["URI"]))
        v = parse_media(os.path.join(out, "360p", "index.m3u8"))
        check([d for _, d, _ in p["segs"]] == [d for _, d, _ in v["segs"]],
              "langs: subtitle segments do not follow the video's")
        text = "".join(open(os.path.join(out, os.path.dirname(sub[0]["URI"]), u)).read()
                       for u, _, _ in p["segs"])
        # the MKV muxer shifted video and subtitles by the AAC priming (23 ms)
        check(text.startswith("WEBVTT") and "Hello" in text and "World" in text and
              re.search(r"00:00:00\.5[0-4]\d --> 00:00:02\.0[0-4]\d", text),
              "langs: WebVTT content %r" % text[:300])

    src = os.path.join(tmp, "langs.mp4")  # MP4 carries ISO 639-2/T
    gen(src, "320x180", secs=2, audio=[("stereo", "deu"), ("stereo", "jpn"), ("mono", "und")])
    out = os.path.join(tmp, "pkg_langs_mp4")
    transcode(src, out, "--ladder=320x180@200", "--segment=1")
    master = check_package(out, src, "langs-mp4", tmp, expect_audio=["de", "ja", "und"])
    check_group_rules(master, "langs-mp4")
    got = sorted((m.get("LANGUAGE"), m.get("NAME")) for m in media_of(master, "AUDIO"))
    check(got == [("de", "Deutsch"), ("ja", "\u65e5\u672c\u8a9e"), ("und", "Audio")],
          "langs-mp4: audio renditions %s" % got)


def write_pgs(path):
    """A Blu-ray (PGS) subtitle file: a 2x2 picture shown from 1 s to 2 s."""
    def seg(pts, kind, payload):
        return b"PG" + struct.pack(">IIBH", pts, 0, kind, len(payload)) + payload

    def display_set(pts, show):
        objs = struct.pack(">HBBHH", 0, 0, 0, 100, 100) if show else b""
        out = seg(pts, 0x16, struct.pack(">HHBHBBBB", 640, 360, 0x10, 1 if show else 2,
                                         0x80 if show else 0, 0, 0, 1 if show else 0) + objs)
        out += seg(pts, 0x17, struct.pack(">BBHHHH", 1, 0, 100, 100, 2, 2))
        if show:
            out += seg(pts, 0x14, bytes([0, 0, 1, 235, 128, 128, 255]))
            rle = bytes([1, 1, 0, 0, 1, 1, 0, 0])
            out += seg(pts, 0x15, struct.pack(">HBB", 0, 0, 0xC0) +
                       (len(rle) + 4).to_bytes(3, "big") + struct.pack(">HH", 2, 2) + rle)
        return out + seg(pts, 0x80, b"")

    with open(path, "wb") as f:
        f.write(display_set(90000, True) + display_set(180000, False))


def case_skipped(tmp):
    """Streams that are not packaged (PGS and DVD subtitles, a second video, an attachment;
    cover art and timecode tracks in MP4) are listed with their reason in manifest.json
    and in --progress=json's final event, and warned about on stderr."""
    pgs, dvd = os.path.join(tmp, "subs.sup"), os.path.join(tmp, "dvd.vob")
    write_pgs(pgs)
    ffmpeg("-i", pgs, "-c:s", "dvdsub", "-f", "vob", dvd)  # PS keeps no bogus duration
    srt = os.path.join(tmp, "subs.srt")
    with open(srt, "w") as f:
        f.write("1\n00:00:00,500 --> 00:00:01,500\nHello\n")
    src = os.path.join(tmp, "skipped.mkv")
    gen(src, "640x360", secs=3, audio=[("stereo", "eng")],
        extra_in=["-i", pgs, "-i", dvd, "-i", srt, "-f", "lavfi", "-i",
                  "testsrc2=size=160x90:rate=30:duration=3"],
        extra_out=["-map", "2:s", "-map", "3:s", "-map", "4:s", "-map", "5:v", "-c:s:0", "copy",
                   "-c:s:1", "copy", "-c:s:2", "srt", "-metadata:s:s:0", "language=ger",
                   "-metadata:s:s:0", "title=Signs", "-metadata:s:s:1", "language=fre",
                   "-metadata:s:s:2", "language=eng", "-attach", srt, "-metadata:s:t",
                   "mimetype=text/plain"])
    probe = probe_json("-show_entries", "stream=index,codec_name,codec_type", src)["streams"]
    kinds = {st["index"]: st.get("codec_name", st["codec_type"]) for st in probe}
    out = os.path.join(tmp, "pkg_skipped")
    r = run([BIN, src, out, "--preset=ultrafast", "--progress=json", "--ladder=640x360@365",
             "--segment=1"])
    check(r.returncode == 0, "skipped: rc %d %s" % (r.returncode, r.stderr))
    master = check_package(out, src, "skipped", tmp, expect_video=[(640, 360)],
                           expect_audio=["en"])
    subs = [(m.get("LANGUAGE"), m.get("URI")) for m in media_of(master, "SUBTITLES")]
    check(subs == [("en", "subs_en/index.m3u8")], "skipped: subtitle renditions %s" % subs)
    m = json.load(open(os.path.join(out, "manifest.json")))
    got = [(k["stream"], k["type"], k["codec"], k["language"], k["reason"])
           for k in m.get("skipped_streams", [])]
    idx = {v: k for k, v in kinds.items()}
    want = [(idx["hdmv_pgs_subtitle"], "subtitle", "hdmv_pgs_subtitle", "de", "bitmap_subtitle"),
            (idx["dvd_subtitle"], "subtitle", "dvd_subtitle", "fr", "bitmap_subtitle"),
            (max(k for k, v in kinds.items() if v == "h264"), "video", "h264", "und",
             "extra_video"),
            (max(kinds), "attachment", "none", "und", "attachment")]
    check(sorted(got) == sorted(want), "skipped: manifest skipped_streams %s, expected %s (%s)"
          % (got, want, kinds))
    check(all(k.get("message") and str(k["stream"]) in k["message"]
              for k in m.get("skipped_streams", [])), "skipped: messages %s" %
          m.get("skipped_streams"))
    check([k["title"] for k in m.get("skipped_streams", []) if k["language"] == "de"] ==
          ["Signs"], "skipped: the PGS track's title is not kept")
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    done = lines[-1] if lines else {}
    check(done.get("event") == "done" and done.get("skipped_streams") == m.get("skipped_streams"),
          "skipped: the final progress event lists %s" % done.get("skipped_streams"))
    warned = [l for l in r.stderr.splitlines() if "skipped" in l]
    check(len(warned) == len(want) and all(src in l for l in warned),
          "skipped: stderr warnings %r" % r.stderr)

    src = os.path.join(tmp, "cover.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=2", "-f", "lavfi", "-i",
           "sine=duration=2", "-f", "lavfi", "-i", "testsrc2=size=64x64:duration=0.04",
           "-map", "0", "-map", "1", "-map", "2", "-c:v:0", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:v:1", "png", "-disposition:v:1", "attached_pic", "-c:a",
           "aac", "-timecode", "00:00:00:00", src)
    out = os.path.join(tmp, "pkg_cover")
    transcode(src, out, "--ladder=640x360@365", "--segment=1")
    m = json.load(open(os.path.join(out, "manifest.json")))
    reasons = sorted((k["codec"], k["reason"]) for k in m.get("skipped_streams", []))
    check(("png", "cover_art") in reasons and ("tmcd", "data") in reasons and
          {r for _, r in reasons} == {"cover_art", "data"},
          "skipped: MP4 skipped_streams %s" % reasons)


def case_audio_only(tmp):
    src = os.path.join(tmp, "audio.m4a")
    gen(src, None, secs=7, audio=[("stereo", "eng")])
    out = os.path.join(tmp, "pkg_audio")
    transcode(src, out)
    master = check_package(out, src, "audio-only", tmp, expect_video=[], expect_audio=["en"])
    check(len(master["variants"]) == 1 and master["variants"][0][0].get("CODECS") == "mp4a.40.2",
          "audio-only: variants %s" % master["variants"])


def case_vfr(tmp):
    """Variable frame rate (frames at 1/30 and 1/15 s alternately) in MKV."""
    src = os.path.join(tmp, "vfr.mkv")
    gen(src, "640x360", secs=4, audio=[("stereo", "eng")],
        extra_out=["-vf", "setpts='(N+floor(N/2))/30/TB'", "-fps_mode", "vfr"])
    out = os.path.join(tmp, "pkg_vfr")
    transcode(src, out, "--ladder=640x360@365", "--segment=2")
    check_package(out, src, "vfr", tmp)


def case_mpegts(tmp):
    """--format=ts: MPEG-TS segments, with a subtitle track (X-TIMESTAMP-MAP)."""
    global TS
    srt = os.path.join(tmp, "subs.srt")
    with open(srt, "w") as f:
        f.write("1\n00:00:01,000 --> 00:00:02,000\nHello\n")
    src = os.path.join(tmp, "ts_src.mkv")
    gen(src, "640x360", secs=5, audio=[("stereo", "eng")], extra_in=["-i", srt],
        extra_out=["-map", "2:s", "-c:s", "srt"])
    out = os.path.join(tmp, "pkg_ts")
    transcode(src, out, "--format=ts", "--segment=2")
    TS = True
    try:
        check_package(out, src, "mpegts", tmp, expect_video=[(416, 234), (640, 360)],
                      expect_audio=["en"])
    finally:
        TS = False
    check(not any(f.endswith(".m4s") or f == "init.mp4" for _, _, fs in os.walk(out)
                  for f in fs), "mpegts: fMP4 files in a TS package")
    master = parse_master(os.path.join(out, "master.m3u8"))
    check(len(master["iframes"]) == 2 and "#EXT-X-VERSION:5" in master["tags"],
          "mpegts: I-frame playlists %s" % master["iframes"])
    vtt = open(os.path.join(out, "subs_und", "seg_00001.vtt")).read()
    check("X-TIMESTAMP-MAP=MPEGTS:90000,LOCAL:00:00:00.000" in vtt, "mpegts: WebVTT %r" % vtt)


def case_encrypted(tmp):
    """HLS AES-128: sequence IVs and random per-segment IVs; the key stays out."""
    key = os.urandom(16)
    keyfile = os.path.join(tmp, "key.bin")  # outside the package; URIs point at it
    with open(keyfile, "wb") as f:
        f.write(key)
    src = os.path.join(tmp, "enc.mp4")
    gen(src, "640x360", secs=4, audio=[("stereo", "eng")])
    for mode in ("sequence", "random"):
        out = os.path.join(tmp, "pkg_" + mode)
        transcode(src, out, "--segment=2", "--key-file=" + keyfile, "--key-uri=../../key.bin",
                  "--iv=" + mode)
        master = parse_master(os.path.join(out, "master.m3u8"))
        check(master["iframes"] == [], "encrypted: I-frame playlists listed")
        for a, uri in master["variants"]:
            text = open(os.path.join(out, uri)).read()
            keys = re.findall(r"#EXT-X-KEY:(.*)", text)
            want = 1 if mode == "sequence" else text.count("#EXTINF")
            check(len(keys) == want and all('METHOD=AES-128,URI="../../key.bin"' in k for k in keys),
                  "encrypted %s: %s keys %s" % (mode, uri, keys))
            check(text.index("#EXT-X-MAP") < text.index("#EXT-X-KEY"),
                  "encrypted: EXT-X-MAP must precede EXT-X-KEY (init in clear)")
            seg = os.path.join(out, os.path.dirname(uri), "seg_00002.m4s")
            data = open(seg, "rb").read()
            check(len(data) % 16 == 0 and b"moof" not in data[:64], "encrypted: %s in clear" % seg)
            iv = attrs(keys[1])["IV"][2:] if mode == "random" else "%032x" % 1
            if not shutil.which("openssl"):
                continue
            r = subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-K", key.hex(), "-iv", iv,
                                "-in", seg, "-out", os.path.join(tmp, "plain.m4s")],
                               capture_output=True)
            check(r.returncode == 0, "encrypted: openssl cannot decrypt %s" % seg)
            pk = keyframes_of_segment(os.path.join(out, os.path.dirname(uri), "init.mp4"),
                                      os.path.join(tmp, "plain.m4s"), tmp)
            check(pk and "K" in pk[0]["flags"], "encrypted: decrypted %s does not start with "
                  "a keyframe" % seg)
        r = run(["ffmpeg", "-nostdin", "-v", "error", "-allowed_extensions", "ALL", "-i",
                 os.path.join(out, "master.m3u8"), "-map", "0", "-f", "null", "-"])
        check(r.returncode == 0 and r.stderr.strip() == "", "encrypted %s: ffmpeg: %s" %
              (mode, r.stderr[:300]))
        m = check_manifest(out, "encrypted")
        check(m.get("encryption", {}).get("iv") == mode, "encrypted: manifest %s" %
              m.get("encryption"))
        for root, _, files in os.walk(out):
            for f in files:
                data = open(os.path.join(root, f), "rb").read()
                check(key not in data and key.hex().encode() not in data.lower(),
                      "encrypted: the key is in %s" % f)


def case_corrupt(tmp):
    """Garbage over part of the media data: concealed and counted, as ffmpeg does."""
    src = os.path.join(tmp, "good.mp4")
    gen(src, "640x360", secs=4, audio=[("stereo", "eng")])
    data = bytearray(open(src, "rb").read())
    for off in range(len(data) // 3, len(data) // 3 + 100000, 5000):
        data[off:off + 64] = os.urandom(64)
    bad_src = os.path.join(tmp, "corrupt.mp4")
    with open(bad_src, "wb") as f:
        f.write(data)
    out = os.path.join(tmp, "pkg_corrupt")
    transcode(bad_src, out, "--ladder=640x360@365")
    m = check_manifest(out, "corrupt")
    check(m.get("concealed_errors", 0) > 0, "corrupt: no concealed errors counted")
    r = run(["ffmpeg", "-nostdin", "-v", "error", "-i", os.path.join(out, "master.m3u8"),
             "-map", "0", "-f", "null", "-"])
    check(r.returncode == 0 and r.stderr.strip() == "", "corrupt: ffmpeg: %s" % r.stderr[:300])


def case_bbb(tmp):
    """The shared sample file, when present (60 s, 640x360)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                       "media", "bbb.mp4")
    src = os.environ.get("REEL_BBB", src)
    if not os.path.exists(src):
        print("  skipped: no", src)
        return
    out = os.path.join(tmp, "pkg_bbb")
    transcode(src, out, "--ladder=640x360@365")
    check_package(out, src, "bbb", tmp)


def bad(tmp, name, src, want):
    out = os.path.join(tmp, "pkg_" + name)
    r = transcode(src, out, expect_ok=False)
    lines = r.stderr.strip().splitlines()
    check(r.returncode not in (0, -6, -11) and r.returncode > 0,
          "%s: exit status %d" % (name, r.returncode))
    check(len(lines) == 1 and src in lines[0] and re.search(want, lines[0]),
          "%s: expected one line naming the file and /%s/, got %r" % (name, want, r.stderr))
    check(not os.path.exists(out), "%s: a package was left behind" % name)
    check(not [d for d in os.listdir(tmp) if ".tmp-" in d], "%s: temp folder left" % name)


def case_bad_inputs(tmp):
    p = os.path.join(tmp, "empty.mp4")
    open(p, "w").close()
    bad(tmp, "empty", p, "empty")
    p = os.path.join(tmp, "text.mp4")
    with open(p, "w") as f:
        f.write("this is not a video\n" * 50)
    bad(tmp, "text", p, "not a media file")
    bad(tmp, "missing", os.path.join(tmp, "nope.mp4"), "No such file")
    src = os.path.join(tmp, "whole.mp4")
    gen(src, "640x360", secs=4, audio=[("stereo", "eng")])
    data = open(src, "rb").read()
    p = os.path.join(tmp, "truncated.mp4")  # moov at the end: it is cut off
    with open(p, "wb") as f:
        f.write(data[:len(data) // 2])
    bad(tmp, "truncated", p, "truncated")
    fs = os.path.join(tmp, "faststart.mp4")
    ffmpeg("-i", src, "-c", "copy", "-movflags", "+faststart", fs)
    data = open(fs, "rb").read()
    p = os.path.join(tmp, "truncated_fs.mp4")  # moov first, media cut off
    with open(p, "wb") as f:
        f.write(data[:len(data) // 3])
    bad(tmp, "truncated_fs", p, "truncated")
    p = os.path.join(tmp, "huge.y4m")
    with open(p, "wb") as f:
        f.write(b"YUV4MPEG2 W100000 H100000 F30:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\x80" * 4096)
    bad(tmp, "absurd", p, "dimension|size")


def case_stall(tmp):
    """A source that never delivers data (a FIFO held open): the watchdog ends it."""
    fifo = os.path.join(tmp, "stalled.ts")
    os.mkfifo(fifo)
    hold = os.open(fifo, os.O_RDWR)  # a writer that never writes
    try:
        out = os.path.join(tmp, "pkg_stall")
        t0 = time.time()
        r = run([BIN, fifo, out, "--stall-timeout=1", "--progress=none"], timeout=60)
        took = time.time() - t0
    finally:
        os.close(hold)
    lines = r.stderr.strip().splitlines()
    check(r.returncode > 0, "stall: exit status %d" % r.returncode)
    check(took < 20, "stall: took %.1f s" % took)
    check(len(lines) == 1 and fifo in lines[0] and "no progress" in lines[0],
          "stall: message %r" % r.stderr)
    check(not os.path.exists(out) and not [d for d in os.listdir(tmp) if ".tmp-" in d],
          "stall: output left behind")


CASES = {
    "basic": case_basic,
    "full_ladder": case_full_ladder,
    "odd_sizes": case_odd_sizes,
    "rotated": case_rotated,
    "small_sources": case_small_sources,
    "near_duplicates": case_near_duplicates,
    "surround": case_surround,
    "languages": case_languages,
    "skipped": case_skipped,
    "audio_only": case_audio_only,
    "vfr": case_vfr,
    "mpegts": case_mpegts,
    "encrypted": case_encrypted,
    "bbb": case_bbb,
    "bad_inputs": case_bad_inputs,
    "corrupt": case_corrupt,
    "stall": case_stall,
}


def main():
    global BIN
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--bin":
        BIN = args[1]
        args = args[2:]
    if not BIN or not os.access(BIN, os.X_OK):
        print("reel-transcode binary not found: pass --bin PATH or set REEL_TRANSCODE")
        return 2
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            print("SKIP: %s not installed" % tool)
            return 77
    names = args or list(CASES)
    t0 = time.time()
    for name in names:
        print("case", name)
        tmp = tempfile.mkdtemp(prefix="reel-tc-%s-" % name)
        try:
            t1 = time.time()
            CASES[name](tmp)
            print("  done in %.1f s" % (time.time() - t1))
        except Exception as e:  # a crash of the harness is a failure too
            failures.append("%s: %s: %s" % (name, type(e).__name__, e))
            print("  FAIL:", failures[-1])
        finally:
            if not failures or os.environ.get("REEL_KEEP") is None:
                shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s) in %.1f s" % (len(failures), time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
