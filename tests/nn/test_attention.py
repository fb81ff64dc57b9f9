"""MultiheadAttention, TransformerEncoderLayer and TransformerEncoder: PyTorch as the reference
(values and every gradient, both mask conventions), finite differences, copies, and errors."""
import numpy as np
import pytest

from descent import nn
from descent.nn.attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer, clone
from descent.tensor import Tensor
from descent.testing import gradcheck

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


def twins(ours, theirs, *args, **kwargs):
    """A PyTorch module in float64, and ours with its parameters, copied by name."""
    torch.manual_seed(int(rng.integers(1 << 30)))
    reference = theirs(*args, **kwargs).double().eval()
    mine = ours(*args, **kwargs, dtype=np.float64).eval()
    mine.load_state_dict({name: p.detach().numpy() for name, p in reference.state_dict().items()})
    return mine, reference


def assert_matches_torch(mine, reference, inputs, call, rtol=1e-10, atol=1e-12):
    """Same outputs of call(module, *inputs), and same gradients of every input that is a float
    array and of every parameter, for the loss Σ_k <output_k, v_k> with random v_k.

    An input listed twice (the same array object) is passed as one Tensor, as in self-attention."""
    ours_in, theirs_in = {}, {}
    for a in inputs:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and id(a) not in ours_in:
            ours_in[id(a)] = Tensor(a, requires_grad=True)
            theirs_in[id(a)] = torch.tensor(a, requires_grad=True)
    ours_out = call(mine, *[ours_in.get(id(a), a) for a in inputs])
    theirs_out = call(reference, *[theirs_in.get(id(a), torch.tensor(a) if isinstance(a, np.ndarray) else a)
                                   for a in inputs])
    ours_out = [o for o in (ours_out if isinstance(ours_out, tuple) else (ours_out,)) if o is not None]
    theirs_out = [t for t in (theirs_out if isinstance(theirs_out, tuple) else (theirs_out,)) if t is not None]
    assert len(ours_out) == len(theirs_out)
    vs = [rng.standard_normal(tuple(t.shape)) for t in theirs_out]
    sum((o * Tensor(v)).sum() for o, v in zip(ours_out, vs)).backward()
    sum((t * torch.tensor(v)).sum() for t, v in zip(theirs_out, vs)).backward()
    for o, t in zip(ours_out, theirs_out):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=rtol, atol=atol)
    for key in ours_in:
        np.testing.assert_allclose(ours_in[key].grad.data, theirs_in[key].grad.numpy(), rtol=rtol, atol=atol)
    ours_params = dict(mine.named_parameters())
    assert set(ours_params) == {name for name, _ in reference.named_parameters()}
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.data, p.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


def attend(**options):
    def call(module, query, key, value, *masks):
        return module(query, key, value, *masks, **options)
    return call


E, HEADS, N, L, S = 8, 2, 3, 4, 5


def sequences(length, batch_first, features=E, batch=N):
    return rng.standard_normal((batch, length, features) if batch_first else (length, batch, features))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_self_attention_matches_torch(batch_first, need_weights, average):
    mine, reference = twins(MultiheadAttention, torch.nn.MultiheadAttention, E, HEADS, batch_first=batch_first)
    x = sequences(L, batch_first)
    assert_matches_torch(mine, reference, [x, x, x], attend(need_weights=need_weights, average_attn_weights=average))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_cross_attention_with_other_key_and_value_sizes_matches_torch(batch_first, bias):
    mine, reference = twins(MultiheadAttention, torch.nn.MultiheadAttention, E, HEADS, bias=bias, kdim=3, vdim=6,
                            batch_first=batch_first)
    assert list(mine.state_dict()) == list(reference.state_dict())
    inputs = [sequences(L, batch_first), sequences(S, batch_first, 3), sequences(S, batch_first, 6)]
    assert_matches_torch(mine, reference, inputs, attend())


