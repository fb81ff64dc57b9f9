"""Specifications of DataLoader: batching, shuffling, drop_last, collation and prefetch."""
import gc
import math
import threading
import time

import numpy as np
import pytest

from descent.backend import Generator
from descent.data import DataLoader, Dataset, Subset, TensorDataset, default_collate


def make_dataset(n=23):
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y)


class Pairs(Dataset):
    """A dataset without array indexing: each sample fetched on its own."""

    def __init__(self, n):
        self.x, self.y = make_dataset(n).arrays

    def __getitem__(self, i):
        return self.x[i], self.y[i]

    def __len__(self):
        return len(self.y)


class CountingTensorDataset(TensorDataset):
    calls = 0

    def __getitem__(self, index):
        self.calls += 1
        return super().__getitem__(index)


def labels_of(loader):
    return [batch[1].tolist() for batch in loader]


@pytest.mark.parametrize("n, batch_size, drop_last", [(23, 5, False), (23, 5, True), (20, 5, False),
                                                       (20, 5, True), (3, 5, False), (3, 5, True), (0, 4, False)])
def test_len_counts_the_batches_it_yields(n, batch_size, drop_last):
    loader = DataLoader(make_dataset(n), batch_size=batch_size, drop_last=drop_last)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected == len(list(loader))


def test_len_matches_pytorch():
    torch = pytest.importorskip("torch")
    for n, bs, drop in [(23, 5, False), (23, 5, True), (7, 7, False), (1, 3, True)]:
        assert len(DataLoader(make_dataset(n), bs, drop_last=drop)) == \
            len(torch.utils.data.DataLoader(range(n), bs, drop_last=drop))


def test_batches_in_order_without_shuffle():
    ds = make_dataset(23)
    batches = list(DataLoader(ds, batch_size=5))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), ds.arrays[0])
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), ds.arrays[1])


def test_drop_last_leaves_out_the_short_batch():
    batches = list(DataLoader(make_dataset(23), batch_size=5, drop_last=True))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5]
    assert batches[-1][1].tolist() == [15, 16, 17, 18, 19]


def test_shuffle_is_the_generators_permutation():
    loader = DataLoader(make_dataset(23), batch_size=4, shuffle=True, generator=Generator(7))
    expected = np.random.Generator(np.random.PCG64(7)).permutation(23)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in loader]), expected)


def test_shuffle_same_seed_same_order_and_new_order_each_epoch():
    a = DataLoader(make_dataset(30), batch_size=4, shuffle=True, generator=Generator(3))
    b = DataLoader(make_dataset(30), batch_size=4, shuffle=True, generator=Generator(3))
    epoch1, epoch2 = labels_of(a), labels_of(a)
    assert epoch1 == labels_of(b) and epoch2 == labels_of(b)
    assert epoch1 != epoch2
    assert sorted(sum(epoch1, [])) == list(range(30))
    other = DataLoader(make_dataset(30), batch_size=4, shuffle=True, generator=Generator(4))
    assert labels_of(other) != epoch1


def test_shuffle_order_can_be_resumed_from_generator_state():
    g = Generator(11)
    loader = DataLoader(make_dataset(15), batch_size=4, shuffle=True, generator=g)
    labels_of(loader)
    state = g.get_state()
    second = labels_of(loader)
    g.set_state(state)
    assert labels_of(loader) == second


def test_fast_path_fetches_each_batch_with_one_index():
    x, y = make_dataset(23).arrays
    ds = CountingTensorDataset(x, y)
    batches = list(DataLoader(ds, batch_size=5, shuffle=True, generator=Generator(0)))
    assert ds.calls == len(batches) == 5


def test_fast_path_through_a_subset():
    x, y = make_dataset(23).arrays
    ds = CountingTensorDataset(x, y)
    sub = Subset(ds, np.arange(10, 20))
    batches = list(DataLoader(sub, batch_size=4))
    assert ds.calls == 3
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(10, 20))


def test_fallback_path_collates_the_same_batches():
    fast = list(DataLoader(make_dataset(23), batch_size=5, shuffle=True, generator=Generator(1)))
    slow = list(DataLoader(Pairs(23), batch_size=5, shuffle=True, generator=Generator(1)))
    assert len(fast) == len(slow)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf, xs)
        np.testing.assert_array_equal(yf, ys)
        assert xs.dtype == np.float32 and ys.dtype == np.int64


def test_custom_collate_fn_receives_the_list_of_samples():
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return sum(int(y) for _, y in samples)

    out = list(DataLoader(make_dataset(7), batch_size=3, collate_fn=collate))
    assert seen == [3, 3, 1]
    assert out == [0 + 1 + 2, 3 + 4 + 5, 6]


def test_default_collate_stacks_arrays_tuples_and_dicts():
    samples = [(np.array([1, 2]), 3), (np.array([4, 5]), 6)]
    x, y = default_collate(samples)
    np.testing.assert_array_equal(x, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(y, [3, 6])
    d = default_collate([{"a": np.zeros(2), "b": 1}, {"a": np.ones(2), "b": 2}])
    np.testing.assert_array_equal(d["a"], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(d["b"], [1, 2])
    lists = default_collate([[1, 2], [3, 4]])
    assert isinstance(lists, list) and [v.tolist() for v in lists] == [[1, 3], [2, 4]]


@pytest.mark.parametrize("prefetch", [1, 3])
@pytest.mark.parametrize("dataset", [make_dataset(23), Pairs(23)], ids=["fast", "fallback"])
def test_prefetch_gives_the_same_batches(prefetch, dataset):
    plain = list(DataLoader(dataset, batch_size=4, shuffle=True, generator=Generator(9)))
    ahead = list(DataLoader(dataset, batch_size=4, shuffle=True, generator=Generator(9), prefetch=prefetch))
    assert len(plain) == len(ahead)
    for (xp, yp), (xa, ya) in zip(plain, ahead):
        np.testing.assert_array_equal(xp, xa)
        np.testing.assert_array_equal(yp, ya)


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "DataLoader-prefetch"]


def wait_for_no_prefetch_threads(timeout=5.0):
    deadline = time.monotonic() + timeout
    while prefetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return prefetch_threads()


def test_prefetch_thread_stops_when_iteration_stops_early():
    loader = DataLoader(make_dataset(200), batch_size=2, prefetch=2)
    for i, _ in enumerate(loader):
        assert len(prefetch_threads()) == 1
        if i == 3:
            break
    gc.collect()
    assert wait_for_no_prefetch_threads() == []


def test_prefetch_thread_stops_on_explicit_close_and_after_a_full_epoch():
    it = iter(DataLoader(make_dataset(50), batch_size=2, prefetch=1))
    next(it)
    it.close()
    assert prefetch_threads() == []  # close() joins the thread
    list(DataLoader(make_dataset(10), batch_size=3, prefetch=2))
    assert wait_for_no_prefetch_threads() == []


def test_prefetch_passes_errors_from_the_dataset_to_the_caller():
    class Broken(Pairs):
        def __getitem__(self, i):
            if i == 5:
                raise KeyError("sample 5 is broken")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match="sample 5"):
        list(DataLoader(Broken(10), batch_size=2, prefetch=2))
    assert wait_for_no_prefetch_threads() == []


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": 2.0}, {"prefetch": -1}])
def test_bad_arguments_are_rejected(kwargs):
    with pytest.raises(ValueError, match="DataLoader"):
        DataLoader(make_dataset(5), **kwargs)
