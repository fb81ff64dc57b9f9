"""The `descent` command end to end, on a tiny recipe, and the built-in recipes' consistency."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import descent
from descent import serialize
from descent.cli import main, read_images
from descent.train import recipe as recipes

DATA = Path(__file__).resolve().parents[3] / "shared" / "datasets"
needs_mnist = pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason=f"MNIST is not in {DATA}")

TINY = """
name = "tiny"
seed = 1
epochs = 2
batch_size = 64

[data]
dataset = "mnist"
flatten = true
normalize = [0.1307, 0.3081]
subset = 2000
test_subset = 1000

[model]
layers = [["Linear", { in_features = 784, out_features = 64 }], ["ReLU", {}],
          ["Linear", { in_features = 64, out_features = 10 }]]

[optimizer]
name = "SGD"
lr = 0.05
momentum = 0.9
"""


@pytest.fixture
def tiny_recipe(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


@needs_mnist
def test_train_eval_predict_end_to_end(tmp_path, tiny_recipe, capsys):
    out = tmp_path / "run"
    assert main(["train", str(tiny_recipe), "--data", str(DATA), "--out", str(out), "--progress", "none"]) == 0
    printed = capsys.readouterr().out
    assert "test loss" in printed and "per-class accuracy" in printed and "confusion matrix" in printed
    history = json.loads((out / "history.json").read_text())
    epochs = history["epochs"]
    assert len(epochs["loss"]) == 2 and epochs["loss"][1] < epochs["loss"][0]
    assert history["test"]["accuracy"] > 0.7  # chance is 0.1
    assert np.asarray(history["test"]["confusion_matrix"]).sum() == 1000
    model_path = out / f"model{serialize.default_suffix()}"
    assert model_path.exists() and (out / f"checkpoint{serialize.default_suffix()}").exists()

    # eval prints the same test accuracy (on the full test set, here), from the saved file alone
    assert main(["eval", str(model_path), "--data", str(DATA)]) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "10000 images" in printed

    # predict: the classes printed are the model's argmax on those images
    test = descent.data.MNIST(DATA, train=False)
    images = (test.data[:6, 0] * 255).round().astype(np.uint8)  # (6, 28, 28) raw pixels
    np.save(tmp_path / "six.npy", images)
    assert main(["predict", str(model_path), str(tmp_path / "six.npy")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    printed_classes = [int(line.split(": ")[1].split()[0]) for line in lines]
    model, metadata = serialize.load_model(model_path)
    inputs = recipes.preprocess(images[:, None] / np.float32(255), metadata["preprocess"])
    np.testing.assert_array_equal(printed_classes, descent.train.predict(model, inputs).argmax(1))


@needs_mnist
def test_command_line_options_override_the_recipe(tmp_path, tiny_recipe):
    out = tmp_path / "run"
    code = main(["train", str(tiny_recipe), "--data", str(DATA), "--out", str(out), "--progress", "none",
                 "--epochs", "1", "--lr", "1e-05", "--batch-size", "100", "--seed", "3", "--subset", "500",
                 "--set", "optimizer.momentum=0.5", "--set", "data.test_subset=200"])
    assert code == 0
    recipe = json.loads((out / "history.json").read_text())["recipe"]
    assert (recipe["epochs"], recipe["batch_size"], recipe["seed"]) == (1, 100, 3)
    assert recipe["optimizer"] == {"name": "SGD", "lr": 1e-05, "momentum": 0.5}
    assert (recipe["data"]["subset"], recipe["data"]["test_subset"]) == (500, 200)


@needs_mnist
def test_resume_carries_on_from_the_checkpoint(tmp_path, tiny_recipe):
    straight, interrupted = tmp_path / "a", tmp_path / "b"
    common = ["--data", str(DATA), "--progress", "none"]
    assert main(["train", str(tiny_recipe), "--out", str(straight), *common]) == 0
    assert main(["train", str(tiny_recipe), "--out", str(interrupted), "--epochs", "1", *common]) == 0
    assert main(["train", str(tiny_recipe), "--out", str(interrupted), "--resume", *common]) == 0
    a, _ = serialize.load_model(straight / f"model{serialize.default_suffix()}")
    b, _ = serialize.load_model(interrupted / f"model{serialize.default_suffix()}")
    for x, y in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(x.data, y.data)


def test_errors_are_reported_with_a_nonzero_status(tmp_path, capsys):
    assert main(["train", "no-such-recipe"]) == 2
    assert "built in" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nlayers = [['Linear', {}]]\n")
    assert main(["train", str(bad)]) == 2
    assert "[data]" in capsys.readouterr().err
    assert main(["train", "fashion-mlp", "--set", "nonsense"]) == 2


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    printed = capsys.readouterr().out
    assert all(command in printed for command in ("train", "eval", "predict"))


@pytest.mark.parametrize("name", ["mnist-mlp", "mnist-cnn", "mnist-fast", "fashion-cnn", "fashion-mlp"])
def test_builtin_recipes_build_a_working_model(name):
    recipe = recipes.load_recipe(name)
    assert name in recipes.builtin_recipes()
    model = serialize.build_model(recipe["model"]["layers"])
    optimizer = recipes.make_optimizer(model.parameters(), recipe["optimizer"])
    recipes.make_scheduler(optimizer, recipe.get("schedule"), recipe["epochs"], 10)
    images = np.zeros((2, 1, 28, 28), dtype=np.float32)
    scores = descent.train.predict(model, recipes.preprocess(images, recipe["data"]))
    assert scores.shape == (2, 10)


def test_read_images_accepts_the_usual_layouts(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    expected = pixels[:, None] / np.float32(255)
    for name, array in {"a.npy": pixels, "b.npy": pixels.reshape(3, 784),
                        "c.npy": pixels[:, None].astype(np.float32) / 255}.items():
        np.save(tmp_path / name, array)
        np.testing.assert_allclose(read_images(tmp_path / name), expected, rtol=1e-6)
    np.savez(tmp_path / "d.npz", images=pixels)
    np.testing.assert_allclose(read_images(tmp_path / "d.npz"), expected)
    np.save(tmp_path / "e.npy", np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"\(3, 5\)"):
        read_images(tmp_path / "e.npy")


def test_importing_descent_does_not_import_tqdm_or_the_optional_extras():
    code = ("import sys, descent, descent.train, descent.serialize, descent.cli; "
            "print(sorted(m for m in ('tqdm', 'safetensors', 'matplotlib', 'torch', 'sklearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.stdout.strip() == "[]"


def test_augmentation_shifts_and_mirrors_images_and_refuses_flat_vectors():
    from descent.data import RandomCrop, RandomHorizontalFlip
    transform = recipes.augmentation({"augment": {"crop_padding": 2, "hflip": True}})
    assert [type(t) for t in transform.transforms] == [RandomCrop, RandomHorizontalFlip]
    images = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    assert transform(images).shape == images.shape
    assert recipes.augmentation({}) is None
    with pytest.raises(ValueError, match="flatten"):
        recipes.augmentation({"augment": {"hflip": True}, "flatten": True})


@needs_mnist
def test_a_run_draws_its_learning_curve_when_matplotlib_is_installed(tmp_path, tiny_recipe):
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    assert main(["train", str(tiny_recipe), "--data", str(DATA), "--out", str(out), "--progress", "none",
                 "--epochs", "1"]) == 0
    png = (out / "learning_curve.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


# --- agent recipes -----------------------------------------------------------------------
TINY_AGENT = """
name = "tiny-agent"
seed = 3
timesteps = 1024

