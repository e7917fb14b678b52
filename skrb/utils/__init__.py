"""Utilities: validation of stamp sets and labels, atomic outputs, TensorFlow's CPU kernels.

The validators are shared by every skrb estimator; :func:`atomic_file`,
:func:`atomic_directory` and :func:`check_output_path` make every output complete or
untouched; :func:`p_real` and :func:`final_estimator` read P(real) and the final classifier of
any fitted estimator; :func:`onednn_enabled` tells whether TensorFlow runs on its fast oneDNN
CPU kernels.
"""

from skrb._onednn import onednn_enabled
from skrb.utils._atomic import atomic_directory, atomic_file, check_output_path
from skrb.utils._estimators import final_estimator, p_real
from skrb.utils.validation import (
    check_binary_target,
    check_rates,
    check_stamp_sets,
    infer_stamp_shape,
    stack_panels,
    validate_stamp_sets,
)

__all__ = [
    "atomic_directory",
    "atomic_file",
    "check_output_path",
    "check_binary_target",
    "check_rates",
    "check_stamp_sets",
    "final_estimator",
    "infer_stamp_shape",
    "onednn_enabled",
    "p_real",
    "stack_panels",
    "validate_stamp_sets",
]

# Internal API for skrb's own packages (not in __all__, may change without notice): import these
# from ``skrb.utils``, never from its private modules.
from skrb.utils._estimators import real_class_index as real_class_index  # noqa: E402
from skrb.utils._formatting import jsonable as jsonable  # noqa: E402
from skrb.utils._formatting import mean_std as mean_std  # noqa: E402
