"""Convolution and pooling over the spatial axes of (N, C, H, W) arrays.

A convolution is a matrix product in disguise (im2col): lay every receptive field of
the input out as a column, and one BLAS matmul with the weight, seen as a
(C_out, C_in·kH·kW) matrix, gives all outputs at once (Chellapilla et al., "High
performance convolutional neural networks for document processing", 2006). Columns
are strided views of the padded input (`as_strided`), so building them is one copy.
The copies and slice-adds live in `_windows`, which splits them over threads.

Three primitives close under differentiation, each VJP written with the others:

    y  = conv2d(x, w)                  (a linear map A_w applied to x)
    dx = conv2d_input_grad(g, w)       (A_wᵀ g: the transposed convolution)
    dw = conv2d_weight_grad(x, g)      (the correlation of x with g)

Since <A_w x, g> = <x, A_wᵀ g> = <w, conv2d_weight_grad(x, g)>, the derivative of each
one in each argument is one of the three, which is what lets second derivatives work.
conv1d is conv2d over a height of 1; conv_transpose2d is conv2d_input_grad.
conv2d also adds the bias, while it writes its output, and keeps its im2col columns
for the weight's gradient (`primitive(..., saves=True)`): they are the x of
conv2d_weight_grad, already laid out.

Internally stride and dilation are pairs and padding is ((top, bottom), (left, right)),
so 'same' padding with an even kernel can be asymmetric, as in PyTorch.
"""
import numpy as np

from descent.ops._parallel import over_batch
from descent.ops._windows import (col2im, col2im_wide, gather_from_tiles, im2col, im2col_matrix, max_of_tiles,
                                  offset_slices, output_size, pad, scatter_to_tiles)
from descent.ops.elementwise import add, mul
from descent.ops.linalg import matmul
from descent.ops.primitive import primitive, shape_of
from descent.ops.shape import reshape

