"""JAX-style functional transforms, checked against derivatives worked out by hand."""
import numpy as np
import pytest

import descent as d


def f(x):
    return (d.sin(x) * x).sum()


def df(x):
    return np.cos(x) * x + np.sin(x)


def d2f(x):
    return -np.sin(x) * x + 2 * np.cos(x)


X = np.array([0.3, -1.2, 2.0])


def test_grad_of_a_function_of_arrays():
    np.testing.assert_allclose(d.grad(f)(X).data, df(X), rtol=1e-12)


def test_grad_with_respect_to_several_arguments():
    def g(x, y):
        return (x * y * y).sum()

    gx, gy = d.grad(g, argnums=(0, 1))(X, 2 * X)
    np.testing.assert_allclose(gx.data, (2 * X) ** 2)
    np.testing.assert_allclose(gy.data, 2 * X * 2 * X)


def test_value_and_grad_and_aux():
    (value, aux), g = d.value_and_grad(lambda x: (f(x), "aux"), has_aux=True)(X)
    assert value.item() == pytest.approx(float(np.sum(np.sin(X) * X)))
    assert aux == "aux"
    np.testing.assert_allclose(g.data, df(X))


def test_grad_of_grad_is_the_second_derivative():
    second = d.grad(lambda x: d.grad(f)(x).sum())(X)
    np.testing.assert_allclose(second.data, d2f(X), rtol=1e-12)


def test_hessian_of_a_separable_function_is_diagonal():
    np.testing.assert_allclose(d.hessian(f)(X).data, np.diag(d2f(X)), atol=1e-12)


def test_hessian_of_a_quadratic_form():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    H = d.hessian(lambda x: x @ d.Tensor(A) @ x)(np.array([0.5, -1.0]))
    np.testing.assert_allclose(H.data, A + A.T)


def test_jacobian_of_a_linear_map_is_its_matrix():
    A = np.arange(6.0).reshape(2, 3)
    J = d.jacobian(lambda x: d.Tensor(A) @ x)(np.ones(3))
    np.testing.assert_allclose(J.data, A)


def test_vjp_and_jvp_agree_with_the_jacobian():
    def g(x):
        return d.stack([x[0] * x[1], d.exp(x[2]) + x[0]])

    J = d.jacobian(g)(X).data
    u, v = np.array([1.0, -2.0]), np.array([0.5, 1.0, -1.0])
    out, pullback = d.vjp(g, X)
    np.testing.assert_allclose(pullback(u)[0].data, u @ J)
    out2, tangent = d.jvp(g, (X,), (v,))
    np.testing.assert_allclose(tangent.data, J @ v)
    np.testing.assert_allclose(out.data, out2.data)


def test_hvp_matches_the_hessian_times_a_vector():
    v = np.array([1.0, 0.5, -2.0])
    (g,), (hv,) = d.hvp(f, (X,), (v,))
    np.testing.assert_allclose(g.data, df(X))
    np.testing.assert_allclose(hv.data, d2f(X) * v)


def test_grad_needs_a_scalar_function():
    with pytest.raises(TypeError, match="scalar"):
        d.grad(lambda x: x * 2)(X)


def test_grad_of_an_integer_input_is_refused():
    with pytest.raises(TypeError, match="floating"):
        d.grad(lambda x: x.sum())(np.array([1, 2]))
