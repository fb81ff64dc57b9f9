"""Recipes: a whole training run (data, model, optimizer, schedule, epochs) in one TOML file.

A recipe has these fields (the built-in ones live in `descent/recipes/*.toml`)::

    name = "mnist-mlp"
    seed = 0
    epochs = 10
    batch_size = 128

    [data]
    dataset = "mnist"              # or "fashion-mnist"
    flatten = true                 # (N, 784) vectors instead of (N, 1, 28, 28) images
    normalize = [0.1307, 0.3081]   # mean and std of the pixels; omit to keep [0, 1]
    augment = { crop_padding = 2, hflip = false }   # random shifts / mirror images (training only)
    subset = 0                     # train on the first N images only (0: all)
    test_subset = 0                # evaluate on the first N test images only (0: all)
    validation = 0                 # hold out N training images for validation (0: validate on the test set)

    [model]
    layers = [["Linear", { in_features = 784, out_features = 10 }]]   # see descent.serialize.build_model

    [optimizer]
    name = "Adam"                  # any optimizer of descent.optim, with its keyword arguments
    lr = 1e-3

    [schedule]                     # optional: any descent.optim.lr_scheduler, with its arguments
    name = "OneCycleLR"            # OneCycleLR's max_lr defaults to the optimizer's lr

Command-line options override fields: `--lr` sets optimizer.lr, and `--set key=value`
sets any dotted key (the value is read as TOML, else taken as a string).

A reinforcement-learning recipe has an [agent] table instead of data, model and optimizer::

    name = "cartpole-ppo"
    seed = 0
    timesteps = 100_000            # environment steps to learn from

    [agent]
    name = "PPO"                   # any agent of descent.rl
    env = "CartPole-v1"            # a Gymnasium env id
    learning_rate = 1e-3           # ... and the agent's other keyword arguments

    [evaluation]
    episodes = 20                  # episodes of the deterministic policy after training

Here `--lr` sets agent.learning_rate and `--timesteps` the number of steps.
"""
import copy
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np

RECIPE_DIR = "recipes"
DATASETS = ("mnist", "fashion-mnist")


def builtin_recipes():
    """Names of the recipes shipped with descent."""
    folder = resources.files("descent") / RECIPE_DIR
    return sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".toml"))


