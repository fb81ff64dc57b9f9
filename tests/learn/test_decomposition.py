"""descent.learn.decomposition against scikit-learn: estimator checks, parity, bad input."""
import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.decomposition import PCA, KernelPCA, TruncatedSVD, randomized_svd

sklearn = pytest.importorskip("sklearn")
from sklearn import decomposition as skd  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_low_rank_matrix  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [PCA(n_components=2), PCA(n_components=0.9, whiten=True), TruncatedSVD(n_components=2, random_state=0),
              KernelPCA(n_components=2, kernel="rbf"), KernelPCA(kernel="poly", fit_inverse_transform=True)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def datasets():
    rng = np.random.default_rng(0)
    return {"iris": load_iris().data, "digits": load_digits().data[:300],
            "cancer": load_breast_cancer().data, "wide": rng.standard_normal((40, 120)) @ np.diag(
                np.linspace(3, 0.1, 120))}


def same_up_to_sign(A, B, **tol):
    """Rows equal up to a per-row sign (the sign of a singular vector is arbitrary)."""
    signs = np.sign(np.sum(A * B, axis=1))[:, None]
    np.testing.assert_allclose(A * signs, B, **tol)


# ------------------------------------------------------------------ PCA

@pytest.mark.parametrize("name", ["iris", "digits", "cancer", "wide"])
@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "auto"])
def test_pca_matches_sklearn(name, solver):
    X = datasets()[name]
    k = 3
    ours = PCA(k, svd_solver=solver).fit(X)
    theirs = skd.PCA(k, svd_solver=solver).fit(X)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-6)
    np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-6)
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=1e-6)
    np.testing.assert_allclose(ours.noise_variance_, theirs.noise_variance_, rtol=1e-6)
    same_up_to_sign(ours.components_, theirs.components_, atol=1e-6)
    # The sign convention itself: largest entry of each axis positive, as scikit-learn.
    np.testing.assert_allclose(ours.components_, theirs.components_, atol=1e-6)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), atol=1e-6 * np.abs(X).max())


@pytest.mark.parametrize("n_components", [None, 0.5, 0.95, 0.999])
def test_pca_n_components_float_and_none(n_components):
    X = load_digits().data[:300]
    ours = PCA(n_components).fit(X)
    theirs = skd.PCA(n_components).fit(X)
    assert ours.n_components_ == theirs.n_components_


@pytest.mark.parametrize("whiten", [False, True])
def test_pca_fit_transform_inverse_and_score(whiten):
    X = load_iris().data
    ours, theirs = PCA(2, whiten=whiten), skd.PCA(2, whiten=whiten)
    Z, Zs = ours.fit_transform(X), theirs.fit_transform(X)
    np.testing.assert_allclose(Z, Zs, atol=1e-8)
    np.testing.assert_allclose(ours.transform(X), Z, atol=1e-8)
    np.testing.assert_allclose(ours.inverse_transform(Z), theirs.inverse_transform(Zs), atol=1e-8)
    # scikit-learn rescales its covariance model when whitening; ours is the same model
    # either way (whitening only rescales the outputs), so compare with the unwhitened one.
    reference = skd.PCA(2).fit(X)
    np.testing.assert_allclose(ours.score_samples(X), reference.score_samples(X), rtol=1e-8)
    np.testing.assert_allclose(ours.get_covariance(), reference.get_covariance(), atol=1e-10)


def test_pca_randomized_close_to_exact():
    X = make_low_rank_matrix(300, 80, effective_rank=10, random_state=0)
    ours = PCA(5, svd_solver="randomized", random_state=0).fit(X)
    exact = skd.PCA(5, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, exact.explained_variance_, rtol=1e-6)
    np.testing.assert_allclose(ours.components_, exact.components_, atol=1e-5)


