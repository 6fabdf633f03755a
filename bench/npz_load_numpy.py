#!/usr/bin/python3
"""npz_load_numpy.py — the reference for bench/load_bench.sh: np.load of every member of
every <dir>/*.npz (byte order), one thread; prints wall and CPU seconds (from the first
np.load to the last), the bytes read and the file count."""
import os
import sys
import time

import numpy as np


def main():
    d = sys.argv[1]
    names = sorted(n for n in os.listdir(d) if n.endswith(".npz"))
    t0, c0 = time.perf_counter(), time.process_time()
    total = 0
    for n in names:
        with np.load(os.path.join(d, n)) as z:
            for k in z.files:
                total += z[k].nbytes
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print("%.3f %.3f %d %d" % (dt, dc, total, len(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
