"""Matrix decompositions: PCA, TruncatedSVD (randomized SVD) and KernelPCA.

All three find orthogonal directions of largest variance. PCA centers the data and
takes its singular value decomposition X - mean = U S Vᵀ; the rows of Vᵀ are the
principal axes and S² / (n - 1) the variances along them. TruncatedSVD skips the
centering (so it works on counts and tf-idf) and uses the randomized range finder of
Halko, Martinsson & Tropp (2011). KernelPCA does PCA in the feature space of a kernel
through the eigendecomposition of the centered kernel matrix (Schölkopf et al., 1998).
"""
import numpy as np

from .base import (BaseEstimator, TransformerMixin, check_array, check_is_fitted, check_n_features,
                   check_random_state)
from .neighbors import squared_distances


def svd_flip(U, Vt, u_based_decision=False):
    """Fix the signs of singular vectors, as scikit-learn does, so results are deterministic.

    Each pair (u_j, v_j) may be negated together. With `u_based_decision=False` the
    entry of largest magnitude in each row v_j of Vt is made positive; otherwise the
    same is done for each column u_j of U. Returns the flipped (U, Vt).
    """
    if u_based_decision:
        biggest = np.argmax(np.abs(U), axis=0)
        signs = np.sign(U[biggest, np.arange(U.shape[1])])
    else:
        biggest = np.argmax(np.abs(Vt), axis=1)
        signs = np.sign(Vt[np.arange(Vt.shape[0]), biggest])
    signs[signs == 0] = 1.0
    return U * signs, Vt * signs[:, None]


