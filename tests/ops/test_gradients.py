"""Every differentiable op: its gradient against float64 finite differences, its
second derivative, and its values and gradients against PyTorch's."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import descent as d
from descent.testing import GradcheckError, gradcheck, gradgradcheck

from .cases import CASES

# Ops whose checks live in other test files: the convolution and linear-algebra tables,
# and the recurrent layers' fused sequence ops.
CHECKED_IN_OTHER_FILES = ["test_conv.py", "test_linalg.py", "../nn/test_recurrent.py"]


def ids(cases):
    return [c.name for c in cases]


def non_contiguous(x):
    """The same values in a strided view: transposed storage, or every other element."""
    if x.ndim >= 2 and min(x.shape[:2]) > 1:
        return np.ascontiguousarray(x.swapaxes(0, 1)).swapaxes(0, 1)
    spaced = np.zeros(2 * x.size).reshape(-1)
    spaced[::2] = x.reshape(-1)
    return spaced[::2].reshape(x.shape)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient_matches_finite_differences(case):
    assert gradcheck(case.f, *case.inputs(), eps=case.eps)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient_on_non_contiguous_inputs(case):
    inputs = [non_contiguous(x) for x in case.inputs(seed=1)]
    assert any(not x.flags.c_contiguous for x in inputs)
    assert gradcheck(case.f, *inputs, eps=case.eps)


SECOND_ORDER = [c for c in CASES if c.second_order]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=ids(SECOND_ORDER))
def test_second_derivative_matches_finite_differences(case):
    assert gradgradcheck(case.f, *case.inputs(seed=2), eps=case.eps)


@pytest.mark.parametrize("case", [c for c in CASES if c.torch], ids=ids([c for c in CASES if c.torch]))
def test_values_and_gradients_match_pytorch(case):
    torch = pytest.importorskip("torch")
    inputs = case.inputs(seed=3)
    ours = [d.Tensor(x, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    out, expected = case.f(*ours), case.torch(torch, *theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-7)
    v = np.random.default_rng(4).standard_normal(out.shape)
    (out * d.Tensor(v)).sum().backward()
    (expected * torch.tensor(v)).sum().backward()
    for a, b in zip(ours, theirs):
        if b.grad is None:  # no differentiable path from this input (relu_grad's mask): none here either
            assert a.grad is None
            continue
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_every_registered_op_has_a_gradient_check():
    import pathlib
    here = pathlib.Path(__file__).parent
    import descent.nn  # noqa: F401  (registers the layers' own ops too)
    covered = {c.op for c in CASES}
    for filename in CHECKED_IN_OTHER_FILES:
        text = (here / filename).read_text()
        covered |= {name for name in d._REGISTRY if f'"{name}"' in text or f"'{name}'" in text
                    or f"d.{name}(" in text or f"descent.{name}(" in text or f"ops.{name}(" in text}
    missing = sorted(set(d._REGISTRY) - covered)
    assert not missing, f"ops without a gradient check: {missing}"


BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / (y * y + 1), "maximum": d.maximum, "minimum": d.minimum,
          "pow": lambda x, y: (x * x + 1) ** y, "where": lambda x, y: d.where(x > y, x, y * y)}


@settings(max_examples=40, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_broadcasting_sums_each_gradient_back_to_its_input_shape(shapes, op, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.uniform(-2, 2, s) for s in shapes.input_shapes)
    assert gradcheck(BINARY[op], x, y)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 2**16),
       data=st.data())
def test_reductions_over_any_axes(shape, seed, data):
    x = np.random.default_rng(seed).uniform(-2, 2, shape)
    axes = data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))
    keepdims = data.draw(st.booleans())
    axis = tuple(sorted(axes))
    for f in (d.sum, d.mean, d.max, d.logsumexp):
        assert gradcheck(lambda t: f(t, axis=axis, keepdims=keepdims), x)


def test_gradcheck_catches_a_wrong_rule():
    wrong = d.primitive(np.sin, lambda g, ans, x: g * np.sin(x), name="wrong_sin")
    d._REGISTRY.pop("wrong_sin")
    with pytest.raises(GradcheckError, match=r"input 0 .* at index"):
        gradcheck(wrong, np.linspace(0.1, 1, 5))
    assert gradcheck(wrong, np.linspace(0.1, 1, 5), raise_exception=False) is False


def test_ties_share_the_gradient_of_max_equally():
    x = d.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0.5, 0.5, 0])


def test_maximum_splits_the_gradient_at_equality():
    x, y = d.tensor([1.0, 2.0], requires_grad=True), d.tensor([1.0, 1.0], requires_grad=True)
    d.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 1.0])
    np.testing.assert_array_equal(y.grad.data, [0.5, 0.0])


def test_prod_with_zeros_has_the_product_of_the_others_as_gradient():
    x = d.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]], requires_grad=True)
    x.prod(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])


def test_repeated_indices_add_up_their_gradients():
    x = d.zeros(3, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 0, 1])
