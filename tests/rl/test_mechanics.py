"""Exact mechanics: truncation bootstrapping inside DQN and PPO, save / load round trips,
and determinism under a fixed seed."""
import json
import os

import numpy as np
import pytest

from .envs import ChainEnv, TargetEnv, gym

from descent import no_grad
from descent.rl import A2C, DQN, PPO, REINFORCE, SAC, SARSA, TD3, Agent, QLearning, VecEnv, compute_gae
from descent.tensor import Tensor


def chain_envs():
    """env 0 is cut by a time limit after 3 steps, env 1 terminates after 3 steps."""
    return VecEnv([ChainEnv(3, truncate=True), ChainEnv(3, truncate=False)], seed=0)


@pytest.mark.parametrize("double_q", [True, False])
def test_dqn_target_bootstraps_on_truncation_only(double_q):
    agent = DQN(chain_envs(), n_envs=2, double_q=double_q, gamma=0.9, seed=0)
    next_obs = np.array([[3.0, 0.0], [3.0, 0.0]], np.float32)
    batch = {"obs": np.zeros((2, 2), np.float32), "actions": np.array([0, 1]), "rewards": np.array([3.0, 3.0]),
             "next_obs": next_obs, "terminated": np.array([False, True]), "truncated": np.array([True, False])}
    with no_grad():
        q_online = agent.q_net(Tensor(next_obs)).data
        q_target = agent.q_target(Tensor(next_obs)).data
    # the next state's value: the target net's value of the online net's choice (double DQN)
    best = q_online[0].argmax() if double_q else q_target[0].argmax()
    np.testing.assert_allclose(agent.targets(batch), [3 + 0.9 * q_target[0, best], 3.0], rtol=1e-6)


def test_ppo_rollout_bootstraps_truncation_from_final_observation():
    agent = PPO(chain_envs(), n_envs=2, n_steps=4, gamma=0.9, gae_lambda=0.7, seed=0)
    rollout = agent._collect_rollout(4)
    value = lambda obs: agent.policy.value(Tensor(np.array(obs, np.float32))).data  # noqa: E731
    # observations [t, 0]: steps 0, 1, 2 end the episodes, step 3 starts new ones
    np.testing.assert_array_equal(rollout["obs"][:, 0, 0], [0, 1, 2, 0])
    assert rollout["truncated"][:, 0].tolist() == [False, False, True, False]
    assert rollout["terminated"][:, 1].tolist() == [False, False, True, False]
    np.testing.assert_allclose(rollout["values"][:, 0], value([[0, 0], [1, 0], [2, 0], [0, 0]]), rtol=1e-6)
    expected_next = value([[1, 0], [2, 0], [3, 0], [1, 0]])  # V(final obs [3, 0]) at the truncation
    np.testing.assert_allclose(rollout["next_values"][:, 0], expected_next, rtol=1e-6)
    np.testing.assert_allclose(rollout["next_values"][:, 1], np.r_[expected_next[:2], 0.0, expected_next[3]],
                               rtol=1e-6)                # a terminal state is worth nothing
    np.testing.assert_array_equal(rollout["rewards"][:, 0], [1, 2, 3, 1])
    # GAE on this rollout: the truncated env's return at step 2 is r + gamma V([3, 0])
    _, returns = compute_gae(rollout["rewards"], rollout["values"], rollout["next_values"],
                             rollout["terminated"], rollout["truncated"], 0.9, 0.7)
    np.testing.assert_allclose(returns[2], [3 + 0.9 * expected_next[2], 3.0], rtol=1e-6)


# --- save / load ----------------------------------------------------------------------------
def frozen_lake():
    return gym.make("FrozenLake-v1", is_slippery=False)


AGENTS = {
    "QLearning": (QLearning, frozen_lake, {}, 500),
    "SARSA": (SARSA, frozen_lake, {}, 500),
    "DQN": (DQN, "CartPole-v1", dict(learning_starts=100, train_freq=50, gradient_steps=2,
                                     hidden_sizes=(16,)), 400),
    "PPO": (PPO, "CartPole-v1", dict(n_envs=2, n_steps=32, batch_size=32, n_epochs=2,
                                     normalize_observations=True), 256),
    "PPO-continuous": (PPO, TargetEnv, dict(n_envs=1, n_steps=32, batch_size=32, n_epochs=2), 256),
    "PPO-value-clip-normalized": (PPO, "CartPole-v1", dict(n_envs=2, n_steps=32, batch_size=32, n_epochs=2,
                                                           clip_range_vf=0.2, normalize_rewards=True,
                                                           normalize_observations=True), 256),
    "A2C": (A2C, "CartPole-v1", dict(n_envs=2, n_steps=5), 200),
    "A2C-continuous": (A2C, TargetEnv, dict(n_envs=1, n_steps=5), 100),
    "REINFORCE": (REINFORCE, "CartPole-v1", dict(n_envs=2, n_steps=50), 200),
    "TD3": (TD3, TargetEnv, dict(learning_starts=50, batch_size=16, hidden_sizes=(16,)), 100),
    "SAC": (SAC, TargetEnv, dict(learning_starts=50, batch_size=16, hidden_sizes=(16,)), 100),
}


def observations(agent, n=16):
    space = agent.observation_space
    space.seed(1)
    return np.stack([space.sample() for _ in range(n)])


