"""Benchmark skrb.io.read_alerts against a plain fastavro + gzip + astropy.io.fits loop.

Reads the same ZTF alert packets (by default the 498 of ../shared/data/ztf_alerts/
fink-alert-simulator) both ways, checks that they agree pixel for pixel, and prints wall times,
alerts per second, peak Python memory and the speed-up. The loop is what a user would write:
for each file, ``fastavro.reader``, ``gzip.decompress`` each cutout, ``astropy.io.fits.open``.

    python benchmarks/bench_read_alerts.py            # 5 repeats, n_jobs 1 and 2
    python benchmarks/bench_read_alerts.py --quick    # 2 repeats
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import statistics
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import fastavro
import numpy as np
from astropy.io import fits
from joblib.externals.loky import get_reusable_executor

from skrb.io import read_alerts

CUTOUTS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
FIELDS = ("jd", "fid", "ra", "dec", "magpsf", "sigmapsf", "isdiffpos", "rb")
DEFAULT = (
    Path(
        os.environ.get(
            "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
        )
    )
    / "ztf_alerts"
    / "fink-alert-simulator"
)


def plain_loop(files: list[Path]) -> tuple[list[list[np.ndarray]], list[dict]]:
    """The baseline: fastavro + gzip + astropy.io.fits, one alert at a time."""
    stamps, meta = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fits.verify.VerifyWarning)
        for path in files:
            with open(path, "rb") as handle:
                for record in fastavro.reader(handle):
                    panels = []
                    for field in CUTOUTS:
                        raw = gzip.decompress(record[field]["stampData"])
                        with fits.open(io.BytesIO(raw)) as hdul:
                            panels.append(hdul[0].data.astype(np.float32))
                    stamps.append(panels)
                    candidate = record["candidate"]
                    meta.append({"candid": record["candid"], **{k: candidate[k] for k in FIELDS}})
    return stamps, meta


def timed(variants: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each variant, interleaved so that all see the same machine load."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, func in variants.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return times


def peak_memory(func) -> float:
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def check_agreement(files: list[Path]) -> None:
    stamps, meta = plain_loop(files)
    # the packets' own values: the timed default also turns ZTF's -3.4e38 mask sentinel to NaN
    alerts = read_alerts(files, progress=False, masked_sentinel="keep")
    assert len(alerts.meta) == len(meta), "different number of alerts"
    for row, (panels, expected) in enumerate(zip(stamps, meta, strict=True)):
        assert alerts.meta["candid"][row] == expected["candid"]
        for panel, image in enumerate(panels):
            ny, nx = image.shape
            stamp = alerts.data[row, panel]
            window = stamp[~np.isnan(stamp).all(axis=1)][:, ~np.isnan(stamp).all(axis=0)]
            if window.shape == image.shape:
                np.testing.assert_array_equal(window, image)
            else:  # whole NaN rows/columns inside the cutout: compare the padded placement
                assert np.isnan(stamp).sum() == np.isnan(image).sum() + stamp.size - ny * nx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT, help="folder of alerts")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per variant")
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    parser.add_argument("--n-jobs", default="1,2", help="comma-separated n_jobs for skrb")
    args = parser.parse_args()
    repeat = 2 if args.quick else args.repeat
    files = sorted(args.path.glob("*.avro"))
    if not files:
        raise SystemExit(f"no *.avro under {args.path}: pass the alert folder as argument")

    print(f"{len(files)} alert files in {args.path}")
    print(f"CPU cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    check_agreement(files)
    print("skrb.io.read_alerts agrees with the plain loop on every pixel and candid.")

    baseline_name = "plain loop (fastavro+gzip+astropy)"
    n_jobs_list = [int(n) for n in args.n_jobs.split(",")]
    results: dict[str, list[float]] = {}
    for n_jobs in n_jobs_list:
        if n_jobs != 1:  # the first parallel call also starts the worker processes
            get_reusable_executor().shutdown(wait=True)
            results[f"skrb read_alerts n_jobs={n_jobs} (cold pool)"] = timed(
                {"cold": lambda n=n_jobs: read_alerts(files, n_jobs=n, progress=False)}, 1
            )["cold"]
    variants: dict[str, Callable[[], object]] = {baseline_name: lambda: plain_loop(files)}
    for n_jobs in n_jobs_list:
        variants[f"skrb read_alerts n_jobs={n_jobs}"] = lambda n=n_jobs: read_alerts(
            files, n_jobs=n, progress=False
        )
    results.update(timed(variants, repeat))
    memory = {
        baseline_name: peak_memory(lambda: plain_loop(files)),
        "skrb read_alerts n_jobs=1": peak_memory(lambda: read_alerts(files, progress=False)),
    }

    baseline = min(results[baseline_name])
    baseline_median = statistics.median(results[baseline_name])
    n_alerts = len(files)
    columns = ("best s", "median s", "alerts/s", "speed-up", "(median)", "peak MiB")
    print(f"\n{'variant':<42} {columns[0]:>8}" + "".join(f" {c:>9}" for c in columns[1:]))
    for name, times in results.items():
        best, median = min(times), statistics.median(times)
        mib = f"{memory[name]:9.1f}" if name in memory else f"{'':>9}"
        print(
            f"{name:<42} {best:8.3f} {median:9.3f} {n_alerts / best:9.0f} "
            f"{baseline / best:8.2f}x {baseline_median / median:8.2f}x {mib}"
        )
    best_name = min((n for n in results if n.startswith("skrb")), key=lambda n: min(results[n]))
    ratio = baseline / min(results[best_name])
    verdict = "meets" if ratio >= 1.5 else "MISSES"
    print(
        f"\nbest skrb speed-up over the plain loop: {ratio:.2f}x with {best_name} "
        f"({verdict} the 1.5x target); load average now {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
