"""Datasets: anything with a length that can be indexed, and ways to split one.

A dataset maps an index to a sample. When it can also map an integer *array* of
indices to a whole batch in one step (NumPy fancy indexing), it says so with
`supports_array_index = True`, and `DataLoader` fetches each batch with one index
per array instead of one Python call per sample.
"""
import numbers

import numpy as np

from descent.backend import rng


class Dataset:
    """The base class: a sequence of samples, in the manner of `torch.utils.data.Dataset`.

    Subclasses define `__getitem__(index)` and `__len__()`. Those whose
    `__getitem__` also accepts an integer array (and returns the batch) set
    `supports_array_index = True`.
    """

    supports_array_index = False

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Rows of several arrays that share their first dimension.

    Parameters
    ----------
    *arrays : array_like, each of shape (N, ...)
        For example images (N, C, H, W) and labels (N,).

    `dataset[i]` is the tuple `(arrays[0][i], arrays[1][i], ...)`; `i` may be an
    int, a slice, or an integer array, so a batch costs one fancy index per array.
    """

    supports_array_index = True

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        shapes = [a.shape for a in self.arrays]
        if any(len(s) == 0 for s in shapes):
            raise ValueError(f"TensorDataset: every array needs a first (sample) dimension, got shapes {shapes}")
        if len({s[0] for s in shapes}) > 1:
            raise ValueError(f"TensorDataset: arrays differ in their first dimension, got shapes {shapes}")

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order.

    Parameters
    ----------
    dataset : Dataset
    indices : sequence of int, shape (M,)
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.intp).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [-{n}, {n}) for a dataset of length {n}, "
                             f"got range [{self.indices.min()}, {self.indices.max()}]")

    @property
    def supports_array_index(self):
        return getattr(self.dataset, "supports_array_index", False)

    def __getitem__(self, index):
        if isinstance(index, numbers.Integral):
            return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random subsets of the given lengths.

    Parameters
    ----------
    dataset : Dataset
    lengths : sequence of int, or of float fractions summing to 1
        Fractions are turned into counts by flooring; the samples left over go
        one each to the first subsets, round-robin (as PyTorch does).
    generator : descent.backend.Generator, optional
        The source of the permutation; the default generator when omitted.

    Returns
    -------
    list of Subset
    """
    n = len(dataset)
    counts = _split_counts(lengths, n)
    order = rng(generator).permutation(n)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]


def _split_counts(lengths, n):
    lengths = list(lengths)
    if all(isinstance(x, numbers.Integral) for x in lengths):
        if any(x < 0 for x in lengths) or sum(lengths) != n:
            raise ValueError(f"random_split: lengths {lengths} must be non-negative and sum to "
                             f"the dataset's length {n}")
        return [int(x) for x in lengths]
    fractions = np.asarray(lengths, dtype=np.float64)
    if np.any(fractions < 0) or np.any(fractions > 1) or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"random_split: fractions {lengths} must lie in [0, 1] and sum to 1")
    counts = np.floor(n * fractions).astype(int)
    remainder = n - counts.sum()
    counts[:remainder] += 1  # remainder < len(counts): each floor loses less than one
    return counts.tolist()
