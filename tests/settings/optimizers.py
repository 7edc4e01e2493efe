"""Battery settings for keras_recipes.optimizers."""

import keras

from keras_recipes import optimizers

SETTINGS = {
    "keras_recipes.optimizers.Lookahead": dict(
        kind="optimizer",
        make=lambda: optimizers.Lookahead(
            keras.optimizers.Adam(0.01), sync_period=2
        ),
    ),
}
