"""Layers against PyTorch's, with PyTorch's parameters loaded by name; Module's contract."""
import numpy as np
import pytest

import descent as d
import descent.nn as nn
from descent.testing import gradcheck

rng = np.random.default_rng(0)

# (name, descent module, torch module factory, input shape)
LAYERS = [
    ("linear", lambda: nn.Linear(5, 3), lambda t: t.nn.Linear(5, 3), (4, 5)),
    ("linear_batched", lambda: nn.Linear(5, 3, bias=False), lambda t: t.nn.Linear(5, 3, bias=False), (2, 4, 5)),
    ("conv1d", lambda: nn.Conv1d(2, 4, 3, padding=1, stride=2), lambda t: t.nn.Conv1d(2, 4, 3, padding=1, stride=2),
     (2, 2, 9)),
    ("conv2d", lambda: nn.Conv2d(3, 4, 3, padding="same"), lambda t: t.nn.Conv2d(3, 4, 3, padding="same"),
     (2, 3, 6, 6)),
    ("conv2d_groups", lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), groups=2),
     lambda t: t.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), groups=2), (2, 4, 7, 5)),
    ("conv_transpose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
     lambda t: t.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 4)),
    ("maxpool2d", lambda: nn.MaxPool2d(2), lambda t: t.nn.MaxPool2d(2), (2, 3, 6, 6)),
    ("avgpool2d", lambda: nn.AvgPool2d(3, stride=2, padding=1), lambda t: t.nn.AvgPool2d(3, stride=2, padding=1),
     (2, 3, 7, 7)),
    ("adaptive_avgpool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda t: t.nn.AdaptiveAvgPool2d((2, 3)),
     (2, 3, 7, 8)),
    ("batchnorm1d", lambda: nn.BatchNorm1d(3), lambda t: t.nn.BatchNorm1d(3), (6, 3)),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3), lambda t: t.nn.BatchNorm2d(3), (4, 3, 2, 2)),
    ("layernorm", lambda: nn.LayerNorm((2, 3)), lambda t: t.nn.LayerNorm((2, 3)), (4, 2, 3)),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), lambda t: t.nn.GroupNorm(2, 4), (3, 4, 5)),
    ("gelu", lambda: nn.GELU(), lambda t: t.nn.GELU(), (3, 4)),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2), (3, 4)),
    ("softmax", lambda: nn.Softmax(dim=1), lambda t: t.nn.Softmax(dim=1), (3, 4)),
    ("sequential", lambda: nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)),
     lambda t: t.nn.Sequential(t.nn.Linear(4, 8), t.nn.Tanh(), t.nn.Linear(8, 2)), (5, 4)),
]


def copy_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("name, make, make_torch, shape", LAYERS, ids=[c[0] for c in LAYERS])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_layer_matches_pytorch(name, make, make_torch, shape, mode):
    torch = pytest.importorskip("torch")
    theirs = make_torch(torch).double()
    ours = make().double()
    copy_from_torch(ours, theirs)
    ours.train(mode == "train")
    theirs.train(mode == "train")
    x = rng.standard_normal(shape)
    a, b = d.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(b)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-8)
    v = rng.standard_normal(out.shape)
    (out * d.Tensor(v)).sum().backward()
    (expected * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-6, atol=1e-8)
    theirs_params = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs_params[key].grad.numpy(), rtol=1e-6, atol=1e-8,
                                   err_msg=key)
    for key, buffer in ours.named_buffers():
        np.testing.assert_allclose(buffer, theirs.state_dict()[key].numpy(), err_msg=key)


def as_function_of_parameters(layer):
    """f(x, *parameter values) = layer(x) with those values in place of its parameters."""
    slots = [(m, name) for m in layer.modules() for name in m._parameters]

    def f(x, *values):
        originals = [getattr(m, name) for m, name in slots]
        for (m, name), value in zip(slots, values):
            object.__setattr__(m, name, value)  # bypass registration: a plain swap
        try:
            return layer(x)
        finally:
            for (m, name), original in zip(slots, originals):
                object.__setattr__(m, name, original)

    return f, [getattr(m, name).data for m, name in slots]


