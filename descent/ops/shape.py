"""Shape ops: reshape, transpose, broadcast, join, split, pad, flip, repeat, tile.

They move values without changing them, so each gradient moves the values back:
the inverse permutation, a sum over broadcast axes, a slice of the joined gradient.
"""
import math

import numpy as np

from descent.ops.primitive import primitive, unbroadcast, variadic


def _shape_arg(shape):
    """Accept reshape(x, (2, 3)) and reshape(x, 2, 3) alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _reshape(x, shape):
    try:
        return x.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a Tensor of shape {np.shape(x)} "
                         f"({np.size(x)} values) into shape {shape}") from None


_reshape_op = primitive(_reshape, lambda g, ans, x, shape: reshape(g, x.shape), name="reshape", view=True)


def reshape(x, *shape):
    """`x` with the same values in a new shape (-1 infers one length)."""
    return _reshape_op(x, shape=_shape_arg(shape))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim into one, as `torch.flatten`."""
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


def squeeze(x, axis=None):
    """Drop axes of length 1 (all of them, or those named)."""
    shape = x.shape
    if axis is None:
        return reshape(x, tuple(n for n in shape if n != 1))
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return reshape(x, tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1)))


def unsqueeze(x, axis):
    """Insert an axis of length 1 at position `axis`."""
    shape = list(x.shape)
    shape.insert(axis % (len(shape) + 1), 1)
    return reshape(x, tuple(shape))


def expand_dims(x, axis):
    return unsqueeze(x, axis)


def _transpose(x, axes=None):
    return np.transpose(x, axes)


def _transpose_vjp(g, ans, x, axes=None):
    inverse = None if axes is None else tuple(np.argsort(axes))
    return transpose(g, inverse)


_transpose_op = primitive(_transpose, _transpose_vjp, name="transpose", view=True)


def transpose(x, axes=None):
    """Permute the axes (reverse them when `axes` is None), as `np.transpose`."""
    if axes is not None:
        axes = tuple(a % x.ndim for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    return _transpose_op(x, axes=axes)


def permute(x, *axes):
    """PyTorch's name for transpose with explicit axes."""
    return transpose(x, _shape_arg(axes))


def swapaxes(x, axis1, axis2):
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, tuple(axes))


def moveaxis(x, source, destination):
    axes = [a for a in range(x.ndim) if a != source % x.ndim]
    axes.insert(destination % x.ndim, source % x.ndim)
    return transpose(x, tuple(axes))


def _broadcast_to(x, shape):
    try:
        if math.prod(shape) <= 4096:
            # np.broadcast_to costs microseconds of Python; for small results a filled
            # array is cheaper, and for a scalar it is the same thing.
            out = np.empty(shape, dtype=np.result_type(x))
            out[...] = x
            return out
        return np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: shape {np.shape(x)} cannot be broadcast to {shape}") from None


broadcast_to = primitive(_broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x.shape),
                         name="broadcast_to")


