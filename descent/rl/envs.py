"""Environments: Gymnasium imported on demand, and a simple synchronous vector of envs.

Gymnasium is the optional extra `rl`; nothing here imports it until an environment is
made, so `import descent.rl` works without it.

`VecEnv` steps n copies of an environment together and resets each one as its episode
ends, keeping the episode's last observation (`final_obs`) so that a truncated episode
can still be bootstrapped from the value of the state it stopped in.
"""
import numpy as np


def gymnasium():
    """The gymnasium module, or an ImportError that names the extra to install."""
    try:
        import gymnasium
    except ImportError as error:
        raise ImportError("descent.rl needs Gymnasium for its environments: "
                          "pip install descent[rl]  (or pip install 'gymnasium>=1.0')") from error
    return gymnasium


def make_env(env):
    """An env id string becomes `gymnasium.make(env)`; an Env is returned as it is."""
    if isinstance(env, str):
        return gymnasium().make(env)
    if not (hasattr(env, "reset") and hasattr(env, "step") and hasattr(env, "action_space")):
        raise TypeError(f"make_env: expected a gymnasium.Env or an env id string, got {type(env).__name__}")
    return env


def env_id(env):
    """The registered id of `env` (a string, an Env made by gymnasium.make, or a VecEnv), else None."""
    if isinstance(env, str):
        return env
    if isinstance(env, VecEnv):
        env = env.envs[0]
    spec = getattr(env, "spec", None)
    return getattr(spec, "id", None)


def make_vec_env(env, n_envs=1, seed=None):
    """A VecEnv of `n_envs` copies of `env` (an id, an Env, or already a VecEnv).

    An Env instance can be copied only when it was made from a registered spec.
    """
    if isinstance(env, VecEnv):
        if env.num_envs != n_envs:
            raise ValueError(f"make_vec_env: the VecEnv has {env.num_envs} envs, the agent asks for {n_envs}")
        return env
    if n_envs < 1:
        raise ValueError(f"make_vec_env: n_envs must be >= 1, got {n_envs}")
    first = make_env(env)
    if n_envs == 1:
        return VecEnv([first], seed)
    spec = getattr(first, "spec", None)
    if spec is None:
        raise ValueError("make_vec_env: cannot copy an Env without a spec into several envs; "
                         "pass an env id string instead")
    return VecEnv([first] + [gymnasium().make(spec) for _ in range(n_envs - 1)], seed)


class VecEnv:
    """n environments stepped in lockstep, each reset automatically at the end of its episode.

    Parameters
    ----------
    envs : list of gymnasium.Env
        Copies of one environment (same spaces).
    seed : int or None
        Env i is reset with seed + i the first time, and its action space seeded likewise.

    Attributes
    ----------
    episode_returns, episode_lengths : list
        The return and length of every episode finished so far, in the order they ended.
    """

    def __init__(self, envs, seed=None):
        self.envs = list(envs)
        self.num_envs = len(self.envs)
        self.observation_space = self.envs[0].observation_space
        self.action_space = self.envs[0].action_space
        self.seed = seed
        self.episode_returns, self.episode_lengths = [], []
        self._return = np.zeros(self.num_envs)
        self._length = np.zeros(self.num_envs, dtype=np.int64)
        self._seeded = False

    def reset(self):
        """Start an episode in every env; returns obs (n, *obs_shape)."""
        seeds = [None] * self.num_envs
        if not self._seeded and self.seed is not None:
            seeds = [self.seed + i for i in range(self.num_envs)]
            for env, s in zip(self.envs, seeds):
                env.action_space.seed(s)
        self._seeded = True
        self._return[:] = 0
        self._length[:] = 0
        return np.stack([env.reset(seed=s)[0] for env, s in zip(self.envs, seeds)])

    def step(self, actions):
        """Step env i with actions[i].

        Returns
        -------
        obs : (n, *obs_shape)
            The next observation; for an env whose episode just ended, the first of the next episode.
        rewards, terminated, truncated : (n,)
        final_obs : (n, *obs_shape)
            The observation the step led to, before any reset: use it to bootstrap a truncation.
        """
        n = self.num_envs
        rewards = np.empty(n)
        terminated = np.empty(n, dtype=bool)
        truncated = np.empty(n, dtype=bool)
        obs, final_obs = [None] * n, [None] * n
        for i, (env, action) in enumerate(zip(self.envs, actions)):
            o, rewards[i], terminated[i], truncated[i], _ = env.step(action)
            final_obs[i] = obs[i] = o
            if terminated[i] or truncated[i]:
                obs[i] = env.reset()[0]
        self._record_episodes(rewards, terminated | truncated)
        return np.stack(obs), rewards, terminated, truncated, np.stack(final_obs)

    def _record_episodes(self, rewards, done):
        self._return += rewards
        self._length += 1
        if not done.any():
            return
        for i in np.flatnonzero(done):
            self.episode_returns.append(float(self._return[i]))
            self.episode_lengths.append(int(self._length[i]))
        self._return[done] = 0
        self._length[done] = 0

    def close(self):
        for env in self.envs:
            env.close()
