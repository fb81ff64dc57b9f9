"""descent.learn.naive_bayes against scikit-learn: estimator checks, parity, bad input."""
import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB

sklearn = pytest.importorskip("sklearn")
from sklearn import naive_bayes as sknb  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [GaussianNB(), MultinomialNB(), BernoulliNB(), BernoulliNB(binarize=0.5, alpha=0.5)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer,
            "digits": load_digits}
PAIRS = [(GaussianNB, sknb.GaussianNB, {}), (MultinomialNB, sknb.MultinomialNB, {"alpha": 0.5}),
         (BernoulliNB, sknb.BernoulliNB, {"binarize": 4.0})]


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("ours_cls, sk_cls, params", PAIRS)
def test_cross_validated_accuracy_matches_sklearn(name, ours_cls, sk_cls, params):
    X, y = DATASETS[name](return_X_y=True)
    ours = cross_val_score(ours_cls(**params), X, y, cv=5).mean()
    theirs = cross_val_score(sk_cls(**params), X, y, cv=5).mean()
    assert abs(ours - theirs) <= 0.01


@pytest.mark.parametrize("ours_cls, sk_cls, params", PAIRS + [
    (GaussianNB, sknb.GaussianNB, {"priors": [0.2, 0.3, 0.5], "var_smoothing": 1e-3}),
    (MultinomialNB, sknb.MultinomialNB, {"fit_prior": False}),
    (BernoulliNB, sknb.BernoulliNB, {"class_prior": [0.5, 0.25, 0.25], "alpha": 2.0})])
def test_fitted_statistics_and_probabilities_match_sklearn(ours_cls, sk_cls, params):
    X, y = load_wine(return_X_y=True)
    y = np.array(["red", "white", "rose"])[y]  # string labels
    w = np.linspace(0.5, 2.0, len(y))
    ours, theirs = ours_cls(**params).fit(X, y, sample_weight=w), sk_cls(**params).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    for name in ("theta_", "var_", "class_prior_", "feature_log_prob_", "class_log_prior_", "class_count_"):
        if hasattr(theirs, name):
            np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-9)
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("cls", [GaussianNB, MultinomialNB, BernoulliNB])
def test_partial_fit_in_batches_equals_fit(cls):
    # The variance smoothing depends on the batch, so it is switched off here.
    X, y = load_wine(return_X_y=True)
    params = {"var_smoothing": 0.0} if cls is GaussianNB else {}
    whole = cls(**params).fit(X, y)
    parts = cls(**params)
    for batch in np.array_split(np.random.default_rng(0).permutation(len(y)), 4):
        parts.partial_fit(X[batch], y[batch], classes=np.arange(3))
    np.testing.assert_allclose(parts.predict_log_proba(X[:50]), whole.predict_log_proba(X[:50]),
                               rtol=1e-6, atol=1e-6)


def test_bad_input():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(NotFittedError):
        GaussianNB().predict(X)
    with pytest.raises(ValueError, match="Negative values"):
        MultinomialNB().fit(X - 5, y)
    with pytest.raises(ValueError, match="sum of the priors"):
        GaussianNB(priors=[0.5, 0.5, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="classes must be passed"):
        GaussianNB().partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes"):
        GaussianNB().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="features"):
        BernoulliNB().fit(X, y).predict(X[:, :2])
    with pytest.raises(ValueError, match="infinity"):
        GaussianNB().fit(np.where(X > 7, np.inf, X), y)
