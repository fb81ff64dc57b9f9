"""Dense layers and shape helpers: Linear, Bilinear-free basics, Identity, Flatten, Unflatten."""
import math

from descent import ops
from descent.nn import init
from descent.nn.module import Module, Parameter


def check_features(layer, x, axis, expected, what="features"):
    """Raise a ValueError naming the layer and the shape it expected when x's `axis` is wrong."""
    if x.ndim == 0 or x.shape[axis] != expected:
        raise ValueError(f"{layer}: expected input with {expected} {what} on axis {axis}, "
                         f"got shape {tuple(x.shape)}")


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch.

    Input (..., in_features), output (..., out_features). Weights and bias start uniform
    in ±1/√in_features (PyTorch's default, kaiming_uniform with a = √5).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None, generator=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(ops.empty(out_features, in_features, dtype=dtype))
        self.register_parameter("bias", Parameter(ops.empty(out_features, dtype=dtype)) if bias else None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x):
        check_features("Linear", x, -1, self.in_features)
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    def forward(self, x):
        return x


class Flatten(Module):
    """Merge axes start_dim..end_dim (by default all but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis `dim` into `unflattened_size`."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = self.dim % x.ndim
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1:])
