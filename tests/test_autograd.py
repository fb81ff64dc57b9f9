"""The backward semantics PyTorch users rely on."""
import numpy as np
import pytest

import descent as d


def test_gradients_accumulate_into_leaves_across_backward_calls():
    x = d.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 3)


def test_a_leaf_used_twice_gets_the_sum_of_both_paths():
    x = d.tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad.item() == 7.0


def test_grads_of_two_leaves_do_not_share_memory():
    a, b = d.ones(3, requires_grad=True), d.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10  # as gradient clipping does, in place
    np.testing.assert_array_equal(b.grad.data, [1, 1, 1])


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = d.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar output.*\(2, 3\)"):
        y.backward()
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_gradient_of_the_wrong_shape_is_refused():
    y = d.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))


def test_the_graph_is_freed_after_backward_unless_retained():
    x = d.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph"):
        y.backward()
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.data, 2 * (2 * x.data) + 2 * x.data)


def test_create_graph_makes_the_backward_pass_differentiable():
    x = d.tensor(2.0, requires_grad=True)
    y = x ** 3
    (dy,) = d.autograd.grad(y, x, create_graph=True)
    assert dy.item() == pytest.approx(12.0)
    (d2y,) = d.autograd.grad(dy, x)
    assert d2y.item() == pytest.approx(12.0)  # 6x


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = d.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_hooks_see_and_may_replace_the_gradient():
    x = d.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    handle = x.register_hook(lambda g: g * 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(seen[0], [1, 1])
    np.testing.assert_array_equal(x.grad.data, [1.5, 1.5])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 3])


def test_retain_grad_keeps_the_gradient_of_an_intermediate():
    x = d.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.data, [1, 1])
    assert (x * 2).grad is None


def test_requires_grad_propagates_through_ops():
    a, b = d.ones(2), d.ones(2, requires_grad=True)
    assert not (a * 2).requires_grad
    assert (a * b).requires_grad and (a * b).grad_fn == "mul"
    assert (a * b).sum().grad_fn == "sum"
    assert b.is_leaf and not (a * b).is_leaf


def test_no_grad_records_nothing_as_context_and_as_decorator():
    x = d.ones(2, requires_grad=True)
    with d.no_grad():
        assert not (x * 2).requires_grad
        with d.enable_grad():
            assert (x * 2).requires_grad
    assert d.is_grad_enabled()

    @d.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad


def test_detach_shares_memory_but_leaves_the_graph():
    x = d.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    z = x.detach()
    z.data[0] = 5
    assert x.data[0] == 5


def test_changing_a_saved_tensor_in_place_is_an_error_not_a_wrong_gradient():
    x = d.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y += 1
    with pytest.raises(RuntimeError, match=r"'mul'.*modified by an in-place operation"):
        z.sum().backward()


def test_changing_a_view_of_a_saved_tensor_is_caught_too():
    w = d.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = d.ones(3)
    y = (a * w).sum()  # saves a
    with d.no_grad():
        view = a[:2]
        view += 1  # changes a through a view
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_in_place_ops_on_intermediates_are_differentiated():
    x = d.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y *= y          # y = 4x²
    y[0] = 0.0      # the first element no longer depends on x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 16.0, 24.0])


def test_in_place_change_of_a_leaf_that_requires_grad_is_refused():
    x = d.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        x += 1
    with d.no_grad():
        x += 1
    np.testing.assert_array_equal(x.data, [2, 2])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        d.tensor([1, 2, 3], requires_grad=True)


def test_backward_of_something_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        d.ones(2).sum().backward()


def test_float32_stays_float32_through_the_graph():
    x = d.randn(4, 3, requires_grad=True)
    w = d.randn(3, 2, requires_grad=True)
    y = (d.tanh(x @ w) * 0.5 + 1.0).mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_autograd_grad_returns_without_accumulating():
    x = d.tensor([1.0, 2.0], requires_grad=True)
    (g,) = d.autograd.grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.data, [2, 4])
    assert x.grad is None


def test_unused_inputs_are_an_error_unless_allowed():
    x, y = d.ones(2, requires_grad=True), d.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        d.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = d.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None


def test_a_deep_graph_does_not_overflow_the_stack():
    x = d.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000, rel=1e-4)
