"""keras_recipes.evaluation."""

__all__ = []
