"""`DataLoader`: a dataset's samples in batches, optionally shuffled and prefetched.

Batches are NumPy arrays; the training layer above wraps them in Tensors.
"""
import math
import numbers
import queue
import threading

import numpy as np

from descent.backend import rng


def default_collate(samples):
    """Stack a list of samples into a batch.

    Arrays and scalars stack along a new first axis; tuples (or lists) of them
    stack field by field, and dicts key by key, so `[(x0, y0), (x1, y1)]`
    becomes `(stack([x0, x1]), stack([y0, y1]))`.
    """
    first = samples[0]
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        fields = [default_collate(list(field)) for field in zip(*samples)]
        return fields if isinstance(first, list) else tuple(fields)
    return np.stack([np.asarray(s) for s in samples])


class DataLoader:
    """Iterate over `dataset` in batches, in the manner of `torch.utils.data.DataLoader`.

    Parameters
    ----------
    dataset : Dataset
    batch_size : int
    shuffle : bool
        Draw a fresh permutation of the samples at the start of every epoch.
    drop_last : bool
        Leave out the last batch when it would be smaller than `batch_size`.
    collate_fn : callable, optional
        Turns a list of samples into a batch; `default_collate` when omitted.
    generator : descent.backend.Generator, optional
        The source of the shuffling permutations (the default generator when
        omitted): the same seed gives the same order, epoch after epoch.
    prefetch : int
        When positive, a background thread fetches up to `prefetch` batches ahead.

    Notes
    -----
    When the dataset accepts an integer array as index (`supports_array_index`,
    as `TensorDataset`, a `Subset` of one, and `MNIST` do) and no `collate_fn`
    is given, a batch is `dataset[indices]`: one fancy index per array. Otherwise
    each sample is fetched on its own and the list is collated.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 generator=None, prefetch=0):
        if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(prefetch, numbers.Integral) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be a non-negative int, got {prefetch!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = generator
        self.prefetch = int(prefetch)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        # The order is drawn here, in the caller's thread, so that shuffling stays
        # deterministic whether or not a prefetch thread does the fetching.
        batches = self.batch_indices()
        if self.prefetch:
            return _prefetched(self.fetch, batches, self.prefetch)
        return map(self.fetch, batches)

    def batch_indices(self):
        """The index arrays of one epoch's batches (drawing a permutation if shuffling)."""
        n = len(self.dataset)
        order = rng(self.generator).permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return [order[start:start + self.batch_size] for start in range(0, stop, self.batch_size)]

    def fetch(self, indices):
        """The batch of samples at `indices`, shape (B,) -> a batch of B samples."""
        if self.collate_fn is None and getattr(self.dataset, "supports_array_index", False):
            return self.dataset[indices]
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in indices])


_END = object()


def _prefetched(fetch, batches, depth):
    """Yield `fetch(b)` for each b in `batches`, computed by a background thread.

    The thread stays at most `depth` batches ahead (a bounded queue). If the
    consumer stops early, closing this generator (as `break` out of a for loop
    does when the generator is dropped) stops and joins the thread.
    """
    ready = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for indices in batches:
                if not _put(ready, (fetch(indices), None), stop):
                    return
            _put(ready, (_END, None), stop)
        except BaseException as error:  # hand the error to the consumer to raise
            _put(ready, (_END, error), stop)

    worker = threading.Thread(target=produce, name="DataLoader-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            batch, error = ready.get()
            if error is not None:
                raise error
            if batch is _END:
                return
            yield batch
    finally:
        stop.set()
        worker.join()


def _put(q, item, stop, poll_s=0.05):
    """Put `item` on the bounded queue unless `stop` is set first; True if put."""
    while not stop.is_set():
        try:
            q.put(item, timeout=poll_s)
            return True
        except queue.Full:
            pass
    return False
