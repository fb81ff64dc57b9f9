"""The fit loop: learning, metrics, callbacks, schedules, NaN handling, exact resume."""
import numpy as np
import pytest

import descent
from descent import optim
from descent.data import DataLoader, TensorDataset
from descent.serialize import build_model
from descent.train import (Callback, EarlyStopping, LearningRateSchedule, ModelCheckpoint, NonFiniteLossError,
                           Trainer)


def blobs(n=600, classes=3, features=5, seed=0):
    """Gaussian blobs: `classes` well separated clusters in `features` dimensions."""
    g = np.random.default_rng(seed)
    centers = g.normal(0, 3, (classes, features))
    y = g.integers(0, classes, n)
    x = (centers[y] + g.normal(0, 1, (n, features))).astype(np.float32)
    return x, y.astype(np.int64)


def mlp(features=5, classes=3, dropout=0.0):
    spec = [["Linear", {"in_features": features, "out_features": 32}], ["ReLU", {}]]
    if dropout:
        spec.append(["Dropout", {"p": dropout}])
    return build_model(spec + [["Linear", {"in_features": 32, "out_features": classes}]])


def loaders(seed=0, batch_size=32):
    x, y = blobs(seed=seed)
    train = DataLoader(TensorDataset(x[:500], y[:500]), batch_size, shuffle=True,
                       generator=descent.Generator(seed))
    val = DataLoader(TensorDataset(x[500:], y[500:]), 50)
    return train, val


def make_trainer(lr=0.05, dropout=0.0, callbacks=(), scheduler=None, **options):
    descent.manual_seed(0)
    model = mlp(dropout=dropout)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    if scheduler == "onecycle":
        scheduler = optim.OneCycleLR(optimizer, max_lr=lr, total_steps=4 * 16)
    elif scheduler == "step":
        scheduler = optim.StepLR(optimizer, step_size=1, gamma=0.5)
    options.setdefault("progress", "none")
    return Trainer(model, optimizer, scheduler=scheduler, callbacks=list(callbacks), log_fn=None, **options)


def test_fit_learns_separable_blobs_and_reports_metrics():
    trainer = make_trainer()
    train, val = loaders()
    history = trainer.fit(train, val, epochs=3)
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9  # chance is 1/3
    assert len(history["val_loss"]) == 3 and trainer.epoch == 3 and trainer.step == 3 * 16
    # the validation metrics agree with a direct computation on the model's outputs
    x, y = blobs()
    scores = trainer.predict(x[500:])
    matrix = np.asarray(history["val_confusion_matrix"][-1])
    assert matrix.sum() == 100
    np.testing.assert_array_equal(matrix.diagonal().sum(), (scores.argmax(1) == y[500:]).sum())
    assert history["val_accuracy"][-1] == pytest.approx(np.mean(scores.argmax(1) == y[500:]))
    expected_loss = -np.mean(scores[np.arange(100), y[500:]] - np.log(np.exp(scores).sum(1)))
    assert history["val_loss"][-1] == pytest.approx(expected_loss, rel=1e-4)


