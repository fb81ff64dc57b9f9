"""Optimizers: step by step against torch.optim; in place, in dtype; groups; a quadratic minimized."""
import numpy as np
import pytest

import descent
from descent import optim
from descent.tensor import Tensor

SHAPES = [(3, 4), (4,), (2, 3, 2), ()]
STEPS = 20


def gradient_sequence(dtype, seed=0):
    """Per step, one gradient per parameter; the third parameter has none on odd steps."""
    rng = np.random.default_rng(seed)
    return [[None if (t % 2 and i == 2) else rng.standard_normal(s).astype(dtype) for i, s in enumerate(SHAPES)]
            for t in range(STEPS)]


def initial_values(dtype, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def run_descent(name, kwargs, values, grads, groups=None):
    """Our optimizer's parameter values after each step; gradient = given noise + 0.5 * x."""
    params = [Tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(optim, name)(_grouped(params, groups), **kwargs)
    history = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else Tensor(np.asarray(g + 0.5 * p.data))
        opt.step()
        history.append([p.data.copy() for p in params])
    return history


def run_torch(name, kwargs, values, grads, groups=None):
    torch = pytest.importorskip("torch")
    params = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(torch.optim, name)(_grouped(params, groups), **kwargs)
    history = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else torch.from_numpy(g) + 0.5 * p.detach()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def _grouped(params, groups):
    """The params as given to the optimizer: a list, or two groups (the first two, the rest)."""
    if groups is None:
        return params
    return [{"params": params[:2], **groups[0]}, {"params": params[2:], **groups[1]}]


def assert_same_trajectory(ours, theirs, rtol, atol):
    for t, (mine, ref) in enumerate(zip(ours, theirs)):
        for i, (a, b) in enumerate(zip(mine, ref)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"step {t}, parameter {i}")


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01, "maximize": True}),
    ("SGD", {"lr": 0.05, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("RAdam", {"lr": 0.01}),                       # beta2 = 0.999: rho_t > 5 from step 6 on
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.9), "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"alpha": 0.9, "eps": 1e-6, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-6, "maximize": True}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=lambda c: str(c))
def test_matches_torch_float32(name, kwargs):
    values, grads = initial_values(np.float32), gradient_sequence(np.float32)
    ours = run_descent(name, kwargs, values, grads)
    theirs = run_torch(name, kwargs, values, grads)
    assert_same_trajectory(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs", CASES[1::3], ids=lambda c: str(c))
def test_matches_torch_float64(name, kwargs):
    values, grads = initial_values(np.float64), gradient_sequence(np.float64)
    ours = run_descent(name, kwargs, values, grads)
    theirs = run_torch(name, kwargs, values, grads)
    assert_same_trajectory(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, kwargs, groups", [
    ("SGD", {"lr": 0.1}, [{"momentum": 0.9}, {"lr": 0.01, "nesterov": True, "momentum": 0.5}]),
    ("Adam", {"lr": 0.01}, [{}, {"lr": 0.1, "amsgrad": True, "betas": (0.5, 0.9)}]),
    ("RMSprop", {}, [{"lr": 0.1, "centered": True}, {"momentum": 0.9}]),
    ("Adagrad", {}, [{"lr_decay": 0.1}, {"lr": 0.5, "weight_decay": 0.1}]),
])
def test_parameter_groups_with_their_own_hyperparameters(name, kwargs, groups):
    values, grads = initial_values(np.float32), gradient_sequence(np.float32)
    ours = run_descent(name, kwargs, values, grads, groups)
    theirs = run_torch(name, kwargs, values, grads, groups)
    assert_same_trajectory(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs", CASES[::2], ids=lambda c: str(c))
def test_updates_in_place_in_the_parameter_dtype(name, kwargs):
    p = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    array = p.data
    opt = getattr(optim, name)([p], **kwargs)
    for _ in range(3):
        p.grad = Tensor(np.full((3, 2), 0.5, np.float32))
        opt.step()
    assert p.data is array and array.dtype == np.float32
    assert not np.allclose(array, 1.0)
    for value in opt.state[p].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


def test_parameters_without_gradient_are_left_alone():
    p, q = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([p, q], lr=0.1)
    p.grad = Tensor(np.ones(3))
    opt.step()
    np.testing.assert_array_equal(q.data, 1.0)
    assert q not in opt.state and p in opt.state


def test_a_graph_that_saved_a_parameter_refuses_to_backward_after_the_step():
    p = Tensor(np.ones(3), requires_grad=True)
    y = (p * p).sum()  # the product saved p's values
    p.grad = Tensor(np.ones(3))
    optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_zero_grad():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = Tensor(np.ones(3))
    grad_array = p.grad.data
    opt.zero_grad(set_to_none=False)
    assert p.grad.data is grad_array and not grad_array.any()
    opt.zero_grad()
    assert p.grad is None


def test_step_calls_the_closure_with_gradients_recorded_and_returns_its_loss():
    p = Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with descent.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(p.data, [3.0 - 0.25 * 6.0])


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.1}), ("AdamW", {"lr": 0.1, "weight_decay": 0.0}), ("RAdam", {"lr": 0.1}),
    ("RMSprop", {"lr": 0.01}), ("Adagrad", {"lr": 0.5}),
])
def test_minimizes_a_quadratic(name, kwargs):
    """f(x) = 1/2 (x - c)^T A (x - c) with A positive definite: the minimum is at c."""
    rng = np.random.default_rng(0)
    B = rng.standard_normal((4, 4))
    A = Tensor(B @ B.T / 4 + np.eye(4))
    c = Tensor(rng.standard_normal(4))
    x = Tensor(np.zeros(4), requires_grad=True)
    opt = getattr(optim, name)([x], **kwargs)
    for _ in range(500):
        opt.zero_grad()
        d = x - c
        (0.5 * (d @ (A @ d))).backward()
        opt.step()
    np.testing.assert_allclose(x.data, c.data, atol=1e-2)


