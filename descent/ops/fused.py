"""Fused ops: the work of several primitives in one node of the graph.

Every node costs a few microseconds of Python, whatever the size of its arrays. For
small networks that fixed cost is most of the time, so the two patterns every
network repeats get one node each, as in PyTorch:
- `linear(x, w, b)` = x @ wᵀ + b (PyTorch's addmm), with w of shape (out, in);
- `softmax_cross_entropy(logits, target)` = -log softmax(logits)[target], whose
  gradient is simply softmax(logits) - onehot(target).
"""
import numpy as np

from descent.ops.primitive import primitive
from descent.ops.reduce import softmax


def _linear(x, w, b=None):
    if x.shape[-1] != w.shape[-1]:
        raise ValueError(f"linear: input of shape {x.shape} has {x.shape[-1]} features but the weight "
                         f"of shape {w.shape} expects {w.shape[-1]}")
    out = x @ w.mT
    if b is not None:
        out += b  # `out` is fresh, so adding in place saves an allocation
    return out


def _linear_vjp_x(g, ans, x, w, b=None):
    return g @ w


def _linear_vjp_w(g, ans, x, w, b=None):
    # Fold any batch axes into rows: one matrix product, (out, rows) @ (rows, in).
    return g.reshape(-1, g.shape[-1]).mT @ x.reshape(-1, x.shape[-1])


def _linear_vjp_b(g, ans, x, w, b=None):
    return g.reshape(-1, g.shape[-1]).sum(axis=0)


linear = primitive(_linear, _linear_vjp_x, _linear_vjp_w, _linear_vjp_b, name="linear")


def _pick(array, target, axis):
    """array[..., target[...], ...]: the entry of each row's class, class axis at `axis`."""
    if array.ndim == 2 and axis == 1:  # the common case, without np.take_along_axis' overhead
        return array[np.arange(len(target)), target]
    return np.take_along_axis(array, np.expand_dims(target, axis), axis).squeeze(axis)


def _one_hot(target, shape, axis, dtype):
    """onehot[..., c, ...] = (target[...] == c), with the class axis at `axis` of `shape`."""
    classes = np.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - 1 - axis))
    return (np.expand_dims(target, axis) == classes).astype(dtype)


def _check_target(logits, target, axis):
    expected = logits.shape[:axis] + logits.shape[axis + 1:]
    if target.shape != expected:
        raise ValueError(f"softmax_cross_entropy: target of shape {target.shape} does not match logits of "
                         f"shape {logits.shape} (expected {expected}: one class index per row)")
    if target.dtype.kind not in "iu":
        raise TypeError(f"softmax_cross_entropy: target must hold class indices (integers), got {target.dtype}")
    if target.size and (target.min() < 0 or target.max() >= logits.shape[axis]):
        raise IndexError(f"softmax_cross_entropy: class index out of range [0, {logits.shape[axis]}): "
                         f"found {target.min()}..{target.max()}")


def _softmax_cross_entropy(logits, target, axis=1, reduction="mean"):
    axis = axis % logits.ndim
    _check_target(logits, target, axis)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    losses = np.log(np.exp(shifted).sum(axis=axis)) - _pick(shifted, target, axis)
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / losses.size if reduction == "mean" else total


def _softmax_cross_entropy_vjp(g, ans, logits, target, axis=1, reduction="mean"):
    axis = axis % logits.ndim
    p = softmax(logits, axis=axis)
    if isinstance(p, np.ndarray) and p.ndim == 2 and axis == 1:
        p[np.arange(len(target)), target] -= 1  # p is fresh: subtract the one-hot in place
        residual = p
    else:
        residual = p - _one_hot(target, logits.shape, axis, logits.dtype)
    if reduction == "none":
        return residual * g.reshape(g.shape[:axis] + (1,) + g.shape[axis:])
    return residual * (g / target.size if reduction == "mean" else g)


softmax_cross_entropy = primitive(_softmax_cross_entropy, _softmax_cross_entropy_vjp, None,
                                  name="softmax_cross_entropy")
