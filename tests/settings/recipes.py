"""Battery settings for keras_recipes.recipes (issue 5)."""

from keras_recipes.recipes import Recipe

SETTINGS = {
    "keras_recipes.recipes.Recipe": dict(
        kind="object", make=lambda: Recipe.from_preset("strong"),
    ),
}
