"""Scores of predictions against truth, with scikit-learn's names and signatures.

Classification: accuracy, precision / recall / F-beta (per class and averaged),
the confusion matrix, ROC AUC and log loss. Regression: R², mean squared and
mean absolute error. Clustering: the silhouette coefficient and the adjusted Rand
index. Every function is vectorized over samples; loops run only over classes,
outputs or blocks of samples.

`get_scorer(name)` turns a scoring name such as "accuracy" or
"neg_mean_squared_error" into a callable `scorer(estimator, X, y)`, as model
selection needs.
"""
import warnings

import numpy as np


class UndefinedMetricWarning(UserWarning):
    """A metric divided by zero and was set to `zero_division`."""


# --------------------------------------------------------------------------- helpers

def _check_targets(y_true, y_pred, name):
    """Two 1-D label arrays of one length (a column vector counts as 1-D)."""
    y_true, y_pred = _as_1d(y_true, "y_true", name), _as_1d(y_pred, "y_pred", name)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{name}: found input variables with inconsistent numbers of samples: "
                         f"[{len(y_true)}, {len(y_pred)}]")
    return y_true, y_pred


def _as_1d(y, what, name):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name}: {what} should be a 1d array, got an array of shape {y.shape} "
                         "instead.")
    return y


def _check_weights(sample_weight, n, name):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=float).reshape(-1)
    if len(w) != n:
        raise ValueError(f"{name}: sample_weight has {len(w)} entries but there are {n} samples.")
    return w


def _is_continuous(y):
    return y.dtype.kind == "f" and np.any(y != np.round(y))


def _class_labels(y_true, y_pred, name):
    """Sorted union of the labels; rejects continuous targets, as scikit-learn does."""
    if _is_continuous(y_true) or _is_continuous(y_pred):
        raise ValueError(f"{name}: classification metrics can't handle continuous targets; "
                         "got a float array with non-integer values.")
    if y_true.dtype.kind in "OUS" or y_pred.dtype.kind in "OUS":
        try:
            return np.unique(np.concatenate([y_true, y_pred]))
        except TypeError as e:
            raise ValueError(f"{name}: mix of label input types (string and number): {e}") from e
    return np.unique(np.concatenate([y_true, y_pred]))


def _divide(numerator, denominator, zero_division, what, why):
    """numerator / denominator, with `zero_division` where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    zero = denominator == 0
    result = numerator / np.where(zero, 1.0, denominator)
    if np.any(zero):
        if isinstance(zero_division, str):
            if zero_division != "warn":
                raise ValueError(f"zero_division must be 'warn', 0.0, 1.0 or np.nan; got "
                                 f"{zero_division!r}")
            warnings.warn(f"{what} is ill-defined and being set to 0.0 {why}. Use `zero_division` "
                          "parameter to control this behavior.", UndefinedMetricWarning,
                          stacklevel=3)
            fill = 0.0
        else:
            fill = float(zero_division)
        result = np.where(zero, fill, result)
    return result


# --------------------------------------------------------------------------- classification

def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Fraction (or, with `normalize=False`, weighted count) of exact matches.

    y_true, y_pred: (n_samples,) labels of any comparable type.
    """
    y_true, y_pred = _check_targets(y_true, y_pred, "accuracy_score")
    _class_labels(y_true, y_pred, "accuracy_score")
    correct = (y_true == y_pred).astype(float)
    w = _check_weights(sample_weight, len(correct), "accuracy_score")
    if not normalize:
        return float(correct.sum() if w is None else correct @ w)
    return float(np.average(correct, weights=w))


