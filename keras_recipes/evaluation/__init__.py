"""keras_recipes.evaluation."""

from keras_recipes.evaluation.embeddings import (
    export_projector as export_projector,
)
from keras_recipes.evaluation.embeddings import (
    plot_embeddings as plot_embeddings,
)
from keras_recipes.evaluation.report import EvaluationReport as EvaluationReport
from keras_recipes.evaluation.report import evaluate as evaluate
from keras_recipes.evaluation.retrieval import (
    retrieval_report as retrieval_report,
)

__all__ = [
    "EvaluationReport",
    "evaluate",
    "export_projector",
    "plot_embeddings",
    "retrieval_report",
]
