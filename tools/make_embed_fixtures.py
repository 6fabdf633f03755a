#!/usr/bin/python3
"""make_embed_fixtures.py — fixtures of the PCA and t-SNE tests (tests/test_pca.c,
tests/test_tsne.c), written into tests/fixtures/embed/.

  pca.txt          two small matrices (float32 values printed exactly) and numpy's SVD-based
                   PCA projection of each, in float64 (the test compares up to sign, 1e-6)
  points.f32       1,000 points in 64-d drawn around 10 cluster centres of unequal sizes and
                   spreads, little-endian float32, row-major (regenerated identically: numpy's
                   legacy RandomState with a fixed seed)
  tsne_ref.txt     scikit-learn's own TSNE (init='pca', learning_rate='auto', perplexity 30,
                   random_state 0) on those points, Barnes-Hut on all 1,000 and exact on the
                   first 300, and the trustworthiness (n_neighbors 5) of each embedding

Run: /usr/bin/python3 tools/make_embed_fixtures.py   (numpy 1.24, scikit-learn 1.2)
"""
import os
import sys

import numpy as np
import sklearn
from sklearn.manifold import TSNE, trustworthiness

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "embed")
N, D, CLUSTERS, EXACT_N = 1000, 64, 10, 300


def points():
    rs = np.random.RandomState(20261125)
    sizes = np.array([160, 140, 120, 110, 100, 95, 85, 75, 65, 50])
    assert sizes.sum() == N and len(sizes) == CLUSTERS
    centres = rs.normal(0.0, 1.5, size=(CLUSTERS, D))
    spreads = rs.uniform(0.6, 1.4, size=CLUSTERS)
    x = np.concatenate([c + s * rs.normal(size=(m, D)) for c, s, m in zip(centres, spreads, sizes)])
    x = x[rs.permutation(N)]
    return x.astype("<f4")


def pca_np(x, k):
    a = x.astype(np.float64)
    a = a - a.mean(axis=0)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return u[:, :k] * s[:k]


def write_matrix(f, name, m, fmt):
    f.write("%s %d %d\n" % (name, m.shape[0], m.shape[1]))
    for row in m:
        f.write(" ".join(fmt % v for v in row) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rs = np.random.RandomState(7)
    with open(os.path.join(OUT, "pca.txt"), "w") as f:
        for case, (n, d, k) in enumerate([(40, 6, 3), (5, 8, 4)]):
            # correlated columns so the axes are well separated
            x = (rs.normal(size=(n, d)) @ rs.normal(size=(d, d)) + rs.normal(size=d)).astype(np.float32)
            write_matrix(f, "x%d" % case, x, "%.9g")
            write_matrix(f, "y%d" % case, pca_np(x, k), "%.17g")

    x = points()
    x.tofile(os.path.join(OUT, "points.f32"))
    xd = x.astype(np.float64)
    lines = ["# scikit-learn %s TSNE(init='pca', learning_rate='auto', perplexity=30, random_state=0)"
             % sklearn.__version__, "n %d" % N, "d %d" % D, "exact_n %d" % EXACT_N]
    bh = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto",
              method="barnes_hut", random_state=0).fit(xd)
    lines.append("trust_bh %.6f" % trustworthiness(xd, bh.embedding_, n_neighbors=5))
    lines.append("kl_bh %.6f" % bh.kl_divergence_)
    ex = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto",
              method="exact", random_state=0).fit(xd[:EXACT_N])
    lines.append("trust_exact %.6f" % trustworthiness(xd[:EXACT_N], ex.embedding_, n_neighbors=5))
    lines.append("kl_exact %.6f" % ex.kl_divergence_)
    with open(os.path.join(OUT, "tsne_ref.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
