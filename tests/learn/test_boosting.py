"""descent.learn.boosting against scikit-learn: estimator checks, parity, bad input."""
import numpy as np
import pytest

from descent.learn._binning import apply_bins, find_bin_thresholds
from descent.learn.base import NotFittedError
from descent.learn.boosting import (AdaBoostClassifier, GradientBoostingClassifier,
                                    GradientBoostingRegressor)
from descent.learn.tree import DecisionTreeClassifier

sklearn = pytest.importorskip("sklearn")
from sklearn import ensemble as ske  # noqa: E402
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits,  # noqa: E402
                              load_iris, load_wine, make_classification, make_regression)
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [GradientBoostingClassifier(max_iter=5, random_state=0),
              GradientBoostingClassifier(max_iter=5, max_depth=2, early_stopping=True,
                                         n_iter_no_change=2, random_state=0),
              GradientBoostingRegressor(max_iter=5, random_state=0),
              GradientBoostingRegressor(max_iter=20, max_leaf_nodes=4, l2_regularization=1.0,
                                        random_state=0),
              AdaBoostClassifier(n_estimators=5, random_state=0),
              AdaBoostClassifier(DecisionTreeClassifier(max_depth=3), n_estimators=5,
                                 learning_rate=0.5, random_state=0)]


def expected_failed_checks(estimator):
    if getattr(estimator, "early_stopping", None) is True:
        return {"check_sample_weight_equivalence_on_dense_data":
                "the validation split holds out rows, so a row of weight 2 and two repeated "
                "rows are held out differently (scikit-learn's HistGradientBoosting too)"}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def cv_score(model, X, y, classifier):
    cv = (StratifiedKFold if classifier else KFold)(5, shuffle=True, random_state=0)
    return cross_val_score(model, X, y, cv=cv).mean()


# ------------------------------------------------------------------ binning

def test_bin_thresholds_match_sklearn():
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=2000), rng.integers(0, 7, 2000),
                         rng.exponential(size=2000).round(2)])
    ours = find_bin_thresholds(X, 255, rng)
    theirs = _BinMapper(n_bins=256).fit(X).bin_thresholds_
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b)
    codes = apply_bins(X, ours)
    np.testing.assert_array_equal(codes.T, _BinMapper(n_bins=256).fit_transform(X))


@pytest.mark.parametrize("n", [300, 1000, 4099])
def test_quantiles_are_numpys_averaged_inverted_cdf(n):
    from descent.learn._binning import _averaged_inverted_cdf
    rng = np.random.default_rng(n)
    percentiles = np.linspace(0, 100, 256)[1:-1]
    for x in (rng.normal(size=n), rng.integers(0, 50, n).astype(float)):
        np.testing.assert_array_equal(
            _averaged_inverted_cdf(np.sort(x), percentiles / 100),
            np.percentile(x, percentiles, method="averaged_inverted_cdf"))


# ------------------------------------------------------------------ same model as sklearn
# Same binning, gains and leaf values: the models agree up to scikit-learn's float32
# gradients.

@pytest.mark.parametrize("params", [{}, {"max_depth": 3, "l2_regularization": 1.0},
                                    {"max_leaf_nodes": 8, "min_samples_leaf": 5,
                                     "learning_rate": 0.3}])
def test_regressor_is_sklearns_model(params):
    X, y = load_diabetes(return_X_y=True)
    ours = GradientBoostingRegressor(max_iter=20, **params).fit(X, y)
    theirs = ske.HistGradientBoostingRegressor(max_iter=20, **params).fit(X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4, atol=1e-3)


def binary_data():
    return make_classification(1000, 10, flip_y=0.1, random_state=0)


@pytest.mark.parametrize("load", [binary_data, load_iris, load_wine])
def test_classifier_is_sklearns_model(load):
    X, y = load() if load is binary_data else load(return_X_y=True)
    ours = GradientBoostingClassifier(max_iter=20).fit(X, y)
    theirs = ske.HistGradientBoostingClassifier(max_iter=20).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.n_trees_per_iteration_ == theirs.n_trees_per_iteration_


