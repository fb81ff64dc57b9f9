"""Clustering by density and by merging: DBSCAN and agglomerative clustering.

k-means lives in `descent.learn.kmeans` and is importable from here too.
"""
import numpy as np

from .base import BaseEstimator, ClusterMixin, check_array, check_n_features
from .kmeans import KMeans, MiniBatchKMeans, kmeans_plusplus  # noqa: F401  (one place to import clusterers from)
from .neighbors import KD_TREE_MAX_FEATURES, KDTree, radius_neighbors_graph, squared_distances


# --------------------------------------------------------------------------------------
# DBSCAN
# --------------------------------------------------------------------------------------

def connected_components(n_nodes, rows, cols):
    """Component label of each node (n_nodes,) of the undirected graph with edges rows-cols.

    Each edge must be listed in both directions (as a radius-neighbours graph is);
    edges sorted by `rows` skip a sort.

    Vectorized min-label propagation with pointer jumping (as in Shiloach & Vishkin,
    1982): every node takes the smallest label among itself and its neighbours, each
    root adopts the smallest label proposed to any of its members, and pointers are
    followed to the roots; repeated until nothing changes. Each label ends as the
    smallest node index in its component. The per-node minimum over neighbours is one
    `minimum.reduceat` over the edges grouped by node.
    """
    if np.any(rows[1:] < rows[:-1]):
        order = np.argsort(rows, kind="stable")
        rows, cols = rows[order], cols[order]
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1]))) if len(rows) else rows
    nodes = rows[starts]
    label = np.arange(n_nodes)
    while True:
        proposal = label.copy()
        if len(nodes):
            neighbour_min = np.minimum.reduceat(label[cols], starts)
            proposal[nodes] = np.minimum(proposal[nodes], neighbour_min)
        np.minimum.at(proposal, label, proposal)  # hooking: over nodes, not edges
        while True:  # pointer jumping until every node points at a root
            jumped = proposal[proposal]
            if np.array_equal(jumped, proposal):
                break
            proposal = jumped
        if np.array_equal(proposal, label):
            return label
        label = proposal


class DBSCAN(ClusterMixin, BaseEstimator):
    """Density-based clustering (Ester, Kriegel, Sander & Xu, 1996).

    A core sample has at least `min_samples` samples (itself included) within `eps`.
    Clusters are the connected components of the graph linking core samples within eps
    of each other; a non-core sample within eps of a core sample joins that core
    sample's cluster (the one with the lowest index, if several); all others are noise
    (label -1).

    Parameters
    ----------
    eps : float, default=0.5
    min_samples : int, default=5
    metric : {'euclidean', 'precomputed'}, default='euclidean'
    algorithm : {'auto', 'brute', 'kd_tree', 'ball_tree'}, default='auto'
        How neighbourhoods are found: blocked brute-force distances, or radius queries on
        a `KDTree` ('ball_tree' also means the KD-tree); 'auto' takes the tree for at most
        KD_TREE_MAX_FEATURES features.
    leaf_size : int, default=30
    metric_params, p, n_jobs
        Accepted for scikit-learn compatibility; unused.

    Attributes
    ----------
    labels_ : ndarray (n_samples,)
        Cluster of each sample, numbered in order of their lowest core sample; -1 is noise.
    core_sample_indices_ : ndarray (n_core,)
    components_ : ndarray (n_core, n_features)
    """

    def __init__(self, eps=0.5, *, min_samples=5, metric="euclidean", metric_params=None,
                 algorithm="auto", leaf_size=30, p=None, n_jobs=None):
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric
        self.metric_params = metric_params
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.n_jobs = n_jobs

    def fit(self, X, y=None, sample_weight=None):
        """Cluster X (n_samples, n_features), or a distance matrix when metric='precomputed'."""
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        if not self.eps > 0:
            raise ValueError(f"DBSCAN: eps must be positive, got {self.eps!r}.")
        if self.metric == "euclidean" and self._use_tree(X.shape[1]):
            rows, cols = KDTree(X, self.leaf_size).query_radius_pairs(X, self.eps)
        elif self.metric == "euclidean":
            rows, cols = radius_neighbors_graph(X, self.eps)
        elif self.metric == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(f"DBSCAN: a precomputed distance matrix must be square, got {X.shape}.")
            rows, cols = np.nonzero(X <= self.eps)
        else:
            raise ValueError(f"DBSCAN: metric must be 'euclidean' or 'precomputed', got {self.metric!r}.")
        n = X.shape[0]
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if weight.shape != (n,):
            raise ValueError(f"DBSCAN: sample_weight has shape {weight.shape}, expected ({n},).")
        if not np.any(weight != 0):
            raise ValueError("DBSCAN: sample weights must contain at least one non-zero number.")
        density = np.bincount(rows, weights=weight[cols], minlength=n)
        core = density >= self.min_samples
        self.labels_ = self._label(n, rows, cols, core)
        self.core_sample_indices_ = np.flatnonzero(core)
        self.components_ = X[core].copy()
        return self

    def _use_tree(self, n_features):
        if self.algorithm not in ("auto", "brute", "kd_tree", "ball_tree"):
            raise ValueError(f"DBSCAN: algorithm must be 'auto', 'brute', 'kd_tree' or 'ball_tree', "
                             f"got {self.algorithm!r}.")
        if self.algorithm == "auto":
            return n_features <= KD_TREE_MAX_FEATURES
        return self.algorithm != "brute"

    @staticmethod
    def _label(n, rows, cols, core):
        core_edge = core[rows] & core[cols]
        roots = connected_components(n, rows[core_edge], cols[core_edge])
        labels = np.full(n, -1)
        core_ids = np.flatnonzero(core)
        # Number clusters by their smallest core sample (each root is that sample).
        cluster_of_root = np.full(n, -1)
        unique_roots = np.unique(roots[core_ids])
        cluster_of_root[unique_roots] = np.arange(len(unique_roots))
        labels[core_ids] = cluster_of_root[roots[core_ids]]
        # Border samples join the cluster of a neighbouring core sample (the lowest label).
        border_edge = ~core[rows] & core[cols]
        border_label = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(border_label, rows[border_edge], labels[cols[border_edge]])
        reached = border_label < np.iinfo(np.int64).max
        labels[reached] = border_label[reached]
        return labels


