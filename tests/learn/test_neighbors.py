"""descent.learn.neighbors against scikit-learn: estimator checks, parity, bad input."""
import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn.neighbors import (BruteIndex, KDTree, KNeighborsClassifier, KNeighborsRegressor,
                                     brute_kneighbors, radius_neighbors_graph)

sklearn = pytest.importorskip("sklearn")
from sklearn import neighbors as skn  # noqa: E402
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits, load_iris,  # noqa: E402
                              load_wine)
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [KNeighborsClassifier(), KNeighborsClassifier(weights="distance", algorithm="kd_tree"),
              KNeighborsRegressor(), KNeighborsRegressor(weights="distance", algorithm="brute")]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def random_points(n, d, seed=0, duplicates=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if duplicates:  # ties between equal distances
        X = np.round(X, 1)
    return X


# ------------------------------------------------------------------ neighbour search

@pytest.mark.parametrize("d", [1, 2, 3, 6])
@pytest.mark.parametrize("k", [1, 5, 40])
def test_kdtree_and_brute_find_sklearn_neighbours(d, k):
    X, Q = random_points(3000, d), random_points(300, d, seed=1)
    expected, expected_index = skn.NearestNeighbors(n_neighbors=k).fit(X).kneighbors(Q)
    for squared, index in (KDTree(X, leaf_size=20).query(Q, k), brute_kneighbors(X, Q, k)):
        np.testing.assert_allclose(np.sqrt(squared), expected, atol=1e-7)
        # Indices agree wherever the distances are not tied.
        assert np.mean(index == expected_index) > 0.99


def test_kdtree_queries_far_outside_the_data_and_with_ties():
    X = random_points(2000, 2, duplicates=True)
    Q = np.vstack([random_points(50, 2, seed=2) * 100, X[:50]])
    expected = skn.NearestNeighbors(n_neighbors=7).fit(X).kneighbors(Q)[0]
    np.testing.assert_allclose(np.sqrt(KDTree(X, leaf_size=5).query(Q, 7)[0]), expected, atol=1e-7)
    np.testing.assert_allclose(np.sqrt(brute_kneighbors(X, Q, 7)[0]), expected, atol=1e-7)


def test_kdtree_falls_back_to_brute_force_where_boxes_do_not_prune():
    X, Q = random_points(3000, 12), random_points(200, 12, seed=1) * 5  # high d, far queries
    expected = skn.NearestNeighbors(n_neighbors=4).fit(X).kneighbors(Q)
    squared, index = KDTree(X, leaf_size=10).query(Q, 4)
    np.testing.assert_allclose(np.sqrt(squared), expected[0], rtol=1e-9)
    np.testing.assert_array_equal(index, expected[1])


def exact_kneighbors(X, Q, k):
    """Reference: float64 distances by differences, stable sort (ties to the lower index)."""
    chunks = np.array_split(Q, 1 + len(Q) // 16)  # bounded memory
    D = np.vstack([((q[:, None, :] - X[None, :, :]) ** 2).sum(-1) for q in chunks])
    index = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, index, axis=1), index


@pytest.mark.parametrize("offset, scale", [(0.0, 1.0), (1e6, 1.0), (0.0, 1e-8), (-3.0, 1e8)])
@pytest.mark.parametrize("d", [2, 9, 40])
def test_brute_float32_screening_finds_the_exact_float64_neighbours(offset, scale, d):
    # The float32 pass only screens; the answer must equal exact float64 search, even far
    # from the origin or at extreme scales where float32 alone would mis-rank neighbours.
    X = offset + scale * random_points(5000, d)
    Q = offset + scale * random_points(150, d, seed=1)
    for k in (1, 7, 30):
        squared, index = BruteIndex(X).query(Q, k)
        expected, expected_index = exact_kneighbors(X, Q, k)
        np.testing.assert_allclose(squared, expected, rtol=1e-12, atol=1e-300)
        np.testing.assert_array_equal(index, expected_index)


def test_brute_handles_duplicates_far_queries_and_small_sets():
    X = np.repeat(random_points(40, 3), 100, axis=0)  # 4000 points, each 100 times: ties everywhere
    Q = np.vstack([random_points(20, 3, seed=1), 1e25 * random_points(5, 3, seed=2), X[:5]])
    for k in (1, 5, 150):
        squared, index = BruteIndex(X).query(Q, k)
        expected, _ = exact_kneighbors(X, Q, k)
        np.testing.assert_allclose(squared, expected, rtol=1e-12)
        np.testing.assert_allclose(((Q[:, None] - X[index]) ** 2).sum(-1), squared, rtol=1e-12)
    small, Q_small = random_points(30, 4), random_points(20, 4, seed=5)  # too few for the screening
    np.testing.assert_array_equal(BruteIndex(small).query(Q_small, 3)[1], exact_kneighbors(small, Q_small, 3)[1])


@pytest.mark.parametrize("n", [257, 1000, 1023, 1025, 3001])
@pytest.mark.parametrize("leaf_size", [1, 7, 30])
def test_kdtree_with_dummy_padding_matches_exact_search(n, leaf_size):
    # n is rarely a multiple of the number of leaves: the padding dummies must never
    # be returned, and every real point must be findable.
    X, Q = random_points(n, 3, seed=n), random_points(200, 3, seed=1)
    tree = KDTree(X, leaf_size=leaf_size)
    assert set(tree.leaf_ids[tree.leaf_points[0] < np.inf].tolist()) == set(range(n))
    for k in (1, 4, 70):
        squared, index = tree.query(Q, k)
        expected, expected_index = exact_kneighbors(X, Q, k)
        np.testing.assert_allclose(squared, expected, rtol=1e-12)
        assert np.mean(index == expected_index) > 0.999


def test_kdtree_on_duplicated_and_degenerate_data():
    X = np.repeat(random_points(50, 2, duplicates=True), 20, axis=0)
    X[:, 1] = 0.5  # one constant feature
    Q = np.vstack([random_points(30, 2, seed=3), X[::97]])
    squared, index = KDTree(X, leaf_size=8).query(Q, 25)
    np.testing.assert_allclose(squared, exact_kneighbors(X, Q, 25)[0], rtol=1e-12)
    np.testing.assert_allclose(((Q[:, None] - X[index]) ** 2).sum(-1), squared, rtol=1e-12)


def test_auto_algorithm_follows_dimension_and_size():
    y = np.arange(300) % 2
    assert KNeighborsClassifier().fit(random_points(300, 3), y)._fit_method == "kd_tree"
    assert KNeighborsClassifier().fit(random_points(300, 7), y)._fit_method == "brute"
    assert KNeighborsClassifier().fit(random_points(300, 30), y)._fit_method == "brute"


def test_radius_neighbors_graph_matches_sklearn():
    X = random_points(500, 3)
    rows, cols = radius_neighbors_graph(X, 0.5)
    graph = skn.radius_neighbors_graph(X, 0.5, include_self=True).tocoo()
    assert set(zip(rows.tolist(), cols.tolist())) == set(zip(graph.row.tolist(), graph.col.tolist()))


@pytest.mark.parametrize("algorithm", ["brute", "kd_tree"])
def test_kneighbors_without_X_excludes_each_point_itself(algorithm):
    X = random_points(400, 2)
    ours = KNeighborsRegressor(n_neighbors=4, algorithm=algorithm).fit(X, X[:, 0]).kneighbors()
    theirs = skn.KNeighborsRegressor(n_neighbors=4).fit(X, X[:, 0]).kneighbors()
    np.testing.assert_allclose(ours[0], theirs[0], atol=1e-10)
    np.testing.assert_array_equal(ours[1], theirs[1])


# ------------------------------------------------------------------ estimators

DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer,
            "digits": load_digits}


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_classifier_cross_validated_accuracy_matches_sklearn(name, weights):
    X, y = DATASETS[name](return_X_y=True)
    ours = cross_val_score(KNeighborsClassifier(7, weights=weights), X, y, cv=5).mean()
    theirs = cross_val_score(skn.KNeighborsClassifier(7, weights=weights), X, y, cv=5).mean()
    assert abs(ours - theirs) <= 0.01


