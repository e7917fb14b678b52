"""One-epoch detector artifacts: cosmic rays, hot pixels, bad columns, chip edges.

These are added to the search exposure after its noise (they are charge the sky did not
send through the optics, so they are sharper than the PSF); the template, a coadd of many
dithered exposures, has them rejected. Chip edges are masked (NaN) in every panel, as the
survey's cutouts are where the stamp runs off the detector.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bad_columns", "chip_edge", "cosmic_rays", "hot_pixels"]


def _deposit(
    shape: tuple[int, int, int], x: np.ndarray, y: np.ndarray, charge: np.ndarray
) -> np.ndarray:
    """Spread charges at sub-pixel points ``(n, p)`` over their four nearest pixels."""
    n, h, w = shape
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    out = np.zeros(n * h * w, dtype=np.float64)
    stamp = np.arange(n)[:, None] * (h * w)
    for dx, dy, wgt in (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        xi, yi = (x0 + dx).astype(np.intp), (y0 + dy).astype(np.intp)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        flat = (stamp + yi * w + xi)[inside]
        out += np.bincount(flat, weights=(charge * wgt)[inside], minlength=n * h * w)
    return out.reshape(shape).astype(np.float32)


def cosmic_rays(
    rng: np.random.Generator,
    shape: tuple[int, int, int],
    peak: np.ndarray,
    length: np.ndarray,
) -> np.ndarray:
    """Cosmic-ray tracks through the stamp centre: straight, sub-pixel wide, one epoch.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator (angles, offsets and charge fluctuations along the track).
    shape : tuple of int
        ``(n, H, W)``.
    peak : ndarray of shape (n,)
        Charge per unit track length in ADU (about the brightest pixel's value).
    length : ndarray of shape (n,)
        Track lengths in pixels (0 is a point-like hit).

    Returns
    -------
    image : ndarray of shape (n, H, W)
        The deposited charge in ADU.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._artifacts import cosmic_rays
    >>> img = cosmic_rays(np.random.default_rng(0), (2, 15, 15), np.array([100.0, 100.0]),
    ...                   np.array([0.0, 6.0]))
    >>> [int((im > 5).sum()) <= 4 for im in img]  # a point hit covers at most 4 pixels
    [True, False]
    """
    n, h, w = shape
    steps = 4 * int(np.ceil(max(float(np.max(length)), 0.0))) + 1
    t = np.linspace(-0.5, 0.5, steps, dtype=np.float32)[None, :]
    angle = rng.uniform(0.0, np.pi, n)[:, None]
    cx = (w - 1) / 2 + rng.uniform(-0.5, 0.5, n)[:, None]
    cy = (h - 1) / 2 + rng.uniform(-0.5, 0.5, n)[:, None]
    lengths = np.asarray(length, dtype=np.float32)[:, None]
    x = cx + t * lengths * np.cos(angle)
    y = cy + t * lengths * np.sin(angle)
    per_step = np.asarray(peak, np.float32)[:, None] * np.maximum(lengths, 1.0) / steps
    charge = per_step * rng.gamma(4.0, 0.25, size=(n, steps))  # Landau-like fluctuations
    return _deposit(shape, x, y, charge)


def hot_pixels(
    rng: np.random.Generator, shape: tuple[int, int, int], peak: np.ndarray
) -> np.ndarray:
    """Hot pixels at the stamp centre: one pixel, sometimes with a fainter neighbour.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    shape : tuple of int
        ``(n, H, W)``.
    peak : ndarray of shape (n,)
        Excess of the hot pixel in ADU.

    Returns
    -------
    image : ndarray of shape (n, H, W)
        The excess dark current in ADU.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._artifacts import hot_pixels
    >>> img = hot_pixels(np.random.default_rng(0), (1, 9, 9), np.array([50.0]))
    >>> float(img[0, 4, 4])
    50.0
    """
    n, h, w = shape
    image = np.zeros(shape, dtype=np.float32)
    image[:, h // 2, w // 2] = peak
    pair = rng.random(n) < 0.3
    side = rng.choice(np.array([-1, 1]), n)
    image[np.flatnonzero(pair), h // 2, w // 2 + side[pair]] = peak[pair] * rng.uniform(
        0.1, 0.5, pair.sum()
    )
    return image


def bad_columns(
    rng: np.random.Generator, shape: tuple[int, int, int], level: np.ndarray
) -> np.ndarray:
    """Bad (hot) CCD columns through the stamp centre, often only part of the column.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator (extent along the column, pixel-to-pixel jitter).
    shape : tuple of int
        ``(n, H, W)``.
    level : ndarray of shape (n,)
        Excess of the column in ADU.

    Returns
    -------
    image : ndarray of shape (n, H, W)
        The excess in ADU.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._artifacts import bad_columns
    >>> img = bad_columns(np.random.default_rng(0), (1, 11, 11), np.array([20.0]))
    >>> bool(img[0, 5, 5] > 0), float(img[0, :, 0].max())
    (True, 0.0)
    """
    n, h, w = shape
    rows = np.arange(h)[None, :]
    start = np.where(rng.random(n) < 0.5, 0, rng.integers(0, h // 2, n))[:, None]
    stop = np.where(rng.random(n) < 0.5, h, rng.integers(h // 2 + 1, h + 1, n))[:, None]
    on = (rows >= start) & (rows < stop)
    jitter = 1.0 + 0.15 * rng.standard_normal((n, h))
    image = np.zeros(shape, dtype=np.float32)
    image[:, :, w // 2] = np.where(on, jitter, 0.0) * np.asarray(level, np.float32)[:, None]
    return image


def chip_edge(
    rng: np.random.Generator,
    shape: tuple[int, int, int],
    distance: np.ndarray,
    glow: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross the stamp with a detector edge: mask the outside, make the inside edge glow.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator (which side, glow scale length).
    shape : tuple of int
        ``(n, H, W)``.
    distance : ndarray of shape (n,)
        Distance in pixels from the stamp centre to the edge.
    glow : ndarray of shape (n,)
        Amplitude (ADU) of the excess signal at the edge (amplifier glow, charge-transfer and
        flat-field errors that the search exposure has and the dithered template does not).

    Returns
    -------
    glow_image : ndarray of shape (n, H, W)
        Additive excess inside the chip (0 where ``glow`` is 0).
    outside : ndarray of shape (n, H, W)
        True where the stamp lies off the chip (to be set to NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._artifacts import chip_edge
    >>> g, out = chip_edge(np.random.default_rng(0), (1, 9, 9), np.array([2.0]), np.array([5.0]))
    >>> int(out.sum()), bool(g[0, 4, 4] > 0), bool(np.all(g[out] == 0))
    (18, True, True)
    """
    n, h, w = shape
    side = rng.integers(0, 4, n)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    # Signed distance of each pixel inside the chip from the edge, for each of the four sides.
    depth = np.stack([cx + xx * 0 - xx, xx - cx, cy - yy, yy - cy])[side]  # (n, H, W)
    depth = depth + np.asarray(distance, np.float32)[:, None, None] + 0.5
    outside = depth < 0
    scale = rng.uniform(1.0, 3.0, n).astype(np.float32)[:, None, None]
    glow_image = np.where(
        outside, 0.0, np.asarray(glow, np.float32)[:, None, None] * np.exp(-depth / scale)
    )
    return glow_image.astype(np.float32), outside
