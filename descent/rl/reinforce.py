"""REINFORCE with a learned baseline (Williams 1992, "Simple statistical gradient-following
algorithms for connectionist reinforcement learning"; Sutton & Barto 2018, sec. 13.4).

The policy gradient is estimated from Monte-Carlo returns G_t, with a learned state value
V(s_t) subtracted to cut its variance without biasing it:

    grad J = E[ grad log pi(a_t|s_t) (G_t - V(s_t)) ],    V fitted by least squares to G_t

Episodes still running when a batch ends, and episodes cut by a time limit, bootstrap
G from V at the state they stopped in; a terminated episode does not.
"""
from descent.rl.onpolicy import OnPolicyAgent
from descent.rl.returns import discounted_returns


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

    def _train(self, rollout, remaining):
        returns = discounted_returns(rollout["rewards"], rollout["next_values"], rollout["terminated"],
                                     rollout["truncated"], self.gamma)
        self._policy_gradient_step(rollout, returns.ravel())
