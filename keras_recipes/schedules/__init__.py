"""keras_recipes.schedules."""

__all__ = []
