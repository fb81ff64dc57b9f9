"""Tiny environments whose right answers are known by hand, for the rl tests."""
import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")


class TargetEnv(gym.Env):
    """One-step continuous bandit: observe a target x in [-1, 1], act a, earn -(a - x)^2.

    The best policy is a = x, worth 0; a policy with a fixed action 0 earns about -1/3.
    """

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.target = self.np_random.uniform(-1, 1, size=1).astype(np.float32)
        return self.target.copy(), {}

    def step(self, action):
        reward = -float((np.asarray(action).ravel()[0] - self.target[0]) ** 2)
        return self.target.copy(), reward, True, False, {}


class ChainEnv(gym.Env):
    """Observation [t, 0] at step t; reward t + 1 on step t; the episode ends after `length` steps,
    by termination or by truncation (a time limit) as asked. Actions are ignored."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, length=3, truncate=True):
        self.length, self.truncate = length, truncate

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0, 0.0], np.float32), {}

    def step(self, action):
        self.t += 1
        done = self.t >= self.length
        obs = np.array([self.t, 0.0], np.float32)
        return obs, float(self.t), done and not self.truncate, done and self.truncate, {}
