"""Convolution and pooling: finite differences, PyTorch as the reference, shapes, errors."""
import numpy as np
import pytest

from descent.ops import conv
from descent.ops.conv import (adaptive_avg_pool2d, avg_pool1d, avg_pool2d, conv1d, conv2d, conv_transpose2d,
                              max_pool1d, max_pool2d)
from descent.tensor import Tensor
from descent.testing import gradcheck, gradgradcheck


@pytest.fixture(params=["batched products", "one product"], autouse=True)
def matrix_layout(request, monkeypatch):
    """Every test runs with both layouts of the convolution's matrix products (see conv.py)."""
    threshold = 0 if request.param == "one product" else 10 ** 9
    monkeypatch.setattr(conv, "ONE_PRODUCT_MIN_WEIGHTS", threshold)

rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


def transposed(*shape):
    """A non-contiguous array of `shape`: the transpose of a contiguous one."""
    return randn(*shape[::-1]).T


def strided(*shape):
    """A non-contiguous array of `shape`: every other column of a wider one."""
    return randn(*shape[:-1], 2 * shape[-1])[..., ::2]


def torch_grads(torch_fn, arrays, g):
    """PyTorch's output and gradients of <torch_fn(*arrays), g>."""
    torch = pytest.importorskip("torch")
    ts = [None if a is None else torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in arrays]
    out = torch_fn(*ts)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), [None if t is None else t.grad.numpy() for t in ts]


def our_grads(fn, arrays, g):
    ts = [None if a is None else Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    (out * Tensor(g)).sum().backward()
    return out.data, [None if t is None else t.grad.data for t in ts]


def assert_matches_torch(fn, torch_fn, *arrays):
    ours = fn(*[None if a is None else a for a in arrays])
    g = rng.standard_normal(ours.shape)
    out, grads = our_grads(fn, arrays, g)
    ref_out, ref_grads = torch_grads(torch_fn, arrays, g)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-10)
    for mine, ref in zip(grads, ref_grads):
        if ref is not None:
            np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-10)


# --- conv2d -----------------------------------------------------------------------------
CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1, bias=False),
    dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    dict(padding="same", dilation=2),
    dict(padding="same", kernel=(2, 3)),  # even kernel: asymmetric padding
    dict(padding="valid", groups=2),
    dict(stride=2, padding=1, groups=4, bias=False),  # depthwise
]


