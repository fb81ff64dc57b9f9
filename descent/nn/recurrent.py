"""Recurrent layers: RNN, LSTM, GRU and their one-step cells, with PyTorch's API and numerics.

A recurrent layer reads a sequence x_1..x_T and carries a hidden state from step to step,
h_t = cell(x_t, h_{t-1}). Gates follow PyTorch's layout of the weight rows:
- RNN (Elman 1990):  h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = tanh or relu;
- LSTM (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000), rows [i, f, g, o]:
      i, f, o = σ(·), g = tanh(·),  c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ tanh(c_t);
- GRU (Cho et al. 2014), rows [r, z, n]:
      r, z = σ(W_i· x + b_i· + W_h· h + b_h·),  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
      h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.

The cells (RNNCell, LSTMCell, GRUCell) are these equations composed from ops, as written
(`rnn_step`, `lstm_step`, `gru_step`).

The sequence layers are built for speed instead. The input projection W_ih x_t + b does not
depend on h, so it is one matrix product over all steps before the loop. Then each
(layer, direction) runs as ONE op of the graph: its forward loops over time on arrays,
and its backward is backpropagation through time (Werbos 1990) written out: the same loop
in reverse, one matrix product with W_hh per step, every gate derivative that does not
depend on the recurrence computed for all steps at once. A graph node per gate per step
would cost more in bookkeeping than the arithmetic; worse, reading the projection one
step at a time would make the backward pass quadratic in T (each slice's gradient is
the size of the whole projection). For second derivatives (`create_graph=True`), where
the backward pass must itself be a graph, the op replays the recurrence with the step
functions instead and lets the graph differentiate that: slower, but exact to any order.
"""
import math

import numpy as np

from descent import autograd, functional as F, ops
from descent.nn import init
from descent.nn.linear import check_features
from descent.nn.module import Module, Parameter
from descent.ops.primitive import primitive
from descent.tensor import Tensor


# --- the recurrences, on arrays: forward over time, and backward through time ---------------
# Shapes: xp (T, B, G·H) is the input projection of every step, w_hh (G·H, H), h0 and c0 (B, H).
# Each forward stores what its backward needs in `saved` (a fresh dict per call), as
# PyTorch's ctx.save_for_backward does.

def _sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5  # = 1 / (1 + e^-x), without overflow


def _rnn_forward(xp, w_hh, h0, nonlinearity, saved):
    """h_t = act(xp_t + h_{t-1} W_hhᵀ); returns h (T, B, H)."""
    h = np.empty(xp.shape, dtype=np.result_type(xp, w_hh))
    w, previous = _contiguous_transpose(w_hh), h0
    for t in range(len(xp)):
        pre = np.matmul(previous, w, out=h[t])
        pre += xp[t]
        if nonlinearity == "tanh":
            np.tanh(pre, out=pre)
        else:
            np.maximum(pre, 0, out=pre)
        previous = pre
    return h


def _rnn_backward(g, h, xp, w_hh, h0, nonlinearity, saved):
    """Gradients of xp, w_hh, h0 from g = ∂L/∂h (T, B, H)."""
    slope = 1 - h * h if nonlinearity == "tanh" else (h > 0).astype(h.dtype)  # act'(pre), from act's output
    d_pre = np.empty_like(h)
    dh = np.zeros_like(h[0])  # ∂L/∂h_t through step t+1
    for t in reversed(range(len(h))):
        d_pre[t] = (g[t] + dh) * slope[t]
        dh = d_pre[t] @ w_hh
    return d_pre, _weight_gradient(d_pre, h, h0), dh


