#!/usr/bin/python3
"""make_bench_npz.py — the landmark files bench/load_bench.sh loads.

Writes <out>/v0000.npz ... with np.savez (stored members, float32): pose (T,33,4),
left_hand and right_hand (T,21,3), face (T,478,3), values uniform in [0,1) from a fixed seed,
the MediaPipe Holistic layout at its largest. Existing files of the right size are kept, so a
second run costs nothing.

    /usr/bin/python3 tools/make_bench_npz.py --out /tmp/bench --files 1000 --frames 300
"""
import argparse
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    T = a.frames
    parts = {"pose": (T, 33, 4), "left_hand": (T, 21, 3), "right_hand": (T, 21, 3),
             "face": (T, 478, 3)}
    for i in range(a.files):
        arrays = {k: rng.random(s, dtype=np.float32) for k, s in parts.items()}
        path = os.path.join(a.out, "v%04d.npz" % i)
        want = sum(x.nbytes for x in arrays.values())
        if os.path.exists(path) and want < os.path.getsize(path) < want + 4096:
            continue
        np.savez(path, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
