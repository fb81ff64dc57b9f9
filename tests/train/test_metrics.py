"""Metrics against scikit-learn's, and the tracker's sums against whole-set figures."""
import numpy as np
import pytest

from descent.train import MetricTracker, accuracy, confusion_matrix, per_class_accuracy, top_k_accuracy

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def scores_and_targets(n=300, classes=7, seed=0):
    g = np.random.default_rng(seed)
    return g.normal(size=(n, classes)).astype(np.float32), g.integers(0, classes, n)


def test_accuracy_matches_sklearn():
    scores, y = scores_and_targets()
    assert accuracy(scores, y) == pytest.approx(sklearn_metrics.accuracy_score(y, scores.argmax(1)))


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_accuracy_matches_sklearn(k):
    scores, y = scores_and_targets()
    expected = sklearn_metrics.top_k_accuracy_score(y, scores, k=k, labels=np.arange(7))
    assert top_k_accuracy(scores, y, k) == pytest.approx(expected)


def test_confusion_matrix_matches_sklearn_with_absent_classes():
    y = np.array([0, 0, 2, 2, 2, 4])
    predicted = np.array([0, 2, 2, 1, 2, 0])
    expected = sklearn_metrics.confusion_matrix(y, predicted, labels=np.arange(6))
    np.testing.assert_array_equal(confusion_matrix(y, predicted, 6), expected)
    recall = per_class_accuracy(expected)
    assert recall[0] == 0.5 and recall[2] == pytest.approx(2 / 3) and np.isnan(recall[3])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="confusion_matrix.*range"):
        confusion_matrix(np.array([0, 5]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match=r"accuracy.*\(4, 3\)"):
        accuracy(np.zeros((4, 3)), np.zeros(5, dtype=int))


def test_tracker_over_batches_equals_the_whole_set():
    scores, y = scores_and_targets()
    losses = np.random.default_rng(1).random(300)
    tracker = MetricTracker(top_k=3)
    for start in range(0, 300, 64):  # unequal last batch: figures are per sample, not per batch
        part = slice(start, start + 64)
        tracker.update(losses[part].mean(), scores[part], y[part])
    result = tracker.compute()
    assert result["loss"] == pytest.approx(losses.mean())
    assert result["accuracy"] == pytest.approx(accuracy(scores, y))
    assert result["top3_accuracy"] == pytest.approx(top_k_accuracy(scores, y, 3))
    np.testing.assert_array_equal(result["confusion_matrix"], confusion_matrix(y, scores.argmax(1), 7))


def test_tracker_for_regression_reports_only_the_loss():
    tracker = MetricTracker()
    tracker.update(2.0, np.zeros((4, 1)), np.zeros((4, 1)))
    tracker.update(4.0, np.zeros((4, 1)), np.zeros((4, 1)))
    assert tracker.compute() == {"loss": 3.0}
