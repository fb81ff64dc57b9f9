"""Primitives: forward on arrays plus the vector-Jacobian product of each input.

Importing this package also gives Tensor its operators and methods (see methods.py).
"""
from descent.ops.creation import (arange, empty, eye, from_numpy, full, full_like, linspace, normal,
                                  ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
                                  tensor, uniform, zeros, zeros_like)
from descent.ops.elementwise import (abs, add, astype, ceil, clip, copy, cos, div, elu, equal, erf, exp,
                                     expm1, floor, gelu, greater, greater_equal, isfinite, isinf, isnan,
                                     leaky_relu, less, less_equal, log, log1p, logical_and, logical_not,
                                     logical_or, logical_xor, maximum, minimum, mul, neg, not_equal, pow,
                                     relu, relu_grad, round, sigmoid, sign, silu, sin, softplus, sqrt,
                                     square, sub, tanh, where)
from descent.ops.fused import linear, softmax_cross_entropy
from descent.ops.index import gather, getitem, index_put, scatter_add, take_along_axis
from descent.ops.conv import (adaptive_avg_pool2d, avg_pool1d, avg_pool2d, conv1d, conv2d, conv_transpose2d,
                              max_pool1d, max_pool2d)
from descent.ops.linalg import (cholesky, det, dot, einsum, inv, matmul, norm, outer, slogdet, solve,
                                trace)
from descent.ops.methods import bind as _bind
from descent.ops.primitive import REGISTRY, primitive, unbroadcast
from descent.ops.reduce import (all, any, argmax, argmin, cumsum, log_softmax, logsumexp, max, mean,
                                min, prod, softmax, std, sum, var)
from descent.ops.shape import (broadcast_to, cat, chunk, concatenate, expand, expand_dims, flatten, flip,
                               moveaxis, pad, permute, repeat, reshape, split, squeeze, stack, swapaxes,
                               tile, transpose, unsqueeze)

_bind()
clamp = clip