[agent]
name = "PPO"
env = "CartPole-v1"
n_envs = 2
n_steps = 64
batch_size = 64
hidden_sizes = [16, 16]

[evaluation]
episodes = 3
"""


def test_an_agent_recipe_trains_saves_and_evaluates(tmp_path, capsys):
    pytest.importorskip("gymnasium")
    path = tmp_path / "agent.toml"
    path.write_text(TINY_AGENT)
    out = tmp_path / "run"
    assert main(["train", str(path), "--out", str(out), "--progress", "none", "--lr", "5e-4"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["recipe"]["agent"]["learning_rate"] == 5e-4
    assert len(history["episode_returns"]) > 0 and history["evaluation"]["episodes"] == 3
    assert "evaluation: mean return" in capsys.readouterr().out
    assert main(["eval", str(out / "agent.npz"), "--episodes", "2"]) == 0
    assert "PPO on CartPole-v1, trained 1024 steps" in capsys.readouterr().out


def test_agent_recipes_refuse_options_for_datasets_and_unknown_agents(tmp_path, capsys):
    path = tmp_path / "agent.toml"
    path.write_text(TINY_AGENT)
    assert main(["train", str(path), "--epochs", "3"]) == 2
    assert "--epochs does not apply to recipe tiny-agent" in capsys.readouterr().err
    path.write_text(TINY_AGENT.replace('name = "PPO"', 'name = "Evaluate"'))
    pytest.importorskip("gymnasium")
    assert main(["train", str(path), "--out", str(tmp_path / "x")]) == 2
    assert "agent 'Evaluate' is not an agent of descent.rl" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["cartpole-ppo", "cartpole-dqn"])
def test_builtin_agent_recipes_make_their_agent(name):
    pytest.importorskip("gymnasium")
    from descent import rl
    recipe = recipes.load_recipe(name)
    settings = dict(recipe["agent"])
    agent = getattr(rl, settings.pop("name"))(settings.pop("env"), seed=recipe["seed"], **settings)
    assert agent.predict(np.zeros(4, np.float32)) in (0, 1)
