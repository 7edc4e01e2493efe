"""Data tools: class weights, batching with augmentation, samplers."""

from keras_recipes.data.class_weights import class_weights as class_weights

__all__ = ["class_weights"]
