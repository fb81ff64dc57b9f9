"""Fit a two-layer network to Fashion-MNIST with nothing but descent's autodiff core.

    python examples/fit_mlp.py [--epochs 3] [--data DIR]

No layers, no optimizer classes: parameters are Tensors, the loss is built from ops,
`backward()` gives the gradients, and a plain SGD loop updates the arrays. It prints
the loss as it goes and the test accuracy at the end.

The data is looked up as descent.data.FashionMNIST does: --data, $DESCENT_DATA, the user
cache, then /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist package).
"""
import argparse
import time

import numpy as np

import descent
from descent.data import DataLoader, FashionMNIST, TensorDataset


def init(fan_in, fan_out, generator):
    """A (fan_out, fan_in) weight, uniform in ±1/√fan_in as PyTorch's Linear, and a zero bias."""
    bound = 1 / np.sqrt(fan_in)
    w = descent.uniform(-bound, bound, (fan_out, fan_in), generator=generator, requires_grad=True)
    return w, descent.zeros(fan_out, requires_grad=True)


def forward(params, x):
    (w1, b1), (w2, b2) = params
    return descent.linear(descent.relu(descent.linear(x, w1, b1)), w2, b2)  # (B, 10) logits


def accuracy(params, x, y, batch=2000):
    with descent.no_grad():
        predictions = np.concatenate([forward(params, descent.Tensor(x[i:i + batch])).data.argmax(axis=1)
                                      for i in range(0, len(x), batch)])
    return float(np.mean(predictions == y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data", default=None, help="directory holding the Fashion-MNIST IDX files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    generator = descent.Generator(args.seed)
    train = FashionMNIST(args.data, train=True, flatten=True)
    test = FashionMNIST(args.data, train=False, flatten=True)
    print(f"data: {train}, {test}")
    params = [init(784, args.hidden, generator), init(args.hidden, 10, generator)]
    loader = DataLoader(TensorDataset(train.data, train.targets), batch_size=args.batch_size,
                        shuffle=True, generator=generator)
    print(f"model: 784 → {args.hidden} → ReLU → 10, SGD lr={args.lr}, batch {args.batch_size}")

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, count = 0.0, 0
        for x, y in loader:
            loss = descent.softmax_cross_entropy(forward(params, descent.Tensor(x)), y)
            for p in (t for pair in params for t in pair):
                p.grad = None
            loss.backward()
            for p in (t for pair in params for t in pair):
                p.data -= args.lr * p.grad.data
            total, count = total + loss.item() * len(y), count + len(y)
        print(f"epoch {epoch}: train loss {total / count:.4f}, test accuracy "
              f"{accuracy(params, test.data, test.targets):.2%} ({time.perf_counter() - start:.1f} s)")
    print(f"done: test accuracy {accuracy(params, test.data, test.targets):.2%} on {len(test)} images")


if __name__ == "__main__":
    main()
