"""descent.learn linear models and StandardScaler against scikit-learn, side by side.

Same data, same hyperparameters, one process. For each size, every model is fitted
`repeats` times (descent and scikit-learn alternately) and the best wall-clock
time is kept. Quality is R² on a held-out
quarter (for the scaler: the largest absolute difference from scikit-learn's output).
Two designs: make_regression's independent features, and equicorrelated features
with a small lasso penalty (0.01·alpha_max), where coordinate descent needs many
sweeps.

    .venv/bin/python benchmarks/bench_learn_linear.py [--quick] [--features 50]
"""
import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn import linear_model as sl, preprocessing as sp  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import best_times  # noqa: E402
from descent.learn import linear_model as dl, preprocessing as dp  # noqa: E402
from descent.learn.metrics import r2_score  # noqa: E402



def independent_design(n_samples, n_features):
    """scikit-learn's make_regression: independent features, a fifth of them informative."""
    X, y = make_regression(n_samples=n_samples, n_features=n_features,
                           n_informative=n_features // 5, noise=20.0, random_state=0)
    return X * np.linspace(0.5, 3, n_features) + 1.0, y


def correlated_design(n_samples, n_features, rho=0.6):
    """Equicorrelated features (correlation rho), the hard case for coordinate descent."""
    rng = np.random.default_rng(0)
    X = np.sqrt(rho) * rng.normal(size=(n_samples, 1)) + np.sqrt(1 - rho) * rng.normal(
        size=(n_samples, n_features))
    w = np.zeros(n_features)
    w[: n_features // 5] = 3 * rng.normal(size=n_features // 5)
    return X, X @ w + 2 * rng.normal(size=n_samples)


def alpha_max(X, y):
    """The smallest lasso penalty giving all-zero coefficients, max |Xᵀ(y − ȳ)| / n."""
    return np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / len(y)


def sparse_pairs(alpha):
    return [
        (f"Lasso(alpha={alpha:.3g})", dl.Lasso(alpha=alpha), sl.Lasso(alpha=alpha)),
        (f"Lasso(alpha={alpha:.3g}, precompute)", dl.Lasso(alpha=alpha, precompute=True),
         sl.Lasso(alpha=alpha, precompute=True)),
        (f"ElasticNet(alpha={alpha:.3g})", dl.ElasticNet(alpha=alpha), sl.ElasticNet(alpha=alpha)),
    ]


def pairs():
    """(name, descent estimator, scikit-learn estimator) with identical hyperparameters."""
    return [
        ("LinearRegression", dl.LinearRegression(), sl.LinearRegression()),
        ("Ridge(alpha=1)", dl.Ridge(alpha=1.0), sl.Ridge(alpha=1.0)),
        ("Ridge(alpha=1, svd)", dl.Ridge(alpha=1.0, solver="svd"),
         sl.Ridge(alpha=1.0, solver="svd")),
        ("Lasso(alpha=1)", dl.Lasso(alpha=1.0), sl.Lasso(alpha=1.0)),
        ("Lasso(alpha=1, precompute)", dl.Lasso(alpha=1.0, precompute=True),
         sl.Lasso(alpha=1.0, precompute=True)),
        ("ElasticNet(alpha=0.5)", dl.ElasticNet(alpha=0.5), sl.ElasticNet(alpha=0.5)),
        ("ElasticNet(alpha=0.5, precompute)", dl.ElasticNet(alpha=0.5, precompute=True),
         sl.ElasticNet(alpha=0.5, precompute=True)),
    ]


def compare(estimators, X, y, repeats, label):
    n_train = 3 * len(X) // 4
    X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
    rows = []
    for name, ours, theirs in estimators:
        t_ours, t_theirs, ours, theirs = best_times(lambda: ours.fit(X_train, y_train),
                                                    lambda: theirs.fit(X_train, y_train), repeats)
        rows.append((f"{name} [{label}]", len(X), t_ours, t_theirs,
                     r2_score(y_test, ours.predict(X_test)),
                     r2_score(y_test, theirs.predict(X_test))))
    return rows


def run(n_samples, n_features, repeats):
    X, y = independent_design(n_samples, n_features)
    rows = compare(pairs(), X, y, repeats, "independent")
    Xc, yc = correlated_design(n_samples, n_features)
    rows += compare(sparse_pairs(0.01 * alpha_max(Xc, yc)), Xc, yc, repeats, "correlated")
    t_ours, t_theirs, Z_ours, Z_theirs = best_times(
        lambda: dp.StandardScaler().fit_transform(X), lambda: sp.StandardScaler().fit_transform(X),
        repeats)
    rows.append(("StandardScaler (fit_transform)", n_samples, t_ours, t_theirs,
                 f"max diff {np.max(np.abs(Z_ours - Z_theirs)):.1e}", ""))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 2k and 10k, 2 repeats")
    parser.add_argument("--features", type=int, default=50)
    args = parser.parse_args()
    sizes, repeats = ((2_000, 10_000), 2) if args.quick else ((10_000, 100_000), 5)
    print(f"n_features={args.features}, best of {repeats}, OMP/OpenBLAS threads="
          f"{os.environ['OMP_NUM_THREADS']}\n")
    print("| model | n_samples | descent (s) | sklearn (s) | ratio | R² descent | R² sklearn |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        for name, size, t_ours, t_theirs, q_ours, q_theirs in run(n, args.features, repeats):
            fmt = (lambda q: f"{q:.4f}" if isinstance(q, float) else q)
            print(f"| {name} | {size} | {t_ours:.4f} | {t_theirs:.4f} | {t_ours / t_theirs:.2f} | "
                  f"{fmt(q_ours)} | {fmt(q_theirs)} |", flush=True)


if __name__ == "__main__":
    main()
