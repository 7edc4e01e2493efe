"""keras_recipes.models."""

__all__ = []
