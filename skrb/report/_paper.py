"""The published numbers skrb's reports are set beside: Acero-Cuellar et al. (2023).

Everything the reports quote from the paper lives here, once: the two CNNs' confusion matrices
on the 20,000 DES autoScan test stamps (accuracy, MDR and FPR are derived from them), the noDIA
ROC AUC (the paper gives none for the DIA model), the share of stamps won by each panel per
outcome (true > predicted), and the training protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PAPER", "PAPER_CITATION", "PAPER_PROTOCOL", "PaperModel"]

PAPER_CITATION = "Acero-Cuellar, Bianco, Dobler, Sako & Qu (2023, AJ), DES autoScan stamps"

PAPER_PROTOCOL = (
    "100,000 DES autoScan stamp sets (51x51), one stratified 80/20 split (20,000 test), "
    "Keras validation_split 0.2, SGD (learning rate 0.01), batch 200, up to 500 epochs with "
    "early stopping on val_loss (patience 30 DIA, 100 noDIA), best checkpoint kept"
)
PAPER_TRAINING_SETS = 64_000  # 80,000 training stamps less the 20 % validation split


@dataclass(frozen=True)
class PaperModel:
    """One CNN's results in the paper.

    Attributes
    ----------
    name : str
        ``"DIA"`` or ``"noDIA"``.
    confusion_matrix : tuple
        ``((TP, FN), (FP, TN))`` on the 20,000 test stamps: rows true real / bogus, columns
        predicted real / bogus (positive class = real).
    roc_auc : float or None
        ROC AUC, where the paper gives it.
    panels : tuple of str
        The panels of the input, in the order of ``winners``.
    winners : dict of str to tuple of float
        Per outcome (``"real > real"``...), the percentage of stamps each panel won (holds the
        largest share of the saliency ``|gradient|``).

    Examples
    --------
    >>> from skrb.report import PAPER
    >>> round(PAPER["DIA"].accuracy, 3), round(PAPER["noDIA"].mdr, 3)
    (0.959, 0.091)
    """

    name: str
    confusion_matrix: tuple[tuple[int, int], tuple[int, int]]
    roc_auc: float | None
    panels: tuple[str, ...]
    winners: dict[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Fraction of test stamps classified correctly at P(real) >= 0.5."""
        (tp, fn), (fp, tn) = self.confusion_matrix
        return (tp + tn) / (tp + fn + fp + tn)

    @property
    def mdr(self) -> float:
        """Missed detection rate: real called bogus / all real."""
        (tp, fn), _ = self.confusion_matrix
        return fn / (tp + fn)

    @property
    def fpr(self) -> float:
        """False positive rate: bogus called real / all bogus."""
        _, (fp, tn) = self.confusion_matrix
        return fp / (fp + tn)

    def metric(self, name: str) -> float | None:
        """Return ``accuracy``, ``mdr``, ``fpr`` or ``roc_auc`` by name (None if not given)."""
        return getattr(self, name, None)

    def winner(self, outcome: str) -> str:
        """Return the panel that won most stamps of ``outcome`` in the paper."""
        shares = self.winners[outcome]
        return self.panels[max(range(len(shares)), key=shares.__getitem__)]


PAPER = {
    "DIA": PaperModel(
        name="DIA",
        confusion_matrix=((9564, 514), (306, 9616)),
        roc_auc=None,
        panels=("difference", "search", "template"),
        winners={
            "real > real": (90, 9, 1),
            "real > bogus": (86, 7, 7),
            "bogus > real": (95, 3, 2),
            "bogus > bogus": (61, 12, 27),
        },
    ),
    "noDIA": PaperModel(
        name="noDIA",
        confusion_matrix=((9163, 915), (775, 9147)),
        roc_auc=0.973,
        panels=("search", "template"),
        winners={
            "real > real": (32, 68),
            "real > bogus": (24, 76),
            "bogus > real": (34, 66),
            "bogus > bogus": (24, 76),
        },
    ),
}
"""The paper's results by model name, as skrb's command line names the models."""
