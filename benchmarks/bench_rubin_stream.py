"""Rubin alerts through ``skrb.io.iter_alerts``: memory against a container's size, and n_jobs.

Part 1: the real Rubin alerts of ../shared/data/rubin_alerts/fink-broker-lsst7.4 (100 one-alert
Fink containers) written ``k`` times into one Avro container, as Rubin's archives and brokers'
dumps bundle thousands of alerts, then streamed with ``iter_alerts(batch_size=...)``: the peak
traced memory (tracemalloc) should not grow with ``k``. Part 2: CPU seconds per alert of
``iter_alerts`` over ``--copies`` copies of those files with ``n_jobs`` 1 and 2 (the workers'
CPU counted through psutil), after a first parallel pass that starts the workers (its CPU is
printed as the start-up cost). The load average is printed with each figure: on a shared
machine wall times mean little, CPU seconds more.

    python benchmarks/bench_rubin_stream.py                       # k = 1, 4, 16; 4 copies
    python benchmarks/bench_rubin_stream.py --sizes 1,4 --copies 2 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

import fastavro
from _machine import cpu_description

from skrb.io import iter_alerts

SHARED = Path(
    os.environ.get(
        "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
)
FOLDER = SHARED / "rubin_alerts" / "fink-broker-lsst7.4"


def archive(path: Path, files: list[Path], k: int) -> Path:
    """One container holding the alerts of ``files`` ``k`` times (fastavro's blocks)."""
    records, schema = [], None
    for f in files:
        with open(f, "rb") as handle:
            reader = fastavro.reader(handle)
            records.extend(reader)
            schema = reader.writer_schema
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, (r for _ in range(k) for r in records))
    return path


def stream_peak(path: Path, batch_size: int) -> tuple[int, int, float, float]:
    """Alerts, largest batch, peak traced MiB and CPU seconds of one pass over ``path``."""
    tracemalloc.start()
    cpu = time.process_time()
    sizes = [len(b.meta) for b in iter_alerts(path, batch_size=batch_size, stamp_size=64)]
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return sum(sizes), max(sizes), peak, cpu


def cpu_pass(
    files: list[Path], n_jobs: int | None, batch_size: int
) -> tuple[int, float, float, float]:
    """Alerts, wall s, this process's CPU s and the workers' CPU s of one pass."""
    import psutil

    me = psutil.Process()

    def workers() -> dict[int, float]:
        seen = {}
        for child in me.children(recursive=True):
            try:
                seen[child.pid] = sum(child.cpu_times()[:2])
            except psutil.Error:
                pass
        return seen

    before, last = workers(), {}
    wall, own = time.perf_counter(), sum(me.cpu_times()[:2])
    n = 0
    for batch in iter_alerts(files, batch_size=batch_size, stamp_size=64, n_jobs=n_jobs):
        n += len(batch.meta)
        last.update(workers())  # workers may end before the pass does
    own = sum(me.cpu_times()[:2]) - own
    wall = time.perf_counter() - wall
    last.update(workers())
    return n, wall, own, sum(cpu - before.get(pid, 0.0) for pid, cpu in last.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="container sizes, in copies")
    parser.add_argument("--copies", type=int, default=4, help="copies of the files (part 2)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3, help="passes per n_jobs (part 2)")
    args = parser.parse_args()
    files = sorted(FOLDER.glob("*.avro"))
    print(cpu_description())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"\n1. One container of k x {len(files)} real Rubin alerts, batch_size=8")
        stream_peak(archive(root / "warm.avro", files[:8], 1), 8)  # imports, caches
        for k in (int(s) for s in args.sizes.split(",")):
            path = archive(root / f"k{k}.avro", files, k)
            n, most, peak, cpu = stream_peak(path, 8)
            path.unlink()
            print(
                f"   k={k:3d}: {n:6d} alerts, largest batch {most}, peak traced {peak:6.2f} MiB, "
                f"{1e3 * cpu / n:.2f} ms CPU/alert (tracemalloc on); load {os.getloadavg()[0]:.1f}"
            )
        copies = []
        for i in range(args.copies):
            (root / f"c{i}").mkdir()
            for f in files:
                copies.append(Path(shutil.copyfile(f, root / f"c{i}" / f.name)))
        print(f"\n2. iter_alerts over {len(copies)} files, batch_size={args.batch_size}")
        n, wall, own, child = cpu_pass(copies, 2, args.batch_size)
        print(f"   n_jobs=2, first pass (starts the workers): workers {child:.2f} CPU s")
        for _ in range(args.repeat):
            for n_jobs in (None, 2):
                n, wall, own, child = cpu_pass(copies, n_jobs, args.batch_size)
                print(
                    f"   n_jobs={n_jobs or 1}: {n} alerts, {wall:.2f} s wall ({n / wall:.0f}/s), "
                    f"CPU {1e3 * own / n:.2f} ms/alert here + {1e3 * child / n:.2f} in workers = "
                    f"{1e3 * (own + child) / n:.2f} ms/alert; load {os.getloadavg()[0]:.1f}"
                )


if __name__ == "__main__":
    main()
