"""descent.learn.model_selection against scikit-learn's, in both directions:
descent's splitters and searches driving scikit-learn estimators, and scikit-learn's
Pipeline / GridSearchCV / cross_val_score driving descent's estimators."""
import numpy as np
import pytest

from descent.learn import model_selection as ms
from descent.learn.linear_model import Lasso, Ridge
from descent.learn.preprocessing import StandardScaler

sklearn = pytest.importorskip("sklearn")
from sklearn import model_selection as sms  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris, make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge as SkRidge  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler as SkScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


@parametrize_with_checks([ms.GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def folds_of(splitter, X, y=None):
    return [(train.tolist(), test.tolist()) for train, test in splitter.split(X, y)]


# ------------------------------------------------------------------ splitters

@pytest.mark.parametrize("n,k", [(10, 3), (12, 4), (7, 7), (100, 5)])
def test_kfold_matches_sklearn_without_shuffle(n, k):
    X = np.zeros((n, 2))
    assert folds_of(ms.KFold(k), X) == folds_of(sms.KFold(k), X)
    assert ms.KFold(k).get_n_splits() == k


def test_kfold_shuffle_is_a_seeded_partition():
    X = np.zeros((23, 1))
    folds = folds_of(ms.KFold(4, shuffle=True, random_state=0), X)
    tests = sorted(i for _, test in folds for i in test)
    assert tests == list(range(23))
    assert sorted(len(t) for _, t in folds) == [5, 6, 6, 6]
    assert folds == folds_of(ms.KFold(4, shuffle=True, random_state=0), X)
    assert folds != folds_of(ms.KFold(4, shuffle=True, random_state=1), X)
    for train, test in folds:
        assert not set(train) & set(test) and len(train) + len(test) == 23


def test_kfold_errors():
    with pytest.raises(ValueError, match="n_splits"):
        ms.KFold(1)
    with pytest.raises(ValueError, match="greater than the number of samples"):
        list(ms.KFold(5).split(np.zeros((3, 1))))
    with pytest.raises(ValueError, match="random_state"):
        ms.KFold(3, random_state=0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [2, 3, 5])
def test_stratified_kfold_matches_sklearn_without_shuffle(seed, k):
    rng = np.random.default_rng(seed)
    y = rng.choice(["b", "a", "c"], size=40, p=[0.5, 0.3, 0.2])
    X = np.zeros((40, 1))
    assert folds_of(ms.StratifiedKFold(k), X, y) == folds_of(sms.StratifiedKFold(k), X, y)


def test_stratified_kfold_shuffle_keeps_proportions():
    y = np.repeat([0, 1, 2], [30, 20, 10])
    X = np.zeros((60, 1))
    for train, test in ms.StratifiedKFold(5, shuffle=True, random_state=3).split(X, y):
        np.testing.assert_array_equal(np.bincount(y[test]), [6, 4, 2])


def test_stratified_kfold_errors_and_warnings():
    X = np.zeros((6, 1))
    with pytest.raises(ValueError, match="cannot be greater"):
        list(ms.StratifiedKFold(4).split(X, [0, 0, 0, 1, 1, 1]))
    with pytest.warns(UserWarning, match="least populated class"):
        list(ms.StratifiedKFold(3).split(X, [0, 0, 0, 0, 1, 1]))


def test_train_test_split_sizes_match_sklearn():
    X, y = np.arange(40).reshape(20, 2), np.arange(20)
    for kw in ({}, {"test_size": 0.33}, {"train_size": 0.5}, {"test_size": 7},
               {"train_size": 10, "test_size": 5}, {"test_size": 0.1, "train_size": 0.7}):
        ours = ms.train_test_split(X, y, random_state=0, **kw)
        theirs = sms.train_test_split(X, y, random_state=0, **kw)
        assert [len(a) for a in ours] == [len(a) for a in theirs], kw
        X_train, X_test, y_train, y_test = ours
        np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay aligned
        assert not set(y_train) & set(y_test)


def test_train_test_split_without_shuffle_matches_sklearn():
    X = np.arange(10)
    for ours, theirs in zip(ms.train_test_split(X, shuffle=False, test_size=3),
                            sms.train_test_split(X, shuffle=False, test_size=3)):
        np.testing.assert_array_equal(ours, theirs)


def test_train_test_split_stratify_keeps_proportions_like_sklearn():
    y = np.repeat(["x", "y", "z"], [50, 30, 20])
    X = np.arange(100)
    _, _, y_train, y_test = ms.train_test_split(X, y, test_size=0.3, stratify=y, random_state=1)
    _, _, sy_train, sy_test = sms.train_test_split(X, y, test_size=0.3, stratify=y,
                                                   random_state=1)
    for a, b in ((y_train, sy_train), (y_test, sy_test)):
        np.testing.assert_array_equal(np.unique(a, return_counts=True)[1],
                                      np.unique(b, return_counts=True)[1])


def test_train_test_split_errors():
    with pytest.raises(ValueError, match="inconsistent"):
        ms.train_test_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        ms.train_test_split(np.zeros(3), train_size=0.1)
    with pytest.raises(ValueError, match="shuffle=False"):
        ms.train_test_split(np.zeros(6), stratify=[0, 1] * 3, shuffle=False)


# ------------------------------------------------------------------ clone and cross-validation

def test_clone_rebuilds_unfitted_copy():
    pipe = make_pipeline(StandardScaler(), Ridge(alpha=[1.0]))
    copy = ms.clone(pipe)
    assert copy is not pipe and copy.steps[1][1] is not pipe.steps[1][1]
    assert copy.get_params()["ridge__alpha"] == [1.0]
    assert copy.get_params()["ridge__alpha"] is not pipe.get_params()["ridge__alpha"]
    fitted = Ridge().fit(np.eye(3), [1.0, 2.0, 3.0])
    assert not hasattr(ms.clone(fitted), "coef_")
    with pytest.raises(TypeError, match="get_params"):
        ms.clone(object())


@pytest.mark.parametrize("scoring", [None, "accuracy", "f1_macro", "neg_log_loss"])
def test_cross_val_score_with_sklearn_classifier_matches_sklearn(scoring):
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500)
    ours = ms.cross_val_score(model, X, y, cv=5, scoring=scoring)
    theirs = sms.cross_val_score(model, X, y, cv=5, scoring=scoring)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


@pytest.mark.parametrize("scoring", [None, "r2", "neg_mean_squared_error",
                                     "neg_mean_absolute_error"])
def test_cross_val_score_with_sklearn_regressor_matches_sklearn(scoring):
    X, y = load_diabetes(return_X_y=True)
    cv = sms.KFold(4)
    ours = ms.cross_val_score(SkRidge(alpha=0.3), X, y, cv=cv, scoring=scoring)
    theirs = sms.cross_val_score(SkRidge(alpha=0.3), X, y, cv=cv, scoring=scoring)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_cross_validate_train_scores_and_custom_splits():
    X, y = load_diabetes(return_X_y=True)
    splits = [(np.arange(0, 300), np.arange(300, 442)), (np.arange(142, 442), np.arange(142))]
    res = ms.cross_validate(Ridge(), X, y, cv=splits, return_train_score=True)
    theirs = sms.cross_validate(SkRidge(), X, y, cv=splits, return_train_score=True)
    np.testing.assert_allclose(res["test_score"], theirs["test_score"], rtol=1e-8)
    np.testing.assert_allclose(res["train_score"], theirs["train_score"], rtol=1e-8)
    assert res["fit_time"].shape == (2,)


def test_failed_fit_gets_error_score():
    X, y = load_diabetes(return_X_y=True)
    grid = {"solver": ["auto", "nope"]}
    with pytest.warns(ms.FitFailedWarning):
        search = ms.GridSearchCV(Ridge(), grid, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1])
    np.testing.assert_array_equal(search.cv_results_["rank_test_score"], [1, 2])
    with pytest.raises(ValueError, match="solver"):
        ms.GridSearchCV(Ridge(), grid, cv=3, error_score="raise").fit(X, y)
    with pytest.warns(ms.FitFailedWarning), pytest.raises(ValueError, match="All the 3 fits"):
        ms.cross_val_score(Ridge(solver="nope"), X, y, cv=3)


