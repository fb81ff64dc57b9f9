"""The fit loop: epochs of gradient steps, validation, metrics, callbacks and checkpoints.

One training step, as in every PyTorch script::

    model.train(); optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward(); optimizer.step()

Batches come from a `DataLoader` as NumPy arrays and become Tensors here, at the
boundary. Evaluation runs under `descent.no_grad()` with the model in eval mode.

A checkpoint (`Trainer.save_checkpoint`) holds everything the rest of the run depends
on: the model's and the optimizer's state, the scheduler's, the epoch and step, the
state of descent's default random generator and of the training loader's generator,
the callbacks' state and the history. Resuming from the checkpoint written after
epoch k and training on gives bit for bit the parameters of a run never interrupted.
"""
import math
import time

import numpy as np

from descent import backend, functional as F
from descent.serialize import load_tree, save_tree
from descent.tensor import Tensor, no_grad
from descent.train.metrics import MetricTracker
from descent.train.progress import progress_bar

# Schedules meant to advance once per batch; any other advances once per epoch.
_PER_BATCH_SCHEDULES = {"OneCycleLR", "CosineWarmup", "CyclicLR"}


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; the message names the epoch and the step."""


class Trainer:
    """Fit a model with an optimizer, in epochs, with metrics, callbacks and checkpoints.

    Parameters
    ----------
    model : nn.Module
    optimizer : optim.Optimizer
    loss_fn : callable, default `F.cross_entropy`
        loss_fn(output, target) -> scalar Tensor.
    scheduler : lr scheduler, optional
        Stepped after every batch or after every epoch (see `scheduler_interval`);
        a `ReduceLROnPlateau` is stepped each epoch with `scheduler_monitor`.
    scheduler_interval : {'auto', 'batch', 'epoch'}
        'auto' steps OneCycleLR / CosineWarmup per batch and the others per epoch.
    scheduler_monitor : str
        The logged metric given to ReduceLROnPlateau ('val_loss', falling back to 'loss').
    callbacks : list of Callback
    top_k : int or None
        Also report top-k accuracy (when there are more than k classes).
    on_nan : {'raise', 'skip', 'continue'}
        On a NaN or infinite loss: raise `NonFiniteLossError` naming the epoch and step;
        skip the batch (no update); or carry on regardless.
    batch_transform : callable, optional
        Applied to each training batch's inputs (an ndarray) before they become a
        Tensor, e.g. `descent.data.RandomCrop` for augmentation.
    clip_grad_norm : float, optional
        Clip the gradients' global norm to this before each step.
    progress : {'auto', 'tqdm', 'plain', 'none'} or bool
    log_fn : callable
        Where one-line messages go (`print` by default).

    Attributes
    ----------
    epoch : int
        Epochs completed.
    step : int
        Optimizer steps taken.
    history : dict of lists
        Per epoch: 'loss', 'accuracy', ..., 'val_loss', 'val_accuracy', ..., 'lr', 'time'.
    """

    def __init__(self, model, optimizer, loss_fn=None, scheduler=None, scheduler_interval="auto",
                 scheduler_monitor="val_loss", callbacks=(), top_k=5, on_nan="raise", batch_transform=None,
                 clip_grad_norm=None, progress="auto", log_fn=print):
        if on_nan not in ("raise", "skip", "continue"):
            raise ValueError(f"Trainer: on_nan must be 'raise', 'skip' or 'continue', got {on_nan!r}")
        if scheduler_interval not in ("auto", "batch", "epoch"):
            raise ValueError(f"Trainer: scheduler_interval must be 'auto', 'batch' or 'epoch', "
                             f"got {scheduler_interval!r}")
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn or F.cross_entropy
        self.scheduler = scheduler
        self.scheduler_interval = (_interval_of(scheduler) if scheduler_interval == "auto"
                                   else scheduler_interval)
        self.scheduler_monitor = scheduler_monitor
        # checkpoint writers run last, so that they save the other callbacks' fresh state
        self.callbacks = sorted(callbacks, key=lambda c: c.runs_last)
        self.top_k = top_k
        self.on_nan = on_nan
        self.batch_transform = batch_transform
        self.clip_grad_norm = clip_grad_norm
        self.progress = progress
        self.log = log_fn or (lambda message: None)
        self.epoch = 0
        self.step = 0
        self.history = {}
        self.stop_training = False
        self.train_loader = None
        self._pending_loader_state = None

    # --- fitting ----------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs=1, resume=None):
        """Train until `epochs` epochs in all have been completed (counting resumed ones).

        Parameters
        ----------
        train_loader : DataLoader (or any iterable of (inputs, targets) array pairs)
        val_loader : DataLoader, optional
            Evaluated after every epoch; its metrics are logged with a 'val_' prefix.
        epochs : int
            The total number of epochs; a run resumed after epoch k trains epochs-k more.
        resume : str or os.PathLike, optional
            A checkpoint to restore first.

        Returns
        -------
        dict of lists : the history.
        """
        self.train_loader = train_loader
        if resume is not None:
            self.load_checkpoint(resume)
        self._restore_loader_state()
        self.stop_training = False
        self._call("on_train_begin")
        while self.epoch < epochs and not self.stop_training:
            self._call("on_epoch_begin", self.epoch)
            start = time.perf_counter()
            logs = self.train_epoch(train_loader, epochs)
            if val_loader is not None:
                logs.update(_prefixed("val_", self.evaluate(val_loader)))
            logs["lr"] = self.optimizer.param_groups[0]["lr"]
            logs["time"] = time.perf_counter() - start
            self._step_scheduler_after_epoch(logs)
            self._record(logs)
            self.epoch += 1
            self._call("on_epoch_end", self.epoch - 1, logs)
        self._call("on_train_end")
        return self.history

    def train_epoch(self, loader, epochs=None):
        """One pass over `loader`, updating the model; the epoch's training metrics."""
        model, optimizer = self.model, self.optimizer
        model.train()
        tracker = MetricTracker(self.top_k)
        bar = progress_bar(_length(loader), f"epoch {self.epoch + 1}/{epochs or '?'}", self.progress)
        skipped = 0
        try:
            for index, batch in enumerate(loader):
                inputs, target = self._split(batch, augment=True)
                optimizer.zero_grad()
                output = model(*inputs)
                loss = self.loss_fn(output, target)
                value = loss.item()
                if not math.isfinite(value) and self._nonfinite(value, index):
                    skipped += 1
                    continue
                loss.backward()
                if self.clip_grad_norm is not None:
                    from descent.optim import clip_grad_norm_
                    clip_grad_norm_(model.parameters(), self.clip_grad_norm)
                optimizer.step()
                if self.scheduler is not None and self.scheduler_interval == "batch":
                    self.scheduler.step()
                self.step += 1
                tracker.update(value, output.data, target.data)
                bar.update(1, _postfix(tracker))
                for callback in self.callbacks:
                    callback.on_batch_end(self, self.step, {"loss": value})
        finally:
            bar.close(_summary(tracker.compute()))
        logs = tracker.compute()
        logs.pop("confusion_matrix", None)  # kept for validation only: one per epoch is plenty
        if skipped:
            logs["skipped_batches"] = skipped
        return logs

    def _nonfinite(self, value, index):
        """Handle a NaN/inf loss: raise, or say whether to skip the batch."""
        where = f"epoch {self.epoch + 1}, step {self.step + 1} (batch {index + 1} of the epoch)"
        if self.on_nan == "raise":
            raise NonFiniteLossError(f"fit: the loss is {value} at {where}; lower the learning rate, "
                                     "check the data, or pass on_nan='skip' to skip such batches")
        if self.on_nan == "skip":
            self.optimizer.zero_grad()
            self.log(f"warning: skipped a batch whose loss is {value} at {where}")
            return True
        return False

    def evaluate(self, loader):
        """The loss and metrics of the model on `loader`, in eval mode and without gradients.

        Returns
        -------
        dict with 'loss' and, for classification, 'accuracy', 'top{k}_accuracy' and
        'confusion_matrix' (a (C, C) list of lists; rows are true classes).
        """
        was_training = self.model.training
        self.model.eval()
        tracker = MetricTracker(self.top_k)
        with no_grad():
            for batch in loader:
                inputs, target = self._split(batch)
                output = self.model(*inputs)
                tracker.update(self.loss_fn(output, target).item(), output.data, target.data)
        self.model.train(was_training)
        return tracker.compute()

    def predict(self, x, batch_size=256):
        """The model's outputs (N, ...) for inputs `x` (N, ...), an ndarray, in batches."""
        return predict(self.model, x, batch_size)

    # --- helpers of the loop ----------------------------------------------------
    def _split(self, batch, augment=False):
        """(inputs as a tuple of Tensors, target Tensor) from a loader's batch of arrays."""
        if isinstance(batch, dict):
            raise TypeError("Trainer: batches must be (inputs..., target) tuples, got a dict")
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise TypeError(f"Trainer: a batch must be a tuple (inputs..., target), got {type(batch).__name__}")
        *inputs, target = batch
        if augment and self.batch_transform is not None:
            inputs[0] = self.batch_transform(inputs[0])
        return tuple(_tensor(x) for x in inputs), _tensor(target)

    def _step_scheduler_after_epoch(self, logs):
        scheduler = self.scheduler
        if scheduler is None or self.scheduler_interval != "epoch":
            return
        if type(scheduler).__name__ == "ReduceLROnPlateau":
            monitor = self.scheduler_monitor if self.scheduler_monitor in logs else "loss"
            scheduler.step(logs[monitor])
        else:
            scheduler.step()

    def _record(self, logs):
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.log(f"epoch {self.epoch + 1}: " + _summary(logs, verbose=True))

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)

    # --- checkpoints ------------------------------------------------------------
    def state_dict(self):
        """Everything a resumed run needs, as nested dicts of JSON values and arrays."""
        loader_generator = getattr(self.train_loader, "generator", None)
        return {
            "epoch": self.epoch,
            "step": self.step,
            "model": {k: np.array(v, copy=True) for k, v in self.model.state_dict().items()},
            "model_spec": getattr(self.model, "spec", None),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": _scheduler_state(self.scheduler),
            "generators": {"default": backend.default_generator.get_state(),
                           "train_loader": loader_generator.get_state() if loader_generator else None},
            "callbacks": [c.state_dict() for c in self.callbacks],
            "history": self.history,
        }

    def load_state_dict(self, state):
        """Restore `state_dict()`'s output: model, optimizer, scheduler, counters, generators."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        saved_callbacks = state.get("callbacks", [])
        if len(saved_callbacks) != len(self.callbacks):
            raise ValueError(f"Trainer.load_state_dict: the checkpoint has {len(saved_callbacks)} callbacks' "
                             f"state, this trainer has {len(self.callbacks)} callbacks")
        for callback, saved in zip(self.callbacks, saved_callbacks):
            callback.load_state_dict(saved)
        backend.default_generator.set_state(state["generators"]["default"])
        self._pending_loader_state = state["generators"]["train_loader"]
        self._restore_loader_state()

    def _restore_loader_state(self):
        generator = getattr(self.train_loader, "generator", None)
        if self._pending_loader_state is not None and generator is not None:
            generator.set_state(self._pending_loader_state)
            self._pending_loader_state = None

    def save_checkpoint(self, path):
        """Write the trainer's state to `path` (.safetensors or .npz), atomically."""
        return save_tree(path, self.state_dict(), kind="checkpoint")

    def load_checkpoint(self, path):
        """Restore the state saved in `path`; `fit` then carries on from the next epoch."""
        self.load_state_dict(load_tree(path, kind="checkpoint"))
        return self


