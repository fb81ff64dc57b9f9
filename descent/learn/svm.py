"""Kernel support vector classification: the SVM dual solved by Sequential Minimal Optimization.

For labels y_i = ±1 the soft-margin SVM (Cortes & Vapnik 1995) has the dual

    min_α  f(α) = ½ αᵀQα − eᵀα   subject to  0 ≤ α_i ≤ C_i,  yᵀα = 0,
    Q_ij = y_i y_j K(x_i, x_j),

and decides by the sign of  Σ_i y_i α_i K(x_i, x) − ρ.  The samples with α_i > 0 are the
support vectors. Sequential Minimal Optimization (Platt 1998) changes two multipliers per
iteration, the fewest that can move while keeping yᵀα = 0, and solves that two-variable
problem in closed form. Which two is the working-set selection of Fan, Chen & Lin (2005,
"Working set selection using second order information for training SVM"), the rule of
LIBSVM (Chang & Lin 2011): with the gradient G = Qα − e and v = −y ∘ G,

    i = argmax { v_t : t ∈ I_up },      I_up  = {t : y_t = +1, α_t < C_t} ∪ {t : y_t = −1, α_t > 0}
    j = argmin { −b_ij² / a_ij : t ∈ I_low, v_t < v_i },
        I_low = {t : y_t = +1, α_t > 0} ∪ {t : y_t = −1, α_t < C_t},
        b_ij = v_i − v_j,  a_ij = K_ii + K_jj − 2 K_ij,

that is, j is the index whose step decreases f the most to second order. The iterations stop
when the maximal KKT violation  m(α) − M(α) = max_{I_up} v − min_{I_low} v  falls below tol.

More than two classes are handled one-vs-one, as LIBSVM does: one binary machine per pair
of classes, prediction by majority vote. Per-sample weights and class weights scale C_i.
"""
import warnings
from collections import OrderedDict

import numpy as np

from ._smo import BLOCK_BYTES, couple_pairwise, cross_validated_decisions, fit_platt_sigmoid, smo
from .base import (BaseEstimator, ClassifierMixin, ConvergenceWarning, _not_fitted_class, check_array,
                   check_classification_targets, check_is_fitted, check_n_features, check_random_state,
                   check_sample_weight, check_X_y, encode_labels)
from .decomposition import pairwise_kernel
from .neighbors import squared_norms

KERNELS = ("linear", "poly", "rbf", "sigmoid", "precomputed")
MIN_PROBABILITY = 1e-7  # LIBSVM's floor on the pairwise probabilities before coupling


# ---------------------------------------------------------------- kernels

class Kernel:
    """K(A, B) for rows of A (n_a, d) and B (n_b, d), giving (n_a, n_b).

    linear: ⟨a, b⟩;  poly: (γ⟨a, b⟩ + coef0)^degree;  rbf: exp(−γ‖a − b‖²);
    sigmoid: tanh(γ⟨a, b⟩ + coef0);  or a user function of (A, B).
    """

    def __init__(self, kind, gamma, degree, coef0):
        self.kind, self.gamma, self.degree, self.coef0 = kind, gamma, degree, coef0

    def __call__(self, A, B, B_norms=None):
        """B_norms : (n_b,) optional ‖b‖², which rbf needs, when the caller keeps them."""
        if callable(self.kind):
            return np.asarray(self.kind(A, B), dtype=np.float64)
        return pairwise_kernel(A, B, self.kind, self.gamma, self.degree, self.coef0, Y_sq=B_norms)

    def diagonal(self, A):
        """(n_a,) K(a, a) for each row, without forming the matrix."""
        norms = squared_norms(A)
        if self.kind == "linear":
            return norms
        if self.kind == "poly":
            return (self.gamma * norms + self.coef0) ** self.degree
        if self.kind == "sigmoid":
            return np.tanh(self.gamma * norms + self.coef0)
        return np.ones(len(A))  # rbf


