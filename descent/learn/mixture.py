"""Gaussian mixture models fitted by expectation-maximisation (Dempster, Laird & Rubin, 1977).

p(x) = sum_k π_k N(x | μ_k, Σ_k). The E-step computes responsibilities
r_ik = π_k N(x_i | μ_k, Σ_k) / p(x_i); the M-step re-estimates π, μ and Σ as
responsibility-weighted frequencies, means and covariances. Each step never lowers the
log-likelihood, whose per-sample mean is `lower_bound_` at the end.

Covariances are stored through the Cholesky factors of the precisions, P_k with
P_k P_kᵀ = Σ_k⁻¹, so that log N(x | μ, Σ) = -½ (d log 2π + ||(x - μ)ᵀ P||²) + log|P|.
"""
import warnings

import numpy as np

from .base import (BaseEstimator, ConvergenceWarning, check_array, check_is_fitted, check_n_features,
                   check_random_state)
from .kmeans import KMeans, kmeans_plusplus
from .naive_bayes import _logsumexp

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

ILL_DEFINED = ("Fitting the mixture model failed because some components have ill-defined empirical "
               "covariance (for instance caused by singleton or collapsed samples). Try to decrease "
               "the number of components, increase reg_covar, or scale the input data.")


def estimate_gaussian_parameters(X, resp, reg_covar, covariance_type):
    """Weighted counts (k,), means (k, d) and covariances from responsibilities resp (n, k).

    Covariance shapes: full (k, d, d), tied (d, d), diag (k, d), spherical (k,);
    `reg_covar` is added to the diagonal so every covariance stays positive definite.
    """
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X) / nk[:, None]
    d = X.shape[1]
    if covariance_type == "full":
        covariances = np.empty((len(nk), d, d))
        for k in range(len(nk)):  # a loop over components, each one BLAS product
            diff = X - means[k]
            covariances[k] = (resp[:, k, None] * diff).T @ diff / nk[k]
            covariances[k].flat[::d + 1] += reg_covar
    elif covariance_type == "tied":
        covariances = (X.T @ X - (nk[:, None] * means).T @ means) / nk.sum()
        covariances.flat[::d + 1] += reg_covar
    else:
        # E[x²] - 2 E[x] μ + μ², per component and feature.
        second = (resp.T @ (X * X)) / nk[:, None]
        diagonal = second - 2 * means * ((resp.T @ X) / nk[:, None]) + means ** 2 + reg_covar
        covariances = diagonal if covariance_type == "diag" else diagonal.mean(axis=1)
    return nk, means, covariances


def precision_cholesky(covariances, covariance_type):
    """Cholesky factors P of the precisions (P Pᵀ = Σ⁻¹), same layout as the covariances."""
    if covariance_type in ("full", "tied"):
        try:
            L = np.linalg.cholesky(covariances)
        except np.linalg.LinAlgError as error:
            raise ValueError(ILL_DEFINED) from error
        # Σ = L Lᵀ gives Σ⁻¹ = L⁻ᵀ L⁻¹, so P = L⁻ᵀ (upper triangular).
        return np.swapaxes(np.linalg.inv(L), -1, -2)
    if np.any(covariances <= 0.0):
        raise ValueError(ILL_DEFINED)
    return 1.0 / np.sqrt(covariances)


def log_det_cholesky(prec_chol, covariance_type, n_features):
    """log |P| of each component (k,), or a scalar for 'tied'."""
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        return np.sum(np.log(np.diag(prec_chol)))
    if covariance_type == "diag":
        return np.sum(np.log(prec_chol), axis=1)
    return n_features * np.log(prec_chol)


def estimate_log_gaussian_prob(X, means, prec_chol, covariance_type):
    """log N(x_i | μ_k, Σ_k) for every sample and component, shape (n, k)."""
    n, d = X.shape
    k = len(means)
    log_det = log_det_cholesky(prec_chol, covariance_type, d)
    if covariance_type in ("full", "tied"):
        mahalanobis = np.empty((n, k))
        for j in range(k):
            P = prec_chol[j] if covariance_type == "full" else prec_chol
            y = X @ P - means[j] @ P
            mahalanobis[:, j] = np.einsum("ij,ij->i", y, y)
    elif covariance_type == "diag":
        precisions = prec_chol ** 2  # (k, d)
        # Expand sum_f (x_f - μ_kf)² λ_kf into matrix products.
        mahalanobis = (np.sum(means ** 2 * precisions, axis=1) - 2 * X @ (means * precisions).T
                       + (X * X) @ precisions.T)
    else:
        precisions = prec_chol ** 2  # (k,)
        mahalanobis = (np.sum(means ** 2, axis=1) * precisions - 2 * X @ (means.T * precisions)
                       + np.outer(np.einsum("ij,ij->i", X, X), precisions))
    return -0.5 * (d * np.log(2 * np.pi) + mahalanobis) + log_det


