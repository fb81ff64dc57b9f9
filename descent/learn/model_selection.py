"""Choosing and judging models on held-out data: splits, cross-validation, grid search.

    train_test_split    one random (optionally stratified) split of any number of arrays
    KFold               k contiguous (or shuffled) folds
    StratifiedKFold     k folds that keep each class's proportion
    cross_val_score     the score of a fresh copy of an estimator on each fold
    GridSearchCV        cross-validated search over a grid of parameters, then a refit

Everything works with any estimator that follows scikit-learn's API (descent's or
scikit-learn's own): estimators are copied with `clone`, which rebuilds one from
its `get_params()`.
"""
import copy
import numbers
import time
import warnings
from itertools import product

import numpy as np

from .base import BaseEstimator, check_random_state
from .metrics import get_scorer


class FitFailedWarning(RuntimeWarning):
    """A fit inside cross-validation raised; its score was set to `error_score`."""


# --------------------------------------------------------------------------- clone

def clone(estimator, *, safe=True):
    """A new, unfitted estimator with the same parameters (deep-copied).

    Estimators among the parameters (and in lists / tuples of them) are cloned in
    turn. With `safe=False`, an object without get_params is deep-copied instead of
    raising TypeError.
    """
    if isinstance(estimator, (list, tuple, set, frozenset)):
        return type(estimator)(clone(e, safe=safe) for e in estimator)
    if not hasattr(estimator, "get_params") or isinstance(estimator, type):
        if not safe:
            return copy.deepcopy(estimator)
        raise TypeError(f"Cannot clone object {estimator!r} (type {type(estimator)}): it does not "
                        "seem to be a scikit-learn estimator as it does not implement a "
                        "'get_params' method.")
    params = estimator.get_params(deep=False)
    new_params = {name: clone(value, safe=False) for name, value in params.items()}
    return type(estimator)(**new_params)


# --------------------------------------------------------------------------- splitters

def _n_samples(X):
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError("Sparse data was passed, but dense data is required. Use '.toarray()' to "
                        "convert to a dense numpy array.")
    if hasattr(X, "shape") and len(X.shape) > 0:
        return X.shape[0]
    if hasattr(X, "__len__"):
        return len(X)
    return len(np.asarray(X))


def _check_lengths(X, y):
    if y is not None and _n_samples(X) != _n_samples(y):
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{_n_samples(X)}, {_n_samples(y)}]")


def _take(array, indices):
    """Rows `indices` of an array, a list, or a pandas object."""
    if array is None:
        return None
    if hasattr(array, "iloc"):
        return array.iloc[indices]
    return np.asarray(array)[indices]


