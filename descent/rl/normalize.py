"""Running normalization of observations and rewards, as in OpenAI Baselines' VecNormalize.

Observations are standardized by a running mean and variance over everything seen so far;
rewards are divided by the running standard deviation of the discounted return, which keeps
the scale of value targets near 1 without moving their optimum (Engstrom et al. 2020,
"Implementation matters in deep policy gradients").
"""
import numpy as np


class RunningMeanStd:
    """Mean and variance of a stream of batches, merged with Chan et al.'s (1979) parallel
    formula so that each batch is folded in with NumPy, not sample by sample.

    Parameters
    ----------
    shape : tuple
        The shape of one sample.
    """

    def __init__(self, shape=(), epsilon=1e-4):
        self.mean = np.zeros(shape)
        self.var = np.ones(shape)
        self.count = epsilon  # a tiny prior count keeps the first update well defined

    def update(self, batch):
        """Fold in a batch of samples, (B, *shape)."""
        batch = np.asarray(batch, dtype=np.float64)
        b_mean, b_var, b_count = batch.mean(axis=0), batch.var(axis=0), len(batch)
        total = self.count + b_count
        delta = b_mean - self.mean
        self.mean = self.mean + delta * b_count / total
        m2 = self.var * self.count + b_var * b_count + delta ** 2 * self.count * b_count / total
        self.var = m2 / total
        self.count = total

    def normalize(self, x, clip=10.0):
        """(x - mean) / sqrt(var + 1e-8), clipped to ±clip, as float32."""
        z = (np.asarray(x) - self.mean) / np.sqrt(self.var + 1e-8)
        return np.clip(z, -clip, clip).astype(np.float32)

    def state(self, prefix):
        """Arrays to save under `prefix`."""
        return {f"{prefix}.mean": self.mean, f"{prefix}.var": self.var, f"{prefix}.count": np.array(self.count)}

    def load_state(self, arrays, prefix):
        self.mean, self.var = arrays[f"{prefix}.mean"], arrays[f"{prefix}.var"]
        self.count = float(arrays[f"{prefix}.count"])


class RewardScaler:
    """Divide each env's reward by the running std of its discounted return.

    Parameters
    ----------
    n_envs : int
    gamma : float
        The discount of the return whose scale is tracked.
    """

    def __init__(self, n_envs, gamma, clip=10.0):
        self.gamma, self.clip = gamma, clip
        self.discounted = np.zeros(n_envs)
        self.return_rms = RunningMeanStd(())

    def __call__(self, rewards, done):
        """Scaled rewards (n_envs,); `done` (terminated or truncated) restarts the return."""
        self.discounted = self.discounted * self.gamma + rewards
        self.return_rms.update(self.discounted)
        self.discounted[done] = 0.0
        return np.clip(rewards / np.sqrt(self.return_rms.var + 1e-8), -self.clip, self.clip)