# ------------------------------------------------------------------ grid search

def test_parameter_grid_order_matches_sklearn():
    grid = [{"b": [1, 2], "a": ["x", "y", "z"]}, {"c": [0.1]}]
    assert list(ms.ParameterGrid(grid)) == list(sms.ParameterGrid(grid))
    assert len(ms.ParameterGrid(grid)) == 7
    with pytest.raises(TypeError, match="list"):
        ms.ParameterGrid({"a": 1})


def test_grid_search_with_sklearn_estimator_matches_sklearn():
    X, y = make_classification(n_samples=150, n_features=6, random_state=0)
    grid = [{"max_depth": [1, 2, 4], "min_samples_leaf": [1, 5]}, {"criterion": ["entropy"]}]
    est = DecisionTreeClassifier(random_state=0)
    ours = ms.GridSearchCV(est, grid, cv=3).fit(X, y)
    theirs = sms.GridSearchCV(est, grid, cv=3).fit(X, y)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(ours.cv_results_["rank_test_score"],
                                  theirs.cv_results_["rank_test_score"])
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    np.testing.assert_array_equal(ours.cv_results_["param_max_depth"].mask,
                                  theirs.cv_results_["param_max_depth"].mask)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == pytest.approx(theirs.best_score_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y))
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)


def test_grid_search_over_descent_pipeline_with_scoring():
    X, y = load_diabetes(return_X_y=True)
    grid = {"lasso__alpha": [0.01, 0.1, 1.0, 5.0]}
    ours = ms.GridSearchCV(make_pipeline(StandardScaler(), Lasso()), grid, cv=4,
                           scoring="neg_mean_squared_error").fit(X, y)
    theirs = sms.GridSearchCV(make_pipeline(SkScaler(), sklearn.linear_model.Lasso()), grid,
                              cv=4, scoring="neg_mean_squared_error").fit(X, y)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"], rtol=1e-3)
    assert ours.best_params_ == theirs.best_params_
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-3)


