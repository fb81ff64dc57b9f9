"""The scikit-learn estimator contract, written out: parameters, validation, mixins.

An estimator's `__init__` only stores its keyword arguments as given; `fit` validates
the data, learns, sets attributes whose names end in `_`, and returns `self`. The
helpers here are what every estimator in `descent.learn` uses to keep that contract,
so that they work inside scikit-learn's Pipeline, GridSearchCV and cross_val_score.
"""
import inspect
import sys

import numpy as np


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at max_iter before meeting its tolerance."""


class NotFittedError(ValueError, AttributeError):
    """Raised when an estimator is used before `fit` (the same bases as scikit-learn's)."""


class BaseEstimator:
    """Parameters from `__init__`'s signature, `get_params` / `set_params`, and a repr."""

    @classmethod
    def _param_names(cls):
        signature = inspect.signature(cls.__init__)
        return sorted(name for name, p in signature.parameters.items()
                      if name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True):
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            params[name] = value
        return params

    def set_params(self, **params):
        valid = self.get_params(deep=True)
        nested = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for estimator {self}. "
                                 f"Valid parameters are: {sorted(self._param_names())}.")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self):
        defaults = {name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()}
        changed = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                   if not _same(v, defaults.get(k, inspect.Parameter.empty))]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so scikit-learn is installed when it runs.
        from sklearn.utils import Tags, InputTags, TargetTags
        tags = Tags(estimator_type=getattr(self, "_estimator_type", None),
                    target_tags=TargetTags(required=False), transformer_tags=None,
                    regressor_tags=None, classifier_tags=None, input_tags=InputTags())
        return self._more_tags(tags)

    def _more_tags(self, tags):
        """Subclasses adjust scikit-learn's tags here (e.g. `tags.input_tags.sparse`)."""
        return tags

    def __init_subclass__(cls, **kwargs):
        # scikit-learn's check_estimator_tags_renamed rejects any class that defines
        # `_more_tags` (its pre-1.6 hook name) without also defining `__sklearn_tags__`
        # itself, so every class that adjusts tags gets the same `__sklearn_tags__`.
        super().__init_subclass__(**kwargs)
        if "_more_tags" in vars(cls) and "__sklearn_tags__" not in vars(cls):
            cls.__sklearn_tags__ = BaseEstimator.__sklearn_tags__


def _same(a, b):
    try:
        return bool(a is b or a == b)
    except Exception:  # arrays compare elementwise
        return False


class ClassifierMixin:
    _estimator_type = "classifier"

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of `predict(X)` against `y`."""
        correct = self.predict(X) == np.asarray(y)
        return float(np.average(correct, weights=sample_weight))

    def _more_tags(self, tags):
        from sklearn.utils import ClassifierTags
        tags = super()._more_tags(tags)
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags


class ProbabilisticClassifierMixin(ClassifierMixin):
    """`predict` and `predict_log_proba` from `predict_proba`, for classifiers that compute it."""

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):  # log 0 = -inf for classes a leaf never saw
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """(n_samples,) the class of highest probability."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]