def _lstm_forward(xp, w_hh, h0, c0, saved):
    """The LSTM over time; returns [h_t | c_t] (T, B, 2H), and saves the gates [i, f, g, o]."""
    T, B, G = xp.shape
    H = G // 4
    dtype = np.result_type(xp, w_hh)
    hc = np.empty((T, B, 2 * H), dtype=dtype)
    gates = np.empty((T, B, G), dtype=dtype)
    # σ(x) = (1 + tanh(x/2)) / 2, so one tanh over all four gates serves: halve the
    # pre-activations of i, f, o (fold the halving into the weights, once), then map
    # their tanh from [-1, 1] to [0, 1].
    half = np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype).repeat(H)
    shift = np.array([0.5, 0.5, 0.0, 0.5], dtype=dtype).repeat(H)
    w, xp = _contiguous_transpose(w_hh) * half, xp * half
    h, c = h0, c0
    for t in range(T):
        a = np.matmul(h, w, out=gates[t])
        a += xp[t]
        np.tanh(a, out=a)
        a *= half
        a += shift
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c = hc[t, :, H:] = f * c + i * g
        h = hc[t, :, :H] = o * np.tanh(c)
    saved["gates"] = gates
    return hc


def _lstm_backward(g_hc, hc, xp, w_hh, h0, c0, saved):
    """Gradients of xp, w_hh, h0, c0 from ∂L/∂[h_t | c_t] (T, B, 2H)."""
    T, B, G = xp.shape
    H = G // 4
    gates = saved["gates"].reshape(T, B, 4, H)
    i, f, g, o = gates[:, :, 0], gates[:, :, 1], gates[:, :, 2], gates[:, :, 3]
    h, c = hc[..., :H], hc[..., H:]
    c_prev = np.concatenate([c0[None], c[:-1]])
    tanh_c = np.tanh(c)
    # Every factor that does not depend on the recurrence, for all steps at once:
    # ∂pre_(i,f,g) = ∂c ⊙ per_dc,  ∂pre_o = ∂h ⊙ per_dh,  and ∂c gains ∂h ⊙ o (1 - tanh² c).
    per_dc = np.empty((T, B, 3, H), dtype=hc.dtype)
    np.multiply(g, i * (1 - i), out=per_dc[:, :, 0])
    np.multiply(c_prev, f * (1 - f), out=per_dc[:, :, 1])
    np.multiply(i, 1 - g * g, out=per_dc[:, :, 2])
    per_dh = tanh_c * o * (1 - o)
    dc_per_dh = o * (1 - tanh_c * tanh_c)
    d_pre = np.empty((T, B, 4, H), dtype=hc.dtype)
    g_h, g_c = g_hc[..., :H], g_hc[..., H:]
    dh, dc = np.zeros_like(h[0]), np.zeros_like(c[0])  # through step t+1
    for t in reversed(range(T)):  # in place: these run T times on small arrays
        dh += g_h[t]
        dc += g_c[t]
        dc += dh * dc_per_dh[t]
        np.multiply(dc[:, None], per_dc[t], out=d_pre[t, :, :3])
        np.multiply(dh, per_dh[t], out=d_pre[t, :, 3])
        dc *= f[t]
        np.matmul(d_pre[t].reshape(B, G), w_hh, out=dh)
    d_pre = d_pre.reshape(T, B, G)
    return d_pre, _weight_gradient(d_pre, h, h0), dh, dc


