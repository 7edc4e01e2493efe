"""keras_recipes.tracking."""

__all__ = []
