"""Study: does "there's no difference" hold on skrb's data? DIA/noDIA CNNs vs the transformers.

On one fixed simulated DES split (``make_stamps``, seeded), every model is trained on the same
training stamps and scored on the same test stamps:

1. the main table: the DIA CNN and the noDIA CNN of Acero-Cuellar et al. (2023) and the
   no-difference (search + template) and triplet (+ difference) transformers of Inada et al.
   (2026) at CPU-sized presets, with and without on-the-fly augmentation (``augment=True``):
   accuracy, ROC AUC, MDR at FPR 1 % and 3 %, training wall and CPU seconds, training and
   inference samples/s, parameters;
2. learning curves: accuracy of the DIA CNN, the noDIA CNN and the no-difference transformer
   over training-set sizes (the paper's claim: the difference image matters less as the
   training set grows);
3. robustness: the same trained models on test stamps whose candidates lie up to
   ``--jitter`` pixels off centre (``make_stamps(centring_jitter=...)``).

Every model trains with Adam (learning rate 1e-3 for the CNNs, 3e-4 for the transformers),
a fixed number of epochs, no early stopping and no validation split, so that the budget is the
same for all; the paper's CNNs trained with SGD for hundreds of epochs.

Usage: ``python benchmarks/bench_nodiff.py [--quick] [--n-train N] [--n-test N] [--epochs E]
[--presets tiny,small] [--sizes 2000,5000,20000] [--jitter 3] [--markdown FILE]``.
A model name may carry the suffixes ``+aug`` (random flips and 90-degree rotations on the fly)
and ``+jit`` (trained on stamp sets whose candidates lie up to ``--jitter`` pixels off centre,
e.g. ``--models nodiff-tiny+aug+jit``). ``--quick`` is the reduced study (small sizes, few
epochs) that a loaded 2-core machine runs in well under an hour.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _machine import cpu_description, cpu_seconds
from sklearn.metrics import roc_auc_score

import skrb
from skrb.datasets import make_stamps
from skrb.metrics import mdr_at_fpr


def make_model(name: str, epochs: int, seed: int, batch: int):
    """Return ``(pipeline, description)`` for a model name of the study."""
    common = dict(
        epochs=epochs,
        batch_size=batch,
        early_stopping=False,
        validation_split=0.0,
        random_state=seed,
        verbose=0,
    )
    augment = "+aug" in name
    base = name.split("+")[0]
    if base in ("dia", "nodia"):
        factory = skrb.make_dia_pipeline if base == "dia" else skrb.make_nodia_pipeline
        return factory(optimizer="adam", learning_rate=1e-3, augment=augment, **common)
    kind, preset = base.split("-")
    factory = skrb.make_nodiff_pipeline if kind == "nodiff" else skrb.make_triplet_pipeline
    return factory(preset=preset, augment=augment, **common)


def evaluate(model, X, y) -> dict[str, float]:
    start = time.perf_counter()
    proba = model.predict_proba(X)[:, 1]
    seconds = time.perf_counter() - start
    return {
        "accuracy": float(np.mean((proba >= 0.5) == y)),
        "auc": float(roc_auc_score(y, proba)),
        "mdr1": mdr_at_fpr(y, proba, 0.01),
        "mdr3": mdr_at_fpr(y, proba, 0.03),
        "infer_per_s": len(X) / seconds,
    }


def train(name, X, y, epochs, seed, batch):
    model = make_model(name, epochs, seed, batch)
    wall, cpu = time.perf_counter(), cpu_seconds()
    model.fit(X, y)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    n_params = model[-1].model_.count_params()
    return model, {"fit_s": wall, "fit_cpu_s": cpu, "train_per_s": len(X) * epochs / wall,
                   "params": n_params}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the reduced study")
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-test", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--presets", default="tiny,small")
    parser.add_argument("--sizes", default="2000,5000,20000")
    parser.add_argument("--jitter", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--models", default="", help="comma-separated subset of the main table's models"
    )
    parser.add_argument(
        "--curve-models", default="", help="comma-separated models of the learning curves"
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables here (reST)")
    args = parser.parse_args()
    if args.quick:
        args.n_train, args.n_test, args.epochs = 2000, 1000, 5
        args.presets, args.sizes = "tiny", "500,1000,2000"
    presets = [p for p in args.presets.split(",") if p]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"CPU: {cpu_description()}")
    print(
        f"split: make_stamps(des, seed {args.seed}): {args.n_train} train / {args.n_test} test; "
        f"{args.epochs} epochs, batch {args.batch_size}; load average at start "
        f"{os.getloadavg()[0]:.1f} (wall times depend on it: read the CPU seconds too)"
    )
    X, y = make_stamps(args.n_train + args.n_test, survey="des", random_state=args.seed)
    Xtr, ytr, Xte, yte = X[: args.n_train], y[: args.n_train], X[args.n_train :], y[args.n_train :]
    Xj, yj = make_stamps(
        args.n_test, survey="des", random_state=args.seed + 1, centring_jitter=args.jitter
    )
    names = ["dia", "nodia", "dia+aug", "nodia+aug"]
    for preset in presets:
        names += [f"nodiff-{preset}", f"nodiff-{preset}+aug", f"triplet-{preset}"]
    if args.models:
        names = [n for n in args.models.split(",") if n]
    rows, trained = [], {}
    header = (
        f"{'model':20s} {'acc':>6s} {'AUC':>6s} {'MDR@1%':>7s} {'MDR@3%':>7s} "
        f"{'jit acc':>7s} {'fit s':>7s} {'CPU s':>7s} {'train/s':>8s} {'infer/s':>8s} "
        f"{'params':>10s}"
    )
    print("== main table (jit acc: accuracy on candidates up to "
          f"{args.jitter} px off centre)")  # fmt: skip
    print(header)
    Xtr_jit = None
    for name in names:
        if "+jit" in name and Xtr_jit is None:
            # The same number of training stamp sets, candidates up to --jitter px off centre
            # (a different simulation seed: jitter changes every cut-out).
            Xtr_jit, ytr_jit = make_stamps(
                args.n_train, survey="des", random_state=args.seed + 2,
                centring_jitter=args.jitter,
            )  # fmt: skip
        X_fit, y_fit = (Xtr_jit, ytr_jit) if "+jit" in name else (Xtr, ytr)
        model, fit = train(name, X_fit, y_fit, args.epochs, args.seed, args.batch_size)
        scores = evaluate(model, Xte, yte)
        scores["jitter_accuracy"] = evaluate(model, Xj, yj)["accuracy"]
        row = {"model": name, **fit, **scores}
        rows.append(row)
        trained[name] = model
        print(
            f"{name:20s} {row['accuracy']:6.3f} {row['auc']:6.3f} {row['mdr1']:7.3f} "
            f"{row['mdr3']:7.3f} {row['jitter_accuracy']:7.3f} {row['fit_s']:7.0f} "
            f"{row['fit_cpu_s']:7.0f} {row['train_per_s']:8.0f} {row['infer_per_s']:8.0f} "
            f"{row['params']:10,d}",
            flush=True,
        )
    best_nodiff = max(
        (r for r in rows if r["model"].startswith(("nodiff", "nodia"))),
        key=lambda r: r["accuracy"],
        default=None,
    )
    dia = next((r for r in rows if r["model"] == "dia"), None)
    gap = None
    if best_nodiff and dia:
        gap = 100 * (dia["accuracy"] - best_nodiff["accuracy"])
        print(
            f"moonshot: best no-difference model {best_nodiff['model']} "
            f"{best_nodiff['accuracy']:.3f} vs DIA CNN {dia['accuracy']:.3f}: "
            f"{gap:+.1f} accuracy points ({'within' if gap <= 1 else 'outside'} 1 point)"
        )
    curve_models = ["dia", "nodia", f"nodiff-{presets[0]}"] if presets else ["dia", "nodia"]
    if args.curve_models:
        curve_models = [n for n in args.curve_models.split(",") if n]
    print(f"== learning curves: test accuracy by training-set size ({args.epochs} epochs)")
    print(f"{'model':20s} " + " ".join(f"{n:>7d}" for n in sizes))
    curves = {}
    for name in curve_models:
        accs = []
        for n in sizes:
            if n == args.n_train and name in trained:
                accs.append(next(r["accuracy"] for r in rows if r["model"] == name))
                continue
            model, _ = train(name, Xtr[:n], ytr[:n], args.epochs, args.seed, args.batch_size)
            accs.append(evaluate(model, Xte, yte)["accuracy"])
        curves[name] = accs
        print(f"{name:20s} " + " ".join(f"{a:7.3f}" for a in accs), flush=True)
    if args.markdown:
        write_table(args, rows, curves, sizes, gap, best_nodiff)


def write_table(args, rows, curves, sizes, gap, best) -> None:
    """Write the study's tables as reST list-tables (included by the user guide)."""
    lines = [
        f".. Generated by benchmarks/bench_nodiff.py {'--quick ' if args.quick else ''}"
        f"(seed {args.seed}).",
        "",
        ".. list-table:: "
        f"{args.n_train} train / {args.n_test} test simulated DES stamp sets,"
        f" {args.epochs} epochs",
        "   :header-rows: 1",
        "",
        "   * - model",
        "     - accuracy",
        "     - ROC AUC",
        "     - MDR at FPR 1 %",
        "     - MDR at FPR 3 %",
        f"     - accuracy, up to {args.jitter} px off centre",
        "     - training (s, wall / CPU)",
        "     - inference (samples/s)",
        "     - parameters",
    ]
    for r in rows:
        lines += [
            f"   * - {r['model']}",
            f"     - {r['accuracy']:.3f}",
            f"     - {r['auc']:.3f}",
            f"     - {r['mdr1']:.3f}",
            f"     - {r['mdr3']:.3f}",
            f"     - {r['jitter_accuracy']:.3f}",
            f"     - {r['fit_s']:.0f} / {r['fit_cpu_s']:.0f}",
            f"     - {r['infer_per_s']:.0f}",
            f"     - {r['params']:,d}",
        ]
    lines += ["", ".. list-table:: Test accuracy by training-set size", "   :header-rows: 1", ""]
    lines += ["   * - model"] + [f"     - {n}" for n in sizes]
    for name, accs in curves.items():
        lines += [f"   * - {name}"] + [f"     - {a:.3f}" for a in accs]
    if gap is not None:
        lines += [
            "",
            f"Best no-difference model: ``{best['model']}``, {gap:+.1f} accuracy points behind "
            "the DIA CNN (negative: ahead of it).",
        ]
    lines.append("")
    args.markdown.write_text("\n".join(lines))
    print(f"tables written to {args.markdown}")


if __name__ == "__main__":
    main()
