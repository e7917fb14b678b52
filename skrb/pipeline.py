"""Ready-made pipelines on stamp sets: each model's own scaling, the stacker and the classifier.

Each pipeline has the steps ``"scaler"`` (:class:`~skrb.preprocessing.StampScaler`),
``"stacker"`` (:class:`~skrb.preprocessing.StampStacker`) and ``"classifier"``, so that
parameters are reachable as ``classifier__epochs``, ``scaler__nan_policy``, ... in
:class:`~sklearn.model_selection.GridSearchCV`. The steps of each model come from its entry in
the model registry (:func:`skrb.models.get_model_spec`); :func:`make_pipeline` makes any of them.
"""

from __future__ import annotations

import os
from typing import Any

from sklearn.pipeline import Pipeline

from skrb.preprocessing import StampStacker

__all__ = [
    "make_braai_pipeline",
    "make_dia_pipeline",
    "make_nodia_pipeline",
    "make_nodiff_pipeline",
    "make_pipeline",
    "make_triplet_pipeline",
]


def make_pipeline(
    model: str, checkpoint: str | os.PathLike[str] | None = None, **kw: Any
) -> Pipeline:
    """Make the pipeline of any registered model: its scaler, its stacker and its classifier.

    ``make_dia_pipeline(...)`` is ``make_pipeline("dia", ...)``, and so on for every model of
    :func:`skrb.models.model_names`; the steps come from the model's
    :class:`~skrb.models.ModelSpec`.

    Parameters
    ----------
    model : str
        A key of :func:`skrb.models.model_names` (``"dia"``, ``"nodia"``, ``"braai"``, ...).
    checkpoint : str or path-like, optional
        A published checkpoint of the model: the classifier then comes from
        :func:`~skrb.models.load_checkpoint` and the pipeline predicts without ``fit``.
    **kw : dict
        Parameters of the classifier.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``"scaler"``, ``"stacker"``, ``"classifier"``, on stamp sets ``(n, 3, H, W)``.

    Raises
    ------
    ValueError
        If ``model`` is not a registered model.

    Examples
    --------
    >>> from skrb.pipeline import make_pipeline
    >>> make_pipeline("nodia", verbose=0).named_steps["classifier"].layout
    'nodia'
    """
    from skrb import models  # TensorFlow is imported only when a pipeline is made

    spec = models.get_model_spec(model)
    if checkpoint is not None:
        classifier = models.load_checkpoint(checkpoint, model, **kw)
    else:
        classifier = spec.classifier(**kw)
    return Pipeline(
        [
            ("scaler", spec.scaler()),
            ("stacker", StampStacker(layout=spec.layout)),
            ("classifier", classifier),
        ]
    )


def make_dia_pipeline(checkpoint: str | os.PathLike[str] | None = None, **kw: Any) -> Pipeline:
    """Make the DIA-based pipeline of Acero-Cuellar et al. (2023) on stamp sets.

    Steps: ``"scaler"`` = ``StampScaler("acero2023")`` (difference z-scored, search and
    template 3-sigma min-max, NaN set by its ``nan_policy``), ``"stacker"`` =
    ``StampStacker("dia")`` (difference | search | template), ``"classifier"`` =
    :class:`~skrb.models.DIAClassifier`.

    Parameters
    ----------
    checkpoint : str or path-like, optional
        A trained DIA checkpoint (the authors' ``model_checkpoint_AAD_3s3DH.h5``): the
        classifier comes from :func:`~skrb.models.load_checkpoint` and the pipeline predicts
        without ``fit``. Calling ``fit`` retrains from scratch unless ``warm_start=True``
        (fine-tuning from the checkpoint).
    **kw : dict
        Parameters of the classifier (e.g. ``epochs=5``, ``random_state=0``, ``verbose=0``
        for Keras' progress output). The pipeline's own ``memory`` and ``verbose`` can be set
        afterwards with ``set_params``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Takes stamp sets ``(n, 3, H, W)`` (or flattened), labels 1 = real, 0 = bogus.

    See Also
    --------
    make_nodia_pipeline : the same without the difference image.

    Examples
    --------
    >>> from skrb import make_dia_pipeline
    >>> pipe = make_dia_pipeline(epochs=5, verbose=0)
    >>> [name for name, _ in pipe.steps]
    ['scaler', 'stacker', 'classifier']
    >>> pipe.get_params()["classifier__epochs"]
    5
    """
    return make_pipeline("dia", checkpoint, **kw)


