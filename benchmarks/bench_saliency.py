"""Benchmark skrb.explain: saliency throughput vs compiled inference, and SHAP on both CNNs.

Prints, for the paper's DIA network (the authors' checkpoint when ../shared/data is present,
else the same architecture with random weights, which costs the same):

- compiled inference rate (``predict_proba``) and vanilla gradient saliency rate, in stamp sets/s,
  and their ratio (target >= 1/4: a gradient costs one forward and one backward pass);
- SmoothGrad and Integrated Gradients rates (each costs ``n_samples``/``n_steps`` gradients);
- SHAP (GradientExplainer, ``--shap-samples`` draws per stamp) on the DIA and noDIA networks:
  seconds for 100 stamps with 50 background stamps, and its mean panel shares beside the
  vanilla-gradient ones;
- peak resident memory.

Usage: ``python benchmarks/bench_saliency.py [--quick] [--n N] [--batch-size B]``; batch 256 by
default, the explainers' default (with oneDNN on 2 cores: saliency 12 % faster than at 64).
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.pipeline import Pipeline

from skrb.datasets import make_stamps
from skrb.explain import (
    gradient_saliency,
    integrated_gradients,
    panel_shares,
    shap_values,
    smoothgrad,
)
from skrb.models import DIAClassifier, NoDIAClassifier, load_checkpoint
from skrb.preprocessing import StampScaler, StampStacker
from skrb.utils import onednn_enabled

SHARED_DATA = Path(
    os.environ.get(
        "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
)
CHECKPOINTS = SHARED_DATA / "checkpoints"
FILES = {"dia": "model_checkpoint_AAD_3s3DH.h5", "nodia": "model_checkpoint_CCC_3s2DH.h5"}
CLASSES = {"dia": DIAClassifier, "nodia": NoDIAClassifier}


@functools.cache
def classifier(model: str):
    """The authors' checkpoint, or the same network with random weights (read once)."""
    path = CHECKPOINTS / "acero_cuellar_2023" / FILES[model]
    if path.exists():
        return load_checkpoint(path, model), "authors' checkpoint"
    clf = CLASSES[model](random_state=0, verbose=0)
    shape = StampStacker(model).image_shape((51, 51))
    clf.initialize(np.zeros((2, *shape), dtype=np.float32), np.array([0, 1]))
    return clf, "random weights (checkpoint absent)"


def rate(fn, n: int, repeats: int) -> float:
    """Best-of-``repeats`` throughput of ``fn()`` (after one warm-up call), items/s."""
    fn()
    best = min(_timed(fn) for _ in range(repeats))
    return n / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--n", type=int, default=None, help="stamp sets for the rates")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shap-samples", type=int, default=50, help="GradientExplainer draws")
    args = parser.parse_args()
    n = args.n or (512 if args.quick else 2048)
    n_shap, n_background = (20, 10) if args.quick else (100, 50)

    X, y = make_stamps(max(n, n_shap + n_background), survey="des", random_state=0)
    scaled = StampScaler().transform(X)
    print(
        f"skrb.explain benchmark: {n} DES-preset simulated stamp sets (51x51), "
        f"batch {args.batch_size}, {os.cpu_count()} CPU(s), "
        f"oneDNN {'on' if onednn_enabled() else 'off'}"
    )

    clf, source = classifier("dia")
    images = StampStacker("dia").transform(scaled[:n])
    print(f"\nDIA network ({source}), images {images.shape[1:]}")
    infer = rate(lambda: clf.predict_proba(images), n, args.repeats)
    sal = rate(lambda: gradient_saliency(clf, images, batch_size=args.batch_size), n, args.repeats)
    print(f"  compiled inference     {infer:10.1f} stamp sets/s")
    print(
        f"  gradient saliency      {sal:10.1f} stamp sets/s   "
        f"ratio {sal / infer:.2f} (target >= 0.25: {'met' if sal >= infer / 4 else 'MISSED'})"
    )
    m = min(n, 128)
    sg = rate(lambda: smoothgrad(clf, images[:m], n_samples=10, random_state=0), m, 1)
    ig = rate(lambda: integrated_gradients(clf, images[:m], n_steps=20), m, 1)
    print(f"  SmoothGrad (10 draws)  {sg:10.1f} stamp sets/s")
    print(f"  Int. Gradients (20)    {ig:10.1f} stamp sets/s")

    print(
        f"\nSHAP (GradientExplainer, {args.shap_samples} samples) on {n_shap} stamps, "
        f"{n_background} background; mean panel shares vs vanilla gradients"
    )
    explain = X[:n_shap]
    background = X[n_shap : n_shap + n_background]
    for model in ("dia", "nodia"):
        net, source = classifier(model)
        pipe = Pipeline(
            [("scaler", StampScaler()), ("stacker", StampStacker(model)), ("classifier", net)]
        )
        start = time.perf_counter()
        values = shap_values(
            pipe, explain, background=background, n_samples=args.shap_samples, random_state=0
        )
        seconds = time.perf_counter() - start
        shap_shares, panels = panel_shares(values, return_panels=True)
        grad_shares = panel_shares(gradient_saliency(pipe, explain), panels=panels)
        print(f"  {model:5s} ({source}): {seconds:6.1f} s ({n_shap / seconds:.1f} stamp sets/s)")
        for j, panel in enumerate(panels):
            print(
                f"      {panel:10s}  SHAP {shap_shares[:, j].mean():6.1%}   "
                f"gradient {grad_shares[:, j].mean():6.1%}"
            )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
