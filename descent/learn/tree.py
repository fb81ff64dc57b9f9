"""Decision trees: CART (Breiman, Friedman, Olshen & Stone, 1984), grown level by level.

A node's best split is the threshold, over candidate features, that most reduces the
weighted impurity of its children. Every feature is sorted once; the samples of each
node then sit in one contiguous *segment* of each feature's sorted order, so cumulative
sums along that order give, at every position, the class counts (or target sums) of the
left child of the split "after this position". All nodes of one depth are searched at
once: a cumulative sum over the whole level, minus each segment's offset, and a
`np.maximum.reduceat` per segment. Splitting a level keeps each feature's order: a
boolean selection of the samples going left, then of those going right, leaves every
child sorted, so nothing is ever sorted twice.

Prediction walks all samples down the tree together, one depth per step.
"""
import numpy as np

from .base import (BaseEstimator, ProbabilisticClassifierMixin, RegressorMixin, check_array, check_X_y,
                   check_is_fitted, check_n_features, check_classification_targets,
                   encode_labels, check_random_state, check_sample_weight)

LEAF = -1        # children_left / children_right of a leaf (scikit-learn's TREE_LEAF)
UNDEFINED = -2   # feature / threshold of a leaf (scikit-learn's TREE_UNDEFINED)
_EPSILON = np.finfo(np.float64).eps  # a node with impurity below this is pure


class Tree:
    """A fitted binary tree as parallel NumPy arrays, indexed by node id (root = 0).

    Attributes
    ----------
    children_left, children_right : (node_count,) int, `LEAF` (-1) at leaves.
    feature : (node_count,) int, the feature a node splits on, `UNDEFINED` (-2) at leaves.
    threshold : (node_count,) float; samples with `x[feature] <= threshold` go left.
    value : (node_count, 1, n_values) float; class fractions (classifier) or the
        mean target (regressor), scikit-learn's layout for one output.
    impurity : (node_count,) float.
    n_node_samples : (node_count,) int; weighted_n_node_samples : (node_count,) float.
    """

    def __init__(self, children_left, children_right, feature, threshold, value, impurity,
                 n_node_samples, weighted_n_node_samples):
        self.children_left = children_left
        self.children_right = children_right
        self.feature = feature
        self.threshold = threshold
        self.value = value
        self.impurity = impurity
        self.n_node_samples = n_node_samples
        self.weighted_n_node_samples = weighted_n_node_samples

    @property
    def node_count(self):
        return len(self.feature)

    @property
    def n_leaves(self):
        return int(np.sum(self.children_left == LEAF))

    @property
    def max_depth(self):
        depth = np.zeros(self.node_count, dtype=np.intp)
        # Node ids grow with depth (nodes are created level by level), so one pass suffices.
        for node in np.flatnonzero(self.children_left != LEAF):
            depth[self.children_left[node]] = depth[self.children_right[node]] = depth[node] + 1
        return int(depth.max())

    def apply(self, X):
        """(n_samples,) the id of the leaf each row of `X` (n_samples, n_features) lands in."""
        node = np.zeros(len(X), dtype=np.intp)
        active = np.arange(len(X))  # rows still at an internal node
        while active.size:
            at = node[active]
            feature = self.feature[at]
            internal = feature >= 0
            active, at, feature = active[internal], at[internal], feature[internal]
            goes_left = X[active, feature] <= self.threshold[at]
            node[active] = np.where(goes_left, self.children_left[at], self.children_right[at])
        return node

    def compute_feature_importances(self):
        """(n_features,) total weighted impurity decrease per feature, normalized to sum 1."""
        internal = np.flatnonzero(self.children_left != LEAF)
        left, right = self.children_left[internal], self.children_right[internal]
        weighted_impurity = self.weighted_n_node_samples * self.impurity
        decrease = (weighted_impurity[internal] - weighted_impurity[left]
                    - weighted_impurity[right])
        n_features = self.n_features
        importances = np.bincount(self.feature[internal], weights=decrease,
                                  minlength=n_features)[:n_features]
        total = importances.sum()
        return importances / total if total > 0 else importances


