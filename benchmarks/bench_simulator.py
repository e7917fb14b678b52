"""Benchmark of the stamp-set simulator: speed, realism (braai) and the paper's DIA vs noDIA gap.

Prints, so that runs can be compared:

1. simulation speed (stamp sets per second) and peak memory, DES and ZTF presets;
2. realism: ROC AUC of braai d6_m7 (ZTF's CNN, trained only on real ZTF data) on simulated
   ZTF stamps against the simulator's labels, with its mean score per artifact family, and of
   the authors' DIA and noDIA checkpoints (trained only on real DES stamps) on simulated DES
   stamps (needs ../shared/data/checkpoints, or SKRB_SHARED_DATA);
3. the paper's finding on DES-preset data: accuracy, ROC AUC, MDR and FPR of the DIA CNN and
   of the noDIA CNN trained on the same stamps (the DIA CNN should win, both well above chance
   and below perfect).

Usage: ``python benchmarks/bench_simulator.py [--quick] [--n-train N] [--epochs E]``.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.metrics import roc_auc_score

import skrb
from skrb.datasets import make_stamps
from skrb.metrics import false_positive_rate, missed_detection_rate

SHARED = Path(
    os.environ.get(
        "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


def bench_speed(n: int, seed: int) -> None:
    print(f"== simulation speed ({n} stamp sets per preset, one process)")
    for survey in ("des", "ztf"):
        tracemalloc.start()
        X, _ = make_stamps(n // 10, survey=survey, random_state=seed)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        wall, cpu = time.perf_counter(), time.process_time()
        X, _ = make_stamps(n, survey=survey, random_state=seed)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{survey}: {X.shape[0]} x {X.shape[1:]} in {wall:.2f} s wall, {cpu:.2f} s CPU = "
            f"{n / wall:,.0f} stamp sets/s; peak memory of {n // 10}: {peak / 2**20:.0f} MiB "
            f"(batches of 256, so it does not grow with n beyond the output, "
            f"{X.nbytes / 2**20:.0f} MiB for {n})"
        )


def bench_braai(n: int, seed: int) -> None:
    print(f"== realism: braai d6_m7 on {n} simulated ZTF stamp sets")
    checkpoint = SHARED / "checkpoints" / "braai_d6_m7"
    if not checkpoint.exists():
        print(f"skipped: {checkpoint} is absent (set SKRB_SHARED_DATA)")
        return
    X, y, meta = make_stamps(n, survey="ztf", random_state=seed, return_meta=True)
    braai = skrb.make_braai_pipeline(checkpoint=checkpoint)
    score = braai.predict_proba(X)[:, 1]
    print(f"braai ROC AUC vs simulator labels: {roc_auc_score(y, score):.3f} (bar: >= 0.85)")
    for family in np.unique(meta["artifact"]):
        sel = np.asarray(meta["artifact"] == family)
        label = "real" if family == "none" else family
        print(f"  {label:16s} n={sel.sum():4d}  mean P(real) {score[sel].mean():.3f}")


def bench_authors_models(n: int, seed: int) -> None:
    print(
        f"== realism: the authors' DES-trained DIA and noDIA CNNs on {n} simulated DES stamp sets"
    )
    folder = SHARED / "checkpoints" / "acero_cuellar_2023"
    if not folder.exists():
        print(f"skipped: {folder} is absent (set SKRB_SHARED_DATA)")
        return
    X, y = make_stamps(n, survey="des", random_state=seed)
    factories = {"dia": skrb.make_dia_pipeline, "nodia": skrb.make_nodia_pipeline}
    for layout, name in (("dia", "AAD_3s3DH"), ("nodia", "CCC_3s2DH")):
        model = factories[layout](checkpoint=folder / f"model_checkpoint_{name}.h5")
        proba = model.predict_proba(X)[:, 1]
        print(
            f"{layout:5s}: ROC AUC {roc_auc_score(y, proba):.3f}  "
            f"accuracy {np.mean((proba >= 0.5) == y):.3f}  (paper, real DES test set: "
            f"{'0.959' if layout == 'dia' else '0.9155'})"
        )


def bench_dia_vs_nodia(n_train: int, n_test: int, epochs: int, batch: int, seed: int) -> None:
    print(
        f"== DIA vs noDIA CNN on DES-preset stamps: {n_train} train / {n_test} test, "
        f"{epochs} epochs, batch {batch}, SGD lr 0.01, acero2023 scaling"
    )
    X, y, meta = make_stamps(n_train + n_test, survey="des", random_state=seed, return_meta=True)
    family = np.asarray(meta["artifact"][n_train:])
    accuracy = {}
    factories = {"dia": skrb.make_dia_pipeline, "nodia": skrb.make_nodia_pipeline}
    for name, factory in factories.items():
        model = factory(
            epochs=epochs,
            batch_size=batch,
            early_stopping=False,
            validation_split=0.0,
            random_state=seed,
            verbose=0,
        )
        start = time.perf_counter()
        model.fit(X[:n_train], y[:n_train])
        fit_time = time.perf_counter() - start
        proba = model.predict_proba(X[n_train:])[:, 1]
        truth, pred = y[n_train:], (proba >= 0.5).astype(int)
        accuracy[name] = acc = float(np.mean(pred == truth))
        mdr = missed_detection_rate(truth, pred)
        fpr = false_positive_rate(truth, pred)
        print(
            f"{name:5s}: accuracy {acc:.3f}  ROC AUC {roc_auc_score(truth, proba):.3f}  "
            f"MDR {mdr:.3f}  FPR {fpr:.3f}  (fit {fit_time:.0f} s, "
            f"{n_train * epochs / fit_time:.0f} samples/s)"
        )
        per = "  ".join(
            f"{f if f != 'none' else 'real'} {np.mean(pred[family == f] == truth[family == f]):.2f}"
            for f in np.unique(family)
        )
        print(f"       accuracy per family: {per}")
    holds = accuracy["dia"] > accuracy["nodia"] and all(0.6 < a < 0.995 for a in accuracy.values())
    print(
        f"paper's finding (DIA > noDIA, both well above chance, neither perfect): "
        f"{'holds' if holds else 'DOES NOT HOLD'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.n_train, args.n_test, args.epochs = 800, 400, 3
    n_speed, n_braai = (2000, 500) if args.quick else (10000, 2000)
    print(f"(CPUs available: {os.cpu_count()}; timings depend on load)")
    bench_speed(n_speed, args.seed)
    bench_braai(n_braai, args.seed + 1)
    bench_authors_models(n_braai, args.seed + 3)
    bench_dia_vs_nodia(args.n_train, args.n_test, args.epochs, args.batch_size, args.seed + 2)


if __name__ == "__main__":
    main()
