"""Making Tensors: constants, ranges, identity, and random draws from seeded generators.

Floating Tensors get the default dtype (float32 unless changed) unless `dtype` is
given. Random functions take `generator=` (a `descent.Generator`); without it they
draw from the default generator, which `descent.manual_seed` reseeds.
"""
import numpy as np

from descent import backend
from descent.tensor import Tensor


def _float(dtype):
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _new(data, requires_grad):
    return Tensor(data, requires_grad=requires_grad, dtype=data.dtype)


def tensor(data, dtype=None, requires_grad=False):
    """A new Tensor holding a copy of `data`."""
    if isinstance(data, Tensor):
        data = data.data
    t = Tensor(data, dtype=dtype)
    if isinstance(data, np.ndarray) and np.shares_memory(t.data, data):
        t.data = t.data.copy()
    return t.requires_grad_(requires_grad)


def from_numpy(array):
    """A Tensor sharing memory with `array` (no copy, dtype kept)."""
    return Tensor(np.asarray(array), dtype=np.asarray(array).dtype)


def zeros(*shape, dtype=None, requires_grad=False):
    return _new(np.zeros(_shape(shape), dtype=_float(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _new(np.ones(_shape(shape), dtype=_float(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    if dtype is None and isinstance(fill_value, (bool, int)) and not isinstance(fill_value, float):
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _new(np.full(shape, fill_value, dtype=_float(dtype)), requires_grad)


def empty(*shape, dtype=None, requires_grad=False):
    return _new(np.empty(_shape(shape), dtype=_float(dtype)), requires_grad)


def _like(x, dtype):
    return x.dtype if dtype is None else dtype


def zeros_like(x, dtype=None, requires_grad=False):
    return zeros(np.shape(x), dtype=_like(x, dtype), requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    return ones(np.shape(x), dtype=_like(x, dtype), requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    return full(np.shape(x), fill_value, dtype=_like(x, dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Integers (or floats, if any bound is a float) from start up to, not including, end."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if is_float else np.int64
    return _new(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _new(np.linspace(start, end, steps, dtype=_float(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad)


# --- random ------------------------------------------------------------------------
def rand(*shape, generator=None, dtype=None, requires_grad=False):
    """Uniform on [0, 1)."""
    return uniform(0.0, 1.0, _shape(shape), generator=generator, dtype=dtype, requires_grad=requires_grad)


def randn(*shape, generator=None, dtype=None, requires_grad=False):
    """Standard normal."""
    return normal(0.0, 1.0, _shape(shape), generator=generator, dtype=dtype, requires_grad=requires_grad)


def uniform(low=0.0, high=1.0, size=(), generator=None, dtype=None, requires_grad=False):
    dtype = _float(dtype)
    values = backend.rng(generator).random(size, dtype=np.float64) * (high - low) + low
    return _new(values.astype(dtype), requires_grad)


def normal(mean=0.0, std=1.0, size=(), generator=None, dtype=None, requires_grad=False):
    dtype = _float(dtype)
    draws = backend.rng(generator).standard_normal(size, dtype=dtype if dtype == np.float32 else np.float64)
    return _new((draws * std + mean).astype(dtype, copy=False), requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=np.int64):
    """Integers from low up to, not including, high (from 0 up to low if high is None)."""
    if high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    return Tensor(backend.rng(generator).integers(low, high, size=size, dtype=dtype), dtype=dtype)


def randperm(n, generator=None):
    """A random permutation of 0..n-1."""
    return Tensor(backend.rng(generator).permutation(n), dtype=np.int64)


def rand_like(x, generator=None, dtype=None):
    return rand(np.shape(x), generator=generator, dtype=_like(x, dtype))


def randn_like(x, generator=None, dtype=None):
    return randn(np.shape(x), generator=generator, dtype=_like(x, dtype))
