"""descent.learn.cluster against scikit-learn: estimator checks, parity, bad input."""
import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.neighbors import KDTree, radius_neighbors_graph
from descent.learn.cluster import DBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans, connected_components, kmeans_plusplus

sklearn = pytest.importorskip("sklearn")
from sklearn import cluster as skc  # noqa: E402
from sklearn.datasets import load_digits, load_iris, make_blobs, make_moons  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [KMeans(n_clusters=3, random_state=0), KMeans(n_clusters=3, algorithm="elkan", random_state=0),
              MiniBatchKMeans(n_clusters=3, batch_size=64, random_state=0), DBSCAN(),
              DBSCAN(algorithm="kd_tree"),
              AgglomerativeClustering(), AgglomerativeClustering(n_clusters=3, linkage="average")]


def expected_failures(estimator):
    if isinstance(estimator, KMeans):
        # scikit-learn expects the same failure of its own KMeans: the seeding draws
        # differ between weighted samples and repeated ones.
        return {"check_sample_weight_equivalence_on_dense_data":
                "sample_weight is not equivalent to removing/repeating samples."}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def blobs(n=600, d=5, k=4, seed=0):
    return make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=2.0, random_state=seed)[0]


def first_rows_init(X, k, seed=0):
    return X[np.random.default_rng(seed).choice(len(X), k, replace=False)]


# ------------------------------------------------------------------ KMeans

@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("data", ["blobs", "iris", "digits"])
def test_kmeans_matches_sklearn_from_same_init(algorithm, data):
    X = {"blobs": lambda: blobs(), "iris": lambda: load_iris().data,
         "digits": lambda: load_digits().data[:500]}[data]()
    init = first_rows_init(X, 5)
    ours = KMeans(n_clusters=5, init=init, algorithm=algorithm).fit(X)
    theirs = skc.KMeans(n_clusters=5, init=init, n_init=1, algorithm=algorithm).fit(X)
    assert abs(ours.inertia_ - theirs.inertia_) <= 0.01 * theirs.inertia_
    assert adjusted_rand_score(ours.labels_, theirs.labels_) > 0.99
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-6)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.transform(X[:20]), theirs.transform(X[:20]), rtol=1e-6)


def test_kmeans_lloyd_iteration_is_exact():
    """One Lloyd step from a given init equals scikit-learn's to rounding."""
    X = blobs()
    init = first_rows_init(X, 4, seed=3)
    ours = KMeans(n_clusters=4, init=init, max_iter=1).fit(X)
    theirs = skc.KMeans(n_clusters=4, init=init, n_init=1, max_iter=1).fit(X)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_kmeans_lloyd_with_skipping_bounds_follows_sklearn_step_by_step(weighted):
    # After its first passes Lloyd re-examines only the samples its bounds cannot
    # settle (Hamerly); the whole run must still be Lloyd's: same iterations, labels
    # and centers as scikit-learn's plain Lloyd, over many iterations from poor inits.
    X = make_blobs(n_samples=3000, n_features=4, centers=6, cluster_std=2.5, random_state=1)[0]
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(X)) if weighted else None
    for seed in range(4):
        init = first_rows_init(X, 6, seed=seed)
        ours = KMeans(6, init=init, tol=0).fit(X, sample_weight=w)
        theirs = skc.KMeans(6, init=init, n_init=1, tol=0).fit(X, sample_weight=w)
        assert ours.n_iter_ == theirs.n_iter_ > 5
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-10)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_kmeans_default_init_quality_close_to_sklearn(init):
    X = load_digits().data
    ours = np.mean([KMeans(10, init=init, n_init=3, random_state=s).fit(X).inertia_ for s in range(3)])
    theirs = np.mean([skc.KMeans(10, init=init, n_init=3, random_state=s).fit(X).inertia_
                      for s in range(3)])
    assert ours <= 1.02 * theirs


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_kmeans_sample_weight_matches_sklearn_and_repetition(algorithm):
    X = blobs(n=300, d=3, k=4)
    w = np.random.default_rng(0).integers(1, 4, len(X))
    init = first_rows_init(X, 4, seed=5)
    ours = KMeans(4, init=init, algorithm=algorithm).fit(X, sample_weight=w)
    theirs = skc.KMeans(4, init=init, n_init=1, algorithm=algorithm).fit(X, sample_weight=w)
    repeated = KMeans(4, init=init, algorithm=algorithm).fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-8)
    np.testing.assert_allclose(ours.cluster_centers_, repeated.cluster_centers_, rtol=1e-8)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-8)
    np.testing.assert_allclose(ours.score(X, sample_weight=w), theirs.score(X, sample_weight=w), rtol=1e-8)