def _by_group(a, groups):
    """(N, C, H, W) as (N, groups, C/groups, H·W)."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, -1)


# --- the three convolution primitives ----------------------------------------------------------
# Two ways to lay out the matrix products, chosen by size:
# - small weights (the first layer: few input channels): one batched matmul over (sample, group),
#   each (C_out/groups, K) @ (K, Ho·Wo) with K = C/groups·kH·kW, whose result is already in
#   (N, C_out, Ho, Wo) order; the samples are split over the threads;
# - larger weights, groups = 1: one matrix product over all samples at once, (C_out, K) @ (K, N·Ho·Wo).
#   NumPy runs a batched matmul as many small single-threaded products, so only this one uses
#   every BLAS thread; it costs a transpose of the output, which pays off once K·C_out is large.
ONE_PRODUCT_MIN_WEIGHTS = 4096


def _one_product(w_shape, groups):
    return groups == 1 and w_shape[0] * w_shape[1] * w_shape[2] * w_shape[3] >= ONE_PRODUCT_MIN_WEIGHTS


def _swap_first_axes(a, bias=None):
    """a of shape (A, B, ...) as a new contiguous (B, A, ...) array, plus `bias` (A,) if given:
    one pass, over blocks of B."""
    out = np.empty((a.shape[1], a.shape[0]) + a.shape[2:],
                   dtype=a.dtype if bias is None else np.result_type(a, bias))
    swapped = a.swapaxes(0, 1)
    if bias is not None:
        bias = bias.reshape((-1,) + (1,) * (a.ndim - 2))

    def block(start, stop):
        if bias is None:
            np.copyto(out[start:stop], swapped[start:stop])
        else:
            np.add(swapped[start:stop], bias, out=out[start:stop])
    over_batch(block, out.shape[0], out.size)
    return out


def _conv2d(x, w, b=None, *, saving, stride, padding, dilation, groups):
    """(y, columns): y = conv(x, w) + b, and the im2col columns of x, kept for w's gradient."""
    c_out, kernel = w.shape[0], w.shape[2:]
    if _one_product(w.shape, groups):
        cols, out_hw = im2col_matrix(x, kernel, stride, padding, dilation)  # (K, N·Ho·Wo)
        y = w.reshape(c_out, -1) @ cols
        y = _swap_first_axes(y.reshape(c_out, x.shape[0], -1), b)  # (N, C_out, Ho·Wo)
        return y.reshape(y.shape[:2] + out_hw), cols if saving else None
    cols, out_hw = im2col(x, kernel, stride, padding, dilation, groups)  # (N, groups, K, Ho·Wo)
    weights = w.reshape(groups, c_out // groups, -1)
    y = np.empty((x.shape[0], groups, c_out // groups, cols.shape[3]),
                 dtype=np.result_type(x, w) if b is None else np.result_type(x, w, b))

    def block(start, stop):
        np.matmul(weights, cols[start:stop], out=y[start:stop])
        if b is not None:
            y[start:stop] += b.reshape(groups, -1, 1)
    over_batch(block, x.shape[0], y.size + cols.size)
    return y.reshape((x.shape[0], c_out) + out_hw), cols if saving else None


def _conv2d_input_grad(g, w, x_shape, stride, padding, dilation, groups):
    c_out, _, kh, kw = w.shape
    wide = stride[1] == 1
    # With a column stride of 1, g gets the padded width, zeros beyond Wo, for the
    # contiguous slice-adds of col2im_wide.
    width = x_shape[3] + sum(padding[1]) if wide else g.shape[3]
    add_back = col2im_wide if wide else col2im
    if _one_product(w.shape, groups):
        g_cf = _channels_first(g, width)  # (C_out, N, Ho, width)
        cols = w.reshape(c_out, -1).T @ g_cf.reshape(c_out, -1)  # (C·kH·kW, N·Ho·width)
        cols = cols.reshape((x_shape[1], kh, kw, x_shape[0]) + g_cf.shape[2:]).transpose(0, 3, 1, 2, 4, 5)
        # Summed channel-first, (C, N, H, W), where each offset's block is contiguous; one transpose back.
        dx = add_back(cols, (x_shape[1], x_shape[0]) + x_shape[2:], (kh, kw), stride, padding, dilation)
        return _swap_first_axes(dx)
    if wide:
        g = np.pad(g, ((0, 0), (0, 0), (0, 0), (0, width - g.shape[3])))
    w_t = w.reshape(groups, c_out // groups, -1).transpose(0, 2, 1)
    cols = np.matmul(w_t, _by_group(g, groups))  # (N, groups, C/groups·kH·kW, Ho·width)
    cols = cols.reshape(x_shape[:2] + (kh, kw) + g.shape[2:])
    return add_back(cols, x_shape, (kh, kw), stride, padding, dilation)


def _channels_first(g, width=None):
    """(N, C, H, W) as a new (C, N, H, width) array, zeros in the columns beyond W."""
    n, c, h, w = g.shape
    width = width or w
    # Zeros first, in one contiguous pass: filling only the few columns beyond W is slower.
    out = (np.zeros if width > w else np.empty)((c, n, h, width), dtype=g.dtype)

    def block(start, stop):
        np.copyto(out[:, start:stop, :, :w], g[start:stop].transpose(1, 0, 2, 3))
    over_batch(block, n, out.size)
    return out


def _conv2d_weight_grad(x, g, w_shape, stride, padding, dilation, groups, cols=None):
    """dw; `cols` are x's im2col columns when conv2d's forward kept them."""
    kernel = w_shape[2:]
    if (cols.ndim == 2) if cols is not None else _one_product(w_shape, groups):
        if cols is None:
            cols, _ = im2col_matrix(x, kernel, stride, padding, dilation)
        return (_channels_first(g).reshape(w_shape[0], -1) @ cols.T).reshape(w_shape)
    if cols is None:
        cols, _ = im2col(x, kernel, stride, padding, dilation, groups)
    g = _by_group(g, groups)

    def block(start, stop):  # (groups, C_out/groups, K), summed over this block's samples
        return np.matmul(g[start:stop], cols[start:stop].transpose(0, 1, 3, 2)).sum(axis=0)
    return sum(over_batch(block, x.shape[0], g.size + cols.size)).reshape(w_shape)


conv2d_op = primitive(
    _conv2d,
    lambda g, ans, x, w, b=None, saved=None, **p: conv2d_input_grad(g, w, x_shape=x.shape, **p),
    lambda g, ans, x, w, b=None, saved=None, **p: conv2d_weight_grad(x, g, w_shape=w.shape, cols=saved, **p),
    lambda g, ans, x, w, b, saved=None, **p: g.sum(axis=(0, 2, 3)),
    name="conv2d", saves=True)

conv2d_input_grad = primitive(
    _conv2d_input_grad,
    lambda h, ans, g, w, x_shape, **p: conv2d_op(h, w, **p),
    lambda h, ans, g, w, x_shape, **p: conv2d_weight_grad(h, g, w_shape=w.shape, **p),
    name="conv2d_input_grad")

conv2d_weight_grad = primitive(
    _conv2d_weight_grad,
    lambda h, ans, x, g, w_shape, cols=None, **p: conv2d_input_grad(g, h, x_shape=x.shape, **p),
    lambda h, ans, x, g, w_shape, cols=None, **p: conv2d_op(x, h, **p),
    name="conv2d_weight_grad")


# --- arguments --------------------------------------------------------------------------
def _pair(value, name, op):
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(
            isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return tuple(int(v) for v in pair)


def _conv_padding(padding, kernel, stride, dilation, op):
    """Padding as ((top, bottom), (left, right)) from an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
        # The extra row (for an even kernel) goes to the bottom and right, as in PyTorch.
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    ph, pw = _pair(padding, "padding", op)
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return ((ph, ph), (pw, pw))


def _check_positive(op, **values):
    for name, pair in values.items():
        if min(pair) < 1:
            raise ValueError(f"{op}: {name} must be positive, got {pair}")


def _check_conv(op, x_shape, w_shape, groups, spatial, layout):
    if len(x_shape) != 2 + spatial:
        raise ValueError(f"{op}: input must have shape {layout}, got {x_shape}")
    if len(w_shape) != 2 + spatial:
        raise ValueError(f"{op}: weight must have {2 + spatial} axes (C_out, C_in/groups, kernel...), "
                         f"got shape {w_shape}")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if x_shape[1] % groups or w_shape[0] % groups:
        raise ValueError(f"{op}: input channels ({x_shape[1]}) and output channels ({w_shape[0]}) "
                         f"must both be divisible by groups={groups}")
    if x_shape[1] != w_shape[1] * groups:
        raise ValueError(f"{op}: input has {x_shape[1]} channels but weight expects "
                         f"{w_shape[1] * groups} (groups={groups}); input shape {x_shape}, "
                         f"weight shape {w_shape}")


def _check_output(op, x_hw, kernel, stride, padding, dilation):
    out = tuple(output_size(x_hw[i], kernel[i], stride[i], padding[i], dilation[i]) for i in range(2))
    if min(out) < 1:
        padded = tuple(x_hw[i] + sum(padding[i]) for i in range(2))
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        raise ValueError(f"{op}: the kernel spans {span} (kernel {tuple(kernel)}, dilation {dilation}), "
                         f"more than the padded input {padded}")
    return out


def _check_bias(op, b, channels):
    if shape_of(b) != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {shape_of(b)}")


def _add_bias(y, b, op):
    if b is None:
        return y
    _check_bias(op, b, y.shape[1])
    return add(y, reshape(b, (1, -1) + (1,) * (len(y.shape) - 2)))


# --- public convolutions ------------------------------------------------------------------
def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, as `torch.nn.functional.conv2d`.

    Parameters
    ----------
    x : (N, C_in, H, W)
    w : (C_out, C_in / groups, kH, kW)
    b : (C_out,) or None
    stride, dilation : int or (int, int)
    padding : int, (int, int), 'valid' or 'same' (stride 1 only)
    groups : int; input and output channels split into this many independent blocks.

    Returns
    -------
    (N, C_out, Ho, Wo) with Ho = floor((H + 2·pad - dilation·(kH - 1) - 1) / stride) + 1.
    """
    return _conv("conv2d", x, w, b, stride, padding, dilation, groups)


def _conv(op, x, w, b, stride, padding, dilation, groups):
    _check_conv(op, shape_of(x), shape_of(w), groups, 2, "(N, C_in, H, W)")
    stride, dilation = _pair(stride, "stride", op), _pair(dilation, "dilation", op)
    _check_positive(op, stride=stride, dilation=dilation)
    padding = _conv_padding(padding, shape_of(w)[2:], stride, dilation, op)
    _check_output(op, shape_of(x)[2:], shape_of(w)[2:], stride, padding, dilation)
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=int(groups))
    if b is None:
        return conv2d_op(x, w, **params)
    _check_bias(op, b, shape_of(w)[0])
    return conv2d_op(x, w, b, **params)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, as `torch.nn.functional.conv1d`: conv2d over a height of 1.

    x : (N, C_in, L); w : (C_out, C_in / groups, K); b : (C_out,) or None.
    Returns (N, C_out, Lo) with Lo = floor((L + 2·pad - dilation·(K - 1) - 1) / stride) + 1.
    """
    op = "conv1d"
    _check_conv(op, shape_of(x), shape_of(w), groups, 1, "(N, C_in, L)")
    stride, dilation = _one(stride, "stride", op), _one(dilation, "dilation", op)
    if not isinstance(padding, str):
        padding = (0, _one(padding, "padding", op))
    x2 = reshape(x, shape_of(x)[:2] + (1,) + shape_of(x)[2:])
    w2 = reshape(w, shape_of(w)[:2] + (1,) + shape_of(w)[2:])
    y = _conv(op, x2, w2, b, (1, stride), padding, (1, dilation), groups)
    return reshape(y, y.shape[:2] + y.shape[3:])


def _one(value, name, op):
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, (int, np.integer)):
        raise ValueError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """The transposed convolution (the gradient of conv2d for its input), as PyTorch's.

    Parameters
    ----------
    x : (N, C_in, H, W)
    w : (C_in, C_out / groups, kH, kW), PyTorch's layout.
    b : (C_out,) or None
    output_padding : int or pair, smaller than the stride: rows and columns added at
        the bottom and right to pick one of the input sizes a strided conv2d maps to H.

    Returns
    -------
    (N, C_out, Ho, Wo) with Ho = (H - 1)·stride - 2·padding + dilation·(kH - 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    x_shape, w_shape = shape_of(x), shape_of(w)
    if len(x_shape) != 4:
        raise ValueError(f"{op}: input must have shape (N, C_in, H, W), got {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: weight must have shape (C_in, C_out/groups, kH, kW), got {w_shape}")
    if not isinstance(groups, (int, np.integer)) or groups < 1 or w_shape[0] % groups:
        raise ValueError(f"{op}: groups={groups!r} must be a positive int dividing the input channels "
                         f"({w_shape[0]})")
    if x_shape[1] != w_shape[0]:
        raise ValueError(f"{op}: input has {x_shape[1]} channels but weight expects {w_shape[0]} "
                         f"(weight shape {w_shape} is (C_in, C_out/groups, kH, kW))")
    stride, dilation = _pair(stride, "stride", op), _pair(dilation, "dilation", op)
    _check_positive(op, stride=stride, dilation=dilation)
    ph, pw = _pair(padding, "padding", op)
    extra = _pair(output_padding, "output_padding", op)
    if not all(0 <= e < s for e, s in zip(extra, stride)):
        raise ValueError(f"{op}: output_padding {extra} must be non-negative and smaller than the "
                         f"stride {stride}")
    out_hw = tuple((x_shape[2 + i] - 1) * stride[i] - 2 * p + dilation[i] * (w_shape[2 + i] - 1)
                   + extra[i] + 1 for i, p in enumerate((ph, pw)))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: padding {(ph, pw)} leaves an empty output {out_hw} for input {x_shape}")
    y_shape = (x_shape[0], w_shape[1] * groups) + out_hw
    y = conv2d_input_grad(x, w, x_shape=y_shape, stride=stride, padding=((ph, ph), (pw, pw)),
                          dilation=dilation, groups=int(groups))
    return _add_bias(y, b, op)


# --- pooling ---------------------------------------------------------------------------
def _pool_out(x_shape, kernel, stride, padding, dilation):
    return tuple(output_size(x_shape[2 + i], kernel[i], stride[i], (padding[i], padding[i]), dilation[i])
                 for i in range(2))


def _padded(x, padding, value):
    return pad(x, ((padding[0], padding[0]), (padding[1], padding[1])), value)


def _window_views(xp, kernel, stride, dilation, out_hw):
    """The (N, C, Ho, Wo) view of the padded input at each kernel offset, offsets in row-major order."""
    for rows, columns in offset_slices(kernel, stride, dilation, out_hw):
        yield xp[:, :, rows, columns]


def _spread(x_shape, padding, dtype, kernel, stride, dilation, out_hw, parts):
    """Add parts[k], of shape (N, C, Ho, Wo), at offset k of each window; crop the padding."""
    n, c, h, w = x_shape
    ph, pw = padding
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dtype)
    for view, part in zip(_window_views(xp, kernel, stride, dilation, out_hw), parts):
        view += part
    return xp[:, :, ph:ph + h, pw:pw + w]


# Max pooling: the value is the largest in each window; its gradient goes to the first
# position holding it (as PyTorch). Routing g to those positions (scatter) and reading
# at them (gather) are each other's adjoints, so the pair closes under differentiation.
# Which position won is piecewise constant in x: the forward keeps it (`winners`, for
# disjoint windows) and the rules pass it on instead of comparing x again.
def _max_pool2d(x, kernel, stride, padding, dilation, saving):
    """(largest, winners): winners as in `_windows.max_of_tiles` for disjoint windows, else None."""
    if saving and _tiles_the_input(x.shape, kernel, stride, padding, dilation):
        return max_of_tiles(x, kernel)
    return _largest(x, kernel, stride, padding, dilation), None


def _largest(x, kernel, stride, padding, dilation):
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    views = _window_views(_padded(x, padding, -np.inf), kernel, stride, dilation, out_hw)
    out = next(views).copy()
    for view in views:  # a loop over the kH·kW offsets, each a vectorized maximum
        np.maximum(out, view, out=out)
    return out


def _tiles_the_input(x_shape, kernel, stride, padding, dilation):
    """Whether the windows are disjoint tiles (stride = kernel, no padding or dilation): the common case."""
    return tuple(stride) == tuple(kernel) and not any(padding) and tuple(dilation) == (1, 1)


def _first_max_masks(x, kernel, stride, padding, dilation):
    """For each kernel offset, an (N, C, Ho, Wo) mask: 1 where that offset holds the first largest
    value of its window, 0 elsewhere. `free` marks windows whose maximum is not yet claimed."""
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    largest = _largest(x, kernel, stride, padding, dilation)
    free = np.ones(largest.shape, dtype=x.dtype)
    for view in _window_views(_padded(x, padding, -np.inf), kernel, stride, dilation, out_hw):
        hit = free * (view == largest)
        free -= hit
        yield hit


def _max_pool2d_scatter(g, x, kernel, stride, padding, dilation, winners=None):
    if _tiles_the_input(x.shape, kernel, stride, padding, dilation):
        winners = max_of_tiles(x, kernel)[1] if winners is None else winners
        return scatter_to_tiles(g, winners, x.shape, kernel)
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    parts = (g * hit for hit in _first_max_masks(x, kernel, stride, padding, dilation))
    return _spread(x.shape, padding, g.dtype, kernel, stride, dilation, out_hw, parts)


def _max_pool2d_gather(h, x, kernel, stride, padding, dilation, winners=None):
    if _tiles_the_input(x.shape, kernel, stride, padding, dilation):
        winners = max_of_tiles(x, kernel)[1] if winners is None else winners
        return gather_from_tiles(h, winners, kernel)
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    views = _window_views(_padded(h, padding, 0), kernel, stride, dilation, out_hw)
    out = np.zeros(h.shape[:2] + out_hw, dtype=h.dtype)
    for view, hit in zip(views, _first_max_masks(x, kernel, stride, padding, dilation)):
        out += view * hit
    return out


max_pool2d_op = primitive(
    _max_pool2d, lambda g, ans, x, saved, **p: max_pool2d_scatter(g, x, winners=saved, **p),
    name="max_pool2d", saves=True)
max_pool2d_scatter = primitive(
    _max_pool2d_scatter, lambda h, ans, g, x, **p: max_pool2d_gather(h, x, **p), None,
    name="max_pool2d_scatter")
max_pool2d_gather = primitive(
    _max_pool2d_gather, lambda g, ans, h, x, **p: max_pool2d_scatter(g, x, **p), None,
    name="max_pool2d_gather")


# Average pooling is a sum over each window (window_sum), scaled; the adjoint of the
# sum spreads each output back over its window (window_spread).
def _window_sum(x, kernel, stride, padding):
    out_hw = _pool_out(x.shape, kernel, stride, padding, (1, 1))
    views = _window_views(_padded(x, padding, 0), kernel, stride, (1, 1), out_hw)
    out = next(views).copy()
    for view in views:
        out += view
    return out


def _window_spread(g, x_shape, kernel, stride, padding):
    out_hw = g.shape[2:]
    parts = [g] * (kernel[0] * kernel[1])
    return _spread(x_shape, padding, g.dtype, kernel, stride, (1, 1), out_hw, parts)


window_sum = primitive(
    _window_sum, lambda g, ans, x, **p: window_spread(g, x_shape=x.shape, **p), name="window_sum")
window_spread = primitive(
    _window_spread, lambda h, ans, g, x_shape, **p: window_sum(h, **p), name="window_spread")


def _pool_args(op, x, kernel_size, stride, padding, dilation=1):
    if len(shape_of(x)) != 4:
        raise ValueError(f"{op}: input must have shape (N, C, H, W), got {shape_of(x)}")
    kernel = _pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else _pair(stride, "stride", op)
    padding, dilation = _pair(padding, "padding", op), _pair(dilation, "dilation", op)
    _check_positive(op, kernel_size=kernel, stride=stride, dilation=dilation)
    if any(p < 0 or 2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be between 0 and half the kernel size {kernel}")
    _check_output(op, shape_of(x)[2:], kernel, stride, [(p, p) for p in padding], dilation)
    return kernel, stride, padding, dilation


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """The largest value in each window, as `torch.nn.functional.max_pool2d`.

    x : (N, C, H, W); kernel_size, stride (default: kernel_size), padding, dilation : int or pair.
    Padding counts as -inf. Returns (N, C, Ho, Wo) by the convolution arithmetic.
    """
    kernel, stride, padding, dilation = _pool_args("max_pool2d", x, kernel_size, stride, padding, dilation)
    return max_pool2d_op(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """The mean of each window, as `torch.nn.functional.avg_pool2d`.

    x : (N, C, H, W). With `count_include_pad`, zero padding counts in the mean;
    without it, each window is divided by the number of input values it covers.
    """
    kernel, stride, padding, _ = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    total = window_sum(x, kernel=kernel, stride=stride, padding=padding)
    dtype = total.dtype if np.dtype(total.dtype).kind == "f" else np.float64
    if count_include_pad or padding == (0, 0):
        return mul(total, np.asarray(1 / (kernel[0] * kernel[1]), dtype=dtype))
    ones = np.ones((1, 1) + shape_of(x)[2:], dtype=dtype)
    counts = _window_sum(ones, kernel=kernel, stride=stride, padding=padding)
    return mul(total, 1 / counts)


def _lift(op, x, kernel_size, stride, padding):
    """A 1-D pooling's arguments as those of its 2-D version over a height of 1."""
    if len(shape_of(x)) != 3:
        raise ValueError(f"{op}: input must have shape (N, C, L), got {shape_of(x)}")
    x2 = reshape(x, shape_of(x)[:2] + (1,) + shape_of(x)[2:])
    stride = None if stride is None else (1, _one(stride, "stride", op))
    return x2, (1, _one(kernel_size, "kernel_size", op)), stride, (0, _one(padding, "padding", op))


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1):
    """max_pool2d over a height of 1: x (N, C, L) -> (N, C, Lo)."""
    x2, kernel, stride, padding = _lift("max_pool1d", x, kernel_size, stride, padding)
    y = max_pool2d(x2, kernel, stride, padding, (1, _one(dilation, "dilation", "max_pool1d")))
    return reshape(y, y.shape[:2] + y.shape[3:])


def avg_pool1d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """avg_pool2d over a height of 1: x (N, C, L) -> (N, C, Lo)."""
    x2, kernel, stride, padding = _lift("avg_pool1d", x, kernel_size, stride, padding)
    y = avg_pool2d(x2, kernel, stride, padding, count_include_pad)
    return reshape(y, y.shape[:2] + y.shape[3:])


def _adaptive_matrix(size, out, dtype):
    """(out, size) matrix averaging bins [floor(i·size/out), ceil((i+1)·size/out)), as PyTorch."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(x, output_size):
    """Average over output_size bins of each plane, as `torch.nn.functional.adaptive_avg_pool2d`.

    x : (N, C, H, W); output_size : int or (Ho, Wo) (None keeps that axis).
    Averaging along H and along W are each a constant matrix, so the pool is P_H · x · P_Wᵀ.
    """
    op = "adaptive_avg_pool2d"
    if len(shape_of(x)) not in (3, 4):
        raise ValueError(f"{op}: input must have shape (N, C, H, W) or (C, H, W), got {shape_of(x)}")
    h, w = shape_of(x)[-2:]
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    out_h, out_w = (n if o is None else o for n, o in zip((h, w), output_size))
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size}")
    dtype = x.dtype if np.dtype(x.dtype).kind == "f" else np.float64
    rows, columns = _adaptive_matrix(h, out_h, dtype), _adaptive_matrix(w, out_w, dtype)
    return matmul(matmul(rows, x), columns.T)
