"""Linear models y ≈ X·w + b fitted in closed form or by coordinate descent.

    LinearRegression   least squares, min ‖y − Xw − b‖², by an SVD-based lstsq
    Ridge              min ‖y − Xw − b‖² + α‖w‖², by a linear solve or an SVD
    Lasso, ElasticNet  min (1/2n)‖y − Xw − b‖² + α·ρ‖w‖₁ + α(1 − ρ)/2 ‖w‖²,
                       by cyclic coordinate descent with a duality-gap stopping test

(Gradient-based models such as LogisticRegression belong here too and are added
separately.)

All of them center X and y (weighted by `sample_weight`) when `fit_intercept`, fit
w on the centered data and recover the intercept as b = ȳ − x̄·w, and handle
sample weights by scaling each centered row by √wᵢ, which turns the weighted
squared error into an ordinary one.
"""
import warnings

import numpy as np

from .base import (BaseEstimator, ConvergenceWarning, RegressorMixin, check_array, check_is_fitted,
                   check_n_features, check_sample_weight, check_X_y)


# --------------------------------------------------------------------------- shared pieces

def _center_and_weight(X, y, fit_intercept, sample_weight, order="C"):
    """Center X (n, d) and y (n, k) by their weighted means and scale rows by √w.

    Returns (X_c, y_c, x_offset (d,), y_offset (k,)). X_c is a new array in memory
    `order`, written in one pass, so callers may modify it.
    """
    if fit_intercept:
        x_offset = np.average(X, axis=0, weights=sample_weight)
        y_offset = np.average(y, axis=0, weights=sample_weight)
    else:
        x_offset, y_offset = np.zeros(X.shape[1]), np.zeros(y.shape[1])
    X_c = np.subtract(X, x_offset, out=np.empty(X.shape, order=order))
    y_c = y - y_offset
    if sample_weight is not None:
        root = np.sqrt(sample_weight)[:, None]
        X_c *= root
        y_c *= root
    return X_c, y_c, x_offset, y_offset


