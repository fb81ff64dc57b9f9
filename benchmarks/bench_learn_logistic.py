"""descent.learn.LogisticRegression against scikit-learn's, side by side.

Same data (make_classification, 20 features, standardized), same hyperparameters
(C=1, tol=1e-4, max_iter=100; solvers lbfgs and newton-cg), one process. Each fit is run `repeats` times,
descent and scikit-learn alternately, and the best wall-clock time is kept. Quality is
accuracy on a held-out quarter; "max |Δcoef|" is the largest coefficient difference
relative to scikit-learn's largest coefficient.

    .venv/bin/python benchmarks/bench_learn_logistic.py [--quick]
"""
import argparse
import os
import sys
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from sklearn import linear_model as sl  # noqa: E402

from common import best_times, classification_split, fmt_time, print_table  # noqa: E402
from descent.learn.logistic import LogisticRegression  # noqa: E402



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args()
    sizes, repeats = ((2_000, 20_000), 2) if args.quick else ((10_000, 100_000), 5)
    rows = []
    for n in sizes:
        for n_classes, solver in [(2, "lbfgs"), (5, "lbfgs"), (2, "newton-cg"), (5, "newton-cg")]:
            X, y, Xt, yt = classification_split(n, n_classes)
            params = dict(C=1.0, tol=1e-4, max_iter=100, solver=solver)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_ours, t_theirs, ours, theirs = best_times(lambda: LogisticRegression(**params).fit(X, y),
                                                            lambda: sl.LogisticRegression(**params).fit(X, y),
                                                            repeats)
            delta = np.abs(ours.coef_ - theirs.coef_).max() / np.abs(theirs.coef_).max()
            rows.append([n, n_classes, solver, f"{ours.score(Xt, yt):.4f}", f"{theirs.score(Xt, yt):.4f}",
                         f"{ours.n_iter_[0]} / {theirs.n_iter_[0]}", f"{delta:.1e}",
                         fmt_time(t_ours), fmt_time(t_theirs), f"{t_ours / t_theirs:.2f}"])
    print_table(["n_samples", "classes", "solver", "acc descent", "acc sklearn", "iters d / s", "max |Δcoef|",
                 "descent", "sklearn", "ratio"], rows)


if __name__ == "__main__":
    main()
