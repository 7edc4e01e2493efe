"""keras_recipes.augment."""

__all__ = []
