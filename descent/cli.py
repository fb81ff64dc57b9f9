"""The `descent` command: train a recipe, evaluate a saved model, predict classes of images.

    descent train mnist-mlp --epochs 5 --out runs/mlp
    descent eval runs/mlp/model.safetensors
    descent predict runs/mlp/model.safetensors digits.npy
    descent train cartpole-ppo                      # an agent (needs the extra rl)
    descent eval runs/cartpole-ppo/agent.npz

`descent train RECIPE` reads a built-in recipe by name (`descent train --list` shows
them) or a .toml file (see `descent.train.recipe` for the fields). The output
directory then holds

* `model.safetensors` (or `model.npz` without the safetensors package): the
  weights, the model's spec and the preprocessing, enough for `eval` and `predict`;
* `checkpoint.safetensors` / `.npz`: the last epoch's full training state, for `--resume`;
* `history.json`: every epoch's metrics, the test metrics and the resolved recipe;
* `learning_curve.png` when matplotlib (the extra `plot`) is installed.

A reinforcement-learning recipe (one with an [agent] table) writes `agent.npz` (hyperparameters
as JSON and weights, no pickle), `history.json` (every training episode's return and the
final evaluation) and `learning_curve.png` (return per episode).
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from descent.backend import tune_allocator


def main(argv=None):
    """Run the command line `argv` (sys.argv[1:] when None); returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    tune_allocator()  # large per-step temporaries stay on the heap (see descent.backend)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, KeyError, ImportError) as error:
        print(f"descent {args.command}: error: {error}", file=sys.stderr)
        return 2


def _parser():
    parser = argparse.ArgumentParser(prog="descent", description="Machine learning from first principles.")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    train = commands.add_parser("train", help="train a model from a recipe",
                                description="Train a model from a built-in recipe or a .toml recipe file.")
    train.add_argument("recipe", nargs="?", help="a built-in recipe name or a path to a .toml file")
    train.add_argument("--list", action="store_true", help="list the built-in recipes and exit")
    train.add_argument("--epochs", type=int, help="number of epochs")
    train.add_argument("--lr", type=float, help="learning rate (optimizer.lr)")
    train.add_argument("--batch-size", type=int, help="batch size")
    train.add_argument("--seed", type=int, help="random seed")
    train.add_argument("--timesteps", type=int, help="environment steps (agent recipes)")
    train.add_argument("--subset", type=int, help="train on the first N training images only")
    train.add_argument("--data", help="directory holding the datasets (default: $DESCENT_DATA, the cache)")
    train.add_argument("--out", help="output directory (default: runs/<recipe name>)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override any recipe field, e.g. --set optimizer.weight_decay=1e-4 (repeatable)")
    train.add_argument("--resume", action="store_true", help="carry on from the output directory's checkpoint")
    train.add_argument("--progress", default="auto", choices=["auto", "tqdm", "plain", "none"],
                       help="progress display (default: a tqdm bar if tqdm is installed)")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("eval", help="print the test metrics of a saved model")
    evaluate.add_argument("model", help="a model file written by `descent train`")
    evaluate.add_argument("--data", help="directory holding the datasets")
    evaluate.add_argument("--batch-size", type=int, default=500)
    evaluate.add_argument("--episodes", type=int, default=20, help="episodes to run (agents)")
    evaluate.set_defaults(run=_eval)

    predict = commands.add_parser("predict", help="predict the classes of images in a file")
    predict.add_argument("model", help="a model file written by `descent train`")
    predict.add_argument("input", help="images: .npy, .npz, IDX (ubyte, optionally .gz) or .png (needs matplotlib)")
    predict.add_argument("--top-k", type=int, default=1, help="print the k most likely classes")
    predict.set_defaults(run=_predict)
    return parser


