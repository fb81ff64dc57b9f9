"""The fast paths of the convolution and pooling ops: what the forward keeps for the
backward (`primitive(..., saves=True)`), and the loops split over threads, each checked
against the plain way of computing the same thing."""
import threading

import numpy as np
import pytest

from descent import backend
from descent.ops import _parallel, conv
from descent.ops.conv import conv2d, max_pool2d
from descent.ops.primitive import REGISTRY, primitive
from descent.tensor import Tensor, no_grad
from descent.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


@pytest.fixture
def threads(monkeypatch):
    """Run with `n` threads and no size threshold, so that even small arrays are split."""
    def use(n):
        monkeypatch.setattr(backend, "_num_threads", n)
        monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 1)
    yield use


@pytest.fixture(params=["batched products", "one product"])
def layout(request, monkeypatch):
    monkeypatch.setattr(conv, "ONE_PRODUCT_MIN_WEIGHTS", 0 if request.param == "one product" else 10 ** 9)


# --- saved values ------------------------------------------------------------------------
def _square_saving_double():
    """x², whose forward also hands 2x to its rule."""
    calls = []

    def forward(x, saving):
        return x * x, 2 * x if saving else None

    def rule(g, ans, x, saved):
        calls.append(saved)
        return g * saved if not isinstance(g, Tensor) else g * 2 * x
    square = primitive(forward, rule, name="square_saving_double", saves=True)
    REGISTRY.pop("square_saving_double")  # a toy, not one of descent's ops
    return square, calls


def test_a_saving_primitive_returns_the_result_alone_on_arrays():
    square, _ = _square_saving_double()
    np.testing.assert_array_equal(square(np.arange(3.0)), [0.0, 1.0, 4.0])


def test_a_saving_primitives_rule_gets_what_its_forward_saved():
    square, calls = _square_saving_double()
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    square(x).sum().backward()
    np.testing.assert_array_equal(calls[0], 2 * x.data)
    np.testing.assert_array_equal(x.grad.data, 2 * x.data)


def test_a_saving_primitive_saves_only_when_it_is_recorded():
    seen = []
    double = primitive(lambda x, saving: (seen.append(saving) or 2 * x, None), lambda g, ans, x, saved: 2 * g,
                       name="double_noting_saving", saves=True)
    REGISTRY.pop("double_noting_saving")
    double(np.ones(2))
    double(Tensor(np.ones(2)))
    with no_grad():
        double(Tensor(np.ones(2), requires_grad=True))
    double(Tensor(np.ones(2), requires_grad=True))
    assert seen == [False, False, False, True]


