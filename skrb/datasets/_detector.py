"""Detector effects: photon and read noise, saturation with bleed trails.

Images are in ADU. The search image is a single exposure, so its noise is Poisson in electrons
plus Gaussian read noise; a template is a coadd of many exposures, whose noise is Gaussian (the
central limit theorem) with the Poisson-plus-read-noise variance divided by the number coadded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["add_coadd_noise", "add_exposure_noise", "saturate"]


def _col(a: np.ndarray | float, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(a, dtype=np.float32), (n,))[:, None, None]


def add_exposure_noise(
    rng: np.random.Generator, image: np.ndarray, gain: float | np.ndarray, read_noise: float
) -> np.ndarray:
    """Add Poisson photon noise and Gaussian read noise to single-exposure images.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    image : ndarray of shape (n, H, W)
        Noiseless images in ADU (sky included).
    gain : float or ndarray of shape (n,)
        Electrons per ADU.
    read_noise : float
        Read noise in electrons.

    Returns
    -------
    noisy : ndarray of shape (n, H, W)
        The exposures in ADU (float32).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._detector import add_exposure_noise
    >>> img = np.full((1, 200, 200), 100.0, np.float32)
    >>> out = add_exposure_noise(np.random.default_rng(0), img, 4.0, 0.0)
    >>> round(float(out.std()), 1)  # sqrt(100 / 4)
    5.0
    """
    g = _col(gain, image.shape[0])
    electrons = rng.poisson(np.clip(image, 0.0, None) * g).astype(np.float32)
    electrons += rng.standard_normal(image.shape, dtype=np.float32) * np.float32(read_noise)
    return electrons / g


def add_coadd_noise(
    rng: np.random.Generator,
    image: np.ndarray,
    gain: float | np.ndarray,
    read_noise: float,
    depth: np.ndarray,
) -> np.ndarray:
    """Add the noise of a coadd of ``depth`` exposures (its mean, in single-exposure ADU).

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    image : ndarray of shape (n, H, W)
        Noiseless images in ADU per exposure (sky included).
    gain : float or ndarray of shape (n,)
        Electrons per ADU.
    read_noise : float
        Read noise of one exposure, in electrons.
    depth : ndarray of shape (n,)
        Number of exposures coadded.

    Returns
    -------
    noisy : ndarray of shape (n, H, W)
        The coadds (float32).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._detector import add_coadd_noise
    >>> img = np.full((1, 200, 200), 100.0, np.float32)
    >>> out = add_coadd_noise(np.random.default_rng(0), img, 4.0, 0.0, np.array([25]))
    >>> round(float(out.std()), 1)  # sqrt(100 / 4 / 25)
    1.0
    """
    n = image.shape[0]
    g = _col(gain, n)
    sigma = np.maximum(image, 0.0, dtype=np.float32)  # the variance, then sigma, in place
    sigma *= g
    sigma += np.float32(read_noise) ** 2
    sigma /= g**2 * _col(depth, n)
    np.sqrt(sigma, out=sigma)
    sigma *= rng.standard_normal(image.shape, dtype=np.float32)
    return image + sigma


def saturate(image: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clip images at their saturation level and bleed the excess charge along columns.

    The charge above ``level`` in each column is conserved: it fills that column's pixels up
    and down from the saturated core, extending the saturated run by ``excess / level`` pixels
    (split evenly), as a CCD's blooming does along the read-out direction.

    Parameters
    ----------
    image : ndarray of shape (n, H, W)
        Images in ADU (modified in place and returned).
    level : ndarray of shape (n,)
        Saturation levels in ADU.

    Returns
    -------
    image : ndarray of shape (n, H, W)
        The saturated images.
    saturated : ndarray of shape (n,)
        Whether each image has saturated pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._detector import saturate
    >>> img = np.zeros((1, 9, 3), np.float32); img[0, 4, 1] = 50.0
    >>> out, sat = saturate(img, np.array([10.0]))
    >>> out[0, :, 1].tolist(), bool(sat[0])
    ([0.0, 0.0, 10.0, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0], True)
    """
    level = np.asarray(level, dtype=np.float32)
    over = image > level[:, None, None]
    saturated = over.any(axis=(1, 2))
    idx = np.flatnonzero(saturated)
    if idx.size:
        sub = image[idx]
        lev = level[idx][:, None]
        mask = over[idx]
        excess = np.where(mask, sub - lev[:, :, None], 0.0).sum(axis=1)  # (m, W)
        n_sat = mask.sum(axis=1)
        rows = np.arange(sub.shape[1], dtype=np.float32)
        centre = (mask * rows[None, :, None]).sum(axis=1) / np.maximum(n_sat, 1)
        half = 0.5 * (n_sat + excess / lev)
        run = (np.abs(rows[None, :, None] - centre[:, None, :]) < half[:, None, :]) & (
            n_sat[:, None, :] > 0
        )
        sub = np.where(run, lev[:, :, None], np.minimum(sub, lev[:, :, None]))
        image[idx] = sub
    return image, saturated
