"""Feature transformations fitted on data: scaling, encoding, polynomial expansion, imputation.

Each transformer learns per-feature statistics in `fit` (means, ranges, quantiles,
categories) and applies them in `transform`, vectorized over samples; loops run only
over features. Names, parameters and attributes follow scikit-learn.
"""
import math
from itertools import combinations, combinations_with_replacement

import numpy as np

from .base import (BaseEstimator, TransformerMixin, check_array, check_is_fitted,
                   check_n_features, check_sample_weight)


def _constant_scale(scale, mean=None, n_samples=None):
    """Replace (near-)zero scales by 1 so constant features pass through unscaled.

    A variance computed for a constant feature may come out as a few ulps instead of
    0. With the mean and the sample count given, a variance within the rounding
    error bound of its computation, n·ε·var + (n·|mean|·ε)² (Chan, Golub & LeVeque
    1983), counts as zero; otherwise only scales below 10·ε do.
    """
    eps = np.finfo(float).eps
    scale = np.asarray(scale, dtype=float).copy()
    tiny = np.abs(scale) < 10 * eps
    if mean is not None:
        var = scale ** 2
        tiny |= var <= n_samples * eps * var + (n_samples * np.abs(mean) * eps) ** 2
    scale[tiny] = 1.0
    return scale


def _feature_names_in(estimator, input_features):
    """`input_features`, the names seen in fit, or x0, x1, ... (scikit-learn's rule)."""
    n = estimator.n_features_in_
    if input_features is None:
        names = getattr(estimator, "feature_names_in_", None)
        return np.asarray(names if names is not None else [f"x{i}" for i in range(n)], dtype=object)
    input_features = np.asarray(input_features, dtype=object)
    if len(input_features) != n:
        raise ValueError(f"input_features should have length equal to number of features ({n}), "
                         f"got {len(input_features)}")
    return input_features