def test_pca_bad_input():
    X = load_iris().data
    with pytest.raises(NotFittedError):
        PCA(2).transform(X)
    with pytest.raises(ValueError, match="n_components"):
        PCA(10).fit(X)
    with pytest.raises(ValueError, match="n_components"):
        PCA(1.5).fit(X)
    with pytest.raises(ValueError, match="features"):
        PCA(2).fit(X).transform(X[:, :3])
    with pytest.raises(ValueError, match="infinity"):
        PCA(2).fit(np.where(X > 7.5, np.inf, X))


# ------------------------------------------------------------------ randomized SVD / TruncatedSVD

def test_randomized_svd_recovers_top_singular_triplets():
    M = make_low_rank_matrix(200, 100, effective_rank=8, random_state=1)
    U, S, Vt = randomized_svd(M, 6, n_iter=5, random_state=0)
    Ue, Se, Vte = np.linalg.svd(M, full_matrices=False)
    np.testing.assert_allclose(S, Se[:6], rtol=1e-6)
    same_up_to_sign(Vt, Vte[:6], atol=1e-3)
    np.testing.assert_allclose(U.T @ U, np.eye(6), atol=1e-10)


@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_truncated_svd_matches_sklearn(algorithm):
    X = load_digits().data[:400]
    ours = TruncatedSVD(5, algorithm=algorithm, random_state=0)
    theirs = skd.TruncatedSVD(5, algorithm=algorithm, random_state=0)
    Z, Zs = ours.fit_transform(X), theirs.fit_transform(X)
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=1e-5)
    np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-4)
    same_up_to_sign(ours.components_, theirs.components_, atol=1e-4)
    same_up_to_sign(Z.T, Zs.T, atol=1e-3 * np.abs(Zs).max())
    # A randomized U S equals X Vᵀ only to the accuracy of the range finder.
    np.testing.assert_allclose(ours.transform(X), Z, atol=1e-4 * np.abs(Z).max())
    np.testing.assert_allclose(ours.inverse_transform(Z), Z @ ours.components_)


# ------------------------------------------------------------------ KernelPCA

@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "cosine", "sigmoid"])
def test_kernel_pca_matches_sklearn(kernel):
    X = load_iris().data
    ours = KernelPCA(3, kernel=kernel, gamma=0.1 if kernel in ("rbf", "sigmoid") else None)
    theirs = skd.KernelPCA(3, kernel=kernel, gamma=0.1 if kernel in ("rbf", "sigmoid") else None)
    Z, Zs = ours.fit_transform(X), theirs.fit_transform(X)
    np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, rtol=1e-6)
    same_up_to_sign(Z.T, Zs.T, atol=1e-6 * np.abs(Zs).max())
    np.testing.assert_allclose(ours.transform(X[:30]), theirs.transform(X[:30]), atol=1e-6 * np.abs(Zs).max())


def test_kernel_pca_linear_equals_pca_and_inverse_matches_sklearn():
    X = load_iris().data
    Z = KernelPCA(2).fit_transform(X)
    same_up_to_sign(Z.T, PCA(2).fit_transform(X).T, atol=1e-8)
    ours = KernelPCA(2, kernel="rbf", gamma=0.5, fit_inverse_transform=True, alpha=0.1).fit(X)
    theirs = skd.KernelPCA(2, kernel="rbf", gamma=0.5, fit_inverse_transform=True, alpha=0.1).fit(X)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)),
                               theirs.inverse_transform(theirs.transform(X)), atol=1e-6)


def test_kernel_pca_precomputed_and_errors():
    X = load_iris().data
    K = X @ X.T
    Z = KernelPCA(2, kernel="precomputed").fit_transform(K)
    same_up_to_sign(Z.T, KernelPCA(2).fit_transform(X).T, atol=1e-8)
    with pytest.raises(ValueError, match="kernel"):
        KernelPCA(kernel="laplace").fit(X)
    with pytest.raises(ValueError, match="fit_inverse_transform"):
        KernelPCA(2).fit(X).inverse_transform(X[:, :2])