class RegressorMixin:
    _estimator_type = "regressor"

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of `predict(X)` against `y`."""
        y = np.asarray(y, dtype=float)
        residual = np.average((y - self.predict(X)) ** 2, axis=0, weights=sample_weight)
        total = np.average((y - np.average(y, axis=0, weights=sample_weight)) ** 2, axis=0,
                           weights=sample_weight)
        return float(np.mean(1 - residual / np.where(total == 0, 1.0, total)))

    def _more_tags(self, tags):
        from sklearn.utils import RegressorTags
        tags = super()._more_tags(tags)
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        return tags


class TransformerMixin:
    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X, y, **fit_params).transform(X)

    def _more_tags(self, tags):
        from sklearn.utils import TransformerTags
        tags = super()._more_tags(tags)
        tags.transformer_tags = TransformerTags()
        return tags


class ClusterMixin:
    _estimator_type = "clusterer"

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_


# The mixins define `_more_tags` too; see BaseEstimator.__init_subclass__ for why.
for _mixin in (ClassifierMixin, RegressorMixin, TransformerMixin):
    _mixin.__sklearn_tags__ = BaseEstimator.__sklearn_tags__


def check_array(X, *, name="X", dtype=np.float64, ensure_2d=True, allow_nan=False,
                ensure_min_samples=1, estimator=None):
    """`X` as an array of `dtype`, with scikit-learn's errors for bad input.

    Raises ValueError for NaN / inf (unless `allow_nan`), for 1-D data where 2-D is
    needed, for complex data, and for fewer than `ensure_min_samples` rows; TypeError
    for sparse matrices, which descent does not accept.
    """
    who = f" by {type(estimator).__name__}" if estimator is not None else ""
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(f"Sparse data was passed{who}, but dense data is required. "
                        "Use '.toarray()' to convert to a dense numpy array.")
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise ValueError(f"Complex data not supported\n{X!r}\n")
    if dtype is not None and X.dtype != dtype:
        if X.dtype.kind in "OUS" and dtype is not object:
            try:
                X = X.astype(dtype)
            except (TypeError, ValueError) as e:
                # Keep the kind: a non-number object (TypeError) vs an unparsable string.
                raise type(e)(f"could not convert {name} to {np.dtype(dtype)}{who}: {e}") from e
        else:
            X = X.astype(dtype)
    if ensure_2d:
        if X.ndim == 0:
            raise ValueError(f"Expected 2D array, got scalar array instead:\narray={X!r}.\n"
                             "Reshape your data either using array.reshape(-1, 1) if your data has a "
                             "single feature or array.reshape(1, -1) if it contains a single sample.")
        if X.ndim == 1:
            raise ValueError(f"Expected 2D array, got 1D array instead:\narray={X!r}.\n"
                             "Reshape your data either using array.reshape(-1, 1) if your data has a "
                             "single feature or array.reshape(1, -1) if it contains a single sample.")
        if X.ndim > 2:
            raise ValueError(f"Found array with dim {X.ndim}{who}. Expected <= 2.")
    if X.dtype.kind in "fc" and not allow_nan and not np.isfinite(X).all():
        bad = "NaN" if np.isnan(X).any() else "infinity"
        raise ValueError(f"Input {name} contains {bad}{who}.")
    n = X.shape[0] if X.ndim else 1
    if n < ensure_min_samples:
        raise ValueError(f"Found array with {n} sample(s) (shape={X.shape}) while a minimum of "
                         f"{ensure_min_samples} is required{who}.")
    if ensure_2d and X.shape[1] < 1:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 "
                         f"is required{who}.")
    return X


def check_X_y(X, y, *, dtype=np.float64, y_numeric=False, multi_output=False, estimator=None,
              allow_nan=False):
    """Validate `X` (n_samples, n_features) and `y` (n_samples,) together."""
    if y is None:
        who = type(estimator).__name__ if estimator is not None else "this estimator"
        raise ValueError(f"{who} requires y to be passed, but the target y is None.")
    X = check_array(X, dtype=dtype, estimator=estimator, allow_nan=allow_nan)
    y = np.asarray(y)
    if multi_output:
        y = check_array(y, name="y", dtype=np.float64 if y_numeric else None, ensure_2d=False,
                        estimator=estimator)
    else:
        if y.ndim == 2 and y.shape[1] == 1:
            import warnings
            warnings.warn("A column-vector y was passed when a 1d array was expected. Please "
                          "change the shape of y to (n_samples, ), for example using ravel().",
                          _data_conversion_warning(), stacklevel=3)
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
        if y_numeric or y.dtype.kind == "f":
            y = check_array(y, name="y", dtype=np.float64 if y_numeric else None, ensure_2d=False,
                            estimator=estimator)
    if len(X) != len(y):
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{len(X)}, {len(y)}]")
    return X, y


def check_is_fitted(estimator, attribute=None):
    """Raise NotFittedError unless `fit` has run (some attribute ending in `_` exists)."""
    fitted = (hasattr(estimator, attribute) if attribute else
              any(k.endswith("_") and not k.startswith("__") for k in vars(estimator)))
    if not fitted:
        raise _not_fitted_class()(f"This {type(estimator).__name__} instance is not fitted yet. Call "
                                  "'fit' with appropriate arguments before using this estimator.")


def _not_fitted_class():
    """NotFittedError, or when scikit-learn is loaded a subclass of both it and sklearn's own.

    scikit-learn's checks (and user code written for it) catch
    `sklearn.exceptions.NotFittedError`; this lets them catch ours without descent
    importing scikit-learn.
    """
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return NotFittedError
    if "both" not in _NOT_FITTED:
        _NOT_FITTED["both"] = type("NotFittedError", (NotFittedError, sklearn_exceptions.NotFittedError),
                                   {"__module__": __name__})
    return _NOT_FITTED["both"]


_NOT_FITTED = {}


def check_n_features(estimator, X, reset):
    """Record `n_features_in_` at fit time (`reset`), or check it at predict time."""
    n_features = X.shape[1]
    if reset:
        estimator.n_features_in_ = n_features
    elif n_features != estimator.n_features_in_:
        raise ValueError(f"X has {n_features} features, but {type(estimator).__name__} is "
                         f"expecting {estimator.n_features_in_} features as input.")


def check_classification_targets(y):
    """Reject continuous targets for a classifier, as scikit-learn does."""
    y = np.asarray(y)
    if y.dtype.kind == "f" and np.any(y != np.round(y)):
        raise ValueError("Unknown label type: continuous. Maybe you are trying to fit a "
                         "classifier, which expects discrete classes on a regression target "
                         "with continuous values.")


def encode_labels(y):
    """(classes_, codes): the sorted distinct labels and each sample's index among them.

    Labels may be strings, integers or floats; a classifier stores `classes_` and maps
    predictions back through it, so string labels work everywhere.
    """
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes.reshape(-1)


def check_random_state(seed):
    """A NumPy Generator from None, an int, or an existing Generator / RandomState."""
    if isinstance(seed, (np.random.Generator, np.random.RandomState)):
        return seed
    return np.random.default_rng(seed)


def check_sample_weight(sample_weight, n_samples, estimator=None):
    """Per-sample weights as a float array (n_samples,); None means all ones.

    Raises ValueError for a wrong shape, negative or non-finite weights, or weights
    that are all zero (nothing would be learned).
    """
    who = type(estimator).__name__ if estimator is not None else "sample_weight"
    if sample_weight is None:
        return np.ones(n_samples)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.shape != (n_samples,):
        raise ValueError(f"{who}: sample_weight.shape == {w.shape}, expected ({n_samples},)!")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{who}: sample weights must be finite and non-negative.")
    if not w.any():
        raise ValueError(f"{who}: sample weights must contain at least one non-zero number.")
    return w


class DataConversionWarning(UserWarning):
    """Warned when input data is converted (e.g. a column-vector y is raveled)."""


def _data_conversion_warning():
    """DataConversionWarning, or scikit-learn's own when scikit-learn is loaded (its checks
    look for that class by name)."""
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    return sklearn_exceptions.DataConversionWarning if sklearn_exceptions else DataConversionWarning
