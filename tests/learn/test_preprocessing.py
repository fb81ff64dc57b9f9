"""descent.learn.preprocessing against scikit-learn's transformers."""
import numpy as np
import pytest

from descent.learn import preprocessing as dp
from descent.learn.base import NotFittedError

sklearn = pytest.importorskip("sklearn")
from sklearn import preprocessing as sp  # noqa: E402
from sklearn.impute import SimpleImputer as SkSimpleImputer  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


@parametrize_with_checks([
    dp.StandardScaler(), dp.StandardScaler(with_mean=False), dp.MinMaxScaler(),
    dp.RobustScaler(), dp.OneHotEncoder(handle_unknown="ignore"), dp.PolynomialFeatures(),
    dp.SimpleImputer(), dp.SimpleImputer(strategy="median", add_indicator=True),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def data(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 4)) * [1, 10, 0.1, 3] + [0, 5, -2, 100])[:, :d]


# ------------------------------------------------------------------ scalers

@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_standard_scaler_matches_sklearn(with_mean, with_std):
    X = data()
    X[:, 2] = 7.0  # a constant feature keeps scale 1
    ours = dp.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    theirs = sp.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), atol=1e-12)
    for name in ("mean_", "var_", "scale_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        if b is None:
            assert a is None or name == "mean_"
        else:
            np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X)


def test_standard_scaler_small_variance_is_not_constant():
    X = 100.0 + np.linspace(-1e-6, 1e-6, 40).reshape(-1, 1)   # tiny but real spread
    X = np.hstack([X, np.full((40, 1), 1e8 / 3)])               # constant, with rounding noise
    ours, theirs = dp.StandardScaler().fit(X), sp.StandardScaler().fit(X)
    np.testing.assert_allclose(ours.scale_, theirs.scale_)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), atol=1e-9)


def test_standard_scaler_sample_weight_matches_sklearn():
    X = data()
    w = np.linspace(0.1, 3, len(X))
    ours = dp.StandardScaler().fit(X, sample_weight=w)
    theirs = sp.StandardScaler().fit(X, sample_weight=w)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), atol=1e-10)


@pytest.mark.parametrize("feature_range,clip", [((0, 1), False), ((-3, 2), True)])
def test_min_max_scaler_matches_sklearn(feature_range, clip):
    X = data()
    X[:, 0] = 1.5
    ours = dp.MinMaxScaler(feature_range, clip=clip).fit(X)
    theirs = sp.MinMaxScaler(feature_range=feature_range, clip=clip).fit(X)
    X_new = data(seed=1) * 2
    np.testing.assert_allclose(ours.transform(X_new), theirs.transform(X_new), atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X, atol=1e-12)
    with pytest.raises(ValueError, match="feature range"):
        dp.MinMaxScaler((1, 0)).fit(X)


@pytest.mark.parametrize("kw", [{}, {"quantile_range": (10.0, 80.0)}, {"unit_variance": True},
                                {"with_centering": False}, {"with_scaling": False}])
def test_robust_scaler_matches_sklearn(kw):
    X = data()
    X[:3] = 1e6  # outliers barely move the median and IQR
    ours, theirs = dp.RobustScaler(**kw).fit(X), sp.RobustScaler(**kw).fit(X)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X)


def test_scalers_reject_bad_input():
    X = data()
    for scaler in (dp.StandardScaler(), dp.MinMaxScaler(), dp.RobustScaler()):
        with pytest.raises(NotFittedError):
            scaler.transform(X)
        bad = X.copy()
        bad[0, 0] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            scaler.fit(bad)
        scaler.fit(X)
        with pytest.raises(ValueError, match="3 features"):
            scaler.transform(X[:, :3])


# ------------------------------------------------------------------ encoders

def categorical():
    return np.array([["red", "S", 1], ["blue", "M", 3], ["red", "L", 2], ["green", "M", 1]],
                    dtype=object)


def test_one_hot_matches_sklearn():
    X = categorical()
    ours = dp.OneHotEncoder().fit(X)
    theirs = sp.OneHotEncoder(sparse_output=False).fit(X)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
    for a, b in zip(ours.categories_, theirs.categories_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())
    np.testing.assert_array_equal(ours.inverse_transform(ours.transform(X)), X)


@pytest.mark.parametrize("drop", ["first", "if_binary", ["blue", "M", 3]])
def test_one_hot_drop_matches_sklearn(drop):
    X = categorical()
    X[:, 1] = ["S", "M", "S", "M"]  # a two-category feature
    ours = dp.OneHotEncoder(drop=drop).fit(X)
    theirs = sp.OneHotEncoder(drop=drop, sparse_output=False).fit(X)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
    np.testing.assert_array_equal(ours.drop_idx_, theirs.drop_idx_)
    np.testing.assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())
    np.testing.assert_array_equal(ours.inverse_transform(ours.transform(X)), X)
    with pytest.raises(ValueError, match="not found"):
        dp.OneHotEncoder(drop=["purple", None, 1]).fit(X)


