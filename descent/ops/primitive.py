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

from descent.tensor import INPLACE_CHANGES, Tensor, _GradMode, share_version

REGISTRY = {}  # name -> op, for every differentiable primitive


def primitive(forward, *vjps, name=None, view=False, saves=False):
    """Make `forward` (arrays -> array) an op with one VJP rule per positional argument.

    Parameters
    ----------
    forward : callable(*arrays, **params) -> ndarray
    vjps : callable(g, ans, *args, **params) -> gradient of that argument, or None
        for an argument that is not differentiable (an index, a condition).
    view : bool
        The result may share memory with the first argument (reshape, slicing), so
        it shares its counter of in-place changes.
    saves : bool
        `forward(*arrays, saving, **params)` returns (result, saved): something it
        computed on the way that the rules would otherwise compute again (a
        convolution's im2col columns, which element of each window was the largest).
        `saving` tells it whether the op is being recorded, so that it can skip what
        nothing will use. The rules get `saved` as a keyword argument; on plain arrays
        the op returns the result alone. `saved` holds arrays, never Tensors, so a rule
        must use it only where its derivative is not wanted (or is zero).
    """
    name = name or forward.__name__

    def op(*args, **params):
        for a in args:
            if isinstance(a, Tensor):
                return apply(forward, vjps, name, args, params, view, saves)
        return forward(*args, saving=False, **params)[0] if saves else forward(*args, **params)

    if len(vjps) == 1 and not view and not saves:
        op = _unary(forward, vjps[0], name, op)
    elif len(vjps) == 2 and not view and not saves:
        op = _binary(forward, vjps, name, op)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = forward.__doc__
    op.forward, op.vjps = forward, vjps
    if any(rule is not None for rule in vjps):
        REGISTRY[name] = op
    return op


def apply(forward, vjps, name, args, params, view=False, saves=False):
    """Run `forward` on the arrays inside `args`; record the op if a gradient is wanted."""
    arrays = tuple([a.data if isinstance(a, Tensor) else a for a in args])
    edges = ()
    if _GradMode.enabled:
        edges = tuple([(a, rule) for a, rule in zip(args, vjps)
                       if rule is not None and isinstance(a, Tensor) and a.requires_grad])
    try:
        out = forward(*arrays, saving=bool(edges), **params) if saves else forward(*arrays, **params)
    except ValueError as e:
        raise named(e, name) from None
    if saves:
        out, saved = out
        params = dict(params, saved=saved)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    node = (args, arrays, edges, params or None, name, _versions(args)) if edges else None
    result = Tensor._make(out, node)
    if view and out.base is not None:
        share_version(result, args[0])
    return result


# The same as `op` and `apply` above, unrolled for one and two arguments: these are
# most ops, and the generic loops cost more than the op itself on small arrays.
def _unary(forward, rule, name, general):
    def op(x, *rest, **params):
        if rest:
            return general(x, *rest, **params)
        if not isinstance(x, Tensor):
            return forward(x, **params)
        out = forward(x.data, **params) if params else forward(x.data)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if x.requires_grad and _GradMode.enabled:
            versions = INPLACE_CHANGES[0] if x._version is None else (x._version[0],)
            return Tensor._make(out, ((x,), (x.data,), ((x, rule),), params or None, name, versions))
        return Tensor._make(out)
    return op


def _binary(forward, rules, name, general):
    rule_x, rule_y = rules

    def op(x, y, *rest, **params):
        if rest:
            return general(x, y, *rest, **params)
        x_is, y_is = isinstance(x, Tensor), isinstance(y, Tensor)
        if not (x_is or y_is):
            return forward(x, y, **params)
        a = x.data if x_is else x
        b = y.data if y_is else y
        try:
            out = forward(a, b, **params) if params else forward(a, b)
        except ValueError as e:  # e.g. shapes that do not broadcast
            raise named(e, name) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if _GradMode.enabled:
            x_needs = x_is and x.requires_grad and rule_x is not None
            y_needs = y_is and y.requires_grad and rule_y is not None
            if x_needs or y_needs:
                edges = ((x, rule_x), (y, rule_y)) if x_needs and y_needs else (
                    ((x, rule_x),) if x_needs else ((y, rule_y),))
                if (not x_is or x._version is None) and (not y_is or y._version is None):
                    versions = INPLACE_CHANGES[0]
                else:
                    versions = _versions((x, y))
                return Tensor._make(out, ((x, y), (a, b), edges, params or None, name, versions))
        return Tensor._make(out)
    return op


def named(error, name):
    """The error with the op's name in front, unless it names it already."""
    message = str(error)
    return error if message.startswith(name) else type(error)(f"{name}: {message}")


def _versions(args):
    """The in-place versions of the Tensor arguments now (see `Tensor._node`)."""
    if all(not isinstance(a, Tensor) or a._version is None for a in args):
        return INPLACE_CHANGES[0]
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