class KFold:
    """K folds of consecutive samples (shuffled first if `shuffle`).

    The first n_samples % n_splits folds have one sample more than the others.
    `split(X)` yields (train_indices, test_indices) for each fold in turn.
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        if not isinstance(n_splits, numbers.Integral) or n_splits < 2:
            raise ValueError(f"k-fold cross-validation requires at least one train/test split by "
                             f"setting n_splits=2 or more, got n_splits={n_splits!r}.")
        if not shuffle and random_state is not None:
            raise ValueError("Setting a random_state has no effect since shuffle is False. You "
                             "should leave random_state to its default (None), or set "
                             "shuffle=True.")
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def _test_folds(self, n, y):
        """(n,) fold number of every sample."""
        if self.n_splits > n:
            raise ValueError(f"Cannot have number of splits n_splits={self.n_splits} greater than "
                             f"the number of samples: n_samples={n}.")
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        folds = np.repeat(np.arange(self.n_splits), sizes)
        if self.shuffle:
            order = check_random_state(self.random_state).permutation(n)
            shuffled = np.empty(n, dtype=np.int64)
            shuffled[order] = folds
            folds = shuffled
        return folds

    def split(self, X, y=None, groups=None):
        n = _n_samples(X)
        folds = self._test_folds(n, y)
        indices = np.arange(n)
        for k in range(self.n_splits):
            in_test = folds == k
            yield indices[~in_test], indices[in_test]

    def __repr__(self):
        return (f"{type(self).__name__}(n_splits={self.n_splits}, random_state="
                f"{self.random_state!r}, shuffle={self.shuffle})")


class StratifiedKFold(KFold):
    """K folds that each hold (nearly) the same proportion of every class.

    Samples are sorted by class (classes ordered by first appearance in y) and
    dealt to folds round-robin, which fixes how many of each class every fold
    gets; within a class, samples keep their order unless `shuffle`. This is the
    allocation scikit-learn uses, so without shuffling the folds are identical.
    """

    def _test_folds(self, n, y):
        if y is None:
            raise ValueError("StratifiedKFold.split: the 'y' parameter should not be None.")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if len(y) != n:
            raise ValueError(f"StratifiedKFold: X has {n} samples but y has {len(y)}")
        _, first_index, inverse = np.unique(y, return_index=True, return_inverse=True)
        by_appearance = np.argsort(np.argsort(first_index))
        codes = by_appearance[inverse.reshape(-1)]
        counts = np.bincount(codes)
        if np.all(self.n_splits > counts):
            raise ValueError(f"n_splits={self.n_splits} cannot be greater than the number of "
                             "members in each class.")
        if self.n_splits > counts.min():
            warnings.warn(f"The least populated class in y has only {counts.min()} members, which "
                          f"is less than n_splits={self.n_splits}.", UserWarning, stacklevel=3)
        # Dealing the class-sorted samples to folds round-robin: row k counts class c in fold k.
        sorted_codes = np.sort(codes)
        dealt = np.arange(n) % self.n_splits
        allocation = np.zeros((self.n_splits, len(counts)), dtype=np.int64)
        np.add.at(allocation, (dealt, sorted_codes), 1)
        rng = check_random_state(self.random_state) if self.shuffle else None
        folds = np.empty(n, dtype=np.int64)
        for c in range(len(counts)):
            class_folds = np.repeat(np.arange(self.n_splits), allocation[:, c])
            if rng is not None:
                class_folds = rng.permutation(class_folds)
            folds[codes == c] = class_folds
        return folds


def _split_sizes(n, test_size, train_size):
    """(n_train, n_test) from fractions or counts, as scikit-learn rounds them."""
    def as_count(size, round_up):
        if isinstance(size, numbers.Real) and not isinstance(size, numbers.Integral):
            if not 0 < size < 1:
                raise ValueError(f"train_test_split: a float size should be in (0, 1); got {size}")
            return int(np.ceil(size * n)) if round_up else int(np.floor(size * n))
        if size <= 0 or size > n:
            raise ValueError(f"train_test_split: a size of {size} should be between 1 and "
                             f"n_samples={n}")
        return int(size)

    if test_size is None and train_size is None:
        test_size = 0.25
    n_test = as_count(test_size, True) if test_size is not None else None
    n_train = as_count(train_size, False) if train_size is not None else None
    if n_test is None:
        n_test = n - n_train
    if n_train is None:
        n_train = n - n_test
    if n_train + n_test > n:
        raise ValueError(f"train_test_split: the sum of train and test sizes ({n_train} + "
                         f"{n_test}) exceeds the number of samples {n}")
    if n_train == 0 or n_test == 0:
        raise ValueError(f"With n_samples={n}, test_size={test_size} and train_size={train_size}, "
                         "the resulting train set or test set will be empty.")
    return n_train, n_test


def _stratified_counts(class_counts, total, rng):
    """Split `total` over classes proportionally to their counts (largest remainders).

    Ties among remainders are broken at random, so no class is favored.
    """
    exact = class_counts * total / class_counts.sum()
    counts = np.floor(exact).astype(np.int64)
    left = total - counts.sum()
    if left:
        remainder = exact - counts
        jitter = rng.random(len(counts)) * 1e-9  # random order among equal remainders
        counts[np.argsort(-(remainder + jitter), kind="stable")[:left]] += 1
    return counts


def _stratified_split(y, n_train, n_test, rng):
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    codes = codes.reshape(-1)
    counts = np.bincount(codes)
    if counts.min() < 2:
        raise ValueError("The least populated class in y has only 1 member, which is too few. "
                         "The minimum number of groups for any class cannot be less than 2.")
    if n_test < len(classes) or n_train < len(classes):
        raise ValueError(f"The train_size = {n_train} and test_size = {n_test} should each be "
                         f"greater or equal to the number of classes = {len(classes)}")
    test_counts = _stratified_counts(counts, n_test, rng)
    train_counts = _stratified_counts(counts - test_counts, n_train, rng)
    train, test = [], []
    for c in range(len(classes)):
        members = rng.permutation(np.nonzero(codes == c)[0])
        test.append(members[: test_counts[c]])
        train.append(members[test_counts[c]: test_counts[c] + train_counts[c]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True,
                     stratify=None):
    """Split arrays into random train and test subsets: [a_train, a_test, b_train, b_test, ...].

    test_size / train_size: a fraction in (0, 1) or a number of samples; by default
    a quarter of the samples are for testing. `stratify` (labels) keeps the class
    proportions in both parts. Without `shuffle`, the first samples train and the
    last ones test.
    """
    if not arrays:
        raise ValueError("train_test_split: at least one array required as input")
    n = _n_samples(arrays[0])
    lengths = [_n_samples(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {lengths}")
    n_train, n_test = _split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("Stratified train/test split is not implemented for shuffle=False")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    else:
        rng = check_random_state(random_state)
        if stratify is not None:
            train, test = _stratified_split(stratify, n_train, n_test, rng)
        else:
            order = rng.permutation(n)
            train, test = order[n_test: n_test + n_train], order[:n_test]
    out = []
    for a in arrays:
        out.extend([_take(a, train), _take(a, test)])
    return out


def check_cv(cv=5, y=None, *, classifier=False):
    """A splitter from an int (StratifiedKFold for classifiers, else KFold), a splitter,
    or an iterable of (train, test) pairs."""
    if cv is None:
        cv = 5
    if isinstance(cv, numbers.Integral):
        if classifier and y is not None and _is_class_target(y):
            return StratifiedKFold(cv)
        return KFold(cv)
    if hasattr(cv, "split"):
        return cv
    return _FixedSplits(list(cv))


def _is_class_target(y):
    y = np.asarray(y)
    if y.ndim > 1 and not (y.ndim == 2 and y.shape[1] == 1):
        return False
    return y.dtype.kind in "OUSbi" or (y.dtype.kind in "u") or (
        y.dtype.kind == "f" and np.all(y == np.round(y)))


class _FixedSplits:
    def __init__(self, splits):
        self.splits = splits

    def get_n_splits(self, X=None, y=None, groups=None):
        return len(self.splits)

    def split(self, X=None, y=None, groups=None):
        yield from self.splits


# --------------------------------------------------------------------------- cross-validation

def _is_classifier(estimator):
    return getattr(estimator, "_estimator_type", None) == "classifier" or _sklearn_says(
        estimator, "classifier")


def _sklearn_says(estimator, kind):
    tags = getattr(estimator, "__sklearn_tags__", None)
    if tags is None:
        return False
    try:
        return tags().estimator_type == kind
    except Exception:  # tags of a third-party object: ignore them
        return False


def _scorer_for(estimator, scoring):
    if scoring is None:
        if not hasattr(estimator, "score"):
            raise TypeError(f"If no scoring is specified, the estimator passed should have a "
                            f"'score' method. The estimator {estimator!r} does not.")
        return _estimator_score
    return get_scorer(scoring)


def _estimator_score(estimator, X, y):
    """The default scorer: the estimator's own `score` (a module-level function, so picklable)."""
    return estimator.score(X, y) if y is not None else estimator.score(X)


