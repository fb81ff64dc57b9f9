"""k-means clustering: k-means++ seeding, Lloyd's and Elkan's iterations, and mini-batches.

Lloyd (1982) alternates assigning each sample to its nearest center and moving each
center to the mean of its samples (its steps live in `_lloyd`, which also skips the
samples Hamerly's (2010) bounds settle); Elkan (2003) skips distance computations that
the triangle inequality proves unnecessary; Sculley (2010) updates from mini-batches.
Every distance computation goes through blocked matrix products, so the cost per
iteration is a few BLAS calls over blocks of samples rather than a Python loop over
samples.
"""
import math
import warnings

import numpy as np

from .base import (BaseEstimator, ClusterMixin, TransformerMixin, check_array, check_is_fitted,
                   check_n_features, check_random_state, check_sample_weight)
from ._lloyd import (_assign, _assign_and_sum, _cluster_sums, _inertia, _lloyd, _new_centers,
                     _sample_blocks, _with_ones)
from .neighbors import squared_distances, squared_norms


# --------------------------------------------------------------------------------------
# k-means building blocks
# --------------------------------------------------------------------------------------

def kmeans_plusplus(X, n_clusters, *, sample_weight=None, x_squared_norms=None, random_state=None,
                    n_local_trials=None):
    """Greedy k-means++ seeding (Arthur & Vassilvitskii, 2007).

    The first center is a sample drawn with probability proportional to its weight;
    each next one is the best of `n_local_trials` candidates (2 + log k by default, as
    scikit-learn) drawn with probability proportional to weight times squared distance
    to the nearest chosen center, "best" meaning the one that lowers the potential
    sum_i w_i min_c ||x_i - c||² most.

    Returns
    -------
    centers : ndarray (n_clusters, n_features)
    indices : ndarray (n_clusters,), the rows of X chosen
    """
    rng = check_random_state(random_state)
    n_samples = X.shape[0]
    x_sq = squared_norms(X) if x_squared_norms is None else x_squared_norms
    n_local_trials = n_local_trials or 2 + int(math.log(n_clusters))
    centers = np.empty((n_clusters, X.shape[1]))
    indices = np.empty(n_clusters, dtype=np.intp)
    # [-2 X^T; ||x||²] (d + 1, n): one product with [c, 1] gives ||x||² - 2 c·x for all
    # samples, so each round costs one BLAS call and a few passes over (trials, n).
    reference = np.vstack([-2.0 * X.T, x_sq])
    first = rng.choice(n_samples, p=sample_weight / sample_weight.sum()) if sample_weight is not None \
        else rng.integers(n_samples)
    centers[0], indices[0] = X[first], first
    closest = _distances_to(X[[first]], x_sq[[first]], reference)[0]  # (n,)
    for c in range(1, n_clusters):
        mass = closest if sample_weight is None else sample_weight * closest
        candidates = _draw_proportional(mass, n_local_trials, rng)
        to_candidates = _distances_to(X[candidates], x_sq[candidates], reference)  # (t, n)
        np.minimum(closest, to_candidates, out=to_candidates)
        potentials = to_candidates.sum(axis=1) if sample_weight is None else to_candidates @ sample_weight
        best = np.argmin(potentials)
        closest = to_candidates[best]
        centers[c], indices[c] = X[candidates[best]], candidates[best]
    return centers, indices


def _elkan(X, centers, x_sq, max_iter, tol, weight=None):
    """Elkan's accelerated k-means (Elkan, 2003), vectorized over samples.

    Keeps an upper bound u_i on the distance to the assigned center and lower bounds
    l_ji on the distances to every center. By the triangle inequality a point cannot
    change cluster when u_i <= max(l_ji, ½ d(c_a, c_j)) for every other j; only the
    points that fail this test get their exact distances recomputed (one matrix product
    over those points). Results equal Lloyd's; the saving is the skipped distances.
    Bounds are stored (k, n) so that tests over the centers run along the short axis 0,
    which NumPy vectorizes across the contiguous sample axis.
    """
    labels, lower = _elkan_exact(X, centers, x_sq)  # lower: (k, n)
    upper = lower[labels, np.arange(len(X))]
    labels_old = None
    for iteration in range(max_iter):
        if iteration > 0:
            labels, upper = _elkan_reassign(X, centers, x_sq, labels, upper, lower)
        sums, counts = _cluster_sums(X, labels, len(centers), weight)
        new_centers = _new_centers(X, labels, upper ** 2, sums, counts, centers, weight)
        moved = np.sqrt(np.sum((new_centers - centers) ** 2, axis=1))  # (k,)
        centers = new_centers
        upper += moved[labels]
        lower -= moved[:, None]
        np.maximum(lower, 0.0, out=lower)
        if labels_old is not None and np.array_equal(labels, labels_old):
            break
        if np.sum(moved ** 2) <= tol:
            break
        labels_old = labels.copy()
    # Final exact pass: labels that match the last centers, and the inertia.
    labels, nearest = _assign(X, centers, x_sq)
    return labels, _inertia(nearest, weight), centers, iteration + 1