def test_kmeans_plusplus_spreads_centers():
    X = blobs(k=6, d=2)
    centers, indices = kmeans_plusplus(X, 6, random_state=0)
    np.testing.assert_array_equal(centers, X[indices])
    truth = make_blobs(n_samples=600, n_features=2, centers=6, cluster_std=2.0, random_state=0,
                       return_centers=True)[2]
    # Seeded centers land near distinct true centers far more often than uniform picks would.
    owner = np.argmin(((centers[:, None] - truth[None]) ** 2).sum(-1), axis=1)
    assert len(set(owner)) >= 5


def test_kmeans_plusplus_sampling_follows_the_mass():
    # k-means++ draws candidates with probability proportional to weight x distance²,
    # by block sums then a cumulative sum inside the chosen block.
    from descent.learn.kmeans import _draw_proportional
    rng = np.random.default_rng(0)
    mass = rng.uniform(0, 1, 1000) * (np.arange(1000) % 7 != 0)  # every 7th point has no mass
    picks = _draw_proportional(mass, 40_000, np.random.default_rng(1), block=64)
    counts = np.bincount(picks, minlength=1000)
    assert counts[::7].sum() == 0
    expected = 40_000 * mass / mass.sum()
    chi2 = np.sum((counts[mass > 0] - expected[mass > 0]) ** 2 / expected[mass > 0])
    assert chi2 < 1000 + 5 * np.sqrt(2 * 1000)  # ~ chi-square with 857 degrees of freedom


def test_kmeans_predict_matches_labels_and_is_nearest_center():
    X = blobs()
    km = KMeans(4, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    d = ((X[:, None] - km.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(km.labels_, d.argmin(1))
    np.testing.assert_allclose(km.inertia_, d.min(1).sum(), rtol=1e-10)


def test_kmeans_same_seed_same_result():
    X = blobs()
    a = KMeans(4, random_state=7, n_init=2).fit(X)
    b = KMeans(4, random_state=7, n_init=2).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_kmeans_duplicate_points_keep_all_clusters():
    X = np.repeat(blobs(n=20, d=2), 5, axis=0)
    km = KMeans(6, random_state=0, init="random", n_init=4).fit(X)
    assert len(np.unique(km.labels_)) == 6


def test_kmeans_bad_input():
    X = blobs()
    with pytest.raises(NotFittedError):
        KMeans(3).predict(X)
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_clusters=3"):
        KMeans(3).fit(X[:2])
    with pytest.raises(ValueError, match="NaN"):
        KMeans(3).fit(np.where(np.eye(len(X), X.shape[1]) == 1, np.nan, X))
    with pytest.raises(ValueError, match="features"):
        KMeans(3, random_state=0).fit(X).predict(X[:, :2])
    with pytest.raises(ValueError, match="shape of the initial centers"):
        KMeans(3, init=X[:2]).fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        KMeans(3, algorithm="fast").fit(X)


# ------------------------------------------------------------------ MiniBatchKMeans

def test_minibatch_kmeans_inertia_close_to_full_kmeans_and_sklearn():
    X = blobs(n=3000, d=4, k=5)
    ours = MiniBatchKMeans(5, batch_size=256, random_state=0, n_init=3).fit(X)
    theirs = skc.MiniBatchKMeans(5, batch_size=256, random_state=0, n_init=3).fit(X)
    full = skc.KMeans(5, random_state=0, n_init=3).fit(X)
    assert ours.inertia_ <= 1.05 * full.inertia_
    assert ours.inertia_ <= 1.05 * theirs.inertia_
    np.testing.assert_array_equal(ours.labels_, ours.predict(X))


def test_minibatch_kmeans_partial_fit_learns_the_blobs():
    X = blobs(n=3000, d=4, k=5)
    model = MiniBatchKMeans(5, random_state=0)
    for _ in range(5):
        for batch in np.array_split(np.random.default_rng(1).permutation(len(X)), 20):
            model.partial_fit(X[batch])
    reference = skc.KMeans(5, random_state=0, n_init=3).fit(X)
    assert adjusted_rand_score(model.predict(X), reference.labels_) > 0.9
    assert -model.score(X) <= 1.05 * reference.inertia_


def test_minibatch_kmeans_one_step_is_the_running_mean():
    X = blobs(n=64, d=3, k=2)
    init = X[:2].copy()
    model = MiniBatchKMeans(2, init=init, batch_size=64, reassignment_ratio=0.0).partial_fit(X)
    labels = np.argmin(((X[:, None] - init[None]) ** 2).sum(-1), axis=1)
    expected = np.array([X[labels == j].mean(0) for j in range(2)])
    np.testing.assert_allclose(model.cluster_centers_, expected, rtol=1e-12)


# ------------------------------------------------------------------ DBSCAN

@pytest.mark.parametrize("algorithm", ["brute", "kd_tree"])
@pytest.mark.parametrize("eps, min_samples", [(0.3, 5), (0.5, 3), (0.2, 10), (1.0, 1)])
def test_dbscan_matches_sklearn_exactly(eps, min_samples, algorithm):
    X = StandardScaler().fit_transform(make_moons(400, noise=0.08, random_state=0)[0])
    X = np.vstack([X, np.random.default_rng(0).uniform(-2, 2, (40, 2))])
    ours = DBSCAN(eps=eps, min_samples=min_samples, algorithm=algorithm).fit(X)
    theirs = skc.DBSCAN(eps=eps, min_samples=min_samples).fit(X)
    np.testing.assert_array_equal(ours.core_sample_indices_, theirs.core_sample_indices_)
    np.testing.assert_array_equal(ours.labels_ == -1, theirs.labels_ == -1)
    core = ours.core_sample_indices_
    np.testing.assert_array_equal(ours.labels_[core], theirs.labels_[core])
    assert adjusted_rand_score(ours.labels_, theirs.labels_) > 0.99


def test_dbscan_precomputed_and_weights():
    X = blobs(n=300, d=2, k=3)
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    w = np.random.default_rng(0).integers(1, 4, len(X)).astype(float)
    ours = DBSCAN(eps=0.8, min_samples=6, metric="precomputed").fit(D, sample_weight=w)
    theirs = skc.DBSCAN(eps=0.8, min_samples=6, metric="precomputed").fit(D, sample_weight=w)
    np.testing.assert_array_equal(ours.core_sample_indices_, theirs.core_sample_indices_)
    assert adjusted_rand_score(ours.labels_, theirs.labels_) > 0.99


def test_kdtree_radius_pairs_match_brute_force():
    X = blobs(n=800, d=3, k=4)
    X[:40] = X[40:80]  # duplicates: pairs at distance exactly 0
    exact = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))  # differences, no expansion
    for radius in (0.0, 0.7, 2.5):
        tree = KDTree(X, leaf_size=10).query_radius_pairs(X, radius)
        expected = np.nonzero(exact <= radius)
        assert set(zip(*map(np.ndarray.tolist, tree))) == set(zip(*map(np.ndarray.tolist, expected)))
    brute = radius_neighbors_graph(X, 0.7)  # the BLAS expansion agrees away from 0
    assert set(zip(*map(np.ndarray.tolist, brute))) == set(zip(*map(np.ndarray.tolist,
                                                                  np.nonzero(exact <= 0.7))))


def test_connected_components_matches_a_union_find():
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 300, 250), rng.integers(0, 300, 250)
    labels = connected_components(300, np.concatenate([rows, cols]), np.concatenate([cols, rows]))
    parent = list(range(300))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for a, b in zip(rows, cols):
        parent[find(a)] = find(b)
    roots = np.array([find(i) for i in range(300)])
    assert adjusted_rand_score(labels, roots) == 1.0
    np.testing.assert_array_equal(labels, [np.flatnonzero(roots == roots[i]).min() for i in range(300)])


