"""Boosting: histogram gradient boosting and AdaBoost.

Gradient boosting (Friedman, 2001) fits an additive model F(x) = F_0 + sum_m f_m(x) one
tree at a time: each tree takes a Newton step on the loss, fitted to the per-sample
gradients g = dL/dF and hessians h = d²L/dF². Tree leaves get the value -G / (H + λ)
(G, H the sums over the leaf), and a split's gain is

    G_L² / (H_L + λ) + G_R² / (H_R + λ) - G² / (H + λ)

(Chen & Guestrin, 2016). As in LightGBM (Ke et al., 2017) and scikit-learn's
HistGradientBoosting, features are first binned into at most 255 quantile bins, so a
node's split search is one histogram of (g, h, count) per feature, built with
`np.bincount`, and a cumulative sum over its bins. A child's histogram is its parent's
minus its sibling's, so only the smaller child is ever counted. Trees grow leaf-wise:
the leaf whose best split gains most is split next, up to `max_leaf_nodes`
(`_hist_tree` grows one tree; this module holds the losses and the boosting loop).

AdaBoost (Freund & Schapire, 1997) in its multi-class SAMME form (Zhu, Zou, Rosset &
Hastie, 2009) reweights the samples each round towards those the previous weak
learners got wrong.
"""
import numpy as np

from ._binning import apply_bins, find_bin_thresholds
from ._hist_tree import BinnedData, add_leaf_values, grow_tree, leaf_rows
from .base import (BaseEstimator, ClassifierMixin, RegressorMixin, check_array, check_X_y,
                   check_is_fitted, check_n_features, check_classification_targets,
                   encode_labels, check_sample_weight)
from .tree import DecisionTreeClassifier, as_generator, sort_columns

_EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------- losses
# raw predictions are (n_trees_per_iteration, n_samples): one row per class for the
# multinomial loss, a single row otherwise.

def _expit(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))   # the logistic sigmoid, without overflow


def _softplus(x):
    """log(1 + e^x) without overflow; several times faster than np.logaddexp(0, x)."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _softmax(raw):
    e = np.exp(raw - raw.max(axis=0))
    return e / e.sum(axis=0)


class _SquaredError:
    """L = (F - y)² / 2, so g = F - y and h = 1 (a constant: histograms reuse the counts)."""
    constant_hessian = True

    def baseline(self, y, weight):
        return np.array([np.average(y, weights=weight)])

    def gradients(self, y, raw):
        return raw - y, None

    def loss(self, y, raw, weight):
        return 0.5 * np.average((raw[0] - y) ** 2, weights=weight)


class _BinaryLogLoss:
    """L = log(1 + e^F) - y F with F the log-odds, so g = p - y and h = p (1 - p)."""
    constant_hessian = False

    def baseline(self, y, weight):
        p = np.clip(np.average(y, weights=weight), _EPS, 1 - _EPS)
        return np.array([np.log(p / (1 - p))])

    def gradients(self, y, raw):
        p = _expit(raw[0])
        return (p - y)[None], (p * (1 - p))[None]

    def loss(self, y, raw, weight):
        return np.average(_softplus(raw[0]) - y * raw[0], weights=weight)


class _MultinomialLogLoss:
    """L = log sum_k e^{F_k} - F_y, so g_k = p_k - [y = k] and h_k = p_k (1 - p_k)."""
    constant_hessian = False

    def __init__(self, n_classes):
        self.n_classes = n_classes

    def baseline(self, y, weight):
        prior = np.bincount(y, weights=weight, minlength=self.n_classes) / weight.sum()
        return np.log(np.clip(prior, _EPS, 1))   # softmax of these is the prior

    def gradients(self, y, raw):
        p = _softmax(raw)
        g = p.copy()
        g[y, np.arange(len(y))] -= 1
        return g, p * (1 - p)

    def loss(self, y, raw, weight):
        top = raw.max(axis=0)
        log_norm = top + np.log(np.exp(raw - top).sum(axis=0))
        return np.average(log_norm - raw[y, np.arange(len(y))], weights=weight)


# ---------------------------------------------------------------- the boosting loop

def _should_stop(scores, n_iter_no_change, tol):
    """scikit-learn's rule: stop when none of the last `n_iter_no_change` scores beats the
    one before them by more than `tol` (scores are higher-is-better)."""
    if len(scores) <= n_iter_no_change:
        return False
    reference = scores[-n_iter_no_change - 1] + tol
    return not any(score > reference for score in scores[-n_iter_no_change:])


def _validation_split(n_samples, fraction, rng, classes=None):
    """(train rows, validation rows): ceil(fraction * n) random rows held out, stratified
    by `classes` if given (each class gets its share, rounding to fill the total)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation split: validation_fraction must be in (0, 1), got "
                         f"{fraction!r}.")
    n_val = int(np.ceil(fraction * n_samples))
    if classes is None:
        validation = rng.permutation(n_samples)[:n_val]
    else:
        groups = [np.flatnonzero(classes == c) for c in np.unique(classes)]
        share = n_val * np.array([len(rows) for rows in groups]) / n_samples
        take = np.floor(share).astype(int)
        leftover = n_val - take.sum()
        take[np.argsort(take - share)[:leftover]] += 1      # largest remainders first
        validation = np.concatenate([rng.permutation(rows)[:k]
                                     for rows, k in zip(groups, take)])
    validation = np.sort(validation)
    train = np.setdiff1d(np.arange(n_samples), validation)
    if not len(train) or not len(validation):
        raise ValueError(f"validation split: {n_samples} samples with validation_fraction="
                         f"{fraction} leave an empty training or validation set.")
    return train, validation