def make_nodia_pipeline(checkpoint: str | os.PathLike[str] | None = None, **kw: Any) -> Pipeline:
    """Make the noDIA pipeline of Acero-Cuellar et al. (2023): search and template only.

    Steps: ``"scaler"`` = ``StampScaler("acero2023")``, ``"stacker"`` =
    ``StampStacker("nodia")`` (search | template), ``"classifier"`` =
    :class:`~skrb.models.NoDIAClassifier`.

    Parameters
    ----------
    checkpoint : str or path-like, optional
        A trained noDIA checkpoint (the authors' ``model_checkpoint_CCC_3s2DH.h5``): the
        pipeline then predicts without ``fit``.
    **kw : dict
        Parameters of the classifier.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Takes stamp sets ``(n, 3, H, W)`` (or flattened); the difference panel is unused.

    See Also
    --------
    make_dia_pipeline : the same with the difference image.

    Examples
    --------
    >>> from skrb import make_nodia_pipeline
    >>> make_nodia_pipeline(verbose=0).named_steps["stacker"].layout
    'nodia'
    """
    return make_pipeline("nodia", checkpoint, **kw)


def make_braai_pipeline(checkpoint: str | os.PathLike[str] | None = None, **kw: Any) -> Pipeline:
    """Make braai's pipeline (Duev et al. 2019, model d6_m7), ZTF's ``drb`` score.

    Steps: ``"scaler"`` = ``StampScaler("l2_rows", nan_policy="fill", fill_value=0.0)``
    (NaN -> 0, then each image row divided by its L2 norm, as for d6_m7), ``"stacker"`` =
    ``StampStacker("channels")``, ``"classifier"`` = :class:`~skrb.models.BraaiClassifier`.

    Parameters
    ----------
    checkpoint : str or path-like, optional
        braai's ``d6_m7.weights.h5`` (with ``d6_m7.architecture.json`` next to it) or its
        folder: the pipeline then reproduces the alerts' ``drb`` without ``fit`` (read the
        alerts with ``skrb.io.read_alerts(..., masked_sentinel="keep")``, as braai saw ZTF's
        template mask values).
    **kw : dict
        Parameters of the classifier.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Takes stamp sets ``(n, 3, H, W)`` with NaN allowed (masked pixels).

    Examples
    --------
    >>> from skrb import make_braai_pipeline
    >>> make_braai_pipeline(verbose=0).named_steps["scaler"].method
    'l2_rows'
    """
    return make_pipeline("braai", checkpoint, **kw)


def make_nodiff_pipeline(**kw: Any) -> Pipeline:
    """Make the no-difference transformer pipeline of Inada et al. (2026): search + template.

    Steps: ``"scaler"`` = ``StampScaler("acero2023")`` (the CNNs' scaling, so the models
    compare on the same inputs), ``"stacker"`` = ``StampStacker("nodia")`` (search |
    template), ``"classifier"`` = :class:`~skrb.models.NoDiffTransformerClassifier`, which
    cuts the images back into panels for its siamese encoder.

    Parameters
    ----------
    **kw : dict
        Parameters of the classifier (e.g. ``preset="small"``, ``epochs=5``, ``augment=True``).
        The default is the paper's 66-million-weight network: a GPU model.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Takes stamp sets ``(n, 3, H, W)`` (or flattened); the difference panel is unused.

    See Also
    --------
    make_triplet_pipeline : the same with the difference image.
    make_nodia_pipeline : the 2023 CNN without the difference image.

    Examples
    --------
    >>> from skrb import make_nodiff_pipeline
    >>> pipe = make_nodiff_pipeline(preset="tiny", verbose=0)
    >>> pipe.named_steps["stacker"].layout, pipe.get_params()["classifier__preset"]
    ('nodia', 'tiny')
    """
    return make_pipeline("nodiff", **kw)


def make_triplet_pipeline(**kw: Any) -> Pipeline:
    """Make the triplet transformer pipeline of Inada et al. (2026): search, template, difference.

    Steps: ``"scaler"`` = ``StampScaler("acero2023")``, ``"stacker"`` = ``StampStacker("dia")``
    (difference | search | template), ``"classifier"`` =
    :class:`~skrb.models.TripletTransformerClassifier`.

    Parameters
    ----------
    **kw : dict
        Parameters of the classifier.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Takes stamp sets ``(n, 3, H, W)`` (or flattened).

    See Also
    --------
    make_nodiff_pipeline : the same without the difference image.

    Examples
    --------
    >>> from skrb import make_triplet_pipeline
    >>> make_triplet_pipeline(preset="tiny", verbose=0).named_steps["stacker"].layout
    'dia'
    """
    return make_pipeline("triplet", **kw)
