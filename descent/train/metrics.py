"""Classification metrics on whole batches: accuracy, top-k accuracy, confusion matrix.

Every function takes arrays (or Tensors) of a whole batch and works without a loop over
samples. `MetricTracker` adds batches up over an epoch, so an epoch's figures are those
of all its samples, not an average of per-batch averages.
"""
import numpy as np


def _array(x):
    return np.asarray(x.data if hasattr(x, "data") and not isinstance(x, np.ndarray) else x)


def _check_scores(name, scores, targets):
    scores, targets = _array(scores), _array(targets)
    if scores.ndim != 2 or targets.shape != (scores.shape[0],):
        raise ValueError(f"{name}: expected scores (N, C) and targets (N,), got shapes "
                         f"{scores.shape} and {targets.shape}")
    return scores, targets


def accuracy(scores, targets):
    """The fraction of samples whose highest score is their target class.

    Parameters
    ----------
    scores : array of shape (N, C)
        Logits or probabilities.
    targets : int array of shape (N,)
    """
    scores, targets = _check_scores("accuracy", scores, targets)
    return float(np.mean(scores.argmax(axis=1) == targets)) if len(targets) else float("nan")


def top_k_correct(scores, targets, k):
    """(N,) bool: whether each sample's target is among its `k` highest scores.

    A target counts as in the top k when fewer than k classes score strictly higher
    than it (ties go in the target's favour, as `torch.topk` may do).
    """
    scores, targets = _check_scores("top_k_accuracy", scores, targets)
    if not 1 <= k:
        raise ValueError(f"top_k_accuracy: k must be >= 1, got {k}")
    target_scores = np.take_along_axis(scores, targets[:, None], axis=1)  # (N, 1)
    return (scores > target_scores).sum(axis=1) < k


def top_k_accuracy(scores, targets, k=5):
    """The fraction of samples whose target is among their `k` highest scores; scores (N, C), targets (N,)."""
    correct = top_k_correct(scores, targets, k)
    return float(correct.mean()) if len(correct) else float("nan")


def confusion_matrix(targets, predictions, num_classes=None):
    """(C, C) int64 counts: entry [i, j] is the number of samples of class i predicted as j.

    Parameters
    ----------
    targets, predictions : int arrays of shape (N,)
    num_classes : int, optional
        C; one more than the largest label seen when omitted.
    """
    targets, predictions = _array(targets).astype(np.int64), _array(predictions).astype(np.int64)
    if targets.shape != predictions.shape or targets.ndim != 1:
        raise ValueError(f"confusion_matrix: targets and predictions must be (N,) arrays of the same "
                         f"shape, got {targets.shape} and {predictions.shape}")
    if num_classes is None:
        num_classes = int(max(targets.max(initial=-1), predictions.max(initial=-1))) + 1
    for name, labels in (("targets", targets), ("predictions", predictions)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} must lie in [0, {num_classes}), "
                             f"got range [{labels.min()}, {labels.max()}]")
    flat = np.bincount(targets * num_classes + predictions, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_accuracy(matrix):
    """(C,) the recall of each class from a confusion matrix (NaN for a class with no samples)."""
    matrix = np.asarray(matrix)
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diagonal(matrix) / totals


class MetricTracker:
    """Running totals over the batches of an epoch.

    Parameters
    ----------
    top_k : int or None
        Also track top-k accuracy (skipped when there are no more than k classes).
    num_classes : int or None
        The size of the confusion matrix; taken from the scores' width when omitted.

    `update(loss, scores, targets)` adds one batch; `compute()` gives a dict with
    'loss' (mean over samples) and, for classification (scores (N, C), integer
    targets (N,)), 'accuracy', 'top{k}_accuracy' and 'confusion_matrix'.
    """

    def __init__(self, top_k=5, num_classes=None):
        self.top_k = top_k
        self.num_classes = num_classes
        self.reset()

    def reset(self):
        self.count = 0
        self.loss_sum = 0.0
        self.correct = 0
        self.top_k_hits = 0
        self.matrix = None

    def update(self, loss, scores=None, targets=None):
        """Add a batch: `loss` its mean loss (float), `scores` (N, C) and `targets` (N,)."""
        scores = None if scores is None else _array(scores)
        targets = None if targets is None else _array(targets)
        n = len(targets) if targets is not None else 1
        self.count += n
        self.loss_sum += float(loss) * n
        if not _is_classification(scores, targets):
            return
        predictions = scores.argmax(axis=1)
        self.correct += int(np.count_nonzero(predictions == targets))
        classes = self.num_classes or scores.shape[1]
        if self.top_k and classes > self.top_k:
            self.top_k_hits += int(np.count_nonzero(top_k_correct(scores, targets, self.top_k)))
        batch_matrix = confusion_matrix(targets, predictions, classes)
        self.matrix = batch_matrix if self.matrix is None else self.matrix + batch_matrix

    def compute(self):
        if not self.count:
            return {}
        result = {"loss": self.loss_sum / self.count}
        if self.matrix is not None:
            result["accuracy"] = self.correct / self.count
            if self.top_k and self.matrix.shape[0] > self.top_k:
                result[f"top{self.top_k}_accuracy"] = self.top_k_hits / self.count
            result["confusion_matrix"] = self.matrix.tolist()
        return result


def _is_classification(scores, targets):
    return (scores is not None and targets is not None and scores.ndim == 2 and targets.ndim == 1
            and targets.dtype.kind in "iu" and len(targets) == len(scores))