def _raise_if_all_failed(results):
    """Every fit failing means bad input or a bad estimator, not bad parameters: raise."""
    errors = [r["error"] for r in results if "error" in r]
    if results and len(errors) == len(results):
        raise ValueError(f"All the {len(results)} fits failed. The first error was: "
                         f"{type(errors[0]).__name__}: {errors[0]}") from errors[0]


def _fit_and_score(estimator, X, y, scorer, train, test, params, error_score, train_score):
    """Fit a clone of `estimator` with `params` on `train`; score it on `test` (and train)."""
    model = clone(estimator).set_params(**params)
    X_train, X_test = _take(X, train), _take(X, test)
    y_train, y_test = _take(y, train), _take(y, test)
    result = {}
    start = time.perf_counter()
    try:
        model.fit(X_train, y_train)
    except Exception as e:
        if error_score == "raise":
            raise
        warnings.warn(f"Fitting {model!r} failed; its score is set to {error_score}. "
                      f"Details: {type(e).__name__}: {e}", FitFailedWarning, stacklevel=3)
        result["fit_time"] = time.perf_counter() - start
        result.update(score_time=0.0, test_score=error_score, train_score=error_score, error=e)
        return result
    result["fit_time"] = time.perf_counter() - start
    start = time.perf_counter()
    result["test_score"] = float(scorer(model, X_test, y_test))
    result["score_time"] = time.perf_counter() - start
    if train_score:
        result["train_score"] = float(scorer(model, X_train, y_train))
    return result


