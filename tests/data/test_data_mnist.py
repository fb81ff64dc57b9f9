"""Specifications of MNIST / FashionMNIST: values, layout, lookup order and download fallback."""
import gzip
import hashlib

import numpy as np
import pytest

from descent.backend import Generator
from descent.data import MNIST, DataLoader, FashionMNIST, read_idx

from .conftest import SHARED_DATASETS, write_fake_mnist

needs_shared = pytest.mark.skipif(not (SHARED_DATASETS / "mnist").is_dir() or
                                  not (SHARED_DATASETS / "fashion-mnist").is_dir(),
                                  reason="shared MNIST / Fashion-MNIST files are absent")


def content_digests(directory, train=True):
    """The SHA-256 of each fake file's uncompressed content, as MNIST.sha256 holds them."""
    prefix = "train" if train else "t10k"
    digests = {}
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        name = f"{prefix}-{kind}"
        digests[name] = hashlib.sha256(read_idx_bytes(directory / f"{name}.gz")).hexdigest()
    return digests


def read_idx_bytes(path):
    return gzip.decompress(path.read_bytes())


# ---- values and layout -----------------------------------------------------------------

def test_images_scaled_to_unit_interval_and_labels_int64(tmp_path, isolated_places):
    images, labels = write_fake_mnist(tmp_path / "d", n=6, label=3)
    ds = MNIST(root=tmp_path / "d", download=False)
    assert ds.data.shape == (6, 1, 28, 28) and ds.data.dtype == np.float32
    assert ds.targets.dtype == np.int64 and ds.targets.tolist() == [3] * 6
    np.testing.assert_allclose(ds.data[:, 0], images.astype(np.float64) / 255, rtol=1e-6)
    assert len(ds) == 6


def test_flatten_and_dtype(tmp_path, isolated_places):
    images, _ = write_fake_mnist(tmp_path / "d", n=4, train=False)
    ds = MNIST(root=tmp_path / "d", train=False, download=False, flatten=True, dtype=np.float64)
    assert ds.data.shape == (4, 784) and ds.data.dtype == np.float64
    np.testing.assert_array_equal(ds.data, images.reshape(4, 784) / 255.0)
    with pytest.raises(TypeError, match="floating"):
        MNIST(root=tmp_path / "d", train=False, download=False, dtype=np.int32)


def test_indexing_and_loader_fast_path(tmp_path, isolated_places):
    write_fake_mnist(tmp_path / "d", n=10, label=7)
    ds = MNIST(root=tmp_path / "d", download=False)
    x, y = ds[np.array([4, 1])]
    np.testing.assert_array_equal(x, ds.data[[4, 1]])
    assert ds.supports_array_index
    batches = list(DataLoader(ds, batch_size=4, shuffle=True, generator=Generator(0)))
    assert [b[0].shape for b in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]


def test_uncompressed_files_are_accepted(tmp_path, isolated_places):
    images, _ = write_fake_mnist(tmp_path / "raw", n=3, gz=False)
    ds = MNIST(root=tmp_path / "raw", download=False)
    np.testing.assert_allclose(ds.data[:, 0] * 255, images, atol=1e-4)


def test_inconsistent_files_are_an_error(tmp_path, isolated_places, idx_writer):
    write_fake_mnist(tmp_path / "d", n=5)
    idx_writer(tmp_path / "d" / "train-labels-idx1-ubyte.gz", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"MNIST.*\(4,\).*\(5,\)"):
        MNIST(root=tmp_path / "d", download=False)


# ---- lookup order ----------------------------------------------------------------------

def fill_every_place(places, monkeypatch, name="mnist"):
    """A fake split in every place, each marked by its own label."""
    write_fake_mnist(places["root"], label=1)
    write_fake_mnist(places["data"] / name, label=2)
    monkeypatch.setenv("DESCENT_DATA", str(places["data"]))
    write_fake_mnist(places["cache"] / "descent" / name, label=3)
    write_fake_mnist(places["system"] / name, label=4)


@pytest.mark.parametrize("dataset", [MNIST, FashionMNIST])
def test_lookup_order_root_env_cache_system(isolated_places, monkeypatch, dataset):
    places = isolated_places
    fill_every_place(places, monkeypatch, dataset.name)
    marker = lambda **kw: int(dataset(download=False, **kw).targets[0])  # noqa: E731
    assert marker(root=places["root"]) == 1
    assert marker() == 2
    monkeypatch.delenv("DESCENT_DATA")
    assert marker() == 3
    for f in (places["cache"] / "descent" / dataset.name).iterdir():
        f.unlink()
    assert marker() == 4


def test_root_may_hold_the_dataset_folder(tmp_path, isolated_places):
    write_fake_mnist(tmp_path / "datasets" / "mnist", label=5)
    assert MNIST(root=tmp_path / "datasets", download=False).targets[0] == 5


