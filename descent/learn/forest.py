"""Random forests (Breiman, 2001) and isolation forests (Liu, Ting & Zhou, 2008).

A random forest averages many CART trees, each grown on a bootstrap sample of the rows
and searching a random subset of the features at every node. The bootstrap is drawn as
a count per row, used as that row's sample weight, so every tree can share one sort of
the data (`sort_columns`) instead of sorting its own copy.
"""
import numpy as np

from .base import (BaseEstimator, ProbabilisticClassifierMixin, RegressorMixin, check_array, check_X_y,
                   check_is_fitted, check_n_features, check_classification_targets,
                   encode_labels, check_sample_weight)
from .tree import (LEAF, UNDEFINED, DecisionTreeClassifier, DecisionTreeRegressor, Tree,
                   as_generator, sort_columns)


def _n_bootstrap(max_samples, n_samples, who):
    if max_samples is None:
        return n_samples
    if isinstance(max_samples, (int, np.integer)) and not isinstance(max_samples, bool):
        if not 1 <= max_samples <= n_samples:
            raise ValueError(f"{who}: max_samples={max_samples} must be in [1, n_samples="
                             f"{n_samples}].")
        return int(max_samples)
    if isinstance(max_samples, float) and 0.0 < max_samples <= 1.0:
        return max(1, round(n_samples * max_samples))
    raise ValueError(f"{who}: max_samples must be None, an int or a float in (0, 1], got "
                     f"{max_samples!r}.")


