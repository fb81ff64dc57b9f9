"""Reinforcement-learning benchmarks: return and training time of descent.rl's agents over
seeds, and the time ratio against Stable-Baselines3 where it is installed.

    python benchmarks/bench_rl.py --eval-every 5000        # CartPole: PPO (100k), DQN (50k) twice, 5 seeds
    python benchmarks/bench_rl.py --tasks cartpole-ppo --seeds 0
    python benchmarks/bench_rl.py --tasks acrobot-ppo pendulum-td3 pendulum-sac lunarlander-ppo --no-sb3
    python benchmarks/bench_rl.py --no-sb3                 # skip Stable-Baselines3 even if installed

Each run trains with a fixed seed, then evaluates the deterministic policy over
`--episodes` episodes (20 by default) of a fresh env, seeded too; with `--eval-every N` it
also evaluates every N steps during training and reports the first step at which the
target was reached. The time is that of `learn` alone. Hyperparameters are
rl-baselines3-zoo's for each task (cartpole-dqn with the learning rate annealed; the
cartpole-dqn-64 task takes 64-unit layers instead of 256), given to both libraries. The
ratio is descent's training time over SB3's, in CPU seconds (wall seconds are shown beside
them): below 1 means descent is faster.

Targets (CartPole-v1, 5 seeds): PPO reaches a mean evaluation return of 500 within 100k
steps, and DQN within 50k, in at least 4 of the 5 seeds; descent's time at most 0.5 of
SB3's. LunarLander-v3 needs Box2D (pip install "gymnasium[box2d]"), and the SB3 columns
stable-baselines3 (installed after torch==2.13.0, for benchmarks only).

NumPy runs on one thread (OMP_NUM_THREADS=1 unless set): the networks are small and more
threads only add overhead.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table  # noqa: E402

import descent.rl as rl  # noqa: E402

# name: (agent, env id, steps, descent hyperparameters, target mean return)
TASKS = {
    "cartpole-ppo": ("PPO", "CartPole-v1", 100_000,
                     dict(n_envs=8, n_steps=32, batch_size=256, n_epochs=20, gamma=0.98, gae_lambda=0.8,
                          learning_rate=1e-3, anneal_lr=True, clip_range=0.2, anneal_clip_range=True,
                          ent_coef=0.0), 500),
    "cartpole-dqn": ("DQN", "CartPole-v1", 50_000,
                     dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000,
                          gamma=0.99, target_update_interval=10, train_freq=256, gradient_steps=128,
                          exploration_fraction=0.16, exploration_final_eps=0.04, hidden_sizes=(256, 256),
                          anneal_lr=True), 500),
    # the same with 64-unit layers, where the framework's cost per op, not BLAS, sets the pace
    "cartpole-dqn-64": ("DQN", "CartPole-v1", 50_000,
                        dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000,
                             gamma=0.99, target_update_interval=10, train_freq=256, gradient_steps=128,
                             exploration_fraction=0.16, exploration_final_eps=0.04, hidden_sizes=(64, 64)), 500),
    "acrobot-dqn": ("DQN", "Acrobot-v1", 100_000,
                    dict(learning_rate=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=0, gamma=0.99,
                         target_update_interval=250, train_freq=4, gradient_steps=4, exploration_fraction=0.12,
                         exploration_final_eps=0.1, hidden_sizes=(256, 256)), -100),
    "acrobot-ppo": ("PPO", "Acrobot-v1", 200_000,
                    dict(n_envs=16, n_steps=256, batch_size=64, n_epochs=4, gamma=0.99, gae_lambda=0.94,
                         learning_rate=3e-4, anneal_lr=False, anneal_clip_range=False, ent_coef=0.0,
                         normalize_observations=True), -100),
    "pendulum-td3": ("TD3", "Pendulum-v1", 20_000,
                     dict(learning_rate=1e-3, gamma=0.98, buffer_size=200_000, learning_starts=10_000,
                          exploration_noise=0.1, train_freq=1, gradient_steps=1, hidden_sizes=(400, 300)), -200),
    "pendulum-sac": ("SAC", "Pendulum-v1", 20_000,
                     dict(learning_rate=1e-3, gamma=0.99, buffer_size=1_000_000, learning_starts=100,
                          ent_coef="auto", hidden_sizes=(256, 256)), -200),
    "lunarlander-ppo": ("PPO", "LunarLander-v3", 1_000_000,
                        dict(n_envs=16, n_steps=1024, batch_size=64, n_epochs=4, gamma=0.999, gae_lambda=0.98,
                             learning_rate=3e-4, anneal_lr=False, anneal_clip_range=False, ent_coef=0.01), 200),
}


class Stopwatch:
    """Wall-clock and CPU seconds spent inside `with` blocks, summed over its uses. Both
    libraries run on one thread, so CPU time is the fairer measure on a shared machine: it
    does not count time spent waiting for a core."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def __enter__(self):
        self.wall -= time.perf_counter()
        self.cpu -= time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall += time.perf_counter()
        self.cpu += time.process_time()


