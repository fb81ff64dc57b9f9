"""Learning-rate schedules, as `torch.optim.lr_scheduler`.

A scheduler sets `group['lr']` of each of an optimizer's parameter groups. Make it after
the optimizer (it then sets the lr of step 0), and call `scheduler.step()` after each
`optimizer.step()` (once per batch or per epoch, as the schedule is meant)::

    for batch in data:
        loss = ...; loss.backward()
        optimizer.step(); optimizer.zero_grad()
        scheduler.step()

`last_epoch` counts the calls to `step()` (0 right after construction); the lr of each
group is a closed-form function of it and of the group's initial lr (`base_lrs`), which
the scheduler stores in the group as 'initial_lr'. `ReduceLROnPlateau` instead reacts to
a metric: `scheduler.step(validation_loss)`.
"""
import bisect
import math

from descent.optim.optimizer import Optimizer


class LRScheduler:
    """Base of the schedules: subclasses define `lr_at(base_lr, epoch)` (or `get_lr()`).

    Parameters
    ----------
    optimizer : Optimizer
    last_epoch : int
        The index of the last step taken, to resume a schedule; -1 starts afresh (then
        each group's present lr becomes its 'initial_lr').
    """

    _unsaved = ("optimizer",)  # attributes state_dict() leaves out

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: resuming at last_epoch={last_epoch}, but parameter "
                               f"group {i} has no 'initial_lr'")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base_lr, epoch):
        """The lr at step `epoch` of a group whose initial lr is `base_lr`."""
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(base_lr, epoch) or get_lr()")

    def get_lr(self):
        """The lr of each group at step `last_epoch`."""
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def step(self):
        """Advance the schedule by one step and set each group's lr."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lr of each group set by the last `step()`."""
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's attributes (plain numbers, strings and lists), without the optimizer."""
        return {key: _copy(value) for key, value in self.__dict__.items() if key not in self._unsaved}

    def load_state_dict(self, state_dict):
        self.__dict__.update({key: _copy(value) for key, value in state_dict.items()})

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self.get_last_lr()})"


def _copy(value):
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _per_group(name, optimizer, value):
    """`value` repeated for each parameter group, or checked to have one entry per group."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name}: expected {n} values (one per parameter group), got {len(value)}")
        return list(value)
    return [value] * n


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch); one function, or a list of them (one per group).

    The functions are not part of `state_dict()`: give them again when resuming.
    """

    _unsaved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * f(self.last_epoch) for base_lr, f in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size): decay by gamma every step_size steps."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = initial_lr * gamma ** (number of milestones passed): decay by gamma at each milestone."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(int(m) for m in milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ** epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** epoch


def _cosine(start, end, fraction):
    """From `start` (fraction 0) to `end` (fraction 1) along half a cosine wave."""
    return end + (start - end) * (1.0 + math.cos(math.pi * fraction)) / 2.0


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (Loshchilov & Hutter, 2017, "SGDR", without restarts)::

        lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    After T_max steps the lr climbs back along the same wave (period 2 * T_max), as in PyTorch.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return _cosine(base_lr, self.eta_min, epoch / self.T_max)


class CosineWarmup(LRScheduler):
    """Linear warmup, then cosine decay to `min_lr` (the schedule of transformer training,
    as `get_cosine_schedule_with_warmup` of Hugging Face Transformers, with a floor)::

        lr = initial_lr * epoch / warmup_steps                           epoch < warmup_steps
        lr = min_lr + (initial_lr - min_lr) * (1 + cos(pi * p)) / 2      after, where
        p = min(1, (epoch - warmup_steps) / (total_steps - warmup_steps))

    The warmup starts at lr 0 and the lr stays at `min_lr` after `total_steps`.

    Parameters
    ----------
    optimizer : Optimizer
    warmup_steps : int
    total_steps : int
        Steps of warmup and decay together.
    min_lr : float or list of float (one per group)
    """

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        if not 0 <= warmup_steps <= total_steps:
            raise ValueError(f"CosineWarmup: need 0 <= warmup_steps <= total_steps, "
                             f"got warmup_steps={warmup_steps}, total_steps={total_steps}")
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        self.min_lrs = _per_group("CosineWarmup", optimizer, min_lr)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self._lr(base_lr, min_lr) for base_lr, min_lr in zip(self.base_lrs, self.min_lrs)]

    def _lr(self, base_lr, min_lr):
        t, warmup = self.last_epoch, self.warmup_steps
        if t < warmup:
            return base_lr * t / warmup
        progress = min(1.0, (t - warmup) / max(1, self.total_steps - warmup))
        return _cosine(base_lr, min_lr, progress)


