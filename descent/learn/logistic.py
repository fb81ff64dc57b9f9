"""Logistic regression fitted by minimizing its loss with descent's own gradients.

The model is p(y = k | x) = softmax(x W + b)_k (multinomial, for more than two classes) or
p(y = 1 | x) = sigmoid(x w + b) (binary). Fitting minimizes the weighted mean negative
log-likelihood plus a penalty, exactly scikit-learn's objective:

    F(θ) = (1 / Σ s_i) [ Σ s_i ℓ_i(θ) + (1 - ρ)/(2C) ‖W‖² + ρ/C ‖W‖₁ ]

with s_i the sample weight times the class weight, ρ = l1_ratio (0 for 'l2', 1 for 'l1'),
and the intercept never penalized. The smooth part's value and gradient come from one
forward pass through descent Tensors and one `backward`; the solvers below only see
(value, gradient) pairs of flat NumPy vectors:

- 'lbfgs': limited-memory BFGS (Nocedal, 1980; Liu & Nocedal, 1989) with a line search that
  satisfies the weak Wolfe conditions, for the smooth penalties ('l2' and None).
- 'newton-cg': truncated Newton (Nocedal & Wright, §7.1), whose Hessian-vector products
  come from differentiating descent's gradient graph a second time (create_graph=True).
- 'saga': the L1 and elastic-net penalties are not differentiable, so they are handled by a
  proximal gradient method, FISTA (Beck & Teboulle, 2009) with backtracking and adaptive
  restart (O'Donoghue & Candès, 2015). The name matches scikit-learn's solver for these
  penalties; the method is full-batch, not stochastic.
"""
import warnings

import numpy as np

import descent
from descent.learn.base import (BaseEstimator, ClassifierMixin, check_array, check_classification_targets,
                                check_is_fitted, check_n_features, check_sample_weight, check_X_y,
                                encode_labels)
from descent.learn.linear_model import ConvergenceWarning


# ------------------------------------------------------------------ solvers on flat vectors

def lbfgs(value_and_grad, x0, *, max_iter=100, tol=1e-4, memory=10, max_line_search=30):
    """Minimize a smooth function with L-BFGS.

    Parameters
    ----------
    value_and_grad : callable, x (p,) -> (float, ndarray (p,))
    x0 : ndarray (p,)
    max_iter : int
        Most iterations (each one line search).
    tol : float
        Stop when max |∇f| <= tol (scikit-learn's and SciPy's `gtol`), or when f stops
        decreasing relative to its size (SciPy's `ftol` = 64 machine epsilons).
    memory : int
        Number of (s, y) curvature pairs kept.

    Returns
    -------
    x : ndarray (p,), n_iter : int, converged : bool
    """
    x = x0.copy()
    f, g = value_and_grad(x)
    pairs = []  # (s, y, 1 / yᵀs), oldest first
    ftol = 64 * np.finfo(float).eps
    for it in range(1, max_iter + 1):
        if np.max(np.abs(g)) <= tol:
            return x, it - 1, True
        d = -_two_loop(g, pairs)
        if g @ d >= 0:  # not a descent direction (lost curvature): restart from steepest descent
            pairs.clear()
            d = -g
        t0 = 1.0 if pairs else min(1.0, 1.0 / np.linalg.norm(g))
        t, f_new, g_new = _wolfe_line_search(value_and_grad, x, f, g, d, t0, max_line_search)
        if t == 0.0:
            return x, it, False
        s, y = t * d, g_new - g
        sy = s @ y
        if sy > 1e-10 * (y @ y):  # keep the update's inverse-Hessian estimate positive definite
            pairs.append((s, y, 1.0 / sy))
            if len(pairs) > memory:
                pairs.pop(0)
        x = x + s
        decrease = f - f_new
        f, g = f_new, g_new
        if decrease <= ftol * max(abs(f), abs(f + decrease), 1.0):
            return x, it, True
    return x, max_iter, np.max(np.abs(g)) <= tol


def _two_loop(g, pairs):
    """H g for the L-BFGS inverse-Hessian estimate H (Nocedal & Wright, Algorithm 7.4)."""
    q = g.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * (s @ q)
        q -= a * y
        alphas.append(a)
    if pairs:
        s, y, rho = pairs[-1]
        q *= 1.0 / (rho * (y @ y))  # H0 = (sᵀy / yᵀy) I
    for (s, y, rho), a in zip(pairs, reversed(alphas)):
        q += (a - rho * (y @ q)) * s
    return q


