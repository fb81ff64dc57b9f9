"""Callbacks: code the fit loop calls at the start and end of training, epochs and batches.

A callback sees the `Trainer` and the epoch's logs (a dict such as
`{'loss': 0.31, 'accuracy': 0.91, 'val_loss': 0.27, ...}`), and may stop training by
setting `trainer.stop_training = True`. Callbacks with state that matters for an exact
resume (a patience counter, the best score so far) return it from `state_dict()`;
the trainer saves it in its checkpoints.
"""
import math
from pathlib import Path


class Callback:
    """The base: every hook does nothing. Override the ones you need."""

    #: Callbacks that write checkpoints set this, so they run after every other callback
    #: and save the others' up-to-date state.
    runs_last = False

    def on_train_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, step, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_train_end(self, trainer):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class _Monitor:
    """Tracks the best value of one logged metric, for 'min' or 'max'."""

    def __init__(self, monitor, mode, min_delta=0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs):
        if self.monitor not in logs:
            raise KeyError(f"{type(self).__name__}: the metric {self.monitor!r} is not logged; "
                           f"logged are {sorted(logs)} (monitor a 'val_' metric only with a validation loader)")
        return float(logs[self.monitor])

    def improves(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor, Callback):
    """Stop training when `monitor` has not improved for `patience` epochs.

    Parameters
    ----------
    monitor : str
        A logged metric, e.g. 'val_loss' or 'val_accuracy'.
    patience : int
        Epochs without improvement to allow.
    mode : {'min', 'max'}
    min_delta : float
        A change smaller than this is no improvement.
    restore_best : bool
        At the end, put back the weights of the best epoch.
    """

    def __init__(self, monitor="val_loss", patience=3, mode="min", min_delta=0.0, restore_best=False):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best = restore_best
        self.wait = 0
        self.stopped_epoch = None
        self.best_state = None

    def on_epoch_end(self, trainer, epoch, logs):
        value = self.value(logs)
        if self.improves(value):
            self.best, self.wait = value, 0
            if self.restore_best:
                self.best_state = {k: v.copy() for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            trainer.log(f"early stopping: {self.monitor} has not improved on {self.best:.6g} "
                        f"for {self.patience} epochs")

    def on_train_end(self, trainer):
        if self.restore_best and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch,
                "best_state": self.best_state}

    def load_state_dict(self, state):
        self.best, self.wait, self.stopped_epoch = state["best"], state["wait"], state["stopped_epoch"]
        self.best_state = state.get("best_state")


class ModelCheckpoint(_Monitor, Callback):
    """Write a training checkpoint (see `Trainer.save_checkpoint`) at the end of epochs.

    Parameters
    ----------
    path : str or os.PathLike
        The file; may hold '{epoch}' (1-based) to keep one file per epoch.
    monitor : str, optional
        With `save_best_only`, the metric that decides what "best" is.
    mode : {'min', 'max'}
    save_best_only : bool
        Save only when `monitor` improves (a "checkpoint-best").
    every : int
        Save every `every` epochs (ignored with `save_best_only`).

    Each write is atomic (a temporary file, then `os.replace`), so an interruption
    leaves the previous checkpoint intact.
    """

    runs_last = True

    def __init__(self, path, monitor="val_loss", mode="min", save_best_only=False, every=1):
        super().__init__(monitor, mode)
        self.path = str(path)
        self.save_best_only = save_best_only
        self.every = every
        self.last_saved = None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.save_best_only:
            value = self.value(logs)
            if not self.improves(value):
                return
            self.best = value
        elif (epoch + 1) % self.every:
            return
        path = Path(self.path.format(epoch=epoch + 1))
        self.last_saved = str(path)
        trainer.save_checkpoint(path)

    def state_dict(self):
        return {"best": self.best, "last_saved": self.last_saved}

    def load_state_dict(self, state):
        self.best, self.last_saved = state["best"], state["last_saved"]


class LearningRateSchedule(Callback):
    """Set every parameter group's lr at the start of each epoch to `schedule(epoch, lr)`.

    `epoch` counts from 0; `lr` is the present lr of the first group. For schedules
    with state, pass a `descent.optim.lr_scheduler` object to the Trainer instead.
    """

    def __init__(self, schedule):
        self.schedule = schedule

    def on_epoch_begin(self, trainer, epoch):
        lr = float(self.schedule(epoch, trainer.optimizer.param_groups[0]["lr"]))
        for group in trainer.optimizer.param_groups:
            group["lr"] = lr

