"""keras_recipes.tuning: cross-validation, recipe search spaces and
KerasTuner searches over recipes.

`RecipeHyperModel`, `make_tuner`, `tuner_class` and `best_recipe` need
KerasTuner (`pip install "keras-recipes[tuning]"`); they are imported on
first use, so the rest of this module works without it.
"""

from keras_recipes.tuning.cross_validation import CVResult as CVResult
from keras_recipes.tuning.cross_validation import (
    cross_validate as cross_validate,
)
from keras_recipes.tuning.cross_validation import fold_seed as fold_seed
from keras_recipes.tuning.search_space import Choice as Choice
from keras_recipes.tuning.search_space import IntRange as IntRange
from keras_recipes.tuning.search_space import LogUniform as LogUniform
from keras_recipes.tuning.search_space import Uniform as Uniform
from keras_recipes.tuning.search_space import default_space as default_space

_KERAS_TUNER = ("RecipeHyperModel", "best_recipe", "make_tuner",
                "tuner_class", "TUNERS")


def __getattr__(name):
    if name in _KERAS_TUNER:
        from keras_recipes.tuning import hypermodel

        return getattr(hypermodel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CVResult", "Choice", "IntRange", "LogUniform",
           "RecipeHyperModel", "TUNERS", "Uniform", "best_recipe",
           "cross_validate", "default_space", "fold_seed", "make_tuner",
           "tuner_class"]