@pytest.mark.parametrize("name", AGENTS)
def test_save_load_round_trip(name, tmp_path):
    cls, make, kwargs, steps = AGENTS[name]
    env = make() if callable(make) else make
    agent = cls(env, seed=0, **kwargs).learn(steps)
    path = tmp_path / "agent.npz"
    agent.save(path)
    assert os.listdir(tmp_path) == ["agent.npz"]            # the temporary file was renamed
    with np.load(path, allow_pickle=False) as data:          # plain arrays and JSON, no pickle
        config = json.loads(str(data["__config__"]))
    assert config["agent"] == cls.__name__ and config["hyperparameters"]["seed"] == 0

    loaded = cls.load(path, env=make() if callable(make) else None)
    assert type(loaded) is cls and loaded.get_hyperparameters() == agent.get_hyperparameters()
    obs = observations(agent)
    np.testing.assert_array_equal(loaded.predict(obs), agent.predict(obs))
    np.testing.assert_array_equal(loaded.predict(obs[0]), agent.predict(obs[0]))
    assert type(Agent.load(path, env=make() if callable(make) else None)) is cls


def test_load_remakes_the_env_with_its_keyword_arguments(tmp_path):
    path = tmp_path / "q.npz"
    QLearning(frozen_lake(), seed=0).save(path)
    loaded = QLearning.load(path)
    assert loaded.env.envs[0].spec.kwargs["is_slippery"] is False


def test_load_refuses_another_agent_class(tmp_path):
    path = tmp_path / "q.npz"
    QLearning(frozen_lake(), seed=0).save(path)
    with pytest.raises(TypeError, match="holds a QLearning"):
        DQN.load(path, env="CartPole-v1")


# --- determinism ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", AGENTS)
def test_same_seed_same_learning(name):
    cls, make, kwargs, steps = AGENTS[name]
    runs = []
    for _ in range(2):
        agent = cls(make() if callable(make) else make, seed=7, **kwargs).learn(steps * 4)
        runs.append((agent.episode_returns, agent._state_arrays()))
    assert runs[0][0] == runs[1][0] and len(runs[0][0]) > 0
    for key, value in runs[0][1].items():
        np.testing.assert_array_equal(value, runs[1][1][key], err_msg=key)


def test_callback_can_stop_learning():
    seen = []
    agent = PPO("CartPole-v1", n_envs=2, n_steps=8, seed=0)
    agent.learn(1000, callback=lambda local: seen.append(agent.num_timesteps) or len(seen) < 5)
    assert agent.num_timesteps == 10 and seen == [2, 4, 6, 8, 10]


def test_dqn_anneal_lr_falls_linearly_to_zero():
    rates = []
    agent = DQN("CartPole-v1", anneal_lr=True, learning_rate=1e-3, learning_starts=0, train_freq=100,
                gradient_steps=1, hidden_sizes=(8,), seed=0)
    agent.learn(1000, callback=lambda local: rates.append(agent.optimizer.param_groups[0]["lr"]) or True)
    # set before each round of updates, every train_freq steps, to lr * (fraction of the run left)
    np.testing.assert_allclose(rates[99::100], 1e-3 * (1 - np.arange(100, 1001, 100) / 1000), atol=1e-12)


def test_td3_target_bootstraps_on_truncation_only():
    agent = TD3(TargetEnv(), gamma=0.9, target_policy_noise=0.0, hidden_sizes=(8,), seed=0)
    next_obs = np.array([[0.5], [0.5]], np.float32)
    batch = {"rewards": np.array([-1.0, -1.0]), "next_obs": next_obs,
             "terminated": np.array([False, True]), "truncated": np.array([True, False])}
    with no_grad():
        action = agent.actor_target(Tensor(next_obs))
        q = np.minimum(agent.q1_target(Tensor(next_obs), action).data, agent.q2_target(Tensor(next_obs), action).data)
    np.testing.assert_allclose(agent.targets(batch), [-1 + 0.9 * q[0], -1.0], rtol=1e-6)


def test_sac_target_bootstraps_on_truncation_only():
    agent = SAC(TargetEnv(), gamma=0.9, hidden_sizes=(8,), seed=0)
    next_obs = np.array([[0.5], [0.5]], np.float32)
    batch = {"rewards": np.array([-1.0, -1.0]), "next_obs": next_obs,
             "terminated": np.array([False, True]), "truncated": np.array([True, False])}
    state = agent.rng.bit_generator.state
    y = agent.targets(batch)
    agent.rng.bit_generator.state = state  # replay the same draw of a'
    with no_grad():
        action, log_prob = agent.actor(Tensor(next_obs), agent.rng)
        q = np.minimum(agent.q1_target(Tensor(next_obs), action).data, agent.q2_target(Tensor(next_obs), action).data)
    soft_value = q[0] - agent.alpha * log_prob.data[0]
    np.testing.assert_allclose(y, [-1 + 0.9 * soft_value, -1.0], rtol=1e-5)


def test_sac_log_prob_matches_change_of_variables():
    """log pi(a|s) = log N(u; mu, sigma) - sum log(1 - tanh(u)^2), checked against the direct formula."""
    agent = SAC(TargetEnv(), hidden_sizes=(8,), seed=0)
    obs = Tensor(np.array([[0.3], [-0.7]], np.float32))
    state = agent.rng.bit_generator.state
    with no_grad():
        action, log_prob = agent.actor(obs, agent.rng)
        h = agent.actor.trunk(obs)
        mean, log_std = agent.actor.mean(h).data, np.clip(agent.actor.log_std(h).data, -20, 2)
    agent.rng.bit_generator.state = state
    eps = agent.rng.standard_normal(mean.shape).astype(np.float32)
    u = mean + np.exp(log_std) * eps
    direct = (-0.5 * ((u - mean) / np.exp(log_std)) ** 2 - log_std - 0.5 * np.log(2 * np.pi)
              - np.log(1 - np.tanh(u) ** 2)).sum(axis=1)
    np.testing.assert_allclose(action.data, np.tanh(u), rtol=1e-5)
    np.testing.assert_allclose(log_prob.data, direct, rtol=1e-4, atol=1e-4)
