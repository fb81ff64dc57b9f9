"""descent.learn.mixture against scikit-learn: estimator checks, EM parity, bad input."""
import warnings

import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.mixture import GaussianMixture

sklearn = pytest.importorskip("sklearn")
from sklearn import mixture as skm  # noqa: E402
from sklearn.datasets import load_iris, make_blobs  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [GaussianMixture(n_components=2, random_state=0),
              GaussianMixture(n_components=2, covariance_type="diag", random_state=0),
              GaussianMixture(n_components=2, covariance_type="tied", random_state=0),
              GaussianMixture(n_components=2, covariance_type="spherical", random_state=0)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def blobs(seed=0):
    X, y = make_blobs(n_samples=400, n_features=3, centers=3, cluster_std=[1.0, 2.0, 0.5],
                      random_state=seed)
    return X @ np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.5], [0.2, 0.0, 1.0]]), y


def shared_start(X, y, covariance_type):
    """Starting weights, means, precisions from the true labels, in the layout of the type."""
    k, d = 3, X.shape[1]
    weights = np.bincount(y) / len(y)
    means = np.array([X[y == j].mean(0) for j in range(k)]) + 0.5
    full = np.array([np.cov(X[y == j].T) + np.eye(d) for j in range(k)])
    precisions = {"full": np.linalg.inv(full), "tied": np.linalg.inv(full.mean(0)),
                  "diag": 1 / np.array([np.diag(c) for c in full]),
                  "spherical": 1 / np.array([np.diag(c).mean() for c in full])}[covariance_type]
    return dict(weights_init=weights, means_init=means, precisions_init=precisions)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_em_from_the_same_start_matches_sklearn(covariance_type):
    X, y = blobs()
    start = shared_start(X, y, covariance_type)
    ours = GaussianMixture(3, covariance_type=covariance_type, tol=1e-8, max_iter=500, **start).fit(X)
    theirs = skm.GaussianMixture(3, covariance_type=covariance_type, tol=1e-8, max_iter=500,
                                 **start).fit(X)
    assert ours.converged_ and theirs.converged_
    np.testing.assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=1e-7)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.precisions_, theirs.precisions_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(ours.bic(X), theirs.bic(X), rtol=1e-7)
    np.testing.assert_allclose(ours.aic(X), theirs.aic(X), rtol=1e-7)


def test_one_em_step_matches_sklearn_exactly():
    X, y = blobs(1)
    start = shared_start(X, y, "full")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GaussianMixture(3, max_iter=1, **start).fit(X)
        theirs = skm.GaussianMixture(3, max_iter=1, **start).fit(X)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-10)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-10)
    np.testing.assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=1e-12)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_default_init_finds_a_fit_as_good_as_sklearn(init_params):
    X, y = load_iris(return_X_y=True)
    ours = GaussianMixture(3, init_params=init_params, n_init=3, random_state=0).fit(X)
    theirs = skm.GaussianMixture(3, init_params=init_params, n_init=3, random_state=0).fit(X)
    assert ours.score(X) >= theirs.score(X) - 0.05
    assert adjusted_rand_score(ours.predict(X), y) > 0.5
    np.testing.assert_array_equal(ours.fit_predict(X), ours.predict(X))


def test_sample_has_the_model_moments():
    X, _ = blobs()
    model = GaussianMixture(3, random_state=0).fit(X)
    draws, labels = model.sample(20000)
    assert draws.shape == (20000, 3)
    np.testing.assert_allclose(np.bincount(labels) / 20000, model.weights_, atol=0.02)
    for k in range(3):
        np.testing.assert_allclose(draws[labels == k].mean(0), model.means_[k], atol=0.1)
        np.testing.assert_allclose(np.cov(draws[labels == k].T), model.covariances_[k], atol=0.25)


def test_bad_input():
    X, _ = blobs()
    with pytest.raises(NotFittedError):
        GaussianMixture(2).predict(X)
    with pytest.raises(ValueError, match="covariance_type"):
        GaussianMixture(2, covariance_type="banded").fit(X)
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(5).fit(X[:3])
    with pytest.raises(ValueError, match="means_init"):
        GaussianMixture(2, means_init=np.zeros((3, 3))).fit(X)
    with pytest.raises(ValueError, match="features"):
        GaussianMixture(2, random_state=0).fit(X).score(X[:, :2])
    with pytest.raises(ValueError, match="ill-defined"):
        GaussianMixture(2, reg_covar=0.0, init_params="random_from_data", random_state=0).fit(
            np.repeat(X[:2], 20, axis=0))
