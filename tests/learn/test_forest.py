"""descent.learn.forest against scikit-learn: estimator checks, parity, bad input."""
import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.forest import (IsolationForest, RandomForestClassifier,
                                  RandomForestRegressor, average_path_length)

sklearn = pytest.importorskip("sklearn")
from sklearn import ensemble as ske  # noqa: E402
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits,  # noqa: E402
                              load_iris, load_wine, make_classification, make_regression)
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [RandomForestClassifier(n_estimators=5, random_state=0),
              RandomForestClassifier(n_estimators=5, bootstrap=False, max_depth=4,
                                     random_state=0),
              RandomForestRegressor(n_estimators=5, random_state=0),
              RandomForestRegressor(n_estimators=5, max_features="sqrt", max_samples=0.5,
                                    random_state=0),
              IsolationForest(n_estimators=10, random_state=0),
              IsolationForest(n_estimators=10, contamination=0.1, max_features=0.5,
                              bootstrap=True, random_state=0)]


def expected_failed_checks(estimator):
    if estimator.bootstrap and not isinstance(estimator, IsolationForest):
        return {"check_sample_weight_equivalence_on_dense_data":
                "the bootstrap draws rows, so a row of weight 2 and two repeated rows "
                "give different samples (scikit-learn's forests too)"}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def cv_score(model, X, y, classifier):
    cv = (StratifiedKFold if classifier else KFold)(5, shuffle=True, random_state=0)
    return cross_val_score(model, X, y, cv=cv).mean()


# ------------------------------------------------------------------ parity on datasets

@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer, load_digits])
def test_classifier_cv_accuracy_matches_sklearn(load):
    X, y = load(return_X_y=True)
    if load is load_digits:
        X, y = X[:600], y[:600]
    params = dict(n_estimators=30, random_state=0)
    ours = cv_score(RandomForestClassifier(**params), X, y, True)
    theirs = cv_score(ske.RandomForestClassifier(**params), X, y, True)
    # Different random draws: allow the spread of a 30-tree forest, about one point.
    assert ours >= theirs - 0.015


def test_regressor_cv_r2_matches_sklearn():
    X, y = load_diabetes(return_X_y=True)
    params = dict(n_estimators=30, min_samples_leaf=5, random_state=0)
    ours = cv_score(RandomForestRegressor(**params), X, y, False)
    theirs = cv_score(ske.RandomForestRegressor(**params), X, y, False)
    assert abs(ours - theirs) <= 0.01


def test_regressor_r2_on_friedman_like_data():
    X, y = make_regression(600, 8, n_informative=5, noise=10.0, random_state=0)
    params = dict(n_estimators=30, random_state=0)
    ours = cv_score(RandomForestRegressor(**params), X, y, False)
    theirs = cv_score(ske.RandomForestRegressor(**params), X, y, False)
    assert abs(ours - theirs) <= 0.01


def test_without_bootstrap_and_all_features_every_tree_is_the_cart_tree():
    """bootstrap=False, max_features=None: every tree is CART on the full data."""
    from descent.learn.tree import DecisionTreeRegressor
    # Continuous targets: no two candidate splits tie, so the seed cannot matter.
    X, y = make_regression(200, 6, noise=5.0, random_state=0)
    params = dict(max_depth=4, max_features=None)
    single = DecisionTreeRegressor(**params, random_state=0).fit(X, y)
    forest = RandomForestRegressor(n_estimators=3, bootstrap=False, random_state=0,
                                   **params).fit(X, y)
    for tree in forest.estimators_:
        np.testing.assert_allclose(tree.predict(X), single.predict(X), rtol=1e-12)
    np.testing.assert_allclose(forest.predict(X), single.predict(X), rtol=1e-12)


def test_predict_proba_is_the_mean_of_the_trees():
    X, y = make_classification(200, 6, n_classes=3, n_informative=4, random_state=0)
    forest = RandomForestClassifier(n_estimators=7, random_state=0).fit(X, y)
    mean = np.mean([t.predict_proba(X) for t in forest.estimators_], axis=0)
    np.testing.assert_allclose(forest.predict_proba(X), mean)
    np.testing.assert_array_equal(forest.predict(X), np.argmax(mean, axis=1))
    assert forest.apply(X).shape == (200, 7)


def test_same_seed_same_forest_and_seeds_differ():
    X, y = make_classification(200, 6, random_state=0)
    a = RandomForestClassifier(n_estimators=5, random_state=1).fit(X, y).predict_proba(X)
    b = RandomForestClassifier(n_estimators=5, random_state=1).fit(X, y).predict_proba(X)
    c = RandomForestClassifier(n_estimators=5, random_state=2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_feature_importances_find_the_informative_features():
    X, y = make_classification(500, 10, n_informative=3, n_redundant=0, shuffle=False,
                               random_state=0)
    ours = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    theirs = ske.RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    assert set(np.argsort(ours.feature_importances_)[-3:]) == {0, 1, 2}
    np.testing.assert_allclose(ours.feature_importances_.sum(), 1.0)
    np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_,
                               atol=0.05)


