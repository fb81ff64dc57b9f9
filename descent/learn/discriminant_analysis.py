"""Linear discriminant analysis: Gaussian classes sharing one covariance matrix.

Each class k is modelled as N(μₖ, Σ) with prior πₖ. Bayes' rule then gives linear
decision functions δₖ(x) = xᵀΣ⁻¹μₖ − ½μₖᵀΣ⁻¹μₖ + log πₖ, and the directions that
best separate the class means relative to the within-class spread (Fisher 1936)
give a supervised dimensionality reduction to at most K − 1 dimensions.
Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, §4.3.
"""
import warnings

import numpy as np

from .base import (BaseEstimator, ClassifierMixin, TransformerMixin, check_array,
                   check_classification_targets, check_is_fitted, check_n_features, check_X_y,
                   encode_labels)


def _ledoit_wolf_shrinkage(X):
    """Ledoit & Wolf (2004) optimal shrinkage of the covariance of X (n, d) toward μ·I.

    With S = XᵀX/n (X centered) and μ = tr(S)/d: δ = ‖S − μI‖²_F / d,
    β = min(δ, (Σᵢ‖xᵢ‖⁴/n − ‖S‖²_F) / (n·d)) and the shrinkage is β / δ.
    """
    n, d = X.shape
    X = X - X.mean(axis=0)
    S = X.T @ X / n
    mu = np.trace(S) / d
    delta = (np.sum(S ** 2) - 2 * mu * np.trace(S) + d * mu ** 2) / d
    beta = (np.sum(np.sum(X ** 2, axis=1) ** 2) / n - np.sum(S ** 2)) / (n * d)
    beta = min(beta, delta)
    return 0.0 if beta == 0 else beta / delta


def _covariance(X, shrinkage):
    """Covariance (d, d) of X divided by n, optionally shrunk toward a scaled identity.

    shrinkage: None, a float s in [0, 1] giving (1 − s)S + s·(tr S/d)·I, or 'auto':
    the Ledoit-Wolf s applied to the correlation matrix C, Σ = D((1 − s)C + s·I)D with
    D the standard deviations (as scikit-learn does).
    """
    X = X - X.mean(axis=0)
    if shrinkage is None:
        return X.T @ X / len(X)
    if shrinkage != "auto":
        return _shrunk(X.T @ X / len(X), float(shrinkage))
    # Ledoit-Wolf works on the correlation scale, so each feature is shrunk in
    # proportion to its own variance.
    std = X.std(axis=0)
    std[std == 0] = 1.0
    Z = X / std
    C = _shrunk(Z.T @ Z / len(Z), _ledoit_wolf_shrinkage(Z))
    return std[:, None] * C * std[None, :]


def _shrunk(S, s):
    """(1 − s)·S + s·(tr S / d)·I: the covariance pulled toward a multiple of the identity."""
    d = S.shape[0]
    return (1 - s) * S + s * np.trace(S) / d * np.eye(d)


