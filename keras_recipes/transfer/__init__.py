"""keras_recipes.transfer."""

__all__ = []
