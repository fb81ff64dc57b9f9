"""Naive Bayes classifiers: Gaussian, multinomial and Bernoulli likelihoods.

Bayes' rule with features assumed independent given the class:
    log p(c | x) = log p(c) + sum_j log p(x_j | c) - log p(x),
so fitting is counting (per-class means and variances, or per-class feature counts),
and predicting is one matrix product per class table. All per-class statistics are
computed at once from the one-hot class matrix Y (n_samples, n_classes): YᵀX sums the
rows of each class.
"""
import numpy as np

from .base import (BaseEstimator, ClassifierMixin, check_array, check_X_y, check_classification_targets,
                   check_is_fitted, check_n_features, check_sample_weight)


def _logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top


class _BaseNB(ClassifierMixin, BaseEstimator):
    """Predictions from the joint log-likelihood log p(c) + log p(x | c) (n_samples, n_classes)."""

    def predict_joint_log_proba(self, X):
        check_is_fitted(self, "classes_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return self._joint_log_likelihood(X)

    def predict(self, X):
        """Most probable class of each row, shape (n_samples,)."""
        joint = self.predict_joint_log_proba(X)
        return self.classes_[np.argmax(joint, axis=1)]

    def predict_log_proba(self, X):
        """log p(c | x), shape (n_samples, n_classes)."""
        joint = self.predict_joint_log_proba(X)
        return joint - _logsumexp(joint, axis=1)

    def predict_proba(self, X):
        """p(c | x), shape (n_samples, n_classes)."""
        return np.exp(self.predict_log_proba(X))

    def fit(self, X, y, sample_weight=None):
        """Fit from scratch on X (n_samples, n_features) and labels y (n_samples,)."""
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        return self._partial_fit(X, y, np.unique(y), sample_weight, reset=True)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the statistics with one more batch; `classes` is required on the first call."""
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise ValueError(f"{type(self).__name__}.partial_fit: classes must be passed on the first "
                             "call to partial_fit.")
        if not first and classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"{type(self).__name__}.partial_fit: `classes={classes!r}` is not the same "
                             f"as on the first call, classes_={self.classes_!r}.")
        return self._partial_fit(X, y, classes, sample_weight, reset=first)

    def _partial_fit(self, X, y, classes, sample_weight, reset):
        check_n_features(self, X, reset=reset)
        if reset:
            self.classes_ = np.unique(np.asarray(classes))
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, len(self.classes_) - 1)
        unknown = self.classes_[codes] != y
        if np.any(unknown):
            raise ValueError(f"{type(self).__name__}: the labels {np.unique(y[unknown])!r} are not in "
                             f"classes {self.classes_!r}.")
        Y = np.zeros((len(y), len(self.classes_)))
        Y[np.arange(len(y)), codes] = 1.0
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(y), estimator=self)
            Y *= sample_weight[:, None]
        self._update(X, Y, reset)
        return self


class GaussianNB(_BaseNB):
    """Naive Bayes with a normal distribution per (class, feature).

    log p(x | c) = -½ sum_j [log(2π σ²_cj) + (x_j - θ_cj)² / σ²_cj]

    Parameters
    ----------
    priors : array (n_classes,) or None, default=None
        Fixed class priors; None uses the class frequencies.
    var_smoothing : float, default=1e-9
        Share of the largest feature variance added to every variance, for stability.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    class_count_ : ndarray (n_classes,)
        (Weighted) number of samples of each class.
    class_prior_ : ndarray (n_classes,)
    theta_ : ndarray (n_classes, n_features)
        Per-class means.
    var_ : ndarray (n_classes, n_features)
        Per-class variances, plus epsilon_.
    epsilon_ : float
    """

    def __init__(self, *, priors=None, var_smoothing=1e-9):
        self.priors = priors
        self.var_smoothing = var_smoothing

    def _update(self, X, Y, reset):
        """Merge this batch's per-class mean and variance into the running ones (Chan et al., 1979)."""
        n_classes, n_features = Y.shape[1], X.shape[1]
        if reset:
            self.class_count_ = np.zeros(n_classes)
            self.theta_ = np.zeros((n_classes, n_features))
            self._raw_var = np.zeros((n_classes, n_features))
        count_b = Y.sum(axis=0)  # (C,)
        safe = np.where(count_b > 0, count_b, 1.0)[:, None]
        mean_b = (Y.T @ X) / safe
        # Two-pass variance (centered first) to avoid cancellation in E[x²] - E[x]².
        centered = X - (Y != 0) @ mean_b
        var_b = (Y.T @ centered ** 2) / safe
        count_a, mean_a, var_a = self.class_count_[:, None], self.theta_, self._raw_var
        total = count_a + count_b[:, None]
        safe_total = np.where(total > 0, total, 1.0)
        mean = (count_a * mean_a + count_b[:, None] * mean_b) / safe_total
        # Pooled sum of squares: both within-batch parts plus the between-means part.
        squares = (count_a * var_a + count_b[:, None] * var_b
                   + count_a * count_b[:, None] / safe_total * (mean_a - mean_b) ** 2)
        self.theta_ = np.where(total > 0, mean, mean_a)
        self._raw_var = np.where(total > 0, squares / safe_total, var_a)
        self.class_count_ = total[:, 0]
        self.epsilon_ = self.var_smoothing * float(np.var(X, axis=0).max())
        self.var_ = self._raw_var + self.epsilon_
        self.class_prior_ = self._priors()

    def _priors(self):
        if self.priors is None:
            return self.class_count_ / self.class_count_.sum()
        priors = np.asarray(self.priors, dtype=float)
        if priors.shape != (len(self.classes_),):
            raise ValueError(f"GaussianNB: priors has shape {priors.shape}, but there are "
                             f"{len(self.classes_)} classes.")
        if not np.isclose(priors.sum(), 1.0):
            raise ValueError(f"GaussianNB: the sum of the priors should be 1, got {priors.sum()}.")
        if np.any(priors < 0):
            raise ValueError("GaussianNB: priors must be non-negative.")
        return priors

    def _joint_log_likelihood(self, X):
        # Expand sum_j (x_j - θ_cj)² / σ²_cj into three matrix products instead of an
        # (n, C, d) broadcast.
        inv_var = 1.0 / self.var_  # (C, d)
        quadratic = (X ** 2) @ inv_var.T - 2.0 * X @ (self.theta_ * inv_var).T \
            + np.sum(self.theta_ ** 2 * inv_var, axis=1)
        normaliser = np.sum(np.log(2.0 * np.pi * self.var_), axis=1)
        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_prior_)
        return log_prior - 0.5 * (normaliser + quadratic)


