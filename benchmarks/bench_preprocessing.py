"""Throughput of StampScaler and StampStacker on DES-size (51x51) stamp sets.

Prints stamp sets/s (wall clock, best of ``--repeat`` passes), CPU time per stamp set (less
sensitive to other jobs on the machine), and the peak memory numpy allocated during a pass, for
every scaling method, every layout, and the paper's preprocessing ("acero2023" + "dia"), the
figure with a target: >= 50,000 stamp sets/s on 2 cores.

The stamp sets are processed in batches of ``--batch-size`` (as a pipeline streaming alerts or
feeding a CNN would), drawn from one pool of simulated stamp sets so that 100,000 of them do not
need 3 GB of input at once. ``--batch-size 100000`` times a single call on all of them.

Run: ``python benchmarks/bench_preprocessing.py`` (100,000 stamp sets, about a minute on 2
cores) or ``--quick`` (10,000).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from collections.abc import Callable

import numba
import numpy as np

from skrb.preprocessing import LAYOUTS, SCALING_METHODS, StampScaler, StampStacker

TARGET = 50_000  # stamp sets/s for "acero2023" + "dia" on 2 cores


def simulate_pool(n: int, side: int = 51, seed: int = 0) -> np.ndarray:
    """DES-like stamp sets: sky + noise, a point source, a hot pixel, a few masked pixels."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.0, size=(n, 3, side, side)).astype(np.float32)
    X *= rng.uniform(5.0, 30.0, size=(n, 3, 1, 1)).astype(np.float32)
    X[:, :2] += rng.uniform(100.0, 2000.0, size=(n, 2, 1, 1)).astype(np.float32)
    yy, xx = np.mgrid[:side, :side] - side // 2
    psf = np.exp(-(xx**2 + yy**2) / (2 * 1.5**2)).astype(np.float32)
    X += rng.uniform(0.0, 3000.0, size=(n, 3, 1, 1)).astype(np.float32) * psf
    X[:, :, 3, 7] += 5e4
    X[:: max(n // 100, 1), 0, :, :4] = np.nan  # 1 % of stamp sets with a masked chip edge
    return X


def measure(
    step: Callable[[np.ndarray], np.ndarray], pool: np.ndarray, n: int, batch: int, repeat: int
) -> tuple[float, float, float]:
    """Best stamp sets/s, CPU us per stamp set and numpy peak MiB of ``step`` over ``n``."""
    step(pool[:2])  # compiled kernels load from the cache once
    best_wall, best_cpu, peak = np.inf, np.inf, 0
    for _ in range(repeat):
        tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        for start in range(0, n, batch):
            offset = start % len(pool)
            step(pool[offset : offset + min(batch, n - start)])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return n / best_wall, best_cpu / n * 1e6, peak / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=int, default=100_000, help="stamp sets per pass")
    parser.add_argument("--batch-size", type=int, default=10_000, help="stamp sets per call")
    parser.add_argument(
        "--stream-batch-size",
        type=int,
        default=1_000,
        help="batch size of a second, streaming-like run of the paper's preprocessing",
    )
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best is reported")
    parser.add_argument("--quick", action="store_true", help="10,000 stamp sets, 2 passes")
    parser.add_argument(
        "--paper-only", action="store_true", help="only the paper's preprocessing (the target)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.repeat = 10_000, 2
    batch = min(args.batch_size, args.n_samples)

    t0 = time.perf_counter()
    pool = simulate_pool(batch)
    print(
        f"bench_preprocessing: {args.n_samples:,} stamp sets of 3x51x51 float32 in batches of "
        f"{batch:,} ({pool.nbytes / 2**20:.0f} MiB per batch; pool simulated in "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    print(
        f"cpus={os.cpu_count()} threads={numba.config.NUMBA_NUM_THREADS} "
        f"load_average={' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(f"{'step':34s} {'stamp sets/s':>13s} {'CPU us/set':>11s} {'peak MiB':>9s}")

    def report(name: str, step: Callable[[np.ndarray], np.ndarray], size: int = batch) -> float:
        rate, cpu_us, peak = measure(step, pool, args.n_samples, size, args.repeat)
        print(f"{name:34s} {rate:13,.0f} {cpu_us:11.2f} {peak:9.0f}")
        return rate

    scaler, dia = StampScaler("acero2023"), StampStacker("dia")
    paper = lambda X: dia.transform(scaler.transform(X))  # noqa: E731
    rate = report("acero2023 + dia (the paper's)", paper)
    stream = min(args.stream_batch_size, batch)
    stream_rate = report(f"  same, batches of {stream:,}", paper, stream)
    for method in [] if args.paper_only else SCALING_METHODS:
        report(f"scaler {method}", StampScaler(method).transform)
    for layout in [] if args.paper_only else LAYOUTS:
        panels = ("template",) if layout == "horizontal" else None
        stacker = StampStacker(layout, panels=panels)
        report(f"stacker {layout}" + (" (template)" if panels else ""), stacker.transform)
    best = max(rate, stream_rate)
    verdict = "meets" if best >= TARGET else "misses"
    print(
        f"acero2023 + dia: {best:,.0f} stamp sets/s {verdict} the target of {TARGET:,}/s; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB"
    )


if __name__ == "__main__":
    main()
