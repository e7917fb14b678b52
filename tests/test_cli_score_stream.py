"""skrb score streams: batch by batch, any output format, never a partial file under its name."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.table import Table

import skrb.scoring._stream
from skrb.cli import main

pytestmark = pytest.mark.shared_data


@pytest.fixture
def braai_args(checkpoint_dir):
    return ["--checkpoint", str(checkpoint_dir / "braai_d6_m7"), "--model", "braai"]


def test_formats_and_batch_sizes_give_the_same_table(tmp_path, ztf_alert_dir, braai_args, capsys):
    files = [str(f) for f in sorted(ztf_alert_dir.glob("*.avro"))[:25]]
    csv, parquet = tmp_path / "s.csv", tmp_path / "s.parquet"
    assert main(["score", *files, *braai_args, "-o", str(csv)]) == 0
    assert main(["score", *files, *braai_args, "-o", str(parquet), "--batch-size", "4"]) == 0
    assert "scored 25 candidates" in capsys.readouterr().out
    a = Table.read(csv, format="ascii.csv")
    b = Table(pq.read_table(parquet).to_pydict())
    assert a.colnames == b.colnames
    assert a.colnames[-3:] == ["p_real", "status", "real"]
    np.testing.assert_allclose(a["p_real"], b["p_real"], rtol=0, atol=1e-12)
    assert a["candid"].tolist() == b["candid"].tolist()


def test_reader_processes_give_the_same_rows(tmp_path, ztf_alert_dir, braai_args):
    files = [str(f) for f in sorted(ztf_alert_dir.glob("*.avro"))[:30]]
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert main(["score", *files, *braai_args, "-o", str(one), "--batch-size", "8"]) == 0
    argv = ["score", *files, *braai_args, "-o", str(two), "--batch-size", "8", "--n-jobs", "2"]
    assert main(argv) == 0
    assert two.read_text() == one.read_text()


def test_an_interrupted_run_leaves_no_output(tmp_path, ztf_alert_dir, braai_args, monkeypatch):
    calls = []
    score = skrb.scoring._stream.score_alerts

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return score(*args, **kwargs)

    monkeypatch.setattr(skrb.scoring._stream, "score_alerts", interrupted)
    out = tmp_path / "scores.ecsv"
    argv = ["score", str(ztf_alert_dir), *braai_args, "-o", str(out), "--batch-size", "8"]
    assert main(argv) == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--batch-size", "0"], "expected a positive integer"),
        (["--scheduler", "tcp://x:8786"], "--scheduler applies to --engine dask only"),
        (["--engine", "spark", "--scheduler", "x"], "--scheduler applies to --engine dask"),
        (["--master", "local[2]"], "--master applies to --engine spark only"),
        (["--workers", "2"], "--workers applies to --engine dask or spark"),
        (["--n-jobs", "0"], "expected a positive integer or -1"),
        (["--engine", "dask", "--n-jobs", "2"], "--n-jobs applies to --engine local"),
    ],
)
def test_bad_scale_options(tmp_path, ztf_alert_dir, braai_args, capsys, options, message):
    argv = ["score", str(ztf_alert_dir), *braai_args, "-o", str(tmp_path / "s.csv"), *options]
    if "expected" in message:  # argparse's own check
        with pytest.raises(SystemExit):
            main(argv)
    else:
        assert main(argv) == 2
    assert message in capsys.readouterr().err