def conv2d_case(case):
    case = dict(case)
    kernel, bias, groups = case.pop("kernel", (3, 2)), case.pop("bias", True), case.get("groups", 1)
    x = transposed(6, 5, 4, 2).transpose(3, 2, 1, 0).transpose(0, 1, 3, 2)  # (2, 4, 6, 5), non-contiguous
    w = strided(4, 4 // groups, *kernel)
    b = randn(4) if bias else None
    return x, w, b, case


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_gradient_matches_finite_differences(case):
    x, w, b, params = conv2d_case(case)
    if b is None:
        assert gradcheck(lambda x, w: conv2d(x, w, **params), x, w)
    else:
        assert gradcheck(lambda x, w, b: conv2d(x, w, b, **params), x, w, b)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own speed
@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_matches_torch(case):
    F = pytest.importorskip("torch.nn.functional")
    x, w, b, params = conv2d_case(case)
    assert_matches_torch(lambda x, w, b: conv2d(x, w, b, **params),
                         lambda x, w, b: F.conv2d(x, w, b, **params), x, w, b)


@pytest.mark.parametrize("params", [dict(stride=2, padding=1), dict(dilation=2, groups=2)])
def test_conv2d_second_derivatives(params):
    x, w = randn(1, 2, 5, 4), randn(2, 2 // params.get("groups", 1), 2, 2)
    assert gradgradcheck(lambda x, w: conv2d(x, w, **params), x, w)


def test_conv2d_companions_are_adjoint():
    # <conv2d(x, w), g> = <x, input_grad(g, w)> = <w, weight_grad(x, g)>
    params = dict(stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2)
    x, w = randn(3, 4, 7, 6), randn(6, 2, 3, 2)
    y = conv.conv2d_op(x, w, **params)
    g = randn(*y.shape)
    inner = np.sum(y * g)
    np.testing.assert_allclose(np.sum(x * conv.conv2d_input_grad(g, w, x_shape=x.shape, **params)), inner)
    np.testing.assert_allclose(np.sum(w * conv.conv2d_weight_grad(x, g, w_shape=w.shape, **params)), inner)


@pytest.mark.parametrize("op", [conv.conv2d_input_grad, conv.conv2d_weight_grad])
def test_conv2d_companions_have_second_derivatives(op):
    params = dict(stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 1), groups=1)
    x, w = randn(1, 2, 4, 3), randn(2, 2, 2, 2)
    g = randn(*conv.conv2d_op(x, w, **params).shape)
    if op is conv.conv2d_input_grad:
        assert gradgradcheck(lambda g, w: op(g, w, x_shape=x.shape, **params), g, w)
    else:
        assert gradgradcheck(lambda x, g: op(x, g, w_shape=w.shape, **params), x, g)


@pytest.mark.parametrize("h, k, stride, padding, dilation", [
    (28, 5, 1, 0, 1), (28, 5, 1, 2, 1), (7, 3, 2, 1, 1), (8, 3, 3, 0, 2), (5, 1, 1, 0, 1), (9, 4, 2, 1, 1)])
def test_conv2d_output_shape_follows_the_convolution_arithmetic(h, k, stride, padding, dilation):
    y = conv2d(np.zeros((2, 3, h, h + 1)), np.zeros((5, 3, k, k)), stride=stride, padding=padding,
               dilation=dilation)
    out = lambda n: (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1  # noqa: E731
    assert y.shape == (2, 5, out(h), out(h + 1))


def test_conv2d_keeps_float32():
    x, w, b = (Tensor(a.astype(np.float32), requires_grad=True) for a in (randn(2, 3, 6, 6), randn(4, 3, 3, 3),
                                                                            randn(4)))
    y = conv2d(x, w, b, padding=1)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_conv2d_on_plain_arrays_returns_an_array():
    assert isinstance(conv2d(randn(1, 1, 4, 4), randn(1, 1, 2, 2)), np.ndarray)


@pytest.mark.parametrize("x_shape, w_shape, kwargs, message", [
    ((2, 3, 8, 8), (5, 4, 3, 3), {}, r"conv2d: input has 3 channels but weight expects 4 \(groups=1\)"),
    ((2, 4, 8, 8), (6, 1, 3, 3), dict(groups=2), r"conv2d: input has 4 channels but weight expects 2"),
    ((2, 4, 8, 8), (5, 2, 3, 3), dict(groups=2), r"conv2d: .*divisible by groups=2"),
    ((3, 8, 8), (5, 3, 3, 3), {}, r"conv2d: input must have shape \(N, C_in, H, W\), got \(3, 8, 8\)"),
    ((2, 3, 8, 8), (5, 3, 3), {}, r"conv2d: weight must have 4 axes"),
    ((2, 3, 4, 4), (5, 3, 5, 5), {}, r"conv2d: the kernel spans \(5, 5\).*padded input \(4, 4\)"),
    ((2, 3, 8, 8), (5, 3, 3, 3), dict(padding="same", stride=2), r"conv2d: padding='same' needs stride 1"),
    ((2, 3, 8, 8), (5, 3, 3, 3), dict(padding="full"), r"conv2d: padding must be"),
    ((2, 3, 8, 8), (5, 3, 3, 3), dict(stride=0), r"conv2d: stride must be positive"),
])
def test_conv2d_bad_shapes_are_named(x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv2d(np.zeros(x_shape), np.zeros(w_shape), **kwargs)


def test_conv2d_bad_bias_is_named():
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(5,\), got \(4,\)"):
        conv2d(np.zeros((1, 3, 4, 4)), np.zeros((5, 3, 3, 3)), np.zeros(4))


# --- conv1d -----------------------------------------------------------------------------
CONV1D_CASES = [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2), dict(groups=2, bias=False)]


@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_gradient_and_torch(case):
    F = pytest.importorskip("torch.nn.functional")
    params = dict(case)
    bias, groups = params.pop("bias", True), params.get("groups", 1)
    x, w = transposed(2, 4, 7), randn(6, 4 // groups, 3)
    b = randn(6) if bias else None
    fn = lambda x, w, b: conv1d(x, w, b, **params)  # noqa: E731
    assert gradcheck(fn, x, w, b) if bias else gradcheck(lambda x, w: fn(x, w, None), x, w)
    assert_matches_torch(fn, lambda x, w, b: F.conv1d(x, w, b, **params), x, w, b)


def test_conv1d_second_derivatives():
    assert gradgradcheck(lambda x, w: conv1d(x, w, stride=2, padding=1), randn(1, 2, 6), randn(2, 2, 3))


def test_conv1d_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"conv1d: input has 3 channels but weight expects 2"):
        conv1d(np.zeros((1, 3, 8)), np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match=r"conv1d: input must have shape \(N, C_in, L\)"):
        conv1d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3)))


