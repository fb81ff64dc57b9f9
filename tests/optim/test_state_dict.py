"""Optimizer.state_dict: plain data, saved without pickle, resumed exactly; mismatches refused."""
import io
import json

import numpy as np
import pytest

from descent import optim
from descent.tensor import Tensor

SHAPES = [(3, 4), (4,), ()]


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in SHAPES]


def train(opt, params, steps, start=0):
    """`steps` updates with gradients that depend on the step index and on the parameters."""
    for t in range(start, start + steps):
        rng = np.random.default_rng(100 + t)
        for p in params:
            p.grad = Tensor(np.asarray(rng.standard_normal(p.shape).astype(np.float32) + p.data))
        opt.step()


def save_without_pickle(state_dict):
    """Arrays to an .npz (allow_pickle=False), everything else to JSON; then read both back."""
    arrays, plain = {}, {"param_groups": state_dict["param_groups"], "state": {}}
    for index, entries in state_dict["state"].items():
        plain["state"][index] = {}
        for key, value in entries.items():
            if isinstance(value, np.ndarray):
                arrays[f"{index}/{key}"] = value
                plain["state"][index][key] = {"array": f"{index}/{key}"}
            else:
                plain["state"][index][key] = value
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    loaded = json.loads(json.dumps(plain))  # int keys come back as strings
    for entries in loaded["state"].values():
        for key, value in entries.items():
            if isinstance(value, dict):
                entries[key] = arrays[value["array"]]
    return loaded


def assert_plain(value):
    """Only numbers, strings, bools, lists, dicts and ndarrays."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, (int, str))
            assert_plain(v)
    elif isinstance(value, list):
        for v in value:
            assert_plain(v)
    else:
        assert isinstance(value, (int, float, str, bool, np.ndarray)), type(value)


CONFIGS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_resuming_from_a_saved_state_continues_exactly(name, kwargs):
    params = make_params()
    opt = getattr(optim, name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], **kwargs)
    train(opt, params, 5)
    saved = save_without_pickle(opt.state_dict())
    values = [p.data.copy() for p in params]
    train(opt, params, 5, start=5)  # uninterrupted

    resumed = [Tensor(v, requires_grad=True) for v in values]
    fresh = getattr(optim, name)([{"params": resumed[:1]}, {"params": resumed[1:]}], lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["lr"] == 0.05 and fresh.param_groups[0]["lr"] == kwargs["lr"]
    train(fresh, resumed, 5, start=5)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_state_dict_is_plain_data_indexed_like_pytorch(name, kwargs):
    params = make_params()
    opt = getattr(optim, name)(params, **kwargs)
    train(opt, params, 2)
    state = opt.state_dict()
    assert_plain(state)
    assert state["param_groups"][0]["params"] == [0, 1, 2]
    assert sorted(state["state"]) == [0, 1, 2]
    torch = pytest.importorskip("torch")
    reference = getattr(torch.optim, name)([torch.zeros(s, requires_grad=True) for s in SHAPES], **kwargs)
    for tp in reference.param_groups[0]["params"]:
        tp.grad = torch.ones_like(tp)
    reference.step()
    # the same names of state entries as PyTorch's, so checkpoints read alike
    assert set(state["state"][0]) == set(reference.state_dict()["state"][0])


def test_state_dict_arrays_are_copies():
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    train(opt, params, 1)
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    train(opt, params, 1, start=1)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


def test_loading_into_groups_of_other_sizes_is_refused():
    params = make_params()
    opt = optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1, momentum=0.9)
    train(opt, params, 1)
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="2 parameter groups.*has 1"):
        optim.SGD(make_params(), lr=0.1).load_state_dict(saved)
    other = make_params()
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the saved state and 1"):
        optim.SGD([{"params": other[:1]}, {"params": other[1:]}], lr=0.1).load_state_dict(saved)


def test_loading_state_of_another_shape_is_refused():
    params = make_params()
    opt = optim.Adam(params)
    train(opt, params, 1)
    saved = opt.state_dict()
    swapped = [Tensor(np.zeros(s, np.float32), requires_grad=True) for s in [(4,), (3, 4), ()]]
    with pytest.raises(ValueError, match=r"shape \(3, 4\).*shape \(4,\)"):
        optim.Adam(swapped).load_state_dict(saved)


def test_loaded_state_takes_the_parameters_dtype():
    params = make_params()
    opt = optim.Adam(params)
    train(opt, params, 1)
    saved = opt.state_dict()
    wide = [Tensor(p.data.astype(np.float64), requires_grad=True) for p in params]
    fresh = optim.Adam(wide)
    fresh.load_state_dict(saved)
    assert fresh.state[wide[0]]["exp_avg"].dtype == np.float64
    assert fresh.param_groups[0]["betas"] == (0.9, 0.999)  # a tuple again


def test_a_step_count_saved_as_a_0d_array_comes_back_a_number():
    params = make_params()
    opt = optim.Adam(params)
    train(opt, params, 3)
    saved = opt.state_dict()
    for entries in saved["state"].values():
        entries["step"] = np.array(entries["step"])  # as an all-arrays format would keep it
    fresh = optim.Adam(params)
    fresh.load_state_dict(saved)
    assert all(fresh.state[p]["step"] == 3 and isinstance(fresh.state[p]["step"], int) for p in params)
