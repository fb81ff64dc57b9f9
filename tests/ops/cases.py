"""One row per differentiable op: how to call it, on what inputs, and PyTorch's equivalent.

The gradcheck, second-order and PyTorch tests all run over this table, and a test
checks that every op in descent's registry has a row here (or in the conv and
linalg tables), so a new op without a gradient check fails the suite.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

import descent as d


@dataclass
class Case:
    op: str                          # the registry name this row checks
    f: Callable                      # descent function of the inputs
    shapes: tuple                    # shapes of the floating inputs
    torch: Optional[Callable] = None  # the same function written with torch, given the torch module
    low: float = -2.0                # inputs are drawn uniformly from [low, high]
    high: float = 2.0
    second_order: bool = True
    eps: float = 1e-6                 # finite-difference step
    name: str = ""

    def __post_init__(self):
        self.name = self.name or self.op

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        return [rng.uniform(self.low, self.high, s) for s in self.shapes]


LABELS = np.array([0, 2, 1, 1])
INDEX = np.array([[0, 2], [1, 1], [2, 0]])

CASES = [
    # --- elementwise, binary (broadcasting) ------------------------------------------
    Case("add", lambda x, y: x + y, ((3, 4), (4,)), lambda t, x, y: x + y),
    Case("sub", lambda x, y: x - y, ((3, 1), (1, 4)), lambda t, x, y: x - y),
    Case("mul", lambda x, y: x * y, ((2, 3, 4), (3, 1)), lambda t, x, y: x * y),
    Case("div", lambda x, y: x / y, ((3, 4), (4,)), lambda t, x, y: x / y, low=0.5),
    Case("pow", lambda x, y: x ** y, ((3, 4), (4,)), lambda t, x, y: x ** y, low=0.5),
    Case("pow", lambda x: x ** 3, ((3, 4),), lambda t, x: x ** 3, name="pow_constant"),
    Case("pow", lambda x: 2.0 ** x, ((3, 4),), lambda t, x: 2.0 ** x, name="rpow"),
    Case("maximum", d.maximum, ((3, 4), (4,)), lambda t, x, y: t.maximum(x, y)),
    Case("minimum", d.minimum, ((3, 4), (3, 1)), lambda t, x, y: t.minimum(x, y)),
    Case("where", lambda x, y: d.where(x > 0, x, y), ((3, 4), (4,)),
         lambda t, x, y: t.where(x > 0, x, y)),
    # --- elementwise, unary -----------------------------------------------------------
    Case("neg", lambda x: -x, ((3, 4),), lambda t, x: -x),
    Case("square", d.square, ((3, 4),), lambda t, x: t.square(x)),
    Case("exp", d.exp, ((3, 4),), lambda t, x: t.exp(x)),
    Case("log", d.log, ((3, 4),), lambda t, x: t.log(x), low=0.2),
    Case("log1p", d.log1p, ((3, 4),), lambda t, x: t.log1p(x), low=-0.5),
    Case("expm1", d.expm1, ((3, 4),), lambda t, x: t.expm1(x)),
    Case("sqrt", d.sqrt, ((3, 4),), lambda t, x: t.sqrt(x), low=0.2),
    Case("abs", d.abs, ((3, 4),), lambda t, x: t.abs(x)),
    Case("sin", d.sin, ((3, 4),), lambda t, x: t.sin(x)),
    Case("cos", d.cos, ((3, 4),), lambda t, x: t.cos(x)),
    Case("tanh", d.tanh, ((3, 4),), lambda t, x: t.tanh(x)),
    Case("sigmoid", d.sigmoid, ((3, 4),), lambda t, x: t.sigmoid(x), low=-8, high=8),
    Case("relu", d.relu, ((3, 4),), lambda t, x: t.relu(x)),
    Case("relu_grad", lambda g, x: d.ops.relu_grad(g, d.relu(x)), ((3, 4), (3, 4)),
         lambda t, g, x: g * (t.relu(x) > 0)),
    Case("leaky_relu", lambda x: d.leaky_relu(x, negative_slope=0.1), ((3, 4),),
         lambda t, x: t.nn.functional.leaky_relu(x, 0.1)),
    Case("elu", lambda x: d.elu(x, alpha=0.7), ((3, 4),), lambda t, x: t.nn.functional.elu(x, 0.7)),
    Case("softplus", lambda x: d.softplus(x, beta=2.0), ((3, 4),),
         lambda t, x: t.nn.functional.softplus(x, beta=2.0), low=-12, high=12),
    Case("silu", d.silu, ((3, 4),), lambda t, x: t.nn.functional.silu(x)),
    Case("erf", d.erf, ((3, 4),), lambda t, x: t.erf(x)),
    Case("gelu", d.gelu, ((3, 4),), lambda t, x: t.nn.functional.gelu(x)),
    Case("gelu", lambda x: d.gelu(x, approximate="tanh"), ((3, 4),),
         lambda t, x: t.nn.functional.gelu(x, approximate="tanh"), name="gelu_tanh"),
    Case("clip", lambda x: d.clip(x, min=-0.5, max=0.7), ((3, 4),), lambda t, x: t.clamp(x, -0.5, 0.7)),
    Case("astype", lambda x: d.astype(x, np.float32) * 1.0, ((3, 4),),
         lambda t, x: x.float(), eps=1e-2),  # a float32 result needs a step above its precision
    Case("copy", lambda x: x.clone() * 2, ((3, 4),), lambda t, x: x.clone() * 2),
    # --- reductions -------------------------------------------------------------------
    Case("sum", lambda x: x.sum(axis=1), ((3, 4),), lambda t, x: x.sum(1)),
    Case("sum", lambda x: x.sum(axis=(0, 2), keepdims=True), ((2, 3, 4),),
         lambda t, x: x.sum((0, 2), keepdim=True), name="sum_axes_keepdims"),
    Case("mean", lambda x: x.mean(), ((3, 4),), lambda t, x: x.mean()),
    Case("mean", lambda x: x.mean(axis=0), ((3, 4),), lambda t, x: x.mean(0), name="mean_axis"),
    Case("var", lambda x: x.var(axis=1), ((3, 4),), lambda t, x: x.var(1)),
    Case("std", lambda x: x.std(axis=0, keepdims=True), ((3, 4),), lambda t, x: x.std(0, keepdim=True)),
    Case("max", lambda x: x.max(axis=1), ((3, 4),), lambda t, x: x.amax(1)),
    Case("min", lambda x: x.min(), ((3, 4),), lambda t, x: x.amin()),
    Case("logsumexp", lambda x: d.logsumexp(x, axis=1), ((3, 4),), lambda t, x: t.logsumexp(x, 1)),
    Case("prod", lambda x: x.prod(axis=1), ((3, 4),), lambda t, x: x.prod(1)),
    Case("cumsum", lambda x: d.cumsum(x, axis=1), ((3, 4),), lambda t, x: t.cumsum(x, 1)),
    Case("softmax", lambda x: d.softmax(x, axis=1), ((3, 4),), lambda t, x: t.softmax(x, 1)),
    Case("log_softmax", lambda x: d.log_softmax(x, axis=0), ((3, 4),), lambda t, x: t.log_softmax(x, 0)),
    # --- shape ------------------------------------------------------------------------
    Case("reshape", lambda x: x.reshape(4, 3) * x.reshape(4, 3), ((3, 4),),
         lambda t, x: x.reshape(4, 3) * x.reshape(4, 3)),
    Case("transpose", lambda x: d.transpose(x, (2, 0, 1)), ((2, 3, 4),), lambda t, x: x.permute(2, 0, 1)),
    Case("broadcast_to", lambda x: d.broadcast_to(x, (2, 3, 4)), ((3, 1),),
         lambda t, x: x.broadcast_to((2, 3, 4))),
    Case("concatenate", lambda x, y: d.concatenate([x, y, x], axis=1), ((3, 2), (3, 4)),
         lambda t, x, y: t.cat([x, y, x], 1)),
    Case("stack", lambda x, y: d.stack([x, y], axis=1), ((3, 4), (3, 4)), lambda t, x, y: t.stack([x, y], 1)),
    Case("pad", lambda x: d.pad(x, ((1, 0), (2, 1)), value=0.5), ((3, 4),),
         lambda t, x: t.nn.functional.pad(x, (2, 1, 1, 0), value=0.5)),
    Case("flip", lambda x: d.flip(x, 1) * x, ((3, 4),), lambda t, x: t.flip(x, (1,)) * x),
    Case("tile", lambda x: d.tile(x, (2, 1, 3)), ((3, 4),), lambda t, x: x.repeat(2, 1, 3)),
    Case("repeat", lambda x: d.repeat(x, 2, axis=0), ((3, 4),), lambda t, x: x.repeat_interleave(2, 0)),
    Case("repeat", lambda x: d.repeat(x, [1, 0, 3, 2], axis=1), ((3, 4),),
         lambda t, x: x.repeat_interleave(t.tensor([1, 0, 3, 2]), 1), name="repeat_counts"),
    # --- indexing ---------------------------------------------------------------------
    Case("getitem", lambda x: x[1:, ::2], ((3, 4),), lambda t, x: x[1:, ::2]),
    Case("getitem", lambda x: x[[0, 2, 0], 1], ((3, 4),), lambda t, x: x[[0, 2, 0], 1], name="getitem_repeats"),
    Case("getitem", lambda x: x[x > 0], ((3, 4),), lambda t, x: x[x > 0], name="getitem_mask"),
    Case("index_add_to_zeros", lambda x: x[[0, 0, 1]] * x[[0, 0, 1]], ((3, 4),),
         lambda t, x: x[[0, 0, 1]] * x[[0, 0, 1]]),
    Case("index_put", lambda x, v: d.index_put(x, v, index=(slice(None), 1)), ((3, 4), (3,)),
         lambda t, x, v: x.index_put((t.arange(3), t.tensor(1)), v)),
    Case("take_along_axis", lambda x: d.take_along_axis(x, INDEX, axis=1), ((3, 4),),
         lambda t, x: t.gather(x, 1, t.tensor(INDEX))),
    Case("put_along_axis_add", lambda x: d.take_along_axis(x, INDEX, axis=1) ** 2, ((3, 4),),
         lambda t, x: t.gather(x, 1, t.tensor(INDEX)) ** 2),
    Case("scatter_add", lambda x, s: d.scatter_add(x, 1, INDEX, s), ((3, 4), (3, 2)),
         lambda t, x, s: x.scatter_add(1, t.tensor(INDEX), s)),
    # --- linear algebra and fused ops ------------------------------------------------------
    Case("matmul", lambda x, y: x @ y, ((3, 4), (4, 2)), lambda t, x, y: x @ y),
    Case("matmul", lambda x, y: x @ y, ((2, 3, 4), (4, 2)), lambda t, x, y: x @ y, name="matmul_batched"),
    Case("matmul", lambda x, y: x @ y, ((4,), (2, 4, 3)), lambda t, x, y: x @ y, name="matmul_vector_left"),
    Case("matmul", lambda x, y: x @ y, ((2, 3, 4), (4,)), lambda t, x, y: x @ y, name="matmul_vector_right"),
    Case("matmul", lambda x, y: x @ y, ((4,), (4,)), lambda t, x, y: x @ y, name="matmul_dot"),
    Case("linear", d.linear, ((5, 4), (3, 4), (3,)), lambda t, x, w, b: t.nn.functional.linear(x, w, b)),
    Case("linear", d.linear, ((2, 5, 4), (3, 4)), lambda t, x, w: t.nn.functional.linear(x, w),
         name="linear_batched_no_bias"),
    Case("softmax_cross_entropy", lambda x: d.softmax_cross_entropy(x, LABELS), ((4, 3),),
         lambda t, x: t.nn.functional.cross_entropy(x, t.tensor(LABELS))),
    Case("softmax_cross_entropy", lambda x: d.softmax_cross_entropy(x, INDEX[:2] % 3, reduction="none"),
         ((2, 3, 2),), lambda t, x: t.nn.functional.cross_entropy(x, t.tensor(INDEX[:2] % 3), reduction="none"),
         name="softmax_cross_entropy_spatial"),
]
