"""descent: machine learning from first principles.

An automatic-differentiation core on NumPy (`Tensor`, `backward`, `grad`), and on top of it
neural networks, classic estimators and reinforcement learning.
"""
import os as _os

# After each threaded matrix product OpenBLAS's idle threads spin for about 0.1 s (2^28
# cycles) before they sleep, holding the cores that descent's own threaded loops (im2col,
# pooling, see ops/_parallel.py) want next. 2^20 cycles (a few tenths of a millisecond)
# still bridges the short gaps between the products of one layer after another, and lets
# the threads sleep through a convolution's longer copies: the MNIST CNN's epoch on 2 cores
# went from 19-22 s to 16.2-16.5 s. OpenBLAS reads this when NumPy loads, so it counts only
# when descent is imported first (as in the `descent` command); a value the user set is kept.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")

from descent.backend import (Generator, get_default_dtype, get_num_threads, manual_seed,  # noqa: E402
                             set_default_dtype, set_num_threads)
from descent.tensor import Tensor, enable_grad, is_grad_enabled, no_grad  # noqa: E402
from descent.ops import *  # noqa: F401,F403,E402  (the op set is the public API)
from descent.ops import REGISTRY as _REGISTRY  # noqa: E402
from descent.transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp  # noqa: E402

from numpy import bool_, float32, float64, int32, int64  # dtypes, as descent.float32 etc.

__version__ = "0.1.0"
