"""`evaluate(model, x, y)` -> `EvaluationReport`: metrics, plots, HTML.

All numbers are computed with NumPy from the model's predictions
(`keras_recipes.metrics.classification` and `.calibration`); the tests check
every one against scikit-learn on the same predictions. The plots
(`evaluation/plots.py`) use matplotlib (the `plots` extra), imported only
when a plot is drawn; the page is `evaluation/html.py`.
"""

import datetime

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.evaluation.html import render_html
from keras_recipes.evaluation.plots import report_figures
from keras_recipes.evaluation.plots import save_plots
from keras_recipes.metrics.calibration import ECE_BINS
from keras_recipes.metrics.calibration import expected_calibration_error
from keras_recipes.metrics.calibration import reliability_bins
from keras_recipes.metrics.classification import as_probabilities
from keras_recipes.metrics.classification import classification_metrics
from keras_recipes.metrics.classification import fairness_metrics
from keras_recipes.metrics.classification import most_confused_pairs
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.validation import check_number

__all__ = ["ECE_BINS", "EvaluationReport", "classification_metrics",
           "evaluate", "fairness_metrics"]


def _image_like(x):
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if x.ndim == 3:
        return x
    if x.ndim == 4 and (x.shape[-1] in (1, 3, 4) or x.shape[1] in (1, 3, 4)):
        return x
    return None


