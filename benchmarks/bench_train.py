"""Training benchmarks: descent against PyTorch eager, the recipes' accuracy, time to 99% on MNIST.

    python benchmarks/bench_train.py                    # one epoch of each recipe's model on 10,000 images
    python benchmarks/bench_train.py --full             # ... on the full 60,000 (best of --repeat 3)
    python benchmarks/bench_train.py --accuracy         # train each built-in recipe fully; test accuracy
    python benchmarks/bench_train.py --time-to-99       # wall time until the MNIST CNN reaches 99% test accuracy

Speed: each framework trains the same model (built from the recipe's spec; PyTorch
gets descent's initial weights), with the same optimizer, batch size and batches,
for one epoch, in a process of its own, so that its peak resident memory
(`ru_maxrss`) is its own. Both use `--threads` threads (2 by default: PyTorch via
`torch.set_num_threads`, NumPy's BLAS via OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set
before it loads). The ratio is descent's time over PyTorch's: below 1 means
descent is faster. Targets: <= 0.9 for the MLP, <= 1.5 for the CNN.

Targets of the accuracy runs: mnist-mlp >= 98.0%, mnist-cnn >= 99.0%,
fashion-cnn >= 91.0%; time to 99% on MNIST <= 60 s including data loading.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = os.environ.get("DESCENT_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "datasets"))
SPEED_RECIPES = {"mlp": "mnist-mlp", "cnn": "mnist-cnn"}
TARGETS = {"mlp": 0.9, "cnn": 1.5}
ACCURACY_TARGETS = {"mnist-mlp": 0.98, "mnist-cnn": 0.99, "fashion-cnn": 0.91, "mnist-fast": 0.99, "fashion-mlp": None}


# --- one epoch in a worker process ------------------------------------------------------
def _batches(n, batch_size, seed=0):
    import numpy as np
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _recipe_data(recipe_name, n):
    from descent.train import recipe as recipes
    recipe = recipes.load_recipe(recipe_name)
    recipe["data"]["subset"] = n
    x, y, _ = recipes.load_split(recipe["data"], DATA, train=True)
    return recipe, x, y


def _descent_epoch(recipe, x, y):
    import descent
    from descent import functional as F
    from descent.serialize import build_model
    from descent.train import recipe as recipes
    descent.manual_seed(0)
    model = build_model(recipe["model"]["layers"])
    optimizer = recipes.make_optimizer(model.parameters(), _plain_optimizer(recipe))
    model.train()
    start = time.perf_counter()
    for index in _batches(len(x), recipe["batch_size"]):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(descent.Tensor(x[index])), descent.Tensor(y[index]))
        loss.item()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start, loss.item()


def _torch_epoch(recipe, x, y, threads):
    import descent
    import torch
    from descent.serialize import build_model
    torch.set_num_threads(threads)
    descent.manual_seed(0)
    reference = build_model(recipe["model"]["layers"])
    layers = [getattr(torch.nn, name)(**{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()})
              for name, kwargs in recipe["model"]["layers"]]
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():  # the same initial weights
        for (name, p), (_, q) in zip(model.state_dict().items(), reference.state_dict().items()):
            p.copy_(torch.from_numpy(q))
    settings = _plain_optimizer(recipe)
    cls = getattr(torch.optim, settings.pop("name"))
    optimizer = cls(model.parameters(), **settings)
    loss_fn = torch.nn.functional.cross_entropy
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    start = time.perf_counter()
    for index in _batches(len(x), recipe["batch_size"]):
        index = torch.from_numpy(index)
        optimizer.zero_grad()
        loss = loss_fn(model(xt[index]), yt[index])
        loss.item()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start, loss.item()


def _plain_optimizer(recipe):
    """The recipe's optimizer without its schedule (both frameworks run at the recipe's lr)."""
    return {k: v for k, v in recipe["optimizer"].items()}


def worker(framework, model, n, threads):
    from descent.backend import tune_allocator
    tune_allocator()  # both frameworks' large arrays come from malloc: the same setting for both
    recipe, x, y = _recipe_data(SPEED_RECIPES[model], n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if framework == "descent":
        seconds, loss = _descent_epoch(recipe, x, y)
    else:
        seconds, loss = _torch_epoch(recipe, x, y, threads)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "loss": loss, "peak_mib": peak / 1024,
                      "data_mib": before / 1024}))


def run_worker(framework, model, n, threads):
    environment = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                       MKL_NUM_THREADS=str(threads))
    command = [sys.executable, __file__, "--worker", framework, model, "--n", str(n), "--threads", str(threads)]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def speed(args):
    n = 60000 if args.full else args.n
    print(f"one epoch on {n} MNIST images, batch size as in the recipe, {args.threads} threads, "
          f"best of {args.repeat} (the two frameworks take turns)")
    print(f"{'model':6s} {'descent s':>10s} {'torch s':>8s} {'ratio':>6s} {'target':>6s} "
          f"{'descent MiB':>11s} {'torch MiB':>9s}")
    for model in args.models:
        runs = {"descent": [], "torch": []}
        for _ in range(args.repeat):  # in turns, so that a change in the machine's load hits both
            for framework in runs:
                runs[framework].append(run_worker(framework, model, n, args.threads))
        ours, theirs = (min(runs[framework], key=lambda run: run["seconds"]) for framework in runs)
        ratio = ours["seconds"] / theirs["seconds"]
        print(f"{model:6s} {ours['seconds']:10.2f} {theirs['seconds']:8.2f} {ratio:6.2f} {TARGETS[model]:6.1f} "
              f"{ours['peak_mib']:11.0f} {theirs['peak_mib']:9.0f}"
              f"   (final batch loss {ours['loss']:.3f} vs {theirs['loss']:.3f})")


# --- accuracy and time to 99% ------------------------------------------------------------
def accuracy(args):
    from descent.cli import main
    for name in args.recipes:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            main(["train", name, "--data", DATA, "--out", out, "--progress", "none"])
            seconds = time.perf_counter() - start
            history = json.loads((Path(out) / "history.json").read_text())
        got, target = history["test"]["accuracy"], ACCURACY_TARGETS.get(name)
        verdict = "" if target is None else ("  met" if got >= target else "  MISSED") + f" (target {target:.3f})"
        print(f"RESULT {name}: test accuracy {got:.4f} in {seconds:.0f} s{verdict}")


def time_to_99(args):
    """Train the MNIST CNN recipe, testing every `--eval-every` steps, until 99% test accuracy."""
    import descent
    from descent.data import DataLoader, TensorDataset
    from descent.serialize import build_model
    from descent.train import Callback, Trainer
    from descent.train import recipe as recipes

    start = time.perf_counter()
    recipe = recipes.load_recipe(args.recipe)
    if args.epochs:
        recipe["epochs"] = args.epochs
    descent.manual_seed(recipe["seed"])
    x, y, _ = recipes.load_split(recipe["data"], DATA, train=True)
    x_test, y_test, _ = recipes.load_split(recipe["data"], DATA, train=False)
    loader = DataLoader(TensorDataset(x, y), recipe["batch_size"], shuffle=True, generator=descent.Generator(1))
    test_loader = DataLoader(TensorDataset(x_test, y_test), 1000)
    model = build_model(recipe["model"]["layers"])
    optimizer = recipes.make_optimizer(model.parameters(), recipe["optimizer"])
    scheduler = recipes.make_scheduler(optimizer, recipe.get("schedule"), recipe["epochs"], len(loader))

    class Probe(Callback):
        testing_s = 0.0
        reached = None

        def on_batch_end(self, trainer, step, logs):
            last = step == recipe["epochs"] * len(loader)
            if not last and (step % args.eval_every or step < args.eval_from):
                return
            begin = time.perf_counter()
            acc = trainer.evaluate(test_loader)["accuracy"]
            self.testing_s += time.perf_counter() - begin
            elapsed = time.perf_counter() - start
            print(f"step {step}: test accuracy {acc:.4f} at {elapsed:.1f} s "
                  f"({elapsed - self.testing_s:.1f} s without the testing)")
            if acc >= 0.99 and self.reached is None:
                self.reached = (elapsed, elapsed - self.testing_s)
                trainer.stop_training = True

    probe = Probe()
    trainer = Trainer(model, optimizer, scheduler=scheduler, callbacks=[probe], progress="none", log_fn=None)
    _fit_until_stopped(trainer, loader, recipe["epochs"])
    if probe.reached:
        print(f"RESULT time to 99%: {probe.reached[0]:.1f} s wall ({probe.reached[1]:.1f} s without the "
              f"periodic testing), target 60 s")
    else:
        print(f"RESULT 99% not reached in {recipe['epochs']} epochs ({time.perf_counter() - start:.0f} s)")


def _fit_until_stopped(trainer, loader, epochs):
    """Like fit, but a stop asked for mid-epoch takes effect at once."""
    class Stop(Exception):
        pass

    original = trainer.optimizer.step

    def step(*a, **k):
        if trainer.stop_training:
            raise Stop
        return original(*a, **k)

    trainer.optimizer.step = step
    try:
        trainer.fit(loader, epochs=epochs)
    except Stop:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="time a full epoch (60,000 images)")
    parser.add_argument("--n", type=int, default=10000, help="images in the timed epoch (default 10,000)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="epochs timed per framework; the best counts")
    parser.add_argument("--models", nargs="+", default=list(SPEED_RECIPES), choices=list(SPEED_RECIPES))
    parser.add_argument("--accuracy", action="store_true", help="train the recipes fully")
    parser.add_argument("--recipes", nargs="+", default=["mnist-mlp", "mnist-cnn", "fashion-cnn"])
    parser.add_argument("--time-to-99", action="store_true")
    parser.add_argument("--recipe", default="mnist-fast", help="the recipe of --time-to-99")
    parser.add_argument("--epochs", type=int, help="epochs of --time-to-99 (default: the recipe's)")
    parser.add_argument("--eval-every", type=int, default=100, help="steps between tests in --time-to-99")
    parser.add_argument("--eval-from", type=int, default=0,
                        help="first step to test at in --time-to-99 (testing costs time, which is reported apart)")
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.n, args.threads)
    elif args.accuracy:
        accuracy(args)
    elif args.time_to_99:
        time_to_99(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
