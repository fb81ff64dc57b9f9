"""descent.learn.neural_network (MLPClassifier, MLPRegressor, Autoencoder) against scikit-learn."""
import warnings

import numpy as np
import pytest

import descent
from descent.learn.base import NotFittedError
from descent.learn.neural_network import Autoencoder, MLPClassifier, MLPRegressor, MultilayerNetwork

sklearn = pytest.importorskip("sklearn")
from sklearn import neural_network as sn  # noqa: E402
from sklearn.datasets import load_diabetes, load_digits, load_iris  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


@parametrize_with_checks([
    MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=200, random_state=0),
    MLPRegressor(hidden_layer_sizes=(8,), max_iter=100, learning_rate_init=0.01, random_state=0),
    MLPClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.1, early_stopping=True,
                  max_iter=100, random_state=0),
    Autoencoder(n_components=2, hidden_layer_sizes=(4,), epochs=5, random_state=0),
])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning with the checks' small max_iter
        check(estimator)


def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def cv_mean(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cross_val_score(model, X, y, cv=5).mean()


@pytest.mark.parametrize("solver,lr", [("adam", 0.01), ("sgd", 0.1)])
def test_classifier_accuracy_matches_sklearn_on_digits(solver, lr):
    X, y = digits()
    params = dict(hidden_layer_sizes=(32,), solver=solver, learning_rate_init=lr, max_iter=200, random_state=0)
    ours, theirs = cv_mean(MLPClassifier(**params), X, y), cv_mean(sn.MLPClassifier(**params), X, y)
    assert abs(ours - theirs) <= 0.01


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_classifier_accuracy_matches_sklearn_on_iris(activation):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(hidden_layer_sizes=(10,), activation=activation, learning_rate_init=0.01, max_iter=500,
                  random_state=0)
    ours, theirs = cv_mean(MLPClassifier(**params), X, y), cv_mean(sn.MLPClassifier(**params), X, y)
    assert abs(ours - theirs) <= 0.01 + 1e-12


def test_regressor_r2_matches_sklearn_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=500, alpha=1.0, random_state=0)
    ours, theirs = cv_mean(MLPRegressor(**params), X, y), cv_mean(sn.MLPRegressor(**params), X, y)
    assert abs(ours - theirs) <= 0.02


def test_fitted_attributes_have_sklearns_layout_and_reproduce_predictions():
    X, y = load_iris(return_X_y=True)
    names = np.array(["a", "b", "c"])[y]
    ours = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=30, random_state=1).fit(X, names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sn.MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=30, random_state=1).fit(X, names)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert ours.n_layers_ == theirs.n_layers_ and ours.out_activation_ == theirs.out_activation_
    assert len(ours.loss_curve_) == ours.n_iter_
    # Copy our weights into scikit-learn's fitted model: both must then predict alike.
    theirs.coefs_, theirs.intercepts_ = ours.coefs_, ours.intercepts_
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_loss_curve_value_is_sklearns_loss_of_the_same_weights():
    # With a learning rate of ~0 the weights stay at their start, so the first epoch's mean loss is
    # the loss of the initial weights, which scikit-learn's own loss computes from coefs_.
    X, y = load_iris(return_X_y=True)
    X, y = X[y < 2], y[y < 2]  # the binary, logistic-output case
    ours = MLPClassifier(hidden_layer_sizes=(6,), learning_rate_init=1e-12, max_iter=1, alpha=0.5,
                         random_state=0, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, y)
    p = ours.predict_proba(X)[:, 1]
    log_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    penalty = 0.5 * 0.5 * sum((W ** 2).sum() for W in ours.coefs_) / len(X)  # one batch: n = 100 samples
    np.testing.assert_allclose(ours.loss_curve_[0], log_loss + penalty, rtol=1e-6)


def test_early_stopping_keeps_the_best_validation_weights():
    X, y = digits()
    model = MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=3, max_iter=200,
                          learning_rate_init=0.01, random_state=0).fit(X, y)
    assert model.n_iter_ < 200 and model.best_loss_ is None
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert len(model.validation_scores_) == model.n_iter_


def test_same_random_state_gives_same_model_and_different_gives_different():
    X, y = load_iris(return_X_y=True)
    fit = lambda seed: MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=seed).fit(X, y)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b, c = fit(3), fit(3), fit(4)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.allclose(a.coefs_[0], c.coefs_[0])


def test_glorot_initialization_bounds():
    net = MultilayerNetwork([30, 20, 10], "logistic", descent.Generator(0))
    for layer, bound in zip(net.layers, [np.sqrt(2 / 50), np.sqrt(2 / 30)]):
        assert np.abs(layer.weight.data).max() <= bound
        assert np.abs(layer.weight.data).max() > 0.9 * bound


def test_bad_input_raises():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        MLPClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="activation"):
        MLPClassifier(activation="swish").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPRegressor(hidden_layer_sizes=(0,)).fit(X, y)


# ------------------------------------------------------------------ autoencoder

def test_autoencoder_reconstructs_digits_about_as_well_as_pca():
    X, _ = digits()
    X = X[:800]
    k = 10
    pca = PCA(n_components=k).fit(X)
    pca_error = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    model = Autoencoder(n_components=k, hidden_layer_sizes=(64,), activation="relu", epochs=150, batch_size=64,
                        lr=3e-3, random_state=0).fit(X)
    codes = model.transform(X)
    error = np.mean((model.inverse_transform(codes) - X) ** 2)
    assert codes.shape == (len(X), k)
    assert error < 0.2 * X.var(axis=0).mean()  # far below the data's variance
    assert error < 1.5 * pca_error


def test_linear_autoencoder_spans_the_pca_subspace():
    # With no hidden layer and identity activation the optimum is PCA's subspace (Baldi & Hornik, 1989).
    X, _ = digits()
    X = X[:500]
    model = Autoencoder(n_components=3, hidden_layer_sizes=(), activation="identity", epochs=300, lr=1e-2,
                        random_state=0).fit(X)
    pca = PCA(n_components=3).fit(X)
    decoder = model.decoder_coefs_[0]  # (3, n_features): rows span the learned subspace
    Q, _ = np.linalg.qr(decoder.T)
    cosines = np.linalg.svd(Q.T @ pca.components_.T, compute_uv=False)
    assert cosines.min() > 0.95


def test_autoencoder_bad_input():
    X, _ = digits()
    with pytest.raises(NotFittedError):
        Autoencoder().transform(X)
    model = Autoencoder(n_components=2, epochs=1, random_state=0).fit(X[:100])
    with pytest.raises(ValueError, match="features"):
        model.transform(X[:5, :10])
    with pytest.raises(ValueError, match="n_components"):
        model.inverse_transform(np.zeros((5, 3)))