def expand(x, *sizes):
    """PyTorch's broadcast: -1 keeps an axis' length."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def _concatenate(*xs, axis=0):
    try:
        return np.concatenate(xs, axis=axis)
    except ValueError:
        raise ValueError(f"concatenate: shapes {[np.shape(x) for x in xs]} differ off axis {axis}") from None


def _concatenate_vjp(i, g, ans, *xs, axis=0):
    start = int(np.sum([x.shape[axis] for x in xs[:i]], dtype=int))
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + xs[i].shape[axis])
    return g[tuple(index)]


_concatenate_op = variadic(_concatenate, _concatenate_vjp, name="concatenate")


def concatenate(tensors, axis=0):
    """Join along an existing axis."""
    return _concatenate_op(*tensors, axis=axis)


cat = concatenate


def _stack(*xs, axis=0):
    try:
        return np.stack(xs, axis=axis)
    except ValueError:
        raise ValueError(f"stack: all shapes must be equal, got {[np.shape(x) for x in xs]}") from None


def _stack_vjp(i, g, ans, *xs, axis=0):
    index = [slice(None)] * g.ndim
    index[axis] = i
    return g[tuple(index)]


_stack_op = variadic(_stack, _stack_vjp, name="stack")


def stack(tensors, axis=0):
    """Join along a new axis."""
    return _stack_op(*tensors, axis=axis)


def split(x, split_size_or_sections, axis=0):
    """Pieces along `axis`, as `torch.split`: of one size (the last may be shorter), or of the sizes listed."""
    length = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        sizes = [split_size_or_sections] * (length // split_size_or_sections)
        if length % split_size_or_sections:
            sizes.append(length % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not the axis length {length}")
    pieces, start = [], 0
    for size in sizes:
        index = [slice(None)] * x.ndim
        index[axis] = slice(start, start + size)
        pieces.append(x[tuple(index)])
        start += size
    return pieces


def chunk(x, chunks, axis=0):
    """`chunks` pieces of (nearly) equal length along `axis`, as `torch.chunk`."""
    return split(x, -(-x.shape[axis] // chunks), axis)


def _pad(x, pad_width, value=0.0):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _pad_vjp(g, ans, x, pad_width, value=0.0):
    index = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
    return g[index]


_pad_op = primitive(_pad, _pad_vjp, name="pad")


def pad(x, pad_width, value=0.0):
    """Pad with a constant; `pad_width` as in `np.pad`: an int, a pair, or a pair per axis."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    return _pad_op(x, pad_width=tuple(map(tuple, widths.tolist())), value=value)


def _flip(x, axis=None):
    return np.flip(x, axis)


flip = primitive(_flip, lambda g, ans, x, axis=None: flip(g, axis), name="flip", view=True)


def _tile(x, reps):
    return np.tile(x, reps)


def _tile_vjp(g, ans, x, reps):
    # Split each axis of g into (repeat, original length) and sum over the repeats.
    shape = (1,) * (g.ndim - x.ndim) + x.shape
    split_shape = []
    for r, n in zip(g.shape, shape):
        split_shape += [r // n, n]
    summed = g.reshape(tuple(split_shape)).sum(axis=tuple(range(0, 2 * g.ndim, 2)))
    return summed.reshape(x.shape)


_tile_op = primitive(_tile, _tile_vjp, name="tile")


def tile(x, reps):
    """Repeat the whole array `reps` times along each axis, as `np.tile`."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    return _tile_op(x, reps=reps)


def _repeat(x, repeats, axis=None):
    return np.repeat(x, repeats, axis=axis)


def _repeat_vjp(g, ans, x, repeats, axis=None):
    if axis is None:
        return _repeat_vjp(g, ans, x.reshape(-1), repeats, 0).reshape(x.shape)
    axis = axis % x.ndim
    if np.ndim(repeats) == 0:  # each element repeated r times: sum consecutive groups of r
        r = int(repeats)
        shape = x.shape[:axis] + (x.shape[axis], r) + x.shape[axis + 1:]
        return g.reshape(shape).sum(axis=axis + 1)
    # Element i was repeated repeats[i] times: its gradient is the sum of its segment of g,
    # read off a running sum as total(end) - total(start).
    from descent.ops.reduce import cumsum  # reduce is built on this module, so import late
    ends = np.cumsum(repeats)
    starts = ends - np.asarray(repeats)
    before = (slice(None),) * axis
    zero = g[before + (slice(0, 1),)] * 0
    running = concatenate([zero, cumsum(g, axis=axis)], axis=axis)
    return running[before + (ends,)] - running[before + (starts,)]


_repeat_op = primitive(_repeat, _repeat_vjp, name="repeat")


def repeat(x, repeats, axis=None):
    """Repeat each element, as `np.repeat` (PyTorch's `repeat_interleave`)."""
    return _repeat_op(x, repeats=repeats, axis=axis)
