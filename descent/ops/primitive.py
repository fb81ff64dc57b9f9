"""How an array function becomes an op that Tensors record.

    exp = primitive(np.exp, lambda g, ans, x: g * ans)

makes `exp` a function that
- on Tensors, computes `np.exp` on their arrays and, when a gradient is wanted,
  records its inputs and its rule;
- on plain arrays, is just `np.exp`: this is what lets the rules themselves run on
  arrays (fast) or on Tensors (recorded, for higher-order gradients), unchanged.

Every primitive is registered in `REGISTRY`, so the tests can check each one.
"""
import numpy as np

from descent.tensor import Tensor, _GradMode, share_version

REGISTRY = {}  # name -> op, for every differentiable primitive


def primitive(forward, *vjps, name=None, view=False):
    """Make `forward` (arrays -> array) an op with one VJP rule per positional argument.

    Parameters
    ----------
    forward : callable(*arrays, **params) -> ndarray
    vjps : callable(g, ans, *args, **params) -> gradient of that argument, or None
        for an argument that is not differentiable (an index, a shape).
    view : bool
        The result may share memory with the first argument (reshape, slicing), so
        it shares its counter of in-place changes.
    """
    name = name or forward.__name__

    def op(*args, **params):
        for a in args:
            if isinstance(a, Tensor):
                return apply(forward, vjps, name, args, params, view)
        return forward(*args, **params)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = forward.__doc__
    op.forward, op.vjps = forward, vjps
    if any(rule is not None for rule in vjps):
        REGISTRY[name] = op
    return op


def apply(forward, vjps, name, args, params, view=False):
    """Run `forward` on the arrays inside `args`; record the op if a gradient is wanted."""
    out = forward(*[a.data if isinstance(a, Tensor) else a for a in args], **params)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if _GradMode.enabled:
        for a, rule in zip(args, vjps):
            if rule is not None and isinstance(a, Tensor) and a.requires_grad:
                result = Tensor._make(out, args, vjps, params or None, name, _versions(args))
                break
        else:
            result = Tensor._make(out)
    else:
        result = Tensor._make(out)
    if view and out.base is not None:
        share_version(result, args[0])
    return result


def _versions(args):
    """The in-place versions of the Tensor arguments now, or None when none was ever changed."""
    if all(not isinstance(a, Tensor) or a._version is None for a in args):
        return None
    return tuple(a._version[0] if isinstance(a, Tensor) and a._version is not None else None
                 for a in args)


def variadic(forward, rule, name=None):
    """An op over any number of Tensors (concatenate, stack): `rule(i, g, ans, *args)`."""
    name = name or forward.__name__

    def op(*args, **params):
        vjps = tuple(_nth(rule, i) for i in range(len(args)))
        if any(isinstance(a, Tensor) for a in args):
            return apply(forward, vjps, name, args, params)
        return forward(*args, **params)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = forward.__doc__
    op.forward, op.vjps = forward, (rule,)
    REGISTRY[name] = op
    return op


def _nth(rule, i):
    def vjp(g, ans, *args, **params):
        return rule(i, g, ans, *args, **params)
    return vjp


def unbroadcast(g, shape):
    """Sum `g` down to `shape`: the gradient of broadcasting an input of that shape.

    Works on arrays and on Tensors, as every rule must.
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


def shape_of(x):
    """The shape of an array, a Tensor, or a Python number (())."""
    return getattr(x, "shape", ())


def data_of(x):
    """The array inside a Tensor, or x itself."""
    return x.data if isinstance(x, Tensor) else x