class LinearLR(LRScheduler):
    """Multiply the initial lr by a factor moving linearly from `start_factor` to `end_factor`
    over `total_iters` steps, then held (a linear warmup, or a linear decay)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: need 0 < start_factor <= 1 and 0 <= end_factor <= 1, "
                             f"got start_factor={start_factor}, end_factor={end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        fraction = min(epoch, self.total_iters) / self.total_iters if self.total_iters > 0 else 1.0
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * fraction)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018, "Super-Convergence"), as `torch.optim.lr_scheduler.OneCycleLR`.

    The lr rises from max_lr / div_factor to max_lr over the first `pct_start` of the steps,
    then anneals to max_lr / (div_factor * final_div_factor). With `three_phase`, it first
    comes back down to max_lr / div_factor symmetrically, and only then anneals to the
    minimum. With `cycle_momentum`, the momentum (SGD's 'momentum' or Adam's beta1) moves
    the opposite way, between `max_momentum` and `base_momentum`. Call `step()` once per batch.

    Parameters
    ----------
    optimizer : Optimizer
    max_lr : float or list of float (one per group)
    total_steps : int, optional
        Else epochs * steps_per_epoch.
    epochs, steps_per_epoch : int, optional
    pct_start : float
        The fraction of the steps spent increasing the lr.
    anneal_strategy : {'cos', 'linear'}
    cycle_momentum : bool
    base_momentum, max_momentum : float or list of float
    div_factor : float
    final_div_factor : float
    three_phase : bool
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"OneCycleLR: total_steps must be a positive int, got {total_steps!r}")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        self.phases = _one_cycle_phases(pct_start * total_steps, total_steps, three_phase)
        groups = optimizer.param_groups
        self.cycle_momentum = cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and not self.use_beta1 and "momentum" not in optimizer.defaults:
            raise ValueError(f"OneCycleLR: cycle_momentum needs an optimizer with 'momentum' or 'betas', "
                             f"{type(optimizer).__name__} has neither")
        if last_epoch == -1:
            for group, lr in zip(groups, _per_group("OneCycleLR", optimizer, max_lr)):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                for group, high, low in zip(groups, _per_group("OneCycleLR", optimizer, max_momentum),
                                            _per_group("OneCycleLR", optimizer, base_momentum)):
                    group["max_momentum"], group["base_momentum"] = high, low
                    self._set_momentum(group, high)
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, fraction):
        if self.anneal_strategy == "cos":
            return _cosine(start, end, fraction)
        return start + (end - start) * fraction

    def get_lr(self):
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times, but the schedule has total_steps={self.total_steps}")
        start = 0.0
        for i, phase in enumerate(self.phases):
            if t <= phase["end_step"] or i == len(self.phases) - 1:
                break
            start = phase["end_step"]
        fraction = (t - start) / (phase["end_step"] - start)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], fraction))
            if self.cycle_momentum:
                self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                       group[phase["end_momentum"]], fraction))
        return lrs


def _one_cycle_phases(warmup_steps, total_steps, three_phase):
    """The phases of the 1cycle policy: the step each ends at and the group keys it moves between."""
    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
        return dict(end_step=end_step, start_lr=start_lr, end_lr=end_lr,
                    start_momentum=start_momentum, end_momentum=end_momentum)
    rise = phase(float(warmup_steps) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum")
    if three_phase:
        return [rise,
                phase(float(2 * warmup_steps) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
    return [rise, phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]


class ReduceLROnPlateau:
    """Multiply the lr by `factor` when a metric has stopped improving for `patience` steps.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {'min', 'max'}
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float
        In (0, 1).
    patience : int
        How many steps without improvement to allow before reducing the lr.
    threshold : float
        What counts as an improvement: better than best * (1 -/+ threshold) ('rel', as in
        PyTorch, which assumes a positive metric) or than best -/+ threshold ('abs').
    threshold_mode : {'rel', 'abs'}
    cooldown : int
        Steps to wait after a reduction before counting bad steps again.
    min_lr : float or list of float (one per group)
    eps : float
        Reductions smaller than this are skipped.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: expected an Optimizer, got {type(optimizer).__name__}")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = threshold, threshold_mode, cooldown, eps
        self.min_lrs = _per_group("ReduceLROnPlateau", optimizer, min_lr)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, metric, best):
        """Whether `metric` improves on `best` by more than the threshold."""
        if self.threshold_mode == "rel":
            sign = -1.0 if self.mode == "min" else 1.0
            bound = best * (1.0 + sign * self.threshold)
        else:
            bound = best - self.threshold if self.mode == "min" else best + self.threshold
        return metric < bound if self.mode == "min" else metric > bound

    def step(self, metrics):
        """Record this step's metric (e.g. the validation loss), and reduce the lr if it is time."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:  # bad steps during the cooldown don't count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    get_last_lr = LRScheduler.get_last_lr
    state_dict = LRScheduler.state_dict
    load_state_dict = LRScheduler.load_state_dict
    _unsaved = LRScheduler._unsaved
