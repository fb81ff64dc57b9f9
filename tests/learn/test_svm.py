"""descent.learn.svm.SVC against scikit-learn's SVC (LIBSVM)."""
import pickle
import warnings

import numpy as np
import pytest

from descent.learn.base import NotFittedError
from descent.learn import _smo
from descent.learn._smo import couple_pairwise, expand, fit_platt_sigmoid, smo
from descent.learn.svm import SVC, Kernel, KernelColumns

sklearn = pytest.importorskip("sklearn")
from sklearn import svm as sk_svm  # noqa: E402
from sklearn.calibration import _sigmoid_calibration  # noqa: E402
from sklearn.datasets import (load_breast_cancer, load_digits, load_iris, load_wine, make_blobs,  # noqa: E402
                              make_circles, make_moons)
from sklearn.metrics.pairwise import pairwise_kernels  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

EXPECTED_FAILURES = {
    # The same reason scikit-learn gives for its own SVC: the dual is solved only to tol,
    # so weight 2 and a repeated sample give solutions equal to ~tol, not to the checks' 1e-7.
    "check_sample_weight_equivalence_on_dense_data":
        "sample_weight is not equivalent to removing/repeating samples beyond the solver's tol.",
}
OVO_FAILURES = {
    # With decision_function_shape='ovo' the decision function has one column per pair of
    # classes (3 for the check's 3 classes), so its argmax is not a class index; scikit-learn's
    # own SVC(decision_function_shape='ovo') fails this check the same way.
    "check_classifiers_train": "the 'ovo' decision function has a column per pair of classes, not per class.",
    "check_classifiers_train(readonly_memmap=True)":
        "the 'ovo' decision function has a column per pair of classes, not per class.",
    "check_classifiers_train(readonly_memmap=True,X_dtype=float32)":
        "the 'ovo' decision function has a column per pair of classes, not per class.",
}


def expected_failures(estimator):
    if estimator.decision_function_shape == "ovo":
        return {**EXPECTED_FAILURES, **OVO_FAILURES}
    return EXPECTED_FAILURES


def dataset(name):
    if name == "iris":
        return load_iris(return_X_y=True)
    if name in ("wine", "breast_cancer"):
        X, y = (load_wine if name == "wine" else load_breast_cancer)(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return X[::3] / 16.0, y[::3]  # a third of digits keeps the test fast
    if name == "moons":
        return make_moons(n_samples=300, noise=0.25, random_state=0)
    if name == "circles":
        return make_circles(n_samples=300, noise=0.1, factor=0.5, random_state=0)
    raise KeyError(name)


def binary_problem():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@parametrize_with_checks([SVC(), SVC(kernel="linear", C=0.5), SVC(kernel="sigmoid", gamma=0.001),
                          SVC(kernel="precomputed"), SVC(decision_function_shape="ovo", break_ties=False),
                          SVC(class_weight="balanced", cache_size=0.001), SVC(probability=True, random_state=0)],
                         expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits", "moons", "circles"])
def test_cross_validated_accuracy_matches_sklearn(name):
    X, y = dataset(name)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = cross_val_score(SVC(C=1.0), X, y, cv=cv).mean()
    theirs = cross_val_score(sk_svm.SVC(C=1.0), X, y, cv=cv).mean()
    assert abs(ours - theirs) <= 0.01


@pytest.mark.parametrize("params", [dict(), dict(C=10.0), dict(C=0.1, gamma=0.05), dict(kernel="linear"),
                                    dict(kernel="poly", degree=3, coef0=1.0, gamma="auto"),
                                    dict(kernel="sigmoid", gamma=0.01, coef0=0.5)])
def test_binary_solution_matches_sklearn(params):
    X, y = binary_problem()
    ours, theirs = SVC(**params).fit(X, y), sk_svm.SVC(**params).fit(X, y)
    np.testing.assert_array_equal(ours.support_, theirs.support_)
    np.testing.assert_array_equal(ours.n_support_, theirs.n_support_)
    scale = np.abs(theirs.dual_coef_).max()
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_, atol=2e-2 * scale)
    np.testing.assert_allclose(ours.support_vectors_, theirs.support_vectors_)
    d_ours, d_theirs = ours.decision_function(X), theirs.decision_function(X)
    assert d_ours.shape == d_theirs.shape == (len(X),)
    np.testing.assert_allclose(d_ours, d_theirs, atol=1e-2 * np.abs(d_theirs).max())
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-2 * max(1, abs(theirs.intercept_[0])))
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.fit_status_ == theirs.fit_status_ == 0


def test_rbf_solver_follows_libsvm_closely():
    # The same working-set rule from the same start: the same iterations, and a solution
    # equal to LIBSVM's far below tol.
    X, y = binary_problem()
    ours, theirs = SVC(shrinking=False).fit(X, y), sk_svm.SVC(shrinking=False).fit(X, y)
    np.testing.assert_array_equal(ours.n_iter_, theirs.n_iter_)
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_, atol=1e-6)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), atol=1e-6)


