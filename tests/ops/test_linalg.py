"""einsum, solve, inv, slogdet, det, cholesky, trace, norm: finite differences, NumPy and PyTorch as references."""
import numpy as np
import pytest

from descent.ops.linalg import cholesky, det, einsum, inv, norm, slogdet, solve, trace
from descent.tensor import Tensor
from descent.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


def well_conditioned(*shape):
    """Square matrices (..., n, n) far from singular, as a non-contiguous (transposed) view."""
    n = shape[-1]
    return (randn(*shape) + 3 * np.eye(n)).swapaxes(-1, -2)


def assert_matches_torch(fn, torch_fn, *arrays, rtol=1e-9):
    """Same output and same gradients of <out, g> for a random g as PyTorch."""
    torch = pytest.importorskip("torch")
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ours)
    g = rng.standard_normal(out.shape)
    (out * Tensor(g)).sum().backward()
    theirs = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in arrays]
    ref = torch_fn(*theirs)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=1e-10)
    for mine, t in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.data, t.grad.numpy(), rtol=rtol, atol=1e-10)


# --- einsum ------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),               # implicit output: ik
    ("ji", [(3, 4)]),                          # implicit output sorts: a transpose
    ("ij->", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ij,kj->", [(3, 4), (2, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("b...i,i->b...", [(2, 1, 3, 4), (4,)]),
    ("...i,...i->...", [(2, 1, 3), (4, 3)]),   # batch axes broadcast from length 1
    ("ijk->k", [(2, 3, 4)]),                   # i and j summed away
    ("ij,k->ijk", [(2, 3), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
]


def operands(shapes):
    # Non-contiguous operands: the transpose of a contiguous array.
    return [randn(*s[::-1]).T for s in shapes]


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES)
def test_einsum_matches_numpy_and_finite_differences(subscripts, shapes):
    xs = operands(shapes)
    np.testing.assert_allclose(einsum(subscripts, *xs), np.einsum(subscripts, *xs), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda *xs: einsum(subscripts, *xs), *xs)


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES)
def test_einsum_gradients_match_torch(subscripts, shapes):
    torch = pytest.importorskip("torch")
    assert_matches_torch(lambda *xs: einsum(subscripts, *xs), lambda *xs: torch.einsum(subscripts, *xs),
                         *operands(shapes))


@pytest.mark.parametrize("subscripts, shapes", [("ij,jk->ik", [(2, 3), (3, 2)]),
                                                ("...i,...i->...", [(2, 1, 3), (4, 3)]),
                                                ("ijk->k", [(2, 2, 3)])])
def test_einsum_second_derivatives(subscripts, shapes):
    xs = operands(shapes)
    fn = (lambda x: einsum(subscripts, x) ** 2) if len(xs) == 1 else (lambda *xs: einsum(subscripts, *xs))
    assert gradgradcheck(fn, *xs)


