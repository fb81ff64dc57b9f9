"""descent.learn.metrics against scikit-learn's metrics on random inputs."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from descent.learn import metrics as dm

sk = pytest.importorskip("sklearn.metrics")

FAST = settings(max_examples=40, deadline=None)


def labels(n_classes, min_size=1, max_size=40):
    return hnp.arrays(np.int64, st.integers(min_size, max_size),
                      elements=st.integers(0, n_classes - 1))


def pair_of_labels(n_classes):
    """(y_true, y_pred) of the same length."""
    return st.integers(1, 40).flatmap(lambda n: st.tuples(
        hnp.arrays(np.int64, n, elements=st.integers(0, n_classes - 1)),
        hnp.arrays(np.int64, n, elements=st.integers(0, n_classes - 1))))


def quiet(fn, *args, **kwargs):
    """Call fn, returning (result or the exception type) with warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except ValueError:
            return ValueError


def assert_same(ours, theirs):
    if theirs is ValueError or ours is ValueError:
        assert ours is theirs
        return
    if isinstance(theirs, tuple):
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    if theirs is None:
        assert ours is None
        return
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float),
                               rtol=1e-10, atol=1e-12, equal_nan=True)


# ------------------------------------------------------------------ classification

@FAST
@given(pair_of_labels(4), st.booleans())
def test_accuracy_matches_sklearn(yy, normalize):
    y, p = yy
    w = np.linspace(0.5, 2.0, len(y))
    assert_same(dm.accuracy_score(y, p, normalize=normalize),
                sk.accuracy_score(y, p, normalize=normalize))
    assert_same(dm.accuracy_score(y, p, normalize=normalize, sample_weight=w),
                sk.accuracy_score(y, p, normalize=normalize, sample_weight=w))


@FAST
@given(pair_of_labels(4),
       st.sampled_from([None, "binary", "micro", "macro", "weighted"]),
       st.sampled_from(["warn", 0.0, 1.0, np.nan]),
       st.sampled_from([1, 0, 3]),
       st.sampled_from([1.0, 0.5, 2.0]),
       st.booleans())
def test_precision_recall_fscore_support_matches_sklearn(yy, average, zero_division, pos_label,
                                                         beta, weighted):
    y, p = yy
    w = np.linspace(0.5, 2.0, len(y)) if weighted else None
    kw = dict(average=average, zero_division=zero_division, pos_label=pos_label, beta=beta,
              sample_weight=w)
    assert_same(quiet(dm.precision_recall_fscore_support, y, p, **kw),
                quiet(sk.precision_recall_fscore_support, y, p, **kw))


@FAST
@given(pair_of_labels(5), st.sampled_from([None, "micro", "macro", "weighted"]))
def test_prf_with_explicit_labels_matches_sklearn(yy, average):
    y, p = yy
    for labels in ([0, 1], [4, 2, 0], [1, 7]):
        kw = dict(labels=labels, average=average, zero_division=0.0)
        for ours, theirs in ((dm.precision_score, sk.precision_score),
                             (dm.recall_score, sk.recall_score), (dm.f1_score, sk.f1_score)):
            assert_same(quiet(ours, y, p, **kw), quiet(theirs, y, p, **kw))


def test_binary_metrics_with_string_labels():
    y = np.array(["spam", "ham", "spam", "spam", "ham"])
    p = np.array(["spam", "spam", "ham", "spam", "ham"])
    for ours, theirs in ((dm.precision_score, sk.precision_score),
                         (dm.recall_score, sk.recall_score), (dm.f1_score, sk.f1_score)):
        assert ours(y, p, pos_label="spam") == pytest.approx(theirs(y, p, pos_label="spam"))
    with pytest.raises(ValueError, match="pos_label=1 is not a valid label"):
        dm.f1_score(y, p)


def test_binary_average_rejects_multiclass():
    with pytest.raises(ValueError, match="multiclass"):
        dm.f1_score([0, 1, 2], [0, 1, 1])


def test_zero_division_warns():
    with pytest.warns(dm.UndefinedMetricWarning):
        assert dm.precision_score([1, 1], [0, 0]) == 0.0