def _wolfe_line_search(value_and_grad, x, f, g, d, t, max_steps, c1=1e-4, c2=0.9):
    """A step t along d with sufficient decrease and curvature (weak Wolfe), by bracketing.

    Returns (t, f(x + t d), ∇f(x + t d)); t = 0 when no acceptable step was found.
    """
    slope = g @ d
    lo, hi = 0.0, np.inf
    best = (0.0, f, g)
    for _ in range(max_steps):
        f_t, g_t = value_and_grad(x + t * d)
        if not np.isfinite(f_t) or f_t > f + c1 * t * slope:
            hi = t
        else:
            if f_t < best[1]:
                best = (t, f_t, g_t)
            if g_t @ d >= c2 * slope:
                return t, f_t, g_t
            lo = t
        t = 0.5 * (lo + hi) if np.isfinite(hi) else 2.0 * t
    return best


def newton_cg(value_grad_hessp, value_and_grad, x0, *, max_iter=100, tol=1e-4, max_cg=None):
    """Minimize a smooth convex function by truncated Newton (Newton-CG).

    Each iteration solves H p = -∇f approximately by conjugate gradients, stopping at a
    residual of min(0.5, √‖∇f‖) ‖∇f‖ (Nocedal & Wright, Algorithm 7.1) or at a direction
    of non-positive curvature, then takes a Wolfe line search along p from t = 1. H is never
    formed: `hessp(v)` gives H v by differentiating ∇f · v once more.

    Parameters
    ----------
    value_grad_hessp : callable, x (p,) -> (f(x), ∇f(x), hessp), hessp : v (p,) -> H(x) v
    value_and_grad : callable, x (p,) -> (f(x), ∇f(x)), for the line search
    tol : float
        Stop when max |∇f| <= tol.

    Returns
    -------
    x : ndarray (p,), n_iter : int, converged : bool
    """
    x = x0.copy()
    max_cg = max_cg or 2 * len(x0)
    for it in range(1, max_iter + 1):
        f, g, hessp = value_grad_hessp(x)
        if np.max(np.abs(g)) <= tol:
            return x, it - 1, True
        p = _conjugate_gradient(hessp, -g, min(0.5, np.sqrt(np.linalg.norm(g))) * np.linalg.norm(g), max_cg)
        t, _, _ = _wolfe_line_search(value_and_grad, x, f, g, p, 1.0, 30)
        if t == 0.0:
            return x, it, False
        x = x + t * p
    _, g = value_and_grad(x)
    return x, max_iter, np.max(np.abs(g)) <= tol


def _conjugate_gradient(hessp, b, tolerance, max_steps):
    """An approximate solution of H p = b by CG, started at 0; b itself if H shows no positive curvature."""
    p, r = np.zeros_like(b), b.copy()
    d, rr = r.copy(), r @ r
    for _ in range(max_steps):
        Hd = hessp(d)
        curvature = d @ Hd
        if curvature <= 1e-12 * (d @ d):
            return p if p.any() else b
        step = rr / curvature
        p += step * d
        r -= step * Hd
        rr_new = r @ r
        if np.sqrt(rr_new) <= tolerance:
            break
        d = r + (rr_new / rr) * d
        rr = rr_new
    return p


def fista(value_and_grad, prox, x0, *, max_iter=100, tol=1e-4):
    """Minimize f(x) + h(x), f smooth and h with a cheap proximal map, by FISTA.

    Beck & Teboulle (2009), with backtracking on the Lipschitz constant L and the
    gradient-based adaptive restart of O'Donoghue & Candès (2015).

    Parameters
    ----------
    value_and_grad : callable, x (p,) -> (f(x), ∇f(x))
    prox : callable, (v (p,), step) -> argmin_x h(x) + ‖x - v‖² / (2 step)
    tol : float
        Stop when the gradient mapping L (y - x⁺) is at most `tol` in every coordinate (it
        is the gradient where h is zero, and 0 exactly at a minimizer).

    Returns
    -------
    x : ndarray (p,), n_iter : int, converged : bool
    """
    x = y = x0.copy()
    momentum, L = 1.0, 1.0
    for it in range(1, max_iter + 1):
        f_y, g_y = value_and_grad(y)
        while True:  # backtrack until the quadratic model at y majorizes f at the step
            x_new = prox(y - g_y / L, 1.0 / L)
            step = x_new - y
            f_new, _ = value_and_grad(x_new)
            if f_new <= f_y + g_y @ step + 0.5 * L * (step @ step) + 1e-12 * abs(f_y):
                break
            L *= 2.0
        if np.max(np.abs(L * step)) <= tol:
            return x_new, it, True
        if step @ (x_new - x) > 0:  # momentum points uphill: restart it
            momentum = 1.0
        next_momentum = 0.5 * (1 + np.sqrt(1 + 4 * momentum ** 2))
        y = x_new + ((momentum - 1) / next_momentum) * (x_new - x)
        x, momentum = x_new, next_momentum
        L *= 0.9  # let the step grow again where the curvature is smaller
    return x, max_iter, False


