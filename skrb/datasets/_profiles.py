"""Light profiles on a periodic pixel canvas: Moffat PSFs, Sersic galaxies, point sources.

Images are rendered on a square canvas of ``size`` pixels whose Fourier transform (``rfft2``) is
used for every convolution. Point sources are exact sub-pixel shifts in Fourier space; PSFs are
rendered centred on pixel ``(0, 0)`` with wrap-around, so multiplying a scene's transform by a
PSF's transform convolves without moving it. All functions are vectorised over a leading axis of
stamps and return float32 / complex64 arrays.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

__all__ = [
    "frequencies",
    "gaussian_ft",
    "moffat_psf",
    "point_sources_ft",
    "sersic_image",
]

_FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def frequencies(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the row and column frequencies (cycles/pixel) of an ``rfft2`` of a canvas.

    Parameters
    ----------
    size : int
        Side of the square canvas.

    Returns
    -------
    fy : ndarray of shape (size, 1)
        Row (y) frequencies.
    fx : ndarray of shape (1, size // 2 + 1)
        Column (x) frequencies.

    Examples
    --------
    >>> from skrb.datasets._profiles import frequencies
    >>> fy, fx = frequencies(8)
    >>> fy.shape, fx.shape
    ((8, 1), (1, 5))
    """
    fy = sfft.fftfreq(size).astype(np.float32)[:, np.newaxis]
    fx = sfft.rfftfreq(size).astype(np.float32)[np.newaxis, :]
    return fy, fx


def _wrapped_offsets(size: int) -> np.ndarray:
    """Signed pixel offsets from pixel 0 on a periodic canvas, e.g. 0, 1, 2, -2, -1."""
    idx = np.arange(size)
    return np.where(idx < (size + 1) // 2, idx, idx - size).astype(np.float32)


def moffat_psf(
    fwhm: np.ndarray,
    beta: np.ndarray,
    size: int,
    dx: np.ndarray | None = None,
    dy: np.ndarray | None = None,
) -> np.ndarray:
    """Render unit-flux Moffat PSFs centred near pixel ``(0, 0)`` of a periodic canvas.

    ``I(r) ∝ (1 + (r / alpha)**2) ** -beta`` with ``alpha = fwhm / (2 sqrt(2**(1/beta) - 1))``.
    Rendering the sub-pixel offset in real space (rather than as a Fourier phase ramp) keeps
    bright, undersampled sources free of ringing.

    Parameters
    ----------
    fwhm : ndarray of shape (n,)
        Full width at half maximum in pixels.
    beta : ndarray of shape (n,)
        Moffat index (large beta tends to a Gaussian).
    size : int
        Side of the canvas.
    dx, dy : ndarray of shape (n,), optional
        Sub-pixel offsets of the PSF centre from pixel ``(0, 0)`` along columns and rows.

    Returns
    -------
    psf : ndarray of shape (n, size, size)
        PSF images summing to 1, wrapped around pixel ``(0, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._profiles import moffat_psf
    >>> psf = moffat_psf(np.array([3.0]), np.array([3.0]), 32)
    >>> round(float(psf.sum()), 5), bool(psf[0, 0, 0] == psf.max())
    (1.0, True)
    """
    fwhm = np.asarray(fwhm, dtype=np.float32)[:, None, None]
    beta = np.asarray(beta, dtype=np.float32)[:, None, None]
    alpha = fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))
    zero = np.zeros(fwhm.shape[0], np.float32)
    dx = zero if dx is None else np.asarray(dx, np.float32)
    dy = zero if dy is None else np.asarray(dy, np.float32)
    d = _wrapped_offsets(size)
    inv_a2 = 1.0 / alpha**2
    ry = (d[None, :, None] - dy[:, None, None]) ** 2 * inv_a2
    rx = (d[None, None, :] - dx[:, None, None]) ** 2 * inv_a2
    psf = np.add(ry, rx, dtype=np.float32)  # (r / alpha)**2, computed in place from here on
    np.log1p(psf, out=psf)
    psf *= -beta
    np.exp(psf, out=psf)
    psf /= psf.sum(axis=(1, 2), keepdims=True)
    return psf


