"""keras_recipes.metrics."""

from keras_recipes.metrics.calibration import (
    expected_calibration_error as expected_calibration_error,
)
from keras_recipes.metrics.calibration import (
    reliability_bins as reliability_bins,
)

from keras_recipes.metrics.retrieval import RecallAtK as RecallAtK

__all__ = [
    "RecallAtK",
    "expected_calibration_error",
    "reliability_bins",
]
