"""Gradient clipping against torch.nn.utils: the returned norm and the clipped gradients."""
import math

import numpy as np
import pytest

from descent import optim
from descent.tensor import Tensor

SHAPES = [(3, 4), (5,), (), (2, 2, 2)]


def gradients(dtype=np.float32, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return [None if i == 1 else (scale * rng.standard_normal(s)).astype(dtype) for i, s in enumerate(SHAPES)]


def with_grads(grads):
    params = [Tensor(np.zeros(s, np.float32), requires_grad=True) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad = None if g is None else Tensor(np.array(g))
    return params


def torch_with_grads(grads):
    torch = pytest.importorskip("torch")
    params = [torch.zeros(s, requires_grad=True) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad = None if g is None else torch.tensor(np.array(g))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])  # clipped, and left alone
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    grads = gradients()
    ours, theirs = with_grads(grads), torch_with_grads(grads)
    total = optim.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(float(total), ref_total.item(), rtol=1e-6)
    for p, q in zip(ours, theirs):
        if p.grad is None:
            assert q.grad is None
        else:
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-6, atol=1e-7)
            assert p.grad.data.dtype == np.float32


def test_clip_grad_norm_takes_a_single_tensor_and_returns_the_norm_before_clipping():
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = Tensor(np.array([3.0, 4.0]))
    assert float(optim.clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, np.array([3.0, 4.0]) / (5.0 + 1e-6))


def test_clip_grad_norm_without_gradients_is_zero():
    assert float(optim.clip_grad_norm_([Tensor(np.zeros(2), requires_grad=True)], 1.0)) == 0.0


def test_nonfinite_norm_raises_when_asked():
    grads = gradients()
    grads[0][0, 0] = np.inf
    with pytest.raises(RuntimeError, match="inf"):
        optim.clip_grad_norm_(with_grads(grads), 1.0, error_if_nonfinite=True)
    grads[0][0, 0] = np.nan
    assert math.isnan(float(optim.clip_grad_norm_(with_grads(grads), 1.0)))


def test_bad_norm_type_is_refused():
    with pytest.raises(ValueError, match="norm_type"):
        optim.clip_grad_norm_(with_grads(gradients()), 1.0, norm_type=-1)


@pytest.mark.parametrize("clip_value", [0.3, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    torch = pytest.importorskip("torch")
    grads = gradients(scale=2.0)
    ours, theirs = with_grads(grads), torch_with_grads(grads)
    arrays = [p.grad.data for p in ours if p.grad is not None]
    optim.clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours, theirs):
        if p.grad is not None:
            np.testing.assert_array_equal(p.grad.data, q.grad.numpy())
    assert all(a is p.grad.data for a, p in zip(arrays, [p for p in ours if p.grad is not None]))  # in place
