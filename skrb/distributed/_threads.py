"""TensorFlow threads per worker, so that workers sharing a machine do not oversubscribe it."""

from __future__ import annotations

import os
import sys
from numbers import Integral

from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["TF_THREAD_VARIABLES", "set_tf_threads", "tf_thread_env"]

TF_THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
"""Environment variables TensorFlow reads for its thread pools when it starts."""


_THREADS = {
    "intra_op": [Interval(Integral, 1, None, closed="left")],
    "inter_op": [Interval(Integral, 1, None, closed="left")],
}
"""Constraints of the thread counts (0 would mean "as many as TensorFlow likes": refused)."""


@validate_params(_THREADS, prefer_skip_nested_validation=True)
def tf_thread_env(intra_op: int, inter_op: int = 1) -> dict[str, str]:
    """Environment for a worker process: TensorFlow's (and OpenMP's) thread counts.

    Parameters
    ----------
    intra_op : int
        Threads inside one operation (a convolution).
    inter_op : int, default=1
        Operations run at once.

    Returns
    -------
    env : dict of str to str
        The variables to set in the worker's environment before TensorFlow starts.

    Examples
    --------
    >>> from skrb.distributed import tf_thread_env
    >>> tf_thread_env(2)["TF_NUM_INTRAOP_THREADS"]
    '2'
    """
    return {
        "TF_NUM_INTRAOP_THREADS": str(int(intra_op)),
        "TF_NUM_INTEROP_THREADS": str(int(inter_op)),
        "OMP_NUM_THREADS": str(int(intra_op)),
    }


@validate_params(_THREADS, prefer_skip_nested_validation=True)
def set_tf_threads(intra_op: int, inter_op: int = 1) -> bool:
    """Set this process's TensorFlow thread counts (before TensorFlow starts its runtime).

    Sets the environment variables of :func:`tf_thread_env` and, when TensorFlow is already
    imported, its threading configuration.

    Parameters
    ----------
    intra_op : int
        Threads inside one operation.
    inter_op : int, default=1
        Operations run at once.

    Returns
    -------
    applied : bool
        False when TensorFlow's runtime had already started with other counts (they cannot
        change then; the process keeps them).

    Examples
    --------
    In a worker process of its own (it changes the whole process's threading):

    >>> import subprocess, sys
    >>> code = "from skrb.distributed import set_tf_threads; print(set_tf_threads(1))"
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
    ['True']
    """
    os.environ.update(tf_thread_env(intra_op, inter_op))
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return True
    threading = tf.config.threading
    try:
        threading.set_intra_op_parallelism_threads(int(intra_op))
        threading.set_inter_op_parallelism_threads(int(inter_op))
    except RuntimeError:  # the runtime is initialised: counts are fixed
        return threading.get_intra_op_parallelism_threads() == int(
            intra_op
        ) and threading.get_inter_op_parallelism_threads() == int(inter_op)
    return True
