"""Every example in ``skrb COMMAND --help`` runs, at tiny sizes (overrides appended)."""

from __future__ import annotations

import argparse
import shlex

import numpy as np
import pytest
from _stamps import stamp_set
from astropy.io import fits
from conftest import SHARED_DATA

from skrb.cli import build_parser, main

# Order matters: later examples read what earlier ones wrote (dia.joblib).
ORDER = ("simulate", "train", "compare", "score", "explain")
# Examples of features announced in --help before they land: each must fail (plainly) until it
# does; then this test asks for its removal from here.
PENDING: dict[str, str] = {}  # none: skrb score --engine dask/spark have landed
# Example paths that stand for the user's own data, and what the test runs them on.
STAND_INS = {
    "night/": "data/ztf_alerts/kowalski",
    "braai_d6_m7": "data/checkpoints/braai_d6_m7",
    "rubin_alerts/": "data/rubin_alerts/boom-wire",
    "dia_model.h5": "data/checkpoints/acero_cuellar_2023/model_checkpoint_AAD_3s3DH.h5",
}
# Options forced on every example of a command so that it runs in seconds.
CHEAP = {
    "simulate": {"--n-samples": "40"},
    "train": {"--n-samples": "40", "--epochs": "1", "--batch-size": "16"},
    "compare": {"--n-samples": "60", "--epochs": "1", "--batch-size": "16"},
    "score": {},
    "explain": {"--n-samples": "24"},
}


def help_examples() -> list[tuple[str, list[str]]]:
    """(command, argv) of every example line in the sub-commands' --help."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for command in ORDER:
        epilog = action.choices[command].epilog or ""
        text = epilog.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("skrb "):
                found.append((command, shlex.split(line)[1:]))
    return found


def _force(argv: list[str], option: str, value: str) -> list[str]:
    if option in argv:
        argv = list(argv)
        argv[argv.index(option) + 1] = value
        return argv
    return [*argv, option, value]


def _autoscan_release(root, n=64):
    """A tiny release in the autoScan layout (FITS stamps + labels CSV) of the "dia" stamp set."""
    X, y = stamp_set("dia", n=n)
    folder = root / "stamps0" / "SNWG" / "Archive" / "Y1" / "20130901" / "01"
    folder.mkdir(parents=True)
    lines = ["ID,OBJECT_TYPE"]
    for i, (stamps, label) in enumerate(zip(X, y, strict=True)):
        for prefix, panel in zip(("srch", "temp", "diff"), stamps, strict=True):
            fits.PrimaryHDU(panel.astype(np.float32)).writeto(folder / f"{prefix}{1000 + i}.fits")
        lines.append(f"{1000 + i},{0 if label == 1 else 1}")
    (root / "autoscan_features.3.csv").write_text("\n".join(lines) + "\n")


def test_every_help_example_is_listed():
    commands = {command for command, _ in help_examples()}
    assert commands == set(ORDER)


def test_every_help_example_runs(tmp_path, monkeypatch, capsys):
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not available: {SHARED_DATA} is absent (set SKRB_SHARED_DATA)")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(SHARED_DATA)  # the examples' data/... paths
    home = tmp_path / "home"
    _autoscan_release(home / "autoscan")
    monkeypatch.setenv("HOME", str(home))
    for name in ("test.npz", "train.npz", "stamps.npz"):  # files the examples take as given
        assert main(["simulate", "--n-samples", "40", "-o", name]) == 0
    failures, landed = [], []
    for command, argv in help_examples():
        argv = [a.replace("~", str(home), 1) if a.startswith("~") else a for a in argv]
        argv = [STAND_INS.get(a, a) for a in argv]
        for option, value in CHEAP[command].items():
            argv = _force(argv, option, value)
        line = shlex.join(["skrb", *argv])
        pending = [key for key in PENDING if key in line]
        status = main(argv)
        if pending and status == 0:
            landed.append(f"{line} (remove {pending[0]!r} from PENDING)")
        elif not pending and status != 0:
            failures.append(line)
    assert not failures, f"--help examples that fail: {failures}\n{capsys.readouterr().err}"
    assert not landed, f"pending examples that now work: {landed}"
