"""Transfer learning: freezing, gradual unfreezing, discriminative rates,
two-phase fine-tuning."""

from keras_recipes.transfer.fine_tune import fine_tune as fine_tune
from keras_recipes.transfer.freeze import freeze as freeze
from keras_recipes.transfer.freeze import unfreeze as unfreeze
from keras_recipes.transfer.gradual import (
    GradualUnfreezing as GradualUnfreezing,
)
from keras_recipes.transfer.layerwise import (
    layerwise_learning_rates as layerwise_learning_rates,
)

__all__ = [
    "GradualUnfreezing",
    "fine_tune",
    "freeze",
    "layerwise_learning_rates",
    "unfreeze",
]