class GaussianMixture(BaseEstimator):
    """A mixture of Gaussians fitted by EM.

    Parameters
    ----------
    n_components : int, default=1
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        One full covariance per component, one shared by all, diagonal, or one variance.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood changes by less than tol.
    reg_covar : float, default=1e-6
        Added to covariance diagonals.
    max_iter : int, default=100
    n_init : int, default=1
        Restarts; the one with the largest lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, default='kmeans'
        How the first responsibilities are chosen.
    weights_init, means_init, precisions_init : arrays or None
        User-given starting weights (k,), means (k, d), precisions (layout of the covariances).
    random_state : None, int or Generator
    warm_start : bool, default=False
        Start from the previous fit's parameters (and use n_init=1).
    verbose, verbose_interval
        Unused; kept for scikit-learn compatibility.

    Attributes
    ----------
    weights_ : ndarray (n_components,)
    means_ : ndarray (n_components, n_features)
    covariances_, precisions_, precisions_cholesky_ : arrays in the covariance layout
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood of the training data at the best run's last EM step.
    """

    _estimator_type = "density_estimator"

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, random_state=None, warm_start=False, verbose=0,
                 verbose_interval=10):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y=None):
        """Fit the mixture to X (n_samples, n_features) by EM; returns self."""
        self.fit_predict(X, y)
        return self

    def fit_predict(self, X, y=None):
        """Fit, then return the most responsible component of each training sample (n,)."""
        X = check_array(X, estimator=self, ensure_min_samples=2)
        self._check_parameters(X)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        check_n_features(self, X, reset=do_init)
        rng = check_random_state(self.random_state)
        n_init = self.n_init if do_init else 1
        best, best_bound = None, -np.inf
        for _ in range(n_init):
            if do_init:
                self._initialize(X, rng)
            bound, n_iter, converged = self._run_em(X)
            if best is None or bound > best_bound:
                best, best_bound = (self._get_parameters(), n_iter, converged), bound
        parameters, n_iter, converged = best
        if not converged and self.max_iter > 0:
            warnings.warn(f"GaussianMixture did not converge in {self.max_iter} iterations: try "
                          "different init parameters, or increase max_iter, tol, or check for "
                          "degenerate data.", ConvergenceWarning)
        self._set_parameters(*parameters)
        self.n_iter_, self.converged_, self.lower_bound_ = n_iter, converged, best_bound
        # A last E-step so that fit_predict(X) agrees with fit(X).predict(X).
        return np.argmax(self._weighted_log_prob(X), axis=1)

    def _run_em(self, X):
        bound, converged, n_iter = -np.inf, False, 0
        for n_iter in range(1, self.max_iter + 1):
            previous = bound
            log_norm, log_resp = self._e_step(X)
            self._m_step(X, log_resp)
            bound = log_norm
            if abs(bound - previous) < self.tol:
                converged = True
                break
        return bound, n_iter, converged

    def _check_parameters(self, X):
        who = "GaussianMixture"
        if not isinstance(self.n_components, (int, np.integer)) or self.n_components < 1:
            raise ValueError(f"{who}: n_components must be a positive int, got {self.n_components!r}.")
        if X.shape[0] < self.n_components:
            raise ValueError(f"{who}: expected n_samples >= n_components but got "
                             f"n_components = {self.n_components}, n_samples = {X.shape[0]}.")
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"{who}: covariance_type must be one of {COVARIANCE_TYPES}, got "
                             f"{self.covariance_type!r}.")
        if self.init_params not in ("kmeans", "k-means++", "random", "random_from_data"):
            raise ValueError(f"{who}: unknown init_params {self.init_params!r}.")
        if self.reg_covar < 0 or self.tol < 0 or self.max_iter < 0 or self.n_init < 1:
            raise ValueError(f"{who}: reg_covar, tol and max_iter must be >= 0 and n_init >= 1.")

    def _initial_responsibilities(self, X, rng):
        n, k = X.shape[0], self.n_components
        resp = np.zeros((n, k))
        if self.init_params == "kmeans":
            labels = KMeans(k, n_init=1, random_state=rng).fit(X).labels_
            resp[np.arange(n), labels] = 1.0
        elif self.init_params == "k-means++":
            indices = kmeans_plusplus(X, k, random_state=rng)[1]
            resp[indices, np.arange(k)] = 1.0
        elif self.init_params == "random":
            resp = rng.uniform(size=(n, k))
            resp /= resp.sum(axis=1, keepdims=True)
        else:
            resp[rng.choice(n, k, replace=False), np.arange(k)] = 1.0
        return resp

    def _initialize(self, X, rng):
        nk, means, covariances = estimate_gaussian_parameters(
            X, self._initial_responsibilities(X, rng), self.reg_covar, self.covariance_type)
        k, d = self.n_components, X.shape[1]
        self.weights_ = nk / X.shape[0] if self.weights_init is None else \
            self._checked(self.weights_init, (k,), "weights_init")
        self.means_ = means if self.means_init is None else \
            self._checked(self.means_init, (k, d), "means_init")
        if self.precisions_init is None:
            self.covariances_ = covariances
            self.precisions_cholesky_ = precision_cholesky(covariances, self.covariance_type)
        else:
            precisions = self._checked(self.precisions_init, covariances.shape, "precisions_init")
            if self.covariance_type in ("full", "tied"):
                # Σ⁻¹ = L Lᵀ with L lower triangular, so P = L.
                self.precisions_cholesky_ = np.linalg.cholesky(precisions)
            else:
                self.precisions_cholesky_ = np.sqrt(precisions)
            self.covariances_ = covariances

    @staticmethod
    def _checked(value, shape, name):
        value = np.asarray(value, dtype=float)
        if value.shape != shape:
            raise ValueError(f"GaussianMixture: {name} has shape {value.shape}, expected {shape}.")
        return value.copy()

    def _e_step(self, X):
        """(mean log-likelihood, log responsibilities (n, k))."""
        weighted = self._weighted_log_prob(X)
        log_norm = _logsumexp(weighted, axis=1)
        return float(np.mean(log_norm)), weighted - log_norm

    def _m_step(self, X, log_resp):
        nk, self.means_, self.covariances_ = estimate_gaussian_parameters(
            X, np.exp(log_resp), self.reg_covar, self.covariance_type)
        self.weights_ = nk / nk.sum()
        self.precisions_cholesky_ = precision_cholesky(self.covariances_, self.covariance_type)

    def _weighted_log_prob(self, X):
        return (estimate_log_gaussian_prob(X, self.means_, self.precisions_cholesky_,
                                           self.covariance_type) + np.log(self.weights_))

    def _get_parameters(self):
        return (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)

    def _set_parameters(self, weights, means, covariances, prec_chol):
        self.weights_, self.means_, self.covariances_ = weights, means, covariances
        self.precisions_cholesky_ = prec_chol
        if self.covariance_type == "full":
            self.precisions_ = prec_chol @ np.swapaxes(prec_chol, 1, 2)
        elif self.covariance_type == "tied":
            self.precisions_ = prec_chol @ prec_chol.T
        else:
            self.precisions_ = prec_chol ** 2

    # ------------------------------------------------------------------ using the model

    def _validated(self, X):
        check_is_fitted(self, "means_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X

    def score_samples(self, X):
        """log p(x) of each sample, shape (n_samples,)."""
        return _logsumexp(self._weighted_log_prob(self._validated(X)), axis=1)[:, 0]

    def score(self, X, y=None):
        """Mean log-likelihood of X."""
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X):
        """Responsibilities p(component | x), shape (n_samples, n_components)."""
        weighted = self._weighted_log_prob(self._validated(X))
        return np.exp(weighted - _logsumexp(weighted, axis=1))

    def predict(self, X):
        """Most responsible component of each sample, shape (n_samples,)."""
        return np.argmax(self._weighted_log_prob(self._validated(X)), axis=1)

    def _n_parameters(self):
        k, d = self.means_.shape
        covariance = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d,
                      "spherical": k}[self.covariance_type]
        return int(covariance + k * d + k - 1)

    def bic(self, X):
        """Bayesian information criterion -2 log L + p log n (lower is better)."""
        X = self._validated(X)
        return -2 * self.score(X) * X.shape[0] + self._n_parameters() * np.log(X.shape[0])

    def aic(self, X):
        """Akaike information criterion -2 log L + 2 p (lower is better)."""
        X = self._validated(X)
        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()

    def sample(self, n_samples=1):
        """Draw n_samples points: (X (n_samples, n_features), component labels (n_samples,))."""
        check_is_fitted(self, "means_")
        if n_samples < 1:
            raise ValueError(f"GaussianMixture.sample: n_samples must be >= 1, got {n_samples}.")
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        d = self.means_.shape[1]
        draws, labels = [], []
        for k, count in enumerate(counts):
            z = rng.standard_normal((count, d))
            draws.append(self.means_[k] + self._scale_noise(z, k))
            labels.append(np.full(count, k))
        return np.vstack(draws), np.concatenate(labels)

    def _scale_noise(self, z, k):
        """z Aᵀ with A Aᵀ = Σ_k, so rows of z (standard normal) get covariance Σ_k."""
        if self.covariance_type == "full":
            return z @ np.linalg.cholesky(self.covariances_[k]).T
        if self.covariance_type == "tied":
            return z @ np.linalg.cholesky(self.covariances_).T
        return z * np.sqrt(self.covariances_[k])