class KernelColumns:
    """Columns K[:, i] of a training kernel matrix (n, n), and its diagonal.

    The whole matrix is computed once when it fits in `cache_mb` megabytes (or is given:
    a precomputed or callable kernel); otherwise columns are computed on demand and the
    most recently used ones are kept, up to `cache_mb` (LIBSVM keeps such a cache too).
    """

    def __init__(self, kernel, X, cache_mb, matrix=None):
        self.kernel, self.X, self.cache_mb = kernel, X, cache_mb
        n = len(X) if matrix is None else len(matrix)
        self.norms = squared_norms(X) if matrix is None else None  # reused by every rbf column
        if matrix is None and n * n * 8 <= cache_mb * 2 ** 20:
            matrix = self._whole_matrix()
        self.matrix = matrix
        self.diag = np.diag(matrix).copy() if matrix is not None else kernel.diagonal(X)
        self.cache = OrderedDict()
        self.capacity = max(2, int(cache_mb * 2 ** 20 // (8 * max(n, 1))))

    def _whole_matrix(self):
        """(n, n) K, computed by blocks of rows so that the temporaries stay small."""
        n = len(self.X)
        matrix = np.empty((n, n))
        block = max(1, BLOCK_BYTES // (8 * n))
        for start in range(0, n, block):
            matrix[start:start + block] = self.kernel(self.X[start:start + block], self.X, self.norms)
        return matrix

    def __call__(self, i):
        if self.matrix is not None:
            return self.matrix[i]  # K is symmetric: row i is column i, and contiguous
        column = self.cache.get(i)
        if column is None:
            column = self.kernel(self.X[i:i + 1], self.X, self.norms)[0]
            self.cache[i] = column
            if len(self.cache) > self.capacity:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(i)
        return column

    def block(self, rows, cols):
        """(len(rows), len(cols)) the entries K[rows][:, cols]."""
        if self.matrix is not None:
            return self.matrix[np.ix_(rows, cols)]
        return self.kernel(self.X[rows], self.X[cols], self.norms[cols])

    def subset(self, index):
        """The columns of the kernel matrix restricted to the samples `index` (a pair of classes)."""
        if self.matrix is not None:
            return KernelColumns(self.kernel, None, 0, matrix=self.matrix[np.ix_(index, index)])
        return KernelColumns(self.kernel, self.X[index], self.cache_mb)


# ---------------------------------------------------------------- the estimator

class SVC(ClassifierMixin, BaseEstimator):
    """C-support vector classification with a kernel, trained by SMO (as LIBSVM / scikit-learn's SVC).

    Parameters
    ----------
    C : float > 0, the penalty on margin violations (the bound on each multiplier).
    kernel : 'linear', 'poly', 'rbf', 'sigmoid', 'precomputed' or a function (A, B) -> (n_a, n_b).
    degree : int, the degree of 'poly'.
    gamma : 'scale' (1 / (n_features · X.var())), 'auto' (1 / n_features) or a float ≥ 0;
        the kernel coefficient of 'rbf', 'poly' and 'sigmoid'.
    coef0 : float, the constant term of 'poly' and 'sigmoid'.
    tol : float, stop when the maximal KKT violation m(α) − M(α) is below it.
    max_iter : int, iteration limit per binary problem, −1 for none.
    class_weight : None, 'balanced' (n_samples / (n_classes · count)) or {label: weight};
        class c's samples get C · weight[c].
    decision_function_shape : 'ovr' (n_samples, n_classes) or 'ovo' (n_samples, n_pairs).
    break_ties : bool, predict the argmax of the 'ovr' decision function instead of the vote.
    random_state : None, int or Generator: the shuffle of the folds that probability=True
        cross-validates on.
    cache_size : float, megabytes for kernel columns.
    shrinking : bool, set aside multipliers stuck at a bound (LIBSVM's heuristic; faster on large n).
    probability : bool, fit Platt's sigmoid (Platt 1999) to 5-fold cross-validated decision
        values of each machine, for predict_proba (five more fits per machine).

    Attributes
    ----------
    classes_ : (n_classes,) labels.  support_ : (n_SV,) training indices of the support vectors,
    grouped by class.  support_vectors_ : (n_SV, n_features).  n_support_ : (n_classes,) per class.
    dual_coef_ : (n_classes − 1, n_SV) y_i α_i of each support vector in the machines of its class
    (LIBSVM's layout).  intercept_ : (n_pairs,) −ρ of each machine.  coef_ : (n_pairs, n_features)
    for the linear kernel only.  fit_status_ : 0, or 1 if max_iter stopped a solver.
    n_iter_ : (n_pairs,) SMO iterations.  class_weight_ : (n_classes,).
    probA_, probB_ : (n_pairs,) each machine's sigmoid, P(first class) = 1 / (1 + exp(A f + B))
    (empty without probability).

    For two classes, as in scikit-learn, dual_coef_ and intercept_ are negated so that a
    positive decision means classes_[1].
    """

    def __init__(self, *, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0, shrinking=True,
                 probability=False, tol=1e-3, cache_size=200, class_weight=None, max_iter=-1,
                 decision_function_shape="ovr", break_ties=False, random_state=None):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.shrinking = shrinking
        self.probability = probability
        self.tol = tol
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties
        self.random_state = random_state

    # ------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None):
        """Train one binary SVM per pair of classes.

        X : (n_samples, n_features), or (n_samples, n_samples) for kernel='precomputed';
        y : (n_samples,) labels;  sample_weight : (n_samples,) scales each sample's C.
        """
        self._check_params()
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        if self.kernel == "precomputed" and X.shape[0] != X.shape[1]:
            raise ValueError(f"SVC.fit: a precomputed kernel must be a square matrix (n_samples, n_samples); "
                             f"got shape {X.shape}.")
        check_n_features(self, X, reset=True)
        weight = check_sample_weight(sample_weight, len(X), self)
        self.classes_, codes = encode_labels(y)
        if len(self.classes_) < 2:
            raise ValueError(f"The number of classes has to be greater than one; got {len(self.classes_)} class")
        self.class_weight_ = self._class_weights(codes)
        self._gamma = self._resolve_gamma(X)
        self._kernel = Kernel(self.kernel, self._gamma, self.degree, self.coef0)

        # A zero weight removes the sample, as in scikit-learn (whose support_ then indexes
        # the remaining samples; here it indexes X).
        kept = np.flatnonzero(weight > 0)
        present = np.unique(codes[kept])
        if len(present) < len(self.classes_):
            missing = np.setdiff1d(np.arange(len(self.classes_)), present)
            raise ValueError(f"SVC.fit: class {self.classes_[missing[0]].tolist()!r} has no sample with positive "
                             f"weight; every class needs one (got {len(present)} class(es) with weight).")
        # LIBSVM's order: samples grouped by class, in class order, stable within a class.
        order = kept[np.argsort(codes[kept], kind="stable")]
        C = self.C * self.class_weight_[codes[order]] * weight[order]
        self._fit_one_vs_one(X, codes, order, C)
        return self

    def _check_params(self):
        if not (isinstance(self.C, (int, float, np.number)) and self.C > 0):
            raise ValueError(f"SVC: C must be a float > 0; got {self.C!r}.")
        if not (callable(self.kernel) or self.kernel in KERNELS):
            raise ValueError(f"SVC: kernel must be one of {KERNELS} or a callable; got {self.kernel!r}.")
        if isinstance(self.gamma, str):
            if self.gamma not in ("scale", "auto"):
                raise ValueError(f"SVC: gamma must be 'scale', 'auto' or a float >= 0; got {self.gamma!r}.")
        elif not (isinstance(self.gamma, (int, float, np.number)) and self.gamma >= 0):
            raise ValueError(f"SVC: gamma must be 'scale', 'auto' or a float >= 0; got {self.gamma!r}.")
        if not (isinstance(self.degree, (int, np.integer)) and self.degree >= 0):
            raise ValueError(f"SVC: degree must be an int >= 0; got {self.degree!r}.")
        if not (isinstance(self.tol, (int, float, np.number)) and self.tol > 0):
            raise ValueError(f"SVC: tol must be a float > 0; got {self.tol!r}.")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= -1):
            raise ValueError(f"SVC: max_iter must be an int >= -1 (-1: no limit); got {self.max_iter!r}.")
        if self.decision_function_shape not in ("ovr", "ovo"):
            raise ValueError(f"SVC: decision_function_shape must be 'ovr' or 'ovo'; "
                             f"got {self.decision_function_shape!r}.")

    def _class_weights(self, codes):
        """(n_classes,) the weight of each class from class_weight."""
        n_classes = len(self.classes_)
        if self.class_weight is None:
            return np.ones(n_classes)
        if isinstance(self.class_weight, str):
            if self.class_weight != "balanced":
                raise ValueError(f"SVC: class_weight must be None, 'balanced' or a dict; "
                                 f"got {self.class_weight!r}.")
            return len(codes) / (n_classes * np.bincount(codes, minlength=n_classes))
        if not isinstance(self.class_weight, dict):
            raise ValueError(f"SVC: class_weight must be None, 'balanced' or a dict; got {self.class_weight!r}.")
        unknown = [label for label in self.class_weight if label not in set(self.classes_.tolist())]
        if unknown:
            raise ValueError(f"SVC: the classes, {unknown}, are not in class_weight's target classes "
                             f"{self.classes_.tolist()}.")
        position = {label: k for k, label in enumerate(self.classes_.tolist())}
        weights = np.ones(n_classes)
        for label, w in self.class_weight.items():
            weights[position[label]] = w
        return weights

    def _resolve_gamma(self, X):
        if self.gamma == "scale":
            variance = X.var()
            return 1.0 / (X.shape[1] * variance) if variance != 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        return float(self.gamma)

    def _fit_one_vs_one(self, X, codes, order, C):
        """Solve the binary problem of each pair of classes (a, b), a < b, y = +1 for a.

        X : (n, d);  codes : (n,) class indices;  order : (m,) the kept samples grouped
        by class;  C : (m,) their bounds. Sets the fitted attributes in LIBSVM's layout.
        """
        n_classes = len(self.classes_)
        grouped = codes[order]
        starts = np.searchsorted(grouped, np.arange(n_classes + 1))
        if self.kernel == "precomputed":
            columns = KernelColumns(None, None, 0, matrix=X[np.ix_(order, order)])
        elif callable(self.kernel):
            columns = KernelColumns(None, None, 0, matrix=self._kernel(X[order], X[order]))
        else:
            columns = KernelColumns(self._kernel, X[order], self.cache_size)
        pairs = [(a, b) for a in range(n_classes) for b in range(a + 1, n_classes)]
        coef = np.zeros((len(pairs), len(order)))  # y_i α_i of each machine, over grouped samples
        rho, self.n_iter_ = np.zeros(len(pairs)), np.zeros(len(pairs), dtype=np.int64)
        platt = np.zeros((2, len(pairs)))
        rng = check_random_state(self.random_state)
        stopped = False
        for p, (a, b) in enumerate(pairs):
            index = np.r_[starts[a]:starts[a + 1], starts[b]:starts[b + 1]]
            y = np.where(grouped[index] == a, 1.0, -1.0)
            sub = columns if len(pairs) == 1 else columns.subset(index)
            alpha, rho[p], self.n_iter_[p], converged = smo(sub, y, C[index], self.tol, self.max_iter,
                                                             self.shrinking)
            coef[p, index] = y * alpha
            stopped |= not converged
            if self.probability:
                decision = cross_validated_decisions(sub, y, C[index], self.tol, self.max_iter, self.shrinking,
                                                     rng)
                platt[:, p] = fit_platt_sigmoid(decision, y)
        self.fit_status_ = int(stopped)
        if stopped:
            warnings.warn(f"Solver terminated early (max_iter={self.max_iter}). Consider pre-processing your "
                          "data with StandardScaler or MinMaxScaler.", ConvergenceWarning, stacklevel=3)
        self._store_support(X, order, grouped, coef, rho, pairs)
        self.probA_, self.probB_ = platt if self.probability else (np.empty(0), np.empty(0))

    def _store_support(self, X, order, grouped, coef, rho, pairs):
        """support_, dual_coef_ etc. from the per-pair coefficients (n_pairs, m) over grouped samples."""
        n_classes = len(self.classes_)
        is_support = (coef != 0).any(axis=0)
        self.support_ = order[is_support].astype(np.int32)
        sv_class = grouped[is_support]
        self.n_support_ = np.bincount(sv_class, minlength=n_classes).astype(np.int32)
        self.support_vectors_ = (np.empty((0, 0)) if self.kernel == "precomputed" else X[self.support_])
        coef = coef[:, is_support]
        # LIBSVM's layout: a support vector of class c keeps its coefficient in the machine
        # (c, other) in row other − 1 if other > c, else in row other.
        dual = np.zeros((n_classes - 1, len(self.support_)))
        for p, (a, b) in enumerate(pairs):
            in_a, in_b = sv_class == a, sv_class == b
            dual[b - 1, in_a] = coef[p, in_a]
            dual[a, in_b] = coef[p, in_b]
        self._dual_coef_, self._intercept_ = dual, -rho
        self._pairs = pairs
        sign = -1.0 if n_classes == 2 else 1.0  # scikit-learn: positive means classes_[1]
        self.dual_coef_, self.intercept_ = sign * dual, sign * -rho
        self.shape_fit_ = X.shape

    # ------------------------------------------------------------ predict

    @property
    def coef_(self):
        """(n_pairs, n_features) the weights of each linear machine: dual_coef_ · support_vectors_."""
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when using a linear kernel")
        check_is_fitted(self, "support_")
        if len(self.classes_) == 2:
            return self.dual_coef_ @ self.support_vectors_
        of_class = self._support_slices()
        weights = np.zeros((len(self._pairs), self.support_vectors_.shape[1]))
        for p, (a, b) in enumerate(self._pairs):
            in_a, in_b = of_class[a], of_class[b]
            weights[p] = (self._dual_coef_[b - 1, in_a] @ self.support_vectors_[in_a]
                          + self._dual_coef_[a, in_b] @ self.support_vectors_[in_b])
        return weights

    def _support_slices(self):
        """The support vectors of each class: a slice, since they are grouped by class."""
        ends = np.cumsum(self.n_support_)
        return [slice(end - count, end) for end, count in zip(ends, self.n_support_)]

    @property
    def predict_proba(self):
        """(n_samples, n_classes) class probabilities: Platt's sigmoid on each machine's decision,
        coupled across pairs (Wu, Lin & Weng 2004). Only with probability=True, as in scikit-learn;
        they come from a cross-validation inside fit and need not agree with predict."""
        if not self.probability:
            raise AttributeError("predict_proba is not available when probability=False")
        return self._predict_proba

    @property
    def predict_log_proba(self):
        """(n_samples, n_classes) the logarithm of predict_proba (probability=True only)."""
        if not self.probability:
            raise AttributeError("predict_log_proba is not available when probability=False")
        return self._predict_log_proba

    def _predict_proba(self, X):
        X = self._validate_X(X)
        if self.probA_.size == 0:
            raise _not_fitted_class()("predict_proba is not available when fitted with probability=False")
        decision = self._ovo_decision(X)  # (n, n_pairs), positive for the pair's first class
        r = 1.0 / (1.0 + np.exp(np.clip(decision * self.probA_ + self.probB_, -700, 700)))
        r = np.clip(r, MIN_PROBABILITY, 1 - MIN_PROBABILITY)
        if len(self.classes_) == 2:
            return np.column_stack([r[:, 0], 1 - r[:, 0]])
        pairwise = np.zeros((len(X), len(self.classes_), len(self.classes_)))
        for p, (a, b) in enumerate(self._pairs):
            pairwise[:, a, b], pairwise[:, b, a] = r[:, p], 1 - r[:, p]
        return couple_pairwise(pairwise)

    def _predict_log_proba(self, X):
        return np.log(self._predict_proba(X))

    def _validate_X(self, X):
        check_is_fitted(self, "support_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return X

    def _ovo_decision(self, X):
        """(n_samples, n_pairs) Σ y_i α_i K(x_i, x) − ρ of each machine (LIBSVM's sign: + for class a)."""
        of_class = self._support_slices()
        n_sv = max(len(self.support_), 1)
        block = max(1, BLOCK_BYTES // (8 * n_sv))
        decision = np.empty((len(X), len(self._pairs)))
        for start in range(0, len(X), block):  # blocks bound the memory of the test kernel
            rows = X[start:start + block]
            K = (rows[:, self.support_] if self.kernel == "precomputed"
                 else self._kernel(rows, self.support_vectors_))  # (block, n_SV)
            for p, (a, b) in enumerate(self._pairs):
                in_a, in_b = of_class[a], of_class[b]
                decision[start:start + block, p] = (K[:, in_a] @ self._dual_coef_[b - 1, in_a]
                                                    + K[:, in_b] @ self._dual_coef_[a, in_b]
                                                    + self._intercept_[p])
        return decision

    def _votes(self, decision):
        """(n_samples, n_classes) one-vs-one votes: machine (a, b) votes a when its decision is > 0."""
        votes = np.zeros((len(decision), len(self.classes_)))
        for p, (a, b) in enumerate(self._pairs):
            wins = decision[:, p] > 0
            votes[:, a] += wins
            votes[:, b] += ~wins
        return votes

    def _ovr_from_ovo(self, decision):
        """(n_samples, n_classes) votes plus confidences squashed into (−1/3, 1/3).

        Each class sums the decision values of its machines (signed toward it); the sum s
        enters as s / (3 (|s| + 1)), which only breaks ties between equal vote counts.
        """
        confidence = np.zeros((len(decision), len(self.classes_)))
        votes = np.zeros_like(confidence)
        for p, (a, b) in enumerate(self._pairs):
            confidence[:, a] += decision[:, p]
            confidence[:, b] -= decision[:, p]
            wins = decision[:, p] >= 0  # scikit-learn's convention for this transform
            votes[:, a] += wins
            votes[:, b] += ~wins
        return votes + confidence / (3 * (np.abs(confidence) + 1))

    def decision_function(self, X):
        """Decision values: (n_samples,) for two classes (positive means classes_[1]);
        otherwise (n_samples, n_classes) for 'ovr' or (n_samples, n_pairs) for 'ovo'."""
        X = self._validate_X(X)
        decision = self._ovo_decision(X)
        if len(self.classes_) == 2:
            return -decision[:, 0]
        if self.decision_function_shape == "ovr":
            return self._ovr_from_ovo(decision)
        return decision

    def predict(self, X):
        """(n_samples,) the class with most one-vs-one votes (the first of tied classes)."""
        if self.break_ties and self.decision_function_shape == "ovo":
            raise ValueError("SVC.predict: break_ties must be False when decision_function_shape is 'ovo'.")
        X = self._validate_X(X)
        decision = self._ovo_decision(X)
        if self.break_ties and len(self.classes_) > 2:
            return self.classes_[np.argmax(self._ovr_from_ovo(decision), axis=1)]
        return self.classes_[np.argmax(self._votes(decision), axis=1)]

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags
