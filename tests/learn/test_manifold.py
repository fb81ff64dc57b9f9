"""descent.learn.manifold.TSNE against scikit-learn: estimator checks, affinities, gradient, quality."""
import numpy as np
import pytest

from descent.learn.manifold import TSNE, joint_probabilities, kl_divergence_and_gradient

sklearn = pytest.importorskip("sklearn")
from sklearn import manifold as skmf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.manifold import trustworthiness  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


@parametrize_with_checks([TSNE(perplexity=2, max_iter=250, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def digits(n=250):
    X, y = load_digits(return_X_y=True)
    return X[:n], y[:n]


def test_joint_probabilities_match_sklearn():
    from sklearn.manifold._t_sne import _joint_probabilities
    X, _ = digits(120)
    D = ((X[:, None] - X[None]) ** 2).sum(-1).astype(np.float32)
    expected = _joint_probabilities(D, 20.0, verbose=0)  # condensed upper triangle
    ours = joint_probabilities(X, 20.0)
    rows, cols = np.triu_indices(len(X), k=1)
    np.testing.assert_allclose(ours[rows, cols], expected, rtol=1e-4, atol=1e-12)


def test_each_row_has_the_requested_perplexity():
    from descent.learn.manifold import conditional_probabilities
    X, _ = digits(150)
    P = conditional_probabilities(((X[:, None] - X[None]) ** 2).sum(-1), 15.0)
    entropy = -np.sum(np.where(P > 0, P * np.log(np.where(P > 0, P, 1)), 0), axis=1)
    np.testing.assert_allclose(np.exp(entropy), 15.0, rtol=1e-3)
    np.testing.assert_allclose(P.sum(1), 1.0)


@pytest.mark.parametrize("dof", [1.0, 2.0])
def test_gradient_matches_finite_differences(dof):
    rng = np.random.default_rng(0)
    P = rng.random((12, 12))
    P = P + P.T
    np.fill_diagonal(P, 0)
    P /= P.sum()
    Y = rng.standard_normal((12, 2))
    _, grad = kl_divergence_and_gradient(Y, P, dof)
    numeric = np.zeros_like(Y)
    h = 1e-6
    for index in np.ndindex(Y.shape):  # a 24-entry check, not a data loop
        Yp, Ym = Y.copy(), Y.copy()
        Yp[index] += h
        Ym[index] -= h
        numeric[index] = (kl_divergence_and_gradient(Yp, P, dof)[0]
                          - kl_divergence_and_gradient(Ym, P, dof)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("init", ["pca", "random"])
def test_trustworthiness_close_to_sklearn(init):
    X, _ = digits()
    ours = TSNE(init=init, random_state=0).fit_transform(X)
    theirs = skmf.TSNE(init=init, random_state=0).fit_transform(X)
    t_ours, t_sk = trustworthiness(X, ours, n_neighbors=5), trustworthiness(X, theirs, n_neighbors=5)
    assert t_ours >= t_sk - 0.02
    assert t_ours > 0.95


def test_exact_method_kl_close_to_sklearn_exact():
    X, _ = digits(150)
    ours = TSNE(random_state=0).fit(X)
    theirs = skmf.TSNE(random_state=0, method="exact").fit(X)
    # The optimisation is chaotic (see below), so only the optimum reached is compared.
    assert ours.kl_divergence_ <= theirs.kl_divergence_ * 1.15
    assert ours.learning_rate_ == pytest.approx(max(150 / 12 / 4, 50))


def test_first_iterations_follow_sklearns_optimiser():
    """Same P, init and schedule give the same steps until chaos amplifies rounding."""
    from sklearn.manifold._t_sne import _gradient_descent, _joint_probabilities, _kl_divergence
    X, _ = digits(100)
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    P = _joint_probabilities(D, 30.0, 0)
    init = np.random.default_rng(0).standard_normal((100, 2)) * 1e-4
    expected = _gradient_descent(_kl_divergence, init.ravel().copy(), 0, 10, n_iter_check=50,
                                 n_iter_without_progress=300, momentum=0.5, learning_rate=50.0,
                                 min_gain=0.01, min_grad_norm=1e-7, args=[P * 12, 1.0, 100, 2])[0]
    model = TSNE(init=init)
    model.learning_rate_ = 50.0
    state = dict(Y=init.copy(), update=np.zeros_like(init), gains=np.ones_like(init))
    model._descend(state, joint_probabilities(X, 30.0) * 12, 1.0, 0, 10, momentum=0.5)
    np.testing.assert_allclose(state["Y"].ravel(), expected, atol=1e-9)


def test_bad_input():
    X, _ = digits(40)
    with pytest.raises(ValueError, match="perplexity"):
        TSNE(perplexity=50).fit(X)
    with pytest.raises(ValueError, match="max_iter"):
        TSNE(perplexity=5, max_iter=100).fit(X)
    with pytest.raises(ValueError, match="init"):
        TSNE(perplexity=5, init="spectral").fit(X)
    with pytest.raises(ValueError, match="NaN"):
        TSNE(perplexity=5).fit(np.where(X > 15, np.nan, X))
