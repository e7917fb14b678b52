"""Reports of model comparisons: metrics JSON/CSV, figures and a Markdown + HTML page."""

from skrb.report._document import Document
from skrb.report._figures import plot_confusion_matrices, plot_learning_curves, plot_roc_curves
from skrb.report._paper import PAPER, PAPER_CITATION, PAPER_PROTOCOL, PaperModel
from skrb.report._saliency import SaliencySection, example_indices, unread_pixels
from skrb.report._summary import format_comparison
from skrb.report._tables import write_csv
from skrb.report._writer import check_report_directory, write_report

__all__ = [
    "PAPER",
    "PAPER_CITATION",
    "PAPER_PROTOCOL",
    "Document",
    "PaperModel",
    "SaliencySection",
    "check_report_directory",
    "example_indices",
    "format_comparison",
    "plot_confusion_matrices",
    "plot_learning_curves",
    "plot_roc_curves",
    "unread_pixels",
    "write_csv",
    "write_report",
]
