"""t-SNE: t-distributed stochastic neighbour embedding (van der Maaten & Hinton, 2008).

High-dimensional similarities p_ij come from Gaussians whose widths are tuned per point
so that each conditional distribution has the requested perplexity; low-dimensional
similarities q_ij ∝ (1 + ||y_i - y_j||²)⁻¹ come from a Student t with one degree of
freedom. The embedding Y minimises KL(P || Q) by gradient descent with momentum and
per-coordinate gains, exaggerating P early on so that clusters form (the schedule of
the paper, with scikit-learn's defaults).

The gradient here is exact, O(n²) per iteration and fully vectorized: fine for a few
thousand points.
"""
import numpy as np

from .base import BaseEstimator, TransformerMixin, check_array, check_n_features, check_random_state
from .decomposition import PCA
from .neighbors import squared_distances

MACHINE_EPSILON = np.finfo(np.double).eps
EXPLORATION_ITERATIONS = 250  # iterations with early exaggeration and momentum 0.5
CHECK_EVERY = 50  # iterations between checks of progress and gradient norm


def conditional_probabilities(D, perplexity, tol=1e-5, max_steps=100):
    """p_{j|i} (n, n) from squared distances D, with each row's perplexity set by bisection.

    For each row a precision β_i = 1 / (2σ_i²) is searched so that the entropy
    H_i = log sum_j exp(-β_i D_ij) + β_i E[D_ij] equals log(perplexity); all rows are
    bisected together, each step one vectorized pass over the rows still searching.
    """
    n = len(D)
    target = np.log(perplexity)
    beta = np.ones(n)
    beta_low, beta_high = np.full(n, -np.inf), np.full(n, np.inf)
    active = np.arange(n)
    for _ in range(max_steps):
        P, entropy = _row_entropy(D[active], active, beta[active])
        gap = entropy - target
        searching = np.abs(gap) > tol
        active, gap = active[searching], gap[searching]
        if len(active) == 0:
            break
        b = beta[active]
        too_flat = gap > 0  # entropy too high: narrow the Gaussian (raise β)
        beta_low[active[too_flat]] = b[too_flat]
        beta_high[active[~too_flat]] = b[~too_flat]
        low, high = beta_low[active], beta_high[active]
        b = np.where(too_flat, np.where(np.isinf(high), b * 2, (b + high) / 2),
                     np.where(np.isinf(low), b / 2, (b + low) / 2))
        beta[active] = b
    P, _ = _row_entropy(D, np.arange(n), beta)
    return P


def _row_entropy(D_rows, row_ids, beta):
    """Row-normalised Gaussian affinities of some rows and their entropies (nats)."""
    P = np.exp(-D_rows * beta[:, None])
    P[np.arange(len(row_ids)), row_ids] = 0.0
    total = np.maximum(P.sum(axis=1), 1e-8)
    entropy = np.log(total) + beta * np.einsum("ij,ij->i", D_rows, P) / total
    return P / total[:, None], entropy


def joint_probabilities(X, perplexity):
    """Symmetric p_ij = (p_{j|i} + p_{i|j}) / 2n, floored at machine epsilon, shape (n, n)."""
    D = squared_distances(X, X)
    P = conditional_probabilities(D, perplexity)
    P = P + P.T
    P /= P.sum()
    return np.maximum(P, MACHINE_EPSILON)