@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf", "sigmoid"])
@pytest.mark.parametrize("shape", ["ovr", "ovo"])
def test_multiclass_layout_matches_sklearn(kernel, shape):
    X, y = dataset("iris")
    params = dict(kernel=kernel, decision_function_shape=shape, gamma=0.01 if kernel == "sigmoid" else "scale")
    ours, theirs = SVC(**params).fit(X, y), sk_svm.SVC(**params).fit(X, y)
    np.testing.assert_array_equal(ours.support_, theirs.support_)
    np.testing.assert_array_equal(ours.n_support_, theirs.n_support_)
    assert ours.dual_coef_.shape == theirs.dual_coef_.shape == (2, len(theirs.support_))
    scale = np.abs(theirs.dual_coef_).max()
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_, atol=2e-2 * scale)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=2e-2 * np.abs(theirs.intercept_).max())
    d_ours, d_theirs = ours.decision_function(X), theirs.decision_function(X)
    assert d_ours.shape == d_theirs.shape
    np.testing.assert_allclose(d_ours, d_theirs, atol=1e-2 * np.abs(d_theirs).max())
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_linear_coef_matches_sklearn_and_only_exists_for_linear():
    X, y = dataset("wine")
    ours, theirs = SVC(kernel="linear").fit(X, y), sk_svm.SVC(kernel="linear").fit(X, y)
    assert ours.coef_.shape == theirs.coef_.shape == (3, X.shape[1])
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-2 * np.abs(theirs.coef_).max())
    ovo = SVC(kernel="linear", decision_function_shape="ovo").fit(X, y)
    np.testing.assert_allclose(X @ ovo.coef_.T + ovo.intercept_, ovo.decision_function(X), atol=1e-10)
    rbf = SVC().fit(X, y)
    assert not hasattr(rbf, "coef_")
    with pytest.raises(AttributeError, match="linear kernel"):
        rbf.coef_


def test_break_ties_and_ovr_shape_match_sklearn():
    X, y = make_blobs(n_samples=90, centers=[[0, 0], [1, 0], [0.5, 0.8]], cluster_std=0.6, random_state=1)
    for break_ties in (False, True):
        ours = SVC(break_ties=break_ties, C=0.5).fit(X, y)
        theirs = sk_svm.SVC(break_ties=break_ties, C=0.5).fit(X, y)
        grid = np.random.default_rng(0).uniform(-1.5, 2, size=(400, 2))
        np.testing.assert_array_equal(ours.predict(grid), theirs.predict(grid))
    with pytest.raises(ValueError, match="break_ties"):
        SVC(break_ties=True, decision_function_shape="ovo").fit(X, y).predict(X)


def test_callable_and_precomputed_kernels_match_builtin():
    X, y = dataset("wine")
    builtin = SVC(kernel="rbf", gamma=0.05).fit(X, y)
    via_callable = SVC(kernel=lambda A, B: pairwise_kernels(A, B, metric="rbf", gamma=0.05)).fit(X, y)
    K = pairwise_kernels(X, X, metric="rbf", gamma=0.05)
    precomputed = SVC(kernel="precomputed").fit(K, y)
    reference = sk_svm.SVC(kernel="precomputed").fit(K, y)
    for model, data in [(via_callable, X), (precomputed, K)]:
        np.testing.assert_array_equal(model.support_, builtin.support_)
        np.testing.assert_allclose(model.decision_function(data), builtin.decision_function(X), atol=1e-10)
    np.testing.assert_allclose(precomputed.decision_function(K), reference.decision_function(K), atol=1e-3)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 5.0, 1: 1.0}, {1: 0.2}])
def test_class_weight_matches_sklearn(class_weight):
    X, y = make_blobs(n_samples=[150, 30], centers=[[0, 0], [1.5, 1.5]], cluster_std=1.0, random_state=0)
    ours = SVC(class_weight=class_weight).fit(X, y)
    theirs = sk_svm.SVC(class_weight=class_weight).fit(X, y)
    plain = SVC().fit(X, y)
    np.testing.assert_allclose(ours.class_weight_, theirs.class_weight_)
    np.testing.assert_array_equal(ours.support_, theirs.support_)
    d_theirs = theirs.decision_function(X)
    np.testing.assert_allclose(ours.decision_function(X), d_theirs, atol=1e-2 * np.abs(d_theirs).max())
    assert not np.allclose(ours.decision_function(X), plain.decision_function(X), atol=1e-2)  # it has an effect


