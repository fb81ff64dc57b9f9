"""Replay memory for off-policy agents (DQN, TD3, SAC): preallocated NumPy arrays used as a ring.

Lin (1992) introduced experience replay; Mnih et al. (2015) made it part of DQN. Each
transition (s, a, r, s', terminated, truncated) is written in place, overwriting the
oldest one when the buffer is full, and minibatches are drawn uniformly.
"""
import numpy as np

from descent import backend


class ReplayBuffer:
    """A ring of `capacity` transitions.

    Parameters
    ----------
    capacity : int
    obs_shape : tuple
    action_shape : tuple
        () for discrete actions.
    obs_dtype, action_dtype : dtype

    Attributes
    ----------
    obs, next_obs : (capacity, *obs_shape)
    actions : (capacity, *action_shape)
    rewards : (capacity,) float32
    terminated, truncated : (capacity,) bool
        Kept apart: only `terminated` stops bootstrapping.
    """

    def __init__(self, capacity, obs_shape, action_shape=(), obs_dtype=np.float32, action_dtype=np.int64):
        if capacity < 1:
            raise ValueError(f"ReplayBuffer: capacity must be >= 1, got {capacity}")
        self.capacity = int(capacity)
        self.obs = np.zeros((self.capacity, *obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros_like(self.obs)
        self.actions = np.zeros((self.capacity, *action_shape), dtype=action_dtype)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=bool)
        self.truncated = np.zeros(self.capacity, dtype=bool)
        self.position = 0  # where the next transition goes
        self.size = 0

    def __len__(self):
        return self.size

    def add(self, obs, actions, rewards, next_obs, terminated, truncated):
        """Store a batch of B transitions (one per env); each argument has B rows.

        next_obs[i] must be the state transition i led to, before any automatic reset
        (VecEnv's `final_obs`).
        """
        obs = np.asarray(obs)
        batch = len(obs)
        if obs.shape[1:] != self.obs.shape[1:]:
            raise ValueError(f"ReplayBuffer.add: expected obs of shape (B, {', '.join(map(str, self.obs.shape[1:]))}),"
                             f" got {obs.shape}")
        if self.position + batch <= self.capacity:
            rows = slice(self.position, self.position + batch)  # the common case: a view, no index array
        else:
            rows = (self.position + np.arange(batch)) % self.capacity  # wraps around the end
        self.obs[rows] = obs
        self.actions[rows] = actions
        self.rewards[rows] = rewards
        self.next_obs[rows] = next_obs
        self.terminated[rows] = terminated
        self.truncated[rows] = truncated
        self.position = (self.position + batch) % self.capacity
        self.size = min(self.size + batch, self.capacity)

    def sample(self, batch_size, generator=None):
        """A uniform draw (with replacement) of `batch_size` stored transitions.

        Returns a dict of arrays: obs (batch_size, *obs_shape), actions, rewards,
        next_obs, terminated, truncated.
        """
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty")
        rows = backend.rng(generator).integers(0, self.size, size=batch_size)
        return {"obs": self.obs[rows], "actions": self.actions[rows], "rewards": self.rewards[rows],
                "next_obs": self.next_obs[rows], "terminated": self.terminated[rows],
                "truncated": self.truncated[rows]}
