#!/usr/bin/python3
"""Writes tests/fixtures/metrics/: scikit-learn's values for the validation metrics (SPEC §6)
and for K-means (SPEC §5), read by tests/test_metrics.c and tests/test_kmeans.c.

Run with Debian's python3 (numpy 1.24, scikit-learn 1.2):
    /usr/bin/python3 tools/make_metrics_fixtures.py
Rerunning it writes identical files (fixed seeds, one thread).

metrics/cases.txt, one block per case:
    case <name> binary|multi <N> <NC>
    y_true <N ints>
    y_pred <N ints>
    probs <N*NC float32 values, row-major, %.9g>
    cm <NC*NC ints>            confusion_matrix(y_true, y_pred, labels=range(NC))
    expect <acc> <balanced_acc> <f1> <pr_auc>   (%.17g; nan where sklearn gives nan or raises)
    end
  acc = accuracy_score, balanced_acc = balanced_accuracy_score, f1 = f1_score (binary:
  pos_label 1; multi: average='macro'), pr_auc = average_precision_score(y, probs[:, 1])
  (binary) or the mean over the classes c present in y of
  average_precision_score(y == c, probs[:, c]) (multi).

metrics/kmeans_<name>.txt:
    <n> <d> <k> <inertia> <mean inertia>
        KMeans(n_clusters=k, n_init=10, random_state=0).inertia_, and its mean over
        random_state 0..19 (where local optima abound, one run lands anywhere in a ±1% band;
        the mean shows whether the search is as good as sklearn's)
    <n rows of d values, %.6f>
"""
import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
)
from sklearn.preprocessing import label_binarize  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "metrics")


