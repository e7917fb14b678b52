"""``dtype_policy="auto"``: bfloat16 where the hardware computes it natively, float32 elsewhere.

The choice is made once per process (cached) from the CPU's flags (Linux ``/proc/cpuinfo``) and
TensorFlow's GPUs:

- a GPU of compute capability 8.0 or higher (Ampere and later) -> ``"mixed_bfloat16"``;
- a CPU with Intel AMX (flag ``amx_bf16``) -> ``"mixed_bfloat16"``;
- anything else -> ``"float32"``, including CPUs with AVX512_BF16 but no AMX.

The last rule is measured, not assumed: on a 2-core Intel Xeon with AVX-512 and AVX512_BF16
but no AMX (TensorFlow 2.21, oneDNN on; 6,000 simulated DES stamp sets, 2 epochs, batch 64;
samples per CPU-second, so a shared machine penalises both alike), ``mixed_bfloat16`` trained
the DIA CNN at 0.72x and the noDIA CNN at 0.73x the speed of float32 and predicted at 0.73x and
0.62x, at the same accuracy: AVX512_BF16 only adds a bfloat16 dot product, and the time goes
into converting. On CPUs without any bfloat16 instruction it is about 12x slower.
``python benchmarks/bench_models.py --dtype-policy mixed_bfloat16`` measures it on yours.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import NamedTuple

__all__ = ["PolicyChoice", "auto_dtype_policy", "cpu_flags", "resolve_dtype_policy"]

_CPUINFO = Path("/proc/cpuinfo")


class PolicyChoice(NamedTuple):
    """The dtype policy ``"auto"`` stands for on this machine, and why.

    Attributes
    ----------
    policy : str
        ``"mixed_bfloat16"`` or ``"float32"``.
    reason : str
        One line naming the hardware that decided it.

    Examples
    --------
    >>> from skrb.models import PolicyChoice
    >>> PolicyChoice("float32", "CPU without native bfloat16").policy
    'float32'
    """

    policy: str
    reason: str


def cpu_flags(path: str | Path = _CPUINFO) -> frozenset[str]:
    """Return the CPU feature flags listed in ``/proc/cpuinfo`` (empty where it does not exist).

    Parameters
    ----------
    path : str or Path, default="/proc/cpuinfo"
        The file to read (Linux).

    Returns
    -------
    flags : frozenset of str
        Lower-case flag names of the first processor, e.g. ``"avx512_bf16"``, ``"amx_bf16"``.

    Examples
    --------
    >>> from skrb.models import cpu_flags
    >>> isinstance(cpu_flags(), frozenset)
    True
    """
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86 and ARM spellings
            return frozenset(value.lower().split())
    return frozenset()


def _gpu_capabilities() -> list[tuple[int, int]]:
    """Compute capabilities of TensorFlow's visible GPUs (imports TensorFlow)."""
    import tensorflow as tf

    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except (RuntimeError, ValueError):
            continue
        capability = details.get("compute_capability")
        if capability:
            capabilities.append(tuple(int(v) for v in capability))
    return capabilities


def _choose(flags: frozenset[str], gpus: list[tuple[int, int]]) -> PolicyChoice:
    """Apply the rule of :func:`auto_dtype_policy` to given CPU flags and GPU capabilities."""
    if gpus:
        best = max(gpus)
        if best >= (8, 0):
            return PolicyChoice(
                "mixed_bfloat16", f"GPU of compute capability {best[0]}.{best[1]} (bfloat16)"
            )
        return PolicyChoice(
            "float32", f"GPU of compute capability {best[0]}.{best[1]} has no bfloat16"
        )
    if "amx_bf16" in flags:
        return PolicyChoice("mixed_bfloat16", "CPU with Intel AMX (amx_bf16)")
    if "avx512_bf16" in flags:
        return PolicyChoice(
            "float32", "CPU with AVX512_BF16 but no AMX: bfloat16 measured slower there"
        )
    return PolicyChoice("float32", "CPU without native bfloat16")


@functools.cache
def auto_dtype_policy() -> PolicyChoice:
    """Return the Keras dtype policy that ``dtype_policy="auto"`` uses on this machine.

    ``"mixed_bfloat16"`` on GPUs of compute capability >= 8.0 and on CPUs with Intel AMX
    (``amx_bf16``); ``"float32"`` elsewhere, including CPUs with AVX512_BF16 but no AMX, where
    bfloat16 was measured slower than float32 (see the module notes). Decided once per process.

    Returns
    -------
    choice : PolicyChoice
        ``(policy, reason)``.

    See Also
    --------
    resolve_dtype_policy : what the classifiers call with their ``dtype_policy``.

    Examples
    --------
    >>> from skrb.models import auto_dtype_policy
    >>> auto_dtype_policy().policy in ("float32", "mixed_bfloat16")
    True
    """
    return _choose(cpu_flags(), _gpu_capabilities())


def resolve_dtype_policy(policy: str | None) -> tuple[str | None, str]:
    """Turn a classifier's ``dtype_policy`` into the Keras policy used, and say why.

    Parameters
    ----------
    policy : str or None
        ``"auto"``, a Keras policy name (``"float32"``, ``"mixed_bfloat16"``...) or None
        (Keras' global policy).

    Returns
    -------
    policy : str or None
        The Keras policy name (None: Keras' global policy).
    reason : str
        ``"auto: <hardware>"``, ``"set by the user"`` or ``"Keras' global policy"``.

    Examples
    --------
    >>> from skrb.models import resolve_dtype_policy
    >>> resolve_dtype_policy("float32")
    ('float32', 'set by the user')
    """
    if policy == "auto":
        choice = auto_dtype_policy()
        return choice.policy, f"auto: {choice.reason}"
    if policy is None:
        return None, "Keras' global policy"
    return policy, "set by the user"
