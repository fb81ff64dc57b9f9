"""One regression tree grown from gradient histograms on binned features.

Gradient boosting fits each tree to per-sample gradients g and hessians h (Friedman,
2001; Chen & Guestrin, 2016). A leaf gets the Newton step -G / (H + λ), G and H the sums
over its samples, and the split "bins <= b go left" of a node gains

    G_L² / (H_L + λ) + G_R² / (H_R + λ) - G² / (H + λ).

As in LightGBM (Ke et al., 2017) and scikit-learn's HistGradientBoosting, the features
are binned first (`_binning`), so a node's candidate splits are read off its histogram:
per feature and bin, the sums of g and h and the number of samples, accumulated over the
bins. A histogram costs one pass over the node's samples; the larger of two siblings
gets its histogram free, as the parent's minus the smaller one's. The tree grows
best-first: the leaf whose best split gains most is split next, up to `max_leaf_nodes`.

Choices made for NumPy's speed (these steps run ~30 times per tree):
  - a small node is counted with one `np.bincount` over all its (row, feature) pairs; a
    large node with one bincount per feature, which needs no repeated weights;
  - the sums over bins are accumulated in blocks of 16 bins by a matrix product with a
    triangular matrix of ones (`np.cumsum` along an axis is a slow serial loop);
  - the statistics are planes of one contiguous array, so every step of the split search
    is a plain vectorized operation over all features and bins of both siblings;
  - histogram arrays are recycled (`BinnedData.pair_buffer`): writing to fresh memory
    costs a page fault per 4 KiB, which measured as a third of the time of a tree.
"""
import functools
import heapq

import numpy as np

from .tree import LEAF, UNDEFINED, Tree

_EPS = np.finfo(np.float64).eps
MIN_HESSIAN_TO_SPLIT = 1e-3   # scikit-learn's min_hessian_to_split

# From this many rows on, a node's histogram is counted feature by feature: a bincount
# per feature costs a call, but the one flat bincount must repeat every weight once per
# feature (measured crossover between 12k and 36k rows at 20 features).
_PER_FEATURE_ROWS = 16_000

# Bins are accumulated in blocks of this many (the bin axis is padded to a multiple).
_BLOCK = 16
_WITHIN_BLOCK = np.triu(np.ones((_BLOCK, _BLOCK)))           # x @ it: prefix sums of x