@FAST
@given(pair_of_labels(4), st.sampled_from([None, "true", "pred", "all"]), st.booleans())
def test_confusion_matrix_matches_sklearn(yy, normalize, weighted):
    y, p = yy
    w = np.linspace(0.5, 2.0, len(y)) if weighted else None
    kw = dict(normalize=normalize, sample_weight=w)
    assert_same(quiet(dm.confusion_matrix, y, p, **kw), quiet(sk.confusion_matrix, y, p, **kw))
    kw["labels"] = [3, 0, 1]
    assert_same(quiet(dm.confusion_matrix, y, p, **kw), quiet(sk.confusion_matrix, y, p, **kw))


def test_confusion_matrix_strings_and_dtype():
    y, p = ["cat", "dog", "dog", "bird"], ["cat", "cat", "dog", "bird"]
    ours = dm.confusion_matrix(y, p)
    np.testing.assert_array_equal(ours, sk.confusion_matrix(y, p))
    assert ours.dtype.kind == "i"


@FAST
@given(st.integers(2, 60).flatmap(lambda n: st.tuples(
    hnp.arrays(np.int64, n, elements=st.integers(0, 1)),
    hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.1, 0.5, 0.7, 1.0, -2.0])))),
    st.booleans())
def test_binary_roc_auc_matches_sklearn_with_ties(data, weighted):
    y, score = data
    w = np.linspace(0.5, 2.0, len(y)) if weighted else None
    assert_same(quiet(dm.roc_auc_score, y, score, sample_weight=w),
                quiet(sk.roc_auc_score, y, score, sample_weight=w))


@pytest.mark.parametrize("multi_class,average", [("ovr", "macro"), ("ovr", "weighted"),
                                                 ("ovo", "macro"), ("ovo", "weighted")])
def test_multiclass_roc_auc_matches_sklearn(multi_class, average):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 80)
    logits = rng.normal(size=(80, 4)) + 1.5 * np.eye(4)[y]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert dm.roc_auc_score(y, proba, multi_class=multi_class, average=average) == pytest.approx(
        sk.roc_auc_score(y, proba, multi_class=multi_class, average=average), rel=1e-12)


def test_multiclass_roc_auc_needs_probabilities():
    with pytest.raises(ValueError, match="sum up to 1"):
        dm.roc_auc_score([0, 1, 2], np.ones((3, 3)), multi_class="ovr")
    with pytest.raises(ValueError, match="multi_class"):
        dm.roc_auc_score([0, 1, 2], np.eye(3))


def test_roc_auc_single_class_warns_and_is_nan():
    with pytest.warns(dm.UndefinedMetricWarning, match="one class"):
        assert np.isnan(dm.roc_auc_score([1, 1, 1], [0.1, 0.5, 0.9]))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_log_loss_matches_sklearn(n_classes):
    rng = np.random.default_rng(n_classes)
    y = rng.integers(0, n_classes, 50)
    y[:n_classes] = np.arange(n_classes)
    proba = rng.dirichlet(np.ones(n_classes), size=50)
    proba[0] = np.eye(n_classes)[1]   # a confident mistake exercises the clipping
    w = rng.uniform(0.1, 2, 50)
    for kw in ({}, {"sample_weight": w}, {"normalize": False}):
        assert dm.log_loss(y, proba, **kw) == pytest.approx(sk.log_loss(y, proba, **kw))
    if n_classes == 2:
        assert dm.log_loss(y, proba[:, 1]) == pytest.approx(sk.log_loss(y, proba[:, 1]))


def test_log_loss_labels_and_errors():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    assert dm.log_loss(["a", "b"], proba, labels=["a", "b", "c"]) == pytest.approx(
        sk.log_loss(["a", "b"], proba, labels=["a", "b", "c"]))
    with pytest.raises(ValueError, match="only one label"):
        dm.log_loss([1, 1], [[0.2, 0.8], [0.1, 0.9]])
    with pytest.raises(ValueError, match="different number of classes"):
        dm.log_loss([0, 1], proba)


# ------------------------------------------------------------------ regression

regression_pairs = st.tuples(st.integers(2, 30), st.integers(1, 3)).flatmap(
    lambda shape: st.tuples(
        hnp.arrays(np.float64, shape, elements=st.floats(-100, 100)),
        hnp.arrays(np.float64, shape, elements=st.floats(-100, 100))))


