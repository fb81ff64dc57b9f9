"""Indexing: x[index], gather along an axis, and scatter-add.

Reading values at indices and adding values at indices are each other's gradients:
the VJP of `getitem` adds g into zeros at the index (so an index that repeats adds
its gradients up), and the VJP of that is reading at the index again.
"""
import numpy as np

from descent.ops.primitive import primitive, shape_of, unbroadcast
from descent.tensor import Tensor


def normalize_index(index):
    """The index with Tensors and lists turned into arrays, as NumPy takes it."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def is_basic(index):
    """Whether the index only slices (ints, slices, None, ...): no element is read twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               or (isinstance(p, np.ndarray) and p.dtype == bool) for p in parts)


def _getitem(x, index):
    try:
        return x[index]
    except IndexError as e:
        raise IndexError(f"getitem: index {_describe(index)} does not fit shape {x.shape}: {e}") from None


def _describe(index):
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(f"array{p.shape}" if isinstance(p, np.ndarray) else repr(p) for p in parts) + "]"


_getitem_op = primitive(
    _getitem, lambda g, ans, x, index: index_add_to_zeros(g, shape=x.shape, index=index),
    name="getitem", view=True)


def getitem(x, index):
    """x[index] with NumPy's basic and advanced indexing."""
    return _getitem_op(x, index=normalize_index(index))


def _index_add_to_zeros(g, shape, index):
    out = np.zeros(shape, dtype=g.dtype)
    if is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)  # repeated indices add up
    return out


index_add_to_zeros = primitive(_index_add_to_zeros,
                               lambda g, ans, h, shape, index: _getitem_op(g, index=index),
                               name="index_add_to_zeros")


def _index_put(x, value, index):
    out = x.copy()
    out[index] = value
    return out


index_put = primitive(
    _index_put,
    lambda g, ans, x, value, index: index_put(g, 0, index=index),
    lambda g, ans, x, value, index: unbroadcast(_getitem_op(g, index=index), shape_of(value)),
    name="index_put")


def along_axis(indices, axis):
    """The full advanced index that `take_along_axis(x, indices, axis)` reads."""
    axis = axis % indices.ndim
    index = []
    for d, n in enumerate(indices.shape):
        if d == axis:
            index.append(indices)
        else:
            shape = [1] * indices.ndim
            shape[d] = n
            index.append(np.arange(n).reshape(shape))
    return tuple(index)


def _check_indices(op, x, indices, axis):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got {indices.dtype}")
    if indices.ndim != np.ndim(x):
        raise ValueError(f"{op}: indices of shape {indices.shape} and input of shape {np.shape(x)} "
                         "must have the same number of axes")


def _take_along_axis(x, indices, axis):
    _check_indices("take_along_axis", x, indices, axis)
    return x[along_axis(indices, axis)]


def _put_along_axis_add(g, indices, axis, shape):
    out = np.zeros(shape, dtype=g.dtype)
    if indices.shape[axis] == 1:  # one index per row: none repeats, so plain assignment adds
        out[along_axis(indices, axis)] = g
    else:
        np.add.at(out, along_axis(indices, axis), g)
    return out


_take_op = primitive(
    _take_along_axis,
    lambda g, ans, x, indices, axis: put_along_axis_add(g, indices=indices, axis=axis, shape=x.shape),
    name="take_along_axis")

put_along_axis_add = primitive(
    _put_along_axis_add,
    lambda g, ans, h, indices, axis, shape: _take_op(g, indices=indices, axis=axis),
    name="put_along_axis_add")


def take_along_axis(x, indices, axis):
    """out[i][j][k] = x[i][indices[i][j][k]][k] for axis=1, as `np.take_along_axis`."""
    return _take_op(x, indices=np.asarray(normalize_index(indices)), axis=axis)


def gather(x, axis, indices):
    """PyTorch's `gather(input, dim, index)`: take_along_axis with the arguments in its order."""
    return take_along_axis(x, indices, axis)


def _scatter_add(x, src, indices, axis):
    _check_indices("scatter_add", x, indices, axis)
    out = x.copy()
    np.add.at(out, along_axis(indices, axis), src)
    return out


_scatter_add_op = primitive(
    _scatter_add,
    lambda g, ans, x, src, indices, axis: g,
    lambda g, ans, x, src, indices, axis: _take_op(g, indices=indices, axis=axis),
    name="scatter_add")


def scatter_add(x, axis, indices, src):
    """PyTorch's `scatter_add(input, dim, index, src)`: out = x, then out[... index ...] += src."""
    return _scatter_add_op(x, src, indices=np.asarray(normalize_index(indices)), axis=axis)
