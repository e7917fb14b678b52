"""Panel shares, winning panels and the paper's outcome table (pure NumPy, no model)."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skrb import PANELS
from skrb.explain import OUTCOMES, outcome_table, panel_shares, winning_panel
from skrb.preprocessing import StampStacker


@settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 4), st.just(3), st.integers(1, 4), st.integers(1, 4)),
        elements=st.floats(-1e3, 1e3, width=32),
    )
)
def test_rows_sum_to_one(A):
    nonzero = np.abs(A).reshape(len(A), -1).sum(axis=1) > 0
    with np.errstate(all="ignore"), pytest.warns() if not nonzero.all() else nullcontext():
        shares = panel_shares(A)
    assert shares.shape == (len(A), 3)
    np.testing.assert_allclose(shares[nonzero].sum(axis=1), 1.0, rtol=1e-9)
    assert (shares[nonzero] >= 0).all()
    assert np.isnan(shares[~nonzero]).all()


def test_shares_are_fractions_of_absolute_mass():
    A = np.zeros((2, 3, 4, 4))
    A[0, 0, 0, 0] = -2.0
    A[0, 2, 1, 1] = 6.0
    A[1, 1] = 0.5
    shares = panel_shares(A)
    np.testing.assert_allclose(shares, [[0.25, 0.0, 0.75], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize("layout", ["dia", "nodia", "channels"])
def test_stacked_attributions_give_the_same_shares(layout, rng):
    A = rng.normal(size=(5, 3, 6, 6)).astype(np.float32)
    stacker = StampStacker(layout)
    stacked = stacker.transform(A)
    by_layout, names = panel_shares(stacked, layout=layout, return_panels=True)
    by_panels = panel_shares(stacker.inverse_transform(stacked), panels=names)
    np.testing.assert_allclose(by_layout, by_panels)
    assert names == tuple(p for p in PANELS if p in stacker.fit(A).panels_)
    np.testing.assert_allclose(panel_shares(stacked, layout=stacker), by_layout)


def test_unused_panels_are_dropped_and_flat_input_accepted(rng):
    A = rng.normal(size=(4, 3, 5, 5))
    A[:, 2] = np.nan
    shares, names = panel_shares(A.reshape(4, -1), return_panels=True)
    assert names == ("search", "template")
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    reordered = panel_shares(A, panels=("template", "search"))
    np.testing.assert_allclose(reordered, shares[:, ::-1])


def test_panel_shares_errors(rng):
    A = rng.normal(size=(2, 3, 5, 5))
    A[:, 2] = np.nan
    with pytest.warns(RuntimeWarning, match="carry no attributions in any sample"):
        assert np.isnan(panel_shares(A, panels=("difference",))).all()
    with pytest.raises(ValueError, match="distinct names"):
        panel_shares(A, panels=("search", "search"))
    with pytest.raises(ValueError, match="stacked images"):
        panel_shares(np.ones((2, 5, 15)), layout="dia")
    with pytest.raises(ValueError, match="3 channels"):
        panel_shares(np.ones((2, 3, 5, 5)), layout="channels")
    with pytest.raises(ValueError, match="empty"):
        panel_shares(np.ones((0, 3, 5, 5)))
    with pytest.raises(ValueError, match="layout"):
        panel_shares(np.ones((2, 5, 15, 1)), layout="diagonal")


def test_winning_panel():
    shares = np.array([[0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [np.nan] * 3])
    assert winning_panel(shares).tolist() == ["template", "difference", ""]
    assert winning_panel([[0.6, 0.4]], ("search", "template")).tolist() == ["search"]
    with pytest.raises(ValueError, match="panel names"):
        winning_panel([[0.6, 0.4]])


def _paper_like(rng, n=200):
    shares = rng.dirichlet([1, 1, 3], size=n)
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    return shares, y_true, y_pred


def test_outcome_table_has_the_papers_shape(rng):
    shares, y_true, y_pred = _paper_like(rng)
    order = ("difference", "search", "template")
    table = outcome_table(shares, y_true, y_pred, panels=None)
    table = table["outcome", "true", "predicted", "n", *order]
    assert len(table) == 4
    assert list(table["outcome"]) == [f"{t} > {p}" for t, p in OUTCOMES]
    assert list(table["outcome"]) == [
        "real > real",
        "real > bogus",
        "bogus > real",
        "bogus > bogus",
    ]
    assert table["n"].sum() == len(y_true)
    fractions = np.array([table[p] for p in order]).T
    np.testing.assert_allclose(fractions.sum(axis=1), 1.0)
    # real > bogus: true 1, predicted 0, won by the difference panel
    mask = (y_true == 1) & (y_pred == 0)
    expected = np.mean(np.argmax(shares[mask], axis=1) == 2)
    assert table["n"][1] == mask.sum()
    assert table["difference"][1] == pytest.approx(expected)


def test_outcome_table_from_winners_matches_shares(rng):
    shares, y_true, y_pred = _paper_like(rng)
    from_shares = outcome_table(shares, y_true, y_pred)
    from_winners = outcome_table(winning_panel(shares), y_true, y_pred)
    for p in PANELS:
        np.testing.assert_allclose(from_shares[p], from_winners[p])


def test_outcome_table_nodia_and_options(rng):
    shares, y_true, y_pred = _paper_like(rng)
    two = shares[:, :2] / shares[:, :2].sum(axis=1, keepdims=True)
    table = outcome_table(two, y_true, y_pred, panels=("search", "template"))
    assert table.colnames == ["outcome", "true", "predicted", "n", "search", "template"]
    mean = outcome_table(shares, y_true, y_pred, statistic="mean_share")
    np.testing.assert_allclose(mean["search"][0], shares[(y_true == 1) & (y_pred == 1), 0].mean())
    assert mean.meta["statistic"] == "mean_share"
    labels = np.where(y_true == 1, "real", "bogus")
    preds = np.where(y_pred == 1, "real", "bogus")
    by_name = outcome_table(shares, labels, preds, pos_label="real")
    np.testing.assert_allclose(by_name["n"], mean["n"])


def test_outcome_table_empty_outcome_is_nan():
    table = outcome_table([[0.1, 0.1, 0.8], [0.5, 0.3, 0.2]], [1, 0], [1, 0])
    assert list(table["n"]) == [1, 0, 0, 1]
    assert np.isnan(table["search"][1]) and np.isnan(table["search"][2])


def test_outcome_table_errors(rng):
    shares, y_true, y_pred = _paper_like(rng, 10)
    with pytest.raises(ValueError, match="binary"):
        outcome_table(shares, np.arange(10) % 3, y_pred)
    with pytest.raises(ValueError, match="10 labels"):
        outcome_table(shares, y_true, y_pred[:5])
    with pytest.raises(ValueError, match="3 share"):
        outcome_table(shares, y_true, y_pred, panels=("search",))
    with pytest.raises(ValueError, match="statistic"):
        outcome_table(shares, y_true, y_pred, statistic="median")
    with pytest.raises(ValueError, match="needs panel shares"):
        outcome_table(winning_panel(shares), y_true, y_pred, statistic="mean_share")
    with pytest.raises(ValueError, match="shares/winners"):
        outcome_table(shares[:4], y_true, y_pred)


def test_panel_shares_takes_saliency_by_the_name_api_md_gives():
    A = np.zeros((1, 3, 2, 2))
    A[0, 0] = 1.0
    A[0, 1] = 3.0
    np.testing.assert_allclose(panel_shares(saliency=A), [[0.25, 0.75, 0.0]])
