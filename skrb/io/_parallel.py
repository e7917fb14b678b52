"""Run a reader over chunks of files, on several processes, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from joblib import Parallel, delayed, effective_n_jobs
from tqdm.auto import tqdm

__all__ = ["MAX_CHUNK", "MIN_CHUNK", "map_chunks"]

T = TypeVar("T")
R = TypeVar("R")

# Files per chunk read by a worker process: enough to amortise the dispatch, few enough that
# the chunks in flight stay small (map_chunks, and iter_alerts' batches).
MIN_CHUNK = 8
MAX_CHUNK = 256
_CHUNKS_PER_JOB = 4


def _chunks(items: Sequence[T], n_jobs: int) -> list[Sequence[T]]:
    size = -(-len(items) // (n_jobs * _CHUNKS_PER_JOB))
    size = min(max(size, MIN_CHUNK), MAX_CHUNK)
    return [items[i : i + size] for i in range(0, len(items), size)]


def map_chunks(
    func: Callable[..., R],
    items: Sequence[T],
    *,
    n_jobs: int | None,
    progress: bool | None,
    desc: str,
    unit: str = "file",
    **kwargs: Any,
) -> list[R]:
    """Return ``[func(chunk, **kwargs) for chunk in chunks(items)]``, in order.

    Chunks run on ``n_jobs`` processes (joblib's loky backend; ``None`` means 1, ``-1`` all
    cores) when there is more than one chunk; ``progress`` (``None``: only on a terminal) shows
    a tqdm bar counting items (``unit``).
    """
    n_jobs = effective_n_jobs(n_jobs)
    chunks = _chunks(items, n_jobs)
    disable = None if progress is None else not progress
    bar = tqdm(total=len(items), desc=desc, unit=unit, disable=disable)
    results: list[R] = []
    with bar:
        if n_jobs == 1 or len(chunks) == 1:
            outputs = (func(chunk, **kwargs) for chunk in chunks)
        else:
            parallel = Parallel(n_jobs=min(n_jobs, len(chunks)), return_as="generator")
            outputs = parallel(delayed(func)(chunk, **kwargs) for chunk in chunks)
        for chunk, output in zip(chunks, outputs, strict=True):
            results.append(output)
            bar.update(len(chunk))
    return results
