"""StampStacker: panel order and shapes of every layout, panel slices, inverse transform."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skrb import PANELS
from skrb.preprocessing import LAYOUTS, StampStacker

H, W = 4, 5


@pytest.fixture
def X(point_stamps):
    """Stamp sets whose panels are told apart by their values: panel p holds 100 * p + noise."""
    return point_stamps[0][:3, :, :H, :W] + 100 * np.arange(3, dtype=np.float32)[:, None, None]


def panel(X, name):
    return X[:, PANELS.index(name)]


@pytest.mark.parametrize(
    "layout, panels, shape",
    [
        ("dia", None, (3, H, 3 * W, 1)),
        ("nodia", None, (3, H, 2 * W, 1)),
        ("channels", None, (3, H, W, 3)),
        ("horizontal", ("template",), (3, H, W, 1)),
        ("horizontal", ("difference", "search"), (3, H, 2 * W, 1)),
        ("channels", ("template", "search"), (3, H, W, 2)),
        ("dia", ("search",), (3, H, W, 1)),
    ],
)
def test_shapes_and_panel_order(X, layout, panels, shape):
    stacker = StampStacker(layout, panels=panels).fit(X)
    Z = stacker.transform(X)
    assert Z.shape == shape == (3, *stacker.image_shape())
    assert Z.dtype == np.float32 and Z.flags.c_contiguous
    expected = panels if panels is not None else LAYOUTS[layout][1]
    assert stacker.panels_ == tuple(expected)
    for j, name in enumerate(expected):
        if layout == "channels":
            np.testing.assert_array_equal(Z[..., j], panel(X, name))
        else:
            np.testing.assert_array_equal(Z[:, :, j * W : (j + 1) * W, 0], panel(X, name))


def test_paper_layouts_side_by_side(X):
    """DIA: diff | srch | tmpl; noDIA: srch | tmpl (Acero-Cuellar et al. 2023)."""
    dia = StampStacker("dia").transform(X)[..., 0]
    expected = np.concatenate([X[:, 2], X[:, 0], X[:, 1]], axis=2)
    np.testing.assert_array_equal(dia, expected)
    nodia = StampStacker("nodia").transform(X)[..., 0]
    np.testing.assert_array_equal(nodia, np.concatenate([X[:, 0], X[:, 1]], axis=2))
    channels = StampStacker("channels").transform(X)
    np.testing.assert_array_equal(channels, np.stack([X[:, 0], X[:, 1], X[:, 2]], axis=-1))


@pytest.mark.parametrize(
    "layout, panels",
    [("dia", None), ("nodia", None), ("channels", None), ("horizontal", ("template",))],
)
def test_panel_slices_locate_each_panel(X, layout, panels):
    stacker = StampStacker(layout, panels=panels)
    Z = stacker.transform(X)
    slices = stacker.panel_slices((H, W))
    assert tuple(slices) == stacker._resolve_panels()
    for name, sl in slices.items():
        np.testing.assert_array_equal(Z[(slice(None), *sl)][..., 0], panel(X, name))
    covered = np.zeros(Z.shape[1:], dtype=int)
    for sl in slices.values():
        covered[sl] += 1
    np.testing.assert_array_equal(covered, 1)  # the panels tile the image exactly


@pytest.mark.parametrize(
    "layout, panels",
    [("dia", None), ("nodia", None), ("channels", None), ("horizontal", ("difference",))],
)
def test_inverse_transform_round_trip(X, layout, panels):
    stacker = StampStacker(layout, panels=panels).fit(X)
    back = stacker.inverse_transform(stacker.transform(X))
    assert back.shape == X.shape
    for p, name in enumerate(PANELS):
        if name in stacker.panels_:
            np.testing.assert_array_equal(back[:, p], X[:, p])
        else:
            assert np.isnan(back[:, p]).all()
    filled = stacker.inverse_transform(stacker.transform(X), fill_value=0.0)
    assert np.isfinite(filled).all()


def test_inverse_transform_maps_attributions_of_any_float_dtype(X):
    stacker = StampStacker("nodia")
    saliency = np.abs(stacker.transform(X)).astype(np.float64)
    back = stacker.inverse_transform(saliency, fill_value=0.0)
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back[:, 2], 0.0)
    np.testing.assert_allclose(back.sum(axis=(1, 2, 3)), saliency.sum(axis=(1, 2, 3)))


@pytest.mark.parametrize(
    "layout, shape, match",
    [
        ("dia", (3, H, 2 * W, 1), "3 \\* W"),
        ("dia", (3, H, 3 * W), "4 dimensions"),
        ("channels", (3, H, W, 1), "3 channels"),
    ],
)
def test_inverse_transform_rejects_wrong_shapes(layout, shape, match):
    with pytest.raises(ValueError, match=match):
        StampStacker(layout).inverse_transform(np.zeros(shape))


def test_image_shape_and_panel_slices_from_fit(X):
    stacker = StampStacker("dia").fit(X)
    assert stacker.image_shape() == (H, 3 * W, 1)
    assert stacker.panel_slices()["difference"][1] == slice(0, W)
    with pytest.raises(ValueError, match="stamp_shape"):
        StampStacker("dia").image_shape()


def test_flattened_and_float64_input(rng):
    X = rng.normal(size=(2, 3, 6, 6))
    expected = StampStacker("dia").transform(X.astype(np.float32))
    np.testing.assert_array_equal(StampStacker("dia").transform(X.reshape(2, -1)), expected)
    assert StampStacker("dia").transform(X).dtype == np.float32


def test_nan_passes_through(X):
    X[1, 0, 2, 3] = np.nan
    Z = StampStacker("dia").transform(X)
    assert np.isnan(Z).sum() == 1 and np.isnan(Z[1, 2, W + 3, 0])


def test_strided_input(X):
    wide = np.zeros((3, 3, H, 2 * W), dtype=np.float32)
    wide[..., ::2] = X
    for layout in ("dia", "channels"):
        np.testing.assert_array_equal(
            StampStacker(layout).transform(wide[..., ::2]), StampStacker(layout).transform(X)
        )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"layout": "vertical"}, "layout"),
        ({"layout": "horizontal"}, "needs `panels`"),
        ({"layout": "dia", "panels": ("search", "science")}, "Unknown panel"),
        ({"layout": "dia", "panels": ("search", "search")}, "must not repeat"),
        ({"layout": "dia", "panels": ()}, "at least one panel"),
        ({"layout": "dia", "panels": "search"}, "panels"),
    ],
)
def test_bad_parameters_are_named(X, params, match):
    with pytest.raises(ValueError, match=match):
        StampStacker(**params).fit_transform(X)


def test_fitted_stacker_checks_stamp_size(X, rng):
    stacker = StampStacker().fit(X)
    with pytest.raises(ValueError, match=f"fitted on {H}x{W} stamps"):
        stacker.transform(rng.normal(size=(1, 3, H + 1, W)))


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    layout=st.sampled_from(["dia", "nodia", "channels", "horizontal"]),
    panels=st.permutations(PANELS).flatmap(lambda p: st.integers(1, 3).map(lambda k: p[:k])),
)
def test_round_trip_for_any_shape_and_panel_selection(n, h, w, layout, panels):
    X = np.arange(n * 3 * h * w, dtype=np.float32).reshape(n, 3, h, w)
    stacker = StampStacker(layout, panels=panels)
    Z = stacker.transform(X)
    assert Z.shape == (n, *stacker.image_shape((h, w)))
    back = stacker.inverse_transform(Z, fill_value=-1.0)
    for p, name in enumerate(PANELS):
        expected = X[:, p] if name in panels else -1.0
        np.testing.assert_array_equal(back[:, p], np.broadcast_to(expected, back[:, p].shape))
