"""Training protocols of the command line: ``quick`` (minutes), ``hour`` and ``paper``.

``paper`` is the authors' full protocol (Acero-Cuellar et al. 2023): SGD with learning rate
0.01, batch 200, up to 500 epochs, early stopping on the validation loss (patience 30 for the
DIA model, 100 for the noDIA model: each classifier's default), ``validation_split=0.2`` and one
stratified 80/20 train/test split of 100,000 stamp sets. It is meant for a GPU.
``quick`` keeps the architectures, the optimiser and the paper's single stratified 80/20
split, but trains on a fifth of the paper's stamps, in smaller batches (more SGD steps per
epoch; the authors' slides show batch 20), for 5 epochs, so that ``make demo`` runs in minutes on
2 CPU cores; ``hour`` trains on half the paper's stamps with early stopping. All three use
``dtype_policy="auto"``.

How the sizes were chosen (simulated 51x51 DES stamps, float32, batch 32; CPU seconds, user +
sys, measured on a 2-core Intel Xeon with AVX-512 and AVX512_BF16, no AMX, shared with other
work, so the "2 idle cores" time is CPU seconds / 2):

- training costs about 2.1 ms per stamp and epoch for the DIA CNN and 0.6 ms for the noDIA CNN
  (the fit's validation part included); simulating costs 1.1 to 1.5 ms per stamp;
- the DIA CNN's test accuracy grows with the number of *distinct* training stamps more than
  with epochs: on 8,000 stamps (batch 32) it reached 0.971 after 2 epochs for one seed and
  0.955 after 5 for another; on 4,800 stamps, 6 epochs gave 0.958-0.959 (three folds) for one
  seed and 0.944 for another. 3-fold cross-validation at that size costs three times the
  training of one split, so ``quick`` uses the paper's single split on more stamps;
- ``quick``: 16,000 x 5 epochs x 2.7 ms = 216 CPU s of training, about 290 CPU s in all with
  simulating 20,000 stamps, saliency and figures. Measured end to end (``make demo`` on a
  fresh clone, idle 2-core Intel Xeon, float32): 4 min 0 s wall (297 CPU s; the two cores do
  not both stay busy), within the 5-minute budget;
- ``hour``: at most 40,000 x 40 x 2.7 ms = 4,300 CPU s (early stopping usually ends sooner),
  plus 75 CPU s of simulation: at most 37 minutes on 2 idle cores, under an hour with 25 %
  headroom for a slower CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["PROTOCOLS", "Protocol", "paper_gap", "precision_text"]


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

    @property
    def training(self) -> str:
        """The classifier settings alone (no data size, no CV), e.g. for ``skrb train``.

        Examples
        --------
        >>> from skrb.cli._protocols import PROTOCOLS
        >>> PROTOCOLS["quick"].training
        'quick protocol: 5 epochs, batch 32, validation split 0.2, no early stopping'
        """
        c = self.classifier
        if c.get("early_stopping"):
            patience = f"patience {c['patience']}" if "patience" in c else "each model's patience"
            epochs = f"up to {c['epochs']} epochs, early stopping on val_loss ({patience})"
        else:
            epochs = f"{c['epochs']} epochs"
        parts = [epochs, f"batch {c['batch_size']}", f"validation split {c['validation_split']:g}"]
        if not c.get("early_stopping"):
            parts.append("no early stopping")
        return f"{self.name} protocol: " + ", ".join(parts)


PROTOCOLS = {
    "quick": Protocol(
        name="quick",
        n_samples=20_000,
        cv=0.2,
        classifier={
            "epochs": 5,
            "batch_size": 32,
            "early_stopping": False,
            "validation_split": 0.2,
            "metrics": ["accuracy"],
            "dtype_policy": "auto",
        },
        summary="quick: 20,000 stamp sets by default, one stratified 80/20 split as in the paper "
        "(12,800 training stamps after the validation split, 4,000 test), 5 epochs, batch 32, "
        "validation split 0.2, no early stopping (2 idle CPU cores: about 4 minutes in all)",
    ),
    "hour": Protocol(
        name="hour",
        n_samples=50_000,
        cv=0.2,
        classifier={
            "epochs": 40,
            "batch_size": 32,
            "early_stopping": True,
            "patience": 8,
            "validation_split": 0.2,
            "metrics": ["accuracy"],
            "dtype_policy": "auto",
        },
        summary="hour: 50,000 stamp sets by default, one stratified 80/20 split (32,000 "
        "training stamps after the validation split, 10,000 test), batch 32, up to 40 epochs, "
        "early stopping on val_loss (patience 8), validation split 0.2 (2 idle CPU cores: at "
        "most about 45 minutes)",
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
            "dtype_policy": "auto",
        },
        summary="paper: 100,000 stamp sets by default, one stratified 80/20 split, batch 200, "
        "up to 500 epochs, early stopping on val_loss (patience 30 DIA / 100 noDIA), "
        "validation split 0.2 (GPU)",
    ),
}


def precision_text(protocol: Protocol) -> str:
    """Say which dtype policy the protocol's classifiers will use on this machine, and why.

    Parameters
    ----------
    protocol : Protocol
        The protocol (its ``classifier["dtype_policy"]``, default None).

    Returns
    -------
    text : str

    Examples
    --------
    >>> from skrb.cli._protocols import PROTOCOLS, precision_text
    >>> precision_text(PROTOCOLS["quick"]).split()[0] in ("float32", "mixed_bfloat16")
    True
    """
    from skrb.models import resolve_dtype_policy

    policy, reason = resolve_dtype_policy(protocol.classifier.get("dtype_policy"))
    return f"{policy or 'float32'} ({reason})"


def paper_gap(result: Any, protocol: Protocol, data: str, overrides: dict[str, Any]) -> str:
    """One sentence on how far a comparison's training is from the paper's protocol.

    Parameters
    ----------
    result : ComparisonResult
        The comparison (its training-set sizes).
    protocol : Protocol
        The protocol used.
    data : str
        Where the stamps came from.
    overrides : dict
        Classifier parameters set on the command line (``epochs``, ``batch_size``).

    Returns
    -------
    text : str

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from skrb.cli._protocols import PROTOCOLS, paper_gap
    >>> result = SimpleNamespace(splits=[(np.arange(6000), np.arange(3000))])
    >>> print(paper_gap(result, PROTOCOLS["quick"], "9000 simulated stamp sets", {})[:59])
    4,800 training stamps per fit (7.5 % of the paper's 64,000)
    """
    params = {**protocol.classifier, **overrides}
    n_train = int(np.mean([len(train) for train, _ in result.splits]))
    n_fit = int(round(n_train * (1 - params.get("validation_split", 0.0))))
    stopping = (
        f"up to {params['epochs']} epochs with early stopping"
        if params.get("early_stopping")
        else f"{params['epochs']} epochs"
    )
    simulated = "simulated" in data
    return (
        f"{n_fit:,} training stamps per fit ({100 * n_fit / 64_000:.1f} % of the paper's 64,000), "
        f"{stopping} (paper: up to 500 with early stopping), batch {params['batch_size']} "
        f"(paper: 200), "
        + (
            "on skrb's simulated stamps (paper: DES autoScan stamps)."
            if simulated
            else f"on {data}."
        )
    )
