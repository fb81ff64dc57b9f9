"""Soft actor-critic, SAC (Haarnoja et al. 2018, "Soft actor-critic algorithms and
applications", Algorithm 1, with the automatic temperature of its section 5), for
continuous actions.

SAC maximizes reward plus the policy's entropy, weighted by a temperature alpha. A
tanh-squashed Gaussian policy a = tanh(u), u ~ N(mu(s), sigma(s)^2), two critics and their
Polyak-averaged targets learn off-policy from a replay buffer:

    a' ~ pi(.|s'),  y = r + gamma (1 - terminated) (min_i Q_i'(s', a') - alpha log pi(a'|s'))   (eq. 5)
    critics:  minimize (Q_i(s, a) - y)^2
    actor:    minimize alpha log pi(a~|s) - min_i Q_i(s, a~),  a~ = tanh(mu + sigma * eps)   (eq. 7, 9)
    alpha:    minimize -log(alpha) (log pi(a~|s) + target_entropy),  target_entropy = -dim(A)  (eq. 18)

log pi(a|s) = log N(u; mu, sigma^2) - sum_d log(1 - tanh(u_d)^2)  (the change of variables,
appendix C). Actions live in [-1, 1] for the networks and are rescaled to the env's bounds.
"""
import math

import numpy as np

from descent import nn, no_grad, ops, optim
from descent.rl.buffers import ReplayBuffer
from descent.rl.networks import LOG_SQRT_2PI, copy_weights, mlp, polyak_update
from descent.rl.offpolicy import OffPolicyAgent
from descent.rl.returns import td_target
from descent.rl.td3 import QNetwork
from descent.tensor import Tensor

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


class SquashedGaussianActor(nn.Module):
    """pi(a|s): a = tanh(u), u ~ N(mu(s), exp(log_std(s))^2), both heads on a shared ReLU trunk."""

    def __init__(self, obs_dim, action_dim, hidden_sizes, generator=None):
        super().__init__()
        self.trunk = nn.Sequential(mlp((obs_dim, *hidden_sizes), "relu", orthogonal=False, generator=generator),
                                   nn.ReLU())
        self.mean = nn.Linear(hidden_sizes[-1], action_dim, generator=generator)
        self.log_std = nn.Linear(hidden_sizes[-1], action_dim, generator=generator)

    def forward(self, obs, rng, deterministic=False):
        """Actions in [-1, 1] (B, D) and their log-probabilities (B,), as Tensors with gradients
        (reparameterized: u = mu + sigma * eps with eps a constant draw)."""
        h = self.trunk(obs)
        mean = self.mean(h)
        log_std = ops.clip(self.log_std(h), LOG_STD_MIN, LOG_STD_MAX)
        eps = np.zeros(mean.shape, np.float32) if deterministic else rng.standard_normal(mean.shape).astype(
            np.float32)
        u = mean + ops.exp(log_std) * Tensor(eps)
        gaussian = (-0.5 * eps * eps - log_std - LOG_SQRT_2PI).sum(axis=-1)
        # log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)), stable for large |u|
        squash = (2.0 * (math.log(2.0) - u - ops.softplus(-2.0 * u))).sum(axis=-1)
        return ops.tanh(u), gaussian - squash


