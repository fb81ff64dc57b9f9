"""One DQN gradient step, three ways: hand-written NumPy, descent.rl.DQN, and Stable-Baselines3.

    python benchmarks/bench_rl_step.py [--hidden 256 256] [--steps 1000]

The step of the cartpole-dqn task of bench_rl.py: a minibatch of 64 CartPole transitions,
a Q-network 4-256-256-2, the Huber loss on the TD error, gradients clipped to norm 10, one
Adam step. The NumPy row is the same computation written straight in NumPy, with no graph
and no objects per op: what the step costs without a framework. With 256-unit layers the
matrix products take most of the step, so no NumPy framework can be much faster than that
row; with small layers the fixed cost per op dominates and frameworks differ most.
Times are CPU seconds per step on one thread (best of 5 rounds).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table  # noqa: E402

import descent.rl as rl  # noqa: E402

BATCH, GAMMA, MAX_NORM, LR = 64, 0.99, 10.0, 2.3e-3


def per_step(step, steps, rounds=5):
    """The best over `rounds` of the mean CPU time of `step()`, in seconds."""
    step()
    best = np.inf
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(steps):
            step()
        best = min(best, (time.thread_time() - start) / steps)
    return best


def collected_transitions(n=5000, seed=0):
    """Random-policy CartPole transitions, as arrays (obs, actions, rewards, next_obs, terminated)."""
    agent = rl.DQN("CartPole-v1", seed=seed, learning_starts=n + 1, hidden_sizes=(8,))
    agent.learn(n)
    b = agent.buffer
    return b.obs[:n], b.actions[:n], b.rewards[:n], b.next_obs[:n], b.terminated[:n]


class NumpyDQN:
    """Vanilla DQN's gradient step written out in NumPy, without a framework."""

    def __init__(self, sizes, data, seed=0):
        self.rng = np.random.default_rng(seed)
        self.data = data
        self.layers = [[(self.rng.uniform(-1, 1, (o, i)) / np.sqrt(i)).astype(np.float32), np.zeros(o, np.float32)]
                       for i, o in zip(sizes[:-1], sizes[1:])]
        self.target = [[w.copy(), b.copy()] for w, b in self.layers]
        self.moments = [[np.zeros_like(p) for p in layer * 2] for layer in self.layers]  # m_w, m_b, v_w, v_b
        self.t = 0

    def forward(self, layers, x, inputs=None):
        for j, (w, b) in enumerate(layers):
            if inputs is not None:
                inputs.append(x)
            x = x @ w.T
            x += b
            if j < len(layers) - 1:
                np.maximum(x, 0, out=x)
        return x

    def step(self):
        obs, actions, rewards, next_obs, terminated = (a[self.rng.integers(0, len(a), BATCH)] for a in self.data)
        y = rewards + np.float32(GAMMA) * ~terminated * self.forward(self.target, next_obs).max(axis=1)
        inputs = []
        q = self.forward(self.layers, obs, inputs)
        rows = np.arange(BATCH)
        g = np.zeros_like(q)
        g[rows, actions] = np.clip(q[rows, actions] - y, -1, 1) / np.float32(BATCH)  # Huber's derivative
        grads = []
        for j in range(len(self.layers) - 1, -1, -1):
            x = inputs[j]
            grads.append([g.T @ x, g.sum(axis=0)])
            if j:
                g = g @ self.layers[j][0]
                g *= x > 0
        grads.reverse()
        norm = np.sqrt(sum(float(np.vdot(p, p)) for layer in grads for p in layer))
        scale = min(1.0, MAX_NORM / (norm + 1e-6))
        self.t += 1
        c1, c2 = 1 - 0.9 ** self.t, 1 - 0.999 ** self.t
        for layer, grad, (m_w, m_b, v_w, v_b) in zip(self.layers, grads, self.moments):
            for p, gp, m, v in zip(layer, grad, (m_w, m_b), (v_w, v_b)):
                gp *= scale
                m += 0.1 * (gp - m)
                v += 0.001 * (gp * gp - v)
                p -= LR / c1 * m / (np.sqrt(v / c2) + 1e-8)


def descent_step(sizes, data, double_q):
    agent = rl.DQN("CartPole-v1", seed=0, hidden_sizes=sizes[1:-1], double_q=double_q, batch_size=BATCH,
                   learning_rate=LR)
    agent.buffer.add(*data[:3], data[3], data[4], np.zeros_like(data[4]))
    return agent._gradient_step


def sb3_step(sizes, data):
    try:
        import stable_baselines3 as sb3
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    model = sb3.DQN("MlpPolicy", "CartPole-v1", batch_size=BATCH, learning_rate=LR, learning_starts=0,
                    policy_kwargs=dict(net_arch=list(sizes[1:-1])), device="cpu", seed=0)
    model._setup_learn(1)  # the logger and progress bookkeeping train() expects
    obs, actions, rewards, next_obs, terminated = data
    for i in range(len(obs)):  # fill the replay buffer: setup, not timed
        model.replay_buffer.add(obs[i:i + 1], next_obs[i:i + 1], actions[i:i + 1], rewards[i:i + 1],
                                terminated[i:i + 1], [{}])
    return lambda: model.train(gradient_steps=1, batch_size=BATCH)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", nargs="+", type=int, default=[256, 256])
    parser.add_argument("--steps", type=int, default=500, help="gradient steps per timing round")
    args = parser.parse_args()
    sizes = (4, *args.hidden, 2)
    data = collected_transitions()
    cases = [("hand-written NumPy (vanilla DQN)", NumpyDQN(sizes, data).step),
             ("descent DQN, double_q=False", descent_step(sizes, data, False)),
             ("descent DQN, double_q=True", descent_step(sizes, data, True))]
    sb3 = sb3_step(sizes, data)
    if sb3 is None:
        print("note: stable-baselines3 is not installed; its row is left out")
    else:
        cases.append(("Stable-Baselines3 DQN (vanilla)", sb3))
    times = {name: per_step(step, args.steps) for name, step in cases}
    floor = times[cases[0][0]]
    rows = [[name, f"{t * 1e6:.0f} µs", f"{t / floor:.2f}"] for name, t in times.items()]
    print(f"\n### one DQN gradient step, Q-network {'-'.join(map(str, sizes))}, batch {BATCH}, 1 thread\n")
    print_table(["implementation", "CPU time per step", "× NumPy"], rows)


if __name__ == "__main__":
    main()