def gaussian_ft(sigma: np.ndarray, size: int) -> np.ndarray:
    """Fourier transform of pixel-sampled, unit-sum circular Gaussian kernels.

    The kernel is sampled on the pixel grid (wrapped around pixel ``(0, 0)``) before the
    transform, as a pipeline's kernel is, so narrow kernels do not ring on sharp features;
    ``sigma == 0`` gives the identity.

    Parameters
    ----------
    sigma : ndarray of shape (n,)
        Gaussian widths in pixels.
    size : int
        Side of the canvas.

    Returns
    -------
    ft : ndarray of shape (n, size, size // 2 + 1)
        The kernels' ``rfft2`` (1 at zero frequency).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._profiles import gaussian_ft
    >>> ft = gaussian_ft(np.array([1.5, 0.0]), 16)
    >>> round(float(ft[0, 0, 0].real), 5), bool(np.allclose(ft[1], 1.0))
    (1.0, True)
    """
    s2 = np.maximum(np.asarray(sigma, dtype=np.float32), 1e-3)[:, None, None] ** 2
    d2 = _wrapped_offsets(size) ** 2
    kernel = np.exp(-(d2[:, None] + d2[None, :])[None] / (2.0 * s2))
    kernel /= kernel.sum(axis=(1, 2), keepdims=True)
    return sfft.rfft2(kernel.astype(np.float32))


def point_sources_ft(x: np.ndarray, y: np.ndarray, flux: np.ndarray, size: int) -> np.ndarray:
    """Fourier transform of sums of sub-pixel point sources (delta functions).

    Parameters
    ----------
    x, y : ndarray of shape (n, k)
        Positions (column, row) in canvas pixels; slot ``k`` of stamp ``n``.
    flux : ndarray of shape (n, k)
        Fluxes; 0 for unused slots.
    size : int
        Side of the canvas.

    Returns
    -------
    ft : ndarray of shape (n, size, size // 2 + 1)
        ``rfft2`` of the band-limited point-source image.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.fft as sfft
    >>> from skrb.datasets._profiles import point_sources_ft
    >>> ft = point_sources_ft(np.array([[3.0]]), np.array([[5.0]]), np.array([[2.0]]), 8)
    >>> img = sfft.irfft2(ft, s=(8, 8))[0]
    >>> round(float(img[5, 3]), 4), round(float(img.sum()), 4)
    (2.0, 2.0)
    """
    fy, fx = frequencies(size)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    flux = np.asarray(flux, dtype=np.float32)
    rows = np.exp(-2j * np.pi * y[:, :, None] * fy[None, None, :, 0]).astype(np.complex64)
    cols = (flux[:, :, None] * np.exp(-2j * np.pi * x[:, :, None] * fx[None, None, 0, :])).astype(
        np.complex64
    )
    return np.matmul(rows.transpose(0, 2, 1), cols)


def sersic_image(
    x0: np.ndarray,
    y0: np.ndarray,
    flux: np.ndarray,
    r_eff: np.ndarray,
    index: np.ndarray,
    axis_ratio: np.ndarray,
    angle: np.ndarray,
    size: int,
) -> np.ndarray:
    """Render elliptical Sersic profiles (not PSF-convolved) on a canvas.

    ``I ∝ exp(-b_n ((r / r_eff)**(1/n) - 1))`` with ``b_n ≈ 2n - 1/3 + 0.009876/n``; the
    elliptical radius is softened by 0.3 pixel so the cusp of high-index profiles stays finite.

    Parameters
    ----------
    x0, y0 : ndarray of shape (n,)
        Centres (column, row) in canvas pixels.
    flux : ndarray of shape (n,)
        Total flux on the canvas.
    r_eff : ndarray of shape (n,)
        Half-light radii along the major axis, in pixels.
    index : ndarray of shape (n,)
        Sersic indices (1 = exponential disc, 4 = de Vaucouleurs).
    axis_ratio : ndarray of shape (n,)
        Minor over major axis, in (0, 1].
    angle : ndarray of shape (n,)
        Position angle of the major axis in radians.
    size : int
        Side of the canvas.

    Returns
    -------
    image : ndarray of shape (n, size, size)
        The galaxies, each summing to its ``flux``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.datasets._profiles import sersic_image
    >>> one = np.array([1.0])
    >>> img = sersic_image(one * 8, one * 8, one * 100, one * 2, one, one * 0.5, one * 0, 17)
    >>> round(float(img.sum()), 3), [int(i) for i in np.unravel_index(img[0].argmax(), (17, 17))]
    (100.0, [8, 8])
    """

    def col(a: np.ndarray) -> np.ndarray:
        return np.asarray(a, dtype=np.float32)[:, None, None]

    grid = np.arange(size, dtype=np.float32)
    dx = grid[None, None, :] - col(x0)
    dy = grid[None, :, None] - col(y0)
    cos, sin = np.cos(col(angle)), np.sin(col(angle))
    major = dx * cos + dy * sin
    minor = (-dx * sin + dy * cos) / col(axis_ratio)
    r = np.sqrt(major**2 + minor**2 + 0.09)
    n = col(index)
    b_n = 2.0 * n - 1.0 / 3.0 + 0.009876 / n
    image = np.exp(-b_n * ((r / col(r_eff)) ** (1.0 / n) - 1.0))
    image *= col(flux) / image.sum(axis=(1, 2), keepdims=True)
    return image.astype(np.float32)
