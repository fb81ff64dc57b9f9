"""The SMO solver of the SVM dual, and Platt's probability estimates (see svm.py for the dual).

`smo` runs Sequential Minimal Optimization with LIBSVM's second-order working-set selection
and shrinking; `cross_validated_decisions`, `fit_platt_sigmoid` and `couple_pairwise` turn
decision values into probabilities (Platt 1999; Lin, Lin & Weng 2007; Wu, Lin & Weng 2004).
"""
import numpy as np

TAU = 1e-12  # stands in for a non-positive curvature a_ij (a non positive-definite kernel), as in LIBSVM
BLOCK_BYTES = 64 * 2 ** 20  # the kernel block evaluated at once

# ---------------------------------------------------------------- the SMO solver

def last_argmax(values):
    """Index of the last maximum; LIBSVM's scans keep the last of tied candidates."""
    return len(values) - 1 - int(values[::-1].argmax())


def set_gaps(alpha, y, C):
    """(up_gap, low_gap): 0 for the members of I_up (I_low), −inf (+inf) for the others.

    Adding them to v masks the two sets in one vectorized operation each.
    """
    up = np.where(y > 0, alpha < C, alpha > 0)
    low = np.where(y > 0, alpha > 0, alpha < C)
    return np.where(up, 0.0, -np.inf), np.where(low, 0.0, np.inf)


def select_working_set(v, up_gap, low_gap, kernel, tol):
    """The pair (i, j, K[:, i]) of Fan, Chen & Lin's second-order rule, or None at optimality.

    v : (n,) −y ∘ G;  up_gap, low_gap : (n,) from `set_gaps`. Optimal means
    m(α) − M(α) < tol (see the module docstring for the sets and the rule).
    """
    if len(v) == 0:  # shrinking set every multiplier aside
        return None
    v_up = v + up_gap
    i = last_argmax(v_up)
    m = v_up[i]
    v_low = v + low_gap
    if m - v_low.min() < tol:  # also when a set is empty: −inf − … or … − (+inf)
        return None
    K_i = kernel(i)
    b = np.maximum(m - v_low, 0.0)  # (n,) first-order decrease along the pair's direction; 0 off I_low
    a = np.maximum(kernel.diag[i] + kernel.diag - 2 * K_i, TAU)  # (n,) curvature along it
    j = last_argmax(b * b / a)  # the largest second-order decrease b² / (2a)
    return i, j, K_i


def two_variable_step(i, j, v, alpha, y, C, a_ij):
    """Minimize f exactly along α_i += y_i t, α_j −= y_j t (which keeps yᵀα = 0), t ≥ 0.

    Along that line f has slope −(v_i − v_j) and curvature a_ij, so the unconstrained
    step is t = (v_i − v_j) / a_ij, then shortened to stay in the box 0 ≤ α ≤ C. A
    multiplier that reaches its bound is set to it exactly, so that the sets I_up / I_low
    are decided by exact comparisons.
    """
    t = (v[i] - v[j]) / max(a_ij, TAU)
    room_i = C[i] - alpha[i] if y[i] > 0 else alpha[i]
    room_j = alpha[j] if y[j] > 0 else C[j] - alpha[j]
    t = min(t, room_i, room_j)
    alpha[i] = (C[i] if y[i] > 0 else 0.0) if t == room_i else alpha[i] + y[i] * t
    alpha[j] = (0.0 if y[j] > 0 else C[j]) if t == room_j else alpha[j] - y[j] * t
    return t


def intercept(yG, alpha, y, C):
    """ρ: the average of y_i G_i over free multipliers (0 < α_i < C_i), as LIBSVM.

    With no free multiplier, ρ is the midpoint of the interval the KKT conditions allow.
    """
    upper = alpha >= C
    lower = (alpha <= 0) & ~upper
    free = ~upper & ~lower
    if free.any():
        return float(yG[free].mean())
    positive = y > 0
    above = (upper & ~positive) | (lower & positive)  # ρ ≤ y_i G_i
    below = (upper & positive) | (lower & ~positive)  # ρ ≥ y_i G_i
    hi = yG[above].min() if above.any() else np.inf
    lo = yG[below].max() if below.any() else -np.inf
    if np.isfinite(hi) and np.isfinite(lo):
        return float((hi + lo) / 2)
    return float(hi if np.isfinite(hi) else lo if np.isfinite(lo) else 0.0)  # a one-sided interval


