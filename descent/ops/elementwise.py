"""Elementwise ops: arithmetic, transcendental functions and activations.

Each op is its forward (a NumPy function) and, beside it, the vector-Jacobian product
of each argument. Binary ops broadcast as NumPy does; `unbroadcast` sums each
gradient back to its argument's shape.
"""
import math

import numpy as np

from descent.ops._parallel import over_pieces
from descent.ops.primitive import primitive, shape_of, unbroadcast

# --- arithmetic -----------------------------------------------------------------
add = primitive(np.add,
                lambda g, ans, x, y: unbroadcast(g, shape_of(x)),
                lambda g, ans, x, y: unbroadcast(g, shape_of(y)), name="add")
sub = primitive(np.subtract,
                lambda g, ans, x, y: unbroadcast(g, shape_of(x)),
                lambda g, ans, x, y: unbroadcast(-g, shape_of(y)), name="sub")
mul = primitive(np.multiply,
                lambda g, ans, x, y: unbroadcast(g * y, shape_of(x)),
                lambda g, ans, x, y: unbroadcast(g * x, shape_of(y)), name="mul")
div = primitive(np.true_divide,
                lambda g, ans, x, y: unbroadcast(g / y, shape_of(x)),
                lambda g, ans, x, y: unbroadcast(-g * ans / y, shape_of(y)), name="div")
neg = primitive(np.negative, lambda g, ans, x: -g, name="neg")


def _pow_vjp_base(g, ans, x, y):
    return unbroadcast(g * y * x ** (y - 1), shape_of(x))


def _pow_vjp_exponent(g, ans, x, y):
    # d(x**y)/dy = x**y log x, taken as 0 where x == 0 (as PyTorch does) to avoid log(0).
    positive = x > 0
    return unbroadcast(g * where(positive, ans * log(where(positive, x, 1)), 0), shape_of(y))


pow = primitive(np.power, _pow_vjp_base, _pow_vjp_exponent, name="pow")


def _square(x):
    return x * x


square = primitive(_square, lambda g, ans, x: g * 2 * x, name="square")

# --- exponentials, logarithms, roots ----------------------------------------------
exp = primitive(np.exp, lambda g, ans, x: g * ans, name="exp")
log = primitive(np.log, lambda g, ans, x: g / x, name="log")
log1p = primitive(np.log1p, lambda g, ans, x: g / (x + 1), name="log1p")
expm1 = primitive(np.expm1, lambda g, ans, x: g * (ans + 1), name="expm1")
sqrt = primitive(np.sqrt, lambda g, ans, x: g / (ans * 2), name="sqrt")
abs = primitive(np.abs, lambda g, ans, x: g * sign(x), name="abs")

# --- trigonometric and hyperbolic ----------------------------------------------------
sin = primitive(np.sin, lambda g, ans, x: g * cos(x), name="sin")
cos = primitive(np.cos, lambda g, ans, x: -g * sin(x), name="cos")
tanh = primitive(np.tanh, lambda g, ans, x: g * (1 - ans * ans), name="tanh")


# --- activations ------------------------------------------------------------------
def _sigmoid(x):
    # 1 / (1 + e^-x) overflows for very negative x; tanh form is stable everywhere.
    return 0.5 * np.tanh(0.5 * x) + 0.5


sigmoid = primitive(_sigmoid, lambda g, ans, x: g * ans * (1 - ans), name="sigmoid")


# relu is the activation of most networks, so its two loops run on flat pieces on the
# threads (see `over_pieces`), with two more tricks measured on NumPy 2.4:
# - np.maximum(x, 0), with a scalar operand, runs a loop without SIMD, three times slower
#   than np.maximum against an array of zeros: so x is compared with a block of zeros;
# - g * (ans > 0), a float times a bool, converts the bool in a slow buffered loop: so
#   the mask is first copied into the output as floats (a fast cast), then multiplied.
# Below a few thousand elements the plain expressions win: they cost fewer Python steps.
_ZEROS = {}  # dtype -> a read-only block of zeros, as long as a piece
_PIECE = 1 << 16


