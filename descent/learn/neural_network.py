"""Multilayer perceptrons and an autoencoder with the scikit-learn API, trained on descent.nn.

A multilayer perceptron maps x through hidden layers h_l = act(h_{l-1} W_l + b_l) to an
output layer (identity for regression; logistic or softmax for classification) and is
fitted by minibatch stochastic gradient descent (Rumelhart, Hinton & Williams, 1986) on

    loss(batch) = mean data loss + alpha / (2 · batch size) · Σ_l ‖W_l‖²

with descent's autodiff computing the gradients and descent.optim's Adam (Kingma & Ba,
2015) or SGD with (Nesterov) momentum taking the steps. Everything follows scikit-learn's
MLPClassifier / MLPRegressor: Glorot-uniform initialization (Glorot & Bengio, 2010),
batch_size='auto' = min(200, n), the per-epoch stopping rule on the training loss (or on a
held-out validation score with `early_stopping`), and `coefs_` / `intercepts_` stored as
NumPy arrays in the (in, out) layout.
"""
import math
import warnings

import numpy as np

import descent
from descent import nn, optim
from descent.data import DataLoader, TensorDataset
from descent.learn.base import (BaseEstimator, ProbabilisticClassifierMixin, RegressorMixin, TransformerMixin, check_array,
                                check_classification_targets, check_is_fitted, check_n_features,
                                check_random_state, check_X_y, encode_labels)
from descent.learn.linear_model import ConvergenceWarning

ACTIVATIONS = {
    "identity": (lambda h: h, lambda a: a),
    "logistic": (descent.sigmoid, lambda a: 1.0 / (1.0 + np.exp(-a))),
    "tanh": (descent.tanh, np.tanh),
    "relu": (descent.relu, lambda a: np.maximum(a, 0.0)),
}  # name -> (on Tensors, for training; on arrays, for prediction)


class MultilayerNetwork(nn.Module):
    """Linear layers of the given widths with `activation` between them (none after the last).

    Weights and biases start uniform in ±√(f / (fan_in + fan_out)), f = 2 for the logistic
    activation and 6 otherwise (Glorot & Bengio, 2010, as scikit-learn's MLP).
    """

    def __init__(self, sizes, activation, generator):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(n_in, n_out, dtype=np.float64, generator=generator)
                                     for n_in, n_out in zip(sizes[:-1], sizes[1:])])
        self.activation = activation
        factor = 2.0 if activation == "logistic" else 6.0
        for layer in self.layers:
            bound = math.sqrt(factor / (layer.in_features + layer.out_features))
            nn.init.uniform_(layer.weight, -bound, bound, generator)
            nn.init.uniform_(layer.bias, -bound, bound, generator)

    def forward(self, x):
        act = ACTIVATIONS[self.activation][0]
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = act(x)
        return x

    def squared_weights(self):
        """Σ_l ‖W_l‖² (biases are not penalized)."""
        return sum((layer.weight * layer.weight).sum() for layer in self.layers)

    def arrays(self):
        """(coefs, intercepts): copies of each layer's W as (in, out) and b as (out,)."""
        return ([layer.weight.data.T.copy() for layer in self.layers],
                [layer.bias.data.copy() for layer in self.layers])


def forward_arrays(X, coefs, intercepts, activation):
    """The network's last pre-activation (n, out) from NumPy weights: no graph is built."""
    act = ACTIVATIONS[activation][1]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        X = X @ W + b
        if i < len(coefs) - 1:
            X = act(X)
    return X


def descent_generator(random_state):
    """A descent.Generator seeded from scikit-learn's random_state (None, int or a NumPy generator)."""
    return descent.Generator(int(check_random_state(random_state).integers(2 ** 63)))


def holdout_split(n_samples, validation_fraction, generator, who):
    """(train rows, validation rows): round(validation_fraction · n_samples) random rows, at
    least one, held out for early stopping (scikit-learn's MLP and SGD estimators)."""
    order = generator.numpy.permutation(n_samples)
    n_val = max(1, int(round(validation_fraction * n_samples)))
    if n_val >= n_samples:
        raise ValueError(f"{who}: early_stopping leaves no training samples "
                         f"(n_samples={n_samples}, validation_fraction={validation_fraction})")
    return order[n_val:], order[:n_val]


# ------------------------------------------------------------------ the training loop

