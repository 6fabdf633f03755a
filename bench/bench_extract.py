#!/usr/bin/python3
"""bench_extract.py — frames/s of the landmark extractor (extract/) at pose complexity 0, 1, 2,
with and without --refine-face, and its start-up time. Not a test; never gates CI.

    python3 bench/bench_extract.py [--photo JPG] [--frames N] [--size WxH] [--configs 0,1,2]
                                   [--gpu]

Makes an N-frame video of a real photo (default Debian opencv-doc's messi5.jpg, 548x342: one
person, both hands and the face visible, so every frame runs pose, face and both hands) and,
for each configuration, runs `node extract/extract.js` once and timestamps its records as they
arrive:
  start-up   process start -> "ready" (node, chromium, the page, the WASM module)
  first      "ready" -> frame 0 (the models load and the detectors run: no tracking yet)
  frames/s   frames 1..N-1 (tracking; what a long video gets)
Inference runs on the CPU (the extractor's default); --gpu adds complexity 1 with TFLite on
WebGL, which is software (SwiftShader) on a machine without a GPU.
It also times the whole `signstgcn extract` once (build/signstgcn) for the default options.
Prints a table, the load average before and after each run (the figures mean little on a
machine that others are loading), the CPU count and the WebGL renderer. Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_config(video, complexity, refine, inference="cpu"):
    args = ["node", os.path.join(ROOT, "extract", "extract.js"), "--complexity", str(complexity),
            "--inference", inference]
    if refine:
        args.append("--refine-face")
    args.append(video)
    load0 = os.getloadavg()[0]
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = None
    times = []
    renderer = ""
    parts_ok = 0
    for line in p.stdout:
        now = time.monotonic()
        r = json.loads(line)
        if r["type"] == "ready":
            ready = now
            renderer = r.get("webgl", "")
        elif r["type"] == "frame":
            times.append(now)
            parts_ok += all(r[k] for k in ("pose", "left_hand", "right_hand", "face"))
        elif r["type"] in ("error", "fatal"):
            sys.exit(f"bench_extract: {r['message']}")
    p.wait()
    if p.returncode != 0 or ready is None or len(times) < 2:
        sys.exit(f"bench_extract: the extractor failed: {p.stderr.read().strip()}")
    steady = (len(times) - 1) / (times[-1] - times[0])
    return {"startup": ready - t0, "first": times[0] - ready, "fps": steady,
            "frames": len(times), "all_parts": parts_ok, "load": (load0, os.getloadavg()[0]),
            "renderer": renderer}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photo", default="/usr/share/doc/opencv-doc/examples/data/messi5.jpg")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--size", default="", help="scale the video to WxH (default: the photo's)")
    ap.add_argument("--configs", default="0,1,2", help="pose complexities to run")
    ap.add_argument("--gpu", action="store_true",
                    help="add a row with TFLite on WebGL (SwiftShader here): slow")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_extract.")
    video = os.path.join(tmp, "person.mp4")
    vf = ["-vf", f"scale={a.size.replace('x', ':')}"] if a.size else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", a.photo, "-r", "25",
                    "-frames:v", str(a.frames), *vf, "-pix_fmt", "yuv420p", video], check=True)
    size = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=width,height", "-of", "csv=p=0:s=x", video],
                          capture_output=True, text=True, check=True).stdout.strip()
    print(f"# extractor benchmark: {a.frames} frames of {os.path.basename(a.photo)} at {size}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'complexity':>10} {'refine':>6} {'inference':>9} {'start-up s':>10} {'first s':>8} "
          f"{'frames/s':>9} {'all parts':>9} {'load before/after':>18}")
    renderer = ""
    runs = [(int(c), refine, "cpu") for c in a.configs.split(",") for refine in (False, True)]
    if a.gpu:
        runs.append((1, False, "gpu"))
    for c, refine, inference in runs:
        r = run_config(video, c, refine, inference)
        renderer = r["renderer"]
        print(f"{c:>10} {'yes' if refine else 'no':>6} {inference:>9} {r['startup']:>10.1f} "
              f"{r['first']:>8.1f} {r['fps']:>9.2f} {r['all_parts']:>4}/{r['frames']:<4} "
              f"{r['load'][0]:>8.1f}/{r['load'][1]:<8.1f}", flush=True)
    sg = os.path.join(ROOT, "build", "signstgcn")
    if os.access(sg, os.X_OK):
        t0 = time.monotonic()
        p = subprocess.run([sg, "extract", video, "--out", os.path.join(tmp, "out")],
                           capture_output=True, text=True)
        wall = time.monotonic() - t0
        print(f"# signstgcn extract (complexity 1), whole command: {wall:.1f} s for {a.frames} "
              f"frames = {a.frames / wall:.2f} frames/s overall (exit {p.returncode})")
    print(f"# WebGL: {renderer}")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
