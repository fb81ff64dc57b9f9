"""Advantage actor-critic, A2C: the synchronous version of A3C (Mnih et al. 2016,
"Asynchronous methods for deep reinforcement learning", Algorithm S3).

n_envs environments each run n_steps; the n-step return bootstraps from the critic,

    R_t = r_t + gamma r_{t+1} + ... + gamma^{n-1} r_{t+n-1} + gamma^n V(s_{t+n}),

(GAE with lambda = 1 over the rollout; a smaller gae_lambda gives GAE(lambda)), and one
gradient step is taken on all n_steps * n_envs samples at once:

    loss = -E[log pi(a_t|s_t) A_t] + c_v E[(V(s_t) - R_t)^2] - c_e E[entropy],   A_t = R_t - V(s_t)
"""
from descent import optim
from descent.rl.onpolicy import OnPolicyAgent


class A2C(OnPolicyAgent):
    """A2C for discrete and continuous actions; the defaults are Stable-Baselines3's.

    Parameters
    ----------
    env : gymnasium.Env or str
    learning_rate : float
        RMSprop's step size (alpha 0.99, eps 1e-5, as in the paper's implementation).
    anneal_lr : bool
        Let the learning rate fall linearly to 0 over the run.
    n_envs : int
    n_steps : int
        Steps per env between updates (the n of the n-step return).
    gamma : float
    gae_lambda : float
        1 gives plain n-step returns.
    normalize_advantage : bool
    ent_coef, vf_coef : float
        Weights of the entropy bonus and of the value loss.
    max_grad_norm : float
    hidden_sizes : tuple of int
    activation : 'tanh' or 'relu'
    log_std_init : float
    normalize_observations, normalize_rewards : bool
    seed : int or None
    """

    def __init__(self, env, *, learning_rate=7e-4, anneal_lr=False, n_envs=8, n_steps=5, gamma=0.99,
                 gae_lambda=1.0, normalize_advantage=False, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5,
                 hidden_sizes=(64, 64), activation="tanh", log_std_init=0.0, normalize_observations=False,
                 normalize_rewards=False, seed=None):
        self.learning_rate, self.anneal_lr, self.n_envs, self.n_steps = learning_rate, anneal_lr, n_envs, n_steps
        self.gamma, self.gae_lambda, self.normalize_advantage = gamma, gae_lambda, normalize_advantage
        self.ent_coef, self.vf_coef, self.max_grad_norm = ent_coef, vf_coef, max_grad_norm
        self.hidden_sizes, self.activation, self.log_std_init = tuple(hidden_sizes), activation, log_std_init
        self.normalize_observations, self.normalize_rewards, self.seed = (normalize_observations,
                                                                          normalize_rewards, seed)
        self._setup(env)

    def _make_optimizer(self):
        return optim.RMSprop(self.policy.parameters(), lr=self.learning_rate, alpha=0.99, eps=1e-5)

    def _train(self, rollout, remaining):
        advantages, returns = self._gae(rollout)
        self._policy_gradient_step(rollout, returns.ravel(), advantages.ravel())
