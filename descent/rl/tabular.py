"""Tabular temporal-difference control: Q-learning and SARSA (Sutton & Barto 2018, ch. 6).

For environments with a finite set of states and actions (FrozenLake, CliffWalking), the
action values live in a table Q (n_states, n_actions) moved toward a one-step TD target:

    Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a))
    Q-learning (Watkins 1989), off-policy:  target = r + gamma * max_a' Q(s', a')
    SARSA (Rummery & Niranjan 1994), on-policy: target = r + gamma * Q(s', a'),  a' ~ epsilon-greedy

with no bootstrap when s' is terminal. Behaviour is epsilon-greedy, epsilon falling linearly.
"""
import numpy as np

from descent.rl.base import Agent, linear_schedule
from descent.rl.returns import td_target


class _TabularAgent(Agent):
    """Q table, epsilon schedule and epsilon-greedy behaviour shared by Q-learning and SARSA.

    Parameters
    ----------
    env : gymnasium.Env or str
        Discrete observations and actions.
    learning_rate : float
        alpha, the step toward the target.
    gamma : float
        Discount.
    exploration_initial_eps, exploration_final_eps : float
        epsilon at the start, and from `exploration_fraction` of the run on.
    exploration_fraction : float
        Fraction of `total_timesteps` over which epsilon falls linearly.
    seed : int or None
    """

    def __init__(self, env, *, learning_rate=0.1, gamma=0.99, exploration_initial_eps=1.0,
                 exploration_final_eps=0.05, exploration_fraction=0.5, seed=None):
        self.learning_rate, self.gamma = learning_rate, gamma
        self.exploration_initial_eps, self.exploration_final_eps = exploration_initial_eps, exploration_final_eps
        self.exploration_fraction, self.seed = exploration_fraction, seed
        self._setup_env(env)
        n_states = getattr(self.observation_space, "n", None)
        n_actions = getattr(self.action_space, "n", None)
        if n_states is None or n_actions is None:
            raise ValueError(f"{type(self).__name__}: needs Discrete observation and action spaces, got "
                             f"{self.observation_space} and {self.action_space}")
        self.q_table = np.zeros((n_states, n_actions))

    def epsilon(self, progress):
        """Linear from the initial to the final epsilon over the first exploration_fraction."""
        return linear_schedule(self.exploration_initial_eps, self.exploration_final_eps, self.exploration_fraction,
                               progress)

    def _explore(self, state, eps):
        """epsilon-greedy, breaking ties among the best actions at random (an all-zero
        table would otherwise always pick action 0)."""
        if self.rng.random() < eps:
            return int(self.rng.integers(self.q_table.shape[1]))
        q = self.q_table[state]
        best = np.flatnonzero(q == q.max())
        return int(best[self.rng.integers(len(best))])

    def _act(self, obs, deterministic):
        if deterministic:
            return self.q_table[obs].argmax(axis=1)
        return np.array([self._explore(s, self.exploration_final_eps) for s in obs])

    def _state_arrays(self):
        return {"q_table": self.q_table}

    def _load_state_arrays(self, arrays):
        self.q_table[...] = arrays["q_table"]

    def _update(self, state, action, target):
        self.q_table[state, action] += self.learning_rate * (target - self.q_table[state, action])


class QLearning(_TabularAgent):
    __doc__ = "Q-learning (Watkins 1989): off-policy TD control, target r + gamma max_a' Q(s', a')." + \
        _TabularAgent.__doc__.split("\n", 1)[1]

    def learn(self, total_timesteps, callback=None, progress_bar=False):
        bar = self._progress(total_timesteps, progress_bar)
        obs = self.env.reset()
        for step in range(total_timesteps):
            state = obs[0]
            action = self._explore(state, self.epsilon(step / total_timesteps))
            obs, reward, terminated, truncated, final_obs = self.env.step([action])
            next_state = final_obs[0]  # the state reached, even if the env has since reset
            target = td_target(reward[0], self.q_table[next_state].max(), terminated[0], self.gamma)
            self._update(state, action, target)
            self.num_timesteps += 1
            if bar is not None:
                bar.update(1)
            if self._stop(callback, locals()):
                break
        if bar is not None:
            bar.close()
        return self


class SARSA(_TabularAgent):
    __doc__ = "SARSA (Rummery & Niranjan 1994): on-policy TD control, target r + gamma Q(s', a')." + \
        _TabularAgent.__doc__.split("\n", 1)[1]

    def learn(self, total_timesteps, callback=None, progress_bar=False):
        bar = self._progress(total_timesteps, progress_bar)
        obs = self.env.reset()
        action = self._explore(obs[0], self.epsilon(0.0))
        for step in range(total_timesteps):
            state, eps = obs[0], self.epsilon(step / total_timesteps)
            obs, reward, terminated, truncated, final_obs = self.env.step([action])
            next_state = final_obs[0]
            next_action = self._explore(next_state, eps)  # a' from the same epsilon-greedy policy
            target = td_target(reward[0], self.q_table[next_state, next_action], terminated[0], self.gamma)
            self._update(state, action, target)
            if terminated[0] or truncated[0]:  # a new episode starts from the reset state
                next_action = self._explore(obs[0], eps)
            action = next_action
            self.num_timesteps += 1
            if bar is not None:
                bar.update(1)
            if self._stop(callback, locals()):
                break
        if bar is not None:
            bar.close()
        return self
