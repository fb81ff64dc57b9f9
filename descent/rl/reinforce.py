"""REINFORCE with a learned baseline (Williams 1992, "Simple statistical gradient-following
algorithms for connectionist reinforcement learning"; Sutton & Barto 2018, sec. 13.4).

The policy gradient is estimated from Monte-Carlo returns G_t, with a learned state value
V(s_t) subtracted to cut its variance without biasing it:

    grad J = E[ grad log pi(a_t|s_t) (G_t - V(s_t)) ],    V fitted by least squares to G_t

Episodes still running when a batch ends, and episodes cut by a time limit, bootstrap
G from V at the state they stopped in; a terminated episode does not.
"""
import numpy as np

from descent import optim
from descent.rl.onpolicy import OnPolicyAgent
from descent.rl.returns import discounted_returns
from descent.tensor import Tensor


class REINFORCE(OnPolicyAgent):
    """Monte-Carlo policy gradient with a value baseline, for discrete and continuous actions.

    Parameters
    ----------
    env : gymnasium.Env or str
    learning_rate : float
        Adam's step size, for the policy and the baseline.
    n_envs : int
    n_steps : int
        Steps per env in each batch; one gradient step per batch.
    gamma : float
    normalize_advantage : bool
        Standardize G - V within the batch.
    ent_coef, vf_coef : float
        Weights of the entropy bonus and of the baseline's loss.
    max_grad_norm : float
    hidden_sizes : tuple of int
    activation : 'tanh' or 'relu'
    log_std_init : float
    normalize_observations, normalize_rewards : bool
    seed : int or None
    """

    def __init__(self, env, *, learning_rate=1e-3, n_envs=8, n_steps=200, gamma=0.99, normalize_advantage=True,
                 ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5, hidden_sizes=(64, 64), activation="tanh",
                 log_std_init=0.0, normalize_observations=False, normalize_rewards=False, seed=None):
        self.learning_rate, self.n_envs, self.n_steps, self.gamma = learning_rate, n_envs, n_steps, gamma
        self.normalize_advantage, self.ent_coef, self.vf_coef = normalize_advantage, ent_coef, vf_coef
        self.max_grad_norm, self.hidden_sizes, self.activation = max_grad_norm, tuple(hidden_sizes), activation
        self.log_std_init, self.normalize_observations = log_std_init, normalize_observations
        self.normalize_rewards, self.seed = normalize_rewards, seed
        self._setup(env)

    def learn(self, total_timesteps, callback=None, progress_bar=False):
        bar = self._progress(total_timesteps, progress_bar)
        start = self.num_timesteps
        while self.num_timesteps - start < total_timesteps:
            rollout = self._collect_rollout(self.n_steps, callback, bar)
            if rollout is None:
                break
            returns = discounted_returns(rollout["rewards"], rollout["next_values"], rollout["terminated"],
                                         rollout["truncated"], self.gamma)
            self._update(rollout, returns.ravel())
        if bar is not None:
            bar.close()
        return self

    def _update(self, rollout, returns):
        obs = rollout["obs"].reshape(-1, *rollout["obs"].shape[2:])
        actions = rollout["actions"].reshape(-1, *rollout["actions"].shape[2:])
        log_prob, entropy, value = self.policy.evaluate_actions(Tensor(obs), actions)
        advantages = returns - value.data  # the baseline is a constant in the policy's gradient
        if self.normalize_advantage:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        policy_loss = -(log_prob * Tensor(advantages.astype(np.float32))).mean()
        value_loss = ((value - Tensor(returns.astype(np.float32))) ** 2).mean()
        loss = policy_loss + self.vf_coef * value_loss - self.ent_coef * entropy.mean()
        self.optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
        self.optimizer.step()
