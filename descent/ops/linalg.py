"""Linear algebra: matmul and its relatives, einsum, solve, inverses, determinants, norms.

For out = x @ y the gradients are g @ yᵀ and xᵀ @ g, with the 1-D cases of NumPy's
matmul (a vector is a row on the left, a column on the right) and batch axes that
broadcast and are summed back.

Rules use operators and methods (`@`, `.mT`, `.reshape`) that ndarray and Tensor share:
on arrays they cost no more than NumPy itself. The matrix-function rules are those collected by
M. Giles, "An extended collection of matrix derivative results for forward and
reverse mode algorithmic differentiation", 2008.
"""
import numpy as np

from descent.ops.elementwise import abs as absolute, astype, not_equal, sign, where
from descent.ops.primitive import data_of, primitive, shape_of, unbroadcast, variadic
from descent.ops.reduce import expand_reduced, max as amax, min as amin, sum as asum
from descent.ops.shape import broadcast_to, reshape
from descent.tensor import Tensor


def _matmul(x, y):
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        raise ValueError(f"matmul: scalars are not allowed, got shapes {np.shape(x)} and {np.shape(y)}")
    inner_y = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if x.shape[-1] != inner_y:
        raise ValueError(f"matmul: shapes {x.shape} and {y.shape} do not align ({x.shape[-1]} != {inner_y})")
    try:
        return np.matmul(x, y)
    except ValueError:
        raise ValueError(f"matmul: batch axes of shapes {x.shape} and {y.shape} do not broadcast") from None


def _matmul_vjp_x(g, ans, x, y):
    if y.ndim == 1:
        if x.ndim == 1:  # a dot product: g is a scalar
            return g * y
        return unbroadcast(g[..., None] * y, x.shape)  # (..., n) outer (k,) -> (..., n, k)
    if x.ndim == 1:
        return unbroadcast((y @ g[..., None])[..., 0], x.shape)
    return unbroadcast(g @ y.mT, x.shape)


def _matmul_vjp_y(g, ans, x, y):
    if x.ndim == 1:
        if y.ndim == 1:
            return g * x
        return unbroadcast(x[:, None] * g[..., None, :], y.shape)
    if y.ndim == 1:
        return unbroadcast((x.mT @ g[..., None])[..., 0], y.shape)
    if y.ndim == 2 and x.ndim > 2:
        # A shared weight: fold the batch axes into rows, one matrix product instead of many.
        k, m = y.shape
        return x.reshape(-1, k).mT @ g.reshape(-1, m)
    return unbroadcast(x.mT @ g, y.shape)


matmul = primitive(_matmul, _matmul_vjp_x, _matmul_vjp_y, name="matmul")


def dot(x, y):
    """Inner product of two vectors (and matmul for matrices)."""
    return matmul(x, y)


def outer(x, y):
    """x[i] * y[j] for vectors x and y."""
    return x.reshape(-1, 1) * y.reshape(1, -1)


# --- einsum ------------------------------------------------------------------------------
def _einsum(*operands, subscripts):
    return np.einsum(subscripts, *operands, optimize=len(operands) > 1)


def _einsum_vjp(i, g, ans, *operands, subscripts):
    """The gradient for operand i: an einsum of g with the other operands.

    Indices of operand i that appear neither in the output nor in another operand
    were summed over, so the gradient is constant along them: broadcast it back.
    """
    terms, out = subscripts.split("->")
    terms = terms.split(",")
    term = terms[i]
    others = [t for j, t in enumerate(terms) if j != i]
    kept = "".join(c for c in term if c in out or any(c in t for t in others))
    grad = einsum_op(g, *[x for j, x in enumerate(operands) if j != i],
                     subscripts=",".join([out] + others) + "->" + kept)
    shape = shape_of(operands[i])
    # Broadcast over the dropped indices; sum over axes operand i broadcast from length 1.
    grad = reshape(grad, tuple(grad.shape[kept.index(c)] if c in kept else 1 for c in term))
    ones = tuple(a for a, (n, m) in enumerate(zip(shape, grad.shape)) if n == 1 and m != 1)
    if ones:
        grad = asum(grad, axis=ones, keepdims=True)
    return broadcast_to(grad, shape)


einsum_op = variadic(_einsum, _einsum_vjp, name="einsum")