def test_grid_search_refit_false_and_delegation_absence():
    X, y = load_diabetes(return_X_y=True)
    search = ms.GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, refit=False, cv=3).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert search.best_params_ in ({"alpha": 0.1}, {"alpha": 1.0})
    fitted = ms.GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3).fit(X, y)
    assert not hasattr(fitted, "predict_proba")  # Ridge has none, so neither does the search
    assert ms.clone(fitted).get_params()["estimator__alpha"] == 1.0


# ------------------------------------------------------------------ scikit-learn driving descent

def test_sklearn_tools_drive_descent_estimators():
    X, y = load_diabetes(return_X_y=True)
    ours = Pipeline([("scale", StandardScaler()), ("ridge", Ridge())])
    theirs = Pipeline([("scale", SkScaler()), ("ridge", SkRidge())])
    np.testing.assert_allclose(sms.cross_val_score(ours, X, y, cv=5),
                               sms.cross_val_score(theirs, X, y, cv=5), rtol=1e-8)
    grid = {"ridge__alpha": [0.01, 1.0, 30.0], "scale__with_mean": [True, False]}
    search_ours = sms.GridSearchCV(ours, grid, cv=3).fit(X, y)
    search_theirs = sms.GridSearchCV(theirs, grid, cv=3).fit(X, y)
    np.testing.assert_allclose(search_ours.cv_results_["mean_test_score"],
                               search_theirs.cv_results_["mean_test_score"], rtol=1e-8)
    # Centring does not change a ridge with an intercept, so with_mean True and False tie to
    # rounding: the best parameters are any of those within rounding of the best score.
    scores = search_theirs.cv_results_["mean_test_score"]
    tied = [params for params, score in zip(search_theirs.cv_results_["params"], scores)
            if np.isclose(score, scores.max(), rtol=1e-8)]
    assert search_ours.best_params_ in tied


def test_nested_cross_validation_both_ways():
    X, y = load_diabetes(return_X_y=True)
    grid = {"alpha": [0.01, 0.3, 10.0]}
    ours = sms.cross_val_score(ms.GridSearchCV(Ridge(), grid, cv=3), X, y, cv=3)
    theirs = sms.cross_val_score(sms.GridSearchCV(SkRidge(), grid, cv=3), X, y, cv=3)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8)
    mixed = ms.cross_val_score(sms.GridSearchCV(Ridge(), grid, cv=3), X, y, cv=3)
    np.testing.assert_allclose(mixed, theirs, rtol=1e-8)
