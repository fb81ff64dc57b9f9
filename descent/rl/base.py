"""What every agent shares: construction from an env, predict, save / load, and evaluate.

An agent is made as `Agent(env, **hyperparameters)`, where env is a gymnasium.Env or an
env id. Its hyperparameters are its keyword arguments, stored as attributes of the same
names (as scikit-learn's estimators store theirs), which is what `save` writes as JSON.
Weights go into the same .npz file as arrays: loading runs no code (no pickle).
"""
import inspect
import json
import os
import tempfile

import numpy as np

from descent import backend
from descent.rl.envs import env_id, gymnasium, make_env, make_vec_env
from descent.tensor import Tensor

CONFIG_KEY = "__config__"
AGENTS = {}  # class name -> class, filled by subclassing, so load() can find the class


class Agent:
    """Base of the agents. Subclasses set up their networks in __init__ (after calling
    `_setup_env`), and define `learn`, `_act`, and `_networks` (name -> Module)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        AGENTS[cls.__name__] = cls

    # --- construction ------------------------------------------------------------------
    def _setup_env(self, env, n_envs=1):
        """Wrap env into a VecEnv seeded from self.seed, and make the agent's Generator."""
        self.env = make_vec_env(env, n_envs, self.seed)
        self.env_id = env_id(env)
        self.env_kwargs = _json_kwargs(self.env.envs[0])
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space
        self.generator = backend.Generator(self.seed)
        self.rng = self.generator.numpy
        self.num_timesteps = 0

    def _check_box_observations(self):
        if len(getattr(self.observation_space, "shape", ()) or ()) != 1:
            raise ValueError(f"{type(self).__name__}: needs vector observations (a Box of shape (d,)), "
                             f"got {self.observation_space}")
        return self.observation_space.shape[0]

    def get_hyperparameters(self):
        """The keyword arguments of __init__ (all but env), read back from the attributes."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p not in ("self", "env")]
        return {name: getattr(self, name) for name in names}

    def __repr__(self):
        return f"{type(self).__name__}({self.env_id!r}, seed={self.seed})"

    # --- acting ------------------------------------------------------------------------
    def predict(self, obs, deterministic=True):
        """The action for one observation, or actions (B, ...) for a batch (B, *obs_shape)."""
        obs = np.asarray(obs)
        single = obs.shape == self.observation_space.shape
        actions = self._act(obs[None] if single else obs, deterministic)
        return actions[0] if single else actions

    def _act(self, obs, deterministic):
        raise NotImplementedError

    def _networks(self):
        return {}

    def _obs_tensor(self, obs):
        return Tensor(np.asarray(obs, dtype=np.float32))

    # --- learning helpers ----------------------------------------------------------------
    def _progress(self, total_timesteps, progress_bar):
        if not progress_bar:
            return None
        try:
            from tqdm import tqdm
        except ImportError as error:
            raise ImportError("progress_bar=True needs tqdm: pip install descent[progress]") from error
        return tqdm(total=total_timesteps, desc=type(self).__name__, unit="step")

    def _set_learning_rate(self, lr):
        """Set the step size of every parameter group of `self.optimizer` (annealing)."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    @staticmethod
    def _stop(callback, local_vars):
        """True when the callback asks to stop (returns False)."""
        return callback is not None and callback(local_vars) is False

    @property
    def episode_returns(self):
        """The returns of the training episodes finished so far (the learning curve)."""
        return self.env.episode_returns

    # --- saving --------------------------------------------------------------------------
    def _state_arrays(self):
        """name -> array of everything learned; subclasses add non-network arrays."""
        return {f"{name}.{key}": value for name, module in self._networks().items()
                for key, value in module.state_dict().items()}

    def _load_state_arrays(self, arrays):
        for name, module in self._networks().items():
            prefix = name + "."
            module.load_state_dict({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})

    def save(self, path):
        """Write hyperparameters (JSON) and weights (arrays) to one .npz file, atomically."""
        config = {"agent": type(self).__name__, "env_id": self.env_id, "env_kwargs": self.env_kwargs,
                  "num_timesteps": self.num_timesteps, "hyperparameters": self.get_hyperparameters()}
        arrays = dict(self._state_arrays())
        arrays[CONFIG_KEY] = np.array(json.dumps(config))
        directory = os.path.dirname(os.path.abspath(path))
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as f:
            try:
                np.savez(f, **arrays)
            except BaseException:
                f.close()
                os.remove(f.name)
                raise
        os.replace(f.name, path)  # readers see the old file or the new one, never half of one

    @classmethod
    def load(cls, path, env=None):
        """An agent from `save`'s file; env defaults to a new one made from the saved env id
        (and the keyword arguments it was made with, such as FrozenLake's is_slippery)."""
        with np.load(path, allow_pickle=False) as data:
            config = json.loads(str(data[CONFIG_KEY]))
            arrays = {k: data[k] for k in data.files if k != CONFIG_KEY}
        agent_cls = AGENTS.get(config["agent"])
        if agent_cls is None or not issubclass(agent_cls, cls):
            raise TypeError(f"{cls.__name__}.load: {path} holds a {config['agent']} agent")
        if env is None:
            if config["env_id"] is None:
                raise ValueError(f"{cls.__name__}.load: the saved agent's env has no id; pass env=")
            env = gymnasium().make(config["env_id"], **(config.get("env_kwargs") or {}))
        agent = agent_cls(env, **config["hyperparameters"])
        agent._load_state_arrays(arrays)
        agent.num_timesteps = config["num_timesteps"]
        return agent


def _json_kwargs(env):
    """The keyword arguments env was made with, when they are plain JSON values; else None."""
    kwargs = getattr(getattr(env, "spec", None), "kwargs", None)
    try:
        return json.loads(json.dumps(kwargs)) if kwargs else None
    except (TypeError, ValueError):
        return None


def linear_schedule(start, end, fraction, progress):
    """start at progress 0, end from progress `fraction` on, linear between (epsilon schedules)."""
    done = min(progress / fraction, 1.0) if fraction > 0 else 1.0
    return start + done * (end - start)


def evaluate(agent, env, n_episodes=20, deterministic=True, seed=None):
    """Run `n_episodes` episodes with agent.predict; returns (mean, std) of the episode return.

    Parameters
    ----------
    agent : Agent
    env : gymnasium.Env or env id string
    n_episodes : int
    deterministic : bool
        Greedy / mean actions (True) or actions sampled from the policy.
    seed : int or None
        Seeds the first reset, so the same seed replays the same episodes.
    """
    made = isinstance(env, str)
    env = make_env(env)
    returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        obs, _ = env.reset(seed=seed if episode == 0 else None)
        done = False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.predict(obs, deterministic))
            returns[episode] += reward
            done = terminated or truncated
    if made:
        env.close()
    return float(returns.mean()), float(returns.std())
