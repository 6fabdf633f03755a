#!/usr/bin/python3
"""stream_latency.py — per-frame latency of `signstgcn detect --stream`.

Feeds the frames of an npz (MediaPipe layout) one JSON line at a time to a running
`detect --stream`, waits for that frame's answer line before sending the next (what a live
camera loop does), and reports the round trip per frame: p50, p99, max and mean in ms, and
the frames per second it sustains. The first `--skip` frames (start-up, warm-up windows) are
left out of the figures.

    /usr/bin/python3 bench/stream_latency.py --bin build/signstgcn --ckpt CKPT --npz FILE \
        [--threads 1] [--stride 1] [--frames 500] [--skip 30]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np


def frame_lines(path, n):
    z = np.load(path)
    parts = [p for p in ("pose", "left_hand", "right_hand", "face") if p in z.files]
    arrs = {p: z[p] for p in parts}
    T = next(iter(arrs.values())).shape[0]
    for i in range(n):
        t = i % T
        obj = {}
        for p in parts:
            a = arrs[p][t]
            obj[p] = None if np.isnan(a).all() else np.nan_to_num(a).round(6).tolist()
        yield json.dumps(obj, separators=(",", ":")) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/signstgcn")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--npz", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--skip", type=int, default=30)
    ap.add_argument("--stride", type=int, default=1)
    a = ap.parse_args()
    lines = list(frame_lines(a.npz, a.frames))
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    p = subprocess.Popen([a.bin, "detect", "--stream", "--ckpt", a.ckpt, "--threads",
                          str(a.threads), "--stride", str(a.stride)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         env=env, text=True, bufsize=1)
    lat = []
    t_all = time.perf_counter()
    for i, line in enumerate(lines):
        t0 = time.perf_counter()
        p.stdin.write(line)
        p.stdin.flush()
        while True:
            out = p.stdout.readline()
            if not out:
                sys.exit("the stream ended early")
            if out.startswith('{"frame"'):
                break
        lat.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - t_all
    p.stdin.close()
    p.wait()
    x = np.array(lat[a.skip:])
    print(f"threads {a.threads} stride {a.stride}: frames {len(x)}  p50 {np.percentile(x, 50):.2f} ms  "
          f"p99 {np.percentile(x, 99):.2f} ms  max {x.max():.2f} ms  mean {x.mean():.2f} ms  "
          f"sustained {len(lat) / total:.1f} frames/s")


if __name__ == "__main__":
    main()
