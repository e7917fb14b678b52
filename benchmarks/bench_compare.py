"""Benchmark the main job: the cross-validated DIA vs noDIA comparison (what ``make demo`` runs).

Prints, for the ``quick`` protocol on simulated DES stamps (the demo's settings by default):

- wall-clock and CPU seconds of the whole comparison (simulation excluded), and their ratio
  (CPU / wall > 1 means TensorFlow used several cores; on a shared machine wall >> CPU / cores
  means contention);
- per model: mean fit seconds per fold, training throughput in stamp sets x epochs / s,
  scoring throughput in stamp sets / s, and the cross-validated accuracy and ROC AUC;
- the paired test of the accuracy difference, and peak resident memory.

Usage: ``python benchmarks/bench_compare.py [--quick] [--n-samples N] [--epochs E] [--cv K]``.
``--quick`` (600 stamp sets, 3 epochs, 2 folds) runs in about a minute on 2 idle cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _machine import cpu_seconds

from skrb.cli import PROTOCOLS, build_pipeline
from skrb.datasets import make_stamps
from skrb.model_selection import compare_models
from skrb.models import get_model_spec
from skrb.utils import onednn_enabled


def main() -> None:
    protocol = PROTOCOLS["quick"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 stamp sets, 3 epochs, 2 folds")
    parser.add_argument("--n-samples", type=int, default=protocol.n_samples)
    parser.add_argument("--epochs", type=int, default=protocol.classifier["epochs"])
    parser.add_argument("--cv", type=int, default=protocol.cv)
    args = parser.parse_args()
    if args.quick:
        args.n_samples, args.epochs, args.cv = 600, 3, 2

    X, y = make_stamps(args.n_samples, random_state=0)
    estimators = {
        get_model_spec(m).display_name: build_pipeline(
            m, protocol, random_state=0, epochs=args.epochs
        )
        for m in ("dia", "nodia")
    }
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = compare_models(estimators, X, y, cv=args.cv, random_state=0, progress=False)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu

    n_train = np.mean([len(tr) for tr, _ in result.splits])
    n_test = np.mean([len(te) for _, te in result.splits])
    fit_rows = n_train * (1 - protocol.classifier["validation_split"])
    print(
        f"compare: {args.n_samples} simulated DES stamp sets, {args.cv}-fold CV, "
        f"{args.epochs} epochs, batch {protocol.classifier['batch_size']}, "
        f"{os.cpu_count()} CPUs visible, oneDNN {'on' if onednn_enabled() else 'off'}"
    )
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s (CPU/wall {cpu / wall:.2f})")
    summary = result.summary()
    for k, name in enumerate(result.model_names):
        fit = np.mean(result.fit_times[name])
        score = np.mean(result.score_times[name])
        print(
            f"{name:6s} fit {fit:6.1f} s/fold, train {fit_rows * args.epochs / fit:7.1f} "
            f"stamp-epochs/s, score {n_test / score:7.1f} stamps/s, accuracy "
            f"{summary['accuracy_mean'][k]:.3f}, ROC AUC {summary['roc_auc_mean'][k]:.3f}"
        )
    test = result.paired_test(*result.model_names)
    print(
        f"accuracy difference {test['mean_difference']:+.3f} "
        f"(corrected t-test p {test['t_pvalue']:.3g}, McNemar p {test['mcnemar']['pvalue']:.3g})"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
