"""Specifications of the IDX, CSV and npz readers."""
import gzip

import numpy as np
import pytest

from descent.data import load_npz, read_csv, read_idx

from .conftest import IDX_CODES, SHARED_DATASETS


@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_round_trips_every_dtype(tmp_path, idx_writer, dtype, suffix):
    values = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        values = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    path = idx_writer(tmp_path / f"values.idx{suffix}", values)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    assert got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, values)


def test_read_idx_big_endian_dimensions_and_values(tmp_path):
    # Written byte by byte: int16, 1 dimension of length 2 (0x00000002), values 258 and -2.
    raw = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE])
    (tmp_path / "a.idx").write_bytes(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), [258, -2])


def test_read_idx_gzip_is_detected_by_content_not_name(tmp_path, idx_writer):
    idx_writer(tmp_path / "a.gz", np.arange(5, dtype=np.uint8))
    (tmp_path / "a.gz").rename(tmp_path / "plainname")
    np.testing.assert_array_equal(read_idx(tmp_path / "plainname"), np.arange(5))


@pytest.mark.parametrize("content", [b"\x00\x00", b"\x01\x00\x08\x01" + bytes(8),
                                     b"\x00\x00\x07\x01" + bytes(8), b"GIF89a" + bytes(8)])
def test_read_idx_bad_magic_number_names_the_file(tmp_path, content):
    path = tmp_path / "bad-magic.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"bad-magic\.idx.*magic number"):
        read_idx(path)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_truncated_data_names_the_file(tmp_path, idx_writer, suffix):
    full = tmp_path / "full.idx"
    idx_writer(full, np.arange(100, dtype=np.int32))
    data = full.read_bytes()[:-10]
    path = tmp_path / f"short.idx{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)
    with pytest.raises(ValueError, match=r"short\.idx.*truncated.*400 bytes.*390"):
        read_idx(path)


def test_read_idx_truncated_header_and_cut_gzip_name_the_file(tmp_path, idx_writer):
    (tmp_path / "head.idx").write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 5]))
    with pytest.raises(ValueError, match=r"head\.idx.*truncated"):
        read_idx(tmp_path / "head.idx")
    idx_writer(tmp_path / "whole.gz", np.arange(1000, dtype=np.float64))
    cut = (tmp_path / "whole.gz").read_bytes()[:-20]  # gzip stream ends mid-way
    (tmp_path / "cut.gz").write_bytes(cut)
    with pytest.raises(ValueError, match=r"cut\.gz"):
        read_idx(tmp_path / "cut.gz")


def test_read_idx_extra_bytes_are_an_error(tmp_path, idx_writer):
    path = idx_writer(tmp_path / "long.idx", np.arange(4, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(ValueError, match=r"long\.idx.*more data"):
        read_idx(path)


@pytest.mark.skipif(not (SHARED_DATASETS / "mnist").is_dir(), reason="shared MNIST files are absent")
def test_read_idx_real_mnist():
    images = read_idx(SHARED_DATASETS / "mnist" / "train-images-idx3-ubyte.gz")
    labels = read_idx(SHARED_DATASETS / "mnist" / "train-labels-idx1-ubyte.gz")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert images.min() == 0 and images.max() == 255
    assert labels.shape == (60000,) and set(np.unique(labels)) == set(range(10))
    # Published check values: pixel mean 0.1307 and std 0.3081 on the [0, 1] scale.
    assert abs(images.mean() / 255 - 0.1307) < 1e-4
    assert abs(images.std() / 255 - 0.3081) < 1e-4
    test_labels = read_idx(SHARED_DATASETS / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_read_csv_without_header(tmp_path):
    values = np.array([[1.5, -2.0, 3.0], [4.0, 5.25, 6.0]])
    (tmp_path / "a.csv").write_text("1.5,-2,3\n4,5.25,6\n")
    got = read_csv(tmp_path / "a.csv")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, values.astype(np.float32))


def test_read_csv_with_header_usecols_and_dtype(tmp_path):
    (tmp_path / "b.csv").write_text('"x", "y" ,label\n1,2,0\n3,4,1\n5,6,1\n')
    values, names = read_csv(tmp_path / "b.csv", header=True, dtype=np.float64)
    assert names == ["x", "y", "label"]
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [[1, 2, 0], [3, 4, 1], [5, 6, 1]])
    values, names = read_csv(tmp_path / "b.csv", header=True, usecols=[2, 0], dtype=np.int64)
    assert names == ["label", "x"]
    np.testing.assert_array_equal(values, [[0, 1], [1, 3], [1, 5]])


def test_read_csv_delimiter_skip_rows_gzip_and_single_row(tmp_path):
    with gzip.open(tmp_path / "c.tsv.gz", "wt") as f:
        f.write("# comment line\n7\t8\n")
    np.testing.assert_array_equal(read_csv(tmp_path / "c.tsv.gz", delimiter="\t", skip_rows=1), [[7, 8]])


def test_read_csv_names_the_file_on_non_numbers(tmp_path):
    (tmp_path / "words.csv").write_text("1,2\nthree,4\n")
    with pytest.raises(ValueError, match=r"read_csv.*words\.csv"):
        read_csv(tmp_path / "words.csv")


def test_load_npz_round_trip(tmp_path):
    arrays = {"w": np.arange(6.0).reshape(2, 3), "b": np.array([1, 2], dtype=np.int8)}
    np.savez(tmp_path / "p.npz", **arrays)
    got = load_npz(tmp_path / "p.npz")
    assert set(got) == {"w", "b"}
    for name, value in arrays.items():
        np.testing.assert_array_equal(got[name], value)
        assert got[name].dtype == value.dtype


def test_load_npz_refuses_pickled_objects(tmp_path):
    np.savez(tmp_path / "obj.npz", o=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"obj\.npz.*pickle"):
        load_npz(tmp_path / "obj.npz")


def test_load_npz_refuses_non_archives(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"one\.npy.*not an \.npz"):
        load_npz(tmp_path / "one.npy")
    (tmp_path / "junk.npz").write_bytes(b"definitely not numpy")
    with pytest.raises(ValueError, match=r"junk\.npz"):
        load_npz(tmp_path / "junk.npz")
