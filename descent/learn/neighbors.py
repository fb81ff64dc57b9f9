"""Nearest neighbours: blocked BLAS distances, a KD-tree built from arrays, and kNN estimators.

The squared Euclidean distance expands as ||x - y||² = ||x||² - 2 x·y + ||y||², so a
block of query rows against all reference rows costs one matrix product (BLAS) plus
two broadcast additions. Everything that needs distances in `descent.learn`
(k-means, DBSCAN, kNN) goes through `squared_distances` and `row_blocks`.
"""
import numpy as np

from .base import (BaseEstimator, ClassifierMixin, RegressorMixin, check_array, check_X_y,
                   check_is_fitted, check_n_features, check_classification_targets, encode_labels)

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


def euclidean_distances(X, Y):
    """Euclidean distances, shape (n_x, n_y), computed in row blocks."""
    Y_sq = squared_norms(Y)
    out = np.empty((len(X), len(Y)))
    for rows in row_blocks(len(X), len(Y)):
        out[rows] = np.sqrt(squared_distances(X[rows], Y, Y_sq=Y_sq))
    return out


def _top_k(distances, k):
    """Column indices of the k smallest entries of each row, sorted by distance, (rows, k)."""
    if k < distances.shape[1]:
        part = np.argpartition(distances, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(distances.shape[1]), distances.shape).copy()
    order = np.argsort(np.take_along_axis(distances, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def brute_kneighbors(X_fit, X, k):
    """Exact k nearest rows of X_fit for each row of X: (squared distances, indices), (n, k).

    Query rows go in blocks; each block is one BLAS product against all of X_fit, with
    ||x||² folded into the product as an extra column ([q, 1] · [-2x, ||x||²]) so the
    ranked quantity -2 q·x + ||x||² comes out of BLAS in one pass (||q||² is the same
    along a row and is added at the end). A full `argpartition` of every row is slow,
    so the reference points are dealt into C classes (point i into class i mod C): the
    k-th smallest of a row's C class minima is a threshold t met by at least k entries,
    and only the classes whose minimum is <= t (about k of them) can hold the k nearest.
    """
    n_fit, d = X_fit.shape
    n_classes = min(n_fit // (4 * k), 256)
    if n_classes <= k:
        return _brute_small(X_fit, X, k)
    per_class = -(-n_fit // n_classes)  # ceil: pad the reference set to a full rectangle
    padded = n_classes * per_class
    reference = np.zeros((d + 1, padded))
    reference[:d, :n_fit] = -2.0 * X_fit.T
    reference[d, :n_fit] = squared_norms(X_fit)
    reference[d, n_fit:] = 1e300  # padding points are never near
    distances = np.empty((len(X), k))
    indices = np.empty((len(X), k), dtype=np.intp)
    for rows in row_blocks(len(X), padded, block_elements=2 ** 21):
        queries = np.hstack([X[rows], np.ones((rows.stop - rows.start, 1))])
        D = (queries @ reference).reshape(-1, per_class, n_classes)  # column i*C + c
        distances[rows], indices[rows] = _top_k_by_class(D, k)
    distances += squared_norms(X)[:, None]
    np.maximum(distances, 0.0, out=distances)
    return distances, indices


def _top_k_by_class(D, k):
    """k smallest entries per row of D (b, m, C) read as (b, m * C): (values, columns)."""
    b, per_class, n_classes = D.shape
    # A minimum over the middle axis runs along contiguous rows of C values: fast.
    minima = D.min(axis=1)  # (b, C)
    threshold = np.partition(minima, k - 1, axis=1)[:, k - 1]
    row, cls = np.nonzero(minima <= threshold[:, None])  # at least k classes per row
    counts = np.bincount(row, minlength=b)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    slot = np.arange(len(row)) - first[row]
    candidates = np.full((b, counts.max(), per_class), np.inf)
    candidates[row, slot] = D[row, :, cls]
    class_of_slot = np.zeros((b, counts.max()), dtype=np.intp)
    class_of_slot[row, slot] = cls
    candidates = candidates.reshape(b, -1)
    pick = _top_k(candidates, k)
    values = np.take_along_axis(candidates, pick, axis=1)
    chosen_class = np.take_along_axis(class_of_slot, pick // per_class, axis=1)
    return values, (pick % per_class) * n_classes + chosen_class


def _brute_small(X_fit, X, k):
    """Blocked brute force with a plain argpartition, for small reference sets."""
    fit_sq = squared_norms(X_fit)
    distances = np.empty((len(X), k))
    indices = np.empty((len(X), k), dtype=np.intp)
    for rows in row_blocks(len(X), len(X_fit), block_elements=2 ** 21):
        D = squared_distances(X[rows], X_fit, Y_sq=fit_sq)
        indices[rows] = _top_k(D, k)
        distances[rows] = np.take_along_axis(D, indices[rows], axis=1)
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


# A KD-tree query that would visit more leaves than this per query point falls back to
# brute force for that block of queries (see KDTree._query_block).
MAX_LEAVES_PER_QUERY = 64


class KDTree:
    """A balanced k-d tree held in flat arrays (Bentley, 1975; Friedman, Bentley & Finkel, 1977).

    Built level by level: at level t the data, permuted so that every node's points are
    contiguous, is split into 2**t nodes whose boundaries are floor(j n / 2**t). Each
    node splits on its dimension of largest spread at the median, and one
    `argpartition` on a composite key (node id + position inside the node's range)
    splits every node of the level at once. Leaves hold between leaf_size and
    2 leaf_size points.

    Queries are vectorized over query points: each query first takes its k nearest
    points inside its own small subtree, which bounds its k-th distance r; then all
    (query, node) pairs are walked down the tree level by level, keeping only nodes
    whose bounding box lies within r of the query; the surviving leaves are searched
    by brute force and the candidates merged.

    Parameters
    ----------
    X : ndarray (n, d)
    leaf_size : int
    """

    def __init__(self, X, leaf_size=30):
        self.data = np.asarray(X, dtype=float)
        n, d = self.data.shape
        self.depth = int(np.floor(np.log2(max(n / max(leaf_size, 1), 1.0))))
        order = np.arange(n)
        # Coordinates kept feature-major (d, n): permuting and reducing whole rows of
        # one feature at a time is much faster than gathering (n, d) rows.
        columns = self.data.T.copy()
        self.lower, self.upper, self.split_dim, self.split_value = [], [], [], []
        for level in range(self.depth + 1):
            starts = self.bounds(level)[:-1]
            lower = np.minimum.reduceat(columns, starts, axis=1).T  # (nodes, d)
            upper = np.maximum.reduceat(columns, starts, axis=1).T
            self.lower.append(lower)
            self.upper.append(upper)
            if level == self.depth:
                break
            part, dim, value = self._split_level(columns, level, lower, upper)
            columns = columns[:, part]
            order = order[part]
            self.split_dim.append(dim)
            self.split_value.append(value)
        self.order = order
        self.points = np.ascontiguousarray(columns.T)  # leaf-contiguous copy of the data
        self._pad_leaves()

    def _pad_leaves(self):
        """Leaves as one (n_leaves, width, d) array, short leaves padded with +inf points.

        Gathering whole leaves by index then copies contiguous blocks, far cheaper than
        gathering their points one row at a time.
        """
        bounds = self.bounds(self.depth)
        width = int(np.diff(bounds).max())
        offsets = bounds[:-1, None] + np.arange(width)
        valid = offsets < bounds[1:, None]
        self.leaf_offsets = np.minimum(offsets, len(self.points) - 1)
        self.leaf_points = self.points[self.leaf_offsets]
        self.leaf_points[~valid] = np.inf

    def _leaf_distances(self, X, leaves):
        """Squared distances from X[i] to the points of leaves[i], (n, width), and their offsets."""
        diff = self.leaf_points[leaves] - X[:, None, :]
        return np.einsum("ijk,ijk->ij", diff, diff), self.leaf_offsets[leaves]

    def bounds(self, level):
        """Node boundaries at `level`, shape (2**level + 1,): node j is [b[j], b[j+1])."""
        return (np.arange(2 ** level + 1) * len(self.data)) >> level

    def _split_level(self, columns, level, lower, upper):
        """Split every node of `level` at its median along its widest dimension.

        Returns the permutation that does it, each node's split dimension and value.
        """
        n_nodes, n = 2 ** level, columns.shape[1]
        node = np.repeat(np.arange(n_nodes), np.diff(self.bounds(level)))
        spread = upper - lower
        dim = np.argmax(spread, axis=1)  # (n_nodes,)
        width = spread[np.arange(n_nodes), dim]
        width = np.where(width > 0, width, 1.0) * (1 + 1e-9)
        low = lower[np.arange(n_nodes), dim]
        point_dim = dim[node]
        value = np.empty(n)
        for j in range(columns.shape[0]):  # a loop over features
            chosen = point_dim == j
            value[chosen] = columns[j, chosen]
        key = node + (value - low[node]) / width[node]  # in [node, node + 1)
        part = np.argpartition(key, self.bounds(level + 1)[1:-1])
        split_value = value[part[self.bounds(level + 1)[1::2]]]
        return part, dim, split_value

    def _leaf_of(self, X):
        """Leaf index of each query (n,), found by walking the split planes."""
        node = np.zeros(len(X), dtype=np.intp)
        for level in range(self.depth):
            dim = self.split_dim[level][node]
            go_right = X[np.arange(len(X)), dim] > self.split_value[level][node]
            node = 2 * node + go_right
        return node

    def _range_distances(self, X, starts, ends):
        """Squared distances from X[i] to points[starts[i]:ends[i]], padded with inf (n, w)."""
        width = int((ends - starts).max())
        offsets = starts[:, None] + np.arange(width)
        valid = offsets < ends[:, None]
        offsets = np.minimum(offsets, len(self.points) - 1)
        diff = self.points[offsets] - X[:, None, :]
        distances = np.einsum("ijk,ijk->ij", diff, diff)
        distances[~valid] = np.inf
        return distances, offsets

    def query(self, X, k):
        """k nearest neighbours of each row of X: (squared distances, indices), both (n, k)."""
        X = np.asarray(X, dtype=float)
        n_data = len(self.data)
        # The deepest level whose nodes all hold >= k points gives a first candidate set.
        home_level = min(self.depth, int(np.floor(np.log2(n_data / k))))
        home = self._leaf_of(X) >> (self.depth - home_level)
        best_d, best_i = [], []
        step = max(1, 2 ** 21 // (2 * (n_data >> home_level) + 2) // X.shape[1])
        for s in range(0, len(X), step):
            rows = slice(s, s + step)
            d, i = self._query_block(X[rows], home[rows], home_level, k)
            best_d.append(d)
            best_i.append(i)
        return np.concatenate(best_d), self.order[np.concatenate(best_i)]

    def _query_block(self, X, home, home_level, k):
        if home_level == self.depth:
            distances, offsets = self._leaf_distances(X, home)
        else:
            bounds = self.bounds(home_level)
            distances, offsets = self._range_distances(X, bounds[home], bounds[home + 1])
        # Candidates need no order until the final merge, so a bare partition suffices.
        pick = np.argpartition(distances, k - 1, axis=1)[:, :k]
        own_d = np.take_along_axis(distances, pick, axis=1)
        own_i = np.take_along_axis(offsets, pick, axis=1)
        radius = own_d.max(axis=1)
        query, leaf = self._leaves_within(X, radius, home, home_level,
                                          max_pairs=MAX_LEAVES_PER_QUERY * len(X))
        if query is None:
            # The boxes do not prune here (high dimension, or queries far from the data):
            # brute force is cheaper and keeps memory bounded. Indices are leaf-order rows.
            return brute_kneighbors(self.points, X, k)
        if len(query) == 0:
            order = np.argsort(own_d, axis=1, kind="stable")
            return np.take_along_axis(own_d, order, axis=1), np.take_along_axis(own_i, order, axis=1)
        cand_q, cand_d, cand_i = [np.repeat(np.arange(len(X)), k)], [own_d.ravel()], [own_i.ravel()]
        leaf_bounds = self.bounds(self.depth)
        per_pair = max(1, 2 ** 21 // (2 * (leaf_bounds[1] - leaf_bounds[0]) + 2) // X.shape[1])
        for s in range(0, len(query), per_pair):
            q, lf = query[s:s + per_pair], leaf[s:s + per_pair]
            d, off = self._leaf_distances(X[q], lf)
            m = min(k, d.shape[1])
            top = np.argpartition(d, m - 1, axis=1)[:, :m]
            cand_q.append(np.repeat(q, m))
            cand_d.append(np.take_along_axis(d, top, axis=1).ravel())
            cand_i.append(np.take_along_axis(off, top, axis=1).ravel())
        return self._merge(np.concatenate(cand_q), np.concatenate(cand_d), np.concatenate(cand_i),
                           len(X), k)

    def query_radius_pairs(self, X, radius):
        """All pairs with ||X[i] - data[j]|| <= radius, as two index arrays (i, j).

        The same level-by-level walk as `query`, with one fixed radius for every query
        and no home node: every leaf whose box comes within the radius is searched.
        """
        X = np.asarray(X, dtype=float)
        squared = radius * radius
        bound = np.nextafter(squared, np.inf)  # the box test is strict; keep the boundary
        width = self.leaf_points.shape[1]
        rows, cols = [], []
        step = max(1, 2 ** 16 // width)  # queries per block
        per_chunk = max(1, 2 ** 21 // (width * X.shape[1]))  # (query, leaf) pairs per chunk
        for start in range(0, len(X), step):
            block = X[start:start + step]
            query, leaf = self._leaves_within(block, np.full(len(block), bound), None, -1)
            for s in range(0, len(query), per_chunk):
                q, lf = query[s:s + per_chunk], leaf[s:s + per_chunk]
                distances, offsets = self._leaf_distances(block[q], lf)
                i, j = np.nonzero(distances <= squared)
                rows.append(q[i] + start)
                cols.append(self.order[offsets[i, j]])
        if not rows:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        return np.concatenate(rows), np.concatenate(cols)

    def _leaves_within(self, X, radius, home, home_level, max_pairs=None):
        """(query, leaf) pairs whose leaf box is within `radius` and outside the home node.

        Returns (None, None) as soon as more than `max_pairs` pairs survive a level.
        """
        query = np.arange(len(X))
        node = np.zeros(len(X), dtype=np.intp)
        for level in range(self.depth + 1):
            points = X[query]
            gap = np.maximum(self.lower[level][node] - points, 0.0)
            gap = np.maximum(gap, points - self.upper[level][node])
            keep = np.einsum("ij,ij->i", gap, gap) < radius[query]
            if level == home_level:
                keep &= node != home[query]
            query, node = query[keep], node[keep]
            if max_pairs is not None and len(query) > max_pairs:
                return None, None
            if level == self.depth or len(query) == 0:
                break
            query = np.repeat(query, 2)
            node = (2 * np.repeat(node, 2)) + np.tile([0, 1], len(node))
        return query, node

    @staticmethod
    def _merge(query, distances, indices, n_queries, k):
        """The k smallest candidates of each query, sorted by distance, as (n, k) arrays.

        `query` is non-decreasing within each concatenated part but the parts interleave;
        a stable sort by query id groups them, then each query's candidates are
        scattered into one row of an inf-padded matrix and the k smallest picked per row.
        """
        order = np.argsort(query, kind="stable")
        query, distances, indices = query[order], distances[order], indices[order]
        counts = np.bincount(query, minlength=n_queries)
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        column = np.arange(len(query)) - first[query]
        padded = np.full((n_queries, counts.max()), np.inf)
        padded_index = np.zeros((n_queries, counts.max()), dtype=np.intp)
        padded[query, column] = distances
        padded_index[query, column] = indices
        pick = _top_k(padded, k)
        return np.take_along_axis(padded, pick, axis=1), np.take_along_axis(padded_index, pick, axis=1)


# --------------------------------------------------------------------------------------
# k-nearest-neighbour estimators
# --------------------------------------------------------------------------------------

# Up to this many features the KD-tree beats blocked brute force in our measurements
# (make_classification data, 10k-100k samples); above it boxes stop pruning well.
KD_TREE_MAX_FEATURES = 5


class _KNeighborsBase(BaseEstimator):
    """Shared by the kNN classifier and regressor: the index and the neighbour query."""

    def _check_params(self, n_features):
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
            return "kd_tree" if n_features <= KD_TREE_MAX_FEATURES else "brute"
        return self.algorithm

    def _fit_index(self, X):
        self._fit_method = self._check_params(X.shape[1])
        self._fit_X = X
        self.n_samples_fit_ = X.shape[0]
        self.effective_metric_ = "euclidean"
        self._tree = KDTree(X, self.leaf_size) if self._fit_method == "kd_tree" else None

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
        if self._tree is not None:
            squared, indices = self._tree.query(X, k)
        else:
            squared, indices = brute_kneighbors(self._fit_X, X, k)
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
        'brute': blocked BLAS distances; 'kd_tree': `KDTree`; 'auto': kd_tree for at most
        KD_TREE_MAX_FEATURES features, brute otherwise.
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
