"""Learning-rate schedules: the lr (and momentum) sequences of torch.optim.lr_scheduler, step by step."""
import json
import math

import numpy as np
import pytest

from descent import optim
from descent.optim import lr_scheduler
from descent.tensor import Tensor

STEPS = 30
LRS = (0.1, 0.02)  # two parameter groups with their own lr


def descent_optimizer(name="SGD", **kwargs):
    params = [Tensor(np.zeros(2), requires_grad=True) for _ in LRS]
    return getattr(optim, name)([{"params": [p], "lr": lr} for p, lr in zip(params, LRS)], **kwargs)


def torch_optimizer(name="SGD", **kwargs):
    torch = pytest.importorskip("torch")
    params = [torch.zeros(2, requires_grad=True) for _ in LRS]
    return getattr(torch.optim, name)([{"params": [p], "lr": lr} for p, lr in zip(params, LRS)], **kwargs)


def trajectory(scheduler, optimizer, steps=STEPS, metrics=None):
    """Per step: (lrs from get_last_lr, momenta of the groups); optimizer.step() before each scheduler.step()."""
    record = []
    for t in range(steps):
        momenta = [g["betas"][0] if "betas" in g else g.get("momentum") for g in optimizer.param_groups]
        record.append((list(scheduler.get_last_lr()), momenta))
        optimizer.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[t])
    return record


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for t, ((lr, mom), (ref_lr, ref_mom)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(lr, ref_lr, rtol=1e-9, atol=1e-15, err_msg=f"lr at step {t}")
        np.testing.assert_allclose(np.array(mom, float), np.array(ref_mom, float), rtol=1e-9,
                                   err_msg=f"momentum at step {t}")


CASES = [
    ("StepLR", {"step_size": 7}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),                  # past T_max it climbs back, as in PyTorch
    ("CosineAnnealingLR", {"T_max": 25, "eta_min": 1e-3}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 12}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 20}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=lambda c: str(c))
def test_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = descent_optimizer(momentum=0.9), torch_optimizer(momentum=0.9)
    ours = trajectory(getattr(lr_scheduler, name)(ours_opt, **kwargs), ours_opt)
    theirs = trajectory(getattr(torch.optim.lr_scheduler, name)(ref_opt, **kwargs), ref_opt)
    assert_same(ours, theirs)


def test_lambda_lr_matches_torch_with_one_function_per_group():
    torch = pytest.importorskip("torch")
    lambdas = [lambda t: 0.95 ** t, lambda t: 1.0 / (1 + t)]
    ours_opt, ref_opt = descent_optimizer(), torch_optimizer()
    ours = trajectory(lr_scheduler.LambdaLR(ours_opt, lambdas), ours_opt)
    theirs = trajectory(torch.optim.lr_scheduler.LambdaLR(ref_opt, lambdas), ref_opt)
    assert_same(ours, theirs)


@pytest.mark.parametrize("warmup, total, min_lr", [(5, 25, 0.0), (5, 25, 1e-3), (0, 20, 0.0), (10, 10, 0.0)])
def test_cosine_warmup_is_the_transformers_schedule(warmup, total, min_lr):
    """Against LambdaLR with the formula of transformers' get_cosine_schedule_with_warmup (plus the floor)."""
    torch = pytest.importorskip("torch")

    def factor(base_lr):
        def f(t):
            if t < warmup:
                return t / max(1, warmup)
            progress = min(1.0, (t - warmup) / max(1, total - warmup))
            cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
            return (min_lr + (base_lr - min_lr) * cosine) / base_lr
        return f

    ours_opt, ref_opt = descent_optimizer(), torch_optimizer()
    ours = trajectory(lr_scheduler.CosineWarmup(ours_opt, warmup, total, min_lr=min_lr), ours_opt)
    theirs = trajectory(torch.optim.lr_scheduler.LambdaLR(ref_opt, [factor(lr) for lr in LRS]), ref_opt)
    assert_same(ours, theirs)


