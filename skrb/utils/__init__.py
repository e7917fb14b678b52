"""Utilities: validation of stamp sets and labels, atomic outputs, TensorFlow's CPU kernels.

The validators are shared by every skrb estimator; :func:`atomic_file`,
:func:`atomic_directory` and :func:`check_output_path` make every output complete or
untouched; :func:`onednn_enabled` tells whether TensorFlow runs on its fast oneDNN CPU kernels.
"""

from skrb._onednn import onednn_enabled
from skrb.utils._atomic import atomic_directory, atomic_file, check_output_path
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
    "infer_stamp_shape",
    "onednn_enabled",
    "stack_panels",
    "validate_stamp_sets",
]
