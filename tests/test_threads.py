"""skrb.distributed.set_tf_threads: the environment, and TensorFlow's counts when it is loaded."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import pytest

from skrb.distributed import set_tf_threads, tf_thread_env


@pytest.fixture
def clean_env(monkeypatch):
    """Restore the thread variables afterwards (set_tf_threads writes os.environ)."""
    for name in tf_thread_env(1):
        monkeypatch.setenv(name, "unset")
    return monkeypatch


class _Threading:
    """Stands for tf.config.threading: fixed counts once the runtime has started."""

    def __init__(self, intra, inter, started):
        self.intra, self.inter, self.started = intra, inter, started

    def _set(self, attribute, value):
        if self.started:
            raise RuntimeError("cannot be modified after initialization")
        setattr(self, attribute, value)

    def set_intra_op_parallelism_threads(self, n):
        self._set("intra", n)

    def set_inter_op_parallelism_threads(self, n):
        self._set("inter", n)

    def get_intra_op_parallelism_threads(self):
        return self.intra

    def get_inter_op_parallelism_threads(self):
        return self.inter


def _fake_tf(monkeypatch, threading):
    monkeypatch.setitem(
        sys.modules, "tensorflow", SimpleNamespace(config=SimpleNamespace(threading=threading))
    )


def test_set_tf_threads_before_tensorflow_sets_the_environment(clean_env):
    clean_env.delitem(sys.modules, "tensorflow", raising=False)
    assert set_tf_threads(3, 2) is True
    assert {name: os.environ[name] for name in tf_thread_env(3, 2)} == tf_thread_env(3, 2)


def test_set_tf_threads_sets_a_loaded_tensorflow_that_has_not_started(clean_env):
    threading = _Threading(0, 0, started=False)
    _fake_tf(clean_env, threading)
    assert set_tf_threads(3, 2) is True
    assert (threading.intra, threading.inter) == (3, 2)


@pytest.mark.parametrize(("counts", "applied"), [((4, 1), True), ((2, 1), False)])
def test_set_tf_threads_after_start_says_whether_the_counts_hold(clean_env, counts, applied):
    _fake_tf(clean_env, _Threading(4, 1, started=True))
    assert set_tf_threads(*counts) is applied


def test_set_tf_threads_refuses_zero_threads(clean_env):
    with pytest.raises(ValueError, match="intra_op"):
        set_tf_threads(0)