def test_bad_arguments_are_refused_with_a_clear_message():
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="SGD: invalid lr -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([p, p])
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([{"params": [p]}, {"params": [p]}])
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.Adam([np.ones(2)])
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(p)


def test_adagrad_accumulator_starts_at_each_groups_own_value():
    """PyTorch fills every group's accumulator with the constructor's value; descent honours the group's."""
    p, q = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adagrad([{"params": [p], "initial_accumulator_value": 3.0}, {"params": [q]}],
                        initial_accumulator_value=0.5)
    np.testing.assert_array_equal(opt.state[p]["sum"], 3.0)
    np.testing.assert_array_equal(opt.state[q]["sum"], 0.5)


def test_add_param_group_takes_the_defaults_for_what_it_does_not_set():
    p, q = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": q, "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"] == [q]


class Float32Only(np.ndarray):
    """An array that checks every ufunc it meets: no float64 operand, input or output."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        operands = inputs + (out or ())
        for a in operands:
            assert not (isinstance(a, (np.ndarray, np.generic)) and a.dtype == np.float64), \
                f"{ufunc.__name__} met a float64 operand"
        plain = [a.view(np.ndarray) if isinstance(a, Float32Only) else a for a in inputs]
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, Float32Only) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        assert result.dtype == np.float32, f"{ufunc.__name__} made {result.dtype}"
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result.view(Float32Only) if isinstance(result, np.ndarray) else result


@pytest.mark.parametrize("name, kwargs", CASES, ids=lambda c: str(c))
def test_float32_updates_make_no_float64_temporaries(name, kwargs):
    values, grads = initial_values(np.float32), gradient_sequence(np.float32)
    params = [Tensor(v, requires_grad=True) for v in values]
    for p in params:
        p.data = p.data.view(Float32Only)
    opt = getattr(optim, name)(params, **kwargs)
    for step_grads in grads[:8]:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else Tensor(g.copy())
            if g is not None:
                p.grad.data = p.grad.data.view(Float32Only)
        opt.step()
    assert all(type(p.data) is Float32Only for p in params)
