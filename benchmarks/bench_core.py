"""The autodiff core against hand-written NumPy and PyTorch eager, side by side in one run.

    python benchmarks/bench_core.py [--quick]

Prints three tables of ratios (the machine is shared and noisy, so ratios, not absolute
times, are what to compare):
1. the fixed cost of one tracked elementwise op on a 10-element array;
2. one SGD step of a 16-16-16-10 MLP at batch 4, where per-op overhead dominates;
3. one epoch of an MLP 784-256-256-10 on MNIST's 60,000 training images at batch sizes
   32, 128 and 512, where BLAS dominates;
and the time of `import descent` in a fresh interpreter.
"""
import argparse
import subprocess
import sys
import time

import numpy as np

import descent
from common import best_time, fmt_time, mnist_train, optional_torch, print_table

torch = optional_torch(threads=2)
descent.backend.tune_allocator()  # as the descent command does; it serves PyTorch's CPU tensors too


# --- 1. one elementwise op ----------------------------------------------------------
def bench_elementwise():
    a, b = np.random.rand(10).astype(np.float32), np.random.rand(10).astype(np.float32)
    ta, tb = descent.Tensor(a), descent.Tensor(b)
    ga, gb = descent.Tensor(a, requires_grad=True), descent.Tensor(b, requires_grad=True)
    cases = [("NumPy", lambda: a + b), ("descent, untracked", lambda: ta + tb),
             ("descent, tracked", lambda: ga + gb)]
    if torch:
        pa, pb = torch.from_numpy(a), torch.from_numpy(b)
        qa, qb = pa.clone().requires_grad_(), pb.clone().requires_grad_()
        cases += [("PyTorch", lambda: pa + pb), ("PyTorch, autograd", lambda: qa + qb)]
    times = {name: best_time(fn, repeat=7, number=20000) for name, fn in cases}
    rows = [(name, fmt_time(t), f"{t / times['NumPy']:.1f}×") for name, t in times.items()]
    print("\n### a + b on a 10-element float32 array (target: descent tracked ≤ 1.5 µs)\n")
    print_table(("case", "time", "vs NumPy"), rows)
    return dict((r[0], r[1]) for r in rows)


# --- 2 and 3: an MLP trained with plain SGD, three ways ---------------------------------
def init_weights(sizes, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, dtype=np.float32))
    return params


class NumpyMLP:
    """Forward and backward written out by hand: the floor any framework is measured against."""

    def __init__(self, sizes, lr):
        self.params, self.lr = init_weights(sizes), lr

    def step(self, x, y):
        params = self.params
        n_layers = len(params) // 2
        activations = [x]
        h = x
        for i in range(n_layers):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < n_layers - 1:
                np.maximum(h, 0, out=h)
            activations.append(h)
        logits = activations[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
        d = p
        d[np.arange(len(y)), y] -= 1
        d /= len(y)
        for i in reversed(range(n_layers)):
            a = activations[i]
            gw, gb = a.T @ d, d.sum(axis=0)
            if i > 0:
                d = d @ params[2 * i].T
                d *= activations[i] > 0
            params[2 * i] -= self.lr * gw
            params[2 * i + 1] -= self.lr * gb
        return loss


class DescentMLP:
    """The same model written with descent Tensors, fused linear and cross-entropy ops, and plain SGD."""

    def __init__(self, sizes, lr):
        # descent.linear takes weights as (out, in), like torch.nn.Linear
        self.params = [descent.Tensor(p.T.copy() if p.ndim == 2 else p, requires_grad=True)
                       for p in init_weights(sizes)]
        self.lr = lr

    def step(self, x, y):
        params = self.params
        h = descent.Tensor(x)
        n_layers = len(params) // 2
        for i in range(n_layers):
            h = descent.linear(h, params[2 * i], params[2 * i + 1])
            if i < n_layers - 1:
                h = descent.relu(h)
        loss = descent.softmax_cross_entropy(h, y)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:  # what an optimizer does: update the arrays in place
            p.data -= self.lr * p.grad.data
        return loss.item()


class TorchMLP:
    def __init__(self, sizes, lr):
        self.params = [torch.tensor(p.T.copy() if p.ndim == 2 else p, requires_grad=True)
                       for p in init_weights(sizes)]
        self.lr = lr

    def step(self, x, y):
        params = self.params
        h = torch.from_numpy(x)
        n_layers = len(params) // 2
        for i in range(n_layers):
            h = torch.nn.functional.linear(h, params[2 * i], params[2 * i + 1])
            if i < n_layers - 1:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, torch.from_numpy(y))
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= self.lr * p.grad
        return loss.item()


def models_available():
    yield "hand-written NumPy", NumpyMLP
    yield "descent", DescentMLP
    if torch:
        yield "PyTorch eager", TorchMLP


def bench_tiny_step():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 16)).astype(np.float32)
    y = rng.integers(0, 10, 4)
    rows, times = [], {}
    for name, cls in models_available():
        model = cls((16, 16, 16, 10), lr=0.01)
        times[name] = best_time(lambda: model.step(x, y), repeat=7, number=500)
    base = times["hand-written NumPy"]
    for name, t in times.items():
        rows.append((name, fmt_time(t), f"{t / base:.2f}×"))
    print("\n### one SGD step, MLP 16-16-16-10, batch 4 (target: descent ≤ 100 µs)\n")
    print_table(("implementation", "time per step", "vs NumPy"), rows)
    return times


def epoch_time(model, x, y, batch_size):
    """Seconds for one epoch of `model.step` over (x, y) in order."""
    start = time.perf_counter()
    for i in range(0, len(x) - batch_size + 1, batch_size):
        model.step(x[i:i + batch_size], y[i:i + batch_size])
    return time.perf_counter() - start


def bench_mlp_epoch(batch_sizes, repeat):
    x, y = mnist_train()
    rows = []
    for batch_size in batch_sizes:
        # Whole epochs in turn, best of `repeat` each. (Interleaving single steps would let
        # PyTorch's OpenMP threads, which spin for a while after each op, slow the next step.)
        best = {}
        for _ in range(repeat):
            for name, cls in models_available():
                t = epoch_time(cls((784, 256, 256, 10), lr=0.05), x, y, batch_size)
                best[name] = min(best.get(name, np.inf), t)
        base = best["hand-written NumPy"]
        row = [batch_size] + [fmt_time(t) for t in best.values()] + [f"{best['descent'] / base:.2f}×"]
        if torch:
            row.append(f"{best['descent'] / best['PyTorch eager']:.2f}×")
        rows.append(row)
    header = ["batch"] + [name for name, _ in models_available()] + ["descent / NumPy"]
    if torch:
        header.append("descent / PyTorch")
    print("\n### one epoch, MLP 784-256-256-10 on 60,000 MNIST images, SGD, 2 threads "
          "(targets: descent/NumPy ≤ 1.10, descent/PyTorch < 1)\n")
    print_table(header, rows)


def bench_import():
    code = "import time; t = time.perf_counter(); import descent; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(5)]
    print(f"\n### import descent: {min(times) * 1e3:.0f} ms (best of 5; target ≤ 200 ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one batch size, one repeat")
    args = parser.parse_args()
    print(f"descent {descent.__version__}, NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch else ""))
    bench_elementwise()
    bench_tiny_step()
    bench_mlp_epoch([128] if args.quick else [32, 128, 512], repeat=1 if args.quick else 2)
    bench_import()


if __name__ == "__main__":
    main()