def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None):
    """C[i, j] = (weighted) number of samples of true class i predicted as class j.

    Classes are `labels` in the given order, or the sorted union of both arrays.
    Samples whose labels are not among `labels` are ignored. `normalize` divides
    by row sums ('true'), column sums ('pred') or the total ('all'); 0/0 gives 0.
    Returns (n_classes, n_classes).
    """
    y_true, y_pred = _check_targets(y_true, y_pred, "confusion_matrix")
    present = _class_labels(y_true, y_pred, "confusion_matrix")
    labels = present if labels is None else np.asarray(labels)
    if labels.size == 0:
        raise ValueError("confusion_matrix: 'labels' should contain at least one label.")
    if not np.isin(labels, y_true).any():
        raise ValueError("confusion_matrix: at least one label specified must be in y_true.")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"confusion_matrix: normalize must be one of {{'true', 'pred', 'all', "
                         f"None}}; got {normalize!r}")
    w = _check_weights(sample_weight, len(y_true), "confusion_matrix")
    t, p, keep = _codes_in(labels, y_true, y_pred)
    k = len(labels)
    weights = None if w is None else w[keep]
    counts = np.bincount(t * k + p, weights=weights, minlength=k * k).reshape(k, k)
    if w is None and normalize is None:
        return counts.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            counts = counts / counts.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            counts = counts / counts.sum(axis=0, keepdims=True)
        elif normalize == "all":
            counts = counts / counts.sum()
    return np.nan_to_num(counts)


def _codes_in(labels, y_true, y_pred):
    """Indices of each label in `labels`, keeping only samples whose both labels are listed."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    def code(y):
        pos = np.clip(np.searchsorted(sorted_labels, y), 0, len(labels) - 1)
        return order[pos], sorted_labels[pos] == y

    t, t_ok = code(y_true)
    p, p_ok = code(y_pred)
    keep = t_ok & p_ok
    return t[keep], p[keep], keep


def _per_class_counts(y_true, y_pred, labels, sample_weight):
    """(tp, predicted, true) sums per label, each (n_labels,)."""
    def count(y, extra_mask=None):
        pos = np.clip(np.searchsorted(sorted_labels, y), 0, len(labels) - 1)
        hit = sorted_labels[pos] == y
        if extra_mask is not None:
            hit &= extra_mask
        w = None if sample_weight is None else sample_weight[hit]
        sums = np.bincount(pos[hit], weights=w, minlength=len(labels))
        return sums[np.argsort(order)]

    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    tp = count(y_true, y_true == y_pred)
    return tp.astype(float), count(y_pred).astype(float), count(y_true).astype(float)


_AVERAGES = (None, "binary", "micro", "macro", "weighted")


def precision_recall_fscore_support(y_true, y_pred, *, beta=1.0, labels=None, pos_label=1,
                                    average=None, sample_weight=None, zero_division="warn"):
    """Precision tp/(tp+fp), recall tp/(tp+fn) and F-beta per class, and each class's support.

    F-beta = (1+β²)·tp / ((1+β²)·tp + β²·fn + fp), the weighted harmonic mean of
    precision and recall. `average`:
      None       per-class arrays (n_labels,), plus support;
      'binary'   only the class `pos_label` (the targets must have at most two labels);
      'micro'    from tp, fp, fn summed over classes;
      'macro'    unweighted mean over classes;
      'weighted' mean weighted by support.
    Where a denominator is 0 the value is `zero_division` ('warn' means 0.0 and a
    warning; np.nan is skipped by the averages). Returns (precision, recall, fbeta,
    support); support is None when averaging.
    """
    name = "precision_recall_fscore_support"
    if average not in _AVERAGES:
        raise ValueError(f"{name}: average has to be one of {_AVERAGES}; got {average!r}")
    if beta < 0:
        raise ValueError(f"{name}: beta should be >= 0; got {beta}")
    y_true, y_pred = _check_targets(y_true, y_pred, name)
    present = _class_labels(y_true, y_pred, name)
    w = _check_weights(sample_weight, len(y_true), name)
    labels = _labels_for_average(present, labels, pos_label, average, name)
    tp, predicted, true = _per_class_counts(y_true, y_pred, labels, w)
    if average == "micro":
        tp, predicted, true = tp.sum(keepdims=True), predicted.sum(keepdims=True), true.sum(keepdims=True)
    precision = _divide(tp, predicted, zero_division, "Precision", "due to no predicted samples")
    recall = _divide(tp, true, zero_division, "Recall", "due to no true samples")
    b2 = beta * beta
    fscore = _divide((1 + b2) * tp, b2 * true + predicted, zero_division, "F-score",
                     "due to no true nor predicted samples")
    if average is None:
        return precision, recall, fscore, true.astype(np.int64) if w is None else true
    weights = true if average == "weighted" else None
    return (_nan_average(precision, weights), _nan_average(recall, weights),
            _nan_average(fscore, weights), None)


def _labels_for_average(present, labels, pos_label, average, name):
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"{name}: Target is multiclass but average='binary'. Please choose "
                             "another average setting, one of [None, 'micro', 'macro', 'weighted'].")
        if pos_label not in present.tolist() and len(present) >= 2:
            raise ValueError(f"{name}: pos_label={pos_label!r} is not a valid label. It should be "
                             f"one of {present}")
        return np.asarray([pos_label])
    if labels is None:
        return present
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"{name}: labels must be a non-empty 1-D list; got {labels!r}")
    return labels


def _nan_average(values, weights):
    """Mean of the non-NaN values (weighted if the weights do not all vanish); NaN if none."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is None or weights[keep].sum() == 0:
        return float(np.mean(values[keep]))
    return float(np.average(values[keep], weights=weights[keep]))


