"""Linear models fitted by stochastic gradient descent, and a linear SVM, with scikit-learn's API.

SGDClassifier, SGDRegressor and Perceptron minimize

    (1/n) Σ_i s_i ℓ(y_i, x_i·w + b) + alpha · [ (1 - ρ)/2 ‖w‖² + ρ ‖w‖₁ ]

by stochastic gradient descent (Robbins & Monro, 1951; Bottou, 2010, "Large-scale machine
learning with stochastic gradient descent"), with scikit-learn's learning-rate schedules.
scikit-learn updates after every sample; here the samples come in small shuffled
mini-batches (no per-sample Python loop), and a batch of B samples starting at sample
count t takes one step along its mean gradient with step size Σ_{j=t}^{t+B-1} η_j, the
sum of the rates the B per-sample steps would have used. The L2 part shrinks w by
Π_j (1 - η_j alpha (1 - ρ)), and the L1 part is applied by the cumulative penalty of
Tsuruoka et al. (2009), as scikit-learn does.
The gradient of the batch loss comes from descent's autodiff and the step from descent.optim.SGD.

Multiclass classification is one-versus-rest, with the K binary problems trained side by
side as the K columns of one weight matrix.

LinearSVC minimizes the primal C Σ_i ℓ(y_i, x_i·w + b) + ½ (‖w‖² + b²) (liblinear's
objective, whose intercept is penalized) with the L-BFGS of descent.learn.logistic.
"""
import warnings

import numpy as np

import descent
from descent import optim
from descent.learn.base import (BaseEstimator, RegressorMixin, check_array, check_classification_targets,
                                check_is_fitted, check_n_features, check_sample_weight, check_X_y,
                                encode_labels)
from descent.learn.linear_model import ConvergenceWarning
from descent.learn.logistic import LinearClassifierMixin, check_choice, class_weight_per_sample, lbfgs
from descent.learn.neural_network import descent_generator, holdout_split


# ------------------------------------------------------------------ losses on Tensors
# Each takes scores z (Tensor (n, k)) and targets y (array (n, k); ±1 for classifiers) and gives
# per-sample losses (n, k). Masks are read from z's values; at a kink the loss is active, as
# scikit-learn's subgradients are (so a perceptron starting from w = 0 moves).

def _hinge(z, y, threshold=1.0):
    margin = threshold - y * z
    return descent.where(margin.data >= 0, margin, 0.0)


def _squared_hinge(z, y, epsilon):
    margin = 1.0 - y * z
    return descent.where(margin.data >= 0, margin * margin, 0.0)


def _modified_huber(z, y, epsilon):
    m = y * z
    quadratic = (1.0 - m) * (1.0 - m)
    return descent.where(m.data >= 1, 0.0, descent.where(m.data >= -1, quadratic, -4.0 * m))


def _huber(z, y, epsilon):
    r = z - y
    small = np.abs(r.data) <= epsilon
    return descent.where(small, 0.5 * r * r, epsilon * descent.abs(r) - 0.5 * epsilon ** 2)


def _epsilon_insensitive(z, y, epsilon):
    excess = descent.abs(z - y) - epsilon
    return descent.where(excess.data > 0, excess, 0.0)


def _squared_epsilon_insensitive(z, y, epsilon):
    excess = descent.abs(z - y) - epsilon
    return descent.where(excess.data > 0, excess * excess, 0.0)


LOSSES = {
    "hinge": lambda z, y, eps: _hinge(z, y),
    "perceptron": lambda z, y, eps: _hinge(z, y, threshold=0.0),
    "log_loss": lambda z, y, eps: descent.softplus(-y * z),
    "modified_huber": _modified_huber,
    "squared_hinge": _squared_hinge,
    "squared_error": lambda z, y, eps: 0.5 * (z - y) * (z - y),
    "huber": _huber,
    "epsilon_insensitive": _epsilon_insensitive,
    "squared_epsilon_insensitive": _squared_epsilon_insensitive,
}
CLASSIFICATION_LOSSES = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron",
                         "squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")


# ------------------------------------------------------------------ the SGD loop

class BaseSGD(BaseEstimator):
    """Parameters and training loop shared by SGDClassifier, SGDRegressor and Perceptron.

    Parameters
    ----------
    loss : str
    penalty : {'l2', 'l1', 'elasticnet', None}
    alpha : float
        Regularization strength (also sets the 'optimal' learning rate).
    l1_ratio : float
        The L1 share ρ of the 'elasticnet' penalty.
    fit_intercept : bool
    max_iter : int
        Most epochs.
    tol : float or None
        Stop when the epoch's mean loss (or validation score) has not improved by tol for
        n_iter_no_change epochs; None runs all max_iter epochs.
    shuffle : bool
    epsilon : float
        Width of the 'huber' and epsilon-insensitive losses.
    random_state : None, int or NumPy Generator
    learning_rate : {'optimal', 'constant', 'invscaling', 'adaptive'}
        η_t = 1 / (alpha (t0 + t - 1)) (Bottou's 'optimal', t0 from his heuristic), eta0,
        eta0 / t^power_t, or eta0 divided by 5 each time progress stalls.
    eta0, power_t : float
    early_stopping : bool
        Hold out validation_fraction of the data and stop on its score.
    validation_fraction : float
    n_iter_no_change : int
    class_weight : None, 'balanced' or dict (classifiers)
    batch_size : int or 'auto'
        Samples per step (descent's addition; scikit-learn steps on single samples). 'auto'
        is n_samples // 200 clipped to [1, 32]: single-sample steps on small data, where
        a handful of steps per epoch would slow convergence, and batches of 32 on large data.
    """

    def _check_sgd_params(self, losses):
        who = type(self).__name__
        check_choice(who, "loss", self.loss, losses)
        check_choice(who, "penalty", self.penalty, ("l2", "l1", "elasticnet", None))
        check_choice(who, "learning_rate", self.learning_rate, ("optimal", "constant", "invscaling", "adaptive"))
        if self.alpha < 0 or not 0 <= self.l1_ratio <= 1:
            raise ValueError(f"{who}: alpha must be >= 0 and l1_ratio in [0, 1], got {self.alpha!r}, "
                             f"{self.l1_ratio!r}")
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError(f"{who}: alpha must be > 0 with learning_rate='optimal' (η = 1 / (alpha · t)).")
        if self.learning_rate != "optimal" and not self.eta0 > 0:
            raise ValueError(f"{who}: eta0 must be > 0, got {self.eta0!r}")
        names = ("max_iter", "n_iter_no_change") + (() if self.batch_size == "auto" else ("batch_size",))
        for name in names:
            if not (isinstance(getattr(self, name), (int, np.integer)) and getattr(self, name) > 0):
                raise ValueError(f"{who}: {name} must be a positive int, got {getattr(self, name)!r}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"{who}: validation_fraction must be in (0, 1), got {self.validation_fraction!r}")

    def _rates(self, t, count):
        """The per-sample learning rates η_j for samples j = t, ..., t + count - 1."""
        j = np.arange(t, t + count, dtype=np.float64)
        if self.learning_rate == "optimal":
            typical_w = np.sqrt(1.0 / np.sqrt(self.alpha))  # Bottou's heuristic for the initial rate
            t0 = 1.0 / (typical_w * self.alpha)
            return 1.0 / (self.alpha * (t0 + j - 1))
        if self.learning_rate == "invscaling":
            return self.eta0 / j ** self.power_t
        return np.full(count, self._eta)

    def _sgd(self, X, Y, sw, validation_score):
        """Fit coef_ (k, d) and intercept_ (k,) to targets Y (n, k) with per-sample weights sw (n,)."""
        generator = descent_generator(self.random_state)
        X, Y, sw, X_val, Y_val = self._split(X, Y, sw, generator)
        k = Y.shape[1]
        W = descent.tensor(np.zeros((X.shape[1], k)), requires_grad=True)
        b = descent.tensor(np.zeros(k), requires_grad=True)
        optimizer = optim.SGD([W, b] if self.fit_intercept else [W], lr=1.0)
        loss_fn, l1_ratio = LOSSES[self.loss], self._l1_ratio()
        l2, l1 = self.alpha * (1 - l1_ratio), self.alpha * l1_ratio
        # The stopping rule runs per one-vs-rest column, as scikit-learn's separate binary problems do:
        # training ends when every column has stalled.
        self._eta, t, stalled, best = float(self.eta0), 1, np.zeros(k, int), np.full(k, np.inf)
        owed_l1, received_l1 = 0.0, np.zeros_like(W.data)
        n = len(X)
        batch = int(np.clip(n // 200, 1, 32)) if self.batch_size == "auto" else min(self.batch_size, n)
        for epoch in range(1, self.max_iter + 1):
            order = generator.numpy.permutation(n) if self.shuffle else np.arange(n)
            total = np.zeros(k)
            for start in range(0, n, batch):
                rows = order[start:start + batch]
                rates = self._rates(t, len(rows))
                scores = descent.matmul(descent.tensor(X[rows]), W) + b  # (B, k)
                losses = loss_fn(scores, descent.tensor(Y[rows]), self.epsilon)
                loss = descent.matmul(descent.tensor(sw[rows] / len(rows)), losses)  # (k,)
                optimizer.zero_grad()
                loss.sum().backward()
                for group in optimizer.param_groups:
                    group["lr"] = float(rates.sum())
                self._decay(W.data, rates, l2)  # before the step, as in scikit-learn's update
                optimizer.step()
                if l1 and self.penalty is not None:
                    owed_l1 += l1 * rates.sum()
                    self._cumulative_l1(W.data, received_l1, owed_l1)
                total += loss.data * len(rows)
                t += len(rows)
            self.n_iter_, self.t_ = epoch, float(t)
            if self.tol is None:
                continue
            progress = (-validation_score(X_val @ W.data + b.data, Y_val) if self.early_stopping
                        else total / n)
            stalled = np.where(progress > best - self.tol, stalled + 1, 0)
            best = np.minimum(best, progress)
            if (stalled >= self.n_iter_no_change).all():
                if self.learning_rate == "adaptive" and self._eta > 1e-6:
                    self._eta, stalled = self._eta / 5.0, np.zeros(k, int)
                else:
                    break
        else:
            if self.tol is not None:
                warnings.warn(f"{type(self).__name__}: maximum number of iterations ({self.max_iter}) reached; "
                              "consider increasing max_iter to improve the fit.", ConvergenceWarning, stacklevel=3)
        self.coef_ = W.data.T.copy()
        self.intercept_ = b.data.copy()

    def _decay(self, W, rates, l2):
        """The L2 part of the step, in place: W ← W Π_j max(0, 1 - η_j alpha (1 - ρ))."""
        if self.penalty is not None and l2:
            W *= np.prod(np.maximum(0.0, 1.0 - rates * l2))

    @staticmethod
    def _cumulative_l1(W, q, u):
        """The L1 part of the step, in place (Tsuruoka, Tsujii & Ananiadou, 2009).

        u is the total L1 penalty a weight could have received so far (Σ η_j alpha ρ) and
        q (same shape as W) what each weight did receive; every weight is pulled toward 0 by
        what it is owed, and clipped at 0. Unlike a per-step soft-threshold this leaves exact
        zeros even though the stochastic gradient jitters the weights, as scikit-learn's SGD does.
        """
        before = W.copy()
        positive, negative = W > 0, W < 0
        W[positive] = np.maximum(0.0, W[positive] - (u + q[positive]))
        W[negative] = np.minimum(0.0, W[negative] + (u - q[negative]))
        q += W - before

    def _l1_ratio(self):
        return {"l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio, None: 0.0}[self.penalty]

    def _split(self, X, Y, sw, generator):
        if not self.early_stopping:
            return X, Y, sw, None, None
        train, val = holdout_split(len(X), self.validation_fraction, generator, type(self).__name__)
        return X[train], Y[train], sw[train], X[val], Y[val]


class SGDClassifier(LinearClassifierMixin, BaseSGD):
    """A linear classifier fitted by SGD: a linear SVM ('hinge'), logistic regression ('log_loss'), ...

    Parameters as BaseSGD's; defaults as scikit-learn's SGDClassifier.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    coef_ : ndarray (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray (1,) or (n_classes,)
    n_iter_ : int, epochs run
    """

    def __init__(self, loss="hinge", *, penalty="l2", alpha=1e-4, l1_ratio=0.15, fit_intercept=True, max_iter=1000,
                 tol=1e-3, shuffle=True, epsilon=0.1, random_state=None, learning_rate="optimal", eta0=0.01,
                 power_t=0.5, early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 class_weight=None, batch_size="auto"):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.batch_size = batch_size

    def fit(self, X, y, sample_weight=None):
        """Fit to X (n_samples, n_features) and labels y (n_samples,); returns self."""
        self._check_sgd_params(CLASSIFICATION_LOSSES)
        X, Y, sw = _one_vs_rest_problem(self, X, y, sample_weight)
        self._sgd(X, Y, sw, _ovr_accuracy)
        return self

    @property
    def predict_proba(self):
        """Probabilities (n_samples, n_classes), for 'log_loss' and 'modified_huber' only.

        'log_loss' gives sigmoid(score) per class; 'modified_huber' gives (clip(score, -1, 1) + 1) / 2.
        For more than two classes the one-vs-rest values are normalized to sum to 1. For other
        losses the attribute does not exist (as with scikit-learn's available_if).
        """
        self._check_proba()
        return self._predict_proba

    @property
    def predict_log_proba(self):
        self._check_proba()
        return lambda X: np.log(self._predict_proba(X))

    def _check_proba(self):
        if self.loss not in ("log_loss", "modified_huber"):
            raise AttributeError(f"probability estimates are not available for loss={self.loss!r}")

    def _predict_proba(self, X):
        scores = self.decision_function(X)
        scores = scores[:, None] if scores.ndim == 1 else scores
        p = (1.0 / (1.0 + np.exp(-scores)) if self.loss == "log_loss"
             else (np.clip(scores, -1, 1) + 1) / 2)
        if p.shape[1] == 1:
            return np.column_stack([1 - p[:, 0], p[:, 0]])
        total = p.sum(axis=1, keepdims=True)
        return np.where(total == 0, 1.0 / p.shape[1], p / np.where(total == 0, 1.0, total))


def _one_vs_rest_problem(estimator, X, y, sample_weight):
    """Validate a classification fit and set estimator.classes_; returns X (n, d), the
    one-vs-rest targets Y (n, k) in ±1 (k = 1 column, for the second class, when there are two
    classes) and the sample weights (n,) times estimator.class_weight's."""
    X, y = check_X_y(X, y, estimator=estimator)
    check_classification_targets(y)
    check_n_features(estimator, X, reset=True)
    estimator.classes_, codes = encode_labels(y)
    if len(estimator.classes_) < 2:
        raise ValueError(f"The number of classes has to be greater than one; got 1 class: "
                         f"{estimator.classes_[0]!r}")
    sw = check_sample_weight(sample_weight, len(X), estimator) * class_weight_per_sample(
        estimator.class_weight, estimator.classes_, codes)
    columns = [1] if len(estimator.classes_) == 2 else range(len(estimator.classes_))
    Y = np.where(codes[:, None] == np.array(columns)[None, :], 1.0, -1.0)
    return X, Y, sw


def _ovr_accuracy(scores, Y):
    """Each one-vs-rest column's binary accuracy (k,), scores (n, k) against ±1 targets (n, k)."""
    return np.mean((scores > 0) == (Y > 0), axis=0)


class Perceptron(SGDClassifier):
    """Rosenblatt's perceptron (1958): SGD on the perceptron loss max(0, -y z), eta0 = 1, no penalty."""

    # Fixed for the perceptron, so not parameters of __init__.
    loss, learning_rate, epsilon, power_t = "perceptron", "constant", 0.1, 0.5

    def __init__(self, *, penalty=None, alpha=1e-4, l1_ratio=0.15, fit_intercept=True, max_iter=1000, tol=1e-3,
                 shuffle=True, eta0=1.0, random_state=0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, batch_size="auto"):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.eta0 = eta0
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.batch_size = batch_size


class SGDRegressor(RegressorMixin, BaseSGD):
    """A linear regressor fitted by SGD on 'squared_error', 'huber' or the epsilon-insensitive losses.

    Attributes
    ----------
    coef_ : ndarray (n_features,)
    intercept_ : ndarray (1,)
    n_iter_ : int
    """

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=1e-4, l1_ratio=0.15, fit_intercept=True,
                 max_iter=1000, tol=1e-3, shuffle=True, epsilon=0.1, random_state=None,
                 learning_rate="invscaling", eta0=0.01, power_t=0.25, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, batch_size="auto"):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.batch_size = batch_size

    def fit(self, X, y, sample_weight=None):
        self._check_sgd_params(REGRESSION_LOSSES)
        X, y = check_X_y(X, y, y_numeric=True, estimator=self)
        check_n_features(self, X, reset=True)
        sw = check_sample_weight(sample_weight, len(X), self)
        self._sgd(X, y[:, None], sw, _r2)
        self.coef_ = self.coef_[0]
        return self

    def predict(self, X):
        check_is_fitted(self, "coef_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X @ self.coef_ + self.intercept_[0]


def _r2(prediction, Y):
    """R² of predictions (n, 1) against targets (n, 1), as a (1,) array."""
    residual = ((Y - prediction) ** 2).sum(axis=0)
    total = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    return np.where(total > 0, 1 - residual / np.where(total > 0, total, 1.0), 0.0)


# ------------------------------------------------------------------ linear SVM

class LinearSVC(LinearClassifierMixin, BaseEstimator):
    """A linear support vector classifier, one-vs-rest, solved in the primal by L-BFGS.

    Minimizes C Σ_i s_i ℓ(y_i z_i) + ½ (‖w‖² + b²) per class (liblinear's objective, with its
    intercept penalized like a weight on a constant feature of value intercept_scaling).
    'squared_hinge' ℓ(m) = max(0, 1 - m)² is smooth enough for L-BFGS; 'hinge' is replaced by
    its quadratically smoothed version (Huber-ized hinge with a width of 0.01), whose minimizer
    is within that width of the hinge's.

    Parameters
    ----------
    penalty : 'l2'
    loss : {'squared_hinge', 'hinge'}
    tol : float
    C : float
    fit_intercept : bool
    intercept_scaling : float
    class_weight : None, 'balanced' or dict
    random_state : ignored (the solver is deterministic)
    max_iter : int
    """

    def __init__(self, penalty="l2", loss="squared_hinge", *, tol=1e-4, C=1.0, fit_intercept=True,
                 intercept_scaling=1.0, class_weight=None, random_state=None, max_iter=1000):
        self.penalty = penalty
        self.loss = loss
        self.tol = tol
        self.C = C
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        who = type(self).__name__
        check_choice(who, "penalty", self.penalty, ("l2",))
        check_choice(who, "loss", self.loss, ("squared_hinge", "hinge"))
        if not self.C > 0:
            raise ValueError(f"{who}: C must be > 0, got {self.C!r}")
        X, Y, sw = _one_vs_rest_problem(self, X, y, sample_weight)
        X1 = np.hstack([X, np.full((len(X), 1), float(self.intercept_scaling))]) if self.fit_intercept else X
        theta, self.n_iter_ = self._solve(X1, Y, sw)
        self.coef_ = theta[:X.shape[1]].T.copy()
        self.intercept_ = (theta[X.shape[1]] * self.intercept_scaling if self.fit_intercept
                           else np.zeros(Y.shape[1]))
        return self

    def _solve(self, X1, Y, sw):
        shape = (X1.shape[1], Y.shape[1])
        scale = 1.0 / (self.C * len(X1))  # divide by C n so that tol reads like LogisticRegression's
        X1t, Yt, weights = descent.tensor(X1), descent.tensor(Y), descent.tensor(sw * self.C * scale)
        smoothing = 0.01

        def objective(theta):
            margin = 1.0 - Yt * descent.matmul(X1t, theta)  # (n, k)
            if self.loss == "squared_hinge":
                losses = descent.where(margin.data > 0, margin * margin, 0.0)
            else:  # smoothed hinge: quadratic on [0, smoothing], linear beyond
                quadratic = margin * margin / (2 * smoothing)
                losses = descent.where(margin.data > smoothing, margin - smoothing / 2,
                                       descent.where(margin.data > 0, quadratic, 0.0))
            return descent.matmul(weights, losses).sum() + 0.5 * scale * (theta * theta).sum()

        def value_and_grad(flat):
            value, gradient = descent.value_and_grad(objective)(descent.tensor(flat.reshape(shape)))
            return float(value.data), gradient.data.ravel()

        theta, n_iter, converged = lbfgs(value_and_grad, np.zeros(np.prod(shape)), max_iter=self.max_iter,
                                         tol=self.tol * scale)
        if not converged:
            warnings.warn(f"{type(self).__name__}: L-BFGS did not converge in max_iter={self.max_iter} iterations.",
                          ConvergenceWarning, stacklevel=3)
        return theta.reshape(shape), n_iter
