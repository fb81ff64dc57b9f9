"""Attention layers: MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, as PyTorch.

Multi-head attention (Vaswani et al. 2017, "Attention is all you need"):
    head_j = softmax(Q W_qjᵀ (K W_kjᵀ)ᵀ / √d + mask) V W_vjᵀ,   out = concat(head_1..head_h) W_oᵀ + b_o
with d = embed_dim / num_heads. The h heads are one matrix product each for Q, K, V (the
rows of in_proj_weight are [W_q; W_k; W_v]), reshaped so that every head attends at once.

Masks follow nn.MultiheadAttention's convention: a boolean mask marks with True what may
NOT be attended (the opposite of scaled_dot_product_attention's), and a float mask is
added to the scores. Both kinds become one additive mask of -inf and 0 here.
"""
import math

import numpy as np

from descent import functional as F, ops
from descent.nn import init
from descent.nn.linear import Linear, check_features
from descent.nn.module import Module, ModuleList, Parameter
from descent.nn.normalization import Dropout, LayerNorm
from descent.tensor import Tensor


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _additive(mask, dtype, what):
    """A mask as an array to add to the scores: bool True -> -inf (not allowed), floats as given."""
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype == bool:
        return np.where(mask, -np.inf, 0).astype(dtype)
    if mask.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {what} must be boolean or floating, got {mask.dtype}")
    return mask.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """Attention of `num_heads` heads over embed_dim features.

    Parameters
    ----------
    embed_dim, num_heads : int
        Model width E and heads h; each head has E / h features.
    dropout : float
        Dropout on the attention weights, in training.
    bias : bool
        Biases of the input projections (in_proj_bias) and of out_proj.
    add_bias_kv, add_zero_attn : bool
        Not supported (must be False); kept for PyTorch's argument order.
    kdim, vdim : int, optional
        Features of key and value (E by default). When they differ from E, the input
        projections are q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim)
        instead of in_proj_weight (3E, E).
    batch_first : bool
        Inputs and output (N, L, E) instead of (L, N, E).

    forward(query (L, N, E), key (S, N, kdim), value (S, N, vdim), key_padding_mask (N, S),
    need_weights, attn_mask (L, S) or (N·h, L, S), average_attn_weights, is_causal)
    -> (output (L, N, E), weights (N, L, S), or (N, h, L, S) when not averaged, or None).
    Unbatched inputs (L, E) give (L, E) and (L, S).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, dtype=None, generator=None):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.dropout, self.batch_first, self.generator = dropout, batch_first, generator
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(ops.empty(3 * embed_dim, embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(ops.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(ops.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(ops.empty(embed_dim, self.vdim, dtype=dtype))
        self.register_parameter("in_proj_bias", Parameter(ops.empty(3 * embed_dim, dtype=dtype)) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, generator=generator)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        """Glorot-uniform input projections, zero biases, out_proj as a Linear (PyTorch's init)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w, generator=generator)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    # --- forward -----------------------------------------------------------------
    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        query, key, value = _as_tensor(query), _as_tensor(key), _as_tensor(value)
        self._check(query, key, value)
        batched = query.ndim == 3
        q, k, v = (self._batch_major(t, batched) for t in self._project(query, key, value))
        n, length, source = q.shape[0], q.shape[1], k.shape[1]
        q, k, v = (self._split_heads(t) for t in (q, k, v))              # (N, h, L or S, d)
        mask = self._mask(attn_mask, key_padding_mask, is_causal, n, length, source, q.dtype)
        p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q @ k.mT) * (1 / math.sqrt(self.head_dim))     # (N, h, L, S)
            weights = ops.softmax(scores if mask is None else scores + mask, axis=-1)
            out = F.dropout(weights, p, self.training, self.generator) @ v
        else:
            weights = None
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, training=self.training,
                                                 generator=self.generator)
        out = self.out_proj(ops.swapaxes(out, 1, 2).reshape(n, length, self.embed_dim))  # (N, L, E)
        if weights is not None and average_attn_weights:
            weights = weights.mean(axis=1)
        if not batched:
            return out[0], None if weights is None else weights[0]
        return (out if self.batch_first else ops.swapaxes(out, 0, 1)), weights

    def _check(self, query, key, value):
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"MultiheadAttention: query, key and value must all be 3-D (batched) or 2-D "
                             f"(unbatched), got shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                             f"{tuple(value.shape)}")
        check_features("MultiheadAttention (query)", query, -1, self.embed_dim)
        check_features("MultiheadAttention (key)", key, -1, self.kdim)
        check_features("MultiheadAttention (value)", value, -1, self.vdim)
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"MultiheadAttention: key of shape {tuple(key.shape)} and value of shape "
                             f"{tuple(value.shape)} must agree on all but the feature axis")
        batch_axis = 0 if self.batch_first else 1
        if query.ndim == 3 and query.shape[batch_axis] != key.shape[batch_axis]:
            raise ValueError(f"MultiheadAttention: query of shape {tuple(query.shape)} and key of shape "
                             f"{tuple(key.shape)} have different batch sizes (axis {batch_axis})")

    def _project(self, query, key, value):
        """Q W_qᵀ + b_q, K W_kᵀ + b_k, V W_vᵀ + b_v (one product when query, key and value are one Tensor)."""
        E = self.embed_dim
        b = self.in_proj_bias
        biases = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            if query is key and key is value:  # self-attention
                return ops.split(ops.linear(query, self.in_proj_weight, b), E, axis=-1)
            w = self.in_proj_weight
            weights = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return [ops.linear(x, w, bias) for x, w, bias in zip((query, key, value), weights, biases)]

    def _batch_major(self, x, batched):
        if not batched:
            return ops.unsqueeze(x, 0)
        return x if self.batch_first else ops.swapaxes(x, 0, 1)

    def _split_heads(self, x):
        """(N, L, E) -> (N, h, L, d)."""
        n, length, _ = x.shape
        return ops.swapaxes(x.reshape(n, length, self.num_heads, self.head_dim), 1, 2)

    def _mask(self, attn_mask, key_padding_mask, is_causal, n, length, source, dtype):
        """attn_mask, key_padding_mask and the causal mask, as one additive array broadcasting
        to the scores (N, h, L, S), or None."""
        total = None
        if attn_mask is None and is_causal:
            # PyTorch treats is_causal only as a hint about attn_mask; here it builds the mask.
            attn_mask = ~np.tril(np.ones((length, source), dtype=bool))
        if attn_mask is not None:
            total = _additive(attn_mask, dtype, "attn_mask")
            if total.shape == (length, source):
                pass
            elif total.shape == (n * self.num_heads, length, source):
                total = total.reshape(n, self.num_heads, length, source)
            else:
                raise ValueError(f"MultiheadAttention: attn_mask must have shape {(length, source)} or "
                                 f"{(n * self.num_heads, length, source)}, got {total.shape}")
        if key_padding_mask is not None:
            padding = _additive(key_padding_mask, dtype, "key_padding_mask")
            expected = (n, source) if padding.ndim == 2 else (source,)
            if padding.shape != expected:
                raise ValueError(f"MultiheadAttention: key_padding_mask must have shape {expected}, "
                                 f"got {padding.shape}")
            padding = padding.reshape(-1, 1, 1, source)
            total = padding if total is None else total + padding
        return total

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each with a residual connection and a
    layer norm (Vaswani et al. 2017); `norm_first` puts the norms before each block instead
    (pre-LN, Xiong et al. 2020), which trains more stably in deep stacks.

        post-LN: x = norm1(x + SA(x));        x = norm2(x + FF(x))
        pre-LN:  x = x + SA(norm1(x));        x = x + FF(norm2(x))
        FF(x) = linear2(dropout(activation(linear1(x))))

    forward(src (S, N, E) or (N, S, E) with batch_first, src_mask (S, S) or (N·h, S, S),
    src_key_padding_mask (N, S), is_causal) -> (S, N, E). Masks as MultiheadAttention's.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=None, generator=None):
        super().__init__()
        if isinstance(activation, str) and activation not in _ACTIVATIONS:
            raise ValueError(f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a callable, "
                             f"got {activation!r}")
        # What a copy needs to rebuild the layer (see TransformerEncoder).
        self.config = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                           activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                           norm_first=norm_first, bias=bias, dtype=dtype, generator=generator)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype, generator=generator)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, generator=generator)
        self.dropout = Dropout(dropout, generator)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, generator=generator)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, generator)
        self.dropout2 = Dropout(dropout, generator)
        self.activation = _ACTIVATIONS[activation] if isinstance(activation, str) else activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = _as_tensor(src)
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))

    def _attention_block(self, x, mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _feed_forward_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def clone(module):
    """An independent copy of `module`: rebuilt from its `config`, then given its state
    (values copied, not shared) and its training mode. No pickling."""
    config = getattr(module, "config", None)
    if config is None:
        raise TypeError(f"clone: {type(module).__name__} has no `config` of constructor arguments to rebuild it from")
    copy = type(module)(**config)
    copy.load_state_dict(module.state_dict())
    return copy.train(module.training)


class TransformerEncoder(Module):
    """`num_layers` copies of `encoder_layer` applied in turn, then an optional `norm`.

    forward(src, mask=None, src_key_padding_mask=None, is_causal=None) -> output of src's shape.
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([clone(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = _as_tensor(src)
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