class LinearDiscriminantAnalysis(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Classifier with linear decision boundaries from class-conditional Gaussians.

    Parameters
    ----------
    solver : 'svd' (default; never forms Σ, so it handles many features and
        collinear data), 'eigen' (solves the generalized eigenproblem
        S_b v = λ S_w v; supports shrinkage) or 'lsqr' (solves Σ W = Mᵀ for
        classification only; supports shrinkage).
    shrinkage : None, 'auto' (Ledoit-Wolf) or a float in [0, 1]; not for 'svd'.
    priors : (n_classes,) class prior probabilities, default the class frequencies.
    n_components : number of discriminant directions kept by `transform`, at most
        min(n_classes − 1, n_features).
    store_covariance : also compute covariance_ with the 'svd' solver.
    tol : singular values below tol count as zero (rank detection, 'svd').

    Attributes
    ----------
    classes_ : (n_classes,)   priors_ : (n_classes,)   means_ : (n_classes, n_features)
    coef_ : (n_classes, n_features), or (1, n_features) for two classes
    intercept_ : (n_classes,), or (1,) for two classes
    covariance_ : (n_features, n_features) the pooled within-class covariance
    scalings_ : (n_features, rank) the discriminant directions
    xbar_ : (n_features,) the prior-weighted overall mean ('svd')
    explained_variance_ratio_ : (n_components,) share of between-class variance
        along each direction ('svd' and 'eigen').
    """

    def __init__(self, *, solver="svd", shrinkage=None, priors=None, n_components=None,
                 store_covariance=False, tol=1e-4):
        self.solver = solver
        self.shrinkage = shrinkage
        self.priors = priors
        self.n_components = n_components
        self.store_covariance = store_covariance
        self.tol = tol

    def fit(self, X, y):
        X, y = check_X_y(X, y, estimator=self)
        check_n_features(self, X, reset=True)
        check_classification_targets(y)
        self._check_params()
        self.classes_, codes = encode_labels(y)
        n, d = X.shape
        K = len(self.classes_)
        if K < 2:
            raise ValueError(f"LinearDiscriminantAnalysis: the number of classes has to be greater "
                             f"than one; got {K} class")
        if n == K:
            raise ValueError("LinearDiscriminantAnalysis: the number of samples must be more "
                             "than the number of classes.")
        self.priors_ = self._class_priors(codes, K)
        self._max_components = min(K - 1, d)
        if self.n_components is not None and self.n_components > self._max_components:
            raise ValueError(f"n_components cannot be larger than min(n_features, n_classes - 1) "
                             f"= {self._max_components}; got {self.n_components}")
        counts = np.bincount(codes, minlength=K)
        self.means_ = np.zeros((K, d))
        np.add.at(self.means_, codes, X)
        self.means_ /= counts[:, None]
        if self.solver == "svd":
            self._solve_svd(X, codes)
        else:
            self.covariance_ = self._pooled_covariance(X, codes)
            if self.solver == "lsqr":
                self._solve_lsqr()
            else:
                self._solve_eigen(X)
        if K == 2:  # one decision function: log-odds of the second class against the first
            self.coef_ = (self.coef_[1] - self.coef_[0])[None, :]
            self.intercept_ = np.array([self.intercept_[1] - self.intercept_[0]])
        return self

    def _check_params(self):
        if self.solver not in ("svd", "lsqr", "eigen"):
            raise ValueError(f"LinearDiscriminantAnalysis: unknown solver {self.solver!r} (valid "
                             "solvers are 'svd', 'lsqr', and 'eigen').")
        if self.shrinkage is not None:
            if self.solver == "svd":
                raise NotImplementedError("LinearDiscriminantAnalysis: shrinkage not supported "
                                          "with 'svd' solver.")
            if self.shrinkage != "auto" and not 0 <= float(self.shrinkage) <= 1:
                raise ValueError(f"LinearDiscriminantAnalysis: shrinkage must be 'auto' or in "
                                 f"[0, 1]; got {self.shrinkage!r}")

    def _class_priors(self, codes, K):
        if self.priors is None:
            return np.bincount(codes, minlength=K) / len(codes)
        priors = np.asarray(self.priors, dtype=float)
        if priors.shape != (K,):
            raise ValueError(f"LinearDiscriminantAnalysis: priors must have shape ({K},); got "
                             f"{priors.shape}")
        if np.any(priors < 0):
            raise ValueError("priors must be non-negative")
        if not np.isclose(priors.sum(), 1.0):
            warnings.warn("The priors do not sum to 1. Renormalizing", UserWarning, stacklevel=3)
            priors = priors / priors.sum()
        return priors

    def _pooled_covariance(self, X, codes):
        """Σₖ πₖ Σₖ, the prior-weighted within-class covariance (each divided by nₖ)."""
        return sum(p * _covariance(X[codes == k], self.shrinkage)
                   for k, p in enumerate(self.priors_))

    def _solve_lsqr(self):
        self.coef_ = np.linalg.lstsq(self.covariance_, self.means_.T, rcond=None)[0].T
        self.intercept_ = -0.5 * np.sum(self.means_ * self.coef_, axis=1) + np.log(self.priors_)

    def _solve_eigen(self, X):
        """Generalized eigenproblem S_b v = λ S_w v, reduced by the Cholesky factor of S_w."""
        S_w = self.covariance_
        S_b = _covariance(X, self.shrinkage) - S_w
        L = np.linalg.cholesky(S_w)
        L_inv = np.linalg.inv(L)
        evals, U = np.linalg.eigh(L_inv @ S_b @ L_inv.T)
        evecs = L_inv.T @ U                    # S_w-orthonormal: vᵀ S_w v = 1
        order = np.argsort(evals)[::-1]
        evals, evecs = evals[order], evecs[:, order]
        self.explained_variance_ratio_ = (evals / evals.sum())[: self._max_components]
        self.scalings_ = evecs
        self.coef_ = self.means_ @ evecs @ evecs.T
        self.intercept_ = -0.5 * np.sum(self.means_ * self.coef_, axis=1) + np.log(self.priors_)

    def _solve_svd(self, X, codes):
        """Whiten by an SVD of the within-class deviations, then an SVD of the whitened means.

        Never forms Σ: with W = whitening scalings from the within-class SVD, the
        class means in whitened space are decomposed to find the directions of
        largest between-class variance (the Fisher discriminants).
        """
        n, d = X.shape
        K = len(self.classes_)
        within = X - self.means_[codes]                        # (n, d) deviations from class means
        if self.store_covariance:
            self.covariance_ = sum(p * np.cov(within[codes == k].T, bias=True).reshape(d, d)
                                   for k, p in enumerate(self.priors_))
        self.xbar_ = self.priors_ @ self.means_
        std = within.std(axis=0)
        std[std == 0] = 1.0
        # Dividing by √n makes S² the eigenvalues of the (biased) pooled covariance.
        _, S, Vt = np.linalg.svd(within / std / np.sqrt(n), full_matrices=False)
        rank = int(np.sum(S > self.tol))
        if rank < d:
            warnings.warn("Variables are collinear.", UserWarning, stacklevel=3)
        whiten = (Vt[:rank] / std).T / S[:rank]                 # (d, rank)
        between = np.sqrt(n * self.priors_ / (K - 1))[:, None] * (self.means_ - self.xbar_)
        _, S, Vt = np.linalg.svd(between @ whiten, full_matrices=False)
        self.explained_variance_ratio_ = (S ** 2 / np.sum(S ** 2))[: self._max_components]
        rank = int(np.sum(S > self.tol * S[0]))
        self.scalings_ = whiten @ Vt.T[:, :rank]
        coef = (self.means_ - self.xbar_) @ self.scalings_
        self.intercept_ = -0.5 * np.sum(coef ** 2, axis=1) + np.log(self.priors_)
        self.coef_ = coef @ self.scalings_.T
        self.intercept_ = self.intercept_ - self.xbar_ @ self.coef_.T

    def _validate(self, X):
        check_is_fitted(self, "coef_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X

    def decision_function(self, X):
        """δ(x) per class (n_samples, n_classes), or the log-odds (n_samples,) for two classes."""
        X = self._validate(X)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def predict_proba(self, X):
        """Posterior class probabilities (n_samples, n_classes): a softmax of δ(x)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = np.exp(-np.logaddexp(0.0, -scores))            # sigmoid, without overflow
            return np.column_stack([1 - p, p])
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        return np.log(np.clip(self.predict_proba(X), np.finfo(float).tiny, None))

    def transform(self, X):
        """Project onto the discriminant directions: (n_samples, n_components)."""
        if self.solver == "lsqr":
            raise NotImplementedError("transform not implemented for 'lsqr' solver (use 'svd' or "
                                      "'eigen').")
        X = self._validate(X)
        n_components = self.n_components or self._max_components
        if self.solver == "svd":
            return ((X - self.xbar_) @ self.scalings_)[:, :n_components]
        return (X @ self.scalings_)[:, :n_components]