# --- conv_transpose2d -------------------------------------------------------------------------
TRANSPOSE_CASES = [
    dict(),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), dilation=2, output_padding=(1, 2), bias=False),
    dict(padding=(1, 0), groups=2),
]


def transpose_case(case):
    params = dict(case)
    bias, groups = params.pop("bias", True), params.get("groups", 1)
    x, w = transposed(2, 4, 4, 3), strided(4, 6 // groups, 3, 2)  # x (2, 4, 4, 3)
    return x, w, (randn(6) if bias else None), params


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_gradient_and_torch(case):
    F = pytest.importorskip("torch.nn.functional")
    x, w, b, params = transpose_case(case)
    fn = lambda x, w, b: conv_transpose2d(x, w, b, **params)  # noqa: E731
    assert gradcheck(fn, x, w, b) if b is not None else gradcheck(lambda x, w: fn(x, w, None), x, w)
    assert_matches_torch(fn, lambda x, w, b: F.conv_transpose2d(x, w, b, **params), x, w, b)


def test_conv_transpose2d_second_derivatives():
    fn = lambda x, w: conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)  # noqa: E731
    assert gradgradcheck(fn, randn(1, 2, 3, 2), randn(2, 2, 2, 2))


@pytest.mark.parametrize("h, k, stride, padding, output_padding, dilation", [
    (4, 3, 1, 0, 0, 1), (4, 3, 2, 1, 1, 1), (5, 2, 3, 0, 2, 2), (7, 4, 2, 1, 0, 1)])
def test_conv_transpose2d_output_shape(h, k, stride, padding, output_padding, dilation):
    y = conv_transpose2d(np.zeros((2, 3, h, h)), np.zeros((3, 5, k, k)), stride=stride, padding=padding,
                         output_padding=output_padding, dilation=dilation)
    size = (h - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    assert y.shape == (2, 5, size, size)


def test_conv_transpose2d_inverts_the_shape_of_a_strided_conv2d():
    x = np.zeros((1, 3, 9, 10))
    y = conv2d(x, np.zeros((4, 3, 3, 3)), stride=2, padding=1)
    back = conv_transpose2d(y, np.zeros((4, 3, 3, 3)), stride=2, padding=1, output_padding=(0, 1))
    assert back.shape == x.shape


def test_conv_transpose2d_bad_input_is_named():
    with pytest.raises(ValueError, match=r"conv_transpose2d: input has 3 channels but weight expects 4"):
        conv_transpose2d(np.zeros((1, 3, 4, 4)), np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"conv_transpose2d: output_padding \(2, 2\) must be .* smaller"):
        conv_transpose2d(np.zeros((1, 4, 4, 4)), np.zeros((4, 2, 3, 3)), stride=2, output_padding=2)


# --- pooling ----------------------------------------------------------------------------
MAX_POOL_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                  dict(kernel_size=(2, 3), stride=(1, 2)), dict(kernel_size=2, stride=1, dilation=2)]


@pytest.mark.parametrize("params", MAX_POOL_CASES)
def test_max_pool2d_gradient_and_torch(params):
    F = pytest.importorskip("torch.nn.functional")
    x = transposed(2, 3, 6, 7)  # (2, 3, 6, 7); distinct values, so no ties near the finite steps
    assert gradcheck(lambda x: max_pool2d(x, **params), x)
    assert_matches_torch(lambda x: max_pool2d(x, **params), lambda x: F.max_pool2d(x, **params), x)


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum_as_torch():
    F = pytest.importorskip("torch.nn.functional")
    x = rng.integers(0, 3, size=(2, 2, 6, 6)).astype(np.float64)  # many ties
    for params in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        assert_matches_torch(lambda x: max_pool2d(x, **params), lambda x: F.max_pool2d(x, **params), x)


def test_max_pool2d_second_derivatives():
    # The gradient is piecewise constant in x: its own derivative is the routing applied twice.
    x = randn(1, 2, 4, 5)
    assert gradgradcheck(lambda x: max_pool2d(x, 2, stride=1) ** 2, x)
    assert gradgradcheck(lambda x: max_pool2d(x * x, 3, stride=2, padding=1), x)


AVG_POOL_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                  dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                  dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))]


