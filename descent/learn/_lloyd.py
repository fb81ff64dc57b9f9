"""Building blocks of k-means: blocked nearest-center assignment and Lloyd's iteration.

Distances to the k centers come from one matrix product per block of samples, laid
out (k, rows) so that the nearest center is a fast minimum over the short first axis;
the same block's one-hot assignment times the samples gives the M-step's sums. Lloyd's
iteration skips the samples that provably keep their cluster (Hamerly, 2010).
"""
import functools

import numpy as np

from .neighbors import squared_norms


def _sample_blocks(n_samples, n_clusters):
    """Slices of samples for k-means steps: a (k, rows) block of ~64k values (512 KiB).

    Large enough that NumPy's per-call cost is spread thin, small enough to stay in the
    per-core cache (measured best among 2**13 .. 2**17 values at k=8, d=10).
    """
    step = int(np.clip(2 ** 16 // n_clusters, 256, 16384))
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


@functools.lru_cache(maxsize=16)
def _read_out(k):
    """[0 1 .. k-1; 1 .. 1] (2, k): times a one-hot matrix, each column's label and hit count."""
    return np.vstack([np.arange(k, dtype=float), np.ones(k)])


def _one_hot_of_minimum(partial):
    """One-hot matrix (k, rows) of each column's smallest entry, its row (rows,) and value (rows,).

    Works on the transposed (k, rows) layout: a minimum over the short first axis is one
    vectorized pass, far cheaper than an argmin along a short last axis. The labels and
    the number of hits per column come out of one small product [0 1 .. k-1; 1 .. 1] @
    one-hot. Ties (duplicate centers) keep the lowest center index, like argmin.
    """
    k = len(partial)
    best = partial.min(axis=0)
    one_hot = np.equal(partial, best, out=partial, casting="unsafe")  # in place: 1.0 or 0.0
    labels, hits = _read_out(k) @ one_hot  # exact: small integers
    if np.any(hits != 1):
        tied = np.flatnonzero(hits != 1)
        one_hot[:, tied] *= np.cumsum(one_hot[:, tied], axis=0) == 1
        labels[tied] = np.arange(k) @ one_hot[:, tied]
    return one_hot, labels, best


def _assign(X, centers, x_sq):
    """Nearest center of every row of X (n, d), in sample blocks: labels (n,), squared distances (n,)."""
    n, k = X.shape[0], len(centers)
    labels = np.empty(n, dtype=np.intp)
    nearest = np.empty(n)
    neg2_centers, c_sq = -2.0 * centers, squared_norms(centers)
    for rows in _sample_blocks(n, k):
        partial = neg2_centers @ X[rows].T  # (k, rows): -2 c·x
        partial += c_sq[:, None]
        _, labels[rows], nearest[rows] = _one_hot_of_minimum(partial)
    nearest += x_sq  # ||x||² was left out of the comparison, being the same for every center
    np.maximum(nearest, 0.0, out=nearest)
    return labels, nearest


def _with_ones(X, weight=None, shift=None):
    """[X, 1] (n, d + 1), or [w X, w] with sample weights w; [X - shift, 1] with a shift (d,)."""
    out = np.empty((X.shape[0], X.shape[1] + 1))
    if shift is not None:
        np.subtract(X, shift, out=out[:, :-1])
        out[:, -1] = 1.0
    elif weight is None:
        out[:, :-1] = X
        out[:, -1] = 1.0
    else:
        np.multiply(X, weight[:, None], out=out[:, :-1])
        out[:, -1] = weight
    return out


def _assign_and_sum(X_ones, X_sum, centers):
    """Lloyd's E-step and the sums of its M-step, one pass over blocks of samples.

    X_ones = [X, 1] and X_sum = [w X, w] (the same array without weights), (n, d + 1).
    With the centers augmented as [-2c, ||c||²], one product gives -2 c·x + ||c||² (the
    squared distance less ||x||², which does not change the nearest center); the
    one-hot assignment times X_sum then gives every cluster's weighted sum of rows and
    total weight at once, while the block is in cache.

    Returns labels (n,), sums (k, d), total weights (k,) and the smallest score of
    each sample (n,) (its squared distance less ||x||²).
    """
    n, k = X_ones.shape[0], len(centers)
    scores = np.hstack([-2.0 * centers, squared_norms(centers)[:, None]])  # (k, d + 1)
    labels = np.empty(n, dtype=np.intp)
    best = np.empty(n)
    totals = np.zeros((k, X_ones.shape[1]))
    for rows in _sample_blocks(n, k):
        one_hot, labels[rows], best[rows] = _one_hot_of_minimum(scores @ X_ones[rows].T)
        totals += one_hot @ X_sum[rows]
    return labels, totals[:, :-1], totals[:, -1], best


def _cluster_sums(X, labels, n_clusters, weight=None):
    """Per-cluster (weighted) sums of rows (k, d) and total weights (k,), by one-hot products."""
    sums = np.zeros((n_clusters, X.shape[1]))
    for rows in _sample_blocks(X.shape[0], n_clusters):
        block = labels[rows]
        one_hot = np.zeros((n_clusters, len(block)))
        one_hot[block, np.arange(len(block))] = 1.0 if weight is None else weight[rows]
        sums += one_hot @ X[rows]
    return sums, np.bincount(labels, weights=weight, minlength=n_clusters).astype(float)


def _new_centers(X, labels, nearest, sums, counts, old_centers, weight=None):
    """The M-step: cluster means; an empty cluster takes the point farthest from its center.

    Relocating empty clusters to the worst-fit points (as scikit-learn does) keeps all k
    centers in use; the moved points leave their old clusters' sums.
    """
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        sums, counts = sums.copy(), counts.copy()
        far = np.argsort(-nearest, kind="stable")[:len(empty)]
        w = np.ones(len(far)) if weight is None else weight[far]
        np.subtract.at(sums, labels[far], X[far] * w[:, None])
        np.subtract.at(counts, labels[far], w)
        sums[empty], counts[empty] = X[far] * w[:, None], w
    centers = old_centers.copy()
    used = counts > 0
    centers[used] = sums[used] / counts[used, None]
    return centers


def _lloyd(X, centers, x_sq, max_iter, tol, weight=None, X_ones=None):
    """Lloyd's algorithm: alternate nearest-center assignment and mean update.

    The assignments are Lloyd's, but after the first pass only the samples that might
    change cluster are re-examined (Hamerly, 2010). Each sample keeps an upper bound u
    on the distance to its center a and a lower bound l on the distance to any other
    center. When the centers move by δ, u grows by δ_a and l shrinks by max δ; by the
    triangle inequality a sample with u <= max(l, s_a), s_a half the distance from c_a
    to its nearest other center, keeps its cluster. The others get exact distances to
    every center, and the cluster sums are corrected for the samples that moved.

    Stops when the labels no longer change (strict convergence) or the total squared
    center shift falls to `tol`. X_ones, [X, 1], may be passed if already at hand.
    Returns (labels, inertia, centers, n_iter).
    """
    X_ones = _with_ones(X) if X_ones is None else X_ones
    X_sum = X_ones if weight is None else _with_ones(X, weight)
    # Distances from the expanded form ||c||² - 2 c·x + ||x||² carry an absolute error
    # up to about sqrt(eps) times the data's scale: bounds get that much slack.
    slack = 1e-7 * (2.0 * np.sqrt(x_sq.max()) + 1e-300)
    labels, upper = None, None
    strict = False
    for iteration in range(max_iter):
        if iteration == 0:
            # The first moves are large and would void every bound: a plain pass.
            labels, sums, counts, _ = _assign_and_sum(X_ones, X_sum, centers)
            totals = np.column_stack([sums, counts])
        elif upper is None:  # a full pass that also sets up the bounds
            previous = labels
            labels, upper, lower, totals = _assign_with_bounds(X_ones, X_sum, x_sq, centers)
            moved = np.count_nonzero(labels != previous)
        else:
            half_gap = 0.5 * _center_gaps(centers)
            maybe = np.flatnonzero(upper > np.maximum(lower, half_gap[labels]) - 2.0 * slack)
            new, upper[maybe], lower[maybe], _ = _assign_with_bounds(X_ones[maybe], None, x_sq[maybe],
                                                                     centers)
            changed = new != labels[maybe]
            moved = int(changed.sum())
            if moved:
                rows, old, new = maybe[changed], labels[maybe][changed], new[changed]
                shift = np.zeros((len(centers), moved))
                shift[new, np.arange(moved)] = 1.0
                shift[old, np.arange(moved)] = -1.0
                totals += shift @ X_sum[rows]
                labels[rows] = new
        sums, counts = totals[:, :-1], totals[:, -1]
        # Distances to every sample are only needed to relocate empty clusters (rare).
        empty = np.any(counts == 0)
        nearest = _assign(X, centers, x_sq)[1] if empty else None
        new_centers = _new_centers(X, labels, nearest, sums, counts, centers, weight)
        step = np.sqrt(np.sum((new_centers - centers) ** 2, axis=1))  # (k,)
        centers = new_centers
        if empty:
            upper = None  # a relocated center voids the bounds and the totals: a full pass next
        elif upper is not None:
            upper += step[labels]
            lower -= step.max()
        if iteration > 0 and moved == 0:
            strict = True
            break
        if np.sum(step ** 2) <= tol:
            break
    if not strict:
        # The centers moved after the last assignment: relabel so labels match them.
        labels, nearest = _assign(X, centers, x_sq)
    else:
        nearest = _assign(X, centers, x_sq)[1]
    return labels, _inertia(nearest, weight), centers, iteration + 1


def _center_gaps(centers):
    """Distance from each center to its nearest other center, (k,)."""
    diff = centers[:, None, :] - centers[None, :, :]
    between = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    np.fill_diagonal(between, np.inf)
    return between.min(axis=1)


def _assign_with_bounds(X_ones, X_sum, x_sq, centers):
    """Nearest center of each row of X_ones = [X, 1], with the bounds Hamerly's test needs.

    Returns labels (n,), the distance to the nearest center (n,), the distance to the
    second nearest (n,), and, if X_sum is given, the cluster totals one-hot @ X_sum
    (k, d + 1) (sums and total weights, as in `_assign_and_sum`).
    """
    n, k = X_ones.shape[0], len(centers)
    scores = np.hstack([-2.0 * centers, squared_norms(centers)[:, None]])  # (k, d + 1)
    labels = np.empty(n, dtype=np.intp)
    first, second = np.empty(n), np.empty(n)
    totals = None if X_sum is None else np.zeros((k, X_ones.shape[1]))
    for rows in _sample_blocks(n, k):
        partial = scores @ X_ones[rows].T  # (k, rows): squared distances less ||x||²
        kept = partial.copy() if k > 1 else None
        one_hot, labels[rows], first[rows] = _one_hot_of_minimum(partial)
        if totals is not None:
            totals += one_hot @ X_sum[rows]
        if k > 1:
            kept[labels[rows], np.arange(len(kept[0]))] = np.inf
            second[rows] = kept.min(axis=0)
        else:
            second[rows] = np.inf
    first += x_sq
    second += x_sq
    return labels, np.sqrt(np.maximum(first, 0.0)), np.sqrt(np.maximum(second, 0.0)), totals


def _inertia(nearest, weight):
    """Sum of (weighted) squared distances to the nearest center."""
    return float(nearest.sum() if weight is None else nearest @ weight)
