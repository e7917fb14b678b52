"""Training protocols of the command line: ``quick`` (a 2-core CPU, minutes) and ``paper``.

``paper`` is the authors' full protocol (Acero-Cuellar et al. 2023): SGD with learning rate
0.01, batch 200, up to 500 epochs, early stopping on the validation loss (patience 30 for the
DIA model, 100 for the noDIA model: each classifier's default), ``validation_split=0.2`` and one
stratified 80/20 train/test split of 100,000 stamp sets. It is meant for a GPU.
``quick`` keeps the architectures and the optimiser but trains on fewer, smaller batches for a
few epochs with 3-fold cross-validation, so that the whole comparison runs in minutes on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PROTOCOLS", "Protocol"]


@dataclass(frozen=True)
class Protocol:
    """Defaults of one training protocol.

    Attributes
    ----------
    name : str
        Protocol name.
    n_samples : int
        Simulated stamp sets when no data are given.
    cv : int or float
        Folds of stratified CV, or the hold-out test fraction.
    classifier : dict
        Keyword arguments for every classifier (epochs, batch size, early stopping...).
    summary : str
        One line describing the protocol, for reports.

    Examples
    --------
    >>> from skrb.cli._protocols import PROTOCOLS
    >>> PROTOCOLS["paper"].classifier["batch_size"], PROTOCOLS["paper"].cv
    (200, 0.2)
    """

    name: str
    n_samples: int
    cv: int | float
    classifier: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


PROTOCOLS = {
    "quick": Protocol(
        name="quick",
        n_samples=1500,
        cv=3,
        classifier={
            "epochs": 10,
            "batch_size": 32,
            "early_stopping": False,
            "validation_split": 0.2,
            "metrics": ["accuracy"],
        },
        summary="quick: 1,500 stamp sets by default, 3-fold stratified CV, 10 epochs, batch 32, "
        "validation split 0.2, no early stopping (CPU, minutes)",
    ),
    "paper": Protocol(
        name="paper",
        n_samples=100_000,
        cv=0.2,
        classifier={
            "epochs": 500,
            "batch_size": 200,
            "early_stopping": True,
            "validation_split": 0.2,
            "metrics": ["accuracy"],
        },
        summary="paper: 100,000 stamp sets by default, one stratified 80/20 split, batch 200, "
        "up to 500 epochs, early stopping on val_loss (patience 30 DIA / 100 noDIA), "
        "validation split 0.2 (GPU)",
    ),
}
