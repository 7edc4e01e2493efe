"""Battery settings for keras_recipes.transfer."""

from keras_recipes import transfer

SETTINGS = {
    "keras_recipes.transfer.GradualUnfreezing": dict(
        kind="callback",
        make=lambda: transfer.GradualUnfreezing({1: 0}),
    ),
}