class ActiveSet:
    """The multipliers SMO still updates, with compact copies of their data.

    Shrinking (Joachims 1999; LIBSVM, Chang & Lin 2011, section 5.1): a multiplier at a
    bound whose v lies on the non-violating side of every possible partner is unlikely to
    move again, so it is set aside and the iterations work on shorter vectors. Its entry
    of v is not updated meanwhile; `expand` recomputes it.
    """

    def __init__(self, kernel, y, C, alpha, v, index):
        self.kernel, self.index, self.whole = kernel, index, len(index) == len(y)
        self.y, self.C, self.alpha, self.v = y[index], C[index], alpha[index], v[index]
        self.diag = kernel.diag[index]
        self.up_gap, self.low_gap = set_gaps(self.alpha, self.y, self.C)

    def __call__(self, i):
        """Column i of the kernel matrix of the active samples."""
        column = self.kernel(self.index[i])
        return column if self.whole else column[self.index]

    def save(self, alpha, v):
        """Write the active multipliers and v back into the full (n,) arrays."""
        alpha[self.index], v[self.index] = self.alpha, self.v

    def shrinkable(self):
        """(size,) the multipliers that cannot be in a violating pair now.

        i in I_up only with v_i < M(α) can pair with no j in I_low; i in I_low only with
        v_i > m(α) with no i in I_up (LIBSVM's be_shrunk).
        """
        up, low = self.up_gap == 0, self.low_gap == 0
        m, M = (self.v + self.up_gap).max(), (self.v + self.low_gap).min()
        return (up & ~low & (self.v < M)) | (low & ~up & (self.v > m))