def test_one_hot_unknown_categories():
    X = categorical()
    X_new = np.array([["purple", "S", 1]], dtype=object)
    with pytest.raises(ValueError, match="unknown categories"):
        dp.OneHotEncoder().fit(X).transform(X_new)
    ours = dp.OneHotEncoder(handle_unknown="ignore").fit(X)
    theirs = sp.OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(X)
    np.testing.assert_array_equal(ours.transform(X_new), theirs.transform(X_new))
    np.testing.assert_array_equal(ours.inverse_transform(ours.transform(X_new)),
                                  theirs.inverse_transform(theirs.transform(X_new)))


def test_one_hot_explicit_categories_and_numbers():
    X = np.array([[1, 10], [2, 20], [1, 20]])
    cats = [[0, 1, 2], [10, 20, 30]]
    ours = dp.OneHotEncoder(categories=cats).fit(X)
    theirs = sp.OneHotEncoder(categories=cats, sparse_output=False).fit(X)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
    with pytest.raises(ValueError, match="unknown categories"):
        dp.OneHotEncoder(categories=[[1], [10, 20]]).fit(X)
    with pytest.raises(ValueError, match="sparse_output=True"):
        dp.OneHotEncoder(sparse_output=True).fit(X)


def test_label_encoder_matches_sklearn():
    y = np.array(["b", "a", "c", "a", "b"])
    ours, theirs = dp.LabelEncoder(), sp.LabelEncoder()
    np.testing.assert_array_equal(ours.fit_transform(y), theirs.fit_transform(y))
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.transform(["c", "a"]), theirs.transform(["c", "a"]))
    np.testing.assert_array_equal(ours.inverse_transform([2, 0, 1]),
                                  theirs.inverse_transform([2, 0, 1]))
    with pytest.raises(ValueError, match="unseen labels"):
        ours.transform(["z"])
    with pytest.raises(NotFittedError):
        dp.LabelEncoder().transform(y)


# ------------------------------------------------------------------ polynomial features

@pytest.mark.parametrize("degree", [1, 2, 3, (2, 3), (0, 2)])
@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("include_bias", [False, True])
def test_polynomial_features_match_sklearn(degree, interaction_only, include_bias):
    X = data(n=10, d=3)
    kw = dict(degree=degree, interaction_only=interaction_only, include_bias=include_bias)
    ours, theirs = dp.PolynomialFeatures(**kw).fit(X), sp.PolynomialFeatures(**kw).fit(X)
    np.testing.assert_array_equal(ours.powers_, theirs.powers_)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-12)
    np.testing.assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())


# ------------------------------------------------------------------ imputer

@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
def test_simple_imputer_matches_sklearn(strategy):
    X = np.round(data(n=30), 0)
    rng = np.random.default_rng(5)
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 3] = np.nan  # an all-missing feature is dropped
    kw = dict(strategy=strategy, fill_value=-1.0 if strategy == "constant" else None)
    ours, theirs = dp.SimpleImputer(**kw).fit(X), SkSimpleImputer(**kw).fit(X)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X))
    kept = dp.SimpleImputer(strategy=strategy, keep_empty_features=True).fit(X)
    np.testing.assert_allclose(kept.transform(X), SkSimpleImputer(
        strategy=strategy, keep_empty_features=True).fit(X).transform(X))


def test_simple_imputer_strings_and_sentinels():
    X = np.array([["a", "x"], ["b", None], ["a", "y"], [None, "y"]], dtype=object)
    for strategy in ("most_frequent", "constant"):
        ours = dp.SimpleImputer(missing_values=None, strategy=strategy).fit_transform(X)
        theirs = SkSimpleImputer(missing_values=None, strategy=strategy).fit_transform(X)
        np.testing.assert_array_equal(ours, theirs)
    Xn = np.array([[1.0, -1], [-1, 2], [3, 4]])
    np.testing.assert_allclose(dp.SimpleImputer(missing_values=-1).fit_transform(Xn),
                               SkSimpleImputer(missing_values=-1).fit_transform(Xn))


@pytest.mark.parametrize("missing_values", [np.nan, -1.0])
def test_simple_imputer_indicator_and_inverse_match_sklearn(missing_values):
    X = np.round(data(n=30), 0)
    rng = np.random.default_rng(6)
    X[rng.random(X.shape) < 0.2] = missing_values
    X[:, 0] = np.arange(30.0)      # a feature with nothing missing gets no indicator
    X[:, 2] = missing_values        # an empty feature is dropped, then restored as missing
    kw = dict(missing_values=missing_values, strategy="median", add_indicator=True)
    ours, theirs = dp.SimpleImputer(**kw).fit(X), SkSimpleImputer(**kw).fit(X)
    Z = ours.transform(X)
    np.testing.assert_allclose(Z, theirs.transform(X))
    np.testing.assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())
    np.testing.assert_allclose(ours.inverse_transform(Z), theirs.inverse_transform(Z))
    np.testing.assert_allclose(ours.inverse_transform(Z), X)
    with pytest.raises(ValueError, match="add_indicator=True"):
        dp.SimpleImputer().fit(X).inverse_transform(X)
