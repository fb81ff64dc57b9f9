"""Convolution and pooling layers over (N, C, L) and (N, C, H, W) inputs."""
import math

from descent import ops
from descent.nn import init
from descent.nn.linear import check_features
from descent.nn.module import Module, Parameter
from descent.ops import conv as C


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    dims = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, output_padding=0, dtype=None, generator=None):
        super().__init__()
        name = type(self).__name__
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                             f"both be divisible by groups ({groups})")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, self.dims)
        self.stride, self.dilation = _tuple(stride, self.dims), _tuple(dilation, self.dims)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, self.dims)
        self.output_padding = _tuple(output_padding, self.dims)
        self.groups = groups
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(ops.empty(shape, dtype=dtype))
        self.register_parameter("bias", Parameter(ops.empty(out_channels, dtype=dtype)) if bias else None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        # PyTorch's default: kaiming_uniform with a = √5, i.e. uniform in ±1/√fan_in.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in, _ = init.fans(self.weight.shape)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound, generator)

    def _check(self, x):
        name = type(self).__name__
        if x.ndim != self.dims + 2:
            raise ValueError(f"{name}: expected input of shape (N, {self.in_channels}, "
                             f"{', '.join('HW'[-self.dims:] if self.dims == 2 else 'L')}), got shape {tuple(x.shape)}")
        check_features(name, x, 1, self.in_channels, "channels")

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}"
                + (f", groups={self.groups}" if self.groups != 1 else "")
                + ("" if self.bias is not None else ", bias=False"))


class Conv1d(_ConvNd):
    """1-D convolution: (N, C_in, L) -> (N, C_out, L_out)."""

    dims = 1

    def forward(self, x):
        self._check(x)
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return C.conv1d(x, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation, as in every framework): (N, C_in, H, W) -> (N, C_out, H', W')."""

    def forward(self, x):
        self._check(x)
        return C.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """The adjoint of Conv2d (the gradient of its input): upsampling by `stride`."""

    transposed = True

    def forward(self, x):
        self._check(x)
        return C.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.dilation, self.groups)


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation

    def forward(self, x):
        return C.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return C.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed output size, whatever the input's."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return C.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