def softmax32(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def safe(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(fn())
    except (ValueError, IndexError):
        return float("nan")


def expected(y, yp, probs, nc, binary):
    p64 = probs.astype(np.float64)  # the float32 values exactly
    acc = safe(lambda: accuracy_score(y, yp))
    bal = safe(lambda: balanced_accuracy_score(y, yp))
    if binary:
        f1 = safe(lambda: f1_score(y, yp))
        ap = safe(lambda: average_precision_score(y, p64[:, 1])) if len(y) else float("nan")
    else:
        f1 = safe(lambda: f1_score(y, yp, average="macro"))
        present = sorted(set(y.tolist()))
        aps = [safe(lambda c=c: average_precision_score((y == c).astype(int), p64[:, c]))
               for c in present]
        ap = float(np.mean(aps)) if aps else float("nan")
        if present == list(range(nc)) and nc > 2:
            # cross-check against sklearn's own multi-class macro AP when every class is present
            ref = average_precision_score(label_binarize(y, classes=list(range(nc))), p64,
                                          average="macro")
            assert abs(ref - ap) <= 1e-12, (ref, ap)
    return acc, bal, f1, ap


def fmt(v):
    return "nan" if np.isnan(v) else "%.17g" % v


def write_case(f, name, y, yp, probs, nc, binary):
    y = np.asarray(y, dtype=np.int64)
    yp = np.asarray(yp, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float32).reshape(len(y), nc)
    n = len(y)
    cm = (confusion_matrix(y, yp, labels=list(range(nc))) if n
          else np.zeros((nc, nc), dtype=np.int64))
    vals = expected(y, yp, probs, nc, binary)
    f.write("case %s %s %d %d\n" % (name, "binary" if binary else "multi", n, nc))
    f.write("y_true" + "".join(" %d" % v for v in y) + "\n")
    f.write("y_pred" + "".join(" %d" % v for v in yp) + "\n")
    f.write("probs" + "".join(" %.9g" % v for v in probs.ravel()) + "\n")
    f.write("cm" + "".join(" %d" % v for v in cm.ravel()) + "\n")
    f.write("expect " + " ".join(fmt(v) for v in vals) + "\nend\n")


def model_like(rng, y, nc, skill):
    """Probabilities of a model that puts `skill` extra logit on the true class."""
    logits = rng.normal(size=(len(y), nc))
    logits[np.arange(len(y)), y] += skill
    return softmax32(logits)


def argmax_pred(probs):
    return probs.argmax(axis=1)  # lowest index on ties


def binary_rows(p1):
    p1 = np.asarray(p1, dtype=np.float32)
    return np.stack([np.float32(1) - p1, p1], axis=1)


def metric_cases(f):
    rng = np.random.RandomState(0)
    # --- binary ---
    y = (rng.rand(300) < 0.3).astype(int)
    pr = model_like(rng, y, 2, 1.5)
    write_case(f, "bin_random", y, argmax_pred(pr), pr, 2, True)

    y = (rng.rand(200) < 0.4).astype(int)
    p1 = np.round(np.clip(0.3 * y + 0.35 + 0.25 * rng.randn(200), 0, 1), 1)
    pr = binary_rows(p1)
    write_case(f, "bin_ties", y, argmax_pred(pr), pr, 2, True)

    y = (rng.rand(120) < 0.5).astype(int)
    pr = binary_rows(0.6 * y + 0.3 * rng.rand(120))
    write_case(f, "bin_perfect", y, y, pr, 2, True)
    write_case(f, "bin_inverted", y, 1 - y, binary_rows(1 - pr[:, 1]), 2, True)

    yp = (rng.rand(80) < 0.3).astype(int)
    write_case(f, "bin_no_positive", np.zeros(80, int), yp, binary_rows(rng.rand(80)), 2, True)
    write_case(f, "bin_all_positive", np.ones(60, int), (rng.rand(60) < 0.7).astype(int),
               binary_rows(rng.rand(60)), 2, True)
    y = (rng.rand(90) < 0.4).astype(int)
    write_case(f, "bin_pred_all_negative", y, np.zeros(90, int), binary_rows(rng.rand(90)), 2,
               True)
    write_case(f, "bin_all_negative_both", np.zeros(40, int), np.zeros(40, int),
               binary_rows(rng.rand(40)), 2, True)
    y = (rng.rand(50) < 0.5).astype(int)
    write_case(f, "bin_constant_scores", y, np.ones(50, int), binary_rows(np.full(50, 0.5)), 2,
               True)
    write_case(f, "bin_single", [1], [0], binary_rows([0.25]), 2, True)
    write_case(f, "bin_empty", [], [], np.zeros((0, 2)), 2, True)

    # --- multi-class ---
    y = rng.randint(0, 5, size=400)
    pr = model_like(rng, y, 5, 1.0)
    write_case(f, "multi_random", y, argmax_pred(pr), pr, 5, False)

    y = rng.randint(0, 10, size=300)
    pr = model_like(rng, y, 10, 2.0)
    write_case(f, "multi_random10", y, argmax_pred(pr), pr, 10, False)

    y = rng.randint(0, 5, size=250)
    pr = model_like(rng, y, 5, 1.0)
    yp = argmax_pred(pr)
    yp[yp == 3] = 1  # class 3 never predicted
    write_case(f, "multi_missing_pred", y, yp, pr, 5, False)

    y = rng.randint(0, 4, size=250)  # class 4 never true ...
    pr = model_like(rng, y, 5, 1.0)
    yp = argmax_pred(pr)
    yp[rng.rand(250) < 0.1] = 4  # ... but sometimes predicted
    write_case(f, "multi_missing_true", y, yp, pr, 5, False)

    y = rng.randint(0, 4, size=300)
    pr = np.round(model_like(rng, y, 4, 1.0), 1).astype(np.float32)
    write_case(f, "multi_ties", y, argmax_pred(pr), pr, 4, False)

    y = rng.randint(0, 6, size=150)
    pr = model_like(rng, y, 6, 8.0)
    write_case(f, "multi_perfect", y, y, pr, 6, False)
    pr = model_like(rng, y, 6, -8.0)
    write_case(f, "multi_inverted", y, (y + 1) % 6, pr, 6, False)

    y = np.full(70, 2)
    pr = model_like(rng, y, 5, 0.5)
    write_case(f, "multi_one_class", y, argmax_pred(pr), pr, 5, False)
    write_case(f, "multi_two_of_three", [0, 0, 1, 1, 1], [0, 1, 1, 1, 0],
               np.full((5, 3), 1 / 3, dtype=np.float32), 3, False)
    write_case(f, "multi_empty", [], [], np.zeros((0, 4)), 4, False)


def kmeans_case(name, X, k):
    X = np.array([[float("%.6f" % v) for v in row] for row in X])
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
    mean20 = np.mean([KMeans(n_clusters=k, n_init=10, random_state=s).fit(X).inertia_
                      for s in range(20)])
    with open(os.path.join(OUT, "kmeans_%s.txt" % name), "w") as f:
        f.write("%d %d %d %.10g %.10g\n" % (X.shape[0], X.shape[1], k, km.inertia_, mean20))
        for row in X:
            f.write(" ".join("%.6f" % v for v in row) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("# scikit-learn %s metric values; written by tools/make_metrics_fixtures.py\n"
                % __import__("sklearn").__version__)
        metric_cases(f)
    X, _ = make_blobs(n_samples=200, n_features=4, centers=3, cluster_std=1.0, random_state=1)
    kmeans_case("blobs3", X, 3)
    X, _ = make_blobs(n_samples=1500, n_features=4, centers=5, cluster_std=1.0, random_state=2)
    kmeans_case("blobs5", X, 5)
    # overlapping clusters, more centres than blobs (pseudo-signers' default k = 8)
    X, _ = make_blobs(n_samples=1000, n_features=4, centers=4, cluster_std=3.0,
                      center_box=(-5, 5), random_state=3)
    kmeans_case("overlap8", X, 8)
    # no structure at all: signer-statistics-like ranges, uniform
    rs = np.random.RandomState(4)
    X = np.concatenate([rs.uniform(0.3, 0.7, size=(500, 2)), rs.uniform(0.05, 0.2, size=(500, 2))],
                       axis=1)
    kmeans_case("uniform4", X, 4)


if __name__ == "__main__":
    main()
