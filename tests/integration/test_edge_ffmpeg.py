#!/usr/bin/env python3
"""ffmpeg as a real client: it reads a whole HLS package (testsrc2 + sine,
two video renditions and one audio group) through reel-edge, and ffprobe sees
its streams.  Skipped (77) without ffmpeg."""

import json
import os
import re
import signal
import subprocess
import time

import edgetest as et

TITLE = "sample"
SECONDS = 6


def make_package(t, out):
    """tools/make-sample-package when present, else the same layout inline."""
    tool = os.path.join(et.SOURCE_ROOT, "tools", "make-sample-package")
    if os.access(tool, os.X_OK):
        p = subprocess.run([tool, out, str(SECONDS)], capture_output=True, timeout=120)
        t.check("tools/make-sample-package succeeds", p.returncode == 0,
                p.stderr.decode(errors="replace")[-500:])
        return
    tmp = out + ".tmp"
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=%d" % SECONDS,
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%d" % SECONDS,
           "-filter_complex", "[0:v]split=2[v360][vin];[vin]scale=416:234[v234]",
           "-map", "[v360]", "-map", "[v234]", "-map", "1:a",
           "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
           "-b:v:0", "800k", "-b:v:1", "300k", "-force_key_frames", "expr:gte(t,n_forced*2)",
           "-c:a", "aac", "-b:a", "128k", "-ac", "2",
           "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
           "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
           "-start_number", "1", "-hls_segment_filename", tmp + "/%v/seg_%05d.m4s",
           "-master_pl_name", "master.m3u8",
           "-var_stream_map", "v:0,agroup:aud,name:360p v:1,agroup:aud,name:234p "
           "a:0,agroup:aud,name:audio_und,language:und,default:yes",
           tmp + "/%v/index.m3u8"]
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    t.check("inline ffmpeg package encode succeeds", p.returncode == 0,
            p.stderr.decode(errors="replace")[-500:])
    for r in ("360p", "234p", "audio_und"):  # ffmpeg names them init_N.mp4
        d = os.path.join(tmp, r)
        inits = [f for f in os.listdir(d) if f.startswith("init") and f.endswith(".mp4")]
        if inits and inits[0] != "init.mp4":
            os.rename(os.path.join(d, inits[0]), os.path.join(d, "init.mp4"))
            pl = os.path.join(d, "index.m3u8")
            text = open(pl).read().replace('URI="%s"' % inits[0], 'URI="init.mp4"')
            open(pl, "w").write(text)
    os.rename(tmp, out)


def check_layout(t, pkg):
    want = ["master.m3u8"] + ["%s/%s" % (r, f) for r in ("360p", "234p", "audio_und")
                              for f in ("index.m3u8", "init.mp4", "seg_00001.m4s")]
    missing = [w for w in want if not os.path.isfile(os.path.join(pkg, w))]
    t.check("the package has the DESIGN.md layout", not missing, missing)


def check_ffmpeg_reads(t, port, pkg):
    url = "http://127.0.0.1:%d/%s/master.m3u8" % (port, TITLE)
    t0 = time.monotonic()
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-map", "0",
                        "-c", "copy", "-f", "null", "-"], capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    t.check("ffmpeg -i master.m3u8 -map 0 -c copy -f null - exits 0",
            p.returncode == 0, "rc=%d %s" % (p.returncode, err[-800:]))
    t.check("  with no error output", err.strip() == "", err[-800:])
    t.check("  in reasonable time", time.monotonic() - t0 < 30, time.monotonic() - t0)
    # decode everything too (not only demux): a corrupt byte would show as an error
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", url, "-map", "0",
                        "-f", "null", "-"], capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    t.check("ffmpeg decodes every stream of the package without errors",
            p.returncode == 0 and err.strip() == "", "rc=%d %s" % (p.returncode, err[-800:]))


def check_ffprobe(t, port):
    url = "http://127.0.0.1:%d/%s/master.m3u8" % (port, TITLE)
    p = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", url],
                       capture_output=True, timeout=60)
    try:
        streams = json.loads(p.stdout.decode()).get("streams", [])
    except ValueError:
        streams = []
    video = sorted((s.get("width"), s.get("height")) for s in streams
                   if s.get("codec_type") == "video")
    audio = [s.get("codec_name") for s in streams if s.get("codec_type") == "audio"]
    t.check("ffprobe exits 0 without errors", p.returncode == 0 and not p.stderr.strip(),
            p.stderr.decode(errors="replace")[-500:])
    t.check("ffprobe sees the 416x234 and 640x360 H.264 video streams",
            (416, 234) in video and (640, 360) in video and
            all(s.get("codec_name") == "h264" for s in streams
                if s.get("codec_type") == "video"), video)
    t.check("ffprobe sees the AAC audio stream", "aac" in audio, audio)


def check_access_log(t, e, alog, pkg):
    e.signal(signal.SIGUSR1)
    time.sleep(0.7)
    lines = open(alog).read().splitlines() if os.path.exists(alog) else []
    reqs = [re.search(r'"GET (\S+) HTTP/1\.1" (\d{3}) (\d+)', ln) for ln in lines]
    reqs = [(m.group(1), int(m.group(2)), int(m.group(3))) for m in reqs if m]
    paths = {p for p, _, _ in reqs}
    segs = sorted(f for f in os.listdir(os.path.join(pkg, "360p")) if f.endswith(".m4s"))
    t.check("the access log shows every 360p segment fetched through the edge",
            all("/%s/360p/%s" % (TITLE, s) in paths for s in segs) and len(segs) >= 3,
            sorted(paths)[:20])
    bad = [r for r in reqs if r[1] not in (200, 206)]
    t.check("no request of ffmpeg or ffprobe got an error status", not bad, bad[:5])
    # ffmpeg asks with "Range: bytes=0-": count the body bytes sent per segment
    sent = {}
    for path, _, size in reqs:
        if path.endswith(".m4s"):
            sent[path] = sent.get(path, 0) + size
    short = [(p, n) for p, n in sent.items()
             if n < os.path.getsize(os.path.join(pkg, *p.split("/")[2:]))]
    t.check("every segment went out whole (body bytes in the log >= its size)",
            sent and not short, short[:5] or reqs[:5])


def main(t):
    if not (et.have("ffmpeg") and et.have("ffprobe")):
        raise et.Skip("ffmpeg/ffprobe not installed")
    root = os.path.join(t.tmp, "content")
    os.makedirs(root)
    pkg = os.path.join(root, TITLE)
    make_package(t, pkg)
    check_layout(t, pkg)
    alog = os.path.join(t.tmp, "access.log")
    e = t.edge(root, server={"workers": "2"}, log={"access_log": alog})
    check_ffmpeg_reads(t, e.port, pkg)
    check_ffprobe(t, e.port)
    check_access_log(t, e, alog, pkg)


if __name__ == "__main__":
    et.run(main)
