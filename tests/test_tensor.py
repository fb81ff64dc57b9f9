"""Tensor as a value: construction, dtypes, shapes, conversion, creation functions, errors."""
import numpy as np
import pytest

import descent as d


def test_floats_default_to_float32_and_other_kinds_keep_theirs():
    assert d.tensor([1.0, 2.0]).dtype == np.float32
    assert d.tensor([1, 2]).dtype == np.int64
    assert d.tensor([True]).dtype == np.bool_
    assert d.tensor(np.zeros(2)).dtype == np.float64  # an ndarray keeps its dtype
    assert d.tensor([1.0], dtype=np.float64).dtype == np.float64


def test_default_dtype_can_be_float64():
    d.set_default_dtype(np.float64)
    try:
        assert d.tensor([1.0]).dtype == np.float64
        assert d.randn(2).dtype == np.float64
    finally:
        d.set_default_dtype(np.float32)


def test_properties_and_conversions():
    t = d.arange(6).reshape(2, 3)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.numpy() is t.data
    assert t.sum().item() == 15 and isinstance(t.sum().item(), int)
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="6 values"):
        t.item()


def test_repr_is_readable():
    assert repr(d.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(d.ones(2, requires_grad=True))
    assert "grad_fn=<mul>" in repr(d.ones(2, requires_grad=True) * 2)
    assert "dtype=float64" in repr(d.tensor(np.zeros(1)))


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3, dtype=np.float32)
    d.tensor(a).data[0] = 1
    assert a[0] == 0
    d.from_numpy(a).data[0] = 1
    assert a[0] == 1


def test_operators_follow_numpy_broadcasting_and_pytorch_names():
    x = d.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal((x + d.tensor([1.0, 2.0, 3.0])).data, x.data + [1, 2, 3])
    np.testing.assert_array_equal((1 - x).data, 1 - x.data)
    np.testing.assert_array_equal((2 ** x).data, 2 ** x.data)
    np.testing.assert_array_equal(x.transpose(0, 1).data, x.data.T)
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).data, x.data.sum(1, keepdims=True))
    np.testing.assert_array_equal(x.repeat(2, 1).data, np.tile(x.data, (2, 1)))
    np.testing.assert_array_equal((x > 2).data, x.data > 2)
    assert (x @ x.T).shape == (2, 2)


def test_creation_functions():
    assert d.zeros(2, 3).shape == (2, 3) and d.ones((4,)).data.sum() == 4
    assert d.full((2,), 7).dtype == np.int64
    np.testing.assert_array_equal(d.eye(2).data, np.eye(2))
    np.testing.assert_allclose(d.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    assert d.arange(0, 1, 0.25).dtype == np.float32
    assert d.zeros_like(d.ones(2, dtype=np.float64)).dtype == np.float64
    assert d.randint(0, 5, (100,)).data.max() < 5


def test_the_same_seed_gives_the_same_numbers():
    d.manual_seed(7)
    a = d.randn(5)
    d.manual_seed(7)
    np.testing.assert_array_equal(a.data, d.randn(5).data)
    g1, g2 = d.Generator(3), d.Generator(3)
    np.testing.assert_array_equal(d.rand(4, generator=g1).data, d.rand(4, generator=g2).data)


def test_generator_state_round_trips():
    g = d.Generator(1)
    d.rand(3, generator=g)
    state = g.get_state()
    a = d.rand(3, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(a.data, d.rand(3, generator=g).data)


@pytest.mark.parametrize("fn, message", [
    (lambda: d.ones(32, 784) @ d.ones(512, 10), r"matmul: shapes \(32, 784\) and \(512, 10\) do not align \(784 != 512\)"),
    (lambda: d.ones(2, 3) + d.ones(4), r"\(2, ?3\).*\(4,?\)"),
    (lambda: d.ones(6).reshape(4, 2), r"reshape: cannot reshape .*\(6,\).*\(4, 2\)"),
    (lambda: d.concatenate([d.ones(2, 3), d.ones(3, 2)], axis=0), r"concatenate: shapes"),
    (lambda: d.ones(3)[5], r"getitem: index \[5\] does not fit shape \(3,\)"),
    (lambda: d.linear(d.ones(2, 3), d.ones(4, 5)), r"linear: input of shape \(2, 3\) has 3 features"),
    (lambda: d.softmax_cross_entropy(d.ones(2, 3), np.array([0, 3])), r"class index out of range"),
])
def test_bad_input_errors_name_the_op_and_the_shapes(fn, message):
    with pytest.raises((ValueError, IndexError, TypeError), match=message):
        fn()