class _BaseDiscreteNB(_BaseNB):
    """Count-based naive Bayes: feature_count_ = YᵀX and class_count_ accumulate per batch."""

    def _check_counts_input(self, X):
        return X

    def _more_tags(self, tags):
        # Count models score poorly on scikit-learn's Gaussian-blob check data, as its own do.
        tags = super()._more_tags(tags)
        tags.classifier_tags.poor_score = True
        return tags

    def _update(self, X, Y, reset):
        X = self._check_counts_input(X)
        if reset:
            self.class_count_ = np.zeros(Y.shape[1])
            self.feature_count_ = np.zeros((Y.shape[1], X.shape[1]))
        self.class_count_ = self.class_count_ + Y.sum(axis=0)
        self.feature_count_ = self.feature_count_ + Y.T @ X
        alpha = self._alpha()
        self._update_feature_log_prob(alpha)
        self._update_class_log_prior()

    def _alpha(self):
        alpha = np.asarray(self.alpha, dtype=float)
        if np.any(alpha < 0):
            raise ValueError(f"{type(self).__name__}: alpha must be non-negative, got {self.alpha!r}.")
        if alpha.ndim and alpha.shape != (self.n_features_in_,):
            raise ValueError(f"{type(self).__name__}: alpha has shape {alpha.shape}, expected "
                             f"({self.n_features_in_},).")
        if not self.force_alpha:
            alpha = np.maximum(alpha, 1e-10)
        return alpha

    def _update_class_log_prior(self):
        n_classes = len(self.classes_)
        if self.class_prior is not None:
            prior = np.asarray(self.class_prior, dtype=float)
            if prior.shape != (n_classes,):
                raise ValueError(f"{type(self).__name__}: class_prior has shape {prior.shape}, but "
                                 f"there are {n_classes} classes.")
            self.class_log_prior_ = np.log(prior)
        elif self.fit_prior:
            with np.errstate(divide="ignore"):
                self.class_log_prior_ = np.log(self.class_count_) - np.log(self.class_count_.sum())
        else:
            self.class_log_prior_ = np.full(n_classes, -np.log(n_classes))

    def _joint_log_likelihood(self, X):
        return self._check_counts_input(X) @ self.feature_log_prob_.T + self.class_log_prior_


class MultinomialNB(_BaseDiscreteNB):
    """Naive Bayes for counts (e.g. word counts), with additive (Lidstone) smoothing.

    p(feature j | c) = (N_cj + α) / (N_c + α d), and log p(x | c) = sum_j x_j log p(j | c)
    up to a term that does not depend on c.

    Parameters
    ----------
    alpha : float or array (n_features,), default=1.0
    force_alpha : bool, default=True
        Keep alpha as given even when below 1e-10 (else it is raised to 1e-10).
    fit_prior : bool, default=True
        Learn class priors from frequencies; False uses a uniform prior.
    class_prior : array (n_classes,) or None

    Attributes
    ----------
    classes_, class_count_ (n_classes,), feature_count_ (n_classes, n_features),
    class_log_prior_ (n_classes,), feature_log_prob_ (n_classes, n_features)
    """

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _check_counts_input(self, X):
        if np.any(X < 0):
            raise ValueError("Negative values in data passed to MultinomialNB (input X).")
        return X

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.input_tags.positive_only = True
        return tags

    def _update_feature_log_prob(self, alpha):
        smoothed = self.feature_count_ + alpha
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))


class BernoulliNB(_BaseDiscreteNB):
    """Naive Bayes for binary features (present / absent), with additive smoothing.

    p_cj = (N_cj + α) / (N_c + 2α), and
    log p(x | c) = sum_j [x_j log p_cj + (1 - x_j) log(1 - p_cj)].

    Parameters
    ----------
    alpha, force_alpha, fit_prior, class_prior
        As in `MultinomialNB`.
    binarize : float or None, default=0.0
        Threshold mapping features to {0, 1} (x > binarize); None means already binary.
    """

    def __init__(self, *, alpha=1.0, force_alpha=True, binarize=0.0, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.binarize = binarize
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _check_counts_input(self, X):
        return (X > self.binarize).astype(float) if self.binarize is not None else X

    def _update_feature_log_prob(self, alpha):
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = (np.log(self.feature_count_ + alpha)
                                      - np.log(self.class_count_ + 2 * alpha)[:, None])

    def _joint_log_likelihood(self, X):
        X = self._check_counts_input(X)
        log_p = self.feature_log_prob_
        with np.errstate(divide="ignore"):
            log_not_p = np.log1p(-np.exp(log_p))
        return X @ (log_p - log_not_p).T + log_not_p.sum(axis=1) + self.class_log_prior_
