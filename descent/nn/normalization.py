"""Normalization and regularization layers: BatchNorm, LayerNorm, GroupNorm, Dropout, Embedding."""
import numpy as np

from descent import backend, functional as F, ops
from descent.nn import init
from descent.nn.linear import check_features
from descent.nn.module import Module, Parameter


class _BatchNorm(Module):
    """Normalize each channel by batch statistics in training and running statistics in eval
    (Ioffe & Szegedy 2015). Running mean and variance are buffers, saved in the state dict."""

    expected_ndim = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=None):
        super().__init__()
        dtype = dtype or backend.get_default_dtype()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(ops.ones(num_features, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(ops.zeros(num_features, dtype=dtype)) if affine else None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.running_mean = self.running_var = None

    def forward(self, x):
        name = type(self).__name__
        if x.ndim not in self.expected_ndim:
            raise ValueError(f"{name}: expected input of {' or '.join(map(str, self.expected_ndim))} "
                             f"dimensions (N, {self.num_features}, ...), got shape {tuple(x.shape)}")
        check_features(name, x, 1, self.num_features, "channels")
        use_batch_stats = self.training or not self.track_running_stats
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
        return F.batch_norm(x, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None, self.weight, self.bias,
                            training=use_batch_stats, momentum=self.momentum, eps=self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L)."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W)."""

    expected_ndim = (4,)


class LayerNorm(Module):
    """Normalize over the trailing `normalized_shape` axes of each sample (Ba et al. 2016)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        affine = elementwise_affine
        self.register_parameter("weight", Parameter(ops.ones(shape, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(ops.zeros(shape, dtype=dtype)) if affine and bias else None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


class GroupNorm(Module):
    """Normalize over groups of channels (Wu & He 2018); input (N, C, ...)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: {num_channels} channels do not split into {num_groups} groups")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.register_parameter("weight", Parameter(ops.ones(num_channels, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(ops.zeros(num_channels, dtype=dtype)) if affine else None)

    def forward(self, x):
        check_features("GroupNorm", x, 1, self.num_channels, "channels")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}"


class Dropout(Module):
    """Zero elements with probability p in training; the identity in eval."""

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p, self.generator = p, generator

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self):
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: integer indices (...) -> rows of weight (num_embeddings, embedding_dim)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=None, generator=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(ops.empty(num_embeddings, embedding_dim, dtype=dtype))
        init.normal_(self.weight, generator=generator)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
