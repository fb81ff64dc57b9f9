"""Gradient clipping, in place on the parameters' `.grad`, as `torch.nn.utils`."""
import math

import numpy as np

from descent.tensor import Tensor


def _grads(params):
    """The gradient arrays of `params` (a Tensor or an iterable of Tensors) that have one."""
    if isinstance(params, Tensor):
        params = [params]
    return [p.grad.data for p in params if p.grad is not None]


def _norm(g, norm_type):
    """The `norm_type`-norm of array g, as a Python float."""
    if norm_type == 2.0:
        g = g.ravel()
        return math.sqrt(float(np.dot(g, g)))
    if norm_type == math.inf:
        return float(np.max(np.abs(g))) if g.size else 0.0
    return float(np.sum(np.abs(g) ** norm_type)) ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients together so that their joint norm is at most `max_norm`.

    The norm is that of all gradients concatenated into one vector. When it exceeds
    `max_norm`, every gradient is multiplied by max_norm / (norm + 1e-6) (the 1e-6, as in
    PyTorch, guards against division by zero).

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Those without a gradient are skipped.
    max_norm : float
    norm_type : float
        p of the p-norm, > 0; `math.inf` for the largest absolute value.
    error_if_nonfinite : bool
        Raise RuntimeError when the norm is nan or inf (else the gradients become nan).

    Returns
    -------
    float
        The joint norm before clipping.
    """
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or math.inf), got {norm_type}")
    grads = _grads(parameters)
    if not grads:
        return 0.0
    # The norm of the vector of per-gradient norms is the norm of all entries together.
    total = float(np.linalg.norm(np.array([_norm(g, norm_type) for g in grads]), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {total}; "
                           "set error_if_nonfinite=False to clip anyway")
    scale = float(max_norm) / (total + 1e-6)
    if not scale >= 1.0:  # true also for a nan norm, which then spreads to the gradients, as in PyTorch
        for g in grads:
            g *= scale
    return total


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient entry into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
