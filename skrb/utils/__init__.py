"""Utilities: validation of stamp sets and labels, and the state of TensorFlow's CPU kernels.

The validators are shared by every skrb estimator; :func:`onednn_enabled` tells whether
TensorFlow runs on its fast oneDNN CPU kernels.
"""

from skrb._onednn import onednn_enabled
from skrb.utils.validation import (
    check_binary_target,
    check_stamp_sets,
    infer_stamp_shape,
    stack_panels,
    validate_stamp_sets,
)

__all__ = [
    "check_binary_target",
    "check_stamp_sets",
    "infer_stamp_shape",
    "onednn_enabled",
    "stack_panels",
    "validate_stamp_sets",
]
