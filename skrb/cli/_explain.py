"""``skrb explain``: saliency figures and the per-panel table for a saved model."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np

from skrb.cli._data import add_data_arguments, load_dataset
from skrb.cli._errors import CLIError
from skrb.cli._models import load_model
from skrb.cli._options import add_command, positive_int, probability
from skrb.cli._resize import add_resize_arguments, fit_model_to_alerts
from skrb.cli._score import add_model_arguments
from skrb.utils import atomic_directory, check_output_path

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = ["add_parser", "run"]

_DEFAULT_N_SAMPLES = 200  # simulated stamp sets explained when no data are given

DESCRIPTION = """\
Explain a saved model (or a published checkpoint) with vanilla gradient saliency, the paper's
method: writes panel_shares.csv (per stamp set: P(real), each panel's share of |gradient| and the
winning panel), outcome_table.csv and panel_shares.png (stamps won by each panel per outcome
true > predicted, when labels exist; otherwise per predicted class) and saliency.png (example
stamps beside their saliency maps).
"""

EPILOG = """\
examples:
  skrb explain --model-file dia.skrb --stamps test.npz -o explain_dia
  skrb explain --checkpoint data/checkpoints/braai_d6_m7 --model braai --alerts data/ztf_alerts \\
      --label 'drb>=0.5' -o explain_braai
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``skrb explain``."""
    parser = add_command(
        subparsers,
        "explain",
        help="saliency figures and panel table for a saved model",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    add_model_arguments(parser)
    add_data_arguments(parser, n_samples_default=str(_DEFAULT_N_SAMPLES))
    add_resize_arguments(parser, data=True)
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--n-examples",
        type=positive_int,
        default=8,
        metavar="N",
        help="stamps in saliency.png (default 8): the first N, or N/4 per outcome when the "
        "data have labels",
    )
    parser.add_argument(
        "--threshold", type=probability, default=0.5, help="P(real) threshold (default 0.5)"
    )
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED", help="default 0")
    parser.set_defaults(run=run)
    return parser


def _by_prediction(winners: np.ndarray, y_pred: np.ndarray, panels: tuple[str, ...]) -> Table:
    from astropy.table import Table

    rows = []
    for label, name in ((1, "predicted real"), (0, "predicted bogus")):
        mask = y_pred == label
        fractions = [float(np.mean(winners[mask] == p)) if mask.any() else np.nan for p in panels]
        rows.append((name, int(mask.sum()), *fractions))
    return Table(rows=rows, names=("outcome", "n", *panels))


def _model_panels(estimator: Any) -> tuple[str, ...] | None:
    """Return the panels the pipeline's stacker feeds its model, in skrb.PANELS order."""
    from skrb import PANELS
    from skrb.preprocessing import StampStacker

    stackers = [s for _, s in getattr(estimator, "steps", []) if isinstance(s, StampStacker)]
    if len(stackers) != 1:
        return None
    used = stackers[0].panel_slices((1, 1))
    return tuple(p for p in PANELS if p in used)


def run(args: argparse.Namespace) -> int:
    """Run ``skrb explain``."""
    from astropy.table import Table

    from skrb.explain import (
        outcome_table,
        panel_shares,
        plot_outcome_shares,
        plot_saliency,
        saliency_and_p_real,
        winning_panel,
    )
    from skrb.report import example_indices, write_csv

    out = check_output_path(
        args.output,
        kind="directory",
        replaceable=lambda path: (path / "panel_shares.csv").is_file(),
        what="--output",
    )
    estimator = load_model(
        model_file=args.model_file,
        checkpoint=args.checkpoint,
        model=args.model,
        allow_pickle=args.allow_pickle,
    )
    if args.alerts is not None:
        estimator, options = fit_model_to_alerts(
            estimator, args.alerts, stamp_size=args.stamp_size, resize=args.resize
        )
        data = load_dataset(
            args, default_n_samples=_DEFAULT_N_SAMPLES, need_labels=False, **options
        )
    else:
        if args.resize is not None:
            raise CLIError("--resize applies to --alerts.")
        data = load_dataset(args, default_n_samples=_DEFAULT_N_SAMPLES, need_labels=False)
    saliency, p_real = saliency_and_p_real(estimator, data.X)  # one pass for both
    y_pred = (p_real >= args.threshold).astype(int)
    # the model's own panels, so that the columns stay the same even when a panel is masked
    # in every stamp set given (its shares are then NaN)
    shares, panels = panel_shares(saliency, panels=_model_panels(estimator), return_panels=True)
    winners = winning_panel(shares, panels)
    table = Table()
    id_column = next(
        (c for c in ("candid", "diaSourceId") if data.meta is not None and c in data.meta.colnames),
        None,
    )
    if id_column is not None:
        table[id_column] = data.meta[id_column]
    else:
        table["index"] = np.arange(len(data.X))
    if data.y is not None:
        table["label"] = data.y
    table["p_real"] = p_real
    for j, p in enumerate(panels):
        table[f"share_{p}"] = shares[:, j]
    table["winner"] = winners
    if data.y is not None:
        outcomes = outcome_table(shares, data.y, y_pred, panels=panels)
    else:
        outcomes = _by_prediction(winners, y_pred, panels)
    fig = plot_saliency(
        data.X,
        saliency,
        indices=(
            list(range(min(args.n_examples, len(data.X))))
            if data.y is None
            else example_indices(data.y, y_pred, max(1, args.n_examples // 4))
        ),
        y_true=data.y if data.y is not None else y_pred,
        y_pred=y_pred,
    )
    with atomic_directory(out) as part:  # the folder is complete or untouched
        write_csv(table, part / "panel_shares.csv")
        write_csv(outcomes, part / "outcome_table.csv")
        plot_outcome_shares(outcomes).savefig(part / "panel_shares.png", dpi=110)
        fig.savefig(part / "saliency.png", dpi=90)
    print(f"explained {len(data.X)} stamp sets ({data.description})")
    shown = outcomes.copy()
    for p in panels:  # NaN = an outcome without stamps
        shown[p].format = lambda v: "n/a" if v is np.ma.masked or np.isnan(v) else f"{100 * v:.1f}%"
    print("\n".join(shown.pformat(max_width=-1, max_lines=-1)))
    print(f"wrote {out}/: panel_shares.csv, outcome_table.csv, panel_shares.png, saliency.png")
    return 0