def _zeros(dtype, size=_PIECE):
    block = _ZEROS.get(dtype)
    if block is None:
        block = _ZEROS[dtype] = np.zeros(size, dtype=dtype)
        block.flags.writeable = False
    return block


def _flat_pieces(*arrays, least=0):
    """The arrays as 1-d views if all are C-contiguous floats of one shape and dtype, with at
    least `least` elements; else None."""
    first = arrays[0]
    if first.size < least or first.dtype.kind != "f" or not all(
            a.flags.c_contiguous and a.shape == first.shape and a.dtype == first.dtype for a in arrays):
        return None
    return [a.reshape(-1) for a in arrays]


def _relu(x):
    flat = _flat_pieces(x, least=4096)
    if flat is None:
        return np.maximum(x, 0)
    out = np.empty_like(x)
    (x_flat,), out_flat, zeros = flat, out.reshape(-1), _zeros(x.dtype)

    def piece(start, stop):
        np.maximum(x_flat[start:stop], zeros[:stop - start], out=out_flat[start:stop])
    over_pieces(piece, x.size, zeros.size)
    return out


def _relu_grad(g, ans):
    """g where ans > 0, else 0: the VJP of relu, whose output is `ans`."""
    flat = _flat_pieces(g, ans, least=_PIECE + 1)  # three passes pay only over several pieces
    if flat is None:
        return g * (ans > 0)
    out = np.empty_like(g)
    (g_flat, ans_flat), out_flat = flat, out.reshape(-1)

    def piece(start, stop):
        target = out_flat[start:stop]
        np.copyto(target, np.greater(ans_flat[start:stop], 0))
        np.multiply(target, g_flat[start:stop], out=target)
    over_pieces(piece, g.size, _PIECE)
    return out


# relu_grad is linear in g and flat in ans (almost everywhere): its own VJP is itself.
relu_grad = primitive(_relu_grad, lambda h, out, g, ans: relu_grad(h, ans), None, name="relu_grad")
relu = primitive(_relu, lambda g, ans, x: relu_grad(g, ans), name="relu")


def _leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, x * negative_slope)


leaky_relu = primitive(
    _leaky_relu,
    lambda g, ans, x, negative_slope=0.01: where(x > 0, g, g * negative_slope), name="leaky_relu")


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


elu = primitive(_elu, lambda g, ans, x, alpha=1.0: where(x > 0, g, g * (ans + alpha)), name="elu")


def _softplus(x, beta=1.0, threshold=20.0):
    # log(1 + e^(beta x)) / beta, linear above the threshold where it equals x to float precision.
    bx = x * beta
    return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)


softplus = primitive(
    _softplus,
    lambda g, ans, x, beta=1.0, threshold=20.0: where(x * beta > threshold, g, g * sigmoid(x * beta)),
    name="softplus")


def _silu(x):
    return x * _sigmoid(x)


def _silu_vjp(g, ans, x):
    s = sigmoid(x)
    return g * s * (1 + x * (1 - s))


silu = primitive(_silu, _silu_vjp, name="silu")

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _erf(x):
    """The error function: to float32 precision by a fast fit, to float64 precision by series."""
    if x.dtype == np.float64:
        return _erf_float64(x)
    return _erf_float32(x)


