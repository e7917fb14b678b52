"""Benchmark skrb.io.read_alerts against a plain fastavro + (gzip +) astropy.io.fits loop.

ZTF: reads the same alert packets (by default the 498 of ../shared/data/ztf_alerts/
fink-alert-simulator) both ways. Rubin (LSST): the 109 real alerts of ../shared/data/rubin_alerts
(100 one-alert Fink containers, a 7-alert Fink file, 2 Confluent wire packets). Each time the
two ways are checked to agree pixel for pixel, then wall times, alerts per second, peak Python
memory and the speed-up are printed. The loop is what a user would write: for each file,
``fastavro.reader`` (wire packets: ``fastavro.schemaless_reader`` with the schema from
lsst-alert-packet), ``gzip.decompress`` each ZTF cutout, ``astropy.io.fits.open``; with
``--variance`` (Rubin) the loop and skrb also read the ``UNCERT`` HDU.

    python benchmarks/bench_read_alerts.py                 # both surveys, 5 repeats, n_jobs 1, 2
    python benchmarks/bench_read_alerts.py --quick         # 2 repeats
    python benchmarks/bench_read_alerts.py --survey lsst   # Rubin only
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
SHARED = Path(
    os.environ.get(
        "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
)
DEFAULT = SHARED / "ztf_alerts" / "fink-alert-simulator"
RUBIN = SHARED / "rubin_alerts"
RUBIN_FIELDS = ("diaSourceId", "midpointMjdTai", "ra", "dec", "band", "psfFlux", "reliability")


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


def _wire_schema(schema_id: int) -> dict:
    from lsst.alert.packet import Schema, get_schema_path

    major, minor = divmod(schema_id, 100)
    path = Path(get_schema_path(major, minor)) / f"lsst.v{major}_{minor}.alert.avsc"
    return fastavro.parse_schema(Schema.from_file(str(path)).definition)


def rubin_loop(files: list[Path], variance: bool = False) -> tuple[list[list], list[dict]]:
    """The baseline for Rubin: fastavro (+ lsst-alert-packet for wire packets) + astropy.io.fits."""
    stamps, meta, schemas = [], [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fits.verify.VerifyWarning)
        for path in files:
            raw = path.read_bytes()
            if raw[:1] == b"\x00":  # Confluent wire format: magic byte, schema id, record
                schema_id = int.from_bytes(raw[1:5], "big")
                if schema_id not in schemas:
                    schemas[schema_id] = _wire_schema(schema_id)
                records = [fastavro.schemaless_reader(io.BytesIO(raw[5:]), schemas[schema_id])]
            else:
                records = fastavro.reader(io.BytesIO(raw))
            for record in records:
                panels = []
                for field in CUTOUTS:
                    with fits.open(io.BytesIO(record[field])) as hdul:
                        image = hdul[0].data.astype(np.float32)
                        if variance:
                            image = (image, hdul["UNCERT"].data.astype(np.float32))
                        panels.append(image)
                stamps.append(panels)
                meta.append({k: record["diaSource"][k] for k in RUBIN_FIELDS})
    return stamps, meta


def check_rubin_agreement(files: list[Path]) -> None:
    stamps, meta = rubin_loop(files)
    alerts = read_alerts(files, progress=False)
    assert len(alerts.meta) == len(meta), "different number of alerts"
    side = alerts.data.shape[-1]
    for row, (panels, expected) in enumerate(zip(stamps, meta, strict=True)):
        assert alerts.meta["diaSourceId"][row] == expected["diaSourceId"]
        for panel, image in enumerate(panels):
            (ny, nx), y0 = image.shape, side // 2 - image.shape[0] // 2
            x0 = side // 2 - nx // 2
            window = alerts.data[row, panel, y0 : y0 + ny, x0 : x0 + nx]
            np.testing.assert_array_equal(window, np.where(np.isinf(image), np.nan, image))


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


def report(
    results: dict[str, list[float]],
    memory: dict[str, float],
    baseline_name: str,
    n_alerts: int,
    target: float,
) -> None:
    baseline = min(results[baseline_name])
    baseline_median = statistics.median(results[baseline_name])
    columns = ("best s", "median s", "alerts/s", "speed-up", "(median)", "peak MiB")
    print(f"\n{'variant':<46} {columns[0]:>8}" + "".join(f" {c:>9}" for c in columns[1:]))
    for name, times in results.items():
        best, median = min(times), statistics.median(times)
        mib = f"{memory[name]:9.1f}" if name in memory else f"{'':>9}"
        print(
            f"{name:<46} {best:8.3f} {median:9.3f} {n_alerts / best:9.0f} "
            f"{baseline / best:8.2f}x {baseline_median / median:8.2f}x {mib}"
        )
    best_name = min((n for n in results if n.startswith("skrb")), key=lambda n: min(results[n]))
    ratio = baseline / min(results[best_name])
    verdict = "meets" if ratio >= target else "MISSES"
    print(
        f"\nbest skrb speed-up over the plain loop: {ratio:.2f}x with {best_name} "
        f"({verdict} the {target:g}x target); load average now {os.getloadavg()[0]:.2f}"
    )


def run_ztf(path: Path, repeat: int, n_jobs_list: list[int]) -> None:
    files = sorted(path.glob("*.avro"))
    if not files:
        raise SystemExit(f"no *.avro under {path}: pass the alert folder as argument")
    print(f"== ZTF: {len(files)} alert files in {path}")
    check_agreement(files)
    print("skrb.io.read_alerts agrees with the plain loop on every pixel and candid.")
    baseline_name = "plain loop (fastavro+gzip+astropy)"
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
    report(results, memory, baseline_name, len(files), 1.5)


def run_rubin(path: Path, repeat: int) -> None:
    files = sorted(path.rglob("*.avro"))
    if not files:
        raise SystemExit(f"no *.avro under {path}: set SKRB_SHARED_DATA")
    n_alerts = len(rubin_loop(files)[1])
    print(f"\n== Rubin (LSST): {n_alerts} alerts in {len(files)} files under {path}")
    check_rubin_agreement(files)
    print("skrb.io.read_alerts agrees with the plain loop on every pixel and diaSourceId.")
    read_alerts(files, progress=False)  # loads the lsst-alert-packet schemas once, as a run would
    baseline_name = "plain loop (fastavro+astropy)"
    variants: dict[str, Callable[[], object]] = {
        baseline_name: lambda: rubin_loop(files),
        "skrb read_alerts": lambda: read_alerts(files, progress=False),
        "plain loop + UNCERT": lambda: rubin_loop(files, variance=True),
        "skrb read_alerts variance=True": lambda: read_alerts(files, variance=True, progress=False),
    }
    results = timed(variants, repeat)
    memory = {name: peak_memory(func) for name, func in variants.items()}
    report(results, memory, baseline_name, n_alerts, 2.0)
    with_variance = min(results["plain loop + UNCERT"]) / min(
        results["skrb read_alerts variance=True"]
    )
    print(f"with the variance planes: {with_variance:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT, help="folder of ZTF alerts")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per variant")
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    parser.add_argument("--n-jobs", default="1,2", help="comma-separated n_jobs for skrb (ZTF)")
    parser.add_argument("--survey", choices=("ztf", "lsst", "both"), default="both")
    args = parser.parse_args()
    repeat = 2 if args.quick else args.repeat
    print(f"CPU cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    if args.survey in ("ztf", "both"):
        run_ztf(args.path, repeat, [int(n) for n in args.n_jobs.split(",")])
    if args.survey in ("lsst", "both"):
        run_rubin(RUBIN, repeat)


if __name__ == "__main__":
    main()
