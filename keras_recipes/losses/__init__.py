"""Losses: classification (focal, label smoothing, poly, class-weighted) and
metric learning."""

from keras_recipes.losses.class_weighted import (
    ClassWeightedLoss as ClassWeightedLoss,
)
from keras_recipes.losses.focal import FocalLoss as FocalLoss
from keras_recipes.losses.focal import focal_loss as focal_loss
from keras_recipes.losses.label_smoothing import (
    LabelSmoothingCrossentropy as LabelSmoothingCrossentropy,
)
from keras_recipes.losses.label_smoothing import (
    label_smoothing_crossentropy as label_smoothing_crossentropy,
)
from keras_recipes.losses.poly import PolyLoss as PolyLoss
from keras_recipes.losses.poly import poly_loss as poly_loss

__all__ = [
    "ClassWeightedLoss",
    "FocalLoss",
    "LabelSmoothingCrossentropy",
    "PolyLoss",
    "focal_loss",
    "label_smoothing_crossentropy",
    "poly_loss",
]
