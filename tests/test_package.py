"""The top-level package: its version and its lazily imported names."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import skrb


def test_version_is_the_installed_distributions():
    assert skrb.__version__ == importlib.metadata.version("skrb")


def test_every_public_name_resolves_and_import_skrb_stays_light():
    for name in skrb.__all__:
        assert getattr(skrb, name) is not None
    code = "import sys, skrb; print('tensorflow' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
