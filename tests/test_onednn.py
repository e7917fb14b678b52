"""``import skrb`` asks TensorFlow for oneDNN, unless the choice is the user's or already made."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from skrb import _onednn
from skrb._onednn import prefer_onednn

VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


@pytest.fixture
def fresh(monkeypatch):
    """An environment where neither the user nor an earlier import has decided."""
    monkeypatch.delenv(VARIABLE, raising=False)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setattr(_onednn.platform, "machine", lambda: "x86_64")
    return monkeypatch


def test_sets_the_variable_when_nothing_is_decided(fresh):
    assert prefer_onednn() is True
    assert os.environ[VARIABLE] == "1"


@pytest.mark.parametrize("value", ["0", "1"])
def test_the_users_choice_stands(fresh, value):
    fresh.setenv(VARIABLE, value)
    assert prefer_onednn() is False
    assert os.environ[VARIABLE] == value


def test_nothing_changes_once_tensorflow_is_imported(fresh):
    fresh.setitem(sys.modules, "tensorflow", object())
    assert prefer_onednn() is False
    assert VARIABLE not in os.environ


def test_only_on_x86_64(fresh):
    fresh.setattr(_onednn.platform, "machine", lambda: "arm64")
    assert prefer_onednn() is False
    assert VARIABLE not in os.environ


def run_python(code, **env):
    environ = {k: v for k, v in os.environ.items() if k != VARIABLE}
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.mark.skipif(
    _onednn.platform.machine().lower() not in ("x86_64", "amd64"), reason="oneDNN is x86-64 only"
)
@pytest.mark.slow
def test_import_skrb_turns_onednn_on_in_a_fresh_process():
    code = "import os, skrb; print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'))"
    assert run_python(code) == "1"
    assert run_python(code, TF_ENABLE_ONEDNN_OPTS="0") == "0"
    code = "import skrb; from skrb.utils import onednn_enabled; print(onednn_enabled())"
    assert run_python(code, TF_CPP_MIN_LOG_LEVEL="3") == "True"  # TensorFlow took the hint
