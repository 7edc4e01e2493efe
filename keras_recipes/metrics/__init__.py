"""keras_recipes.metrics."""

from keras_recipes.metrics.retrieval import RecallAtK as RecallAtK

__all__ = [
    "RecallAtK",
]
