"""keras_recipes.recipes."""

__all__ = []