def run_descent(agent_name, env_id, steps, params, seed, probe=None):
    agent = getattr(rl, agent_name)(env_id, seed=seed, **params)
    with Stopwatch() as clock:
        agent.learn(steps, callback=probe)
    if probe:  # evaluation time is not training time
        clock.wall, clock.cpu = clock.wall - probe.clock.wall, clock.cpu - probe.clock.cpu
    return agent, clock


class Probe:
    """A learn() callback that evaluates the deterministic policy every `every` steps and
    records the first step at which the mean return reaches `target` ("within N steps")."""

    def __init__(self, env_id, target, every, episodes, seed):
        self.env_id, self.target, self.every, self.episodes, self.seed = env_id, target, every, episodes, seed
        self.next_check, self.reached_at, self.best = every, None, -np.inf
        self.clock = Stopwatch()  # evaluation time, to take off the training time

    def __call__(self, local_vars):
        agent = local_vars["self"]
        if self.reached_at is not None or agent.num_timesteps < self.next_check:
            return True
        self.next_check += self.every
        with self.clock:
            mean, _ = rl.evaluate(agent, self.env_id, n_episodes=self.episodes, seed=self.seed)
        self.best = max(self.best, mean)
        if mean >= self.target:
            self.reached_at = agent.num_timesteps
        return True


# --- Stable-Baselines3, with the same hyperparameters -------------------------------------
def optional_sb3():
    try:
        import stable_baselines3
    except ImportError:
        print("note: stable-baselines3 is not installed; its columns are left out "
              "(pip install stable-baselines3)")
        return None
    return stable_baselines3


def run_sb3(sb3, agent_name, env_id, steps, params, seed):
    import torch
    from stable_baselines3.common.env_util import make_vec_env
    torch.set_num_threads(1)
    p = dict(params)
    n_envs = p.pop("n_envs", 1)
    hidden = list(p.pop("hidden_sizes", (64, 64)))
    kwargs = dict(seed=seed, verbose=0, device="cpu")
    lr = p.pop("learning_rate")
    # SB3 schedules are functions of the fraction of training left, f: 1 -> 0.
    p["learning_rate"] = (lambda f: lr * f) if p.pop("anneal_lr", False) else lr
    if agent_name == "PPO":
        clip, anneal_clip = p.pop("clip_range", 0.2), p.pop("anneal_clip_range")
        if p.pop("normalize_observations", False):
            print("note: SB3's PPO runs without observation normalization here")
        kwargs.update(p, clip_range=(lambda f: clip * f) if anneal_clip else clip,
                      policy_kwargs=dict(net_arch=dict(pi=hidden, vf=hidden)))
        model = sb3.PPO("MlpPolicy", make_vec_env(env_id, n_envs, seed=seed), **kwargs)
    elif agent_name == "DQN":
        kwargs.update(p, policy_kwargs=dict(net_arch=hidden))
        model = sb3.DQN("MlpPolicy", make_vec_env(env_id, n_envs, seed=seed), **kwargs)
    elif agent_name == "SAC":
        kwargs.update(p, policy_kwargs=dict(net_arch=hidden))
        model = sb3.SAC("MlpPolicy", make_vec_env(env_id, n_envs, seed=seed), **kwargs)
    else:
        from stable_baselines3.common.noise import NormalActionNoise
        env = make_vec_env(env_id, n_envs, seed=seed)
        half_range = (env.action_space.high - env.action_space.low) / 2
        noise = NormalActionNoise(np.zeros_like(half_range), p.pop("exploration_noise") * half_range)
        kwargs.update(p, action_noise=noise, policy_kwargs=dict(net_arch=hidden))
        model = sb3.TD3("MlpPolicy", env, **kwargs)
    with Stopwatch() as clock:
        model.learn(steps)
    return SB3Agent(model), clock


