"""Convolution and pooling over the spatial axes of (N, C, H, W) arrays.

A convolution is a matrix product in disguise (im2col): lay every receptive field of
the input out as a column, and one BLAS matmul with the weight, seen as a
(C_out, C_in·kH·kW) matrix, gives all outputs at once (Chellapilla et al., "High
performance convolutional neural networks for document processing", 2006). Columns
are strided views of the padded input (`as_strided`), so building them is one copy.

Three primitives close under differentiation, each VJP written with the others:

    y  = conv2d(x, w)                  (a linear map A_w applied to x)
    dx = conv2d_input_grad(g, w)       (A_wᵀ g: the transposed convolution)
    dw = conv2d_weight_grad(x, g)      (the correlation of x with g)

Since <A_w x, g> = <x, A_wᵀ g> = <w, conv2d_weight_grad(x, g)>, the derivative of each
one in each argument is one of the three, which is what lets second derivatives work.
conv1d is conv2d over a height of 1; conv_transpose2d is conv2d_input_grad.

Internally stride and dilation are pairs and padding is ((top, bottom), (left, right)),
so 'same' padding with an even kernel can be asymmetric, as in PyTorch.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from descent.ops.elementwise import add, mul
from descent.ops.linalg import matmul
from descent.ops.primitive import primitive, shape_of
from descent.ops.shape import reshape


# --- im2col and its adjoint --------------------------------------------------------------
def _output_size(size, kernel, stride, padding, dilation):
    """floor((size + pads - dilation·(kernel - 1) - 1) / stride) + 1, the convolution arithmetic."""
    return (size + padding[0] + padding[1] - dilation * (kernel - 1) - 1) // stride + 1


def _pad(x, padding, value=0):
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def _windows(xp, kernel, stride, dilation, out_hw):
    """The (N, C, kH, kW, Ho, Wo) view of every receptive field of the padded input `xp`; no copy."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(xp, (n, c, kh, kw, ho, wo), (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw),
                      writeable=False)


def _offset_slices(kernel, stride, dilation, out_hw):
    """For each kernel offset (p, q): the slices of the padded input that it touches."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for p in range(kh):
        for q in range(kw):
            yield (slice(p * dh, p * dh + sh * (ho - 1) + 1, sh),
                   slice(q * dw, q * dw + sw * (wo - 1) + 1, sw))


def _im2col(x, kernel, stride, padding, dilation, groups):
    """Columns of shape (N, groups, C/groups·kH·kW, Ho·Wo): one copy of the windows."""
    xp = _pad(x, padding)
    out_hw = tuple(_output_size(x.shape[2 + i], kernel[i], stride[i], padding[i], dilation[i])
                   for i in range(2))
    windows = _windows(xp, kernel, stride, dilation, out_hw)
    return windows.reshape(x.shape[0], groups, -1, out_hw[0] * out_hw[1]), out_hw


def _col2im(cols, x_shape, kernel, stride, padding, dilation):
    """The adjoint of im2col: add each column back where it was read from.

    `cols` has shape (N, C, kH, kW, Ho, Wo). One strided slice-add per kernel offset.
    """
    n, c, h, w = x_shape
    (top, bottom), (left, right) = padding
    xp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=cols.dtype)
    offsets = _offset_slices(kernel, stride, dilation, cols.shape[4:])
    for (p, q), (rows, columns) in zip(np.ndindex(*kernel), offsets):
        xp[:, :, rows, columns] += cols[:, :, p, q]
    return xp[:, :, top:top + h, left:left + w]


def _col2im_wide(cols, x_shape, kernel, stride, padding, dilation):
    """_col2im for a column stride of 1, with cols (N, C, kH, kW, Ho, Wp) zero beyond Wo.

    Output row i at offset (p, q) then covers Wp consecutive values of the flattened
    padded plane, so each slice-add runs over long contiguous stretches instead of
    rows of Wo. The zero columns spill into the next row (or a slack at the plane's
    end) and add nothing.
    """
    n, c, h, w = x_shape
    (top, bottom), (left, right) = padding
    hp, wp = h + top + bottom, w + left + right
    ho = cols.shape[4]
    plane = hp * wp + dilation[1] * (kernel[1] - 1)
    buffer = np.zeros((n, c, plane), dtype=cols.dtype)
    flat, item = buffer.reshape(-1), buffer.itemsize
    strides = (c * plane * item, plane * item, stride[0] * wp * item, item)
    for p, q in np.ndindex(*kernel):
        start = p * dilation[0] * wp + q * dilation[1]
        flat_view = as_strided(flat[start:], (n, c, ho, wp), strides)
        flat_view += cols[:, :, p, q]
    xp = buffer[:, :, :hp * wp].reshape(n, c, hp, wp)
    return xp[:, :, top:top + h, left:left + w]


def _by_group(a, groups):
    """(N, C, H, W) as (N, groups, C/groups, H·W)."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, -1)