def test_classifier_agrees_with_sklearn_where_rounding_decides():
    """On breast_cancer some nodes are pure: every split gains exactly 0, and scikit-learn
    splits them anyway when float32 rounding makes the gain 1e-14 > 0 (which can open up
    real gains below). descent does not split on rounding, so the trees differ a little
    and the predictions not at all."""
    X, y = load_breast_cancer(return_X_y=True)
    ours = GradientBoostingClassifier(max_iter=20).fit(X, y)
    theirs = ske.HistGradientBoostingClassifier(max_iter=20).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=0.1)


def test_early_stopping_stops_like_sklearn():
    X, y = make_classification(3000, 10, flip_y=0.2, random_state=0)
    params = dict(max_iter=300, early_stopping=True, n_iter_no_change=5, random_state=0)
    ours = GradientBoostingClassifier(**params).fit(X, y)
    theirs = ske.HistGradientBoostingClassifier(**params).fit(X, y)
    assert ours.n_iter_ < 300 and theirs.n_iter_ < 300
    # The validation split is drawn differently, so the stopping round moves.
    assert theirs.n_iter_ / 3 <= ours.n_iter_ <= 3 * theirs.n_iter_
    assert len(ours.validation_score_) == ours.n_iter_ + 1
    # The rule itself: the last n_iter_no_change scores do not beat the one before them.
    scores = ours.validation_score_
    assert not np.any(scores[-5:] > scores[-6] + 1e-7)


def test_auto_early_stopping_only_above_10000_samples():
    X, y = make_regression(500, 4, random_state=0)
    assert not GradientBoostingRegressor(max_iter=3).fit(X, y).do_early_stopping_


# ------------------------------------------------------------------ parity on datasets

@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer, load_digits])
def test_classifier_cv_accuracy_matches_sklearn(load):
    X, y = load(return_X_y=True)
    if load is load_digits:   # ten trees per round: keep it small
        X, y = X[:300], y[:300]
    ours = cv_score(GradientBoostingClassifier(max_iter=20), X, y, True)
    theirs = cv_score(ske.HistGradientBoostingClassifier(max_iter=20), X, y, True)
    assert abs(ours - theirs) <= 0.01


def test_regressor_cv_r2_matches_sklearn():
    X, y = make_regression(800, 8, n_informative=5, noise=10.0, random_state=0)
    ours = cv_score(GradientBoostingRegressor(max_iter=50), X, y, False)
    theirs = cv_score(ske.HistGradientBoostingRegressor(max_iter=50), X, y, False)
    assert abs(ours - theirs) <= 0.01


def test_sample_weight_matches_sklearn():
    X, y = load_breast_cancer(return_X_y=True)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    ours = GradientBoostingClassifier(max_iter=10).fit(X, y, sample_weight=w)
    theirs = ske.HistGradientBoostingClassifier(max_iter=10).fit(X, y, sample_weight=w)
    # scikit-learn also weights its bin quantiles; both must still agree on the classes.
    assert np.mean(ours.predict(X) == theirs.predict(X)) >= 0.98


def test_leaf_values_are_newton_steps():
    """One tree with one split: each leaf is -lr * G / (H + λ) of its samples."""
    X, y = make_regression(300, 3, random_state=0)
    model = GradientBoostingRegressor(max_iter=1, max_leaf_nodes=2, learning_rate=0.5,
                                      l2_regularization=2.0).fit(X, y)
    tree = model._predictors[0][0]
    leaf = tree.apply(X)
    for node in np.unique(leaf):
        g = y.mean() - y[leaf == node]          # gradient of (F - y)² / 2 at the baseline
        np.testing.assert_allclose(tree.value[node, 0, 0], -0.5 * g.sum() / (len(g) + 2.0))


# ------------------------------------------------------------------ labels and bad input

def test_string_labels_and_decision_function():
    X, y = make_classification(300, 5, random_state=0)
    labels = np.array(["cat", "dog"])[y]
    model = GradientBoostingClassifier(max_iter=10).fit(X, labels)
    assert set(model.predict(X)) <= {"cat", "dog"}
    d = model.decision_function(X)
    assert d.shape == (300,)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-d)))


