"""A k-d tree held in flat arrays, built and searched level by level with NumPy.

Every level of the build is one row-wise `argpartition` over a (nodes, width) matrix:
each row holds one node's points, and partitioning it at the middle splits every node
of the level at its median at once. Searches walk (query, node) pairs down the tree for
all queries together and compare the points of the surviving leaves by brute force.
"""
import numpy as np

# A k-nearest query that would visit more leaves than this per query point falls back
# to brute force for that block of queries (see KDTree._query_block).
MAX_LEAVES_PER_QUERY = 64
# Values per array in the hot loops of the searches: 2**15 float64 = 256 KiB stays in
# the per-core cache, which makes each NumPy pass several times faster than on
# arrays that spill to main memory.
CACHE_ELEMENTS = 2 ** 15
# Queries searched together: enough to amortize NumPy's per-call cost over the walk.
QUERY_BLOCK = 4096


def _blocks(n, step):
    """Slices covering range(n) in steps of `step`."""
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


class KDTree:
    """A balanced k-d tree (Bentley, 1975; Friedman, Bentley & Finkel, 1977) in flat arrays.

    Build. The points are padded with N - n < 2**depth dummy points to N = 2**depth W
    so that every node of level t holds exactly N / 2**t slots and the data of a level
    is a plain (2**t, N / 2**t) matrix: no per-node bookkeeping. Each node splits at the
    median of its widest axis (its spread estimated from a strided sample of its
    points) by one `argpartition` of every row at the middle. Dummies take the value
    -inf or +inf by one bit of their number, a different bit per level, so they are
    dealt evenly: every leaf gets W or W - 1 real points. Nodes are numbered as in a
    heap (root 1, children 2i and 2i + 1); node i keeps the bounding box of its real
    points, which is what the searches prune with.

    Queries are vectorized over query points. For the k nearest, the node reached by
    following the split planes down to the level just above the leaves (the "home"
    node, higher up if it holds fewer than k points) gives k candidates, so a radius r
    that bounds the k-th distance. Every other leaf lies under one of the siblings of
    the nodes on the path from the root to home: those siblings are tested against r
    all at once, the survivors are walked down level by level, and the points of the
    leaves reached are compared; those within r are merged with home's by one sort.

    Parameters
    ----------
    X : ndarray (n, d)
    leaf_size : int
        Leaves hold between leaf_size and 2 leaf_size points (fewer if n is smaller).
    """

    def __init__(self, X, leaf_size=30):
        self.data = np.asarray(X, dtype=float)
        n, d = self.data.shape
        self.depth = int(np.floor(np.log2(max(n / max(leaf_size, 1), 1.0))))
        width = -(-n >> self.depth)  # ceil(n / 2**depth)
        n_slots = width << self.depth
        # Dummies are rows n.. of a padded copy, placed at the mean (harmless for the
        # spread estimates). The build permutes only slot numbers, scaled by d: the
        # flat offset of a slot's first coordinate, so a coordinate is one gather away.
        padded = np.empty((n_slots, d))
        padded[:n] = self.data
        padded[n:] = self.data.mean(axis=0)
        self._flat, self._columns = padded.ravel(), padded.T.copy()
        offsets = np.arange(0, n_slots * d, d)
        self.split_axis, self.split_value = [], []
        for level in range(self.depth):
            offsets = self._split_level(offsets, level)
        ids = (offsets // d).reshape(2 ** self.depth, width)
        del self._flat, self._columns
        self._store_leaves(ids, padded)

    def _split_level(self, offsets, level):
        """Split every node of `level` at its median; returns the permuted slot offsets."""
        n, d = self.data.shape
        rows, width = 2 ** level, len(offsets) >> level
        offsets = offsets.reshape(rows, width)
        sample = self._columns[:, offsets[:, ::max(1, width // 16)] // d]  # (d, rows, <= 16)
        axis = np.argmax(sample.max(axis=2) - sample.min(axis=2), axis=0)  # widest spread, (rows,)
        values = self._flat[offsets + axis[:, None]]
        dummy = offsets >= n * d
        if dummy.any():
            # Bit `level` of a dummy's number sends it left or right: a node's dummies
            # share their lower bits (the path so far), so they divide evenly.
            side = ((offsets[dummy] // d - n) >> level) & 1
            values[dummy] = np.where(side == 1, np.inf, -np.inf)
        half = width // 2
        order = np.argpartition(values, half, axis=1)
        self.split_axis.append(axis)
        self.split_value.append(values[np.arange(rows), order[:, half]])  # least value on the right
        return np.take_along_axis(offsets, order, axis=1).ravel()

    def _store_leaves(self, ids, padded):
        """Leaf arrays and the heap of bounding boxes, from the leaf-ordered slot numbers.

        Leaves are kept as (d, n_leaves, width) coordinates, dummies at +inf (never
        near), plus the (n_leaves, width) original row numbers: gathering whole leaves
        by index copies contiguous rows, and one axis at a time keeps every operation
        a long vectorized pass.
        """
        n_leaves, width = ids.shape
        d = padded.shape[1]
        dummy = ids >= len(self.data)
        self.leaf_ids = np.where(dummy, 0, ids)
        self.leaf_points = np.ascontiguousarray(padded.T[:, ids])
        self.leaf_points[:, dummy] = np.inf
        self.leaf_counts = width - dummy.sum(axis=1)
        self.lower = np.empty((2 * n_leaves, d))
        self.upper = np.empty((2 * n_leaves, d))
        self.lower[n_leaves:] = self.leaf_points.min(axis=2).T
        self.upper[n_leaves:] = np.where(dummy, -np.inf, self.leaf_points).max(axis=2).T
        for level in range(self.depth - 1, -1, -1):  # parents from children, up to the root
            nodes = np.arange(2 ** level, 2 ** (level + 1))
            self.lower[nodes] = np.minimum(self.lower[2 * nodes], self.lower[2 * nodes + 1])
            self.upper[nodes] = np.maximum(self.upper[2 * nodes], self.upper[2 * nodes + 1])

    # ------------------------------------------------------------------ building blocks

    def _home(self, X, level):
        """Node of `level` (0-based index within the level) reached by each query, (n,)."""
        node = np.zeros(len(X), dtype=np.intp)
        rows = np.arange(len(X))
        for depth in range(level):
            axis = self.split_axis[depth][node]
            node = 2 * node + (X[rows, axis] >= self.split_value[depth][node])
        return node

    def _leaf_distances(self, X, leaves):
        """Squared distances from X[i] to the points of the leaves leaves[i], leaves (n, m).

        Returns (n, m * width), +inf at dummies. `np.take` gathers whole leaf rows,
        faster than fancy indexing; one axis at a time keeps every pass vectorized.
        """
        squared = None
        for axis in range(X.shape[1]):
            diff = np.take(self.leaf_points[axis], leaves, axis=0).reshape(len(X), -1)
            diff -= X[:, axis, None]
            diff *= diff
            squared = diff if squared is None else squared.__iadd__(diff)
        return squared

    def _near_points(self, X, leaves, radius):
        """Points of leaves[i] (n, m) within radius[i] (squared) of X[i], as flat arrays.

        Returns (row i, squared distance, data row number) of each such point; only
        those few are gathered, not the whole (n, m * width) block.
        """
        squared = self._leaf_distances(X, leaves)
        flat = np.flatnonzero(squared <= radius[:, None])
        width = self.leaf_points.shape[2]
        row, column = np.divmod(flat, squared.shape[1])
        leaf = leaves[row, column // width]
        return row, squared.ravel()[flat], self.leaf_ids[leaf, column % width]

    def _box_gaps(self, X, node):
        """Squared distance from each X[i] to the bounding box of heap node node[i], (n,)."""
        gap = np.maximum(np.take(self.lower, node, axis=0) - X, X - np.take(self.upper, node, axis=0))
        np.maximum(gap, 0.0, out=gap)
        return np.einsum("ij,ij->i", gap, gap)

    def _walk(self, X, radius, query, node, max_pairs=None):
        """(query, leaf) pairs under the given (query, heap node) pairs whose boxes are within radius.

        The box test is strict (gap² < radius). Leaves are numbered from 0. Returns
        (None, None) as soon as more than `max_pairs` pairs survive one step.
        """
        first_leaf = 2 ** self.depth
        found_q, found_leaf = [], []
        while len(query):
            keep = self._box_gaps(np.take(X, query, axis=0), node) < np.take(radius, query)
            query, node = query[keep], node[keep]
            if max_pairs is not None and len(query) > max_pairs:
                return None, None
            at_leaf = node >= first_leaf
            found_q.append(query[at_leaf])
            found_leaf.append(node[at_leaf] - first_leaf)
            query, node = query[~at_leaf], node[~at_leaf]
            query = np.repeat(query, 2)
            node = np.repeat(2 * node, 2)
            node[1::2] += 1
        if not found_q:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        return np.concatenate(found_q), np.concatenate(found_leaf)

    # ------------------------------------------------------------------ searches

    def query(self, X, k):
        """k nearest neighbours of each row of X: (squared distances, indices), both (n, k), ascending."""
        X = np.asarray(X, dtype=float)
        # Home is the deepest node above the leaves (two leaves: a tighter first radius
        # than one leaf, for few more distances) holding >= k real points.
        counts, home_level = self.leaf_counts, self.depth
        while home_level > 0 and (home_level == self.depth or counts.min() < k):
            counts, home_level = counts[0::2] + counts[1::2], home_level - 1
        distances = np.empty((len(X), k))
        indices = np.empty((len(X), k), dtype=np.intp)
        for rows in _blocks(len(X), QUERY_BLOCK):
            distances[rows], indices[rows] = self._query_block(X[rows], home_level, k)
        return distances, indices

    def _query_block(self, X, home_level, k):
        n = len(X)
        home = self._home(X, home_level)
        per_home = 2 ** (self.depth - home_level)  # leaves under a home node
        home_leaves = home[:, None] * per_home + np.arange(per_home)
        # Candidates: the points within each query's radius, from home and from the
        # leaves found, taken chunk by chunk while each chunk of distances is in cache.
        radius = np.empty(n)
        cand_q, cand_d, cand_i = [], [], []
        for rows in _blocks(n, max(1, CACHE_ELEMENTS // (per_home * self.leaf_points.shape[2]))):
            squared = self._leaf_distances(X[rows], home_leaves[rows])
            radius[rows] = np.partition(squared, k - 1, axis=1)[:, k - 1]
            flat = np.flatnonzero(squared <= radius[rows, None])
            row, column = np.divmod(flat, squared.shape[1])
            # A home node's leaves are consecutive, so are their slots in leaf_ids.
            slot = home[rows][row] * squared.shape[1] + column
            cand_q.append(row + rows.start)
            cand_d.append(squared.ravel()[flat])
            cand_i.append(self.leaf_ids.ravel()[slot])
        # Siblings of the nodes on the root-to-home path, as heap numbers (n, home_level).
        levels = np.arange(1, home_level + 1)
        siblings = ((home[:, None] >> (home_level - levels)) + (1 << levels)) ^ 1
        query, leaf = self._walk(X, radius, np.repeat(np.arange(n), home_level), siblings.ravel(),
                                 max_pairs=MAX_LEAVES_PER_QUERY * n)
        if query is None:
            # The boxes do not prune here (high dimension, or queries far from the data):
            # brute force is cheaper and keeps memory bounded.
            if not hasattr(self, "_brute"):
                from .neighbors import BruteIndex  # neighbors imports this module
                self._brute = BruteIndex(self.data)
            return self._brute.query(X, k)
        for chunk in _blocks(len(query), max(1, CACHE_ELEMENTS // self.leaf_points.shape[2])):
            q = query[chunk]
            row, squared, index = self._near_points(np.take(X, q, axis=0), leaf[chunk, None],
                                                    np.take(radius, q))
            cand_q.append(q[row])
            cand_d.append(squared)
            cand_i.append(index)
        query = np.concatenate(cand_q)
        squared = np.concatenate(cand_d)
        # One sort by query then distance: every candidate is within its query's radius,
        # so query + squared / (radius (1 + tiny)) lies in [query, query + 1).
        scaled = radius * (1 + 1e-9) + 1e-300
        order = np.argsort(query + squared / scaled[query])
        return smallest_k_per_group(order, query, squared, np.concatenate(cand_i), n, k)

    def query_radius_pairs(self, X, radius):
        """All pairs with ||X[i] - data[j]|| <= radius, as two index arrays (i, j).

        The same level-by-level walk as `query`, from the root, with one fixed radius
        for every query: every leaf whose box comes within the radius is searched.
        """
        X = np.asarray(X, dtype=float)
        squared = radius * radius
        bound = np.nextafter(squared, np.inf)  # the box test is strict; keep the boundary
        width = self.leaf_points.shape[2]
        rows, cols = [], []
        step = max(1, 2 ** 16 // width)  # queries per block
        per_chunk = max(1, CACHE_ELEMENTS // width)  # (query, leaf) pairs per chunk
        for start in range(0, len(X), step):
            block = X[start:start + step]
            query, leaf = self._walk(block, np.full(len(block), bound), np.arange(len(block)),
                                     np.ones(len(block), dtype=np.intp))
            for s in range(0, len(query), per_chunk):
                q = query[s:s + per_chunk]
                i, _, j = self._near_points(block[q], leaf[s:s + per_chunk, None],
                                            np.full(len(q), squared))
                rows.append(q[i] + start)
                cols.append(j)
        if not rows:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        return np.concatenate(rows), np.concatenate(cols)


def smallest_k_per_group(order, group, squared, index, n_groups, k):
    """The first k candidates of each group in `order`: (squared, index), both (n_groups, k).

    Candidates come as flat arrays; `order` must sort them by group, then by distance,
    and every group must hold at least k of them, so the first k of each group in
    that order are read off by position.
    """
    counts = np.bincount(group, minlength=n_groups)
    first = np.cumsum(counts) - counts
    pick = order[first[:, None] + np.arange(k)]
    return squared[pick], index[pick]
