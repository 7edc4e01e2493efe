"""Multi-task loss weighting: `MultiTaskLoss` (uncertainty weighting, Dynamic
Weight Average, equal or static weights) and `MultiTaskModel`, the wrapper
that trains a multi-output model with it."""

from keras_recipes.multitask.loss import MultiTaskLoss as MultiTaskLoss
from keras_recipes.multitask.loss import dwa_weights as dwa_weights
from keras_recipes.multitask.loss import (
    uncertainty_weighting as uncertainty_weighting,
)
from keras_recipes.multitask.model import MultiTaskModel as MultiTaskModel

__all__ = [
    "MultiTaskLoss",
    "MultiTaskModel",
    "dwa_weights",
    "uncertainty_weighting",
]
