"""keras_recipes.tuning: cross-validation of recipes (KerasTuner search
spaces come next, see issue 12)."""

from keras_recipes.tuning.cross_validation import CVResult as CVResult
from keras_recipes.tuning.cross_validation import (
    cross_validate as cross_validate,
)
from keras_recipes.tuning.cross_validation import fold_seed as fold_seed

__all__ = ["CVResult", "cross_validate", "fold_seed"]