def _record_feature_names(estimator, X):
    """Keep DataFrame column names, as scikit-learn's `feature_names_in_`."""
    columns = getattr(X, "columns", None)
    if columns is not None and all(isinstance(c, str) for c in columns):
        estimator.feature_names_in_ = np.asarray(list(columns), dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


class _OneToOneFeatureNames:
    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return _feature_names_in(self, input_features)


class StandardScaler(_OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    """Standardize features: z = (x − μ) / σ, with μ and σ per feature.

    Parameters
    ----------
    copy : bool, ignored (transform always returns a new array).
    with_mean : bool, subtract the mean μ.
    with_std : bool, divide by the standard deviation σ (constant features keep σ = 1).

    Attributes
    ----------
    mean_ : (n_features,) or None     var_ : (n_features,) or None
    scale_ : (n_features,) or None    n_samples_seen_ : int
    """

    def __init__(self, *, copy=True, with_mean=True, with_std=True):
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None, sample_weight=None):
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        _record_feature_names(self, X)
        w = None if sample_weight is None else check_sample_weight(sample_weight, len(X), self)
        self.n_samples_seen_ = len(X)
        if not (self.with_mean or self.with_std):
            self.mean_ = self.var_ = self.scale_ = None
            return self
        self.mean_ = np.average(X, axis=0, weights=w)
        if self.with_std:
            self.var_ = (X.var(axis=0) if w is None
                         else np.average((X - self.mean_) ** 2, axis=0, weights=w))
            self.scale_ = _constant_scale(np.sqrt(self.var_), self.mean_, len(X))
        else:
            self.var_ = self.scale_ = None
        return self

    def transform(self, X, copy=None):
        check_is_fitted(self, "n_samples_seen_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        Z = X - self.mean_ if self.with_mean else X.copy()
        if self.with_std:
            Z /= self.scale_                                    # in place: one new array in all
        return Z

    def inverse_transform(self, X, copy=None):
        check_is_fitted(self, "n_samples_seen_")
        X = check_array(X, estimator=self)
        if self.with_std:
            X = X * self.scale_
        if self.with_mean:
            X = X + self.mean_
        return X


class MinMaxScaler(_OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    """Map each feature's [min, max] seen in fit linearly onto `feature_range`.

    x' = x · scale_ + min_, with scale_ = (hi − lo) / (max − min) and
    min_ = lo − min · scale_. `clip` clamps transformed values into the range.
    """

    def __init__(self, feature_range=(0, 1), *, copy=True, clip=False):
        self.feature_range = feature_range
        self.copy = copy
        self.clip = clip

    def fit(self, X, y=None):
        lo, hi = self.feature_range
        if lo >= hi:
            raise ValueError(f"MinMaxScaler: minimum of desired feature range must be smaller "
                             f"than maximum. Got {self.feature_range!r}.")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        _record_feature_names(self, X)
        self.n_samples_seen_ = len(X)
        self.data_min_, self.data_max_ = X.min(axis=0), X.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (hi - lo) / _constant_scale(self.data_range_)
        self.min_ = lo - self.data_min_ * self.scale_
        return self

    def transform(self, X):
        check_is_fitted(self, "scale_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        X = X * self.scale_ + self.min_
        if self.clip:
            X = np.clip(X, *self.feature_range)
        return X

    def inverse_transform(self, X):
        check_is_fitted(self, "scale_")
        X = check_array(X, estimator=self)
        return (X - self.min_) / self.scale_


def _normal_quantile(p):
    """Φ⁻¹(p), the standard normal quantile, by Newton's method on Φ(x) = p."""
    x = 0.0
    for _ in range(50):
        cdf = 0.5 * (1 + math.erf(x / math.sqrt(2)))
        step = (cdf - p) / (math.exp(-x * x / 2) / math.sqrt(2 * math.pi))
        x -= step
        if abs(step) < 1e-14:
            break
    return x


class RobustScaler(_OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    """Scale with statistics that ignore outliers: (x − median) / interquartile range.

    `quantile_range` (q_lo, q_hi) in percent sets the range used as the scale.
    With `unit_variance`, the scale is further divided by Φ⁻¹(q_hi) − Φ⁻¹(q_lo), so
    normally distributed features end with variance 1.
    """

    def __init__(self, *, with_centering=True, with_scaling=True, quantile_range=(25.0, 75.0),
                 copy=True, unit_variance=False):
        self.with_centering = with_centering
        self.with_scaling = with_scaling
        self.quantile_range = quantile_range
        self.copy = copy
        self.unit_variance = unit_variance

    def fit(self, X, y=None):
        q_lo, q_hi = self.quantile_range
        if not 0 <= q_lo <= q_hi <= 100:
            raise ValueError(f"RobustScaler: invalid quantile range: {self.quantile_range!r}")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        _record_feature_names(self, X)
        self.center_ = np.median(X, axis=0) if self.with_centering else None
        if self.with_scaling:
            lo, hi = np.percentile(X, [q_lo, q_hi], axis=0)
            scale = _constant_scale(hi - lo)
            if self.unit_variance:
                scale = scale / (_normal_quantile(q_hi / 100) - _normal_quantile(q_lo / 100))
            self.scale_ = scale
        else:
            self.scale_ = None
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        if self.with_centering:
            X = X - self.center_
        if self.with_scaling:
            X = X / self.scale_
        return X

    def inverse_transform(self, X):
        check_is_fitted(self)
        X = check_array(X, estimator=self)
        if self.with_scaling:
            X = X * self.scale_
        if self.with_centering:
            X = X + self.center_
        return X


class OneHotEncoder(TransformerMixin, BaseEstimator):
    """Encode each categorical feature as one 0/1 column per category (dense output only).

    Parameters
    ----------
    categories : 'auto' (the sorted values seen in fit) or a list with one array of
        categories per feature.
    drop : None (keep every column), 'first' (drop each feature's first category),
        'if_binary' (drop the first category of two-category features only), or an
        array with the category to drop per feature (None for none). A dropped
        category is encoded as all zeros; this avoids perfectly collinear columns.
    sparse_output : must be False: descent returns dense arrays (scikit-learn's
        `sparse_output=False` behaviour).
    dtype : dtype of the output.
    handle_unknown : 'error' raises on a category not seen in fit; 'ignore' encodes
        it as all zeros (and `inverse_transform` returns None for it, or the dropped
        category where there is one).

    Attributes
    ----------
    categories_ : list of (n_categories_j,) arrays, one per feature.
    drop_idx_ : None, or (n_features,) object array: the index in categories_[j] of
        the dropped category, or None where nothing is dropped.
    """

    def __init__(self, *, categories="auto", drop=None, sparse_output=False, dtype=np.float64,
                 handle_unknown="error"):
        self.categories = categories
        self.drop = drop
        self.sparse_output = sparse_output
        self.dtype = dtype
        self.handle_unknown = handle_unknown

    def _validate(self, X, reset):
        if self.sparse_output:
            raise ValueError("OneHotEncoder: sparse_output=True is not supported; descent returns "
                             "dense arrays (use sparse_output=False).")
        if self.handle_unknown not in ("error", "ignore"):
            raise ValueError(f"OneHotEncoder: handle_unknown should be 'error' or 'ignore', got "
                             f"{self.handle_unknown!r}")
        X_in = X
        X = np.asarray(X)
        if X.dtype.kind not in "OUS":
            X = check_array(X, dtype=None, estimator=self)
        else:
            X = check_array(X, dtype=object, estimator=self)
        if reset:
            _record_feature_names(self, X_in)
        check_n_features(self, X, reset=reset)
        return X

    def fit(self, X, y=None):
        X = self._validate(X, reset=True)
        self.categories_ = self._fit_categories(X)
        self.drop_idx_ = self._drop_indices()
        return self

    def _fit_categories(self, X):
        if isinstance(self.categories, str):
            if self.categories != "auto":
                raise ValueError(f"OneHotEncoder: categories should be 'auto' or a list, got "
                                 f"{self.categories!r}")
            return [_sorted_unique(X[:, j]) for j in range(X.shape[1])]
        if len(self.categories) != X.shape[1]:
            raise ValueError(f"OneHotEncoder: shape mismatch: if categories is an array, it has to "
                             f"be of shape (n_features,) = ({X.shape[1]},); got "
                             f"{len(self.categories)} lists")
        categories = [np.asarray(c) for c in self.categories]
        if self.handle_unknown == "error":
            for j, cats in enumerate(categories):
                unknown = ~np.isin(X[:, j], cats)
                if unknown.any():
                    raise ValueError(f"Found unknown categories {np.unique(X[unknown, j])} in "
                                     f"column {j} during fit")
        return categories

    def _drop_indices(self):
        if self.drop is None:
            return None
        if isinstance(self.drop, str):
            if self.drop == "first":
                return np.array([0] * len(self.categories_), dtype=object)
            if self.drop == "if_binary":
                return np.array([0 if len(c) == 2 else None for c in self.categories_],
                                dtype=object)
            raise ValueError(f"OneHotEncoder: drop should be None, 'first', 'if_binary' or an "
                             f"array; got {self.drop!r}")
        drop = list(self.drop)
        if len(drop) != len(self.categories_):
            raise ValueError(f"`drop` should have length equal to the number of features "
                             f"({len(self.categories_)}), got {len(drop)}")
        indices = []
        for j, (value, cats) in enumerate(zip(drop, self.categories_)):
            if value is None:
                indices.append(None)
                continue
            where = np.flatnonzero(cats == value)
            if len(where) == 0:
                raise ValueError(f"The following categories were supposed to be dropped, but "
                                 f"were not found in the training data.\nCategory: {value!r}, "
                                 f"Feature: {j}")
            indices.append(int(where[0]))
        return np.array(indices, dtype=object)

    def _kept_columns(self, j):
        """Indices into categories_[j] that get an output column."""
        n = len(self.categories_[j])
        if self.drop_idx_ is None or self.drop_idx_[j] is None:
            return np.arange(n)
        return np.delete(np.arange(n), self.drop_idx_[j])

    def transform(self, X):
        """(n_samples, n_features) categories -> (n_samples, total kept categories) of 0/1."""
        check_is_fitted(self, "categories_")
        X = self._validate(X, reset=False)
        blocks = []
        for j, cats in enumerate(self.categories_):
            codes, known = _encode(X[:, j], cats)
            if not known.all() and self.handle_unknown == "error":
                raise ValueError(f"Found unknown categories {np.unique(X[~known, j])} in column "
                                 f"{j} during transform")
            block = np.zeros((len(X), len(cats)), dtype=self.dtype)
            block[np.nonzero(known)[0], codes[known]] = 1
            blocks.append(block[:, self._kept_columns(j)])
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0), dtype=self.dtype)

    def inverse_transform(self, X):
        """Back to categories: (n_samples, n_features).

        An all-zero block means the dropped category where there is one, else an
        unknown category (None).
        """
        check_is_fitted(self, "categories_")
        X = np.asarray(X)
        kept = [self._kept_columns(j) for j in range(len(self.categories_))]
        width = sum(len(k) for k in kept)
        if X.ndim != 2 or X.shape[1] != width:
            raise ValueError(f"OneHotEncoder.inverse_transform: expected shape (n_samples, "
                             f"{width}), got {X.shape}")
        dtype = np.result_type(*[c.dtype for c in self.categories_])
        out = np.empty((len(X), len(kept)), dtype=object if self.handle_unknown == "ignore"
                       else dtype)
        start = 0
        for j, (cats, columns) in enumerate(zip(self.categories_, kept)):
            block = X[:, start:start + len(columns)]
            start += len(columns)
            none_set = block.max(axis=1, initial=0) == 0
            out[:, j] = cats[columns[block.argmax(axis=1)]] if len(columns) else cats[0]
            if self.drop_idx_ is not None and self.drop_idx_[j] is not None:
                out[none_set, j] = cats[self.drop_idx_[j]]
            elif none_set.any():
                if self.handle_unknown != "ignore":
                    raise ValueError(f"Samples {np.flatnonzero(none_set)} can not be inverted when "
                                     "drop=None and handle_unknown='error' because they contain "
                                     "all zeros")
                out[none_set, j] = None
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "categories_")
        names = _feature_names_in(self, input_features)
        return np.asarray([f"{name}_{cats[k]}" for j, (name, cats) in
                           enumerate(zip(names, self.categories_))
                           for k in self._kept_columns(j)], dtype=object)

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


def _sorted_unique(column):
    try:
        return np.unique(column)
    except TypeError as e:
        raise TypeError(f"OneHotEncoder: the categories of a column must be all strings or all "
                        f"numbers; got a mix: {e}") from e


def _encode(values, categories):
    """(codes, known): each value's index in the sorted `categories`, and whether it is there."""
    order = np.argsort(categories, kind="stable")
    sorted_cats = categories[order]
    pos = np.clip(np.searchsorted(sorted_cats, values), 0, max(len(categories) - 1, 0))
    known = sorted_cats[pos] == values if len(categories) else np.zeros(len(values), bool)
    return order[pos], np.asarray(known, dtype=bool)


class LabelEncoder(TransformerMixin, BaseEstimator):
    """Map target labels to 0 .. n_classes − 1 (in sorted order) and back.

    Works on y, not X: `fit(y)`, `transform(y)`, `inverse_transform(codes)`.
    Attributes: classes_ (n_classes,).
    """

    def fit(self, y):
        self.classes_ = np.unique(_labels_1d(y))
        return self

    def fit_transform(self, y):
        self.classes_, codes = np.unique(_labels_1d(y), return_inverse=True)
        return codes.reshape(-1)

    def transform(self, y):
        check_is_fitted(self, "classes_")
        y = _labels_1d(y)
        if len(y) == 0:
            return np.array([], dtype=np.int64)
        codes, known = _encode(y, self.classes_)
        if not known.all():
            raise ValueError(f"y contains previously unseen labels: {np.unique(y[~known]).tolist()}")
        return codes

    def inverse_transform(self, y):
        check_is_fitted(self, "classes_")
        y = _labels_1d(y)
        if len(y) == 0:
            return np.array([], dtype=self.classes_.dtype)
        if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= len(self.classes_):
            raise ValueError(f"y contains previously unseen labels: codes must be integers in "
                             f"[0, {len(self.classes_) - 1}]")
        return self.classes_[y]

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.input_tags.two_d_array = False
        tags.target_tags.one_d_labels = True
        return tags


def _labels_1d(y):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"LabelEncoder: y should be a 1d array, got an array of shape {y.shape} "
                         "instead.")
    return y


class PolynomialFeatures(TransformerMixin, BaseEstimator):
    """All monomials of the features up to `degree`: [1, a, b, a², ab, b², ...].

    Parameters
    ----------
    degree : int, or (min_degree, max_degree).
    interaction_only : keep only products of distinct features (no a², a²b, ...).
    include_bias : include the constant column of ones (degree 0).
    order : 'C' or 'F', the memory layout of the output.

    Attributes
    ----------
    powers_ : (n_output_features_, n_features_in_) exponent of each input in each output.
    n_output_features_ : int
    """

    def __init__(self, degree=2, *, interaction_only=False, include_bias=True, order="C"):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias
        self.order = order

    def _degrees(self):
        degree = self.degree
        if isinstance(degree, (int, np.integer)) and not isinstance(degree, bool):
            low, high = 0, int(degree)
        elif isinstance(degree, (tuple, list)) and len(degree) == 2:
            low, high = (int(d) for d in degree)
        else:
            raise ValueError(f"PolynomialFeatures: degree must be a non-negative int or a tuple "
                             f"(min_degree, max_degree); got {degree!r}")
        if low < 0 or high < low:
            raise ValueError(f"PolynomialFeatures: degree must satisfy 0 <= min_degree <= "
                             f"max_degree; got {degree!r}")
        return low, high

    def _combinations(self, n_features):
        """Each output column as the tuple of input indices multiplied together."""
        low, high = self._degrees()
        choose = combinations if self.interaction_only else combinations_with_replacement
        # The bias column comes first whenever asked for, whatever the minimum degree.
        combos = [()] if self.include_bias else []
        for d in range(max(1, low), high + 1):
            combos.extend(choose(range(n_features), d))
        return combos

    def fit(self, X, y=None):
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        _record_feature_names(self, X)
        combos = self._combinations(X.shape[1])
        powers = np.zeros((len(combos), X.shape[1]), dtype=np.int64)
        for row, combo in enumerate(combos):
            np.add.at(powers[row], list(combo), 1)
        self.powers_ = powers
        self.n_output_features_ = len(combos)
        self._combos = combos
        return self

    def transform(self, X):
        check_is_fitted(self, "powers_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        out = np.empty((len(X), self.n_output_features_), order=self.order)
        # Reuse the column of each monomial's prefix: a·b·c is (a·b)·c, one product per column.
        columns = {(): np.ones(len(X))}
        for j, combo in enumerate(self._combos):
            if combo not in columns:
                columns[combo] = columns[combo[:-1]] * X[:, combo[-1]] if combo[:-1] in columns \
                    else np.prod(X[:, list(combo)], axis=1)
            out[:, j] = columns[combo]
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "powers_")
        names = _feature_names_in(self, input_features)
        out = []
        for row in self.powers_:
            terms = [names[i] if p == 1 else f"{names[i]}^{p}" for i, p in enumerate(row) if p]
            out.append(" ".join(terms) if terms else "1")
        return np.asarray(out, dtype=object)


class SimpleImputer(TransformerMixin, BaseEstimator):
    """Replace missing values by a per-feature statistic learned in fit.

    Parameters
    ----------
    missing_values : the marker of a missing entry; np.nan or None both match NaN and
        None in object arrays.
    strategy : 'mean', 'median', 'most_frequent' (ties go to the smallest value) or
        'constant' (`fill_value`, default 0 for numbers and "missing_value" for strings).
    add_indicator : append a 0/1 column per feature that had missing values in fit,
        marking where values were imputed (this also makes `inverse_transform` possible).
    keep_empty_features : keep features entirely missing in fit (imputed with 0, or
        fill_value); by default they are dropped from the output, as in scikit-learn.

    Attributes
    ----------
    statistics_ : (n_features,) the value imputed in each feature.
    """

    def __init__(self, *, missing_values=np.nan, strategy="mean", fill_value=None, copy=True,
                 add_indicator=False, keep_empty_features=False):
        self.missing_values = missing_values
        self.strategy = strategy
        self.fill_value = fill_value
        self.copy = copy
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features

    def _validate(self, X, reset):
        if self.strategy not in ("mean", "median", "most_frequent", "constant"):
            raise ValueError(f"SimpleImputer: strategy should be one of 'mean', 'median', "
                             f"'most_frequent', 'constant'; got {self.strategy!r}")
        X_in = X
        if hasattr(X, "toarray") and hasattr(X, "nnz"):
            check_array(X, estimator=self)  # raises its clear error for sparse input
        X = np.asarray(X)
        if X.dtype.kind == "c":
            raise ValueError("SimpleImputer: Complex data not supported.")
        numeric = X.dtype.kind in "biuf"
        if not numeric and self.strategy in ("mean", "median"):
            try:
                X = X.astype(float)
                numeric = True
            except (TypeError, ValueError) as e:
                raise type(e)(f"SimpleImputer: cannot use {self.strategy} strategy with "
                              f"non-numeric data: {e}") from e
        X = check_array(X, dtype=float if numeric else object, allow_nan=True, estimator=self)
        if numeric and np.isinf(X).any():
            raise ValueError("Input X contains infinity.")
        if reset:
            _record_feature_names(self, X_in)
        check_n_features(self, X, reset=reset)
        return X

    def _missing(self, X):
        """(n_samples, n_features) bool mask of the missing entries."""
        if _is_nan(self.missing_values):
            if X.dtype == object:
                # NaN is the one value unequal to itself; None compares equal to None.
                return np.asarray((X != X) | np.equal(X, None), dtype=bool)
            return np.isnan(X)
        return np.asarray(X == self.missing_values, dtype=bool)

    def fit(self, X, y=None):
        X = self._validate(X, reset=True)
        missing = self._missing(X)
        self._empty = missing.all(axis=0)
        self._indicated = np.flatnonzero(missing.any(axis=0)) if self.add_indicator else None
        if self.strategy == "constant":
            fill = self.fill_value
            if fill is None:
                fill = 0 if X.dtype.kind == "f" else "missing_value"
            self.statistics_ = np.full(X.shape[1], fill, dtype=X.dtype if X.dtype.kind == "f"
                                       else object)
            return self
        stats = [self._statistic(X[~missing[:, j], j]) for j in range(X.shape[1])]
        self.statistics_ = np.asarray(stats, dtype=X.dtype)
        return self

    def _statistic(self, values):
        if len(values) == 0:
            return 0 if self.keep_empty_features else np.nan
        if self.strategy == "mean":
            return values.mean()
        if self.strategy == "median":
            return np.median(values)
        uniques, counts = np.unique(values, return_counts=True)
        return uniques[np.argmax(counts)]

    def transform(self, X):
        check_is_fitted(self, "statistics_")
        X = self._validate(X, reset=False)
        missing = self._missing(X)
        imputed = np.where(missing, self.statistics_[None, :], X)[:, self._kept()]
        if not self.add_indicator:
            return imputed
        return np.hstack([imputed, missing[:, self._indicated].astype(imputed.dtype)])

    def _kept(self):
        return ~self._empty | self.keep_empty_features

    def inverse_transform(self, X):
        """Put missing_values back where the indicator columns say values were imputed.

        Only possible with add_indicator=True; features without missing values in fit
        have no indicator, so imputations made in them at transform time stay.
        Returns (n_samples, n_features_in_).
        """
        check_is_fitted(self, "statistics_")
        if not self.add_indicator:
            raise ValueError("'inverse_transform' works only when 'SimpleImputer' is "
                             "instantiated with 'add_indicator=True'. Got 'add_indicator=False' "
                             "instead.")
        X = np.asarray(X)
        kept = np.flatnonzero(self._kept())
        expected = len(kept) + len(self._indicated)
        if X.ndim != 2 or X.shape[1] != expected:
            raise ValueError(f"SimpleImputer.inverse_transform: expected shape (n_samples, "
                             f"{expected}), got {X.shape}")
        dtype = object if X.dtype == object else float
        original = np.full((len(X), self.n_features_in_), self.missing_values, dtype=dtype)
        original[:, kept] = X[:, :len(kept)]
        was_missing = X[:, len(kept):].astype(bool)
        columns = original[:, self._indicated]
        columns[was_missing] = self.missing_values
        original[:, self._indicated] = columns
        return original

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "statistics_")
        names = _feature_names_in(self, input_features)
        out = list(names[self._kept()])
        if self.add_indicator:
            out += [f"missingindicator_{names[j]}" for j in self._indicated]
        return np.asarray(out, dtype=object)

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.input_tags.allow_nan = True
        return tags


def _is_nan(value):
    try:
        return value is None or bool(np.isnan(value))
    except TypeError:
        return False
