"""``--stamp-size`` and ``--resize``: alerts of any side and pixel scale for a model of fixed side.

A model reads stamps of one side (its Keras input); Rubin's cutouts are 30 to 102 pixels at
0.2"/pixel. With a model given (``skrb score``, ``skrb explain``), Rubin alerts are read centred
in the model's own side unless ``--stamp-size`` says otherwise; ``--resize FROM:TO`` puts a
:class:`~skrb.preprocessing.StampResizer` in front of the model, resampling the stamps from one
pixel scale to the other (e.g. ``lsst:des`` for a DES-trained model on Rubin alerts), and reads
enough pixels to cover the model's field of view.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from skrb.cli._errors import CLIError

__all__ = ["add_resize_arguments", "fit_model_to_alerts", "model_side", "parse_resize"]


def parse_resize(text: str) -> tuple[float | str, float | str]:
    """Parse ``FROM:TO`` pixel scales: survey names (lsst, des, ztf) or arcsec per pixel.

    Examples
    --------
    >>> from skrb.cli._resize import parse_resize
    >>> parse_resize("lsst:des"), parse_resize("0.2:0.263")
    (('lsst', 'des'), (0.2, 0.263))
    """
    from skrb.preprocessing import PIXEL_SCALES

    parts = text.split(":")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(
            f"--resize takes FROM:TO pixel scales, e.g. lsst:des or 0.2:0.263; got {text!r}."
        )
    scales: list[float | str] = []
    for part in parts:
        part = part.strip().lower()
        if part in PIXEL_SCALES:
            scales.append(part)
            continue
        try:
            value = float(part)
        except ValueError:
            value = -1.0
        if not value > 0:
            raise argparse.ArgumentTypeError(
                f"--resize: {part!r} is neither a survey ({', '.join(PIXEL_SCALES)}) nor a "
                "positive pixel scale in arcsec."
            )
        scales.append(value)
    return scales[0], scales[1]


def add_resize_arguments(parser: argparse.ArgumentParser | Any, *, data: bool = False) -> None:
    """Add ``--resize`` (and, unless ``data`` options already have it, ``--stamp-size``)."""
    if not data:
        parser.add_argument(
            "--stamp-size",
            type=int,
            metavar="N",
            help="read alerts into N x N stamps (Rubin cutouts centred, cropped or padded); "
            "default: the model's own side for Rubin alerts",
        )
    parser.add_argument(
        "--resize",
        type=parse_resize,
        metavar="FROM:TO",
        help="resample stamps from one pixel scale to the model's (surveys lsst, des, ztf or "
        "arcsec/pixel), e.g. lsst:des to run a DES-trained model on Rubin alerts",
    )


def model_side(estimator: Any) -> int | None:
    """Side of the stamps a fitted model reads (its Keras input's height), or None."""
    from skrb.utils import final_estimator

    model = getattr(final_estimator(estimator), "model_", None)
    shape = getattr(model, "input_shape", None)
    if shape is None or len(shape) != 4 or shape[1] is None:
        return None
    return int(shape[1])


def _scale(value: float | str) -> float:
    from skrb.preprocessing import PIXEL_SCALES

    return PIXEL_SCALES[value] if isinstance(value, str) else float(value)


def fit_model_to_alerts(
    estimator: Any, paths: Any, *, stamp_size: int | None, resize: tuple | None
) -> tuple[Any, dict[str, Any]]:
    """Return the estimator to use on the alerts in ``paths`` and the options to read them.

    With ``resize``, the estimator is a Pipeline whose first step is a
    :class:`~skrb.preprocessing.StampResizer` to the model's side; alerts are then read in
    stamps covering the model's field of view (or ``stamp_size``). Without it, Rubin alerts are
    read in the model's own side (or ``stamp_size``); ZTF alerts keep their 63 pixels unless
    ``stamp_size`` is given.
    """
    from sklearn.pipeline import Pipeline

    from skrb.io import alert_survey
    from skrb.preprocessing import StampResizer

    if stamp_size is not None and stamp_size < 1:
        raise CLIError(f"--stamp-size must be a positive integer; got {stamp_size}.")
    side = model_side(estimator)
    options: dict[str, Any] = {}
    if resize is not None:
        if side is None:
            raise CLIError("--resize needs a model whose input side is known (a skrb CNN).")
        source, target = resize
        resizer = StampResizer(side, pixel_scale=source, target_pixel_scale=target)
        steps = list(estimator.steps) if isinstance(estimator, Pipeline) else [("model", estimator)]
        estimator = Pipeline([("resize", resizer), *steps])
        options["stamp_size"] = stamp_size or math.ceil(side * _scale(target) / _scale(source))
    elif stamp_size is not None:
        options["stamp_size"] = stamp_size
    elif side is not None and alert_survey(paths) == "lsst":
        options["stamp_size"] = side
    return estimator, options
