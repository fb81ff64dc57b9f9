"""Tensor: an array that remembers how it was computed.

A Tensor made by an op records its inputs and one vector-Jacobian product (VJP) rule
per input. `backward()` walks that record in reverse topological order and applies
the rules (reverse-mode automatic differentiation). The rules themselves live with
their ops in `descent.ops`; this module holds the Tensor, the record, and the walk.

The operators and methods of Tensor (`+`, `@`, `.sum()`, `.reshape()`, ...) are
attached by `descent.ops` when it is imported, so that this module depends on no op.
"""
import functools

import numpy as np

from descent import backend


class _GradMode:
    enabled = True


def is_grad_enabled():
    """Whether ops record the graph right now."""
    return _GradMode.enabled


class _SetGradMode:
    """Base of `no_grad` and `enable_grad`: a context manager and a decorator."""

    mode = True

    def __enter__(self):
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc):
        _GradMode.enabled = self.previous

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)
        return wrapper


class no_grad(_SetGradMode):
    """Ops inside `with no_grad():` (or a function decorated `@no_grad()`) record nothing."""

    mode = False


class enable_grad(_SetGradMode):
    """Turn recording back on inside a `no_grad` region."""

    mode = True


class _Freed:
    """Marks a record freed by `backward()` without `retain_graph=True`."""

    def __repr__(self):
        return "<freed>"


FREED = _Freed()
RETAIN_GRAD = object()  # a hook that asks backward() to keep .grad on a non-leaf Tensor

_FLOAT_KINDS = "fc"


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    Parameters
    ----------
    data : array_like
        Values. Python floats and float arrays become the default dtype (float32
        unless changed), unless `dtype` says otherwise; integers and bools keep theirs.
    requires_grad : bool
        Whether `backward()` should compute a gradient for this Tensor.
    dtype : dtype, optional
    """

    # _node, the record of the op that made this Tensor (None for a leaf), is a tuple
    #   (inputs, arrays, edges, params, op, versions):
    # inputs   the op's positional arguments as given (Tensors and constants),
    # arrays   the same with each Tensor replaced by its array at the time of the op,
    # edges    ((input, rule), ...) for each input that needs a gradient,
    # params   the op's keyword arguments (or None), passed to the rules too,
    # op       the op's name,
    # versions the in-place versions of the Tensor inputs then; or, when all were 0, the
    #          count of in-place changes anywhere then (an int; see INPLACE_CHANGES).
    # A plain tuple, not an object: one is made for every op, so it must be cheap.
    __slots__ = ("data", "grad", "requires_grad", "_node", "_version", "_hooks", "__weakref__")

    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = _as_array(data, dtype)
        self.grad = self._node = self._version = self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, node=None):
        """A Tensor around `data` (an ndarray) without conversion: the ops' fast path."""
        t = object.__new__(cls)
        t.data = data
        t.grad = t._version = t._hooks = None
        t._node = node
        t.requires_grad = node is not None
        return t

    # --- what it is -------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def is_leaf(self):
        """True for Tensors made by the user rather than by an op that records."""
        return self._node is None

    @property
    def grad_fn(self):
        """The name of the op that made this Tensor, or None for a leaf."""
        return None if self._node is None else self._node[4]

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    # == is elementwise, so hash by identity, as PyTorch does. object's own hash is that,
    # in C: the backward pass keys its dicts and sets by Tensor, many times per op.
    __hash__ = object.__hash__

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool(): a Tensor of shape {self.shape} has more than one value; "
                               "use .any() or .all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError(f"only integer Tensors of a single element can be an index, "
                            f"got {self.dtype} of shape {self.shape}")
        return int(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype != backend.get_default_dtype() and self.data.dtype != np.int64:
            extras.append(f"dtype={self.data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self.grad_fn}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # --- leaving the graph ------------------------------------------------------
    def numpy(self):
        """The values as an ndarray (shared, not copied)."""
        return self.data

    def item(self):
        """The single value as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): a Tensor of shape {self.shape} has {self.data.size} values, not 1")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """The same values, sharing memory and version counter, cut off from the graph."""
        t = Tensor._make(self.data)
        t._version = _version_cell(self)
        return t

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError(f"only floating point Tensors can require gradients, got dtype {self.dtype}")
        if not requires_grad and not self.is_leaf:
            raise RuntimeError("requires_grad_(False) on a non-leaf Tensor; use .detach() instead")
        self.requires_grad = requires_grad
        return self

    # --- backward ---------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) · gradient into every leaf's `.grad`.

        `gradient` must be given when self is not a scalar: it is the vector in the
        vector-Jacobian product, of self's shape.
        """
        from descent.autograd import run_backward  # the engine sits beside, not below, Tensor
        run_backward((self,), (gradient,), retain_graph=retain_graph, create_graph=create_graph)

    def register_hook(self, hook):
        """Call `hook(grad)` when this Tensor's gradient is computed; a returned Tensor replaces it.

        Returns a handle whose `.remove()` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a Tensor that doesn't require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    @property
    def retains_grad(self):
        return self._hooks is not None and RETAIN_GRAD in self._hooks

    def retain_grad(self):
        """Keep `.grad` for this non-leaf Tensor too after `backward()`."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the Tensor does not require grad")
        if not self.is_leaf and not self.retains_grad:
            self._hooks = (self._hooks or []) + [RETAIN_GRAD]


class _HookHandle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _as_array(data, dtype=None):
    """`data` as an ndarray: floats in the default dtype, other kinds kept."""
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    array = np.asarray(data)
    if array.dtype.kind == "f" and array.dtype != backend.get_default_dtype() and not isinstance(data, np.ndarray):
        # Python floats and lists of them become the default dtype; ndarrays keep theirs.
        array = array.astype(backend.get_default_dtype())
    elif array.dtype.kind == "O":
        raise TypeError(f"Tensor: cannot make a Tensor from {type(data).__name__} values")
    return array


def _version_cell(t):
    """The mutable counter of in-place changes that `t` shares with its views."""
    if t._version is None:
        t._version = [0]
    return t._version


def version_of(t):
    return t._version[0] if t._version is not None else 0


# How many in-place changes have happened at all: a node made when this was n, that
# finds it still n at backward time, knows none of its inputs changed, without looking.
INPLACE_CHANGES = [0]


def bump_version(t):
    """Record an in-place change of `t`'s memory, seen by every node that saved it."""
    _version_cell(t)[0] += 1
    INPLACE_CHANGES[0] += 1


def share_version(view, base):
    """Let `view` (sharing memory with `base`) count in-place changes together with it."""
    view._version = _version_cell(base)