def cross_validate(estimator, X, y=None, *, scoring=None, cv=None, return_train_score=False,
                   error_score=np.nan):
    """Fit and score a fresh copy of `estimator` on every split of `cv`.

    Returns a dict of arrays (n_splits,): test_score, fit_time, score_time, and
    train_score when asked.
    """
    _check_lengths(X, y)
    splitter = check_cv(cv, y, classifier=_is_classifier(estimator))
    scorer = _scorer_for(estimator, scoring)
    results = [_fit_and_score(estimator, X, y, scorer, train, test, {}, error_score,
                              return_train_score)
               for train, test in splitter.split(X, y)]
    _raise_if_all_failed(results)
    keys = ["test_score", "fit_time", "score_time"] + (["train_score"] if return_train_score
                                                       else [])
    return {key: np.array([r[key] for r in results]) for key in keys}


def cross_val_score(estimator, X, y=None, *, scoring=None, cv=None, error_score=np.nan):
    """(n_splits,) test scores of `estimator` under `cv` (5 folds by default; stratified
    for classifiers). `scoring`: None (the estimator's `score`), a metric name such as
    'accuracy', 'r2', 'neg_mean_squared_error', or a callable scorer(estimator, X, y)."""
    return cross_validate(estimator, X, y, scoring=scoring, cv=cv,
                          error_score=error_score)["test_score"]


# --------------------------------------------------------------------------- grid search

class ParameterGrid:
    """Every combination of a grid: a dict {name: values} or a list of such dicts.

    Combinations are enumerated dict by dict, with the names in sorted order and
    the last name varying fastest, as scikit-learn's ParameterGrid does.
    """

    def __init__(self, param_grid):
        if isinstance(param_grid, dict):
            param_grid = [param_grid]
        if not isinstance(param_grid, (list, tuple)) or not all(isinstance(g, dict)
                                                               for g in param_grid):
            raise TypeError(f"Parameter grid should be a dict or a list of dicts, got "
                            f"{param_grid!r}")
        for grid in param_grid:
            for name, values in grid.items():
                if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                    raise TypeError(f"Parameter grid for parameter {name!r} needs to be a list or "
                                    f"a numpy array, but got {values!r} (of type "
                                    f"{type(values).__name__}) instead. Single values need to be "
                                    "wrapped in a list with one element.")
                if len(values) == 0:
                    raise ValueError(f"Parameter grid for parameter {name!r} need to be a "
                                     f"non-empty sequence, got: {values!r}")
        self.param_grid = param_grid

    def __iter__(self):
        for grid in self.param_grid:
            names = sorted(grid)
            for values in product(*(grid[name] for name in names)):
                yield dict(zip(names, values))

    def __len__(self):
        return sum(int(np.prod([len(v) for v in g.values()])) for g in self.param_grid)


def _rank_min(scores):
    """Rank 1 for the highest score, ties share the smallest rank; NaN ranks last."""
    filled = np.where(np.isnan(scores), -np.inf, scores)
    better = filled[None, :] > filled[:, None]         # (i, j): candidate j beats i
    return (1 + better.sum(axis=1)).astype(np.int32)


def _delegated(name):
    """A property giving best_estimator_'s method `name`, absent (AttributeError) if it has none."""
    def get(self):
        if getattr(self, "refit", True) is False:
            raise AttributeError(f"{name} is not available when refit=False; set refit=True.")
        target = self.best_estimator_ if hasattr(self, "best_estimator_") else self.estimator
        return getattr(target, name)
    return property(get, doc=f"best_estimator_.{name} (after fit with refit=True).")