class BaseHistGradientBoosting(BaseEstimator):
    """The boosting loop shared by the classifier and the regressor."""

    def _check_params(self):
        who = type(self).__name__
        checks = [("learning_rate", self.learning_rate > 0, "> 0"),
                  ("max_iter", self.max_iter >= 1, ">= 1"),
                  ("max_leaf_nodes", self.max_leaf_nodes is None or self.max_leaf_nodes >= 2,
                   ">= 2 or None"),
                  ("max_depth", self.max_depth is None or self.max_depth >= 1, ">= 1 or None"),
                  ("min_samples_leaf", self.min_samples_leaf >= 1, ">= 1"),
                  ("l2_regularization", self.l2_regularization >= 0, ">= 0"),
                  ("n_iter_no_change", self.n_iter_no_change >= 1, ">= 1")]
        for name, ok, rule in checks:
            if not ok:
                raise ValueError(f"{who}: {name} must be {rule}, got {getattr(self, name)!r}.")
        if self.early_stopping not in ("auto", True, False):
            raise ValueError(f"{who}: early_stopping must be 'auto', True or False, got "
                             f"{self.early_stopping!r}.")

    def _fit_boosting(self, X, y, weight, loss, n_trees, stratify=None):
        """Boost on X (n, n_features), targets y (n,) and weights (n,) for `loss`."""
        self._check_params()
        rng = as_generator(self.random_state)
        n_samples = len(X)
        early = (self.early_stopping is True
                 or (self.early_stopping == "auto" and n_samples > 10_000))
        self.do_early_stopping_ = early
        if early:
            train, val = _validation_split(n_samples, self.validation_fraction, rng, stratify)
            X, X_val, y, y_val = X[train], X[val], y[train], y[val]
            weight, w_val = weight[train], weight[val]
        self._bin_thresholds = find_bin_thresholds(X, self.max_bins, rng)
        data = BinnedData(apply_bins(X, self._bin_thresholds), self.max_bins)
        self._baseline_prediction = loss.baseline(y, weight)
        raw = np.repeat(self._baseline_prediction[:, None], len(X), axis=1)
        unweighted = bool(np.all(weight == 1))
        grow = dict(max_leaf_nodes=self.max_leaf_nodes or len(X), max_depth=self.max_depth,
                    min_samples_leaf=self.min_samples_leaf, l2=self.l2_regularization,
                    learning_rate=self.learning_rate)
        self._predictors, self.train_score_, self.validation_score_ = [], [], []
        if early:
            columns_val = np.ascontiguousarray(X_val.T)     # (n_features, n_val)
            raw_val = np.repeat(self._baseline_prediction[:, None], len(X_val), axis=1)
            self.train_score_.append(-loss.loss(y, raw, weight))
            self.validation_score_.append(-loss.loss(y_val, raw_val, w_val))
        for _ in range(self.max_iter):
            g, h = loss.gradients(y, raw)
            if not unweighted:
                g, h = g * weight, (np.ones_like(g) if h is None else h) * weight
            trees = []
            for k in range(n_trees):
                tree, leaves = grow_tree(data, g[k], None if h is None else h[k],
                                         self._bin_thresholds, **grow)
                # The training rows' leaves are known from growing: no need to predict.
                add_leaf_values(raw[k], tree, leaves)
                trees.append(tree)
            self._predictors.append(trees)
            if early:
                for k, tree in enumerate(trees):
                    add_leaf_values(raw_val[k], tree, leaf_rows(tree, columns_val))
                self.train_score_.append(-loss.loss(y, raw, weight))
                self.validation_score_.append(-loss.loss(y_val, raw_val, w_val))
                if _should_stop(self.validation_score_, self.n_iter_no_change, self.tol):
                    break
        self.n_iter_ = len(self._predictors)
        self.n_trees_per_iteration_ = n_trees
        self.train_score_ = np.array(self.train_score_)
        self.validation_score_ = np.array(self.validation_score_)
        return self

    def _raw_predict(self, X):
        """(n_trees_per_iteration, n_samples) the additive model's raw output F(X)."""
        check_is_fitted(self, "_predictors")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        raw = np.repeat(self._baseline_prediction[:, None], len(X), axis=1)
        columns = np.ascontiguousarray(X.T)                 # (n_features, n_samples)
        for trees in self._predictors:
            for k, tree in enumerate(trees):
                add_leaf_values(raw[k], tree, leaf_rows(tree, columns))
        return raw


