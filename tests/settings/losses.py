"""Battery settings for the classification losses (issue 2)."""

import keras

from keras_recipes import losses

SETTINGS = {
    "keras_recipes.losses.FocalLoss": dict(
        kind="loss",
        make=lambda: losses.FocalLoss(gamma=1.5, alpha=[1.0, 2.0, 1.0, 0.5],
                                      label_smoothing=0.1),
    ),
    "keras_recipes.losses.LabelSmoothingCrossentropy": dict(
        kind="loss", make=lambda: losses.LabelSmoothingCrossentropy(0.2),
    ),
    "keras_recipes.losses.PolyLoss": dict(
        kind="loss", make=lambda: losses.PolyLoss(epsilon=2.0),
    ),
    "keras_recipes.losses.ClassWeightedLoss": dict(
        kind="loss",
        make=lambda: losses.ClassWeightedLoss(
            keras.losses.SparseCategoricalCrossentropy(),
            {0: 1.0, 1: 2.0, 2: 0.5, 3: 1.5}),
    ),
}
