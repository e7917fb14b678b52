"""Comparing real/bogus classifiers: cross-validation on shared folds and paired tests."""

from skrb.model_selection._compare import ComparisonResult, compare_models, make_cv
from skrb.model_selection._paired import corrected_resampled_ttest, mcnemar_test

__all__ = [
    "ComparisonResult",
    "compare_models",
    "corrected_resampled_ttest",
    "make_cv",
    "mcnemar_test",
]
