"""RNN, LSTM, GRU and their cells: PyTorch as the reference (values and every gradient),
finite differences, parameter names and init, dropout, and errors that name the layer."""
import math

import numpy as np
import pytest

from descent.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from descent.tensor import Tensor
from descent.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
LAYERS = {"RNN": (RNN, "RNN"), "LSTM": (LSTM, "LSTM"), "GRU": (GRU, "GRU")}
CELLS = {"RNNCell": (RNNCell, "RNNCell"), "LSTMCell": (LSTMCell, "LSTMCell"), "GRUCell": (GRUCell, "GRUCell")}


def twins(ours, theirs, *args, **kwargs):
    """A PyTorch module in float64 and ours with its parameters, copied by name."""
    torch.manual_seed(int(rng.integers(1 << 30)))
    reference = getattr(torch.nn, theirs)(*args, **kwargs).double()
    mine = ours(*args, **kwargs, dtype=np.float64)
    mine.load_state_dict({name: p.detach().numpy() for name, p in reference.state_dict().items()})
    return mine, reference


def flat(result):
    """The Tensors of a result: output, h_n or (output, h_n) or (output, (h_n, c_n))."""
    if isinstance(result, (tuple, list)):
        return [t for part in result for t in flat(part)]
    return [result]


def assert_matches_torch(mine, reference, x, state=None):
    """Same outputs, and same gradients of x, of the initial state and of every parameter,
    for the loss Σ_k <output_k, v_k> with random v_k."""
    ours_in = [Tensor(x, requires_grad=True)] + [Tensor(s, requires_grad=True) for s in state or []]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in [x] + list(state or [])]

    def hx(inputs):
        if state is None:
            return None
        return tuple(inputs[1:]) if len(inputs) == 3 else inputs[1]

    ours_out = flat(mine(ours_in[0], hx(ours_in)))
    theirs_out = flat(reference(theirs_in[0], hx(theirs_in)))
    assert len(ours_out) == len(theirs_out)
    vs = [rng.standard_normal(tuple(t.shape)) for t in theirs_out]
    sum((o * Tensor(v)).sum() for o, v in zip(ours_out, vs)).backward()
    sum((o * torch.tensor(v)).sum() for o, v in zip(theirs_out, vs)).backward()
    for o, t in zip(ours_out, theirs_out):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
    for o, t in zip(ours_in, theirs_in):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    ours_params = dict(mine.named_parameters())
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.data, p.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def initial_state(kind, layers, batch, hidden):
    shape = (layers, batch, hidden) if batch else (layers, hidden)
    states = [rng.standard_normal(shape)]
    return states + [rng.standard_normal(shape)] if kind == "LSTM" else states


