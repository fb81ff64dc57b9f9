"""Small networks and action distributions shared by the deep agents.

Distributions work on Tensors so that their log-probabilities and entropies carry
gradients; sampling happens on NumPy arrays with the agent's Generator.
"""
import math

import numpy as np

from descent import nn, ops
from descent.nn import init

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def mlp(sizes, activation="tanh", output_gain=1.0, hidden_gain=math.sqrt(2), orthogonal=True, generator=None):
    """A multilayer perceptron sizes[0] -> ... -> sizes[-1], activation between layers.

    With `orthogonal`, weights are orthogonal with gain sqrt(2) in hidden layers and
    `output_gain` in the last, biases zero: the initialization of OpenAI Baselines' PPO,
    which CleanRL and SB3 keep (a small output gain, 0.01, makes the first policy nearly
    uniform). Otherwise Linear's default (uniform in ±1/sqrt(fan_in)), which value-based
    agents (DQN, TD3) use.
    """
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layer = nn.Linear(fan_in, fan_out, generator=generator)
        if orthogonal:
            init.orthogonal_(layer.weight, output_gain if last else hidden_gain, generator)
            init.zeros_(layer.bias)
        layers.append(layer)
        if not last:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def polyak_update(source, target, tau):
    """target <- tau * source + (1 - tau) * target, parameter by parameter, in place."""
    for p, p_target in zip(source.parameters(), target.parameters()):
        p_target.data *= 1.0 - tau
        p_target.data += tau * p.data


def copy_weights(source, target):
    target.load_state_dict({k: v.copy() for k, v in source.state_dict().items()})


# --- Categorical, over logits (B, n_actions) ----------------------------------------------
def categorical_sample(logits, rng):
    """One action per row of logits (B, A), an int64 array (B,), by inverting the CDF."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(p, axis=1)
    u = rng.random((len(p), 1)) * cdf[:, -1:]
    return np.minimum((cdf < u).sum(axis=1), p.shape[1] - 1)


def categorical_log_prob(logits, actions):
    """log pi(a|s) for logits Tensor (B, A) and actions (B,): a Tensor (B,)."""
    log_p = ops.log_softmax(logits, axis=-1)
    return ops.take_along_axis(log_p, np.asarray(actions, dtype=np.int64)[:, None], axis=1)[:, 0]


def categorical_entropy(logits):
    """H = -sum_a pi(a) log pi(a), a Tensor (B,)."""
    log_p = ops.log_softmax(logits, axis=-1)
    return -(ops.exp(log_p) * log_p).sum(axis=-1)


# --- diagonal Gaussian, mean (B, D) and a state-independent log std (D,) --------------------
LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def gaussian_log_prob(mean, log_std, actions):
    """sum_d log N(a_d; mean_d, exp(log_std_d)^2), a Tensor (B,)."""
    z = (ops.tensor(np.asarray(actions, dtype=np.float32)) - mean) / ops.exp(log_std)
    return (-0.5 * z * z - log_std - LOG_SQRT_2PI).sum(axis=-1)


def gaussian_entropy(log_std, batch_size):
    """sum_d (1/2 + log sqrt(2 pi) + log_std_d), the same for every state: a Tensor (B,)."""
    return ops.broadcast_to((log_std + 0.5 + LOG_SQRT_2PI).sum(), (batch_size,))


class ActorCritic(nn.Module):
    """A policy pi(a|s) and a value V(s), as two separate MLPs (no shared trunk).

    Discrete actions: the actor outputs logits (B, n_actions) of a Categorical.
    Continuous actions: the actor outputs the mean (B, D) of a diagonal Gaussian whose
    log standard deviation `log_std` (D,) is a parameter of its own, the same in every
    state (Schulman et al. 2017's PPO for MuJoCo).

    Parameters
    ----------
    obs_dim : int
    action_dim : int
        n_actions (discrete) or D (continuous).
    continuous : bool
    hidden_sizes : tuple of int
    activation : 'tanh' or 'relu'
    log_std_init : float
    generator : descent.Generator
    """

    def __init__(self, obs_dim, action_dim, continuous, hidden_sizes=(64, 64), activation="tanh",
                 log_std_init=0.0, generator=None):
        super().__init__()
        self.continuous = continuous
        self.actor = mlp((obs_dim, *hidden_sizes, action_dim), activation, output_gain=0.01, generator=generator)
        self.critic = mlp((obs_dim, *hidden_sizes, 1), activation, output_gain=1.0, generator=generator)
        if continuous:
            self.log_std = nn.Parameter(np.full(action_dim, log_std_init, dtype=np.float32))

    def value(self, obs):
        """V(s), a Tensor (B,) for obs Tensor (B, obs_dim)."""
        return self.critic(obs)[:, 0]

    def act(self, obs, rng, deterministic=False):
        """Actions, their log-probabilities (B,) and values V(s) (B,), as arrays; call under no_grad."""
        out = self.actor(obs).data
        if self.continuous:
            std = np.exp(self.log_std.data)
            actions = out if deterministic else out + std * rng.standard_normal(out.shape).astype(np.float32)
            log_prob = gaussian_log_prob(ops.tensor(out), self.log_std, actions).data
        else:
            actions = out.argmax(axis=1) if deterministic else categorical_sample(out, rng)
            log_prob = categorical_log_prob(ops.tensor(out), actions).data
        return actions, log_prob, self.value(obs).data

    def evaluate_actions(self, obs, actions):
        """log pi(a|s) (B,), entropy (B,) and V(s) (B,), as Tensors that carry gradients."""
        out = self.actor(obs)
        if self.continuous:
            return (gaussian_log_prob(out, self.log_std, actions), gaussian_entropy(self.log_std, len(actions)),
                    self.value(obs))
        return categorical_log_prob(out, actions), categorical_entropy(out), self.value(obs)
