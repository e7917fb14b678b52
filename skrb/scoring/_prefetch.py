"""Read ahead: the next batch is read while this one is scored, with at most one batch waiting.

Reading alerts (Avro, gzip, FITS: Python holding the GIL, or worker processes) and scoring them
(TensorFlow, which releases the GIL) then run at the same time on different cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["prefetch"]

T = TypeVar("T")

_ITEM, _DONE, _ERROR = "item", "done", "error"
# How often a reader waiting for room checks whether the consumer has stopped (seconds).
_POLL_S = 0.05
# How long a consumer that stops early waits for the reader to put its batch down (seconds).
_JOIN_S = 10.0


def prefetch(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """Yield ``items`` in order, reading up to ``depth`` of them ahead in a background thread.

    The reading thread takes the next item only when fewer than ``depth`` are waiting, so
    memory holds at most ``depth`` read-ahead items besides the one being used. An exception
    raised while reading is raised here, in its place in the sequence (after the items before
    it). If the consumer stops early (an exception, ``KeyboardInterrupt``, ``close()``), the
    reader stops after the item it is reading and closes ``items`` (a generator's ``finally``
    blocks run in the reading thread).

    Parameters
    ----------
    items : iterable
        Read in the background thread (``iter(items)`` is called there too).
    depth : int, default=1
        Items read ahead at most.

    Yields
    ------
    item
        The items of ``items``, in order.

    Examples
    --------
    >>> from skrb.scoring._prefetch import prefetch
    >>> list(prefetch(x * x for x in range(4)))
    [0, 1, 4, 9]
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1; got {depth!r}.")
    ready: queue.Queue[tuple[str, Any]] = queue.Queue()
    room = threading.Semaphore(depth)
    stop = threading.Event()

    def read() -> None:
        iterator = None
        try:
            iterator = iter(items)
            while True:
                while not room.acquire(timeout=_POLL_S):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                try:
                    item = next(iterator)
                except StopIteration:
                    ready.put((_DONE, None))
                    return
                ready.put((_ITEM, item))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            ready.put((_ERROR, exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="skrb-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == _DONE:
                return
            if kind == _ERROR:
                raise value
            room.release()
            yield value
    finally:
        stop.set()
        reader.join(_JOIN_S)
