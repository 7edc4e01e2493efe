"""keras_recipes.evaluation."""

from keras_recipes.evaluation.report import (
    EvaluationReport as EvaluationReport,
)
from keras_recipes.evaluation.report import evaluate as evaluate

__all__ = [
    "EvaluationReport",
    "evaluate",
]
