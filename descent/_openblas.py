"""Settings for OpenBLAS, the BLAS inside NumPy's wheels, which it reads once, when NumPy loads.

`configure()` sets them as environment defaults, so they count only when descent is
imported before NumPy (as in the `descent` command); a value the user set is kept.
"""
import os


def configure():
    # After each threaded matrix product OpenBLAS's idle threads spin for about 0.1 s (2^28
    # cycles) before they sleep, holding the cores that descent's own threaded loops (im2col,
    # pooling, see ops/_parallel.py) want next. 2^20 cycles (a few tenths of a millisecond)
    # still bridges the short gaps between the products of one layer after another, and lets
    # the threads sleep through a convolution's longer copies: the MNIST CNN's epoch on 2 cores
    # went from 19-22 s to 16.2-16.5 s.
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")
    # On AMD Zen 4, which runs each 512-bit instruction as two 256-bit halves, OpenBLAS picks
    # its AVX-512 (SkylakeX) kernels, but its AVX2 (Haswell) ones are mostly faster: on an
    # EPYC, a float32 (128, 784) @ (784, 512) product took 520 µs against 590 µs, an epoch of
    # the mnist-mlp recipe 5% less time, and brute-force kNN 0.61 s against 0.85 s.
    if _is_zen4():
        os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")


def _is_zen4(path="/proc/cpuinfo"):
    """Whether the first processor of /proc/cpuinfo is an AMD family 25 (Zen 3 / Zen 4) with AVX-512: Zen 4."""
    try:
        with open(path) as f:
            first = f.read(1 << 14).split("\n\n")[0]
    except OSError:
        return False
    fields = {}
    for line in first.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return (fields.get("vendor_id") == "AuthenticAMD" and fields.get("cpu family") == "25"
            and "avx512f" in fields.get("flags", "").split())
