"""The registry of skrb's models: each model described once, everything else derived from it.

Every model that skrb ships (``"dia"``, ``"nodia"``, ``"braai"``, ...) is one :class:`ModelSpec`
in ``_SPECS`` below. From these entries come

- the pipeline factories ``skrb.make_<name>_pipeline`` (through
  :func:`skrb.pipeline.make_pipeline`): the model's scaler, ``StampStacker(layout=spec.layout)``
  and the classifier;
- the ``model`` choices of :func:`~skrb.models.load_checkpoint` and how a published checkpoint is
  read (:class:`CheckpointFormat`);
- the command line's ``--model`` choices and the names shown in tables and reports;
- the input shape named in the classifiers' error messages.

Nothing here imports TensorFlow: classifiers are named, and imported from :mod:`skrb.models` only
when :attr:`ModelSpec.classifier` is read.

Adding a model
--------------
Add one entry to ``_SPECS`` (and, for the public API, a documented ``make_<name>_pipeline`` in
:mod:`skrb.pipeline` that calls ``make_pipeline("<name>", checkpoint, **kw)``)::

    ModelSpec(
        name="nodiff",                              # key: CLI --model, load_checkpoint(model=)
        display_name="noDiff",                      # tables, reports, plots
        classifier_name="NoDiffTransformerClassifier",  # attribute of skrb.models
        layout="nodia",                             # StampStacker layout it reads
        input_shape="(n, H, 2W, 1)",                # shape text for error messages
        scaler=_acero2023_scaler,                   # () -> the model's own scaling step
        checkpoint=None,                            # no published Keras 2 HDF5 checkpoint
    )

The order of ``_SPECS`` is the order of the CLI choices and of comparison tables.

Examples
--------
>>> from skrb.models import get_model_spec, model_names
>>> model_names()[:3]
('dia', 'nodia', 'braai')
>>> spec = get_model_spec("braai")
>>> spec.display_name, spec.layout, spec.checkpoint.stamp_size
('braai', 'channels', 63)
>>> get_model_spec("vgg")
Traceback (most recent call last):
...
ValueError: Unknown model 'vgg'; choose from 'dia', 'nodia', 'braai', 'nodiff', 'triplet'.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CheckpointFormat", "ModelSpec", "get_model_spec", "model_names"]


@dataclass(frozen=True)
class CheckpointFormat:
    """How :func:`~skrb.models.load_checkpoint` reads a model's published Keras HDF5 file.

    Parameters
    ----------
    stamp_size : int
        Side of the stamps the published network was trained on, used when the file does not
        record its input shape.
    output_order : tuple of int or None, default=None
        For each skrb class (0 = bogus, 1 = real), the column of the checkpoint's own output
        that holds it; None when the file already uses skrb's order.

    Examples
    --------
    >>> from skrb.models import CheckpointFormat
    >>> CheckpointFormat(stamp_size=51, output_order=(1, 0)).output_order
    (1, 0)
    """

    stamp_size: int
    output_order: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One model of skrb: its names, input layout, preprocessing, classifier and checkpoint.

    Parameters
    ----------
    name : str
        Key of the model (``load_checkpoint(path, name)``, ``skrb train --model name``).
    display_name : str
        Name shown in tables, reports and figures.
    classifier_name : str
        Name of the classifier class in :mod:`skrb.models`.
    layout : str
        The :class:`~skrb.preprocessing.StampStacker` layout the classifier reads.
    input_shape : str
        The classifier's input shape, as text for messages (e.g. ``"(n, H, 3W, 1)"``).
    scaler : callable
        Returns a new instance of the model's own scaling step (the pipeline's ``"scaler"``).
    checkpoint : CheckpointFormat or None, default=None
        How the published checkpoint is read; None if the model has none.

    Examples
    --------
    >>> from skrb.models import get_model_spec
    >>> spec = get_model_spec("dia")
    >>> spec.classifier.__name__, spec.scaler().method
    ('DIAClassifier', 'acero2023')
    """

    name: str
    display_name: str
    classifier_name: str
    layout: str
    input_shape: str
    scaler: Callable[[], Any]
    checkpoint: CheckpointFormat | None = None

    @property
    def classifier(self) -> type:
        """The classifier class (imports TensorFlow on first use)."""
        return getattr(importlib.import_module("skrb.models"), self.classifier_name)


