#!/usr/bin/python3
"""Writes tests/fixtures/logreg/*.txt: features, labels and scikit-learn's probabilities for
the signer probe's logistic regression (src/train/logreg.c).

Each file: a line `n d k`, then n lines `x_0 ... x_{d-1} y`, then n lines of the k class
probabilities of make_pipeline(StandardScaler(), LogisticRegression(C=1.0,
multi_class='multinomial', solver='newton-cg', tol=1e-10, max_iter=1000)) fitted on all
rows: the optimum of the convex problem (max |gradient| about 1e-9). sklearn's lbfgs solver
stops earlier whatever its tol (its scaled loss meets L-BFGS-B's ftol first), 1e-5 to 1e-4
away in probability; the script prints that distance for each case.
Deterministic (numpy's seeded generator); run from the repository root:

    /usr/bin/python3 tools/make_logreg_fixture.py
"""
import os
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "logreg")


def case(name, n, d, k, spread, seed, constant_col=False, labels=None):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n) if labels is None else labels
    centres = rng.normal(0, spread, size=(k, d))
    x = centres[y] + rng.normal(0, 1, size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + 4.0
    if constant_col:
        x[:, 0] = 2.5
    x = x.astype(np.float32)
    def fit(solver, tol, max_iter):
        clf = make_pipeline(StandardScaler(),
                            LogisticRegression(C=1.0, multi_class="multinomial", solver=solver,
                                               tol=tol, max_iter=max_iter))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # newton-cg reports max_iter at the optimum
            clf.fit(x.astype(np.float64), y)
        return clf
    clf = fit("newton-cg", 1e-10, 1000)
    p = clf.predict_proba(x.astype(np.float64))
    lbfgs = fit("lbfgs", 1e-4, 100).predict_proba(x.astype(np.float64))
    assert list(clf.classes_) == list(range(k))
    with open(os.path.join(OUT, name), "w") as f:
        f.write(f"{n} {d} {k}\n")
        for i in range(n):
            f.write(" ".join(f"{v:.9g}" for v in x[i]) + f" {y[i]}\n")
        for i in range(n):
            f.write(" ".join(f"{v:.17g}" for v in p[i]) + "\n")
    print(name, "train accuracy", (p.argmax(1) == y).mean(),
          "max |newton-cg - default lbfgs| probability", np.abs(p - lbfgs).max())


os.makedirs(OUT, exist_ok=True)
case("blobs3.txt", 90, 6, 3, 1.0, 1)
case("wide4.txt", 40, 30, 4, 0.6, 2, constant_col=True)
case("binary2.txt", 50, 3, 2, 0.8, 3)