def _erf_float32(x):
    """erf(x) from the Chebyshev fit of Numerical Recipes (fractional error < 1.2e-7)."""
    z = np.abs(x)
    t = 1 / (1 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    return np.sign(x) * (1 - t * np.exp(poly))


def _erf_float64(x):
    """erf(x) to ~1e-13: the Maclaurin series for |x| <= 3, a continued fraction for erfc beyond.

    erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1)), and
    erfc z = e^(-z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))).
    Both are evaluated for all elements at once, a fixed number of terms each.
    """
    z = np.abs(x)
    near = z <= 3
    out = np.empty_like(z)
    zn = z[near]
    term, total, z2 = zn.copy(), zn.copy(), zn * zn
    for n in range(1, 60):
        term *= -z2 / n
        total += term / (2 * n + 1)
    out[near] = total * (2 / math.sqrt(math.pi))
    zf = z[~near]
    k = zf.copy()
    for n in range(60, 0, -1):
        k = zf + (n / 2) / k
    out[~near] = 1 - np.exp(-zf * zf) / (math.sqrt(math.pi) * k)
    return np.sign(x) * out


erf = primitive(_erf, lambda g, ans, x: g * (2 / math.sqrt(math.pi)) * exp(-x * x), name="erf")


def _gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x * (1 / math.sqrt(2))))


def _gelu_vjp(g, ans, x, approximate="none"):
    if approximate == "tanh":
        inner = tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return g * (0.5 * (1 + inner) + 0.5 * x * (1 - inner * inner) * d_inner)
    # d/dx x Φ(x) = Φ(x) + x φ(x)
    return g * (0.5 * (1 + erf(x * (1 / math.sqrt(2)))) + x * _INV_SQRT_2PI * exp(-0.5 * x * x))


gelu = primitive(_gelu, _gelu_vjp, name="gelu")


# --- clipping and selection -----------------------------------------------------------
def _clip(x, min=None, max=None):
    return np.clip(x, min, max)


def _clip_vjp(g, ans, x, min=None, max=None):
    # The gradient passes where min <= x <= max, bounds included, as in PyTorch's clamp.
    inside = x == x if min is None else x >= min
    if max is not None:
        inside = inside & (x <= max)
    return g * inside


clip = primitive(_clip, _clip_vjp, name="clip")


def _maximum_vjp(x_wins):
    # Where the two are equal, each gets half the gradient, as in PyTorch.
    def vjp(g, ans, x, y):
        mine, theirs = (x, y) if x_wins else (y, x)
        share = where(mine > theirs, g, where(mine == theirs, g * 0.5, 0))
        return unbroadcast(share, shape_of(mine))
    return vjp


def _minimum_vjp(x_wins):
    def vjp(g, ans, x, y):
        mine, theirs = (x, y) if x_wins else (y, x)
        share = where(mine < theirs, g, where(mine == theirs, g * 0.5, 0))
        return unbroadcast(share, shape_of(mine))
    return vjp


maximum = primitive(np.maximum, _maximum_vjp(True), _maximum_vjp(False), name="maximum")
minimum = primitive(np.minimum, _minimum_vjp(True), _minimum_vjp(False), name="minimum")


def _where(condition, x, y):
    return np.where(condition, x, y)


where = primitive(
    _where, None,
    lambda g, ans, c, x, y: unbroadcast(where(c, g, 0), shape_of(x)),
    lambda g, ans, c, x, y: unbroadcast(where(c, 0, g), shape_of(y)), name="where")


def _astype(x, dtype):
    return x.astype(dtype, copy=False)


astype = primitive(_astype, lambda g, ans, x, dtype: astype(g, x.dtype), name="astype")

copy = primitive(np.copy, lambda g, ans, x: g, name="copy")

# --- not differentiable ----------------------------------------------------------------
sign = primitive(np.sign)
floor = primitive(np.floor)
ceil = primitive(np.ceil)
round = primitive(np.round, name="round")
isnan = primitive(np.isnan)
isinf = primitive(np.isinf)
isfinite = primitive(np.isfinite)
equal = primitive(np.equal, name="equal")
not_equal = primitive(np.not_equal, name="not_equal")
less = primitive(np.less, name="less")
less_equal = primitive(np.less_equal, name="less_equal")
greater = primitive(np.greater, name="greater")
greater_equal = primitive(np.greater_equal, name="greater_equal")
logical_and = primitive(np.logical_and)
logical_or = primitive(np.logical_or)
logical_xor = primitive(np.logical_xor)
logical_not = primitive(np.logical_not)
