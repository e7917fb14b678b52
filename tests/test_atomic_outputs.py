"""Outputs are complete or untouched, and output paths are checked before any work."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.figure
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import skrb.utils._atomic as atomic_module
from skrb.cli import main
from skrb.model_selection import compare_models
from skrb.report import check_report_directory, write_report
from skrb.utils import atomic_directory, atomic_file, check_output_path


def _snapshot(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` (relative path -> content hash)."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _leftovers(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_atomic_file_leaves_the_old_file_on_failure(tmp_path, interruption):
    path = tmp_path / "scores.csv"
    path.write_text("old")
    os.chmod(path, 0o640)
    with pytest.raises(interruption), atomic_file(path) as part:
        assert part.parent == tmp_path and part.suffix == ".csv"
        part.write_text("half of the new")
        raise interruption()
    assert path.read_text() == "old" and _leftovers(tmp_path, "scores.csv") == []
    with atomic_file(path) as part:
        part.write_text("new")
    assert path.read_text() == "new" and (path.stat().st_mode & 0o777) == 0o640


@pytest.mark.parametrize("exchange", [True, False])
def test_atomic_directory_swaps_whole_folders(tmp_path, monkeypatch, exchange):
    if not exchange:  # systems without renameat2: two renames
        monkeypatch.setattr(atomic_module, "_exchange", lambda a, b: False)
    target = tmp_path / "report"
    target.mkdir()
    (target / "old.txt").write_text("old run")
    with pytest.raises(KeyboardInterrupt), atomic_directory(target) as part:
        (part / "new.txt").write_text("new run")
        raise KeyboardInterrupt
    assert _snapshot(target).keys() == {"old.txt"}
    with atomic_directory(target) as part:
        (part / "new.txt").write_text("new run")
    assert _snapshot(target).keys() == {"new.txt"}  # no mix of the two runs
    assert _leftovers(tmp_path, "report") == []


def test_output_paths_are_checked_up_front(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        check_output_path(blocker / "scores.csv", what="--output")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        check_output_path(blocker, kind="directory")
    with pytest.raises(ValueError, match="is a folder; a file is needed"):
        check_output_path(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(ValueError, match="--report .* non-empty folder that skrb did not write"):
        check_report_directory(mine, what="--report")
    assert check_report_directory(tmp_path / "new" / "report") == tmp_path / "new" / "report"
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ValueError, match="is not writable"):
            check_output_path(locked / "m.skrb")


@pytest.fixture(scope="module")
def comparison():
    y = np.repeat([0, 1], 10)
    X = y[:, None] + np.linspace(0, 1.5, 20)[:, None]
    return compare_models({"lr": LogisticRegression()}, X, y, cv=2, progress=False)


def test_an_interrupted_report_leaves_the_previous_one(tmp_path, comparison, monkeypatch):
    directory = tmp_path / "report"
    write_report(comparison, directory, description={"run": "first"})
    before = _snapshot(directory)
    writes = {"n": 0, "fail_at": None}

    def counting(original):
        def wrapper(*args, **kwargs):
            writes["n"] += 1
            if writes["n"] == writes["fail_at"]:
                raise KeyboardInterrupt
            return original(*args, **kwargs)

        return wrapper

    savefig = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(Path, "write_text", counting(Path.write_text))
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", counting(savefig))
    write_report(comparison, tmp_path / "count", description={"run": "second"})
    n_writes = writes["n"]
    assert n_writes >= 5  # metrics.json, figures, report.html, report.md...
    for fail_at in range(1, n_writes + 1):  # an interruption at every write
        writes.update(n=0, fail_at=fail_at)
        with pytest.raises(KeyboardInterrupt):
            write_report(comparison, directory, description={"run": "second"})
        assert _snapshot(directory) == before, f"interrupted at write {fail_at}"
        assert _leftovers(tmp_path, "report") == []
    writes.update(n=0, fail_at=None)
    write_report(comparison, directory, description={"run": "second"})
    assert _snapshot(directory) != before
    assert '"run": "second"' in (directory / "metrics.json").read_text()


def test_compare_checks_the_report_folder_before_reading_data(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    argv = ["compare", "--stamps", str(tmp_path / "missing.npz"), "--report", str(mine)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--report" in err and "did not write" in err and "missing.npz" not in err
    assert (mine / "notes.txt").read_text() == "keep me"


_REPORT_FILES = {"report.md", "report.html", "metrics.json", "metrics.csv", "folds.csv"}


def test_sigint_during_skrb_compare_leaves_the_old_report_or_the_new(tmp_path):
    """SIGINT at a few moments of a real ``skrb compare --report`` (tiny protocol)."""
    stamps = tmp_path / "stamps.npz"
    assert main(["simulate", "-o", str(stamps), "--n-samples", "24", "--random-state", "1"]) == 0
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.md").write_text("# previous run")
    (report / "metrics.json").write_text('{"previous": true}')
    previous = _snapshot(report)
    argv = [sys.executable, "-m", "skrb", "compare", "--stamps", str(stamps), "--models", "dia"]
    argv += ["--cv", "2", "--epochs", "1", "--batch-size", "8", "-q", "--report", str(report)]
    argv += ["--n-examples", "1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    # moments: while starting up, and as soon as the report's temporary folder appears (a
    # whole uninterrupted run is left to the in-process tests: it costs a minute of CPU)
    for moment in ("startup", "writing"):
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        if moment == "startup":
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)
        elif moment == "writing":
            while proc.poll() is None and time.monotonic() < deadline:
                if any(p.name.endswith(".part") for p in tmp_path.iterdir()):
                    proc.send_signal(signal.SIGINT)
                    break
                time.sleep(0.005)
        _, err = proc.communicate(timeout=300)
        state = _snapshot(report)
        if state != previous:  # then it must be a complete new report
            assert _REPORT_FILES <= set(state), (moment, sorted(state))
            assert any(name.startswith("figures/") for name in state)
            assert proc.returncode == 0, err.decode()[-2000:]
        else:
            assert proc.returncode != 0
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_linked_report_folder_is_replaced_without_leftovers(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "old.txt").write_text("old")
    link = tmp_path / "report"
    link.symlink_to(real)
    with atomic_directory(link) as part:
        (part / "new.txt").write_text("new")
    assert link.is_dir() and not link.is_symlink()
    assert _snapshot(link).keys() == {"new.txt"} and _snapshot(real).keys() == {"old.txt"}
    assert _leftovers(tmp_path, "report") == []


def test_a_failed_second_rename_puts_the_previous_folder_back(tmp_path, monkeypatch):
    # Without renameat2 the old folder is first moved aside; if the new one then cannot be
    # renamed into place, the old one must come back (not stay hidden in a ".old" folder).
    monkeypatch.setattr(atomic_module, "_exchange", lambda a, b: False)
    target = tmp_path / "report"
    target.mkdir()
    (target / "old.txt").write_text("old run")
    rename = os.rename

    def failing_rename(src, dst):
        if Path(src).name.endswith(".part"):
            raise OSError("disk full")
        return rename(src, dst)

    monkeypatch.setattr(atomic_module.os, "rename", failing_rename)
    with pytest.raises(OSError, match="disk full"), atomic_directory(target) as part:
        (part / "new.txt").write_text("new run")
    assert _snapshot(target) == {"old.txt": hashlib.sha256(b"old run").hexdigest()}
    assert _leftovers(tmp_path, "report") == []
