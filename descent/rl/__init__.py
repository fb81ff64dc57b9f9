"""Reinforcement learning: agents acting in Gymnasium environments.

Every agent is made as `Agent(env, **hyperparameters)` with env a gymnasium.Env or an env
id, and has `learn(total_timesteps, callback=None, progress_bar=False)`, `predict(obs)`,
`save(path)` and `Agent.load(path, env=None)`:

    from descent.rl import PPO, evaluate
    agent = PPO("CartPole-v1", seed=0).learn(100_000)
    mean, std = evaluate(agent, "CartPole-v1", n_episodes=20)

Gymnasium is the optional extra `rl` (pip install descent[rl]); it is imported only when
an environment is made.

| agent | actions | module |
|---|---|---|
| QLearning, SARSA | discrete, with discrete states | tabular.py |
| DQN (double DQN) | discrete | dqn.py |
| REINFORCE (with a value baseline) | discrete, continuous | reinforce.py |
| A2C | discrete, continuous | a2c.py |
| PPO | discrete, continuous | ppo.py |
| TD3, SAC | continuous | td3.py, sac.py |

Shared pieces: base.py (the Agent API, save / load, evaluate), envs.py (VecEnv),
buffers.py (ReplayBuffer), returns.py (TD targets, GAE), networks.py (MLPs, action
distributions), normalize.py (running mean / std), onpolicy.py (rollout collection and the
learn loop of REINFORCE, A2C, PPO), offpolicy.py (the replay loop of DQN, TD3, SAC).
"""
from descent.rl.base import Agent, evaluate
from descent.rl.buffers import ReplayBuffer
from descent.rl.envs import VecEnv, make_env, make_vec_env
from descent.rl.normalize import RewardScaler, RunningMeanStd
from descent.rl.returns import compute_gae, discounted_returns, td_target
from descent.rl.tabular import SARSA, QLearning
from descent.rl.dqn import DQN
from descent.rl.ppo import PPO
from descent.rl.a2c import A2C
from descent.rl.reinforce import REINFORCE
from descent.rl.td3 import TD3
from descent.rl.sac import SAC

__all__ = ["Agent", "evaluate", "ReplayBuffer", "VecEnv", "make_env", "make_vec_env", "RunningMeanStd",
           "RewardScaler", "compute_gae", "discounted_returns", "td_target",
           "QLearning", "SARSA", "DQN", "PPO", "A2C", "REINFORCE", "TD3", "SAC"]