def _elkan_exact(X, centers, x_sq):
    """Nearest labels (n,) and exact distances to every center, laid out (k, n)."""
    distances = np.empty((len(centers), len(X)))
    c_sq = squared_norms(centers)
    for rows in _sample_blocks(len(X), len(centers)):
        distances[:, rows] = np.sqrt(squared_distances(centers, X[rows], c_sq, x_sq[rows]))
    return np.argmin(distances, axis=0), distances


def _elkan_reassign(X, centers, x_sq, labels, upper, lower):
    """One Elkan assignment step; updates `lower` (k, n) in place, returns (labels, upper)."""
    between = np.sqrt(squared_distances(centers, centers))  # (k, k)
    np.fill_diagonal(between, np.inf)
    half_gap = 0.5 * between.min(axis=1)  # a point closer than this to its center stays
    maybe = np.flatnonzero(upper > half_gap[labels])
    if len(maybe):
        bound = np.maximum(lower[:, maybe], 0.5 * between[:, labels[maybe]])  # (k, m)
        maybe = maybe[(upper[maybe] > bound).any(axis=0)]
    if len(maybe):
        new_labels, exact = _elkan_exact(X[maybe], centers, x_sq[maybe])
        lower[:, maybe] = exact
        labels = labels.copy()
        labels[maybe] = new_labels
        upper = upper.copy()
        upper[maybe] = exact[new_labels, np.arange(len(maybe))]
    return labels, upper


def _distances_to(rows, rows_sq, reference):
    """Squared distances (t, n) from each of `rows` (t, d) to every sample, clipped at 0.

    `reference` is [-2 X^T; ||x||²] (d + 1, n); rows_sq holds ||row||² (t,).
    """
    D = np.hstack([rows, np.ones((len(rows), 1))]) @ reference
    D += rows_sq[:, None]
    return np.maximum(D, 0.0, out=D)


def _draw_proportional(mass, size, rng, block=256):
    """`size` indices drawn with probability proportional to mass (n,) >= 0, by inverse CDF.

    A full cumulative sum is a slow sequential pass; block sums (a fast reduction) find
    the block of each draw, and only the drawn blocks are summed cumulatively.
    """
    n = len(mass)
    starts = np.arange(0, n, block)
    block_sums = np.add.reduceat(mass, starts)
    block_cum = np.cumsum(block_sums)
    draws = rng.random(size) * block_cum[-1]
    chosen = np.minimum(np.searchsorted(block_cum, draws, side="right"), len(starts) - 1)
    within = draws - (block_cum[chosen] - block_sums[chosen])
    offsets = starts[chosen, None] + np.arange(block)  # (size, block), past n on the last block
    segment = np.where(offsets < n, mass[np.minimum(offsets, n - 1)], 0.0).cumsum(axis=1)
    # The first point whose running sum passes the draw (the last valid one if rounding
    # leaves the draw at the block's total).
    step = np.minimum((segment <= within[:, None]).sum(axis=1), np.minimum(block, n - starts[chosen]) - 1)
    return starts[chosen] + step


def _check_init_array(init, n_clusters, n_features, who):
    init = check_array(init, name="init")
    if init.shape != (n_clusters, n_features):
        raise ValueError(f"{who}: the shape of the initial centers {init.shape} does not match "
                         f"the number of clusters {n_clusters} and features {n_features}.")
    return init.copy()