def randomized_svd(M, n_components, *, n_oversamples=10, n_iter=4, random_state=None):
    """Approximate top singular triplets of M (m, n) by a randomized range finder.

    Halko, Martinsson & Tropp (2011), Algorithms 4.4 and 5.1: sample the range of M with
    a Gaussian test matrix of n_components + n_oversamples columns, sharpen it with
    `n_iter` power iterations (re-orthonormalised by QR each time so small singular
    directions are not lost to rounding), then take the exact SVD of the small
    projection Qᵀ M. Returns U (m, k), S (k,), Vt (k, n), signs fixed by `svd_flip`.
    """
    rng = check_random_state(random_state)
    n_random = min(n_components + n_oversamples, min(M.shape))
    Q = M @ rng.standard_normal((M.shape[1], n_random))
    Q = np.linalg.qr(Q)[0]
    for _ in range(n_iter):
        Q = np.linalg.qr(M.T @ Q)[0]
        Q = np.linalg.qr(M @ Q)[0]
    B = Q.T @ M  # (n_random, n): M restricted to the found range
    Ub, S, Vt = np.linalg.svd(B, full_matrices=False)
    U = Q @ Ub
    U, Vt = svd_flip(U, Vt, u_based_decision=False)
    return U[:, :n_components], S[:n_components], Vt[:n_components]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class PCA(TransformerMixin, BaseEstimator):
    """Principal component analysis by singular value decomposition of the centered data.

    Parameters
    ----------
    n_components : int, float in (0, 1), or None, default=None
        Components kept: an int; a float keeps the fewest components whose explained
        variance ratios sum past it; None keeps min(n_samples, n_features).
    copy : bool, default=True
        Unused (X is never modified); kept for scikit-learn compatibility.
    whiten : bool, default=False
        Scale the projections to unit variance.
    svd_solver : {'auto', 'full', 'covariance_eigh', 'randomized'}, default='auto'
        'full' is LAPACK's SVD of X - mean; 'covariance_eigh' the eigendecomposition of the
        (d, d) covariance, cheapest when n_samples >> n_features; 'randomized' Halko et
        al.'s randomized SVD. 'auto' picks as scikit-learn does.
    tol, iterated_power, n_oversamples, power_iteration_normalizer, random_state
        Options of the randomized solver ('auto' power iterations: 7 when n_components is
        under a tenth of min(n_samples, n_features), else 4).

    Attributes
    ----------
    components_ : ndarray (n_components, n_features)
        Principal axes, sign-fixed as scikit-learn (largest entry of each row positive).
    explained_variance_ : ndarray (n_components,)
        Variance along each axis, S² / (n_samples - 1).
    explained_variance_ratio_ : ndarray (n_components,)
    singular_values_ : ndarray (n_components,)
    mean_ : ndarray (n_features,)
    n_components_ : int
    n_samples_ : int
    noise_variance_ : float
        Mean of the discarded variances (probabilistic PCA, Tipping & Bishop, 1999).
    """

    def __init__(self, n_components=None, *, copy=True, whiten=False, svd_solver="auto", tol=0.0,
                 iterated_power="auto", n_oversamples=10, power_iteration_normalizer="auto",
                 random_state=None):
        self.n_components = n_components
        self.copy = copy
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.tol = tol
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn the principal axes of X (n_samples, n_features)."""
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        U = self._fit(X)
        k = self.n_components_
        if U is None:
            return self.transform(X)
        # X - mean = U S Vᵀ, so the projection is U S (or √(n-1) U when whitened).
        projected = U[:, :k] * (np.sqrt(self.n_samples_ - 1) if self.whiten else self.singular_values_)
        return projected

    def _fit(self, X):
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        n, d = X.shape
        if n < 2:
            raise ValueError(f"PCA: n_samples=1 is too few; at least 2 samples are needed to "
                             f"estimate variance (got X of shape {X.shape}).")
        solver = self._choose_solver(n, d)
        self.mean_ = X.mean(axis=0)
        U = None
        if solver == "covariance_eigh":
            S, Vt = self._covariance_eigh(X)
            variance = S ** 2 / (n - 1)
            total = variance.sum()
        elif solver == "randomized":
            Xc = X - self.mean_
            k = self._n_components_int(min(n, d))
            n_iter = (7 if k < 0.1 * min(n, d) else 4) if self.iterated_power == "auto" \
                else self.iterated_power
            U, S, Vt = randomized_svd(Xc, k, n_oversamples=self.n_oversamples, n_iter=n_iter,
                                      random_state=self.random_state)
            variance = S ** 2 / (n - 1)
            total = np.sum(Xc ** 2) / (n - 1)
        else:
            U, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
            U, Vt = svd_flip(U, Vt, u_based_decision=False)
            variance = S ** 2 / (n - 1)
            total = variance.sum()
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        k = self._n_components_from_ratio(ratio, min(n, d))
        self.components_ = Vt[:k]
        self.n_components_ = k
        self.n_samples_ = n
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = ratio[:k]
        self.singular_values_ = S[:k]
        # Noise variance: the mean of the discarded variances (over d of them for the
        # covariance solver, min(n, d) otherwise, as scikit-learn).
        if solver == "randomized":
            self.noise_variance_ = float((total - variance.sum()) / (min(n, d) - k)) \
                if k < min(n, d) else 0.0
        else:
            self.noise_variance_ = float(variance[k:].mean()) if k < len(variance) else 0.0
        return U

    def _covariance_eigh(self, X):
        """Singular values and right vectors of X - mean from the eigenvectors of its scatter.

        The scatter (X - m)ᵀ(X - m) = XᵀX - n m mᵀ is formed without a centered copy of X,
        as scikit-learn does: one (d, d) product, cheap when n_samples >> n_features.
        """
        scatter = X.T @ X - len(X) * np.outer(self.mean_, self.mean_)
        eigenvalues, eigenvectors = np.linalg.eigh(scatter)
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues = np.clip(eigenvalues[order], 0.0, None)
        Vt = eigenvectors[:, order].T
        Vt = svd_flip(np.zeros((1, len(Vt))), Vt, u_based_decision=False)[1]
        return np.sqrt(eigenvalues), Vt

    def _choose_solver(self, n, d):
        solver = self.svd_solver
        if solver not in ("auto", "full", "covariance_eigh", "randomized"):
            raise ValueError(f"PCA: svd_solver must be 'auto', 'full', 'covariance_eigh' or "
                             f"'randomized', got {solver!r}.")
        if solver != "auto":
            return solver
        if d <= 1000 and n >= 10 * d:
            return "covariance_eigh"
        if max(n, d) <= 500 or not _is_int(self.n_components):
            return "full"
        return "randomized" if 1 <= self.n_components < 0.8 * min(n, d) else "full"

    def _n_components_int(self, limit):
        if self.n_components is None:
            return limit
        if not _is_int(self.n_components) or not 1 <= self.n_components <= limit:
            raise ValueError(f"PCA: n_components={self.n_components!r} must be an int between 1 and "
                             f"min(n_samples, n_features)={limit} for the randomized solver.")
        return int(self.n_components)

    def _n_components_from_ratio(self, ratio, limit):
        k = self.n_components
        if k is None:
            return limit
        if _is_int(k):
            if not 0 <= k <= limit:
                raise ValueError(f"PCA: n_components={k} must be between 0 and "
                                 f"min(n_samples, n_features)={limit}.")
            return int(k)
        if isinstance(k, float) and 0 < k < 1:
            # The fewest components whose cumulative ratio exceeds k.
            return int(min(np.searchsorted(np.cumsum(ratio), k, side="right") + 1, limit))
        raise ValueError(f"PCA: n_components must be None, an int or a float in (0, 1), got {k!r}.")

    def transform(self, X):
        """Coordinates along the principal axes, shape (n_samples, n_components)."""
        check_is_fitted(self, "components_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        projected = (X - self.mean_) @ self.components_.T
        if self.whiten:
            projected /= np.sqrt(np.maximum(self.explained_variance_, np.finfo(float).eps))
        return projected

    def inverse_transform(self, X):
        """Back to feature space: X (n_samples, n_components) -> (n_samples, n_features)."""
        check_is_fitted(self, "components_")
        X = check_array(X, estimator=self)
        if X.shape[1] != self.n_components_:
            raise ValueError(f"PCA.inverse_transform: X has {X.shape[1]} columns, expected "
                             f"n_components={self.n_components_}.")
        axes = self.components_
        if self.whiten:
            axes = np.sqrt(self.explained_variance_)[:, None] * axes
        return X @ axes + self.mean_

    def get_covariance(self):
        """Model covariance (d, d) of probabilistic PCA: Wᵀ (Λ - σ²) W + σ² I."""
        check_is_fitted(self, "components_")
        spread = np.maximum(self.explained_variance_ - self.noise_variance_, 0.0)
        covariance = (self.components_.T * spread) @ self.components_
        covariance.flat[::len(covariance) + 1] += self.noise_variance_
        return covariance

    def get_precision(self):
        """Inverse of `get_covariance()`, shape (d, d)."""
        return np.linalg.pinv(self.get_covariance(), hermitian=True)

    def score_samples(self, X):
        """Log-likelihood of each sample under the probabilistic PCA model, shape (n,)."""
        check_is_fitted(self, "components_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        residual = X - self.mean_
        precision = self.get_precision()
        log_det = np.linalg.slogdet(precision)[1]
        mahalanobis = np.einsum("ij,jk,ik->i", residual, precision, residual)
        return -0.5 * (mahalanobis + X.shape[1] * np.log(2 * np.pi) - log_det)

    def score(self, X, y=None):
        """Mean log-likelihood of the samples (see `score_samples`)."""
        return float(np.mean(self.score_samples(X)))


class TruncatedSVD(TransformerMixin, BaseEstimator):
    """Truncated SVD of the uncentered data (latent semantic analysis).

    Parameters
    ----------
    n_components : int, default=2
    algorithm : {'randomized', 'arpack'}, default='randomized'
        'randomized' is Halko et al.'s randomized SVD; 'arpack' (no ARPACK here) computes
        the exact truncated SVD with LAPACK.
    n_iter : int, default=5
        Power iterations of the randomized solver.
    n_oversamples, power_iteration_normalizer, random_state, tol
        Options of the randomized solver (`tol` is unused).

    Attributes
    ----------
    components_ : ndarray (n_components, n_features)
    explained_variance_ : ndarray (n_components,)
        Variance of each column of the transformed training data.
    explained_variance_ratio_ : ndarray (n_components,)
    singular_values_ : ndarray (n_components,)
    """

    def __init__(self, n_components=2, *, algorithm="randomized", n_iter=5, n_oversamples=10,
                 power_iteration_normalizer="auto", random_state=None, tol=0.0):
        self.n_components = n_components
        self.algorithm = algorithm
        self.n_iter = n_iter
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state
        self.tol = tol

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return U S, shape (n_samples, n_components)."""
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        k = self.n_components
        if not _is_int(k) or not 1 <= k <= X.shape[1]:
            raise ValueError(f"TruncatedSVD: n_components={k!r} must be an int between 1 and "
                             f"n_features={X.shape[1]}.")
        if self.algorithm == "randomized":
            U, S, Vt = randomized_svd(X, k, n_oversamples=self.n_oversamples, n_iter=self.n_iter,
                                      random_state=self.random_state)
        elif self.algorithm == "arpack":
            U, S, Vt = np.linalg.svd(X, full_matrices=False)
            U, Vt = svd_flip(U[:, :k], Vt[:k], u_based_decision=False)
            S = S[:k]
        else:
            raise ValueError(f"TruncatedSVD: algorithm must be 'randomized' or 'arpack', got "
                             f"{self.algorithm!r}.")
        self.components_ = Vt
        projected = U * S
        self.explained_variance_ = np.var(projected, axis=0)
        total = np.var(X, axis=0).sum()
        self.explained_variance_ratio_ = self.explained_variance_ / total if total > 0 else \
            np.zeros(k)
        self.singular_values_ = S
        return projected

    def transform(self, X):
        """X @ components_.T, shape (n_samples, n_components)."""
        check_is_fitted(self, "components_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X @ self.components_.T

    def inverse_transform(self, X):
        """X (n_samples, n_components) @ components_, back to (n_samples, n_features)."""
        check_is_fitted(self, "components_")
        X = check_array(X, estimator=self)
        return X @ self.components_


def pairwise_kernel(X, Y, kernel, gamma, degree, coef0, Y_sq=None):
    """Kernel matrix (n_x, n_y) for 'linear', 'poly', 'rbf', 'sigmoid' or 'cosine'.

    Y_sq : (n_y,) optional ||y||² of Y's rows, which 'rbf' needs, for callers that keep them.
    """
    if kernel == "linear":
        return X @ Y.T
    if kernel == "poly":
        return (gamma * (X @ Y.T) + coef0) ** degree
    if kernel == "rbf":
        return np.exp(-gamma * squared_distances(X, Y, Y_sq=Y_sq))
    if kernel == "sigmoid":
        return np.tanh(gamma * (X @ Y.T) + coef0)
    if kernel == "cosine":
        def unit(A):
            norms = np.linalg.norm(A, axis=1, keepdims=True)
            return A / np.where(norms == 0, 1.0, norms)
        return unit(X) @ unit(Y).T
    raise ValueError(f"KernelPCA: kernel must be 'linear', 'poly', 'rbf', 'sigmoid', 'cosine' or "
                     f"'precomputed', got {kernel!r}.")


class KernelPCA(TransformerMixin, BaseEstimator):
    """Kernel principal component analysis (Schölkopf, Smola & Müller, 1998).

    With K the (n, n) kernel matrix of the training data and 1 the matrix of 1/n,
    the centered kernel K̃ = K - 1K - K1 + 1K1 is the Gram matrix of the feature vectors
    minus their mean. Its top eigenpairs (λ_j, α_j) give the projections of the training
    data, α_j √λ_j, and of new data, K̃(X, X_fit) α_j / √λ_j.

    Parameters
    ----------
    n_components : int or None, default=None
        None keeps every component with a positive eigenvalue.
    kernel : {'linear', 'poly', 'rbf', 'sigmoid', 'cosine', 'precomputed'}, default='linear'
    gamma : float or None, default=None
        Kernel coefficient of 'rbf', 'poly' and 'sigmoid'; None means 1 / n_features.
    degree : int, default=3
    coef0 : float, default=1
    alpha : float, default=1.0
        Ridge penalty of the learned pre-image map (`fit_inverse_transform`).
    fit_inverse_transform : bool, default=False
        Learn a kernel ridge regression from projections back to X (Bakir et al., 2004).
    remove_zero_eig : bool, default=False
        Drop components with zero eigenvalue (always done when n_components is None).
    kernel_params, eigen_solver, tol, max_iter, iterated_power, random_state, copy_X, n_jobs
        Accepted for scikit-learn compatibility; the dense eigensolver is always used.

    Attributes
    ----------
    eigenvalues_ : ndarray (n_components,)
    eigenvectors_ : ndarray (n_samples, n_components)
    X_fit_ : ndarray (n_samples, n_features)
    gamma_ : float
    """

    def __init__(self, n_components=None, *, kernel="linear", gamma=None, degree=3, coef0=1,
                 kernel_params=None, alpha=1.0, fit_inverse_transform=False, eigen_solver="auto",
                 tol=0, max_iter=None, iterated_power="auto", remove_zero_eig=False,
                 random_state=None, copy_X=True, n_jobs=None):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.alpha = alpha
        self.fit_inverse_transform = fit_inverse_transform
        self.eigen_solver = eigen_solver
        self.tol = tol
        self.max_iter = max_iter
        self.iterated_power = iterated_power
        self.remove_zero_eig = remove_zero_eig
        self.random_state = random_state
        self.copy_X = copy_X
        self.n_jobs = n_jobs

    def _kernel(self, X, Y):
        if self.kernel == "precomputed":
            return X
        return pairwise_kernel(X, Y, self.kernel, self.gamma_, self.degree, self.coef0)

    def fit(self, X, y=None):
        """Eigendecomposition of the centered kernel of X (n_samples, n_features)."""
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        if self.fit_inverse_transform and self.kernel == "precomputed":
            raise ValueError("KernelPCA: cannot fit_inverse_transform with a precomputed kernel.")
        self.gamma_ = 1.0 / X.shape[1] if self.gamma is None else self.gamma
        self.X_fit_ = X
        K = self._kernel(X, X)
        if K.shape[0] != K.shape[1]:
            raise ValueError(f"KernelPCA: a precomputed kernel must be square, got {K.shape}.")
        self._row_means = K.mean(axis=0)
        self._all_mean = self._row_means.mean()
        K = K - self._row_means[None, :] - self._row_means[:, None] + self._all_mean
        eigenvalues, eigenvectors = np.linalg.eigh(K)
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
        # Rounding leaves tiny eigenvalues of either sign where a PSD kernel has zeros:
        # like scikit-learn, treat anything under 1e-12 of the largest as 0.
        eigenvalues[eigenvalues < 1e-12 * max(eigenvalues[0], 0.0)] = 0.0
        k = len(K) if self.n_components is None else min(self.n_components, len(K))
        eigenvalues, eigenvectors = eigenvalues[:k], eigenvectors[:, :k]
        eigenvectors = svd_flip(eigenvectors, np.zeros((k, 1)), u_based_decision=True)[0]
        if self.remove_zero_eig or self.n_components is None:
            keep = eigenvalues > 0
            eigenvalues, eigenvectors = eigenvalues[keep], eigenvectors[:, keep]
        self.eigenvalues_ = eigenvalues
        self.eigenvectors_ = eigenvectors
        if self.fit_inverse_transform:
            self._fit_inverse(X)
        return self

    def _fit_inverse(self, X):
        """Kernel ridge regression from the training projections back to X."""
        projected = self.eigenvectors_ * np.sqrt(self.eigenvalues_)
        K = self._kernel(projected, projected)
        K.flat[::len(K) + 1] += self.alpha
        self.dual_coef_ = np.linalg.solve(K, X)
        self.X_transformed_fit_ = projected

    def fit_transform(self, X, y=None, **params):
        self.fit(X)
        return self.eigenvectors_ * np.sqrt(self.eigenvalues_)

    def transform(self, X):
        """Projections of X (n_samples, n_features) on the components, (n_samples, n_components)."""
        check_is_fitted(self, "eigenvectors_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        K = self._kernel(X, self.X_fit_)
        K = K - K.mean(axis=1, keepdims=True) - self._row_means[None, :] + self._all_mean
        nonzero = self.eigenvalues_ > 0
        scaled = np.zeros_like(self.eigenvectors_)
        scaled[:, nonzero] = self.eigenvectors_[:, nonzero] / np.sqrt(self.eigenvalues_[nonzero])
        return K @ scaled

    def inverse_transform(self, X):
        """Approximate pre-images in feature space (needs fit_inverse_transform=True)."""
        check_is_fitted(self, "eigenvectors_")
        if not self.fit_inverse_transform:
            raise ValueError("KernelPCA.inverse_transform needs fit_inverse_transform=True at fit time.")
        X = check_array(X, estimator=self)
        return self._kernel(X, self.X_transformed_fit_) @ self.dual_coef_