# --------------------------------------------------------------------------------------
# Agglomerative clustering
# --------------------------------------------------------------------------------------

def _lance_williams(linkage, d_i, d_j, d_ij, n_i, n_j, sizes):
    """Distances from every cluster to the union of clusters i and j (Lance & Williams, 1967).

    d_i, d_j are the distance rows of i and j; for 'ward' they hold squared distances.
    """
    if linkage == "single":
        return np.minimum(d_i, d_j)
    if linkage == "complete":
        return np.maximum(d_i, d_j)
    if linkage == "average":
        return (n_i * d_i + n_j * d_j) / (n_i + n_j)
    total = n_i + n_j + sizes  # ward, on squared distances
    return ((n_i + sizes) * d_i + (n_j + sizes) * d_j - sizes * d_ij) / total


def linkage_tree(D, linkage):
    """Merge order of hierarchical clustering from a distance matrix D (n, n).

    Returns children (n-1, 2) and merge distances (n-1,) in scipy's convention: the
    cluster created by merge s has id n + s. One loop over the n - 1 merges; each merge
    is found from cached per-row minima and updates one row of D in a vectorized step.
    """
    n = len(D)
    ward = linkage == "ward"
    D = (D ** 2 if ward else D).astype(float, copy=True)
    np.fill_diagonal(D, np.inf)
    sizes = np.ones(n)
    node_id = np.arange(n)
    row_min, row_arg = D.min(axis=1), D.argmin(axis=1)
    children = np.empty((n - 1, 2), dtype=np.intp)
    distances = np.empty(n - 1)
    for step in range(n - 1):
        i = int(np.argmin(row_min))
        j = int(row_arg[i])
        i, j = min(i, j), max(i, j)
        d_ij = D[i, j]
        merged = _lance_williams(linkage, D[i], D[j], d_ij, sizes[i], sizes[j], sizes)
        children[step] = sorted((node_id[i], node_id[j]))
        distances[step] = np.sqrt(max(d_ij, 0.0)) if ward else d_ij
        # The union lives in slot i; slot j is retired.
        sizes[i] += sizes[j]
        node_id[i] = n + step
        merged[[i, j]] = np.inf
        D[i], D[:, i] = merged, merged
        D[j], D[:, j] = np.inf, np.inf
        row_min[j] = np.inf
        self_stale = (row_arg == i) | (row_arg == j)
        self_stale[j] = False
        closer = merged < row_min
        row_min[closer], row_arg[closer] = merged[closer], i
        stale = np.flatnonzero(self_stale & ~closer)
        if len(stale):
            row_min[stale] = D[stale].min(axis=1)
            row_arg[stale] = D[stale].argmin(axis=1)
        row_min[i], row_arg[i] = D[i].min(), D[i].argmin()
    return children, distances