# --- train -------------------------------------------------------------------------------
def _train(args):
    import descent
    from descent import serialize
    from descent.data import DataLoader, TensorDataset
    from descent.train import ModelCheckpoint, Trainer
    from descent.train import recipe as recipes

    if args.list or args.recipe is None:
        for name in recipes.builtin_recipes():
            print(f"{name:14s} {recipes.load_recipe(name).get('description', '')}")
        return 0
    recipe = _resolved_recipe(args, recipes)
    if recipes.is_agent_recipe(recipe):
        return _train_agent(args, recipe)
    data = recipe["data"]
    out = Path(args.out or Path("runs") / recipe["name"])
    out.mkdir(parents=True, exist_ok=True)
    print(f"recipe {recipe['name']}: {recipe['epochs']} epochs, batch size {recipe['batch_size']}, "
          f"output in {out}")

    descent.manual_seed(recipe["seed"])
    start = time.perf_counter()
    x, y, classes = recipes.load_split(data, args.data, train=True)
    x_test, y_test, _ = recipes.load_split(data, args.data, train=False)
    x_val, y_val = x_test, y_test
    if data["validation"]:
        held = data["validation"]
        x, y, x_val, y_val = x[:-held], y[:-held], x[-held:], y[-held:]
    print(f"data: {data['dataset']}, {len(x)} training and {len(x_test)} test images, "
          f"loaded in {time.perf_counter() - start:.1f} s"
          + ("" if data["validation"] else " (the test set is shown as val_ each epoch)"))

    train_loader = DataLoader(TensorDataset(x, y), recipe["batch_size"], shuffle=True,
                              generator=descent.Generator(recipe["seed"] + 1))
    val_loader = DataLoader(TensorDataset(x_val, y_val), 1000)
    model = serialize.build_model(recipe["model"]["layers"])
    optimizer = recipes.make_optimizer(model.parameters(), recipe["optimizer"])
    scheduler = recipes.make_scheduler(optimizer, recipe.get("schedule"), recipe["epochs"], len(train_loader))
    checkpoint = out / f"checkpoint{serialize.default_suffix()}"
    trainer = Trainer(model, optimizer, scheduler=scheduler, callbacks=[ModelCheckpoint(checkpoint)],
                      batch_transform=recipes.augmentation(data), progress=args.progress)
    if args.resume:
        if not checkpoint.exists():
            raise FileNotFoundError(f"--resume: there is no checkpoint {checkpoint}")
        print(f"resuming from {checkpoint}")
    trainer.fit(train_loader, val_loader, epochs=recipe["epochs"], resume=checkpoint if args.resume else None)
    elapsed = time.perf_counter() - start

    test = trainer.evaluate(DataLoader(TensorDataset(x_test, y_test), 1000))
    _print_metrics(test, classes)
    print(f"time: {elapsed:.1f} s in all")
    metadata = {"recipe": recipe["name"], "dataset": data["dataset"], "classes": classes,
                "preprocess": {"normalize": data.get("normalize"), "flatten": bool(data.get("flatten"))},
                "test_accuracy": test.get("accuracy")}
    model_path = serialize.save_model(model, out / f"model{serialize.default_suffix()}", metadata=metadata)
    history = {"recipe": recipe, "epochs": trainer.history, "test": test, "seconds": elapsed}
    serialize.atomic_write_text(out / "history.json", json.dumps(history, indent=1, allow_nan=True))
    print(f"saved {model_path}, {out / 'history.json'}")
    _plot_learning_curve(trainer.history, out / "learning_curve.png")
    return 0


def _resolved_recipe(args, recipes):
    recipe = recipes.apply_overrides(recipes.load_recipe(args.recipe), args.set)
    if recipes.is_agent_recipe(recipe):
        options = {"lr": ("agent", "learning_rate"), "batch_size": ("agent", "batch_size"),
                   "seed": (None, "seed"), "timesteps": (None, "timesteps")}
    else:
        options = {"epochs": (None, "epochs"), "lr": ("optimizer", "lr"), "batch_size": (None, "batch_size"),
                   "seed": (None, "seed"), "subset": ("data", "subset")}
    for option in ("epochs", "subset", "timesteps"):
        if getattr(args, option) is not None and option not in options:
            raise ValueError(f"--{option} does not apply to recipe {recipe['name']}")
    for option, (table, key) in options.items():
        value = getattr(args, option)
        if value is not None:
            (recipe[table] if table else recipe)[key] = value
    return recipes.check_recipe(recipe, f"recipe {recipe['name']}")