def expand(active, y, C, alpha, v, bound_part):
    """Every multiplier active again, v of the set-aside ones recomputed:

        v_k = y_k − Σ_l y_l α_l K_kl = y_k − bound_part_k − Σ_{l free} y_l α_l K_kl,

    where bound_part_k = Σ_{l: α_l = C_l} y_l C_l K_kl is kept up to date by `smo` (LIBSVM's
    G_bar), so that only the free support vectors' kernel entries are needed here.
    """
    active.save(alpha, v)
    inactive = np.setdiff1d(np.arange(len(y)), active.index)
    free = np.flatnonzero((alpha > 0) & (alpha < C))
    coef = y[free] * alpha[free]
    block = max(1, BLOCK_BYTES // (8 * max(len(free), 1)))
    for start in range(0, len(inactive), block):  # blocks bound the memory of K[rows, free]
        rows = inactive[start:start + block]
        v[rows] = y[rows] - bound_part[rows] - active.kernel.block(rows, free) @ coef
    return ActiveSet(active.kernel, y, C, alpha, v, np.arange(len(y)))


def smo(kernel, y, C, tol, max_iter, shrinking=False):
    """Solve the SVM dual by SMO with second-order working-set selection.

    Parameters
    ----------
    kernel : KernelColumns over the n training samples
    y : (n,) labels +1 / −1
    C : (n,) upper bounds on the multipliers
    tol : stop when m(α) − M(α) < tol
    max_iter : iteration limit, −1 for LIBSVM's (max(10⁷, 100 n))
    shrinking : set aside bounded multipliers every min(n, 1000) iterations, as LIBSVM

    Returns
    -------
    alpha : (n,) multipliers;  rho : float, the decision is Σ y_i α_i K(x_i, x) − ρ;
    n_iter : int;  converged : bool
    """
    n = len(y)
    alpha = np.zeros(n)
    v = y.astype(np.float64)  # −y ∘ G with G = Qα − e = −e at α = 0
    active = ActiveSet(kernel, y, C, alpha, v, np.arange(n))
    bound_part = np.zeros(n)  # Σ_{l: α_l = C_l} y_l C_l K[:, l], for `expand`
    limit = max_iter if max_iter > 0 else max(10_000_000, 100 * n)
    period = countdown = min(n, 1000)
    n_iter, converged, unshrunk = 0, False, False
    while n_iter < limit:
        countdown -= 1
        if shrinking and countdown == 0:
            countdown = period
            active, unshrunk = shrink(active, y, C, alpha, v, bound_part, tol, unshrunk)
        pair = select_working_set(active.v, active.up_gap, active.low_gap, active, tol)
        if pair is None and not active.whole:  # optimal on the active set: check all of them
            active, countdown = expand(active, y, C, alpha, v, bound_part), 1
            pair = select_working_set(active.v, active.up_gap, active.low_gap, active, tol)
        if pair is None:
            converged = True
            break
        i, j, K_i = pair
        K_j = active(j)
        a_ij = active.diag[i] + active.diag[j] - 2 * K_i[j]
        at_bound = (active.alpha[i] >= active.C[i], active.alpha[j] >= active.C[j])
        t = two_variable_step(i, j, active.v, active.alpha, active.y, active.C, a_ij)
        active.v -= t * (K_i - K_j)  # Δv_k = −y_k Σ_l Q_kl Δα_l with Δα_i = y_i t, Δα_j = −y_j t
        for k, was_at_bound in zip((i, j), at_bound):
            active.up_gap[k], active.low_gap[k] = gaps_of(active.alpha[k], active.y[k], active.C[k])
            if shrinking and was_at_bound != (active.alpha[k] >= active.C[k]):
                sign = -1.0 if was_at_bound else 1.0
                bound_part += (sign * active.y[k] * active.C[k]) * kernel(active.index[k])
        n_iter += 1
    if not active.whole:
        active = expand(active, y, C, alpha, v, bound_part)
    active.save(alpha, v)
    return alpha, intercept(-v, alpha, y, C), n_iter, converged


def gaps_of(alpha, y, C):
    """`set_gaps` for one multiplier, in plain Python (it runs twice per iteration)."""
    up = alpha < C if y > 0 else alpha > 0
    low = alpha > 0 if y > 0 else alpha < C
    return (0.0 if up else -np.inf), (0.0 if low else np.inf)


def shrink(active, y, C, alpha, v, bound_part, tol, unshrunk):
    """(active set, unshrunk): the active set without its shrinkable multipliers.

    As LIBSVM, the first time the violation falls below 10 tol every multiplier is
    brought back (v recomputed) before shrinking again, so that the final rounds see
    the whole problem.
    """
    m, M = (active.v + active.up_gap).max(), (active.v + active.low_gap).min()
    if not unshrunk and m - M <= 10 * tol:
        active, unshrunk = expand(active, y, C, alpha, v, bound_part), True
    keep = ~active.shrinkable()
    if keep.all():
        return active, unshrunk
    active.save(alpha, v)
    return ActiveSet(active.kernel, y, C, alpha, v, active.index[keep]), unshrunk


# ---------------------------------------------------------------- probability estimates

def cross_validated_decisions(kernel, y, C, tol, max_iter, shrinking, rng, n_folds=5):
    """(n,) each sample's decision value from a machine trained on the other folds.

    Platt (1999) fits his sigmoid to decision values of samples the machine did not
    train on; LIBSVM takes them from a shuffled `n_folds`-fold split. A fold whose
    training part holds one class only gets that class's sign, ±1.
    """
    n = len(y)
    decision = np.zeros(n)
    permutation = rng.permutation(n)
    for k in range(n_folds):
        fold = permutation[k * n // n_folds:(k + 1) * n // n_folds]
        train = np.setdiff1d(permutation, fold)
        has_positive, has_negative = (y[train] > 0).any(), (y[train] < 0).any()
        if not (has_positive and has_negative):
            decision[fold] = 1.0 if has_positive else (-1.0 if has_negative else 0.0)
            continue
        alpha, rho, _, _ = smo(kernel.subset(train), y[train], C[train], tol, max_iter, shrinking)
        support = train[alpha > 0]
        decision[fold] = kernel.block(fold, support) @ (y[support] * alpha[alpha > 0]) - rho
    return decision


def fit_platt_sigmoid(f, y, max_iter=100, min_step=1e-10, sigma=1e-12, eps=1e-5):
    """(A, B) of  P(y = +1 | f) = 1 / (1 + exp(A f + B))  by maximum likelihood.

    Platt (1999), with the regularized targets t = (N₊ + 1) / (N₊ + 2) and 1 / (N₋ + 2) and
    the Newton method with backtracking line search of Lin, Lin & Weng (2007, "A note on
    Platt's probabilistic outputs for support vector machines"), which LIBSVM uses.
    f : (n,) decision values;  y : (n,) labels ±1.
    """
    n_pos, n_neg = np.sum(y > 0), np.sum(y <= 0)
    t = np.where(y > 0, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def nll(A, B):  # −Σ t log p + (1 − t) log(1 − p), written stably with z = A f + B
        z = A * f + B
        return float(np.sum(np.logaddexp(0.0, z) - (1.0 - t) * z))

    A, B = 0.0, float(np.log((n_neg + 1.0) / (n_pos + 1.0)))
    value = nll(A, B)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(np.clip(A * f + B, -700, 700)))  # P(y = +1 | f)
        w, residual = p * (1.0 - p), t - p
        g = np.array([f @ residual, residual.sum()])
        if np.all(np.abs(g) < eps):
            break
        H = np.array([[f * f @ w + sigma, f @ w], [f @ w, w.sum() + sigma]])
        step = -np.linalg.solve(H, g)
        slope = g @ step
        scale = 1.0
        while scale >= min_step:  # Armijo backtracking
            new = nll(A + scale * step[0], B + scale * step[1])
            if new < value + 1e-4 * scale * slope:
                A, B, value = A + scale * step[0], B + scale * step[1], new
                break
            scale /= 2
        else:
            break  # no step decreases the likelihood further
    return A, B


def couple_pairwise(r):
    """(n, k) class probabilities from pairwise ones r (n, k, k), r[:, a, b] = P(a | a or b), r[:, a, a] = 0.

    Method 2 of Wu, Lin & Weng (2004, "Probability estimates for multi-class classification
    by pairwise coupling"):  min_p ½ pᵀQp  subject to  Σ p = 1,  with Q_tt = Σ_{s≠t} r_st²
    and Q_ts = −r_st r_ts. Its optimality conditions Qp = b e, eᵀp = 1 are a (k+1)-square
    linear system per sample, solved here for all samples at once (LIBSVM iterates instead).
    """
    n, k, _ = r.shape
    Q = -r.transpose(0, 2, 1) * r
    Q[:, np.arange(k), np.arange(k)] = np.einsum("nst,nst->nt", r, r)  # r[:, t, t] is 0
    system = np.zeros((n, k + 1, k + 1))
    system[:, :k, :k] = Q
    system[:, :k, k] = -1.0
    system[:, k, :k] = 1.0
    rhs = np.zeros((n, k + 1, 1))
    rhs[:, k] = 1.0
    p = np.clip(np.linalg.solve(system, rhs)[:, :k, 0], 0.0, None)
    return p / p.sum(axis=1, keepdims=True)