@pytest.mark.parametrize("name, make, make_torch, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_gradients_match_finite_differences(name, make, make_torch, shape):
    layer = make().double().eval()
    f, values = as_function_of_parameters(layer)
    assert gradcheck(f, rng.standard_normal(shape), *values)


def test_state_dict_round_trip_and_strict_errors():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    state = {k: v.copy() for k, v in model.state_dict().items()}
    assert set(state) == {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                          "1.num_batches_tracked", "2.weight", "2.bias"}
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[0].weight.data, model[0].weight.data)
    broken = dict(state)
    del broken["0.bias"]
    broken["extra"] = np.zeros(1)
    broken["2.weight"] = np.zeros((5, 5))
    with pytest.raises(KeyError) as error:
        fresh.load_state_dict(broken)
    message = str(error.value)
    assert "missing keys: ['0.bias']" in message and "unexpected keys: ['extra']" in message
    assert "2.weight: expected (2, 4), got (5, 5)" in message
    missing, unexpected = fresh.load_state_dict({"0.weight": state["0.weight"]}, strict=False)
    assert "0.bias" in missing and unexpected == []


def test_module_tree_parameters_modes_and_repr():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.ModuleList([nn.Linear(2, 2), nn.Dropout(0.5)])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
            self.shared = self.body[0]  # the same Linear twice: its parameters listed once

        def forward(self, x):
            return self.heads["a"](self.body[1](self.body[0](x)))

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["body.0.weight", "body.0.bias", "heads.a.weight",
                                                      "heads.a.bias"]
    assert len(list(net.children())) == 3
    net.eval()
    assert all(not m.training for m in net.modules())
    assert "(heads): ModuleDict" in repr(net) and "Linear(in_features=2, out_features=1" in repr(net)
    net(d.ones(3, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize("layer, x, message", [
    (nn.Linear(4, 2), d.ones(3, 5), r"Linear: expected input with 4 features on axis -1, got shape \(3, 5\)"),
    (nn.Conv2d(3, 8, 3), d.ones(2, 1, 8, 8), r"Conv2d: expected input with 3 channels on axis 1"),
    (nn.Conv2d(3, 8, 3), d.ones(3, 8, 8), r"Conv2d: expected input of shape \(N, 3, H, W\)"),
    (nn.BatchNorm2d(4), d.ones(2, 4), r"BatchNorm2d: expected input of 4 dimensions"),
])
def test_wrong_input_shapes_name_the_layer_and_what_it_expected(layer, x, message):
    with pytest.raises(ValueError, match=message):
        layer(x)


def test_initializers_have_the_documented_spread():
    w = nn.Parameter(d.zeros(400, 300))
    nn.init.kaiming_normal_(w, nonlinearity="relu", generator=d.Generator(0))
    assert w.data.std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    nn.init.xavier_uniform_(w, generator=d.Generator(0))
    assert np.abs(w.data).max() <= np.sqrt(6 / 700) + 1e-7
    q = nn.Parameter(d.zeros(6, 4))
    nn.init.orthogonal_(q, generator=d.Generator(0))
    np.testing.assert_allclose(q.data.T @ q.data, np.eye(4), atol=1e-6)


def test_a_small_network_learns():
    d.manual_seed(0)
    x = rng.standard_normal((200, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # XOR of signs: needs the hidden layer
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for step in range(300):
        loss = loss_fn(model(d.Tensor(x)), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad.data
    accuracy = (model(d.Tensor(x)).data.argmax(1) == y).mean()
    assert loss.item() < first / 3 and accuracy > 0.9


def test_embedding_matches_pytorch_and_finite_differences():
    torch = pytest.importorskip("torch")
    indices = np.array([[0, 3, 3], [2, 0, 1]])
    theirs = torch.nn.Embedding(4, 5, padding_idx=1).double()
    ours = nn.Embedding(4, 5, padding_idx=1).double()
    copy_from_torch(ours, theirs)
    out, expected = ours(indices), theirs(torch.tensor(indices))
    np.testing.assert_allclose(out.data, expected.detach().numpy())
    v = rng.standard_normal(out.shape)
    (out * d.Tensor(v)).sum().backward()
    (expected * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy())  # repeats add; padding row 0
    # (the padding row gets no gradient by design, so finite differences check a plain table)
    f, values = as_function_of_parameters(nn.Embedding(4, 5).double())
    assert gradcheck(lambda w: f(indices, w), values[0])
