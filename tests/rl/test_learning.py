"""Agents learn: tabular control solves small grids, DQN and PPO balance CartPole, PPO's
Gaussian policy finds a continuous action. Each run is short and seeded."""
import numpy as np
import pytest

from .envs import TargetEnv, gym

from descent.rl import A2C, DQN, PPO, REINFORCE, SAC, SARSA, TD3, QLearning, VecEnv, evaluate


def random_return(env_id, n_episodes=20, seed=0):
    """The mean return of uniformly random actions (CartPole: about 22)."""
    env = gym.make(env_id)
    env.action_space.seed(seed)
    total = 0.0
    for episode in range(n_episodes):
        env.reset(seed=seed if episode == 0 else None)
        done = False
        while not done:
            _, r, terminated, truncated, _ = env.step(env.action_space.sample())
            total += r
            done = terminated or truncated
    return total / n_episodes


@pytest.mark.parametrize("agent_class", [QLearning, SARSA])
def test_tabular_agents_solve_deterministic_frozen_lake(agent_class):
    make = lambda: gym.make("FrozenLake-v1", is_slippery=False)  # noqa: E731
    agent = agent_class(make(), seed=0).learn(10_000)
    assert evaluate(agent, make(), n_episodes=3) == (1.0, 0.0)  # the greedy policy reaches the goal


def test_q_learning_finds_the_shortest_cliff_path():
    agent = QLearning("CliffWalking-v1", learning_rate=0.5, seed=0).learn(20_000)
    env = gym.make("CliffWalking-v1", max_episode_steps=100)
    assert evaluate(agent, env, n_episodes=1)[0] == -13  # 13 steps along the cliff's edge


def test_sarsa_finds_a_safe_cliff_path():
    agent = SARSA("CliffWalking-v1", learning_rate=0.5, seed=0).learn(20_000)
    env = gym.make("CliffWalking-v1", max_episode_steps=100)
    assert -30 < evaluate(agent, env, n_episodes=1)[0] <= -13  # reaches the goal without a fall (-100)


def test_dqn_learns_cartpole():
    agent = DQN("CartPole-v1", seed=0, hidden_sizes=(64, 64), learning_rate=1e-3, train_freq=16,
                gradient_steps=8, learning_starts=500, target_update_interval=250, exploration_fraction=0.3,
                buffer_size=10_000)
    agent.learn(10_000)
    mean, _ = evaluate(agent, "CartPole-v1", n_episodes=10, seed=1)
    assert mean > 4 * random_return("CartPole-v1")


def test_ppo_learns_cartpole():
    agent = PPO("CartPole-v1", seed=0)
    agent.learn(30_000)
    mean, _ = evaluate(agent, "CartPole-v1", n_episodes=10, seed=1)
    assert mean > 8 * random_return("CartPole-v1")
    # the training episodes got longer too
    returns = agent.episode_returns
    assert np.mean(returns[-10:]) > 3 * np.mean(returns[:10])


def test_ppo_gaussian_policy_learns_continuous_target():
    envs = VecEnv([TargetEnv() for _ in range(8)], seed=0)
    agent = PPO(envs, n_envs=8, n_steps=16, batch_size=64, n_epochs=10, learning_rate=3e-3, seed=0)
    before, _ = evaluate(agent, TargetEnv(), n_episodes=100, seed=1)
    agent.learn(5_000)
    after, _ = evaluate(agent, TargetEnv(), n_episodes=100, seed=1)
    assert after > -0.01 and after > 10 * before  # mean squared miss below 0.01 (was about 1/3)
    assert agent.policy.log_std.data[0] < -0.5      # and the policy grew confident


@pytest.mark.parametrize("agent_class, steps, factor", [(A2C, 20_000, 4), (REINFORCE, 30_000, 3)])
def test_actor_critics_learn_cartpole(agent_class, steps, factor):
    agent = agent_class("CartPole-v1", seed=0).learn(steps)
    mean, _ = evaluate(agent, "CartPole-v1", n_episodes=10, seed=1)
    assert mean > factor * random_return("CartPole-v1")


@pytest.mark.parametrize("agent_class", [TD3, SAC])
def test_off_policy_actors_learn_continuous_target(agent_class):
    agent = agent_class(TargetEnv(), learning_starts=200, batch_size=64, hidden_sizes=(64, 64), seed=0)
    before, _ = evaluate(agent, TargetEnv(), n_episodes=100, seed=1)
    agent.learn(2_000)
    after, _ = evaluate(agent, TargetEnv(), n_episodes=100, seed=1)
    assert after > -0.01 and after > 10 * before
