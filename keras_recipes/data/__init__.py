"""Data tools: class weights, batching with augmentation, samplers,
resampling, stratified subsets, the dataset audit."""

from keras_recipes.data.audit import AuditReport as AuditReport
from keras_recipes.data.audit import audit as audit
from keras_recipes.data.balanced import BalancedBatches as BalancedBatches
from keras_recipes.data.batches import batches as batches
from keras_recipes.data.class_weights import class_weights as class_weights
from keras_recipes.data.resample import resample as resample
from keras_recipes.data.resample import resample_features as resample_features
from keras_recipes.data.samplers import MPerClassBatches as MPerClassBatches
from keras_recipes.data.subset import stratified_subset as stratified_subset

__all__ = [
    "batches",
    "MPerClassBatches",
    "class_weights",
    "BalancedBatches",
    "resample",
    "resample_features",
    "AuditReport",
    "audit",
    "stratified_subset",
]