_HGB_DOC = """
    Parameters
    ----------
    learning_rate : float, shrinkage applied to every leaf value.
    max_iter : int, boosting iterations (trees per class).
    max_leaf_nodes : int or None, leaves per tree (grown best-first).
    max_depth : int or None, depth limit per tree.
    min_samples_leaf : int, fewest samples in a leaf.
    l2_regularization : float, λ added to the hessian sums.
    max_bins : int <= 255, quantile bins per feature.
    early_stopping : "auto", True or False; "auto" stops early when n_samples > 10000,
        scoring the loss on a held-out `validation_fraction` of the data.
    validation_fraction, n_iter_no_change, tol : the early-stopping rule: stop when the
        validation score has not improved by more than `tol` in `n_iter_no_change` rounds.
    random_state : None, int or Generator (binning subsample and validation split).

    Attributes
    ----------
    n_iter_, n_trees_per_iteration_, do_early_stopping_, train_score_, validation_score_.
"""


class GradientBoostingRegressor(RegressorMixin, BaseHistGradientBoosting):
    __doc__ = ("Histogram gradient boosting for regression with the squared error "
               "(scikit-learn's HistGradientBoostingRegressor).\n" + _HGB_DOC)

    def __init__(self, *, loss="squared_error", learning_rate=0.1, max_iter=100,
                 max_leaf_nodes=31, max_depth=None, min_samples_leaf=20,
                 l2_regularization=0.0, max_bins=255, early_stopping="auto",
                 validation_fraction=0.1, n_iter_no_change=10, tol=1e-7, random_state=None):
        self.loss = loss
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_bins = max_bins
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Boost on X (n_samples, n_features) and targets y (n_samples,)."""
        X, y = check_X_y(X, y, y_numeric=True, estimator=self)
        check_n_features(self, X, reset=True)
        if self.loss != "squared_error":
            raise ValueError(f"{type(self).__name__}: loss must be 'squared_error', got "
                             f"{self.loss!r}.")
        weight = check_sample_weight(sample_weight, len(X), self)
        return self._fit_boosting(X, y, weight, _SquaredError(), 1)

    def predict(self, X):
        """(n_samples,) the boosted prediction."""
        return self._raw_predict(X)[0]


class GradientBoostingClassifier(ClassifierMixin, BaseHistGradientBoosting):
    __doc__ = ("Histogram gradient boosting for classification with the log loss: one tree "
               "per iteration for two classes, one per class and iteration (softmax) for more "
               "(scikit-learn's HistGradientBoostingClassifier).\n" + _HGB_DOC)

    def __init__(self, *, loss="log_loss", learning_rate=0.1, max_iter=100,
                 max_leaf_nodes=31, max_depth=None, min_samples_leaf=20,
                 l2_regularization=0.0, max_bins=255, early_stopping="auto",
                 validation_fraction=0.1, n_iter_no_change=10, tol=1e-7, random_state=None):
        self.loss = loss
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_bins = max_bins
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Boost on X (n_samples, n_features) and labels y (n_samples,)."""
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        check_n_features(self, X, reset=True)
        if self.loss != "log_loss":
            raise ValueError(f"{type(self).__name__}: loss must be 'log_loss', got "
                             f"{self.loss!r}.")
        self.classes_, codes = encode_labels(y)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"{type(self).__name__}: y has 1 class "
                             f"({self.classes_[0]!r}); at least 2 classes are needed.")
        weight = check_sample_weight(sample_weight, len(X), self)
        if len(np.unique(codes[weight > 0])) < 2:
            raise ValueError(f"{type(self).__name__}: only one class has positive sample "
                             "weight; at least 2 classes are needed.")
        if n_classes == 2:
            return self._fit_boosting(X, codes.astype(np.float64), weight, _BinaryLogLoss(),
                                      1, stratify=codes)
        return self._fit_boosting(X, codes, weight, _MultinomialLogLoss(n_classes), n_classes,
                                  stratify=codes)

    def decision_function(self, X):
        """(n_samples,) log-odds for two classes, else (n_samples, n_classes) raw scores."""
        raw = self._raw_predict(X)
        return raw[0] if len(raw) == 1 else raw.T

    def predict_proba(self, X):
        """(n_samples, n_classes) class probabilities (sigmoid or softmax of the raw score)."""
        raw = self._raw_predict(X)
        if len(raw) == 1:
            p = _expit(raw[0])
            return np.stack([1 - p, p], axis=1)
        return _softmax(raw).T

    def predict(self, X):
        """(n_samples,) the most probable class."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


# ---------------------------------------------------------------- AdaBoost (SAMME)

def _clone(estimator):
    """A fresh, unfitted copy of `estimator` with the same parameters."""
    return type(estimator)(**estimator.get_params(deep=False))


class AdaBoostClassifier(ClassifierMixin, BaseEstimator):
    """AdaBoost for K classes with the discrete SAMME update (Zhu et al., 2009).

    Round m fits the weak learner on the current weights w, measures its weighted error
    err_m, gives it the vote alpha_m = learning_rate * (log((1 - err_m) / err_m)
    + log(K - 1)), and multiplies the weight of every misclassified sample by
    exp(alpha_m). Boosting stops early on a perfect learner, and a learner no better
    than chance (err_m >= 1 - 1/K) is discarded.

    Parameters
    ----------
    estimator : classifier accepting `sample_weight`, default a decision stump
        (DecisionTreeClassifier(max_depth=1)).
    n_estimators : int, the most rounds.
    learning_rate : float > 0, shrinks every vote alpha_m.
    random_state : None, int or Generator; seeds each learner's `random_state`.

    Attributes
    ----------
    estimators_, estimator_weights_ (alpha_m), estimator_errors_ (err_m), classes_,
    n_classes_, feature_importances_.
    """

    def __init__(self, estimator=None, *, n_estimators=50, learning_rate=1.0,
                 random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Boost on X (n_samples, n_features) and labels y (n_samples,)."""
        who = type(self).__name__
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        check_n_features(self, X, reset=True)
        if not isinstance(self.n_estimators, (int, np.integer)) or self.n_estimators < 1:
            raise ValueError(f"{who}: n_estimators must be an int >= 1, got "
                             f"{self.n_estimators!r}.")
        if not self.learning_rate > 0:
            raise ValueError(f"{who}: learning_rate must be > 0, got {self.learning_rate!r}.")
        self.classes_, codes = encode_labels(y)
        self.n_classes_ = len(self.classes_)
        weight = check_sample_weight(sample_weight, len(X), self)
        weight = weight / weight.sum()
        prototype = DecisionTreeClassifier(max_depth=1) if self.estimator is None \
            else self.estimator
        seeds = as_generator(self.random_state).integers(np.iinfo(np.int32).max,
                                                         size=self.n_estimators)
        self.estimators_, alphas, errors = [], [], []
        n_classes = self.n_classes_
        # descent's own trees can share one sort of X across all rounds.
        order = sort_columns(X) if type(prototype) is DecisionTreeClassifier else None
        for m, seed in enumerate(seeds):
            learner = _clone(prototype)
            if "random_state" in learner.get_params(deep=False):
                learner.set_params(random_state=int(seed))
            if order is not None:
                learner.n_features_in_ = self.n_features_in_
                learner.classes_, learner.n_classes_ = self.classes_, n_classes
                learner._fit_encoded(X, codes, weight, order)
            else:
                learner.fit(X, y, sample_weight=weight)
            wrong = learner.predict(X) != y
            error = float(np.average(wrong, weights=weight))
            if error <= 0:                      # perfect: it alone decides
                self.estimators_.append(learner)
                alphas.append(1.0)
                errors.append(0.0)
                break
            if error >= 1.0 - 1.0 / n_classes:  # no better than chance: discard it
                if not self.estimators_:
                    raise ValueError(f"{who}: the first weak learner is no better than "
                                     f"chance (weighted error {error:.3f} >= 1 - 1/"
                                     f"{n_classes}); the ensemble cannot be fit.")
                break
            alpha = self.learning_rate * (np.log((1 - error) / error) + np.log(n_classes - 1))
            self.estimators_.append(learner)
            alphas.append(alpha)
            errors.append(error)
            if m == len(seeds) - 1:
                break
            weight = weight * np.exp(alpha * wrong * (weight > 0))
            total = weight.sum()
            if not np.isfinite(total) or total <= 0:
                break
            weight /= total
        self.estimator_weights_ = np.array(alphas)
        self.estimator_errors_ = np.array(errors)
        return self

    def decision_function(self, X):
        """SAMME scores: each learner votes alpha for its class and -alpha/(K-1) for the
        others, normalized by sum(alpha). (n_samples,) for two classes (score of the
        second), else (n_samples, n_classes)."""
        check_is_fitted(self, "estimators_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        n_classes = self.n_classes_
        score = np.zeros((len(X), n_classes))
        for learner, alpha in zip(self.estimators_, self.estimator_weights_):
            votes = learner.predict(X)[:, None] == self.classes_[None, :]
            score += np.where(votes, alpha, -alpha / (n_classes - 1))
        score /= self.estimator_weights_.sum()
        if n_classes == 2:
            return score[:, 1] - score[:, 0]
        return score

    def predict(self, X):
        """(n_samples,) the class with the highest weighted vote."""
        score = self.decision_function(X)
        if self.n_classes_ == 2:
            return self.classes_[(score > 0).astype(int)]
        return self.classes_[np.argmax(score, axis=1)]

    def predict_proba(self, X):
        """(n_samples, n_classes) softmax of the scores divided by (K - 1)."""
        score = self.decision_function(X)
        if self.n_classes_ == 2:
            score = np.stack([-score, score], axis=1) / 2
        return _softmax(score.T / (self.n_classes_ - 1)).T

    @property
    def feature_importances_(self):
        """(n_features,) the learners' importances averaged with their votes."""
        check_is_fitted(self, "estimators_")
        importances = sum(alpha * learner.feature_importances_
                          for learner, alpha in zip(self.estimators_,
                                                    self.estimator_weights_))
        return importances / self.estimator_weights_.sum()