# --- the three convolution primitives ----------------------------------------------------------
# Two ways to lay out the matrix products, chosen by size:
# - small weights (the first layer: few input channels): one batched matmul over (sample, group),
#   each (C_out/groups, K) @ (K, Ho·Wo) with K = C/groups·kH·kW, whose result is already in
#   (N, C_out, Ho, Wo) order;
# - larger weights, groups = 1: one matrix product over all samples at once, (C_out, K) @ (K, N·Ho·Wo).
#   NumPy runs a batched matmul as many small single-threaded products, so only this one uses
#   every BLAS thread; it costs a transpose of the output, which pays off once K·C_out is large.
ONE_PRODUCT_MIN_WEIGHTS = 4096


def _one_product(w_shape, groups):
    return groups == 1 and w_shape[0] * w_shape[1] * w_shape[2] * w_shape[3] >= ONE_PRODUCT_MIN_WEIGHTS


def _im2col_matrix(x, kernel, stride, padding, dilation):
    """Columns as one (C·kH·kW, N·Ho·Wo) matrix: every receptive field of every sample. One copy."""
    xp = _pad(x, padding)
    out_hw = tuple(_output_size(x.shape[2 + i], kernel[i], stride[i], padding[i], dilation[i])
                   for i in range(2))
    windows = _windows(xp, kernel, stride, dilation, out_hw)  # (N, C, kH, kW, Ho, Wo)
    return windows.transpose(1, 2, 3, 0, 4, 5).reshape(-1, x.shape[0] * out_hw[0] * out_hw[1]), out_hw


def _channels_first(g):
    """(N, C, H, W) as a (C, N·H·W) matrix (one copy)."""
    return g.transpose(1, 0, 2, 3).reshape(g.shape[1], -1)


