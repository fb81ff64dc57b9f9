"""descent: machine learning from first principles.

An automatic-differentiation core on NumPy (`Tensor`, `backward`, `grad`), and on top of it
neural networks, classic estimators and reinforcement learning.
"""
from descent import _openblas

_openblas.configure()  # before NumPy loads, see _openblas.py

from descent.backend import (Generator, get_default_dtype, get_num_threads, manual_seed,  # noqa: E402
                             set_default_dtype, set_num_threads)
from descent.tensor import Tensor, enable_grad, is_grad_enabled, no_grad  # noqa: E402
from descent.ops import *  # noqa: F401,F403,E402  (the op set is the public API)
from descent.ops import REGISTRY as _REGISTRY  # noqa: E402
from descent.transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp  # noqa: E402

from numpy import bool_, float32, float64, int32, int64  # dtypes, as descent.float32 etc.

__version__ = "0.1.0"
