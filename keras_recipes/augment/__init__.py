"""keras_recipes.augment: label-mixing and per-image augmentation layers.

Every layer works in `tf.data` (any backend), in
`keras_recipes.data.batches`, and inside the compiled train step through
`AugmentedModel`; the label-free ones also work as layers inside a model
without turning jit off.
"""

from keras_recipes.augment._mixing import mix_batch as mix_batch
from keras_recipes.augment.augmented_model import (
    AugmentedModel as AugmentedModel,
)
from keras_recipes.augment.cutmix import CutMix as CutMix
from keras_recipes.augment.cutmix import cutmix_batch as cutmix_batch
from keras_recipes.augment.mix_or_cut import MixUpOrCutMix as MixUpOrCutMix
from keras_recipes.augment.mixup import MixUp as MixUp
from keras_recipes.augment.mixup import mixup_batch as mixup_batch
from keras_recipes.augment.rand_augment import RandAugment as RandAugment
from keras_recipes.augment.rand_augment import TrivialAugment as TrivialAugment
from keras_recipes.augment.random_erasing import CutOut as CutOut
from keras_recipes.augment.random_erasing import RandomErasing as RandomErasing
from keras_recipes.augment.random_resized_crop import (
    RandomResizedCrop as RandomResizedCrop,
)

__all__ = [
    "AugmentedModel",
    "CutMix",
    "CutOut",
    "MixUp",
    "MixUpOrCutMix",
    "RandAugment",
    "RandomErasing",
    "RandomResizedCrop",
    "TrivialAugment",
    "cutmix_batch",
    "mix_batch",
    "mixup_batch",
]