def soft_threshold(v, threshold):
    """The proximal map of threshold · ‖v‖₁: shrink each coordinate toward 0 by `threshold`."""
    return np.sign(v) * np.maximum(np.abs(v) - threshold, 0.0)


# ------------------------------------------------------------------ shared by the linear classifiers

def class_weight_per_sample(class_weight, classes, codes):
    """Each sample's class weight (n_samples,), from None, 'balanced' or a {label: weight} dict.

    'balanced' weighs class k by n_samples / (n_classes · n_k), as scikit-learn does.
    """
    if class_weight is None:
        return np.ones(len(codes))
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be 'balanced', a dict or None, got {class_weight!r}")
        counts = np.bincount(codes, minlength=len(classes))
        per_class = len(codes) / (len(classes) * np.maximum(counts, 1))
    else:
        unknown = set(class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(f"class_weight: labels {sorted(unknown, key=str)} are not in classes_ "
                             f"{classes.tolist()}")
        per_class = np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])
    return per_class[codes]


def check_choice(who, name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{who}: {name} must be one of {allowed}, got {value!r}")


def check_positive(who, **values):
    for name, value in values.items():
        if not (isinstance(value, (int, float, np.number)) and value > 0):
            raise ValueError(f"{who}: {name} must be a positive number, got {value!r}")


class LinearClassifierMixin(ClassifierMixin):
    """predict / decision_function for a fitted `coef_` (k, d) and `intercept_` (k,)."""

    def decision_function(self, X):
        """Scores (n_samples,) for two classes (positive means classes_[1]), else (n_samples, n_classes)."""
        check_is_fitted(self, "coef_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]


# ------------------------------------------------------------------ the estimator

class LogisticRegression(LinearClassifierMixin, BaseEstimator):
    """Logistic regression (binary, or multinomial for more than two classes), as scikit-learn's.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet', None}
        The penalty on the coefficients (never on the intercept).
    C : float
        Inverse regularization strength: larger C, weaker penalty.
    l1_ratio : float or None
        The L1 share ρ of the 'elasticnet' penalty, in [0, 1].
    fit_intercept : bool
    tol : float
        Stopping tolerance on the largest gradient coordinate of the mean objective.
    max_iter : int
    solver : {'lbfgs', 'newton-cg', 'saga'}
        'lbfgs' or 'newton-cg' (Hessian-vector products from descent's double backward) for
        'l2' / None; 'saga' (here FISTA, a proximal gradient method) for any penalty.
    class_weight : None, 'balanced' or dict {label: weight}
    random_state : ignored
        Kept for scikit-learn's signature; both solvers are deterministic.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    coef_ : ndarray (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray (1,) or (n_classes,)
    n_iter_ : ndarray (1,) of int
    """

    def __init__(self, *, penalty="l2", C=1.0, l1_ratio=None, fit_intercept=True, tol=1e-4, max_iter=100,
                 solver="lbfgs", class_weight=None, random_state=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.solver = solver
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit to X (n_samples, n_features) and labels y (n_samples,); returns self."""
        rho = self._check_params()
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        check_n_features(self, X, reset=True)
        self.classes_, codes = encode_labels(y)
        if len(self.classes_) < 2:
            raise ValueError(f"This solver needs samples of at least 2 classes in the data, but the data "
                             f"contains only one class: {self.classes_[0]!r}")
        sw = check_sample_weight(sample_weight, len(X), self) * class_weight_per_sample(
            self.class_weight, self.classes_, codes)
        theta = self._solve(X, codes, sw, rho)
        self.coef_, self.intercept_ = theta[:, :X.shape[1]].copy(), theta[:, X.shape[1]:].reshape(-1)
        if not self.fit_intercept:
            self.intercept_ = np.zeros(self.coef_.shape[0])
        return self

    def _check_params(self):
        """The L1 share ρ of the penalty, after checking the hyperparameters."""
        who = type(self).__name__
        check_choice(who, "penalty", self.penalty, ("l2", "l1", "elasticnet", None))
        check_choice(who, "solver", self.solver, ("lbfgs", "newton-cg", "saga"))
        check_positive(who, C=self.C, max_iter=self.max_iter)
        if not (isinstance(self.tol, (int, float, np.number)) and self.tol >= 0):
            raise ValueError(f"{who}: tol must be >= 0, got {self.tol!r}")
        if self.penalty in ("l1", "elasticnet") and self.solver != "saga":
            raise ValueError(f"{who}: solver {self.solver!r} supports only 'l2' or None penalties, got "
                             f"{self.penalty!r}; use solver='saga'.")
        if self.penalty == "elasticnet":
            if self.l1_ratio is None or not 0 <= self.l1_ratio <= 1:
                raise ValueError(f"{who}: l1_ratio must be in [0, 1] for penalty='elasticnet', got "
                                 f"{self.l1_ratio!r}")
            return float(self.l1_ratio)
        return 1.0 if self.penalty == "l1" else 0.0

    def _solve(self, X, codes, sw, rho):
        """θ of shape (k, n_features + fit_intercept): coefficients, then the intercept column."""
        n_classes = len(self.classes_)
        k = 1 if n_classes == 2 else n_classes
        # Samples along the last axis: scores are (k, n), and reductions over the few classes
        # then run across contiguous rows, many times faster than over a short last axis.
        X1T = np.vstack([X.T, np.ones((1, len(X)))]) if self.fit_intercept else np.ascontiguousarray(X.T)
        shape = (k, X1T.shape[0])
        penalized = np.zeros(shape)
        penalized[:, :X.shape[1]] = 1.0
        strength = 0.0 if self.penalty is None else 1.0 / (self.C * sw.sum())
        loss = _logistic_loss(X1T, codes, sw / sw.sum(), k, (1 - rho) * strength, penalized)

        def value_and_grad(theta_flat):
            value, gradient = descent.value_and_grad(loss)(descent.tensor(theta_flat.reshape(shape)))
            return float(value.data), gradient.data.ravel()

        def value_grad_hessp(theta_flat):
            theta = descent.tensor(theta_flat.reshape(shape), requires_grad=True)
            with descent.enable_grad():
                value = loss(theta)
                (gradient,) = descent.autograd.grad(value, [theta], create_graph=True)

            def hessp(v):  # H v = ∇(∇f · v), reusing the gradient's graph
                (product,) = descent.autograd.grad((gradient * descent.tensor(v.reshape(shape))).sum(), [theta],
                                                   retain_graph=True)
                return product.data.ravel()
            return float(value.data), gradient.data.ravel(), hessp

        x0 = np.zeros(np.prod(shape))
        if self.solver == "lbfgs":
            theta, n_iter, converged = lbfgs(value_and_grad, x0, max_iter=self.max_iter, tol=self.tol)
        elif self.solver == "newton-cg":
            theta, n_iter, converged = newton_cg(value_grad_hessp, value_and_grad, x0, max_iter=self.max_iter,
                                                 tol=self.tol)
        else:
            l1 = rho * strength * penalized.ravel()
            theta, n_iter, converged = fista(value_and_grad, lambda v, step: soft_threshold(v, step * l1), x0,
                                             max_iter=self.max_iter, tol=self.tol)
        if not converged:
            warnings.warn(f"{type(self).__name__}: {self.solver} did not converge in max_iter={self.max_iter} "
                          "iterations; increase max_iter or scale the data.", ConvergenceWarning, stacklevel=3)
        self.n_iter_ = np.array([n_iter])
        return theta.reshape(shape)

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of classes_."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1.0 - p1, p1])
        scores = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        shifted = scores - scores.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _logistic_loss(X1T, codes, weights, k, l2, penalized):
    """The smooth part of the objective as a function of θ (a Tensor (k, p)).

    One matmul per evaluation: scores θ X1ᵀ (k, n), then the weighted mean log-loss
    (binary: softplus(-s z) with s = ±1; multinomial: softmax cross-entropy over the
    class axis 0) plus l2/2 ‖W‖².
    """
    X1T, weights, penalized = descent.tensor(X1T), descent.tensor(weights), descent.tensor(l2 * penalized)
    if k == 1:
        signs = descent.tensor(np.where(codes == 1, -1.0, 1.0)[None, :])

        def loss(theta):
            losses = descent.softplus(signs * descent.matmul(theta, X1T))  # (1, n)
            return descent.matmul(losses, weights).sum() + 0.5 * (penalized * theta * theta).sum()
    else:
        def loss(theta):
            scores = descent.matmul(theta, X1T)  # (k, n)
            losses = descent.softmax_cross_entropy(scores, codes, axis=0, reduction="none")  # (n,)
            return descent.matmul(weights, losses) + 0.5 * (penalized * theta * theta).sum()
    return loss
