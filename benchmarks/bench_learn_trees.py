"""Trees, forests and boosting: descent against scikit-learn, side by side.

Times fit + predict of each model on the same data with the same hyperparameters, at
10k and 100k samples (make_classification / make_regression, 20 features, 80/20 split),
and reports held-out quality (accuracy, R², or ROC AUC for outlier detection) and the
time ratio descent / scikit-learn, in CPU time and in wall-clock time. scikit-learn runs single-threaded (n_jobs=1 and
OMP_NUM_THREADS=1, which also holds its OpenMP histogram gradient boosting to one core),
as descent does.

    .venv/bin/python benchmarks/bench_learn_trees.py            # 10k and 100k
    .venv/bin/python benchmarks/bench_learn_trees.py --quick    # 10k only
    .venv/bin/python benchmarks/bench_learn_trees.py --only hist  # rows whose name has "hist"
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")        # before NumPy / scikit-learn load
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn import ensemble as ske, tree as skt  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.metrics import r2_score, roc_auc_score  # noqa: E402

from descent.learn import boosting, forest, tree  # noqa: E402

N_TREES = 10  # trees per random forest: enough to time, small enough for a shared machine


def models():
    """(name, task, descent model, scikit-learn model) with the same hyperparameters."""
    return [
        ("DecisionTreeClassifier", "clf", tree.DecisionTreeClassifier(random_state=0),
         skt.DecisionTreeClassifier(random_state=0)),
        ("DecisionTreeRegressor", "reg", tree.DecisionTreeRegressor(random_state=0),
         skt.DecisionTreeRegressor(random_state=0)),
        (f"RandomForestClassifier({N_TREES})", "clf",
         forest.RandomForestClassifier(n_estimators=N_TREES, random_state=0),
         ske.RandomForestClassifier(n_estimators=N_TREES, random_state=0, n_jobs=1)),
        (f"RandomForestRegressor({N_TREES})", "reg",
         forest.RandomForestRegressor(n_estimators=N_TREES, random_state=0),
         ske.RandomForestRegressor(n_estimators=N_TREES, random_state=0, n_jobs=1)),
        ("HistGradientBoostingClassifier", "clf",
         boosting.GradientBoostingClassifier(random_state=0),
         ske.HistGradientBoostingClassifier(random_state=0)),
        ("HistGradientBoostingRegressor", "reg",
         boosting.GradientBoostingRegressor(random_state=0),
         ske.HistGradientBoostingRegressor(random_state=0)),
        ("AdaBoostClassifier(50 stumps)", "clf", boosting.AdaBoostClassifier(random_state=0),
         ske.AdaBoostClassifier(random_state=0)),
        ("IsolationForest(100)", "outlier", forest.IsolationForest(random_state=0),
         ske.IsolationForest(random_state=0, n_jobs=1)),
    ]


def make_data(task, n):
    """Train / test arrays (float32-representable, as scikit-learn's trees use float32)."""
    if task == "reg":
        X, y = make_regression(n, 20, n_informative=10, noise=10.0, random_state=0)
    else:
        X, y = make_classification(n, 20, n_informative=10, random_state=0)
    if task == "outlier":   # inliers from the blobs, plus 2% uniform in their 1-99% box
        rng = np.random.default_rng(0)
        low, high = np.percentile(X, [1, 99], axis=0)
        outliers = rng.uniform(low, high, size=(n // 50, X.shape[1]))
        X, y = np.vstack([X, outliers]), np.r_[np.zeros(len(X)), np.ones(len(outliers))]
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    X = X.astype(np.float32).astype(np.float64)
    cut = int(0.8 * len(X))
    return X[:cut], y[:cut], X[cut:], y[cut:]


def quality(task, model, X, y):
    if task == "clf":
        return float(np.mean(model.predict(X) == y))
    if task == "reg":
        return float(r2_score(y, model.predict(X)))
    return float(roc_auc_score(y, -model.score_samples(X)))


def time_fit_predict(task, model, data, repeats):
    """Best (CPU seconds, wall seconds) of fit + predict over `repeats`, and quality.

    CPU time is the fairer figure on a shared machine: both libraries run on one core,
    and CPU time does not count the time other processes hold it."""
    X, y, X_test, y_test = data
    cpu = wall = np.inf
    for _ in range(repeats):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        model.fit(X, y if task != "outlier" else None)
        model.score_samples(X_test) if task == "outlier" else model.predict(X_test)
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start_wall)
    return cpu, wall, quality(task, model, X_test, y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k samples only")
    parser.add_argument("--only", default="", metavar="TEXT",
                        help="only the models whose name contains TEXT (case-insensitive)")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    metric = {"clf": "accuracy", "reg": "R²", "outlier": "ROC AUC"}
    print("| model | n | metric | descent | sklearn | descent CPU s | sklearn CPU s | ratio "
          "(CPU) | ratio (wall) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        repeats = 3 if n <= 10_000 else 1
        for name, task, ours, theirs in models():
            if args.only.lower() not in name.lower():
                continue
            data = make_data(task, n)
            cpu_ours, wall_ours, q_ours = time_fit_predict(task, ours, data, repeats)
            cpu_theirs, wall_theirs, q_theirs = time_fit_predict(task, theirs, data, repeats)
            print(f"| {name} | {n} | {metric[task]} | {q_ours:.4f} | {q_theirs:.4f} | "
                  f"{cpu_ours:.3f} | {cpu_theirs:.3f} | {cpu_ours / cpu_theirs:.2f} | "
                  f"{wall_ours / wall_theirs:.2f} |", flush=True)


if __name__ == "__main__":
    main()
