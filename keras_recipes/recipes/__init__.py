"""keras_recipes.recipes: serializable bundles of training choices."""

from keras_recipes.recipes.recipe import Recipe as Recipe

__all__ = ["Recipe"]