def _initial_centers(X, x_sq, init, n_clusters, rng, who, init_size=None, weight=None):
    """Starting centers (k, d) from 'k-means++', 'random', an array or a callable."""
    if init_size is not None and init_size < len(X):
        subset = rng.choice(len(X), init_size, replace=False)
        X, x_sq = X[subset], x_sq[subset]
        weight = None if weight is None else weight[subset]
    if isinstance(init, str) and init == "k-means++":
        return kmeans_plusplus(X, n_clusters, sample_weight=weight, x_squared_norms=x_sq,
                               random_state=rng)[0]
    if isinstance(init, str) and init == "random":
        if weight is not None:
            return X[rng.choice(len(X), n_clusters, replace=False, p=weight / weight.sum())].copy()
        return X[rng.permutation(len(X))[:n_clusters]].copy()
    if callable(init):
        return _check_init_array(init(X, n_clusters, random_state=rng), n_clusters, X.shape[1], who)
    if isinstance(init, str):
        raise ValueError(f"{who}: init should be 'k-means++', 'random', an array or a callable, "
                         f"got {init!r}.")
    return _check_init_array(init, n_clusters, X.shape[1], who)


class _KMeansBase(ClusterMixin, TransformerMixin, BaseEstimator):
    """What KMeans and MiniBatchKMeans share: validation, predict, transform, score."""

    _default_n_init_random = 10

    def _validate(self, X, reset):
        who = type(self).__name__
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=reset)
        if reset:
            if not isinstance(self.n_clusters, (int, np.integer)) or self.n_clusters < 1:
                raise ValueError(f"{who}: n_clusters must be a positive int, got {self.n_clusters!r}.")
            if X.shape[0] < self.n_clusters:
                raise ValueError(f"{who}: n_samples={X.shape[0]} should be >= "
                                 f"n_clusters={self.n_clusters}.")
        return X

    def _n_init(self):
        if self.n_init == "auto":
            is_plus_plus = isinstance(self.init, str) and self.init == "k-means++"
            return 1 if is_plus_plus or not (isinstance(self.init, str) or callable(self.init)) \
                else self._default_n_init_random
        if not isinstance(self.n_init, (int, np.integer)) or self.n_init < 1:
            raise ValueError(f"{type(self).__name__}: n_init should be 'auto' or a positive int, "
                             f"got {self.n_init!r}.")
        if not isinstance(self.init, str) and not callable(self.init) and self.n_init != 1:
            warnings.warn(f"Explicit initial center position passed: performing only one init in "
                          f"{type(self).__name__} instead of n_init={self.n_init}.", RuntimeWarning)
            return 1
        return self.n_init

    def predict(self, X):
        """Index of the nearest center for each row of X (n_samples, n_features)."""
        check_is_fitted(self, "cluster_centers_")
        X = self._validate(X, reset=False)
        return _assign(X, self.cluster_centers_, squared_norms(X))[0]

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_

    def transform(self, X):
        """Euclidean distances to each center, shape (n_samples, n_clusters)."""
        check_is_fitted(self, "cluster_centers_")
        X = self._validate(X, reset=False)
        return np.sqrt(squared_distances(X, self.cluster_centers_))

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the k-means objective (sum of squared distances to nearest center)."""
        check_is_fitted(self, "cluster_centers_")
        X = self._validate(X, reset=False)
        weight = None if sample_weight is None else check_sample_weight(sample_weight, len(X), self)
        return -_inertia(_assign(X, self.cluster_centers_, squared_norms(X))[1], weight)

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


class KMeans(_KMeansBase):
    """K-means clustering: minimise the sum of squared distances to the nearest of k centers.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of centers k.
    init : {'k-means++', 'random'}, array (k, n_features) or callable, default='k-means++'
        Seeding method; 'k-means++' is the greedy variant of Arthur & Vassilvitskii (2007).
    n_init : 'auto' or int, default='auto'
        Runs from different seeds; the lowest inertia wins. 'auto' is 1 for k-means++
        or an array, 10 for 'random' or a callable.
    max_iter : int, default=300
        Iterations per run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when the total squared center shift is below
        tol times the mean feature variance of X.
    verbose : int, default=0
        Unused; kept for scikit-learn compatibility.
    random_state : None, int or Generator
        Seed for the initialisation.
    copy_x : bool, default=True
        Unused (X is never modified in place); kept for scikit-learn compatibility.
    algorithm : {'lloyd', 'elkan'}, default='lloyd'
        Lloyd's iteration (skipping, with Hamerly's bounds, the samples that provably
        keep their cluster: the iterates are Lloyd's), or Elkan's variant.

    Attributes
    ----------
    cluster_centers_ : ndarray (n_clusters, n_features)
    labels_ : ndarray (n_samples,)
    inertia_ : float
        Sum of squared distances of the samples to their nearest center.
    n_iter_ : int
        Iterations of the best run.
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300, tol=1e-4,
                 verbose=0, random_state=None, copy_x=True, algorithm="lloyd"):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm

    def fit(self, X, y=None, sample_weight=None):
        """Run k-means `n_init` times on X (n_samples, n_features); keep the best run.

        sample_weight (n_samples,) weighs each sample in the means, the inertia and the
        k-means++ / random seeding.
        """
        X = self._validate(X, reset=True)
        weight = None if sample_weight is None else check_sample_weight(sample_weight, len(X), self)
        if self.algorithm not in ("lloyd", "elkan"):
            raise ValueError(f"KMeans: algorithm must be 'lloyd' or 'elkan', got {self.algorithm!r}.")
        rng = check_random_state(self.random_state)
        n_init = self._n_init()
        # Centering X first keeps ||x||² - 2x·c + ||c||² accurate when X sits far from 0.
        mean = X.mean(axis=0)
        # Centred rows with a column of ones, [X - mean, 1], in one allocation: Lloyd's
        # step uses it whole (see _assign_and_sum), everything else the view Xc.
        X_ones = _with_ones(X, shift=mean)
        Xc = X_ones[:, :-1]
        x_sq = squared_norms(Xc)
        # Mean feature variance, read off the centered norms: sum ||x - mean||² / (n d).
        tol = float(x_sq.sum()) / X.size * self.tol
        run = _lloyd if self.algorithm == "lloyd" or self.n_clusters == 1 else _elkan
        best = None
        for _ in range(n_init):
            init = self.init
            if not isinstance(init, str) and not callable(init):
                init = np.asarray(init, dtype=float) - mean
            centers = _initial_centers(Xc, x_sq, init, self.n_clusters, rng, "KMeans", weight=weight)
            result = (_lloyd(Xc, centers, x_sq, self.max_iter, tol, weight, X_ones) if run is _lloyd
                      else run(Xc, centers, x_sq, self.max_iter, tol, weight))
            if best is None or result[1] < best[1]:
                best = result
        labels, inertia, centers, n_iter = best
        self.cluster_centers_ = centers + mean
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = n_iter
        return self


