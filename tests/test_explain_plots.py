"""Figures of skrb.explain (Agg backend, nothing shown)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from _stamps import stamp_set
from matplotlib.figure import Figure

from skrb.explain import (
    outcome_table,
    panel_shares,
    plot_method_comparison,
    plot_outcome_shares,
    plot_saliency,
)
from skrb.preprocessing import StampStacker


@pytest.fixture
def stamps():
    return stamp_set("point", n=5, size=7)[0]


def test_plot_saliency_layout_and_titles(stamps, tmp_path):
    saliency = np.abs(stamps)
    saliency[:, 2] = np.nan  # a noDIA model: two panels
    path = tmp_path / "saliency.png"
    fig = plot_saliency(
        stamps, saliency, indices=[0, 3], y_true=[1, 0, 1, 0, 1], y_pred=[1, 1, 0, 0, 1], path=path
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * 2 * 2  # 2 stamps x (2 panels + 2 saliency maps)
    shares = panel_shares(saliency[[0]], return_panels=False)[0]
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles == ["srch", "tmpl", f"|a| srch {shares[0]:.0%}", f"|a| tmpl {shares[1]:.0%}"]
    assert fig.axes[4].get_ylabel() == "#3\nbogus>bogus"
    assert path.stat().st_size > 0


def test_plot_saliency_from_stacked_attributions(stamps):
    stacked = StampStacker("dia").transform(np.abs(stamps))
    fig = plot_saliency(stamps, stacked, layout="dia", max_stamps=2)
    assert len(fig.axes) == 2 * 6
    assert [ax.get_title() for ax in fig.axes[:3]] == ["diff", "srch", "tmpl"]


def test_plot_saliency_errors(stamps):
    with pytest.raises(ValueError, match="attributions map to stamp sets"):
        plot_saliency(stamps, np.abs(stamps[:, :, :5, :5]))
    with pytest.raises(ValueError, match="indices"):
        plot_saliency(stamps, stamps, indices=[9])


def test_plot_outcome_shares(rng):
    shares = rng.dirichlet([1, 1, 1], size=40)
    y = rng.integers(0, 2, 40)
    table = outcome_table(shares, y, y)
    fig = plot_outcome_shares({"DIA": table, "copy": table})
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert len(ax.patches) == 4 * 3  # four outcomes x three panels
    # panels in the display order (difference, search, template), one colour per panel
    from matplotlib.colors import to_hex

    from skrb._panels import PANEL_COLORS

    for j, panel in enumerate(("difference", "search", "template")):
        bars = ax.patches[4 * j : 4 * (j + 1)]
        heights = [p.get_height() for p in bars]
        np.testing.assert_allclose(heights, np.nan_to_num(np.asarray(table[panel])) * 100)
        assert {to_hex(p.get_facecolor()) for p in bars} == {PANEL_COLORS[panel].lower()}
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1  # outside the axes
    assert len(plot_outcome_shares(table).axes) == 1
    with pytest.raises(ValueError, match="outcome_table"):
        plot_outcome_shares({"x": table["outcome", "n"]})


def test_plot_share_distributions_one_box_per_panel_and_outcome(rng):
    from skrb.explain import plot_share_distributions

    shares = rng.dirichlet([3, 1, 1], size=60)
    y_true, y_pred = rng.integers(0, 2, 60), rng.integers(0, 2, 60)
    panels = ("difference", "search", "template")
    fig = plot_share_distributions({"DIA": (shares, panels, y_true, y_pred)})
    (ax,) = fig.axes
    means = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata())]
    assert len(means) == 4 * 3
    real_real = (y_true == 1) & (y_pred == 1)
    assert means[0].get_ydata()[0] == pytest.approx(100 * shares[real_real, 0].mean())


def test_plot_saliency_marks_unread_and_masked_pixels_and_ids(stamps):
    stamps = stamps.copy()
    stamps[0, 0, 0, 0] = np.nan
    unread = np.zeros(stamps.shape[1:], dtype=bool)
    unread[:, -2:, :] = True
    fig = plot_saliency(
        stamps, np.abs(np.nan_to_num(stamps)), indices=[0], ids=["cand 7"] * 4, unread=unread
    )
    assert fig.axes[0].get_ylabel().startswith("cand 7")
    assert len(fig.axes[0].images) == 2  # the stamp and the unread overlay
    with pytest.raises(ValueError, match="unread has shape"):
        plot_saliency(stamps, np.abs(np.nan_to_num(stamps)), unread=unread[0])


def test_plot_method_comparison(stamps, tmp_path):
    maps = {"gradient": np.abs(stamps), "squared": stamps**2}
    fig = plot_method_comparison(stamps, maps, index=2, path=tmp_path / "m.png")
    assert len(fig.axes) == 3 * 3
    assert fig.axes[3].get_ylabel() == "gradient"
    assert (tmp_path / "m.png").exists()
    with pytest.raises(ValueError, match="at least one method"):
        plot_method_comparison(stamps, {})
    with pytest.raises(ValueError, match="'bad'"):
        plot_method_comparison(stamps, {"bad": stamps[:2]})