def test_a_directory_needs_both_files_of_the_split(isolated_places, monkeypatch):
    places = isolated_places
    fill_every_place(places, monkeypatch)
    (places["data"] / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    assert MNIST(download=False).targets[0] == 3  # the incomplete $DESCENT_DATA is passed over


def test_xdg_cache_home_unset_uses_home_cache(tmp_path, isolated_places, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write_fake_mnist(tmp_path / "home" / ".cache" / "descent" / "mnist", label=6)
    assert MNIST(download=False).targets[0] == 6


def test_not_found_lists_every_place_and_how_to_supply(isolated_places, monkeypatch):
    places = isolated_places
    monkeypatch.setenv("DESCENT_DATA", str(places["data"]))
    with pytest.raises(FileNotFoundError) as caught:
        MNIST(root=places["root"], download=False)
    message = str(caught.value)
    for where in (places["root"], places["root"] / "mnist", places["data"] / "mnist",
                  places["cache"] / "descent" / "mnist", places["system"] / "mnist"):
        assert str(where) in message
    assert "train-images-idx3-ubyte" in message and "download=False" in message
    assert "DESCENT_DATA" in message and "root=" in message


# ---- download fallback -----------------------------------------------------------------

def test_download_fallback_from_mirror_into_cache(tmp_path, isolated_places, serve, monkeypatch):
    images, _ = write_fake_mnist(tmp_path / "mirror" / "mnist", n=4, label=8)
    monkeypatch.setattr(MNIST, "sha256", content_digests(tmp_path / "mirror" / "mnist"))
    server = serve(tmp_path / "mirror")
    monkeypatch.setenv("DESCENT_DATA_MIRROR", server.url)
    ds = MNIST(download=True)
    assert ds.targets.tolist() == [8] * 4
    np.testing.assert_allclose(ds.data[:, 0] * 255, images, atol=1e-4)
    cached = isolated_places["cache"] / "descent" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert sorted(server.requests) == ["/mnist/train-images-idx3-ubyte.gz", "/mnist/train-labels-idx1-ubyte.gz"]
    MNIST(download=True)  # now found in the cache: no new request
    assert len(server.requests) == 2


def test_corrupted_download_is_rejected_and_leaves_no_file(tmp_path, isolated_places, serve, monkeypatch):
    write_fake_mnist(tmp_path / "mirror" / "mnist", n=4)
    digests = content_digests(tmp_path / "mirror" / "mnist")
    digests["train-images-idx3-ubyte"] = "0" * 64  # the served images do not match
    monkeypatch.setattr(MNIST, "sha256", digests)
    server = serve(tmp_path / "mirror")
    monkeypatch.setenv("DESCENT_DATA_MIRROR", server.url)
    with pytest.raises(FileNotFoundError, match=r"(?s)download failed.*train-images.*SHA-256"):
        MNIST(download=True)
    cached = isolated_places["cache"] / "descent" / "mnist"
    assert not cached.exists() or list(cached.iterdir()) == []


def test_unreachable_mirror_gives_the_not_found_message(isolated_places, monkeypatch):
    monkeypatch.setenv("DESCENT_DATA_MIRROR", "http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(FileNotFoundError, match=r"(?s)Looked in.*download failed.*127\.0\.0\.1:9/mnist"):
        MNIST(download=True)


@needs_shared
@pytest.mark.parametrize("dataset", [MNIST, FashionMNIST])
def test_real_download_path_with_true_checksums(isolated_places, serve, monkeypatch, dataset):
    # The shared copies are served as the mirror; the built-in content digests must accept them.
    server = serve(SHARED_DATASETS)
    monkeypatch.setenv("DESCENT_DATA_MIRROR", server.url)
    ds = dataset(train=False)
    assert ds.data.shape == (10000, 1, 28, 28)
    expected = read_idx(SHARED_DATASETS / dataset.name / "t10k-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(ds.targets, expected)
    cached = isolated_places["cache"] / "descent" / dataset.name
    assert sorted(p.name for p in cached.iterdir()) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


# ---- the real files --------------------------------------------------------------------

@needs_shared
def test_real_mnist_train_split(isolated_places):
    ds = MNIST(root=SHARED_DATASETS, download=False)
    raw = read_idx(SHARED_DATASETS / "mnist" / "train-images-idx3-ubyte.gz")
    assert raw.shape == (60000, 28, 28) and raw.dtype == np.uint8
    assert ds.data.shape == (60000, 1, 28, 28) and ds.data.dtype == np.float32
    assert 0.0 <= ds.data.min() and ds.data.max() == 1.0
    assert ds.targets.min() == 0 and ds.targets.max() == 9
    assert abs(float(ds.data.mean()) - 0.1307) < 1e-4 and abs(float(ds.data.std()) - 0.3081) < 1e-4


@needs_shared
def test_real_fashion_mnist_published_checks(isolated_places):
    ds = FashionMNIST(root=SHARED_DATASETS / "fashion-mnist", download=False)
    assert np.bincount(ds.targets).tolist() == [6000] * 10
    assert abs(float(ds.data.mean()) - 0.2860) < 1e-4 and abs(float(ds.data.std()) - 0.3530) < 1e-4


@needs_shared
def test_builtin_digests_match_the_shared_files():
    for dataset in (MNIST, FashionMNIST):
        for name, digest in dataset.sha256.items():
            content = read_idx_bytes(SHARED_DATASETS / dataset.name / f"{name}.gz")
            assert hashlib.sha256(content).hexdigest() == digest