def kl_divergence_and_gradient(Y, P, dof=1.0, compute_error=True):
    """KL(P || Q) and its gradient with respect to the embedding Y (n, c).

    With w_ij = (1 + ||y_i - y_j||² / dof)^(-(dof+1)/2) and q_ij = w_ij / sum w,
    dKL/dy_i = (2 (dof+1) / dof) sum_j (p_ij - q_ij) w_ij^(2/(dof+1)) (y_i - y_j).
    The (n, n) temporaries are updated in place; the KL itself (a log over n² entries)
    is skipped when `compute_error` is False, and NaN is returned in its place.
    """
    kernel = squared_distances(Y, Y)
    kernel /= dof
    kernel += 1.0
    np.power(kernel, -(dof + 1.0) / 2.0, out=kernel)
    np.fill_diagonal(kernel, 0.0)
    Q = kernel / kernel.sum()
    np.maximum(Q, MACHINE_EPSILON, out=Q)
    kl = float(np.sum(P * np.log(np.maximum(P, MACHINE_EPSILON) / Q))) if compute_error else np.nan
    W = np.subtract(P, Q, out=Q)
    W *= kernel if dof == 1.0 else kernel ** (2.0 / (dof + 1.0))
    grad = W.sum(axis=1)[:, None] * Y - W @ Y
    grad *= 2.0 * (dof + 1.0) / dof
    return kl, grad


