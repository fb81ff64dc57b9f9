"""Running an array loop over blocks of the batch axis, one block per thread.

NumPy releases the GIL inside its copy and ufunc loops, so the strided copies and
slice-adds of im2col, col2im and pooling, which run on one core, run on several when
each thread takes a block of samples. BLAS already threads the matrix products itself.
The threads are persistent: handing a block to one costs some tens of microseconds,
so each thread gets at least `MIN_ELEMENTS` elements of work, and smaller loops stay
on the calling thread.

OpenBLAS's own threads busy-wait for about 0.1 s after each threaded product unless
OPENBLAS_THREAD_TIMEOUT, read when NumPy loads, is small; so while a network trains they
would hold the other cores and these blocks would gain little (on 2 cores the MNIST CNN's
step took 52 ms with or without them, and 43 ms without / 39 ms with them once
OpenBLAS's threads slept). `import descent` therefore shortens that wait, see
descent/_openblas.py.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from descent import backend

MIN_ELEMENTS = 1 << 16  # the least work worth a thread: a strided loop over it takes ~50 µs

_pool = None
_pool_workers = 0
_lock = threading.Lock()
_inside = threading.local()  # set in the pool's threads, whose own calls must not wait on the pool


def blocks(n, elements):
    """The (start, stop) blocks that split range(n) among the threads: one unless `elements` is large."""
    threads = min(backend.get_num_threads(), n, elements // MIN_ELEMENTS)
    if threads < 2 or getattr(_inside, "worker", False):
        return [(0, n)]
    bounds = [n * i // threads for i in range(threads + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def over_batch(loop, n, elements):
    """Call loop(start, stop) on blocks that cover range(n), in parallel; return their results in order.

    `loop` must write only to its own block of any shared output. `elements` is the
    size of the work (the number of array elements it touches) that decides whether
    splitting pays.
    """
    parts = blocks(n, elements)
    if len(parts) == 1:
        return [loop(0, n)]
    pool = _executor(len(parts) - 1)
    futures = [pool.submit(loop, start, stop) for start, stop in parts[1:]]
    first = loop(*parts[0])
    return [first] + [f.result() for f in futures]


def over_pieces(loop, size, piece=1 << 16):
    """Call loop(start, stop) over range(size) in pieces of at most `piece` elements, the
    pieces shared out among the threads in runs.

    For elementwise work on flat arrays: when `loop` makes several passes over its
    piece (a comparison, then a product), the later passes read the cache, not memory.
    """
    def run(start, stop):
        for first in range(start, stop, piece):
            loop(first, min(stop, first + piece))
    over_batch(run, size, size)


def _executor(workers):
    global _pool, _pool_workers
    with _lock:
        if _pool_workers < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="descent", initializer=_mark_worker)
            _pool_workers = workers
        return _pool


def _mark_worker():
    _inside.worker = True


def _forget_pool():
    """In a forked child the pool's threads do not exist: start a new pool when one is needed."""
    global _pool, _pool_workers, _lock
    _pool, _pool_workers, _lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
