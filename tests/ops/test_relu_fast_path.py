"""relu and relu_grad on large arrays take a fast path (pieces, threads, no bool-times-float);
it must give exactly what the plain NumPy expressions give."""
import numpy as np
import pytest

import descent as d
from descent import backend
from descent.ops import elementwise

# The inputs hold ±inf, and inf * 0 in the gradient warns, in the plain expressions as in ours.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request, monkeypatch):
    monkeypatch.setattr(backend, "_num_threads", request.param)


def large(dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal((300, 1001)).astype(dtype)  # several pieces, a ragged last one
    x[0, :5] = [np.nan, -0.0, 0.0, np.inf, -np.inf]
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_on_large_arrays_equals_maximum_with_zero(threads, dtype):
    x = large(dtype)
    assert x.size > 4 * elementwise._PIECE
    y = d.ops.relu(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, np.maximum(x, 0))  # NaN stays NaN, -0.0 gives 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_grad_on_large_arrays_equals_the_masked_gradient(threads, dtype):
    ans, g = np.maximum(large(dtype), 0), large(dtype, seed=1)
    np.testing.assert_array_equal(d.ops.relu_grad(g, ans), g * (ans > 0))


def test_relu_backward_through_the_fast_path():
    x = d.Tensor(large(np.float32), requires_grad=True)
    d.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, (x.data > 0).astype(np.float32))


def test_non_contiguous_and_mixed_inputs_take_the_plain_path():
    x = large(np.float32)[:, ::2]
    np.testing.assert_array_equal(d.ops.relu(x), np.maximum(x, 0))
    g = large(np.float64, seed=1)[:, ::2]
    np.testing.assert_array_equal(d.ops.relu_grad(g, np.maximum(x, 0)), g * (x > 0))