def _conv2d(x, w, stride, padding, dilation, groups):
    if _one_product(w.shape, groups):
        cols, out_hw = _im2col_matrix(x, w.shape[2:], stride, padding, dilation)
        y = (w.reshape(w.shape[0], -1) @ cols).reshape((w.shape[0], x.shape[0]) + out_hw)
        return np.ascontiguousarray(y.transpose(1, 0, 2, 3))
    cols, out_hw = _im2col(x, w.shape[2:], stride, padding, dilation, groups)
    y = np.matmul(w.reshape(groups, w.shape[0] // groups, -1), cols)  # (N, groups, C_out/groups, Ho·Wo)
    return y.reshape((x.shape[0], w.shape[0]) + out_hw)


def _conv2d_input_grad(g, w, x_shape, stride, padding, dilation, groups):
    c_out, _, kh, kw = w.shape
    wide = stride[1] == 1
    if wide:  # give g the padded width, zeros beyond Wo, for the contiguous slice-adds of _col2im_wide
        g = np.pad(g, ((0, 0), (0, 0), (0, 0), (0, x_shape[3] + sum(padding[1]) - g.shape[3])))
    col2im = _col2im_wide if wide else _col2im
    if _one_product(w.shape, groups):
        cols = w.reshape(c_out, -1).T @ _channels_first(g)  # (C·kH·kW, N·Ho·Wo)
        cols = cols.reshape((x_shape[1], kh, kw, x_shape[0]) + g.shape[2:]).transpose(0, 3, 1, 2, 4, 5)
        # Summed channel-first, (C, N, H, W), where each offset's block is contiguous; one transpose back.
        dx = col2im(cols, (x_shape[1], x_shape[0]) + x_shape[2:], (kh, kw), stride, padding, dilation)
        return np.ascontiguousarray(dx.transpose(1, 0, 2, 3))
    w_t = w.reshape(groups, c_out // groups, -1).transpose(0, 2, 1)
    cols = np.matmul(w_t, _by_group(g, groups))  # (N, groups, C/groups·kH·kW, Ho·W)
    cols = cols.reshape(x_shape[:2] + (kh, kw) + g.shape[2:])
    return col2im(cols, x_shape, (kh, kw), stride, padding, dilation)


def _conv2d_weight_grad(x, g, w_shape, stride, padding, dilation, groups):
    if _one_product(w_shape, groups):
        cols, _ = _im2col_matrix(x, w_shape[2:], stride, padding, dilation)
        return (_channels_first(g) @ cols.T).reshape(w_shape)
    cols, _ = _im2col(x, w_shape[2:], stride, padding, dilation, groups)
    per_sample = np.matmul(_by_group(g, groups), cols.transpose(0, 1, 3, 2))  # (N, groups, C_out/groups, K)
    return per_sample.sum(axis=0).reshape(w_shape)


conv2d_op = primitive(
    _conv2d,
    lambda g, ans, x, w, **p: conv2d_input_grad(g, w, x_shape=x.shape, **p),
    lambda g, ans, x, w, **p: conv2d_weight_grad(x, g, w_shape=w.shape, **p),
    name="conv2d")

conv2d_input_grad = primitive(
    _conv2d_input_grad,
    lambda h, ans, g, w, x_shape, **p: conv2d_op(h, w, **p),
    lambda h, ans, g, w, x_shape, **p: conv2d_weight_grad(h, g, w_shape=w.shape, **p),
    name="conv2d_input_grad")

conv2d_weight_grad = primitive(
    _conv2d_weight_grad,
    lambda h, ans, x, g, w_shape, **p: conv2d_input_grad(g, h, x_shape=x.shape, **p),
    lambda h, ans, x, g, w_shape, **p: conv2d_op(x, h, **p),
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
    out = tuple(_output_size(x_hw[i], kernel[i], stride[i], padding[i], dilation[i]) for i in range(2))
    if min(out) < 1:
        padded = tuple(x_hw[i] + sum(padding[i]) for i in range(2))
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        raise ValueError(f"{op}: the kernel spans {span} (kernel {tuple(kernel)}, dilation {dilation}), "
                         f"more than the padded input {padded}")
    return out


def _add_bias(y, b, op):
    if b is None:
        return y
    if shape_of(b) != (y.shape[1],):
        raise ValueError(f"{op}: bias must have shape ({y.shape[1]},), got {shape_of(b)}")
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
    y = conv2d_op(x, w, stride=stride, padding=padding, dilation=dilation, groups=int(groups))
    return _add_bias(y, b, op)


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
    return tuple(_output_size(x_shape[2 + i], kernel[i], stride[i], (padding[i], padding[i]), dilation[i])
                 for i in range(2))


def _padded(x, padding, value):
    return _pad(x, ((padding[0], padding[0]), (padding[1], padding[1])), value)


def _window_views(xp, kernel, stride, dilation, out_hw):
    """The (N, C, Ho, Wo) view of the padded input at each kernel offset, offsets in row-major order."""
    for rows, columns in _offset_slices(kernel, stride, dilation, out_hw):
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
def _max_pool2d(x, kernel, stride, padding, dilation):
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    views = _window_views(_padded(x, padding, -np.inf), kernel, stride, dilation, out_hw)
    out = next(views).copy()
    for view in views:  # a loop over the kH·kW offsets, each a vectorized maximum
        np.maximum(out, view, out=out)
    return out


def _first_max_masks(x, kernel, stride, padding, dilation):
    """For each kernel offset, an (N, C, Ho, Wo) mask: 1 where that offset holds the first largest
    value of its window, 0 elsewhere. `free` marks windows whose maximum is not yet claimed."""
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    largest = _max_pool2d(x, kernel, stride, padding, dilation)
    free = np.ones(largest.shape, dtype=x.dtype)
    for view in _window_views(_padded(x, padding, -np.inf), kernel, stride, dilation, out_hw):
        hit = free * (view == largest)
        free -= hit
        yield hit


def _max_pool2d_scatter(g, x, kernel, stride, padding, dilation):
    if _tiles_the_input(x.shape, kernel, stride, padding, dilation):
        return _scatter_to_tiles(g, x, kernel)
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    parts = (g * hit for hit in _first_max_masks(x, kernel, stride, padding, dilation))
    return _spread(x.shape, padding, g.dtype, kernel, stride, dilation, out_hw, parts)


def _tiles_the_input(x_shape, kernel, stride, padding, dilation):
    """Whether the windows are disjoint tiles (stride = kernel, no padding or dilation): the common case."""
    return tuple(stride) == tuple(kernel) and not any(padding) and tuple(dilation) == (1, 1)


def _scatter_to_tiles(g, x, kernel):
    """_max_pool2d_scatter for disjoint windows: each window's gradient is written straight
    into its own tile of the result, with boolean masks, and nothing is added twice."""
    (kh, kw), (ho, wo) = kernel, g.shape[2:]
    n, c = x.shape[:2]
    tiles = x[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw)
    covered = (ho * kh, wo * kw) == x.shape[2:]
    out = np.empty(x.shape, dtype=g.dtype) if covered else np.zeros(x.shape, dtype=g.dtype)
    out_tiles = out[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw)  # a view: ho*kh rows fit
    if (kh, kw) == (2, 2):
        winners = _first_max_of_four(*(tiles[:, :, :, p, :, q] for p in range(2) for q in range(2)))
    else:
        winners = _first_max_of_tiles(x, tiles, kernel)
    for (p, q), hit in zip(np.ndindex(kh, kw), winners):
        np.multiply(g, hit, out=out_tiles[:, :, :, p, :, q])
    return out


def _first_max_of_four(a, b, c, d):
    """Masks of which of the four 2x2 positions (a b / c d) holds each window's first maximum.

    Comparisons in row-major order pick the first on ties, as PyTorch does: the top row
    wins a tie with the bottom one, and the left element a tie with the right one.
    """
    top = np.maximum(a, b) >= np.maximum(c, d)
    left_top, left_bottom = a >= b, c >= d
    return (top & left_top, top & ~left_top, ~top & left_bottom, ~top & ~left_bottom)


def _first_max_of_tiles(x, tiles, kernel):
    largest = _max_pool2d(x, kernel, kernel, (0, 0), (1, 1))
    free = np.ones(largest.shape, dtype=bool)  # windows whose first maximum is not yet found
    for p, q in np.ndindex(*kernel):
        hit = tiles[:, :, :, p, :, q] == largest
        hit &= free
        free &= ~hit
        yield hit


def _max_pool2d_gather(h, x, kernel, stride, padding, dilation):
    out_hw = _pool_out(x.shape, kernel, stride, padding, dilation)
    views = _window_views(_padded(h, padding, 0), kernel, stride, dilation, out_hw)
    out = np.zeros(h.shape[:2] + out_hw, dtype=h.dtype)
    for view, hit in zip(views, _first_max_masks(x, kernel, stride, padding, dilation)):
        out += view * hit
    return out


max_pool2d_op = primitive(
    _max_pool2d, lambda g, ans, x, **p: max_pool2d_scatter(g, x, **p), name="max_pool2d")
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
