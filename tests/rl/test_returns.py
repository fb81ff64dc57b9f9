"""TD targets, GAE and discounted returns against values worked out by hand.

The trajectories mix the two ways an episode stops: a truncation (time limit) must
bootstrap from the value of the state it stopped in, a termination must not.
"""
import numpy as np
import pytest

from descent.rl import compute_gae, discounted_returns, td_target


def test_td_target_bootstraps_on_truncation_not_on_termination():
    rewards = np.array([1.0, 1.0, 1.0])
    next_values = np.array([5.0, 5.0, 5.0])
    # transition 0 continues, 1 was truncated (terminated=False), 2 terminated
    terminated = np.array([False, False, True])
    y = td_target(rewards, next_values, terminated, gamma=0.9)
    np.testing.assert_allclose(y, [1 + 0.9 * 5, 1 + 0.9 * 5, 1.0])


def hand_trajectory():
    """One env, 4 steps: step 1 is truncated (V(final obs) = 10), step 3 terminates."""
    rewards = np.array([1.0, 2.0, 3.0, 4.0])
    values = np.array([0.5, 1.0, 1.5, 2.0])
    next_values = np.array([1.0, 10.0, 2.0, 7.0])  # V(s_1), V(final obs of ep. 1), V(s_3), ignored
    terminated = np.array([False, False, False, True])
    truncated = np.array([False, True, False, False])
    return rewards, values, next_values, terminated, truncated


def test_gae_by_hand():
    gamma, lam = 0.9, 0.5
    rewards, values, next_values, terminated, truncated = (a[:, None] for a in hand_trajectory())
    advantages, returns = compute_gae(rewards, values, next_values, terminated, truncated, gamma, lam)
    d0 = 1 + 0.9 * 1.0 - 0.5    # 1.4
    d1 = 2 + 0.9 * 10.0 - 1.0   # 10.0: the truncation bootstraps from V(final obs)
    d2 = 3 + 0.9 * 2.0 - 1.5    # 3.3
    d3 = 4 - 2.0                # 2.0: the termination does not bootstrap
    a3 = d3
    a2 = d2 + gamma * lam * a3
    a1 = d1                     # the trace stops at the end of the first episode
    a0 = d0 + gamma * lam * a1
    np.testing.assert_allclose(advantages[:, 0], [a0, a1, a2, a3])
    np.testing.assert_allclose(returns[:, 0], np.array([a0, a1, a2, a3]) + values[:, 0])


def test_gae_envs_are_independent_columns():
    gamma, lam = 0.99, 0.95
    arrays = hand_trajectory()
    one = compute_gae(*(a[:, None] for a in arrays), gamma, lam)[0][:, 0]
    rewards, values, next_values, terminated, truncated = arrays
    no_done = np.zeros(4, dtype=bool)
    two = np.stack([rewards, rewards[::-1]], axis=1), np.stack([values, values], axis=1), \
        np.stack([next_values, next_values], axis=1), np.stack([terminated, no_done], axis=1), \
        np.stack([truncated, no_done], axis=1)
    advantages = compute_gae(*two, gamma, lam)[0]
    np.testing.assert_allclose(advantages[:, 0], one)
    # the second env never ends: A_t = sum_k (gamma lambda)^k delta_{t+k}
    deltas = rewards[::-1] + gamma * next_values - values
    expected = [sum((gamma * lam) ** k * deltas[t + k] for k in range(4 - t)) for t in range(4)]
    np.testing.assert_allclose(advantages[:, 1], expected)


@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_gae_limits(lam):
    """lambda = 0 gives the one-step TD error; lambda = 1 the discounted return minus V."""
    gamma = 0.9
    rewards, values, next_values, terminated, truncated = (a[:, None] for a in hand_trajectory())
    advantages, returns = compute_gae(rewards, values, next_values, terminated, truncated, gamma, lam)
    if lam == 0.0:
        np.testing.assert_allclose(returns, td_target(rewards, next_values, terminated, gamma))
    else:
        np.testing.assert_allclose(returns, discounted_returns(rewards, next_values, terminated, truncated, gamma))


def test_discounted_returns_by_hand():
    gamma = 0.5
    rewards = np.array([1.0, 2.0, 3.0, 4.0])[:, None]
    next_values = np.array([99.0, 99.0, 99.0, 8.0])[:, None]  # only the truncated step's value counts
    terminated = np.array([False, True, False, False])[:, None]
    truncated = np.array([False, False, False, True])[:, None]
    g = discounted_returns(rewards, next_values, terminated, truncated, gamma)
    # episode A: steps 0-1, terminated; episode B: steps 2-3, truncated with V = 8
    np.testing.assert_allclose(g[:, 0], [1 + 0.5 * 2, 2, 3 + 0.5 * (4 + 0.5 * 8), 4 + 0.5 * 8])


def test_discounted_returns_bootstrap_at_rollout_end():
    rewards = np.array([[3.0], [4.0]])
    next_values = np.array([[99.0], [6.0]])  # episode still running after the last step: V = 6
    done = np.zeros((2, 1), dtype=bool)
    g = discounted_returns(rewards, next_values, done, done, gamma=0.5)
    np.testing.assert_allclose(g[:, 0], [3 + 0.5 * (4 + 0.5 * 6), 4 + 0.5 * 6])
