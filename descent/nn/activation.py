"""Activations as modules, for Sequential."""
from descent import functional as F
from descent.nn.module import Module


class _Elementwise(Module):
    fn = None

    def forward(self, x):
        return type(self).fn(x)


class ReLU(_Elementwise):
    fn = staticmethod(F.relu)


class Sigmoid(_Elementwise):
    fn = staticmethod(F.sigmoid)


class Tanh(_Elementwise):
    fn = staticmethod(F.tanh)


class SiLU(_Elementwise):
    fn = staticmethod(F.silu)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, negative_slope=self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, alpha=self.alpha)


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, beta=self.beta, threshold=self.threshold)


class Softmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, axis=self.dim)


class LogSoftmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, axis=self.dim)
