"""Replay buffer mechanics, running statistics, and the vector env's episode bookkeeping."""
import sys

import numpy as np
import pytest

from descent import Generator
from descent.rl import ReplayBuffer, RewardScaler, RunningMeanStd


def transitions(start, count):
    """count transitions numbered start.. so that each row says which one it is."""
    ids = np.arange(start, start + count)
    obs = np.stack([ids, -ids], axis=1).astype(np.float32)
    return dict(obs=obs, actions=ids % 2, rewards=ids.astype(float), next_obs=obs + 100,
                terminated=ids % 3 == 0, truncated=ids % 3 == 1)


def test_replay_buffer_wraps_around():
    buffer = ReplayBuffer(3, (2,))
    buffer.add(**transitions(0, 2))
    assert len(buffer) == 2 and buffer.position == 2
    buffer.add(**transitions(2, 2))                      # transitions 2, 3: 3 overwrites row 0
    assert len(buffer) == 3 and buffer.position == 1
    np.testing.assert_array_equal(buffer.rewards, [3, 1, 2])
    np.testing.assert_array_equal(buffer.obs[:, 0], [3, 1, 2])
    np.testing.assert_array_equal(buffer.next_obs[:, 0], [103, 101, 102])
    np.testing.assert_array_equal(buffer.actions, [1, 1, 0])


def test_replay_buffer_keeps_terminated_and_truncated_apart():
    buffer = ReplayBuffer(10, (2,))
    buffer.add(**transitions(0, 6))
    ids = np.arange(6)
    np.testing.assert_array_equal(buffer.terminated[:6], ids % 3 == 0)
    np.testing.assert_array_equal(buffer.truncated[:6], ids % 3 == 1)


def test_replay_buffer_sample_shapes_and_rows():
    buffer = ReplayBuffer(100, (2,))
    buffer.add(**transitions(0, 7))
    batch = buffer.sample(32, Generator(0))
    assert batch["obs"].shape == (32, 2) and batch["next_obs"].shape == (32, 2)
    for key in ("actions", "rewards", "terminated", "truncated"):
        assert batch[key].shape == (32,)
    ids = batch["rewards"].astype(int)
    assert set(ids) <= set(range(7))                      # only stored rows are drawn
    np.testing.assert_array_equal(batch["obs"][:, 0], ids)  # fields of a row stay together
    np.testing.assert_array_equal(batch["terminated"], ids % 3 == 0)
    np.testing.assert_array_equal(batch["truncated"], ids % 3 == 1)
    again = buffer.sample(32, Generator(0))
    np.testing.assert_array_equal(again["rewards"], batch["rewards"])


def test_replay_buffer_errors():
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(4, (2,)).sample(1)
    with pytest.raises(ValueError, match=r"ReplayBuffer.add: expected obs of shape"):
        ReplayBuffer(4, (2,)).add(np.zeros((1, 3)), [0], [0], np.zeros((1, 3)), [0], [0])


def test_running_mean_std_matches_numpy():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3, 2, size=(n, 4)) for n in (5, 17, 1, 40)]
    rms = RunningMeanStd((4,), epsilon=1e-12)
    for b in batches:
        rms.update(b)
    everything = np.concatenate(batches)
    np.testing.assert_allclose(rms.mean, everything.mean(0), rtol=1e-9)
    np.testing.assert_allclose(rms.var, everything.var(0), rtol=1e-9)


def test_reward_scaler_divides_by_std_of_discounted_return():
    gamma = 0.5
    scaler = RewardScaler(2, gamma)
    rewards = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    done = np.array([[False, False], [True, False], [False, False]])
    returns, running, out = [], np.zeros(2), None
    for r, d in zip(rewards, done):
        running = running * gamma + r       # the discounted return so far, per env
        returns.append(running.copy())
        running[d] = 0.0                    # restarts after the episode ends
        out = scaler(r, d)
    seen = np.concatenate(returns)
    # after the last step: the last rewards over the std of every return seen (count prior ~1e-4)
    np.testing.assert_allclose(out, rewards[-1] / np.sqrt(seen.var() + 1e-8), rtol=1e-3)


def test_vec_env_keeps_final_obs_of_truncated_episode():
    from descent.rl import VecEnv

    from .envs import ChainEnv  # skips without gymnasium
    env = VecEnv([ChainEnv(3, truncate=True), ChainEnv(2, truncate=False)], seed=0)
    obs = env.reset()
    np.testing.assert_array_equal(obs, [[0, 0], [0, 0]])
    env.step([0, 0])
    obs, rewards, terminated, truncated, final_obs = env.step([0, 0])
    # env 1 terminated at its 2nd step: final obs [2, 0], reset obs [0, 0]
    assert terminated.tolist() == [False, True] and truncated.tolist() == [False, False]
    np.testing.assert_array_equal(final_obs, [[2, 0], [2, 0]])
    np.testing.assert_array_equal(obs, [[2, 0], [0, 0]])
    obs, rewards, terminated, truncated, final_obs = env.step([0, 0])
    assert truncated.tolist() == [True, False]
    np.testing.assert_array_equal(final_obs[0], [3, 0])
    np.testing.assert_array_equal(obs[0], [0, 0])
    assert env.episode_returns == [1 + 2, 1 + 2 + 3] and env.episode_lengths == [2, 3]


def test_missing_gymnasium_names_the_extra(monkeypatch):
    from descent.rl import envs
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    with pytest.raises(ImportError, match=r"descent\[rl\]"):
        envs.make_env("CartPole-v1")