@pytest.mark.parametrize("params", AVG_POOL_CASES)
def test_avg_pool2d_gradient_and_torch(params):
    F = pytest.importorskip("torch.nn.functional")
    x = strided(2, 3, 6, 7)
    assert gradcheck(lambda x: avg_pool2d(x, **params), x)
    assert_matches_torch(lambda x: avg_pool2d(x, **params), lambda x: F.avg_pool2d(x, **params), x)


def test_avg_pool2d_second_derivatives():
    assert gradgradcheck(lambda x: avg_pool2d(x * x, 3, stride=2, padding=1, count_include_pad=False),
                         randn(1, 2, 5, 4))


@pytest.mark.parametrize("pool, name", [(max_pool1d, "max_pool1d"), (avg_pool1d, "avg_pool1d")])
@pytest.mark.parametrize("params", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_pool1d_gradient_and_torch(pool, name, params):
    F = pytest.importorskip("torch.nn.functional")
    x = transposed(2, 3, 9)
    assert gradcheck(lambda x: pool(x, **params), x)
    assert_matches_torch(lambda x: pool(x, **params), lambda x: getattr(F, name)(x, **params), x)


@pytest.mark.parametrize("size", [(3, 4), 2, (7, None), (1, 1)])
def test_adaptive_avg_pool2d_gradient_and_torch(size):
    F = pytest.importorskip("torch.nn.functional")
    x = transposed(2, 3, 6, 7)  # (2, 3, 6, 7): 6 -> 3 divides evenly, 7 -> 4 overlaps
    assert gradcheck(lambda x: adaptive_avg_pool2d(x, size), x)
    assert_matches_torch(lambda x: adaptive_avg_pool2d(x, size), lambda x: F.adaptive_avg_pool2d(x, size), x)


def test_adaptive_avg_pool2d_second_derivatives():
    assert gradgradcheck(lambda x: adaptive_avg_pool2d(x * x, (2, 3)), randn(1, 1, 5, 4))


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
@pytest.mark.parametrize("h, k, stride, padding", [(28, 2, 2, 0), (7, 3, 2, 1), (6, 3, 1, 1), (5, 5, 5, 2)])
def test_pool_output_shape(pool, h, k, stride, padding):
    y = pool(np.zeros((2, 3, h, h + 2)), k, stride, padding)
    out = lambda n: (n + 2 * padding - k) // stride + 1  # noqa: E731
    assert y.shape == (2, 3, out(h), out(h + 2))


def test_pool_bad_input_is_named():
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(2, 2\) must be between 0 and half"):
        max_pool2d(np.zeros((1, 1, 8, 8)), 3, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: input must have shape \(N, C, H, W\), got \(8, 8\)"):
        avg_pool2d(np.zeros((8, 8)), 2)
    with pytest.raises(ValueError, match=r"max_pool2d: the kernel spans \(5, 5\)"):
        max_pool2d(np.zeros((1, 1, 4, 4)), 5)
    with pytest.raises(ValueError, match=r"max_pool1d: input must have shape \(N, C, L\)"):
        max_pool1d(np.zeros((1, 1, 4, 4)), 2)


def test_pools_keep_float32():
    x = Tensor(randn(2, 3, 6, 6).astype(np.float32), requires_grad=True)
    for y in (max_pool2d(x, 2), avg_pool2d(x, 3, 1, 1, count_include_pad=False), adaptive_avg_pool2d(x, 4)):
        y.sum().backward()
        assert y.dtype == x.grad.dtype == np.float32


# The primitives behind the functions above, each checked here through its public function
# (the scatter, gather and spread ones through the second-derivative tests).
PRIMITIVES = ["conv2d", "conv2d_input_grad", "conv2d_weight_grad", "max_pool2d", "max_pool2d_scatter",
              "max_pool2d_gather", "window_sum", "window_spread"]


def test_primitives_are_registered():
    from descent.ops.primitive import REGISTRY
    assert set(PRIMITIVES) <= set(REGISTRY)


@pytest.mark.parametrize("shape, kernel", [((3, 4, 8, 8), 2), ((2, 3, 7, 9), 2), ((2, 3, 9, 9), 3)])
def test_max_pool_gradient_on_disjoint_windows_goes_to_the_first_maximum(shape, kernel):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float64)  # many ties, as after a ReLU
    g = rng.standard_normal((shape[0], shape[1], shape[2] // kernel, shape[3] // kernel))
    t = Tensor(x, requires_grad=True)
    (max_pool2d(t, kernel) * Tensor(g)).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.max_pool2d(tx, kernel) * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(t.grad.data, tx.grad.numpy())
