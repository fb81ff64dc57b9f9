"""descent.learn.linear_model against scikit-learn's linear models."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from descent.learn import linear_model as dl
from descent.learn.base import NotFittedError

sklearn = pytest.importorskip("sklearn")
from sklearn import linear_model as sl  # noqa: E402
from sklearn.datasets import load_diabetes, make_regression  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


@parametrize_with_checks([
    dl.LinearRegression(), dl.Ridge(), dl.Ridge(solver="svd"), dl.Lasso(alpha=0.1),
    dl.ElasticNet(alpha=0.1), dl.ElasticNet(alpha=0.1, precompute=True),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def regression(n=60, d=5, n_targets=1, seed=0):
    X, y = make_regression(n_samples=n, n_features=d, n_informative=3, n_targets=n_targets,
                           noise=5.0, bias=3.0, random_state=seed)
    return X * np.linspace(0.5, 4, d) + 2.0, y


def weights(n, seed=1):
    return np.random.default_rng(seed).uniform(0.1, 3, n)


# ------------------------------------------------------------------ least squares and ridge

@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_regression_matches_sklearn(fit_intercept, n_targets, weighted):
    X, y = regression(n_targets=n_targets)
    w = weights(len(X)) if weighted else None
    ours = dl.LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    theirs = sl.LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)


def test_linear_regression_rank_deficient_gives_minimum_norm():
    X, y = regression()
    X = np.hstack([X, X[:, :1]])  # a repeated column
    ours, theirs = dl.LinearRegression().fit(X, y), sl.LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
    assert ours.rank_ == theirs.rank_ == X.shape[1] - 1


@pytest.mark.parametrize("solver", ["auto", "cholesky", "svd"])
@pytest.mark.parametrize("shape", [(60, 5), (10, 30)])  # the second needs the dual form
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_matches_sklearn(solver, shape, fit_intercept, weighted):
    X, y = regression(*shape)
    w = weights(len(X)) if weighted else None
    kw = dict(alpha=2.5, solver=solver, fit_intercept=fit_intercept)
    ours = dl.Ridge(**kw).fit(X, y, sample_weight=w)
    theirs = sl.Ridge(**kw).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("solver", ["cholesky", "svd"])
def test_ridge_multi_target_with_per_target_alpha(solver):
    X, Y = regression(n_targets=3)
    for alpha in (1.0, [0.1, 10.0, 100.0]):
        ours = dl.Ridge(alpha=alpha, solver=solver).fit(X, Y)
        theirs = sl.Ridge(alpha=alpha, solver=solver).fit(X, Y)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-7)
    with pytest.raises(ValueError, match="number of penalties"):
        dl.Ridge(alpha=[1.0, 2.0]).fit(X, Y)


def test_ridge_rejects_unknown_solver_and_negative_alpha():
    X, y = regression()
    with pytest.raises(ValueError, match="solver"):
        dl.Ridge(solver="sag").fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        dl.Ridge(alpha=-1.0).fit(X, y)


def test_diabetes_cross_validated_r2_matches_sklearn():
    X, y = load_diabetes(return_X_y=True)
    for ours, theirs in ((dl.LinearRegression(), sl.LinearRegression()),
                         (dl.Ridge(alpha=0.1), sl.Ridge(alpha=0.1)),
                         (dl.Lasso(alpha=0.05), sl.Lasso(alpha=0.05)),
                         (dl.ElasticNet(alpha=0.001, l1_ratio=0.3),
                          sl.ElasticNet(alpha=0.001, l1_ratio=0.3))):
        r2_ours = cross_val_score(ours, X, y, cv=5).mean()
        r2_theirs = cross_val_score(theirs, X, y, cv=5).mean()
        assert abs(r2_ours - r2_theirs) < 0.01, (ours, r2_ours, r2_theirs)


# ------------------------------------------------------------------ coordinate descent

def enet_objective(X, y, coef, intercept, alpha, l1_ratio, w=None):
    w = np.ones(len(y)) if w is None else w * len(y) / w.sum()
    r = y - X @ coef - intercept
    return (0.5 * np.mean(w * r ** 2) + alpha * l1_ratio * np.abs(coef).sum()
            + 0.5 * alpha * (1 - l1_ratio) * coef @ coef)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_elastic_net_matches_sklearn(l1_ratio, precompute, fit_intercept, weighted):
    X, y = regression(n=80, d=8)
    w = weights(len(X)) if weighted else None
    kw = dict(alpha=1.0, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-10,
              max_iter=10000)
    ours = dl.ElasticNet(precompute=precompute, **kw).fit(X, y, sample_weight=w)
    theirs = sl.ElasticNet(**kw).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-6)
    assert ours.dual_gap_ <= 1e-10 * np.var(y) * 2


@pytest.mark.parametrize("precompute", [False, True])
def test_lasso_matches_sklearn_and_is_sparse(precompute):
    X, y = regression(n=50, d=20)
    ours = dl.Lasso(alpha=2.0, precompute=precompute).fit(X, y)
    theirs = sl.Lasso(alpha=2.0).fit(X, y)
    # At the default tol both stop near the optimum: objectives agree closely.
    a = enet_objective(X, y, ours.coef_, ours.intercept_, 2.0, 1.0)
    b = enet_objective(X, y, theirs.coef_, theirs.intercept_, 2.0, 1.0)
    assert a == pytest.approx(b, rel=1e-4)
    np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    assert (ours.coef_ == 0).sum() >= 10
    assert ours.n_iter_ >= 1
    assert 0 <= ours.dual_gap_ <= 1e-4 * (y - y.mean()) @ (y - y.mean()) / len(y)


def test_lasso_is_optimal_by_kkt_conditions():
    """At the lasso optimum, |Xⱼᵀr|/n ≤ α, with equality and matching sign where wⱼ ≠ 0."""
    X, y = regression(n=100, d=10)
    alpha = 1.5
    model = dl.Lasso(alpha=alpha, tol=1e-12, max_iter=100000).fit(X, y)
    r = y - model.predict(X)
    Xc = X - X.mean(axis=0)
    corr = Xc.T @ r / len(y)
    active = model.coef_ != 0
    np.testing.assert_allclose(corr[active], alpha * np.sign(model.coef_[active]), rtol=1e-6)
    assert np.all(np.abs(corr[~active]) <= alpha * (1 + 1e-8))


@pytest.mark.parametrize("precompute", [False, True])
def test_elastic_net_without_l1_is_ridge(precompute):
    """(1/2n)‖r‖² + ½α‖w‖² has the minimizer of ‖r‖² + nα‖w‖²: Ridge(alpha=n·α)."""
    X, y = regression(n=50, d=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = dl.ElasticNet(alpha=0.3, l1_ratio=0.0, tol=1e-12, max_iter=100000,
                              precompute=precompute).fit(X, y)
    ridge = dl.Ridge(alpha=0.3 * len(X)).fit(X, y)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-6)
    assert model.n_iter_ < 100000


def test_lasso_large_alpha_gives_zero_coefficients_immediately():
    X, y = regression()
    model = dl.Lasso(alpha=1e6).fit(X, y)
    assert np.all(model.coef_ == 0)
    assert model.intercept_ == pytest.approx(y.mean())
    assert model.n_iter_ == 0  # the gap at w = 0 is already 0


def test_multi_target_elastic_net_matches_sklearn():
    X, Y = regression(n_targets=2)
    ours = dl.ElasticNet(alpha=0.5, tol=1e-10, max_iter=10000).fit(X, Y)
    theirs = sl.ElasticNet(alpha=0.5, tol=1e-10, max_iter=10000).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-8)
    assert ours.dual_gap_.shape == (2,) and len(ours.n_iter_) == 2


def test_warm_start_reuses_coefficients():
    X, y = regression(n=80, d=8)
    model = dl.Lasso(alpha=0.5, tol=1e-8, warm_start=True).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ <= 1 < first or model.n_iter_ < first
    cold = dl.Lasso(alpha=0.5, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(model.coef_, cold.coef_, rtol=1e-5)


def test_max_iter_warns_convergence():
    X, y = regression(n=80, d=8)
    with pytest.warns(dl.ConvergenceWarning, match="did not converge"):
        dl.ElasticNet(alpha=0.01, max_iter=1, tol=1e-12).fit(X, y)


def test_lasso_has_no_l1_ratio_parameter():
    assert "l1_ratio" not in dl.Lasso().get_params()
    assert sorted(dl.Lasso().get_params()) == sorted(
        k for k in sl.Lasso().get_params() if k not in ("positive", "random_state", "selection"))


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("Model", [dl.LinearRegression, dl.Ridge, dl.Lasso, dl.ElasticNet])
def test_bad_input(Model):
    X, y = regression()
    with pytest.raises(NotFittedError):
        Model().predict(X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Model().fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent"):
        Model().fit(X, y[:-1])
    model = Model().fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        model.predict(X[:, :4])
    with pytest.raises(ValueError):
        Model().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="sample_weight"):
        Model().fit(X, y, sample_weight=np.ones(3))


def test_works_in_sklearn_pipeline():
    from sklearn.pipeline import make_pipeline
    from descent.learn.preprocessing import StandardScaler
    X, y = regression()
    ours = make_pipeline(StandardScaler(), dl.Ridge(alpha=3.0)).fit(X, y)
    from sklearn.preprocessing import StandardScaler as SkScaler
    theirs = make_pipeline(SkScaler(), sl.Ridge(alpha=3.0)).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 40), d=st.integers(1, 12), seed=st.integers(0, 2**16),
       alpha=st.floats(1e-3, 10.0), l1_ratio=st.sampled_from([1.0, 0.7, 0.2]),
       precompute=st.booleans())
def test_random_problems_match_sklearn(n, d, seed, alpha, l1_ratio, precompute):
    """Ridge exactly; the elastic net by its objective, on random shapes (d may exceed n)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, d)
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    np.testing.assert_allclose(dl.Ridge(alpha=alpha).fit(X, y).coef_,
                               sl.Ridge(alpha=alpha).fit(X, y).coef_, rtol=1e-6, atol=1e-8)
    kw = dict(alpha=alpha, l1_ratio=l1_ratio, tol=1e-8, max_iter=20000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = dl.ElasticNet(precompute=precompute, **kw).fit(X, y)
        theirs = sl.ElasticNet(**kw).fit(X, y)
    a = enet_objective(X, y, ours.coef_, ours.intercept_, alpha, l1_ratio)
    b = enet_objective(X, y, theirs.coef_, theirs.intercept_, alpha, l1_ratio)
    assert a <= b + 1e-6 * max(1.0, abs(b))