def _einsum_subscripts(subscripts, shapes):
    """Subscripts in explicit form with '...' spelled out as letters: 'ij,jk->ik'."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, out = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands but "
                         f"{len(shapes)} were given")
    hidden = []  # how many axes the '...' of each operand stands for
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = term.replace("...", "", 1)
        if named and not named.isalpha():
            raise ValueError(f"einsum: subscripts {subscripts!r}: indices must be letters, got {term!r}")
        hidden.append(len(shape) - len(named) if "..." in term else 0)
        if hidden[-1] < 0 or ("..." not in term and len(named) != len(shape)):
            raise ValueError(f"einsum: operand {i} has shape {shape} ({len(shape)} axes) but its "
                             f"subscripts {term!r} name {len(named)}")
    # Batch axes get letters that the subscripts do not use, aligned from the right.
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in spec]
    letters = "".join(free[:max(hidden, default=0)])
    terms = [t.replace("...", letters[len(letters) - k:] if k else "") for t, k in zip(terms, hidden)]
    if arrow:
        out = out.replace("...", letters)
    else:  # implicit output: the batch axes, then the indices used once, sorted
        used = "".join(terms)
        out = letters + "".join(sorted(c for c in set(used) - set(letters) if used.count(c) == 1))
    for i, t in enumerate(terms):
        repeated = sorted({c for c in t if t.count(c) > 1})
        if repeated:
            raise NotImplementedError(f"einsum: index {repeated[0]!r} repeats within operand {i} "
                                      f"({subscripts!r}): diagonals are not supported")
    return ",".join(terms) + "->" + out


def einsum(subscripts, *operands):
    """Einstein summation, as `np.einsum` / `torch.einsum`: 'ij,jk->ik' is a matrix product.

    Explicit ('->') or implicit output, '...' for broadcast batch axes, any number of
    operands. An index repeated within one operand (a diagonal) is not supported.
    """
    normalized = _einsum_subscripts(subscripts, [shape_of(x) for x in operands])
    try:
        return einsum_op(*operands, subscripts=normalized)
    except ValueError as e:
        shapes = ", ".join(str(shape_of(x)) for x in operands)
        raise ValueError(f"einsum: {subscripts!r} does not fit shapes {shapes}: {e}") from None


# --- solving and inverting -------------------------------------------------------------------
def _check_square(op, a_shape):
    if len(a_shape) < 2 or a_shape[-1] != a_shape[-2]:
        raise ValueError(f"{op}: expected square matrices of shape (..., n, n), got {a_shape}")


def _linalg_call(op, function, *arrays):
    try:
        return function(*arrays)
    except np.linalg.LinAlgError as e:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise np.linalg.LinAlgError(f"{op}: {e} (shapes {shapes})") from None


def _solve(a, b):
    return _linalg_call("solve", np.linalg.solve, a, b)


def _solve_vjp_b(g, ans, a, b):
    return unbroadcast(solve_op(a.mT, g), b.shape)


def _solve_vjp_a(g, ans, a, b):
    # X = A⁻¹B, so dX = -A⁻¹ dA X and Ā = -A⁻ᵀ g Xᵀ = -B̄ Xᵀ
    return unbroadcast(-matmul(solve_op(a.mT, g), ans.mT), a.shape)


solve_op = primitive(_solve, _solve_vjp_a, _solve_vjp_b, name="solve")


def solve(a, b):
    """X with A X = B, as `torch.linalg.solve`.

    a : (..., n, n); b : (..., n, k), or a vector (n,) / a batch of vectors (..., n)
    when b has one axis fewer than a. Batch axes broadcast.
    """
    a_shape, b_shape = shape_of(a), shape_of(b)
    _check_square("solve", a_shape)
    vector = len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and b_shape[:-1] == a_shape[:-2])
    rows = b_shape[-1] if vector else (b_shape[-2] if len(b_shape) >= 2 else None)
    if rows != a_shape[-1]:
        raise ValueError(f"solve: A of shape {a_shape} and B of shape {b_shape} do not align "
                         f"({a_shape[-1]} != {rows})")
    if vector:
        x = solve_op(a, reshape(b, b_shape + (1,)))
        return reshape(x, x.shape[:-1])
    try:
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(f"solve: batch axes of A {a_shape} and B {b_shape} do not broadcast") from None
    return solve_op(a, b)


def _inv(a):
    _check_square("inv", a.shape)
    return _linalg_call("inv", np.linalg.inv, a)


# d(A⁻¹) = -A⁻¹ dA A⁻¹, so Ā = -A⁻ᵀ g A⁻ᵀ
inv = primitive(_inv, lambda g, ans, a: -matmul(matmul(ans.mT, g), ans.mT), name="inv")


def _matrices(g):
    """g of shape (...) as (..., 1, 1), to scale a batch of matrices."""
    return reshape(g, g.shape + (1, 1))


def _logabsdet(a):
    _check_square("slogdet", a.shape)
    return np.linalg.slogdet(a)[1]


# d log|det A| = tr(A⁻¹ dA), so the gradient is A⁻ᵀ
logabsdet = primitive(_logabsdet, lambda g, ans, a: _matrices(g) * inv(a).mT, name="logabsdet")


def slogdet(a):
    """(sign, log|det A|) of square matrices a (..., n, n), as `torch.linalg.slogdet`.

    Only log|det A| is differentiable (its gradient is A⁻ᵀ); the sign is piecewise constant.
    """
    _check_square("slogdet", shape_of(a))
    sign = np.linalg.slogdet(data_of(a))[0]
    return (Tensor._make(sign) if isinstance(a, Tensor) else sign), logabsdet(a)


def _det(a):
    _check_square("det", a.shape)
    return np.linalg.det(a)


det = primitive(_det, lambda g, ans, a: _matrices(g * ans) * inv(a).mT, name="det")


def _cholesky(a):
    _check_square("cholesky", a.shape)
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            f"cholesky: the matrix of shape {a.shape} is not positive definite") from None


def _cholesky_vjp(g, ans, a):
    """Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹), Φ taking the lower triangle with the diagonal halved.

    I. Murray, "Differentiation of the Cholesky decomposition", 2016. The symmetric
    part is taken because A is symmetric: only symmetric perturbations are allowed.
    """
    n = ans.shape[-1]
    phi = np.tril(np.ones((n, n), dtype=ans.dtype), -1) + 0.5 * np.eye(n, dtype=ans.dtype)
    p = matmul(ans.mT, g) * phi
    left = solve_op(ans.mT, p)                # L⁻ᵀ P
    grad = solve_op(ans.mT, left.mT).mT       # L⁻ᵀ P L⁻¹
    return (grad + grad.mT) * 0.5


cholesky = primitive(_cholesky, _cholesky_vjp, name="cholesky")
cholesky.__doc__ = """Lower-triangular L with L Lᵀ = A for symmetric positive definite a (..., n, n)."""


def _trace(x):
    if x.ndim < 2:
        raise ValueError(f"trace: expected a matrix (..., n, m), got shape {x.shape}")
    return np.trace(x, axis1=-2, axis2=-1)


trace = primitive(_trace, lambda g, ans, x: _matrices(g) * np.eye(*x.shape[-2:], dtype=x.dtype), name="trace")
trace.__doc__ = """Sum of the diagonal of x (..., n, m)."""


# --- norms -----------------------------------------------------------------------------
def _pnorm(x, p, axis, keepdims):
    if p == 2:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _pnorm_vjp(g, ans, x, p, axis, keepdims):
    # ∂‖x‖_p/∂x = sign(x) |x|^(p-1) / ‖x‖_p^(p-1); taken as 0 where ‖x‖ = 0 (then x = 0 too).
    norm = expand_reduced(ans, x.shape, axis, keepdims)
    norm = where(norm == 0, 1, norm)
    g = expand_reduced(g, x.shape, axis, keepdims)
    if p == 2:
        return g * x / norm
    return g * sign(x) * (absolute(x) / norm) ** (p - 1)


pnorm = primitive(_pnorm, _pnorm_vjp, name="pnorm")


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return pnorm(x, p=2, axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return amax(absolute(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return amin(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 1:
        return asum(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the number of non-zeros: piecewise constant, no gradient
        return asum(astype(not_equal(x, 0), x.dtype), axis=axis, keepdims=keepdims)
    if isinstance(ord, str) or ord < 1:
        raise ValueError(f"norm: ord={ord!r} is not a vector norm supported here (use None, 0, inf, -inf "
                         "or p >= 1)")
    return pnorm(x, p=float(ord), axis=axis, keepdims=keepdims)


def _matrix_norm(x, ord, axis, keepdims):
    rows, columns = axis
    if ord in (None, "fro"):
        return pnorm(x, p=2, axis=axis, keepdims=keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum of |x|; inf: the largest row sum (the negatives: smallest).
        summed, other = (rows, columns) if ord in (1, -1) else (columns, rows)
        sums = asum(absolute(x), axis=summed, keepdims=True)
        pick = amax if ord > 0 else amin
        result = pick(sums, axis=other, keepdims=True)
        return result if keepdims else reshape(result, tuple(n for a, n in enumerate(result.shape)
                                                               if a not in axis))
    raise NotImplementedError(f"norm: matrix ord={ord!r} needs singular values, which are not supported; "
                              "use None/'fro', 1, -1, inf or -inf")


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector and matrix norms, as `np.linalg.norm`.

    With axis=None: the 2-norm of all entries when ord is None, else the vector norm
    (1-D x) or the matrix norm (2-D x). An int axis takes vector norms along it, a pair
    of axes matrix norms. Vector ords: None/2, p >= 1, inf, -inf, 0; matrix ords: None,
    'fro', 1, -1, inf, -inf. The gradient at x = 0 is 0.
    """
    ndim = len(shape_of(x))
    if axis is None:
        if ord is None:
            return pnorm(x, p=2, axis=None, keepdims=keepdims)
        if ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} without axis needs a vector or a matrix, "
                             f"got shape {shape_of(x)}")
        axis = tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axis = tuple(a % ndim if -ndim <= a < ndim else _bad_axis(a, x) for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2 and axis[0] != axis[1]:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: axis must be an int or a pair of distinct axes, got {axis}")


def _bad_axis(a, x):
    raise ValueError(f"norm: axis {a} is out of range for shape {shape_of(x)}")
