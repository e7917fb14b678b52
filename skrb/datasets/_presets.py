"""Survey presets of the stamp-set simulator: detector, sky and observing conditions.

Each preset holds the numbers that make simulated stamps look like one survey's: stamp size,
pixel scale, seeing distributions of search and template, sky level, gain, read noise,
saturation, template depth, the share of real candidates on host galaxies and the signal-to-noise
range of injected transients. The ZTF numbers are calibrated against the real ZTF alert cutouts
(sky ~78 ADU with noise ~5 ADU in the science cutout, template noise ~0.2 times that, template
scaled to the science photometric zero point); the DES numbers follow the DES-SN autoScan data
(51x51 stamps, 0.263"/pixel, ~1" seeing, DECam gain and saturation). The Rubin (``"lsst"``)
numbers are calibrated against real Rubin alert cutouts (0.2"/pixel, PSF FWHM ~0.65", images in
nJy with the sky subtracted, ~47 nJy of noise per pixel in the science and difference cutouts,
deep templates, 30x30 cutouts); see ``benchmarks/bench_rubin_preset.py``. Rubin's templates
have slightly broader PSFs than the science exposures (~1.08x); the simulator's subtraction
convolves the template only, so it draws templates 0.9-1.05 times the science seeing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ARTIFACTS", "PRESETS", "SurveyPreset", "get_preset"]

ARTIFACTS: tuple[str, ...] = (
    "misregistration",
    "psf_mismatch",
    "cosmic_ray",
    "hot_pixel",
    "bad_column",
    "saturated_star",
    "chip_edge",
)
"""Families of bogus candidates the simulator draws (the ``artifact`` column of its meta)."""


@dataclass(frozen=True)
class SurveyPreset:
    """Observing and detector conditions of one survey, as the simulator draws them.

    Parameters
    ----------
    name : str
        Survey name.
    stamp_size : int
        Side of the square stamps in pixels (odd, so the candidate sits on a pixel).
    pixel_scale : float
        Arcseconds per pixel.
    seeing : tuple of float
        Median and log-normal scatter (dex) of the search image's PSF FWHM in arcseconds.
    template_seeing_ratio : tuple of float
        Range of the template FWHM divided by the search FWHM (templates are built from the
        best-seeing epochs, so mostly below 1).
    moffat_beta : tuple of float
        Range of the Moffat ``beta`` of the PSFs.
    sky : tuple of float
        Range of the search sky level (ADU).
    gain : float
        Electrons per ADU.
    read_noise : float
        Read noise in electrons.
    saturation : float
        Saturation level of the search image (ADU).
    template_depth : tuple of int
        Range of the number of exposures coadded into the template (its noise is lower by the
        square root of that number).
    template_scale : tuple of float
        Range of the template's photometric scale relative to the search.
    template_sky_ratio : tuple of float
        Range of the template's sky level (in its own units) over the search's.
    registration_error : float
        RMS (pixels) of the residual astrometric misregistration after resampling.
    kernel_error : float
        Relative RMS error of the fitted PSF-matching kernel width.
    scale_error : float
        Relative RMS error of the fitted photometric scale.
    snr_range : tuple of float
        Range of the injected transients' signal-to-noise (log-uniform).
    host_fraction : float
        Share of real transients placed on a host galaxy.
    host_size : tuple of float
        Range of host half-light radii in arcseconds.
    star_density : float
        Mean number of field stars on the simulated canvas.
    edge_fraction : float
        Share of real candidates that lie near a masked chip edge.
    artifact_weights : dict
        Relative frequency of each bogus family (keys in :data:`ARTIFACTS`).
    flux_unit : str, default="adu"
        Unit of the output pixels (and of the flux columns of the simulator's meta).
    flux_per_adu : float, default=1.0
        Output units per simulated ADU (Rubin: nJy per ADU of its calibrated images).
    sky_subtracted : bool, default=False
        Whether the survey's search and template images come with their sky subtracted (as
        Rubin's calibrated exposures and coadds do).

    Examples
    --------
    >>> from skrb.datasets._presets import get_preset
    >>> get_preset("ztf").stamp_size
    63
    """

    name: str
    stamp_size: int
    pixel_scale: float
    seeing: tuple[float, float]
    template_seeing_ratio: tuple[float, float]
    moffat_beta: tuple[float, float]
    sky: tuple[float, float]
    gain: float
    read_noise: float
    saturation: float
    template_depth: tuple[int, int]
    template_scale: tuple[float, float]
    template_sky_ratio: tuple[float, float]
    registration_error: float
    kernel_error: float
    scale_error: float
    snr_range: tuple[float, float]
    host_fraction: float
    host_size: tuple[float, float]
    star_density: float
    edge_fraction: float
    artifact_weights: dict[str, float] = field(default_factory=dict)
    flux_unit: str = "adu"
    flux_per_adu: float = 1.0
    sky_subtracted: bool = False


_DEFAULT_WEIGHTS = {
    "misregistration": 0.26,
    "psf_mismatch": 0.16,
    "cosmic_ray": 0.14,
    "hot_pixel": 0.08,
    "bad_column": 0.10,
    "saturated_star": 0.12,
    "chip_edge": 0.14,
}

PRESETS: dict[str, SurveyPreset] = {
    "des": SurveyPreset(
        name="des",
        stamp_size=51,
        pixel_scale=0.263,
        seeing=(1.0, 0.08),
        template_seeing_ratio=(0.7, 1.05),
        moffat_beta=(2.5, 4.5),
        sky=(400.0, 2500.0),
        gain=4.0,
        read_noise=7.0,
        saturation=30000.0,
        template_depth=(4, 16),
        template_scale=(0.8, 1.25),
        template_sky_ratio=(0.6, 1.5),
        registration_error=0.04,
        kernel_error=0.02,
        scale_error=0.01,
        snr_range=(4.0, 60.0),
        host_fraction=0.6,
        host_size=(0.4, 2.5),
        star_density=4.0,
        edge_fraction=0.03,
        artifact_weights=dict(_DEFAULT_WEIGHTS),
    ),
    "ztf": SurveyPreset(
        name="ztf",
        stamp_size=63,
        pixel_scale=1.01,
        seeing=(2.0, 0.06),
        template_seeing_ratio=(0.75, 1.05),
        moffat_beta=(2.5, 4.5),
        sky=(60.0, 95.0),
        gain=3.9,
        read_noise=8.0,
        saturation=16000.0,
        template_depth=(20, 45),
        template_scale=(1.0, 1.0),
        template_sky_ratio=(1.0, 1.0),
        registration_error=0.06,
        kernel_error=0.02,
        scale_error=0.01,
        snr_range=(5.0, 80.0),
        host_fraction=0.4,
        host_size=(1.0, 5.0),
        star_density=12.0,
        edge_fraction=0.03,
        artifact_weights=dict(_DEFAULT_WEIGHTS),
    ),
    "lsst": SurveyPreset(
        name="lsst",
        stamp_size=30,
        pixel_scale=0.2,
        seeing=(0.65, 0.05),
        template_seeing_ratio=(0.9, 1.05),
        moffat_beta=(2.5, 4.5),
        sky=(900.0, 1500.0),
        gain=1.0,
        read_noise=6.0,
        saturation=100000.0,
        template_depth=(10, 40),
        template_scale=(1.0, 1.0),
        template_sky_ratio=(1.0, 1.0),
        registration_error=0.05,
        kernel_error=0.02,
        scale_error=0.01,
        snr_range=(5.0, 50.0),
        host_fraction=0.5,
        host_size=(0.3, 2.0),
        star_density=2.0,
        edge_fraction=0.03,
        artifact_weights=dict(_DEFAULT_WEIGHTS),
        flux_unit="nJy",
        flux_per_adu=1.35,
        sky_subtracted=True,
    ),
}
"""The simulator's survey presets, by name."""


def get_preset(survey: str) -> SurveyPreset:
    """Return the preset of a survey.

    Parameters
    ----------
    survey : {"des", "ztf", "lsst"}
        Survey name (case-insensitive; ``"rubin"`` is ``"lsst"``).

    Returns
    -------
    preset : SurveyPreset
        The survey's conditions.

    Raises
    ------
    ValueError
        If the survey has no preset.

    Examples
    --------
    >>> from skrb.datasets._presets import get_preset
    >>> get_preset("des").pixel_scale
    0.263
    """
    key = str(survey).lower()
    key = "lsst" if key == "rubin" else key
    if key not in PRESETS:
        raise ValueError(
            f"Unknown survey {survey!r}; the simulator has presets for {sorted(PRESETS)}."
        )
    return PRESETS[key]
