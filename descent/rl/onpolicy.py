"""What the on-policy actor-critic agents (REINFORCE, A2C, PPO) share: an ActorCritic
policy, optional running normalization, the learn loop (collect a rollout of
n_steps x n_envs, then train on it), and the pieces of their updates they have in common.

Each agent's own module holds its update; this one holds the data collection, which is
the same for all three:

    for t in 0..n_steps-1:   a_t ~ pi(.|s_t) for every env at once, step the envs, store
    next_values[t] = V(s_{t+1})  with s_{t+1} the state step t led to: for a truncated
                                 episode its final observation, not the reset one
"""
import numpy as np

from descent import no_grad, optim
from descent.rl.base import Agent
from descent.rl.networks import ActorCritic
from descent.rl.normalize import RewardScaler, RunningMeanStd
from descent.rl.returns import compute_gae
from descent.tensor import Tensor


class OnPolicyAgent(Agent):
    """Builds the policy and collects rollouts; subclasses call `_setup` and define `_train`."""

    anneal_lr = False  # A2C and PPO make it a hyperparameter; REINFORCE keeps its step size

    def _setup(self, env):
        self._setup_env(env, self.n_envs)
        obs_dim = self._check_box_observations()
        self.continuous = not hasattr(self.action_space, "n")
        action_dim = self.action_space.shape[0] if self.continuous else int(self.action_space.n)
        self.policy = ActorCritic(obs_dim, action_dim, self.continuous, self.hidden_sizes, self.activation,
                                  self.log_std_init, generator=self.generator)
        self.optimizer = self._make_optimizer()
        self.obs_rms = RunningMeanStd((obs_dim,)) if self.normalize_observations else None
        self.reward_scaler = RewardScaler(self.n_envs, self.gamma) if self.normalize_rewards else None
        self._obs = None  # the envs' current observations, kept between calls to learn

    def _make_optimizer(self):
        return optim.Adam(self.policy.parameters(), lr=self.learning_rate, eps=1e-5)

    def _networks(self):
        return {"policy": self.policy}

    def _state_arrays(self):
        arrays = super()._state_arrays()
        if self.obs_rms is not None:
            arrays.update(self.obs_rms.state("obs_rms"))
        return arrays

    def _load_state_arrays(self, arrays):
        super()._load_state_arrays(arrays)
        if self.obs_rms is not None:
            self.obs_rms.load_state(arrays, "obs_rms")

    def _normalize(self, obs):
        return np.asarray(obs, dtype=np.float32) if self.obs_rms is None else self.obs_rms.normalize(obs)

    def _env_actions(self, actions):
        """Gaussian actions are clipped to the bounds for the env, but stored unclipped so that
        their log-probabilities stay those of the sampled actions."""
        if self.continuous:
            return np.clip(actions, self.action_space.low, self.action_space.high)
        return actions

    def _act(self, obs, deterministic):
        with no_grad():
            actions = self.policy.act(Tensor(self._normalize(obs)), self.rng, deterministic)[0]
        return self._env_actions(actions)

    def learn(self, total_timesteps, callback=None, progress_bar=False):
        bar = self._progress(total_timesteps, progress_bar)
        start = self.num_timesteps
        while self.num_timesteps - start < total_timesteps:
            remaining = 1.0 - (self.num_timesteps - start) / total_timesteps  # of this run, 1 down to 0
            if self.anneal_lr:
                self._set_learning_rate(self.learning_rate * remaining)
            rollout = self._collect_rollout(self.n_steps, callback, bar)
            if rollout is None:
                break
            self._train(rollout, remaining)
        if bar is not None:
            bar.close()
        return self

    def _train(self, rollout, remaining):
        """Learn from one rollout (`_collect_rollout`'s dict); remaining is the fraction of
        the run still to go when it was collected (annealing)."""
        raise NotImplementedError

    def _collect_rollout(self, n_steps, callback=None, bar=None):
        """Run every env n_steps; returns a dict of (n_steps, n_envs, ...) arrays, or None if
        the callback asked to stop."""
        n = self.n_envs
        if self._obs is None:
            self._obs = self.env.reset()
            if self.obs_rms is not None:
                self.obs_rms.update(self._obs)
        obs = np.zeros((n_steps, n, *self.observation_space.shape), dtype=np.float32)
        actions = np.zeros((n_steps, n, *self.action_space.shape),
                           dtype=np.float32 if self.continuous else np.int64)
        log_probs, values, rewards, truncated_values = (np.zeros((n_steps, n)) for _ in range(4))
        terminated = np.zeros((n_steps, n), dtype=bool)
        truncated = np.zeros((n_steps, n), dtype=bool)
        for t in range(n_steps):
            obs[t] = self._normalize(self._obs)
            with no_grad():
                actions[t], log_probs[t], values[t] = self.policy.act(Tensor(obs[t]), self.rng)
            self._obs, raw_rewards, terminated[t], truncated[t], final_obs = self.env.step(
                self._env_actions(actions[t]))
            if self.obs_rms is not None:
                self.obs_rms.update(self._obs)
            rewards[t] = raw_rewards if self.reward_scaler is None else self.reward_scaler(
                raw_rewards, terminated[t] | truncated[t])
            if truncated[t].any():  # bootstrap a time-limit cut from the state it stopped in
                with no_grad():
                    final = Tensor(self._normalize(final_obs[truncated[t]]))
                    truncated_values[t, truncated[t]] = self.policy.value(final).data
            self.num_timesteps += n
            if bar is not None:
                bar.update(n)
            if self._stop(callback, locals()):
                return None
        with no_grad():
            last_values = self.policy.value(Tensor(self._normalize(self._obs))).data
        # V(s_{t+1}) is the next row's value, except where an episode ended at t.
        next_values = np.concatenate([values[1:], last_values[None]])
        next_values = np.where(truncated, truncated_values, np.where(terminated, 0.0, next_values))
        return {"obs": obs, "actions": actions, "log_probs": log_probs, "values": values, "rewards": rewards,
                "next_values": next_values, "terminated": terminated, "truncated": truncated}

    # --- pieces of the updates -----------------------------------------------------------
    def _gae(self, rollout):
        """GAE(lambda) advantages and value targets R = A + V (A2C, PPO), (n_steps, n_envs) each."""
        return compute_gae(rollout["rewards"], rollout["values"], rollout["next_values"], rollout["terminated"],
                           rollout["truncated"], self.gamma, self.gae_lambda)

    def _optimize(self, loss):
        """One optimizer step on loss, the gradients clipped to the global norm max_grad_norm."""
        self.optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
        self.optimizer.step()

    def _policy_gradient_step(self, rollout, returns, advantages=None):
        """One gradient step on the whole rollout, flattened to (N, ...) = (n_steps * n_envs, ...):

            loss = -E[log pi(a|s) A] + vf_coef E[(V(s) - R)^2] - ent_coef E[entropy]

        returns R (N,); advantages A (N,) default to R - V(s), with V(s) from this same forward
        pass (REINFORCE's baseline). normalize_advantage standardizes A over the rollout.
        """
        obs = rollout["obs"].reshape(-1, *rollout["obs"].shape[2:])
        actions = rollout["actions"].reshape(-1, *rollout["actions"].shape[2:])
        log_prob, entropy, value = self.policy.evaluate_actions(Tensor(obs), actions)
        if advantages is None:
            advantages = returns - value.data  # the baseline is a constant in the policy's gradient
        if self.normalize_advantage:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        policy_loss = -(log_prob * Tensor(advantages.astype(np.float32))).mean()
        value_loss = ((value - Tensor(returns.astype(np.float32))) ** 2).mean()
        self._optimize(policy_loss + self.vf_coef * value_loss - self.ent_coef * entropy.mean())
