"""Differentiable functions composed from ops: activations, losses, dropout, normalization, attention.

Also importable as `descent.nn.functional` (conventionally `F`), with PyTorch's names and
arguments. Shapes follow PyTorch: (N, C, ...) for classification inputs, class axis 1.
"""
import math

import numpy as np

from descent import backend, ops
from descent.ops import (elu, gelu, leaky_relu, linear, log_softmax, relu, sigmoid, silu,  # noqa: F401
                         softmax, softplus, tanh)
from descent.tensor import Tensor


def _reduce(losses, reduction, op):
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(op, input, target):
    if input.shape != np.shape(target):
        raise ValueError(f"{op}: input of shape {input.shape} and target of shape {np.shape(target)} differ")


def _labels(target):
    """Class indices as an int array, whether given as a Tensor or an array."""
    return np.asarray(target.data if isinstance(target, Tensor) else target)


# --- regression losses -----------------------------------------------------------------
def mse_loss(input, target, reduction="mean"):
    """Mean squared error, (input - target)²."""
    _same_shape("mse_loss", input, target)
    return _reduce(ops.square(input - target), reduction, "mse_loss")


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error, |input - target|."""
    _same_shape("l1_loss", input, target)
    return _reduce(ops.abs(input - target), reduction, "l1_loss")


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d² / beta where |d| < beta, |d| - 0.5 beta beyond: quadratic near 0, linear far away."""
    _same_shape("smooth_l1_loss", input, target)
    d = ops.abs(input - target)
    if beta == 0:
        return _reduce(d, reduction, "smooth_l1_loss")
    return _reduce(ops.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d² where |d| < delta, delta (|d| - 0.5 delta) beyond (= delta · smooth_l1 with beta=delta)."""
    _same_shape("huber_loss", input, target)
    d = ops.abs(input - target)
    return _reduce(ops.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction, "huber_loss")


# --- classification losses ----------------------------------------------------------------
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits `input` (N, C, ...) and `target`, as `torch.nn.functional.cross_entropy`.

    `target` holds class indices (N, ...) or class probabilities (N, C, ...). With `weight`
    (C,), each sample counts by its class weight, and 'mean' divides by the total weight.
    `label_smoothing` ε mixes the target with the uniform distribution: (1-ε)·target + ε/C.
    """
    if input.ndim == 1:
        input, target = input.reshape(1, -1), (ops.reshape(target, (1, -1)) if np.ndim(target) == 1 else
                                               np.reshape(_labels(target), (1,)))
        return cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
    if np.shape(target) == input.shape and _labels(target).dtype.kind == "f":
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    labels = _labels(target)
    plain = weight is None and label_smoothing == 0 and not (labels == ignore_index).any()
    if plain:  # the common case: one fused op
        return ops.softmax_cross_entropy(input, labels, axis=1, reduction=reduction)
    return _weighted_cross_entropy(input, labels, weight, ignore_index, reduction, label_smoothing)


def _class_axis_last(x):
    return ops.moveaxis(x, 1, -1) if x.ndim > 2 else x


def _weighted_cross_entropy(input, labels, weight, ignore_index, reduction, smoothing):
    n_classes = input.shape[1]
    log_p = _class_axis_last(log_softmax(input, axis=1))            # (..., C)
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    class_weight = np.ones(n_classes) if weight is None else _labels(weight)
    w = np.where(keep, class_weight[safe], 0.0).astype(log_p.dtype)  # (...,)
    picked = ops.take_along_axis(log_p, safe[..., None], axis=-1)[..., 0]
    losses = -(1 - smoothing) * picked * w
    if smoothing:
        uniform = (log_p * class_weight.astype(log_p.dtype)).sum(axis=-1) * (smoothing / n_classes)
        losses = losses - uniform * keep
    if reduction == "mean":
        return losses.sum() / max(float(w.sum()), np.finfo(np.float32).tiny)
    return _reduce(losses, reduction, "cross_entropy")


def _soft_cross_entropy(input, target, weight, reduction, smoothing):
    n_classes = input.shape[1]
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if smoothing:
        target = target * (1 - smoothing) + smoothing / n_classes
    log_p = log_softmax(input, axis=1)
    if weight is not None:
        shape = (1, n_classes) + (1,) * (input.ndim - 2)
        log_p = log_p * Tensor(np.reshape(_labels(weight), shape).astype(log_p.dtype))
    losses = -(log_p * target).sum(axis=1)
    if reduction == "mean":
        return losses.sum() / (losses.size if losses.size else 1)
    return _reduce(losses, reduction, "cross_entropy")


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (N, C, ...) at class indices `target`."""
    labels = _labels(target)
    log_p = _class_axis_last(input)
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    if safe.size and (safe.min() < 0 or safe.max() >= input.shape[1]):
        raise IndexError(f"nll_loss: class index out of range [0, {input.shape[1]}): "
                         f"found {safe.min()}..{safe.max()}")
    class_weight = np.ones(input.shape[1]) if weight is None else _labels(weight)
    w = np.where(keep, class_weight[safe], 0.0).astype(input.dtype)
    losses = -ops.take_along_axis(log_p, safe[..., None], axis=-1)[..., 0] * w
    if reduction == "mean":
        return losses.sum() / max(float(w.sum()), np.finfo(np.float32).tiny)
    return _reduce(losses, reduction, "nll_loss")


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-[t log p + (1 - t) log(1 - p)] for probabilities `input`; logs clamped at -100 as PyTorch."""
    _same_shape("binary_cross_entropy", input, target)
    log_p = ops.maximum(ops.log(input), -100.0)
    log_q = ops.maximum(ops.log(1 - input), -100.0)
    losses = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), computed stably from the logits.

    With log σ(x) = -softplus(-x) and log(1 - σ(x)) = -softplus(x), the loss is
    pos_weight · t · softplus(-x) + (1 - t) · softplus(x).
    """
    _same_shape("binary_cross_entropy_with_logits", input, target)
    positive = softplus(-input)
    if pos_weight is not None:
        positive = positive * pos_weight
    losses = target * positive + (1 - target) * softplus(input)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction, "binary_cross_entropy_with_logits")


def kl_div(input, target, reduction="mean", log_target=False):
    """KL(target ‖ p) with `input` = log p, as PyTorch: Σ t (log t - input). Use reduction='batchmean'."""
    _same_shape("kl_div", input, target)
    if log_target:
        losses = ops.exp(target) * (target - input)
    else:
        t = target.data if isinstance(target, Tensor) else np.asarray(target)
        log_t = np.log(np.where(t > 0, t, 1))  # 0 log 0 = 0
        losses = target * (Tensor(log_t.astype(input.dtype)) - input)
    if reduction == "batchmean":
        return losses.sum() / input.shape[0]
    return _reduce(losses, reduction, "kl_div")


# --- regularization and normalization -------------------------------------------------------
def dropout(x, p=0.5, training=True, generator=None):
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    uniform = backend.rng(generator).random(x.shape, dtype=np.float32)
    # The mask, 0 or 1/(1-p), made as floats and then scaled: a bool times a float would
    # convert the bool in NumPy's slow buffered loop.
    mask = uniform if x.dtype == np.float32 else np.empty(x.shape, dtype=x.dtype)
    np.copyto(mask, uniform >= p)
    mask *= x.dtype.type(1 / (1 - p))
    return x * mask


def _normalize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes` (biased variance), the mean and variance too."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return centred / ops.sqrt(var + eps), mean, var


def _per_channel(v, ndim):
    """A (C,) vector shaped to broadcast over (N, C, *spatial)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel of x (N, C, ...) by batch statistics (training) or running ones.

    In training, the running statistics (arrays) are updated in place with the unbiased
    batch variance, as PyTorch does.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        y, mean, var = _normalize(x, axes, eps)
        if running_mean is not None:
            n = x.size // x.shape[1]
            running_mean *= 1 - momentum
            running_mean += momentum * mean.data.reshape(-1)
            running_var *= 1 - momentum
            running_var += momentum * var.data.reshape(-1) * (n / max(n - 1, 1))
    else:
        if running_mean is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var")
        mean = _per_channel(running_mean.astype(x.dtype, copy=False), x.ndim)
        inv_std = _per_channel((1 / np.sqrt(running_var + eps)).astype(x.dtype), x.ndim)
        y = (x - mean) * inv_std
    if weight is not None:
        y = y * _per_channel(weight, x.ndim)
    if bias is not None:
        y = y + _per_channel(bias, x.ndim)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last len(normalized_shape) axes of x."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end in normalized_shape "
                         f"{normalized_shape}")
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    y, _, _ = _normalize(x, axes, eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize x (N, C, ...) over each group of C / num_groups channels and the spatial axes."""
    n, c = x.shape[:2]
    if c % num_groups:
        raise ValueError(f"group_norm: {c} channels do not split into {num_groups} groups")
    grouped = x.reshape((n, num_groups, -1))
    y, _, _ = _normalize(grouped, (2,), eps)
    y = y.reshape(x.shape)
    if weight is not None:
        y = y * _per_channel(weight, x.ndim)
    if bias is not None:
        y = y + _per_channel(bias, x.ndim)
    return y


# --- attention and embeddings --------------------------------------------------------------
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, training=True, generator=None):
    """softmax(Q Kᵀ / √d + mask) V, Vaswani et al. 2017.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). `attn_mask` is
    a boolean mask (True = may attend) or an additive float mask, broadcast to (..., L, S).
    """
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.mT) * scale                                   # (..., L, S)
    length, source = scores.shape[-2:]
    if is_causal:
        allowed = np.tril(np.ones((length, source), dtype=bool))
        scores = ops.where(allowed, scores, -np.inf)
    if attn_mask is not None:
        mask = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        scores = ops.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    weights = softmax(scores, axis=-1)
    if dropout_p:
        weights = dropout(weights, dropout_p, training, generator)
    return weights @ value


def embedding(indices, weight, padding_idx=None):
    """Rows of `weight` (num_embeddings, dim) at integer `indices` (...) -> (..., dim)."""
    idx = _labels(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        raise IndexError(f"embedding: index out of range [0, {weight.shape[0]}): found {idx.min()}..{idx.max()}")
    rows = weight[idx]
    if padding_idx is not None:  # the padding row gets no gradient
        rows = ops.where((idx == padding_idx)[..., None], rows.detach(), rows)
    return rows


def one_hot(indices, num_classes=-1):
    """(..., num_classes) int64 array of zeros with a one at each index."""
    idx = _labels(indices)
    num_classes = int(idx.max()) + 1 if num_classes < 0 else num_classes
    return Tensor((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def pad(x, pad, value=0.0):
    """PyTorch's pad: `pad` lists (before, after) pairs starting from the LAST axis."""
    if len(pad) % 2:
        raise ValueError(f"pad: needs (before, after) pairs, got {pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return ops.pad(x, widths, value=value)
