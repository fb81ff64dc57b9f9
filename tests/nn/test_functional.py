"""Losses, normalization and attention functions against PyTorch, and by finite differences."""
import numpy as np
import pytest

import descent as d
import descent.nn.functional as F
from descent.testing import gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 3])
PROBS = rng.dirichlet(np.ones(4), size=6)
X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
P = rng.uniform(0.05, 0.95, (5, 3))
T01 = (rng.random((5, 3)) > 0.5).astype(float)

# (name, descent function of float inputs, torch function of the same, float inputs)
CASES = [
    ("mse", lambda x, y: F.mse_loss(x, y), lambda x, y: TF.mse_loss(x, y), (X, Y)),
    ("mse_sum", lambda x, y: F.mse_loss(x, y, "sum"), lambda x, y: TF.mse_loss(x, y, reduction="sum"), (X, Y)),
    ("l1", lambda x, y: F.l1_loss(x, y), lambda x, y: TF.l1_loss(x, y), (X, Y)),
    ("smooth_l1", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
     lambda x, y: TF.smooth_l1_loss(x, y, beta=0.5), (X, Y)),
    ("huber", lambda x, y: F.huber_loss(x, y, delta=0.7), lambda x, y: TF.huber_loss(x, y, delta=0.7), (X, Y)),
    ("cross_entropy", lambda z: F.cross_entropy(z, LABELS), lambda z: TF.cross_entropy(z, torch.tensor(LABELS)),
     (LOGITS,)),
    ("cross_entropy_weight", lambda z: F.cross_entropy(z, LABELS, weight=np.array([1.0, 2.0, 0.5, 1.5])),
     lambda z: TF.cross_entropy(z, torch.tensor(LABELS), weight=torch.tensor([1.0, 2.0, 0.5, 1.5],
                                                                               dtype=torch.float64)), (LOGITS,)),
    ("cross_entropy_ignore", lambda z: F.cross_entropy(z, LABELS, ignore_index=3),
     lambda z: TF.cross_entropy(z, torch.tensor(LABELS), ignore_index=3), (LOGITS,)),
    ("cross_entropy_smoothing",
     lambda z: F.cross_entropy(z, LABELS, label_smoothing=0.1, weight=np.array([1.0, 2.0, 0.5, 1.5])),
     lambda z: TF.cross_entropy(z, torch.tensor(LABELS), label_smoothing=0.1,
                                weight=torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)), (LOGITS,)),
    ("cross_entropy_probabilities", lambda z: F.cross_entropy(z, PROBS, label_smoothing=0.2),
     lambda z: TF.cross_entropy(z, torch.tensor(PROBS), label_smoothing=0.2), (LOGITS,)),
    ("cross_entropy_none", lambda z: F.cross_entropy(z, LABELS, reduction="none"),
     lambda z: TF.cross_entropy(z, torch.tensor(LABELS), reduction="none"), (LOGITS,)),
    ("nll", lambda z: F.nll_loss(F.log_softmax(z, axis=1), LABELS, ignore_index=0),
     lambda z: TF.nll_loss(TF.log_softmax(z, 1), torch.tensor(LABELS), ignore_index=0), (LOGITS,)),
    ("bce", lambda p: F.binary_cross_entropy(p, T01), lambda p: TF.binary_cross_entropy(p, torch.tensor(T01)),
     (P,)),
    ("bce_logits", lambda x: F.binary_cross_entropy_with_logits(x, T01, pos_weight=np.array([1.0, 2.0, 3.0])),
     lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(T01),
                                                   pos_weight=torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)),
     (X,)),
    ("kl_div", lambda z: F.kl_div(F.log_softmax(z, axis=1), PROBS, reduction="batchmean"),
     lambda z: TF.kl_div(TF.log_softmax(z, 1), torch.tensor(PROBS), reduction="batchmean"), (LOGITS,)),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (3,), w, b),
     lambda x, w, b: TF.layer_norm(x, (3,), w, b), (X, rng.standard_normal(3), rng.standard_normal(3))),
    ("group_norm", lambda x: F.group_norm(x, 2), lambda x: TF.group_norm(x, 2), (rng.standard_normal((2, 4, 3)),)),
    ("batch_norm_train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
     (rng.standard_normal((4, 3, 2)), rng.standard_normal(3), rng.standard_normal(3))),
    ("attention", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
     lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True),
     (rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 5)))),
]


@pytest.mark.parametrize("name, ours, theirs, inputs", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch_in_value_and_gradient(name, ours, theirs, inputs):
    a = [d.Tensor(x, requires_grad=True) for x in inputs]
    b = [torch.tensor(x, requires_grad=True) for x in inputs]
    out, expected = ours(*a), theirs(*b)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-8)
    out.sum().backward()
    expected.sum().backward()
    for x, y in zip(a, b):
        np.testing.assert_allclose(x.grad.data, y.grad.numpy(), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name, ours, theirs, inputs", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(name, ours, theirs, inputs):
    assert gradcheck(ours, *inputs)


def test_batch_norm_updates_running_statistics_as_pytorch():
    x = rng.standard_normal((8, 3))
    mean, var = np.zeros(3), np.ones(3)
    tm, tv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    F.batch_norm(d.Tensor(x), mean, var, training=True, momentum=0.2)
    TF.batch_norm(torch.tensor(x), tm, tv, training=True, momentum=0.2)
    np.testing.assert_allclose(mean, tm.numpy())
    np.testing.assert_allclose(var, tv.numpy())


def test_dropout_keeps_the_expectation_and_is_off_in_eval():
    x = d.ones(200, 200)
    y = F.dropout(x, 0.3, training=True, generator=d.Generator(0))
    kept = (y.data != 0).mean()
    assert abs(kept - 0.7) < 0.01
    assert abs(y.data.mean() - 1.0) < 0.02
    assert F.dropout(x, 0.3, training=False) is x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_scales_what_it_keeps_and_passes_gradients_only_there(dtype):
    x = d.Tensor(np.random.default_rng(0).uniform(1, 2, (50, 40)).astype(dtype), requires_grad=True)
    y = F.dropout(x, 0.25, training=True, generator=d.Generator(1))
    assert y.dtype == dtype
    kept = y.data != 0
    np.testing.assert_array_equal(y.data[kept], x.data[kept] * dtype(1 / 0.75))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.where(kept, dtype(1 / 0.75), 0))


def test_loss_shape_mismatch_names_the_loss():
    with pytest.raises(ValueError, match=r"mse_loss: input of shape \(2, 3\) and target of shape \(3,\)"):
        F.mse_loss(d.ones(2, 3), np.ones(3))
