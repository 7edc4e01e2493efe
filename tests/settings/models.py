"""Battery settings for keras_recipes.models (issue 5).

`small_resnet` is a function (no entry needed); the evaluation report of
issue 5 is registered here too.
"""

import numpy as np

from keras_recipes.evaluation import EvaluationReport


def _make_report():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=12)
    return EvaluationReport(np.arange(12) % 3, p, groups=np.arange(12) % 2)


SETTINGS = {
    "keras_recipes.evaluation.EvaluationReport": dict(
        kind="object", make=_make_report,
    ),
}
