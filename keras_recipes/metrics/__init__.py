"""keras_recipes.metrics."""

from keras_recipes.metrics.calibration import (
    expected_calibration_error as expected_calibration_error,
)
from keras_recipes.metrics.calibration import (
    reliability_bins as reliability_bins,
)
from keras_recipes.metrics.classification import (
    classification_metrics as classification_metrics,
)
from keras_recipes.metrics.classification import (
    fairness_metrics as fairness_metrics,
)
from keras_recipes.metrics.retrieval import RecallAtK as RecallAtK

__all__ = [
    "RecallAtK",
    "classification_metrics",
    "expected_calibration_error",
    "fairness_metrics",
    "reliability_bins",
]
