"""keras_recipes.metrics."""

__all__ = []
