"""keras_recipes.models."""

from keras_recipes.models.small_resnet import small_resnet as small_resnet

__all__ = ["small_resnet"]
