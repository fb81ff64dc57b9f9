"""Proximal policy optimization (Schulman et al. 2017, "Proximal policy optimization
algorithms"), the clipped-surrogate variant, with GAE(lambda) advantages.

Each iteration collects n_steps from every env with the current policy pi_old, computes
advantages A_t by GAE, then runs n_epochs of minibatch Adam steps on

    r_t(theta) = pi_theta(a_t|s_t) / pi_old(a_t|s_t)
    L_clip     = E[ min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t) ]          (eq. 7)
    loss       = -L_clip + c_v * E[(V(s_t) - R_t)^2] - c_e * E[entropy]       (eq. 9)

with R_t = A_t + V_old(s_t) the value targets. The implementation details follow
Huang et al. (2022), "The 37 implementation details of PPO": orthogonal initialization,
Adam eps 1e-5, advantages normalized per minibatch, global gradient-norm clipping, linear
annealing of the learning rate, optional value clipping and observation/reward normalization.
"""
import numpy as np

from descent import ops
from descent.rl.onpolicy import OnPolicyAgent
from descent.tensor import Tensor


class PPO(OnPolicyAgent):
    """PPO-clip for discrete (Categorical) and continuous (diagonal Gaussian) actions.

    The defaults are rl-baselines3-zoo's for CartPole-v1.

    Parameters
    ----------
    env : gymnasium.Env or str
        Box observations (d,); Discrete or Box actions.
    learning_rate : float
        Adam's step size at the start.
    anneal_lr : bool
        Let the learning rate fall linearly to 0 over the run.
    n_envs : int
        Envs stepped together.
    n_steps : int
        Steps per env in each rollout; a rollout holds n_steps * n_envs transitions.
    batch_size : int
        Transitions per minibatch.
    n_epochs : int
        Passes over each rollout.
    gamma : float
        Discount.
    gae_lambda : float
        GAE's lambda: 0 is the one-step TD advantage, 1 the Monte-Carlo one.
    clip_range : float
        epsilon of the clipped ratio.
    anneal_clip_range : bool
        Let the clip range fall linearly to 0 over the run.
    clip_range_vf : float or None
        Clip the value update around the old value (OpenAI Baselines' PPO2), or not (None).
    normalize_advantage : bool
        Standardize the advantages within each minibatch.
    ent_coef, vf_coef : float
        c_e and c_v, the weights of the entropy bonus and of the value loss.
    max_grad_norm : float
        Gradients are clipped to this global norm.
    hidden_sizes : tuple of int
        Hidden layers of the actor and of the critic.
    activation : 'tanh' or 'relu'
    log_std_init : float
        Initial log standard deviation of Gaussian actions.
    normalize_observations, normalize_rewards : bool
        Running normalization of observations, and scaling of rewards by the std of the return.
    seed : int or None
    """

    def __init__(self, env, *, learning_rate=1e-3, anneal_lr=True, n_envs=8, n_steps=32, batch_size=256,
                 n_epochs=20, gamma=0.98, gae_lambda=0.8, clip_range=0.2, anneal_clip_range=True,
                 clip_range_vf=None, normalize_advantage=True, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5,
                 hidden_sizes=(64, 64), activation="tanh", log_std_init=0.0, normalize_observations=False,
                 normalize_rewards=False, seed=None):
        self.learning_rate, self.anneal_lr, self.n_envs, self.n_steps = learning_rate, anneal_lr, n_envs, n_steps
        self.batch_size, self.n_epochs, self.gamma, self.gae_lambda = batch_size, n_epochs, gamma, gae_lambda
        self.clip_range, self.anneal_clip_range, self.clip_range_vf = clip_range, anneal_clip_range, clip_range_vf
        self.normalize_advantage, self.ent_coef, self.vf_coef = normalize_advantage, ent_coef, vf_coef
        self.max_grad_norm, self.hidden_sizes, self.activation = max_grad_norm, tuple(hidden_sizes), activation
        self.log_std_init, self.normalize_observations = log_std_init, normalize_observations
        self.normalize_rewards, self.seed = normalize_rewards, seed
        self._setup(env)

    def _train(self, rollout, remaining):
        advantages, returns = self._gae(rollout)
        clip_range = self.clip_range * (remaining if self.anneal_clip_range else 1.0)
        self._update(rollout, advantages, returns, clip_range)

    def _update(self, rollout, advantages, returns, clip_range):
        """n_epochs of minibatch steps on the clipped surrogate (rollout arrays flattened to (N, ...))."""
        flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in rollout.items()}
        advantages, returns = advantages.ravel(), returns.ravel()
        size = len(advantages)
        for epoch in range(self.n_epochs):
            order = self.rng.permutation(size)
            for begin in range(0, size, self.batch_size):
                rows = order[begin:begin + self.batch_size]
                self._minibatch_step({k: v[rows] for k, v in flat.items()}, advantages[rows], returns[rows],
                                     clip_range)

    def _minibatch_step(self, batch, advantages, returns, clip_range):
        log_prob, entropy, value = self.policy.evaluate_actions(Tensor(batch["obs"]), batch["actions"])
        if self.normalize_advantage and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        advantages = Tensor(advantages.astype(np.float32))

        ratio = ops.exp(log_prob - Tensor(batch["log_probs"].astype(np.float32)))
        surrogate = ops.minimum(ratio * advantages, ops.clip(ratio, 1 - clip_range, 1 + clip_range) * advantages)
        policy_loss = -surrogate.mean()

        returns = Tensor(returns.astype(np.float32))
        value_loss = ((value - returns) ** 2).mean()
        if self.clip_range_vf is not None:  # PPO2's pessimistic clipped value loss
            old_value = Tensor(batch["values"].astype(np.float32))
            clipped = old_value + ops.clip(value - old_value, -self.clip_range_vf, self.clip_range_vf)
            value_loss = ops.maximum((value - returns) ** 2, (clipped - returns) ** 2).mean()

        self._optimize(policy_loss + self.vf_coef * value_loss - self.ent_coef * entropy.mean())