def _train_agent(args, recipe):
    """Train a recipe's agent, evaluate its deterministic policy, save it and its history."""
    from descent import serialize
    settings = dict(recipe["agent"])
    name, env = settings.pop("name"), settings.pop("env")
    agent_class = _agent_class(name)
    out = Path(args.out or Path("runs") / recipe["name"])
    out.mkdir(parents=True, exist_ok=True)
    print(f"recipe {recipe['name']}: {name} on {env}, {recipe['timesteps']} steps, output in {out}")
    agent = agent_class(env, seed=recipe["seed"], **{k: tuple(v) if isinstance(v, list) else v
                                                     for k, v in settings.items()})
    start = time.perf_counter()
    agent.learn(recipe["timesteps"], progress_bar=_bar_wanted(args.progress))
    elapsed = time.perf_counter() - start
    episodes = recipe["evaluation"]["episodes"]
    mean, std = _evaluate_agent(agent, episodes, recipe["seed"])
    print(f"time: {elapsed:.1f} s in all")
    path = out / "agent.npz"
    agent.save(path)
    history = {"recipe": recipe, "episode_returns": agent.episode_returns, "seconds": elapsed,
               "evaluation": {"episodes": episodes, "mean_return": mean, "std_return": std}}
    serialize.atomic_write_text(out / "history.json", json.dumps(history, indent=1, allow_nan=True))
    print(f"saved {path}, {out / 'history.json'}")
    _plot_episode_returns(agent.episode_returns, out / "learning_curve.png")
    return 0


def _agent_class(name):
    from descent import rl
    agents = [n for n in rl.__all__ if n != "Agent" and isinstance(getattr(rl, n), type)
              and issubclass(getattr(rl, n), rl.Agent)]
    if name not in agents:
        raise ValueError(f"recipe: agent {name!r} is not an agent of descent.rl ({', '.join(agents)})")
    return getattr(rl, name)


def _bar_wanted(mode):
    """A tqdm bar for `learn`: asked for, or 'auto' with tqdm installed."""
    if mode == "auto":
        from descent.train.progress import _tqdm
        return _tqdm() is not None
    return mode == "tqdm"


def _evaluate_agent(agent, episodes, seed):
    from descent import rl
    mean, std = rl.evaluate(agent, agent.env_id or agent.env.envs[0], n_episodes=episodes, seed=seed + 10_000)
    print(f"evaluation: mean return {mean:.1f} ± {std:.1f} over {episodes} episodes (deterministic policy)")
    return mean, std


def _print_metrics(metrics, classes):
    """Test loss, accuracy, per-class accuracy and the confusion matrix."""
    from descent.train import per_class_accuracy
    print(f"test loss {metrics['loss']:.4f}  accuracy {metrics['accuracy']:.4f}"
          + "".join(f"  {k} {v:.4f}" for k, v in metrics.items() if k.startswith("top")))
    matrix = np.asarray(metrics["confusion_matrix"])
    print("per-class accuracy:")
    for name, value in zip(classes, per_class_accuracy(matrix)):
        print(f"  {name:14s} {value:.4f}")
    print("confusion matrix (rows: true class, columns: predicted):")
    width = max(4, len(str(matrix.max())))
    for i, row in enumerate(matrix):
        print(f"  {i:2d} " + " ".join(f"{v:{width}d}" for v in row))


def _pyplot():
    """matplotlib.pyplot drawing to files, or None (with a note) when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("learning curve: skipped (matplotlib is not installed; pip install 'descent[plot]')")
        return None
    return plt


def _save_figure(plt, figure, path):
    figure.tight_layout()
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary)
    plt.close(figure)
    temporary.replace(path)  # a reader never sees half a file
    print(f"learning curve: {path}")


def _plot_learning_curve(history, path):
    plt = _pyplot()
    if plt is None:
        return
    epochs = np.arange(1, len(history["loss"]) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key, axis in (("loss", left), ("accuracy", right)):
        for prefix, label in (("", "train"), ("val_", "validation")):
            if prefix + key in history:
                axis.plot(epochs, history[prefix + key], marker="o", label=label)
        axis.set_xlabel("epoch")
        axis.set_ylabel(key)
        axis.legend()
    _save_figure(plt, figure, path)


def _plot_episode_returns(returns, path):
    """Each training episode's return, and its mean over the last 20 episodes."""
    plt = _pyplot()
    if plt is None or not returns:
        return
    returns = np.asarray(returns, dtype=float)
    window = min(20, len(returns))
    smooth = np.convolve(returns, np.ones(window) / window, mode="valid")
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(np.arange(1, len(returns) + 1), returns, alpha=0.35, label="episode return")
    axis.plot(np.arange(window, len(returns) + 1), smooth, label=f"mean of the last {window}")
    axis.set_xlabel("training episode")
    axis.set_ylabel("return")
    axis.legend()
    _save_figure(plt, figure, path)