@pytest.mark.parametrize("algorithm", ["brute", "kd_tree"])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_predict_proba_and_regression_match_sklearn(algorithm, weights):
    X, y = load_iris(return_X_y=True)
    X = X[:, :3] + np.random.default_rng(0).normal(scale=1e-3, size=(len(X), 3))  # no tied distances
    ours = KNeighborsClassifier(6, weights=weights, algorithm=algorithm).fit(X[::2], y[::2])
    theirs = skn.KNeighborsClassifier(6, weights=weights).fit(X[::2], y[::2])
    np.testing.assert_allclose(ours.predict_proba(X[1::2]), theirs.predict_proba(X[1::2]), atol=1e-12)
    Xd, yd = load_diabetes(return_X_y=True)
    reg = KNeighborsRegressor(8, weights=weights, algorithm=algorithm).fit(Xd[:300], yd[:300])
    sk_reg = skn.KNeighborsRegressor(8, weights=weights).fit(Xd[:300], yd[:300])
    np.testing.assert_allclose(reg.predict(Xd[300:]), sk_reg.predict(Xd[300:]), rtol=1e-10)
    assert abs(reg.score(Xd[300:], yd[300:]) - sk_reg.score(Xd[300:], yd[300:])) < 0.01


def test_distance_weights_on_exact_match_and_string_labels():
    X = np.array([[0.0], [1.0], [1.0], [5.0]])
    y = np.array(["a", "b", "b", "c"])
    model = KNeighborsClassifier(3, weights="distance").fit(X, y)
    np.testing.assert_array_equal(model.predict([[1.0], [4.9]]), ["b", "c"])
    np.testing.assert_allclose(model.predict_proba([[0.0]]), [[1.0, 0.0, 0.0]])


def test_bad_input():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(NotFittedError):
        KNeighborsClassifier().predict(X)
    with pytest.raises(ValueError, match="n_neighbors"):
        KNeighborsClassifier(200).fit(X, y).predict(X)
    with pytest.raises(ValueError, match="features"):
        KNeighborsClassifier().fit(X, y).predict(X[:, :2])
    with pytest.raises(ValueError, match="metric"):
        KNeighborsClassifier(metric="manhattan").fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        KNeighborsClassifier().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="NaN"):
        KNeighborsRegressor().fit(np.where(X > 7, np.nan, X), y)
