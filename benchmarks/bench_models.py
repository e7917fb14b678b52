"""Benchmark skrb's CNN classifiers against the same networks run with bare Keras.

For the DIA and noDIA models, on the same simulated DES-like stamp sets (scaled and stacked
once), it prints

- fit samples/s of ``DIAClassifier`` / ``NoDIAClassifier`` vs the same network built, compiled
  and trained with bare Keras (same optimiser, batch size, epochs, validation split); target
  ratio >= 0.95;
- ``predict_proba`` samples/s vs bare ``model.predict`` (Keras' default batch of 32); target
  ratio >= 1.5;
- held-out accuracy after the timed fit, and peak resident memory of the process.

Each measurement alternates the two contenders and keeps the best of ``--repeats`` runs, so
that a busy machine penalises both alike; rates are given per wall-clock second and per
CPU-second of the process (the steadier figure on a shared machine). Run
``python benchmarks/bench_models.py --quick`` for a run of about a minute on 2 cores.

``--dtype-policy mixed_bfloat16`` (or ``auto``) also times skrb's classifiers in that policy
against float32 (fit and predict samples per CPU-second, held-out accuracy): the measurement
behind ``dtype_policy="auto"``, which picks bfloat16 only where it was faster.

Both contenders run in this process, with TensorFlow's oneDNN kernels on (``import skrb``
asks for them); ``TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/bench_models.py`` measures both
without.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import skrb  # noqa: E402, F401, I001  (first: it asks TensorFlow for oneDNN before its import)
import keras  # noqa: E402
import numpy as np  # noqa: E402

from skrb.datasets import make_stamps  # noqa: E402
from skrb.models import ARCHITECTURES, DIAClassifier, NoDIAClassifier, build_stamp_cnn  # noqa: E402
from skrb.models import auto_dtype_policy  # noqa: E402
from skrb.preprocessing import StampScaler, StampStacker  # noqa: E402
from skrb.utils import onednn_enabled  # noqa: E402
from _machine import cpu_description  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeats: int, *fns):
    """Run the functions alternately ``repeats`` times.

    Returns each one's best wall time, best process CPU time and last result. On a shared
    machine the CPU time is the steadier measure of the work done.
    """
    wall = [np.inf] * len(fns)
    cpu = [np.inf] * len(fns)
    results = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            w0, c0 = time.perf_counter(), time.process_time()
            results[i] = fn()
            wall[i] = min(wall[i], time.perf_counter() - w0)
            cpu[i] = min(cpu[i], time.process_time() - c0)
    return wall, cpu, results


def rates(n, wall, cpu):
    return f"{n / wall:7.0f} samples/s ({n / cpu:7.0f} per CPU-s)"


def bench(cls, name, X, y, X_test, y_test, args):
    params = dict(epochs=args.epochs, verbose=0, batch_size=args.batch_size, random_state=0)
    clf = cls(**params)

    def fit_skrb():
        return clf.fit(X, y)

    def fit_keras():
        keras.utils.set_random_seed(0)
        model = build_stamp_cnn(X.shape[1:], **ARCHITECTURES[cls.layout])
        model.compile(  # the classifier's optimiser (the paper's SGD) and learning rate
            optimizer=keras.optimizers.get(
                {"class_name": clf.optimizer, "config": {"learning_rate": clf.learning_rate}}
            ),
            loss="sparse_categorical_crossentropy",
        )
        model.fit(
            X,
            y,
            batch_size=args.batch_size,
            epochs=args.epochs,
            validation_split=clf.validation_split,
            shuffle=True,
            verbose=0,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=clf.patience, restore_best_weights=True
                )
            ],
        )
        return model

    n_train = len(X) * args.epochs
    wall, cpu, (_, model) = best_of(args.repeats, fit_skrb, fit_keras)
    fit_ratio = (wall[1] / wall[0], cpu[1] / cpu[0])
    print(
        f"{name:6s} fit     skrb {rates(n_train, wall[0], cpu[0])} | bare Keras "
        f"{rates(n_train, wall[1], cpu[1])} | ratio {fit_ratio[0]:.2f} wall, "
        f"{fit_ratio[1]:.2f} CPU (target >= 0.95)"
    )

    clf.predict_proba(X_test[:8])  # trace once, as model.predict does on its first call
    model.predict(X_test[:8], verbose=0)
    wall, cpu, _ = best_of(
        args.repeats,
        lambda: clf.predict_proba(X_test),
        lambda: clf.model_.predict(X_test, verbose=0),
    )
    n = len(X_test)
    predict_ratio = (wall[1] / wall[0], cpu[1] / cpu[0])
    print(
        f"{name:6s} predict skrb {rates(n, wall[0], cpu[0])} | model.predict "
        f"{rates(n, wall[1], cpu[1])} | ratio {predict_ratio[0]:.2f} wall, "
        f"{predict_ratio[1]:.2f} CPU (target >= 1.5)"
    )
    accuracy = clf.score(X_test, y_test)
    print(f"{name:6s} held-out accuracy after {args.epochs} epoch(s): {accuracy:.3f}")
    return fit_ratio, predict_ratio


def bench_dtype(cls, name, X, y, X_test, y_test, args):
    """Time float32 against ``args.dtype_policy`` for one classifier, alternately."""
    params = dict(epochs=args.epochs, verbose=0, batch_size=args.batch_size, random_state=0)
    clfs = [cls(**params), cls(dtype_policy=args.dtype_policy, **params)]
    wall, cpu, _ = best_of(args.repeats, *(lambda c=c: c.fit(X, y) for c in clfs))
    n_train = len(X) * args.epochs
    policy = clfs[1].dtype_policy_
    print(
        f"{name:6s} fit     float32 {rates(n_train, wall[0], cpu[0])} | {policy} "
        f"{rates(n_train, wall[1], cpu[1])} | speed-up {cpu[0] / cpu[1]:.2f} per CPU-s"
    )
    for c in clfs:
        c.predict_proba(X_test[:8])
    wall, cpu, _ = best_of(args.repeats, *(lambda c=c: c.predict_proba(X_test) for c in clfs))
    print(
        f"{name:6s} predict float32 {rates(len(X_test), wall[0], cpu[0])} | {policy} "
        f"{rates(len(X_test), wall[1], cpu[1])} | speed-up {cpu[0] / cpu[1]:.2f} per CPU-s"
    )
    accuracy = ", ".join(f"{c.dtype_policy_} {c.score(X_test, y_test):.3f}" for c in clfs)
    print(f"{name:6s} held-out accuracy: {accuracy}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small run (about 1 minute on 2 idle cores)"
    )
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--dtype-policy",
        help="also time skrb's classifiers in this Keras dtype policy (or 'auto') vs float32",
    )
    args = parser.parse_args(argv)
    if args.quick:  # large enough that per-call overheads do not dominate either contender
        args.n_train, args.n_test, args.epochs, args.repeats = 2000, 4000, 2, 2

    t0 = time.perf_counter()
    X, y = make_stamps(args.n_train + args.n_test, survey="des", random_state=0)
    X = StampScaler("acero2023").transform(X)
    print(
        f"data: {args.n_train} train + {args.n_test} test simulated 51x51 DES stamp sets "
        f"({time.perf_counter() - t0:.1f} s to simulate and scale); epochs={args.epochs}, "
        f"batch={args.batch_size}, repeats={args.repeats}, CPUs={os.cpu_count()}, "
        f"keras {keras.__version__}, oneDNN {'on' if onednn_enabled() else 'off'} for both"
    )
    choice = auto_dtype_policy()
    print(f"CPU: {cpu_description()}; dtype_policy='auto' -> {choice.policy} ({choice.reason})")
    for cls, name in ((DIAClassifier, "DIA"), (NoDIAClassifier, "noDIA")):
        images = StampStacker(cls.layout).transform(X)
        if args.dtype_policy:
            bench_dtype(
                cls,
                name,
                images[: args.n_train],
                y[: args.n_train],
                images[args.n_train :],
                y[args.n_train :],
                args,
            )
        bench(
            cls,
            name,
            images[: args.n_train],
            y[: args.n_train],
            images[args.n_train :],
            y[args.n_train :],
            args,
        )
    print(f"peak resident memory: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
