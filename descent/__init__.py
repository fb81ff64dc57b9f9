"""descent: machine learning from first principles.

An automatic-differentiation core on NumPy (`Tensor`, `backward`, `grad`), and on top of it
neural networks, classic estimators and reinforcement learning.
"""
from descent.backend import Generator, get_default_dtype, manual_seed, set_default_dtype
from descent.tensor import Tensor, enable_grad, is_grad_enabled, no_grad
from descent.ops import *  # noqa: F401,F403  (the op set is the public API)
from descent.ops import REGISTRY as _REGISTRY
from descent.transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

from numpy import bool_, float32, float64, int32, int64  # dtypes, as descent.float32 etc.

__version__ = "0.1.0"
