"""descent.learn.SVC against scikit-learn's SVC (LIBSVM), side by side.

Same data (make_classification, 20 features, 10 informative, standardized), same
hyperparameters (rbf kernel, C=1, gamma='scale', tol=1e-3), one process, one thread.
Timed: fit on the training three quarters plus predict on the held-out quarter, run
`repeats` times, descent and scikit-learn alternately, best wall-clock time kept.
Quality: held-out accuracy of each; "same pred" is the fraction of test predictions
on which the two agree; "SVs" is the number of support vectors of each.

    .venv/bin/python benchmarks/bench_learn_svm.py [--quick]
"""
import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from sklearn import svm as sk_svm  # noqa: E402

from common import best_times, classification_split, fmt_time, print_table  # noqa: E402
from descent.learn.svm import SVC  # noqa: E402



def fit_predict(model, X, y, Xt):
    model.fit(X, y)
    return model, model.predict(Xt)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, binary problems only")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    cases = [(2, "rbf"), (2, "linear")] if args.quick else [(2, "rbf"), (2, "linear"), (5, "rbf")]
    rows = []
    for n in (2_000, 10_000):
        for n_classes, kernel in cases:
            X, y, Xt, yt = classification_split(n, n_classes)
            params = dict(C=1.0, kernel=kernel, gamma="scale", tol=1e-3)
            t_ours, t_theirs, (ours, p_ours), (theirs, p_theirs) = best_times(
                lambda: fit_predict(SVC(**params), X, y, Xt),
                lambda: fit_predict(sk_svm.SVC(**params), X, y, Xt), repeats)
            rows.append([n, n_classes, kernel, f"{np.mean(p_ours == yt):.4f}", f"{np.mean(p_theirs == yt):.4f}",
                         f"{np.mean(p_ours == p_theirs):.4f}", f"{len(ours.support_)} / {len(theirs.support_)}",
                         f"{ours.n_iter_.sum()} / {theirs.n_iter_.sum()}",
                         fmt_time(t_ours), fmt_time(t_theirs), f"{t_ours / t_theirs:.1f}"])
    print_table(["n_samples", "classes", "kernel", "acc descent", "acc sklearn", "same pred", "SVs d / s",
                 "iters d / s", "descent", "sklearn", "ratio"], rows)


if __name__ == "__main__":
    main()
