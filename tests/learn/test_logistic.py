"""descent.learn.logistic.LogisticRegression against scikit-learn's."""
import warnings

import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.logistic import LogisticRegression, fista, lbfgs, newton_cg, soft_threshold

sklearn = pytest.importorskip("sklearn")
from sklearn import linear_model as sl  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris, load_wine  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

LOADERS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}


def standardized(name):
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


@parametrize_with_checks([LogisticRegression(), LogisticRegression(penalty="l1", solver="saga", max_iter=500),
                          LogisticRegression(solver="newton-cg"),
                          LogisticRegression(C=10.0)])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on the checks' unscaled toy data
        check(estimator)


@pytest.mark.parametrize("name", list(LOADERS))
@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_smooth_solvers_match_sklearn_tightly(name, C, solver):
    X, y = standardized(name)
    ours = LogisticRegression(C=C, solver=solver, tol=1e-10, max_iter=1000).fit(X, y)
    theirs = sl.LogisticRegression(C=C, solver=solver, tol=1e-10, max_iter=1000).fit(X, y)
    scale = np.abs(theirs.coef_).max()
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4 * scale)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4 * scale)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)
    assert ours.coef_.shape == theirs.coef_.shape and ours.intercept_.shape == theirs.intercept_.shape


@pytest.mark.parametrize("name", list(LOADERS))
def test_default_settings_converge_like_sklearn(name):
    X, y = standardized(name)
    ours, theirs = LogisticRegression().fit(X, y), sl.LogisticRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-3 * np.abs(theirs.coef_).max())
    assert abs(ours.n_iter_[0] - theirs.n_iter_[0]) <= 3
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("name", list(LOADERS))
def test_cross_validated_accuracy_matches_sklearn(name):
    X, y = standardized(name)
    ours = cross_val_score(LogisticRegression(C=0.5), X, y, cv=5).mean()
    theirs = cross_val_score(sl.LogisticRegression(C=0.5), X, y, cv=5).mean()
    assert abs(ours - theirs) <= 0.01


@pytest.mark.parametrize("penalty,l1_ratio", [("l1", None), ("elasticnet", 0.5)])
@pytest.mark.parametrize("name", ["iris", "wine"])
def test_l1_and_elasticnet_match_sklearn_saga(penalty, l1_ratio, name):
    X, y = standardized(name)
    ours = LogisticRegression(penalty=penalty, l1_ratio=l1_ratio, solver="saga", C=0.3, tol=1e-9,
                              max_iter=20000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's deprecation of `penalty`
        theirs = sl.LogisticRegression(l1_ratio=1.0 if l1_ratio is None else l1_ratio, solver="saga", C=0.3,
                                       tol=1e-9, max_iter=20000).fit(X, y)
    scale = np.abs(theirs.coef_).max()
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4 * scale)
    np.testing.assert_array_equal(ours.coef_ == 0, np.abs(theirs.coef_) < 1e-8)  # same sparsity


def test_penalty_none_and_class_weight_match_sklearn():
    X, y = standardized("iris")
    X = X + 1.5 * np.random.default_rng(0).normal(size=X.shape)  # not separable: finite optimum
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    for kw in [dict(penalty=None), dict(class_weight="balanced"), dict(class_weight=weights)]:
        ours = LogisticRegression(tol=1e-10, max_iter=2000, **kw).fit(X, y)
        sk = dict(kw, C=np.inf, penalty="deprecated") if kw.get("penalty", "l2") is None else kw
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = sl.LogisticRegression(tol=1e-10, max_iter=2000, **sk).fit(X, y)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4 * np.abs(theirs.coef_).max())


def test_sample_weight_equals_repeating_rows():
    X, y = standardized("wine")
    counts = np.random.default_rng(0).integers(0, 3, len(X))
    weighted = LogisticRegression(tol=1e-10, max_iter=1000).fit(X, y, sample_weight=counts)
    repeated = LogisticRegression(tol=1e-10, max_iter=1000).fit(np.repeat(X, counts, 0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-6)


def test_probabilities_are_consistent_and_labels_can_be_strings():
    X, y = standardized("iris")
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(fit_intercept=False).fit(X, names)
    p = model.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(p), model.predict_log_proba(X), atol=1e-10)
    np.testing.assert_array_equal(model.predict(X), model.classes_[p.argmax(axis=1)])
    np.testing.assert_array_equal(model.intercept_, 0.0)
    theirs = sl.LogisticRegression(fit_intercept=False).fit(X, names)
    assert model.score(X, names) == theirs.score(X, names)


def test_lbfgs_minimizes_a_quadratic():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x, _, converged = lbfgs(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(2), tol=1e-10)
    assert converged
    np.testing.assert_allclose(x, np.linalg.solve(A, b), atol=1e-9)


def test_newton_cg_minimizes_a_quadratic():
    A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    b = np.array([1.0, -1.0, 2.0])
    value_and_grad = lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b)  # noqa: E731
    x, n_iter, converged = newton_cg(lambda x: (*value_and_grad(x), lambda v: A @ v), value_and_grad,
                                     np.zeros(3), tol=1e-10)
    assert converged and n_iter <= 6  # inexact Newton: CG stops early while the gradient is large
    np.testing.assert_allclose(x, np.linalg.solve(A, b), atol=1e-9)


def test_fista_solves_the_lasso_in_one_dimension():
    # min (x - 3)²/2 + |x| has its minimum at x = 2 (soft-thresholding of 3 by 1).
    x, _, converged = fista(lambda x: (0.5 * float((x - 3) @ (x - 3)), x - 3),
                            lambda v, step: soft_threshold(v, step), np.zeros(1), tol=1e-10)
    assert converged
    np.testing.assert_allclose(x, [2.0], atol=1e-8)


def test_bad_input_raises():
    X, y = standardized("iris")
    with pytest.raises(NotFittedError):
        LogisticRegression().predict(X)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(bad, y)
    with pytest.raises(ValueError, match="one class"):
        LogisticRegression().fit(X[:10], y[:10])
    with pytest.raises(ValueError, match="lbfgs"):
        LogisticRegression(penalty="l1").fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        LogisticRegression(solver="liblinear").fit(X, y)
    with pytest.raises(ValueError, match="sample"):
        LogisticRegression().fit(X[:0], y[:0])
