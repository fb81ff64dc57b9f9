"""What the replay-buffer agents (DQN, TD3, SAC) share: the collect-and-train loop, and for
the twin-critic agents (TD3, SAC) the check of their action space and the critics' update.

Each iteration steps every env once with the behaviour policy, stores the transitions
(with the state each one reached, before any automatic reset) and lets the agent train:

    for iteration in 1..total_timesteps // n_envs:
        a_t = behaviour(s_t);  step the envs;  buffer <- (s_t, a_t, r_t, s_{t+1}, terminated, truncated)
        every max(train_freq // n_envs, 1) iterations, once learning_starts steps are in: gradient_steps updates
"""
import numpy as np

from descent.rl.base import Agent
from descent.tensor import Tensor


class OffPolicyAgent(Agent):
    """Subclasses set `buffer`, `n_envs`, `learning_starts`, `train_freq`, `gradient_steps`,
    and define `_behaviour` and `_gradient_step` (or override `_train`)."""

    def learn(self, total_timesteps, callback=None, progress_bar=False):
        bar = self._progress(total_timesteps, progress_bar)
        n = self.n_envs
        obs = self.env.reset()
        for iteration in range(1, total_timesteps // n + 1):
            stored, actions = self._behaviour(obs, iteration, total_timesteps)
            next_obs, rewards, terminated, truncated, final_obs = self.env.step(actions)
            self.buffer.add(obs, stored, rewards, final_obs, terminated, truncated)
            obs = next_obs
            self.num_timesteps += n
            self._train(iteration, total_timesteps)
            if bar is not None:
                bar.update(n)
            if self._stop(callback, locals()):
                break
        if bar is not None:
            bar.close()
        return self

    def _behaviour(self, obs, iteration, total_timesteps):
        """The actions to store in the buffer and the actions to send to the envs (B, ...),
        at `iteration` (from 1) of a run of total_timesteps."""
        raise NotImplementedError

    def _train(self, iteration, total_timesteps):
        """Called after every iteration: gradient_steps updates every train_freq env steps."""
        if self.num_timesteps >= self.learning_starts and iteration % max(self.train_freq // self.n_envs, 1) == 0:
            for _ in range(self.gradient_steps):
                self._gradient_step()

    def _gradient_step(self):
        raise NotImplementedError

    # --- twin critics (TD3, SAC) ---------------------------------------------------------
    def _check_box_actions(self):
        """D, for a Box action space of shape (D,) with finite bounds; else a ValueError."""
        name = type(self).__name__
        if hasattr(self.action_space, "n") or len(self.action_space.shape) != 1:
            raise ValueError(f"{name}: needs a Box action space of shape (D,), got {self.action_space}")
        low, high = self.action_space.low, self.action_space.high
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError(f"{name}: needs finite action bounds, got low={low}, high={high}")
        return self.action_space.shape[0]

    def _update_critics(self, batch):
        """One step of critic_optimizer on (Q1(s, a) - y)^2 + (Q2(s, a) - y)^2, y = self.targets(batch);
        returns the batch's observations as a Tensor, for the actor's update."""
        y = Tensor(self.targets(batch).astype(np.float32))
        obs, action = Tensor(batch["obs"]), Tensor(batch["actions"])
        critic_loss = ((self.q1(obs, action) - y) ** 2).mean() + ((self.q2(obs, action) - y) ** 2).mean()
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()
        return obs
