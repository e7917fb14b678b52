"""Keras' default seeds drawn from a generator private to the fitting thread.

Keras gives every initializer and dropout layer built without an explicit ``seed`` a seed drawn
from Python's process-wide :mod:`random` generator (``make_default_seed`` in
``keras.src.random.seed_generator``); ``keras.utils.set_random_seed`` seeds that generator. In a
process where another thread also draws from :mod:`random` while a network is built, the two
interleave and the network's initial weights and dropout masks depend on timing. A Dask worker
is such a process: its event loop samples containers with ``random.sample`` to estimate their
size (``dask.sizeof``) while a task builds a network, so a seeded fit run through
``joblib.parallel_backend("dask")`` did not give the serial fit's network.

:func:`keras_default_seeds` makes those draws come from a ``random.Random(seed)`` that belongs to
the calling thread, for the duration of the block: the same numbers the global generator gives
right after ``random.seed(seed)`` (so a quiet process fits exactly as before), but untouched by
any other thread. Outside such a block, and in other threads, Keras draws from :mod:`random` as
usual.

The hook is the module attribute ``python_random`` of ``keras.src.random.seed_generator`` (Keras'
private API, tested in ``tests/test_seeding.py`` so that a Keras upgrade that moves it fails
loudly): it is replaced once by a proxy that forwards to the calling thread's generator when one
is active, else to :mod:`random`.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator
from typing import Any

from keras.src.random import seed_generator as _keras_seed_generator

__all__ = ["keras_default_seeds"]

_LOCAL = threading.local()
_INSTALL_LOCK = threading.Lock()


class _ThreadRandom:
    """Stand-in for the :mod:`random` module in Keras' seed drawing (per-thread generator)."""

    def __getattr__(self, name: str) -> Any:
        generator = getattr(_LOCAL, "generator", None)
        return getattr(random if generator is None else generator, name)


def _install() -> None:
    """Route Keras' default seeds through :class:`_ThreadRandom` (once per process)."""
    with _INSTALL_LOCK:
        if not isinstance(_keras_seed_generator.python_random, _ThreadRandom):
            _keras_seed_generator.python_random = _ThreadRandom()


@contextlib.contextmanager
def keras_default_seeds(seed: int) -> Iterator[random.Random]:
    """Draw Keras' default seeds from ``random.Random(seed)`` in this thread, inside the block.

    Parameters
    ----------
    seed : int
        Seed of the thread's private generator.

    Yields
    ------
    generator : random.Random
        The private generator (the previous one, if any, is restored on exit).

    Examples
    --------
    >>> import keras
    >>> from skrb.models._seeding import keras_default_seeds
    >>> with keras_default_seeds(0):
    ...     a = keras.initializers.GlorotUniform().seed
    >>> with keras_default_seeds(0):
    ...     b = keras.initializers.GlorotUniform().seed
    >>> a == b
    True
    """
    _install()
    previous = getattr(_LOCAL, "generator", None)
    _LOCAL.generator = generator = random.Random(seed)
    try:
        yield generator
    finally:
        _LOCAL.generator = previous
