"""Twin delayed deep deterministic policy gradient, TD3 (Fujimoto et al. 2018, "Addressing
function approximation error in actor-critic methods", Algorithm 1), for continuous actions.

A deterministic actor mu(s) and two critics Q1, Q2 learn off-policy from a replay buffer.
TD3 corrects DDPG's overestimation with three changes:

1. clipped double Q-learning: the target takes the smaller of two target critics,
       a~ = clip(mu'(s') + clip(N(0, sigma~), -c, c), low, high)            (target smoothing, 3.)
       y  = r + gamma * (1 - terminated) * min(Q1'(s', a~), Q2'(s', a~))
2. delayed policy updates: the actor and the target networks move once every policy_delay
   critic updates, the actor along grad_a Q1(s, a)|a=mu(s), the targets by Polyak averaging;
3. target policy smoothing: the noise in a~ above.

Exploration adds Gaussian noise to mu(s); the first learning_starts steps act uniformly at random.
"""
import numpy as np

from descent import nn, no_grad, ops, optim
from descent.rl.buffers import ReplayBuffer
from descent.rl.networks import copy_weights, mlp, polyak_update
from descent.rl.offpolicy import OffPolicyAgent
from descent.rl.returns import td_target
from descent.tensor import Tensor


class QNetwork(nn.Module):
    """Q(s, a): an MLP on the concatenation [s, a], output (B,)."""

    def __init__(self, obs_dim, action_dim, hidden_sizes, generator=None):
        super().__init__()
        self.net = mlp((obs_dim + action_dim, *hidden_sizes, 1), "relu", orthogonal=False, generator=generator)

    def forward(self, obs, action):
        return self.net(ops.concatenate([obs, action], axis=1))[:, 0]


class Actor(nn.Module):
    """mu(s) = low + (tanh(MLP(s)) + 1) / 2 * (high - low): a deterministic action within the bounds."""

    def __init__(self, obs_dim, action_dim, hidden_sizes, low, high, generator=None):
        super().__init__()
        self.net = mlp((obs_dim, *hidden_sizes, action_dim), "relu", orthogonal=False, generator=generator)
        self.register_buffer("low", np.asarray(low, dtype=np.float32))
        self.register_buffer("high", np.asarray(high, dtype=np.float32))

    def forward(self, obs):
        return self.low + (ops.tanh(self.net(obs)) + 1.0) * (0.5 * (self.high - self.low))