def _gru_forward(xp, w_hh, b_hh, h0, saved):
    """The GRU over time (xp holds W_ih x + b_ih only); returns h (T, B, H), saves r, z, n, W_hn h + b_hn."""
    T, B, G = xp.shape
    H = G // 3
    dtype = np.result_type(xp, w_hh)
    hs = np.empty((T, B, H), dtype=dtype)
    acts = np.empty((T, B, 4, H), dtype=dtype)
    w, h = _contiguous_transpose(w_hh), h0
    for t in range(T):
        hp = h @ w if b_hh is None else h @ w + b_hh         # (B, 3H)
        rz = _sigmoid(xp[t, :, :2 * H] + hp[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = np.tanh(xp[t, :, 2 * H:] + r * hp[:, 2 * H:])
        h = hs[t] = n + z * (h - n)
        acts[t, :, 0], acts[t, :, 1], acts[t, :, 2], acts[t, :, 3] = r, z, n, hp[:, 2 * H:]
    saved["acts"] = acts
    return hs


def _gru_backward(g, hs, xp, w_hh, b_hh, h0, saved):
    """Gradients of xp, w_hh, b_hh, h0 from g = ∂L/∂h (T, B, H)."""
    T, B, G = xp.shape
    H = G // 3
    acts = saved["acts"]
    r, z, n, hn = acts[:, :, 0], acts[:, :, 1], acts[:, :, 2], acts[:, :, 3]
    h_prev = np.concatenate([h0[None], hs[:-1]])
    # Each pre-activation's gradient is ∂h_t times a factor known for all steps at once.
    d_n = (1 - z) * (1 - n * n)
    per_dh = np.stack([d_n * hn * r * (1 - r), (h_prev - n) * z * (1 - z), d_n], axis=2)  # ∂xp (T, B, 3, H)
    per_dh_hidden = per_dh.copy()
    per_dh_hidden[:, :, 2] *= r                         # ∂(W_hn h + b_hn) = ∂pre_n ⊙ r
    d_xp = np.empty((T, B, 3, H), dtype=hs.dtype)
    d_hp = np.empty((T, B, 3, H), dtype=hs.dtype)
    dh = np.zeros_like(hs[0])
    for t in reversed(range(T)):
        dh = g[t] + dh
        d_xp[t] = dh[:, None] * per_dh[t]
        d_hp[t] = dh[:, None] * per_dh_hidden[t]
        dh = dh * z[t] + d_hp[t].reshape(B, G) @ w_hh
    d_xp, d_hp = d_xp.reshape(T, B, G), d_hp.reshape(T, B, G)
    d_b_hh = None if b_hh is None else d_hp.reshape(-1, G).sum(axis=0)
    return d_xp, _weight_gradient(d_hp, hs, h0), d_b_hh, dh


def _contiguous_transpose(w):
    # h @ wᵀ runs about twice as fast on this copy as on the transposed view (BLAS, small h).
    return np.ascontiguousarray(w.T)


def _weight_gradient(d_pre, h, h0):
    """∂L/∂W_hh = Σ_t ∂pre_tᵀ h_{t-1}: one matrix product over all steps."""
    H = h.shape[-1]
    h_prev = np.concatenate([h0[None], h[:-1]])
    return d_pre.reshape(-1, d_pre.shape[-1]).T @ h_prev.reshape(-1, H)


# --- one step, composed from ops: the cells, and the second-derivative path of the layers ------------
# `x_part` is W_ih x_t + b_ih (+ b_hh, where the caller folded it in and passes b_hh=None).

def rnn_step(x_part, h, w_hh, b_hh=None, nonlinearity="tanh"):
    """h' = act(x_part + W_hh h + b_hh)."""
    act = ops.tanh if nonlinearity == "tanh" else ops.relu
    return act(x_part + ops.linear(h, w_hh, b_hh))


def lstm_step(x_part, h, c, w_hh, b_hh=None):
    """(h', c') from gates [i, f, g, o] = x_part + W_hh h + b_hh."""
    i, f, g, o = ops.split(x_part + ops.linear(h, w_hh, b_hh), h.shape[-1], axis=-1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(c), c


def gru_step(x_part, h, w_hh, b_hh=None):
    """h' = (1 - z) ⊙ n + z ⊙ h, with r, z, n from x_part = [x_r, x_z, x_n] and W_hh h + b_hh."""
    x_r, x_z, x_n = ops.split(x_part, h.shape[-1], axis=-1)
    h_r, h_z, h_n = ops.split(ops.linear(h, w_hh, b_hh), h.shape[-1], axis=-1)
    r, z = ops.sigmoid(x_r + h_r), ops.sigmoid(x_z + h_z)
    n = ops.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def _rnn_replay(xp, w_hh, h0, nonlinearity):
    h, steps = h0, []
    for t in range(len(xp)):
        h = rnn_step(xp[t], h, w_hh, nonlinearity=nonlinearity)
        steps.append(h)
    return ops.stack(steps)


def _lstm_replay(xp, w_hh, h0, c0):
    h, c, steps = h0, c0, []
    for t in range(len(xp)):
        h, c = lstm_step(xp[t], h, c, w_hh)
        steps.append(ops.concatenate([h, c], axis=-1))
    return ops.stack(steps)


def _gru_replay(xp, w_hh, b_hh, h0):
    h, steps = h0, []
    for t in range(len(xp)):
        h = gru_step(xp[t], h, w_hh, b_hh)
        steps.append(h)
    return ops.stack(steps)


def _through_time(forward, backward, replay, name, arity):
    """An op running `forward` over a sequence, whose gradients for all inputs come from one call
    of `backward` (the op's rules are asked one input at a time; the first one runs it).

    When the backward pass is itself recorded (create_graph=True, for second derivatives), the
    gradients come instead from `replay`: the same recurrence composed from ops, step by step,
    differentiated by the graph. Slower, but differentiable again.
    """
    def gradients(g, ans, *args, saved, **params):
        if isinstance(g, Tensor):
            return _gradients_of_replay(replay, g, args, params)
        return backward(g, ans, *args, saved=saved, **params)

    def rule(k):
        def vjp(g, ans, *args, saved, **params):
            if saved.get("g") is not g:
                saved["g"], saved["grads"] = g, gradients(g, ans, *args, saved=saved, **params)
            return saved["grads"][k]
        return vjp
    return primitive(forward, *[rule(k) for k in range(arity)], name=name)


def _gradients_of_replay(replay, g, args, params):
    """The gradient of <replay(*args), g> for each argument, recorded (create_graph)."""
    wanted = {}  # index -> Tensor; a Tensor passed twice gets its whole gradient once
    for k, a in enumerate(args):
        if isinstance(a, Tensor) and a.requires_grad and all(a is not b for b in wanted.values()):
            wanted[k] = a
    grads = autograd.grad(replay(*args, **params), list(wanted.values()), g, create_graph=True,
                          allow_unused=True)
    by_index = dict(zip(wanted, grads))
    return [by_index.get(k) for k in range(len(args))]


_rnn_op = _through_time(_rnn_forward, _rnn_backward, _rnn_replay, "rnn_sequence", 3)
_lstm_op = _through_time(_lstm_forward, _lstm_backward, _lstm_replay, "lstm_sequence", 4)
_gru_op = _through_time(_gru_forward, _gru_backward, _gru_replay, "gru_sequence", 4)


# --- the layers ---------------------------------------------------------------------------------
def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction, the layout of
    the input and of the state, and the loop over layers.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of x_t and of h_t.
    num_layers : int
        Stacked recurrent layers; each one reads the output sequence of the one below.
    bias : bool
        Whether to learn b_ih and b_hh.
    batch_first : bool
        Input and output (B, T, features) instead of (T, B, features). The state is always
        (num_layers · directions, B, H).
    dropout : float
        Dropout on the output of each layer but the last, in training.
    bidirectional : bool
        Also run each layer backward in time; the two outputs are concatenated (2H features).
    """

    gate_count = 1

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None, generator=None):
        super().__init__()
        name = type(self).__name__
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError(f"{name}: hidden_size and num_layers must be positive, got {hidden_size} "
                             f"and {num_layers}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.generator = bidirectional, generator
        directions = 2 if bidirectional else 1
        rows = self.gate_count * hidden_size
        for layer in range(num_layers):
            features = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                self.register_parameter(f"weight_ih_l{layer}{suffix}",
                                        Parameter(ops.empty(rows, features, dtype=dtype)))
                self.register_parameter(f"weight_hh_l{layer}{suffix}",
                                        Parameter(ops.empty(rows, hidden_size, dtype=dtype)))
                if bias:
                    self.register_parameter(f"bias_ih_l{layer}{suffix}", Parameter(ops.empty(rows, dtype=dtype)))
                    self.register_parameter(f"bias_hh_l{layer}{suffix}", Parameter(ops.empty(rows, dtype=dtype)))
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        """Every weight and bias uniform in ±1/√hidden_size, as PyTorch."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, generator)

    def flatten_parameters(self):
        """Nothing to do: PyTorch packs the weights for cuDNN here; kept so its code runs unchanged."""

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    def _weights(self, layer, direction):
        suffix = f"l{layer}" + ("_reverse" if direction else "")
        return (getattr(self, f"weight_ih_{suffix}"), getattr(self, f"weight_hh_{suffix}"),
                getattr(self, f"bias_ih_{suffix}", None), getattr(self, f"bias_hh_{suffix}", None))

    # --- layout -------------------------------------------------------------------
    def _time_major(self, x):
        """x as (T, B, I), and whether it had a batch axis."""
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input of 2 (unbatched: T, features) or 3 dimensions, "
                             f"got shape {tuple(x.shape)}")
        check_features(name, x, -1, self.input_size)
        batched = x.ndim == 3
        if not batched:
            x = ops.unsqueeze(x, 1)
        elif self.batch_first:
            x = ops.swapaxes(x, 0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: expected a sequence of at least one step, got shape {tuple(x.shape)}")
        return x, batched

    def _state(self, hx, what, batch, batched, dtype):
        """The initial state `hx` as (layers · directions, B, H); zeros (an array) when None."""
        shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if hx is None:
            return np.zeros(shape, dtype=dtype)
        hx = _as_tensor(hx)
        expected = shape if batched else (shape[0], shape[2])
        if tuple(hx.shape) != expected:
            raise ValueError(f"{type(self).__name__}: expected {what} of shape {expected}, got {tuple(hx.shape)}")
        return hx if batched else ops.unsqueeze(hx, 1)

    def _restore_layout(self, output, finals, batched):
        if not batched:
            return ops.squeeze(output, 1), [ops.squeeze(s, 1) for s in finals]
        if self.batch_first:
            output = ops.swapaxes(output, 0, 1)
        return output, finals

    # --- the loop over layers -----------------------------------------------------------
    def _run(self, x, states):
        """Run every layer and direction over x (T, B, I) from `states` [(L·D, B, H), ...].

        Returns the last layer's output (T, B, D·H) and the final states, each (L·D, B, H).
        """
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                sequence = x if direction == 0 else ops.flip(x, 0)
                output, last = self._recurrence(sequence, self._weights(layer, direction), [s[k] for s in states])
                outputs.append(output if direction == 0 else ops.flip(output, 0))
                for final, state in zip(finals, last):
                    final.append(state)
            x = outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True, self.generator)
        return x, [ops.stack(final) for final in finals]

    def _recurrence(self, x, weights, state):
        """One layer in one direction: x (T, B, I) -> output (T, B, H), [final states (B, H)]."""
        raise NotImplementedError

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


def _summed_bias(b_ih, b_hh):
    return None if b_ih is None else b_ih + b_hh


class RNN(RNNBase):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = 'tanh' or 'relu'.

    forward(input, hx=None) -> (output, h_n): input (T, B, I) (or (B, T, I) with batch_first,
    or (T, I) unbatched), hx and h_n (num_layers · directions, B, H), output (T, B, directions · H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None, generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype, generator)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._time_major(_as_tensor(input))
        h0 = self._state(hx, "h_0", x.shape[1], batched, x.dtype)
        output, (h_n,) = self._run(x, [h0])
        output, (h_n,) = self._restore_layout(output, [h_n], batched)
        return output, h_n

    def _recurrence(self, x, weights, state):
        w_ih, w_hh, b_ih, b_hh = weights
        h = _rnn_op(ops.linear(x, w_ih, _summed_bias(b_ih, b_hh)), w_hh, state[0],
                    nonlinearity=self.nonlinearity, saved={})
        return h, [h[-1]]

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + f", nonlinearity={self.nonlinearity!r}"


class LSTM(RNNBase):
    """Long short-term memory: gates [i, f, g, o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,
    c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g), h_t = σ(o) ⊙ tanh(c_t).

    forward(input, hx=None) -> (output, (h_n, c_n)), with hx = (h_0, c_0) or None; shapes as RNN.
    """

    gate_count = 4

    def forward(self, input, hx=None):
        x, batched = self._time_major(_as_tensor(input))
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("LSTM: hx must be a pair (h_0, c_0) or None")
        h0, c0 = (None, None) if hx is None else hx
        states = [self._state(h0, "h_0", x.shape[1], batched, x.dtype),
                  self._state(c0, "c_0", x.shape[1], batched, x.dtype)]
        output, finals = self._run(x, states)
        output, (h_n, c_n) = self._restore_layout(output, finals, batched)
        return output, (h_n, c_n)

    def _recurrence(self, x, weights, state):
        w_ih, w_hh, b_ih, b_hh = weights
        H = self.hidden_size
        hc = _lstm_op(ops.linear(x, w_ih, _summed_bias(b_ih, b_hh)), w_hh, state[0], state[1], saved={})
        return hc[:, :, :H], [hc[-1, :, :H], hc[-1, :, H:]]


class GRU(RNNBase):
    """Gated recurrent unit: r, z = σ(W_i x_t + b_i + W_h h_{t-1} + b_h) (rows r, z),
    n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn)), h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.

    forward(input, hx=None) -> (output, h_n); shapes as RNN.
    """

    gate_count = 3

    def forward(self, input, hx=None):
        x, batched = self._time_major(_as_tensor(input))
        h0 = self._state(hx, "h_0", x.shape[1], batched, x.dtype)
        output, (h_n,) = self._run(x, [h0])
        output, (h_n,) = self._restore_layout(output, [h_n], batched)
        return output, h_n

    def _recurrence(self, x, weights, state):
        w_ih, w_hh, b_ih, b_hh = weights
        # b_hn sits inside r ⊙ (W_hn h + b_hn), so b_hh cannot be folded into the projection.
        h = _gru_op(ops.linear(x, w_ih, b_ih), w_hh, b_hh, state[0], saved={})
        return h, [h[-1]]


# --- the cells: one step, composed from ops -------------------------------------------------------
class RNNCellBase(Module):
    """Parameters weight_ih (G·H, I), weight_hh (G·H, H), bias_ih, bias_hh (G·H,), uniform in ±1/√H."""

    gate_count = 1

    def __init__(self, input_size, hidden_size, bias=True, dtype=None, generator=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = self.gate_count * hidden_size
        self.weight_ih = Parameter(ops.empty(rows, input_size, dtype=dtype))
        self.weight_hh = Parameter(ops.empty(rows, hidden_size, dtype=dtype))
        self.register_parameter("bias_ih", Parameter(ops.empty(rows, dtype=dtype)) if bias else None)
        self.register_parameter("bias_hh", Parameter(ops.empty(rows, dtype=dtype)) if bias else None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, generator)

    def _input(self, x):
        """x as (B, I), and whether it had a batch axis."""
        name = type(self).__name__
        x = _as_tensor(x)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input of 1 (unbatched) or 2 dimensions (B, features), "
                             f"got shape {tuple(x.shape)}")
        check_features(name, x, -1, self.input_size)
        return (x, True) if x.ndim == 2 else (ops.unsqueeze(x, 0), False)

    def _state(self, hx, what, x, batched):
        if hx is None:
            return np.zeros((x.shape[0], self.hidden_size), dtype=x.dtype)
        hx = _as_tensor(hx)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if tuple(hx.shape) != expected:
            raise ValueError(f"{type(self).__name__}: expected {what} of shape {expected}, got {tuple(hx.shape)}")
        return hx if batched else ops.unsqueeze(hx, 0)

    def _from_input(self, x):
        """W_ih x + b_ih (B, G·H)."""
        return ops.linear(x, self.weight_ih, self.bias_ih)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


def _unbatch(t, batched):
    return t if batched else ops.squeeze(t, 0)


class RNNCell(RNNCellBase):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh); input (B, I) or (I,), hx (B, H) -> h' (B, H)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None, generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype, generator)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = self._state(hx, "hx", x, batched)
        h = rnn_step(self._from_input(x), h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return _unbatch(h, batched)


class LSTMCell(RNNCellBase):
    """One LSTM step: (input (B, I), (h, c) each (B, H)) -> (h', c')."""

    gate_count = 4

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h, c = (None, None) if hx is None else hx
        h, c = self._state(h, "h", x, batched), self._state(c, "c", x, batched)
        h, c = lstm_step(self._from_input(x), h, c, self.weight_hh, self.bias_hh)
        return _unbatch(h, batched), _unbatch(c, batched)


class GRUCell(RNNCellBase):
    """One GRU step: (input (B, I), h (B, H)) -> h'."""

    gate_count = 3

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = self._state(hx, "hx", x, batched)
        return _unbatch(gru_step(self._from_input(x), h, self.weight_hh, self.bias_hh), batched)