# ---------------------------------------------------------------- impurity criteria
# Each criterion gives (a) a node's impurity from its summed statistics and weight, and
# (b) a split "proxy": a quantity that grows exactly as the weighted child impurity
# w_L * impurity_L + w_R * impurity_R shrinks, cheaper to compute than the impurity itself.
# A proxy takes the left and right sums (n_stats, n_splits) of the split statistics,
# whose row 0 is the weight and rows 1: the weighted class counts (or weighted targets).

def _xlogx(x):
    return x * np.log(np.where(x > 0, x, 1.0))


def _gini_impurity(sums, weight):
    """1 - sum_k p_k²;  sums (..., n_classes) are weighted class counts."""
    return 1.0 - np.sum((sums / weight[..., None]) ** 2, axis=-1)


def _sum_rows(rows):
    # A running sum over the few class rows beats a reduction along a short first axis.
    total = rows[0].copy()
    for row in rows[1:]:
        total += row
    return total


def _gini_proxy(left, right):
    # w * gini = w - sum_k c_k² / w, so minimizing the children's sum maximizes this.
    return _sum_rows(left[1:] ** 2) / left[0] + _sum_rows(right[1:] ** 2) / right[0]


def _entropy_impurity(sums, weight):
    """-sum_k p_k log2 p_k."""
    p = sums / weight[..., None]
    return -np.sum(_xlogx(p), axis=-1) / np.log(2)


def _entropy_proxy(left, right):
    # w * entropy = w log w - sum_k c_k log c_k (in nats; the base does not move the argmax).
    return (_sum_rows(_xlogx(left[1:])) - _xlogx(left[0])
            + _sum_rows(_xlogx(right[1:])) - _xlogx(right[0]))


def _squared_error_impurity(sums, weight):
    """Weighted variance of y; sums (..., 2) hold sum w*y and sum w*y²."""
    mean = sums[..., 0] / weight
    return np.maximum(sums[..., 1] / weight - mean ** 2, 0.0)


def _squared_error_proxy(left, right):
    # w * variance = sum w y² - (sum w y)² / w; the first term does not depend on the split.
    return left[1] ** 2 / left[0] + right[1] ** 2 / right[0]


CRITERIA = {
    "gini": (_gini_impurity, _gini_proxy),
    "entropy": (_entropy_impurity, _entropy_proxy),
    "log_loss": (_entropy_impurity, _entropy_proxy),
    "squared_error": (_squared_error_impurity, _squared_error_proxy),
}


# ---------------------------------------------------------------- growing a tree

def _exclusive_prefix(cumulative, starts):
    """Columns `starts - 1` of an inclusive cumulative sum along axis 1 (0 before column 0)."""
    before = cumulative[:, np.maximum(starts - 1, 0)]
    before[:, starts == 0] = 0
    return before


class _Level:
    """The nodes being split at one depth: segment `i` is positions
    `starts[i] : starts[i] + sizes[i]` of every row of `order` (n_features, n_positions)."""

    def __init__(self, order, starts, sizes, nodes):
        self.order, self.starts, self.sizes, self.nodes = order, starts, sizes, nodes
        self.segment_of = np.repeat(np.arange(len(starts)), sizes)  # (n_positions,)

    def keep(self, kept):
        """The level with only the segments where `kept` (n_segments,) is True."""
        sizes = self.sizes[kept]
        starts = _segment_starts(sizes)
        order = self.order[:, kept[self.segment_of]]
        return _Level(order, starts, sizes, self.nodes[kept])


def _tie_floor(best):
    """Proxies this close below the best count as ties: sums accumulated in another
    order (say, a weight-2 row versus the row twice) differ in the last bits, and must
    not change which split wins."""
    return best - 1e-12 * np.abs(best)


def _segment_starts(sizes):
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)


