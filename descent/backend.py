"""The array module, the default floating dtype, and seeded random generators.

Everything above this layer asks here for its arrays and its randomness, so that the
choice of NumPy (or CuPy, where asked) and of float32 / float64 is made in one place.
"""
import os

import numpy as np

xp = np  # the array module; NumPy by default

_default_dtype = np.dtype(np.float32)


def get_default_dtype():
    """The floating dtype new Tensors get: float32 unless changed."""
    return _default_dtype


def set_default_dtype(dtype):
    """Make `dtype` (float32 or float64) the dtype of new floating Tensors."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 are supported, got {dtype}")
    _default_dtype = dtype


_num_threads = None  # None: read from the environment on first use


def get_num_threads():
    """How many threads descent's own array loops may use (im2col, col2im, pooling).

    BLAS picks its own threads; this is the same count, for the loops NumPy runs on
    one core: `set_num_threads`, else OMP_NUM_THREADS, else the CPUs this process may
    run on. 1 means every loop runs on the calling thread.
    """
    global _num_threads
    if _num_threads is None:
        setting = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
        _num_threads = int(setting) if setting.isdigit() and int(setting) > 0 else _cpu_count()
    return _num_threads


def set_num_threads(n):
    """Let descent's own array loops use `n` threads (as `torch.set_num_threads`); BLAS is not changed."""
    global _num_threads
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: the number of threads must be a positive int, got {n!r}")
    _num_threads = n


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Generator:
    """A seedable source of randomness (PCG64), in the manner of `torch.Generator`.

    Its state can be read and restored exactly, so a training run resumed from a
    checkpoint draws the same numbers it would have drawn without the interruption.
    """

    def __init__(self, seed=None):
        self.manual_seed(seed)

    def manual_seed(self, seed):
        self.seed = seed
        self.numpy = np.random.Generator(np.random.PCG64(seed))
        return self

    def get_state(self):
        """The generator's state as a JSON-serializable dict."""
        return self.numpy.bit_generator.state

    def set_state(self, state):
        self.numpy.bit_generator.state = state

    def __repr__(self):
        return f"Generator(seed={self.seed})"


default_generator = Generator(0)


def manual_seed(seed):
    """Reseed the default generator; the same seed gives the same results."""
    default_generator.manual_seed(seed)
    return default_generator


def rng(generator=None):
    """The NumPy generator behind `generator`, or behind the default generator."""
    return (generator or default_generator).numpy


def tune_allocator(threshold=1 << 30):
    """Keep large NumPy temporaries on the heap instead of fresh memory maps (glibc only).

    glibc serves each allocation over its mmap threshold with a new memory map, and
    returns it to the system when freed, so a training step that allocates the same
    few-megabyte arrays every step pays their page faults every step: a conv layer's
    forward and backward ran 3.6× slower for it. Raising the mmap and trim thresholds
    keeps freed memory for reuse, as PyTorch's caching allocator does. It changes the
    whole process, so descent never does it on import: the `descent` command and the
    benchmarks call it. Returns True when it took effect.
    """
    import ctypes
    import ctypes.util
    import sys
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
        return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold)) and bool(libc.mallopt(M_TRIM_THRESHOLD, threshold))
    except (OSError, AttributeError):
        return False
