"""Optimizer wrappers: Lookahead."""

from keras_recipes.optimizers.lookahead import Lookahead as Lookahead

__all__ = ["Lookahead"]
