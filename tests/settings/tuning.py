"""Canonical test settings of the search ranges (serializable objects)."""

from keras_recipes import tuning

SETTINGS = {
    "keras_recipes.tuning.Choice": dict(
        kind="object", make=lambda: tuning.Choice(["crossentropy", "focal"])
    ),
    "keras_recipes.tuning.Uniform": dict(
        kind="object", make=lambda: tuning.Uniform(0.0, 0.5, step=0.25)
    ),
    "keras_recipes.tuning.LogUniform": dict(
        kind="object", make=lambda: tuning.LogUniform(1e-4, 1e-2)
    ),
    "keras_recipes.tuning.IntRange": dict(
        kind="object", make=lambda: tuning.IntRange(1, 9, step=2)
    ),
}
