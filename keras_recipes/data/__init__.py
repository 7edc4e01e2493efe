"""Data tools: class weights, batching with augmentation, samplers."""

from keras_recipes.data.batches import batches as batches
from keras_recipes.data.class_weights import class_weights as class_weights
from keras_recipes.data.samplers import MPerClassBatches as MPerClassBatches

__all__ = [
    "batches",
    "MPerClassBatches",
    "class_weights",
]