class MiniBatchKMeans(_KMeansBase):
    """K-means on random mini-batches (Sculley, 2010): cheap steps on large data.

    Each step draws `batch_size` samples, assigns them to the nearest centers, and moves
    each center to the running mean of every sample it has ever been given, which is a
    per-center learning rate 1 / (count so far). Centers that receive too few samples are
    re-seeded from the batch (`reassignment_ratio`). Training stops after
    max_iter passes over the data, or when the smoothed batch inertia has not improved
    for `max_no_improvement` steps, or when the centers move less than `tol`.

    Parameters
    ----------
    n_clusters, init, random_state, verbose
        As in `KMeans`.
    max_iter : int, default=100
        Passes over the data (n_samples / batch_size steps each).
    batch_size : int, default=1024
    compute_labels : bool, default=True
        Label the whole training set (labels_, inertia_) at the end.
    tol : float, default=0.0
        Relative tolerance on the center movement (0 disables it).
    max_no_improvement : int or None, default=10
    init_size : int or None, default=None
        Samples used to seed and compare initialisations; default 3 * batch_size.
    n_init : 'auto' or int, default='auto'
        1 for k-means++ or an array, 3 for 'random' or a callable.
    reassignment_ratio : float, default=0.01

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_iter_, n_steps_
    """

    _default_n_init_random = 3

    def __init__(self, n_clusters=8, *, init="k-means++", max_iter=100, batch_size=1024, verbose=0,
                 compute_labels=True, random_state=None, tol=0.0, max_no_improvement=10,
                 init_size=None, n_init="auto", reassignment_ratio=0.01):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio

    def _seed_centers(self, X, x_sq, rng):
        """The best of n_init seedings, judged by inertia on a random validation subset."""
        n = len(X)
        init_size = self.init_size if self.init_size is not None else 3 * self.batch_size
        init_size = min(max(init_size, 3 * self.n_clusters), n)
        valid = rng.choice(n, init_size, replace=False) if init_size < n else np.arange(n)
        best, best_inertia = None, np.inf
        for _ in range(self._n_init()):
            centers = _initial_centers(X, x_sq, self.init, self.n_clusters, rng, "MiniBatchKMeans",
                                       init_size=init_size)
            inertia = _assign(X[valid], centers, x_sq[valid])[1].sum()
            if inertia < best_inertia:
                best, best_inertia = centers, inertia
        return best

    def fit(self, X, y=None):
        """Run mini-batch k-means on X (n_samples, n_features)."""
        X = self._validate(X, reset=True)
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise ValueError(f"MiniBatchKMeans: batch_size must be a positive int, got {self.batch_size!r}.")
        rng = self._rng = check_random_state(self.random_state)
        n = len(X)
        x_sq = squared_norms(X)
        centers = self._seed_centers(X, x_sq, rng)
        counts = np.zeros(self.n_clusters)
        batch_size = min(self.batch_size, n)
        tol = float(np.mean(np.var(X, axis=0))) * self.tol
        n_steps = (self.max_iter * n) // batch_size
        smoothing = min(1.0, 2.0 * batch_size / (n + 1))  # weight of a batch in the smoothed inertia
        smoothed, best_smoothed, no_improvement = None, np.inf, 0
        self._since_reassign = 0
        step = -1
        for step in range(n_steps):
            batch = rng.integers(0, n, batch_size)
            old = centers
            centers, counts, batch_inertia = self._step(X[batch], x_sq[batch], centers, counts, rng)
            batch_inertia /= batch_size
            if tol > 0 and np.sum((centers - old) ** 2) <= tol:
                break
            if step == 0:
                continue  # the first batch's inertia measures the seeding, not the training
            smoothed = batch_inertia if smoothed is None else \
                (1 - smoothing) * smoothed + smoothing * batch_inertia
            if smoothed < best_smoothed:
                best_smoothed, no_improvement = smoothed, 0
            else:
                no_improvement += 1
            if self.max_no_improvement is not None and no_improvement >= self.max_no_improvement:
                break
        self.cluster_centers_ = centers
        self._counts = counts
        self.n_steps_ = step + 1
        self.n_iter_ = int(np.ceil((step + 1) * batch_size / n))
        if self.compute_labels:
            labels, nearest = _assign(X, centers, x_sq)
            self.labels_, self.inertia_ = labels, float(nearest.sum())
        return self

    def partial_fit(self, X, y=None):
        """One mini-batch step on X (seeding the centers from X on the first call)."""
        first = not hasattr(self, "cluster_centers_")
        X = self._validate(X, reset=first)
        x_sq = squared_norms(X)
        if first:
            self._rng = check_random_state(self.random_state)
            self.cluster_centers_ = self._seed_centers(X, x_sq, self._rng)
            self._counts = np.zeros(self.n_clusters)
            self._since_reassign = 0
            self.n_steps_ = 0
        self.cluster_centers_, self._counts, _ = self._step(X, x_sq, self.cluster_centers_,
                                                           self._counts, self._rng)
        self.n_steps_ += 1
        if self.compute_labels:
            labels, nearest = _assign(X, self.cluster_centers_, x_sq)
            self.labels_, self.inertia_ = labels, float(nearest.sum())
        return self

    def _step(self, X_batch, x_sq_batch, centers, counts, rng):
        """Assign a batch, move centers to their running means, re-seed starved centers."""
        X_ones = _with_ones(X_batch)
        labels, sums, batch_counts, best = _assign_and_sum(X_ones, X_ones, centers)
        nearest = np.maximum(best + x_sq_batch, 0.0)
        new_counts = counts + batch_counts
        hit = batch_counts > 0
        centers = centers.copy()
        centers[hit] = (centers[hit] * counts[hit, None] + sums[hit]) / new_counts[hit, None]
        self._since_reassign += len(X_batch)
        # Re-seed when a center has never been hit, or after every 10 k samples, as
        # scikit-learn paces it.
        due = np.any(new_counts == 0) or self._since_reassign >= 10 * self.n_clusters
        if self.reassignment_ratio > 0 and due:
            self._since_reassign = 0
            starved = new_counts < self.reassignment_ratio * new_counts.max()
            # At most half a batch of centers move at once, each to a distinct batch sample.
            starved_idx = np.flatnonzero(starved)[:max(1, len(X_batch) // 2)]
            if 0 < len(starved_idx) < self.n_clusters:
                picks = rng.choice(len(X_batch), len(starved_idx), replace=False)
                centers[starved_idx] = X_batch[picks]
                new_counts[starved_idx] = new_counts[~starved].min()
        return centers, new_counts, float(nearest.sum())
