"""Tensor's operators and methods, bound to the ops.

`descent.tensor` knows no op, so that the ops can be built on it; this module, run when
`descent.ops` is imported, gives Tensor its PyTorch-style methods (`x.sum(dim=1)`,
`x @ w`, `x += 1`, `x[idx] = v`).
"""
import numpy as np

from descent.ops import elementwise as E, index as I, linalg as L, reduce as R, shape as S
from descent.tensor import Tensor, _GradMode, bump_version


def _reflected(op):
    return lambda self, other: op(other, self)


def _axis(axis, dim):
    """Accept NumPy's `axis=` and PyTorch's `dim=` alike."""
    return dim if axis is None else axis


def _reduction(op):
    def method(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return op(self, axis=_axis(axis, dim), keepdims=keepdims if keepdim is None else keepdim)
    method.__name__ = op.__name__
    method.__doc__ = f"{op.__name__} over `axis` (or `dim`); see descent.{op.__name__}."
    return method


def _spread(op):
    def method(self, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None, unbiased=None):
        if unbiased is not None:
            correction = int(unbiased)
        return op(self, axis=_axis(axis, dim), keepdims=keepdims if keepdim is None else keepdim,
                  correction=correction)
    method.__name__ = op.__name__
    return method


def _transpose(self, *axes):
    """x.transpose(): reverse the axes; x.transpose(0, 2): swap two, as PyTorch; x.transpose((2, 0, 1)): permute."""
    if not axes:
        return S.transpose(self)
    if len(axes) == 2:
        return S.swapaxes(self, *axes)
    return S.transpose(self, S._shape_arg(axes))


# --- in place --------------------------------------------------------------------
def _tracking(self, other):
    return _GradMode.enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))


def _refuse_leaf(self, name):
    if self.is_leaf and self.requires_grad:
        raise RuntimeError(f"{name}: a leaf Tensor that requires grad cannot be changed in place while "
                           "gradients are recorded; use `with descent.no_grad():` (as optimizers do)")


def _become(self, result):
    """Make `self` the result of an op on its old value, keeping its memory (views see the change)."""
    np.copyto(self.data, result.data, casting="same_kind")
    bump_version(self)
    self._node, self.requires_grad = result._node, True


def _snapshot(self):
    """A Tensor holding self's present value and record: the input of an in-place op."""
    old = Tensor._make(self.data.copy(), self._node)
    old.requires_grad = self.requires_grad
    return old


def _inplace(op, ufunc, name):
    def method(self, other):
        if not _tracking(self, other):
            ufunc(self.data, other.data if isinstance(other, Tensor) else other, out=self.data,
                  casting="same_kind")
            bump_version(self)
            return self
        _refuse_leaf(self, name)
        old = _snapshot(self)
        _become(self, op(old, old if other is self else other))
        return self
    method.__name__ = name
    return method


def _setitem(self, index, value):
    index = I.normalize_index(index)
    if not _tracking(self, value):
        self.data[index] = value.data if isinstance(value, Tensor) else value
        bump_version(self)
        return
    _refuse_leaf(self, "__setitem__")
    _become(self, I.index_put(_snapshot(self), value, index=index))


def _fill_(self, value):
    with _NoTracking(self, "fill_"):
        self.data[...] = value
    return self


def _zero_(self):
    return _fill_(self, 0)


class _NoTracking:
    def __init__(self, t, name):
        self.t, self.name = t, name

    def __enter__(self):
        if _GradMode.enabled:
            _refuse_leaf(self.t, self.name)

    def __exit__(self, *exc):
        bump_version(self.t)


def _clone(self):
    return E.copy(self)