class BinnedData:
    """The training set's bin codes in the layouts the histograms read, built once per fit.

    codes : (n_features, n) uint8, feature-major, so that one feature's codes for a
        node's rows are one `np.take` (partitioning a node).
    n_bins : the bins per feature, padded to a multiple of the accumulation block (the
        padding bins stay empty).
    by_feature : (n_features, n) intp, the codes in bincount's index type.
    by_row : (n, n_features) uint16 (intp if too many features), the codes offset by
        feature * n_bins, row-major, so one take gathers a node's rows and one bincount
        counts all features (gathering 2-byte codes then widening them beats gathering
        8-byte ones).
    root_counts : (n_features, n_bins) float, cumulative counts of all rows: the same for
        every tree.
    every_row : (n,) the rows of the root.
    """

    def __init__(self, codes, n_bins):
        self.codes = codes
        self.n_bins = -(-n_bins // _BLOCK) * _BLOCK
        self.by_feature = codes.astype(np.intp)
        self.every_row = np.arange(codes.shape[1])
        offsets = np.arange(len(codes)) * self.n_bins
        small = len(codes) * self.n_bins <= np.iinfo(np.uint16).max + 1
        self.by_row = np.add(codes.T, offsets, out=np.empty(
            codes.T.shape, dtype=np.uint16 if small else np.intp), casting="unsafe")
        self.root_counts = cumulative(np.array(
            [np.bincount(row, minlength=self.n_bins) for row in self.by_feature], float))
        # Histogram memory is recycled across splits and trees: writing to freshly
        # allocated memory costs a page fault per 4 KiB, more than the sums themselves.
        self.spare = []
        self.scratch = {}

    @property
    def shape(self):
        """(n_features, n_bins) of every histogram plane."""
        return len(self.codes), self.n_bins

    def pair_buffer(self, n_planes):
        """A (2, n_planes, n_features, n_bins) array for two sibling histograms."""
        while self.spare:
            buffer = self.spare.pop()
            if buffer.shape[1] == n_planes:
                return buffer
        return np.empty((2, n_planes) + self.shape)

    def scratch_buffer(self, n_planes):
        """A reused (n_planes, n_features, n_bins) array for histograms in the making."""
        if n_planes not in self.scratch:
            self.scratch[n_planes] = np.empty((n_planes,) + self.shape)
        return self.scratch[n_planes]


# ---------------------------------------------------------------- histograms
# A node's histogram is cumulative over the bins, as the split "bins <= b go left" reads
# exactly these left sums; a cumulative sum is linear, so sibling = parent - child holds.
# It is one float array of planes (n_planes, n_features, n_bins):
#   [sums of g, sums of h, counts] for a varying hessian, and
#   [sums of g, counts] for the constant hessian 1, whose sums are the counts.
# So plane 0 is always G, plane 1 always H, and the last plane always the counts.

def cumulative(hist, out=None):
    """Sums over the last axis (of length a multiple of 16) accumulated: for each block of
    16 bins one matrix product gives the prefix sums within the block, and a second one
    (with a strictly triangular matrix) the totals of the blocks before it."""
    out = np.empty_like(hist) if out is None else out
    np.matmul(hist.reshape(-1, _BLOCK), _WITHIN_BLOCK, out=out.reshape(-1, _BLOCK))
    n_blocks = hist.shape[-1] // _BLOCK
    blocks = out.reshape(-1, n_blocks, _BLOCK)
    blocks += (blocks[:, :, -1] @ _blocks_before(n_blocks))[:, :, None]
    return out


@functools.lru_cache
def _blocks_before(n_blocks):
    """(n_blocks, n_blocks) with ones above the diagonal: block totals @ it sums, for
    each block, the totals of the blocks before it."""
    return np.triu(np.ones((n_blocks, n_blocks)), 1)


def fill_histogram(data, rows, g, h, out):
    """Write the cumulative histogram planes of `rows` (m,) into `out`."""
    n_features, n_bins = data.shape
    hist = data.scratch_buffer(len(out))
    # Method calls (a.take, a.repeat, ...) skip NumPy's Python-level dispatch: this
    # runs ~30 times per tree.
    g_rows = g.take(rows)
    h_rows = None if h is None else h.take(rows)
    if len(rows) < _PER_FEATURE_ROWS:
        size = n_features * n_bins
        bins = data.by_row.take(rows, axis=0).astype(np.intp).ravel()  # (m * n_features,)
        shape = (n_features, n_bins)
        hist[0] = np.bincount(bins, g_rows.repeat(n_features), size).reshape(shape)
        hist[-1] = np.bincount(bins, minlength=size).reshape(shape)
        if h is not None:
            hist[1] = np.bincount(bins, h_rows.repeat(n_features), size).reshape(shape)
    else:
        for j, feature_codes in enumerate(data.by_feature):
            bins = feature_codes.take(rows)
            hist[0, j] = np.bincount(bins, g_rows, n_bins)
            hist[-1, j] = np.bincount(bins, minlength=n_bins)
            if h is not None:
                hist[1, j] = np.bincount(bins, h_rows, n_bins)
    cumulative(hist, out)


def root_histogram(data, g, h, out):
    """Write the cumulative histogram planes of all rows into `out`; the counts are
    cached, so only the sums of g (and h) are counted."""
    n_bins = data.shape[1]
    planes = [g] if h is None else [g, h]
    hist = data.scratch_buffer(len(out))[:len(planes)]
    for j, feature_codes in enumerate(data.by_feature):
        for plane, weights in zip(hist, planes):
            plane[j] = np.bincount(feature_codes, weights, n_bins)
    cumulative(hist, out[:len(planes)])
    out[-1] = data.root_counts


def best_splits(stats, l2, min_samples_leaf, check_hessian):
    """[(gain, feature, bin)] of the best split "bins <= bin go left" of k nodes.

    stats (k, n_planes, n_features, n_bins): their cumulative histograms. The gain is
    -inf where no split is valid. Ties go to the lowest feature, then the lowest bin, as
    in scikit-learn. The last bin sends every row left, so the count rule below always
    rejects it.

    With a = H_L + λ and b = H_R + λ, the children's score is

        G_L² / a + G_R² / b = (G_L b - G_R a)² / (a b (a + b)) + G² / (a + b),

    and a + b = H + 2λ is the same for every split of a node: the best split maximizes
    q = (G_L b - G_R a)² / (a b), where G_L b - G_R a = G_L (H + 2λ) - G a. That is one
    division per candidate instead of two, and fewer passes over the arrays.
    """
    g_left, h_left, n_left = stats[:, 0], stats[:, 1], stats[:, -1]
    totals = stats[:, :, :1, -1:]                           # (k, n_planes, 1, 1)
    g, h, n = totals[:, 0], totals[:, 1], totals[:, -1]
    a = h_left + l2 if l2 else h_left
    q = g_left * (h + 2 * l2 if l2 else h)
    q -= a * g
    np.square(q, out=q)
    b = (h + l2 if l2 else h) - h_left
    b *= a
    q /= b
    invalid = (n_left < min_samples_leaf) | (n_left > n - min_samples_leaf)
    if check_hessian:
        invalid |= (h_left < MIN_HESSIAN_TO_SPLIT) | (h_left > h - MIN_HESSIAN_TO_SPLIT)
    np.copyto(q, -np.inf, where=invalid)
    flat = q.reshape(len(q), -1)
    q_best = flat.max(axis=1)
    # Gains equal but for rounding (two features cutting off the same rows, say) tie, and
    # a tie goes to the first feature and bin: exact arithmetic's choice, and
    # scikit-learn's. The tolerance is 1e-12 of the score (q + G²) / (H + 2λ).
    sums = stats[:, :2, 0, -1].tolist()                     # [[G, H] of each node]
    tolerance = [1e-12 * (top + g_node ** 2)
                 for top, (g_node, _) in zip(q_best.tolist(), sums)]
    best = (flat >= (q_best - tolerance)[:, None]).argmax(axis=1).tolist()
    splits = []
    for i, (index, top, (g_node, h_node)) in enumerate(zip(best, q_best.tolist(), sums)):
        feature, bin_ = divmod(index, stats.shape[3])
        gain = -np.inf
        if top > -np.inf:       # the gain in the first form, for the chosen split only
            g_l, h_l = float(g_left[i, feature, bin_]), float(h_left[i, feature, bin_])
            score = g_l ** 2 / (h_l + l2) + (g_node - g_l) ** 2 / (h_node - h_l + l2)
            gain = score - g_node ** 2 / (h_node + l2)
            # When every split gains exactly 0 (say, all gradients in the node are
            # equal), rounding leaves a residue of order eps * score: not a gain.
            if not gain > 1e-10 * abs(score):
                gain = -np.inf
        splits.append((gain, feature, bin_))
    return splits


# ---------------------------------------------------------------- growing

def grow_tree(data, g, h, thresholds, *, max_leaf_nodes, max_depth, min_samples_leaf, l2,
              learning_rate):
    """Grow one regression tree on gradients g (n,) and hessians h (n,) or None (the
    constant 1).

    Best-first: a heap holds the splittable leaves by gain; the best is split until
    `max_leaf_nodes` leaves exist or no split gains. Returns a `Tree` whose thresholds are
    real values (x <= threshold goes left, the same rows as bin <= bin), and the list of
    (leaf id, rows) for updating the training predictions.
    """
    grower = _Grower(data, g, h, thresholds, max_leaf_nodes, max_depth, min_samples_leaf, l2)
    with np.errstate(divide="ignore", invalid="ignore"):    # empty bins divide 0 by 0
        grower.grow()
    return grower.tree(learning_rate), grower.leaves


class _Grower:
    """The state of one best-first growth: the nodes so far (parallel lists indexed by
    node id), the heap of splittable leaves, and the histograms of the nodes in it."""

    def __init__(self, data, g, h, thresholds, max_leaf_nodes, max_depth, min_samples_leaf,
                 l2):
        self.data, self.g, self.h, self.thresholds = data, g, h, thresholds
        self.max_leaf_nodes, self.max_depth = max_leaf_nodes, max_depth
        self.min_samples_leaf, self.l2 = min_samples_leaf, l2
        # Every row's hessian is at least min(h), so a split leaving min_samples_leaf rows
        # on each side has H_L, H_R >= min_samples_leaf * min(h): when that is well above
        # the hessian floor, the floor needs no test (a constant hessian of 1 always
        # passes).
        self.check_hessian = h is not None and not (
            min_samples_leaf * h.min() >= 2 * MIN_HESSIAN_TO_SPLIT)
        self.left, self.right, self.feature, self.threshold = [], [], [], []
        self.depth, self.totals = [], []      # totals: (G, H, count) of each node
        self.pending = {}                     # node in the heap -> (rows, holder, slot)
        self.heap, self.leaves = [], []       # leaves: (node, rows) retired for good

    def add_node(self, sums, depth):
        """A new leaf with sums (G, H, ..., count) over its rows; its id."""
        self.left.append(LEAF)
        self.right.append(LEAF)
        self.feature.append(UNDEFINED)
        self.threshold.append(float(UNDEFINED))
        self.depth.append(depth)
        self.totals.append((sums[0], sums[1], sums[-1]))
        return len(self.feature) - 1

    def may_split(self, node):
        """Whether a node is deep, large and heavy enough to be searched at all."""
        _, h, count = self.totals[node]
        return ((self.max_depth is None or self.depth[node] < self.max_depth)
                and count >= 2 * self.min_samples_leaf and h >= 2 * MIN_HESSIAN_TO_SPLIT)

    def consider(self, ids, rows, holder):
        """Search the splits of new sibling nodes, whose histograms are stacked in the
        buffer of `holder` = [buffer, references]; push the splittable ones on the heap,
        retire the others as leaves."""
        stats = holder[0]
        searched = [i for i, node in enumerate(ids) if self.may_split(node)]
        found = {}
        if searched:
            part = slice(searched[0], searched[-1] + 1)     # both, or one: a view
            splits = best_splits(stats[part], self.l2, self.min_samples_leaf,
                                 self.check_hessian)
            found = dict(zip(searched, splits))
        for i, node in enumerate(ids):
            gain, feature, bin_ = found.get(i, (-np.inf, 0, 0))
            if gain > 0:
                heapq.heappush(self.heap, (-gain, node, feature, bin_))
                self.pending[node] = (rows[i], holder, i)
            else:
                self.leaves.append((node, rows[i]))
                self.release(holder)

    def release(self, holder):
        """One node no longer needs its histogram; the buffer is spare when neither does."""
        holder[1] -= 1
        if holder[1] == 0:
            self.data.spare.append(holder[0])

    def grow(self):
        n_planes = 2 if self.h is None else 3
        buffer = self.data.pair_buffer(n_planes)
        root_histogram(self.data, self.g, self.h, buffer[0])
        root = self.add_node(buffer[0, :, 0, -1].tolist(), 0)
        self.consider([root], [self.data.every_row], [buffer, 1])
        while self.heap and len(self.heap) + len(self.leaves) < self.max_leaf_nodes:
            _, node, feature, bin_ = heapq.heappop(self.heap)
            self.split(node, feature, bin_)
        for _, node, _, _ in self.heap:
            rows, holder, _ = self.pending[node]
            self.leaves.append((node, rows))
            self.release(holder)

    def split(self, node, feature, bin_):
        """Split a node of the heap on "bin <= bin_ of feature goes left"."""
        rows, holder, slot = self.pending.pop(node)
        parent = holder[0][slot]
        goes_left = self.data.codes[feature].take(rows) <= bin_
        # compress: several times faster than boolean indexing rows[goes_left].
        pair = (rows.compress(goes_left), rows.compress(~goes_left))
        self.feature[node] = feature
        self.threshold[node] = self.thresholds[feature][bin_]
        # The children's sums are the parent's cumulative histogram at the split.
        total, left = parent[:, 0, -1].tolist(), parent[:, feature, bin_].tolist()
        right = [whole - part for whole, part in zip(total, left)]
        children = [self.add_node(left, self.depth[node] + 1),
                    self.add_node(right, self.depth[node] + 1)]
        self.left[node], self.right[node] = children
        last = len(self.heap) + len(self.leaves) + 2 >= self.max_leaf_nodes
        if last or not any(self.may_split(child) for child in children):
            self.leaves.extend(zip(children, pair))         # no histogram needed
            self.release(holder)
            return
        # Count the smaller child; the larger is the parent minus it.
        small = 0 if len(pair[0]) <= len(pair[1]) else 1
        stats = self.data.pair_buffer(len(parent))
        fill_histogram(self.data, pair[small], self.g, self.h, stats[small])
        np.subtract(parent, stats[small], out=stats[1 - small])
        self.release(holder)
        self.consider(children, pair, [stats, 2])

    def tree(self, learning_rate):
        """The grown `Tree`, its leaves valued -learning_rate * G / (H + λ)."""
        sums = np.array(self.totals)                        # (n_nodes, 3): G, H, count
        value = -learning_rate * sums[:, 0] / (sums[:, 1] + self.l2 + _EPS)
        tree = Tree(np.array(self.left), np.array(self.right), np.array(self.feature),
                    np.array(self.threshold), value=value[:, None, None],
                    impurity=np.zeros(len(sums)), n_node_samples=sums[:, 2].astype(np.intp),
                    weighted_n_node_samples=sums[:, 1])
        tree.n_features = self.data.shape[0]
        return tree


def leaf_rows(tree, columns):
    """[(leaf id, rows)]: where each row of X lands, X given as `columns` (n_features, n),
    feature-major so that a node's rows of one feature are one take.

    The row sets go down the tree node by node (ids number parents before children), so
    each numpy call works on whole sets of rows.
    """
    rows_at = {0: np.arange(columns.shape[1])}
    children_left, children_right = tree.children_left.tolist(), tree.children_right.tolist()
    found = []
    for node, (feature, threshold) in enumerate(zip(tree.feature.tolist(),
                                                    tree.threshold.tolist())):
        rows = rows_at.pop(node)
        if feature == UNDEFINED:
            found.append((node, rows))
            continue
        goes_left = columns[feature].take(rows) <= threshold
        rows_at[children_left[node]] = rows.compress(goes_left)
        rows_at[children_right[node]] = rows.compress(~goes_left)
    return found


def add_leaf_values(raw, tree, leaves):
    """raw (n,) += the value of the leaf each row is in; leaves : [(leaf id, rows)]."""
    step = np.empty_like(raw)
    for leaf, rows in leaves:
        step[rows] = tree.value[leaf, 0, 0]
    raw += step
