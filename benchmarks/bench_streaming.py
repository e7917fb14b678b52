"""Benchmark streamed scoring: memory flat in the number of alerts, alerts/s, engines.

Measures, on the real ZTF alert packets of ../shared/data/ztf_alerts (534 alerts; "15x" is 15
copies of them, 8,010 alerts, "50x" 26,700: real copies, since the readers read a file reached
through several symbolic links once):

1. peak memory (maximum resident set size) of ``skrb score`` for 1x and 15x the alerts;
2. the start-up of ``skrb score`` (imports, model build: a run on one alert file) and its
   end-to-end alerts/s (read + scale + predict + write CSV) on the 15x (and, without
   ``--quick``, 50x) alerts, for each ``--n-jobs`` asked for, against a plain loop: fastavro +
   gzip + astropy.io.fits + the Keras network's ``model.predict`` + csv. "Steady" is the
   alerts/s once started: alerts / (wall - start-up wall);
3. alerts/s of ``--engine dask`` and ``spark`` with 1 and 2 workers on the 1x alerts, and
   their overhead over the local engine.

Each ``skrb score`` runs in its own process under ``/usr/bin/time -v``: wall time, CPU seconds
(user + system; for part 3 those of the whole process tree, sampled, as Spark's JVM and Python
workers are not waited for) and peak memory. On a shared machine wall times depend on the
load (printed with each figure): read the CPU seconds per alert too.

    python benchmarks/bench_streaming.py            # everything (many minutes)
    python benchmarks/bench_streaming.py --quick    # memory and local throughput (15x)
    python benchmarks/bench_streaming.py --quick --n-jobs 1 2 --copies 50
    python benchmarks/bench_streaming.py --engines-only --engines spark   # part 3, Spark

``skrb score --n-jobs`` defaults to 1 (a thread reads the next batch while this one is scored),
the better of 1 and 2 on 2 cores (see docs/user_guide/scaling.rst).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import cpu_description

SHARED = Path(
    os.environ.get(
        "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
)
ALERTS = SHARED / "ztf_alerts"
CHECKPOINT = SHARED / "checkpoints" / "braai_d6_m7"
CUTOUTS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")


def copies(folder: Path, n: int) -> Path:
    """A folder holding ``n`` copies of the real alerts (real files: the readers read a file
    reached through several links once, so symbolic links would not multiply the alerts)."""
    files = sorted(ALERTS.rglob("*.avro"))
    for i in range(n):
        sub = folder / f"copy{i:02d}"
        sub.mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, sub / f.name)
    return folder


def load() -> str:
    """The 1-minute load average, to read a wall time against (2 cores: 2 is a full machine)."""
    return f"load {os.getloadavg()[0]:4.1f}"


def timed(argv: list[str], **env: str) -> dict[str, float]:
    """Run ``argv`` under /usr/bin/time -v: wall s, CPU s and peak memory (MiB).

    ``cpu`` is what /usr/bin/time reports (the process and the children it waited for);
    ``cpu_tree`` sums the CPU seconds of every process of the run's tree, sampled twice a
    second (it sees what /usr/bin/time misses: Spark's JVM and its Python workers, which are
    not waited for; it misses each process's last half second).
    """
    import psutil

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **env)
    seen: dict[tuple[int, float], float] = {}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        root = psutil.Popen(["/usr/bin/time", "-v", *argv], stdout=out, stderr=err, env=env)
        while root.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                tree = []
            for process in tree:
                try:
                    times = process.cpu_times()
                    seen[(process.pid, process.create_time())] = times.user + times.system
                except psutil.Error:
                    continue
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if root.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{stderr[-3000:]}")

    def field(name: str) -> float:
        return float(re.search(rf"{name}: ([\d.:]+)", stderr).group(1).split(":")[-1])

    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", stderr)
    parts = [float(p) for p in wall.group(1).split(":")]
    seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    cpu = field("User time \\(seconds\\)") + field("System time \\(seconds\\)")
    return {
        "wall": seconds,
        "cpu": cpu,
        "cpu_tree": max(cpu, sum(seen.values())),
        "rss_mib": field("Maximum resident set size \\(kbytes\\)") / 1024,
        "stdout": stdout,
    }


def skrb_score(inputs: Path, out: Path, *options: str, **env: str) -> dict[str, Any]:
    """Run ``skrb score`` (braai); ``n`` is the number of alerts it says it scored."""
    argv = [sys.executable, "-m", "skrb", "score", str(inputs), "-o", str(out)]
    argv += ["--checkpoint", str(CHECKPOINT), "--model", "braai", *options]
    before = load()
    run = timed(argv, **env)
    run["n"] = int(re.search(r"scored (\d+) candidates", run["stdout"]).group(1))
    run["load"] = f"{before} -> {load()}"
    return run


def describe(run: dict[str, Any], startup: dict[str, Any] | None = None) -> str:
    """One line of figures for a run (and its alerts/s once started, given the start-up)."""
    n = run["n"]
    text = (
        f"{n:6d} alerts  wall {run['wall']:6.1f} s  CPU {run['cpu']:6.1f} s  "
        f"{n / run['wall']:6.0f} alerts/s  {1e3 * run['cpu'] / n:5.2f} CPU-ms/alert  "
        f"peak RSS {run['rss_mib']:6.0f} MiB"
    )
    if startup is not None and run["wall"] > startup["wall"]:
        steady = n / (run["wall"] - startup["wall"])
        marginal = 1e3 * (run["cpu"] - startup["cpu"]) / n
        text += f"  steady {steady:6.0f} alerts/s, {marginal:5.2f} CPU-ms/alert"
    return f"{text}  ({run['load']})"


PLAIN_LOOP = r"""
import csv, gzip, io, sys, warnings
import fastavro, numpy as np
from astropy.io import fits
from pathlib import Path
import skrb
pipe = skrb.make_braai_pipeline(checkpoint=sys.argv[2])
network = pipe[-1].model_
rows, stamps = [], []
def flush(writer):
    images = pipe[:-1].transform(np.stack(stamps))
    p = network.predict(images, batch_size=1024, verbose=0)
    p_real = p[:, -1] if p.shape[1] > 1 else p[:, 0]
    writer.writerows((c, o, float(q)) for (c, o), q in zip(rows, p_real))
    rows.clear(); stamps.clear()
with open(sys.argv[3], "w", newline="") as out, warnings.catch_warnings():
    warnings.simplefilter("ignore")
    writer = csv.writer(out); writer.writerow(["candid", "objectId", "p_real"])
    for path in sorted(Path(sys.argv[1]).rglob("*.avro")):
        with open(path, "rb") as handle:
            for record in fastavro.reader(handle):
                panels = []
                for field in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
                    with fits.open(io.BytesIO(gzip.decompress(record[field]["stampData"]))) as h:
                        image = np.full((63, 63), np.nan, np.float32)
                        data = h[0].data.astype(np.float32)
                        image[: data.shape[0], : data.shape[1]] = data
                        panels.append(image)
                stamps.append(np.stack(panels))
                rows.append((record["candid"], record["objectId"]))
                if len(stamps) == 1024:
                    flush(writer)
    if stamps:
        flush(writer)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="memory and local throughput only")
    parser.add_argument(
        "--engines", default="dask,spark", help="the engines of part 3, comma-separated"
    )
    parser.add_argument(
        "--engines-only", action="store_true", help="part 3 only (and the local runs it compares)"
    )
    parser.add_argument(
        "--n-jobs", type=int, nargs="+", default=[1, 2], help="skrb score --n-jobs values timed"
    )
    parser.add_argument(
        "--copies", type=int, nargs="+", default=None, help="sets timed (default 15, and 50)"
    )
    args = parser.parse_args()
    n_alerts = len(list(ALERTS.rglob("*.avro")))
    print(f"CPU: {cpu_description()}")
    print(f"{load()} at start (a shared machine: see CPU seconds)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sets = args.copies or ([15] if args.quick else [15, 50])
        one = copies(tmp / "x1", 1)
        if args.engines_only:
            memory = {"1x": skrb_score(one, tmp / "1x.csv")}
        else:
            folders = {n: copies(tmp / f"x{n}", n) for n in sorted({15, *sets})}
            memory = streaming_figures(tmp, one, folders, sets, args.n_jobs)
        if args.quick:
            return

        print(
            "\n3. Engines on the 1x alerts: alerts/s, and the overhead over the local engine at "
            "equal cores (local with 1 TensorFlow thread vs 1 worker, 2 threads vs 2 workers);"
            "\n   CPU = CPU seconds of the whole process tree (JVM and Python workers included)"
        )
        one_thread = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
        local = {1: skrb_score(one, tmp / "local1.csv", **one_thread), 2: memory["1x"]}
        n = n_alerts
        for workers, run in local.items():
            print(
                f"  local x{workers}: wall {run['wall']:6.1f} s  CPU {run['cpu_tree']:6.1f} s  "
                f"{n / run['wall']:6.0f} alerts/s  {n / run['cpu_tree']:6.0f} alerts/CPU-s"
            )
        for engine in [e for e in args.engines.split(",") if e]:
            for workers in (1, 2):
                run = skrb_score(
                    one,
                    tmp / f"{engine}{workers}.csv",
                    "--engine",
                    engine,
                    "--workers",
                    str(workers),
                )
                base = local[workers]
                print(
                    f"  {engine:>5} x{workers}: wall {run['wall']:6.1f} s  "
                    f"CPU {run['cpu_tree']:6.1f} s  {n / run['wall']:6.0f} alerts/s  "
                    f"overhead {run['wall'] - base['wall']:+6.1f} s wall "
                    f"({run['wall'] / base['wall']:.2f}x local x{workers}), "
                    f"{run['cpu_tree'] - base['cpu_tree']:+6.1f} CPU s  "
                    f"peak RSS (client) {run['rss_mib']:6.0f} MiB"
                )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def streaming_figures(
    tmp: Path, one: Path, folders: dict[int, Path], sets: list[int], n_jobs: list[int]
) -> dict[str, Any]:
    """Parts 1 and 2: peak memory for 1x and 15x, start-up, skrb score vs a plain loop."""
    # first, so that numba's compiled kernels are cached before anything is timed
    startup = skrb_score(next(ALERTS.rglob("*.avro")), tmp / "startup.csv")
    print("\n1. Peak memory of skrb score (braai, CSV output)")
    memory = {"1x": skrb_score(one, tmp / "1x.csv"), "15x": skrb_score(folders[15], tmp / "m.csv")}
    for name, run in memory.items():
        print(f"  {name:>4}: {describe(run)}")
    ratio = memory["15x"]["rss_mib"] / memory["1x"]["rss_mib"]
    print(f"  15x / 1x peak memory: {ratio:.2f} (target <= 1.2)")

    print("\n2. Start-up, then end to end: skrb score --n-jobs N vs a plain loop")
    startup = skrb_score(next(ALERTS.rglob("*.avro")), tmp / "startup.csv")  # caches warm
    print(
        f"  start-up (one alert): wall {startup['wall']:.1f} s  CPU {startup['cpu']:.1f} s  "
        f"({startup['load']})"
    )
    loop = tmp / "loop.py"
    loop.write_text(PLAIN_LOOP)
    for n_copies in sets:
        before = load()
        plain = timed(
            [sys.executable, str(loop), str(folders[n_copies]), str(CHECKPOINT), str(tmp / "p.csv")]
        )
        plain["n"] = n_copies * len(list(ALERTS.rglob("*.avro")))
        plain["load"] = f"{before} -> {load()}"
        print(f"  {n_copies}x, plain loop : {describe(plain)}")
        for jobs in n_jobs:
            run = skrb_score(folders[n_copies], tmp / "s.csv", "--n-jobs", str(jobs))
            print(f"  {n_copies}x, --n-jobs {jobs:2d}: {describe(run, startup)}")
            print(
                f"      speed-up over the plain loop: {plain['wall'] / run['wall']:.2f}x wall, "
                f"{plain['cpu'] / run['cpu']:.2f}x CPU (targets: >= 3x; >= 1,000 alerts/s on "
                "2 idle cores)"
            )
    return memory


if __name__ == "__main__":
    main()