def cut_tree(children, n_leaves, n_merges):
    """Flat labels (n_leaves,) after the first `n_merges` merges, numbered 0.. in leaf order."""
    parent = np.arange(n_leaves + len(children))
    for step in range(n_merges):  # a loop over merges, not samples
        parent[children[step]] = n_leaves + step
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            break
        parent = jumped
    return np.unique(parent[:n_leaves], return_inverse=True)[1].reshape(-1)


class AgglomerativeClustering(ClusterMixin, BaseEstimator):
    """Bottom-up hierarchical clustering: repeatedly merge the two closest clusters.

    Closeness between clusters is the linkage: 'ward' (the merge that least increases
    the total within-cluster variance, Ward 1963), 'complete' (largest pairwise
    distance), 'average' (mean pairwise distance) or 'single' (smallest).

    Parameters
    ----------
    n_clusters : int or None, default=2
        Clusters to find; None when `distance_threshold` is given.
    metric : {'euclidean', 'cosine', 'precomputed'}, default='euclidean'
        'ward' needs 'euclidean'.
    memory, connectivity, compute_full_tree
        Accepted for scikit-learn compatibility; connectivity constraints are not supported
        and the full tree is always built.
    linkage : {'ward', 'complete', 'average', 'single'}, default='ward'
    distance_threshold : float or None, default=None
        Stop merging at this linkage distance (then n_clusters must be None).
    compute_distances : bool, default=False
        Store `distances_` even without a distance_threshold.

    Attributes
    ----------
    n_clusters_ : int
    labels_ : ndarray (n_samples,)
    n_leaves_ : int
    n_connected_components_ : int
    children_ : ndarray (n_samples - 1, 2)
        Merge s joins children_[s]; ids >= n_samples are clusters made by earlier merges.
    distances_ : ndarray (n_samples - 1,)
    """

    def __init__(self, n_clusters=2, *, metric="euclidean", memory=None, connectivity=None,
                 compute_full_tree="auto", linkage="ward", distance_threshold=None,
                 compute_distances=False):
        self.n_clusters = n_clusters
        self.metric = metric
        self.memory = memory
        self.connectivity = connectivity
        self.compute_full_tree = compute_full_tree
        self.linkage = linkage
        self.distance_threshold = distance_threshold
        self.compute_distances = compute_distances

    def fit(self, X, y=None):
        """Build the merge tree of X (n_samples, n_features) and cut it."""
        X = check_array(X, estimator=self, ensure_min_samples=2)
        check_n_features(self, X, reset=True)
        self._check_parameters(X.shape[0])
        children, distances = linkage_tree(self._distances(X), self.linkage)
        n = X.shape[0]
        if self.distance_threshold is not None:
            n_merges = int(np.sum(distances < self.distance_threshold))
        else:
            n_merges = n - self.n_clusters
        self.children_ = children
        if self.distance_threshold is not None or self.compute_distances:
            self.distances_ = distances
        self.labels_ = cut_tree(children, n, n_merges)
        self.n_clusters_ = n - n_merges
        self.n_leaves_ = n
        self.n_connected_components_ = 1
        return self

    def _check_parameters(self, n):
        who = "AgglomerativeClustering"
        if (self.n_clusters is None) == (self.distance_threshold is None):
            raise ValueError(f"{who}: exactly one of n_clusters and distance_threshold has to be set, "
                             f"and the other needs to be None.")
        if self.n_clusters is not None and not 1 <= self.n_clusters <= n:
            raise ValueError(f"{who}: n_clusters should be between 1 and n_samples={n}, "
                             f"got {self.n_clusters}.")
        if self.linkage not in ("ward", "complete", "average", "single"):
            raise ValueError(f"{who}: unknown linkage {self.linkage!r}; use 'ward', 'complete', "
                             "'average' or 'single'.")
        if self.linkage == "ward" and self.metric != "euclidean":
            raise ValueError(f"{who}: metric={self.metric!r} is not valid with ward linkage; only "
                             "'euclidean' is.")
        if self.connectivity is not None:
            raise ValueError(f"{who}: connectivity constraints are not supported.")

    def _distances(self, X):
        if self.metric == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(f"AgglomerativeClustering: a precomputed distance matrix must be "
                                 f"square, got {X.shape}.")
            return X
        if self.metric == "euclidean":
            return np.sqrt(squared_distances(X, X))
        if self.metric == "cosine":
            norms = np.linalg.norm(X, axis=1, keepdims=True)
            unit = X / np.where(norms == 0, 1.0, norms)
            return np.maximum(1.0 - unit @ unit.T, 0.0)
        raise ValueError(f"AgglomerativeClustering: metric must be 'euclidean', 'cosine' or "
                         f"'precomputed', got {self.metric!r}.")
