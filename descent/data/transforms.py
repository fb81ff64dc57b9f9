"""Image transforms applied to a whole batch at once.

Every transform takes a batch of shape (N, C, H, W) or (N, H, W) and returns a
batch of the same layout. The random ones draw one value per sample (an offset,
a coin flip) from a descent Generator, then act on all samples with one
vectorized NumPy operation, with no Python loop over the samples.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from descent.backend import get_default_dtype, rng


def _as_nchw(x, name):
    """View `x` as (N, C, H, W), adding a channel axis to (N, H, W); and whether one was added."""
    x = np.asarray(x)
    if x.ndim == 3:
        return x[:, None], True
    if x.ndim == 4:
        return x, False
    raise ValueError(f"{name}: expected a batch of shape (N, C, H, W) or (N, H, W), got shape {x.shape}")


def _pair(value, name, what):
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 0 for v in pair):
        raise ValueError(f"{name}: {what} must be a non-negative int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _zero_pad(batch, pad_h, pad_w):
    """(N, C, H, W) -> (N, C, H + 2 pad_h, W + 2 pad_w) with zero borders (no copy without padding)."""
    if pad_h == pad_w == 0:
        return batch
    n, c, height, width = batch.shape
    padded = np.zeros((n, c, height + 2 * pad_h, width + 2 * pad_w), dtype=batch.dtype)
    padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width] = batch  # cheaper than np.pad here
    return padded


class Compose:
    """Apply `transforms` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class Normalize:
    """Standardize each channel: `(x - mean[c]) / std[c]`.

    Parameters
    ----------
    mean, std : float or sequence of float, shape (C,)
        One value for every channel, or one per channel of an (N, C, H, W) batch.

    Integer batches (raw pixels) are converted to the default floating dtype first;
    floating batches keep their dtype.
    """

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(std, dtype=np.float64).reshape(-1)
        if self.mean.size != self.std.size:
            raise ValueError(f"Normalize: mean has {self.mean.size} values but std has {self.std.size}")
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {std!r}")

    def __call__(self, x):
        batch, added = _as_nchw(x, "Normalize")
        channels = batch.shape[1]
        if self.mean.size not in (1, channels):
            raise ValueError(f"Normalize: {self.mean.size} means and stds for a batch of shape "
                             f"{np.shape(x)} with {channels} channel(s)")
        dtype = batch.dtype if np.issubdtype(batch.dtype, np.floating) else get_default_dtype()
        mean = self.mean.astype(dtype).reshape(-1, 1, 1)  # broadcast over (C, H, W)
        std = self.std.astype(dtype).reshape(-1, 1, 1)
        out = (batch.astype(dtype, copy=False) - mean) / std
        return out[:, 0] if added else out

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop:
    """Crop each sample to `size` at its own random offset, after zero padding.

    Parameters
    ----------
    size : int or (int, int)
        The output's (height, width).
    padding : int or (int, int)
        Zeros added on each side of (height, width) before cropping; with
        `padding=4` and `size=28`, a 28x28 image moves by up to 4 pixels.
    generator : descent.backend.Generator, optional
        The source of the offsets; the default generator when omitted.
    """

    def __init__(self, size, padding=0, generator=None):
        self.size = _pair(size, "RandomCrop", "size")
        self.padding = _pair(padding, "RandomCrop", "padding")
        self.generator = generator

    def __call__(self, x):
        batch, _ = _as_nchw(x, "RandomCrop")
        n, _, height, width = batch.shape
        rows, cols = self._room(height, width, np.shape(x))
        g = rng(self.generator)
        top = g.integers(0, rows, size=n)
        left = g.integers(0, cols, size=n)
        return self.crop(x, top, left)

    def crop(self, x, top, left):
        """Pad `x`, then cut sample i's window at (top[i], left[i]); top, left of shape (N,)."""
        batch, added = _as_nchw(x, "RandomCrop")
        n, _, height, width = batch.shape
        self._room(height, width, np.shape(x))
        padded = _zero_pad(batch, *self.padding)
        # Every (h, w) window as a strided view, no copy: (N, C, rows, cols, h, w).
        windows = sliding_window_view(padded, self.size, axis=(2, 3))
        # Indexing sample, row and column together picks one window per sample; the
        # advanced indices are split by the channel slice, so N comes first: (N, C, h, w).
        out = windows[np.arange(n), :, np.asarray(top), np.asarray(left)]
        return out[:, 0] if added else out

    def _room(self, height, width, shape):
        """How many offsets fit along rows and columns of the padded image."""
        rows = height + 2 * self.padding[0] - self.size[0] + 1
        cols = width + 2 * self.padding[1] - self.size[1] + 1
        if rows < 1 or cols < 1:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the padded image "
                             f"({height + 2 * self.padding[0]}, {width + 2 * self.padding[1]}) "
                             f"of a batch of shape {shape}")
        return rows, cols

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror each sample left-right with probability `p`, each with its own coin.

    Parameters
    ----------
    p : float
        The probability that a sample is flipped.
    generator : descent.backend.Generator, optional
        The source of the coin flips; the default generator when omitted.
    """

    def __init__(self, p=0.5, generator=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must lie in [0, 1], got {p!r}")
        self.p = p
        self.generator = generator

    def __call__(self, x):
        x = np.asarray(x)
        _as_nchw(x, "RandomHorizontalFlip")  # checks the layout
        mask = rng(self.generator).random(len(x)) < self.p
        return self.flip(x, mask)

    @staticmethod
    def flip(x, mask):
        """Mirror the samples where `mask` (shape (N,)) is True along the last (width) axis."""
        out = np.array(x, copy=True)
        out[mask] = out[mask][..., ::-1]
        return out

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"
