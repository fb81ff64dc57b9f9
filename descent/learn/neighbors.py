"""Nearest neighbours: blocked BLAS distances, exact brute-force search, and kNN estimators.

The squared Euclidean distance expands as ||x - y||² = ||x||² - 2 x·y + ||y||², so a
block of query rows against all reference rows costs one matrix product (BLAS) plus
two broadcast additions. Everything that needs distances in `descent.learn`
(k-means, DBSCAN, kNN) goes through `squared_distances` and `row_blocks`. The
k-nearest search itself is `BruteIndex` (float32 screening, exact float64 answer) or,
in few dimensions, the `KDTree` of `_kdtree`.
"""
import numpy as np

from .base import (BaseEstimator, ClassifierMixin, RegressorMixin, check_array, check_X_y,
                   check_is_fitted, check_n_features, check_classification_targets, encode_labels)
from ._kdtree import KDTree, smallest_k_per_group  # noqa: F401  (KDTree is re-exported)

# Elements in one block of a distance matrix: 2**20 float64 values = 8 MiB, which
# keeps a block in cache-friendly territory while giving BLAS long rows to work on.
BLOCK_ELEMENTS = 2 ** 20


def row_blocks(n_rows, n_cols, block_elements=BLOCK_ELEMENTS):
    """Slices covering range(n_rows) so that each (rows, n_cols) block holds ~block_elements."""
    step = max(1, block_elements // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def squared_norms(X):
    """Row-wise ||x||², shape (n,)."""
    return np.einsum("ij,ij->i", X, X)


def squared_distances(X, Y, X_sq=None, Y_sq=None):
    """Squared Euclidean distances, shape (n_x, n_y), via ||x||² - 2 x·y + ||y||².

    Rounding can make the expansion slightly negative for coincident points, so the
    result is clipped at zero.
    """
    X_sq = squared_norms(X) if X_sq is None else X_sq
    Y_sq = squared_norms(Y) if Y_sq is None else Y_sq
    D = X @ Y.T
    D *= -2.0
    D += X_sq[:, None]
    D += Y_sq[None, :]
    np.maximum(D, 0.0, out=D)
    return D


def _top_k(distances, k):
    """Column indices of the k smallest entries of each row, sorted by distance, (rows, k)."""
    if k < distances.shape[1]:
        part = np.argpartition(distances, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(distances.shape[1]), distances.shape).copy()
    order = np.argsort(np.take_along_axis(distances, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def brute_kneighbors(X_fit, X, k):
    """Exact k nearest rows of X_fit for each row of X: (squared distances, indices), (n, k)."""
    return BruteIndex(X_fit).query(X, k)


# Unit roundoff of float32, the precision of the screening pass of `BruteIndex`.
FLOAT32_UNIT = 2.0 ** -24
# A (query rows, reference columns) tile of the screening pass: 128 x 8192 float32 values
# = 4 MiB, small enough to stay in cache while it is reduced.
TILE_ROWS, TILE_COLUMNS = 128, 8192


class BruteIndex:
    """Exact k-nearest-neighbour search by blocked matrix products, screened in float32.

    The ranked quantity s(q, x) = ||x||² - 2 q·x (||q||² is the same along a query's
    row) comes out of one BLAS product [q, 1] · [-2x; ||x||²]. Done in float32 it
    moves half the bytes and runs twice as fast as in float64; it is only used to
    screen. By the standard bound on a rounded dot product of n terms (Higham, 2002,
    §3.1), |s32 - s| <= E_q = γ_(d+3) (||q||² + 2 max ||x||²), with γ_n = n u / (1 - n u)
    (doubled here for safety). If t is an upper bound on the k-th smallest s32 of a
    row, every true k-nearest point has s32 <= t + 2 E_q; those few candidates get
    their exact distance ||q - x||² in float64, and the k smallest are kept.

    Finding t and the candidates without sorting whole rows: the reference points are
    dealt into C classes (point i*C + c into class c), so a (rows, m, C) tile reduces
    to class minima by a fast minimum over its middle axis. The k-th smallest class
    minimum of a row is met by at least k points: a valid t. Only the classes whose
    minimum is within the bound are read back, one strided gather per tile.

    Parameters
    ----------
    X : ndarray (n, d), the reference points
    """

    def __init__(self, X):
        self.data = X
        n, d = X.shape
        # Centred and scaled by a power of two (exact) so that max ||x||² is about 1:
        # float32 neither overflows nor underflows, and E_q stays small.
        self.center = X.mean(axis=0)
        centred = X - self.center
        sq = squared_norms(centred)
        top = sq.max() if n else 0.0
        self.scale = 2.0 ** -np.round(np.log2(top) / 2) if top > 0 else 1.0
        centred *= self.scale
        sq *= self.scale ** 2
        self.max_sq = sq.max() if n else 0.0
        self.n_classes = max(1, min(256, n // 16))
        self.per_class = -(-n // self.n_classes)  # ceil: padded to a full (per_class, C) grid
        reference = np.zeros((d + 1, self.n_classes * self.per_class), dtype=np.float32)
        reference[:d, :n] = -2.0 * centred.T
        reference[d, :n] = sq
        reference[d, n:] = 1e30  # padding points are never near
        self.reference = reference
        nu = (d + 3) * FLOAT32_UNIT
        self.gamma = 2.0 * nu / (1.0 - nu)

    def query(self, X, k):
        """k nearest reference rows of each row of X: (squared distances, indices), (n, k), ascending."""
        n_queries, d = X.shape
        if self.n_classes <= 2 * k:
            return _brute_small(self.data, X, k)
        scaled = (X - self.center) * self.scale
        q_sq = squared_norms(scaled)
        margin = self.gamma * (q_sq + 2.0 * self.max_sq) + 1e-30
        queries = np.empty((n_queries, d + 1), dtype=np.float32)
        queries[:, :d] = scaled
        queries[:, d] = 1.0
        distances = np.empty((n_queries, k))
        indices = np.empty((n_queries, k), dtype=np.intp)
        for rows in row_blocks(n_queries, 1, block_elements=TILE_ROWS):
            if np.all(q_sq[rows] < 1e30):
                found = self._screen(queries[rows], margin[rows], k)
            else:
                found = None  # queries so far out that float32 would overflow
            if found is None:
                distances[rows], indices[rows] = _brute_small(self.data, X[rows], k)
            else:
                distances[rows], indices[rows] = _exact_top_k(X[rows], self.data, *found, k)
        return distances, indices

    def _screen(self, queries, margin, k):
        """Candidates (query row, reference index) that may be among the k nearest.

        Returns None when too many candidates survive (many tied distances, e.g.
        duplicated points): the caller then takes the plain float64 path.
        """
        b, C, per_class = len(queries), self.n_classes, self.per_class
        step = max(1, TILE_COLUMNS // C)
        minima, bound = None, None
        rows, columns, screened = [], [], []
        found, limit, refresh = 0, b * max(16 * k, 256), 0
        for tile, i0 in enumerate(range(0, per_class, step)):
            i1 = min(i0 + step, per_class)
            s32 = (queries @ self.reference[:, i0 * C:i1 * C]).reshape(b, i1 - i0, C)
            tile_minima = s32.min(axis=1)  # (b, C)
            minima = tile_minima if minima is None else np.minimum(minima, tile_minima)
            if tile == refresh:  # tighten t after tiles 0, 1, 3, 7, ...: minima only fall
                bound = _round_up_to_float32(_kth_smallest(minima, k) + 2.0 * margin)
                refresh = 2 * refresh + 1
            row, cls = np.nonzero(tile_minima <= bound[:, None])
            values = s32[row, :, cls]  # (pairs, i1 - i0): the chosen classes' entries
            pair, i = np.nonzero(values <= bound[row, None])
            rows.append(row[pair])
            columns.append((i + i0) * C + cls[pair])
            screened.append(values[pair, i])
            found += len(pair)
            if found > limit:
                return None
        row, column, value = np.concatenate(rows), np.concatenate(columns), np.concatenate(screened)
        keep = value <= (_kth_smallest(minima, k) + 2.0 * margin)[row]
        return row[keep], column[keep]


def _kth_smallest(values, k):
    """The k-th smallest entry of each row of a 2-d array, (rows,), as float64."""
    return np.partition(values, k - 1, axis=1)[:, k - 1].astype(float)


def _round_up_to_float32(x):
    """float32 values >= x (float64), so comparisons in float32 never lose a candidate."""
    x32 = x.astype(np.float32)
    return np.where(x32 < x, np.nextafter(x32, np.float32(np.inf)), x32)


def _exact_top_k(X, X_fit, query, candidate, k):
    """The k nearest of each query among its candidates, by exact float64 distances.

    `query` (m,) holds row numbers of X, each at least k times. Ties in distance go
    to the lower reference index.
    """
    diff = X[query] - X_fit[candidate]
    squared = np.einsum("ij,ij->i", diff, diff)
    order = np.lexsort((candidate, squared, query))
    return smallest_k_per_group(order, query, squared, candidate, len(X), k)


def _brute_small(X_fit, X, k):
    """Blocked float64 brute force with a plain argpartition: small sets, many ties.

    The k chosen get their distances recomputed from differences, exact where the
    expansion can round (a point coinciding with its query comes out at 0).
    """
    fit_sq = squared_norms(X_fit)
    distances = np.empty((len(X), k))
    indices = np.empty((len(X), k), dtype=np.intp)
    for rows in row_blocks(len(X), len(X_fit), block_elements=2 ** 21):
        index = _top_k(squared_distances(X[rows], X_fit, Y_sq=fit_sq), k)
        diff = X[rows, None, :] - X_fit[index]
        squared = np.einsum("ijk,ijk->ij", diff, diff)
        order = np.argsort(squared, axis=1, kind="stable")
        distances[rows] = np.take_along_axis(squared, order, axis=1)
        indices[rows] = np.take_along_axis(index, order, axis=1)
    return distances, indices


def radius_neighbors_graph(X, radius):
    """All pairs (i, j) of rows of X with ||x_i - x_j|| <= radius, as two index arrays.

    Computed in row blocks of the squared distance matrix, so memory is bounded by the
    block size plus the number of pairs found.
    """
    x_sq = squared_norms(X)
    rows_found, cols_found = [], []
    for rows in row_blocks(len(X), len(X), block_elements=2 ** 22):
        D = squared_distances(X[rows], X, X_sq=x_sq[rows], Y_sq=x_sq)
        # Each point is at distance 0 from itself, whatever the rounding of the expansion.
        D[np.arange(rows.stop - rows.start), np.arange(rows.start, rows.stop)] = 0.0
        i, j = np.nonzero(D <= radius * radius)
        rows_found.append(i + rows.start)
        cols_found.append(j)
    return np.concatenate(rows_found), np.concatenate(cols_found)


# --------------------------------------------------------------------------------------
# k-nearest-neighbour estimators
# --------------------------------------------------------------------------------------

# Up to this many features the KD-tree beats blocked brute force in our measurements
# (make_classification data, 10k-100k samples, 2000 queries: at 5 features the tree
# takes 0.6x the time of brute force at 10k samples, 0.25x at 100k); above it boxes
# stop pruning well. With many samples the tree keeps its lead a little longer
# (7 features, 100k samples: 0.6x), while brute force costs grow with n.
KD_TREE_MAX_FEATURES = 5
KD_TREE_MAX_FEATURES_LARGE, LARGE_N = 7, 50_000


class _KNeighborsBase(BaseEstimator):
    """Shared by the kNN classifier and regressor: the index and the neighbour query."""

    def _check_params(self, n_samples, n_features):
        who = type(self).__name__
        if not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1:
            raise ValueError(f"{who}: n_neighbors must be a positive int, got {self.n_neighbors!r}.")
        if self.algorithm not in ("auto", "brute", "kd_tree"):
            raise ValueError(f"{who}: algorithm must be 'auto', 'brute' or 'kd_tree', "
                             f"got {self.algorithm!r}.")
        euclidean = self.metric == "euclidean" or (self.metric == "minkowski" and self.p in (2, None))
        if not euclidean:
            raise ValueError(f"{who}: only the Euclidean metric is implemented (metric='euclidean', "
                             f"or 'minkowski' with p=2), got metric={self.metric!r}, p={self.p!r}.")
        if not (self.weights in ("uniform", "distance") or callable(self.weights)):
            raise ValueError(f"{who}: weights must be 'uniform', 'distance' or a callable, "
                             f"got {self.weights!r}.")
        if self.algorithm == "auto":
            limit = KD_TREE_MAX_FEATURES_LARGE if n_samples >= LARGE_N else KD_TREE_MAX_FEATURES
            return "kd_tree" if n_features <= limit else "brute"
        return self.algorithm

    def _fit_index(self, X):
        self._fit_method = self._check_params(*X.shape)
        self._fit_X = X
        self.n_samples_fit_ = X.shape[0]
        self.effective_metric_ = "euclidean"
        self._index = KDTree(X, self.leaf_size) if self._fit_method == "kd_tree" else BruteIndex(X)

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """The n_neighbors nearest training samples of each query row.

        With X=None the queries are the training samples, each excluding itself.

        Returns
        -------
        distances : ndarray (n_queries, n_neighbors), Euclidean, ascending (if return_distance)
        indices : ndarray (n_queries, n_neighbors), rows of the training data
        """
        check_is_fitted(self, "n_samples_fit_")
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"{type(self).__name__}.kneighbors: n_neighbors must be a positive int, "
                             f"got {k!r}.")
        query_is_train = X is None
        if query_is_train:
            X, k = self._fit_X, k + 1
        else:
            X = check_array(X, estimator=self)
            check_n_features(self, X, reset=False)
        if k > self.n_samples_fit_:
            raise ValueError(f"Expected n_neighbors <= n_samples_fit, but n_neighbors = "
                             f"{k - query_is_train}, n_samples_fit = {self.n_samples_fit_}, "
                             f"n_samples = {X.shape[0]}")
        squared, indices = self._index.query(X, k)
        if query_is_train:
            squared, indices = _drop_self(squared, indices)
        distances = np.sqrt(squared)
        return (distances, indices) if return_distance else indices

    def _neighbor_weights(self, distances):
        """Weights (n_queries, k) of the neighbours: 1, 1/d, or the user's callable."""
        if self.weights == "uniform":
            return np.ones_like(distances)
        if self.weights == "distance":
            with np.errstate(divide="ignore"):
                weights = 1.0 / distances
            # A query that coincides with training points takes only those points.
            exact = np.isinf(weights).any(axis=1)
            weights[exact] = np.isinf(weights[exact]).astype(float)
            return weights
        return np.asarray(self.weights(distances), dtype=float)


def _drop_self(squared, indices):
    """Remove each training query from its own neighbour list (or its farthest if absent)."""
    n, k = indices.shape
    is_self = indices == np.arange(n)[:, None]
    missing = ~is_self.any(axis=1)
    is_self[missing, -1] = True
    keep = ~is_self
    return squared[keep].reshape(n, k - 1), indices[keep].reshape(n, k - 1)


class KNeighborsClassifier(ClassifierMixin, _KNeighborsBase):
    """Vote among the k nearest training samples (Fix & Hodges, 1951; Cover & Hart, 1967).

    Parameters
    ----------
    n_neighbors : int, default=5
    weights : {'uniform', 'distance'} or callable, default='uniform'
        'distance' weighs each neighbour by 1 / distance.
    algorithm : {'auto', 'brute', 'kd_tree'}, default='auto'
        'brute': `BruteIndex` (blocked BLAS products); 'kd_tree': `KDTree`; 'auto':
        kd_tree for at most KD_TREE_MAX_FEATURES features (KD_TREE_MAX_FEATURES_LARGE
        from LARGE_N samples on), brute otherwise.
    leaf_size : int, default=30
        Smallest leaf of the KD-tree.
    p : float, default=2
    metric : {'minkowski', 'euclidean'}, default='minkowski'
        Only the Euclidean distance (p=2) is implemented.
    metric_params, n_jobs
        Accepted for scikit-learn compatibility; unused.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    n_samples_fit_ : int
    effective_metric_ : str
    """

    def __init__(self, n_neighbors=5, *, weights="uniform", algorithm="auto", leaf_size=30, p=2,
                 metric="minkowski", metric_params=None, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.metric = metric
        self.metric_params = metric_params
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Store X (n_samples, n_features) and the labels y (n_samples,)."""
        X, y = check_X_y(X, y, dtype=np.float64, estimator=self)
        check_classification_targets(y)
        check_n_features(self, X, reset=True)
        self.classes_, self._y = encode_labels(y)
        self._fit_index(X)
        return self

    def predict_proba(self, X):
        """Weighted share of each class among the neighbours, shape (n_samples, n_classes)."""
        check_is_fitted(self, "classes_")
        distances, indices = self.kneighbors(X)
        weights = self._neighbor_weights(distances)
        n_classes = len(self.classes_)
        labels = self._y[indices]  # (n, k)
        # Sum the weights per (query, class) with one bincount over flattened pairs.
        flat = (np.arange(len(labels))[:, None] * n_classes + labels).ravel()
        votes = np.bincount(flat, weights=weights.ravel(), minlength=len(labels) * n_classes)
        votes = votes.reshape(len(labels), n_classes)
        total = votes.sum(axis=1, keepdims=True)
        return votes / np.where(total == 0, 1.0, total)

    def predict(self, X):
        """The class with the largest (weighted) vote, shape (n_samples,)."""
        check_is_fitted(self, "classes_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class KNeighborsRegressor(RegressorMixin, _KNeighborsBase):
    """Average of the targets of the k nearest training samples (weighted or not).

    Parameters are those of `KNeighborsClassifier`. y may be (n_samples,) or
    (n_samples, n_outputs).
    """

    def __init__(self, n_neighbors=5, *, weights="uniform", algorithm="auto", leaf_size=30, p=2,
                 metric="minkowski", metric_params=None, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.metric = metric
        self.metric_params = metric_params
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Store X (n_samples, n_features) and the targets y."""
        X, y = check_X_y(X, y, dtype=np.float64, y_numeric=True, multi_output=True, estimator=self)
        check_n_features(self, X, reset=True)
        self._y = y
        self._fit_index(X)
        return self

    def predict(self, X):
        """Weighted mean target of the neighbours, shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self, "n_samples_fit_")
        distances, indices = self.kneighbors(X)
        weights = self._neighbor_weights(distances)
        weights = weights / weights.sum(axis=1, keepdims=True)
        neighbours = self._y[indices]  # (n, k) or (n, k, n_outputs)
        if neighbours.ndim == 2:
            return np.einsum("nk,nk->n", weights, neighbours)
        return np.einsum("nk,nko->no", weights, neighbours)

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.target_tags.multi_output = True
        return tags
