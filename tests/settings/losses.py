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

SETTINGS.update({
    "keras_recipes.losses.LDAMLoss": dict(
        kind="loss",
        make=lambda: losses.LDAMLoss([40, 20, 10, 5], scale=5.0,
                                     class_weight=[1.0, 1.5, 2.0, 2.5]),
        model_fn=lambda: keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(4)]),
    ),
    "keras_recipes.losses.LogitAdjustedLoss": dict(
        kind="loss",
        make=lambda: losses.LogitAdjustedLoss([40, 20, 10, 5], tau=1.5),
        model_fn=lambda: keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(4)]),
    ),
})