class BaseForest(BaseEstimator):
    """Bagging of CART trees; subclasses say which tree and how to average."""

    _tree_params = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf",
                    "min_weight_fraction_leaf", "max_features")

    def _fit_trees(self, X, targets, weight):
        """Grow `n_estimators` trees on (X, targets) with bootstrap counts times `weight`."""
        who = type(self).__name__
        if not isinstance(self.n_estimators, (int, np.integer)) or self.n_estimators < 1:
            raise ValueError(f"{who}: n_estimators must be an int >= 1, got "
                             f"{self.n_estimators!r}.")
        if not self.bootstrap and self.max_samples is not None:
            raise ValueError(f"{who}: max_samples is only used with bootstrap=True; got "
                             f"max_samples={self.max_samples!r} with bootstrap=False.")
        if self.oob_score and not self.bootstrap:
            raise ValueError(f"{who}: out-of-bag estimation needs bootstrap=True.")
        n_samples = len(X)
        n_drawn = _n_bootstrap(self.max_samples, n_samples, who)
        rng = as_generator(self.random_state)
        seeds = rng.integers(np.iinfo(np.int32).max, size=self.n_estimators)
        order = sort_columns(X)
        params = {name: getattr(self, name) for name in self._tree_params}
        self.estimators_, in_bag = [], []
        for seed in seeds:
            tree_rng = np.random.default_rng(seed)
            counts = (np.bincount(tree_rng.integers(n_samples, size=n_drawn),
                                  minlength=n_samples) if self.bootstrap
                      else np.ones(n_samples))
            tree = self._tree_class(**params, random_state=tree_rng)
            tree.n_features_in_ = self.n_features_in_
            self._prepare_tree(tree)
            tree._fit_encoded(X, targets, weight * counts, order)
            self.estimators_.append(tree)
            in_bag.append(counts > 0)
        return np.array(in_bag)

    def _validate_X_predict(self, X):
        check_is_fitted(self, "estimators_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X

    def apply(self, X):
        """(n_samples, n_estimators) the leaf each sample reaches in each tree."""
        X = self._validate_X_predict(X)
        return np.stack([tree.tree_.apply(X) for tree in self.estimators_], axis=1)

    @property
    def feature_importances_(self):
        """(n_features,) the trees' normalized impurity decreases, averaged."""
        check_is_fitted(self, "estimators_")
        importances = np.mean([t.tree_.compute_feature_importances()
                               for t in self.estimators_], axis=0)
        total = importances.sum()
        return importances / total if total > 0 else importances

    def _tree_outputs(self, X):
        """(n_estimators, n_samples, n_values) each tree's leaf values for X."""
        return np.stack([t.tree_.value[t.tree_.apply(X), 0] for t in self.estimators_])

    def _oob_average(self, X, in_bag):
        """(n_samples, n_values) average over the trees that did not see each sample."""
        total = np.zeros((len(X), self._n_values))
        seen_by = np.zeros(len(X))
        for tree, bag in zip(self.estimators_, in_bag):
            out = ~bag
            total[out] += tree.tree_.value[tree.tree_.apply(X[out]), 0]
            seen_by[out] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / seen_by[:, None], seen_by


class RandomForestClassifier(ProbabilisticClassifierMixin, BaseForest):
    """A forest of CART classifiers; `predict_proba` averages the trees' class fractions.

    Parameters
    ----------
    n_estimators : int, number of trees.
    criterion, max_depth, min_samples_split, min_samples_leaf, min_weight_fraction_leaf :
        as in `DecisionTreeClassifier`.
    max_features : "sqrt" (default), "log2", int, float or None; features tried per node.
    bootstrap : bool, draw each tree's rows with replacement (else use all rows).
    oob_score : bool, score each sample with the trees that did not draw it.
    max_samples : None, int or float, rows drawn per tree (None: n_samples).
    random_state : None, int or Generator.

    Attributes
    ----------
    estimators_ : list of DecisionTreeClassifier; classes_ : (n_classes,);
    feature_importances_ : (n_features,); oob_score_, oob_decision_function_ when oob_score.
    """
    _tree_class = DecisionTreeClassifier

    def __init__(self, *, n_estimators=100, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", bootstrap=True, oob_score=False, random_state=None,
                 max_samples=None):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.random_state = random_state
        self.max_samples = max_samples

    def _prepare_tree(self, tree):
        tree.classes_, tree.n_classes_ = self.classes_, self.n_classes_

    @property
    def _n_values(self):
        return self.n_classes_

    def fit(self, X, y, sample_weight=None):
        """Grow the forest on X (n_samples, n_features) and labels y (n_samples,)."""
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        check_n_features(self, X, reset=True)
        self.classes_, codes = encode_labels(y)
        self.n_classes_ = len(self.classes_)
        weight = check_sample_weight(sample_weight, len(X), self)
        in_bag = self._fit_trees(X, codes, weight)
        if self.oob_score:
            proba, seen_by = self._oob_average(X, in_bag)
            self.oob_decision_function_ = proba
            scored = seen_by > 0
            self.oob_score_ = float(np.mean(np.argmax(proba[scored], axis=1) == codes[scored]))
        return self

    def predict_proba(self, X):
        """(n_samples, n_classes) the trees' class fractions, averaged."""
        X = self._validate_X_predict(X)
        return self._tree_outputs(X).mean(axis=0)


class RandomForestRegressor(RegressorMixin, BaseForest):
    """A forest of CART regressors; `predict` averages the trees' leaf means.

    Parameters are those of `RandomForestClassifier`, with criterion "squared_error" and
    max_features=1.0 (all features, as in scikit-learn) by default.
    """
    _tree_class = DecisionTreeRegressor
    _n_values = 1

    def __init__(self, *, n_estimators=100, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, bootstrap=True, oob_score=False, random_state=None,
                 max_samples=None):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.random_state = random_state
        self.max_samples = max_samples

    def _prepare_tree(self, tree):
        pass

    def fit(self, X, y, sample_weight=None):
        """Grow the forest on X (n_samples, n_features) and targets y (n_samples,)."""
        X, y = check_X_y(X, y, y_numeric=True, estimator=self)
        check_n_features(self, X, reset=True)
        weight = check_sample_weight(sample_weight, len(X), self)
        in_bag = self._fit_trees(X, y, weight)
        if self.oob_score:
            prediction, seen_by = self._oob_average(X, in_bag)
            self.oob_prediction_ = prediction[:, 0]
            scored = seen_by > 0
            residual = np.sum((y[scored] - self.oob_prediction_[scored]) ** 2)
            total = np.sum((y[scored] - y[scored].mean()) ** 2)
            self.oob_score_ = float(1 - residual / total) if total > 0 else 0.0
        return self

    def predict(self, X):
        """(n_samples,) the trees' predictions, averaged."""
        X = self._validate_X_predict(X)
        return self._tree_outputs(X)[:, :, 0].mean(axis=0)


# ---------------------------------------------------------------- isolation forest

def average_path_length(n):
    """c(n): the mean depth of an unsuccessful search in a binary search tree of n keys,
    2 H(n - 1) - 2 (n - 1) / n with H the harmonic number (Liu et al., 2008, eq. 1);
    c(1) = 0 and c(2) = 1. n : array of sample counts."""
    n = np.asarray(n, dtype=np.float64)
    safe = np.maximum(n, 3.0)
    c = 2.0 * (np.log(safe - 1.0) + np.euler_gamma) - 2.0 * (safe - 1.0) / safe
    return np.where(n <= 1, 0.0, np.where(n <= 2, 1.0, c))


def grow_isolation_tree(X, max_depth, rng):
    """One isolation tree on X (m, n_features), grown level by level.

    Each node picks a feature uniformly among those not constant in it and a threshold
    uniformly between that feature's min and max there; a node stops at `max_depth`, at
    one sample, or when all its features are constant. Returns a `Tree` whose value at
    each node is the path length a sample ending there is credited:
    depth + c(n_node_samples).
    """
    rows = np.arange(len(X))
    starts, sizes, depth = np.array([0]), np.array([len(X)]), 0
    record = {k: [] for k in ("feature", "threshold", "left", "right", "count", "depth")}
    n_nodes = 1
    while len(sizes):
        n_segments = len(sizes)
        feature = np.full(n_segments, UNDEFINED)
        threshold = np.full(n_segments, float(UNDEFINED))
        left, right = np.full(n_segments, LEAF), np.full(n_segments, LEAF)
        for key, value in (("feature", feature), ("threshold", threshold), ("left", left),
                           ("right", right), ("count", sizes),
                           ("depth", np.full(n_segments, depth))):
            record[key].append(value)
        values = X[rows]                                    # (n_positions, n_features)
        low = np.minimum.reduceat(values, starts, axis=0)   # (n_segments, n_features)
        high = np.maximum.reduceat(values, starts, axis=0)
        varies = high > low
        split = (sizes >= 2) & varies.any(axis=1) & (depth < max_depth)
        if not split.any():
            break
        index = np.flatnonzero(split)
        # A uniformly random varying feature: the largest of random keys among them.
        chosen = np.argmax(np.where(varies[index], rng.random(varies[index].shape), -1.0),
                           axis=1)
        lo, hi = low[index, chosen], high[index, chosen]
        cut = lo + rng.random(len(index)) * (hi - lo)
        cut = np.where(cut >= hi, lo, cut)                  # keep at least one row right
        children = n_nodes + np.arange(2 * len(index))
        feature[index], threshold[index] = chosen, cut
        left[index], right[index] = children[:len(index)], children[len(index):]
        n_nodes += len(children)

        segment_of = np.repeat(np.arange(n_segments), sizes)
        which = np.full(n_segments, -1)
        which[index] = np.arange(len(index))
        which = which[segment_of]                           # split number per position
        kept = which >= 0
        goes_left = np.zeros(len(rows), dtype=bool)
        goes_left[kept] = (values[kept, chosen[which[kept]]] <= cut[which[kept]])
        # Left children first, then right ones; a boolean selection keeps segment order.
        rows = np.concatenate([rows[goes_left], rows[kept & ~goes_left]])
        n_left = np.bincount(which[goes_left], minlength=len(index))
        sizes = np.concatenate([n_left, sizes[index] - n_left])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        depth += 1
    counts = np.concatenate(record["count"])
    path = np.concatenate(record["depth"]) + average_path_length(counts)
    tree = Tree(np.concatenate(record["left"]), np.concatenate(record["right"]),
                np.concatenate(record["feature"]), np.concatenate(record["threshold"]),
                value=path[:, None, None], impurity=np.zeros(len(counts)),
                n_node_samples=counts, weighted_n_node_samples=counts.astype(np.float64))
    tree.n_features = X.shape[1]
    return tree


class IsolationForest(BaseEstimator):
    """Isolation forest anomaly detection (Liu, Ting & Zhou, 2008).

    Anomalies are few and different, so random axis-aligned cuts isolate them in few
    steps. Each tree is grown on `max_samples` rows (drawn without replacement) down to
    depth ceil(log2(max_samples)); a sample's score is 2^(-E[h(x)] / c(max_samples)),
    with h(x) its path length and c the average path length of an unsuccessful BST
    search. `score_samples` returns the negated score (higher is more normal).

    Parameters
    ----------
    n_estimators : int, number of trees.
    max_samples : "auto" (min(256, n_samples)), int, or float fraction of the rows.
    contamination : "auto" or float in (0, 0.5]; "auto" puts the threshold at the
        paper's score 0.5 (offset_ = -0.5), a float at that quantile of training scores.
    max_features : int or float, features drawn (without replacement) for each tree.
    bootstrap : bool, draw each tree's rows with replacement.
    random_state : None, int or Generator.

    Attributes
    ----------
    estimators_ : list of `Tree`; estimators_features_ : list of (n_used,) feature ids;
    max_samples_ : int; offset_ : float.
    """
    _estimator_type = "outlier_detector"

    def __init__(self, *, n_estimators=100, max_samples="auto", contamination="auto",
                 max_features=1.0, bootstrap=False, random_state=None):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.random_state = random_state

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.estimator_type = "outlier_detector"
        return tags

    def _resolve_sizes(self, n_samples, n_features):
        who = type(self).__name__
        if not isinstance(self.n_estimators, (int, np.integer)) or self.n_estimators < 1:
            raise ValueError(f"{who}: n_estimators must be an int >= 1, got "
                             f"{self.n_estimators!r}.")
        if self.contamination != "auto" and not (isinstance(self.contamination, float)
                                                 and 0.0 < self.contamination <= 0.5):
            raise ValueError(f"{who}: contamination must be 'auto' or a float in (0, 0.5], "
                             f"got {self.contamination!r}.")
        if isinstance(self.max_samples, str) and self.max_samples == "auto":
            max_samples = min(256, n_samples)
        elif isinstance(self.max_samples, (int, np.integer)) and \
                not isinstance(self.max_samples, bool) and self.max_samples >= 1:
            max_samples = min(int(self.max_samples), n_samples)
        elif isinstance(self.max_samples, float) and 0.0 < self.max_samples <= 1.0:
            max_samples = max(1, int(self.max_samples * n_samples))
        else:
            raise ValueError(f"{who}: max_samples must be 'auto', an int >= 1 or a float in "
                             f"(0, 1], got {self.max_samples!r}.")
        if isinstance(self.max_features, (int, np.integer)) and \
                not isinstance(self.max_features, bool) and 1 <= self.max_features <= n_features:
            max_features = int(self.max_features)
        elif isinstance(self.max_features, float) and 0.0 < self.max_features <= 1.0:
            max_features = max(1, int(self.max_features * n_features))
        else:
            raise ValueError(f"{who}: max_features must be an int in [1, n_features] or a "
                             f"float in (0, 1], got {self.max_features!r}.")
        return max_samples, max_features

    def fit(self, X, y=None):
        """Grow the trees on X (n_samples, n_features); y is ignored."""
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        n_samples, n_features = X.shape
        self.max_samples_, n_used = self._resolve_sizes(n_samples, n_features)
        rng = as_generator(self.random_state)
        max_depth = int(np.ceil(np.log2(max(self.max_samples_, 2))))
        self.estimators_, self.estimators_features_ = [], []
        for _ in range(self.n_estimators):
            rows = (rng.integers(n_samples, size=self.max_samples_) if self.bootstrap
                    else rng.choice(n_samples, self.max_samples_, replace=False))
            features = (np.arange(n_features) if n_used == n_features
                        else np.sort(rng.choice(n_features, n_used, replace=False)))
            self.estimators_.append(grow_isolation_tree(X[np.ix_(rows, features)], max_depth,
                                                        rng))
            self.estimators_features_.append(features)
        if self.contamination == "auto":
            self.offset_ = -0.5
        else:
            self.offset_ = float(np.percentile(self.score_samples(X),
                                               100.0 * self.contamination))
        return self

    def score_samples(self, X):
        """(n_samples,) minus the anomaly score 2^(-E[h(x)] / c(max_samples)): lower is
        more abnormal."""
        check_is_fitted(self, "estimators_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        path = np.zeros(len(X))
        for tree, features in zip(self.estimators_, self.estimators_features_):
            path += tree.value[tree.apply(X[:, features]), 0, 0]
        mean_path = path / len(self.estimators_)
        return -(2.0 ** (-mean_path / average_path_length(self.max_samples_)))

    def decision_function(self, X):
        """(n_samples,) score_samples(X) - offset_: negative for outliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """(n_samples,) +1 for inliers, -1 for outliers."""
        return np.where(self.decision_function(X) < 0, -1, 1)

    def fit_predict(self, X, y=None):
        return self.fit(X).predict(X)
