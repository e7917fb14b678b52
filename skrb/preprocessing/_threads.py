"""Run a compiled, GIL-free kernel over chunks of stamp sets on several threads.

Plain Python threads rather than an OpenMP runtime: they are safe with ``fork`` (multiprocessing
pools, brokers' worker processes) and with concurrent calls from the caller's own threads.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba

__all__ = ["for_each_chunk"]

CHUNK_SIZE = 512
"""Stamp sets per task: a few MiB, enough work to amortise a task, small enough to balance."""


def for_each_chunk(func: Callable[[int, int], None], n: int, chunk_size: int | None = None) -> None:
    """Call ``func(start, stop)`` over consecutive chunks covering ``range(n)``.

    The chunks run on up to ``numba.config.NUMBA_NUM_THREADS`` threads (all CPU cores unless the
    ``NUMBA_NUM_THREADS`` environment variable says otherwise); ``func`` must release the GIL
    (a ``numba.njit(nogil=True)`` kernel) for the threads to run in parallel.

    Parameters
    ----------
    func : callable
        Called as ``func(start, stop)``; calls for different chunks must be independent.
    n : int
        Number of items (stamp sets).
    chunk_size : int, optional
        Items per call; defaults to :data:`CHUNK_SIZE`.

    Examples
    --------
    >>> from skrb.preprocessing._threads import for_each_chunk
    >>> seen = []
    >>> for_each_chunk(lambda start, stop: seen.append((start, stop)), 5, chunk_size=2)
    >>> sorted(seen)
    [(0, 2), (2, 4), (4, 5)]
    """
    chunk_size = chunk_size or CHUNK_SIZE
    bounds = [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]
    n_threads = min(int(numba.config.NUMBA_NUM_THREADS), len(bounds))
    if n_threads <= 1:
        for start, stop in bounds:
            func(start, stop)
        return
    with ThreadPoolExecutor(n_threads, thread_name_prefix="skrb") as pool:
        for future in [pool.submit(func, start, stop) for start, stop in bounds]:
            future.result()
