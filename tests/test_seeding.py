"""A seeded fit depends on its parameters and data only, whatever else its process does.

A Dask worker builds networks in a task thread while its event loop draws from Python's
global :mod:`random` (``dask.sizeof`` samples containers); before skrb drew Keras' default seeds
from a thread-private generator, that changed the workers' initial weights and dropout seeds,
and a grid search through ``joblib.parallel_backend("dask")`` differed from the serial one.
"""

from __future__ import annotations

import random
import threading
import time

import numpy as np
import pytest
from keras.src.random import seed_generator

from skrb.models import NoDIAClassifier, NoDiffTransformerClassifier
from skrb.models._seeding import keras_default_seeds
from skrb.preprocessing import StampStacker

QUICK = dict(epochs=1, verbose=0, batch_size=8, validation_split=0.0)
QUICK.update(random_state=0, deterministic=True)


def _images(layout, stamps):
    """The first 12 of a shared stamp set, stacked for ``layout``."""
    X, y = stamps
    return StampStacker(layout).transform(X[:12]), y[:12]


def _in_a_busy_process(work):
    """Run ``work()`` in a new thread while this one draws from the global generators."""
    out, done = {}, threading.Event()

    def target():
        try:
            out["value"] = work()
        finally:
            done.set()

    thread = threading.Thread(target=target)
    thread.start()
    n_draws = 0
    while not done.is_set():  # as a Dask worker's event loop does (random.sample in sizeof)
        random.random()
        np.random.random()  # noqa: NPY002
        n_draws += 1
        time.sleep(1e-4)
    thread.join()
    assert n_draws > 0
    return out["value"]


def test_keras_default_seeds_come_from_the_thread_generator():
    # Keras' private hook (keras.src.random.seed_generator.python_random): fails loudly if moved
    expected = random.Random(7).randint(1, int(1e9))
    with keras_default_seeds(7):
        random.seed(0)  # another draw on the global generator changes nothing
        random.random()
        assert seed_generator.make_default_seed() == expected
    random.seed(7)  # outside the block, Keras draws from the global generator as before
    assert seed_generator.make_default_seed() == expected


def test_a_fit_ignores_other_threads_and_earlier_fits(nodia_stamps):
    X, y = _images("nodia", nodia_stamps)

    def weights(**params):
        clf = NoDIAClassifier(**QUICK, **params).fit(X, y)
        return clf.model_.get_weights()

    quiet = weights(dense_units=4)
    weights(dense_units=8)  # an earlier fit of another configuration in this process
    busy = _in_a_busy_process(lambda: weights(dense_units=4))
    assert len(busy) == len(quiet)
    for got, want in zip(busy, quiet, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("cls", [NoDiffTransformerClassifier])
def test_initial_weights_ignore_other_threads(cls, pair_stamps):
    X, y = _images(cls.layout, pair_stamps)
    params = dict(embed_dims=(8, 16), depths=(1, 1), num_heads=(1, 2), strides=(2, 2))
    params.update(preset="tiny", kernel_sizes=(3, 3), random_state=0)

    def initial():
        return cls(**params).initialize(X, y).model_.get_weights()

    quiet = initial()
    busy = _in_a_busy_process(initial)
    for got, want in zip(busy, quiet, strict=True):
        np.testing.assert_array_equal(got, want)
