"""keras_recipes.callbacks."""

__all__ = []
