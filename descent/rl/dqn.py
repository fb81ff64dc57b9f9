"""Deep Q-network (Mnih et al. 2015, "Human-level control through deep reinforcement
learning") with double Q-learning (van Hasselt et al. 2016).

A network Q(s, .; theta) regresses toward a TD target computed with a slowly moving copy
theta^- (the target network), on minibatches drawn from a replay buffer:

    a* = argmax_a Q(s', a; theta)                        (double DQN: the online net chooses)
    y  = r + gamma * (1 - terminated) * Q(s', a*; theta^-)  (the target net evaluates)
    loss = Huber(Q(s, a; theta) - y)

A truncated episode still bootstraps: s' is the state it stopped in. The behaviour policy
is epsilon-greedy with epsilon falling linearly.
"""
import numpy as np

from descent import no_grad, optim, ops
from descent import functional as F
from descent.rl.base import linear_schedule
from descent.rl.buffers import ReplayBuffer
from descent.rl.networks import copy_weights, mlp, polyak_update
from descent.rl.offpolicy import OffPolicyAgent
from descent.rl.returns import td_target
from descent.tensor import Tensor


class DQN(OffPolicyAgent):
    """Double DQN for discrete actions. The defaults are rl-baselines3-zoo's for CartPole-v1.

    Parameters
    ----------
    env : gymnasium.Env or str
        Box observations (d,), Discrete actions.
    learning_rate : float
        Adam's step size.
    anneal_lr : bool
        Let the step size fall linearly to 0 over the run, which steadies the greedy policy
        late in training (off by default, as in rl-baselines3-zoo).
    buffer_size : int
        Transitions the replay buffer holds.
    learning_starts : int
        Env steps of pure collection before the first update.
    batch_size : int
        Transitions per gradient step.
    gamma : float
        Discount.
    tau : float
        Target update weight: 1 copies the online net, < 1 is Polyak averaging.
    target_update_interval : int
        Env steps between target updates.
    train_freq : int
        Env steps between rounds of updates.
    gradient_steps : int
        Gradient steps per round.
    exploration_fraction : float
        Fraction of the run over which epsilon falls from its initial to its final value.
    exploration_initial_eps, exploration_final_eps : float
    max_grad_norm : float
        Gradients are clipped to this global norm.
    double_q : bool
        Double DQN's target (True) or the max over the target net (False).
    hidden_sizes : tuple of int
        Hidden layers of the Q-network (ReLU).
    n_envs : int
        Envs stepped together.
    seed : int or None
    """

    def __init__(self, env, *, learning_rate=2.3e-3, anneal_lr=False, buffer_size=100_000, learning_starts=1000,
                 batch_size=64, gamma=0.99, tau=1.0, target_update_interval=10, train_freq=256, gradient_steps=128,
                 exploration_fraction=0.16, exploration_initial_eps=1.0, exploration_final_eps=0.04,
                 max_grad_norm=10.0, double_q=True, hidden_sizes=(256, 256), n_envs=1, seed=None):
        self.learning_rate, self.anneal_lr = learning_rate, anneal_lr
        self.buffer_size, self.learning_starts = buffer_size, learning_starts
        self.batch_size, self.gamma, self.tau = batch_size, gamma, tau
        self.target_update_interval, self.train_freq, self.gradient_steps = (target_update_interval, train_freq,
                                                                             gradient_steps)
        self.exploration_fraction = exploration_fraction
        self.exploration_initial_eps, self.exploration_final_eps = exploration_initial_eps, exploration_final_eps
        self.max_grad_norm, self.double_q, self.hidden_sizes = max_grad_norm, double_q, tuple(hidden_sizes)
        self.n_envs, self.seed = n_envs, seed
        self._setup_env(env, n_envs)
        obs_dim = self._check_box_observations()
        if not hasattr(self.action_space, "n"):
            raise ValueError(f"DQN: needs a Discrete action space, got {self.action_space}")
        sizes = (obs_dim, *self.hidden_sizes, int(self.action_space.n))
        self.q_net = mlp(sizes, "relu", orthogonal=False, generator=self.generator)
        self.q_target = mlp(sizes, "relu", orthogonal=False, generator=self.generator)
        copy_weights(self.q_net, self.q_target)
        self.optimizer = optim.Adam(self.q_net.parameters(), lr=learning_rate)
        self.buffer = ReplayBuffer(buffer_size, (obs_dim,))

    def _networks(self):
        return {"q_net": self.q_net, "q_target": self.q_target}

    def epsilon(self, progress):
        """epsilon after `progress` (0 to 1) of the run: linear, then flat at the final value."""
        return linear_schedule(self.exploration_initial_eps, self.exploration_final_eps, self.exploration_fraction,
                               progress)

    def _act(self, obs, deterministic, eps=None):
        """Greedy actions, or epsilon-greedy ones (eps defaults to the final epsilon)."""
        if deterministic:
            return self._greedy(obs)
        explore = self.rng.random(len(obs)) < (self.exploration_final_eps if eps is None else eps)
        random_actions = self.rng.integers(0, self.action_space.n, size=len(obs))
        if explore.all():  # early in training, most steps: no forward pass needed
            return random_actions
        return np.where(explore, random_actions, self._greedy(obs))

    def _greedy(self, obs):
        with no_grad():
            return self.q_net(self._obs_tensor(obs)).data.argmax(axis=1)

    def _behaviour(self, obs, iteration, total_timesteps):
        """epsilon-greedy, epsilon following its schedule over the run."""
        eps = self.epsilon((iteration - 1) * self.n_envs / total_timesteps)
        actions = self._act(obs, deterministic=False, eps=eps)
        return actions, actions

    def _train(self, iteration, total_timesteps):
        """Updates once more than learning_starts steps are in, every train_freq env steps
        (the step size annealed first, if asked); the target net every target_update_interval."""
        n = self.n_envs
        if self.num_timesteps > self.learning_starts and iteration % max(self.train_freq // n, 1) == 0:
            if self.anneal_lr:
                self._set_learning_rate(self.learning_rate * (1 - iteration * n / total_timesteps))
            for _ in range(self.gradient_steps):
                self._gradient_step()
        if iteration % max(self.target_update_interval // n, 1) == 0:
            polyak_update(self.q_net, self.q_target, self.tau)

    def targets(self, batch):
        """The regression targets y (B,) of a batch of transitions (a dict as ReplayBuffer.sample gives)."""
        next_obs = Tensor(batch["next_obs"])
        with no_grad():
            next_q = self.q_target(next_obs).data            # (B, A)
            if self.double_q:
                best = self.q_net(next_obs).data.argmax(axis=1)
                next_value = next_q[np.arange(len(best)), best]
            else:
                next_value = next_q.max(axis=1)
        return td_target(batch["rewards"], next_value, batch["terminated"], self.gamma)

    def _gradient_step(self):
        batch = self.buffer.sample(self.batch_size, self.generator)
        target = Tensor(self.targets(batch).astype(np.float32))
        q = self.q_net(Tensor(batch["obs"]))                                   # (B, A)
        q_taken = ops.take_along_axis(q, batch["actions"][:, None], axis=1)[:, 0]
        loss = F.smooth_l1_loss(q_taken, target)
        self.optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm_(self.q_net.parameters(), self.max_grad_norm)
        self.optimizer.step()
        return float(loss.data)