class BaseMultilayerPerceptron(BaseEstimator):
    """The parameters and the minibatch training loop shared by MLPClassifier and MLPRegressor.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        The width of each hidden layer.
    activation : {'relu', 'tanh', 'logistic', 'identity'}
    solver : {'adam', 'sgd'}
    alpha : float
        L2 penalty strength on the weights.
    batch_size : int or 'auto'
        'auto' is min(200, n_samples).
    learning_rate : {'constant', 'invscaling', 'adaptive'}
        The schedule of the 'sgd' solver: lr_init / (t + 1)^power_t after each epoch for
        'invscaling' (t = samples seen); division by 5 each time the loss stalls for 'adaptive'.
    learning_rate_init, power_t, momentum, nesterovs_momentum, beta_1, beta_2, epsilon : float / bool
        The optimizer's settings.
    max_iter : int
        Most epochs.
    shuffle : bool
        Shuffle the samples every epoch.
    random_state : None, int or NumPy Generator
        Seeds the initialization, the shuffling and the validation split.
    tol : float
    early_stopping : bool
        Hold out `validation_fraction` of the data and stop when its score stalls.
    validation_fraction : float
    n_iter_no_change : int
        Epochs without an improvement of at least `tol` before stopping.
    """

    def __init__(self, *, hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=1e-4,
                 batch_size="auto", learning_rate="constant", learning_rate_init=1e-3, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, n_iter_no_change=10):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    def _check_params(self):
        who = type(self).__name__
        sizes = np.atleast_1d(self.hidden_layer_sizes)
        if sizes.size and (sizes.dtype.kind not in "iu" or (sizes <= 0).any()):
            raise ValueError(f"{who}: hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        for name, value, allowed in [("activation", self.activation, tuple(ACTIVATIONS)),
                                     ("solver", self.solver, ("adam", "sgd")),
                                     ("learning_rate", self.learning_rate, ("constant", "invscaling", "adaptive"))]:
            if value not in allowed:
                raise ValueError(f"{who}: {name} must be one of {allowed}, got {value!r}")
        for name in ("learning_rate_init", "max_iter", "n_iter_no_change"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{who}: {name} must be > 0, got {getattr(self, name)!r}")
        if self.alpha < 0 or self.tol < 0:
            raise ValueError(f"{who}: alpha and tol must be >= 0, got {self.alpha!r} and {self.tol!r}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"{who}: validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        if self.batch_size != "auto" and not (isinstance(self.batch_size, (int, np.integer)) and self.batch_size > 0):
            raise ValueError(f"{who}: batch_size must be a positive int or 'auto', got {self.batch_size!r}")
        return [int(s) for s in sizes]

    def _fit(self, X, targets, n_outputs):
        """Train on X (n, d) and `targets` (class codes (n,) or values (n, n_outputs))."""
        hidden = self._check_params()
        generator = descent_generator(self.random_state)
        X_train, t_train, X_val, t_val = self._validation_split(X, targets, generator)
        network = MultilayerNetwork([X.shape[1], *hidden, n_outputs], self.activation, generator)
        optimizer = self._optimizer(network.parameters())
        batch_size = min(200, len(X_train)) if self.batch_size == "auto" else min(self.batch_size, len(X_train))
        loader = DataLoader(TensorDataset(X_train, t_train), batch_size=batch_size, shuffle=self.shuffle,
                            generator=generator)
        self.loss_curve_, self.validation_scores_ = [], [] if self.early_stopping else None
        self.best_loss_, self.best_validation_score_ = np.inf, -np.inf if self.early_stopping else None
        self.t_, stalled, best = 0, 0, None
        for epoch in range(1, self.max_iter + 1):
            total = 0.0
            for xb, tb in loader:
                loss = self._loss(network(descent.tensor(xb)), tb) + (
                    self.alpha / (2 * len(xb))) * network.squared_weights()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.data) * len(xb)
            self.t_ += len(X_train)
            self.loss_curve_.append(total / len(X_train))
            self.n_iter_ = epoch
            improved, best = self._track_progress(network, X_val, t_val, best)
            stalled = 0 if improved else stalled + 1
            self._schedule_learning_rate(optimizer)
            if stalled > self.n_iter_no_change:
                if self._shrink_adaptive_rate(optimizer):
                    stalled = 0
                else:
                    break
        else:
            warnings.warn(f"{type(self).__name__}: stochastic optimizer reached max_iter={self.max_iter} epochs "
                          "and the optimization has not converged yet.", ConvergenceWarning, stacklevel=3)
        self.coefs_, self.intercepts_ = best if self.early_stopping else network.arrays()
        if self.early_stopping:
            self.best_loss_ = None
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = n_outputs
        return self

    def _validation_split(self, X, targets, generator):
        if not self.early_stopping:
            return X, targets, None, None
        train, val = holdout_split(len(X), self.validation_fraction, generator, type(self).__name__)
        return X[train], targets[train], X[val], targets[val]

    def _optimizer(self, params):
        if self.solver == "adam":
            return optim.Adam(params, lr=self.learning_rate_init, betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        return optim.SGD(params, lr=self.learning_rate_init, momentum=self.momentum,
                         nesterov=self.nesterovs_momentum and self.momentum > 0)

    def _track_progress(self, network, X_val, t_val, best):
        """(whether this epoch improved by at least tol, the best weights so far)."""
        if not self.early_stopping:
            loss = self.loss_curve_[-1]
            improved = loss <= self.best_loss_ - self.tol
            self.best_loss_ = min(self.best_loss_, loss)
            return improved, None
        coefs, intercepts = network.arrays()
        score = self._validation_score(forward_arrays(X_val, coefs, intercepts, self.activation), t_val)
        self.validation_scores_.append(score)
        improved = score >= self.best_validation_score_ + self.tol
        if score > self.best_validation_score_:
            self.best_validation_score_, best = score, (coefs, intercepts)
        return improved, best

    def _schedule_learning_rate(self, optimizer):
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            for group in optimizer.param_groups:
                group["lr"] = self.learning_rate_init / (self.t_ + 1) ** self.power_t

    def _shrink_adaptive_rate(self, optimizer):
        """With the adaptive schedule, divide the rate by 5 and go on (True) while it is above 1e-6."""
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            return False
        group = optimizer.param_groups[0]
        if group["lr"] <= 1e-6:
            return False
        for group in optimizer.param_groups:
            group["lr"] /= 5.0
        return True

    def _output(self, X):
        check_is_fitted(self, "coefs_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return forward_arrays(X, self.coefs_, self.intercepts_, self.activation)


class MLPClassifier(ProbabilisticClassifierMixin, BaseMultilayerPerceptron):
    """A multilayer perceptron classifier: logistic output for two classes, softmax for more.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    coefs_ : list of ndarray, layer l of shape (n_in, n_out)
    intercepts_ : list of ndarray (n_out,)
    loss_curve_ : list of float, the mean training loss of each epoch
    n_iter_ : int, epochs run
    out_activation_ : 'logistic' or 'softmax'
    """

    def fit(self, X, y):
        X, y = check_X_y(X, y, estimator=self)
        check_classification_targets(y)
        check_n_features(self, X, reset=True)
        self.classes_, codes = encode_labels(y)
        if len(self.classes_) < 2:
            raise ValueError("MLPClassifier needs samples of at least 2 classes in the data, but the data "
                             f"contains only one class: {self.classes_[0]!r}")
        binary = len(self.classes_) == 2
        self.out_activation_ = "logistic" if binary else "softmax"
        targets = codes[:, None].astype(np.float64) if binary else codes
        return self._fit(X, targets, 1 if binary else len(self.classes_))

    def _loss(self, logits, targets):
        if self.out_activation_ == "logistic":
            return nn.functional.binary_cross_entropy_with_logits(logits, descent.tensor(targets))
        return nn.functional.cross_entropy(logits, targets)

    def _validation_score(self, logits, targets):
        predicted = (logits[:, 0] > 0).astype(int) if logits.shape[1] == 1 else logits.argmax(axis=1)
        return float(np.mean(predicted == targets.reshape(-1)))

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), in the order of classes_."""
        logits = self._output(X)
        if logits.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.column_stack([1.0 - p, p])
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """A multilayer perceptron regressor: identity output, loss ½ · mean squared error.

    Attributes as MLPClassifier's (no classes_); out_activation_ is 'identity'.
    """

    def fit(self, X, y):
        X, y = check_X_y(X, y, y_numeric=True, multi_output=True, estimator=self)
        check_n_features(self, X, reset=True)
        self._y_ndim = y.ndim
        targets = y.reshape(len(y), -1)
        self.out_activation_ = "identity"
        return self._fit(X, targets, targets.shape[1])

    def _more_tags(self, tags):
        tags = super()._more_tags(tags)
        tags.target_tags.multi_output = True
        return tags

    def _loss(self, output, targets):
        return 0.5 * nn.functional.mse_loss(output, descent.tensor(targets))

    def _validation_score(self, output, targets):
        residual = ((targets - output) ** 2).sum(axis=0)
        total = ((targets - targets.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1 - residual / np.where(total == 0, 1.0, total)))

    def predict(self, X):
        output = self._output(X)
        return output.ravel() if self._y_ndim == 1 else output


# ------------------------------------------------------------------ representation learning

class Autoencoder(TransformerMixin, BaseEstimator):
    """An autoencoder: an MLP encoder to a code of n_components and a mirrored MLP decoder.

    Trained with Adam to minimize the mean squared reconstruction error ‖x - dec(enc(x))‖²
    (Hinton & Salakhutdinov, 2006). The code layer and the output layer are linear, so with
    no hidden layers and the identity activation it learns the same subspace as PCA.

    Parameters
    ----------
    n_components : int
        Size of the code.
    hidden_layer_sizes : tuple of int
        Widths of the encoder's hidden layers; the decoder uses them in reverse.
    activation : {'relu', 'tanh', 'logistic', 'identity'}
    epochs : int
    batch_size : int
    lr : float
        Adam's learning rate.
    alpha : float
        L2 penalty on the weights, as in MLPRegressor.
    random_state : None, int or NumPy Generator

    Attributes
    ----------
    encoder_coefs_, encoder_intercepts_, decoder_coefs_, decoder_intercepts_ : lists of ndarray
    mean_ : ndarray (n_features,), subtracted before encoding
    loss_curve_ : list of float
    """

    def __init__(self, *, n_components=2, hidden_layer_sizes=(64,), activation="relu", epochs=100,
                 batch_size=64, lr=1e-3, alpha=0.0, random_state=None):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X, y=None):
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=True)
        self._check_params()
        hidden = [int(h) for h in np.atleast_1d(self.hidden_layer_sizes)]
        generator = descent_generator(self.random_state)
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_  # centering lets the linear layers spend no effort on the offset
        encoder = MultilayerNetwork([X.shape[1], *hidden, self.n_components], self.activation, generator)
        decoder = MultilayerNetwork([self.n_components, *hidden[::-1], X.shape[1]], self.activation, generator)
        params = list(encoder.parameters()) + list(decoder.parameters())
        optimizer = optim.Adam(params, lr=self.lr)
        loader = DataLoader(TensorDataset(Xc), batch_size=min(self.batch_size, len(X)), shuffle=True,
                            generator=generator)
        self.loss_curve_ = []
        for _ in range(self.epochs):
            total = 0.0
            for (xb,) in loader:
                x = descent.tensor(xb)
                loss = nn.functional.mse_loss(decoder(encoder(x)), x) + (self.alpha / (2 * len(xb))) * (
                    encoder.squared_weights() + decoder.squared_weights())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.data) * len(xb)
            self.loss_curve_.append(total / len(X))
        self.encoder_coefs_, self.encoder_intercepts_ = encoder.arrays()
        self.decoder_coefs_, self.decoder_intercepts_ = decoder.arrays()
        self.n_iter_ = self.epochs
        return self

    def _check_params(self):
        who = type(self).__name__
        if not (isinstance(self.n_components, (int, np.integer)) and self.n_components > 0):
            raise ValueError(f"{who}: n_components must be a positive int, got {self.n_components!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"{who}: activation must be one of {tuple(ACTIVATIONS)}, got {self.activation!r}")
        for name in ("epochs", "batch_size", "lr"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{who}: {name} must be > 0, got {getattr(self, name)!r}")

    def transform(self, X):
        """Codes (n_samples, n_components)."""
        check_is_fitted(self, "encoder_coefs_")
        X = check_array(X, estimator=self)
        check_n_features(self, X, reset=False)
        return forward_arrays(X - self.mean_, self.encoder_coefs_, self.encoder_intercepts_, self.activation)

    def inverse_transform(self, Z):
        """Reconstructions (n_samples, n_features) from codes (n_samples, n_components)."""
        check_is_fitted(self, "decoder_coefs_")
        Z = check_array(Z, estimator=self)
        if Z.shape[1] != self.n_components:
            raise ValueError(f"Autoencoder.inverse_transform: codes have {Z.shape[1]} columns, expected "
                             f"n_components={self.n_components}")
        return forward_arrays(Z, self.decoder_coefs_, self.decoder_intercepts_, self.activation) + self.mean_