def key_padding(kind):
    padded = np.zeros((N, S), dtype=bool)
    padded[0, -2:] = padded[2, -1] = True  # the last keys of two sequences are padding
    return padded if kind == "bool" else np.where(padded, -1e9, 0.0) + rng.standard_normal((N, S))


def attention_mask(kind):
    if kind == "bool-2d":
        return np.triu(np.ones((L, S), dtype=bool), k=2)  # True: may not attend
    if kind == "float-2d":
        return rng.standard_normal((L, S))
    return rng.standard_normal((N * HEADS, L, S))  # float-3d, one per (sequence, head)


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("mask_kind", [None, "bool-2d", "float-2d", "float-3d"])
@pytest.mark.parametrize("padding_kind", [None, "bool", "float"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_masks_match_torch(mask_kind, padding_kind, need_weights):
    mine, reference = twins(MultiheadAttention, torch.nn.MultiheadAttention, E, HEADS)
    mask = None if mask_kind is None else attention_mask(mask_kind)
    padding = None if padding_kind is None else key_padding(padding_kind)
    if mask is not None and padding is not None and mask.dtype != padding.dtype:
        padding = np.where(padding, -np.inf, 0.0) if padding.dtype == bool else padding  # torch wants one kind

    def call(module, query, key, value):
        as_torch = module is reference
        m = torch.tensor(mask) if as_torch and mask is not None else mask
        p = torch.tensor(padding) if as_torch and padding is not None else padding
        return module(query, key, value, key_padding_mask=p, attn_mask=m, need_weights=need_weights)
    assert_matches_torch(mine, reference, [sequences(L, False), sequences(S, False), sequences(S, False)], call)


def test_is_causal_builds_the_causal_mask():
    mine, reference = twins(MultiheadAttention, torch.nn.MultiheadAttention, E, HEADS)
    x = sequences(L, False)
    causal = np.triu(np.ones((L, L), dtype=bool), k=1)

    def call(module, query, key, value):
        if module is reference:  # PyTorch takes is_causal only as a hint about the mask given
            return module(query, key, value, attn_mask=torch.tensor(causal), is_causal=True)
        return module(query, key, value, is_causal=True)
    assert_matches_torch(mine, reference, [x, x, x], call)
    weights = mine(Tensor(x), Tensor(x), Tensor(x), is_causal=True)[1].data
    assert np.all(weights[:, causal] == 0)


def test_unbatched_attention_matches_torch():
    mine, reference = twins(MultiheadAttention, torch.nn.MultiheadAttention, E, HEADS)
    padding = np.array([False, False, True, False, True])
    inputs = [rng.standard_normal((L, E)), rng.standard_normal((S, E)), rng.standard_normal((S, E))]

    def call(module, query, key, value):
        p = torch.tensor(padding) if module is reference else padding
        return module(query, key, value, key_padding_mask=p, average_attn_weights=False)
    assert_matches_torch(mine, reference, inputs, call)


def test_attention_initialization_is_torch_s():
    attention = MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # Glorot uniform over in_proj_weight (3E, E)
    w = attention.in_proj_weight.data
    assert np.abs(w).max() <= bound and w.std() > 0.9 * bound / np.sqrt(3)
    assert not attention.in_proj_bias.data.any() and not attention.out_proj.bias.data.any()
    assert np.abs(attention.out_proj.weight.data).max() <= 1 / np.sqrt(64)


def test_attention_gradcheck():
    attention = MultiheadAttention(4, 2, kdim=3, vdim=2, dtype=np.float64)
    names = [n for n, _ in attention.named_parameters()]
    mask = np.array([[False, True, False], [False, False, True]])

    def f(query, key, value, *params):
        for name, p in zip(names, params):
            if "." in name:
                setattr(attention.out_proj, name.split(".")[1], p)
            else:
                setattr(attention, name, p)
        out, weights = attention(query, key, value, attn_mask=mask)
        return out.sum() + (weights * weights).sum()
    assert gradcheck(f, rng.standard_normal((2, 1, 4)), rng.standard_normal((3, 1, 3)),
                     rng.standard_normal((3, 1, 2)), *[p.data.copy() for p in attention.parameters()])


def test_attention_errors_name_the_layer():
    attention = MultiheadAttention(8, 2)
    x = Tensor(np.zeros((4, 3, 8)))
    with pytest.raises(ValueError, match=r"MultiheadAttention \(query\): expected input with 8 features"):
        attention(Tensor(np.zeros((4, 3, 5))), x, x)
    with pytest.raises(ValueError, match=r"MultiheadAttention: attn_mask must have shape \(4, 4\)"):
        attention(x, x, x, attn_mask=np.zeros((4, 5), dtype=bool))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(3, 4\)"):
        attention(x, x, x, key_padding_mask=np.zeros((4, 3), dtype=bool))
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        MultiheadAttention(8, 3)


# --- the transformer encoder ----------------------------------------------------------------------
def encode(mask=None, padding=None, is_causal=False):
    def call(module, src):
        as_torch = isinstance(module, torch.nn.Module)
        m = torch.tensor(mask) if as_torch and mask is not None else mask
        p = torch.tensor(padding) if as_torch and padding is not None else padding
        if isinstance(module, (TransformerEncoder, torch.nn.TransformerEncoder)):
            return module(src, mask=m, src_key_padding_mask=p, is_causal=is_causal)
        return module(src, src_mask=m, src_key_padding_mask=p, is_causal=is_causal)
    return call


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(activation, norm_first, batch_first):
    mine, reference = twins(TransformerEncoderLayer, torch.nn.TransformerEncoderLayer, E, HEADS,
                            dim_feedforward=16, activation=activation, norm_first=norm_first, batch_first=batch_first)
    padding = key_padding("bool")[:, :L]
    causal = np.triu(np.ones((L, L), dtype=bool), k=1)
    # descent's erf (behind the exact gelu) is a rational approximation good to ~1e-7
    tolerance = {"rtol": 1e-6, "atol": 1e-7} if activation == "gelu" else {}
    assert_matches_torch(mine, reference, [sequences(L, batch_first)], encode(causal, padding, True), **tolerance)


def test_encoder_layer_with_float_mask_matches_torch():
    mine, reference = twins(TransformerEncoderLayer, torch.nn.TransformerEncoderLayer, E, HEADS, dim_feedforward=16)
    assert_matches_torch(mine, reference, [sequences(L, False)], encode(rng.standard_normal((L, L))))


def test_encoder_matches_torch_and_its_layers_are_independent_copies():
    layer = TransformerEncoderLayer(E, HEADS, dim_feedforward=16, dtype=np.float64)
    encoder = TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(E, dtype=np.float64))
    torch.manual_seed(1)
    reference = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, HEADS, dim_feedforward=16), 2,
                                            norm=torch.nn.LayerNorm(E), enable_nested_tensor=False).double().eval()
    assert list(encoder.state_dict()) == list(reference.state_dict())
    encoder.load_state_dict({name: p.detach().numpy() for name, p in reference.state_dict().items()})
    encoder.eval()
    padding = key_padding("bool")[:, :L]
    assert_matches_torch(encoder, reference, [sequences(L, False)], encode(padding=padding))

    first, second = encoder.layers
    np.testing.assert_array_equal(clone(layer).linear1.weight.data, layer.linear1.weight.data)
    second.linear1.weight.data[...] += 1  # a copy shares nothing with the original or its siblings
    assert not np.shares_memory(first.linear1.weight.data, second.linear1.weight.data)
    assert not np.shares_memory(layer.linear1.weight.data, first.linear1.weight.data)


def test_encoder_layer_dropout_is_on_in_training_only():
    layer = TransformerEncoderLayer(E, HEADS, dim_feedforward=16, dropout=0.5)
    x = Tensor(sequences(L, False).astype(np.float32))
    assert not np.allclose(layer(x).data, layer.eval()(x).data)
    np.testing.assert_array_equal(layer(x).data, layer(x).data)  # eval is deterministic