def precision_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                    sample_weight=None, zero_division="warn"):
    """Precision tp / (tp + fp); see `precision_recall_fscore_support`."""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, sample_weight=sample_weight,
                                           zero_division=zero_division)[0]


def recall_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                 sample_weight=None, zero_division="warn"):
    """Recall tp / (tp + fn); see `precision_recall_fscore_support`."""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, sample_weight=sample_weight,
                                           zero_division=zero_division)[1]


def fbeta_score(y_true, y_pred, *, beta, labels=None, pos_label=1, average="binary",
                sample_weight=None, zero_division="warn"):
    """F-beta; see `precision_recall_fscore_support`."""
    return precision_recall_fscore_support(y_true, y_pred, beta=beta, labels=labels,
                                           pos_label=pos_label, average=average,
                                           sample_weight=sample_weight,
                                           zero_division=zero_division)[2]


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None,
             zero_division="warn"):
    """F1 = 2·tp / (2·tp + fp + fn), the harmonic mean of precision and recall."""
    return fbeta_score(y_true, y_pred, beta=1.0, labels=labels, pos_label=pos_label,
                       average=average, sample_weight=sample_weight, zero_division=zero_division)


def _binary_auc(positive, score, weight):
    """Area under the ROC curve of one positive-vs-rest problem, by the trapezoid rule.

    Sorting scores from high to low and walking the thresholds between distinct
    scores traces the curve; tied scores move true and false positives together,
    giving the diagonal step (the same as counting ties as half in Mann-Whitney's U).
    """
    order = np.argsort(-score, kind="stable")
    score, positive = score[order], positive[order]
    w = np.ones(len(score)) if weight is None else weight[order]
    last_of_tie = np.r_[np.nonzero(np.diff(score))[0], len(score) - 1]
    tps = np.cumsum(w * positive)[last_of_tie]
    fps = np.cumsum(w * ~positive)[last_of_tie]
    if tps[-1] <= 0 or fps[-1] <= 0:
        warnings.warn("Only one class is present in y_true. ROC AUC score is not defined in that "
                      "case.", UndefinedMetricWarning, stacklevel=3)
        return float("nan")
    tpr, fpr = np.r_[0.0, tps / tps[-1]], np.r_[0.0, fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc_auc_score(y_true, y_score, *, average="macro", multi_class="raise", labels=None,
                  sample_weight=None):
    """Area under the receiver operating characteristic curve.

    Binary: y_score (n_samples,) scores the greater label (`classes[1]`).
    Multiclass: y_score (n_samples, n_classes) of probabilities (rows sum to 1), with
    `multi_class='ovr'` (each class against the rest, `average` 'macro' or
    'weighted' by prevalence) or 'ovo' (each pair of classes, Hand & Till 2001,
    macro average).
    """
    y_true = _as_1d(y_true, "y_true", "roc_auc_score")
    y_score = np.asarray(y_score, dtype=float)
    if len(y_true) != len(y_score):
        raise ValueError(f"roc_auc_score: found input variables with inconsistent numbers of "
                         f"samples: [{len(y_true)}, {len(y_score)}]")
    if not np.isfinite(y_score).all():
        raise ValueError("roc_auc_score: Input y_score contains NaN or infinity.")
    w = _check_weights(sample_weight, len(y_true), "roc_auc_score")
    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    if y_score.ndim == 1:
        if len(classes) > 2:
            raise ValueError("roc_auc_score: y_score is 1-D but y_true has more than two classes; "
                             "pass (n_samples, n_classes) probabilities and multi_class='ovr'.")
        if len(classes) < 2:
            warnings.warn("Only one class is present in y_true. ROC AUC score is not defined in "
                          "that case.", UndefinedMetricWarning, stacklevel=2)
            return float("nan")
        return _binary_auc(y_true == classes[1], y_score, w)
    return _multiclass_auc(y_true, y_score, classes, w, average, multi_class)


def _multiclass_auc(y_true, y_score, classes, w, average, multi_class):
    if multi_class not in ("ovr", "ovo"):
        raise ValueError("roc_auc_score: multi_class must be in ('ovo', 'ovr') for multiclass "
                         f"targets; got {multi_class!r}")
    if average not in ("macro", "weighted"):
        raise ValueError(f"roc_auc_score: average must be 'macro' or 'weighted' for multiclass "
                         f"targets; got {average!r}")
    if y_score.shape[1] != len(classes):
        raise ValueError(f"roc_auc_score: number of classes in y_true ({len(classes)}) not equal "
                         f"to the number of columns in y_score ({y_score.shape[1]})")
    if not np.allclose(y_score.sum(axis=1), 1.0):
        raise ValueError("roc_auc_score: Target scores need to be probabilities for multiclass "
                         "roc_auc, i.e. they should sum up to 1.0 over classes")
    if not np.isin(y_true, classes).all():
        raise ValueError("roc_auc_score: y_true contains labels not in 'labels'")
    if multi_class == "ovr":
        aucs = np.array([_binary_auc(y_true == c, y_score[:, j], w) for j, c in enumerate(classes)])
        prevalence = np.array([(y_true == c).sum() if w is None else w[y_true == c].sum()
                               for c in classes])
        return float(np.average(aucs, weights=prevalence if average == "weighted" else None))
    pairs = [(a, b) for a in range(len(classes)) for b in range(a + 1, len(classes))]
    aucs, prevalence = [], []
    for a, b in pairs:
        in_pair = np.isin(y_true, classes[[a, b]])
        is_a = y_true[in_pair] == classes[a]
        wp = None if w is None else w[in_pair]
        aucs.append((_binary_auc(is_a, y_score[in_pair, a], wp)
                     + _binary_auc(~is_a, y_score[in_pair, b], wp)) / 2)
        prevalence.append(in_pair.mean())
    return float(np.average(aucs, weights=prevalence if average == "weighted" else None))


def log_loss(y_true, y_pred, *, normalize=True, sample_weight=None, labels=None):
    """Cross-entropy −(1/n) Σᵢ log p̂ᵢ,yᵢ of predicted probabilities.

    y_pred: (n_samples, n_classes) with columns in sorted label order, or
    (n_samples,) for the probability of the greater of two labels. Probabilities
    are clipped to [eps, 1 − eps] (eps of their dtype) so log stays finite.
    """
    y_true = _as_1d(y_true, "y_true", "log_loss")
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind not in "f":
        y_pred = y_pred.astype(float)
    if len(y_true) != len(y_pred):
        raise ValueError(f"log_loss: found input variables with inconsistent numbers of samples: "
                         f"[{len(y_true)}, {len(y_pred)}]")
    classes = np.unique(y_true if labels is None else np.asarray(labels))
    if len(classes) == 1:
        raise ValueError(f"log_loss: y_true contains only one label ({classes[0]!r}). Please "
                         "provide the true labels explicitly through the labels argument.")
    if not np.isin(y_true, classes).all():
        raise ValueError("log_loss: y_true contains values not in 'labels'")
    if y_pred.ndim == 1 or (y_pred.ndim == 2 and y_pred.shape[1] == 1):
        y_pred = y_pred.reshape(-1, 1)
        y_pred = np.hstack([1 - y_pred, y_pred])
    if y_pred.shape[1] != len(classes):
        raise ValueError(f"log_loss: y_true and y_pred contain different number of classes "
                         f"{len(classes)}, {y_pred.shape[1]}. Classes found in y_true: {classes}")
    if np.any(y_pred < 0) or np.any(y_pred > 1):
        raise ValueError("log_loss: y_pred contains values less than 0 or greater than 1.")
    if not np.allclose(y_pred.sum(axis=1), 1.0, rtol=np.sqrt(np.finfo(y_pred.dtype).eps)):
        warnings.warn("log_loss: The y_pred values do not sum to one. Make sure to pass "
                      "probabilities.", UserWarning, stacklevel=2)
    eps = np.finfo(y_pred.dtype).eps
    chosen = np.clip(y_pred[np.arange(len(y_true)), np.searchsorted(classes, y_true)], eps, 1 - eps)
    losses = -np.log(chosen)
    w = _check_weights(sample_weight, len(y_true), "log_loss")
    if normalize:
        return float(np.average(losses, weights=w))
    return float(losses.sum() if w is None else losses @ w)


# --------------------------------------------------------------------------- regression

def _regression_targets(y_true, y_pred, sample_weight, name):
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.ndim == 1:
        y_true = y_true.reshape(-1, 1)
    if y_pred.ndim == 1:
        y_pred = y_pred.reshape(-1, 1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: y_true and y_pred have different shapes {y_true.shape} and "
                         f"{y_pred.shape}")
    if len(y_true) == 0:
        raise ValueError(f"{name}: found an empty array (0 samples).")
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError(f"{name}: Input contains NaN or infinity.")
    return y_true, y_pred, _check_weights(sample_weight, len(y_true), name)


def _combine_outputs(values, multioutput, name, variance=None):
    """Reduce per-output values (n_outputs,) as `multioutput` asks."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return values
        if multioutput == "uniform_average":
            return float(np.mean(values))
        if multioutput == "variance_weighted" and variance is not None:
            if variance.sum() == 0:
                return float(np.mean(values))
            return float(np.average(values, weights=variance))
        raise ValueError(f"{name}: unknown multioutput {multioutput!r}")
    weights = np.asarray(multioutput, dtype=float)
    if weights.shape != values.shape:
        raise ValueError(f"{name}: there must be as many multioutput weights as outputs "
                         f"({len(values)}); got shape {weights.shape}")
    return float(np.average(values, weights=weights))


def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """(1/n) Σ (y − ŷ)², per output then combined by `multioutput`."""
    y_true, y_pred, w = _regression_targets(y_true, y_pred, sample_weight, "mean_squared_error")
    errors = np.average((y_true - y_pred) ** 2, axis=0, weights=w)
    return _combine_outputs(errors, multioutput, "mean_squared_error")


def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """(1/n) Σ |y − ŷ|, per output then combined by `multioutput`."""
    y_true, y_pred, w = _regression_targets(y_true, y_pred, sample_weight, "mean_absolute_error")
    errors = np.average(np.abs(y_true - y_pred), axis=0, weights=w)
    return _combine_outputs(errors, multioutput, "mean_absolute_error")


def r2_score(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average",
             force_finite=True):
    """Coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², per output.

    A constant y_true makes the ratio 0/0 or x/0; with `force_finite` the score is
    then 1.0 for a perfect prediction and 0.0 otherwise (NaN / −inf without).
    """
    y_true, y_pred, w = _regression_targets(y_true, y_pred, sample_weight, "r2_score")
    if len(y_true) < 2:
        warnings.warn("R^2 score is not well-defined with less than two samples.",
                      UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    weight = np.ones((len(y_true), 1)) if w is None else w.reshape(-1, 1)
    residual = (weight * (y_true - y_pred) ** 2).sum(axis=0)
    mean = np.average(y_true, axis=0, weights=weight.ravel())
    total = (weight * (y_true - mean) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = 1 - residual / total
    if force_finite:
        constant = total == 0
        scores = np.where(constant, np.where(residual == 0, 1.0, 0.0), scores)
    return _combine_outputs(scores, multioutput, "r2_score", variance=total)


# --------------------------------------------------------------------------- clustering

def _pairwise_block(A, B, metric):
    """Distances (len(A), len(B)) between rows, for the metrics silhouette supports."""
    if metric in ("euclidean", "sqeuclidean"):
        d2 = (A * A).sum(1)[:, None] - 2 * A @ B.T + (B * B).sum(1)[None, :]
        d2 = np.maximum(d2, 0)
        return d2 if metric == "sqeuclidean" else np.sqrt(d2)
    if metric in ("manhattan", "cityblock", "l1"):
        return np.abs(A[:, None, :] - B[None, :, :]).sum(-1)
    if metric == "cosine":
        na = np.linalg.norm(A, axis=1, keepdims=True)
        nb = np.linalg.norm(B, axis=1, keepdims=True)
        return np.clip(1 - (A / np.where(na == 0, 1, na)) @ (B / np.where(nb == 0, 1, nb)).T, 0, 2)
    raise ValueError(f"silhouette: unknown metric {metric!r}; use 'euclidean', 'sqeuclidean', "
                     "'manhattan', 'cosine' or 'precomputed'")


def silhouette_samples(X, labels, *, metric="euclidean"):
    """Silhouette s = (b − a) / max(a, b) of every sample (Rousseeuw 1987).

    a: mean distance to the other members of its cluster; b: smallest mean distance
    to the members of another cluster; s = 0 for a sample alone in its cluster.
    Distances are computed a block of rows at a time, so memory stays
    O(block · n_samples) rather than O(n_samples²).
    Returns (n_samples,).
    """
    X = np.asarray(X, dtype=float)
    labels = _as_1d(labels, "labels", "silhouette")
    if X.ndim != 2 or len(X) != len(labels):
        raise ValueError(f"silhouette: X of shape {X.shape} and labels of shape {labels.shape} "
                         "do not match")
    if not np.isfinite(X).all():
        raise ValueError("silhouette: Input X contains NaN or infinity.")
    classes, codes = np.unique(labels, return_inverse=True)
    n, k = len(labels), len(classes)
    if not 2 <= k <= n - 1:
        raise ValueError(f"Number of labels is {k}. Valid values are 2 to n_samples - 1 "
                         "(inclusive)")
    if metric == "precomputed" and (X.shape[0] != X.shape[1] or np.any(np.diag(X) != 0)):
        raise ValueError("silhouette: a precomputed distance matrix must be square with a zero "
                         "diagonal")
    members = np.zeros((n, k))
    members[np.arange(n), codes] = 1.0
    sizes = members.sum(axis=0)
    # Keep each block's distance matrix at about 8 MB (or less for manhattan's 3-D temporary).
    cells = 1_000_000 if metric not in ("manhattan", "cityblock", "l1") else 1_000_000 // X.shape[1]
    block = max(1, cells // n)
    sums = np.empty((n, k))
    for start in range(0, n, block):
        rows = slice(start, start + block)
        D = X[rows] if metric == "precomputed" else _pairwise_block(X[rows], X, metric)
        sums[rows] = D @ members                       # (block, k) summed distances
    own = sums[np.arange(n), codes]
    own_size = sizes[codes]
    a = own / np.maximum(own_size - 1, 1)
    mean_other = sums / sizes
    mean_other[np.arange(n), codes] = np.inf
    b = mean_other.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    return np.where(own_size > 1, np.nan_to_num(s), 0.0)


def silhouette_score(X, labels, *, metric="euclidean", sample_size=None, random_state=None):
    """Mean silhouette coefficient over all samples (or a random `sample_size` of them)."""
    if sample_size is not None:
        from .base import check_random_state
        rng = check_random_state(random_state)
        chosen = rng.permutation(len(labels))[:sample_size]
        X = np.asarray(X)
        X = X[chosen][:, chosen] if metric == "precomputed" else X[chosen]
        labels = np.asarray(labels)[chosen]
    return float(np.mean(silhouette_samples(X, labels, metric=metric)))


def adjusted_rand_score(labels_true, labels_pred):
    """Rand index adjusted for chance (Hubert & Arabie 1985): 1 for identical partitions.

    Counts ordered pairs of samples by whether each partition puts them together,
    from the contingency table nᵢⱼ: same in both Σnᵢⱼ² − n, same in the truth
    Σaᵢ² − n, same in the prediction Σbⱼ² − n. Then
    ARI = 2(tp·tn − fn·fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)).
    """
    labels_true, labels_pred = _check_targets(labels_true, labels_pred, "adjusted_rand_score")
    n = len(labels_true)
    _, t = np.unique(labels_true, return_inverse=True)
    _, p = np.unique(labels_pred, return_inverse=True)
    t, p = t.reshape(-1).astype(np.int64), p.reshape(-1).astype(np.int64)
    _, cell_counts = np.unique(t * (p.max(initial=0) + 1) + p, return_counts=True)
    square = lambda counts: int(np.sum(counts.astype(np.int64) ** 2))  # noqa: E731
    both = square(cell_counts)
    in_true, in_pred = square(np.bincount(t)), square(np.bincount(p))
    tp = both - n
    fn = in_true - both          # together in the truth, apart in the prediction
    fp = in_pred - both
    tn = n * n - in_true - in_pred + both
    if fn == 0 and fp == 0:
        return 1.0
    return float(2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)))


# --------------------------------------------------------------------------- scorers

_SCORERS = {
    "accuracy": (accuracy_score, 1, False),
    "f1": (f1_score, 1, False),
    "f1_macro": (lambda y, p: f1_score(y, p, average="macro"), 1, False),
    "f1_micro": (lambda y, p: f1_score(y, p, average="micro"), 1, False),
    "f1_weighted": (lambda y, p: f1_score(y, p, average="weighted"), 1, False),
    "precision": (precision_score, 1, False),
    "recall": (recall_score, 1, False),
    "roc_auc": (roc_auc_score, 1, True),
    "neg_log_loss": (log_loss, -1, True),
    "r2": (r2_score, 1, False),
    "neg_mean_squared_error": (mean_squared_error, -1, False),
    "neg_root_mean_squared_error": (lambda y, p: np.sqrt(mean_squared_error(y, p)), -1, False),
    "neg_mean_absolute_error": (mean_absolute_error, -1, False),
    "adjusted_rand_score": (adjusted_rand_score, 1, False),
}


class _Scorer:
    """scorer(estimator, X, y): the metric of the estimator's predictions, greater is better."""

    def __init__(self, name, metric, sign, needs_scores):
        self.name, self.metric, self.sign, self.needs_scores = name, metric, sign, needs_scores

    def __call__(self, estimator, X, y):
        if not self.needs_scores:
            return self.sign * self.metric(y, estimator.predict(X))
        if self.name == "roc_auc":
            return self.metric(y, _positive_scores(estimator, X))
        return self.sign * self.metric(y, estimator.predict_proba(X), labels=estimator.classes_)

    def __repr__(self):
        return f"get_scorer({self.name!r})"


def _positive_scores(estimator, X):
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X))
    proba = np.asarray(estimator.predict_proba(X))
    return proba[:, 1] if proba.shape[1] == 2 else proba


def get_scorer(scoring):
    """A callable `scorer(estimator, X, y)` for a scoring name (or the callable itself)."""
    if callable(scoring):
        return scoring
    if scoring not in _SCORERS:
        raise ValueError(f"{scoring!r} is not a valid scoring value. Valid options are "
                         f"{sorted(_SCORERS)}")
    metric, sign, needs_scores = _SCORERS[scoring]
    return _Scorer(scoring, metric, sign, needs_scores)


def get_scorer_names():
    return sorted(_SCORERS)