@FAST
@given(regression_pairs, st.sampled_from(["raw_values", "uniform_average", "variance_weighted"]),
       st.booleans())
def test_regression_metrics_match_sklearn(yy, multioutput, weighted):
    y, p = yy
    w = np.linspace(0.5, 2.0, len(y)) if weighted else None
    for ours, theirs in ((dm.mean_squared_error, sk.mean_squared_error),
                         (dm.mean_absolute_error, sk.mean_absolute_error),
                         (dm.r2_score, sk.r2_score)):
        mo = "uniform_average" if multioutput == "variance_weighted" and ours is not dm.r2_score \
            else multioutput
        assert_same(quiet(ours, y, p, sample_weight=w, multioutput=mo),
                    quiet(theirs, y, p, sample_weight=w, multioutput=mo))


def test_r2_constant_target_and_force_finite():
    y = np.array([3.0, 3.0, 3.0])
    for pred in (y, y + 1):
        for force in (True, False):
            assert_same(quiet(dm.r2_score, y, pred, force_finite=force),
                        quiet(sk.r2_score, y, pred, force_finite=force))


def test_regression_shape_mismatch():
    with pytest.raises(ValueError, match="different shapes"):
        dm.mean_squared_error([1, 2, 3], [1, 2])


# ------------------------------------------------------------------ clustering

@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "manhattan", "cosine"])
def test_silhouette_matches_sklearn(metric):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 3)) + np.repeat(np.eye(3) * 3, 30, axis=0)
    y = np.repeat([0, 1, 2], 30)
    y[:5] = 2
    y[-1] = 7  # a singleton cluster scores 0
    np.testing.assert_allclose(dm.silhouette_samples(X, y, metric=metric),
                               sk.silhouette_samples(X, y, metric=metric), atol=1e-10)
    assert dm.silhouette_score(X, y, metric=metric) == pytest.approx(
        sk.silhouette_score(X, y, metric=metric), abs=1e-10)


def test_silhouette_precomputed_and_many_blocks():
    from sklearn.metrics import pairwise_distances
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1200, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    # 1200 samples make ~834-row blocks, so the blocked loop runs more than once.
    assert dm.silhouette_score(X, y) == pytest.approx(sk.silhouette_score(X, y), abs=1e-10)
    D = pairwise_distances(X[:200])
    assert dm.silhouette_score(D, y[:200], metric="precomputed") == pytest.approx(
        sk.silhouette_score(D, y[:200], metric="precomputed"), abs=1e-10)


def test_silhouette_label_count_errors():
    X = np.arange(8.0).reshape(4, 2)
    for y in ([0, 0, 0, 0], [0, 1, 2, 3]):
        with pytest.raises(ValueError, match="Number of labels"):
            dm.silhouette_score(X, y)


@FAST
@given(pair_of_labels(5))
def test_adjusted_rand_matches_sklearn(yy):
    a, b = yy
    assert dm.adjusted_rand_score(a, b) == pytest.approx(sk.adjusted_rand_score(a, b), abs=1e-12)


def test_adjusted_rand_is_label_permutation_invariant():
    a = np.array(["x", "x", "y", "y", "z"])
    b = np.array([5, 5, 1, 1, 0])
    assert dm.adjusted_rand_score(a, b) == 1.0


# ------------------------------------------------------------------ scorers

def test_scorers_follow_greater_is_better():
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import get_scorer
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y_reg = X @ [1.0, -2.0, 0.5] + rng.normal(size=60)
    y_clf = (y_reg > 0).astype(int)
    reg, clf = LinearRegression().fit(X, y_reg), LogisticRegression().fit(X, y_clf)
    for name in ("r2", "neg_mean_squared_error", "neg_mean_absolute_error",
                 "neg_root_mean_squared_error"):
        assert dm.get_scorer(name)(reg, X, y_reg) == pytest.approx(get_scorer(name)(reg, X, y_reg))
    for name in ("accuracy", "f1", "precision", "recall", "roc_auc", "neg_log_loss", "f1_macro"):
        assert dm.get_scorer(name)(clf, X, y_clf) == pytest.approx(get_scorer(name)(clf, X, y_clf))
    with pytest.raises(ValueError, match="not a valid scoring"):
        dm.get_scorer("nonsense")