class _LinearModel(RegressorMixin, BaseEstimator):
    """predict = X·coef_ᵀ + intercept_, shared by every model in this module."""

    def _validate_fit(self, X, y, sample_weight):
        X, y = check_X_y(X, y, y_numeric=True, multi_output=True, estimator=self)
        check_n_features(self, X, reset=True)
        single_target = y.ndim == 1
        y = y.reshape(len(y), -1)
        w = None if sample_weight is None else check_sample_weight(sample_weight, len(X), self)
        return X, y, w, single_target

    def _set_coef(self, W, x_offset, y_offset, single_target):
        """Store W (k, d) as coef_ and intercept_ = ȳ − W·x̄, in scikit-learn's shapes.

        Without an intercept, intercept_ is the float 0.0 even for several targets.
        """
        self.coef_ = W[0] if single_target else W
        if not self.fit_intercept:
            self.intercept_ = 0.0
        else:
            intercept = y_offset - W @ x_offset
            self.intercept_ = float(intercept[0]) if single_target else intercept

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """X (n_samples, n_features) -> (n_samples,) or (n_samples, n_targets)."""
        check_is_fitted(self, "coef_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X @ self.coef_.T + self.intercept_


# --------------------------------------------------------------------------- least squares

class LinearRegression(_LinearModel):
    """Ordinary least squares: w minimizing Σᵢ sᵢ (yᵢ − xᵢ·w − b)².

    Parameters
    ----------
    fit_intercept : bool, learn b (else b = 0).
    copy_X : bool, ignored (X is never modified).

    Attributes
    ----------
    coef_ : (n_features,) or (n_targets, n_features)
    intercept_ : float or (n_targets,)
    rank_ : int, rank of the centered (weighted) X.
    singular_ : (min(n_samples, n_features),) its singular values.

    The minimum-norm solution comes from NumPy's lstsq (LAPACK gelsd, an SVD),
    so rank-deficient X is handled.
    """

    def __init__(self, *, fit_intercept=True, copy_X=True):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X

    def fit(self, X, y, sample_weight=None):
        X, y, w, single = self._validate_fit(X, y, sample_weight)
        X_c, y_c, x_offset, y_offset = _center_and_weight(X, y, self.fit_intercept, w)
        W, _, self.rank_, self.singular_ = np.linalg.lstsq(X_c, y_c, rcond=None)
        self._set_coef(W.T, x_offset, y_offset, single)
        return self


class Ridge(_LinearModel):
    """Least squares with an L2 penalty: min ‖y − Xw − b‖² + α‖w‖² (Hoerl & Kennard 1970).

    Parameters
    ----------
    alpha : float or (n_targets,) array, the penalty strength α ≥ 0 (one per target).
    fit_intercept : bool, learn b (not penalized).
    copy_X : bool, ignored.
    solver : 'auto' (= 'cholesky'), 'cholesky' or 'svd'.
        'cholesky' solves the normal equations (XᵀX + αI)w = Xᵀy, or when there are
        more features than samples the dual form w = Xᵀ(XXᵀ + αI)⁻¹y, by a linear
        solve; 'svd' uses X = U S Vᵀ and w = V diag(s / (s² + α)) Uᵀy, which is slower
        but the most stable, and copes with α = 0 on singular data.

    Attributes
    ----------
    coef_ : (n_features,) or (n_targets, n_features)
    intercept_ : float or (n_targets,)
    n_iter_ : None (the solvers are direct).
    solver_ : the solver used.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, solver="auto"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.solver = solver

    def fit(self, X, y, sample_weight=None):
        if self.solver not in ("auto", "cholesky", "svd"):
            raise ValueError(f"Ridge: solver must be 'auto', 'cholesky' or 'svd' (descent has no "
                             f"iterative Ridge solvers); got {self.solver!r}")
        X, y, w, single = self._validate_fit(X, y, sample_weight)
        alpha = self._alphas(y.shape[1])
        X_c, y_c, x_offset, y_offset = _center_and_weight(X, y, self.fit_intercept, w)
        self.solver_ = "cholesky" if self.solver == "auto" else self.solver
        if self.solver_ == "cholesky":
            try:
                W = _ridge_normal_equations(X_c, y_c, alpha)
            except np.linalg.LinAlgError:
                warnings.warn("Ridge: singular matrix in the normal equations; falling back to "
                              "the 'svd' solver.", UserWarning, stacklevel=2)
                self.solver_ = "svd"
        if self.solver_ == "svd":
            W = _ridge_svd(X_c, y_c, alpha)
        self.n_iter_ = None
        self._set_coef(W, x_offset, y_offset, single)
        return self

    def _alphas(self, n_targets):
        alpha = np.asarray(self.alpha, dtype=float).reshape(-1)
        if alpha.size == 1:
            alpha = np.full(n_targets, alpha[0])
        if alpha.size != n_targets:
            raise ValueError(f"Ridge: number of targets and number of penalties do not "
                             f"correspond: {n_targets} != {alpha.size}")
        if np.any(alpha < 0) or not np.isfinite(alpha).all():
            raise ValueError(f"Ridge: alpha must be finite and >= 0; got {self.alpha!r}")
        return alpha


def _ridge_normal_equations(X, y, alpha):
    """W (k, d) solving (XᵀX + αI)W = Xᵀy, or the dual form when d > n."""
    n, d = X.shape
    same_alpha = np.all(alpha == alpha[0])
    if d <= n:
        A, B = X.T @ X, X.T @ y                        # (d, d), (d, k)
    else:
        A, B = X @ X.T, y                              # (n, n), (n, k)
    diagonal = np.arange(len(A))
    if same_alpha:
        A[diagonal, diagonal] += alpha[0]
        C = np.linalg.solve(A, B)
    else:
        C = np.empty_like(B)
        for k, a in enumerate(alpha):
            A_k = A.copy()
            A_k[diagonal, diagonal] += a
            C[:, k] = np.linalg.solve(A_k, B[:, k])
    return (C if d <= n else X.T @ C).T


def _ridge_svd(X, y, alpha):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    s_nonzero = s > s.max(initial=0) * max(X.shape) * np.finfo(float).eps
    # Shrinkage factors s / (s² + α) per singular value and target, (r, k).
    with np.errstate(divide="ignore", invalid="ignore"):
        d = s[:, None] / (s[:, None] ** 2 + alpha[None, :])
    d[~s_nonzero] = 0.0
    return (Vt.T @ (d * (U.T @ y))).T


# --------------------------------------------------------------------------- coordinate descent

def _soft_threshold(z, threshold):
    """S(z, t) = sign(z)·max(|z| − t, 0), on Python floats (this runs once per coordinate)."""
    if z > threshold:
        return z - threshold
    if z < -threshold:
        return z + threshold
    return 0.0


def _primal(w, l1, l2, R_norm2):
    """½‖R‖² + ½l2‖w‖² + l1‖w‖₁, the objective coordinate descent minimizes."""
    return 0.5 * (R_norm2 + l2 * (w @ w)) + l1 * np.abs(w).sum()


def _duality_gap(w, l1, l2, R_norm2, Ry, XtR):
    """Gap between the elastic-net primal and the dual at a rescaled residual.

    Primal P(w) = ½‖R‖² + ½l2‖w‖² + l1‖w‖₁ with R = y − Xw. The dual point is
    the residual scaled by s = min(1, l1 / ‖XᵀR − l2·w‖∞) so that it is feasible;
    then D = −½s²(‖R‖² + l2‖w‖²) + s·Rᵀy and P − D ≥ P(w) − P(w*) ≥ 0
    (see Friedman et al. 2010 and scikit-learn's enet_coordinate_descent).

    Without an L1 term that dual point is useless (s = 0), so for ridge (l1 = 0)
    the dual D(θ) = θᵀy − ½‖θ‖² − ‖Xᵀθ‖²/(2·l2) is taken at θ = R; for plain
    least squares (l1 = l2 = 0) the "gap" is the squared gradient ‖XᵀR‖².
    """
    w_norm2 = w @ w
    if l1 == 0:
        if l2 == 0:
            return XtR @ XtR
        return R_norm2 + 0.5 * l2 * w_norm2 - Ry + (XtR @ XtR) / (2 * l2)
    dual_norm = np.max(np.abs(XtR - l2 * w), initial=0.0)
    scale = l1 / dual_norm if dual_norm > l1 else 1.0
    primal = _primal(w, l1, l2, R_norm2)
    dual = -0.5 * scale ** 2 * (R_norm2 + l2 * w_norm2) + scale * Ry
    return primal - dual


def _update_coordinate(c, w_old, norm2, l1, l2):
    """The exact minimizer over one coefficient: S(Xⱼᵀr + wⱼ‖Xⱼ‖², l1) / (‖Xⱼ‖² + l2)."""
    return _soft_threshold(c + w_old * norm2, l1) / (norm2 + l2)


class _BlockCoordinates:
    """Sweeps of coordinate updates taken a block of coordinates at a time.

    For a block B of up to `block` coordinates, the correlations c = X_BᵀR are
    read once; inside the block each update corrects them with the block's small
    Gram matrix X_BᵀX_B (c ← c − Δwⱼ·X_BᵀXⱼ, O(block) scalar work); and the state
    (the residual, or XᵀR) is brought up to date once at the end of the block with
    one matrix-vector product. The updates are exactly those of one-coordinate-at-
    a-time descent, but the work that grows with the data is a few BLAS calls per
    block instead of vector operations per coordinate. Subclasses say how to read
    a block's correlations and how to apply its changes.
    """

    block = 16

    def _make_blocks(self, columns, block_matrix):
        """[(coordinate indices, block operand, X_BᵀX_B as nested lists)] per chunk."""
        columns = list(columns)
        blocks = []
        for start in range(0, len(columns), self.block):
            idx = columns[start:start + self.block]
            operand, gram = block_matrix(idx)
            blocks.append((idx, operand, gram.tolist()))
        return blocks

    def _blocks_for(self, coords):
        return self._all_blocks

    def sweep(self, coords, coef, l1, l2):
        """One pass of updates over `coords` (modifies coef); returns (max |w|, max |Δw|)."""
        w_max = dw_max = 0.0
        swept = [False] * len(coef)
        for j in coords:
            swept[j] = True
        for idx, operand, G_B in self._blocks_for(coords):
            local = [a for a, j in enumerate(idx) if swept[j]]
            if not local:
                continue
            c = self._correlations(idx, operand)
            deltas = [0.0] * len(idx)
            for k, a in enumerate(local):
                j = idx[a]
                w_old = coef[j]
                w_new = _update_coordinate(c[a], w_old, G_B[a][a], l1, l2)
                if w_new != w_old:
                    delta = w_new - w_old
                    coef[j] = w_new
                    deltas[a] = delta
                    row = G_B[a]
                    for b in local[k + 1:]:                     # later coordinates see the change
                        c[b] -= delta * row[b]
                    dw_max = max(dw_max, abs(delta))
                w_max = max(w_max, abs(w_new))
            if any(deltas):
                self._apply(operand, deltas)
        return w_max, dw_max


class _GramCoordinates(_BlockCoordinates):
    """Coordinate descent state kept as q = XᵀR = Xᵀy − Gw with G = XᵀX: O(d) per coordinate.

    A sweep then costs O(d²) whatever the number of samples, and the duality gap
    needs no pass over X: Rᵀy = yᵀy − wᵀXᵀy and ‖R‖² = Rᵀy − wᵀq. A block's
    correlations are just q_B, and its changes update q ← q − G_Bᵀ·Δw_B.
    """

    def __init__(self, G, Xty, yy, w):
        self.G, self.Xty, self.yy = G, Xty, float(yy)
        self.norm2 = np.diag(G).tolist()
        self.q = Xty - G @ w
        self._buffer = np.empty_like(self.q)
        # G is symmetric, so the rows G_B (b, d) serve as the columns.
        self._all_blocks = self._make_blocks(
            range(len(G)), lambda idx: (G[idx[0]:idx[-1] + 1], G[np.ix_(idx, idx)]))

    def _correlations(self, idx, G_B):
        return self.q[idx[0]:idx[-1] + 1].tolist()

    def _apply(self, G_B, deltas):
        np.dot(deltas, G_B, out=self._buffer)
        self.q -= self._buffer

    def gap(self, w, l1, l2):
        Ry = self.yy - w @ self.Xty
        return _duality_gap(w, l1, l2, Ry - w @ self.q, Ry, self.q)

    def objective(self, w, l1, l2):
        R_norm2 = self.yy - 2 * (w @ self.Xty) + w @ (self.Xty - self.q)   # wᵀGw = wᵀ(Xᵀy − q)
        return _primal(w, l1, l2, R_norm2)

    def normal_equations(self, active):
        return self.G[np.ix_(active, active)], self.Xty[active]

    def reset(self, w):
        self.q = self.Xty - self.G @ w


class _ResidualCoordinates(_BlockCoordinates):
    """Coordinate descent state kept as the residual R = y − Xw: O(n) per coordinate.

    A block's correlations are X_BᵀR, and its changes update R ← R − X_B·Δw_B.
    Blocks are consecutive columns of X (views). When the same subset of
    coordinates (an active set) is swept again and again, its columns are copied
    into compact blocks of their own, so later sweeps read only those columns.

    X : (n, d) Fortran-ordered, so that blocks of consecutive columns are views. y : (n,).
    """

    sweeps_before_compacting = 4

    def __init__(self, X, y, w):
        self.X, self.y = X, y
        self.norm2 = np.einsum("ij,ij->j", X, X).tolist()      # ‖Xⱼ‖², precomputed once
        self.R = y - X @ w
        self.yy = float(y @ y)
        self._buffer = np.empty_like(y)                         # reused: no allocation per block
        self._all_blocks = self._make_blocks(range(X.shape[1]), self._view_block)
        self._last_coords, self._repeats, self._compact = None, 0, {}

    def _view_block(self, idx):
        X_B = self.X[:, idx[0]:idx[-1] + 1]
        return X_B, X_B.T @ X_B

    def _copied_block(self, idx):
        X_B = np.asfortranarray(self.X[:, idx])
        return X_B, X_B.T @ X_B

    def _blocks_for(self, coords):
        key = tuple(coords)
        self._repeats = self._repeats + 1 if key == self._last_coords else 0
        self._last_coords = key
        if key in self._compact:
            return self._compact[key]
        if self._repeats >= self.sweeps_before_compacting and 2 * len(key) <= len(self.norm2):
            self._compact = {key: self._make_blocks(key, self._copied_block)}  # only the latest
            return self._compact[key]
        return self._all_blocks

    def _correlations(self, idx, X_B):
        return (X_B.T @ self.R).tolist()

    def _apply(self, X_B, deltas):
        np.dot(X_B, deltas, out=self._buffer)
        self.R -= self._buffer

    def gap(self, w, l1, l2):
        return _duality_gap(w, l1, l2, self.R @ self.R, self.R @ self.y, self.X.T @ self.R)

    def objective(self, w, l1, l2):
        return _primal(w, l1, l2, self.R @ self.R)

    def normal_equations(self, active):
        """(X_Aᵀ X_A, X_Aᵀ y) for the columns `active`."""
        X_A = self.X[:, active]
        return X_A.T @ X_A, X_A.T @ self.y

    def reset(self, w):
        self.R = self.y - self.X @ w


def _coordinate_descent(state, w, l1, l2, max_iter, tol, max_active_sweeps=10):
    """Cyclic coordinate descent for min ½‖y − Xw‖² + l1‖w‖₁ + ½l2‖w‖² (Friedman et al. 2010).

    Each step minimizes over one wⱼ with the others fixed, which has the closed form
        wⱼ ← S(Xⱼᵀr + wⱼ‖Xⱼ‖², l1) / (‖Xⱼ‖² + l2)      (S the soft-threshold);
    `state` (residual or Gram form) runs the sweeps.

    As in glmnet, after a full sweep the nonzero coordinates are swept alone until
    their largest change is small relative to the largest coefficient (or for at
    most `max_active_sweeps` sweeps, so that zero coordinates get back in). Then the
    duality gap, which covers every coordinate, is computed: fitting stops once it
    is at most tol·‖y‖² (scikit-learn's test), and otherwise a full sweep follows.
    Once the signed support has stayed the same for a while, `_polish` solves for
    the optimum on it directly.
    Returns (w, gap, n_sweeps).
    """
    gap_tol = tol * state.yy
    g = state.gap(w, l1, l2)
    if g <= gap_tol:
        return w, g, 0
    coef = w.tolist()                                   # Python floats: cheap scalar updates
    every = [j for j in range(len(coef)) if state.norm2[j] > 0.0]
    coords, phase_start = every, 0
    last_support, tried = None, set()
    for it in range(max_iter):
        w_max, dw_max = state.sweep(coords, coef, l1, l2)
        settled = w_max == 0.0 or dw_max <= tol * w_max
        full = coords is every
        if settled or it == max_iter - 1:
            g = state.gap(np.array(coef), l1, l2)
            if g <= gap_tol:
                return np.array(coef), g, it + 1
        if full or it % 10 == 0:
            # Same nonzero coordinates and signs as at the last look: try solving there.
            support = tuple((j, coef[j] > 0) for j in every if coef[j] != 0.0)
            if support == last_support and support not in tried:
                tried.add(support)
                polished = _polish(state, [j for j, _ in support], coef, l1, l2)
                if polished is not None:
                    coef, coords, last_support = polished.tolist(), every, None
                    continue
            last_support = support
        if full:
            active = [j for j in every if coef[j] != 0.0]
            coords = active if 0 < len(active) < len(every) else every
            phase_start = it
        elif settled or it - phase_start >= max_active_sweeps:
            coords = every                  # let the zero coordinates back in now and then
    w = np.array(coef)
    return w, state.gap(w, l1, l2), max_iter


def _polish(state, active, coef, l1, l2):
    """Solve exactly on a stable support, or None if the signs do not hold.

    If the nonzero coordinates A and their signs s are those of the optimum, the
    optimality conditions there are linear: (X_AᵀX_A + l2·I) w_A = X_Aᵀy − l1·s.
    Coordinate descent can take many sweeps to converge along correlated
    directions; once the support has stopped changing, this one solve jumps to its
    end point. The result is kept only if its signs agree with s and it does not
    raise the objective (and it is then checked by the duality gap like any other
    iterate).
    """
    if not active:
        return None
    signs = np.sign([coef[j] for j in active])
    G_A, Xty_A = state.normal_equations(active)
    try:
        w_A = np.linalg.solve(G_A + l2 * np.eye(len(active)), Xty_A - l1 * signs)
    except np.linalg.LinAlgError:
        return None
    if not np.array_equal(np.sign(w_A), signs):
        return None
    w = np.zeros(len(coef))
    w[active] = w_A
    current = np.array(coef)
    before = state.objective(current, l1, l2)
    state.reset(w)
    if not state.objective(w, l1, l2) <= before:   # e.g. a nearly singular X_AᵀX_A
        state.reset(current)
        return None
    return w


class ElasticNet(_LinearModel):
    """Linear regression with combined L1 and L2 penalties (Zou & Hastie 2005).

    Minimizes  (1/2n) Σᵢ sᵢ(yᵢ − xᵢ·w − b)² + α·ρ‖w‖₁ + ½α(1 − ρ)‖w‖²
    (sample weights sᵢ rescaled to sum to n) by cyclic coordinate descent
    (Friedman, Hastie & Tibshirani 2010, "Regularization paths for generalized
    linear models via coordinate descent"). After a sweep whose largest update is
    below `tol` relative to the largest coefficient, the duality gap is computed;
    fitting stops once it is below tol · ‖y‖², as in scikit-learn.

    Parameters
    ----------
    alpha : float ≥ 0, overall penalty strength α.
    l1_ratio : float in [0, 1], the mix ρ (1 is the lasso, 0 ridge).
    fit_intercept : bool, learn b (not penalized).
    precompute : bool or 'auto'. True runs the sweeps on the Gram matrix XᵀX
        (O(d²) per sweep, best when n_samples ≫ n_features); False keeps the
        residual (O(n·d) per sweep); 'auto' picks the Gram matrix when
        n_samples > n_features.
    copy_X : bool, ignored.
    max_iter : int, the most sweeps over the coordinates.
    tol : float, the tolerance of the stopping tests.
    warm_start : bool, start from the previous fit's coef_ instead of zeros.

    Attributes
    ----------
    coef_ : (n_features,) or (n_targets, n_features)
    intercept_ : float or (n_targets,)
    n_iter_ : int, or list per target, sweeps run.
    dual_gap_ : float or (n_targets,), the final duality gap divided by n_samples.
    """

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute=False,
                 max_iter=1000, copy_X=True, tol=1e-4, warm_start=False):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start

    def _check_params(self):
        if not (np.isscalar(self.alpha) and self.alpha >= 0):
            raise ValueError(f"{type(self).__name__}: alpha must be a float >= 0; got "
                             f"{self.alpha!r}")
        if not 0 <= self.l1_ratio <= 1:
            raise ValueError(f"{type(self).__name__}: l1_ratio must be in [0, 1]; got "
                             f"{self.l1_ratio!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"{type(self).__name__}: max_iter must be an int >= 1; got "
                             f"{self.max_iter!r}")
        if not (isinstance(self.precompute, (bool, np.bool_))
                or (isinstance(self.precompute, str) and self.precompute == "auto")):
            raise ValueError(f"{type(self).__name__}: precompute must be True, False or 'auto'; "
                             f"got {self.precompute!r}")

    def fit(self, X, y, sample_weight=None, check_input=True):
        self._check_params()
        X, y, w, single = self._validate_fit(X, y, sample_weight)
        n, d = X.shape
        if w is not None:
            w = w * (n / w.sum())       # the loss stays a mean over n samples
        use_gram = (n > d) if isinstance(self.precompute, str) else bool(self.precompute)
        # The residual form walks the columns of X, so it wants them contiguous.
        X_c, y_c, x_offset, y_offset = _center_and_weight(X, y, self.fit_intercept, w,
                                                          order="C" if use_gram else "F")
        l1 = self.alpha * self.l1_ratio * n
        l2 = self.alpha * (1 - self.l1_ratio) * n
        W = self._initial_coef(y.shape[1], d)
        if use_gram:
            G, XtY, yy = X_c.T @ X_c, X_c.T @ y_c, np.einsum("ij,ij->j", y_c, y_c)
        gaps, n_iters = np.empty(y.shape[1]), []
        for k in range(y.shape[1]):
            state = (_GramCoordinates(G, XtY[:, k], yy[k], W[k]) if use_gram
                     else _ResidualCoordinates(X_c, np.ascontiguousarray(y_c[:, k]), W[k]))
            W[k], gaps[k], it = _coordinate_descent(state, W[k], l1, l2, self.max_iter, self.tol)
            n_iters.append(it)
            if it == self.max_iter and gaps[k] > self.tol * (y_c[:, k] @ y_c[:, k]):
                warnings.warn(f"{type(self).__name__}: objective did not converge after "
                              f"{self.max_iter} iterations (duality gap {gaps[k]:.3e}). You "
                              "might want to increase the number of iterations or the tolerance.",
                              ConvergenceWarning, stacklevel=2)
        self._set_coef(W, x_offset, y_offset, single)
        self.n_iter_ = n_iters[0] if single else n_iters
        self.dual_gap_ = float(gaps[0] / n) if single else gaps / n
        return self

    def _initial_coef(self, n_targets, n_features):
        """(n_targets, n_features): zeros, or the last fit's coef_ when warm starting."""
        if self.warm_start and hasattr(self, "coef_"):
            previous = np.atleast_2d(np.asarray(self.coef_, dtype=float))
            if previous.shape == (n_targets, n_features):
                return previous.copy()
        return np.zeros((n_targets, n_features))


class Lasso(ElasticNet):
    """Linear regression with an L1 penalty (Tibshirani 1996): ElasticNet with ρ = 1.

    Minimizes (1/2n) Σᵢ (yᵢ − xᵢ·w − b)² + α‖w‖₁; the L1 term sets many
    coefficients exactly to zero. Parameters and attributes as `ElasticNet`.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute=False, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start

    # Not a parameter of Lasso (get_params reads __init__'s signature); fixed at 1.
    l1_ratio = 1.0