def test_sample_weight_matches_sklearn():
    X, y = make_moons(n_samples=200, noise=0.3, random_state=0)
    weight = np.random.default_rng(0).uniform(0, 3, size=len(y))
    weight[:20] = 0.0  # zero weight removes a sample
    ours = SVC(C=2.0).fit(X, y, sample_weight=weight)
    theirs = sk_svm.SVC(C=2.0).fit(X, y, sample_weight=weight)
    # scikit-learn's support_ indexes the samples left after dropping zero weights; ours indexes X.
    np.testing.assert_array_equal(ours.support_, np.flatnonzero(weight > 0)[theirs.support_])
    assert not np.isin(np.arange(20), ours.support_).any()
    d_theirs = theirs.decision_function(X)
    np.testing.assert_allclose(ours.decision_function(X), d_theirs, atol=1e-2 * np.abs(d_theirs).max())
    # A weight of 2 acts like a doubled C (scikit-learn's reading of sample_weight).
    doubled = SVC(C=2.0).fit(X, y, sample_weight=np.full(len(y), 2.0))
    np.testing.assert_allclose(doubled.decision_function(X), SVC(C=4.0).fit(X, y).decision_function(X), atol=1e-8)


def test_column_cache_gives_the_same_solution_as_the_full_matrix():
    X, y = dataset("moons")
    full = SVC().fit(X, y)
    cached = SVC(cache_size=0.01).fit(X, y)  # 0.01 MB: a few columns of 300 samples
    np.testing.assert_array_equal(cached.support_, full.support_)
    np.testing.assert_allclose(cached.dual_coef_, full.dual_coef_, atol=1e-12)
    columns = KernelColumns(Kernel("rbf", 0.5, 3, 0.0), X, 0.01)
    assert columns.matrix is None and columns.capacity == int(0.01 * 2 ** 20 // (8 * len(X)))
    for i in [0, 5, 0, 17, 250]:
        np.testing.assert_allclose(columns(i), pairwise_kernels(X, X[i:i + 1], metric="rbf", gamma=0.5)[:, 0])
    assert len(columns.cache) <= columns.capacity
    X, y = dataset("wine")  # one-vs-one: each pair of classes gets its own cache
    np.testing.assert_allclose(SVC(cache_size=0.001).fit(X, y).decision_function(X),
                               SVC().fit(X, y).decision_function(X), atol=1e-10)


@pytest.mark.parametrize("shrinking", [False, True])
@pytest.mark.parametrize("cache_mb", [200, 0.05])
def test_smo_meets_kkt_conditions(shrinking, cache_mb, monkeypatch):
    expansions = []  # shrinking must really set multipliers aside (and bring them back)
    monkeypatch.setattr(_smo, "expand", lambda active, *args: expansions.append(len(active.index))
                        or expand(active, *args))
    X, y = make_moons(n_samples=300, noise=0.4, random_state=0)
    y = np.where(y == 1, 1.0, -1.0)
    kernel = KernelColumns(Kernel("rbf", 1.0, 3, 0.0), X, cache_mb)
    C = np.where(y > 0, 10.0, 5.0)
    alpha, rho, n_iter, converged = smo(kernel, y, C, 1e-6, -1, shrinking)
    assert converged and n_iter > len(y)  # long enough for shrinking to set multipliers aside
    assert np.all((alpha >= 0) & (alpha <= C)) and abs(y @ alpha) < 1e-10
    K = pairwise_kernels(X, X, metric="rbf", gamma=1.0)
    margin = y * (K @ (y * alpha) - rho)  # y f(x)
    free = (alpha > 0) & (alpha < C)
    np.testing.assert_allclose(margin[free], 1.0, atol=1e-5)
    assert np.all(margin[alpha == 0] >= 1 - 1e-5) and np.all(margin[alpha == C] <= 1 + 1e-5)
    assert (min(expansions) < len(y)) if shrinking else not expansions


def test_shrinking_gives_the_solution_without_it():
    X, y = make_moons(n_samples=1500, noise=0.3, random_state=0)
    plain = SVC(C=10.0, shrinking=False, cache_size=1).fit(X, y)  # 1 MB: columns on demand
    shrunk = SVC(C=10.0, shrinking=True, cache_size=1).fit(X, y)
    assert shrunk.n_iter_[0] > 1000  # shrinking ran (every 1000 iterations)
    d_plain = plain.decision_function(X)
    np.testing.assert_allclose(shrunk.decision_function(X), d_plain, atol=1e-2 * np.abs(d_plain).max())
    np.testing.assert_array_equal(shrunk.predict(X), plain.predict(X))


def test_gamma_options_match_sklearn():
    X, y = dataset("wine")
    X = X * 3.0
    for gamma in ["scale", "auto", 0.02]:
        ours, theirs = SVC(gamma=gamma).fit(X, y), sk_svm.SVC(gamma=gamma).fit(X, y)
        assert ours._gamma == pytest.approx(theirs._gamma)
        np.testing.assert_array_equal(ours.support_, theirs.support_)


def test_max_iter_stops_with_warning_and_status():
    X, y = binary_problem()
    with pytest.warns(Warning, match="max_iter=5"):
        model = SVC(max_iter=5).fit(X, y)
    assert model.fit_status_ == 1 and model.n_iter_[0] == 5


def test_string_labels_and_pickle():
    X, y = dataset("iris")
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = SVC().fit(X, labels)
    np.testing.assert_array_equal(model.classes_, labels[np.sort(np.unique(y, return_index=True)[1])])
    assert set(model.predict(X)) <= set(labels)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), model.predict(X))