# ------------------------------------------------------------------ Agglomerative

@pytest.mark.parametrize("linkage", ["ward", "complete", "average", "single"])
def test_agglomerative_tree_matches_scipy_and_sklearn(linkage):
    from scipy.cluster.hierarchy import linkage as scipy_linkage
    X = blobs(n=150, d=3, k=4) + np.random.default_rng(0).normal(scale=1e-6, size=(150, 3))
    ours = AgglomerativeClustering(4, linkage=linkage, compute_distances=True).fit(X)
    theirs = skc.AgglomerativeClustering(4, linkage=linkage, compute_distances=True).fit(X)
    Z = scipy_linkage(X, method=linkage)
    np.testing.assert_allclose(ours.distances_, Z[:, 2], rtol=1e-8)
    np.testing.assert_allclose(ours.distances_, theirs.distances_, rtol=1e-8)
    np.testing.assert_array_equal(np.sort(ours.children_, axis=1), np.sort(theirs.children_, axis=1))
    assert adjusted_rand_score(ours.labels_, theirs.labels_) == 1.0


@pytest.mark.parametrize("metric", ["cosine", "precomputed"])
def test_agglomerative_distance_threshold_and_metrics(metric):
    X = load_iris().data
    data = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1)) if metric == "precomputed" else X
    params = dict(n_clusters=None, distance_threshold=0.9 if metric == "precomputed" else 0.02,
                  linkage="average", metric=metric)
    ours = AgglomerativeClustering(**params).fit(data)
    theirs = skc.AgglomerativeClustering(**params).fit(data)
    assert ours.n_clusters_ == theirs.n_clusters_
    assert adjusted_rand_score(ours.labels_, theirs.labels_) == 1.0


def test_agglomerative_bad_input():
    X = blobs(n=50, d=2)
    with pytest.raises(ValueError, match="exactly one"):
        AgglomerativeClustering(n_clusters=2, distance_threshold=1.0).fit(X)
    with pytest.raises(ValueError, match="ward"):
        AgglomerativeClustering(linkage="ward", metric="cosine").fit(X)
    with pytest.raises(ValueError, match="linkage"):
        AgglomerativeClustering(linkage="median").fit(X)