def _acero2023_scaler() -> Any:
    """Return the scaling of Acero-Cuellar et al. (2023).

    The difference is z-scored, search and template are 3-sigma min-max scaled.
    """
    from skrb.preprocessing import StampScaler

    return StampScaler("acero2023")


def _braai_scaler() -> Any:
    """Return braai's d6_m7 scaling: NaN -> 0, then each image row divided by its L2 norm."""
    from skrb.preprocessing import StampScaler

    return StampScaler("l2_rows", nan_policy="fill", fill_value=0.0)


_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="dia",
            display_name="DIA",
            classifier_name="DIAClassifier",
            layout="dia",
            input_shape="(n, H, 3W, 1)",
            scaler=_acero2023_scaler,
            # The authors' softmax puts P(real) in column 0.
            checkpoint=CheckpointFormat(stamp_size=51, output_order=(1, 0)),
        ),
        ModelSpec(
            name="nodia",
            display_name="noDIA",
            classifier_name="NoDIAClassifier",
            layout="nodia",
            input_shape="(n, H, 2W, 1)",
            scaler=_acero2023_scaler,
            checkpoint=CheckpointFormat(stamp_size=51, output_order=(1, 0)),
        ),
        ModelSpec(
            name="braai",
            display_name="braai",
            classifier_name="BraaiClassifier",
            layout="channels",
            input_shape="(n, H, W, 3)",
            scaler=_braai_scaler,
            # braai's sigmoid already is P(real).
            checkpoint=CheckpointFormat(stamp_size=63),
        ),
        ModelSpec(
            name="nodiff",
            display_name="noDiff transformer",
            classifier_name="NoDiffTransformerClassifier",
            layout="nodia",
            input_shape="(n, H, 2W, 1)",
            scaler=_acero2023_scaler,  # the CNNs' scaling: the models compare on equal inputs
        ),
        ModelSpec(
            name="triplet",
            display_name="triplet transformer",
            classifier_name="TripletTransformerClassifier",
            layout="dia",
            input_shape="(n, H, 3W, 1)",
            scaler=_acero2023_scaler,
        ),
    )
}


def model_names() -> tuple[str, ...]:
    """Return the keys of skrb's models, in registry order.

    Returns
    -------
    names : tuple of str
        E.g. ``("dia", "nodia", "braai", ...)``.

    Examples
    --------
    >>> from skrb.models import model_names
    >>> "dia" in model_names()
    True
    """
    return tuple(_SPECS)


def get_model_spec(name: str) -> ModelSpec:
    """Return the registry entry of model ``name``.

    Parameters
    ----------
    name : str
        A key of :func:`model_names`.

    Returns
    -------
    spec : ModelSpec
        The model's entry.

    Raises
    ------
    ValueError
        If ``name`` is not a registered model (the message lists them).

    Examples
    --------
    >>> from skrb.models import get_model_spec
    >>> get_model_spec("nodia").display_name
    'noDIA'
    """
    try:
        return _SPECS[name]
    except (KeyError, TypeError):
        choices = ", ".join(repr(n) for n in _SPECS)
        raise ValueError(f"Unknown model {name!r}; choose from {choices}.") from None


def input_shape_text(classifier: type) -> str:
    """Return the input shape text of a registered classifier class (or a generic one)."""
    by_class = {spec.classifier_name: spec.input_shape for spec in _SPECS.values()}
    for cls in classifier.__mro__:  # a user's subclass reads its parent's input
        if cls.__module__.startswith("skrb.") and cls.__name__ in by_class:
            return by_class[cls.__name__]
    return "(n, H, W', C)"
