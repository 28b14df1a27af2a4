#!/usr/bin/env python3
"""Benchmark reel-transcode against the ffmpeg CLI on a generated 1080p source.

Issue 3's bar: on the same 1080p source (60 s by default), reel-transcode
against the best single ffmpeg command producing the same ladder (one decode,
split, same preset, bit rates, GOP and segmenting): median of 3 runs each,
wall-time ratio <= 1.0.  Also prints the ratio against one ffmpeg process per
rung run in turn.

usage: transcode_bench.py --bin build/transcoder/reel-transcode [--duration 60]
                          [--runs 3] [--preset veryfast] [--no-per-rung]
Python standard library only; the source is cached under tools/bench/out/.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import med

LADDER = [(416, 234, 145), (640, 360, 365), (768, 432, 730), (960, 540, 2000),
          (1280, 720, 3000), (1280, 720, 4500), (1920, 1080, 6000), (1920, 1080, 7800)]
SEGMENT = 6
FPS = 30


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))


def make_source(path, duration):
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    print("generating %s (%d s of 1080p%d)..." % (path, duration, FPS), flush=True)
    sh(["ffmpeg", "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=%d:duration=%d" % (FPS, duration),
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%d" % duration,
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-shortest", path + ".part.mp4"])
    os.rename(path + ".part.mp4", path)


def x264_args(preset):
    """The encoder settings reel-transcode uses, as ffmpeg CLI options."""
    gop = FPS * SEGMENT * 10 + 1
    return ["-preset", preset, "-g", str(gop), "-flags", "+cgop", "-forced-idr", "1",
            "-x264-params", "scenecut=0:open-gop=0",
            "-force_key_frames", "expr:gte(t,n_forced*%d)" % SEGMENT]


def rate_args(i, kbps, spec=True):
    s = ":%d" % i if spec else ""
    return ["-b:v" + s, "%dk" % kbps, "-maxrate:v" + s, "%dk" % (kbps * 11 // 10),
            "-bufsize:v" + s, "%dk" % (kbps * 2)]


def ffmpeg_single(src, out, preset):
    """One ffmpeg: decode once, split, scale once per distinct size (split again for
    rungs sharing a size, as reel-transcode does), 8 x264 encoders, HLS fMP4 muxer."""
    n = len(LADDER)
    sizes = sorted({(w, h) for w, h, _ in LADDER}, key=lambda s: s[1])
    users = {sz: [i for i, (w, h, _) in enumerate(LADDER) if (w, h) == sz] for sz in sizes}
    fc = "[0:v]split=%d%s" % (len(sizes), "".join("[s%d]" % j for j in range(len(sizes))))
    for j, (w, h) in enumerate(sizes):
        fc += ";[s%d]scale=%d:%d,setsar=1,format=yuv420p" % (j, w, h)
        rungs = users[(w, h)]
        if len(rungs) == 1:
            fc += "[o%d]" % rungs[0]
        else:
            fc += ",split=%d%s" % (len(rungs), "".join("[o%d]" % i for i in rungs))
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-filter_complex", fc]
    for i, (_, _, kbps) in enumerate(LADDER):
        cmd += ["-map", "[o%d]" % i, "-c:v:%d" % i, "libx264"] + rate_args(i, kbps)
    cmd += x264_args(preset)
    cmd += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]
    vsm = " ".join("v:%d,agroup:aud" % i for i in range(n)) + " a:0,agroup:aud"
    cmd += ["-f", "hls", "-hls_time", str(SEGMENT), "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_flags", "independent_segments",
            "-master_pl_name", "master.m3u8", "-var_stream_map", vsm,
            "-hls_segment_filename", os.path.join(out, "%v", "seg_%05d.m4s"),
            os.path.join(out, "%v", "index.m3u8")]
    return [cmd]


def ffmpeg_per_rung(src, out, preset):
    """One ffmpeg process per rung (each decodes the source again), plus one for audio."""
    cmds = []
    for i, (w, h, kbps) in enumerate(LADDER):
        d = os.path.join(out, "r%d" % i)
        cmds.append(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-map", "0:v:0",
                     "-vf", "scale=%d:%d,setsar=1,format=yuv420p" % (w, h), "-c:v", "libx264"]
                    + rate_args(0, kbps, spec=False) + x264_args(preset) +
                    ["-f", "hls", "-hls_time", str(SEGMENT), "-hls_playlist_type", "vod",
                     "-hls_segment_type", "fmp4", "-hls_segment_filename",
                     os.path.join(d, "seg_%05d.m4s"), os.path.join(d, "index.m3u8")])
    d = os.path.join(out, "audio")
    cmds.append(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-map", "0:a:0",
                 "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-f", "hls",
                 "-hls_time", str(SEGMENT), "-hls_playlist_type", "vod", "-hls_segment_type",
                 "fmp4", "-hls_segment_filename", os.path.join(d, "seg_%05d.m4s"),
                 os.path.join(d, "index.m3u8")])
    return cmds


def reel(binary, src, out, preset):
    return [[binary, src, out, "--preset=" + preset, "--segment=%d" % SEGMENT,
             "--progress=none"]]


def run_once(make, src, preset):
    """Wall time of one run of the commands MAKE builds (its output is thrown away)."""
    work = tempfile.mkdtemp(prefix="reel-bench-")
    try:
        cmds = make(src, os.path.join(work, "pkg"), preset)
        for c in cmds:  # the hls muxer makes %v folders itself, not plain ones
            seg = [x for x in c if x.endswith("seg_%05d.m4s") and "%v" not in x]
            if seg:
                os.makedirs(os.path.dirname(seg[0]), exist_ok=True)
        t0 = time.monotonic()
        for c in cmds:
            sh(c)
        return time.monotonic() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare(contenders, src, preset, runs):
    """Median wall time of each contender; runs interleave so load drifts hit all alike."""
    times = {label: [] for label, _ in contenders}
    for i in range(runs):
        for label, make in contenders:
            t = run_once(make, src, preset)
            times[label].append(t)
            print("  %-22s run %d: %.2f s" % (label, i + 1, t), flush=True)
    return {label: med(ts) for label, ts in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="path to reel-transcode")
    ap.add_argument("--duration", type=int, default=60, help="source length in seconds")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--no-per-rung", action="store_true",
                    help="skip the (slow) one-process-per-rung comparison")
    ap.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "out"))
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    src = os.path.join(a.cache, "bench_1080p_%ds.mp4" % a.duration)
    make_source(src, a.duration)
    print("source %s, ladder of %d rungs, preset %s, %d s segments, %d CPUs" %
          (src, len(LADDER), a.preset, SEGMENT, os.cpu_count()))
    contenders = [("reel-transcode", lambda s, o, p: reel(binary, s, o, p)),
                  ("ffmpeg (one command)", ffmpeg_single)]
    if not a.no_per_rung:
        contenders.append(("ffmpeg (per rung)", ffmpeg_per_rung))
    medians = compare(contenders, src, a.preset, a.runs)
    t_reel, t_ff = medians["reel-transcode"], medians["ffmpeg (one command)"]
    print("median reel-transcode   %.2f s" % t_reel)
    print("median ffmpeg single    %.2f s" % t_ff)
    print("ratio reel/ffmpeg-single = %.3f  (bar: <= 1.0) %s" %
          (t_reel / t_ff, "PASS" if t_reel <= t_ff else "FAIL"))
    if not a.no_per_rung:
        t_pr = medians["ffmpeg (per rung)"]
        print("median ffmpeg per rung  %.2f s" % t_pr)
        print("ratio reel/ffmpeg-per-rung = %.3f" % (t_reel / t_pr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