def _best_splits(samples, x, sizes, stats, totals, rules):
    """The best split of each segment along one feature.

    samples, x : (n_positions,) sample ids and their feature values, sorted within each
    of the consecutive segments of `sizes` (n_segments,); stats (n_stats, n) are the
    per-sample split statistics (row 0 the weight) and totals (n_stats, n_segments) their
    sums per segment. Returns the best proxy per segment (-inf where no split is valid)
    and the offset, within the segment, of the last sample that goes left.
    """
    starts = _segment_starts(sizes)
    seg = np.repeat(np.arange(len(sizes)), sizes)
    cumulative = np.cumsum(stats[:, samples], axis=1)      # (n_stats, n_positions)
    left = cumulative - _exclusive_prefix(cumulative, starts)[:, seg]
    right = totals[:, seg] - left
    position = np.arange(len(samples))
    n_left = position - starts[seg] + 1
    min_leaf, min_weight, proxy_fn = rules
    valid = (n_left >= min_leaf) & (sizes[seg] - n_left >= min_leaf)
    valid[:-1] &= x[:-1] < x[1:]                            # never split between equal values
    if min_weight > 0:
        valid &= (left[0] >= min_weight) & (right[0] >= min_weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        proxy = np.where(valid, proxy_fn(left, right), -np.inf)
    best = np.maximum.reduceat(proxy, starts)
    first_best = np.where(proxy >= _tie_floor(best)[seg], position, len(samples))
    return best, np.minimum.reduceat(first_best, starts) - starts


def _candidate_features(varies, max_features, rng):
    """Which features each node searches, and the random order it visits them in.

    varies : (n_segments, n_features) bool, the feature is not constant in the node.
    As in scikit-learn, each node visits the features in a fresh random order, features
    constant in the node do not count towards `max_features`, and a tie goes to the
    feature visited first. Returns candidate (n_segments, n_features) bool and the
    visit keys (n_segments, n_features), lower visited first.
    """
    visit = rng.random(varies.shape)
    visit[~varies] += 1.0                                   # constant features come last
    rank = np.argsort(np.argsort(visit, axis=1), axis=1)
    return (rank < max_features) & varies, visit


_CHUNK = 1 << 14   # positions searched per `_best_splits` call


def _search_level(level, x_by_feature, stats, totals, rules, max_features, rng):
    """(chosen feature, offset of the split) per segment; feature -1 where none is valid.

    Every (feature, segment) pair a node searches becomes one segment of a single long
    array, feature-major, so one `_best_splits` call searches the whole level.
    """
    first = np.take_along_axis(level.order, level.starts[None], axis=1)
    last = np.take_along_axis(level.order, (level.starts + level.sizes - 1)[None], axis=1)
    varies = (np.take_along_axis(x_by_feature, last, axis=1)
              > np.take_along_axis(x_by_feature, first, axis=1)).T
    candidate, visit = _candidate_features(varies, max_features, rng)
    feature_of, segment_of = np.nonzero(candidate.T)        # the pairs, feature-major
    sizes = level.sizes[segment_of]
    if candidate.all():
        samples = level.order.ravel()
        x = np.take_along_axis(x_by_feature, level.order, axis=1).ravel()
    else:
        samples = level.order[candidate[level.segment_of].T]
        x = x_by_feature[np.repeat(feature_of, sizes), samples]
    pair_best = np.empty(len(sizes))
    pair_offset = np.empty(len(sizes), dtype=np.intp)
    # In chunks of about _CHUNK positions: few calls on a deep level of small nodes, and
    # arrays that stay in cache on a level of big ones.
    ends = np.cumsum(sizes)
    cuts = np.unique(np.searchsorted(ends, np.arange(_CHUNK, ends[-1], _CHUNK), "right"))
    bounds = np.unique(np.concatenate([[0], cuts[cuts < len(sizes)], [len(sizes)]]))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        start = ends[lo - 1] if lo else 0
        pair_best[lo:hi], pair_offset[lo:hi] = _best_splits(
            samples[start:ends[hi - 1]], x[start:ends[hi - 1]], sizes[lo:hi], stats,
            totals[:, segment_of[lo:hi]], rules)
    best = np.full(candidate.shape, -np.inf)
    offset = np.zeros(candidate.shape, dtype=np.intp)
    best[segment_of, feature_of], offset[segment_of, feature_of] = pair_best, pair_offset
    top = best.max(axis=1)
    tie = (best >= _tie_floor(top)[:, None]) & np.isfinite(best)
    chosen = np.argmin(np.where(tie, visit, np.inf), axis=1)
    chosen = np.where(np.isfinite(top), chosen, -1)
    return chosen, offset[np.arange(len(chosen)), np.maximum(chosen, 0)]


def _partition(order, side, n_left, n_right):
    """Split every segment into its children, dropping samples of unsplit segments.

    order : (n_features, n_positions); side : (n_samples_total,) int8, 0 for a sample
    that goes left, 1 right, 2 for one in a segment that is not split. A row-wise boolean
    selection keeps the order, so each child is still sorted: the new level holds all
    left children, in segment order, then all right children. Returns the new order and
    the children's sizes in that layout.
    """
    side = side[order]                                      # (n_features, n_positions)
    n_features = len(order)
    lefts = order[side == 0].reshape(n_features, -1)
    rights = order[side == 1].reshape(n_features, -1)
    return np.concatenate([lefts, rights], axis=1), np.concatenate([n_left, n_right])


def _split_level(level, X, x_by_feature, stats, rules, max_features, rng):
    """Search every segment of `level`; returns (has_split (n_segments,) bool, and for
    the segments that split: feature, threshold and number of samples going left)."""
    totals = np.add.reduceat(stats[:, level.order[0]], level.starts, axis=1)
    chosen, offset = _search_level(level, x_by_feature, stats, totals, rules, max_features,
                                   rng)
    has_split = chosen >= 0
    chosen, offset = chosen[has_split], offset[has_split]
    last_left = level.order[chosen, level.starts[has_split] + offset]
    first_right = level.order[chosen, level.starts[has_split] + offset + 1]
    below, above = X[last_left, chosen], X[first_right, chosen]
    midpoint = (below + above) / 2
    # Rounding can put the midpoint on `above`, which must go right.
    threshold = np.where(midpoint >= above, below, midpoint)
    return has_split, chosen, threshold, offset + 1


def _children_level(level, X, has_split, feature, threshold, n_left, children):
    """The next level: the children of the segments that split, left ones first."""
    split_of = np.full(len(level.nodes), -1)
    split_of[has_split] = np.arange(has_split.sum())
    which = split_of[level.segment_of]                      # split number per position
    samples = level.order[0][which >= 0]
    which = which[which >= 0]
    side = np.full(len(X), 2, dtype=np.int8)                # 0 left, 1 right, 2 dropped
    side[samples] = X[samples, feature[which]] > threshold[which]
    n_right = level.sizes[has_split] - n_left
    order, sizes = _partition(level.order, side, n_left, n_right)
    return _Level(order, _segment_starts(sizes), sizes, children)


class _NodeArrays:
    """The tree's per-node arrays, appended one depth at a time (node ids are in
    creation order, so concatenating the depths gives arrays indexed by node id)."""

    def __init__(self):
        self.parts = {k: [] for k in ("left", "right", "feature", "threshold", "sums",
                                      "weight", "count")}

    def add_depth(self, sums, weights, counts):
        """Record one depth's nodes as leaves; returns their (feature, threshold, left,
        right) arrays, to be filled in for the nodes that split."""
        n = len(counts)
        filled = (np.full(n, UNDEFINED), np.full(n, float(UNDEFINED)), np.full(n, LEAF),
                  np.full(n, LEAF))
        for key, value in zip(("feature", "threshold", "left", "right", "sums", "weight",
                               "count"), filled + (sums, weights, counts)):
            self.parts[key].append(value)
        return filled

    def tree(self, impurity_fn, n_features):
        """The `Tree` (value still unset) and the per-node statistic sums."""
        arrays = {key: np.concatenate(parts) for key, parts in self.parts.items()}
        tree = Tree(arrays["left"], arrays["right"], arrays["feature"], arrays["threshold"],
                    value=None, impurity=impurity_fn(arrays["sums"], arrays["weight"]),
                    n_node_samples=arrays["count"], weighted_n_node_samples=arrays["weight"])
        tree.n_features = n_features
        return tree, arrays["sums"]


def grow_tree(X, stats, node_stats, order, *, criterion, max_depth, min_samples_split,
              min_samples_leaf, min_weight_leaf, max_features, rng):
    """Grow a CART tree breadth first; returns a `Tree` and the per-node sums of
    `node_stats` (node_count, n_node_stats).

    X : (n, n_features) float; stats : (n_stats, n) per-sample statistics whose sums
    drive the split proxy: row 0 the (positive) weight, then the weighted one-hot
    classes or the weighted centered targets; node_stats : (n, n_node_stats)
    statistics summed per node for its impurity and value; order : (n_features, n)
    the argsort of every column of X.
    """
    impurity_fn, proxy_fn = CRITERIA[criterion]
    x_by_feature = np.ascontiguousarray(X.T)
    level = _Level(order, np.array([0]), np.array([len(X)]), np.array([0]))
    nodes = _NodeArrays()
    rules = (min_samples_leaf, min_weight_leaf, proxy_fn)
    n_nodes, depth = 1, 0
    while len(level.nodes):
        # This depth's nodes: their sums give value and impurity, and decide who splits.
        first = level.order[0]
        sums = np.add.reduceat(node_stats[first], level.starts, axis=0)
        weights = np.add.reduceat(stats[0, first], level.starts)
        feature, threshold, left, right = nodes.add_depth(sums, weights, level.sizes)
        splittable = ((depth < max_depth) & (level.sizes >= min_samples_split)
                      & (level.sizes >= 2 * min_samples_leaf)
                      & (impurity_fn(sums, weights) > _EPSILON)
                      & (weights >= 2 * min_weight_leaf))
        if not splittable.any():
            break
        level = level.keep(splittable)
        has_split, chosen, cut, n_left = _split_level(level, X, x_by_feature, stats, rules,
                                                      max_features, rng)
        if not has_split.any():
            break
        split = np.flatnonzero(splittable)[has_split]       # into this depth's arrays
        children = n_nodes + np.arange(2 * len(split))
        feature[split], threshold[split] = chosen, cut
        left[split], right[split] = children[:len(split)], children[len(split):]
        n_nodes += len(children)
        level = _children_level(level, X, has_split, chosen, cut, n_left, children)
        depth += 1
    return nodes.tree(impurity_fn, X.shape[1])


def _resolve_max_features(max_features, n_features, who):
    if max_features is None:
        return n_features
    if isinstance(max_features, str):
        if max_features == "sqrt":
            return max(1, int(np.sqrt(n_features)))
        if max_features == "log2":
            return max(1, int(np.log2(n_features)))
        raise ValueError(f"{who}: max_features must be 'sqrt', 'log2', an int or a float, "
                         f"got {max_features!r}.")
    if isinstance(max_features, (int, np.integer)) and not isinstance(max_features, bool):
        if not 1 <= max_features <= n_features:
            raise ValueError(f"{who}: max_features={max_features} must be in "
                             f"[1, n_features={n_features}].")
        return int(max_features)
    if isinstance(max_features, float) and 0.0 < max_features <= 1.0:
        return max(1, int(max_features * n_features))
    raise ValueError(f"{who}: max_features must be in (0, 1] as a float, got {max_features!r}.")


def _resolve_min_samples(value, n_samples, name, who, minimum):
    """scikit-learn's int-or-fraction convention for min_samples_split / min_samples_leaf."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < minimum:
            raise ValueError(f"{who}: {name}={value} must be an int >= {minimum} "
                             "or a float in (0, 1).")
        return int(value)
    if isinstance(value, float) and 0.0 < value < 1.0 + (name == "min_samples_split"):
        return max(minimum, int(np.ceil(value * n_samples)))
    raise ValueError(f"{who}: {name} must be an int >= {minimum} or a float in (0, 1), "
                     f"got {value!r}.")


def as_generator(random_state):
    """A NumPy Generator from `random_state` (None, int, Generator or RandomState)."""
    rng = check_random_state(random_state)
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(rng.randint(2 ** 31))
    return rng


def sort_columns(X):
    """(n_features, n_samples) the argsort of every column of X (n_samples, n_features)."""
    return np.ascontiguousarray(np.argsort(X, axis=0, kind="stable").T)


def _drop_zero_weights(X, stats, weight, node_stats, order):
    """Remove samples of zero weight (they cannot move any split), keeping `order` sorted."""
    positive = weight > 0
    if order is None:
        X, stats, weight, node_stats = X[positive], stats[positive], weight[positive], \
            node_stats[positive]
        return X, stats, weight, node_stats, sort_columns(X)
    if positive.all():
        return X, stats, weight, node_stats, order
    new_index = np.cumsum(positive) - 1
    order = new_index[order[positive[order]].reshape(len(order), -1)]
    return X[positive], stats[positive], weight[positive], node_stats[positive], order


class BaseDecisionTree(BaseEstimator):
    """Shared fitting and prediction of the CART classifier and regressor."""

    def _grow(self, X, stats, weight, node_stats, order=None):
        """Grow `tree_`; returns the per-node sums of `node_stats` (node_count, n_node_stats).

        order : optional (n_features, n_samples) argsort of every column of `X`, so that a
        forest sorts its data once rather than once per tree.
        """
        who = type(self).__name__
        n_samples, n_features = X.shape
        if self.criterion not in self._criteria:
            raise ValueError(f"{who}: criterion must be one of {self._criteria}, got "
                             f"{self.criterion!r}.")
        max_depth = self.max_depth
        if max_depth is not None and (not isinstance(max_depth, (int, np.integer))
                                      or max_depth < 1):
            raise ValueError(f"{who}: max_depth must be None or an int >= 1, got "
                             f"{max_depth!r}.")
        min_leaf = _resolve_min_samples(self.min_samples_leaf, n_samples,
                                        "min_samples_leaf", who, 1)
        min_split = _resolve_min_samples(self.min_samples_split, n_samples,
                                         "min_samples_split", who, 2)
        if not 0.0 <= self.min_weight_fraction_leaf <= 0.5:
            raise ValueError(f"{who}: min_weight_fraction_leaf must be in [0, 0.5], got "
                             f"{self.min_weight_fraction_leaf!r}.")
        self.max_features_ = _resolve_max_features(self.max_features, n_features, who)
        X, stats, weight, node_stats, order = _drop_zero_weights(X, stats, weight, node_stats,
                                                                 order)
        stats = np.vstack([weight, stats.T])    # (1 + n_stats, n): row 0 is the weight
        self.tree_, sums = grow_tree(
            X, stats, node_stats, order, criterion=self.criterion,
            max_depth=np.iinfo(np.int32).max if max_depth is None else max_depth,
            min_samples_split=max(min_split, 2 * min_leaf), min_samples_leaf=min_leaf,
            min_weight_leaf=self.min_weight_fraction_leaf * weight.sum(),
            max_features=self.max_features_, rng=as_generator(self.random_state))
        return sums

    def _validate_X_predict(self, X):
        check_is_fitted(self, "tree_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X

    def apply(self, X):
        """(n_samples,) the leaf id each sample lands in."""
        return self.tree_.apply(self._validate_X_predict(X))

    def get_depth(self):
        check_is_fitted(self, "tree_")
        return self.tree_.max_depth

    def get_n_leaves(self):
        check_is_fitted(self, "tree_")
        return self.tree_.n_leaves

    @property
    def feature_importances_(self):
        """(n_features,) normalized total impurity decrease ("Gini importance")."""
        check_is_fitted(self, "tree_")
        return self.tree_.compute_feature_importances()


class DecisionTreeClassifier(ProbabilisticClassifierMixin, BaseDecisionTree):
    """CART classification tree.

    Parameters
    ----------
    criterion : {"gini", "entropy", "log_loss"}, impurity a split minimizes.
    max_depth : int or None, depth limit (None: grow until leaves are pure).
    min_samples_split : int or float, fewest samples (or fraction) a node needs to split.
    min_samples_leaf : int or float, fewest samples (or fraction) in each child.
    min_weight_fraction_leaf : float, fewest total weight (as a fraction) in each child.
    max_features : int, float, "sqrt", "log2" or None, features tried per node.
    random_state : None, int or Generator; orders the features (and draws subsets).

    Attributes
    ----------
    classes_ : (n_classes,), tree_ : `Tree`, n_features_in_, max_features_,
    feature_importances_ : (n_features,).
    """
    _criteria = ("gini", "entropy", "log_loss")

    def __init__(self, *, criterion="gini", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, min_weight_fraction_leaf=0.0, max_features=None,
                 random_state=None):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on X (n_samples, n_features) and labels y (n_samples,)."""
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        check_n_features(self, X, reset=True)
        self.classes_, codes = encode_labels(y)
        self.n_classes_ = len(self.classes_)
        weight = check_sample_weight(sample_weight, len(X), self)
        return self._fit_encoded(X, codes, weight)

    def _fit_encoded(self, X, codes, weight, order=None):
        """Fit on validated X, class codes (n,) in [0, n_classes_) and weights (n,)."""
        one_hot = np.zeros((len(X), self.n_classes_))
        one_hot[np.arange(len(X)), codes] = weight
        sums = self._grow(X, one_hot, weight, one_hot, order)
        self.tree_.value = (sums / sums.sum(axis=1, keepdims=True))[:, None, :]
        return self

    def predict_proba(self, X):
        """(n_samples, n_classes) class fractions of each sample's leaf."""
        X = self._validate_X_predict(X)
        return self.tree_.value[self.tree_.apply(X), 0]


class DecisionTreeRegressor(RegressorMixin, BaseDecisionTree):
    """CART regression tree with the squared-error criterion.

    Parameters are those of `DecisionTreeClassifier`, with criterion "squared_error".
    `tree_.value` (node_count, 1, 1) holds each node's weighted mean target.
    """
    _criteria = ("squared_error",)

    def __init__(self, *, criterion="squared_error", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, min_weight_fraction_leaf=0.0, max_features=None,
                 random_state=None):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on X (n_samples, n_features) and targets y (n_samples,)."""
        X, y = check_X_y(X, y, y_numeric=True, estimator=self)
        check_n_features(self, X, reset=True)
        weight = check_sample_weight(sample_weight, len(X), self)
        return self._fit_encoded(X, y, weight)

    def _fit_encoded(self, X, y, weight, order=None):
        """Fit on validated X, float targets y (n,) and weights (n,)."""
        # Centering keeps the cumulative sums small; the split proxy is shift-invariant.
        centered = y - np.average(y, weights=weight)
        node_stats = np.stack([weight * y, weight * y * y], axis=1)
        sums = self._grow(X, (weight * centered)[:, None], weight, node_stats, order)
        self.tree_.value = (sums[:, 0] / self.tree_.weighted_n_node_samples)[:, None, None]
        return self

    def predict(self, X):
        """(n_samples,) the mean target of each sample's leaf."""
        X = self._validate_X_predict(X)
        return self.tree_.value[self.tree_.apply(X), 0, 0]
