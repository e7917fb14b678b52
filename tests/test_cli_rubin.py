"""The command line on real Rubin (LSST) alerts: score, explain and compare with --label."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from astropy.table import Table
from conftest import shared_path

from skrb.cli import main
from skrb.cli._resize import fit_model_to_alerts, model_side, parse_resize
from skrb.io import SCORE_COLUMNS

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def rubin_files():
    """The 9 alerts of the Fink-client file and the two wire packets (cheap to score)."""
    root = shared_path("rubin_alerts")
    return [str(root / "fink-client-lsst10.0"), str(root / "boom-wire")]


@pytest.fixture(scope="module")
def dia_checkpoint():
    return str(shared_path("checkpoints", "acero_cuellar_2023", "model_checkpoint_AAD_3s3DH.h5"))


def test_score_rubin_alerts_with_a_des_model_resized(rubin_files, dia_checkpoint, tmp_path, capsys):
    out = tmp_path / "rubin.csv"
    argv = ["score", *rubin_files, "--checkpoint", dia_checkpoint, "--model", "dia"]
    assert main([*argv, "--resize", "lsst:des", "-o", str(out)]) == 0
    assert "scored 9 candidates" in capsys.readouterr().out
    table = Table.read(out, format="ascii.csv")
    assert table.colnames[:7] == list(SCORE_COLUMNS["lsst"])  # diaSourceId, ..., reliability
    assert "p_real" in table.colnames and set(table["status"]) == {"ok"}
    assert np.all((table["p_real"] >= 0) & (table["p_real"] <= 1))
    # without --resize the cutouts are centred in the model's 51 pixels: other scores
    plain = tmp_path / "plain.csv"
    assert main([*argv, "-o", str(plain)]) == 0
    other = Table.read(plain, format="ascii.csv")
    assert list(other["diaSourceId"]) == list(table["diaSourceId"])
    assert not np.allclose(other["p_real"], table["p_real"])


def test_fit_model_to_alerts_reads_the_model_side(rubin_files, dia_checkpoint):
    from skrb import make_dia_pipeline

    pipe = make_dia_pipeline(checkpoint=dia_checkpoint)
    assert model_side(pipe) == 51
    same, options = fit_model_to_alerts(pipe, rubin_files, stamp_size=None, resize=None)
    assert same is pipe and options == {"stamp_size": 51}
    resized, options = fit_model_to_alerts(
        pipe, rubin_files, stamp_size=None, resize=("lsst", "des")
    )
    assert type(resized[0]).__name__ == "StampResizer" and resized[0].size == 51
    assert options == {"stamp_size": 68}  # 51 DES pixels of 0.263" need 68 Rubin pixels
    with pytest.raises(argparse.ArgumentTypeError, match="neither a survey"):
        parse_resize("lsst:hsc")


def test_explain_rubin_alerts(rubin_files, dia_checkpoint, tmp_path):
    out = tmp_path / "explain"
    argv = ["explain", "--checkpoint", dia_checkpoint, "--model", "dia"]
    assert main([*argv, "--alerts", *rubin_files, "--resize", "lsst:des", "-o", str(out)]) == 0
    shares = Table.read(out / "panel_shares.csv", format="ascii.csv")
    assert "diaSourceId" in shares.colnames and len(shares) == 9
    total = shares["share_search"] + shares["share_template"] + shares["share_difference"]
    np.testing.assert_allclose(total, 1.0, atol=1e-4)


def test_compare_rubin_alerts_labelled_by_reliability(capfd):
    root = shared_path("rubin_alerts")
    argv = ["compare", "--alerts", str(root), "--label", "reliability>=0.5"]
    argv += ["--stamp-size", "51", "--models", "dia", "--holdout", "0.3", "--epochs", "1"]
    assert main(argv) == 0
    out = "".join(capfd.readouterr())
    assert "109 Rubin (LSST) alerts" in out and "reliability>=0.5" in out
    assert "DIA" in out
