"""Specifications of TensorDataset, Subset and random_split."""
import numpy as np
import pytest

from descent.backend import Generator
from descent.data import Dataset, Subset, TensorDataset, random_split


def make_arrays(n=10):
    x = np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3)
    y = np.arange(n) * 10
    return x, y


def test_tensor_dataset_int_index_returns_one_row_of_each_array():
    x, y = make_arrays()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi, x[3])
    assert yi == y[3]


@pytest.mark.parametrize("index", [slice(2, 7), slice(None, None, -3), np.array([9, 0, 4, 4])])
def test_tensor_dataset_batch_index_matches_numpy_indexing(index):
    x, y = make_arrays()
    xb, yb = TensorDataset(x, y)[index]
    np.testing.assert_array_equal(xb, x[index])
    np.testing.assert_array_equal(yb, y[index])


def test_tensor_dataset_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match=r"TensorDataset.*\(10, 2, 3\).*\(9,\)"):
        TensorDataset(np.zeros((10, 2, 3)), np.zeros(9))


def test_tensor_dataset_rejects_scalars_and_empty_call():
    with pytest.raises(ValueError, match="first"):
        TensorDataset(np.float32(3.0))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_subset_maps_indices_through():
    x, y = make_arrays()
    sub = Subset(TensorDataset(x, y), [7, 2, 5])
    assert len(sub) == 3
    assert sub.supports_array_index
    np.testing.assert_array_equal(sub[1][0], x[2])
    xb, yb = sub[np.array([2, 0])]
    np.testing.assert_array_equal(yb, y[[5, 7]])
    np.testing.assert_array_equal(xb, x[[5, 7]])


def test_subset_rejects_out_of_range_indices():
    with pytest.raises(IndexError, match="Subset.*length 10"):
        Subset(TensorDataset(*make_arrays()), [0, 10])


def test_subset_of_plain_dataset_does_not_claim_array_indexing():
    class Squares(Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 5

    sub = Subset(Squares(), [4, 1])
    assert not sub.supports_array_index
    assert sub[0] == 16


@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (11, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (5, [1.0])])
def test_random_split_partitions_the_dataset(n, lengths):
    ds = TensorDataset(np.arange(n))
    parts = random_split(ds, lengths, generator=Generator(0))
    assert len(parts) == len(lengths)
    taken = np.concatenate([p[np.arange(len(p))][0] for p in parts])
    np.testing.assert_array_equal(np.sort(taken), np.arange(n))  # every sample exactly once


@pytest.mark.parametrize("n, fractions", [(11, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (10, [0.25, 0.25, 0.25, 0.25]),
                                          (3, [0.1, 0.1, 0.8])])
@pytest.mark.filterwarnings("ignore:Length of split")  # torch warns about the empty split
def test_random_split_fraction_lengths_match_pytorch(n, fractions):
    torch = pytest.importorskip("torch")
    expected = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    parts = random_split(TensorDataset(np.arange(n)), fractions, generator=Generator(0))
    assert [len(p) for p in parts] == expected


def test_random_split_is_reproducible_with_a_seed():
    ds = TensorDataset(np.arange(50))
    a = random_split(ds, [20, 30], generator=Generator(4))
    b = random_split(ds, [20, 30], generator=Generator(4))
    c = random_split(ds, [20, 30], generator=Generator(5))
    np.testing.assert_array_equal(a[0].indices, b[0].indices)
    assert not np.array_equal(a[0].indices, c[0].indices)


@pytest.mark.parametrize("lengths", [[3, 3], [6, 5], [-1, 11], [0.5, 0.6], [1.5, -0.5]])
def test_random_split_rejects_lengths_that_do_not_cover_the_dataset(lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(TensorDataset(np.arange(10)), lengths)