class GridSearchCV(BaseEstimator):
    """Exhaustive search over a parameter grid, scored by cross-validation.

    For every combination in `param_grid` a clone of `estimator` is fitted and scored
    on each split of `cv`; the combination with the best mean test score wins and,
    with `refit`, is fitted again on all the data as `best_estimator_`, to which
    predict / predict_proba / decision_function / transform / score delegate.

    Parameters
    ----------
    estimator : an estimator with the scikit-learn API.
    param_grid : dict {name: list of values} or a list of such dicts.
    scoring : None (the estimator's score), a metric name, or a callable scorer.
    refit : bool, refit the best combination on the whole data.
    cv : int, splitter or iterable of (train, test); 5-fold by default (stratified
        for classifiers).
    return_train_score : bool, also record scores on the training folds.
    error_score : 'raise' or a number given to a combination whose fit fails.

    Attributes
    ----------
    cv_results_ : dict of arrays, one entry per combination: params,
        param_<name> (masked where a grid lacks the name), split<k>_test_score,
        mean_test_score, std_test_score, rank_test_score, mean/std fit and score times.
    best_index_, best_params_, best_score_, best_estimator_, refit_time_,
    scorer_, n_splits_.
    """

    def __init__(self, estimator, param_grid, *, scoring=None, refit=True, cv=None,
                 return_train_score=False, error_score=np.nan):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.refit = refit
        self.cv = cv
        self.return_train_score = return_train_score
        self.error_score = error_score

    @property
    def _estimator_type(self):
        return getattr(self.estimator, "_estimator_type", None)

    def __sklearn_tags__(self):
        # A search is whatever kind of estimator it searches over (only sklearn calls this).
        from sklearn.utils import get_tags
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        for name in ("classifier_tags", "regressor_tags", "transformer_tags"):
            setattr(tags, name, copy.deepcopy(getattr(inner, name)))
        tags.input_tags = copy.deepcopy(inner.input_tags)
        tags.target_tags = copy.deepcopy(inner.target_tags)
        return tags

    def fit(self, X, y=None):
        _check_lengths(X, y)
        candidates = list(ParameterGrid(self.param_grid))
        splitter = check_cv(self.cv, y, classifier=_is_classifier(self.estimator))
        splits = list(splitter.split(X, y))
        self.scorer_ = _scorer_for(self.estimator, self.scoring)
        results = [[_fit_and_score(self.estimator, X, y, self.scorer_, train, test, params,
                                   self.error_score, self.return_train_score)
                    for train, test in splits] for params in candidates]
        _raise_if_all_failed([r for row in results for r in row])
        self.n_splits_ = len(splits)
        self.cv_results_ = self._results_table(candidates, results)
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.multimetric_ = False
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y)
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "n_features_in_"):
                self.n_features_in_ = self.best_estimator_.n_features_in_
        return self

    def _results_table(self, candidates, results):
        table = {}
        for key in ("fit_time", "score_time"):
            values = np.array([[r[key] for r in row] for row in results])
            table[f"mean_{key}"], table[f"std_{key}"] = values.mean(1), values.std(1)
        for name in sorted({n for params in candidates for n in params}):
            column = np.ma.MaskedArray(np.empty(len(candidates), dtype=object),
                                       mask=[name not in p for p in candidates])
            for i, params in enumerate(candidates):
                if name in params:
                    column[i] = params[name]
            table[f"param_{name}"] = column
        table["params"] = candidates
        for part in ("test", "train") if self.return_train_score else ("test",):
            scores = np.array([[r[f"{part}_score"] for r in row] for row in results], dtype=float)
            for k in range(scores.shape[1]):
                table[f"split{k}_{part}_score"] = scores[:, k]
            table[f"mean_{part}_score"] = scores.mean(1)
            table[f"std_{part}_score"] = scores.std(1)
            if part == "test":
                table["rank_test_score"] = _rank_min(table["mean_test_score"])
        return table

    def score(self, X, y=None):
        """The scorer's value of best_estimator_ on (X, y)."""
        if not hasattr(self, "best_estimator_"):
            from .base import check_is_fitted
            check_is_fitted(self, "best_estimator_")
        return self.scorer_(self.best_estimator_, X, y)

    predict = _delegated("predict")
    predict_proba = _delegated("predict_proba")
    predict_log_proba = _delegated("predict_log_proba")
    decision_function = _delegated("decision_function")
    transform = _delegated("transform")
    inverse_transform = _delegated("inverse_transform")
    score_samples = _delegated("score_samples")

    @property
    def classes_(self):
        return self.best_estimator_.classes_