# --- eval and predict ----------------------------------------------------------------------
def _eval(args):
    from descent import optim, serialize
    from descent.data import DataLoader, TensorDataset
    from descent.train import Trainer
    from descent.train import recipe as recipes

    if _is_agent_file(args.model):
        return _eval_agent(args)
    model, metadata = serialize.load_model(args.model)
    data = {"dataset": metadata["dataset"], "test_subset": 0, **metadata["preprocess"]}
    x, y, classes = recipes.load_split(data, args.data, train=False)
    # a Trainer only to evaluate: its optimizer never steps
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.0), progress="none", log_fn=None)
    metrics = trainer.evaluate(DataLoader(TensorDataset(x, y), args.batch_size))
    print(f"model {args.model} ({metadata.get('recipe', '?')}), {metadata['dataset']} test set, {len(y)} images")
    _print_metrics(metrics, classes)
    return 0


def _is_agent_file(path):
    """True for an agent saved by descent.rl (an .npz holding the agent's JSON config)."""
    if Path(path).suffix != ".npz" or not Path(path).is_file():
        return False
    from descent.rl.base import CONFIG_KEY
    with np.load(path, allow_pickle=False) as data:
        return CONFIG_KEY in data.files


def _eval_agent(args):
    from descent.rl import Agent
    agent = Agent.load(args.model)
    print(f"agent {args.model}: {type(agent).__name__} on {agent.env_id}, trained {agent.num_timesteps} steps")
    _evaluate_agent(agent, args.episodes, seed=0)
    return 0


def _predict(args):
    from descent import serialize
    from descent.train import predict
    from descent.train import recipe as recipes

    model, metadata = serialize.load_model(args.model)
    images = read_images(args.input)
    scores = predict(model, recipes.preprocess(images, metadata["preprocess"]))
    classes = metadata.get("classes") or [str(i) for i in range(scores.shape[1])]
    k = max(1, min(args.top_k, scores.shape[1]))
    ranked = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    for i, row in enumerate(ranked):
        print(f"{i}: " + ", ".join(f"{c} ({classes[c]})" for c in row))
    return 0


def read_images(path):
    """Images from a file as float32 (N, 1, 28, 28) in [0, 1].

    Accepts .npy, .npz (the array 'x', 'images' or 'data', else the first one), IDX
    files (as MNIST's, optionally gzipped), and .png (needs matplotlib). An image may
    be (28, 28), (784,) or (1, 28, 28); integer pixels (0..255) are scaled to [0, 1].
    """
    from descent.data import load_npz, read_idx
    path = Path(path)
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
    elif path.suffix.lower() == ".npz":
        arrays = load_npz(path)
        key = next((k for k in ("x", "images", "data") if k in arrays), next(iter(arrays)))
        array = arrays[key]
    elif path.suffix.lower() == ".png":
        array = _read_png(path)
    elif "idx" in suffixes or "ubyte" in path.name:
        array = read_idx(path)
    else:
        raise ValueError(f"predict: cannot read {path}; expected .npy, .npz, .png or an IDX file")
    return _as_image_batch(array, path)


def _read_png(path):
    try:
        import matplotlib.image
    except ImportError:
        raise ImportError(f"predict: reading {path} needs matplotlib (pip install 'descent[plot]'); "
                          "or save the images as .npy") from None
    image = matplotlib.image.imread(path)  # (H, W) or (H, W, 3|4), floats in [0, 1]
    if image.ndim == 3:
        image = image[..., :3].mean(axis=-1)
    return image


def _as_image_batch(array, path):
    array = np.asarray(array)
    if array.dtype.kind in "iu" or (array.dtype.kind == "f" and array.size and array.max() > 1.0):
        array = array.astype(np.float32) / 255.0
    array = array.astype(np.float32)
    if array.shape[-2:] == (28, 28):
        return array.reshape(-1, 1, 28, 28)
    if array.shape[-1] == 784:
        return array.reshape(-1, 1, 28, 28)
    raise ValueError(f"predict: {path} holds an array of shape {array.shape}; expected 28x28 images "
                     "as (N, 28, 28), (N, 1, 28, 28), (N, 784) or one (28, 28) image")


if __name__ == "__main__":
    sys.exit(main())
