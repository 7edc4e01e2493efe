"""Knowledge distillation: `Distiller` (logits and feature distillation)
and `cache_teacher` (precomputed teacher outputs)."""

from keras_recipes.distillation.cache import cache_teacher as cache_teacher
from keras_recipes.distillation.distiller import Distiller as Distiller

__all__ = [
    "Distiller",
    "cache_teacher",
]
