"""Model and checkpoint files: round trips, rejection of damaged files, atomic writes, no pickle."""
import os
import zipfile

import numpy as np
import pytest

import descent
from descent import nn, serialize
from descent.serialize import CorruptFileError, build_model, load_model, load_tree, save_model, save_tree

SUFFIXES = [".npz", pytest.param(".safetensors", marks=pytest.mark.skipif(
    not serialize.has_safetensors(), reason="safetensors is not installed"))]

CNN_SPEC = [
    ["Conv2d", {"in_channels": 1, "out_channels": 4, "kernel_size": 3}],
    ["BatchNorm2d", {"num_features": 4}],
    ["ReLU", {}],
    ["MaxPool2d", {"kernel_size": 2}],
    ["Flatten", {}],
    ["Dropout", {"p": 0.1}],
    ["Linear", {"in_features": 4 * 13 * 13, "out_features": 10}],
]


def test_build_model_makes_the_layers_named_in_the_spec():
    model = build_model(CNN_SPEC)
    assert isinstance(model, nn.Sequential) and len(model) == len(CNN_SPEC)
    assert [type(layer).__name__ for layer in model] == [name for name, _ in CNN_SPEC]
    assert model[0].weight.shape == (4, 1, 3, 3) and model[6].weight.shape == (10, 676)
    assert model.spec == CNN_SPEC


@pytest.mark.parametrize("spec, message", [
    ([["os.system", {}]], "not a layer of descent.nn"),
    ([["Module", {}]], "not a layer"),
    ([["Sequential", {}]], "not a layer"),
    ([["__import__", {}]], "not a layer"),
    ([["Linear", {"in_features": 3}]], r"layer 0 \(Linear\) rejects"),
    ([["Linear", [3, 4]]], "must be a dict"),
    ([], "non-empty list"),
    ("Linear", "non-empty list"),
])
def test_bad_specs_are_refused_with_the_reason(spec, message):
    with pytest.raises(ValueError, match=message):
        build_model(spec)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_model_round_trip_gives_the_same_outputs(tmp_path, suffix):
    descent.manual_seed(3)
    model = build_model(CNN_SPEC)
    model[1].running_mean[...] = np.arange(4)  # a buffer, saved with the weights
    path = save_model(model, tmp_path / f"m{suffix}", metadata={"classes": ["a", "b"]})
    loaded, metadata = load_model(path)
    assert metadata == {"classes": ["a", "b"]} and loaded.spec == CNN_SPEC
    for (name, a), (other, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert name == other and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    x = descent.Tensor(np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32))
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(model(x).data, loaded(x).data)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_tree_round_trip_keeps_types(tmp_path, suffix):
    tree = {"state": {0: {"m": np.arange(6, dtype=np.float32).reshape(2, 3), "step": 7}},
            "generator": np.random.default_rng(5).bit_generator.state,
            "lr": 0.1 + 0.2, "best": float("inf"), "none": None, "flag": True, "scalar": np.array(3.5),
            "ints": np.arange(3, dtype=np.int64), "text": "é"}
    loaded = load_tree(save_tree(tmp_path / f"t{suffix}", tree))
    assert loaded["state"][0]["step"] == 7 and loaded["lr"] == 0.1 + 0.2 and loaded["best"] == float("inf")
    assert loaded["generator"] == tree["generator"]  # 128-bit integers survive
    np.testing.assert_array_equal(loaded["state"][0]["m"], tree["state"][0]["m"])
    assert loaded["state"][0]["m"].dtype == np.float32 and loaded["ints"].dtype == np.int64
    assert loaded["scalar"].shape == () and loaded["scalar"] == 3.5
    assert loaded["none"] is None and loaded["flag"] is True and loaded["text"] == "é"


def test_object_arrays_and_arbitrary_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="pickle"):
        save_tree(tmp_path / "x.npz", {"a": np.array([object()])})
    with pytest.raises(TypeError, match="cannot save"):
        save_tree(tmp_path / "x.npz", {"a": object()})
    assert not list(tmp_path.iterdir())  # nothing written, not even a temporary file


def test_npz_files_hold_no_pickles(tmp_path):
    path = save_model(build_model(CNN_SPEC), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as archive:  # would raise on any object array
        assert all(archive[name].dtype != object for name in archive.files)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_any_flipped_byte_or_truncation_is_rejected_and_the_old_file_survives(tmp_path, suffix):
    descent.manual_seed(0)
    good = save_model(build_model([["Linear", {"in_features": 3, "out_features": 2}]]), tmp_path / f"good{suffix}")
    data = good.read_bytes()
    bad = tmp_path / f"bad{suffix}"
    positions = sorted(set(range(0, len(data), 7)) | {len(data) - 1})
    for position in positions:  # every 7th byte: headers, JSON, array data, directory
        damaged = bytearray(data)
        damaged[position] ^= 0x5A
        bad.write_bytes(bytes(damaged))
        with pytest.raises(CorruptFileError, match="bad"):
            load_tree(bad)
    for length in (0, 5, len(data) // 2, len(data) - 1):
        bad.write_bytes(data[:length])
        with pytest.raises(CorruptFileError, match=f"bad{suffix}"):
            load_tree(bad)
    model, _ = load_model(good)  # the good file is untouched
    assert model[0].weight.shape == (2, 3)


def test_a_checkpoint_is_not_loaded_as_a_model(tmp_path):
    path = save_tree(tmp_path / "c.npz", {"epoch": 1}, kind="checkpoint")
    with pytest.raises(CorruptFileError, match="expected a 'model'"):
        load_model(path)


def test_writes_are_atomic_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save_tree(path, {"epoch": 1, "w": np.ones(3)}, kind="checkpoint")
    before = path.read_bytes()

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_tree(path, {"epoch": 2, "w": np.zeros(3)}, kind="checkpoint")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # the temporary file is cleaned up
    monkeypatch.undo()
    assert load_tree(path)["epoch"] == 1


def test_writes_go_through_a_temporary_file_in_the_same_directory(tmp_path, monkeypatch):
    moves = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: moves.append((str(a), str(b))) or real_replace(a, b))
    path = save_tree(tmp_path / "sub" / "t.npz", {"x": np.ones(2)})
    (source, target), = moves
    assert os.path.dirname(source) == os.path.dirname(target) == str(tmp_path / "sub")
    assert target == str(path) and source != target


def test_npz_is_a_plain_zip_of_npy_files_readable_without_descent(tmp_path):
    path = save_tree(tmp_path / "t.npz", {"w": np.arange(4.0)})
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["__descent__.npy", "a0.npy"]
    with np.load(path, allow_pickle=False) as arrays:
        np.testing.assert_array_equal(arrays["a0"], np.arange(4.0))