class TSNE(TransformerMixin, BaseEstimator):
    """t-SNE embedding with an exact, vectorized gradient.

    Parameters
    ----------
    n_components : int, default=2
    perplexity : float, default=30.0
        Effective number of neighbours; must be below n_samples.
    early_exaggeration : float, default=12.0
        Factor on P during the first 250 iterations.
    learning_rate : float or 'auto', default='auto'
        'auto' is max(n_samples / early_exaggeration / 4, 50) (Belkina et al., 2019).
    max_iter : int or None, default=None
        Total iterations (None means 1000); at least 250.
    n_iter_without_progress : int, default=300
        Stop when the KL divergence has not improved for this many iterations.
    min_grad_norm : float, default=1e-7
        Stop when the gradient norm falls below this.
    metric : {'euclidean', 'precomputed'}, default='euclidean'
        'precomputed' takes a matrix of (unsquared) distances.
    init : {'pca', 'random'} or array (n_samples, n_components), default='pca'
    random_state : None, int or Generator
    method : str, default='barnes_hut'
        Accepted for scikit-learn compatibility; the gradient is always exact.
    verbose, metric_params, angle, n_jobs
        Unused; kept for scikit-learn compatibility.

    Attributes
    ----------
    embedding_ : ndarray (n_samples, n_components)
    kl_divergence_ : float
    n_iter_ : int
    learning_rate_ : float
    """

    def __init__(self, n_components=2, *, perplexity=30.0, early_exaggeration=12.0,
                 learning_rate="auto", max_iter=None, n_iter_without_progress=300,
                 min_grad_norm=1e-7, metric="euclidean", metric_params=None, init="pca", verbose=0,
                 random_state=None, method="barnes_hut", angle=0.5, n_jobs=None):
        self.n_components = n_components
        self.perplexity = perplexity
        self.early_exaggeration = early_exaggeration
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.n_iter_without_progress = n_iter_without_progress
        self.min_grad_norm = min_grad_norm
        self.metric = metric
        self.metric_params = metric_params
        self.init = init
        self.verbose = verbose
        self.random_state = random_state
        self.method = method
        self.angle = angle
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Embed X (n_samples, n_features); returns embedding_ (n_samples, n_components)."""
        X = check_array(X, estimator=self, ensure_min_samples=2)
        check_n_features(self, X, reset=True)
        n = X.shape[0]
        max_iter = 1000 if self.max_iter is None else self.max_iter
        self._check_parameters(n, max_iter)
        if self.metric == "precomputed":
            if X.shape[0] != X.shape[1] or np.any(X < 0):
                raise ValueError(f"TSNE: a precomputed distance matrix must be square and "
                                 f"non-negative, got shape {X.shape}.")
            P = np.maximum(_symmetrise(conditional_probabilities(X ** 2, self.perplexity)),
                           MACHINE_EPSILON)
        else:
            P = joint_probabilities(X, self.perplexity)
        self.learning_rate_ = (max(n / self.early_exaggeration / 4.0, 50.0)
                               if self.learning_rate == "auto" else float(self.learning_rate))
        Y = self._initial_embedding(X, n)
        dof = max(self.n_components - 1, 1)
        Y, kl, n_iter = self._optimise(Y, P, dof, max_iter)
        self.embedding_, self.kl_divergence_, self.n_iter_ = Y, kl, n_iter
        return Y

    def _check_parameters(self, n, max_iter):
        if not self.perplexity < n:
            raise ValueError(f"TSNE: perplexity ({self.perplexity}) must be less than n_samples ({n}).")
        if max_iter < EXPLORATION_ITERATIONS:
            raise ValueError(f"TSNE: max_iter should be at least {EXPLORATION_ITERATIONS}, got {max_iter}.")
        if self.metric not in ("euclidean", "precomputed"):
            raise ValueError(f"TSNE: metric must be 'euclidean' or 'precomputed', got {self.metric!r}.")
        if not (self.learning_rate == "auto" or float(self.learning_rate) > 0):
            raise ValueError(f"TSNE: learning_rate must be 'auto' or positive, got {self.learning_rate!r}.")

    def _initial_embedding(self, X, n):
        rng = check_random_state(self.random_state)
        if isinstance(self.init, str) and self.init == "pca":
            if self.metric == "precomputed":
                raise ValueError("TSNE: init='pca' cannot be used with metric='precomputed'.")
            Y = PCA(self.n_components, svd_solver="full").fit_transform(X)
            # Small, with the first axis at standard deviation 1e-4, as scikit-learn.
            return Y / np.std(Y[:, 0]) * 1e-4
        if isinstance(self.init, str) and self.init == "random":
            return 1e-4 * rng.standard_normal((n, self.n_components))
        if isinstance(self.init, str):
            raise ValueError(f"TSNE: init must be 'pca', 'random' or an array, got {self.init!r}.")
        Y = check_array(self.init, name="init")
        if Y.shape != (n, self.n_components):
            raise ValueError(f"TSNE: init has shape {Y.shape}, expected {(n, self.n_components)}.")
        return Y.copy()

    def _optimise(self, Y, P, dof, max_iter):
        """Two phases of momentum gradient descent with gains: exaggerated, then plain."""
        update, gains = np.zeros_like(Y), np.ones_like(Y)
        state = dict(Y=Y, update=update, gains=gains)
        exploration = min(EXPLORATION_ITERATIONS, max_iter)
        kl, it = self._descend(state, P * self.early_exaggeration, dof, 0, exploration, momentum=0.5)
        if it + 1 < max_iter:
            # The second phase starts afresh (no momentum or gains carried over), as scikit-learn.
            state.update(update=np.zeros_like(Y), gains=np.ones_like(Y))
            kl, it = self._descend(state, P, dof, it + 1, max_iter, momentum=0.8)
        else:
            kl = kl_divergence_and_gradient(state["Y"], P, dof)[0]
        return state["Y"], kl, it + 1

    def _descend(self, state, P, dof, start, stop, momentum):
        """Iterations start..stop-1; returns (last KL, last iteration index).

        As in scikit-learn, progress (the KL) and the gradient norm are checked every
        CHECK_EVERY iterations and at the last one.
        """
        Y, update, gains = state["Y"], state["update"], state["gains"]
        best_kl, best_iter = np.inf, start
        kl, it = np.inf, start
        for it in range(start, stop):
            check = (it + 1) % CHECK_EVERY == 0
            kl, grad = kl_divergence_and_gradient(Y, P, dof, compute_error=check or it == stop - 1)
            # Delta-bar-delta gains (Jacobs, 1988): grow where the step keeps its sign.
            same_sign = update * grad < 0.0
            gains[same_sign] += 0.2
            gains[~same_sign] *= 0.8
            np.clip(gains, 0.01, None, out=gains)
            grad *= gains
            update *= momentum
            update -= self.learning_rate_ * grad
            Y += update
            if not check:
                continue
            if kl < best_kl:
                best_kl, best_iter = kl, it
            elif it - best_iter > self.n_iter_without_progress:
                break
            if np.linalg.norm(grad) <= self.min_grad_norm:
                break
        return kl, it


def _symmetrise(P):
    P = P + P.T
    return P / P.sum()
