"""How close the simulator's Rubin preset (``make_stamps(survey="lsst")``) is to real Rubin alerts.

Reads the real Rubin alerts in ../shared/data/rubin_alerts (or SKRB_SHARED_DATA) and simulates
stamp sets with the ``"lsst"`` preset, then prints, for both, the median and the 16th-84th
percentiles over stamp sets of:

- the robust noise (1.4826 x MAD, nJy) of the science, template and difference panels;
- the background level (median pixel, nJy) of the science and template panels;
- the square root of the median variance plane (nJy; real alerts' ``UNCERT`` HDU; for the
  simulation, the search exposure's noise from its meta);
- the PSF FWHM (arcsec): real alerts from their ``PSFIMAGE`` (where the azimuthal profile
  crosses half its peak), the simulation from its meta;
- the template / science ratio of noise and of PSF FWHM.

Usage: ``python benchmarks/bench_rubin_preset.py [--n N]``.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np

from skrb.datasets import make_stamps
from skrb.io import read_alerts

SHARED = Path(
    os.environ.get(
        "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()
PIXEL_SCALE = 0.2


def robust_std(stamps: np.ndarray) -> np.ndarray:
    med = np.nanmedian(stamps, axis=(-2, -1), keepdims=True)
    return 1.4826 * np.nanmedian(np.abs(stamps - med), axis=(-2, -1))


def psf_fwhm(psf: np.ndarray) -> float:
    """FWHM (pixels) where the azimuthal profile of a PSF image crosses half its peak."""
    psf = np.nan_to_num(psf).clip(0)
    y, x = np.indices(psf.shape)
    cy, cx = (y * psf).sum() / psf.sum(), (x * psf).sum() / psf.sum()
    r, v = np.hypot(y - cy, x - cx).ravel(), (psf / psf.max()).ravel()
    centres = np.array([c for c in np.arange(0.0, 8, 0.25) if (np.abs(r - c) < 0.25).any()])
    profile = np.array([v[np.abs(r - c) < 0.25].mean() for c in centres])
    k = int(np.argmax(profile < 0.5))
    return 2 * float(np.interp(0.5, profile[[k, k - 1]], centres[[k, k - 1]]))


def summary(values: np.ndarray) -> str:
    lo, mid, hi = np.nanpercentile(values, [16, 50, 84])
    return f"{mid:8.3g} [{lo:.3g}, {hi:.3g}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="simulated stamp sets")
    args = parser.parse_args()
    folder = SHARED / "rubin_alerts"
    if not folder.exists():
        raise SystemExit(f"{folder} is absent: set SKRB_SHARED_DATA.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = read_alerts(folder, stamp_size=30, variance=True, psf=True)
    X, _, meta = make_stamps(args.n, survey="lsst", random_state=0, return_meta=True)
    fwhm_real = np.array([[psf_fwhm(p) for p in psfs[:2]] for psfs in real.psf]) * PIXEL_SCALE
    noise_real = np.stack([robust_std(real.data[:, k]) for k in range(3)], axis=1)
    noise_sim = np.stack([robust_std(X[:, k]) for k in range(3)], axis=1)
    rows = [
        ("science noise (nJy)", noise_real[:, 0], noise_sim[:, 0]),
        ("template noise (nJy)", noise_real[:, 1], noise_sim[:, 1]),
        ("difference noise (nJy)", noise_real[:, 2], noise_sim[:, 2]),
        (
            "science sqrt(variance) (nJy)",
            np.sqrt(np.nanmedian(real.variance[:, 0], axis=(1, 2))),
            np.asarray(meta["noise_search"]),
        ),
        (
            "science background (nJy)",
            np.nanmedian(real.data[:, 0], axis=(1, 2)),
            np.nanmedian(X[:, 0], axis=(1, 2)),
        ),
        (
            "template background (nJy)",
            np.nanmedian(real.data[:, 1], axis=(1, 2)),
            np.nanmedian(X[:, 1], axis=(1, 2)),
        ),
        ("science PSF FWHM (arcsec)", fwhm_real[:, 0], np.asarray(meta["seeing_search"])),
        ("template PSF FWHM (arcsec)", fwhm_real[:, 1], np.asarray(meta["seeing_template"])),
        (
            "template / science noise",
            noise_real[:, 1] / noise_real[:, 0],
            noise_sim[:, 1] / noise_sim[:, 0],
        ),
        (
            "template / science FWHM",
            fwhm_real[:, 1] / fwhm_real[:, 0],
            np.asarray(meta["seeing_template"] / meta["seeing_search"]),
        ),
    ]
    print(f"Real: {len(real.meta)} Rubin alerts ({folder}); simulated: {args.n} stamp sets.")
    print("median [16th, 84th percentile] over stamp sets\n")
    print(f"{'quantity':32s} {'real alerts':28s} {'make_stamps(survey=lsst)':28s}")
    for name, r, s in rows:
        print(f"{name:32s} {summary(r):28s} {summary(s):28s}")


if __name__ == "__main__":
    main()
