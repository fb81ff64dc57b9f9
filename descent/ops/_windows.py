"""Array kernels over the sliding windows of (N, C, H, W) arrays: im2col, its adjoint
col2im, and max pooling over disjoint tiles.

Besides its matrix products (BLAS), these loops are where a convolutional network
spends its time: strided NumPy copies, comparisons and slice-adds, whose cost is the
strided access more than the arithmetic. Each runs over blocks of the batch (or
channel) axis on `descent.ops._parallel`'s threads, since NumPy runs it on one core.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from descent.ops._parallel import over_batch


def output_size(size, kernel, stride, padding, dilation):
    """floor((size + pads - dilation·(kernel - 1) - 1) / stride) + 1, the convolution arithmetic."""
    return (size + padding[0] + padding[1] - dilation * (kernel - 1) - 1) // stride + 1


def pad(x, padding, value=0):
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def windows(xp, kernel, stride, dilation, out_hw):
    """The (N, C, kH, kW, Ho, Wo) view of every receptive field of the padded input `xp`; no copy."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(xp, (n, c, kh, kw, ho, wo), (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw),
                      writeable=False)


def offset_slices(kernel, stride, dilation, out_hw):
    """For each kernel offset (p, q): the slices of the padded input that it touches."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for p in range(kh):
        for q in range(kw):
            yield (slice(p * dh, p * dh + sh * (ho - 1) + 1, sh),
                   slice(q * dw, q * dw + sw * (wo - 1) + 1, sw))


def _windows_of(x, kernel, stride, padding, dilation):
    out_hw = tuple(output_size(x.shape[2 + i], kernel[i], stride[i], padding[i], dilation[i])
                   for i in range(2))
    return windows(pad(x, padding), kernel, stride, dilation, out_hw), out_hw


def copy_by_blocks(destination, source, axis=0):
    """destination[...] = source, split over blocks of `axis` on the threads."""
    def copy(start, stop):
        block = (slice(None),) * axis + (slice(start, stop),)
        np.copyto(destination[block], source[block])
    over_batch(copy, destination.shape[axis], destination.size)
    return destination


# --- im2col and its adjoint --------------------------------------------------------------
def im2col(x, kernel, stride, padding, dilation, groups):
    """Columns of shape (N, groups, C/groups·kH·kW, Ho·Wo): one copy of the windows."""
    fields, out_hw = _windows_of(x, kernel, stride, padding, dilation)  # (N, C, kH, kW, Ho, Wo)
    cols = copy_by_blocks(np.empty(fields.shape, dtype=x.dtype), fields)
    return cols.reshape(x.shape[0], groups, -1, out_hw[0] * out_hw[1]), out_hw


def im2col_matrix(x, kernel, stride, padding, dilation):
    """Columns as one (C·kH·kW, N·Ho·Wo) matrix: every receptive field of every sample. One copy."""
    fields, out_hw = _windows_of(x, kernel, stride, padding, dilation)
    fields = fields.transpose(1, 2, 3, 0, 4, 5)  # (C, kH, kW, N, Ho, Wo)
    cols = copy_by_blocks(np.empty(fields.shape, dtype=x.dtype), fields, axis=3)
    return cols.reshape(-1, x.shape[0] * out_hw[0] * out_hw[1]), out_hw


def col2im(cols, x_shape, kernel, stride, padding, dilation):
    """The adjoint of im2col: add each column back where it was read from.

    `cols` has shape (A, B, kH, kW, Ho, Wo), for an input of shape x_shape = (A, B, H, W).
    One strided slice-add per kernel offset, over blocks of the first axis.
    """
    a, b, h, w = x_shape
    (top, bottom), (left, right) = padding
    xp = np.zeros((a, b, h + top + bottom, w + left + right), dtype=cols.dtype)

    def add_back(start, stop):
        offsets = offset_slices(kernel, stride, dilation, cols.shape[4:])
        for (p, q), (rows, columns) in zip(np.ndindex(*kernel), offsets):
            xp[start:stop, :, rows, columns] += cols[start:stop, :, p, q]
    over_batch(add_back, a, cols.size)
    return xp[:, :, top:top + h, left:left + w]


def col2im_wide(cols, x_shape, kernel, stride, padding, dilation):
    """col2im for a column stride of 1, with cols (A, B, kH, kW, Ho, Wp) zero beyond Wo.

    Output row i at offset (p, q) then covers Wp consecutive values of the flattened
    padded plane, so each slice-add runs over long contiguous stretches instead of
    rows of Wo. The zero columns spill into the next row (or a slack at the plane's
    end) and add nothing.
    """
    a, b, h, w = x_shape
    (top, bottom), (left, right) = padding
    hp, wp = h + top + bottom, w + left + right
    ho = cols.shape[4]
    plane = hp * wp + dilation[1] * (kernel[1] - 1)
    buffer = np.zeros((a, b, plane), dtype=cols.dtype)
    item = buffer.itemsize
    strides = (b * plane * item, plane * item, stride[0] * wp * item, item)

    def add_back(start, stop):
        flat = buffer[start:stop].reshape(-1)
        for p, q in np.ndindex(*kernel):
            offset = p * dilation[0] * wp + q * dilation[1]
            flat_view = as_strided(flat[offset:], (stop - start, b, ho, wp), strides)
            flat_view += cols[start:stop, :, p, q]
    over_batch(add_back, a, cols.size)
    xp = buffer[:, :, :hp * wp].reshape(a, b, hp, wp)
    return xp[:, :, top:top + h, left:left + w]


# --- max pooling over disjoint tiles ---------------------------------------------------
def max_of_tiles(x, kernel):
    """The largest value of each disjoint kH×kW tile, and which offset holds it first.

    Returns (largest (N, C, Ho, Wo), winners (kH·kW, N, C, Ho, Wo) bool), with
    Ho = H // kH, Wo = W // kW; winners[k] marks the tiles whose first maximum, in
    row-major order (as PyTorch), sits at offset k = p·kW + q. Each offset's values
    are first copied out of their strided places into a contiguous plane: the strided
    read happens once, and every comparison then runs on contiguous memory. A few
    samples at a time, so that the planes stay in the cache.
    """
    (kh, kw), (n, c, h, w) = kernel, x.shape
    ho, wo = h // kh, w // kw
    tiles = x[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw)
    largest = np.empty((n, c, ho, wo), dtype=x.dtype)
    winners = np.empty((kh * kw, n, c, ho, wo), dtype=bool)

    def block(start, stop):
        for first, last in pieces(start, stop, x[0].nbytes):
            planes = np.empty((kh * kw, last - first, c, ho, wo), dtype=x.dtype)
            for k, (p, q) in enumerate(np.ndindex(kh, kw)):
                np.copyto(planes[k], tiles[first:last, :, :, p, :, q])
            first_max = _first_max_of_four if (kh, kw) == (2, 2) else _first_max_of_planes
            first_max(planes, largest[first:last], winners[:, first:last])
    over_batch(block, n, x.size)
    return largest, winners


def pieces(start, stop, sample_bytes, cache_bytes=1 << 20):
    """[start, stop) in runs of samples that fit in `cache_bytes`: several passes over one
    run then read the cache, not memory."""
    step = max(1, cache_bytes // max(sample_bytes, 1))
    for first in range(start, stop, step):
        yield first, min(stop, first + step)


def _first_max_of_four(planes, largest, winners):
    """For the 2×2 tiles a b / c d (planes a, b, c, d): comparisons in row-major order pick
    the first on ties, as PyTorch does: the top row wins a tie with the bottom one, and the
    left element a tie with the right one."""
    a, b, c, d = planes
    top, bottom = np.maximum(a, b), np.maximum(c, d)
    np.maximum(top, bottom, out=largest)
    top_wins, left_top, left_bottom = top >= bottom, a >= b, c >= d
    np.logical_and(top_wins, left_top, out=winners[0])
    np.greater(top_wins, left_top, out=winners[1])  # on booleans, u > v is u and not v
    np.greater(left_bottom, top_wins, out=winners[2])
    np.logical_not(np.logical_or(top_wins, left_bottom, out=winners[3]), out=winners[3])


def _first_max_of_planes(planes, largest, winners):
    np.max(planes, axis=0, out=largest)
    free = np.ones(largest.shape, dtype=bool)  # tiles whose first maximum is not yet found
    for plane, hit in zip(planes, winners):
        np.equal(plane, largest, out=hit)
        hit &= free
        free &= ~hit


def scatter_to_tiles(g, winners, x_shape, kernel):
    """The gradient of max_of_tiles: each g goes to its tile's winner, zeros elsewhere.

    g : (N, C, Ho, Wo); winners : (kH·kW, N, C, Ho, Wo) bool; returns x_shape.
    Each tile of the result is written once, so nothing is added.
    """
    (kh, kw), (ho, wo) = kernel, g.shape[2:]
    n, c = x_shape[:2]
    covered = (ho * kh, wo * kw) == tuple(x_shape[2:])
    out = np.empty(x_shape, dtype=g.dtype) if covered else np.zeros(x_shape, dtype=g.dtype)
    out_tiles = out[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw)  # a view: ho·kh rows fit

    def block(start, stop):
        for first, last in pieces(start, stop, out[0].nbytes):  # the kH·kW passes over a piece hit the cache
            for k, (p, q) in enumerate(np.ndindex(kh, kw)):
                np.multiply(g[first:last], winners[k, first:last], out=out_tiles[first:last, :, :, p, :, q])
    over_batch(block, n, out.size)
    return out


def gather_from_tiles(h, winners, kernel):
    """The adjoint of scatter_to_tiles: each tile's value of h at its winner. h : (N, C, H, W)."""
    (kh, kw), (n, c, ho, wo) = kernel, winners.shape[1:]
    tiles = h[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw)
    out = np.zeros((n, c, ho, wo), dtype=h.dtype)
    for k, (p, q) in enumerate(np.ndindex(kh, kw)):
        out += tiles[:, :, :, p, :, q] * winners[k]
    return out
