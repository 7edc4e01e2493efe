"""keras_recipes.models."""

from keras_recipes.models.small_resnet import small_resnet as small_resnet
from keras_recipes.models.vit import vit_encoder as vit_encoder

__all__ = ["small_resnet", "vit_encoder"]