def test_predict_proba_is_absent_without_probability():
    X, y = dataset("iris")
    model = SVC().fit(X, y)
    assert not hasattr(model, "predict_proba") and not hasattr(model, "predict_log_proba")
    with pytest.raises(AttributeError, match="probability=False"):
        model.predict_proba(X)
    model.set_params(probability=True)  # fitted without: NotFittedError, as scikit-learn
    with pytest.raises(NotFittedError, match="fitted with probability=False"):
        model.predict_proba(X)


def test_platt_sigmoid_matches_sklearn_calibration():
    rng = np.random.default_rng(0)
    f = rng.normal(size=300)
    y = np.where(rng.random(300) < 1 / (1 + np.exp(-2 * f + 0.3)), 1.0, -1.0)
    A, B = fit_platt_sigmoid(f, y)
    a, b = _sigmoid_calibration(f, (y > 0).astype(int))  # Platt's targets too, P(+1) = 1 / (1 + exp(a f + b))
    np.testing.assert_allclose([A, B], [a, b], rtol=1e-5)


def test_pairwise_coupling_recovers_consistent_probabilities():
    # When r_ab = p_a / (p_a + p_b) exactly, p is the minimizer (objective 0), as Wu, Lin & Weng note.
    p = np.random.default_rng(1).dirichlet(np.ones(4), size=50)  # (50, 4)
    r = p[:, :, None] / (p[:, :, None] + p[:, None, :])
    r[:, np.arange(4), np.arange(4)] = 0.0
    np.testing.assert_allclose(couple_pairwise(r), p, atol=1e-10)


@pytest.mark.parametrize("name", ["breast_cancer", "iris", "wine"])
def test_predict_proba_close_to_sklearn(name):
    X, y = dataset(name)
    ours = SVC(probability=True, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn 1.9 deprecates probability=True
        theirs = sk_svm.SVC(probability=True, random_state=0).fit(X, y)
        p_theirs = theirs.predict_proba(X)
        A_theirs = theirs.probA_
    p_ours = ours.predict_proba(X)
    # The 5-fold split inside fit is random (LIBSVM's generator is not NumPy's), so the
    # sigmoids agree only to the noise of that split.
    assert p_ours.shape == p_theirs.shape
    np.testing.assert_allclose(p_ours.sum(axis=1), 1.0)
    assert np.abs(p_ours - p_theirs).mean() < 0.01 and np.abs(p_ours - p_theirs).max() < 0.1
    np.testing.assert_allclose(ours.probA_, A_theirs, rtol=0.15)
    np.testing.assert_allclose(ours.predict_log_proba(X), np.log(p_ours))
    same = SVC(probability=True, random_state=0).fit(X, y)
    np.testing.assert_array_equal(same.predict_proba(X), p_ours)  # the seed fixes the folds


def test_bad_input():
    X, y = dataset("iris")
    with pytest.raises(NotFittedError):
        SVC().predict(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SVC().fit(bad, y)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        SVC().fit(bad, y)
    model = SVC().fit(X, y)
    with pytest.raises(ValueError, match="3 features, but SVC is expecting 4"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="0 sample"):
        SVC().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="greater than one; got 1 class"):
        SVC().fit(X[:10], np.zeros(10))
    with pytest.raises(ValueError, match="continuous"):
        SVC().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="square"):
        SVC(kernel="precomputed").fit(X, y)
    with pytest.raises(ValueError, match="sample_weight.shape"):
        SVC().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="class 2 has no sample with positive weight"):
        SVC().fit(X, y, sample_weight=(y < 2).astype(float))
    for params, match in [(dict(C=0.0), "C must be"), (dict(C=-1.0), "C must be"), (dict(kernel="cubic"), "kernel"),
                          (dict(gamma="big"), "gamma"), (dict(gamma=-0.1), "gamma"), (dict(degree=-1), "degree"),
                          (dict(tol=0.0), "tol"), (dict(max_iter=-2), "max_iter"),
                          (dict(decision_function_shape="ova"), "decision_function_shape"),
                          (dict(class_weight="even"), "class_weight"), (dict(class_weight={7: 2.0}), "7")]:
        with pytest.raises(ValueError, match=match):
            SVC(**params).fit(X, y)