@pytest.mark.parametrize("Ours, Theirs", [(RandomForestClassifier, ske.RandomForestClassifier),
                                          (RandomForestRegressor, ske.RandomForestRegressor)])
def test_oob_score_close_to_sklearn(Ours, Theirs):
    if Ours is RandomForestClassifier:
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = make_regression(400, 6, noise=10.0, random_state=0)
    ours = Ours(n_estimators=40, oob_score=True, random_state=0).fit(X, y)
    theirs = Theirs(n_estimators=40, oob_score=True, random_state=0).fit(X, y)
    assert abs(ours.oob_score_ - theirs.oob_score_) <= 0.03


# ------------------------------------------------------------------ labels and bad input

def test_string_labels():
    X, y = make_classification(200, 6, random_state=0)
    labels = np.array(["no", "yes"])[y]
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, labels)
    assert set(forest.predict(X)) <= {"no", "yes"}
    assert forest.score(X, labels) > 0.9


@pytest.mark.parametrize("Model", [RandomForestClassifier, RandomForestRegressor])
def test_bad_input(Model):
    X, y = make_classification(50, 6, random_state=0)
    with pytest.raises(NotFittedError):
        Model().predict(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Model(n_estimators=2).fit(bad, y)
    model = Model(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="6 features"):
        model.predict(X[:, :4])
    with pytest.raises(ValueError, match="n_estimators"):
        Model(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="max_samples"):
        Model(n_estimators=2, max_samples=2.0).fit(X, y)
    with pytest.raises(ValueError, match="bootstrap"):
        Model(n_estimators=2, bootstrap=False, oob_score=True).fit(X, y)


# ------------------------------------------------------------------ isolation forest

def outlier_data(seed=0):
    rng = np.random.default_rng(seed)
    inliers = rng.normal(size=(600, 4))
    outliers = rng.uniform(-6, 6, size=(30, 4))
    return np.vstack([inliers, outliers]), np.r_[np.zeros(600), np.ones(30)]


def test_average_path_length_is_the_bst_formula():
    from sklearn.ensemble._iforest import _average_path_length
    n = np.arange(1, 1000)
    np.testing.assert_allclose(average_path_length(n), _average_path_length(n), rtol=1e-12)
    # For large n, H(n - 1) ~ ln(n - 1) + Euler's constant is the exact harmonic number.
    big = np.array([256, 999])
    harmonic = np.array([np.sum(1 / np.arange(1, k)) for k in big])
    np.testing.assert_allclose(average_path_length(big), 2 * harmonic - 2 * (big - 1) / big,
                               rtol=1e-3)


def test_isolation_forest_scores_match_sklearn():
    X, is_outlier = outlier_data()
    ours = IsolationForest(random_state=0).fit(X)
    theirs = ske.IsolationForest(random_state=0).fit(X)
    a, b = ours.score_samples(X), theirs.score_samples(X)
    assert np.corrcoef(a, b)[0, 1] > 0.95           # same model, different random cuts
    assert abs(a.mean() - b.mean()) < 0.02
    assert roc_auc_score(is_outlier, -a) >= roc_auc_score(is_outlier, -b) - 0.01
    assert np.mean(ours.predict(X) == theirs.predict(X)) > 0.97
    assert ours.offset_ == theirs.offset_ == -0.5
    assert ours.max_samples_ == theirs.max_samples_ == 256


def test_isolation_forest_contamination_sets_the_outlier_fraction():
    X, _ = outlier_data()
    model = IsolationForest(contamination=0.05, random_state=0).fit(X)
    np.testing.assert_allclose(np.mean(model.predict(X) == -1), 0.05, atol=0.005)
    np.testing.assert_allclose(model.decision_function(X),
                               model.score_samples(X) - model.offset_)
    np.testing.assert_array_equal(model.fit_predict(X), model.predict(X))


def test_isolation_tree_isolates_every_sample_of_a_small_set():
    """With max_samples = n and distinct rows, each leaf holds a single sample (or the
    depth limit is reached) and the path lengths add the c(n) of what is left."""
    from descent.learn.forest import grow_isolation_tree
    X = np.random.default_rng(0).normal(size=(16, 3))
    tree = grow_isolation_tree(X, max_depth=50, rng=np.random.default_rng(0))
    leaves = tree.children_left == -1
    assert np.all(tree.n_node_samples[leaves] == 1)
    leaf = tree.apply(X)
    assert len(set(leaf)) == 16


def test_isolation_forest_bad_input():
    X, _ = outlier_data()
    with pytest.raises(NotFittedError):
        IsolationForest().predict(X)
    with pytest.raises(ValueError, match="contamination"):
        IsolationForest(contamination=0.7).fit(X)
    with pytest.raises(ValueError, match="max_samples"):
        IsolationForest(max_samples=-3).fit(X)
    model = IsolationForest(n_estimators=5).fit(X)
    with pytest.raises(ValueError, match="4 features"):
        model.predict(X[:, :2])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        IsolationForest().fit(bad)