METHODS = {
    # arithmetic operators
    "__add__": E.add, "__radd__": _reflected(E.add),
    "__sub__": E.sub, "__rsub__": _reflected(E.sub),
    "__mul__": E.mul, "__rmul__": _reflected(E.mul),
    "__truediv__": E.div, "__rtruediv__": _reflected(E.div),
    "__pow__": E.pow, "__rpow__": _reflected(E.pow),
    "__matmul__": L.matmul, "__rmatmul__": _reflected(L.matmul),
    "__neg__": E.neg, "__pos__": lambda self: self, "__abs__": E.abs,
    "__iadd__": _inplace(E.add, np.add, "__iadd__"),
    "__isub__": _inplace(E.sub, np.subtract, "__isub__"),
    "__imul__": _inplace(E.mul, np.multiply, "__imul__"),
    "__itruediv__": _inplace(E.div, np.true_divide, "__itruediv__"),
    # comparisons and logic (not differentiable)
    "__eq__": E.equal, "__ne__": E.not_equal, "__lt__": E.less, "__le__": E.less_equal,
    "__gt__": E.greater, "__ge__": E.greater_equal,
    "__and__": E.logical_and, "__or__": E.logical_or, "__xor__": E.logical_xor,
    "__invert__": E.logical_not,
    # indexing
    "__getitem__": I.getitem, "__setitem__": _setitem,
    "gather": lambda self, dim, index: I.gather(self, dim, index),
    "take_along_axis": I.take_along_axis,
    "scatter_add": lambda self, dim, index, src: I.scatter_add(self, dim, index, src),
    # elementwise
    "exp": E.exp, "log": E.log, "log1p": E.log1p, "expm1": E.expm1, "sqrt": E.sqrt,
    "abs": E.abs, "sin": E.sin, "cos": E.cos, "tanh": E.tanh, "sigmoid": E.sigmoid,
    "relu": E.relu, "square": E.square, "sign": E.sign, "pow": E.pow,
    "clip": lambda self, min=None, max=None: E.clip(self, min=min, max=max),
    "clamp": lambda self, min=None, max=None: E.clip(self, min=min, max=max),
    "maximum": E.maximum, "minimum": E.minimum,
    "isnan": E.isnan, "isfinite": E.isfinite,
    # reductions
    "sum": _reduction(R.sum), "mean": _reduction(R.mean), "max": _reduction(R.max),
    "min": _reduction(R.min), "prod": _reduction(R.prod), "logsumexp": _reduction(R.logsumexp),
    "var": _spread(R.var), "std": _spread(R.std),
    "any": _reduction(R.any), "all": _reduction(R.all),
    "argmax": lambda self, axis=None, *, dim=None: R.argmax(self, axis=_axis(axis, dim)),
    "argmin": lambda self, axis=None, *, dim=None: R.argmin(self, axis=_axis(axis, dim)),
    "cumsum": lambda self, axis=None, *, dim=None: R.cumsum(self, axis=_axis(axis, dim)),
    "softmax": lambda self, axis=-1, *, dim=None: R.softmax(self, axis=_axis(axis, dim)),
    "log_softmax": lambda self, axis=-1, *, dim=None: R.log_softmax(self, axis=_axis(axis, dim)),
    # shape
    "reshape": S.reshape, "view": S.reshape, "flatten": S.flatten,
    "squeeze": lambda self, axis=None, *, dim=None: S.squeeze(self, _axis(axis, dim)),
    "unsqueeze": S.unsqueeze, "expand_dims": S.expand_dims,
    "transpose": _transpose, "permute": S.permute, "swapaxes": S.swapaxes, "moveaxis": S.moveaxis,
    "T": property(lambda self: S.transpose(self)),
    "mT": property(lambda self: S.swapaxes(self, -1, -2)),
    "broadcast_to": S.broadcast_to, "expand": S.expand, "flip": S.flip,
    "tile": S.tile, "repeat": lambda self, *sizes: S.tile(self, S._shape_arg(sizes)),
    "repeat_interleave": lambda self, repeats, dim=None: S.repeat(self, repeats, axis=dim),
    "split": lambda self, size, dim=0: S.split(self, size, dim),
    "chunk": lambda self, chunks, dim=0: S.chunk(self, chunks, dim),
    # linear algebra
    "matmul": L.matmul, "dot": L.dot,
    # dtype and copies
    "astype": E.astype, "to": E.astype,
    "float": lambda self: E.astype(self, np.float32), "double": lambda self: E.astype(self, np.float64),
    "long": lambda self: E.astype(self, np.int64), "int": lambda self: E.astype(self, np.int32),
    "bool": lambda self: E.astype(self, np.bool_),
    "clone": _clone, "contiguous": lambda self: self,
    "fill_": _fill_, "zero_": _zero_,
}


def bind():
    for name, method in METHODS.items():
        setattr(Tensor, name, method)
