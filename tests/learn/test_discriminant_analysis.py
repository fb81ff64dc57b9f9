"""descent.learn.discriminant_analysis against scikit-learn's LinearDiscriminantAnalysis."""
import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.discriminant_analysis import LinearDiscriminantAnalysis as LDA

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_classification  # noqa
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as SkLDA  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


# solver="lsqr" is left out: it has no transform (as in scikit-learn), which the transformer
# checks call; its predictions are compared with scikit-learn below instead.
@parametrize_with_checks([LDA(), LDA(solver="eigen"), LDA(solver="eigen", shrinkage="auto")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def columns_equal_up_to_sign(A, B, **kw):
    signs = np.sign(np.sum(A * B, axis=0))
    np.testing.assert_allclose(A * signs, B, **kw)


SETTINGS = [dict(solver="svd"), dict(solver="eigen"), dict(solver="lsqr"),
            dict(solver="eigen", shrinkage=0.3), dict(solver="lsqr", shrinkage="auto"),
            dict(solver="eigen", shrinkage="auto"), dict(solver="svd", priors=[0.2, 0.5, 0.3])]


@pytest.mark.parametrize("kw", SETTINGS)
def test_matches_sklearn_on_wine(kw):
    X, y = load_wine(return_X_y=True)
    ours, theirs = LDA(**kw).fit(X, y), SkLDA(**kw).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)
    if kw["solver"] != "lsqr":
        np.testing.assert_allclose(ours.explained_variance_ratio_,
                                   theirs.explained_variance_ratio_, rtol=1e-6)
        columns_equal_up_to_sign(ours.transform(X), theirs.transform(X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", ["svd", "eigen", "lsqr"])
def test_binary_matches_sklearn_with_string_labels(solver):
    X, y = load_breast_cancer(return_X_y=True)
    y = np.where(y == 1, "benign", "malignant")
    ours, theirs = LDA(solver=solver).fit(X, y), SkLDA(solver=solver).fit(X, y)
    assert ours.coef_.shape == theirs.coef_.shape == (1, X.shape[1])
    assert ours.decision_function(X).shape == (len(X),)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer])
def test_cross_validated_accuracy_matches_sklearn(load):
    X, y = load(return_X_y=True)
    ours = cross_val_score(LDA(), X, y, cv=5).mean()
    theirs = cross_val_score(SkLDA(), X, y, cv=5).mean()
    assert abs(ours - theirs) <= 0.01


def test_store_covariance_and_n_components():
    X, y = load_iris(return_X_y=True)
    ours = LDA(store_covariance=True, n_components=1).fit(X, y)
    theirs = SkLDA(store_covariance=True, n_components=1).fit(X, y)
    np.testing.assert_allclose(ours.covariance_, theirs.covariance_, rtol=1e-10)
    assert ours.transform(X).shape == (150, 1)
    columns_equal_up_to_sign(ours.transform(X), theirs.transform(X), rtol=1e-8)
    with pytest.raises(ValueError, match="n_components"):
        LDA(n_components=3).fit(X, y)


def test_collinear_features_warn_and_still_classify():
    X, y = make_classification(n_samples=100, n_features=4, n_informative=2, n_redundant=0,
                               random_state=0)
    X = np.hstack([X, X[:, :1] * 2])
    with pytest.warns(UserWarning, match="collinear"):
        ours = LDA().fit(X, y)
    theirs = SkLDA().fit(X, y)  # scikit-learn 1.9 no longer warns here
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_bad_input():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(NotFittedError):
        LDA().predict(X)
    with pytest.raises(ValueError, match="greater than one"):
        LDA().fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="continuous"):
        LDA().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="solver"):
        LDA(solver="qr").fit(X, y)
    with pytest.raises(NotImplementedError, match="shrinkage"):
        LDA(shrinkage=0.1).fit(X, y)
    with pytest.raises(NotImplementedError, match="transform"):
        LDA(solver="lsqr").fit(X, y).transform(X)
    with pytest.raises(ValueError, match="3 features"):
        LDA().fit(X, y).predict(X[:, :3])
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        LDA().fit(bad, y)
