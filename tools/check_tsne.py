#!/usr/bin/python3
"""check_tsne.py — recomputes, with scikit-learn, the trustworthiness of a t-SNE embedding
written by the C test, to cross-check the C implementation of
sklearn.manifold.trustworthiness in tests/test_tsne.c.

  SG_TSNE_OUT=/tmp/bh.txt build/test_tsne        # prints the C trustworthiness
  /usr/bin/python3 tools/check_tsne.py /tmp/bh.txt [--n 1000] [--k 5]

The embedding file has one "x y" line per point, in the order of
tests/fixtures/embed/points.f32 (its first --n points).
"""
import argparse
import os
import sys

import numpy as np
from sklearn.manifold import trustworthiness

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "embed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("embedding")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--points", default=os.path.join(FIX, "points.f32"))
    ap.add_argument("--d", type=int, default=64)
    a = ap.parse_args()
    y = np.loadtxt(a.embedding, dtype=np.float64).reshape(-1, 2)
    x = np.fromfile(a.points, dtype="<f4").reshape(-1, a.d).astype(np.float64)
    n = a.n or len(y)
    if len(y) != n or n > len(x):
        sys.exit("check_tsne: %d embedded points, %d asked, %d in the fixture" % (len(y), n, len(x)))
    print("scikit-learn trustworthiness (n_neighbors %d, %d points): %.6f"
          % (a.k, n, trustworthiness(x[:n], y, n_neighbors=a.k)))


if __name__ == "__main__":
    main()
