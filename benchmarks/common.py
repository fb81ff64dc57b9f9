"""Shared pieces of the benchmarks: timing, table printing, optional reference libraries."""
import gzip
import os
import time
from pathlib import Path

import numpy as np

DATASETS = Path(os.environ.get("DESCENT_DATA", Path(__file__).resolve().parents[2] / "shared" / "datasets"))


def best_time(fn, repeat=5, number=1):
    """The best of `repeat` wall times of `number` calls of fn, per call (best is least noisy)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def best_times(ours, theirs, repeats):
    """Best wall-clock time of each of two calls, run alternately so that a change
    in machine load affects both alike. Returns (t_ours, t_theirs, result_ours, result_theirs)."""
    times, results = ([], []), [None, None]
    for _ in range(repeats):
        for k, fn in enumerate((ours, theirs)):
            start = time.perf_counter()
            results[k] = fn()
            times[k].append(time.perf_counter() - start)
    return min(times[0]), min(times[1]), results[0], results[1]


def classification_split(n, n_classes, seed=0):
    """make_classification data (20 features, 10 informative), standardized, split 3:1 into
    (X_train, y_train, X_test, y_test)."""
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=n, n_features=20, n_informative=10, n_classes=n_classes,
                               random_state=seed)
    X = (X - X.mean(0)) / X.std(0)
    cut = 3 * n // 4
    return X[:cut], y[:cut], X[cut:], y[cut:]


def optional_torch(threads=2):
    """PyTorch set to `threads` threads, or None (with a note) when it is not installed."""
    try:
        import torch
    except ImportError:
        print("note: PyTorch is not installed; its columns are left out "
              "(pip install torch==2.13.0 for the CPU build)")
        return None
    torch.set_num_threads(threads)
    return torch


def print_table(header, rows):
    """A Markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def fmt_time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def read_idx_gz(path):
    """A minimal IDX reader for the benchmarks (the library's own lives in descent.data)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_train(name="mnist"):
    """(images (60000, 784) float32 in [0, 1], labels (60000,) int64)."""
    folder = DATASETS / name
    x = read_idx_gz(folder / "train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    y = read_idx_gz(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
    return x, y