def predict(model, x, batch_size=256):
    """`model`'s outputs for the ndarray `x` (N, ...), computed in eval mode in batches; (N, ...) array."""
    was_training = model.training
    model.eval()
    outputs = []
    with no_grad():
        for start in range(0, len(x), batch_size):
            outputs.append(model(_tensor(x[start:start + batch_size])).data)
    model.train(was_training)
    return np.concatenate(outputs) if outputs else np.empty((0,))


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _length(loader):
    try:
        return len(loader)
    except TypeError:
        return None


def _interval_of(scheduler):
    if scheduler is None:
        return "epoch"
    return "batch" if type(scheduler).__name__ in _PER_BATCH_SCHEDULES else "epoch"


def _scheduler_state(scheduler):
    """The scheduler's state without the functions some schedules hold (LambdaLR's lambdas)."""
    if scheduler is None or not hasattr(scheduler, "state_dict"):
        return None
    return {key: value for key, value in scheduler.state_dict().items()
            if not callable(value) and not (isinstance(value, list) and any(callable(v) for v in value))}


def _prefixed(prefix, logs):
    return {prefix + key: value for key, value in logs.items()}


def _postfix(tracker):
    if not tracker.count:
        return ""
    text = f"loss {tracker.loss_sum / tracker.count:.4f}"
    if tracker.matrix is not None:
        text += f" acc {tracker.correct / tracker.count:.4f}"
    return text


def _summary(logs, verbose=False):
    """'loss 0.1234 accuracy 0.9612 ...' from the scalar entries of `logs`."""
    keys = [k for k, v in logs.items() if isinstance(v, (int, float)) and (verbose or k in ("loss", "accuracy"))]
    return " ".join(f"{k} {logs[k]:.4g}" if k in ("lr", "time") else f"{k} {logs[k]:.4f}" for k in keys)
