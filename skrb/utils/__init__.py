"""Utilities shared by every skrb estimator: input validation of stamp sets and labels."""

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
    "stack_panels",
    "validate_stamp_sets",
]
