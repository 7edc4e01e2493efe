"""keras_recipes.optimizers."""

__all__ = []