class TD3(OffPolicyAgent):
    """TD3 for Box actions. The defaults are rl-baselines3-zoo's for Pendulum-v1.

    Parameters
    ----------
    env : gymnasium.Env or str
        Box observations (d,) and Box actions (D,) with finite bounds.
    learning_rate : float
        Adam's step size, for the actor and the critics.
    buffer_size : int
    learning_starts : int
        Steps of uniformly random actions before learning.
    batch_size : int
    gamma : float
    tau : float
        Polyak weight of the target updates.
    train_freq, gradient_steps : int
        Every train_freq env steps, gradient_steps critic updates.
    policy_delay : int
        Critic updates per actor (and target) update.
    exploration_noise : float
        Std of the Gaussian added to mu(s) when acting, as a fraction of the half-range of the actions.
    target_policy_noise, target_noise_clip : float
        sigma~ and c of the target smoothing, same units.
    hidden_sizes : tuple of int
        Hidden layers of the actor and of each critic (ReLU).
    n_envs : int
    seed : int or None
    """

    def __init__(self, env, *, learning_rate=1e-3, buffer_size=200_000, learning_starts=10_000, batch_size=256,
                 gamma=0.98, tau=0.005, train_freq=1, gradient_steps=1, policy_delay=2, exploration_noise=0.1,
                 target_policy_noise=0.2, target_noise_clip=0.5, hidden_sizes=(400, 300), n_envs=1, seed=None):
        self.learning_rate, self.buffer_size, self.learning_starts = learning_rate, buffer_size, learning_starts
        self.batch_size, self.gamma, self.tau = batch_size, gamma, tau
        self.train_freq, self.gradient_steps, self.policy_delay = train_freq, gradient_steps, policy_delay
        self.exploration_noise, self.target_policy_noise = exploration_noise, target_policy_noise
        self.target_noise_clip, self.hidden_sizes, self.n_envs, self.seed = (target_noise_clip,
                                                                             tuple(hidden_sizes), n_envs, seed)
        self._setup_env(env, n_envs)
        obs_dim = self._check_box_observations()
        action_dim = self._check_box_actions()
        low, high = self.action_space.low, self.action_space.high
        self.half_range = (0.5 * (high - low)).astype(np.float32)

        g = self.generator
        self.actor = Actor(obs_dim, action_dim, self.hidden_sizes, low, high, g)
        self.actor_target = Actor(obs_dim, action_dim, self.hidden_sizes, low, high, g)
        self.q1, self.q2 = (QNetwork(obs_dim, action_dim, self.hidden_sizes, g) for _ in range(2))
        self.q1_target, self.q2_target = (QNetwork(obs_dim, action_dim, self.hidden_sizes, g) for _ in range(2))
        for source, target in ((self.actor, self.actor_target), (self.q1, self.q1_target), (self.q2, self.q2_target)):
            copy_weights(source, target)
        self.actor_optimizer = optim.Adam(self.actor.parameters(), lr=learning_rate)
        self.critic_optimizer = optim.Adam([*self.q1.parameters(), *self.q2.parameters()], lr=learning_rate)
        self.buffer = ReplayBuffer(buffer_size, (obs_dim,), (action_dim,), action_dtype=np.float32)
        self.n_critic_updates = 0

    def _networks(self):
        return {"actor": self.actor, "actor_target": self.actor_target, "q1": self.q1, "q2": self.q2,
                "q1_target": self.q1_target, "q2_target": self.q2_target}

    def _act(self, obs, deterministic):
        with no_grad():
            action = self.actor(self._obs_tensor(obs)).data
        if not deterministic:
            action = action + self.exploration_noise * self.half_range * self.rng.standard_normal(action.shape)
        return np.clip(action, self.action_space.low, self.action_space.high).astype(np.float32)

    def _behaviour(self, obs, iteration, total_timesteps):
        """Uniform actions for the first learning_starts steps, then mu(s) plus exploration noise."""
        if self.num_timesteps < self.learning_starts:
            low, high = self.action_space.low, self.action_space.high
            actions = self.rng.uniform(low, high, size=(self.n_envs, *low.shape)).astype(np.float32)
        else:
            actions = self._act(obs, deterministic=False)
        return actions, actions

    def targets(self, batch):
        """y (B,) = r + gamma (1 - terminated) min_i Q_i'(s', a~), a~ the smoothed target action."""
        with no_grad():
            next_obs = Tensor(batch["next_obs"])
            action = self.actor_target(next_obs).data
            noise = self.rng.standard_normal(action.shape) * self.target_policy_noise
            noise = np.clip(noise, -self.target_noise_clip, self.target_noise_clip) * self.half_range
            action = Tensor(np.clip(action + noise, self.action_space.low, self.action_space.high).astype(np.float32))
            next_q = np.minimum(self.q1_target(next_obs, action).data, self.q2_target(next_obs, action).data)
        return td_target(batch["rewards"], next_q, batch["terminated"], self.gamma)

    def _gradient_step(self):
        obs = self._update_critics(self.buffer.sample(self.batch_size, self.generator))
        self.n_critic_updates += 1

        if self.n_critic_updates % self.policy_delay == 0:
            actor_loss = -self.q1(obs, self.actor(obs)).mean()
            self.actor_optimizer.zero_grad()
            actor_loss.backward()  # also leaves gradients on Q1, cleared before its next update
            self.actor_optimizer.step()
            polyak_update(self.actor, self.actor_target, self.tau)
            polyak_update(self.q1, self.q1_target, self.tau)
            polyak_update(self.q2, self.q2_target, self.tau)