@pytest.mark.parametrize("Model", [GradientBoostingClassifier, GradientBoostingRegressor])
def test_bad_input(Model):
    X, y = make_classification(60, 5, random_state=0)
    with pytest.raises(NotFittedError):
        Model().predict(X)
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Model(max_iter=2).fit(bad, y)
    model = Model(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="5 features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="learning_rate"):
        Model(learning_rate=0).fit(X, y)
    with pytest.raises(ValueError, match="max_bins"):
        Model(max_bins=300).fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        Model(loss="hinge").fit(X, y)


def test_single_class_is_rejected():
    X, _ = make_classification(60, 5, random_state=0)
    with pytest.raises(ValueError, match="class"):
        GradientBoostingClassifier().fit(X, np.zeros(60))


# ------------------------------------------------------------------ histogram tree internals
# The fast paths of descent.learn._hist_tree against direct, loop-by-feature references.

def reference_histogram(codes, rows, weights, n_bins):
    """(n_features, n_bins) cumulative sums of `weights` over `rows`, feature by feature."""
    return np.array([np.bincount(column[rows], weights[rows], n_bins).cumsum()
                     for column in codes])


@pytest.mark.parametrize("n_features", [4, 300])      # 300 * 255 bins overflow uint16 codes
@pytest.mark.parametrize("constant_hessian", [True, False])
@pytest.mark.parametrize("per_feature", [True, False])
def test_histograms_match_a_direct_count(monkeypatch, n_features, constant_hessian,
                                         per_feature):
    from descent.learn import _hist_tree
    rng = np.random.default_rng(0)
    n, n_bins = 500, 255
    codes = rng.integers(0, n_bins, (n_features, n)).astype(np.uint8)
    data = _hist_tree.BinnedData(codes, n_bins)
    g, h = rng.normal(size=n), rng.uniform(0.1, 0.3, n)
    h_or_none = None if constant_hessian else h
    rows = np.sort(rng.choice(n, 123, replace=False))
    monkeypatch.setattr(_hist_tree, "_PER_FEATURE_ROWS", 1 if per_feature else 10**9)
    n_planes = 2 if constant_hessian else 3
    stats = np.empty((n_planes,) + data.shape)
    _hist_tree.fill_histogram(data, rows, g, h_or_none, stats)
    root = np.empty_like(stats)
    _hist_tree.root_histogram(data, g, h_or_none, root)
    padding = np.zeros((n_features, data.shape[1] - n_bins))
    for got, chosen in [(stats, rows), (root, np.arange(n))]:
        for plane, weights in zip(got, [g, np.ones(n) if constant_hessian else h, np.ones(n)]):
            expected = reference_histogram(codes, chosen, weights, n_bins)
            expected = np.hstack([expected, padding + expected[:, -1:]])   # empty padding
            np.testing.assert_allclose(plane, expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("l2", [0.0, 1.5])
@pytest.mark.parametrize("check_hessian", [True, False])
def test_best_split_maximizes_the_gain_formula(l2, check_hessian):
    """best_splits' one-division form picks the split of largest
    G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ) among the valid ones, computed directly."""
    from descent.learn._hist_tree import MIN_HESSIAN_TO_SPLIT, best_splits
    rng = np.random.default_rng(1)
    n_features, n_bins, n_rows, min_samples_leaf = 6, 40, 150, 5
    g, h, counts = [], [], []
    for node in range(2):                                   # two sibling nodes
        codes = rng.integers(0, n_bins, (n_features, n_rows))
        g_rows = rng.normal(size=n_rows) + codes[node]      # a feature worth splitting on
        h_rows = rng.uniform(0, 0.25, n_rows)
        h_rows[codes[2] < 10] = 1e-6                        # splits failing the hessian floor
        every_row = np.arange(n_rows)
        g.append(reference_histogram(codes, every_row, g_rows, n_bins))
        h.append(reference_histogram(codes, every_row, h_rows, n_bins))
        counts.append(reference_histogram(codes, every_row, np.ones(n_rows), n_bins))
    g, h, counts = np.array(g), np.array(h), np.array(counts).astype(np.intp)
    splits = best_splits(np.stack([g, h, counts], axis=1), l2, min_samples_leaf,
                         check_hessian)
    for node, (gain, feature, bin_) in enumerate(splits):
        G, H, N = g[node, 0, -1], h[node, 0, -1], counts[node, 0, -1]
        gl, hl, nl = g[node], h[node], counts[node]
        with np.errstate(divide="ignore", invalid="ignore"):
            direct = gl ** 2 / (hl + l2) + (G - gl) ** 2 / (H - hl + l2) - G ** 2 / (H + l2)
        valid = (nl >= min_samples_leaf) & (nl <= N - min_samples_leaf)
        if check_hessian:
            valid &= (hl >= MIN_HESSIAN_TO_SPLIT) & (hl <= H - MIN_HESSIAN_TO_SPLIT)
        direct[~valid] = -np.inf
        assert valid[feature, bin_]
        np.testing.assert_allclose(gain, direct.max(), rtol=1e-9)
        np.testing.assert_allclose(direct[feature, bin_], direct.max(), rtol=1e-9)


def test_leaf_rows_agree_with_tree_apply():
    from descent.learn._hist_tree import leaf_rows
    X, y = make_regression(400, 6, random_state=0)
    model = GradientBoostingRegressor(max_iter=3, max_leaf_nodes=12).fit(X, y)
    columns = np.ascontiguousarray(X.T)
    for tree in [trees[0] for trees in model._predictors]:
        leaf = np.empty(len(X), dtype=int)
        for node, rows in leaf_rows(tree, columns):
            leaf[rows] = node
        np.testing.assert_array_equal(leaf, tree.apply(X))


# ------------------------------------------------------------------ AdaBoost (SAMME)
# Decision stumps have no ties on float32-representable continuous data, so every round
# is the same as scikit-learn's: the same learners, votes, errors and probabilities.

@pytest.mark.parametrize("load", [load_wine, load_breast_cancer, load_digits])
@pytest.mark.parametrize("learning_rate", [1.0, 0.5])
def test_adaboost_is_sklearns_model(load, learning_rate):
    X, y = load(return_X_y=True)
    X = X[:600].astype(np.float32).astype(np.float64)
    y = y[:600]
    ours = AdaBoostClassifier(n_estimators=30, learning_rate=learning_rate,
                              random_state=0).fit(X, y)
    theirs = ske.AdaBoostClassifier(n_estimators=30, learning_rate=learning_rate,
                                    random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.estimator_weights_, theirs.estimator_weights_,
                               rtol=1e-9)
    np.testing.assert_allclose(ours.estimator_errors_, theirs.estimator_errors_, rtol=1e-9)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)
    np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_,
                               atol=1e-9)