class SAC(OffPolicyAgent):
    """SAC with twin critics and a learned temperature, for Box actions. The defaults are
    rl-baselines3-zoo's for Pendulum-v1.

    Parameters
    ----------
    env : gymnasium.Env or str
        Box observations (d,) and Box actions (D,) with finite bounds.
    learning_rate : float
        Adam's step size, for the actor, the critics and the temperature.
    buffer_size : int
    learning_starts : int
        Steps of uniformly random actions before learning.
    batch_size : int
    gamma : float
    tau : float
        Polyak weight of the target update, made after every critic update.
    train_freq, gradient_steps : int
        Every train_freq env steps, gradient_steps updates.
    ent_coef : float or 'auto'
        alpha; 'auto' learns it toward the entropy target -dim(A), starting from 1.
    hidden_sizes : tuple of int
        Hidden layers of the actor and of each critic (ReLU).
    n_envs : int
    seed : int or None
    """

    def __init__(self, env, *, learning_rate=1e-3, buffer_size=1_000_000, learning_starts=100, batch_size=256,
                 gamma=0.99, tau=0.005, train_freq=1, gradient_steps=1, ent_coef="auto", hidden_sizes=(256, 256),
                 n_envs=1, seed=None):
        self.learning_rate, self.buffer_size, self.learning_starts = learning_rate, buffer_size, learning_starts
        self.batch_size, self.gamma, self.tau = batch_size, gamma, tau
        self.train_freq, self.gradient_steps, self.ent_coef = train_freq, gradient_steps, ent_coef
        self.hidden_sizes, self.n_envs, self.seed = tuple(hidden_sizes), n_envs, seed
        self._setup_env(env, n_envs)
        obs_dim = self._check_box_observations()
        action_dim = self._check_box_actions()

        g = self.generator
        self.actor = SquashedGaussianActor(obs_dim, action_dim, self.hidden_sizes, g)
        self.q1, self.q2 = (QNetwork(obs_dim, action_dim, self.hidden_sizes, g) for _ in range(2))
        self.q1_target, self.q2_target = (QNetwork(obs_dim, action_dim, self.hidden_sizes, g) for _ in range(2))
        copy_weights(self.q1, self.q1_target)
        copy_weights(self.q2, self.q2_target)
        self.temperature = nn.Module()  # holds log alpha, so that it is saved with the networks
        self.temperature.log_alpha = nn.Parameter(np.zeros(1, np.float32))
        self.target_entropy = -float(action_dim)
        self.actor_optimizer = optim.Adam(self.actor.parameters(), lr=learning_rate)
        self.critic_optimizer = optim.Adam([*self.q1.parameters(), *self.q2.parameters()], lr=learning_rate)
        self.alpha_optimizer = optim.Adam(self.temperature.parameters(), lr=learning_rate)
        self.buffer = ReplayBuffer(buffer_size, (obs_dim,), (action_dim,), action_dtype=np.float32)

    def _networks(self):
        return {"actor": self.actor, "q1": self.q1, "q2": self.q2, "q1_target": self.q1_target,
                "q2_target": self.q2_target, "temperature": self.temperature}

    @property
    def alpha(self):
        if self.ent_coef == "auto":
            return float(np.exp(self.temperature.log_alpha.data[0]))
        return float(self.ent_coef)

    def _to_env(self, squashed):
        """[-1, 1] -> [low, high]."""
        low, high = self.action_space.low, self.action_space.high
        return (low + (squashed + 1.0) * 0.5 * (high - low)).astype(np.float32)

    def _act(self, obs, deterministic):
        with no_grad():
            squashed, _ = self.actor(self._obs_tensor(obs), self.rng, deterministic)
        return self._to_env(squashed.data)

    def _behaviour(self, obs, iteration, total_timesteps):
        """Uniform actions for the first learning_starts steps, then a ~ pi(.|s); the buffer
        keeps them in [-1, 1], the envs get them rescaled to their bounds."""
        if self.num_timesteps < self.learning_starts:
            squashed = self.rng.uniform(-1.0, 1.0, size=(self.n_envs, *self.action_space.shape)).astype(np.float32)
        else:
            with no_grad():
                squashed = self.actor(self._obs_tensor(obs), self.rng)[0].data
        return squashed, self._to_env(squashed)

    def targets(self, batch):
        """y (B,) = r + gamma (1 - terminated) (min_i Q_i'(s', a') - alpha log pi(a'|s')), a' ~ pi(.|s')."""
        with no_grad():
            next_obs = Tensor(batch["next_obs"])
            action, log_prob = self.actor(next_obs, self.rng)
            next_q = np.minimum(self.q1_target(next_obs, action).data, self.q2_target(next_obs, action).data)
            soft_value = next_q - self.alpha * log_prob.data
        return td_target(batch["rewards"], soft_value, batch["terminated"], self.gamma)

    def _gradient_step(self):
        obs = self._update_critics(self.buffer.sample(self.batch_size, self.generator))

        alpha = self.alpha
        new_action, log_prob = self.actor(obs, self.rng)
        q = ops.minimum(self.q1(obs, new_action), self.q2(obs, new_action))
        actor_loss = (alpha * log_prob - q).mean()
        self.actor_optimizer.zero_grad()
        actor_loss.backward()  # also leaves gradients on the critics, cleared before their next update
        self.actor_optimizer.step()

        if self.ent_coef == "auto":
            entropy_gap = Tensor((log_prob.data + self.target_entropy).astype(np.float32))
            alpha_loss = -(self.temperature.log_alpha * entropy_gap).mean()
            self.alpha_optimizer.zero_grad()
            alpha_loss.backward()
            self.alpha_optimizer.step()
        polyak_update(self.q1, self.q1_target, self.tau)
        polyak_update(self.q2, self.q2_target, self.tau)