def test_training_step_matches_a_hand_written_loop():
    """Trainer's step is zero_grad, forward, loss, backward, step: the same parameters result."""
    train, _ = loaders()
    trainer = make_trainer()
    trainer.fit(train, epochs=1)
    descent.manual_seed(0)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    again, _ = loaders()
    for x, y in again:
        optimizer.zero_grad()
        loss = descent.functional.cross_entropy(model(descent.Tensor(x)), descent.Tensor(y))
        loss.backward()
        optimizer.step()
    for a, b in zip(trainer.model.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    class Scripted(Callback):  # overwrite the monitored value with a scripted sequence
        values = iter([1.0, 0.5, 0.6, 0.7, 0.4, 0.3])

        def on_epoch_end(self, trainer, epoch, logs):
            logs["score"] = next(self.values)

    stopper = EarlyStopping("score", patience=2, mode="min")
    trainer = make_trainer(callbacks=[Scripted(), stopper])
    train, _ = loaders()
    trainer.fit(train, epochs=6)
    assert trainer.epoch == 4 and stopper.stopped_epoch == 3 and stopper.best == 0.5


def test_early_stopping_in_max_mode_and_missing_metric():
    stopper = EarlyStopping("val_accuracy", patience=1, mode="max")
    stopper.best = 0.9
    assert stopper.improves(0.95) and not stopper.improves(0.9)
    trainer = make_trainer(callbacks=[EarlyStopping("val_nothing")])
    with pytest.raises(KeyError, match="val_nothing"):
        trainer.fit(loaders()[0], epochs=1)


def test_model_checkpoint_best_only_saves_on_improvement(tmp_path):
    class Scripted(Callback):
        values = iter([0.5, 0.7, 0.4])

        def on_epoch_end(self, trainer, epoch, logs):
            logs["score"] = next(self.values)

    saved = []
    best = ModelCheckpoint(tmp_path / "best-{epoch}.npz", monitor="score", mode="min", save_best_only=True)
    trainer = make_trainer(callbacks=[best, Scripted()])  # runs after Scripted though listed first
    original = trainer.save_checkpoint
    trainer.save_checkpoint = lambda path: saved.append(path.name) or original(path)
    trainer.fit(loaders()[0], epochs=3)
    assert saved == ["best-1.npz", "best-3.npz"]


def test_learning_rate_schedules():
    train, _ = loaders()
    halving = make_trainer(scheduler="step")
    halving.fit(train, epochs=3)
    assert halving.history["lr"] == pytest.approx([0.05, 0.025, 0.0125])
    cycle = make_trainer(scheduler="onecycle")  # stepped every batch
    cycle.fit(train, epochs=4)
    assert cycle.scheduler.last_epoch == 64
    by_callback = make_trainer(callbacks=[LearningRateSchedule(lambda epoch, lr: 0.1 / (epoch + 1))])
    by_callback.fit(train, epochs=2)
    assert by_callback.history["lr"] == pytest.approx([0.1, 0.05])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_nan_loss_stops_with_the_epoch_and_step_named():
    trainer = make_trainer(lr=1e30)
    with pytest.raises(FloatingPointError, match=r"epoch \d+, step \d+"):
        trainer.fit(loaders()[0], epochs=3)


def test_nan_loss_in_a_given_batch_is_named_or_skipped():
    x, y = blobs()
    x[40] = np.nan  # batch 2 (rows 32..63) of the first epoch, without shuffling
    data = DataLoader(TensorDataset(x[:96], y[:96]), 32)
    with pytest.raises(NonFiniteLossError, match=r"epoch 1, step 2 \(batch 2"):
        make_trainer().fit(data, epochs=1)
    trainer = make_trainer(on_nan="skip")
    history = trainer.fit(data, epochs=2)
    assert trainer.step == 4 and history["skipped_batches"] == [1, 1]
    assert all(np.isfinite(p.data).all() for p in trainer.model.parameters())


def _run(tmp_path, epochs, resume_after=None, suffix=".npz"):
    """Train with dropout, momentum, a per-batch schedule and shuffling; maybe stop and resume."""
    path = tmp_path / f"last{suffix}"
    train, val = loaders()
    trainer = make_trainer(dropout=0.2, scheduler="onecycle", callbacks=[ModelCheckpoint(path)])
    if resume_after is None:
        trainer.fit(train, val, epochs=epochs)
        return trainer
    trainer.fit(train, val, epochs=resume_after)
    descent.manual_seed(12345)  # the interrupted process's randomness is gone...
    fresh_train, fresh_val = loaders(seed=0)
    fresh_train.generator.manual_seed(999)
    resumed = make_trainer(dropout=0.2, scheduler="onecycle", callbacks=[ModelCheckpoint(path)])
    resumed.fit(fresh_train, fresh_val, epochs=epochs, resume=path)  # ...and the checkpoint restores it
    return resumed


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path, suffix):
    if suffix == ".safetensors":
        pytest.importorskip("safetensors")
    straight = _run(tmp_path / "a", epochs=3)
    resumed = _run(tmp_path / "b", epochs=3, resume_after=1, suffix=suffix)
    assert resumed.step == straight.step and resumed.epoch == 3
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert resumed.history["loss"] == straight.history["loss"]
    assert resumed.optimizer.param_groups[0]["lr"] == straight.optimizer.param_groups[0]["lr"]


def test_resume_restores_early_stopping_state(tmp_path):
    path = tmp_path / "ckpt.npz"
    stopper = EarlyStopping("val_loss", patience=5)
    trainer = make_trainer(callbacks=[stopper, ModelCheckpoint(path)])
    train, val = loaders()
    trainer.fit(train, val, epochs=2)
    again = make_trainer(callbacks=[EarlyStopping("val_loss", patience=5), ModelCheckpoint(path)])
    again.load_checkpoint(path)
    assert again.callbacks[0].best == stopper.best and again.callbacks[0].wait == stopper.wait
    assert again.epoch == 2 and again.history == trainer.history


def test_batch_transform_applies_to_training_batches_only():
    seen = []

    def spy(x):
        seen.append(x.shape)
        return x

    trainer = make_trainer(batch_transform=spy)
    train, val = loaders()
    trainer.fit(train, val, epochs=1)
    assert len(seen) == len(train)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="on_nan"):
        make_trainer(on_nan="ignore")
    with pytest.raises(TypeError, match="tuple"):
        make_trainer().fit([np.zeros((2, 5))], epochs=1)


def test_progress_falls_back_to_plain_lines_without_tqdm(monkeypatch, capsys):
    from descent.train import progress
    monkeypatch.setattr(progress, "_tqdm", lambda: None)
    monkeypatch.setattr(progress, "_noted", False)
    trainer = make_trainer(progress="auto")
    trainer.fit(loaders()[0], epochs=1)
    printed = capsys.readouterr().out
    assert "install tqdm" in printed and "epoch 1/1: 16/16 loss" in printed and "accuracy" in printed
    with pytest.raises(ImportError, match="progress"):
        progress.progress_bar(3, "x", "tqdm")


def test_progress_uses_tqdm_when_installed(capsys):
    pytest.importorskip("tqdm")
    trainer = make_trainer(progress="tqdm")
    trainer.fit(loaders()[0], epochs=1)
    shown = capsys.readouterr().err  # tqdm writes to stderr
    assert "epoch 1/1" in shown and "16/16" in shown and "loss" in shown and "acc" in shown