@pytest.mark.parametrize("optimizer, kwargs", [
    ("SGD", {"max_lr": 1.0, "total_steps": STEPS}),
    ("SGD", {"max_lr": [1.0, 0.5], "epochs": 3, "steps_per_epoch": 10, "anneal_strategy": "linear"}),
    ("SGD", {"max_lr": 1.0, "total_steps": STEPS, "three_phase": True, "pct_start": 0.25}),
    ("Adam", {"max_lr": 0.01, "total_steps": STEPS, "div_factor": 10.0, "final_div_factor": 100.0}),
    ("Adam", {"max_lr": 0.01, "total_steps": STEPS, "cycle_momentum": False, "three_phase": True}),
    ("SGD", {"max_lr": 1.0, "total_steps": STEPS, "base_momentum": [0.8, 0.7], "max_momentum": 0.9}),
])
def test_one_cycle_matches_torch_in_lr_and_momentum(optimizer, kwargs):
    torch = pytest.importorskip("torch")
    extra = {"momentum": 0.9} if optimizer == "SGD" else {}
    ours_opt, ref_opt = descent_optimizer(optimizer, **extra), torch_optimizer(optimizer, **extra)
    # total_steps + 1 lrs are defined: step STEPS - 1 is the last one used for an update
    ours = trajectory(lr_scheduler.OneCycleLR(ours_opt, **kwargs), ours_opt, steps=STEPS)
    theirs = trajectory(torch.optim.lr_scheduler.OneCycleLR(ref_opt, **kwargs), ref_opt, steps=STEPS)
    assert_same(ours, theirs)


def test_one_cycle_refuses_to_step_past_its_end():
    opt = descent_optimizer(momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="total_steps=3"):
        scheduler.step()


def test_one_cycle_needs_a_momentum_to_cycle():
    with pytest.raises(ValueError, match="momentum"):
        lr_scheduler.OneCycleLR(descent_optimizer("Adagrad"), max_lr=1.0, total_steps=10)


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.95, 0.91, 0.85, 0.85, 0.8501, 0.86, 0.9, 0.9, 0.7, 0.7, 0.7,
                   0.69999, 0.7, 0.71, 0.72, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]


@pytest.mark.parametrize("kwargs, sign", [
    ({"patience": 2}, 1),
    ({"patience": 1, "threshold": 0.0}, 1),  # an equal metric is no improvement
    ({"patience": 1, "factor": 0.5, "cooldown": 2}, 1),
    ({"patience": 0, "factor": 0.5, "min_lr": [0.01, 0.001]}, 1),
    ({"mode": "max", "patience": 2, "threshold": 0.05, "threshold_mode": "abs"}, -1),
    ({"mode": "max", "patience": 1, "threshold": 0.01}, -1),
    ({"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "eps": 0.02}, 1),
])
def test_reduce_on_plateau_matches_torch(kwargs, sign):
    torch = pytest.importorskip("torch")
    metrics = [sign * m for m in PLATEAU_METRICS]
    ours_opt, ref_opt = descent_optimizer(momentum=0.9), torch_optimizer(momentum=0.9)
    ours = trajectory(lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs), ours_opt, metrics=metrics)
    theirs = trajectory(torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, **kwargs), ref_opt, metrics=metrics)
    assert_same(ours, theirs)
    assert ours[-1][0] != ours[0][0]  # the case does reduce


@pytest.mark.parametrize("make", [
    lambda opt: lr_scheduler.CosineWarmup(opt, 5, 25, min_lr=1e-3),
    lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=STEPS),
    lambda opt: lr_scheduler.MultiStepLR(opt, [3, 8, 15]),
    lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=1),
])
def test_resuming_from_state_dicts_continues_the_schedule(make):
    metrics = PLATEAU_METRICS
    plateau = "Plateau" in type(make(descent_optimizer(momentum=0.9))).__name__
    opt = descent_optimizer(momentum=0.9)
    scheduler = make(opt)
    first = trajectory(scheduler, opt, steps=10, metrics=metrics[:10] if plateau else None)
    saved_opt, saved_scheduler = opt.state_dict(), json.loads(json.dumps(scheduler.state_dict()))  # plain data
    rest = trajectory(scheduler, opt, steps=10, metrics=metrics[10:20] if plateau else None)

    fresh_opt = descent_optimizer(momentum=0.9)
    fresh = make(fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved_scheduler)
    assert fresh.last_epoch == 10
    resumed = trajectory(fresh, fresh_opt, steps=10, metrics=metrics[10:20] if plateau else None)
    assert resumed == rest
    assert first != rest


def test_scheduler_state_dict_leaves_out_the_optimizer_and_functions():
    opt = descent_optimizer()
    state = lr_scheduler.LambdaLR(opt, lambda t: 0.5 ** t).state_dict()
    assert "optimizer" not in state and "lr_lambdas" not in state
    assert state["last_epoch"] == 0 and state["base_lrs"] == list(LRS)


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="expected an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