@pytest.mark.usefixtures("layout")
@pytest.mark.parametrize("params", [dict(), dict(stride=2, padding=1), dict(groups=2, dilation=(2, 1))])
def test_kept_columns_give_the_weight_gradient_computed_afresh(params):
    x, w = rng.standard_normal((3, 4, 7, 6)), rng.standard_normal((6, 4 // params.get("groups", 1), 3, 2))
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    y = conv2d(xt, wt, **params)
    g = rng.standard_normal(y.shape)
    (y * Tensor(g)).sum().backward()
    pair = lambda name: conv._pair(params.get(name, 1), name, "")  # noqa: E731
    full = dict(stride=pair("stride"), dilation=pair("dilation"), groups=params.get("groups", 1),
                padding=conv._conv_padding(params.get("padding", 0), w.shape[2:], None, None, ""))
    np.testing.assert_allclose(wt.grad.data, conv.conv2d_weight_grad(x, g, w_shape=w.shape, **full), rtol=1e-12)


@pytest.mark.usefixtures("layout")
def test_conv2d_with_bias_has_second_derivatives():
    x, w, b = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((4, 3, 2, 2)), rng.standard_normal(4)
    assert gradgradcheck(lambda x, w, b: conv2d(x, w, b, padding=1) ** 2, x, w, b)


@pytest.mark.parametrize("kernel", [2, 3])
def test_kept_winners_route_the_gradient_as_comparing_again(kernel):
    x = np.maximum(rng.integers(-2, 3, (2, 3, 7, 9)), 0).astype(np.float64)  # ties, as after a ReLU
    t = Tensor(x, requires_grad=True)
    y = max_pool2d(t, kernel)
    g = rng.standard_normal(y.shape)
    (y * Tensor(g)).sum().backward()
    params = dict(kernel=(kernel, kernel), stride=(kernel, kernel), padding=(0, 0), dilation=(1, 1))
    np.testing.assert_array_equal(t.grad.data, conv.max_pool2d_scatter(g, x, **params))


# --- threads -----------------------------------------------------------------------------
def _conv_step(x, w, b, g, **params):
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(xt, wt, bt, **params)
    (y * Tensor(g)).sum().backward()
    return y.data, xt.grad.data, wt.grad.data, bt.grad.data


@pytest.mark.usefixtures("layout")
@pytest.mark.parametrize("params", [dict(), dict(stride=(2, 1), padding=1), dict(groups=2)])
def test_conv2d_on_threads_equals_conv2d_on_one(threads, params):
    x, w, b = rng.standard_normal((5, 4, 9, 8)), rng.standard_normal((6, 4 // params.get("groups", 1), 3, 3)), \
        rng.standard_normal(6)
    g = rng.standard_normal(conv2d(x, w, **params).shape)
    threads(1)
    plain = _conv_step(x, w, b, g, **params)
    threads(3)
    split = _conv_step(x, w, b, g, **params)
    for mine, reference in zip(split, plain):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)  # only sums may be reordered


@pytest.mark.parametrize("kernel, shape", [(2, (5, 3, 8, 8)), (2, (4, 2, 7, 9)), (3, (3, 2, 9, 9))])
def test_max_pool2d_on_threads_equals_max_pool2d_on_one(threads, kernel, shape):
    x = np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float32)
    g = rng.standard_normal((shape[0], shape[1], shape[2] // kernel, shape[3] // kernel)).astype(np.float32)
    results = []
    for n in (1, 2):
        threads(n)
        t = Tensor(x, requires_grad=True)
        y = max_pool2d(t, kernel)
        (y * Tensor(g)).sum().backward()
        results.append((y.data, t.grad.data))
    for mine, reference in zip(*results):
        np.testing.assert_array_equal(mine, reference)


def test_threaded_conv2d_keeps_its_gradient_in_float64(threads):
    threads(2)
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, padding=1), rng.standard_normal((4, 2, 5, 5)),
                     rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3))


def test_over_batch_covers_the_range_in_order(threads):
    threads(3)
    parts = _parallel.over_batch(lambda start, stop: list(range(start, stop)), 10, 10)
    assert len(parts) == 3 and sum(parts, []) == list(range(10))


def test_over_pieces_covers_the_range_once(threads):
    threads(2)
    seen = np.zeros(1000, dtype=int)

    def piece(start, stop):
        assert stop - start <= 64
        seen[start:stop] += 1
    _parallel.over_pieces(piece, 1000, 64)
    assert (seen == 1).all()


def test_over_batch_stays_on_one_thread_when_asked_or_small(threads, monkeypatch):
    threads(1)
    assert _parallel.blocks(100, 10 ** 9) == [(0, 100)]
    threads(4)
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 1000)
    assert _parallel.blocks(100, 1999) == [(0, 100)]  # too little work for two threads
    assert _parallel.blocks(100, 2000) == [(0, 50), (50, 100)]
    assert len(_parallel.blocks(100, 10 ** 9)) == 4


def test_over_batch_passes_errors_on_and_runs_nested_calls_inline(threads):
    threads(2)

    def failing(start, stop):
        if start > 0:
            raise ValueError("block failed")
    with pytest.raises(ValueError, match="block failed"):
        _parallel.over_batch(failing, 4, 4)
    # A block that itself splits work must not wait on the pool it runs in.
    names = _parallel.over_batch(
        lambda start, stop: _parallel.over_batch(lambda a, b: threading.current_thread().name, 4, 4), 4, 4)
    assert len(names[1]) == 1


def test_the_number_of_threads_comes_from_the_environment_or_the_setting(monkeypatch):
    monkeypatch.setattr(backend, "_num_threads", None)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert backend.get_num_threads() == 3
    backend.set_num_threads(1)
    assert backend.get_num_threads() == 1
    with pytest.raises(ValueError, match=r"set_num_threads: .* positive int, got 0"):
        backend.set_num_threads(0)
