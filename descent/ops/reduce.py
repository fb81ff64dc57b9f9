"""Reductions over axes: sum, mean, var, std, max, min, logsumexp, prod, cumsum, softmax.

`axis` is None (all axes), an int, or a tuple of ints; `keepdims` keeps reduced axes
with length 1. Gradients are broadcast back over the reduced axes.
"""
import numpy as np

from descent.ops.elementwise import exp, where
from descent.ops.primitive import data_of, primitive
from descent.ops.shape import broadcast_to, flip


def _axes(axis, ndim):
    """`axis` as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else a for a in axis))


def _count(shape, axis):
    """How many elements a reduction over `axis` of an array of `shape` combines."""
    count = 1
    for a in _axes(axis, len(shape)):
        count *= shape[a]
    return count


def expand_reduced(g, shape, axis, keepdims):
    """Broadcast `g`, the result of reducing an array of `shape`, back to `shape`."""
    if not keepdims:
        kept = list(shape)
        for a in _axes(axis, len(shape)):
            kept[a] = 1
        g = g.reshape(tuple(kept))
    return broadcast_to(g, shape)


def _sum(x, axis=None, keepdims=False):
    if x.dtype.kind == "f":  # the ufunc's own reduce skips np.sum's Python dispatch
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


sum = primitive(
    _sum, lambda g, ans, x, axis=None, keepdims=False: expand_reduced(g, x.shape, axis, keepdims),
    name="sum")


def _mean(x, axis=None, keepdims=False):
    if x.dtype.kind == "f":
        total = np.add.reduce(x, axis=axis, keepdims=keepdims)
        return total * total.dtype.type(total.size / x.size if x.size else np.nan)
    return np.mean(x, axis=axis, keepdims=keepdims)


mean = primitive(
    _mean,
    lambda g, ans, x, axis=None, keepdims=False:
        expand_reduced(g * (1 / _count(x.shape, axis)), x.shape, axis, keepdims),
    name="mean")


def _var(x, axis=None, keepdims=False, correction=1):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=correction)


def _var_vjp(g, ans, x, axis=None, keepdims=False, correction=1):
    centred = x - mean(x, axis=axis, keepdims=True)
    scale = 2 / (_count(x.shape, axis) - correction)
    return expand_reduced(g, x.shape, axis, keepdims) * centred * scale


var = primitive(_var, _var_vjp, name="var")


def _std(x, axis=None, keepdims=False, correction=1):
    return np.std(x, axis=axis, keepdims=keepdims, ddof=correction)


def _std_vjp(g, ans, x, axis=None, keepdims=False, correction=1):
    # d std = d var / (2 std)
    centred = x - mean(x, axis=axis, keepdims=True)
    n = _count(x.shape, axis) - correction
    return expand_reduced(g / (ans * n), x.shape, axis, keepdims) * centred


std = primitive(_std, _std_vjp, name="std")


def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    # Ties share the gradient equally: each of k maxima gets g / k.
    winners = x == expand_reduced(ans, x.shape, axis, keepdims)
    count = np.sum(data_of(winners), axis=axis, keepdims=True)  # piecewise constant: no gradient
    return where(winners, expand_reduced(g, x.shape, axis, keepdims) / count, 0)


def _max(x, axis=None, keepdims=False):
    """The largest value over `axis`. Where k elements tie for it, each gets g / k of the gradient."""
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


def _min(x, axis=None, keepdims=False):
    """The smallest value over `axis`. Where k elements tie for it, each gets g / k of the gradient."""
    return np.minimum.reduce(x, axis=axis, keepdims=keepdims)


max = primitive(_max, _extremum_vjp, name="max")
min = primitive(_min, _extremum_vjp, name="min")


def _logsumexp(x, axis=None, keepdims=False):
    # Subtract the max first so that exp cannot overflow.
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    result = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return result if keepdims else np.squeeze(result, axis=axis)


logsumexp = primitive(
    _logsumexp,
    lambda g, ans, x, axis=None, keepdims=False:
        expand_reduced(g, x.shape, axis, keepdims) * exp(x - expand_reduced(ans, x.shape, axis, keepdims)),
    name="logsumexp")


def _prod(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    # d prod / d x_i = product of the others. Without zeros that is prod / x_i; with
    # zeros it is computed from exclusive cumulative products from both ends.
    if isinstance(x, np.ndarray) and (x == 0).any():
        return expand_reduced(g, x.shape, axis, keepdims) * _product_of_others(x, axis)
    return expand_reduced(g, x.shape, axis, keepdims) * expand_reduced(ans, x.shape, axis, keepdims) / x


def _product_of_others(x, axis):
    if axis is None:
        return _product_of_others(x.reshape(-1), 0).reshape(x.shape)
    axes = _axes(axis, x.ndim)
    if len(axes) > 1:  # move the reduced axes to the end and merge them into one
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, rest + list(axes))
        merged = moved.reshape(moved.shape[:len(rest)] + (-1,))
        others = _product_of_others(merged, -1).reshape(moved.shape)
        return np.transpose(others, np.argsort(rest + list(axes)))
    a = axes[0]
    ones = np.ones_like(np.take(x, [0], axis=a))
    before = np.cumprod(np.concatenate([ones, np.delete(x, -1, axis=a)], axis=a), axis=a)
    after = np.flip(np.cumprod(np.concatenate([ones, np.delete(np.flip(x, a), -1, axis=a)], axis=a), axis=a), a)
    return before * after


prod = primitive(_prod, _prod_vjp, name="prod")


def _cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumsum_vjp(g, ans, x, axis=None):
    if axis is None:  # cumsum over the flattened array
        return flip(cumsum(flip(g, 0), axis=0), 0).reshape(x.shape)
    return flip(cumsum(flip(g, axis), axis=axis), axis)


cumsum = primitive(_cumsum, _cumsum_vjp, name="cumsum")


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _softmax_vjp(g, ans, x, axis=-1):
    # J^T g = s * (g - <g, s>) for s = softmax(x)
    return ans * (g - (g * ans).sum(axis=axis, keepdims=True))


softmax = primitive(_softmax, _softmax_vjp, name="softmax")


def _log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def _log_softmax_vjp(g, ans, x, axis=-1):
    return g - exp(ans) * g.sum(axis=axis, keepdims=True)


log_softmax = primitive(_log_softmax, _log_softmax_vjp, name="log_softmax")

# --- not differentiable ----------------------------------------------------------------
argmax = primitive(np.argmax)
argmin = primitive(np.argmin)
any = primitive(np.any, name="any")
all = primitive(np.all, name="all")
