"""The synthetic stamp sets of skrb's tests: one builder and the named sets made with it.

Every synthetic stamp set the tests train or explain on comes from :func:`blob_stamps`: noise
stamp sets ``(search, template, difference)`` where the real ones (``y == 1``, every second
one) have a centred source in some panels. The sets the tests share are named in :data:`SETS`
(each with its fixed seed) and served once per session, read-only, by the fixtures of
``tests/conftest.py`` of the same name (``dia_stamps``, ``nodia_stamps``, ...): a test that
needs a special property derives it in one line from a copy (``X = dia_stamps[0].copy();
X[0, 2, 3, 4] = np.nan``) instead of writing its own generator. A test that needs another
shape or size calls :func:`stamp_set` or :func:`blob_stamps` with that argument.

Real stamp sets simulated by :func:`skrb.datasets.make_stamps` (sky, PSFs, artefacts) are the
``simulated_stamps`` fixture; tests of the simulator itself call it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["SETS", "blob_stamps", "stamp_set"]


def blob_stamps(
    n: int,
    size: int,
    *,
    seed: int = 0,
    amplitude: float = 6.0,
    sigma: float = np.sqrt(2.0),
    noise: float = 1.0,
    panels: Sequence[int] = (0, 2),
    bogus_star: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Noise stamp sets with a centred Gaussian source in the real ones.

    Parameters
    ----------
    n : int
        Number of stamp sets; labels alternate ``0, 1, 0, 1, ...`` (1 = real).
    size : int
        Side of the square stamps.
    seed : int, default=0
        Seed of the noise (the only random part).
    amplitude : float, default=6.0
        Peak of the source, in units of the noise of ``noise=1``.
    sigma : float, default=sqrt(2)
        Gaussian width of the source in pixels; 0 puts all of it in the central pixel
        (``size // 2``).
    noise : float, default=1.0
        Standard deviation of the Gaussian noise of every pixel.
    panels : sequence of int, default=(0, 2)
        Panels (0 search, 1 template, 2 difference) that get the source of a real candidate:
        a new source appears in the search and so in the difference.
    bogus_star : bool, default=False
        Also give the bogus ones a static star (the same source in search and template, which
        the difference subtracts away).

    Returns
    -------
    X : ndarray of shape (n, 3, size, size)
        float32 stamp sets (a new array on every call).
    y : ndarray of shape (n,)
        Labels, 1 = real.

    Examples
    --------
    >>> from _stamps import blob_stamps
    >>> X, y = blob_stamps(4, 5, sigma=0, noise=0)
    >>> y.tolist(), X[1, :, 2, 2].tolist(), float(X[0].max())
    ([0, 1, 0, 1], [6.0, 0.0, 6.0], 0.0)
    """
    y = np.arange(n) % 2
    X = (noise * np.random.default_rng(seed).normal(size=(n, 3, size, size))).astype(np.float32)
    if sigma == 0:
        source = np.zeros((size, size), np.float32)
        source[size // 2, size // 2] = amplitude
    else:
        yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
        source = (amplitude * np.exp(-(xx**2 + yy**2) / (2 * sigma**2))).astype(np.float32)
    for panel in panels:
        X[y == 1, panel] += source
    if bogus_star:
        X[y == 0, :2] += source
    return X, y


#: The shared sets: name -> arguments of :func:`blob_stamps`. Each is a fixture ``<name>_stamps``.
SETS: dict[str, dict[str, Any]] = {
    # Smallest stamps of each published CNN (36: DIA, 26: noDIA, 20: braai), separable by eye
    # (amplitude 6 sigma): a one-epoch fit learns something, a few epochs learn them all.
    "dia": dict(n=24, size=36),
    "nodia": dict(n=24, size=26),
    "braai": dict(n=24, size=20),
    # The tiny transformers' pairs and triplets: 12-pixel stamps (two 2x2-stride stages).
    "pair": dict(n=32, size=12),
    # The toy CNN of tests/_toy.py: real ones differ only by one bright difference pixel.
    "point": dict(n=64, size=5, amplitude=3.0, sigma=0.0, noise=0.3, panels=(2,)),
}


def stamp_set(name: str, n: int | None = None, **changes: Any) -> tuple[np.ndarray, np.ndarray]:
    """Build the named set of :data:`SETS` (a fresh, writable copy), optionally changed.

    Parameters
    ----------
    name : str
        A key of :data:`SETS`.
    n : int, optional
        Another number of stamp sets (the first ``n`` of the named set where smaller).
    **changes
        Other arguments of :func:`blob_stamps` to change (``size``, ``seed``, ...).

    Returns
    -------
    X : ndarray of shape (n, 3, size, size)
        float32 stamp sets.
    y : ndarray of shape (n,)
        Labels, 1 = real.

    Examples
    --------
    >>> from _stamps import stamp_set
    >>> X, y = stamp_set("dia")
    >>> X.shape, y[:4].tolist()
    ((24, 3, 36, 36), [0, 1, 0, 1])
    >>> stamp_set("nodia", n=2, size=51)[0].shape
    (2, 3, 51, 51)
    """
    kwargs = {**SETS[name], **changes}
    if n is not None:
        kwargs["n"] = n
    return blob_stamps(**kwargs)