def load_recipe(name_or_path):
    """A recipe as a dict: a built-in one by name, or a .toml file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise FileNotFoundError(f"recipe: no file {path}")
        text, origin = path.read_text(encoding="utf-8"), str(path)
    else:
        entry = resources.files("descent") / RECIPE_DIR / f"{name_or_path}.toml"
        if not entry.is_file():
            raise ValueError(f"recipe: {name_or_path!r} is neither a .toml file nor a built-in recipe "
                             f"(built in: {', '.join(builtin_recipes())})")
        text, origin = entry.read_text(encoding="utf-8"), f"built-in {name_or_path}"
    try:
        recipe = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"recipe {origin}: not valid TOML: {error}") from None
    recipe.setdefault("name", path.stem if path.suffix == ".toml" else str(name_or_path))
    return check_recipe(recipe, origin)


def check_recipe(recipe, origin="recipe"):
    """Fill in defaults and check the fields; ValueError naming the field otherwise."""
    recipe = copy.deepcopy(recipe)
    if is_agent_recipe(recipe):
        return _check_agent_recipe(recipe, origin)
    for section in ("data", "model", "optimizer"):
        if not isinstance(recipe.get(section), dict):
            raise ValueError(f"{origin}: needs a [{section}] table")
    recipe.setdefault("seed", 0)
    recipe.setdefault("epochs", 1)
    recipe.setdefault("batch_size", 128)
    data = recipe["data"]
    data.setdefault("dataset", "mnist")
    if data["dataset"] not in DATASETS:
        raise ValueError(f"{origin}: data.dataset must be one of {sorted(DATASETS)}, got {data['dataset']!r}")
    for key in ("subset", "test_subset", "validation"):
        data.setdefault(key, 0)
    if "layers" not in recipe["model"]:
        raise ValueError(f"{origin}: [model] needs layers = [[name, {{arguments}}], ...]")
    if "name" not in recipe["optimizer"]:
        raise ValueError(f"{origin}: [optimizer] needs a name, e.g. name = \"Adam\"")
    for key in ("epochs", "batch_size"):
        if not isinstance(recipe[key], int) or recipe[key] < 1:
            raise ValueError(f"{origin}: {key} must be a positive int, got {recipe[key]!r}")
    return recipe


def is_agent_recipe(recipe):
    """True for a reinforcement-learning recipe (one with an [agent] table)."""
    return "agent" in recipe


def _check_agent_recipe(recipe, origin):
    agent = recipe["agent"]
    if not isinstance(agent, dict) or "name" not in agent or "env" not in agent:
        raise ValueError(f"{origin}: [agent] needs a name and an env, e.g. name = \"PPO\", env = \"CartPole-v1\"")
    recipe.setdefault("seed", 0)
    recipe.setdefault("timesteps", 100_000)
    recipe.setdefault("evaluation", {}).setdefault("episodes", 20)
    for key, value in (("timesteps", recipe["timesteps"]), ("evaluation.episodes", recipe["evaluation"]["episodes"])):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{origin}: {key} must be a positive int, got {value!r}")
    return recipe


def apply_overrides(recipe, settings):
    """A copy of `recipe` with 'dotted.key=value' settings applied (values read as TOML)."""
    recipe = copy.deepcopy(recipe)
    for setting in settings:
        key, sep, text = setting.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set: expected key=value, got {setting!r}")
        *parents, leaf = key.strip().split(".")
        table = recipe
        for part in parents:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise ValueError(f"--set {key}: {part!r} is not a table in the recipe")
        table[leaf] = _toml_value(text.strip())
    return recipe


def _toml_value(text):
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word, e.g. --set optimizer.name=SGD


# --- building the run's pieces -------------------------------------------------------
def _datasets():
    from descent.data import MNIST, FashionMNIST
    return {"mnist": MNIST, "fashion-mnist": FashionMNIST}


def preprocess(images, data):
    """Images (N, 1, 28, 28) in [0, 1] -> the model's inputs, as the recipe's [data] says."""
    images = np.asarray(images, dtype=np.float32)
    if data.get("normalize"):
        mean, std = data["normalize"]
        images = (images - np.float32(mean)) / np.float32(std)
    if data.get("flatten"):
        images = images.reshape(len(images), -1)
    return images


def load_split(data, root=None, train=True):
    """(inputs, targets, class names) of the recipe's dataset split, preprocessed."""
    dataset = _datasets()[data["dataset"]](root=root, train=train)
    limit = data["subset"] if train else data["test_subset"]
    images, targets = dataset.data, dataset.targets
    if limit:
        images, targets = images[:limit], targets[:limit]
    return preprocess(images, data), targets, list(dataset.classes)


def augmentation(data):
    """The batch transform of the recipe's data.augment, or None."""
    from descent.data import Compose, RandomCrop, RandomHorizontalFlip
    augment = data.get("augment") or {}
    steps = []
    if augment.get("crop_padding"):
        steps.append(RandomCrop(28, padding=int(augment["crop_padding"])))
    if augment.get("hflip"):
        steps.append(RandomHorizontalFlip())
    if not steps:
        return None
    if data.get("flatten"):
        raise ValueError("recipe: data.augment works on images; it cannot be used with data.flatten = true")
    return Compose(steps)


def make_optimizer(parameters, settings):
    """`descent.optim.<name>(parameters, **arguments)` from the recipe's [optimizer] table."""
    from descent import optim
    arguments = dict(settings)
    name = arguments.pop("name")
    cls = getattr(optim, name, None)
    if not (isinstance(cls, type) and issubclass(cls, optim.Optimizer)) or name == "Optimizer":
        raise ValueError(f"recipe: optimizer {name!r} is not an optimizer of descent.optim")
    arguments = {k: tuple(v) if isinstance(v, list) else v for k, v in arguments.items()}
    return cls(parameters, **arguments)


def make_scheduler(optimizer, settings, epochs, steps_per_epoch):
    """The recipe's [schedule], or None; OneCycleLR and CosineAnnealingLR get their lengths filled in."""
    from descent.optim import lr_scheduler
    if not settings:
        return None
    arguments = dict(settings)
    name = arguments.pop("name")
    cls = getattr(lr_scheduler, name, None)
    if not isinstance(cls, type) or name.startswith("_") or name == "LRScheduler":
        raise ValueError(f"recipe: schedule {name!r} is not a schedule of descent.optim.lr_scheduler")
    if name == "OneCycleLR":
        arguments.setdefault("max_lr", optimizer.param_groups[0]["lr"])
        arguments.setdefault("total_steps", epochs * steps_per_epoch)
    elif name == "CosineAnnealingLR":
        arguments.setdefault("T_max", epochs)
    elif name == "CosineWarmup":
        arguments.setdefault("total_steps", epochs * steps_per_epoch)
    return cls(optimizer, **arguments)