@keras_recipes_export("keras_recipes.evaluation.EvaluationReport")
class EvaluationReport:
    """What a classifier gets right and wrong, with plots and an HTML page.

    Built by `keras_recipes.evaluation.evaluate` (or directly from labels
    and predicted probabilities). Holds accuracy and log loss; per-class
    precision, recall and F1 with macro and weighted F1; the confusion
    matrix and the most-confused class pairs; the expected calibration
    error (15 bins) with its reliability diagram; the hardest examples
    (highest cross-entropy); and, when `groups` is given, per-group accuracy
    and recall with the demographic-parity and equalized-odds differences.

    Every number equals scikit-learn's on the same predictions
    (`accuracy_score`, `precision_recall_fscore_support` with
    `zero_division=0`, `f1_score`, `confusion_matrix`, `log_loss`,
    `balanced_accuracy_score` per group).

    Args:
        y_true: integer labels `(N,)` (or one-hot `(N, C)`).
        y_prob: predicted class probabilities `(N, C)`.
        class_names: list of `C` names or `None` for `"0"`, `"1"`, ...
            Defaults to `None`.
        groups: array `(N,)` of group ids (a sensitive attribute) or `None`.
            Defaults to `None`.
        images: array of the `N` inputs, used for the hardest-examples grid
            when they look like images; not part of the config. Defaults to
            `None`.
        num_hardest: int, number of hardest examples kept. Defaults to `16`.
        title: str, the report's title. Defaults to `"Evaluation report"`.

    Example:

    >>> report = keras_recipes.evaluation.EvaluationReport(
    ...     [0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> round(report.accuracy, 4), round(report.macro_f1, 4)
    (0.6667, 0.6667)
    >>> report.to_dict()["confusion_matrix"]
    [[1, 0], [1, 1]]
    """

    def __init__(self, y_true, y_prob, class_names=None, groups=None,
                 images=None, num_hardest=16, title="Evaluation report"):
        check_number("num_hardest", num_hardest, min_value=0, integer=True)
        y_prob = np.asarray(y_prob, dtype="float64")
        if y_prob.ndim != 2 or y_prob.shape[1] < 2:
            raise ValueError(
                "Expected `y_prob` of shape (num_samples, num_classes) with "
                f"at least 2 classes. Received: y_prob.shape={y_prob.shape}"
            )
        num_classes = y_prob.shape[1]
        y_true = class_ids(y_true, num_classes, name="y")
        if y_true.shape[0] != y_prob.shape[0]:
            raise ValueError(
                "Expected as many labels as predictions. Received: "
                f"{y_true.shape[0]} labels and {y_prob.shape[0]} predictions"
            )
        if class_names is None:
            class_names = [str(i) for i in range(num_classes)]
        class_names = [str(c) for c in class_names]
        if len(class_names) != num_classes:
            raise ValueError(
                f"Expected {num_classes} class names. Received: "
                f"class_names={class_names!r}"
            )
        if groups is not None:
            groups = np.asarray(groups).reshape(-1)
            if groups.shape[0] != y_true.shape[0]:
                raise ValueError(
                    "Expected one group per sample. Received: "
                    f"groups with {groups.shape[0]} entries for "
                    f"{y_true.shape[0]} samples"
                )
        self.y_true = y_true
        self.y_prob = y_prob
        self.class_names = class_names
        self.groups = groups
        self.images = None if images is None else _image_like(images)
        self.num_hardest = num_hardest
        self.title = title
        self.created = datetime.datetime.now().isoformat(timespec="seconds")
        self._compute()

    # ------------------------------------------------------------- numbers
    def _compute(self):
        c = self.y_prob.shape[1]
        self.y_pred = self.y_prob.argmax(axis=1)
        m = classification_metrics(self.y_true, self.y_pred, c)
        self.accuracy = m["accuracy"]
        self.precision = m["precision"]
        self.recall = m["recall"]
        self.f1 = m["f1"]
        self.support = m["support"]
        self.macro_precision = m["macro_precision"]
        self.macro_recall = m["macro_recall"]
        self.macro_f1 = m["macro_f1"]
        self.weighted_f1 = m["weighted_f1"]
        self.confusion_matrix = m["confusion_matrix"]
        eps = np.finfo("float64").eps
        p_true = self.y_prob[np.arange(len(self.y_true)), self.y_true]
        self.losses = -np.log(np.clip(p_true, eps, 1.0))
        self.log_loss = float(self.losses.mean()) if len(self.losses) else 0.0
        self.ece = expected_calibration_error(
            self.y_true, self.y_prob, ECE_BINS
        )
        self.reliability = reliability_bins(
            self.y_true, self.y_prob, ECE_BINS
        )
        self.most_confused = most_confused_pairs(
            self.confusion_matrix, self.class_names)
        # Lowest probability of the true class first (= highest loss,
        # without the ties that clipping the loss would create).
        hardest = np.argsort(p_true, kind="stable")[: self.num_hardest]
        self.hardest = [
            {
                "index": int(i),
                "true": self.class_names[self.y_true[i]],
                "predicted": self.class_names[self.y_pred[i]],
                "confidence": float(self.y_prob[i, self.y_pred[i]]),
                "loss": float(self.losses[i]),
            }
            for i in hardest
        ]
        self.fairness = (
            None if self.groups is None
            else fairness_metrics(self.y_true, self.y_pred, self.groups, c)
        )

    def to_dict(self):
        """All numbers as a JSON-serializable dict."""
        out = {
            "num_samples": int(len(self.y_true)),
            "num_classes": int(self.y_prob.shape[1]),
            "class_names": list(self.class_names),
            "accuracy": self.accuracy,
            "log_loss": self.log_loss,
            "macro_precision": self.macro_precision,
            "macro_recall": self.macro_recall,
            "macro_f1": self.macro_f1,
            "weighted_f1": self.weighted_f1,
            "expected_calibration_error": self.ece,
            "ece_bins": ECE_BINS,
            "reliability": {k: v.tolist() for k, v in self.reliability.items()},
            "per_class": [
                {
                    "class": name,
                    "precision": float(self.precision[i]),
                    "recall": float(self.recall[i]),
                    "f1": float(self.f1[i]),
                    "support": int(self.support[i]),
                }
                for i, name in enumerate(self.class_names)
            ],
            "confusion_matrix": self.confusion_matrix.tolist(),
            "most_confused": self.most_confused,
            "hardest": self.hardest,
        }
        if self.fairness is not None:
            out["fairness"] = self.fairness
        return out

    def summary(self):
        """The headline numbers: accuracy, macro F1 and ECE."""
        return {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "ece": self.ece,
        }

    # ------------------------------------------------------ plots and HTML
    def _figures(self):
        """Yield `(name, matplotlib Figure)` for every plot."""
        return report_figures(self)

    def save_plots(self, folder):
        """Write every plot as `<folder>/<name>.png`; returns the paths."""
        return save_plots(self, folder)

    def to_html(self, path=None):
        """Render one self-contained HTML page (PNG plots embedded as data
        URIs). Writes it to `path` when given; returns the HTML string."""
        return render_html(self, path)

    # --------------------------------------------------------------- config
    def get_config(self):
        return {
            "y_true": self.y_true.tolist(),
            "y_prob": self.y_prob.tolist(),
            "class_names": list(self.class_names),
            "groups": None if self.groups is None else self.groups.tolist(),
            "num_hardest": self.num_hardest,
            "title": self.title,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras_recipes_export("keras_recipes.evaluation.evaluate")
def evaluate(model, x, y, class_names=None, groups=None, batch_size=256,
             from_logits=None, num_hardest=16, title="Evaluation report",
             verbose="auto"):
    """Evaluate a classifier and return an `EvaluationReport`.

    Runs `model.predict(x)` once and computes every number from those
    predictions with NumPy (they equal scikit-learn's): accuracy, per-class
    precision/recall/F1, macro and weighted F1, the confusion matrix and
    most-confused pairs, the expected calibration error over 15 bins, the
    hardest examples and, with `groups`, fairness metrics. The report
    renders plots (`save_plots`) and a self-contained HTML page
    (`to_html`).

    Args:
        model: a Keras model (or any object with `predict(x, batch_size=,
            verbose=)`) returning class probabilities or logits.
        x: the inputs, a NumPy array (images give the hardest-examples grid).
        y: integer labels `(N,)`/`(N, 1)` or one-hot `(N, C)`.
        class_names: list of class names or `None`. Defaults to `None`.
        groups: array `(N,)` of group ids or `None`. Defaults to `None`.
        batch_size: int, prediction batch size. Defaults to `256`.
        from_logits: bool or `None`; `None` applies a softmax when the
            outputs are not probabilities. Defaults to `None`.
        num_hardest: int, number of hardest examples. Defaults to `16`.
        title: str, the report's title. Defaults to `"Evaluation report"`.
        verbose: `model.predict`'s progress bar: `"auto"`, `0` (silent),
            `1` or `2`, as in Keras. Defaults to `"auto"`.

    Returns:
        An `EvaluationReport`.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)),
    ...                           keras.layers.Dense(3, activation="softmax")])
    >>> x = np.random.default_rng(0).normal(size=(30, 4)).astype("float32")
    >>> y = np.arange(30) % 3
    >>> report = keras_recipes.evaluation.evaluate(model, x, y, verbose=0)
    >>> sorted(report.summary())
    ['accuracy', 'ece', 'macro_f1']
    """
    check_number("batch_size", batch_size, min_value=1, integer=True)
    if not hasattr(model, "predict"):
        raise TypeError(
            "Expected `model` to be a Keras model with `predict`. "
            f"Received: model of type {type(model).__name__}"
        )
    if verbose not in ("auto", 0, 1, 2):
        raise ValueError(
            "Expected `verbose` to be 'auto', 0, 1 or 2. Received: "
            f"verbose={verbose!r}"
        )
    y_pred = model.predict(x, batch_size=batch_size, verbose=verbose)
    if isinstance(y_pred, (list, tuple, dict)):
        raise ValueError(
            "Expected a model with one output. Received a model with "
            f"{len(y_pred)} outputs"
        )
    y_prob = as_probabilities(keras.ops.convert_to_numpy(y_pred), from_logits)
    return EvaluationReport(
        y, y_prob, class_names=class_names, groups=groups,
        images=x if isinstance(x, np.ndarray) else None,
        num_hardest=num_hardest, title=title,
    )
