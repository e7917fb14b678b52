"""Difference image analysis as survey pipelines do it: PSF matching, scaling, subtraction.

The pipeline knows the PSFs of the search and template images only approximately. It fits a
Gaussian PSF-matching kernel (the leading Alard & Lupton 1998 basis term) that best turns the
template PSF into the search PSF, convolves the template with it, scales it to the search's
photometric zero point, matches the backgrounds, and subtracts. Residuals of stars and galaxy
cores come from what this cannot fix: Moffat wings a Gaussian kernel cannot match, search PSFs
sharper than the template's (a kernel cannot deconvolve), errors in the fitted kernel width and
scale, and astrometric misregistration.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from skrb.datasets._profiles import frequencies, gaussian_ft

__all__ = ["fit_kernel_sigma", "subtract_template"]

_SIGMA_GRID = np.linspace(0.0, 1.0, 41, dtype=np.float32)


def fit_kernel_sigma(psf_search_ft: np.ndarray, psf_template_ft: np.ndarray) -> np.ndarray:
    """Least-squares width of the Gaussian kernel that matches a template PSF to a search PSF.

    Minimises ``sum_k |P_s(k) - G_sigma(k) P_t(k)|**2`` over the (isotropic) PSF transforms,
    searching ``sigma`` on a grid up to the search PSF's own Gaussian-equivalent width.

    Parameters
    ----------
    psf_search_ft, psf_template_ft : ndarray of shape (n, size, size // 2 + 1)
        ``rfft2`` of the search and template PSFs.

    Returns
    -------
    sigma : ndarray of shape (n,)
        Kernel widths in pixels (0 when the template PSF is already the broader one).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.fft as sfft
    >>> from skrb.datasets._profiles import moffat_psf
    >>> from skrb.datasets._dia import fit_kernel_sigma
    >>> ps = sfft.rfft2(moffat_psf(np.array([5.0, 3.0]), np.array([4.0, 4.0]), 48))
    >>> pt = sfft.rfft2(moffat_psf(np.array([3.0, 5.0]), np.array([4.0, 4.0]), 48))
    >>> sigma = fit_kernel_sigma(ps, pt)
    >>> bool(1.3 < sigma[0] < 2.0), float(sigma[1])
    (True, 0.0)
    """
    size = psf_search_ft.shape[1]
    # The PSFs are isotropic (a radial cut suffices) and may be off-centre (use the modulus).
    ps = np.abs(psf_search_ft[:, 0, :])
    pt = np.abs(psf_template_ft[:, 0, :])
    fx = frequencies(size)[1][0]
    weight = np.maximum(fx, 0.5 / size)  # annulus area of each radial frequency
    scale = 2.0 * np.sqrt(np.log(2.0)) * _fwhm_of_transform(ps, fx)
    sigmas = _SIGMA_GRID[None, :] * scale[:, None]  # (n, g)
    g = np.exp(-2.0 * np.pi**2 * sigmas[:, :, None] ** 2 * fx[None, None, :] ** 2)
    cost = ((ps[:, None, :] - g * pt[:, None, :]) ** 2 * weight).sum(axis=-1)
    return sigmas[np.arange(ps.shape[0]), cost.argmin(axis=1)].astype(np.float32)


def _fwhm_of_transform(ft_cut: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """Gaussian-equivalent sigma (pixels) of PSFs from where their transform falls to 1/2."""
    below = ft_cut < 0.5
    first = np.where(below.any(axis=1), below.argmax(axis=1), fx.size - 1)
    k_half = fx[np.clip(first, 1, fx.size - 1)]
    # A Gaussian's transform is 1/2 at k = sqrt(ln 2 / 2) / (pi sigma).
    return (np.sqrt(np.log(2.0) / 2.0) / (np.pi * k_half)).astype(np.float32)


def subtract_template(
    search: np.ndarray,
    template: np.ndarray,
    kernel_sigma: np.ndarray,
    scale: np.ndarray,
    background: np.ndarray,
    crop: tuple[slice, slice],
) -> np.ndarray:
    """Difference images: search minus the PSF-matched, scaled template, minus background.

    Parameters
    ----------
    search : ndarray of shape (n, H, W)
        Search stamps (already cropped).
    template : ndarray of shape (n, size, size)
        Template images on the full canvas (the margin around the stamp keeps the convolution
        free of wrap-around).
    kernel_sigma : ndarray of shape (n,)
        Width of the Gaussian matching kernel in pixels.
    scale : ndarray of shape (n,)
        Photometric scale applied to the convolved template.
    background : ndarray of shape (n,)
        Background level subtracted from the difference.
    crop : tuple of slice
        Rows and columns of the stamp inside the canvas.

    Returns
    -------
    difference : ndarray of shape (n, H, W)
        The difference stamps (float32).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._dia import subtract_template
    >>> tmpl = np.full((1, 16, 16), 10.0, np.float32)
    >>> crop = (slice(4, 12), slice(4, 12))
    >>> one = np.ones(1, np.float32)
    >>> diff = subtract_template(tmpl[:, 4:12, 4:12] * 2, tmpl, one, 2 * one, 0 * one, crop)
    >>> float(abs(diff).max()) < 1e-4
    True
    """
    size = template.shape[-1]
    matched = sfft.irfft2(sfft.rfft2(template) * gaussian_ft(kernel_sigma, size), s=(size, size))
    matched = matched[(slice(None), *crop)]
    col = np.asarray(scale, np.float32)[:, None, None]
    bkg = np.asarray(background, np.float32)[:, None, None]
    return (search - col * matched - bkg).astype(np.float32)