def test_einsum_bad_input_is_named():
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij,jk->ik' name 2 operands but 1 were given"):
        einsum("ij,jk->ik", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"einsum: operand 1 has shape \(3,\) \(1 axes\) but its subscripts 'jk'"):
        einsum("ij,jk->ik", np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"einsum: 'ij,jk->ik' does not fit shapes \(2, 3\), \(4, 5\)"):
        einsum("ij,jk->ik", np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(NotImplementedError, match=r"einsum: index 'i' repeats within operand 0"):
        einsum("ii->i", np.zeros((3, 3)))


def test_einsum_keeps_float32():
    x = Tensor(randn(3, 4).astype(np.float32), requires_grad=True)
    y = einsum("ij,kj->ik", x, x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32


# --- solve --------------------------------------------------------------------------------
SOLVE_CASES = [
    ((3, 3), (3,)),           # a vector
    ((3, 3), (3, 2)),         # a matrix
    ((2, 3, 3), (2, 3)),      # a batch of vectors
    ((2, 3, 3), (2, 3, 2)),   # a batch of matrices
    ((2, 3, 3), (3, 2)),      # one right-hand side broadcast over the batch
    ((1, 3, 3), (2, 3, 1)),   # the matrix broadcast over the batch
]


@pytest.mark.parametrize("a_shape, b_shape", SOLVE_CASES)
def test_solve_gradient_and_torch(a_shape, b_shape):
    torch = pytest.importorskip("torch")
    a, b = well_conditioned(*a_shape), randn(*b_shape)
    x = solve(a, b)
    vector = len(b_shape) == 1 or b_shape == a_shape[:-1]
    product = (a @ x[..., None])[..., 0] if vector else a @ x
    np.testing.assert_allclose(product, np.broadcast_to(b, x.shape), atol=1e-12)
    assert gradcheck(solve, a, b)
    assert_matches_torch(solve, torch.linalg.solve, a, b)


def test_solve_second_derivatives():
    assert gradgradcheck(solve, well_conditioned(2, 2, 2), randn(2, 2, 3))


def test_solve_bad_input_is_named():
    with pytest.raises(ValueError, match=r"solve: expected square matrices of shape \(\.\.\., n, n\), got \(3, 4\)"):
        solve(np.zeros((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"solve: A of shape \(3, 3\) and B of shape \(4,\) do not align \(3 != 4\)"):
        solve(np.eye(3), np.zeros(4))
    with pytest.raises(np.linalg.LinAlgError, match=r"solve: Singular matrix"):
        solve(np.zeros((2, 2)), np.ones(2))


# --- inverse and determinants ----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_inv_gradient_and_torch(shape):
    torch = pytest.importorskip("torch")
    a = well_conditioned(*shape)
    np.testing.assert_allclose(inv(a) @ a, np.broadcast_to(np.eye(3), shape), atol=1e-12)
    assert gradcheck(inv, a)
    assert_matches_torch(inv, torch.linalg.inv, a)


def test_inv_second_derivatives():
    assert gradgradcheck(inv, well_conditioned(2, 2, 2))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_slogdet_matches_numpy_and_its_gradient_is_the_inverse_transpose(shape):
    a = well_conditioned(*shape)
    a[..., 0, :] *= -1  # some determinants negative
    sign, logabs = slogdet(a)
    ref_sign, ref_logabs = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign, ref_sign)
    np.testing.assert_allclose(logabs, ref_logabs)
    t = Tensor(a, requires_grad=True)
    slogdet(t)[1].sum().backward()
    np.testing.assert_allclose(t.grad.data, np.linalg.inv(a).swapaxes(-1, -2), rtol=1e-10)
    assert gradcheck(lambda a: slogdet(a)[1], a)


def test_slogdet_matches_torch_and_has_second_derivatives():
    torch = pytest.importorskip("torch")
    a = well_conditioned(2, 3, 3)
    assert_matches_torch(lambda a: slogdet(a)[1], lambda a: torch.linalg.slogdet(a)[1], a)
    assert gradgradcheck(lambda a: slogdet(a)[1], a)
    sign, _ = slogdet(Tensor(a, requires_grad=True))
    assert isinstance(sign, Tensor) and not sign.requires_grad


def test_det_gradient_and_torch():
    torch = pytest.importorskip("torch")
    a = well_conditioned(2, 3, 3)
    np.testing.assert_allclose(det(a), np.linalg.det(a))
    assert gradcheck(det, a)
    assert gradgradcheck(det, a[0])
    assert_matches_torch(det, torch.linalg.det, a)


def test_trace_gradient_and_torch():
    torch = pytest.importorskip("torch")
    a = randn(4, 3).T
    assert trace(a) == pytest.approx(np.trace(a))
    assert gradcheck(trace, randn(2, 3, 4))
    assert gradgradcheck(lambda a: trace(a) ** 2, a)
    assert_matches_torch(trace, torch.trace, a)


# --- Cholesky ---------------------------------------------------------------------------------
def spd(x):
    """A symmetric positive definite matrix from any square x: x xᵀ + I."""
    return x @ x.mT + np.eye(x.shape[-1])


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_cholesky_factor_and_gradient(shape):
    x = randn(*shape)
    low = cholesky(spd(x))
    np.testing.assert_allclose(low @ low.swapaxes(-1, -2), spd(x), atol=1e-12)
    np.testing.assert_array_equal(low, np.tril(low))
    assert gradcheck(lambda x: cholesky(spd(x)), x)


def test_cholesky_gradient_is_symmetric_and_matches_torch():
    torch = pytest.importorskip("torch")
    x = randn(2, 3, 3)
    assert_matches_torch(lambda x: cholesky(spd(x)),
                         lambda x: torch.linalg.cholesky(x @ x.mT + torch.eye(3, dtype=x.dtype)), x)
    a = Tensor(spd(x), requires_grad=True)
    (cholesky(a) * Tensor(randn(2, 3, 3))).sum().backward()
    np.testing.assert_allclose(a.grad.data, a.grad.data.swapaxes(-1, -2))


def test_cholesky_second_derivatives():
    assert gradgradcheck(lambda x: cholesky(spd(x)), randn(3, 3))


def test_cholesky_refuses_a_matrix_that_is_not_positive_definite():
    with pytest.raises(np.linalg.LinAlgError, match=r"cholesky: the matrix of shape \(2, 2\) is not positive definite"):
        cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))


# --- norms ------------------------------------------------------------------------------
NORM_CASES = [
    dict(), dict(keepdims=True), dict(axis=1), dict(ord=2, axis=0), dict(ord=3, axis=-1, keepdims=True),
    dict(ord=1.5, axis=1), dict(ord=1, axis=1), dict(ord=np.inf, axis=1), dict(ord=-np.inf, axis=0),
    dict(ord="fro", axis=(0, 1)), dict(ord=1, axis=(1, 0)), dict(ord=np.inf, axis=(0, 1)),
    dict(ord=-1, axis=(0, 1), keepdims=True), dict(ord=-np.inf, axis=(0, 1)), dict(ord=1),
]


@pytest.mark.parametrize("params", NORM_CASES)
def test_norm_matches_numpy_and_finite_differences(params):
    x = randn(5, 4).T  # (4, 5), non-contiguous, no ties for the max-based norms
    np.testing.assert_allclose(norm(x, **params), np.linalg.norm(x, **params), rtol=1e-12)
    assert gradcheck(lambda x: norm(x, **params), x)


@pytest.mark.parametrize("params", [dict(), dict(ord=3, dim=1), dict(ord=np.inf, dim=1), dict(ord=1, dim=(0, 1))])
def test_norm_gradients_match_torch(params):
    torch = pytest.importorskip("torch")
    ours = {("axis" if k == "dim" else k): v for k, v in params.items()}
    x = randn(3, 4)
    assert_matches_torch(lambda x: norm(x, **ours), lambda x: torch.linalg.norm(x, **params), x)


@pytest.mark.parametrize("params", [dict(), dict(ord=3, axis=1), dict(ord=1, axis=1), dict(ord="fro", axis=(0, 1))])
def test_norm_gradient_is_zero_at_zero(params):
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    norm(x, **params).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))


def test_norm_second_derivatives():
    x = randn(3, 4)
    assert gradgradcheck(lambda x: norm(x, axis=1), x)
    assert gradgradcheck(lambda x: norm(x, ord=3, axis=0), x)


def test_norm_unsupported_ords_are_named():
    with pytest.raises(NotImplementedError, match=r"norm: matrix ord='nuc' needs singular values"):
        norm(np.eye(3), "nuc")
    with pytest.raises(ValueError, match=r"norm: ord=0.5 is not a vector norm supported here"):
        norm(np.ones(3), 0.5)
    with pytest.raises(ValueError, match=r"norm: axis 2 is out of range for shape \(3, 3\)"):
        norm(np.eye(3), axis=2)


# The primitives behind the functions above, each checked here through its public function.
PRIMITIVES = ["einsum", "solve", "inv", "logabsdet", "det", "cholesky", "trace", "pnorm"]


def test_primitives_are_registered():
    from descent.ops.primitive import REGISTRY
    assert set(PRIMITIVES) <= set(REGISTRY)