@pytest.mark.parametrize("kind", ["RNN", "RNN-relu", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, False), (2, True)])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_matches_torch(kind, batch_first, num_layers, bidirectional, with_state):
    name = kind.split("-")[0]
    extra = {"nonlinearity": "relu"} if kind == "RNN-relu" else {}
    mine, reference = twins(*LAYERS[name], 3, 4, num_layers=num_layers, batch_first=batch_first,
                            bidirectional=bidirectional, **extra)
    mine.eval(), reference.eval()
    T, B = 5, 2
    x = rng.standard_normal((B, T, 3) if batch_first else (T, B, 3))
    directions = 2 if bidirectional else 1
    state = initial_state(name, num_layers * directions, B, 4) if with_state else None
    assert_matches_torch(mine, reference, x, state)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_without_bias_and_unbatched_matches_torch(name, with_state):
    mine, reference = twins(*LAYERS[name], 3, 4, num_layers=2, bias=False, bidirectional=True)
    state = initial_state(name, 4, None, 4) if with_state else None
    assert_matches_torch(mine, reference, rng.standard_normal((6, 3)), state)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_parameters_are_named_shaped_and_initialized_as_torch(name):
    mine, reference = twins(*LAYERS[name], 3, 5, num_layers=2, bidirectional=True)
    assert list(mine.state_dict()) == list(reference.state_dict())
    fresh = LAYERS[name][0](30, 50, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(50)
    for p in fresh.parameters():
        assert np.abs(p.data).max() <= bound
    values = np.concatenate([p.data.ravel() for p in fresh.parameters()])
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound  # uniform(-b, b) has std b/√3


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_in_training_only(name):
    """With p = 1 the second layer reads zeros, which PyTorch does too, without randomness."""
    mine, reference = twins(*LAYERS[name], 3, 4, num_layers=2, dropout=1.0)
    x = rng.standard_normal((4, 2, 3))
    assert_matches_torch(mine, reference, x)  # both in training mode
    mine.eval()
    reference.eval()
    assert_matches_torch(mine, reference, x)
    half = LAYERS[name][0](3, 4, num_layers=2, dropout=0.5)
    train_out = half(Tensor(x))[0].data
    assert not np.allclose(train_out, half.eval()(Tensor(x))[0].data)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
def test_cell_matches_torch(name, batched, with_state):
    mine, reference = twins(*CELLS[name], 3, 4)
    x = rng.standard_normal((2, 3) if batched else (3,))
    state = None
    if with_state:
        shape = (2, 4) if batched else (4,)
        state = [rng.standard_normal(shape) for _ in range(2 if name == "LSTMCell" else 1)]
    assert_matches_torch(mine, reference, x, state)


def test_relu_cell_and_cell_without_bias_match_torch():
    assert_matches_torch(*twins(RNNCell, "RNNCell", 3, 4, nonlinearity="relu"), rng.standard_normal((2, 3)))
    assert_matches_torch(*twins(GRUCell, "GRUCell", 3, 4, bias=False), rng.standard_normal((2, 3)),
                         [rng.standard_normal((2, 4))])


def with_parameters(module, names, values):
    """Let `module` compute with the Tensors `values` in place of its parameters `names`."""
    for name, value in zip(names, values):
        setattr(module, name, value)
    return module


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_cell_gradcheck(cls):
    cell = cls(2, 3, dtype=np.float64)
    names = [n for n, _ in cell.named_parameters()]
    params = [p.data.copy() for p in cell.parameters()]
    is_lstm = cls is LSTMCell

    def f(x, h, c, *ps):
        out = with_parameters(cell, names, ps)(x, (h, c) if is_lstm else h)
        return out[0] * out[1] if is_lstm else out  # both h' and c' reach the output
    assert gradcheck(f, rng.standard_normal((2, 2)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3)),
                     *params)


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_cell_second_derivatives(cls):
    """The cells are composed from ops, so they differentiate twice (unlike the sequence layers)."""
    cell = cls(2, 2, dtype=np.float64)

    def f(x, h):
        out = cell(x, (h, h) if cls is LSTMCell else h)
        return out[0] * out[1] if cls is LSTMCell else out
    assert gradgradcheck(f, rng.standard_normal((1, 2)), rng.standard_normal((1, 2)))


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_layer_gradcheck(cls):
    """The backward pass through time, against finite differences, for every input."""
    layer = cls(2, 3, num_layers=2, bidirectional=True, dtype=np.float64)
    names = [n for n, _ in layer.named_parameters()]
    params = [p.data.copy() for p in layer.parameters()]
    is_lstm = cls is LSTM

    def f(x, h, c, *ps):
        output, state = with_parameters(layer, names, ps)(x, (h, c) if is_lstm else h)
        h_n, c_n = state if is_lstm else (state, state)
        return output.sum() + (h_n * c_n).sum()
    assert gradcheck(f, rng.standard_normal((3, 2, 2)), rng.standard_normal((4, 2, 3)),
                     rng.standard_normal((4, 2, 3)), *params)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_layer_second_derivatives(cls):
    """With create_graph the fused op replays its recurrence from ops, so it differentiates twice."""
    layer = cls(2, 2, bidirectional=True, dtype=np.float64)
    is_lstm = cls is LSTM

    def f(x, h, w_hh):
        layer.weight_hh_l0 = w_hh
        output, state = layer(x, (h, h) if is_lstm else h)
        return output.sum() + ((state[1] if is_lstm else state) ** 2).sum()
    assert gradgradcheck(f, rng.standard_normal((3, 1, 2)), rng.standard_normal((2, 1, 2)),
                         layer.weight_hh_l0.data.copy())


def test_shape_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"LSTM: expected input with 10 features.*\(5, 2, 7\)"):
        LSTM(10, 4)(Tensor(np.zeros((5, 2, 7))))
    with pytest.raises(ValueError, match=r"GRU: expected input of 2 .* or 3 dimensions"):
        GRU(3, 4)(Tensor(np.zeros((5, 2, 1, 3))))
    with pytest.raises(ValueError, match=r"RNN: expected h_0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        RNN(3, 4, num_layers=2)(Tensor(np.zeros((5, 2, 3))), Tensor(np.zeros((1, 2, 4))))
    with pytest.raises(ValueError, match=r"LSTM: expected c_0 of shape \(1, 2, 4\)"):
        LSTM(3, 4)(Tensor(np.zeros((5, 2, 3))), (Tensor(np.zeros((1, 2, 4))), Tensor(np.zeros((2, 4)))))
    with pytest.raises(ValueError, match=r"LSTMCell: expected input with 3 features"):
        LSTMCell(3, 4)(Tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match=r"GRUCell: expected hx of shape \(2, 4\)"):
        GRUCell(3, 4)(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match="RNN: nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")


def test_float32_by_default():
    output, (h_n, c_n) = LSTM(3, 4)(Tensor(rng.standard_normal((5, 2, 3)).astype(np.float32)))
    assert output.dtype == h_n.dtype == c_n.dtype == np.float32


# The fused sequence ops that the layer tests above check by gradcheck, gradgradcheck and
# PyTorch (tests/ops/test_gradients.py counts these names as covered).
PRIMITIVES = ["rnn_sequence", "lstm_sequence", "gru_sequence"]


def test_the_sequence_ops_are_registered():
    from descent.ops.primitive import REGISTRY
    assert set(PRIMITIVES) <= set(REGISTRY)