class SB3Agent:
    """An SB3 model behind descent.rl's predict, so that `evaluate` treats both alike."""

    def __init__(self, model):
        self.model = model

    def predict(self, obs, deterministic=True):
        return self.model.predict(obs, deterministic=deterministic)[0]


# --- the table -----------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["cartpole-ppo", "cartpole-dqn", "cartpole-dqn-64"], choices=sorted(TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--steps", type=int, default=None, help="override each task's number of steps")
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3 even if installed")
    parser.add_argument("--eval-every", type=int, default=None,
                        help="also evaluate every N steps during training and report the first step at "
                             "which the target is reached")
    args = parser.parse_args()
    sb3 = None if args.no_sb3 else optional_sb3()

    for task in args.tasks:
        agent_name, env_id, steps, params, target = TASKS[task]
        steps = args.steps or steps
        try:
            rl.make_env(env_id).close()
        except Exception as error:  # e.g. gymnasium's DependencyNotInstalled for Box2D
            print(f"\nnote: skipping {task}: {env_id} cannot be made ({error})")
            continue
        print(f"\n## {task}: {agent_name} on {env_id}, {steps} steps, target mean return {target}\n", flush=True)
        header = ["seed", "return (mean ± std)", "train time, CPU (wall)"]
        if sb3 is not None:
            header += ["SB3 return", "SB3 time, CPU (wall)", "CPU time ratio"]
        rows, means, ratios = [], [], []
        if args.eval_every:
            header.insert(2, "target first reached at")
        reached_during = 0
        for seed in args.seeds:
            probe = (Probe(env_id, target, args.eval_every, args.episodes, 20_000 + seed)
                     if args.eval_every else None)
            agent, clock = run_descent(agent_name, env_id, steps, params, seed, probe)
            mean, std = rl.evaluate(agent, env_id, n_episodes=args.episodes, seed=10_000 + seed)
            means.append(mean)
            row = [seed, f"{mean:.1f} ± {std:.1f}", f"{clock.cpu:.1f} s ({clock.wall:.1f} s)"]
            if probe:
                at = probe.reached_at if probe.reached_at is not None else (steps if mean >= target else None)
                reached_during += at is not None
                row.insert(2, f"step {at}" if at is not None else f"not reached (best {probe.best:.1f})")
            if sb3 is not None:
                theirs, their_clock = run_sb3(sb3, agent_name, env_id, steps, params, seed)
                their_mean, their_std = rl.evaluate(theirs, env_id, n_episodes=args.episodes, seed=10_000 + seed)
                row += [f"{their_mean:.1f} ± {their_std:.1f}", f"{their_clock.cpu:.1f} s ({their_clock.wall:.1f} s)",
                        f"{clock.cpu / their_clock.cpu:.2f}"]
                ratios.append(clock.cpu / their_clock.cpu)
            rows.append(row)
            print(f"  seed {seed}: return {mean:.1f} ± {std:.1f} in {clock.cpu:.1f} s CPU", flush=True)
        print()
        print_table(header, rows)
        reached = sum(m >= target for m in means)
        print(f"\nmean return {np.mean(means):.1f}; target {target} reached at the end in {reached} of "
              f"{len(means)} seeds")
        if ratios:
            print(f"CPU time ratio descent / SB3: mean {np.mean(ratios):.2f}, worst {max(ratios):.2f}")
        if args.eval_every:
            print(f"target reached within {steps} steps (evaluated every {args.eval_every}) in {reached_during} "
                  f"of {len(means)} seeds")


if __name__ == "__main__":
    main()
