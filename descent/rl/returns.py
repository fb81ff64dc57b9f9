"""Targets for value learning: one-step TD targets, discounted returns and GAE(lambda).

Every function separates the two ways an episode stops (Gymnasium's API):

- terminated: the MDP reached a terminal state; nothing follows, so the target does not
  bootstrap (the value of a terminal state is 0);
- truncated: a time limit cut the episode short; the state still had a future, so the
  target bootstraps from the value of the state the episode stopped in.

Arrays are (T, n_envs) with time first, or (B,) for a batch of transitions.
"""
import numpy as np


def td_target(rewards, next_values, terminated, gamma):
    """r + gamma * V(s') where s' is not terminal, r alone where it is.

    Parameters
    ----------
    rewards, next_values : (B,) float
        next_values[i] is the value of the state transition i led to (for a truncated
        episode: of its final observation).
    terminated : (B,) bool
    gamma : float
    """
    return rewards + gamma * (1.0 - terminated) * next_values


def compute_gae(rewards, values, next_values, terminated, truncated, gamma, gae_lambda):
    """Generalized advantage estimation (Schulman et al. 2016, "High-dimensional continuous
    control using generalized advantage estimation"), eq. 16::

        delta_t = r_t + gamma * (1 - terminated_t) * V(s_{t+1}) - V(s_t)
        A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1},   done = terminated or truncated

    The trace stops at every episode boundary; the bootstrap term stops only at termination.

    Parameters
    ----------
    rewards, values, next_values : (T, n_envs) float
        values[t] = V(s_t); next_values[t] = V(s_{t+1}), the state step t led to (before
        any automatic reset).
    terminated, truncated : (T, n_envs) bool
    gamma, gae_lambda : float

    Returns
    -------
    advantages, returns : (T, n_envs)
        returns = advantages + values, the targets of the value function (TD(lambda) returns).
    """
    not_terminal = 1.0 - np.asarray(terminated, dtype=np.float64)
    continues = 1.0 - (np.asarray(terminated) | np.asarray(truncated))
    deltas = rewards + gamma * not_terminal * next_values - values
    advantages = np.zeros(np.shape(rewards))
    running = np.zeros(np.shape(rewards)[1:])
    for t in reversed(range(len(rewards))):  # a loop over time steps; envs are vectorized
        running = deltas[t] + gamma * gae_lambda * continues[t] * running
        advantages[t] = running
    return advantages, advantages + values


def discounted_returns(rewards, next_values, terminated, truncated, gamma):
    """Monte-Carlo returns G_t = r_t + gamma * G_{t+1}, restarted at episode boundaries.

    Where the episode ends at t, G_{t+1} is replaced by next_values[t] after a truncation
    and by 0 after a termination. After the last step (an episode still running) it is
    next_values[T-1], the value of the state the rollout stopped in.

    Parameters
    ----------
    rewards, next_values : (T, n_envs) float
    terminated, truncated : (T, n_envs) bool
    gamma : float

    Returns
    -------
    (T, n_envs) returns
    """
    terminated = np.asarray(terminated, dtype=bool)
    done = terminated | np.asarray(truncated, dtype=bool)
    returns = np.zeros(np.shape(rewards))
    following = np.asarray(next_values[-1], dtype=np.float64)
    for t in reversed(range(len(rewards))):
        bootstrap = np.where(terminated[t], 0.0, next_values[t])
        following = rewards[t] + gamma * np.where(done[t], bootstrap, following)
        returns[t] = following
    return returns