def test_adaboost_with_deeper_trees_cv_matches_sklearn():
    X, y = load_wine(return_X_y=True)
    ours = cv_score(AdaBoostClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=20,
                                       random_state=0), X, y, True)
    theirs = cv_score(ske.AdaBoostClassifier(sklearn.tree.DecisionTreeClassifier(max_depth=2),
                                             n_estimators=20, random_state=0), X, y, True)
    assert abs(ours - theirs) <= 0.03   # ties in the trees break differently


def test_adaboost_stops_on_a_perfect_learner():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    model = AdaBoostClassifier(n_estimators=10).fit(X, y)
    assert len(model.estimators_) == 1
    np.testing.assert_array_equal(model.estimator_weights_, [1.0])
    np.testing.assert_array_equal(model.predict(X), y)


def test_adaboost_bad_input():
    X, y = make_classification(60, 5, random_state=0)
    with pytest.raises(NotFittedError):
        AdaBoostClassifier().predict(X)
    with pytest.raises(ValueError, match="n_estimators"):
        AdaBoostClassifier(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        AdaBoostClassifier(learning_rate=-1).fit(X, y)
    labels = np.array(["a", "b"])[y]
    assert set(AdaBoostClassifier(n_estimators=3).fit(X, labels).predict(X)) <= {"a", "b"}
