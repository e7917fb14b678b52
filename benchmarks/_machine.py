"""What every benchmark prints about the machine it ran on, and its CPU clock.

Imported by the ``bench_*.py`` scripts (run as ``python benchmarks/bench_x.py``, so this folder
is on ``sys.path``). The CPU flags come from :func:`skrb.models.cpu_flags`, the same reading
that ``dtype_policy="auto"`` decides on.
"""

from __future__ import annotations

import os
import platform
import resource
from pathlib import Path

from skrb.models import cpu_flags


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cpu_description() -> str:
    """The CPU model, its core count and whether it has AVX-512, AVX512_BF16 and AMX."""
    flags = cpu_flags()
    return (
        f"{cpu_model()}; {os.cpu_count()} cores; AVX-512: {'avx512f' in flags}; "
        f"AVX512_BF16: {'avx512_bf16' in flags}; AMX: {'amx_tile' in flags}"
    )


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
