"""Linear algebra: matmul and its relatives.

For out = x @ y the gradients are g @ yᵀ and xᵀ @ g, with the 1-D cases of NumPy's
matmul (a vector is a row on the left, a column on the right) and batch axes that
broadcast and are summed back.
"""
import numpy as np

from descent.ops.primitive import primitive, unbroadcast


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
        return unbroadcast(matmul(y, g[..., None])[..., 0], x.shape)
    return unbroadcast(matmul(g, y.mT), x.shape)


def _matmul_vjp_y(g, ans, x, y):
    if x.ndim == 1:
        if y.ndim == 1:
            return g * x
        return unbroadcast(x[:, None] * g[..., None, :], y.shape)
    if y.ndim == 1:
        return unbroadcast(matmul(x.mT, g[..., None])[..., 0], y.shape)
    if y.ndim == 2 and x.ndim > 2:
        # A shared weight: fold the batch axes into rows, one matrix product instead of many.
        k, m = y.shape
        return matmul(x.reshape(-1, k).mT, g.reshape(-1, m))
    return unbroadcast(matmul(x.mT, g), y.shape)


matmul = primitive(_matmul, _matmul_vjp_x, _matmul_vjp_y, name="matmul")


def dot(x, y):
    """Inner product of two vectors (and matmul for matrices)."""
    return matmul(x, y)


def outer(x, y):
    """x[i] * y[j] for vectors x and y."""
    return x.reshape(-1, 1) * y.reshape(1, -1)
